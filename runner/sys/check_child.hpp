#pragma once
// The child processes of a worker (runner/queue/worker.cpp): `qgate check` for a
// queue item and git for its workspace, each in a process group of its own
// with its output in a file, and whatever a run leaves behind, killed once
// the run ends (kill_leftovers, in runner/sys/process_tree.hpp).
#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace qgate {

// A `qgate check` child: its own process group, stdin from /dev/null,
// stdout and stderr into `log`. Killed with its group if still running when
// the handle goes.
class CheckChild {
 public:
  CheckChild(const std::vector<std::string>& argv, const std::vector<std::string>& env,
             const std::filesystem::path& cwd, const std::filesystem::path& log);
  ~CheckChild();
  CheckChild(const CheckChild&) = delete;
  CheckChild& operator=(const CheckChild&) = delete;

  int wait_fd() const { return pidfd_; }
  // Reaps the child if it has ended; returns true once it has.
  bool try_reap();
  // Sends `signal` to the child's process group (and the child itself, in
  // case it left the group).
  void signal(int signal) const;
  int exit_code() const { return exit_code_; }
  int term_signal() const { return term_signal_; }

 private:
  pid_t pid_ = -1;
  int pidfd_ = -1;
  bool reaped_ = false;
  int exit_code_ = -1;
  int term_signal_ = 0;
};

// The last `bytes` of the file at `path` ("..." before them when cut), without
// the new lines and spaces it ends with.
std::string tail_of(const std::filesystem::path& path, std::size_t bytes);

}  // namespace qgate
