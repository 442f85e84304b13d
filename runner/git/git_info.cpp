#include "runner/git/git_info.hpp"

#include <fstream>
#include <sstream>

namespace qgate {
namespace {

namespace fs = std::filesystem;

std::string first_line(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

// Finds the git folder of `folder`: `.git` itself, or the folder a `.git`
// file (worktrees, submodules) points at.
fs::path find_git_dir(fs::path folder) {
  std::error_code ec;
  while (true) {
    const fs::path candidate = folder / ".git";
    if (fs::is_directory(candidate, ec)) return candidate;
    if (fs::is_regular_file(candidate, ec)) {
      const std::string line = first_line(candidate);
      if (line.rfind("gitdir: ", 0) == 0) {
        fs::path target = line.substr(8);
        return target.is_absolute() ? target : folder / target;
      }
    }
    if (!folder.has_parent_path() || folder.parent_path() == folder) return {};
    folder = folder.parent_path();
  }
}

std::string resolve_ref(const fs::path& git_dir, const std::string& ref) {
  std::error_code ec;
  std::string sha = first_line(git_dir / ref);
  if (!sha.empty()) return sha;
  // Worktrees keep shared refs in the common folder.
  fs::path common = git_dir;
  if (const std::string line = first_line(git_dir / "commondir"); !line.empty()) {
    common = fs::path(line).is_absolute() ? fs::path(line) : git_dir / line;
    sha = first_line(common / ref);
    if (!sha.empty()) return sha;
  }
  std::ifstream packed(common / "packed-refs");
  std::string line;
  while (std::getline(packed, line)) {
    if (line.size() > 41 && line.compare(41, std::string::npos, ref) == 0)
      return line.substr(0, 40);
  }
  return "";
}

}  // namespace

fs::path repository_root(const fs::path& folder) {
  std::error_code ec;
  fs::path at = fs::absolute(folder, ec).lexically_normal();
  if (ec) return {};
  while (true) {
    if (fs::exists(at / ".git", ec)) return at;
    if (!at.has_parent_path() || at.parent_path() == at) return {};
    at = at.parent_path();
  }
}

GitInfo read_git_info(const fs::path& folder) {
  GitInfo info;
  const fs::path git_dir = find_git_dir(folder);
  if (git_dir.empty()) return info;
  const std::string head = first_line(git_dir / "HEAD");
  if (head.rfind("ref: ", 0) == 0) {
    info.ref = head.substr(5);
    info.commit_sha = resolve_ref(git_dir, info.ref);
  } else {
    info.commit_sha = head;
  }
  return info;
}

}  // namespace qgate
