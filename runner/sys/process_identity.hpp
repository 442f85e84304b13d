#pragma once
// Who owns a running run: a process named so that a reused pid is not taken
// for it (its start time since boot), on a named host.
#include <cstdint>
#include <optional>
#include <string>

namespace qgate {

// What identifies a process even after its pid is reused.
struct ProcessIdentity {
  std::int64_t pid = 0;
  std::string host;
  std::int64_t start_ticks = 0;  // 0 where /proc could not be read
};

// Returns the identity of this process.
ProcessIdentity current_process();
// Returns this machine's host name.
std::string host_name();
// Returns false only when `owner` (a process of this host) certainly no longer runs.
bool may_be_alive(const ProcessIdentity& owner);

}  // namespace qgate
