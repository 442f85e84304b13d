#include "runner/app/log_retention.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <map>
#include <vector>

#include "runner/core/result.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;

// In each run's folder: the module's id; its age is the run's; locked while
// the run runs.
constexpr const char* kMarker = ".qgate-run";
// In the runs folder: "<run id> <when>" for each run whose folder was pruned.
constexpr const char* kPrunedList = ".pruned";

struct RunEntry {
  fs::path folder;
  std::string module;
  fs::file_time_type started;
  std::uintmax_t bytes = 0;
  bool running = false;
};

// Locks the marker at `marker` if no run holds it; returns the descriptor
// (to close once done), -1 if there is no marker, -2 if a run holds it.
int try_lock(const fs::path& marker) {
  const int fd = ::open(marker.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return -2;
  }
  return fd;
}

std::uintmax_t folder_size(const fs::path& folder) {
  std::uintmax_t bytes = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator
           it(folder, fs::directory_options::skip_permission_denied, ec),
       end;
       !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) {
      const auto size = it->file_size(ec);
      if (!ec) bytes += size;
    }
    ec.clear();
  }
  return bytes;
}

std::string read_marker(const fs::path& marker) {
  std::ifstream in(marker);
  std::string module;
  std::getline(in, module);
  return module;
}

}  // namespace

RunFolder::RunFolder(const fs::path& runs_dir, const std::string& run_id,
                     const std::string& module_id) {
  std::error_code ec;
  const fs::path folder = runs_dir / run_id;
  fs::create_directories(folder, ec);
  const fs::path marker = folder / kMarker;
  lock_fd_ = ::open(marker.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) return;
  while (::flock(lock_fd_, LOCK_EX) != 0 && errno == EINTR) {
  }
  const std::string text = module_id + "\n";
  if (::write(lock_fd_, text.data(), text.size()) < 0) {
    // An unmarked folder is pruned as a run of an unknown module.
  }
}

RunFolder::~RunFolder() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

PruneOutcome prune_run_logs(const fs::path& runs_dir, const LogRetention& policy) {
  PruneOutcome outcome;
  std::vector<RunEntry> entries;
  std::error_code ec;
  for (fs::directory_iterator it(runs_dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_symlink(ec) || !it->is_directory(ec)) continue;
    RunEntry entry;
    entry.folder = it->path();
    const fs::path marker = entry.folder / kMarker;
    std::error_code marker_ec;
    entry.started = fs::last_write_time(marker, marker_ec);
    if (marker_ec) {
      entry.started = fs::last_write_time(entry.folder, marker_ec);
    } else {
      entry.module = read_marker(marker);
      // Still running: this run, or another one sharing the folder.
      const int fd = try_lock(marker);
      entry.running = fd == -2;
      if (fd >= 0) ::close(fd);
    }
    entry.bytes = folder_size(entry.folder);
    entries.push_back(std::move(entry));
  }
  std::sort(entries.begin(), entries.end(),
            [](const RunEntry& a, const RunEntry& b) { return a.started > b.started; });
  std::map<std::string, int> seen;
  std::uintmax_t kept_bytes = 0;
  std::ofstream pruned;
  for (auto& entry : entries) {
    const int rank = seen[entry.module]++;
    const bool too_many = rank >= std::max(policy.keep_runs, 1);
    const bool too_big = kept_bytes + entry.bytes > policy.max_bytes;
    // Locked while it goes, so that no run starts in it meanwhile.
    const int lock =
        entry.running || (!too_many && !too_big) ? -2 : try_lock(entry.folder / kMarker);
    if (lock == -2) {
      kept_bytes += entry.bytes;
      ++outcome.kept;
    } else {
      std::error_code remove_ec;
      fs::remove_all(entry.folder, remove_ec);
      if (lock >= 0) ::close(lock);
      if (remove_ec) {
        kept_bytes += entry.bytes;
        ++outcome.kept;
      } else {
        ++outcome.removed;
        outcome.removed_bytes += entry.bytes;
        if (!pruned.is_open()) pruned.open(runs_dir / kPrunedList, std::ios::app);
        pruned << entry.folder.filename().string() << " " << utc_now_iso8601() << "\n";
      }
    }
  }
  outcome.kept_bytes = kept_bytes;
  return outcome;
}

std::optional<std::string> pruned_at(const fs::path& runs_dir, const std::string& run_id) {
  std::ifstream in(runs_dir / kPrunedList);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > run_id.size() && line.compare(0, run_id.size(), run_id) == 0 &&
        line[run_id.size()] == ' ') {
      return line.substr(run_id.size() + 1);
    }
  }
  return std::nullopt;
}

}  // namespace qgate
