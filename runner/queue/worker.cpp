#include "runner/queue/worker.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "runner/config/load_config.hpp"
#include "runner/core/exit_codes.hpp"
#include "runner/core/result.hpp"
#include "runner/core/secret_masker.hpp"
#include "runner/queue/git_workspace.hpp"
#include "runner/queue/run_log.hpp"
#include "runner/store/run_queue.hpp"
#include "runner/sys/check_child.hpp"
#include "runner/sys/process_identity.hpp"
#include "runner/sys/process_tree.hpp"

extern char** environ;

namespace qgate {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::array<int, 3> kStopSignals = {SIGTERM, SIGINT, SIGHUP};
constexpr auto kHeartbeat = std::chrono::milliseconds(500);
constexpr auto kKillGrace = std::chrono::seconds(1);

volatile sig_atomic_t g_stop_requests = 0;
extern "C" void on_stop_signal(int) { g_stop_requests = g_stop_requests + 1; }

// Installs the stop handlers and blocks those signals everywhere but inside
// ppoll(), so that a signal never slips in between a check and a wait.
class StopSignals {
 public:
  StopSignals() {
    sigset_t blocked;
    sigemptyset(&blocked);
    for (int signal : kStopSignals) sigaddset(&blocked, signal);
    sigprocmask(SIG_BLOCK, &blocked, &wait_mask_);
    for (int signal : kStopSignals) {
      struct sigaction action {};
      action.sa_handler = on_stop_signal;
      sigemptyset(&action.sa_mask);
      sigaction(signal, &action, nullptr);
      sigdelset(&wait_mask_, signal);
    }
  }
  // Waits until `fd` is readable (if >= 0), a stop signal arrives or
  // `timeout` passes.
  void wait(int fd, Clock::duration timeout) const {
    if (timeout < Clock::duration::zero()) timeout = Clock::duration::zero();
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
    timespec limit{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    pollfd poll_fd{fd, POLLIN, 0};
    ::ppoll(fd >= 0 ? &poll_fd : nullptr, fd >= 0 ? 1 : 0, &limit, &wait_mask_);
  }

 private:
  sigset_t wait_mask_{};
};

// The run id `qgate check` wrote into its JSON report, "" if none.
std::string run_id_from_report(const fs::path& report) {
  std::ifstream in(report);
  if (!in) return "";
  const auto json = nlohmann::json::parse(in, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return "";
  const auto* holder = &json;
  if (!json.contains("id") && json.contains("run")) holder = &json["run"];
  if (!holder->is_object() || !holder->contains("id") || !(*holder)["id"].is_string()) return "";
  const std::string id = (*holder)["id"].get<std::string>();
  return is_uuid(id) ? id : "";
}

// The run id in "... kept in DIR/.qgate/spool/ID.jsonl ..." in `log`, "" if none.
std::string run_id_from_spool_notice(const fs::path& log) {
  const std::string text = tail_of(log, 4000);
  const std::string marker = "/spool/";
  for (auto at = text.rfind(marker); at != std::string::npos;
       at = at == 0 ? std::string::npos : text.rfind(marker, at - 1)) {
    const std::string id = text.substr(at + marker.size(), 36);
    if (is_uuid(id) && text.compare(at + marker.size() + 36, 6, ".jsonl") == 0) return id;
  }
  return "";
}

std::string seconds_text(Clock::duration duration) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f s", std::chrono::duration<double>(duration).count());
  return buffer;
}

// The values that must never be logged: those of the worker's secret
// variables (QGATE_GIT_TOKEN among them, as *_TOKEN).
SecretMasker worker_masker(const std::vector<std::string>& environment) {
  std::vector<std::string> secrets = secret_values(environment, default_secret_patterns());
  for (const auto& entry : environment) {
    if (entry.starts_with("QGATE_GIT_TOKEN=")) secrets.push_back(entry.substr(16));
  }
  return SecretMasker(std::move(secrets));
}

std::vector<std::string> environment_now() {
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    env.emplace_back(*entry);
  }
  return env;
}

// What the worker runs for an item.
struct ItemPlan {
  bool from_git = false;           // a worktree of item.repository at item.ref
  fs::path config_path;            // the module's configuration
  fs::path state_dir;              // `qgate check --state-dir`, empty for the default
  std::vector<std::string> flags;  // of `qgate check`
};

// How an item's run ended, when not by itself.
enum class Ending { normal, cancelled, lost, handed_back };

// An item while the worker runs it: heartbeats, stop requests, cancels.
struct ItemRun {
  explicit ItemRun(const QueueItem& claimed)
      : item(claimed),
        started(Clock::now()),
        stops_before(g_stop_requests),
        next_beat(started + kHeartbeat) {}

  const QueueItem& item;
  Clock::time_point started;
  int stops_before = 0;
  Ending ending = Ending::normal;
  Clock::time_point next_beat;
  std::optional<Clock::time_point> stop_deadline;
  std::function<void()> on_beat;  // at each heartbeat, after the renewal
};

class Worker {
 public:
  Worker(const WorkerOptions& options, std::ostream& out, std::ostream& err)
      : options_(options),
        out_(out),
        err_(err),
        environment_(environment_now()),
        masker_(worker_masker(environment_)) {
    self_.host = host_name();
    self_.pid = ::getpid();
    self_.id = self_.host + "/" + std::to_string(self_.pid) + "/" + new_run_id().substr(0, 8);
    std::error_code ec;
    qgate_ = options.qgate_binary.empty() ? fs::read_symlink("/proc/self/exe", ec)
                                          : fs::path(options.qgate_binary);
    scratch_ = fs::temp_directory_path(ec) / ("qgate-worker-" + std::to_string(self_.pid));
    workspace_root_ =
        options.workspace_root.empty() ? default_workspace_root() : options.workspace_root;
    git_ = find_executable("git");
  }

  int run() {
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    if (!open_queue()) return g_stop_requests > 0 ? kExitPassed : kExitInternal;
    say("started (lease " + std::to_string(options_.lease_seconds) + " s)");
    int code = kExitPassed;
    while (g_stop_requests == 0) {
      sweep(false);
      std::optional<QueueItem> item;
      try {
        item = queue_->claim(self_, options_.lease_seconds);
      } catch (const StoreError& error) {
        complain(error.what());
        if (!error.unavailable()) {
          code = kExitInternal;
          break;
        }
        signals_.wait(-1, poll_pause());
        continue;
      }
      if (!item) {
        if (options_.mode != WorkerMode::forever) break;
        signals_.wait(-1, poll_pause());
        continue;
      }
      run_item(*item);
      if (options_.mode == WorkerMode::once) break;
    }
    std::error_code ignored;
    fs::remove_all(scratch_, ignored);
    say(g_stop_requests > 0 ? "stopped by a signal" : "stopped: nothing left to do");
    return code;
  }

 private:
  // Runs git for a workspace as children of the worker, heartbeating.
  class ItemGit final : public GitRunner {
   public:
    ItemGit(Worker& worker, ItemRun& run, fs::path log)
        : worker_(worker), run_(run), log_(std::move(log)) {}
    GitOutcome run(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                   const fs::path& cwd, bool stoppable) override {
      GitOutcome outcome;
      if (stoppable && run_.ending != Ending::normal) return outcome;
      try {
        CheckChild child(argv, env, cwd, log_);
        worker_.wait_child(run_, child, stoppable);
        outcome.exit_code =
            child.term_signal() != 0 ? 128 + child.term_signal() : child.exit_code();
      } catch (const std::exception& error) {
        outcome.exit_code = 127;
        outcome.output = error.what();
        outcome.ran = true;
        return outcome;
      }
      outcome.ran = !stoppable || run_.ending == Ending::normal;
      outcome.output = tail_of(log_, 4000);
      return outcome;
    }
    bool pause() override { return worker_.pause(run_, std::chrono::milliseconds(100)); }

   private:
    Worker& worker_;
    ItemRun& run_;
    fs::path log_;
  };

  Clock::duration poll_pause() const {
    return std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(options_.poll_seconds));
  }

  bool open_queue() {
    // A worker started before its database waits for it, as a service should.
    while (true) {
      try {
        queue_ = open_run_queue(options_.database_url);
        return true;
      } catch (const StoreError& error) {
        complain(error.what());
        if (!error.unavailable() || options_.mode != WorkerMode::forever) return false;
      }
      signals_.wait(-1, std::chrono::seconds(2));
      if (g_stop_requests > 0) return false;
    }
  }

  // Sweeps expired leases of dead workers, at most once a second unless `now`.
  void sweep(bool now) {
    const auto time = Clock::now();
    if (!now && time - last_sweep_ < std::chrono::seconds(1)) return;
    last_sweep_ = time;
    try {
      const SweepOutcome swept = queue_->sweep_expired();
      if (swept.requeued + swept.interrupted + swept.cancelled > 0) {
        say("expired leases: " + std::to_string(swept.requeued) + " queued again, " +
            std::to_string(swept.interrupted) + " interrupted, " + std::to_string(swept.cancelled) +
            " cancelled");
      }
    } catch (const StoreError& error) {
      complain(error.what());
    }
  }

  // Renews the lease when a beat is due and notes stop signals: sets
  // run.ending when the item must stop (first reason wins).
  void tick(ItemRun& run) {
    const auto now = Clock::now();
    auto end_as = [&](Ending why) {
      if (run.ending == Ending::normal) run.ending = why;
    };
    if (now >= run.next_beat) {
      run.next_beat = now + kHeartbeat;
      try {
        const LeaseState lease = queue_->renew(run.item, options_.lease_seconds);
        if (lease == LeaseState::cancel_requested) end_as(Ending::cancelled);
        if (lease == LeaseState::lost) end_as(Ending::lost);
      } catch (const StoreError& error) {
        // Tried again at the next beat; the lease outlasts a short outage.
        complain(error.what());
      }
      if (run.on_beat) run.on_beat();
      sweep(false);
    }
    // The first stop signal lets the run finish (within --stop-timeout);
    // a second one, or the end of that time, hands the item back.
    if (g_stop_requests > run.stops_before && !run.stop_deadline) {
      run.stop_deadline = now + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(options_.stop_seconds));
      say("stopping: waiting for " + run.item.id + " to finish");
    }
    if (run.stop_deadline &&
        (now >= *run.stop_deadline || g_stop_requests > run.stops_before + 1)) {
      end_as(Ending::handed_back);
    }
  }

  // Waits for `child` to end, heartbeating; when the item must stop and
  // `stoppable`, sends it SIGTERM, then SIGKILL after a grace.
  void wait_child(ItemRun& run, CheckChild& child, bool stoppable) {
    std::optional<Clock::time_point> kill_at;
    while (!child.try_reap()) {
      auto wake = run.next_beat;
      if (kill_at) wake = std::min(wake, *kill_at);
      if (run.stop_deadline) wake = std::min(wake, *run.stop_deadline);
      const bool has_fd = child.wait_fd() >= 0;
      signals_.wait(
          child.wait_fd(),
          has_fd ? wake - Clock::now()
                 : std::min<Clock::duration>(wake - Clock::now(), std::chrono::milliseconds(20)));
      tick(run);
      const auto now = Clock::now();
      if (stoppable && run.ending != Ending::normal && !kill_at) {
        child.signal(SIGTERM);
        kill_at = now + kKillGrace;
      }
      if (kill_at && now >= *kill_at) {
        child.signal(SIGKILL);
        kill_at = now + kKillGrace;
      }
    }
  }

  // Waits up to `duration`, heartbeating; returns false when the item must stop.
  bool pause(ItemRun& run, Clock::duration duration) {
    const auto until = Clock::now() + duration;
    while (run.ending == Ending::normal && Clock::now() < until) {
      auto wake = std::min(until, run.next_beat);
      if (run.stop_deadline) wake = std::min(wake, *run.stop_deadline);
      signals_.wait(-1, wake - Clock::now());
      tick(run);
    }
    return run.ending == Ending::normal;
  }

  // Returns why the configuration at `config_path` cannot be run for
  // module `module_id` ("" if it can).
  static std::string config_problem(const fs::path& config_path, const std::string& module_id) {
    try {
      const Config config = load_config(config_path);
      if (config.module.id != module_id) {
        return config_path.string() + " is the configuration of module " + config.module.id +
               ", not of " + module_id;
      }
    } catch (const ConfigError& error) {
      std::string text;
      for (const auto& d : error.diagnostics()) text += format_diagnostic(d) + "\n";
      if (!text.empty()) text.pop_back();
      return text.empty() ? config_path.string() + " cannot be read" : text;
    }
    return "";
  }

  // Returns `path` if it lies under --modules-root (or there is none), else
  // the problem.
  std::string outside_modules_root(const fs::path& folder, const std::string& what) const {
    if (options_.modules_root.empty()) return "";
    std::error_code ec;
    const fs::path root = fs::canonical(options_.modules_root, ec);
    const auto relative = folder.lexically_relative(root);
    if (ec || relative.empty() || *relative.begin() == "..") {
      return what + " is outside " + options_.modules_root.string() + " (--modules-root)";
    }
    return "";
  }

  // Returns why `item` cannot be run ("" if it can), and what to run.
  std::string check_item(const QueueItem& item, ItemPlan& plan) {
    QueueRequest request;
    request.module_id = item.module_id;
    request.checkout_id = item.checkout_id;
    request.ref = item.ref;
    request.module_path = item.module_path;
    request.repository = item.repository;
    request.options_json = item.options_json;
    request.max_attempts = item.max_attempts;
    // Rows may have been written by anything: checked again before use.
    if (std::string problem = validate_queue_request(request); !problem.empty()) return problem;
    const auto options = nlohmann::json::parse(item.options_json, nullptr, false);
    int jobs = options_.jobs;
    if (options.is_object() && options.contains("jobs")) jobs = options["jobs"].get<int>();
    if (jobs > 0) plan.flags.insert(plan.flags.end(), {"-j", std::to_string(jobs)});
    if (options.is_object() && options.value("fail_fast", false)) {
      plan.flags.push_back("--fail-fast");
    }
    if (options.is_object() && options.value("open_pr", false)) plan.flags.push_back("--open-pr");

    std::error_code ec;
    if (item.module_path.empty()) {
      plan.from_git = true;
      // A local repository is held to --modules-root as a module folder is.
      std::string local = item.repository;
      if (local.starts_with("file://")) local = local.substr(7);
      if (local.starts_with("/")) {
        const fs::path folder = fs::weakly_canonical(local, ec);
        if (std::string problem = outside_modules_root(folder, "repository " + item.repository);
            !problem.empty()) {
          return problem;
        }
      }
      return "";
    }
    const fs::path folder = fs::canonical(item.module_path, ec);
    if (ec || !fs::is_directory(folder, ec)) {
      return "module folder " + item.module_path + " does not exist on " + self_.host;
    }
    if (std::string problem = outside_modules_root(folder, "module folder " + item.module_path);
        !problem.empty()) {
      return problem;
    }
    plan.config_path = folder / "integration-requirements.yaml";
    return config_problem(plan.config_path, item.module_id);
  }

  void run_item(const QueueItem& item) {
    ItemRun run(item);
    say("claimed " + item.id + " (module " + item.module_id + ", attempt " +
        std::to_string(item.attempts) + " of " + std::to_string(item.max_attempts) + ")");
    RunLog log(*queue_, item, masker_, [this](const std::string& text) { complain(text); });
    run.on_beat = [&log] { log.flush(); };
    if (item.log_seq > 0) {
      log.add("== attempt " + std::to_string(item.attempts) + " of " +
              std::to_string(item.max_attempts) + " (worker " + self_.id + ") ==\n");
    }
    const fs::path scratch = scratch_ / item.id;
    std::error_code ec;
    fs::create_directories(scratch, ec);

    ItemPlan plan;
    std::string problem = check_item(item, plan);
    if (!problem.empty()) {
      refuse(run, log, scratch, kExitUsage, problem);
      return;
    }
    ItemGit git(*this, run, scratch / "git.log");
    std::optional<GitWorkspace> workspace;
    if (plan.from_git) {
      workspace.emplace(GitSettings{workspace_root_, git_, qgate_, environment_}, git, masker_);
      int code = kExitUsage;
      const auto prepared = workspace->prepare(item.repository, item.ref, item.id, problem, code);
      if (prepared != GitWorkspace::Outcome::ready) {
        workspace->remove();
        refuse(run, log, scratch, prepared == GitWorkspace::Outcome::stopped ? -1 : code, problem);
        return;
      }
      const std::string shown = masker_.mask(without_url_userinfo(item.repository));
      say(item.id + ": " + (workspace->cloned() ? "cloned " : "fetched ") + shown + ", " +
          (item.ref.empty() ? std::string("HEAD") : item.ref) + " is " + workspace->commit());
      log.add("== " + shown + " at " + (item.ref.empty() ? std::string("HEAD") : item.ref) +
              ": commit " + workspace->commit() + " ==\n");
      plan.config_path = workspace->folder() / "integration-requirements.yaml";
      problem = config_problem(plan.config_path, item.module_id);
      if (!problem.empty()) {
        workspace->remove();
        refuse(run, log, scratch, kExitUsage, problem);
        return;
      }
      // The module's state outlives the worktree: a run spooled while the
      // database was away is recorded by the module's next run.
      plan.state_dir = workspace_root_ / "state" / item.module_id;
    }

    const fs::path report = scratch / "report.json";
    const fs::path output = scratch / "output.log";
    // The command is fixed here: the module's own configuration decides
    // what runs; the queue row gives only checked ids, the folder or the
    // repository and ref, and checked options.
    std::vector<std::string> argv = {
        qgate_.string(),          "check", "--ci", "-c", plan.config_path.string(), "--report",
        "json=" + report.string()};
    if (!plan.state_dir.empty()) argv.insert(argv.end(), {"--state-dir", plan.state_dir.string()});
    if (!item.checkout_id.empty()) argv.insert(argv.end(), {"--checkout", item.checkout_id});
    argv.insert(argv.end(), plan.flags.begin(), plan.flags.end());
    // The URL goes through the environment, where other users cannot read
    // it as they can read a command line. The git token is the worker's
    // own: the module's steps never see it.
    std::vector<std::string> env;
    for (const auto& entry : environment_) {
      if (!entry.starts_with("QGATE_DATABASE_URL=") && !entry.starts_with("QGATE_GIT_TOKEN=") &&
          !entry.starts_with("QGATE_GIT_USERNAME=") && !entry.starts_with("QGATE_GIT_ASKPASS=")) {
        env.push_back(entry);
      }
    }
    env.push_back("QGATE_DATABASE_URL=" + options_.database_url);

    std::optional<CheckChild> child;
    try {
      child.emplace(argv, env, plan.config_path.parent_path(), output);
    } catch (const std::exception& error) {
      if (workspace) workspace->remove();
      refuse(run, log, scratch, kExitInternal, error.what());
      return;
    }
    run.on_beat = [&log, &output] {
      log.follow(output, false);
      log.flush();
    };
    wait_child(run, *child, true);
    run.on_beat = [&log] { log.flush(); };

    std::string run_id = run_id_from_report(report);
    // No report when the database was away for the whole run: `qgate check`
    // kept the results in its spool (recorded by the module's next run) and
    // named the file, whose name is the run id.
    if (run_id.empty()) run_id = run_id_from_spool_notice(output);
    const int exit_code =
        child->term_signal() != 0 ? 128 + child->term_signal() : child->exit_code();
    std::string message;
    const bool child_killed = child->term_signal() != 0;
    if (child_killed) {
      message = std::string("qgate check was killed by signal ") + strsignal(child->term_signal());
    } else if (exit_code != kExitPassed && exit_code != kExitFailed) {
      message = masker_.mask(tail_of(output, 2000));
    }
    child.reset();
    if (const int left = kill_leftovers(); left > 0) {
      say("killed " + std::to_string(left) + " process(es) that " + item.id + " left behind");
    }
    log.follow(output, true);
    if (child_killed) log.add("qgate worker: " + message + "\n");
    const bool all_logged = add_step_logs(log, report);
    if (workspace) {
      workspace->remove();
      // The step logs are the item's log now (written before its end); the
      // module's state keeps only what its next run needs (the spool).
      if (all_logged && !run_id.empty()) fs::remove_all(plan.state_dir / "runs" / run_id, ec);
    }
    conclude(run, log, scratch, run_id, exit_code, message);
  }

  // Ends `run` with `problem` before `qgate check` ran, the log saying why.
  void refuse(ItemRun& run, RunLog& log, const fs::path& scratch, int exit_code,
              const std::string& problem) {
    if (run.ending == Ending::normal) log.add("qgate worker: " + problem + "\n");
    conclude(run, log, scratch, "", exit_code, problem);
  }

  // Ends `run`: writes the rest of its log, then records how it ended
  // (`exit_code` -1: stopped before `qgate check` ran).
  void conclude(ItemRun& run, RunLog& log, const fs::path& scratch, const std::string& run_id,
                int exit_code, const std::string& message) {
    std::error_code ec;
    fs::remove_all(scratch, ec);
    const QueueItem& item = run.item;
    if (run.ending == Ending::lost) {
      say("lost the lease of " + item.id + ": stopped it; another worker runs it again");
      return;
    }
    log.close();
    // The log is complete before the item's end is: a reader that sees the
    // item finished has its whole log.
    while (!log.flush()) signals_.wait(-1, std::chrono::seconds(1));
    switch (run.ending) {
      case Ending::lost:
        return;
      case Ending::handed_back:
        try {
          queue_->hand_back(item);
          say("handed back " + item.id);
        } catch (const StoreError& error) {
          complain(error.what());
        }
        return;
      case Ending::cancelled:
        record(item, "cancelled", run_id, exit_code < 0 ? kExitCancelled : exit_code,
               exit_code < 0 ? "cancelled before qgate check started" : "cancelled while running",
               run.started);
        return;
      case Ending::normal:
        record(item, "finished", run_id, exit_code, message, run.started);
        return;
    }
  }

  // Records the end of `item`, waiting out a database that is away: the run
  // itself is recorded (or spooled) by `qgate check`, and its queue item must
  // not be lost either. Gives up when the lease has been lost meanwhile.
  void record(const QueueItem& item, const std::string& status, const std::string& run_id,
              int exit_code, const std::string& message, Clock::time_point started) {
    while (true) {
      try {
        if (queue_->finish(item, status, run_id, exit_code, message)) {
          say(item.id + " " + status + ": exit " + std::to_string(exit_code) +
              (run_id.empty() ? "" : ", run " + run_id) + " (" +
              seconds_text(Clock::now() - started) + ")" +
              (message.empty() || exit_code == kExitCancelled ? "" : ": " + message));
        } else {
          say("lost the lease of " + item.id + " before recording its end");
        }
        return;
      } catch (const StoreError& error) {
        complain(error.what());
        if (!error.unavailable()) return;
      }
      signals_.wait(-1, std::chrono::seconds(1));
    }
  }

  void say(const std::string& text) {
    out_ << "qgate worker " << self_.id << ": " << masker_.mask(text) << std::endl;
  }
  void complain(const std::string& text) {
    err_ << "qgate worker " << self_.id << ": " << masker_.mask(without_url_userinfo(text))
         << std::endl;
  }

  const WorkerOptions& options_;
  std::ostream& out_;
  std::ostream& err_;
  StopSignals signals_;
  QueueWorker self_;
  std::vector<std::string> environment_;
  SecretMasker masker_;
  fs::path qgate_;
  fs::path git_;
  fs::path scratch_;
  fs::path workspace_root_;
  std::unique_ptr<RunQueue> queue_;
  Clock::time_point last_sweep_{};
};

// Runs `count` worker processes and starts again any that dies, until a stop
// signal (forwarded to them) or, outside forever mode, until all are done.
int supervise(const WorkerOptions& options, std::ostream& out, std::ostream& err) {
  sigset_t waited;
  sigemptyset(&waited);
  for (int signal : kStopSignals) sigaddset(&waited, signal);
  sigaddset(&waited, SIGCHLD);
  sigset_t previous;
  sigprocmask(SIG_BLOCK, &waited, &previous);
  const pid_t supervisor = ::getpid();
  std::map<pid_t, Clock::time_point> children;  // pid, started
  std::vector<Clock::time_point> restarts;      // when to start one again
  auto start_one = [&]() -> bool {
    out.flush();
    err.flush();
    const pid_t pid = ::fork();
    if (pid < 0) {
      err << "qgate worker: cannot fork: " << strerror(errno) << "\n";
      return false;
    }
    if (pid == 0) {
      // A worker outlives no supervisor: killed with -9, it stops its workers.
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != supervisor) ::_exit(0);
      // The stop signals stay blocked: the worker lets them in only while it waits.
      WorkerOptions one = options;
      one.workers = 1;
      int code = kExitInternal;
      {
        Worker worker(one, out, err);
        code = worker.run();
      }
      out.flush();
      err.flush();
      ::_exit(code);
    }
    children.emplace(pid, Clock::now());
    return true;
  };
  for (int i = 0; i < options.workers; ++i) {
    if (!start_one()) break;
  }
  bool stopping = false;
  int code = kExitPassed;
  while (!children.empty() || (!stopping && !restarts.empty())) {
    timespec second{1, 0};
    const int signal = ::sigtimedwait(&waited, nullptr, &second);
    if (signal == SIGTERM || signal == SIGINT || signal == SIGHUP) {
      stopping = true;
      restarts.clear();
      for (const auto& [pid, started] : children) ::kill(pid, signal);
    }
    int status = 0;
    pid_t pid = 0;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      const auto it = children.find(pid);
      if (it == children.end()) continue;
      const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
      const auto lived = Clock::now() - it->second;
      children.erase(it);
      if (clean || stopping) continue;
      if (options.mode != WorkerMode::forever) {
        code = WIFEXITED(status) ? WEXITSTATUS(status) : kExitInternal;
        continue;
      }
      err << "qgate worker: worker " << pid << " died ("
          << (WIFSIGNALED(status) ? std::string("signal ") + strsignal(WTERMSIG(status))
                                  : "exit " + std::to_string(WEXITSTATUS(status)))
          << "); starting another\n";
      // One that dies at once is not started again in a tight loop.
      restarts.push_back(Clock::now() + (lived < std::chrono::seconds(5)
                                             ? std::chrono::seconds(5)
                                             : std::chrono::seconds(1)));
    }
    const auto now = Clock::now();
    for (auto it = restarts.begin(); it != restarts.end();) {
      if (*it <= now && !stopping) {
        start_one();
        it = restarts.erase(it);
      } else {
        ++it;
      }
    }
  }
  sigprocmask(SIG_SETMASK, &previous, nullptr);
  return code;
}

}  // namespace

int run_worker(const WorkerOptions& options, std::ostream& out, std::ostream& err) {
  if (options.database_url.empty()) {
    err << "qgate worker: give --database-url or set QGATE_DATABASE_URL\n";
    return kExitUsage;
  }
  if (options.workers > 1) return supervise(options, out, err);
  Worker worker(options, out, err);
  return worker.run();
}

}  // namespace qgate
