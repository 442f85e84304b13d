// The embedded result store: one SQLite file (.qgate/qgate.db) shared by every
// qgate process of a machine. The layout is in schemas/migrations/sqlite/.
#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <utility>

#include <nlohmann/json.hpp>

#include "runner/core/embedded.hpp"
#include "runner/store/sqlite_db.hpp"
#include "runner/store/store.hpp"
#include "runner/sys/process_identity.hpp"

namespace qgate {
namespace {

// The schema versions this binary knows, in order. A later version is added
// here and to qgate_embed(...) in CMakeLists.txt; released ones never change.
struct Migration {
  int version;
  std::string_view path;
};
constexpr std::array<Migration, 5> kMigrations{{
    {1, "schemas/migrations/sqlite/0001_initial.sql"},
    {2, "schemas/migrations/sqlite/0002_checkout_id.sql"},
    {3, "schemas/migrations/sqlite/0003_dependent_notices.sql"},
    {4, "schemas/migrations/sqlite/0004_pr_url.sql"},
    {5, "schemas/migrations/sqlite/0005_baselines.sql"},
}};
constexpr int kKnownVersion = kMigrations.back().version;

// Long enough to outwait another process's whole run being recorded.
constexpr int kBusyTimeoutMs = 10'000;

// A row whose content this binary cannot turn back into the result model.
class UnreadableRow : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Runs `work`, turning SQLite's failures into a StoreError that says what
// was being `done`.
template <typename Work>
auto guarded(const std::string& done, Work&& work) -> decltype(work()) {
  try {
    return work();
  } catch (const SqliteError& e) {
    throw StoreError(done + ": " + e.what());
  } catch (const UnreadableRow& e) {
    throw StoreError(done + ": " + e.what());
  }
}

Status parse_status(const std::string& text) {
  if (const auto status = status_from_string(text)) return *status;
  throw UnreadableRow("unknown status '" + text + "'");
}

Severity parse_severity(const std::string& text) {
  if (const auto severity = severity_from_string(text)) return *severity;
  throw UnreadableRow("unknown severity '" + text + "'");
}

// Returns the smallest string greater than every string starting with
// `prefix`, or nothing if there is none (`prefix` is all 0xff bytes).
std::optional<std::string> prefix_successor(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) prefix.pop_back();
  if (prefix.empty()) return std::nullopt;
  prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

// Returns the highest schema version applied to `db`, 0 for a new file.
int schema_version(SqliteDb& db) {
  auto has_table =
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
  if (!has_table.step()) return 0;
  auto newest = db.prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
  newest.step();
  return static_cast<int>(newest.column_int(0));
}

void require_known_version(int version, const std::filesystem::path& db_path) {
  if (version <= kKnownVersion) return;
  throw StoreError("result store " + db_path.string() + " has schema version " +
                   std::to_string(version) + ", newer than version " +
                   std::to_string(kKnownVersion) +
                   " that this qgate knows; use a newer qgate or another database");
}

// Applies the missing migrations, each in its own write transaction so that
// processes opening the file at once apply each version exactly once.
void migrate(SqliteDb& db, const std::filesystem::path& db_path) {
  // The common case, an up-to-date file, costs one read and no lock.
  int version = schema_version(db);
  require_known_version(version, db_path);
  for (const Migration& migration : kMigrations) {
    if (migration.version <= version) continue;
    const auto sql = embedded_file(migration.path);
    if (!sql) throw StoreError("migration " + std::string(migration.path) + " is not compiled in");
    SqliteTransaction transaction(db, TransactionKind::write);
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
    // Another process may have migrated while this one waited for the lock.
    version = schema_version(db);
    require_known_version(version, db_path);
    if (migration.version <= version) continue;
    try {
      db.execute(*sql);
    } catch (const SqliteError& e) {
      throw SqliteError(e.code(), "applying " + std::string(migration.path) + ": " + e.what());
    }
    auto record = db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)");
    record.bind_int(1, migration.version).bind_text(2, utc_now_iso8601()).run();
    transaction.commit();
    version = migration.version;
  }
}

std::string journal_mode(SqliteDb& db, std::string_view pragma) {
  auto statement = db.prepare(pragma);
  return statement.step() ? statement.column_text(0) : std::string();
}

// Switches `db` to WAL unless it is in WAL already.
void use_wal(SqliteDb& db) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  for (;;) {
    try {
      // Asking only reads; switching takes an exclusive lock, needed once per file.
      if (journal_mode(db, "PRAGMA journal_mode") == "wal") return;
      journal_mode(db, "PRAGMA journal_mode = WAL");
      return;
    } catch (const SqliteError& e) {
      // Switching does not wait for that lock, whatever the busy timeout, so
      // processes creating the file together retry here.
      if (!e.is_busy() || std::chrono::steady_clock::now() >= deadline) throw;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void bind_optional_text(SqliteStatement& statement, int index, const std::string& value) {
  if (value.empty()) {
    statement.bind_null(index);
  } else {
    statement.bind_text(index, value);
  }
}

// The columns of runs in the order bind_run() binds them.
constexpr std::string_view kInsertRun =
    "INSERT INTO runs (id, module_id, module_name, module_path, config_path, triggered_by, "
    "commit_sha, ref, qgate_version, started_at, finished_at, duration_s, status, exit_code, "
    "owner_pid, owner_host, owner_start_ticks, checkout_id, pr_url) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)";

void bind_run(SqliteStatement& insert, const RunResult& run, Status status,
              const ProcessIdentity& owner) {
  insert.bind_text(1, run.id)
      .bind_text(2, run.module_id)
      .bind_text(3, run.module_name)
      .bind_text(4, run.module_path)
      .bind_text(5, run.config_path)
      .bind_text(6, run.trigger)
      .bind_text(7, run.commit_sha)
      .bind_text(8, run.ref)
      .bind_text(9, run.qgate_version)
      .bind_text(10, run.started_at)
      .bind_double(12, run.duration_s)
      .bind_text(13, to_string(status))
      .bind_int(14, run.exit_code)
      .bind_int(15, owner.pid)
      .bind_text(16, owner.host)
      .bind_int(17, owner.start_ticks);
  bind_optional_text(insert, 11, status == Status::running ? std::string() : run.finished_at);
  bind_optional_text(insert, 18, run.checkout_id);
  bind_optional_text(insert, 19, run.pr_url);
}

class SqliteStore final : public Store {
 public:
  SqliteStore(SqliteDb db, ProcessIdentity self) : db_(std::move(db)), self_(std::move(self)) {}

  int reap_interrupted() override;
  void begin_run(const RunResult& run) override;
  void record_gate(const std::string& run_id, const GateResult& gate) override;
  void finish_run(const RunResult& run) override;
  std::vector<RunSummary> list_runs(const RunQuery& query) override;
  std::optional<RunResult> load_run(const std::string& id) override;
  std::optional<GateBaseline> gate_baseline(const std::string& module_id,
                                            const std::string& gate) override;
  std::vector<GateBaseline> gate_baselines(const std::string& module_id, const std::string& gate,
                                           int count) override;
  std::optional<GateBaseline> findings_baseline(const BaselineQuery& query) override;
  int mark_baseline(const std::string& module_id, const std::string& gate,
                    const std::string& run_id, BaselineMark mark) override;
  std::vector<std::string> notify_dependent_modules(
      const RunResult& run, const std::vector<std::string>& dependents) override;
  std::string describe() const override { return db_path_; }
  void set_path(const std::filesystem::path& path) { db_path_ = path.string(); }

 private:
  // Writes `gate` of run `run_id` inside the caller's transaction.
  void write_gate(const std::string& run_id, const GateResult& gate);
  // Returns the full id of the run that `id` names exactly or as a unique prefix.
  std::optional<std::string> resolve_id(const std::string& id);
  void read_gates(RunResult& run);

  // The scheduler may record gates from several threads; one connection serves all.
  std::mutex mutex_;
  SqliteDb db_;
  ProcessIdentity self_;
  std::string db_path_;
};

int SqliteStore::reap_interrupted() {
  std::lock_guard lock(mutex_);
  return guarded("cannot mark interrupted runs", [&] {
    // Judging owners needs no lock; only the few dead ones are written.
    std::vector<std::string> orphans;
    auto running = db_.prepare(
        "SELECT id, owner_pid, owner_start_ticks FROM runs "
        "WHERE status = 'running' AND owner_host = ?1");
    running.bind_text(1, self_.host);  // other hosts' processes are out of sight
    while (running.step()) {
      const ProcessIdentity owner{running.column_int(1), self_.host, running.column_int(2)};
      if (!may_be_alive(owner)) orphans.push_back(running.column_text(0));
    }
    if (orphans.empty()) return 0;
    SqliteTransaction transaction(db_, TransactionKind::write);
    // The status test skips a run that another process reaped meanwhile.
    auto mark = db_.prepare(
        "UPDATE runs SET status = 'interrupted', finished_at = ?2 "
        "WHERE id = ?1 AND status = 'running'");
    const std::string now = utc_now_iso8601();
    int marked = 0;
    for (const auto& id : orphans) {
      mark.bind_text(1, id).bind_text(2, now).run();
      marked += db_.changes();
    }
    transaction.commit();
    return marked;
  });
}

void SqliteStore::begin_run(const RunResult& run) {
  std::lock_guard lock(mutex_);
  guarded("cannot begin run " + run.id, [&] {
    auto insert = db_.prepare(kInsertRun);
    bind_run(insert, run, Status::running, self_);
    insert.run();
  });
}

void SqliteStore::record_gate(const std::string& run_id, const GateResult& gate) {
  std::lock_guard lock(mutex_);
  guarded("cannot record gate '" + gate.name + "' of run " + run_id, [&] {
    SqliteTransaction transaction(db_, TransactionKind::write);
    write_gate(run_id, gate);
    transaction.commit();
  });
}

void SqliteStore::write_gate(const std::string& run_id, const GateResult& gate) {
  // Recording a gate again keeps its row id and position and replaces the rest.
  auto upsert = db_.prepare(
      "INSERT INTO gate_results (run_id, position, name, status, required, duration_s, message, "
      "baseline_eligible) "
      "VALUES (?1, (SELECT coalesce(max(position), 0) + 1 FROM gate_results WHERE run_id = ?1), "
      "?2, ?3, ?4, ?5, ?6, ?7) "
      "ON CONFLICT (run_id, name) DO UPDATE SET status = excluded.status, "
      "required = excluded.required, duration_s = excluded.duration_s, message = excluded.message, "
      "baseline_eligible = excluded.baseline_eligible "
      "RETURNING id");
  upsert.bind_text(1, run_id)
      .bind_text(2, gate.name)
      .bind_text(3, to_string(gate.status))
      .bind_int(4, gate.required ? 1 : 0)
      .bind_double(5, gate.duration_s)
      .bind_text(6, gate.message)
      .bind_int(7, gate.baseline_eligible ? 1 : 0);
  upsert.step();
  const std::int64_t gate_id = upsert.column_int(0);
  upsert.reset();

  for (const char* clear :
       {"DELETE FROM step_results WHERE gate_id = ?1", "DELETE FROM findings WHERE gate_id = ?1",
        "DELETE FROM metrics WHERE gate_id = ?1"}) {
    db_.prepare(clear).bind_int(1, gate_id).run();
  }

  if (!gate.steps.empty()) {
    auto insert = db_.prepare(
        "INSERT INTO step_results (gate_id, position, gate, name, command, status, exit_code, "
        "term_signal, attempts, flaky, timed_out, duration_s, log_path, tail, message) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
    for (std::size_t i = 0; i < gate.steps.size(); ++i) {
      const StepResult& step = gate.steps[i];
      insert.bind_int(1, gate_id)
          .bind_int(2, static_cast<std::int64_t>(i))
          .bind_text(3, step.gate)
          .bind_text(4, step.name)
          .bind_text(5, step.command)
          .bind_text(6, to_string(step.status))
          .bind_int(7, step.exit_code)
          .bind_int(8, step.term_signal)
          .bind_int(9, step.attempts)
          .bind_int(10, step.flaky ? 1 : 0)
          .bind_int(11, step.timed_out ? 1 : 0)
          .bind_double(12, step.duration_s)
          .bind_text(13, step.log_path)
          .bind_text(14, step.tail)
          .bind_text(15, step.message)
          .run();
    }
  }
  if (!gate.findings.empty()) {
    auto insert = db_.prepare(
        "INSERT INTO findings (gate_id, position, requirement, rule, severity, message, file, "
        "line_number, column_number, fingerprint, baseline) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    for (std::size_t i = 0; i < gate.findings.size(); ++i) {
      const Finding& finding = gate.findings[i];
      insert.bind_int(1, gate_id)
          .bind_int(2, static_cast<std::int64_t>(i))
          .bind_text(3, finding.requirement)
          .bind_text(4, finding.rule)
          .bind_text(5, to_string(finding.severity))
          .bind_text(6, finding.message)
          .bind_text(7, finding.file)
          .bind_int(8, finding.line)
          .bind_int(9, finding.column)
          .bind_text(10, finding.fingerprint)
          .bind_text(11, finding.baseline)
          .run();
    }
  }
  if (!gate.metrics.empty()) {
    auto insert = db_.prepare(
        "INSERT INTO metrics (gate_id, position, name, value, unit) VALUES (?1, ?2, ?3, ?4, ?5)");
    for (std::size_t i = 0; i < gate.metrics.size(); ++i) {
      const Metric& metric = gate.metrics[i];
      insert.bind_int(1, gate_id)
          .bind_int(2, static_cast<std::int64_t>(i))
          .bind_text(3, metric.name);
      // SQLite turns NaN into NULL, so say so explicitly.
      if (std::isnan(metric.value)) {
        insert.bind_null(4);
      } else {
        insert.bind_double(4, metric.value);
      }
      insert.bind_text(5, metric.unit).run();
    }
  }
}

void SqliteStore::finish_run(const RunResult& run) {
  std::lock_guard lock(mutex_);
  guarded("cannot finish run " + run.id, [&] {
    SqliteTransaction transaction(db_, TransactionKind::write);
    // A run never begun is recorded whole, owned by this process. A begun one keeps
    // its id, module, start and owner: leaving their indexes alone saves pages.
    auto upsert = db_.prepare(std::string(kInsertRun) +
                              " ON CONFLICT (id) DO UPDATE SET module_name = excluded.module_name, "
                              "module_path = excluded.module_path, "
                              "config_path = excluded.config_path, "
                              "triggered_by = excluded.triggered_by, "
                              "commit_sha = excluded.commit_sha, ref = excluded.ref, "
                              "qgate_version = excluded.qgate_version, "
                              "finished_at = excluded.finished_at, "
                              "duration_s = excluded.duration_s, status = excluded.status, "
                              "exit_code = excluded.exit_code, "
                              "checkout_id = excluded.checkout_id, pr_url = excluded.pr_url");
    bind_run(upsert, run, run.status, self_);
    upsert.run();

    db_.prepare("DELETE FROM requirement_results WHERE run_id = ?1").bind_text(1, run.id).run();
    auto insert = db_.prepare(
        "INSERT INTO requirement_results (run_id, position, name, category, gate, required, "
        "status, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    for (std::size_t i = 0; i < run.requirements.size(); ++i) {
      const RequirementResult& requirement = run.requirements[i];
      insert.bind_text(1, run.id)
          .bind_int(2, static_cast<std::int64_t>(i))
          .bind_text(3, requirement.name)
          .bind_text(4, requirement.category)
          .bind_text(5, requirement.gate)
          .bind_int(6, requirement.required ? 1 : 0)
          .bind_text(7, to_string(requirement.status))
          .bind_text(8, requirement.message)
          .run();
    }

    auto recorded = db_.prepare("SELECT 1 FROM gate_results WHERE run_id = ?1 AND name = ?2");
    for (const GateResult& gate : run.gates) {
      recorded.bind_text(1, run.id).bind_text(2, gate.name);
      const bool known = recorded.step();
      recorded.reset();
      if (!known) write_gate(run.id, gate);
    }
    transaction.commit();
  });
}

std::vector<RunSummary> SqliteStore::list_runs(const RunQuery& query) {
  std::lock_guard lock(mutex_);
  return guarded("cannot list runs", [&] {
    // One snapshot, so the gate counts belong to the runs listed.
    SqliteTransaction transaction(db_, TransactionKind::read);
    // Two texts rather than "?1 = '' OR ...", which would hide the index.
    auto runs =
        db_.prepare(std::string("SELECT id, module_id, started_at, finished_at, duration_s, "
                                "status, exit_code FROM runs ") +
                    (query.module_id.empty() ? "" : "WHERE module_id = ?1 ") +
                    "ORDER BY started_at DESC, rowid DESC LIMIT ?2");
    if (!query.module_id.empty()) runs.bind_text(1, query.module_id);
    runs.bind_int(2, query.limit > 0 ? query.limit : -1);  // SQLite: negative means no limit
    auto counts =
        db_.prepare("SELECT status, count(*) FROM gate_results WHERE run_id = ?1 GROUP BY status");

    std::vector<RunSummary> summaries;
    while (runs.step()) {
      RunSummary summary;
      summary.id = runs.column_text(0);
      summary.module_id = runs.column_text(1);
      summary.started_at = runs.column_text(2);
      summary.finished_at = runs.column_text(3);
      summary.duration_s = runs.column_double(4);
      summary.status = parse_status(runs.column_text(5));
      summary.exit_code = static_cast<int>(runs.column_int(6));
      counts.bind_text(1, summary.id);
      while (counts.step()) {
        const Status status = parse_status(counts.column_text(0));
        const int count = static_cast<int>(counts.column_int(1));
        if (status == Status::passed) summary.gates_passed += count;
        if (is_failure(status)) summary.gates_failed += count;
      }
      counts.reset();
      summaries.push_back(std::move(summary));
    }
    transaction.commit();
    return summaries;
  });
}

std::optional<std::string> SqliteStore::resolve_id(const std::string& id) {
  auto exact = db_.prepare("SELECT 1 FROM runs WHERE id = ?1");
  if (exact.bind_text(1, id).step()) return id;

  // A range on the primary key's index, where LIKE would scan the table.
  const auto successor = prefix_successor(id);
  auto matches = db_.prepare(successor ? "SELECT id FROM runs WHERE id >= ?1 AND id < ?2 "
                                         "ORDER BY id LIMIT 2"
                                       : "SELECT id FROM runs WHERE id >= ?1 ORDER BY id LIMIT 2");
  matches.bind_text(1, id);
  if (successor) matches.bind_text(2, *successor);
  std::vector<std::string> found;
  while (matches.step()) found.push_back(matches.column_text(0));
  if (found.empty()) return std::nullopt;
  if (found.size() > 1) {
    throw StoreError("run id prefix '" + id + "' is ambiguous: it matches " + found[0] + ", " +
                     found[1] + " and perhaps more; give more of the id");
  }
  return found[0];
}

std::optional<GateBaseline> SqliteStore::gate_baseline(const std::string& module_id,
                                                       const std::string& gate) {
  std::string run_id;
  {
    std::lock_guard lock(mutex_);
    run_id = guarded("cannot read the baseline of gate " + gate, [&] {
      auto row = db_.prepare(
          "SELECT r.id FROM runs r JOIN gate_results g ON g.run_id = r.id "
          "WHERE r.module_id = ?1 AND g.name = ?2 AND g.status = 'passed' "
          "AND r.status <> 'running' ORDER BY r.started_at DESC, r.rowid DESC LIMIT 1");
      row.bind_text(1, module_id).bind_text(2, gate);
      return row.step() ? row.column_text(0) : std::string();
    });
  }
  if (run_id.empty()) return std::nullopt;
  return baseline_of(load_run(run_id), gate);
}

std::vector<GateBaseline> SqliteStore::gate_baselines(const std::string& module_id,
                                                      const std::string& gate, int count) {
  std::vector<std::string> run_ids;
  {
    std::lock_guard lock(mutex_);
    run_ids = guarded("cannot read the baseline runs of gate " + gate, [&] {
      auto rows = db_.prepare(
          "SELECT r.id FROM runs r JOIN gate_results g ON g.run_id = r.id "
          "WHERE r.module_id = ?1 AND g.name = ?2 AND g.status = 'passed' "
          "AND r.status <> 'running' ORDER BY r.started_at DESC, r.rowid DESC LIMIT ?3");
      rows.bind_text(1, module_id).bind_text(2, gate).bind_int(3, std::max(0, count));
      std::vector<std::string> ids;
      while (rows.step()) ids.push_back(rows.column_text(0));
      return ids;
    });
  }
  std::vector<GateBaseline> out;
  for (const auto& id : run_ids) {
    if (auto baseline = baseline_of(load_run(id), gate)) out.push_back(std::move(*baseline));
  }
  return out;
}

std::optional<GateBaseline> SqliteStore::findings_baseline(const BaselineQuery& query) {
  std::string run_id;
  {
    std::lock_guard lock(mutex_);
    run_id = guarded("cannot read the findings baseline of gate " + query.gate, [&] {
      // The commits go in as one JSON array: a list of any length in one parameter.
      auto row = db_.prepare(
          std::string("SELECT r.id FROM runs r JOIN gate_results g ON g.run_id = r.id "
                      "WHERE r.module_id = ?1 AND g.name = ?2 AND g.baseline_eligible = 1 "
                      "AND r.status <> 'running' ") +
          (query.commits.empty() ? "" : "AND r.commit_sha IN (SELECT value FROM json_each(?3)) ") +
          "ORDER BY r.started_at DESC, r.rowid DESC LIMIT 1");
      row.bind_text(1, query.module_id).bind_text(2, query.gate);
      if (!query.commits.empty()) row.bind_text(3, nlohmann::json(query.commits).dump());
      return row.step() ? row.column_text(0) : std::string();
    });
  }
  if (run_id.empty()) return std::nullopt;
  return baseline_of(load_run(run_id), query.gate);
}

int SqliteStore::mark_baseline(const std::string& module_id, const std::string& gate,
                               const std::string& run_id, BaselineMark mark) {
  std::lock_guard lock(mutex_);
  return guarded("cannot change the baseline of gate " + gate, [&] {
    SqliteTransaction transaction(db_, TransactionKind::write);
    auto update = db_.prepare(
        mark == BaselineMark::accept
            ? "UPDATE gate_results SET baseline_eligible = 1 WHERE name = ?2 AND run_id = ?3 "
              "AND run_id IN (SELECT id FROM runs WHERE module_id = ?1)"
            : "UPDATE gate_results SET baseline_eligible = 0 WHERE name = ?2 "
              "AND baseline_eligible = 1 AND run_id IN (SELECT id FROM runs WHERE module_id = ?1)");
    update.bind_text(1, module_id).bind_text(2, gate);
    if (mark == BaselineMark::accept) update.bind_text(3, run_id);
    update.run();
    const int changed = db_.changes();
    transaction.commit();
    return changed;
  });
}

std::vector<std::string> SqliteStore::notify_dependent_modules(
    const RunResult& run, const std::vector<std::string>& dependents) {
  std::lock_guard lock(mutex_);
  return guarded("cannot record the notices of run " + run.id, [&] {
    SqliteTransaction transaction(db_, TransactionKind::write);
    std::vector<std::string> noticed;
    const std::string now = utc_now_iso8601();
    for (const auto& module : dependents) {
      auto insert = db_.prepare(
          "INSERT INTO dependent_notices (run_id, module_id, message, created_at) "
          "VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING");
      insert.bind_text(1, run.id)
          .bind_text(2, module)
          .bind_text(3, run.module_id + " passed its quality gates (run " + run.id + ")")
          .bind_text(4, now)
          .run();
      if (db_.changes() > 0) noticed.push_back(module);
    }
    transaction.commit();
    return noticed;
  });
}

std::optional<RunResult> SqliteStore::load_run(const std::string& id) {
  std::lock_guard lock(mutex_);
  if (id.empty()) return std::nullopt;
  return guarded("cannot load run " + id, [&]() -> std::optional<RunResult> {
    // One snapshot, so a gate being recorded meanwhile shows whole or not at all.
    SqliteTransaction transaction(db_, TransactionKind::read);
    const auto full_id = resolve_id(id);
    if (!full_id) return std::nullopt;

    auto row = db_.prepare(
        "SELECT module_id, module_name, module_path, config_path, triggered_by, commit_sha, ref, "
        "qgate_version, started_at, finished_at, duration_s, status, exit_code, checkout_id, "
        "pr_url FROM runs WHERE id = ?1");
    if (!row.bind_text(1, *full_id).step()) return std::nullopt;
    RunResult run;
    run.id = *full_id;
    run.module_id = row.column_text(0);
    run.module_name = row.column_text(1);
    run.module_path = row.column_text(2);
    run.config_path = row.column_text(3);
    run.trigger = row.column_text(4);
    run.commit_sha = row.column_text(5);
    run.ref = row.column_text(6);
    run.qgate_version = row.column_text(7);
    run.started_at = row.column_text(8);
    run.finished_at = row.column_text(9);
    run.duration_s = row.column_double(10);
    run.status = parse_status(row.column_text(11));
    run.exit_code = static_cast<int>(row.column_int(12));
    run.checkout_id = row.column_text(13);
    run.pr_url = row.column_text(14);

    auto requirements = db_.prepare(
        "SELECT name, category, gate, required, status, message FROM requirement_results "
        "WHERE run_id = ?1 ORDER BY position");
    requirements.bind_text(1, run.id);
    while (requirements.step()) {
      RequirementResult& requirement = run.requirements.emplace_back();
      requirement.name = requirements.column_text(0);
      requirement.category = requirements.column_text(1);
      requirement.gate = requirements.column_text(2);
      requirement.required = requirements.column_int(3) != 0;
      requirement.status = parse_status(requirements.column_text(4));
      requirement.message = requirements.column_text(5);
    }
    read_gates(run);
    transaction.commit();
    return run;
  });
}

void SqliteStore::read_gates(RunResult& run) {
  std::unordered_map<std::int64_t, std::size_t> index_of;  // gate row id -> run.gates index
  auto gates = db_.prepare(
      "SELECT id, name, status, required, duration_s, message, baseline_eligible "
      "FROM gate_results WHERE run_id = ?1 ORDER BY position");
  gates.bind_text(1, run.id);
  while (gates.step()) {
    index_of[gates.column_int(0)] = run.gates.size();
    GateResult& gate = run.gates.emplace_back();
    gate.name = gates.column_text(1);
    gate.status = parse_status(gates.column_text(2));
    gate.required = gates.column_int(3) != 0;
    gate.duration_s = gates.column_double(4);
    gate.message = gates.column_text(5);
    gate.baseline_eligible = gates.column_int(6) != 0;
  }
  if (run.gates.empty()) return;
  auto gate_of = [&](const SqliteStatement& row) -> GateResult& {
    return run.gates[index_of.at(row.column_int(0))];
  };

  auto steps = db_.prepare(
      "SELECT s.gate_id, s.gate, s.name, s.command, s.status, s.exit_code, s.term_signal, "
      "s.attempts, s.flaky, s.timed_out, s.duration_s, s.log_path, s.tail, s.message "
      "FROM step_results s JOIN gate_results g ON g.id = s.gate_id "
      "WHERE g.run_id = ?1 ORDER BY s.gate_id, s.position");
  steps.bind_text(1, run.id);
  while (steps.step()) {
    StepResult& step = gate_of(steps).steps.emplace_back();
    step.gate = steps.column_text(1);
    step.name = steps.column_text(2);
    step.command = steps.column_text(3);
    step.status = parse_status(steps.column_text(4));
    step.exit_code = static_cast<int>(steps.column_int(5));
    step.term_signal = static_cast<int>(steps.column_int(6));
    step.attempts = static_cast<int>(steps.column_int(7));
    step.flaky = steps.column_int(8) != 0;
    step.timed_out = steps.column_int(9) != 0;
    step.duration_s = steps.column_double(10);
    step.log_path = steps.column_text(11);
    step.tail = steps.column_text(12);
    step.message = steps.column_text(13);
  }

  auto findings = db_.prepare(
      "SELECT f.gate_id, f.requirement, f.rule, f.severity, f.message, f.file, f.line_number, "
      "f.column_number, f.fingerprint, f.baseline "
      "FROM findings f JOIN gate_results g ON g.id = f.gate_id "
      "WHERE g.run_id = ?1 ORDER BY f.gate_id, f.position");
  findings.bind_text(1, run.id);
  while (findings.step()) {
    Finding& finding = gate_of(findings).findings.emplace_back();
    finding.requirement = findings.column_text(1);
    finding.rule = findings.column_text(2);
    finding.severity = parse_severity(findings.column_text(3));
    finding.message = findings.column_text(4);
    finding.file = findings.column_text(5);
    finding.line = static_cast<int>(findings.column_int(6));
    finding.column = static_cast<int>(findings.column_int(7));
    finding.fingerprint = findings.column_text(8);
    finding.baseline = findings.column_text(9);
  }

  auto metrics = db_.prepare(
      "SELECT m.gate_id, m.name, m.value, m.unit "
      "FROM metrics m JOIN gate_results g ON g.id = m.gate_id "
      "WHERE g.run_id = ?1 ORDER BY m.gate_id, m.position");
  metrics.bind_text(1, run.id);
  while (metrics.step()) {
    Metric& metric = gate_of(metrics).metrics.emplace_back();
    metric.name = metrics.column_text(1);
    metric.value = metrics.column_is_null(2) ? std::numeric_limits<double>::quiet_NaN()
                                             : metrics.column_double(2);
    metric.unit = metrics.column_text(3);
  }
}

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& db_path) {
  const std::string done = "cannot open result store " + db_path.string();
  try {
    if (db_path.has_parent_path()) std::filesystem::create_directories(db_path.parent_path());
    SqliteDb db = SqliteDb::open(db_path);
    db.set_busy_timeout(kBusyTimeoutMs);
    // WAL: readers never wait for the writer, and a commit is one append.
    // NORMAL: no fsync per commit; a crash of qgate loses nothing, a power
    // cut at worst the last commits, never the file's consistency.
    use_wal(db);
    db.execute("PRAGMA synchronous = NORMAL");
    db.execute("PRAGMA foreign_keys = ON");
    // Each qgate process is short-lived. Checkpointing as it exits would cost
    // every run three fsyncs (WAL, file, new WAL header): 1 to 20 ms on a busy
    // CI disk. Instead a commit checkpoints once the WAL holds 200 pages
    // (some 15 runs), and a process that opens the file first reads back at
    // most that much WAL: about 2 us a page.
    db.skip_checkpoint_on_close();
    db.execute("PRAGMA wal_autocheckpoint = 200");
    // A WAL that grew while a reader held back checkpoints shrinks again (4 MiB).
    db.execute("PRAGMA journal_size_limit = 4194304");
    migrate(db, db_path);
    auto store = std::make_unique<SqliteStore>(std::move(db), current_process());
    store->set_path(db_path);
    return store;
  } catch (const SqliteError& e) {
    throw StoreError(done + ": " + e.what());
  } catch (const std::filesystem::filesystem_error& e) {
    throw StoreError(done + ": " + e.code().message());
  }
}

}  // namespace qgate
