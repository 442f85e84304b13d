#pragma once
// What qgate does on GitHub, one operation at a time: the integration pull
// request (found or opened, never twice), its reviews, commit statuses and
// check runs of the gates, and the chat webhook. Each returns what happened;
// a GitHub failure is a value (an error text), never an exception.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "runner/core/result.hpp"
#include "runner/github/github_client.hpp"

namespace qgate {

// A repository on GitHub.
struct Repository {
  std::string owner;
  std::string name;
  std::string full() const { return owner + "/" + name; }
};

// Parses "owner/name", an https URL (https://github.com/owner/name[.git]) or
// an ssh one (git@github.com:owner/name.git, ssh://git@host/owner/name);
// nothing for anything else.
std::optional<Repository> parse_repository(std::string_view text);

// Returns `name` as a branch-name slug: lower case, runs of anything but
// letters and digits as one '-', e.g. "Ana María Pérez" -> "ana-mar-a-p-rez".
std::string developer_slug(std::string_view name);

// Returns `pattern` with {module_id}, {developer} and {branch} replaced.
std::string expand_branch_pattern(std::string_view pattern, const std::string& module_id,
                                  const std::string& developer, const std::string& branch);

// An open pull request.
struct PullRequest {
  int number = 0;
  std::string html_url;
  std::string head_label;  // "owner:branch"
};

// What the integration pull request should be.
struct PullSpec {
  Repository repository;
  std::string head_owner;  // the owner of the head branch (the repository's, usually)
  std::string head;        // the branch
  std::string base;
  std::string title;
  std::string body;
};

// The outcome of open_or_update_pull().
struct PullOutcome {
  std::optional<PullRequest> pull;
  bool created = false;  // false: an open one was found and its body updated
  std::string error;     // empty on success
};

// Finds the open pull request of `head_owner`:`head` in `repository`;
// returns nothing if there is none, with `error` set if GitHub failed.
std::optional<PullRequest> find_open_pull(GithubClient& client, const Repository& repository,
                                          const std::string& head_owner, const std::string& head,
                                          std::string& error);

// Updates the body and title of the open pull request for `spec`'s head, or
// opens one; a 422 on opening (one was opened meanwhile) means "look again".
PullOutcome open_or_update_pull(GithubClient& client, const PullSpec& spec);

// The verdict on code_review_approved.
struct ReviewVerdict {
  Status status = Status::skipped;
  std::string message;
};

// Judges `reviews` (GitHub's list of a pull request's reviews, oldest first):
// each reviewer's latest APPROVED or CHANGES_REQUESTED review counts (a
// later DISMISSED one withdraws it; comments change nothing); any change
// request fails, else at least `required` approvals pass.
ReviewVerdict judge_reviews(const nlohmann::json& reviews, int required);

// Reads the reviews of pull request `number` and judges them; an error
// verdict if GitHub could not be read.
ReviewVerdict read_review_verdict(GithubClient& client, const Repository& repository,
                                  const PullRequest& pull, int required);

// Returns the commit-status state ("success", "failure", "error", "pending") of `status`.
std::string commit_state(Status status);
// Returns a one-line description of `gate` for a commit status, at most 140 characters.
std::string status_description(const GateResult& gate);

// Posts a commit status `state` with `context` on commit `sha`; returns an
// error text or "".
std::string post_commit_status(GithubClient& client, const Repository& repository,
                               const std::string& sha, const std::string& context,
                               const std::string& state, const std::string& description,
                               const std::string& target_url);

// Where the findings' files lie in the repository, for annotations.
struct AnnotationPaths {
  std::string prefix;  // the module folder relative to the repository root, "" or "mod/"
};

// Returns the check-run annotations of `gate`'s findings that name a file,
// most severe first.
std::vector<nlohmann::json> finding_annotations(const GateResult& gate,
                                                const AnnotationPaths& paths);

// Creates the check run "qgate/<gate>" on `sha` as in progress; returns its
// id, or 0 with `error` set.
long long start_check_run(GithubClient& client, const Repository& repository,
                          const std::string& sha, const std::string& gate, std::string& error);
// Completes check run `id` (created now if 0) with `gate`'s verdict, its
// findings as annotations (50 per request, the rest by further updates) and
// a summary within GitHub's 65,535 characters; returns an error text or "".
std::string complete_check_run(GithubClient& client, const Repository& repository,
                               const std::string& sha, long long id, const GateResult& gate,
                               const AnnotationPaths& paths, const std::string& details_url);

// Returns the Slack-compatible message ({"text": ...}) of a passing run.
nlohmann::json webhook_message(const RunResult& run, const std::string& pr_url);

}  // namespace qgate
