#include "runner/sys/process_identity.hpp"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <fstream>
#include <sstream>

namespace qgate {
namespace {

// The two fields of /proc/<pid>/stat that tell whether a process still runs.
struct ProcStat {
  char state = '?';
  std::int64_t start_ticks = 0;
};

std::optional<ProcStat> read_proc_stat(std::int64_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // Field 2, the command name in parentheses, may itself contain ") ".
  const auto name_end = line.rfind(')');
  if (name_end == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(name_end + 1));
  ProcStat stat;
  fields >> stat.state;  // field 3
  std::string skipped;
  for (int field = 4; field < 22; ++field) fields >> skipped;
  fields >> stat.start_ticks;  // field 22: start time in clock ticks after boot
  if (!fields) return std::nullopt;
  return stat;
}

}  // namespace

std::string host_name() {
  std::array<char, 256> buffer{};
  if (gethostname(buffer.data(), buffer.size() - 1) != 0) return {};
  return buffer.data();
}

ProcessIdentity current_process() {
  ProcessIdentity self;
  self.pid = getpid();
  self.host = host_name();
  if (const auto stat = read_proc_stat(self.pid)) self.start_ticks = stat->start_ticks;
  return self;
}

// Returns false only when `owner` certainly no longer runs.
bool may_be_alive(const ProcessIdentity& owner) {
  if (owner.pid <= 0) return false;
  if (owner.start_ticks == 0) {
    // Without a start time only the pid can be asked; EPERM means it exists.
    return kill(static_cast<pid_t>(owner.pid), 0) == 0 || errno == EPERM;
  }
  const auto stat = read_proc_stat(owner.pid);
  if (!stat) return false;
  // A zombie will never write again, even before its parent reaps it.
  if (stat->state == 'Z' || stat->state == 'X') return false;
  return stat->start_ticks == owner.start_ticks;
}

}  // namespace qgate
