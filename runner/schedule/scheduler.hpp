#pragma once
// Runs the steps of all gates as subprocesses, in parallel up to a job limit,
// in the order their needs impose, with timeouts, retries, exclusive gates,
// fail-fast and Ctrl-C handling.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "runner/core/result.hpp"
#include "runner/core/secret_masker.hpp"
#include "runner/core/step.hpp"
#include "runner/sys/step_guardian.hpp"

namespace qgate {

enum class FailFast { no, yes };

struct SchedulerOptions {
  int jobs = 1;
  FailFast fail_fast = FailFast::no;
  std::size_t tail_lines = 40;
  std::size_t tail_bytes = 16 * 1024;
  // The start of every step's QGATE_STEP_TAG (the rest tells steps and
  // attempts apart), by which the processes of a step are found however they
  // left its process group; empty: one is made.
  std::string process_tag;
  // Told of every step started, to stop them if qgate dies; may be null.
  StepGuardian* guardian = nullptr;
};

// What run_steps() returns.
struct ScheduleOutcome {
  std::vector<StepResult> results;  // one per step, in the order given
  bool cancelled = false;           // Ctrl-C / SIGTERM / SIGHUP arrived
  int cancel_signal = 0;
};

// Runs `steps`; returns when every step has finished or been cancelled. A
// step ends when its first process is reaped and its output closed; at its
// deadline every process of the step (its group, its descendants, whatever
// holds its output or carries its tag) gets SIGTERM, then SIGKILL after its
// grace, and its output is closed then. Processes that still hold the output
// after the first one has exited get the same, with a grace of at most 2 s.
// SIGINT, SIGTERM and SIGHUP cancel the run the same way; a second one
// kills at once.
ScheduleOutcome run_steps(const std::vector<StepSpec>& steps, const SchedulerOptions& options,
                          const SecretMasker& masker, SchedulerObserver* observer);

}  // namespace qgate
