#pragma once
// GitHub's part in one `qgate check`: commit statuses or check runs for the
// gates, code_review_approved from the pull request's reviews, the
// integration pull request on success, and the chat webhook. run_check calls
// it at four points; everything it asks of GitHub is logged (without the
// token) to .qgate/runs/<run id>/github.log.
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "runner/core/config.hpp"
#include "runner/core/result.hpp"
#include "runner/core/secret_masker.hpp"
#include "runner/github/github_client.hpp"
#include "runner/github/github_pr.hpp"
#include "runner/store/store.hpp"

namespace qgate {

// Thrown when the run asks for GitHub but cannot use it; qgate exits 2.
class GithubSetupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class GithubRun {
 public:
  // Returns nothing when the run does not use GitHub (no `github:` section,
  // no --open-pr); throws GithubSetupError when it cannot (no token, no repository).
  // `transport` replaces the HTTP plugin (tests); `clock` the time source.
  static std::unique_ptr<GithubRun> prepare(const Config& config, bool open_pr,
                                            std::shared_ptr<HttpTransport> transport = nullptr,
                                            RetryClock clock = {});

  // Returns the secret values this run knows (the token, the webhook URL),
  // to be masked everywhere.
  std::vector<std::string> secrets() const;

  // Learns the run's commit, branch and developer (from the checkout in
  // `store`, else git) and marks `gates` pending on the commit.
  void run_started(const RunResult& run, const std::vector<std::string>& gates, Store& store,
                   const std::filesystem::path& run_dir);
  // Judges code_review_approved of `run` from the open pull request's reviews
  // (it stays skipped when there is no pull request or no token).
  void judge_review(RunResult& run);
  // Posts every gate's verdict and, when every required requirement but the
  // review passed, opens or updates the pull request (run.pr_url). On a
  // GitHub failure sets run.exit_code to 3; returns false then.
  bool run_finished(RunResult& run);
  // Tells the webhook of a passing run; failures are logged, never fatal.
  void notify(const RunResult& run);

  // Returns what went wrong, one line each (printed by run_check).
  const std::vector<std::string>& problems() const { return problems_; }
  // Returns what was done, one line each (printed by run_check).
  const std::vector<std::string>& notes() const { return notes_; }
  // Returns the head branch of the pull request.
  const std::string& head() const { return head_; }

 private:
  GithubRun(const Config& config, bool open_pr, std::shared_ptr<HttpTransport> transport,
            RetryClock clock);
  void log(const std::string& line);
  void problem(const std::string& line);
  bool uses_commit() const { return config_.statuses || config_.checks; }
  std::string run_url(const RunResult& run) const;
  std::optional<PullRequest> find_pull();

  GithubConfig config_;
  std::string module_id_;
  std::filesystem::path module_dir_;
  bool open_pr_ = false;
  bool review_needed_ = false;
  std::optional<Repository> repository_;
  std::string webhook_url_;
  std::shared_ptr<HttpTransport> transport_;
  RetryClock clock_;
  std::unique_ptr<GithubClient> client_;
  SecretMasker masker_;
  std::filesystem::path log_path_;
  std::string sha_;
  std::string head_;
  AnnotationPaths paths_;
  std::vector<std::pair<std::string, long long>> check_runs_;  // gate -> check run id
  bool unreachable_ = false;  // a request failed after its retries: statuses stop there
  std::vector<std::string> problems_;
  std::vector<std::string> notes_;
};

}  // namespace qgate
