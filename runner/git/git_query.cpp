#include "runner/git/git_query.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runner/sys/fd.hpp"

extern char** environ;

namespace qgate {
namespace {

// Owns the file actions of one posix_spawn call.
class SpawnActions {
 public:
  SpawnActions() { posix_spawn_file_actions_init(&actions_); }
  ~SpawnActions() { posix_spawn_file_actions_destroy(&actions_); }
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

std::string first_line(const std::string& text) {
  const size_t end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

}  // namespace

GitAnswer run_git(const std::filesystem::path& dir, const std::vector<std::string>& args,
                  bool capture) {
  std::vector<std::string> words = {"git", "-C", dir.string()};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);

  // `git diff` would otherwise refresh and lock the index of the user's repository.
  std::vector<std::string> environment = {"GIT_OPTIONAL_LOCKS=0"};
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    if (std::strncmp(*entry, "GIT_OPTIONAL_LOCKS=", 19) != 0) environment.emplace_back(*entry);
  }
  std::vector<char*> envp;
  for (auto& entry : environment) envp.push_back(entry.data());
  envp.push_back(nullptr);

  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) return {-1, std::string("pipe: ") + std::strerror(errno), {}};
  Fd read_end(ends[0]);
  Fd write_end(ends[1]);

  int out_ends[2] = {-1, -1};
  if (capture && ::pipe2(out_ends, O_CLOEXEC) != 0) {
    return {-1, std::string("pipe: ") + std::strerror(errno), {}};
  }
  Fd out_read(out_ends[0]);
  Fd out_write(out_ends[1]);

  SpawnActions actions;
  posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (capture) {
    posix_spawn_file_actions_adddup2(actions.get(), out_write.get(), STDOUT_FILENO);
  } else {
    posix_spawn_file_actions_addopen(actions.get(), STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  }
  posix_spawn_file_actions_adddup2(actions.get(), write_end.get(), STDERR_FILENO);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, "git", actions.get(), nullptr, argv.data(), envp.data());
  write_end.reset();
  out_write.reset();
  if (spawned != 0) return {-1, std::string("cannot run git: ") + std::strerror(spawned), {}};

  // git writes little to stderr: reading stdout to its end first cannot block it.
  std::string output;
  char chunk[8192];
  while (capture) {
    const ssize_t n = ::read(out_read.get(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (output.size() < (8u << 20)) output.append(chunk, static_cast<size_t>(n));
  }

  std::string errors;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(read_end.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (errors.size() < 16384) errors.append(buffer, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return {-1, std::string("waitpid: ") + std::strerror(errno), {}};
  }
  GitAnswer answer;
  answer.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  answer.error_output = first_line(errors);
  answer.output = std::move(output);
  return answer;
}

}  // namespace qgate
