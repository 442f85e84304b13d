#pragma once
// Runs the steps of all gates as subprocesses, in parallel up to a job limit,
// with timeouts, retries, exclusive gates, fail-fast and Ctrl-C handling.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "runner/config.hpp"
#include "runner/result.hpp"
#include "runner/secret_masker.hpp"

namespace qgate {

// One step as the scheduler runs it.
struct StepSpec {
  std::string gate;
  std::string name;
  std::string command;
  std::filesystem::path cwd;
  std::vector<std::string> environment;  // the whole environment, "NAME=value"
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
  std::chrono::milliseconds grace{std::chrono::seconds(5)};
  RetryPolicy retry;
  bool exclusive = false;  // runs alone: nothing else runs beside it
  bool required = false;   // a failure counts for --fail-fast
  std::filesystem::path log_path;
  std::filesystem::path out_dir;  // created before the step starts, if set
};

// Told about progress as it happens (the console view listens here).
class SchedulerObserver {
 public:
  virtual ~SchedulerObserver() = default;
  // Called when step `index` starts (again, on a retry).
  virtual void step_started(std::size_t index, const StepSpec& step) = 0;
  // Called once when step `index` is finished for good.
  virtual void step_finished(std::size_t index, const StepSpec& step, const StepResult& result) = 0;
  // Called about ten times a second while steps run (to redraw timers).
  virtual void tick() {}
};

enum class FailFast { no, yes };

struct SchedulerOptions {
  int jobs = 1;
  FailFast fail_fast = FailFast::no;
  std::size_t tail_lines = 40;
  std::size_t tail_bytes = 16 * 1024;
};

// What run_steps() returns.
struct ScheduleOutcome {
  std::vector<StepResult> results;  // one per step, in the order given
  bool cancelled = false;           // Ctrl-C / SIGTERM / SIGHUP arrived
  int cancel_signal = 0;
};

// Runs `steps`; returns when every step has finished or been cancelled and no
// child process is left. SIGINT, SIGTERM and SIGHUP cancel the run: every
// running step's process group gets SIGTERM, then SIGKILL after its grace.
ScheduleOutcome run_steps(const std::vector<StepSpec>& steps, const SchedulerOptions& options,
                          const SecretMasker& masker, SchedulerObserver* observer);

}  // namespace qgate
