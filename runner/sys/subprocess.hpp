#pragma once
// One child process of a step: `/bin/sh -c COMMAND` in its own process group,
// stdin from /dev/null, stdout and stderr into one pipe that qgate reads.
#include <sys/types.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace qgate {

// Thrown when a child cannot be started (no /bin/sh, no such folder, ...).
class SpawnError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What to start.
struct SpawnRequest {
  std::string command;                   // run by /bin/sh -c
  std::filesystem::path cwd;             // working folder
  std::vector<std::string> environment;  // the whole environment, "NAME=value"
};

class Subprocess {
 public:
  // Starts `request`; throws SpawnError.
  static Subprocess start(const SpawnRequest& request);

  // An empty handle that owns no process.
  Subprocess() = default;

  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&& other) noexcept;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  // Kills the whole group and reaps the child if that has not happened yet,
  // so that no child outlives its owner.
  ~Subprocess();

  pid_t pid() const { return pid_; }
  // The read end of the output pipe (non-blocking), or -1 once at EOF.
  int output_fd() const { return output_fd_; }
  // The inode of the output pipe, by which the processes that hold it can be
  // found (runner/sys/process_tree.hpp).
  ino_t output_inode() const { return output_inode_; }
  // Stops reading the output: closes the pipe (what still writes to it gets
  // EPIPE), so that the child is over once it is reaped.
  void close_output();
  // A descriptor that polls readable when the child exits, or -1 if the
  // kernel has none (then call try_reap() periodically).
  int exit_fd() const { return exit_fd_; }

  // Reads up to `size` bytes of output into `buffer`: returns the count, 0 at
  // EOF (the pipe is then closed), or -1 if nothing is available now.
  long read_output(char* buffer, std::size_t size);
  // Collects the exit status if the child has exited; returns true once it has.
  bool try_reap();
  bool reaped() const { return reaped_; }
  bool output_closed() const { return output_fd_ < 0; }
  // The exit code (0-255), or -1 if a signal ended the child.
  int exit_code() const { return exit_code_; }
  // The signal that ended the child, or 0.
  int term_signal() const { return term_signal_; }
  // Sends `signal` to every process of the child's group.
  void signal_group(int signal) const;

 private:
  void release();

  pid_t pid_ = -1;
  int output_fd_ = -1;
  ino_t output_inode_ = 0;
  int exit_fd_ = -1;
  bool reaped_ = false;
  int exit_code_ = -1;
  int term_signal_ = 0;
};

// Returns a pidfd of `pid` (close-on-exec), or -1 where the kernel has none:
// it becomes readable when the process ends, so that exits can be waited for
// in poll() beside output pipes.
int open_pidfd(pid_t pid);

}  // namespace qgate
