#include "gates/module_files.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <system_error>

namespace qgate {
namespace {

namespace fs = std::filesystem;

bool has_wildcard(std::string_view text) {
  return text.find_first_of("*?[{") != std::string_view::npos;
}

// Expands the first top-level `{a,b}` and recurses, so matching never sees braces.
std::vector<std::string> expand_braces(const std::string& pattern) {
  const size_t open = pattern.find('{');
  if (open == std::string::npos) return {pattern};
  int depth = 0;
  size_t close = std::string::npos;
  std::vector<size_t> commas;
  for (size_t i = open; i < pattern.size(); ++i) {
    if (pattern[i] == '{') ++depth;
    if (pattern[i] == '}' && --depth == 0) {
      close = i;
      break;
    }
    if (pattern[i] == ',' && depth == 1) commas.push_back(i);
  }
  if (close == std::string::npos) return {pattern};  // unbalanced: a literal brace
  std::vector<std::string> result;
  size_t start = open + 1;
  commas.push_back(close);
  for (size_t end : commas) {
    const std::string expanded =
        pattern.substr(0, open) + pattern.substr(start, end - start) + pattern.substr(close + 1);
    for (auto& one : expand_braces(expanded)) result.push_back(std::move(one));
    start = end + 1;
  }
  return result;
}

// Matches `[...]` at the start of `pattern` against `c`; returns the class length, or 0
// if the bracket is not a class (then it is a literal '[').
size_t match_class(std::string_view pattern, char c, bool& matched) {
  size_t i = 1;
  const bool negate = i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^');
  if (negate) ++i;
  bool any = false;
  const size_t first = i;
  for (; i < pattern.size() && (pattern[i] != ']' || i == first); ++i) {
    if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      any = any || (c >= pattern[i] && c <= pattern[i + 2]);
      i += 2;
    } else {
      any = any || c == pattern[i];
    }
  }
  if (i >= pattern.size()) return 0;
  matched = (any != negate) && c != '/';
  return i + 1;
}

bool match_expanded(std::string_view pattern, std::string_view text) {
  while (!pattern.empty()) {
    if (pattern.substr(0, 2) == "**") {
      if (pattern.size() == 2) return true;
      if (pattern[2] == '/') {
        const std::string_view rest = pattern.substr(3);
        if (match_expanded(rest, text)) return true;
        for (size_t slash = text.find('/'); slash != std::string_view::npos;
             slash = text.find('/', slash + 1)) {
          if (match_expanded(rest, text.substr(slash + 1))) return true;
        }
        return false;
      }
      pattern.remove_prefix(1);  // "**x" behaves like "*x"
      continue;
    }
    const char p = pattern.front();
    if (p == '*') {
      const std::string_view rest = pattern.substr(1);
      for (size_t k = 0;; ++k) {
        if (match_expanded(rest, text.substr(k))) return true;
        if (k >= text.size() || text[k] == '/') return false;
      }
    }
    if (text.empty()) return false;
    if (p == '?') {
      if (text.front() == '/') return false;
    } else if (p == '[') {
      bool matched = false;
      const size_t length = match_class(pattern, text.front(), matched);
      if (length > 0) {
        if (!matched) return false;
        pattern.remove_prefix(length);
        text.remove_prefix(1);
        continue;
      }
      if (text.front() != '[') return false;
    } else if (p != text.front()) {
      return false;
    }
    pattern.remove_prefix(1);
    text.remove_prefix(1);
  }
  return text.empty();
}

std::string strip_dot_slash(std::string pattern) {
  while (pattern.rfind("./", 0) == 0) pattern.erase(0, 2);
  return pattern;
}

// The folder a pattern's wildcards start in: "src/**/*.py" -> "src".
std::string literal_base(const std::string& pattern) {
  std::string base;
  size_t start = 0;
  while (true) {
    const size_t slash = pattern.find('/', start);
    if (slash == std::string::npos) return base;
    const std::string segment = pattern.substr(start, slash - start);
    if (has_wildcard(segment)) return base;
    base += (base.empty() ? "" : "/") + segment;
    start = slash + 1;
  }
}

bool matches_any(const std::vector<std::string>& patterns, std::string_view path) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& pattern) { return match_expanded(pattern, path); });
}

// An exclude such as "vendor/**" removes a whole folder, so the walk need not enter it.
bool folder_excluded(const std::vector<std::string>& excludes, const std::string& folder) {
  for (const auto& exclude : excludes) {
    if (exclude.size() > 3 && exclude.compare(exclude.size() - 3, 3, "/**") == 0 &&
        match_expanded(std::string_view(exclude).substr(0, exclude.size() - 3), folder)) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool glob_matches(std::string_view pattern, std::string_view relative_path) {
  for (const auto& expanded : expand_braces(std::string(pattern))) {
    if (match_expanded(expanded, relative_path)) return true;
  }
  return false;
}

bool is_skipped_folder(const fs::path& folder) {
  static const std::set<std::string, std::less<>> kNames = {
      "node_modules", "vendor", "third_party", "__pycache__",      "site-packages", "build", "dist",
      "target",       "venv",   "env",         "bower_components", "coverage",      "out"};
  const std::string name = folder.filename().string();
  if (name.empty() || name == "." || name == "..") return false;
  if (name.front() == '.') return true;  // .git, .qgate, .venv, .tox, caches
  std::error_code ignored;
  const bool virtual_env = fs::exists(folder / "pyvenv.cfg", ignored);  // a venv of any name
  if (kNames.count(name) > 0) return name != "env" || virtual_env;
  if (name.rfind("build-", 0) == 0 || name.rfind("cmake-build-", 0) == 0) return true;
  return virtual_env;
}

std::vector<std::string> find_module_files(const fs::path& module_dir,
                                           const std::vector<std::string>& patterns,
                                           const std::vector<std::string>& excludes) {
  std::vector<std::string> expanded_excludes;
  for (const auto& exclude : excludes) {
    for (auto& one : expand_braces(strip_dot_slash(exclude))) expanded_excludes.push_back(one);
  }
  // One walk per starting folder, matching every pattern that starts there.
  std::map<std::string, std::vector<std::string>> patterns_by_base;
  std::set<std::string> found;
  for (const auto& pattern : patterns) {
    for (auto& expanded : expand_braces(strip_dot_slash(pattern))) {
      if (expanded.empty()) continue;
      if (!has_wildcard(expanded)) {
        std::error_code ec;
        if (fs::is_regular_file(module_dir / expanded, ec) &&
            !matches_any(expanded_excludes, expanded)) {
          found.insert(expanded);
        }
        continue;
      }
      patterns_by_base[literal_base(expanded)].push_back(expanded);
    }
  }
  for (const auto& [base, base_patterns] : patterns_by_base) {
    std::error_code ec;
    const fs::path start = base.empty() ? module_dir : module_dir / base;
    if (!fs::is_directory(start, ec)) continue;
    fs::recursive_directory_iterator it(start, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const fs::directory_entry& entry = *it;
      const std::string relative = module_relative(module_dir, entry.path());
      std::error_code type_error;
      if (entry.is_directory(type_error)) {
        if (is_skipped_folder(entry.path()) || folder_excluded(expanded_excludes, relative)) {
          it.disable_recursion_pending();
        }
        continue;
      }
      if (!entry.is_regular_file(type_error)) continue;
      if (matches_any(base_patterns, relative) && !matches_any(expanded_excludes, relative)) {
        found.insert(relative);
      }
    }
  }
  return {found.begin(), found.end()};
}

std::optional<std::string> read_text_file(const fs::path& path) {
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec || size > kMaxScannedFileBytes) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text(size, '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

std::string module_relative(const fs::path& module_dir, const fs::path& path) {
  const fs::path relative = path.lexically_relative(module_dir);
  if (relative.empty() || *relative.begin() == "..") return path.generic_string();
  return relative.generic_string();
}

}  // namespace qgate
