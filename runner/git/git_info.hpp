#pragma once
// The commit a module folder is at, read from .git directly: spawning `git`
// would cost more than a whole trivial run.
#include <filesystem>
#include <string>

namespace qgate {

struct GitInfo {
  std::string commit_sha;  // empty when not in a repository
  std::string ref;         // e.g. "refs/heads/main"; empty when detached
};

// Returns the HEAD commit and ref of the repository holding `folder`.
GitInfo read_git_info(const std::filesystem::path& folder);

// Returns the top folder of the working tree holding `folder` (where its
// `.git` is), or an empty path when `folder` is in none.
std::filesystem::path repository_root(const std::filesystem::path& folder);

}  // namespace qgate
