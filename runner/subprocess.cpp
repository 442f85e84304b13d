#include "runner/subprocess.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/process/v2/posix/default_launcher.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/start_dir.hpp>
#include <boost/process/v2/stdio.hpp>
#include <cerrno>
#include <cstring>
#include <utility>

namespace qgate {
namespace {

namespace bp = boost::process::v2;

// Runs in the child between fork and exec: its own process group (so that
// stopping a step reaches its grandchildren too) and default signal handling.
struct ChildSetup {
  template <typename Launcher>
  bp::error_code on_exec_setup(Launcher&, const bp::filesystem::path&, const char* const*) {
    if (::setpgid(0, 0) != 0) return bp::error_code(errno, bp::system_category());
    // If qgate itself is killed (kill -9), its direct children go with it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // Ignored dispositions survive exec; the step must see the defaults.
    for (int signal : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) {
      ::signal(signal, SIG_DFL);
    }
    return {};
  }
};

// Hands the step's own environment to execve.
struct ChildEnvironment {
  const char* const* environment;
  template <typename Launcher>
  bp::error_code on_setup(Launcher& launcher, const bp::filesystem::path&, const char* const*) {
    launcher.env = environment;
    return {};
  }
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

}  // namespace

Subprocess Subprocess::start(const SpawnRequest& request) {
  // The launcher's chdir failure in the child is not reported back reliably.
  std::error_code ignored;
  if (!std::filesystem::is_directory(request.cwd, ignored)) {
    throw SpawnError("cannot start the step: folder " + request.cwd.string() + " does not exist");
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    throw SpawnError(std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  std::vector<const char*> environment;
  environment.reserve(request.environment.size() + 1);
  for (const auto& entry : request.environment) environment.push_back(entry.c_str());
  environment.push_back(nullptr);

  // The launcher wants an executor; nothing runs on it since we detach at once.
  static boost::asio::io_context context;
  bp::error_code ec;
  bp::posix::default_launcher launcher;
  auto process = launcher(context, ec, bp::filesystem::path("/bin/sh"),
                          std::vector<std::string>{"-c", request.command},
                          bp::process_stdio{nullptr, pipe_fds[1], pipe_fds[1]},
                          bp::process_start_dir(request.cwd.string()),
                          ChildEnvironment{environment.data()}, ChildSetup{});
  ::close(pipe_fds[1]);
  if (ec) {
    ::close(pipe_fds[0]);
    throw SpawnError("cannot start /bin/sh in " + request.cwd.string() + ": " + ec.message());
  }
  Subprocess child;
  child.pid_ = process.id();
  process.detach();
  // Also set the group from here, in case the child has not yet done it.
  ::setpgid(child.pid_, child.pid_);
  child.output_fd_ = pipe_fds[0];
  ::fcntl(child.output_fd_, F_SETFL, ::fcntl(child.output_fd_, F_GETFL) | O_NONBLOCK);
  child.exit_fd_ = open_pidfd(child.pid_);
  return child;
}

Subprocess::Subprocess(Subprocess&& other) noexcept { *this = std::move(other); }

Subprocess& Subprocess::operator=(Subprocess&& other) noexcept {
  if (this != &other) {
    release();
    pid_ = std::exchange(other.pid_, -1);
    output_fd_ = std::exchange(other.output_fd_, -1);
    exit_fd_ = std::exchange(other.exit_fd_, -1);
    reaped_ = std::exchange(other.reaped_, true);
    exit_code_ = other.exit_code_;
    term_signal_ = other.term_signal_;
  }
  return *this;
}

Subprocess::~Subprocess() { release(); }

void Subprocess::release() {
  if (pid_ > 0 && !reaped_) {
    signal_group(SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
  } else if (pid_ > 0) {
    // Stragglers left in the group by a finished child go too.
    signal_group(SIGKILL);
  }
  if (output_fd_ >= 0) ::close(output_fd_);
  if (exit_fd_ >= 0) ::close(exit_fd_);
  output_fd_ = exit_fd_ = -1;
  pid_ = -1;
}

long Subprocess::read_output(char* buffer, std::size_t size) {
  if (output_fd_ < 0) return 0;
  while (true) {
    const ssize_t n = ::read(output_fd_, buffer, size);
    if (n > 0) return static_cast<long>(n);
    if (n == 0) {
      ::close(output_fd_);
      output_fd_ = -1;
      return 0;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return -1;
    // Any other error ends the stream as EOF would.
    ::close(output_fd_);
    output_fd_ = -1;
    return 0;
  }
}

bool Subprocess::try_reap() {
  if (reaped_) return true;
  int status = 0;
  pid_t result;
  do {
    result = ::waitpid(pid_, &status, WNOHANG);
  } while (result < 0 && errno == EINTR);
  if (result == 0) return false;
  reaped_ = true;
  if (result < 0) {
    exit_code_ = -1;
  } else if (WIFEXITED(status)) {
    exit_code_ = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    term_signal_ = WTERMSIG(status);
    exit_code_ = -1;
  }
  if (exit_fd_ >= 0) {
    ::close(exit_fd_);
    exit_fd_ = -1;
  }
  return true;
}

void Subprocess::signal_group(int signal) const {
  if (pid_ > 0) ::kill(-pid_, signal);
}

}  // namespace qgate
