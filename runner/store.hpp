#pragma once
// The result store: where runs are recorded and read back. SQLite is the
// embedded back end; a PostgreSQL back end implements the same interface.
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "runner/result.hpp"

namespace qgate {

// A run as listed by `qgate history`.
struct RunSummary {
  std::string id;
  std::string module_id;
  std::string started_at;
  std::string finished_at;
  double duration_s = 0;
  Status status = Status::running;
  int exit_code = -1;
  int gates_passed = 0;
  int gates_failed = 0;
};

// Which runs list_runs() returns, newest first.
struct RunQuery {
  std::string module_id;  // empty: every module
  int limit = 20;
};

// Thrown when the store cannot do its work (unreadable file, disk full, ...).
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Store {
 public:
  virtual ~Store() = default;

  // Marks as interrupted every run left `running` by a process that no longer
  // exists; returns how many were marked.
  virtual int reap_interrupted() = 0;
  // Records `run` as started (status running, owned by this process).
  virtual void begin_run(const RunResult& run) = 0;
  // Records one finished gate of run `run_id` with its steps, findings and
  // metrics, in one transaction.
  virtual void record_gate(const std::string& run_id, const GateResult& gate) = 0;
  // Records the requirement verdicts and the final status of `run`, in one
  // transaction. Gates not yet recorded are recorded too.
  virtual void finish_run(const RunResult& run) = 0;
  // Lists runs matching `query`, newest first.
  virtual std::vector<RunSummary> list_runs(const RunQuery& query) = 0;
  // Loads the run whose id is `id`, or starts with `id` if that is unique.
  virtual std::optional<RunResult> load_run(const std::string& id) = 0;
};

// Opens (creating and migrating if needed) the SQLite store at `db_path`.
std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& db_path);

}  // namespace qgate
