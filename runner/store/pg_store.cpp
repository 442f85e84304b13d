// The PostgreSQL result store: qgate's runs beside the checkout system's own
// tables, shared by every machine that runs qgate for a team. The layout is
// in schemas/migrations/postgres/. libpqxx stays inside this file.
#include <unistd.h>

#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>

#include "runner/core/embedded.hpp"
#include "runner/core/result_text.hpp"
#include "runner/store/pg_connection.hpp"
#include "runner/store/pg_plugin.hpp"
#include "runner/store/run_queue_pg.hpp"
#include "runner/store/store.hpp"
#include "runner/sys/process_identity.hpp"

namespace qgate {
namespace {

struct Migration {
  int version;
  std::string_view path;
};
constexpr std::array<Migration, 8> kMigrations{{
    {1, "schemas/migrations/postgres/0001_checkout_tables.sql"},
    {2, "schemas/migrations/postgres/0002_qgate_runs.sql"},
    {3, "schemas/migrations/postgres/0003_run_queue.sql"},
    {4, "schemas/migrations/postgres/0004_pr_url.sql"},
    {5, "schemas/migrations/postgres/0005_api.sql"},
    {6, "schemas/migrations/postgres/0006_run_queue_newest.sql"},
    {7, "schemas/migrations/postgres/0007_module_id_text.sql"},
    {8, "schemas/migrations/postgres/0008_baselines.sql"},
}};

// Any fixed number: it only has to be the same in every qgate process.
constexpr long long kMigrationLock = 0x71676174650001LL;

// A running run without news for this long is taken for dead on any host.
constexpr int kLeaseSeconds = 120;

const char* const kTimestamp =
    "to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";

std::string timestamp(const char* column) {
  char buffer[160];
  std::snprintf(buffer, sizeof buffer, kTimestamp, column);
  return buffer;
}

Status parse_status(const std::string& text) {
  if (const auto status = status_from_string(text)) return *status;
  throw StoreError("unknown status '" + text + "' in the database");
}

// Returns true if `text` is 32 hex digits in groups of 8-4-4-4-12, each
// hyphen optional, as PostgreSQL's uuid type reads them.
bool looks_like_uuid(const std::string& text) {
  std::size_t at = 0;
  for (const std::size_t digits : {8, 4, 4, 4, 12}) {
    if (at > 0 && at < text.size() && text[at] == '-') ++at;
    for (std::size_t i = 0; i < digits; ++i, ++at) {
      if (at >= text.size() || std::isxdigit(static_cast<unsigned char>(text[at])) == 0)
        return false;
    }
  }
  return at == text.size();
}

void apply_migrations(pqxx::connection& connection, std::vector<int>* applied) {
  {
    // Fast path: an up-to-date database needs no lock.
    pqxx::work check(connection);
    const auto known = check.exec("SELECT to_regclass('qgate_schema_migrations') IS NOT NULL");
    if (known[0][0].as<bool>()) {
      const auto newest =
          check.exec("SELECT coalesce(max(version), 0) FROM qgate_schema_migrations");
      const int version = newest[0][0].as<int>();
      if (version > kMigrations.back().version) {
        throw StoreError("the database has qgate schema version " + std::to_string(version) +
                         ", newer than version " + std::to_string(kMigrations.back().version) +
                         " that this qgate knows; use a newer qgate");
      }
      if (version == kMigrations.back().version) return;
    }
  }
  // Ten processes starting at once: the advisory lock lets one migrate, the
  // others then find every version applied.
  pqxx::work work(connection);
  work.exec_params("SELECT pg_advisory_xact_lock($1)", kMigrationLock);
  work.exec(
      "CREATE TABLE IF NOT EXISTS qgate_schema_migrations ("
      "version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW())");
  for (const auto& migration : kMigrations) {
    const auto done = work.exec_params("SELECT 1 FROM qgate_schema_migrations WHERE version = $1",
                                       migration.version);
    if (!done.empty()) continue;
    work.exec(std::string(*embedded_file(migration.path)));
    work.exec_params("INSERT INTO qgate_schema_migrations (version) VALUES ($1)",
                     migration.version);
    if (applied != nullptr) applied->push_back(migration.version);
  }
  work.commit();
}

class PostgresStore final : public Store, public CheckoutDirectory {
 public:
  PostgresStore(std::string url, RetryBudget retry)
      : db_(std::move(url), retry), self_(current_process()) {
    with_retry("cannot open the result store", [&](pqxx::connection& c) {
      apply_migrations(c, nullptr);
      return 0;
    });
  }

  std::string describe() const override { return "PostgreSQL " + redact_database_url(db_.url()); }
  CheckoutDirectory* checkouts() override { return this; }

  int reap_interrupted() override {
    return with_retry("cannot mark interrupted runs", [&](pqxx::connection& c) {
      pqxx::work work(c);
      const auto running = work.exec_params(
          "SELECT id::text, owner_host, owner_pid, owner_start_ticks, "
          "heartbeat_at < NOW() - make_interval(secs => $1) FROM qgate_runs "
          "WHERE status = 'running'",
          kLeaseSeconds);
      int marked = 0;
      for (const auto& row : running) {
        const std::string host = row[1].as<std::string>();
        const bool stale = row[4].as<bool>();
        const ProcessIdentity owner{row[2].as<long long>(), host, row[3].as<long long>()};
        // On this host the owner can be asked; elsewhere only its heartbeat tells.
        const bool dead = host == self_.host ? !may_be_alive(owner) : stale;
        if (!dead) continue;
        const auto updated = work.exec_params(
            "UPDATE qgate_runs SET status = 'interrupted', finished_at = NOW() "
            "WHERE id = $1::uuid AND status = 'running'",
            row[0].as<std::string>());
        marked += static_cast<int>(updated.affected_rows());
      }
      work.commit();
      return marked;
    });
  }

  // Every text written is made storable first (make_storable): PostgreSQL
  // refuses invalid UTF-8 and NUL, and one such byte in a step's output or a
  // report would otherwise lose the run, and every later one of the module.
  void begin_run(const RunResult& original) override {
    const RunResult run = storable_copy(original);
    with_retry("cannot begin run " + run.id, [&](pqxx::connection& c) {
      pqxx::work work(c);
      insert_run(work, run, Status::running, "ON CONFLICT (id) DO NOTHING");
      work.commit();
      return 0;
    });
  }

  void record_gate(const std::string& run_id, const GateResult& original) override {
    const GateResult gate = storable_copy(original);
    with_retry("cannot record gate '" + gate.name + "' of run " + run_id, [&](pqxx::connection& c) {
      pqxx::work work(c);
      write_gate(work, run_id, gate);
      work.commit();
      return 0;
    });
  }

  void finish_run(const RunResult& original) override {
    const RunResult run = storable_copy(original);
    with_retry("cannot finish run " + run.id, [&](pqxx::connection& c) {
      pqxx::work work(c);
      insert_run(work, run, run.status,
                 "ON CONFLICT (id) DO UPDATE SET module_name = excluded.module_name, "
                 "checkout_id = excluded.checkout_id, commit_sha = excluded.commit_sha, "
                 "ref = excluded.ref, finished_at = excluded.finished_at, "
                 "duration_s = excluded.duration_s, status = excluded.status, "
                 "exit_code = excluded.exit_code, pr_url = excluded.pr_url, "
                 "heartbeat_at = NOW()");
      work.exec_params("DELETE FROM qgate_requirement_results WHERE run_id = $1::uuid", run.id);
      if (!run.requirements.empty()) {
        pqxx::stream_to stream(work, "qgate_requirement_results",
                               std::vector<std::string>{"run_id", "position", "name", "category",
                                                        "gate", "required", "status", "message"});
        for (std::size_t i = 0; i < run.requirements.size(); ++i) {
          const RequirementResult& r = run.requirements[i];
          stream << std::make_tuple(run.id, static_cast<int>(i), r.name, r.category, r.gate,
                                    r.required, std::string(to_string(r.status)), r.message);
        }
        stream.complete();
      }
      for (const GateResult& gate : run.gates) {
        const auto known = work.exec_params(
            "SELECT 1 FROM qgate_gate_results WHERE run_id = $1::uuid AND name = $2", run.id,
            gate.name);
        if (known.empty()) write_gate(work, run.id, gate);
      }
      work.commit();
      return 0;
    });
  }

  std::vector<RunSummary> list_runs(const RunQuery& query) override {
    return with_retry("cannot list runs", [&](pqxx::connection& c) {
      pqxx::read_transaction work(c);
      const auto rows = work.exec_params(
          "SELECT r.id::text, r.module_id, " + timestamp("r.started_at") + ", " + "coalesce(" +
              timestamp("r.finished_at") +
              ", ''), r.duration_s, r.status, "
              "r.exit_code, "
              "(SELECT count(*) FROM qgate_gate_results g WHERE g.run_id = r.id AND g.status = "
              "'passed'), "
              "(SELECT count(*) FROM qgate_gate_results g WHERE g.run_id = r.id AND g.status IN "
              "('failed', 'error', 'cancelled', 'not_configured', 'interrupted')) "
              "FROM qgate_runs r WHERE ($1 = '' OR r.module_id = $1) "
              "ORDER BY r.started_at DESC, r.id DESC LIMIT $2",
          query.module_id, query.limit > 0 ? query.limit : 1000000);
      std::vector<RunSummary> out;
      for (const auto& row : rows) {
        RunSummary s;
        s.id = row[0].as<std::string>();
        s.module_id = row[1].as<std::string>();
        s.started_at = row[2].as<std::string>();
        s.finished_at = row[3].as<std::string>();
        s.duration_s = row[4].as<double>();
        s.status = parse_status(row[5].as<std::string>());
        s.exit_code = row[6].as<int>();
        s.gates_passed = row[7].as<int>();
        s.gates_failed = row[8].as<int>();
        out.push_back(std::move(s));
      }
      return out;
    });
  }

  std::optional<RunResult> load_run(const std::string& id) override {
    if (id.empty() || id.find_first_not_of("0123456789abcdefABCDEF-") != std::string::npos) {
      return std::nullopt;
    }
    return with_retry(
        "cannot load run " + id, [&](pqxx::connection& c) -> std::optional<RunResult> {
          pqxx::read_transaction work(c);
          const auto matches = work.exec_params(
              "SELECT id::text FROM qgate_runs WHERE id::text LIKE $1 || '%' ORDER BY id LIMIT 2",
              id);
          if (matches.empty()) return std::nullopt;
          if (matches.size() > 1 && matches[0][0].as<std::string>() != id) {
            throw StoreError("run id prefix '" + id + "' is ambiguous: it matches " +
                             matches[0][0].as<std::string>() + ", " +
                             matches[1][0].as<std::string>() +
                             " and perhaps more; give more of the id");
          }
          RunResult run;
          run.id = matches[0][0].as<std::string>();
          const auto row = work.exec_params(
              "SELECT module_id, module_name, module_path, config_path, triggered_by, commit_sha, "
              "ref, qgate_version, " +
                  timestamp("started_at") + ", coalesce(" + timestamp("finished_at") +
                  ", ''), duration_s, status, exit_code, "
                  "coalesce(checkout_id::text, ''), pr_url FROM qgate_runs WHERE id = $1::uuid",
              run.id)[0];
          run.module_id = row[0].as<std::string>();
          run.module_name = row[1].as<std::string>();
          run.module_path = row[2].as<std::string>();
          run.config_path = row[3].as<std::string>();
          run.trigger = row[4].as<std::string>();
          run.commit_sha = row[5].as<std::string>();
          run.ref = row[6].as<std::string>();
          run.qgate_version = row[7].as<std::string>();
          run.started_at = row[8].as<std::string>();
          run.finished_at = row[9].as<std::string>();
          run.duration_s = row[10].as<double>();
          run.status = parse_status(row[11].as<std::string>());
          run.exit_code = row[12].as<int>();
          run.checkout_id = row[13].as<std::string>();
          run.pr_url = row[14].as<std::string>();
          for (const auto& r : work.exec_params(
                   "SELECT name, category, gate, required, status, message FROM "
                   "qgate_requirement_results WHERE run_id = $1::uuid ORDER BY position",
                   run.id)) {
            RequirementResult& requirement = run.requirements.emplace_back();
            requirement.name = r[0].as<std::string>();
            requirement.category = r[1].as<std::string>();
            requirement.gate = r[2].as<std::string>();
            requirement.required = r[3].as<bool>();
            requirement.status = parse_status(r[4].as<std::string>());
            requirement.message = r[5].as<std::string>();
          }
          read_gates(work, run);
          return run;
        });
  }

  std::optional<GateBaseline> gate_baseline(const std::string& module_id,
                                            const std::string& gate) override {
    const std::string run_id =
        with_retry("cannot read the baseline of gate " + gate, [&](pqxx::connection& c) {
          pqxx::read_transaction work(c);
          const auto rows = work.exec_params(
              "SELECT r.id::text FROM qgate_runs r JOIN qgate_gate_results g ON g.run_id = r.id "
              "WHERE r.module_id = $1 AND g.name = $2 AND g.status = 'passed' "
              "AND r.status <> 'running' ORDER BY r.started_at DESC, r.id DESC LIMIT 1",
              module_id, gate);
          return rows.empty() ? std::string() : rows[0][0].as<std::string>();
        });
    if (run_id.empty()) return std::nullopt;
    return baseline_of(load_run(run_id), gate);
  }

  std::vector<GateBaseline> gate_baselines(const std::string& module_id, const std::string& gate,
                                           int count) override {
    const std::vector<std::string> run_ids =
        with_retry("cannot read the baseline runs of gate " + gate, [&](pqxx::connection& c) {
          pqxx::read_transaction work(c);
          std::vector<std::string> ids;
          for (const auto& row : work.exec_params(
                   "SELECT r.id::text FROM qgate_runs r JOIN qgate_gate_results g ON g.run_id = "
                   "r.id WHERE r.module_id = $1 AND g.name = $2 AND g.status = 'passed' "
                   "AND r.status <> 'running' ORDER BY r.started_at DESC, r.id DESC LIMIT $3",
                   module_id, gate, std::max(0, count))) {
            ids.push_back(row[0].as<std::string>());
          }
          return ids;
        });
    std::vector<GateBaseline> out;
    for (const auto& id : run_ids) {
      if (auto baseline = baseline_of(load_run(id), gate)) out.push_back(std::move(*baseline));
    }
    return out;
  }

  std::optional<GateBaseline> findings_baseline(const BaselineQuery& query) override {
    std::string commits;
    for (const auto& commit : query.commits) commits += (commits.empty() ? "" : "\x1f") + commit;
    const std::string run_id = with_retry(
        "cannot read the findings baseline of gate " + query.gate, [&](pqxx::connection& c) {
          pqxx::read_transaction work(c);
          // Whichever machine recorded it: the store is the team's.
          const auto rows = work.exec_params(
              "SELECT r.id::text FROM qgate_runs r JOIN qgate_gate_results g ON g.run_id = r.id "
              "WHERE r.module_id = $1 AND g.name = $2 AND g.baseline_eligible "
              "AND r.status <> 'running' "
              "AND ($3 = '' OR r.commit_sha = ANY(string_to_array($3, E'\\x1f'))) "
              "ORDER BY r.started_at DESC, r.id DESC LIMIT 1",
              query.module_id, query.gate, commits);
          return rows.empty() ? std::string() : rows[0][0].as<std::string>();
        });
    if (run_id.empty()) return std::nullopt;
    return baseline_of(load_run(run_id), query.gate);
  }

  int mark_baseline(const std::string& module_id, const std::string& gate,
                    const std::string& run_id, BaselineMark mark) override {
    if (mark == BaselineMark::accept && !looks_like_uuid(run_id)) return 0;
    return with_retry("cannot change the baseline of gate " + gate, [&](pqxx::connection& c) {
      pqxx::work work(c);
      const auto changed =
          mark == BaselineMark::accept
              ? work.exec_params(
                    "UPDATE qgate_gate_results g SET baseline_eligible = true FROM qgate_runs r "
                    "WHERE g.run_id = r.id AND r.module_id = $1 AND g.name = $2 "
                    "AND r.id = $3::uuid",
                    module_id, gate, run_id)
              : work.exec_params(
                    "UPDATE qgate_gate_results g SET baseline_eligible = false FROM qgate_runs r "
                    "WHERE g.run_id = r.id AND r.module_id = $1 AND g.name = $2 "
                    "AND g.baseline_eligible",
                    module_id, gate);
      work.commit();
      return static_cast<int>(changed.affected_rows());
    });
  }

  void heartbeat(const std::string& run_id) override {
    // One try: a database that is away now is met, retried and reported by
    // the next write of the run.
    db_.run_if_open([&](pqxx::connection& c) {
      pqxx::work work(c);
      work.exec_params("UPDATE qgate_runs SET heartbeat_at = NOW() WHERE id = $1::uuid", run_id);
      work.commit();
    });
  }

  std::optional<Checkout> find_checkout(const std::string& id) override {
    if (!looks_like_uuid(id)) return std::nullopt;
    return with_retry("cannot read checkout " + id, [&](pqxx::connection& c) {
      pqxx::read_transaction work(c);
      return first_checkout(
          work.exec_params(std::string(kCheckoutColumns) + " WHERE id = $1::uuid", id));
    });
  }

  std::optional<Checkout> active_checkout(const std::string& module_id) override {
    return with_retry("cannot read the checkouts of module " + module_id, [&](pqxx::connection& c) {
      pqxx::read_transaction work(c);
      return first_checkout(work.exec_params(
          std::string(kCheckoutColumns) +
              " WHERE module_id = $1 AND status = 'active' "
              "ORDER BY checkout_date DESC NULLS LAST, created_at DESC NULLS LAST LIMIT 1",
          module_id));
    });
  }

  std::vector<Checkout> notify_dependents(const RunResult& original,
                                          const std::vector<std::string>& dependents) override {
    const RunResult run = storable_copy(original);
    std::string joined;
    for (const auto& dependent : dependents) joined += (joined.empty() ? "" : "\x1f") + dependent;
    return with_retry("cannot notify the modules depending on " + run.module_id, [&](pqxx::
                                                                                         connection&
                                                                                             c) {
      pqxx::work work(c);
      const auto targets = work.exec_params(
          std::string(kCheckoutColumns) +
              " WHERE status = 'active' AND module_id <> $2 AND "
              "(module_id = ANY(string_to_array(NULLIF($1, ''), E'\\x1f')) OR module_id IN "
              "(SELECT module_id FROM module_dependencies WHERE depends_on_module_id = $2)) "
              "ORDER BY module_id, id",
          joined, run.module_id);
      std::vector<Checkout> notified;
      for (const auto& row : targets) {
        Checkout target = checkout_from(row);
        const std::string message =
            "Module " + run.module_id +
            (run.module_name.empty() || run.module_name == run.module_id
                 ? std::string()
                 : " (" + run.module_name + ")") +
            " passed its integration gates (qgate run " + run.id +
            (run.commit_sha.empty() ? std::string() : ", commit " + run.commit_sha.substr(0, 12)) +
            "). Module " + target.module_id + " depends on it: integrate against the new version.";
        // The run id in the message makes a second call for the same run a no-op.
        const auto inserted = work.exec_params(
            "INSERT INTO checkout_notifications (checkout_id, notification_type, recipient_email, "
            "message, delivery_status) SELECT $1::uuid, 'completion', $2, $3, 'pending' "
            "WHERE NOT EXISTS (SELECT 1 FROM checkout_notifications WHERE checkout_id = $1::uuid "
            "AND message = $3)",
            target.id, target.email, message);
        if (inserted.affected_rows() > 0) notified.push_back(std::move(target));
      }
      work.commit();
      return notified;
    });
  }

 private:
  static constexpr std::string_view kCheckoutColumns =
      "SELECT id::text, module_id, checked_out_by, checked_out_by_email, "
      "coalesce(status, '') FROM module_checkouts";

  static Checkout checkout_from(const pqxx::row& row) {
    return {row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>(),
            row[3].as<std::string>(), row[4].as<std::string>()};
  }

  static std::optional<Checkout> first_checkout(const pqxx::result& rows) {
    if (rows.empty()) return std::nullopt;
    return checkout_from(rows[0]);
  }

  // Runs `work` on the shared connection, retried within the budget (see
  // PgConnection::run). Every `work` here is idempotent.
  template <typename Work>
  auto with_retry(const std::string& what, Work&& work)
      -> decltype(work(std::declval<pqxx::connection&>())) {
    return db_.run(what, PgConnection::Tries::within_budget,
                   [&](pqxx::connection& c, int) { return work(c); });
  }

  void insert_run(pqxx::work& work, const RunResult& run, Status status, const std::string& tail) {
    work.exec_params(
        "INSERT INTO qgate_runs (id, checkout_id, module_id, module_name, module_path, "
        "config_path, triggered_by, commit_sha, ref, qgate_version, started_at, finished_at, "
        "duration_s, status, exit_code, owner_host, owner_pid, owner_start_ticks, pr_url) VALUES "
        "($1::uuid, NULLIF($2, '')::uuid, $3, $4, $5, $6, $7, $8, $9, $10, $11::timestamptz, "
        "NULLIF($12, '')::timestamptz, $13, $14, $15, $16, $17, $18, $19) " +
            tail,
        run.id, run.checkout_id, run.module_id, run.module_name, run.module_path, run.config_path,
        run.trigger, run.commit_sha, run.ref, run.qgate_version, run.started_at,
        status == Status::running ? std::string() : run.finished_at,
        std::isfinite(run.duration_s) ? run.duration_s : 0.0, std::string(to_string(status)),
        run.exit_code, self_.host, static_cast<long long>(self_.pid),
        static_cast<long long>(self_.start_ticks), run.pr_url);
  }

  void write_gate(pqxx::work& work, const std::string& run_id, const GateResult& gate) {
    const auto run =
        work.exec_params("SELECT module_id FROM qgate_runs WHERE id = $1::uuid", run_id);
    if (run.empty()) throw StoreError("run " + run_id + " was never begun");
    const std::string module_id = run[0][0].as<std::string>();
    // Recording a gate again replaces it in place.
    const auto old = work.exec_params(
        "DELETE FROM qgate_gate_results WHERE run_id = $1::uuid AND name = $2 RETURNING position",
        run_id, gate.name);
    const int position =
        !old.empty()
            ? old[0][0].as<int>()
            : work.exec_params("SELECT count(*) FROM qgate_gate_results WHERE run_id = $1::uuid",
                               run_id)[0][0]
                  .as<int>();
    const long long gate_id =
        work.exec_params(
                "INSERT INTO qgate_gate_results (run_id, position, name, status, required, "
                "duration_s, message, baseline_eligible) "
                "VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                run_id, position, gate.name, std::string(to_string(gate.status)), gate.required,
                std::isfinite(gate.duration_s) ? gate.duration_s : 0.0, gate.message,
                gate.baseline_eligible)[0][0]
            .as<long long>();
    // COPY: 10,000 findings are one round trip, not 10,000.
    if (!gate.steps.empty()) {
      pqxx::stream_to stream(
          work, "qgate_step_results",
          std::vector<std::string>{"gate_id", "position", "gate", "name", "command", "status",
                                   "exit_code", "term_signal", "attempts", "flaky", "timed_out",
                                   "duration_s", "log_path", "tail", "message"});
      for (std::size_t i = 0; i < gate.steps.size(); ++i) {
        const StepResult& s = gate.steps[i];
        stream << std::make_tuple(gate_id, static_cast<int>(i), s.gate, s.name, s.command,
                                  std::string(to_string(s.status)), s.exit_code, s.term_signal,
                                  s.attempts, s.flaky, s.timed_out,
                                  std::isfinite(s.duration_s) ? s.duration_s : 0.0, s.log_path,
                                  s.tail, s.message);
      }
      stream.complete();
    }
    if (!gate.findings.empty()) {
      pqxx::stream_to stream(
          work, "qgate_findings",
          std::vector<std::string>{"gate_id", "position", "module_id", "requirement", "rule",
                                   "severity", "message", "file", "line", "column_number",
                                   "fingerprint", "baseline"});
      for (std::size_t i = 0; i < gate.findings.size(); ++i) {
        const Finding& f = gate.findings[i];
        stream << std::make_tuple(gate_id, static_cast<int>(i), module_id, f.requirement, f.rule,
                                  std::string(to_string(f.severity)), f.message, f.file, f.line,
                                  f.column, f.fingerprint, f.baseline);
      }
      stream.complete();
    }
    for (std::size_t i = 0; i < gate.metrics.size(); ++i) {
      const Metric& m = gate.metrics[i];
      // NaN is kept as NULL, as in the SQLite store.
      work.exec_params(
          "INSERT INTO qgate_metrics (gate_id, position, module_id, name, value, unit) "
          "VALUES ($1, $2, $3, $4, NULLIF($5, 'NaN'::float8), $6)",
          gate_id, static_cast<int>(i), module_id, m.name,
          std::isnan(m.value) ? std::numeric_limits<double>::quiet_NaN() : m.value, m.unit);
    }
  }

  void read_gates(pqxx::read_transaction& work, RunResult& run) {
    const auto gates = work.exec_params(
        "SELECT id, name, status, required, duration_s, message, baseline_eligible "
        "FROM qgate_gate_results WHERE run_id = $1::uuid ORDER BY position",
        run.id);
    for (const auto& g : gates) {
      GateResult& gate = run.gates.emplace_back();
      const long long gate_id = g[0].as<long long>();
      gate.name = g[1].as<std::string>();
      gate.status = parse_status(g[2].as<std::string>());
      gate.required = g[3].as<bool>();
      gate.duration_s = g[4].as<double>();
      gate.message = g[5].as<std::string>();
      gate.baseline_eligible = g[6].as<bool>();
      for (const auto& s : work.exec_params(
               "SELECT gate, name, command, status, exit_code, term_signal, attempts, flaky, "
               "timed_out, duration_s, log_path, tail, message FROM qgate_step_results "
               "WHERE gate_id = $1 ORDER BY position",
               gate_id)) {
        StepResult& step = gate.steps.emplace_back();
        step.gate = s[0].as<std::string>();
        step.name = s[1].as<std::string>();
        step.command = s[2].as<std::string>();
        step.status = parse_status(s[3].as<std::string>());
        step.exit_code = s[4].as<int>();
        step.term_signal = s[5].as<int>();
        step.attempts = s[6].as<int>();
        step.flaky = s[7].as<bool>();
        step.timed_out = s[8].as<bool>();
        step.duration_s = s[9].as<double>();
        step.log_path = s[10].as<std::string>();
        step.tail = s[11].as<std::string>();
        step.message = s[12].as<std::string>();
      }
      for (const auto& f : work.exec_params(
               "SELECT requirement, rule, severity, message, file, line, column_number, "
               "fingerprint, baseline FROM qgate_findings WHERE gate_id = $1 ORDER BY position",
               gate_id)) {
        Finding& finding = gate.findings.emplace_back();
        finding.requirement = f[0].as<std::string>();
        finding.rule = f[1].as<std::string>();
        finding.severity = severity_from_string(f[2].as<std::string>()).value_or(Severity::medium);
        finding.message = f[3].as<std::string>();
        finding.file = f[4].as<std::string>();
        finding.line = f[5].as<int>();
        finding.column = f[6].as<int>();
        finding.fingerprint = f[7].as<std::string>();
        finding.baseline = f[8].as<std::string>();
      }
      for (const auto& m : work.exec_params(
               "SELECT name, value, unit FROM qgate_metrics WHERE gate_id = $1 ORDER BY position",
               gate_id)) {
        Metric& metric = gate.metrics.emplace_back();
        metric.name = m[0].as<std::string>();
        metric.value = m[1].is_null() ? std::nan("") : m[1].as<double>();
        metric.unit = m[2].as<std::string>();
      }
    }
  }

  PgConnection db_;
  ProcessIdentity self_;
};

std::vector<int> migrate_here(const std::string& url) {
  setenv("PGCONNECT_TIMEOUT", "5", 0);
  try {
    pqxx::connection connection(url);
    std::vector<int> applied;
    apply_migrations(connection, &applied);
    return applied;
  } catch (const StoreError&) {
    throw;
  } catch (const pqxx::broken_connection& e) {
    throw StoreError("cannot migrate " + redact_database_url(url) + ": " + e.what(),
                     StoreFailure::unavailable);
  } catch (const std::exception& e) {
    throw StoreError("cannot migrate " + redact_database_url(url) + ": " + e.what());
  }
}

std::vector<std::pair<int, bool>> migration_status_here(const std::string& url) {
  setenv("PGCONNECT_TIMEOUT", "5", 0);
  try {
    pqxx::connection connection(url);
    pqxx::read_transaction work(connection);
    std::vector<std::pair<int, bool>> status;
    const bool table =
        work.exec("SELECT to_regclass('qgate_schema_migrations') IS NOT NULL")[0][0].as<bool>();
    for (const auto& migration : kMigrations) {
      bool applied = false;
      if (table) {
        applied = !work.exec_params("SELECT 1 FROM qgate_schema_migrations WHERE version = $1",
                                    migration.version)
                       .empty();
      }
      status.emplace_back(migration.version, applied);
    }
    return status;
  } catch (const pqxx::broken_connection& e) {
    throw StoreError("cannot reach " + redact_database_url(url) + ": " + e.what(),
                     StoreFailure::unavailable);
  } catch (const std::exception& e) {
    throw StoreError("cannot read the migrations of " + redact_database_url(url) + ": " + e.what());
  }
}

PostgresStore& as_store(void* store) { return *static_cast<PostgresStore*>(store); }

const PgApi kApi = {
    kPgApiVersion,
    [](const std::string& url, const RetryBudget& retry, PgError& error) -> void* {
      PostgresStore* store = nullptr;
      guarded(error, [&] {
        setenv("PGCONNECT_TIMEOUT", "5", 0);
        store = new PostgresStore(url, retry);
      });
      return store;
    },
    [](void* store) { delete static_cast<PostgresStore*>(store); },
    [](void* store, PgError& error) {
      int marked = 0;
      guarded(error, [&] { marked = as_store(store).reap_interrupted(); });
      return marked;
    },
    [](void* store, const RunResult& run, PgError& error) {
      guarded(error, [&] { as_store(store).begin_run(run); });
    },
    [](void* store, const std::string& run_id, const GateResult& gate, PgError& error) {
      guarded(error, [&] { as_store(store).record_gate(run_id, gate); });
    },
    [](void* store, const RunResult& run, PgError& error) {
      guarded(error, [&] { as_store(store).finish_run(run); });
    },
    [](void* store, const RunQuery& query, std::vector<RunSummary>& out, PgError& error) {
      guarded(error, [&] { out = as_store(store).list_runs(query); });
    },
    [](void* store, const std::string& id, std::optional<RunResult>& out, PgError& error) {
      guarded(error, [&] { out = as_store(store).load_run(id); });
    },
    [](void* store, const std::string& run_id) {
      PgError ignored;
      guarded(ignored, [&] { as_store(store).heartbeat(run_id); });
    },
    [](void* store, std::string& out) { out = as_store(store).describe(); },
    [](void* store, const std::string& id, std::optional<Checkout>& out, PgError& error) {
      guarded(error, [&] { out = as_store(store).find_checkout(id); });
    },
    [](void* store, const std::string& module_id, std::optional<Checkout>& out, PgError& error) {
      guarded(error, [&] { out = as_store(store).active_checkout(module_id); });
    },
    [](void* store, const RunResult& run, const std::vector<std::string>& dependents,
       std::vector<Checkout>& out, PgError& error) {
      guarded(error, [&] { out = as_store(store).notify_dependents(run, dependents); });
    },
    [](void* store, const std::string& module_id, const std::string& gate,
       std::optional<GateBaseline>& out, PgError& error) {
      guarded(error, [&] { out = as_store(store).gate_baseline(module_id, gate); });
    },
    [](const std::string& url, std::vector<int>& out, PgError& error) {
      guarded(error, [&] { out = migrate_here(url); });
    },
    [](const std::string& url, std::vector<std::pair<int, bool>>& out, PgError& error) {
      guarded(error, [&] { out = migration_status_here(url); });
    },
    queue_open,
    queue_close,
    queue_enqueue,
    queue_claim,
    queue_renew,
    queue_finish,
    queue_hand_back,
    queue_sweep,
    queue_cancel,
    queue_list,
    queue_get,
    queue_append_log,
    [](void* store, const std::string& module_id, const std::string& gate, int count,
       std::vector<GateBaseline>& out, PgError& error) {
      guarded(error, [&] { out = as_store(store).gate_baselines(module_id, gate, count); });
    },
    [](void* store, const BaselineQuery& query, std::optional<GateBaseline>& out, PgError& error) {
      guarded(error, [&] { out = as_store(store).findings_baseline(query); });
    },
    [](void* store, const std::string& module_id, const std::string& gate,
       const std::string& run_id, BaselineMark mark, int& out, PgError& error) {
      guarded(error, [&] { out = as_store(store).mark_baseline(module_id, gate, run_id, mark); });
    },
};

}  // namespace

void apply_postgres_migrations(pqxx::connection& connection) {
  apply_migrations(connection, nullptr);
}

}  // namespace qgate

extern "C" __attribute__((visibility("default"))) const qgate::PgApi* qgate_pg_api() {
  return &qgate::kApi;
}
