#include "reporters/findings.hpp"

#include <algorithm>
#include <tuple>

namespace qgate {

std::string describe_counts(const FindingCounts& counts) {
  if (counts.total == 0) return "no findings";
  std::string out;
  for (std::size_t i = counts.by_severity.size(); i-- > 0;) {
    if (counts.by_severity[i] == 0) continue;
    out += (out.empty() ? "" : ", ") + std::to_string(counts.by_severity[i]) + " " +
           std::string(to_string(static_cast<Severity>(i)));
  }
  if (counts.new_findings + counts.existing_findings > 0) {
    out += "; " + std::to_string(counts.new_findings) + " new, " +
           std::to_string(counts.existing_findings) + " existing";
  }
  return out;
}

std::vector<const Finding*> top_findings(const std::vector<Finding>& findings, std::size_t limit) {
  std::vector<const Finding*> sorted;
  sorted.reserve(findings.size());
  for (const Finding& finding : findings) sorted.push_back(&finding);
  const auto key = [](const Finding* f) {
    // Descending severity, new first; the original order breaks the rest of the ties.
    return std::make_tuple(-static_cast<int>(f->severity), f->baseline == "existing" ? 1 : 0,
                           std::cref(f->file), f->line);
  };
  const std::size_t shown = std::min(limit, sorted.size());
  std::partial_sort(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(shown),
                    sorted.end(), [&](const Finding* a, const Finding* b) {
                      if (key(a) != key(b)) return key(a) < key(b);
                      return a < b;
                    });
  sorted.resize(shown);
  return sorted;
}

std::string relative_to_root(const std::filesystem::path& root,
                             const std::filesystem::path& module_path, const std::string& file) {
  namespace fs = std::filesystem;
  if (file.empty() || root.empty()) return file;
  const fs::path path = fs::path(file).is_absolute() ? fs::path(file) : module_path / file;
  const fs::path relative = path.lexically_normal().lexically_relative(root);
  if (relative.empty() || *relative.begin() == "..") return file;
  return relative.generic_string();
}

std::string location_of(const Finding& finding) {
  if (finding.file.empty()) return "";
  std::string location = finding.file;
  if (finding.line > 0) {
    location += ":" + std::to_string(finding.line);
    if (finding.column > 0) location += ":" + std::to_string(finding.column);
  }
  return location;
}

}  // namespace qgate
