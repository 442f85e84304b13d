#pragma once
// Workspaces from git for queue items (runner/queue/worker.cpp): a bare mirror per
// repository, <root>/mirrors/<first 16 hex of sha256(repository)>.git, shared
// by the workers of one machine under an flock, and a detached worktree per
// run, <root>/runs/<item id>, removed afterwards.
//
// Git runs with an argv, never through a shell. Credentials come from the
// environment: with QGATE_GIT_TOKEN set, git asks the qgate binary itself
// (GIT_ASKPASS, answered by answer_git_askpass in main) and never a terminal
// (GIT_TERMINAL_PROMPT=0); what git says is masked before it is shown.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runner/core/secret_masker.hpp"

namespace qgate {

// What running one git command gave.
struct GitOutcome {
  bool ran = false;    // false: the item was stopped (cancelled, lease lost, worker stopping)
  int exit_code = -1;  // 128 + signal when killed
  std::string output;  // stdout and stderr
};

// Runs git for a workspace: the worker runs each command as a child while it
// heartbeats the item's lease, so that a long clone neither loses the lease
// nor escapes a cancel.
class GitRunner {
 public:
  virtual ~GitRunner() = default;
  // Runs `argv` (argv[0] an absolute path) with `env` in `cwd`; when
  // `stoppable`, a stop of the item kills it and gives ran = false.
  virtual GitOutcome run(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                         const std::filesystem::path& cwd, bool stoppable) = 0;
  // Waits a moment (heartbeating); returns false when the item must stop.
  virtual bool pause() = 0;
};

struct GitSettings {
  std::filesystem::path root;            // the workspace root
  std::filesystem::path git;             // the git executable
  std::filesystem::path askpass;         // the qgate binary that answers git's prompts
  std::vector<std::string> environment;  // the worker's ("NAME=value")
};

class GitWorkspace {
 public:
  enum class Outcome { ready, failed, stopped };

  GitWorkspace(GitSettings settings, GitRunner& runner, const SecretMasker& masker);
  // Removes the worktree if remove() was not called.
  ~GitWorkspace();
  GitWorkspace(const GitWorkspace&) = delete;
  GitWorkspace& operator=(const GitWorkspace&) = delete;

  // Fetches `repository` into its mirror (cloned the first time) and checks
  // out `ref` ("" for the repository's HEAD) as worktree <root>/runs/<item_id>.
  // On failed, `problem` says why (secrets masked, URL user info removed)
  // and `exit_code` is 2 for the request's fault, 3 for the machine's.
  Outcome prepare(const std::string& repository, const std::string& ref, const std::string& item_id,
                  std::string& problem, int& exit_code);
  // The worktree and the commit checked out there (after ready).
  const std::filesystem::path& folder() const { return folder_; }
  const std::string& commit() const { return commit_; }
  // Whether prepare() cloned the mirror (false: it fetched into one).
  bool cloned() const { return cloned_; }
  // Removes the worktree (git worktree remove --force, then prune); safe to
  // call again.
  void remove();

 private:
  std::vector<std::string> git_argv(std::initializer_list<std::string> arguments) const;
  // `text` as it may be shown: secrets masked, URL user info removed.
  std::string shown(std::string_view text) const;

  GitSettings settings_;
  GitRunner& runner_;
  const SecretMasker& masker_;
  std::vector<std::string> env_;
  bool token_ = false;
  std::filesystem::path mirror_;
  std::filesystem::path lock_path_;
  std::filesystem::path folder_;
  std::string commit_;
  bool cloned_ = false;
  bool added_ = false;
};

// $XDG_CACHE_HOME/qgate, else ~/.cache/qgate.
std::filesystem::path default_workspace_root();

// "<first 16 hex of sha256(repository)>.git": the mirror's folder name.
std::string mirror_folder_name(const std::string& repository);

// `text` with the user info of every URL in it removed
// ("https://user:secret@host/x" → "https://host/x").
std::string without_url_userinfo(std::string_view text);

// The environment git runs with: the worker's `inherited` one without the
// database URL and without variables that would point git elsewhere,
// GIT_TERMINAL_PROMPT=0, and with QGATE_GIT_TOKEN set, GIT_ASKPASS=`askpass`
// and QGATE_GIT_ASKPASS=1.
std::vector<std::string> git_environment(const std::vector<std::string>& inherited,
                                         const std::filesystem::path& askpass);

// The askpass mode of the qgate binary: with QGATE_GIT_ASKPASS=1 in the
// environment, answers git's prompt argv[1] ("Username for ...": the value of
// QGATE_GIT_USERNAME, else x-access-token; "Password for ...": the value of
// QGATE_GIT_TOKEN) on stdout and returns the exit code; nullopt otherwise.
std::optional<int> answer_git_askpass(int argc, char** argv);

// The executable `name` found on PATH, empty if none.
std::filesystem::path find_executable(const std::string& name);

}  // namespace qgate
