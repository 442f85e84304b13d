#include "runner/github/github_run.hpp"

#include <cstdlib>
#include <fstream>

#include "reporters/markdown_report.hpp"
#include "runner/core/requirements.hpp"
#include "runner/git/git_query.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string git_output(const fs::path& dir, const std::vector<std::string>& args) {
  const GitAnswer answer = run_git(dir, args, /*capture=*/true);
  return answer.exit_code == 0 ? first_line(answer.output) : std::string();
}

RequirementResult* find_requirement_result(RunResult& run, const std::string& name) {
  for (auto& requirement : run.requirements) {
    if (requirement.name == name) return &requirement;
  }
  return nullptr;
}

}  // namespace

GithubRun::GithubRun(const Config& config, bool open_pr, std::shared_ptr<HttpTransport> transport,
                     RetryClock clock)
    : config_(config.github),
      module_id_(config.module.id),
      module_dir_(config.module_dir),
      open_pr_(open_pr || config.github.open_pr),
      transport_(transport ? std::move(transport)
                           : std::shared_ptr<HttpTransport>(plugin_http_transport())),
      clock_(std::move(clock)) {}

std::unique_ptr<GithubRun> GithubRun::prepare(const Config& config, bool open_pr,
                                              std::shared_ptr<HttpTransport> transport,
                                              RetryClock clock) {
  if (!config.github.configured && !open_pr) return nullptr;
  std::unique_ptr<GithubRun> github(
      new GithubRun(config, open_pr, std::move(transport), std::move(clock)));
  GithubRun& g = *github;
  GithubClientOptions options = github_options_from_environment(g.config_.token_env);
  if (!g.config_.api_url.empty()) options.api_url = g.config_.api_url;
  const bool needs_token = g.open_pr_ || g.uses_commit();
  if (options.token.empty() && needs_token) {
    throw GithubSetupError(
        std::string(g.open_pr_ ? "opening the integration pull request"
                               : "posting the gates' statuses") +
        " needs a GitHub token in $" + g.config_.token_env +
        " (github.token_env): a GitHub App installation token or a fine-grained token with "
        "pull-requests:write and statuses:write (checks:write for github.checks)");
  }
  for (const auto& requirement : config.requirements) {
    if (requirement.name == "code_review_approved") g.review_needed_ = !options.token.empty();
  }
  if (needs_token || g.review_needed_) {
    std::string source;
    std::string text = g.config_.repository;
    source = "github.repository";
    if (text.empty()) {
      text = config.module.repository;
      source = "the module's repository";
    }
    if (text.empty()) {
      text = git_output(config.module_dir, {"remote", "get-url", "origin"});
      source = "the git remote origin";
    }
    if (text.empty()) {
      text = env_or_empty("GITHUB_REPOSITORY");
      source = "$GITHUB_REPOSITORY";
    }
    if (text.empty()) {
      throw GithubSetupError(
          "no GitHub repository: set github.repository (owner/name), the registry's repository "
          "or a git remote origin, or $GITHUB_REPOSITORY");
    }
    g.repository_ = parse_repository(text);
    if (!g.repository_) {
      throw GithubSetupError(source + " '" + text +
                             "' is not a GitHub repository (owner/name, https:// or git@ URL)");
    }
  }
  g.webhook_url_ = g.config_.webhook_url;
  if (!g.config_.webhook_url_env.empty())
    g.webhook_url_ = env_or_empty(g.config_.webhook_url_env.c_str());
  g.masker_ = SecretMasker(std::vector<std::string>{options.token, g.webhook_url_});
  std::string origin;
  std::string prefix;
  if (!split_api_url(options.api_url, origin, prefix)) {
    throw GithubSetupError("the GitHub API URL '" + options.api_url +
                           "' is not an http:// or https:// URL (GITHUB_API_URL, github.api_url)");
  }
  g.client_ = std::make_unique<GithubClient>(options, g.transport_, g.clock_);
  return github;
}

std::vector<std::string> GithubRun::secrets() const {
  std::vector<std::string> out;
  if (client_ && !client_->options().token.empty()) out.push_back(client_->options().token);
  if (!webhook_url_.empty() && config_.webhook_url.empty()) out.push_back(webhook_url_);
  return out;
}

void GithubRun::log(const std::string& line) {
  if (log_path_.empty()) return;
  std::ofstream out(log_path_, std::ios::app);
  out << utc_now_iso8601() << " " << masker_.mask(line) << "\n";
}

void GithubRun::problem(const std::string& line) {
  const std::string masked = masker_.mask(line);
  problems_.push_back(masked);
  log("error: " + masked);
}

std::string GithubRun::run_url(const RunResult& run) const {
  if (!config_.run_url.empty()) {
    std::string url = config_.run_url;
    for (auto at = url.find("{run_id}"); at != std::string::npos; at = url.find("{run_id}", at)) {
      url.replace(at, 8, run.id);
    }
    return url;
  }
  const std::string server = env_or_empty("GITHUB_SERVER_URL");
  const std::string repository = env_or_empty("GITHUB_REPOSITORY");
  const std::string run_id = env_or_empty("GITHUB_RUN_ID");
  if (!server.empty() && !repository.empty() && !run_id.empty()) {
    return server + "/" + repository + "/actions/runs/" + run_id;
  }
  return {};
}

void GithubRun::run_started(const RunResult& run, const std::vector<std::string>& gates,
                            Store& store, const fs::path& run_dir) {
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  log_path_ = run_dir / "github.log";
  sha_ = run.commit_sha;
  // Annotations name files from the repository's root.
  paths_.prefix = git_output(module_dir_, {"rev-parse", "--show-prefix"});

  // The pull request's branch: the seed's convention needs the developer,
  // who checked the module out (else the git user); without one, the
  // current branch.
  std::string developer = config_.developer;
  if (developer.empty() && !run.checkout_id.empty()) {
    try {
      if (CheckoutDirectory* checkouts = store.checkouts()) {
        if (const auto checkout = checkouts->find_checkout(run.checkout_id)) {
          developer = checkout->checked_out_by;
        }
      }
    } catch (const StoreError& error) {
      log(std::string("cannot read the checkout's developer: ") + error.what());
    }
  }
  if (developer.empty()) developer = git_output(module_dir_, {"config", "user.name"});
  std::string branch = run.ref.rfind("refs/heads/", 0) == 0 ? run.ref.substr(11) : std::string();
  if (branch.empty()) branch = env_or_empty("GITHUB_HEAD_REF");
  if (branch.empty()) branch = env_or_empty("GITHUB_REF_NAME");
  const std::string slug = developer_slug(developer);
  if (slug.empty() && config_.head.find("{developer}") != std::string::npos) {
    head_ = branch;
  } else {
    head_ = expand_branch_pattern(config_.head, module_id_, slug, branch);
  }
  log("repository " + (repository_ ? repository_->full() : std::string("(none)")) + ", head " +
      head_ + ", commit " + sha_);

  // GitHub App installations may write checks; plain tokens only statuses.
  if (!uses_commit() || !repository_) return;
  if (sha_.empty()) {
    problem("cannot post the gates' statuses: the module folder is not in a git repository");
    unreachable_ = true;
    return;
  }
  for (const auto& gate : gates) {
    if (unreachable_) break;
    std::string error;
    if (config_.checks) {
      const long long id = start_check_run(*client_, *repository_, sha_, gate, error);
      check_runs_.emplace_back(gate, id);
    } else {
      error = post_commit_status(*client_, *repository_, sha_, "qgate/" + gate, "pending",
                                 "running", run_url(run));
    }
    log((config_.checks ? "check run " : "status ") + gate +
        " pending: " + (error.empty() ? "ok" : error));
    if (!error.empty()) {
      problem("GitHub: cannot mark gate " + gate + " pending: " + error);
      unreachable_ = true;
    }
  }
}

std::optional<PullRequest> GithubRun::find_pull() {
  if (!repository_ || head_.empty()) return std::nullopt;
  std::string error;
  auto pull = find_open_pull(*client_, *repository_, repository_->owner, head_, error);
  if (!error.empty()) problem("GitHub: cannot look up the pull request of " + head_ + ": " + error);
  return pull;
}

void GithubRun::judge_review(RunResult& run) {
  RequirementResult* requirement = find_requirement_result(run, "code_review_approved");
  if (requirement == nullptr || !review_needed_) return;
  // A step of the review gate judged it already: that verdict stands.
  if (requirement->status != Status::skipped) return;
  const auto pull = find_pull();
  if (!pull) {
    if (problems_.empty()) {
      requirement->message = "skipped (needs GitHub): no open pull request for " + head_ + " yet";
    }
    return;
  }
  const ReviewVerdict verdict =
      read_review_verdict(*client_, *repository_, *pull, config_.required_approvals);
  requirement->status = verdict.status;
  requirement->message = masker_.mask(verdict.message);
  log("code_review_approved: " + std::string(to_string(verdict.status)) + ": " + verdict.message);
  if (verdict.status == Status::error) problem("GitHub: " + verdict.message);
}

bool GithubRun::run_finished(RunResult& run) {
  const std::string link = run_url(run);
  if (uses_commit() && repository_ && !unreachable_) {
    for (const auto& gate : run.gates) {
      if (unreachable_) break;
      std::string error;
      if (config_.checks) {
        long long id = 0;
        for (const auto& [name, run_id] : check_runs_) {
          if (name == gate.name) id = run_id;
        }
        error = complete_check_run(*client_, *repository_, sha_, id, gate, paths_, link);
      } else {
        error = post_commit_status(*client_, *repository_, sha_, "qgate/" + gate.name,
                                   commit_state(gate.status), status_description(gate), link);
      }
      log((config_.checks ? "check run " : "status ") + gate.name + " " +
          std::string(to_string(gate.status)) + ": " + (error.empty() ? "ok" : error));
      if (!error.empty()) {
        problem("GitHub: cannot post the verdict of gate " + gate.name + ": " + error);
        unreachable_ = true;
      }
    }
  }

  if (open_pr_ && repository_) {
    bool ready = run.status != Status::cancelled;
    std::string blocking;
    for (const auto& requirement : run.requirements) {
      // The review is judged on the pull request itself, so it cannot be a
      // condition for opening it.
      if (requirement.name == "code_review_approved") continue;
      if (requirement.required && is_failure(requirement.status)) {
        ready = false;
        if (blocking.empty()) blocking = requirement.name;
      }
    }
    if (!ready) {
      notes_.push_back("integration pull request not opened: " +
                       (blocking.empty() ? std::string("the run was cancelled")
                                         : blocking + " (required) did not pass"));
      log(notes_.back());
    } else if (head_.empty()) {
      problem(
          "GitHub: no branch for the pull request: set github.developer or github.head, or run "
          "on a branch");
    } else {
      PullSpec spec;
      spec.repository = *repository_;
      spec.head_owner = repository_->owner;
      spec.head = head_;
      spec.base = config_.base;
      spec.title = "Integrate " + module_id_ + " module";
      MarkdownOptions markdown;
      markdown.run_url = link;
      spec.body = render_markdown_report(run, markdown);
      const PullOutcome outcome = open_or_update_pull(*client_, spec);
      if (outcome.pull) {
        run.pr_url = outcome.pull->html_url;
        notes_.push_back(std::string(outcome.created ? "opened" : "updated") +
                         " the integration pull request " + run.pr_url);
        log(notes_.back());
      } else {
        problem("GitHub: cannot open the integration pull request " + head_ + " -> " +
                config_.base + ": " + outcome.error);
      }
    }
  }
  if (!problems_.empty() && run.status != Status::cancelled) run.exit_code = 3;
  return problems_.empty();
}

void GithubRun::notify(const RunResult& run) {
  if (webhook_url_.empty() || run.status != Status::passed) return;
  std::string origin;
  std::string path;
  if (!split_api_url(webhook_url_, origin, path)) {
    problem("webhook: the URL is not http:// or https://");
    return;
  }
  GithubClientOptions options = client_->options();
  options.api_url = origin;
  options.token.clear();
  // Chat services answer quickly or not at all: a few tries within a minute.
  options.max_attempts = 3;
  options.max_total_wait = std::chrono::minutes(1);
  GithubClient webhook(options, transport_, clock_);
  const auto response = webhook.post(path.empty() ? "/" : path, webhook_message(run, run.pr_url));
  if (response.ok()) {
    notes_.push_back("webhook notified");
    log("webhook: delivered");
  } else {
    // Never fatal: the run is recorded and judged already. The URL's path
    // is the webhook's secret too.
    const std::string error =
        SecretMasker(std::vector<std::string>{webhook_url_, path}).mask(response.error);
    notes_.push_back("webhook not delivered: " + error);
    log("webhook: not delivered: " + error);
  }
}

}  // namespace qgate
