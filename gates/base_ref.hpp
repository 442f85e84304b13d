#pragma once
// The base a change is measured against: the configured ref, the pull
// request's base in GitHub Actions, else the default branch; and the commits
// a recorded baseline may come from.
#include <filesystem>
#include <string>
#include <vector>

namespace qgate {

// The base of a working tree.
struct BaseRef {
  std::string ref;         // e.g. "origin/main"; empty when there is none
  std::string merge_base;  // the commit of `ref` the work starts from; empty when none
  std::string problem;     // why there is none, in a clause ("no base ref: ...")
};

// Returns the base of the working tree at `dir`: `configured` (--base-ref or
// settings.base_ref) when given, else the pull request's base branch
// `pr_base` ($GITHUB_BASE_REF) as origin/<it> or <it>, else the default
// branch (origin/HEAD, origin/main, origin/master, main, master), the first
// that git knows; with its merge-base with HEAD.
BaseRef find_base_ref(const std::filesystem::path& dir, const std::string& configured,
                      const std::string& pr_base);

// Returns `commit` and its ancestors, newest first, at most `limit` of them;
// nothing when git cannot list them.
std::vector<std::string> ancestor_commits(const std::filesystem::path& dir,
                                          const std::string& commit, int limit);

}  // namespace qgate
