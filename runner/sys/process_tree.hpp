#pragma once
// The processes of a step, however they left it: found in /proc by the
// step's process group, by descent, by the output pipe they hold or by the
// tag in their environment; and what a child subreaper inherits.
#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace qgate {

// The name of the environment variable that tags every process of a step.
inline constexpr const char* kStepTagVariable = "QGATE_STEP_TAG";

// What marks the processes of one step.
struct StepMarks {
  pid_t leader = -1;      // the step's first process, whose pid is its process group
  ino_t output_pipe = 0;  // the inode of its output pipe; 0: unknown
  std::string tag;        // the value of QGATE_STEP_TAG in its environment; empty: none
};

// The processes of the machine as /proc shows them at one moment. What is
// costly to read (environments, descriptors) is read once, when first asked.
class ProcessTable {
 public:
  // Reads /proc.
  static ProcessTable snapshot();

  // Returns the live processes marked by `marks` and all their descendants,
  // never the calling process.
  std::vector<pid_t> members(const StepMarks& marks) const;
  // Returns the live processes whose QGATE_STEP_TAG starts with `prefix`,
  // and all their descendants, never the calling process.
  std::vector<pid_t> tagged(const std::string& prefix) const;
  // Returns the live children of `parent`.
  std::vector<pid_t> children(pid_t parent) const;

 private:
  struct Entry {
    pid_t ppid = 0;
    pid_t pgid = 0;
  };
  const std::string& environment(pid_t pid) const;
  bool holds_pipe(pid_t pid, ino_t inode) const;
  std::vector<pid_t> with_descendants(std::vector<pid_t> seeds) const;

  std::map<pid_t, Entry> live_;  // zombies left out: they hold nothing
  mutable std::map<pid_t, std::string> environments_;
  mutable std::map<pid_t, std::vector<ino_t>> pipes_;
};

// Sends `signal` to the process group of each step of `steps` and to every
// process marked by one of them. Returns how many processes were found.
int signal_steps(const std::vector<StepMarks>& steps, int signal);

// Kills (SIGKILL) the process groups of `steps` and every process they mark
// (and every process tagged with `tag_prefix`, unless it is empty), again
// until none is left: one may fork while the others die. Returns how many
// were found the first time.
int kill_steps(const std::vector<StepMarks>& steps, const std::string& tag_prefix = {});

// Kills and reaps whatever a run left behind, among the children of the
// calling process. A child subreaper (qgate check, the worker) inherits a
// step's process that outlived its parent (a grandchild ignoring SIGTERM, a
// daemon a step started) instead of init, and finds it here. Returns how
// many were killed.
int kill_leftovers();

// Makes the calling process a child subreaper, so that its descendants that
// lose their parent are re-parented to it instead of init.
void become_subreaper();

}  // namespace qgate
