#include "gates/base_ref.hpp"

#include <sstream>

#include "runner/git/git_query.hpp"

namespace qgate {
namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// Returns the commit `ref` names, or "" when git does not know it.
std::string commit_of(const std::filesystem::path& dir, const std::string& ref) {
  if (ref.empty() || ref.front() == '-') return "";
  const GitAnswer answer =
      run_git(dir, {"rev-parse", "--verify", "--quiet", ref + "^{commit}"}, true);
  return answer.exit_code == 0 ? first_line(answer.output) : "";
}

}  // namespace

BaseRef find_base_ref(const std::filesystem::path& dir, const std::string& configured,
                      const std::string& pr_base) {
  BaseRef base;
  if (run_git(dir, {"rev-parse", "--is-inside-work-tree"}).exit_code != 0) {
    base.problem = "no base ref: " + dir.string() + " is not in a git working tree";
    return base;
  }
  std::vector<std::string> candidates;
  if (!configured.empty()) {
    candidates = {configured};
  } else if (!pr_base.empty()) {
    candidates = {"origin/" + pr_base, pr_base};
  } else {
    const GitAnswer head =
        run_git(dir, {"symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"}, true);
    if (head.exit_code == 0 && !head.output.empty()) candidates.push_back(first_line(head.output));
    for (const char* name : {"origin/main", "origin/master", "main", "master"}) {
      candidates.emplace_back(name);
    }
  }
  std::string commit;
  for (const auto& candidate : candidates) {
    commit = commit_of(dir, candidate);
    if (!commit.empty()) {
      base.ref = candidate;
      break;
    }
  }
  if (base.ref.empty()) {
    if (!configured.empty()) {
      base.problem = "base ref '" + configured + "' is not known to git (is it fetched?)";
    } else if (!pr_base.empty()) {
      base.problem = "the pull request's base '" + pr_base +
                     "' is not known to git (fetch it: actions/checkout with fetch-depth: 0)";
    } else {
      base.problem =
          "no base ref: none given (--base-ref, settings.base_ref) and no default branch "
          "(origin/main, origin/master, main, master) known to git";
    }
    return base;
  }
  const GitAnswer merge_base = run_git(dir, {"merge-base", commit, "HEAD"}, true);
  if (merge_base.exit_code != 0 || merge_base.output.empty()) {
    base.problem = "base ref '" + base.ref + "' has no merge-base with HEAD" +
                   (merge_base.error_output.empty() ? " (no common history; a shallow clone?)"
                                                    : ": " + merge_base.error_output);
    base.ref.clear();
    return base;
  }
  base.merge_base = first_line(merge_base.output);
  return base;
}

std::vector<std::string> ancestor_commits(const std::filesystem::path& dir,
                                          const std::string& commit, int limit) {
  std::vector<std::string> commits;
  if (commit.empty() || commit.front() == '-' || limit <= 0) return commits;
  const GitAnswer answer =
      run_git(dir, {"rev-list", "--max-count=" + std::to_string(limit), commit, "--"}, true);
  if (answer.exit_code != 0) return commits;
  std::istringstream lines(answer.output);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty()) commits.push_back(line);
  }
  return commits;
}

}  // namespace qgate
