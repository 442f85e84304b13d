#pragma once
// The result store: where runs are recorded and read back. SQLite is the
// embedded back end; a PostgreSQL back end implements the same interface.
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "runner/core/result.hpp"

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

// Which recorded runs a gate's findings baseline may come from.
struct BaselineQuery {
  std::string module_id;
  std::string gate;
  // Only runs recorded at one of these commits (the base's and its
  // ancestors'); empty: a run at any commit.
  std::vector<std::string> commits;
};

// Whether `qgate baseline accept|reset` makes recorded gates a baseline.
enum class BaselineMark { accept, reset };

// Whether a store failure may pass if tried again later.
enum class StoreFailure { permanent, unavailable };

// Thrown when the store cannot do its work (unreadable file, disk full, the
// database unreachable after retries, ...).
class StoreError : public std::runtime_error {
 public:
  explicit StoreError(const std::string& what, StoreFailure kind = StoreFailure::permanent)
      : std::runtime_error(what), kind_(kind) {}
  // Returns true when the database could not be reached (results can be spooled).
  bool unavailable() const { return kind_ == StoreFailure::unavailable; }

 private:
  StoreFailure kind_;
};

// A module checkout of the checkout system (table module_checkouts).
struct Checkout {
  std::string id;
  std::string module_id;
  std::string checked_out_by;
  std::string email;
  std::string status;
};

// The checkout system's tables, where the store holds them (PostgreSQL).
class CheckoutDirectory {
 public:
  virtual ~CheckoutDirectory() = default;
  // Returns the checkout with id `id`, if there is one.
  virtual std::optional<Checkout> find_checkout(const std::string& id) = 0;
  // Returns the newest active checkout of module `module_id`, if there is one.
  virtual std::optional<Checkout> active_checkout(const std::string& module_id) = 0;
  // Records, for passing run `run`, a notification to every active checkout of
  // a module that depends on the run's module: the modules in `dependents`
  // (from the registry) and those in module_dependencies. Returns the
  // checkouts notified; a second call for the same run notifies nobody twice.
  virtual std::vector<Checkout> notify_dependents(const RunResult& run,
                                                  const std::vector<std::string>& dependents) = 0;
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
  // Returns gate `gate` of the latest finished run of module `module_id` in
  // which that gate passed (its findings and metrics), if there is one.
  // A run still running (this one, or another process's) is never the baseline.
  virtual std::optional<GateBaseline> gate_baseline(const std::string& module_id,
                                                    const std::string& gate) = 0;
  // Returns gate `gate` of the `count` latest finished runs of module
  // `module_id` in which that gate passed, newest first: the distribution
  // benchmark regressions are judged against. Stores that keep no history
  // answer with gate_baseline() alone.
  virtual std::vector<GateBaseline> gate_baselines(const std::string& module_id,
                                                   const std::string& gate, int count) {
    std::vector<GateBaseline> out;
    if (count <= 0) return out;
    if (auto latest = gate_baseline(module_id, gate)) out.push_back(std::move(*latest));
    return out;
  }
  // Returns the gate of the latest finished run matching `query` whose
  // findings may be a baseline (GateResult::baseline_eligible), if any.
  virtual std::optional<GateBaseline> findings_baseline(const BaselineQuery& query) = 0;
  // With `BaselineMark::accept`, makes gate `gate` of run `run_id` (module
  // `module_id`) a baseline; with `reset`, no recorded run of that module's
  // gate is one any more (`run_id` unused). Returns how many gates changed.
  virtual int mark_baseline(const std::string& module_id, const std::string& gate,
                            const std::string& run_id, BaselineMark mark) = 0;
  // Records, for passing run `run`, a completion notice to each module in
  // `dependents` (stores without checkout tables; the others notify
  // checkouts through checkouts()). Returns the modules noticed now: a second
  // call for the same run notices nobody twice.
  virtual std::vector<std::string> notify_dependent_modules(
      const RunResult& run, const std::vector<std::string>& dependents) {
    (void)run;
    (void)dependents;
    throw StoreError(describe() + " notifies the checkouts of dependent modules instead");
  }
  // Tells the store that this process still works on run `run_id` (stores
  // shared by several machines mark runs without news as interrupted).
  virtual void heartbeat(const std::string& run_id) { (void)run_id; }
  // Returns the checkout tables, or nullptr where the store has none (SQLite).
  virtual CheckoutDirectory* checkouts() { return nullptr; }
  // Returns where the results go, for messages (never with a password).
  virtual std::string describe() const = 0;
};

// Opens (creating and migrating if needed) the SQLite store at `db_path`.
std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& db_path);

// How long a database that cannot be reached is retried before giving up.
struct RetryBudget {
  std::chrono::milliseconds total{std::chrono::seconds(30)};
  std::chrono::milliseconds first_pause{100};
  std::chrono::milliseconds longest_pause{std::chrono::seconds(2)};
};

// Opens (migrating if needed) the PostgreSQL store at `url`: a libpq URL or
// key=value string; the password comes from it, PGPASSWORD or ~/.pgpass.
std::unique_ptr<Store> open_postgres_store(const std::string& url, const RetryBudget& retry = {});

// Applies the PostgreSQL migrations not yet applied to `url`; returns the
// versions applied now.
std::vector<int> migrate_postgres(const std::string& url);
// Returns the PostgreSQL migration versions known to this binary and, for
// each, whether `url` has it.
std::vector<std::pair<int, bool>> postgres_migration_status(const std::string& url);

// Returns `url` with any password replaced by "***", for messages.
std::string redact_database_url(const std::string& url);

}  // namespace qgate
