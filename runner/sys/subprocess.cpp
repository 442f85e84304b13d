#include "runner/sys/subprocess.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/process/v2/posix/default_launcher.hpp>
#include <boost/process/v2/posix/vfork_launcher.hpp>
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
  pid_t parent;
  template <typename Launcher>
  bp::error_code on_exec_setup(Launcher&, const bp::filesystem::path&, const char* const*) {
    if (::setpgid(0, 0) != 0) return bp::error_code(errno, bp::system_category());
    // If qgate itself is killed (kill -9), its direct children go with it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // qgate may have died before that line: then nobody would send it.
    if (::getppid() != parent) ::_exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // Ignored dispositions survive exec; the step must see the defaults.
    for (int signal : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) {
      ::signal(signal, SIG_DFL);
    }
    return {};
  }
  // The launcher would call exit(), which in a vfork child runs qgate's
  // atexit handlers in qgate's own memory; leave at once instead.
  template <typename Launcher>
  void on_exec_error(Launcher&, const bp::filesystem::path&, const char* const*,
                     const bp::error_code&) {
    ::_exit(127);
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

// A command that needs no shell: its words and the program they name.
struct DirectCommand {
  std::string path;  // empty: run through /bin/sh -c
  std::vector<std::string> arguments;
};

// Words the shell gives a meaning that exec does not (make's list, plus
// assignments and comments).
bool needs_shell(const std::string& command) {
  if (command.find_first_of("#;\"'*?[]&|<>(){}$`^~!\\=%\n") != std::string::npos) return true;
  static const char* const kShellWords[] = {
      ".",      ":",      "break",    "case",  "cd",      "continue", "eval",  "exec",
      "exit",   "export", "for",      "if",    "read",    "readonly", "set",   "shift",
      "test",   "[",      "times",    "trap",  "ulimit",  "umask",    "unset", "wait",
      "while",  "until",  "source",   "alias", "command", "type",     "hash",  "getopts",
      "return", "local",  "function", "select"};
  const std::string first = command.substr(0, command.find_first_of(" \t"));
  for (const char* word : kShellWords) {
    if (first == word) return true;
  }
  return false;
}

DirectCommand direct_command(const std::string& command, const std::vector<std::string>& env) {
  DirectCommand direct;
  if (needs_shell(command)) return direct;
  std::vector<std::string> words;
  std::size_t pos = 0;
  while (true) {
    pos = command.find_first_not_of(" \t", pos);
    if (pos == std::string::npos) break;
    const std::size_t end = command.find_first_of(" \t", pos);
    words.push_back(command.substr(pos, end == std::string::npos ? end : end - pos));
    if (end == std::string::npos) break;
    pos = end;
  }
  if (words.empty()) return direct;
  std::string program;
  if (words[0].find('/') != std::string::npos) {
    program = words[0];
  } else {
    std::string path_variable = "/usr/local/bin:/usr/bin:/bin";
    for (const auto& entry : env) {
      if (entry.rfind("PATH=", 0) == 0) path_variable = entry.substr(5);
    }
    std::size_t start = 0;
    while (start <= path_variable.size()) {
      std::size_t colon = path_variable.find(':', start);
      if (colon == std::string::npos) colon = path_variable.size();
      const std::string folder = path_variable.substr(start, colon - start);
      const std::string candidate = (folder.empty() ? "." : folder) + "/" + words[0];
      if (::access(candidate.c_str(), X_OK) == 0) {
        program = candidate;
        break;
      }
      start = colon + 1;
    }
  }
  // Relative programs ("./run.sh") are left to the shell, which resolves
  // them against the step's folder; so are programs not found, so that the
  // step fails with the shell's usual "not found" and exit code 127.
  if (program.empty() || program[0] != '/' || ::access(program.c_str(), X_OK) != 0) return direct;
  direct.path = program;
  direct.arguments.assign(words.begin() + 1, words.end());
  return direct;
}

// Returns why the kernel would refuse to start `program` with `arguments`
// and `environment` (E2BIG), or "" if it would not: one string over
// MAX_ARG_STRLEN (32 pages), or all of them over ARG_MAX.
std::string argument_size_problem(const std::string& program,
                                  const std::vector<std::string>& arguments,
                                  const std::vector<std::string>& environment) {
  constexpr std::size_t kLongestString = 32 * 4096;
  const long page = ::sysconf(_SC_PAGESIZE);
  const std::size_t longest = page > 0 ? 32 * static_cast<std::size_t>(page) : kLongestString;
  std::size_t total = (arguments.size() + environment.size() + 3) * sizeof(char*);
  for (const auto* list : {&arguments, &environment}) {
    for (const auto& text : *list) {
      if (text.size() + 1 > longest) {
        return std::string(list == &arguments ? "its command" : "an environment variable") +
               " is " + std::to_string(text.size()) + " bytes long, over the system's limit of " +
               std::to_string(longest - 1) + " bytes for one argument of a program";
      }
      total += text.size() + 1;
    }
  }
  total += program.size() + 1;
  const long limit = ::sysconf(_SC_ARG_MAX);
  if (limit > 0 && total > static_cast<std::size_t>(limit)) {
    return "its command and environment are " + std::to_string(total) +
           " bytes, over the system's limit of " + std::to_string(limit) +
           " bytes for a program's arguments";
  }
  return "";
}

}  // namespace

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

  // A command without shell syntax is run directly, as make does: it saves
  // starting a shell for every `true` or `ctest ...`.
  const DirectCommand direct = direct_command(request.command, request.environment);
  const bp::filesystem::path executable = direct.path.empty() ? "/bin/sh" : direct.path;
  std::vector<std::string> arguments =
      direct.path.empty() ? std::vector<std::string>{"-c", request.command} : direct.arguments;

  // A command the kernel would refuse (E2BIG) is refused here: a vfork child
  // whose exec fails runs on in qgate's memory, which is best avoided.
  if (const std::string problem =
          argument_size_problem(executable.string(), arguments, request.environment);
      !problem.empty()) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    throw SpawnError("cannot start the step: " + problem + "; put a long command in a script");
  }

  // vfork: the child borrows our memory until exec, so starting a step does
  // not copy qgate's page tables (the largest part of the cost of `true`).
  // The launcher tells the io_context about the fork from the child, which
  // shares our memory: that is only harmless while the context has no
  // services with fork handling yet, so each start gets a fresh one, whose
  // reactor is first created after the child has exec'd. Nothing runs on it:
  // the process is detached at once and waited for by pidfd.
  boost::asio::io_context context;
  bp::error_code ec;
  bp::posix::vfork_launcher launcher;
  // The executor's overload: the context's one throws instead of setting `ec`.
  auto process = launcher(context.get_executor(), ec, executable, std::move(arguments),
                          bp::process_stdio{nullptr, pipe_fds[1], pipe_fds[1]},
                          bp::process_start_dir(request.cwd.string()),
                          ChildEnvironment{environment.data()}, ChildSetup{::getpid()});
  ::close(pipe_fds[1]);
  if (ec) {
    ::close(pipe_fds[0]);
    if (launcher.pid > 0) ::waitpid(launcher.pid, nullptr, 0);
    throw SpawnError("cannot start " + executable.string() + " in " + request.cwd.string() + ": " +
                     ec.message());
  }
  Subprocess child;
  child.pid_ = process.id();
  process.detach();
  // Also set the group from here, in case the child has not yet done it.
  ::setpgid(child.pid_, child.pid_);
  child.output_fd_ = pipe_fds[0];
  struct stat pipe_stat {};
  if (::fstat(child.output_fd_, &pipe_stat) == 0) child.output_inode_ = pipe_stat.st_ino;
  ::fcntl(child.output_fd_, F_SETFL, ::fcntl(child.output_fd_, F_GETFL) | O_NONBLOCK);
  // A larger pipe means fewer wake-ups for a step that prints a lot.
  ::fcntl(child.output_fd_, F_SETPIPE_SZ, 1 << 20);
  child.exit_fd_ = open_pidfd(child.pid_);
  return child;
}

Subprocess::Subprocess(Subprocess&& other) noexcept { *this = std::move(other); }

Subprocess& Subprocess::operator=(Subprocess&& other) noexcept {
  if (this != &other) {
    release();
    pid_ = std::exchange(other.pid_, -1);
    output_fd_ = std::exchange(other.output_fd_, -1);
    output_inode_ = std::exchange(other.output_inode_, 0);
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

void Subprocess::close_output() {
  if (output_fd_ >= 0) ::close(output_fd_);
  output_fd_ = -1;
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
