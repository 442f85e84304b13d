#pragma once
// `qgate worker`: processes that take runs from the queue in PostgreSQL
// (runner/run_queue.hpp) and run `qgate check` for each, as a child process.
//
// Each worker is a single-threaded process: it forks its `qgate check`
// children with no other thread alive (as the scheduler does), a crash or a
// leak in one worker never takes the others, and each has its own database
// connection. `--workers N` forks N of them under a supervisor that forwards
// SIGTERM/SIGINT and starts again a worker that died; on several machines,
// each runs its own `qgate worker`.
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
  // If not empty, module folders must lie under this folder.
  std::filesystem::path modules_root;
};

// Runs the workers until `options.mode` says to stop or a signal comes;
// returns the process exit code (0 after a graceful stop).
int run_worker(const WorkerOptions& options, std::ostream& out, std::ostream& err);

}  // namespace qgate
