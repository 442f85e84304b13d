#pragma once
// `qgate worker`: processes that take runs from the queue in PostgreSQL
// (runner/store/run_queue.hpp) and run `qgate check` for each, as a child process.
//
// Each worker is a single-threaded process: it forks its `qgate check`
// children with no other thread alive (as the scheduler does), a crash or a
// leak in one worker never takes the others, and each has its own database
// connection. `--workers N` forks N of them under a supervisor that forwards
// SIGTERM/SIGINT and starts again a worker that died; on several machines,
// each runs its own `qgate worker`.
//
// An item names a local module folder or a git repository and ref: the
// worker then prepares a worktree of that commit from its mirror cache
// (runner/queue/git_workspace.hpp) and removes it afterwards. The item's log (what
// `qgate check` prints, then each step's log) goes to qgate_run_logs as the
// run goes.
#include <filesystem>
#include <iosfwd>
#include <string>

namespace qgate {

// When a worker stops taking items.
enum class WorkerMode {
  forever,  // until SIGTERM or SIGINT
  once,     // after one item (or none queued)
  drain,    // once nothing is queued
};

struct WorkerOptions {
  std::string database_url;
  int workers = 1;
  int lease_seconds = 30;      // renewed every half second while the item runs
  double poll_seconds = 1.0;   // pause between claims while nothing is queued
  double stop_seconds = 60.0;  // after SIGTERM, how long a running item may go on
  WorkerMode mode = WorkerMode::forever;
  int jobs = 0;  // `qgate check -j` unless the item says; 0: qgate's default
  // If not empty, module folders (and local repositories) must lie under
  // this folder.
  std::filesystem::path modules_root;
  // Mirrors of repositories, worktrees of runs and each module's state
  // (spool); empty: $XDG_CACHE_HOME/qgate, else ~/.cache/qgate.
  std::filesystem::path workspace_root;
  // The qgate executable run for `qgate check` and as git's askpass; empty:
  // this process's own. A program that embeds the worker names the qgate
  // beside it.
  std::string qgate_binary;
};

// Runs the workers until `options.mode` says to stop or a signal comes;
// returns the process exit code (0 after a graceful stop).
int run_worker(const WorkerOptions& options, std::ostream& out, std::ostream& err);

}  // namespace qgate
