#include "runner/worker.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "runner/config.hpp"
#include "runner/process_identity.hpp"
#include "runner/result.hpp"
#include "runner/run_check.hpp"
#include "runner/run_queue.hpp"

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

int open_pidfd(pid_t pid) {
#if defined(SYS_pidfd_open)
  const long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0) {
    ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
    return static_cast<int>(fd);
  }
#endif
  (void)pid;
  return -1;
}

// A `qgate check` child: its own process group, stdin from /dev/null,
// stdout and stderr into `log`. Killed with its group if still running when
// the handle goes.
class CheckChild {
 public:
  CheckChild(const std::vector<std::string>& argv, const std::vector<std::string>& env,
             const fs::path& cwd, const fs::path& log) {
    // Everything the child needs is prepared before fork: between fork and
    // exec it only makes system calls.
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<char*> envp;
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) throw std::runtime_error("cannot write " + log.string() + ": " + strerror(errno));
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) {
      ::close(out);
      throw std::runtime_error(std::string("cannot fork: ") + strerror(errno));
    }
    if (pid_ == 0) {
      ::setpgid(0, 0);
      // A worker killed with -9 takes its run down with it: SIGTERM lets
      // `qgate check` stop its steps and record the run as cancelled.
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(127);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      for (int signal : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) {
        ::signal(signal, SIG_DFL);
      }
      const int in = ::open("/dev/null", O_RDONLY);
      if (in < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0 ||
          ::chdir(cwd.c_str()) != 0) {
        ::_exit(127);
      }
      ::execve(args[0], args.data(), envp.data());
      ::_exit(127);
    }
    ::close(out);
    ::setpgid(pid_, pid_);
    pidfd_ = open_pidfd(pid_);
  }
  ~CheckChild() {
    if (!reaped_) {
      signal(SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (pidfd_ >= 0) ::close(pidfd_);
  }
  CheckChild(const CheckChild&) = delete;
  CheckChild& operator=(const CheckChild&) = delete;

  int wait_fd() const { return pidfd_; }
  // Reaps the child if it has ended; returns true once it has.
  bool try_reap() {
    if (reaped_) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
    reaped_ = true;
    if (WIFEXITED(status)) exit_code_ = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) term_signal_ = WTERMSIG(status);
    return true;
  }
  // Sends `signal` to the child's process group (and the child itself, in
  // case it left the group).
  void signal(int signal) const {
    ::kill(-pid_, signal);
    ::kill(pid_, signal);
  }
  int exit_code() const { return exit_code_; }
  int term_signal() const { return term_signal_; }

 private:
  pid_t pid_ = -1;
  int pidfd_ = -1;
  bool reaped_ = false;
  int exit_code_ = -1;
  int term_signal_ = 0;
};

std::string tail_of(const fs::path& path, std::size_t bytes) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > bytes) text = "..." + text.substr(text.size() - bytes);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

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

// The children of process `parent` (from /proc), zombies included.
std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> children;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    std::getline(in, stat);
    // pid (comm) state ppid ...; comm may hold spaces and parentheses.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    long ppid = 0;
    if (std::sscanf(stat.c_str() + close + 1, " %c %ld", &state, &ppid) == 2 && ppid == parent) {
      children.push_back(static_cast<pid_t>(std::stol(name)));
    }
  }
  return children;
}

// Kills and reaps whatever a run left behind. The worker is a child
// subreaper, so a step's process that outlived its parent (a grandchild
// ignoring SIGTERM when `qgate check` was killed, a daemon a step started)
// is re-parented to the worker instead of to init, and can be found here.
// Returns how many were killed.
int kill_leftovers() {
  int killed = 0;
  const pid_t self = ::getpid();
  for (int round = 0; round < 100; ++round) {
    int status = 0;
    while (::waitpid(-1, &status, WNOHANG) > 0) {
    }
    const std::vector<pid_t> children = children_of(self);
    if (children.empty()) break;
    for (pid_t pid : children) {
      const pid_t group = ::getpgid(pid);
      if (group > 0 && group != ::getpgrp()) ::kill(-group, SIGKILL);
      ::kill(pid, SIGKILL);
      ++killed;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return killed;
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

class Worker {
 public:
  Worker(const WorkerOptions& options, std::ostream& out, std::ostream& err)
      : options_(options), out_(out), err_(err) {
    self_.host = host_name();
    self_.pid = ::getpid();
    self_.id = self_.host + "/" + std::to_string(self_.pid) + "/" + new_run_id().substr(0, 8);
    std::error_code ec;
    qgate_ = fs::read_symlink("/proc/self/exe", ec);
    scratch_ = fs::temp_directory_path(ec) / ("qgate-worker-" + std::to_string(self_.pid));
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

  // Returns why `item` cannot be run ("" if it can), and its config file.
  std::string check_item(const QueueItem& item, fs::path& config_path,
                         std::vector<std::string>& flags) {
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
    std::error_code ec;
    const fs::path folder = fs::canonical(item.module_path, ec);
    if (ec || !fs::is_directory(folder, ec)) {
      return "module folder " + item.module_path + " does not exist on " + self_.host;
    }
    if (!options_.modules_root.empty()) {
      const fs::path root = fs::canonical(options_.modules_root, ec);
      const auto relative = folder.lexically_relative(root);
      if (ec || relative.empty() || *relative.begin() == "..") {
        return "module folder " + item.module_path + " is outside " +
               options_.modules_root.string() + " (--modules-root)";
      }
    }
    config_path = folder / "integration-requirements.yaml";
    try {
      const Config config = load_config(config_path);
      if (config.module.id != item.module_id) {
        return config_path.string() + " is the configuration of module " + config.module.id +
               ", not of " + item.module_id;
      }
    } catch (const ConfigError& error) {
      std::string text;
      for (const auto& d : error.diagnostics()) text += format_diagnostic(d) + "\n";
      if (!text.empty()) text.pop_back();
      return text;
    }
    const auto options = nlohmann::json::parse(item.options_json, nullptr, false);
    int jobs = options_.jobs;
    if (options.is_object() && options.contains("jobs")) jobs = options["jobs"].get<int>();
    if (jobs > 0) flags.insert(flags.end(), {"-j", std::to_string(jobs)});
    if (options.is_object() && options.value("fail_fast", false)) flags.push_back("--fail-fast");
    return "";
  }

  void run_item(const QueueItem& item) {
    const auto started = Clock::now();
    say("claimed " + item.id + " (module " + item.module_id + ", attempt " +
        std::to_string(item.attempts) + " of " + std::to_string(item.max_attempts) + ")");
    fs::path config_path;
    std::vector<std::string> flags;
    if (const std::string problem = check_item(item, config_path, flags); !problem.empty()) {
      record(item, "finished", "", kExitUsage, problem, started);
      return;
    }
    const fs::path scratch = scratch_ / item.id;
    std::error_code ec;
    fs::create_directories(scratch, ec);
    const fs::path report = scratch / "report.json";
    const fs::path log = scratch / "output.log";

    // The command is fixed here: the module's own configuration decides
    // what runs; the queue row gives only checked ids and the folder.
    std::vector<std::string> argv = {
        qgate_.string(),          "check", "--ci", "-c", config_path.string(), "--report",
        "json=" + report.string()};
    if (!item.checkout_id.empty()) argv.insert(argv.end(), {"--checkout", item.checkout_id});
    argv.insert(argv.end(), flags.begin(), flags.end());
    // The URL goes through the environment, where other users cannot read
    // it as they can read a command line.
    std::vector<std::string> env;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
      if (std::strncmp(*entry, "QGATE_DATABASE_URL=", 19) != 0) env.emplace_back(*entry);
    }
    env.push_back("QGATE_DATABASE_URL=" + options_.database_url);

    std::optional<CheckChild> child;
    try {
      child.emplace(argv, env, config_path.parent_path(), log);
    } catch (const std::exception& error) {
      record(item, "finished", "", kExitInternal, error.what(), started);
      return;
    }

    enum class Ending { normal, cancelled, lost, handed_back };
    Ending ending = Ending::normal;
    std::optional<Clock::time_point> kill_at;
    std::optional<Clock::time_point> stop_deadline;
    auto next_beat = Clock::now() + kHeartbeat;
    const int stops_before = g_stop_requests;
    auto stop_child = [&](Ending why) {
      if (kill_at) return;
      ending = why;
      child->signal(SIGTERM);
      kill_at = Clock::now() + kKillGrace;
    };
    while (!child->try_reap()) {
      auto wake = next_beat;
      if (kill_at) wake = std::min(wake, *kill_at);
      if (stop_deadline) wake = std::min(wake, *stop_deadline);
      const bool has_fd = child->wait_fd() >= 0;
      signals_.wait(
          child->wait_fd(),
          has_fd ? wake - Clock::now()
                 : std::min<Clock::duration>(wake - Clock::now(), std::chrono::milliseconds(20)));
      const auto now = Clock::now();
      if (now >= next_beat) {
        next_beat = now + kHeartbeat;
        try {
          const LeaseState lease = queue_->renew(item, options_.lease_seconds);
          if (lease == LeaseState::cancel_requested) stop_child(Ending::cancelled);
          if (lease == LeaseState::lost) stop_child(Ending::lost);
        } catch (const StoreError& error) {
          // Tried again at the next beat; the lease outlasts a short outage.
          complain(error.what());
        }
        sweep(false);
      }
      // The first stop signal lets the run finish (within --stop-timeout);
      // a second one, or the end of that time, hands the item back.
      if (g_stop_requests > stops_before && !stop_deadline) {
        stop_deadline = now + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(options_.stop_seconds));
        say("stopping: waiting for " + item.id + " to finish");
      }
      if (stop_deadline && (now >= *stop_deadline || g_stop_requests > stops_before + 1)) {
        stop_child(Ending::handed_back);
      }
      if (kill_at && now >= *kill_at) {
        child->signal(SIGKILL);
        kill_at = now + kKillGrace;
      }
    }

    std::string run_id = run_id_from_report(report);
    // No report when the database was away for the whole run: `qgate check`
    // kept the results in its spool (recorded by the module's next run) and
    // named the file, whose name is the run id.
    if (run_id.empty()) run_id = run_id_from_spool_notice(log);
    const int exit_code =
        child->term_signal() != 0 ? 128 + child->term_signal() : child->exit_code();
    std::string message;
    if (child->term_signal() != 0) {
      message = std::string("qgate check was killed by signal ") + strsignal(child->term_signal());
    } else if (exit_code != kExitPassed && exit_code != kExitFailed) {
      message = tail_of(log, 2000);
    }
    child.reset();
    if (const int left = kill_leftovers(); left > 0) {
      say("killed " + std::to_string(left) + " process(es) that " + item.id + " left behind");
    }
    fs::remove_all(scratch, ec);

    switch (ending) {
      case Ending::lost:
        say("lost the lease of " + item.id + ": stopped it; another worker runs it again");
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
        record(item, "cancelled", run_id, exit_code, "cancelled while running", started);
        return;
      case Ending::normal:
        record(item, "finished", run_id, exit_code, message, started);
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
    out_ << "qgate worker " << self_.id << ": " << text << std::endl;
  }
  void complain(const std::string& text) {
    err_ << "qgate worker " << self_.id << ": " << text << std::endl;
  }

  const WorkerOptions& options_;
  std::ostream& out_;
  std::ostream& err_;
  StopSignals signals_;
  QueueWorker self_;
  fs::path qgate_;
  fs::path scratch_;
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
