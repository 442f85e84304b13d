#include "gates/patch_coverage.hpp"

#include <algorithm>

#include "runner/git/git_query.hpp"

namespace qgate {
namespace fs = std::filesystem;

namespace {

// Reads git's C-style quoting of a path ("b/na\303\257ve.c" with the quotes).
std::string unquote(std::string_view text) {
  if (text.size() < 2 || text.front() != '"' || text.back() != '"') return std::string(text);
  std::string out;
  for (std::size_t i = 1; i + 1 < text.size(); ++i) {
    if (text[i] != '\\' || i + 2 >= text.size()) {
      out += text[i];
      continue;
    }
    const char c = text[++i];
    if (c >= '0' && c <= '7' && i + 2 < text.size()) {
      out += static_cast<char>(((c - '0') << 6) | ((text[i + 1] - '0') << 3) | (text[i + 2] - '0'));
      i += 2;
      continue;
    }
    static constexpr std::string_view kLetters = "ntabfrv";
    static constexpr std::string_view kControls = "\n\t\a\b\f\r\v";
    const std::size_t control = kLetters.find(c);
    out += control == std::string_view::npos ? c : kControls[control];
  }
  return out;
}

// Reads "123" or "123,4" at `text`, advancing it; count defaults to 1.
bool read_range(std::string_view& text, long& start, long& count) {
  auto digits = [&](long& value) {
    std::size_t n = 0;
    value = 0;
    while (n < text.size() && text[n] >= '0' && text[n] <= '9' && value < 1'000'000'000) {
      value = value * 10 + (text[n] - '0');
      ++n;
    }
    text.remove_prefix(n);
    return n > 0;
  };
  if (!digits(start)) return false;
  count = 1;
  if (!text.empty() && text.front() == ',') {
    text.remove_prefix(1);
    if (!digits(count)) return false;
  }
  return true;
}

std::string first_line(std::string_view text) {
  return std::string(text.substr(0, text.find('\n')));
}

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> parts;
  for (const auto& part : fs::path(path)) {
    const std::string text = part.generic_string();
    if (!text.empty() && text != "/" && text != ".") parts.push_back(text);
  }
  return parts;
}

// The number of trailing path components `a` and `b` share.
std::size_t shared_suffix(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::size_t n = 0;
  while (n < a.size() && n < b.size() && a[a.size() - 1 - n] == b[b.size() - 1 - n]) ++n;
  return n;
}

}  // namespace

// Maps the paths of coverage reports to the changed files.
class PathMatcher {
 public:
  PathMatcher(const Change& change, const fs::path& module_dir) : change_(change) {
    std::error_code ec;
    module_dir_ = fs::weakly_canonical(module_dir, ec);
    if (ec) module_dir_ = module_dir.lexically_normal();
    for (const auto& [path, file] : change.files) {
      auto parts = components(path);
      if (!parts.empty()) by_name_[parts.back()].push_back({path, std::move(parts)});
    }
  }

  // Returns the changed file `report_path` is, "" when none, or "?" when
  // several match it equally well.
  std::string match(const std::string& report_path) const {
    fs::path path(report_path.rfind("file://", 0) == 0 ? report_path.substr(7) : report_path);
    if (path.is_absolute()) {
      std::error_code ec;
      fs::path canonical = fs::weakly_canonical(path, ec);
      if (ec) canonical = path.lexically_normal();
      const std::string relative = canonical.lexically_relative(module_dir_).generic_string();
      if (change_.files.count(relative)) return relative;
    } else {
      const std::string normal = path.lexically_normal().generic_string();
      if (change_.files.count(normal)) return normal;
    }
    const auto parts = components(path.generic_string());
    if (parts.empty()) return {};
    const auto candidates = by_name_.find(parts.back());
    if (candidates == by_name_.end()) return {};
    std::size_t best = 0;
    std::vector<const std::string*> found;
    for (const auto& [changed, changed_parts] : candidates->second) {
      const std::size_t n = shared_suffix(parts, changed_parts);
      // One path must end with the whole other: "a.c" is "src/a.c" seen from
      // src/, but "lib/a.c" is another file.
      if (n != parts.size() && n != changed_parts.size()) continue;
      if (n > best) {
        best = n;
        found.clear();
      }
      if (n == best) found.push_back(&changed);
    }
    if (found.empty()) return {};
    return found.size() == 1 ? *found.front() : "?";
  }

 private:
  struct Candidate {
    std::string path;
    std::vector<std::string> parts;
  };
  const Change& change_;
  fs::path module_dir_;
  std::map<std::string, std::vector<Candidate>> by_name_;  // by file name
};

ChangeLocator::ChangeLocator(Change change, const fs::path& module_dir)
    : change_(std::move(change)), matcher_(std::make_unique<PathMatcher>(change_, module_dir)) {}

ChangeLocator::~ChangeLocator() = default;

bool ChangeLocator::changed(const std::string& file, int line) const {
  const std::string path = matcher_->match(file);
  if (path.empty()) return false;
  if (path == "?") return true;
  const ChangedFile& changed = change_.files.at(path);
  return changed.whole || line <= 0 || changed.lines.count(line) > 0;
}

std::map<std::string, ChangedFile> parse_unified_diff(std::string_view diff) {
  std::map<std::string, ChangedFile> files;
  ChangedFile* current = nullptr;
  long old_left = 0;
  long new_left = 0;
  std::size_t number = 0;
  while (!diff.empty()) {
    const std::size_t end = diff.find('\n');
    std::string_view line = diff.substr(0, end);
    diff.remove_prefix(end == std::string_view::npos ? diff.size() : end + 1);
    ++number;
    if (old_left > 0 || new_left > 0) {
      // Inside a hunk, body lines are counted off: a line "+++ x" here is an
      // added "++ x", not a file header.
      if (line.empty() || line.front() == '\\') continue;
      if (line.front() == '-') --old_left;
      if (line.front() == '+') --new_left;
      if (line.front() == ' ') {
        --old_left;
        --new_left;
      }
      continue;
    }
    if (line.rfind("diff --git ", 0) == 0) {
      current = nullptr;
    } else if (line.rfind("+++ ", 0) == 0) {
      const std::string path = unquote(line.substr(4));
      current = path.rfind("b/", 0) == 0 ? &files[path.substr(2)] : nullptr;  // else /dev/null
    } else if (line.rfind("@@ -", 0) == 0) {
      std::string_view rest = line.substr(4);
      long old_start = 0;
      long new_start = 0;
      if (!read_range(rest, old_start, old_left) || rest.rfind(" +", 0) != 0) {
        throw PatchError("git diff line " + std::to_string(number) + ": unreadable hunk header '" +
                         std::string(line) + "'");
      }
      rest.remove_prefix(2);
      if (!read_range(rest, new_start, new_left)) {
        throw PatchError("git diff line " + std::to_string(number) + ": unreadable hunk header '" +
                         std::string(line) + "'");
      }
      if (current != nullptr) {
        for (long l = new_start; l < new_start + new_left; ++l) {
          current->lines.insert(static_cast<int>(l));
        }
      }
    }
  }
  // A file whose hunks only deleted lines changed nothing to cover.
  std::erase_if(files, [](const auto& entry) { return entry.second.lines.empty(); });
  return files;
}

Change changed_lines(const fs::path& module_dir, const std::string& base_ref) {
  if (base_ref.empty()) {
    throw PatchError(
        "coverage.patch_min_lines needs a base ref: pass --base-ref or set settings.base_ref");
  }
  if (base_ref.front() == '-') throw PatchError("base ref '" + base_ref + "' is not a git ref");
  const GitAnswer inside = run_git(module_dir, {"rev-parse", "--is-inside-work-tree"}, true);
  if (inside.exit_code != 0) {
    throw PatchError("patch coverage needs a git working tree: " + module_dir.string() + ": " +
                     inside.error_output);
  }
  const GitAnswer ref =
      run_git(module_dir, {"rev-parse", "--verify", "--quiet", base_ref + "^{commit}"}, true);
  if (ref.exit_code != 0 || ref.output.empty()) {
    throw PatchError("base ref '" + base_ref + "' is not known to git in " + module_dir.string() +
                     (ref.exit_code < 0 ? ": " + ref.error_output : " (is it fetched?)"));
  }
  const GitAnswer base = run_git(module_dir, {"merge-base", first_line(ref.output), "HEAD"}, true);
  if (base.exit_code != 0 || base.output.empty()) {
    throw PatchError(
        "no merge-base of base ref '" + base_ref + "' and HEAD in " + module_dir.string() +
        (base.error_output.empty() ? " (no common history)" : ": " + base.error_output));
  }
  Change change;
  change.merge_base = first_line(base.output);
  // The prefixes, colours and external tools are pinned: user configuration
  // (diff.noprefix, color.diff=always, diff drivers) would change the text.
  const GitAnswer diff = run_git(
      module_dir,
      {"-c", "core.quotePath=false", "diff", "-U0", "--no-color", "--no-ext-diff", "--no-textconv",
       "--relative", "--src-prefix=a/", "--dst-prefix=b/", change.merge_base, "--"},
      true);
  if (diff.exit_code != 0)
    throw PatchError("git diff " + change.merge_base + ": " + diff.error_output);
  if (diff.output.size() >= (8u << 20)) {
    throw PatchError("the diff against base ref '" + base_ref + "' is larger than 8 MB");
  }
  change.files = parse_unified_diff(diff.output);
  const GitAnswer untracked =
      run_git(module_dir, {"ls-files", "--others", "--exclude-standard", "-z"}, true);
  if (untracked.exit_code != 0) throw PatchError("git ls-files: " + untracked.error_output);
  std::string_view names = untracked.output;
  while (!names.empty()) {
    const std::size_t end = names.find('\0');
    const std::string_view name = names.substr(0, end);
    // qgate's own records (.qgate/ beside the configuration) are no change.
    if (!name.empty() && name.rfind(".qgate/", 0) != 0) {
      change.files[std::string(name)].whole = true;
    }
    names.remove_prefix(end == std::string_view::npos ? names.size() : end + 1);
  }
  return change;
}

PatchCoverage measure_patch(const Change& change, const std::vector<CoverageReport>& reports,
                            const fs::path& module_dir) {
  PatchCoverage result;
  const PathMatcher matcher(change, module_dir);
  // Line hits of each changed file, joined over every report that measured it.
  std::map<std::string, std::map<int, std::int64_t>> hits;
  for (const CoverageReport& report : reports) {
    for (const FileCoverage& file : report.files) {
      const std::string changed = matcher.match(file.path);
      if (changed.empty()) continue;
      if (changed == "?") {
        result.ambiguous.push_back(file.path);
        continue;
      }
      auto& joined = hits[changed];
      for (const auto& [line, count] : file.line_hits) {
        auto& total = joined[line];
        total = std::max(total, count);
      }
    }
  }
  for (const auto& [path, lines] : hits) {
    const ChangedFile& changed = change.files.at(path);
    auto& ranges = result.uncovered[path];
    bool open = false;
    for (const auto& [line, count] : lines) {
      const bool in_patch = changed.whole || changed.lines.count(line) > 0;
      if (in_patch) {
        ++result.executable;
        if (count > 0) ++result.covered;
      }
      if (in_patch && count == 0) {
        if (open) {
          ranges.back().second = line;
        } else {
          ranges.emplace_back(line, line);
        }
        open = true;
      } else {
        open = false;  // an executed or unchanged executable line ends a range
      }
    }
    if (ranges.empty()) result.uncovered.erase(path);
  }
  return result;
}

}  // namespace qgate
