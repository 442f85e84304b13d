#include "runner/sys/step_guardian.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

namespace qgate {
namespace {

constexpr int kChannelFd = 3;

// The guardian's life: it reads what qgate tells it until the pipe ends, and
// kills the steps unless qgate said first that it ends in order.
[[noreturn]] void guard(int channel, const std::string& tag_prefix) {
  // Ctrl-C reaches the whole foreground group: qgate stops its steps itself
  // then, and the guardian must live on in case it cannot.
  for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) ::signal(signal, SIG_IGN);
  // Nothing of qgate's is kept open: not its output (a pipe a caller waits
  // on), not the steps' pipes, not the folder it runs in.
  const int null = ::open("/dev/null", O_RDWR);
  if (null >= 0) {
    for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
  }
  if (channel != kChannelFd) ::dup2(channel, kChannelFd);
  ::close_range(kChannelFd + 1, ~0U, 0);
  if (::chdir("/") != 0) {
    // Staying in qgate's folder only keeps it busy.
  }
  std::vector<StepMarks> steps;
  std::string pending;
  bool ended = false;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(kChannelFd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buffer, static_cast<std::size_t>(n));
    std::size_t end;
    while ((end = pending.find('\n')) != std::string::npos) {
      const std::string line = pending.substr(0, end);
      pending.erase(0, end + 1);
      long leader = 0;
      unsigned long inode = 0;
      if (line == "E") {
        ended = true;
      } else if (std::sscanf(line.c_str(), "W %ld %lu", &leader, &inode) == 2) {
        steps.push_back({static_cast<pid_t>(leader), static_cast<ino_t>(inode), {}});
      }
    }
  }
  if (!ended) kill_steps(steps, tag_prefix);
  ::_exit(0);
}

}  // namespace

StepGuardian::StepGuardian(std::string tag_prefix) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return;
  // Forked, not spawned: the guardian needs nothing but what it has here,
  // and qgate is single-threaded at this point.
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return;
  }
  if (pid_ == 0) guard(fds[0], tag_prefix);
  ::close(fds[0]);
  channel_ = fds[1];
}

StepGuardian::~StepGuardian() {
  if (channel_ < 0) return;
  const char end[] = "E\n";
  while (::write(channel_, end, 2) < 0 && errno == EINTR) {
  }
  ::close(channel_);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

void StepGuardian::watch(const StepMarks& marks) {
  if (channel_ < 0) return;
  char line[64];
  const int size = std::snprintf(line, sizeof line, "W %ld %lu\n", static_cast<long>(marks.leader),
                                 static_cast<unsigned long>(marks.output_pipe));
  // One line is less than PIPE_BUF: it arrives whole. A guardian that is
  // gone (EPIPE) changes nothing for the run.
  while (::write(channel_, line, static_cast<std::size_t>(size)) < 0 && errno == EINTR) {
  }
}

}  // namespace qgate
