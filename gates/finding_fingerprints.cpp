#include "gates/finding_fingerprints.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <numeric>
#include <tuple>

namespace qgate {
namespace fs = std::filesystem;

namespace {

// Files larger than this are not read for fingerprints (generated or data
// files); their findings are keyed on the message instead.
constexpr std::uintmax_t kMaxSourceBytes = 16u << 20;

std::vector<std::string> read_lines(const fs::path& path) {
  std::vector<std::string> lines;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec) || fs::file_size(path, ec) > kMaxSourceBytes || ec) {
    return lines;
  }
  std::ifstream in(path, std::ios::binary);
  std::string text;
  while (std::getline(in, text)) lines.push_back(collapse_whitespace(text));
  return lines;
}

}  // namespace

std::string collapse_whitespace(std::string_view text) {
  std::string out;
  bool space = false;
  for (const char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

SourceLines::SourceLines(fs::path module_dir) : module_dir_(std::move(module_dir)) {
  std::error_code ec;
  canonical_dir_ = fs::weakly_canonical(module_dir_, ec);
  if (ec) canonical_dir_ = module_dir_.lexically_normal();
}

std::string SourceLines::module_relative(const std::string& file) const {
  fs::path path(file);
  if (file.rfind("file://", 0) == 0) path = file.substr(7);
  if (path.is_absolute()) {
    std::error_code ec;
    fs::path canonical = fs::weakly_canonical(path, ec);
    if (ec) canonical = path.lexically_normal();
    const fs::path relative = canonical.lexically_relative(canonical_dir_);
    if (!relative.empty() && *relative.begin() != "..") return relative.generic_string();
    return path.lexically_normal().generic_string();
  }
  return path.lexically_normal().generic_string();
}

const std::string* SourceLines::line(const std::string& file, int line) {
  if (file.empty() || line <= 0) return nullptr;
  const std::string relative = module_relative(file);
  auto it = files_.find(relative);
  if (it == files_.end()) {
    const fs::path path(relative);
    it = files_.emplace(relative, read_lines(path.is_absolute() ? path : module_dir_ / path)).first;
  }
  const auto& lines = it->second;
  return static_cast<std::size_t>(line) <= lines.size() ? &lines[line - 1] : nullptr;
}

void fingerprint_findings(std::vector<Finding>& findings, SourceLines& sources) {
  // Occurrence indexes follow the order in the file, not the tool's order.
  std::vector<std::size_t> order(findings.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::tie(findings[a].line, findings[a].column) <
           std::tie(findings[b].line, findings[b].column);
  });
  std::map<std::string, int> seen;
  for (const std::size_t i : order) {
    Finding& finding = findings[i];
    if (!finding.fingerprint.empty()) continue;
    const std::string* source = sources.line(finding.file, finding.line);
    // Fields are separated by a byte no text contains.
    std::string key = finding.rule + '\x1f' + sources.module_relative(finding.file) + '\x1f' +
                      (source != nullptr ? "line:" + *source : "message:" + finding.message);
    const int occurrence = seen[key]++;
    key += '\x1f' + std::to_string(occurrence);
    finding.fingerprint = short_sha256(key);
  }
}

BaselineMatcher::BaselineMatcher(const std::vector<Finding>& baseline) {
  for (const Finding& finding : baseline) {
    if (!finding.fingerprint.empty()) ++remaining_[finding.fingerprint];
  }
}

bool BaselineMatcher::classify(Finding& finding) {
  const auto it = remaining_.find(finding.fingerprint);
  if (!finding.fingerprint.empty() && it != remaining_.end() && it->second > 0) {
    --it->second;
    finding.baseline = "existing";
    return false;
  }
  finding.baseline = "new";
  return true;
}

}  // namespace qgate
