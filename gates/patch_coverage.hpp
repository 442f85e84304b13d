#pragma once
// Patch coverage: the share of lines added or changed since a base ref that
// the tests executed, from a git diff and the line hits of coverage reports.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gates/parsers/report.hpp"

namespace qgate {

// Thrown when the changed lines cannot be had: names the ref or git's complaint.
class PatchError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The lines of one file that a change added or modified.
struct ChangedFile {
  bool whole = false;  // every line (an untracked file)
  std::set<int> lines;
};

// What changed in the working tree since the merge-base of a base ref.
struct Change {
  std::string merge_base;                    // the commit compared against
  std::map<std::string, ChangedFile> files;  // by path relative to the module folder
};

// Returns the added lines of a `git diff -U0` output, by the "+++ b/" path of
// each file; throws PatchError for a hunk header it cannot read.
std::map<std::string, ChangedFile> parse_unified_diff(std::string_view diff);

// Returns the lines of the module at `module_dir` added or changed in its
// working tree since the merge-base of `base_ref` and HEAD (committed, staged
// and unstaged changes alike), plus every line of its untracked files that git
// does not ignore (a new file the author has not added yet is new code all the
// same), but for qgate's own .qgate/ folder. Throws PatchError when `base_ref` is empty or unknown
// to git, or git fails.
Change changed_lines(const std::filesystem::path& module_dir, const std::string& base_ref);

// The changed lines that coverage reports knew as executable.
struct PatchCoverage {
  std::int64_t executable = 0;  // changed lines some report measured
  std::int64_t covered = 0;     // of those, executed at least once
  // Uncovered changed lines by module-relative path, as ranges [first, last]
  // that join lines only non-executable lines separate.
  std::map<std::string, std::vector<std::pair<int, int>>> uncovered;
  std::vector<std::string> ambiguous;  // report paths that match several changed files
};

class PathMatcher;

// Tells whether findings lie on lines a change added or modified.
class ChangeLocator {
 public:
  ChangeLocator(Change change, const std::filesystem::path& module_dir);
  ~ChangeLocator();
  ChangeLocator(const ChangeLocator&) = delete;
  ChangeLocator& operator=(const ChangeLocator&) = delete;
  // Returns true when line `line` of `file` (a path matched as measure_patch
  // matches report paths) was added or changed, or for `line` 0 when any
  // line of it was; a path that matches several changed files counts too.
  bool changed(const std::string& file, int line) const;
  // Returns the change itself.
  const Change& change() const { return change_; }

 private:
  Change change_;
  std::unique_ptr<PathMatcher> matcher_;
};

// Intersects `change` with the line hits of `reports`. A report's path is
// matched to a changed file when it is that file (absolute, or relative to
// `module_dir`), else by the longest path suffix one of them shares whole
// with the other ("/ci/build/src/a.c" or "a.c" for "src/a.c", not
// "lib/a.c"); a path whose longest match is not unique counts for no file.
PatchCoverage measure_patch(const Change& change, const std::vector<CoverageReport>& reports,
                            const std::filesystem::path& module_dir);

}  // namespace qgate
