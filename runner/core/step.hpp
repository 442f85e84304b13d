#pragma once
// A step as the scheduler runs it, and what is told as steps start and end.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "runner/core/config.hpp"
#include "runner/core/result.hpp"

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
  // Indices (into the steps given to run_steps) of the steps that must pass
  // before it starts; if one does not, it is skipped.
  std::vector<std::size_t> needs;
  bool required = false;  // a failure counts for --fail-fast
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

}  // namespace qgate
