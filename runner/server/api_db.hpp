#pragma once
// What `qgate serve` reads and writes in PostgreSQL besides the run queue
// itself (which goes through RunQueue): the views of queue items with their
// run, gates and callback; pages of items; run logs; API tokens and seen
// signatures; the figures of /metrics. libpqxx stays inside api_db.cpp.
//
// One ApiDb holds one connection and is used by one thread at a time: the
// server keeps one per HTTP thread. Calls retry a database that is away for
// a short while only (an HTTP client should get a 503 rather than wait), and
// throw StoreError.
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "runner/store/store.hpp"

namespace qgate {

// Which items a page lists, newest first; the cursor is the position after
// the last item of the previous page (next_cursor of that page).
struct RunListQuery {
  std::string checkout_id;
  std::string module_id;
  std::string status;
  int limit = 20;
  std::string cursor;  // "" for the first page; checked by parse_run_cursor (api_requests.hpp)
};

struct RunPage {
  nlohmann::json runs = nlohmann::json::array();
  std::string next_cursor;  // "" on the last page
};

struct CheckoutRow {
  std::string id;
  std::string module_id;
  std::string status;
};

struct LogChunk {
  int seq = 0;
  std::string text;
};

// One API token as listed (never the token itself).
struct TokenRow {
  std::string id;
  std::string name;
  std::string created_at;
  std::string revoked_at;
};

// The figures /metrics takes from the database.
struct DatabaseFigures {
  std::vector<std::pair<std::string, long long>> items_by_status;
  long long queue_depth = 0;
  struct GateHistogram {
    std::string gate;
    std::vector<long long> cumulative;  // one per kGateDurationBuckets, then +Inf
    double sum = 0;
  };
  std::vector<GateHistogram> gates;
  std::vector<std::pair<std::string, long long>> callbacks_by_state;
};

// Upper bounds (seconds) of the gate-duration histogram's buckets.
inline const std::vector<double> kGateDurationBuckets = {0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600};

// The retries of a request's database calls: a few short tries within
// 1.5 s, then the client gets a 503 and tries again itself.
RetryBudget api_retry_budget();

class ApiDb {
 public:
  explicit ApiDb(const std::string& url);
  ~ApiDb();
  ApiDb(const ApiDb&) = delete;
  ApiDb& operator=(const ApiDb&) = delete;

  // The item `id` as the API shows it (its run, gates, requirements and
  // callback included), nullopt if there is none.
  std::optional<nlohmann::json> run_view(const std::string& id, const std::string& base_url);
  // A page of item summaries.
  RunPage list_runs(const RunListQuery& query);
  std::optional<CheckoutRow> checkout(const std::string& id);
  // Log chunks of item `id` after `after_seq`; `ended` says whether the item
  // had ended when they were read (so nothing more will come once read).
  std::vector<LogChunk> log_after(const std::string& id, int after_seq, bool& ended);
  // Whether item `id` exists.
  bool item_exists(const std::string& id);

  // The SHA-256 (hex) of every token not revoked.
  std::vector<std::string> active_token_hashes();
  // Records a signature's hash; false if it had been seen already (a replay).
  bool remember_signature(const std::string& signature_sha256);
  // Deletes the signatures seen more than `seconds` ago.
  void forget_signatures_older_than(int seconds);

  // Creates a token named `name`; returns the token (shown once) and its id.
  std::pair<std::string, std::string> create_token(const std::string& name);
  // Revokes the active token with id or name `which`; false if none.
  bool revoke_token(const std::string& which);
  std::vector<TokenRow> list_tokens();

  DatabaseFigures figures();
  // Throws StoreError unless the database answers now.
  void ping();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace qgate
