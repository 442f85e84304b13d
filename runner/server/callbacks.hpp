#pragma once
// Completion callbacks of queued runs: when a queue item ends (finished,
// cancelled or interrupted) and its options name a `callback_url`, a
// trigger in the database marks its callback pending
// (schemas/migrations/postgres/0005_api.sql). The dispatcher of `qgate serve`
// takes the due ones with FOR UPDATE SKIP LOCKED (several servers may share
// the database), POSTs the run summary signed with HMAC-SHA256, records
// every attempt in qgate_callback_attempts, and retries with growing pauses
// until a 2xx answer or the last attempt. A URL whose host is an internal
// address (callback_address.hpp) is refused at the attempt, unsent.
//
// Each delivery carries
//   Content-Type: application/json
//   User-Agent: qgate/<version>
//   X-Qgate-Event: run.completed
//   X-Qgate-Delivery: <item id>/<attempt>
//   X-Qgate-Timestamp: <Unix seconds>
//   X-Qgate-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">
#include <atomic>
#include <memory>
#include <string>

#include "runner/server/callback_address.hpp"

namespace qgate {

struct CallbackOptions {
  std::string database_url;
  std::string secret;  // the HMAC key (QGATE_CALLBACK_SECRET); never logged
  // Base of the run URL put into the body, e.g. "http://127.0.0.1:8080".
  std::string public_base_url;
  int max_attempts = 6;
  double first_pause_seconds = 1.0;  // before the second attempt; doubles after
  double longest_pause_seconds = 300.0;
  double timeout_seconds = 10.0;  // connect and read, per attempt
  double poll_seconds = 0.5;      // how often due callbacks are looked for
  // Where callbacks may go: checked again at each attempt, which connects
  // to the address checked (runner/server/callback_address.hpp).
  CallbackAddressPolicy addresses;
};

// Counts since start, for /metrics.
struct CallbackCounts {
  std::atomic<long long> delivered{0};
  std::atomic<long long> failed_attempts{0};
  std::atomic<long long> given_up{0};
};

class CallbackDispatcher {
 public:
  explicit CallbackDispatcher(CallbackOptions options);
  ~CallbackDispatcher();
  CallbackDispatcher(const CallbackDispatcher&) = delete;
  CallbackDispatcher& operator=(const CallbackDispatcher&) = delete;

  // Makes one attempt for each callback that is due (at most `limit`);
  // returns how many attempts were made. Throws StoreError when the
  // database fails.
  int deliver_due(int limit = 16);

  // Calls deliver_due every poll_seconds until `stop` is true (a database
  // that is away is reported on stderr and tried again, never fatal).
  void run(const std::atomic<bool>& stop);

  const CallbackCounts& counts() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace qgate
