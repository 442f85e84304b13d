#pragma once
// Who may call the API of `qgate serve`: a bearer token (`qgate token
// create`), checked against the SHA-256 of the active tokens, or a request
// signed with HMAC-SHA256 (runner/server/signing.hpp) within the replay
// window and never seen before. Kept apart from HTTP: the server passes the
// request's parts in.
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "runner/server/api_db.hpp"

namespace qgate {

// The parts of a request that authenticate it.
struct Credentials {
  std::string authorization;  // the Authorization header
  std::string signature;      // X-Qgate-Signature
  std::string timestamp;      // X-Qgate-Timestamp
  std::string nonce;          // X-Qgate-Nonce
  std::string method;
  std::string target;  // path and query, as sent
  std::string body;
};

class Authenticator {
 public:
  // `api_secret` "" refuses every signed request.
  Authenticator(std::string api_secret, int replay_window_seconds)
      : api_secret_(std::move(api_secret)), replay_window_seconds_(replay_window_seconds) {}

  // Returns "" if `credentials` authenticate the request, else why not
  // (never echoing what was sent). A signature accepted here is recorded in
  // `db`, so that the same one is refused afterwards.
  std::string check(const Credentials& credentials, ApiDb& db);

 private:
  bool knows_token(const std::string& token, ApiDb& db);

  const std::string api_secret_;
  const int replay_window_seconds_;
  // The hashes of the active tokens, read again every two seconds (and, for
  // an unknown token, at most twice a second), so that a revoked token stops
  // working within seconds and a flood of bad tokens does not reach the
  // database.
  std::mutex mutex_;
  std::vector<std::string> hashes_;
  std::chrono::steady_clock::time_point loaded_at_{};
};

}  // namespace qgate
