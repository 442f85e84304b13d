#pragma once
// A process that outlives qgate to stop its steps: forked before the steps
// start and told of each one, it kills what is left of them if qgate ends
// without saying so first (kill -9, a crash), since only a step's first
// process dies with qgate by itself (PR_SET_PDEATHSIG).
#include <sys/types.h>

#include <string>

#include "runner/sys/process_tree.hpp"

namespace qgate {

class StepGuardian {
 public:
  // Forks the guardian of the steps whose QGATE_STEP_TAG starts with
  // `tag_prefix`. Call it while no other thread runs. Without a guardian
  // (fork failed), watch() does nothing.
  explicit StepGuardian(std::string tag_prefix);
  // Tells the guardian that qgate ends in order, and reaps it.
  ~StepGuardian();
  StepGuardian(const StepGuardian&) = delete;
  StepGuardian& operator=(const StepGuardian&) = delete;

  // Tells the guardian of a step started with `marks`.
  void watch(const StepMarks& marks);
  // The guardian's pid, or -1.
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int channel_ = -1;  // the write end of the pipe the guardian reads
};

}  // namespace qgate
