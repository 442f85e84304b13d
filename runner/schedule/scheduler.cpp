#include "runner/schedule/scheduler.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <deque>
#include <memory>
#include <optional>

#include "runner/core/duration.hpp"
#include "runner/schedule/output_sink.hpp"
#include "runner/sys/process_tree.hpp"
#include "runner/sys/subprocess.hpp"

namespace qgate {
namespace {

using Clock = std::chrono::steady_clock;

volatile sig_atomic_t g_cancel_signal = 0;
volatile sig_atomic_t g_cancel_count = 0;

extern "C" void on_cancel_signal(int signal) {
  g_cancel_signal = signal;
  g_cancel_count = g_cancel_count + 1;
}

// How long processes that outlive a step's first process may keep its
// output open before they are killed.
constexpr std::chrono::milliseconds kLeftoverGrace{2000};

constexpr std::array<int, 3> kCancelSignals = {SIGINT, SIGTERM, SIGHUP};

// Installs the cancel handlers and blocks those signals everywhere but inside
// ppoll(), so a signal can never slip in between a check and a wait.
class SignalScope {
 public:
  SignalScope() {
    g_cancel_signal = 0;
    g_cancel_count = 0;
    sigset_t block;
    sigemptyset(&block);
    for (std::size_t i = 0; i < kCancelSignals.size(); ++i) {
      sigaddset(&block, kCancelSignals[i]);
      struct sigaction action {};
      action.sa_handler = on_cancel_signal;
      sigemptyset(&action.sa_mask);
      sigaction(kCancelSignals[i], &action, &old_actions_[i]);
    }
    sigprocmask(SIG_BLOCK, &block, &old_mask_);
    wait_mask_ = old_mask_;
    for (int signal : kCancelSignals) sigdelset(&wait_mask_, signal);
  }
  ~SignalScope() {
    sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
    for (std::size_t i = 0; i < kCancelSignals.size(); ++i) {
      sigaction(kCancelSignals[i], &old_actions_[i], nullptr);
    }
  }
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;
  const sigset_t* wait_mask() const { return &wait_mask_; }

 private:
  sigset_t old_mask_{};
  sigset_t wait_mask_{};
  std::array<struct sigaction, 3> old_actions_{};
};

struct RunningStep {
  std::size_t index = 0;
  Subprocess process;
  StepMarks marks;
  Clock::time_point deadline;
  std::optional<Clock::time_point> kill_at;  // SIGKILL then, if still alive
  bool stopping = false;                     // SIGTERM sent
  bool timed_out = false;
  bool cancelled = false;
  bool leftovers = false;     // the first process exited, others hold the output
  bool output_ready = false;  // the last ppoll saw output (or EOF)
  bool exit_ready = false;    // the last ppoll saw the child exit
};

std::string describe_exit(const StepSpec& step, const RunningStep& running) {
  if (running.cancelled) return "cancelled";
  if (running.timed_out) {
    return "timed out after " + format_seconds(static_cast<double>(step.timeout.count()) / 1000.0);
  }
  if (running.process.term_signal() != 0) {
    return std::string("killed by signal ") + std::to_string(running.process.term_signal()) + " (" +
           strsignal(running.process.term_signal()) + ")";
  }
  if (running.process.exit_code() == 0) return "";
  return "exited with " + std::to_string(running.process.exit_code());
}

class Scheduler {
 public:
  Scheduler(const std::vector<StepSpec>& steps, const SchedulerOptions& options,
            const SecretMasker& masker, SchedulerObserver* observer)
      : steps_(steps), options_(options), masker_(masker), observer_(observer) {
    tag_prefix_ = options.process_tag;
    if (tag_prefix_.empty()) {
      tag_prefix_ = std::to_string(::getpid()) + "-" +
                    std::to_string(Clock::now().time_since_epoch().count());
    }
    outcome_.results.resize(steps.size());
    sinks_.resize(steps.size());
    first_start_.resize(steps.size());
    // Exclusive steps (tools that rewrite files) go first, one at a time, so
    // the others see the files they leave behind.
    for (std::size_t i = 0; i < steps.size(); ++i) {
      if (steps[i].exclusive) pending_.push_back(i);
    }
    for (std::size_t i = 0; i < steps.size(); ++i) {
      if (!steps[i].exclusive) pending_.push_back(i);
    }
    for (std::size_t i = 0; i < steps.size(); ++i) {
      StepResult& result = outcome_.results[i];
      result.gate = steps[i].gate;
      result.name = steps[i].name;
      result.command = steps[i].command;
      result.log_path = steps[i].log_path.string();
    }
  }

  ScheduleOutcome run() {
    SignalScope signals;
    const int jobs = std::max(1, options_.jobs);
    while (!pending_.empty() || !running_.empty()) {
      if (g_cancel_count != signals_seen_) {
        signals_seen_ = g_cancel_count;
        if (!outcome_.cancelled) {
          outcome_.cancelled = true;
          outcome_.cancel_signal = g_cancel_signal;
          stop_all();
        } else {
          // Asked twice: no more grace.
          for (auto& r : running_) r.kill_at = Clock::now();
        }
      }
      if (stopping_all_) skip_pending();
      skip_unmet_needs();
      while (!stopping_all_ && static_cast<int>(running_.size()) < jobs) {
        // The first step in order whose needs have all passed.
        const std::size_t ready = first_ready();
        if (ready == pending_.size()) break;
        const std::size_t next = pending_[ready];
        const bool exclusive_running =
            std::any_of(running_.begin(), running_.end(),
                        [&](const RunningStep& r) { return steps_[r.index].exclusive; });
        if (exclusive_running || (steps_[next].exclusive && !running_.empty())) break;
        pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(ready));
        start(next);
      }
      if (running_.empty()) {
        // Nothing runs and nothing could start: needs that wait on each
        // other (the config refuses them; a caller's steps may not).
        if (!pending_.empty() && first_ready() == pending_.size()) skip_circular_needs();
        continue;
      }
      wait(signals);
      service();
    }
    return std::move(outcome_);
  }

 private:
  void start(std::size_t index) {
    const StepSpec& step = steps_[index];
    StepResult& result = outcome_.results[index];
    const auto now = Clock::now();
    if (result.attempts == 0) first_start_[index] = now;
    ++result.attempts;
    if (!sinks_[index]) {
      sinks_[index] = std::make_unique<OutputSink>(step.log_path, masker_, options_.tail_bytes);
    }
    if (observer_ != nullptr) observer_->step_started(index, step);
    if (!step.out_dir.empty() && ::mkdir(step.out_dir.c_str(), 0755) != 0 && errno == ENOENT) {
      std::error_code ignored;
      std::filesystem::create_directories(step.out_dir, ignored);
    }
    try {
      RunningStep running;
      running.index = index;
      running.marks.tag =
          tag_prefix_ + "." + std::to_string(index) + "." + std::to_string(result.attempts);
      running.process =
          Subprocess::start({step.command, step.cwd, tagged(step.environment, running.marks.tag)});
      running.marks.leader = running.process.pid();
      running.marks.output_pipe = running.process.output_inode();
      if (options_.guardian != nullptr) options_.guardian->watch(running.marks);
      running.deadline = now + step.timeout;
      running_.push_back(std::move(running));
    } catch (const SpawnError& error) {
      sinks_[index]->note(std::string("qgate: ") + error.what());
      finish_without_process(index, Status::error, error.what());
    }
  }

  void wait(const SignalScope& signals) {
    std::vector<pollfd> fds;
    std::vector<std::pair<std::size_t, bool>> owners;  // running index, is exit fd
    fds.reserve(running_.size() * 2);
    owners.reserve(running_.size() * 2);
    auto wake = Clock::time_point::max();
    bool needs_polling = false;
    for (std::size_t i = 0; i < running_.size(); ++i) {
      RunningStep& r = running_[i];
      r.output_ready = r.exit_ready = false;
      if (r.process.output_fd() >= 0) {
        fds.push_back({r.process.output_fd(), POLLIN, 0});
        owners.emplace_back(i, false);
      }
      if (!r.process.reaped()) {
        if (r.process.exit_fd() >= 0) {
          fds.push_back({r.process.exit_fd(), POLLIN, 0});
          owners.emplace_back(i, true);
        } else {
          needs_polling = true;
          r.exit_ready = true;  // no pidfd: ask waitpid every time
        }
      }
      wake = std::min(wake, r.kill_at ? *r.kill_at : r.deadline);
    }
    auto now = Clock::now();
    auto limit = wake - now;
    if (observer_ != nullptr)
      limit = std::min<Clock::duration>(limit, std::chrono::milliseconds(100));
    if (needs_polling) limit = std::min<Clock::duration>(limit, std::chrono::milliseconds(20));
    if (limit < Clock::duration::zero()) limit = Clock::duration::zero();
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(limit).count();
    timespec timeout{static_cast<time_t>(ns / 1'000'000'000),
                     static_cast<long>(ns % 1'000'000'000)};
    if (::ppoll(fds.data(), fds.size(), &timeout, signals.wait_mask()) > 0) {
      // Only the steps with news are read or reaped: with many steps running,
      // asking each of them every time costs more than the steps themselves.
      for (std::size_t f = 0; f < fds.size(); ++f) {
        if (fds[f].revents == 0) continue;
        RunningStep& r = running_[owners[f].first];
        (owners[f].second ? r.exit_ready : r.output_ready) = true;
      }
    }
    if (observer_ != nullptr) observer_->tick();
  }

  // Reads what is available, reaps what has exited, enforces deadlines and
  // finishes the steps that are done.
  void service() {
    const auto now = Clock::now();
    for (auto& r : running_) {
      if (r.output_ready) drain(r);
      if (r.exit_ready && !r.process.reaped() && r.process.try_reap()) drain(r);
      if (r.process.reaped() && r.process.output_closed()) continue;
      if (r.process.reaped() && !r.stopping) {
        // The step's command is over but something it started still holds
        // its output open: the stragglers go, so that no orphan outlives the
        // step and none can keep the run waiting.
        r.leftovers = true;
        const int found =
            stop(r, now, std::min<Clock::duration>(steps_[r.index].grace, kLeftoverGrace));
        sinks_[r.index]->note("--- qgate: the step's command has ended; " + std::to_string(found) +
                              " process(es) it started still held its output and were stopped ---");
      }
      if (now >= r.deadline && !r.timed_out && !r.cancelled && (!r.stopping || r.leftovers)) {
        r.timed_out = true;
        if (r.stopping) {
          r.kill_at = now;
        } else {
          stop(r, now, steps_[r.index].grace);
        }
      }
      if (r.kill_at && now >= *r.kill_at) {
        kill(r);
        r.kill_at = now + std::chrono::seconds(1);
      }
    }
    for (std::size_t i = 0; i < running_.size();) {
      RunningStep& r = running_[i];
      if (r.process.reaped() && r.process.output_closed()) {
        RunningStep done = std::move(r);
        running_.erase(running_.begin() + static_cast<std::ptrdiff_t>(i));
        finish(done);
      } else {
        ++i;
      }
    }
  }

  void drain(RunningStep& r) {
    // A bounded number of reads per wake-up keeps one chatty step from
    // starving the others.
    OutputSink& sink = *sinks_[r.index];
    for (int i = 0; i < 16 && !r.process.output_closed(); ++i) {
      const long n = r.process.read_output(buffer_.get(), kBufferSize);
      if (n <= 0) break;
      sink.write(std::string_view(buffer_.get(), static_cast<std::size_t>(n)));
    }
  }

  // Sends SIGTERM to every process of step `r` and SIGKILL after `grace`;
  // returns how many processes were found.
  int stop(RunningStep& r, Clock::time_point now, Clock::duration grace) {
    r.stopping = true;
    r.kill_at = now + grace;
    return signal_steps({r.marks}, SIGTERM);
  }

  // Kills every process of step `r` and stops reading its output: the step
  // is over once its first process is reaped, whatever holds the pipe.
  void kill(RunningStep& r) {
    kill_steps({r.marks});
    if (!r.process.output_closed()) drain(r);
    r.process.close_output();
  }

  void stop_all() {
    stopping_all_ = true;
    const auto now = Clock::now();
    std::vector<StepMarks> marks;
    for (auto& r : running_) {
      r.cancelled = true;
      if (r.stopping) continue;
      r.stopping = true;
      r.kill_at = now + steps_[r.index].grace;
      marks.push_back(r.marks);
    }
    // One look at /proc for all of them.
    if (!marks.empty()) signal_steps(marks, SIGTERM);
  }

  // Returns `environment` with QGATE_STEP_TAG=`tag` in place of any it had
  // (a qgate run by a step tags its own steps).
  static std::vector<std::string> tagged(const std::vector<std::string>& environment,
                                         const std::string& tag) {
    const std::string name = std::string(kStepTagVariable) + "=";
    std::vector<std::string> result;
    result.reserve(environment.size() + 1);
    for (const auto& entry : environment) {
      if (entry.rfind(name, 0) != 0) result.push_back(entry);
    }
    result.push_back(name + tag);
    return result;
  }

  // Returns the position in pending_ of the first step whose needs have all
  // passed, or pending_.size() if none may start yet.
  std::size_t first_ready() const {
    for (std::size_t p = 0; p < pending_.size(); ++p) {
      const StepSpec& step = steps_[pending_[p]];
      if (std::all_of(step.needs.begin(), step.needs.end(), [&](std::size_t need) {
            return outcome_.results[need].status == Status::passed;
          })) {
        return p;
      }
    }
    return pending_.size();
  }

  // Skips every pending step with a need that finished without passing (and
  // then the steps that need those), naming the need.
  void skip_unmet_needs() {
    for (bool skipped = true; skipped;) {
      skipped = false;
      for (std::size_t p = 0; p < pending_.size();) {
        const std::size_t index = pending_[p];
        const StepSpec& step = steps_[index];
        const auto unmet =
            std::find_if(step.needs.begin(), step.needs.end(), [&](std::size_t need) {
              const Status status = outcome_.results[need].status;
              return status != Status::pending && status != Status::passed;
            });
        if (unmet == step.needs.end()) {
          ++p;
          continue;
        }
        pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(p));
        const StepSpec& need = steps_[*unmet];
        const Status status = outcome_.results[*unmet].status;
        const std::string what = status == Status::skipped     ? "which was skipped"
                                 : status == Status::cancelled ? "which was cancelled"
                                                               : "which failed";
        StepResult& result = outcome_.results[index];
        result.status = Status::skipped;
        result.message = "skipped (needs '" +
                         (need.gate == step.gate ? need.name : need.gate + "." + need.name) +
                         "', " + what + ")";
        if (observer_ != nullptr) observer_->step_finished(index, step, result);
        skipped = true;
      }
    }
  }

  void skip_circular_needs() {
    while (!pending_.empty()) {
      const std::size_t index = pending_.front();
      pending_.pop_front();
      StepResult& result = outcome_.results[index];
      result.status = Status::error;
      result.message = "not started: its needs wait on each other";
      if (observer_ != nullptr) observer_->step_finished(index, steps_[index], result);
    }
  }

  void skip_pending() {
    while (!pending_.empty()) {
      const std::size_t index = pending_.front();
      pending_.pop_front();
      StepResult& result = outcome_.results[index];
      result.status = Status::cancelled;
      result.message = outcome_.cancelled ? "not started: the run was cancelled"
                                          : "not started: --fail-fast after a required failure";
      if (observer_ != nullptr) observer_->step_finished(index, steps_[index], result);
    }
  }

  void finish(RunningStep& r) {
    const StepSpec& step = steps_[r.index];
    StepResult& result = outcome_.results[r.index];
    const int exit_code = r.process.exit_code();
    const bool retryable = !r.cancelled && !r.timed_out && !stopping_all_ && exit_code > 0 &&
                           result.attempts < step.retry.attempts &&
                           std::find(step.retry.exit_codes.begin(), step.retry.exit_codes.end(),
                                     exit_code) != step.retry.exit_codes.end();
    if (retryable) {
      sinks_[r.index]->note("--- qgate: attempt " + std::to_string(result.attempts) +
                            " exited with " + std::to_string(exit_code) + "; retrying ---");
      pending_.push_front(r.index);
      return;
    }
    result.exit_code = exit_code;
    result.term_signal = r.process.term_signal();
    result.timed_out = r.timed_out;
    Status status = Status::failed;
    if (r.cancelled) {
      status = Status::cancelled;
    } else if (exit_code == 0 && !r.timed_out) {
      status = Status::passed;
    }
    complete(r.index, status, describe_exit(step, r));
    result.flaky = status == Status::passed && result.attempts > 1;
    if (result.flaky) result.message = "passed on attempt " + std::to_string(result.attempts);
    if (observer_ != nullptr) observer_->step_finished(r.index, step, result);
    if (status == Status::failed && step.required && options_.fail_fast == FailFast::yes) {
      stop_all();
    }
  }

  void finish_without_process(std::size_t index, Status status, const std::string& message) {
    complete(index, status, message);
    if (observer_ != nullptr)
      observer_->step_finished(index, steps_[index], outcome_.results[index]);
    if (steps_[index].required && options_.fail_fast == FailFast::yes) stop_all();
  }

  void complete(std::size_t index, Status status, const std::string& message) {
    StepResult& result = outcome_.results[index];
    OutputSink& sink = *sinks_[index];
    sink.finish();
    result.status = status;
    result.message = masker_.mask(message);
    result.tail = sink.tail(options_.tail_lines);
    result.duration_s = std::chrono::duration<double>(Clock::now() - first_start_[index]).count();
    sinks_[index].reset();  // closes the log file now, not at the end of the run
  }

  const std::vector<StepSpec>& steps_;
  const SchedulerOptions& options_;
  const SecretMasker& masker_;
  SchedulerObserver* observer_;
  ScheduleOutcome outcome_;
  std::deque<std::size_t> pending_;
  std::vector<RunningStep> running_;
  std::vector<std::unique_ptr<OutputSink>> sinks_;
  std::vector<Clock::time_point> first_start_;
  // Matches the pipe size. Left uninitialised: a run whose steps print little
  // never touches (nor pays for) most of its pages.
  static constexpr std::size_t kBufferSize = 1 << 20;
  std::unique_ptr<char[]> buffer_{new char[kBufferSize]};
  bool stopping_all_ = false;
  std::string tag_prefix_;
  sig_atomic_t signals_seen_ = 0;
};

}  // namespace

ScheduleOutcome run_steps(const std::vector<StepSpec>& steps, const SchedulerOptions& options,
                          const SecretMasker& masker, SchedulerObserver* observer) {
  return Scheduler(steps, options, masker, observer).run();
}

}  // namespace qgate
