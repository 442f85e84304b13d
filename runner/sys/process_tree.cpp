#include "runner/sys/process_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <thread>

#include "runner/sys/fd.hpp"

namespace qgate {
namespace {

// Closes a directory stream when it goes.
class Directory {
 public:
  explicit Directory(const char* path) : dir_(::opendir(path)) {}
  ~Directory() {
    if (dir_ != nullptr) ::closedir(dir_);
  }
  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;
  DIR* get() const { return dir_; }

 private:
  DIR* dir_;
};

pid_t numeric_name(const char* name) {
  if (*name < '0' || *name > '9') return 0;
  char* end = nullptr;
  const long value = std::strtol(name, &end, 10);
  return *end == '\0' ? static_cast<pid_t>(value) : 0;
}

// Reads all of the small file at `path` (stat, environ), "" if it cannot.
std::string read_proc_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  std::string text;
  if (fd.get() < 0) return text;
  char buffer[8192];
  while (true) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n > 0) {
      text.append(buffer, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  return text;
}

}  // namespace

ProcessTable ProcessTable::snapshot() {
  ProcessTable table;
  Directory proc("/proc");
  if (proc.get() == nullptr) return table;
  while (const dirent* entry = ::readdir(proc.get())) {
    const pid_t pid = numeric_name(entry->d_name);
    if (pid <= 0) continue;
    const std::string stat = read_proc_file("/proc/" + std::string(entry->d_name) + "/stat");
    // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    long ppid = 0;
    long pgid = 0;
    if (std::sscanf(stat.c_str() + close + 1, " %c %ld %ld", &state, &ppid, &pgid) != 3) continue;
    if (state == 'Z' || state == 'X') continue;
    table.live_[pid] = {static_cast<pid_t>(ppid), static_cast<pid_t>(pgid)};
  }
  return table;
}

const std::string& ProcessTable::environment(pid_t pid) const {
  auto it = environments_.find(pid);
  if (it == environments_.end()) {
    // A leading NUL lets every entry be found as "\0NAME=value\0".
    it = environments_
             .emplace(pid, std::string(1, '\0') +
                               read_proc_file("/proc/" + std::to_string(pid) + "/environ") +
                               std::string(1, '\0'))
             .first;
  }
  return it->second;
}

bool ProcessTable::holds_pipe(pid_t pid, ino_t inode) const {
  auto it = pipes_.find(pid);
  if (it == pipes_.end()) {
    std::vector<ino_t> inodes;
    const std::string folder = "/proc/" + std::to_string(pid) + "/fd";
    Directory fds(folder.c_str());
    if (fds.get() != nullptr) {
      while (const dirent* entry = ::readdir(fds.get())) {
        if (entry->d_name[0] == '.') continue;
        struct stat target {};
        // stat() follows the link to the pipe itself: its inode is the pipe's.
        if (::stat((folder + "/" + entry->d_name).c_str(), &target) == 0 &&
            S_ISFIFO(target.st_mode)) {
          inodes.push_back(target.st_ino);
        }
      }
    }
    it = pipes_.emplace(pid, std::move(inodes)).first;
  }
  return std::find(it->second.begin(), it->second.end(), inode) != it->second.end();
}

std::vector<pid_t> ProcessTable::with_descendants(std::vector<pid_t> seeds) const {
  std::multimap<pid_t, pid_t> children;
  for (const auto& [pid, entry] : live_) children.emplace(entry.ppid, pid);
  const pid_t self = ::getpid();
  std::set<pid_t> found;
  while (!seeds.empty()) {
    const pid_t pid = seeds.back();
    seeds.pop_back();
    if (pid == self || !found.insert(pid).second) continue;
    const auto [first, last] = children.equal_range(pid);
    for (auto it = first; it != last; ++it) seeds.push_back(it->second);
  }
  return {found.begin(), found.end()};
}

std::vector<pid_t> ProcessTable::members(const StepMarks& marks) const {
  const pid_t self = ::getpid();
  const std::string tag =
      marks.tag.empty() ? "" : std::string(1, '\0') + kStepTagVariable + "=" + marks.tag + '\0';
  std::vector<pid_t> seeds;
  for (const auto& [pid, entry] : live_) {
    if (pid == self) continue;
    if (marks.leader > 0 && (pid == marks.leader || entry.pgid == marks.leader)) {
      seeds.push_back(pid);
    } else if (!tag.empty() && environment(pid).find(tag) != std::string::npos) {
      seeds.push_back(pid);
    } else if (marks.output_pipe != 0 && holds_pipe(pid, marks.output_pipe)) {
      seeds.push_back(pid);
    }
  }
  return with_descendants(std::move(seeds));
}

std::vector<pid_t> ProcessTable::children(pid_t parent) const {
  std::vector<pid_t> found;
  for (const auto& [pid, entry] : live_) {
    if (entry.ppid == parent) found.push_back(pid);
  }
  return found;
}

std::vector<pid_t> ProcessTable::tagged(const std::string& prefix) const {
  const pid_t self = ::getpid();
  const std::string tag = std::string(1, '\0') + kStepTagVariable + "=" + prefix;
  std::vector<pid_t> seeds;
  for (const auto& [pid, entry] : live_) {
    if (pid != self && environment(pid).find(tag) != std::string::npos) seeds.push_back(pid);
  }
  return with_descendants(std::move(seeds));
}

int signal_steps(const std::vector<StepMarks>& steps, int signal) {
  for (const auto& step : steps) {
    if (step.leader > 0) ::kill(-step.leader, signal);
  }
  const ProcessTable table = ProcessTable::snapshot();
  std::set<pid_t> found;
  for (const auto& step : steps) {
    for (pid_t pid : table.members(step)) found.insert(pid);
  }
  for (pid_t pid : found) ::kill(pid, signal);
  return static_cast<int>(found.size());
}

int kill_steps(const std::vector<StepMarks>& steps, const std::string& tag_prefix) {
  int first = -1;
  // Killed processes cannot fork any more: a few rounds catch the children
  // that were forked while the first round was under way.
  for (int round = 0; round < 20; ++round) {
    for (const auto& step : steps) {
      if (step.leader > 0) ::kill(-step.leader, SIGKILL);
    }
    const ProcessTable table = ProcessTable::snapshot();
    std::set<pid_t> found;
    for (const auto& step : steps) {
      for (pid_t pid : table.members(step)) found.insert(pid);
    }
    if (!tag_prefix.empty()) {
      for (pid_t pid : table.tagged(tag_prefix)) found.insert(pid);
    }
    if (first < 0) first = static_cast<int>(found.size());
    if (found.empty()) break;
    for (pid_t pid : found) ::kill(pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return std::max(first, 0);
}

int kill_leftovers() {
  int killed = 0;
  const pid_t self = ::getpid();
  for (int round = 0; round < 100; ++round) {
    int status = 0;
    while (::waitpid(-1, &status, WNOHANG) > 0) {
    }
    const std::vector<pid_t> children = ProcessTable::snapshot().children(self);
    if (children.empty()) break;
    for (pid_t pid : children) {
      const pid_t group = ::getpgid(pid);
      if (group > 0 && group != ::getpgrp()) ::kill(-group, SIGKILL);
      ::kill(pid, SIGKILL);
      ++killed;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return killed;
}

void become_subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }

}  // namespace qgate
