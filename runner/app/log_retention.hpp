#pragma once
// The logs and artifacts of runs under .qgate/runs/<run>/, kept by a
// retention policy: the last runs of each module, within a total size.
// The store's rows of older runs stay; only their folders go.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "runner/core/config.hpp"

namespace qgate {

// What prune_run_logs() did.
struct PruneOutcome {
  int removed = 0;
  std::uintmax_t removed_bytes = 0;
  int kept = 0;
  std::uintmax_t kept_bytes = 0;
};

// The folder of one run while it runs: it is marked with the module's id and
// locked, so that no pruning (of another run sharing the folder) removes it.
class RunFolder {
 public:
  // Creates `runs_dir`/`run_id` marked as a run of `module_id`; without a
  // marker (unwritable folder), the run goes on unprotected.
  RunFolder(const std::filesystem::path& runs_dir, const std::string& run_id,
            const std::string& module_id);
  ~RunFolder();
  RunFolder(const RunFolder&) = delete;
  RunFolder& operator=(const RunFolder&) = delete;

 private:
  int lock_fd_ = -1;
};

// Removes the folders of runs under `runs_dir` beyond `policy`: for each
// module all but its newest `keep_runs`, then the oldest until the rest fits
// in `max_bytes`. Folders of runs still running are never removed. Each
// removed run is listed in `runs_dir`/.pruned.
PruneOutcome prune_run_logs(const std::filesystem::path& runs_dir, const LogRetention& policy);

// Returns when the folder of run `run_id` under `runs_dir` was pruned (UTC,
// ISO 8601), or nothing if it was not.
std::optional<std::string> pruned_at(const std::filesystem::path& runs_dir,
                                     const std::string& run_id);

}  // namespace qgate
