// The run queue in PostgreSQL, inside the plugin (libpqxx stays in the
// plugin). Items are claimed with SELECT ... FOR UPDATE SKIP LOCKED, so that
// workers on many machines never take the same item and never wait on each
// other; leases are kept in database time, so that no two machines' clocks
// have to agree.
#include <chrono>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>

#include "runner/core/result.hpp"
#include "runner/store/pg_connection.hpp"
#include "runner/store/run_queue_pg.hpp"

namespace qgate {
namespace {

std::string timestamp(const std::string& column) {
  return "coalesce(to_char(" + column +
         " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), '')";
}

// Every column of an item, in the order item_from() reads them.
const std::string& item_columns() {
  static const std::string columns =
      "q.id::text, q.module_id, coalesce(q.checkout_id::text, ''), q.ref, q.module_path, "
      "q.repository, q.options::text, q.status, q.attempts, q.max_attempts, q.worker_id, "
      "q.worker_host, q.worker_pid, coalesce(q.claim_token::text, ''), " +
      timestamp("q.lease_expires_at") + ", q.cancel_requested, coalesce(q.idempotency_key, ''), " +
      timestamp("q.created_at") + ", " + timestamp("q.started_at") + ", " +
      timestamp("q.finished_at") +
      ", coalesce(q.run_id::text, ''), coalesce(q.exit_code, -1), q.message";
  return columns;
}

QueueItem item_from(const pqxx::row& row) {
  QueueItem item;
  item.id = row[0].as<std::string>();
  item.module_id = row[1].as<std::string>();
  item.checkout_id = row[2].as<std::string>();
  item.ref = row[3].as<std::string>();
  item.module_path = row[4].as<std::string>();
  item.repository = row[5].as<std::string>();
  item.options_json = row[6].as<std::string>();
  item.status = row[7].as<std::string>();
  item.attempts = row[8].as<int>();
  item.max_attempts = row[9].as<int>();
  item.worker_id = row[10].as<std::string>();
  item.worker_host = row[11].as<std::string>();
  item.worker_pid = row[12].as<long long>();
  item.claim_token = row[13].as<std::string>();
  item.lease_expires_at = row[14].as<std::string>();
  item.cancel_requested = row[15].as<bool>();
  item.idempotency_key = row[16].as<std::string>();
  item.created_at = row[17].as<std::string>();
  item.started_at = row[18].as<std::string>();
  item.finished_at = row[19].as<std::string>();
  item.run_id = row[20].as<std::string>();
  item.exit_code = row[21].as<int>();
  item.message = row[22].as<std::string>();
  return item;
}

std::optional<QueueItem> first_item(const pqxx::result& rows) {
  if (rows.empty()) return std::nullopt;
  return item_from(rows[0]);
}

bool uuid_text(const std::string& text) {
  int digits = 0;
  for (char c : text) {
    if (c == '-') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    ++digits;
  }
  return digits == 32 && text.size() <= 36;
}

using Tries = PgConnection::Tries;

class PgRunQueue {
 public:
  PgRunQueue(std::string url, RetryBudget retry)
      : db_(std::move(url), retry, [](pqxx::connection& c) { apply_postgres_migrations(c); }) {
    db_.run("cannot open the run queue", Tries::within_budget,
            [](pqxx::connection&, int) { return 0; });
  }

  Enqueued enqueue(const QueueRequest& request) {
    // The id is chosen here, once: a retried insert whose first commit was
    // lost finds its own row instead of adding a second.
    const std::string id = new_run_id();
    return db_.run("cannot enqueue a run of " + request.module_id, Tries::within_budget,
                   [&](pqxx::connection& c, int) {
                     pqxx::work work(c);
                     Enqueued out;
                     if (!request.checkout_id.empty()) {
                       out.rejected = checkout_problem(work, request);
                       if (!out.rejected.empty()) return out;
                     }
                     const auto inserted = work.exec_params(
                         "INSERT INTO qgate_run_queue AS q (id, module_id, checkout_id, ref, "
                         "module_path, repository, options, max_attempts, idempotency_key) "
                         "VALUES ($1::uuid, $2, NULLIF($3, '')::uuid, $4, $5, $6, $7::jsonb, $8, "
                         "NULLIF($9, '')) ON CONFLICT DO NOTHING RETURNING " +
                             item_columns(),
                         id, request.module_id, request.checkout_id, request.ref,
                         request.module_path, request.repository, request.options_json,
                         request.max_attempts, request.idempotency_key);
                     if (!inserted.empty()) {
                       out.item = item_from(inserted[0]);
                       out.created = true;
                     } else {
                       const auto existing =
                           work.exec_params("SELECT " + item_columns() +
                                                " FROM qgate_run_queue q WHERE q.id = $1::uuid OR "
                                                "(q.idempotency_key = $2 AND $2 <> '')",
                                            id, request.idempotency_key);
                       if (existing.empty()) throw StoreError("the queue item vanished on insert");
                       out.item = item_from(existing[0]);
                       out.created = out.item.id == id;
                       if (!out.created) out.rejected = key_problem(out.item, request);
                     }
                     work.commit();
                     return out;
                   });
  }

  std::optional<QueueItem> claim(const QueueWorker& worker, int lease_seconds) {
    // The token names this claim: retried after a lost commit, the claim
    // finds the item it took instead of taking a second one.
    const std::string token = new_run_id();
    return db_.run(
        "cannot claim a queued run", Tries::within_budget,
        [&](pqxx::connection& c, int tried) -> std::optional<QueueItem> {
          pqxx::work work(c);
          std::optional<QueueItem> item;
          if (tried > 1) {
            item =
                first_item(work.exec_params("SELECT " + item_columns() +
                                                " FROM qgate_run_queue q WHERE "
                                                "q.claim_token = $1::uuid AND q.status = 'running'",
                                            token));
          }
          if (!item) {
            item = first_item(work.exec_params(
                "WITH next AS (SELECT id FROM qgate_run_queue WHERE status = 'queued' "
                "ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) "
                "UPDATE qgate_run_queue q SET status = 'running', attempts = q.attempts + 1, "
                "worker_id = $2, worker_host = $3, worker_pid = $4, claim_token = $1::uuid, "
                "lease_expires_at = NOW() + make_interval(secs => $5), started_at = NOW(), "
                "finished_at = NULL, run_id = NULL, exit_code = NULL "
                "FROM next WHERE q.id = next.id RETURNING " +
                    item_columns(),
                token, worker.id, worker.host, worker.pid, lease_seconds));
          }
          if (item) {
            // An earlier attempt's log stays; this one is appended after it.
            item->log_seq = work.exec_params(
                                    "SELECT coalesce(max(seq) + 1, 0) FROM "
                                    "qgate_run_logs WHERE item_id = $1::uuid",
                                    item->id)[0][0]
                                .as<int>();
          }
          work.commit();
          return item;
        });
  }

  LeaseState renew(const QueueItem& item, int lease_seconds) {
    return db_.run("cannot renew the lease of queue item " + item.id, Tries::once,
                   [&](pqxx::connection& c, int) {
                     pqxx::work work(c);
                     const auto rows = work.exec_params(
                         "UPDATE qgate_run_queue SET lease_expires_at = NOW() + "
                         "make_interval(secs => $3) WHERE id = $1::uuid AND claim_token = "
                         "$2::uuid AND status = 'running' RETURNING cancel_requested",
                         item.id, item.claim_token, lease_seconds);
                     work.commit();
                     if (rows.empty()) return LeaseState::lost;
                     return rows[0][0].as<bool>() ? LeaseState::cancel_requested : LeaseState::held;
                   });
  }

  bool finish(const QueueItem& item, const std::string& status, const std::string& run_id,
              int exit_code, const std::string& message) {
    if (status != "finished" && status != "cancelled" && status != "interrupted") {
      throw StoreError("a queue item cannot finish as '" + status + "'");
    }
    if (!run_id.empty() && !uuid_text(run_id)) {
      throw StoreError("'" + run_id + "' is not a run id");
    }
    return db_.run("cannot record the end of queue item " + item.id, Tries::within_budget,
                   [&](pqxx::connection& c, int tried) {
                     pqxx::work work(c);
                     const auto updated = work.exec_params(
                         "UPDATE qgate_run_queue SET status = $3, finished_at = NOW(), "
                         "run_id = NULLIF($4, '')::uuid, exit_code = $5, message = $6, "
                         "lease_expires_at = NULL WHERE id = $1::uuid AND claim_token = $2::uuid "
                         "AND status = 'running'",
                         item.id, item.claim_token, status, run_id, exit_code, message);
                     bool recorded = updated.affected_rows() == 1;
                     if (!recorded && tried > 1) recorded = same_claim_now(work, item, status);
                     work.commit();
                     return recorded;
                   });
  }

  bool hand_back(const QueueItem& item) {
    return db_.run("cannot hand back queue item " + item.id, Tries::within_budget,
                   [&](pqxx::connection& c, int tried) {
                     pqxx::work work(c);
                     // The claim token stays: it lets a retry see its own work.
                     const auto updated = work.exec_params(
                         "UPDATE qgate_run_queue SET status = CASE WHEN cancel_requested THEN "
                         "'cancelled' ELSE 'queued' END, attempts = greatest(attempts - 1, 0), "
                         "finished_at = CASE WHEN cancel_requested THEN NOW() END, "
                         "lease_expires_at = NULL, message = 'handed back by a worker shutting "
                         "down' WHERE id = $1::uuid AND claim_token = $2::uuid AND status = "
                         "'running'",
                         item.id, item.claim_token);
                     bool done = updated.affected_rows() == 1;
                     if (!done && tried > 1) done = same_claim_now(work, item, "queued");
                     work.commit();
                     return done;
                   });
  }

  SweepOutcome sweep_expired() {
    return db_.run("cannot sweep expired leases", Tries::within_budget,
                   [&](pqxx::connection& c, int) {
                     pqxx::work work(c);
                     const auto rows = work.exec(
                         "UPDATE qgate_run_queue SET "
                         "status = CASE WHEN cancel_requested THEN 'cancelled' "
                         "WHEN attempts < max_attempts THEN 'queued' ELSE 'interrupted' END, "
                         "finished_at = CASE WHEN cancel_requested OR attempts >= max_attempts "
                         "THEN NOW() END, "
                         "message = format('the lease of worker %s (pid %s on %s) ran out during "
                         "attempt %s of "
                         "%s', worker_id, worker_pid, worker_host, attempts, max_attempts), "
                         "lease_expires_at = NULL "
                         "WHERE status = 'running' AND lease_expires_at < NOW() RETURNING status");
                     work.commit();
                     SweepOutcome out;
                     for (const auto& row : rows) {
                       const std::string status = row[0].as<std::string>();
                       if (status == "queued") ++out.requeued;
                       if (status == "interrupted") ++out.interrupted;
                       if (status == "cancelled") ++out.cancelled;
                     }
                     return out;
                   });
  }

  std::optional<QueueItem> request_cancel(const std::string& id) {
    if (!uuid_text(id)) return std::nullopt;
    return db_.run("cannot cancel queue item " + id, Tries::within_budget,
                   [&](pqxx::connection& c, int) {
                     pqxx::work work(c);
                     // SET reads the row as it was: a queued item ends here,
                     // a running one is ended by its worker.
                     const auto rows = work.exec_params(
                         "UPDATE qgate_run_queue q SET "
                         "cancel_requested = q.cancel_requested OR q.status IN ('queued', "
                         "'running'), "
                         "status = CASE WHEN q.status = 'queued' THEN 'cancelled' ELSE q.status "
                         "END, "
                         "finished_at = CASE WHEN q.status = 'queued' THEN NOW() ELSE "
                         "q.finished_at END, "
                         "message = CASE WHEN q.status = 'queued' THEN 'cancelled before it "
                         "started' ELSE q.message END "
                         "WHERE q.id = $1::uuid RETURNING " +
                             item_columns(),
                         id);
                     work.commit();
                     return first_item(rows);
                   });
  }

  std::vector<QueueItem> list(const QueueQuery& query) {
    return db_.run("cannot list the run queue", Tries::within_budget,
                   [&](pqxx::connection& c, int) {
                     pqxx::read_transaction work(c);
                     const auto rows = work.exec_params(
                         "SELECT " + item_columns() +
                             " FROM qgate_run_queue q WHERE ($1 = '' OR q.status = $1) AND "
                             "($2 = '' OR q.module_id = $2) AND ($3 = '' OR q.checkout_id::text "
                             "= lower($3)) ORDER BY q.created_at DESC, q.id DESC LIMIT $4",
                         query.status, query.module_id, query.checkout_id,
                         query.limit > 0 ? query.limit : 1000000);
                     std::vector<QueueItem> out;
                     out.reserve(rows.size());
                     for (const auto& row : rows) out.push_back(item_from(row));
                     return out;
                   });
  }

  void append_log(const QueueItem& item, int seq, const std::string& chunk) {
    db_.run("cannot append to the log of queue item " + item.id, Tries::once,
            [&](pqxx::connection& c, int) {
              pqxx::work work(c);
              // Only the holder of the claim writes: a worker that lost the
              // lease must not mix its lines into the next attempt's.
              work.exec_params(
                  "INSERT INTO qgate_run_logs (item_id, seq, chunk) SELECT q.id, $3, $4 FROM "
                  "qgate_run_queue q WHERE q.id = $1::uuid AND q.claim_token = $2::uuid AND "
                  "q.status = 'running' ON CONFLICT DO NOTHING",
                  item.id, item.claim_token, seq, chunk);
              work.commit();
              return 0;
            });
  }

  std::optional<QueueItem> get(const std::string& id) {
    if (!uuid_text(id)) return std::nullopt;
    return db_.run(
        "cannot read queue item " + id, Tries::within_budget, [&](pqxx::connection& c, int) {
          pqxx::read_transaction work(c);
          return first_item(work.exec_params(
              "SELECT " + item_columns() + " FROM qgate_run_queue q WHERE q.id = $1::uuid", id));
        });
  }

 private:
  // Returns why the request's checkout cannot be used ("" if it can).
  static std::string checkout_problem(pqxx::work& work, const QueueRequest& request) {
    const auto rows = work.exec_params("SELECT module_id FROM module_checkouts WHERE id = $1::uuid",
                                       request.checkout_id);
    if (rows.empty()) return "checkout " + request.checkout_id + " is not in module_checkouts";
    if (rows[0][0].as<std::string>() != request.module_id) {
      return "checkout " + request.checkout_id + " is a checkout of module " +
             rows[0][0].as<std::string>() + ", not of " + request.module_id;
    }
    return "";
  }

  // A key given again must name the same run: anything else is a client bug
  // that would otherwise pass silently. Returns the problem ("" if none).
  static std::string key_problem(const QueueItem& item, const QueueRequest& request) {
    if (item.module_id != request.module_id || item.checkout_id != request.checkout_id ||
        item.ref != request.ref || item.module_path != request.module_path ||
        item.repository != request.repository) {
      return "idempotency key '" + request.idempotency_key +
             "' was given before for another run (queue item " + item.id + " of module " +
             item.module_id + ")";
    }
    return "";
  }

  // Whether `item` is, under the same claim, in `status` already: a retried
  // write whose first commit was lost with the connection.
  static bool same_claim_now(pqxx::work& work, const QueueItem& item, const std::string& status) {
    return !work.exec_params(
                    "SELECT 1 FROM qgate_run_queue WHERE id = $1::uuid AND claim_token = $2::uuid "
                    "AND status = $3",
                    item.id, item.claim_token, status)
                .empty();
  }

  // The shared connection: calls are retried within the budget (or once).
  PgConnection db_;
};

PgRunQueue& as_queue(void* queue) { return *static_cast<PgRunQueue*>(queue); }

}  // namespace

void* queue_open(const std::string& url, const RetryBudget& retry, PgError& error) {
  PgRunQueue* queue = nullptr;
  guarded(error, [&] {
    setenv("PGCONNECT_TIMEOUT", "5", 0);
    queue = new PgRunQueue(url, retry);
  });
  return queue;
}

void queue_close(void* queue) { delete static_cast<PgRunQueue*>(queue); }

void queue_enqueue(void* queue, const QueueRequest& request, Enqueued& out, PgError& error) {
  guarded(error, [&] { out = as_queue(queue).enqueue(request); });
}

void queue_claim(void* queue, const QueueWorker& worker, int lease_seconds,
                 std::optional<QueueItem>& out, PgError& error) {
  guarded(error, [&] { out = as_queue(queue).claim(worker, lease_seconds); });
}

void queue_renew(void* queue, const QueueItem& item, int lease_seconds, LeaseState& out,
                 PgError& error) {
  guarded(error, [&] { out = as_queue(queue).renew(item, lease_seconds); });
}

void queue_finish(void* queue, const QueueItem& item, const std::string& status,
                  const std::string& run_id, int exit_code, const std::string& message, bool& out,
                  PgError& error) {
  guarded(error, [&] { out = as_queue(queue).finish(item, status, run_id, exit_code, message); });
}

void queue_hand_back(void* queue, const QueueItem& item, bool& out, PgError& error) {
  guarded(error, [&] { out = as_queue(queue).hand_back(item); });
}

void queue_sweep(void* queue, SweepOutcome& out, PgError& error) {
  guarded(error, [&] { out = as_queue(queue).sweep_expired(); });
}

void queue_cancel(void* queue, const std::string& id, std::optional<QueueItem>& out,
                  PgError& error) {
  guarded(error, [&] { out = as_queue(queue).request_cancel(id); });
}

void queue_list(void* queue, const QueueQuery& query, std::vector<QueueItem>& out, PgError& error) {
  guarded(error, [&] { out = as_queue(queue).list(query); });
}

void queue_get(void* queue, const std::string& id, std::optional<QueueItem>& out, PgError& error) {
  guarded(error, [&] { out = as_queue(queue).get(id); });
}

void queue_append_log(void* queue, const QueueItem& item, int seq, const std::string& chunk,
                      PgError& error) {
  guarded(error, [&] { as_queue(queue).append_log(item, seq, chunk); });
}

}  // namespace qgate
