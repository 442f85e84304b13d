#pragma once
// The run queue in PostgreSQL (table qgate_run_queue): runs asked for and
// claimed by `qgate worker` processes on any machine sharing the database.
// Every function retries a database that cannot be reached, as the result
// store does, and each is safe to repeat after a lost connection.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runner/store/store.hpp"

namespace qgate {

// What `enqueue` is asked to run. Only ids and where the module is: the
// commands run are always those of the module's own configuration.
//
// The module is a local folder (`module_path`) or, when that is empty, the
// git `repository` at `ref` (runner/queue/git_workspace.hpp): the worker fetches it
// into its mirror cache and runs the configuration at the root of a worktree
// of that commit. With both given, the folder is used and the repository
// only recorded.
struct QueueRequest {
  std::string module_id;
  std::string checkout_id;  // "" or a module_checkouts id of module_id
  std::string ref;          // branch, tag or commit id; "" is the repository's HEAD
  std::string module_path;  // "" or an absolute folder holding the module's configuration
  // "" or an absolute path, a file://, https://, http:// or ssh:// URL, or
  // user@host:path; never with a password in it.
  std::string repository;
  std::string options_json = "{}";  // a JSON object: jobs, fail_fast, open_pr, callback_url
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
  // Set by claim only: the first free seq of the item's log, so that a
  // retried attempt appends after what an earlier one wrote.
  int log_seq = 0;
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
  // Appends `chunk` (at most kLogChunkBytes; bytes that are not UTF-8 are
  // replaced) as entry `seq` of the log of claimed `item`, trying once. The
  // same seq again changes nothing, so a write whose answer was lost can be
  // repeated; a worker that lost the item's lease writes nothing.
  virtual void append_log(const QueueItem& item, int seq, const std::string& chunk) = 0;
};

// The largest log chunk append_log takes.
inline constexpr std::size_t kLogChunkBytes = 64 * 1024;

// Opens the run queue at `url` (migrating the database if needed).
std::unique_ptr<RunQueue> open_run_queue(const std::string& url, const RetryBudget& retry = {});

// Returns true if `text` is a UUID (with or without dashes).
bool is_uuid(const std::string& text);

// Returns a problem with `request` ("" if none): ids, path, repository and
// options are checked before anything reaches the database or a command line.
std::string validate_queue_request(const QueueRequest& request);

// Returns a problem with `repository` as a git repository to fetch ("" if
// none): an absolute path, a file://, https://, http:// or ssh:// URL, or
// scp-like user@host:path, without whitespace or control characters, never
// read as an option (a leading '-') and never with a password.
std::string validate_repository(const std::string& repository);

// Returns `text` as valid UTF-8 without NUL bytes (which PostgreSQL's TEXT
// cannot hold): every byte that is not part of a valid sequence becomes
// U+FFFD.
std::string valid_utf8(std::string_view text);

}  // namespace qgate
