#include "runner/server/api_db.hpp"

#include <cctype>

#include "runner/server/api_requests.hpp"
#include "runner/server/signing.hpp"
#include "runner/store/pg_connection.hpp"

namespace qgate {
namespace {

// An ISO 8601 UTC text of timestamp column `column`, NULL stays NULL.
std::string iso(const std::string& column) {
  return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";
}

nlohmann::json text_or_null(const pqxx::field& field) {
  if (field.is_null() || field.as<std::string>().empty()) return nullptr;
  return field.as<std::string>();
}

nlohmann::json json_or(const pqxx::field& field, nlohmann::json fallback) {
  if (field.is_null()) return fallback;
  auto parsed = nlohmann::json::parse(field.c_str(), nullptr, false);
  return parsed.is_discarded() ? fallback : parsed;
}

// What a queue item's status and exit code mean for whoever asked for it.
nlohmann::json result_of(const std::string& status, int exit_code) {
  if (status == "queued" || status == "running") return nullptr;
  if (status == "cancelled" || status == "interrupted") return status;
  if (exit_code == 0) return "passed";
  if (exit_code == 1) return "failed";
  return "error";
}

const std::string kViewSql =
    "SELECT q.id, q.module_id, coalesce(q.checkout_id::text, ''), q.ref, q.repository, "
    "q.options::text, q.status, q.attempts, q.max_attempts, q.worker_host, q.cancel_requested, " +
    iso("q.created_at") + ", " + iso("q.started_at") + ", " + iso("q.finished_at") +
    ", coalesce(q.run_id::text, ''), coalesce(q.exit_code, -1), q.message, q.callback_state, "
    "(SELECT json_build_object('id', r.id, 'status', r.status, 'commit', r.commit_sha, "
    "'started_at', " +
    iso("r.started_at") + ", 'finished_at', " + iso("r.finished_at") +
    ", 'duration_s', r.duration_s, 'exit_code', r.exit_code, 'pr_url', r.pr_url, "
    "'gates', coalesce((SELECT json_agg(json_build_object('name', g.name, 'status', g.status, "
    "'required', g.required, 'duration_s', g.duration_s, 'message', g.message) ORDER BY "
    "g.position) FROM qgate_gate_results g WHERE g.run_id = r.id), '[]'::json), "
    "'requirements', coalesce((SELECT json_agg(json_build_object('name', x.name, 'category', "
    "x.category, 'gate', x.gate, 'required', x.required, 'status', x.status, 'message', "
    "x.message) ORDER BY x.position) FROM qgate_requirement_results x WHERE x.run_id = r.id), "
    "'[]'::json))::text FROM qgate_runs r WHERE r.id = q.run_id), "
    "(SELECT coalesce(json_agg(json_build_object('attempt', a.attempt, 'url', a.url, "
    "'attempted_at', " +
    iso("a.attempted_at") +
    // Only whether it was delivered: the receiver's answer, the error and
    // the timing would tell a caller what listens where.
    ", 'result', CASE WHEN a.status_code BETWEEN 200 AND 299 THEN 'delivered' ELSE 'failed' END) "
    "ORDER BY "
    "a.attempt), '[]'::json)::text FROM qgate_callback_attempts a WHERE a.item_id = q.id) "
    "FROM qgate_run_queue q WHERE q.id = $1::uuid";

const std::string kListSql =
    "SELECT q.id, q.module_id, coalesce(q.checkout_id::text, ''), q.ref, q.status, " +
    iso("q.created_at") + ", " + iso("q.finished_at") +
    ", coalesce(q.run_id::text, ''), coalesce(q.exit_code, -1), "
    "coalesce((SELECT r.pr_url FROM qgate_runs r WHERE r.id = q.run_id), ''), "
    "(extract(epoch FROM q.created_at) * 1000000)::bigint "
    "FROM qgate_run_queue q "
    "WHERE ($1 = '' OR q.checkout_id = NULLIF($1, '')::uuid) AND ($2 = '' OR q.module_id = $2) "
    "AND ($3 = '' OR q.status = $3) AND ($4 = '' OR (q.created_at, q.id) < "
    "(timestamptz 'epoch' + NULLIF($4, '')::bigint * interval '1 microsecond', "
    "NULLIF($5, '')::uuid)) ORDER BY q.created_at DESC, q.id DESC LIMIT $6";

}  // namespace

// A request should not hang while the database is away: a few short tries,
// then the HTTP client gets a 503 and tries again itself.
RetryBudget api_retry_budget() {
  RetryBudget budget;
  budget.total = std::chrono::milliseconds(1500);
  budget.first_pause = std::chrono::milliseconds(50);
  budget.longest_pause = std::chrono::milliseconds(500);
  return budget;
}

struct ApiDb::State {
  explicit State(const std::string& url) : connection(url, api_retry_budget()) {}

  // The run view is prepared once per connection (a new one after a
  // reconnection): parsing and planning it was most of the database's work
  // per request. The page query is not: planned with its values, each filter
  // finds its own index.
  void prepare(pqxx::connection& c) {
    if (&c == prepared_on && c.backendpid() == prepared_pid) return;
    c.prepare("qgate_run_view", kViewSql);
    prepared_on = &c;
    prepared_pid = c.backendpid();
  }

  PgConnection connection;
  const pqxx::connection* prepared_on = nullptr;
  int prepared_pid = 0;
};

ApiDb::ApiDb(const std::string& url) : state_(std::make_unique<State>(url)) {}
ApiDb::~ApiDb() = default;

std::optional<nlohmann::json> ApiDb::run_view(const std::string& id, const std::string& base_url) {
  return state_->connection.run(
      "reading run " + id, PgConnection::Tries::within_budget,
      [&](pqxx::connection& c, int) -> std::optional<nlohmann::json> {
        state_->prepare(c);
        pqxx::nontransaction tx(c);
        const auto rows = tx.exec_prepared("qgate_run_view", id);
        if (rows.empty()) return std::nullopt;
        const auto& row = rows[0];
        const std::string status = row[6].as<std::string>();
        const int exit_code = row[15].as<int>();
        nlohmann::json run = json_or(row[18], nullptr);
        nlohmann::json view = {
            {"id", row[0].as<std::string>()},
            {"url", base_url + "/v1/runs/" + row[0].as<std::string>()},
            {"log_url", base_url + "/v1/runs/" + row[0].as<std::string>() + "/log"},
            {"status", status},
            {"result", result_of(status, exit_code)},
            {"module_id", row[1].as<std::string>()},
            {"checkout_id", text_or_null(row[2])},
            {"ref", row[3].as<std::string>()},
            {"repository", row[4].as<std::string>()},
            {"options", json_or(row[5], nlohmann::json::object())},
            {"attempts", row[7].as<int>()},
            {"max_attempts", row[8].as<int>()},
            {"worker_host", row[9].as<std::string>()},
            {"cancel_requested", row[10].as<bool>()},
            {"created_at", text_or_null(row[11])},
            {"started_at", text_or_null(row[12])},
            {"finished_at", text_or_null(row[13])},
            {"run_id", text_or_null(row[14])},
            {"exit_code", exit_code < 0 ? nlohmann::json() : nlohmann::json(exit_code)},
            {"message", row[16].as<std::string>()},
            {"pr_url", run.is_object() && !run.value("pr_url", "").empty() ? run["pr_url"]
                                                                           : nlohmann::json()},
            {"run", run},
            {"callback",
             {{"state", row[17].as<std::string>()},
              {"attempts", json_or(row[19], nlohmann::json::array())}}}};
        return view;
      });
}

RunPage ApiDb::list_runs(const RunListQuery& query) {
  std::string micros, cursor_id;
  if (!query.cursor.empty()) parse_run_cursor(query.cursor, micros, cursor_id);
  return state_->connection.run(
      "listing runs", PgConnection::Tries::within_budget, [&](pqxx::connection& c, int) {
        pqxx::nontransaction tx(c);
        const auto rows = tx.exec_params(kListSql, query.checkout_id, query.module_id, query.status,
                                         micros, cursor_id, query.limit + 1);
        RunPage page;
        for (std::size_t i = 0; i < rows.size() && static_cast<int>(i) < query.limit; ++i) {
          const auto& row = rows[i];
          const std::string status = row[4].as<std::string>();
          const int exit_code = row[8].as<int>();
          page.runs.push_back(
              {{"id", row[0].as<std::string>()},
               {"url", "/v1/runs/" + row[0].as<std::string>()},
               {"module_id", row[1].as<std::string>()},
               {"checkout_id", text_or_null(row[2])},
               {"ref", row[3].as<std::string>()},
               {"status", status},
               {"result", result_of(status, exit_code)},
               {"created_at", text_or_null(row[5])},
               {"finished_at", text_or_null(row[6])},
               {"run_id", text_or_null(row[7])},
               {"exit_code", exit_code < 0 ? nlohmann::json() : nlohmann::json(exit_code)},
               {"pr_url", text_or_null(row[9])}});
          if (static_cast<int>(i) == query.limit - 1 &&
              static_cast<int>(rows.size()) > query.limit) {
            page.next_cursor = row[10].as<std::string>() + "." + row[0].as<std::string>();
          }
        }
        return page;
      });
}

std::optional<CheckoutRow> ApiDb::checkout(const std::string& id) {
  return state_->connection.run(
      "reading checkout " + id, PgConnection::Tries::within_budget,
      [&](pqxx::connection& c, int) -> std::optional<CheckoutRow> {
        pqxx::nontransaction tx(c);
        const auto rows = tx.exec_params(
            "SELECT id::text, module_id, coalesce(status, 'active') FROM module_checkouts "
            "WHERE id = $1::uuid",
            id);
        if (rows.empty()) return std::nullopt;
        return CheckoutRow{rows[0][0].as<std::string>(), rows[0][1].as<std::string>(),
                           rows[0][2].as<std::string>()};
      });
}

std::vector<LogChunk> ApiDb::log_after(const std::string& id, int after_seq, bool& ended) {
  return state_->connection.run(
      "reading the log of " + id, PgConnection::Tries::within_budget,
      [&](pqxx::connection& c, int) {
        // One snapshot: an item seen ended has all its chunks in it.
        pqxx::work tx(c);
        tx.exec0("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
        const auto status =
            tx.exec_params("SELECT status FROM qgate_run_queue WHERE id = $1::uuid", id);
        ended = status.empty() || (status[0][0].as<std::string>() != "queued" &&
                                   status[0][0].as<std::string>() != "running");
        const auto rows = tx.exec_params(
            "SELECT seq, chunk FROM qgate_run_logs WHERE item_id = $1::uuid AND seq > $2 "
            "ORDER BY seq LIMIT 256",
            id, after_seq);
        std::vector<LogChunk> chunks;
        for (const auto& row : rows) {
          chunks.push_back({row[0].as<int>(), row[1].as<std::string>()});
        }
        if (rows.size() == 256) ended = false;  // more to read
        tx.commit();
        return chunks;
      });
}

bool ApiDb::item_exists(const std::string& id) {
  return state_->connection.run(
      "reading run " + id, PgConnection::Tries::within_budget, [&](pqxx::connection& c, int) {
        pqxx::nontransaction tx(c);
        return !tx.exec_params("SELECT 1 FROM qgate_run_queue WHERE id = $1::uuid", id).empty();
      });
}

std::vector<std::string> ApiDb::active_token_hashes() {
  return state_->connection.run(
      "reading API tokens", PgConnection::Tries::within_budget, [&](pqxx::connection& c, int) {
        pqxx::nontransaction tx(c);
        std::vector<std::string> hashes;
        for (const auto& row :
             tx.exec("SELECT token_sha256 FROM qgate_api_tokens WHERE revoked_at IS NULL")) {
          hashes.push_back(row[0].as<std::string>());
        }
        return hashes;
      });
}

bool ApiDb::remember_signature(const std::string& signature_sha256) {
  return state_->connection.run(
      "recording a request signature", PgConnection::Tries::within_budget,
      [&](pqxx::connection& c, int attempt) {
        pqxx::nontransaction tx(c);
        const auto rows = tx.exec_params(
            "INSERT INTO qgate_api_signatures (signature_sha256) VALUES ($1) "
            "ON CONFLICT DO NOTHING RETURNING 1",
            signature_sha256);
        // An insert whose answer was lost with the connection is ours.
        return !rows.empty() || attempt > 1;
      });
}

void ApiDb::forget_signatures_older_than(int seconds) {
  state_->connection.run("forgetting old request signatures", PgConnection::Tries::once,
                         [&](pqxx::connection& c, int) {
                           pqxx::nontransaction tx(c);
                           tx.exec_params(
                               "DELETE FROM qgate_api_signatures WHERE seen_at < NOW() - $1 * "
                               "interval '1 second'",
                               seconds);
                           return 0;
                         });
}

std::pair<std::string, std::string> ApiDb::create_token(const std::string& name) {
  const std::string token = new_api_token();
  const std::string hash = sha256_hex_of(token);
  const std::string id = state_->connection.run(
      "creating an API token", PgConnection::Tries::within_budget, [&](pqxx::connection& c, int) {
        pqxx::work tx(c);
        const auto existing =
            tx.exec_params("SELECT id::text FROM qgate_api_tokens WHERE token_sha256 = $1", hash);
        if (!existing.empty()) return existing[0][0].as<std::string>();
        const auto rows = tx.exec_params(
            "INSERT INTO qgate_api_tokens (id, name, token_sha256) VALUES (gen_random_uuid(), "
            "$1, $2) RETURNING id::text",
            name, hash);
        tx.commit();
        return rows[0][0].as<std::string>();
      });
  return {token, id};
}

bool ApiDb::revoke_token(const std::string& which) {
  return state_->connection.run(
      "revoking an API token", PgConnection::Tries::within_budget, [&](pqxx::connection& c, int) {
        pqxx::work tx(c);
        const auto rows = tx.exec_params(
            "UPDATE qgate_api_tokens SET revoked_at = NOW() WHERE revoked_at IS NULL AND "
            "(id::text = $1 OR name = $1) RETURNING 1",
            which);
        tx.commit();
        return !rows.empty();
      });
}

std::vector<TokenRow> ApiDb::list_tokens() {
  return state_->connection.run(
      "listing API tokens", PgConnection::Tries::within_budget, [&](pqxx::connection& c, int) {
        pqxx::nontransaction tx(c);
        std::vector<TokenRow> out;
        for (const auto& row :
             tx.exec("SELECT id::text, name, " + iso("created_at") + ", coalesce(" +
                     iso("revoked_at") + ", '') FROM qgate_api_tokens ORDER BY created_at")) {
          out.push_back({row[0].as<std::string>(), row[1].as<std::string>(),
                         row[2].as<std::string>(), row[3].as<std::string>()});
        }
        return out;
      });
}

DatabaseFigures ApiDb::figures() {
  std::string buckets;
  for (double bound : kGateDurationBuckets) {
    buckets += "count(*) FILTER (WHERE duration_s <= " + std::to_string(bound) + "), ";
  }
  const std::string gates_sql = "SELECT name, " + buckets +
                                "count(*), coalesce(sum(duration_s), 0) FROM qgate_gate_results "
                                "GROUP BY name ORDER BY name";
  return state_->connection.run(
      "reading metrics", PgConnection::Tries::within_budget, [&](pqxx::connection& c, int) {
        pqxx::work tx(c);
        tx.exec0("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
        DatabaseFigures figures;
        for (const auto& row : tx.exec("SELECT status, count(*) FROM qgate_run_queue GROUP BY "
                                       "status ORDER BY status")) {
          figures.items_by_status.emplace_back(row[0].as<std::string>(), row[1].as<long long>());
          if (row[0].as<std::string>() == "queued") figures.queue_depth = row[1].as<long long>();
        }
        for (const auto& row : tx.exec(gates_sql)) {
          DatabaseFigures::GateHistogram histogram;
          histogram.gate = row[0].as<std::string>();
          for (std::size_t i = 1; i <= kGateDurationBuckets.size() + 1; ++i) {
            histogram.cumulative.push_back(row[static_cast<int>(i)].as<long long>());
          }
          histogram.sum = row[static_cast<int>(kGateDurationBuckets.size() + 2)].as<double>();
          figures.gates.push_back(std::move(histogram));
        }
        for (const auto& row : tx.exec("SELECT callback_state, count(*) FROM qgate_run_queue "
                                       "GROUP BY callback_state ORDER BY callback_state")) {
          figures.callbacks_by_state.emplace_back(row[0].as<std::string>(), row[1].as<long long>());
        }
        tx.commit();
        return figures;
      });
}

void ApiDb::ping() {
  const auto check = [&] {
    state_->connection.run("checking the database", PgConnection::Tries::once,
                           [&](pqxx::connection& c, int) {
                             pqxx::nontransaction tx(c);
                             tx.exec("SELECT 1");
                             return 0;
                           });
  };
  try {
    check();
  } catch (const StoreError& error) {
    // A connection opened before the database restarted is broken though
    // the database is back: a fresh one decides.
    if (!error.unavailable()) throw;
    check();
  }
}

}  // namespace qgate
