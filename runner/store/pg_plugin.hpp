#pragma once
// The boundary between qgate and its PostgreSQL plugin (qgate_pg.so). The
// plugin carries its own C++ runtime (libpqxx needs the shared one; qgate
// links its own in for a faster start), and exceptions must not cross
// between two runtimes: every call reports failure in a PgError instead, and
// qgate turns it back into a StoreError on its side (runner/store/pg_loader.cpp).
#include <optional>
#include <string>
#include <vector>

#include "runner/store/run_queue.hpp"
#include "runner/store/store.hpp"

namespace qgate {

// A failure inside the plugin.
struct PgError {
  bool failed = false;
  bool unavailable = false;  // the database could not be reached
  std::string message;
};

// The plugin's functions; `store` is the plugin's own Store object.
struct PgApi {
  int version;
  void* (*open)(const std::string& url, const RetryBudget& retry, PgError& error);
  void (*close)(void* store);
  int (*reap_interrupted)(void* store, PgError& error);
  void (*begin_run)(void* store, const RunResult& run, PgError& error);
  void (*record_gate)(void* store, const std::string& run_id, const GateResult& gate,
                      PgError& error);
  void (*finish_run)(void* store, const RunResult& run, PgError& error);
  void (*list_runs)(void* store, const RunQuery& query, std::vector<RunSummary>& out,
                    PgError& error);
  void (*load_run)(void* store, const std::string& id, std::optional<RunResult>& out,
                   PgError& error);
  void (*heartbeat)(void* store, const std::string& run_id);
  void (*describe)(void* store, std::string& out);
  void (*find_checkout)(void* store, const std::string& id, std::optional<Checkout>& out,
                        PgError& error);
  void (*active_checkout)(void* store, const std::string& module_id, std::optional<Checkout>& out,
                          PgError& error);
  void (*notify_dependents)(void* store, const RunResult& run,
                            const std::vector<std::string>& dependents, std::vector<Checkout>& out,
                            PgError& error);
  void (*gate_baseline)(void* store, const std::string& module_id, const std::string& gate,
                        std::optional<GateBaseline>& out, PgError& error);
  void (*migrate)(const std::string& url, std::vector<int>& out, PgError& error);
  void (*migration_status)(const std::string& url, std::vector<std::pair<int, bool>>& out,
                           PgError& error);
  // The run queue (runner/store/run_queue.hpp); `queue` is the plugin's own object.
  void* (*queue_open)(const std::string& url, const RetryBudget& retry, PgError& error);
  void (*queue_close)(void* queue);
  void (*queue_enqueue)(void* queue, const QueueRequest& request, Enqueued& out, PgError& error);
  void (*queue_claim)(void* queue, const QueueWorker& worker, int lease_seconds,
                      std::optional<QueueItem>& out, PgError& error);
  void (*queue_renew)(void* queue, const QueueItem& item, int lease_seconds, LeaseState& out,
                      PgError& error);
  void (*queue_finish)(void* queue, const QueueItem& item, const std::string& status,
                       const std::string& run_id, int exit_code, const std::string& message,
                       bool& out, PgError& error);
  void (*queue_hand_back)(void* queue, const QueueItem& item, bool& out, PgError& error);
  void (*queue_sweep)(void* queue, SweepOutcome& out, PgError& error);
  void (*queue_cancel)(void* queue, const std::string& id, std::optional<QueueItem>& out,
                       PgError& error);
  void (*queue_list)(void* queue, const QueueQuery& query, std::vector<QueueItem>& out,
                     PgError& error);
  void (*queue_get)(void* queue, const std::string& id, std::optional<QueueItem>& out,
                    PgError& error);
  void (*queue_append_log)(void* queue, const QueueItem& item, int seq, const std::string& chunk,
                           PgError& error);
  void (*gate_baselines)(void* store, const std::string& module_id, const std::string& gate,
                         int count, std::vector<GateBaseline>& out, PgError& error);
  // Only-new baselines (Store::findings_baseline, Store::mark_baseline).
  void (*findings_baseline)(void* store, const BaselineQuery& query,
                            std::optional<GateBaseline>& out, PgError& error);
  void (*mark_baseline)(void* store, const std::string& module_id, const std::string& gate,
                        const std::string& run_id, BaselineMark mark, int& out, PgError& error);
};

// The version of PgApi above; the loader refuses a plugin of another one.
inline constexpr int kPgApiVersion = 7;  // 7: findings_baseline, mark_baseline

// Returns the plugin's functions, loading qgate_pg.so on first use; throws
// StoreError if it cannot be loaded.
const PgApi& postgres_plugin();

}  // namespace qgate
