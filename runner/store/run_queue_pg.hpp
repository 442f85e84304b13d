#pragma once
// Inside the PostgreSQL plugin only: the run queue's side of PgApi
// (runner/store/pg_plugin.hpp). Nothing here throws across the boundary.
#include <pqxx/connection>

#include "runner/store/pg_plugin.hpp"

namespace qgate {

// Applies the migrations not yet applied on `connection` (runner/store/pg_store.cpp).
void apply_postgres_migrations(pqxx::connection& connection);

// The PgApi entries of the run queue, in their order there.
void* queue_open(const std::string& url, const RetryBudget& retry, PgError& error);
void queue_close(void* queue);
void queue_enqueue(void* queue, const QueueRequest& request, Enqueued& out, PgError& error);
void queue_claim(void* queue, const QueueWorker& worker, int lease_seconds,
                 std::optional<QueueItem>& out, PgError& error);
void queue_renew(void* queue, const QueueItem& item, int lease_seconds, LeaseState& out,
                 PgError& error);
void queue_finish(void* queue, const QueueItem& item, const std::string& status,
                  const std::string& run_id, int exit_code, const std::string& message, bool& out,
                  PgError& error);
void queue_hand_back(void* queue, const QueueItem& item, bool& out, PgError& error);
void queue_sweep(void* queue, SweepOutcome& out, PgError& error);
void queue_cancel(void* queue, const std::string& id, std::optional<QueueItem>& out,
                  PgError& error);
void queue_list(void* queue, const QueueQuery& query, std::vector<QueueItem>& out, PgError& error);
void queue_get(void* queue, const std::string& id, std::optional<QueueItem>& out, PgError& error);
void queue_append_log(void* queue, const QueueItem& item, int seq, const std::string& chunk,
                      PgError& error);

}  // namespace qgate
