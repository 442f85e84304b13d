#pragma once
// The run queue in PostgreSQL (table qgate_run_queue): runs asked for and
// claimed by `qgate worker` processes on any machine sharing the database.
// Every function retries a database that cannot be reached, as the result
// store does, and each is safe to repeat after a lost connection.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runner/store.hpp"

namespace qgate {

// What `enqueue` is asked to run. Only ids and a module folder: the commands
// run are always those of the module's own configuration.
struct QueueRequest {
  std::string module_id;
  std::string checkout_id;  // "" or a module_checkouts id of module_id
  std::string ref;
  std::string module_path;          // absolute folder holding the module's configuration
  std::string repository;           // kept for workspaces from git; not used yet
  std::string options_json = "{}";  // a JSON object; the worker reads only `jobs`, `fail_fast`
  int max_attempts = 2;             // 2: one retry after a worker died
  std::string idempotency_key;      // "" or a key: the same key gives the same item back
};

// One item of the queue, as stored.
struct QueueItem {
  std::string id;
  std::string module_id;
  std::string checkout_id;
  std::string ref;
  std::string module_path;
  std::string repository;
  std::string options_json;
  std::string status;  // queued, running, finished, interrupted or cancelled
  int attempts = 0;
  int max_attempts = 2;
  std::string worker_id;
  std::string worker_host;
  long long worker_pid = 0;
  std::string claim_token;
  std::string lease_expires_at;
  bool cancel_requested = false;
  std::string idempotency_key;
  std::string created_at;
  std::string started_at;
  std::string finished_at;
  std::string run_id;  // the qgate run the item produced, "" before
  int exit_code = -1;  // of `qgate check`, -1 before it ended
  std::string message;
};

// The answer to enqueue: the item, and whether this call created it (false:
// an item with the same idempotency key was there already).
struct Enqueued {
  QueueItem item;
  bool created = false;
  // Why the request was refused ("" if it was not): a checkout that does not
  // exist or is another module's, an idempotency key given for another run.
  std::string rejected;
};

// Thrown by enqueue for a request that is wrong, not for a failing database
// (an HTTP front end answers it with a 4xx, `qgate queue add` exits 2).
class QueueRequestRejected : public StoreError {
 public:
  using StoreError::StoreError;
};

// Who claims: a worker process on a host.
struct QueueWorker {
  std::string id;  // unique per worker process
  std::string host;
  long long pid = 0;
};

// What a lease renewal found.
enum class LeaseState {
  held,              // still ours, go on
  cancel_requested,  // still ours, but cancel was asked for
  lost,              // no longer ours (expired and swept): stop without recording
};

// What a sweep of expired leases did.
struct SweepOutcome {
  int requeued = 0;
  int interrupted = 0;
  int cancelled = 0;
};

// Which items list() returns, newest first.
struct QueueQuery {
  std::string status;  // "" for any
  std::string module_id;
  std::string checkout_id;
  int limit = 50;
};

class RunQueue {
 public:
  virtual ~RunQueue() = default;
  // Adds `request` to the queue, or returns the item its idempotency key
  // already names; throws QueueRequestRejected for a request that is invalid,
  // names a checkout that is missing or another module's, or reuses a key
  // given for another run, and StoreError when the database fails.
  virtual Enqueued enqueue(const QueueRequest& request) = 0;
  // Claims the oldest queued item for `worker` with a lease of
  // `lease_seconds`, counting an attempt; nullopt when none is queued.
  virtual std::optional<QueueItem> claim(const QueueWorker& worker, int lease_seconds) = 0;
  // Extends the lease of `item` by `lease_seconds`, trying once: a database
  // away now throws StoreError (unavailable) and the caller tries again.
  virtual LeaseState renew(const QueueItem& item, int lease_seconds) = 0;
  // Records that claimed `item` ended with `status` (finished, cancelled or
  // interrupted); returns false if its lease had been lost meanwhile.
  virtual bool finish(const QueueItem& item, const std::string& status, const std::string& run_id,
                      int exit_code, const std::string& message) = 0;
  // Queues claimed `item` again without counting its attempt (a worker
  // shutting down); returns false if its lease had been lost meanwhile.
  virtual bool hand_back(const QueueItem& item) = 0;
  // Queues again, or marks interrupted once out of attempts, every running
  // item whose lease has run out (cancelled if cancel was asked for).
  virtual SweepOutcome sweep_expired() = 0;
  // Asks for item `id` to be cancelled: a queued item is cancelled at once, a
  // running one by its worker within a second. Returns the item afterwards,
  // nullopt if there is none.
  virtual std::optional<QueueItem> request_cancel(const std::string& id) = 0;
  // Lists the items matching `query`, newest first.
  virtual std::vector<QueueItem> list(const QueueQuery& query) = 0;
  // Returns item `id`, if there is one.
  virtual std::optional<QueueItem> get(const std::string& id) = 0;
};

// Opens the run queue at `url` (migrating the database if needed).
std::unique_ptr<RunQueue> open_run_queue(const std::string& url, const RetryBudget& retry = {});

// Returns true if `text` is a UUID (with or without dashes).
bool is_uuid(const std::string& text);

// Returns a problem with `request` ("" if none): ids, path and options are
// checked before anything reaches the database or a command line.
std::string validate_queue_request(const QueueRequest& request);

}  // namespace qgate
