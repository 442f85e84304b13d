#include "runner/server/auth.hpp"

#include <cstdlib>

#include "runner/server/signing.hpp"

namespace qgate {

namespace {

// Looks at every hash whatever matches, each compared in constant time.
bool contains(const std::vector<std::string>& hashes, const std::string& hash) {
  bool found = false;
  for (const auto& known : hashes) found = equal_in_constant_time(known, hash) || found;
  return found;
}

}  // namespace

bool Authenticator::knows_token(const std::string& token, ApiDb& db) {
  using Clock = std::chrono::steady_clock;
  const std::string hash = sha256_hex_of(token);
  std::lock_guard lock(mutex_);
  const auto now = Clock::now();
  if (now - loaded_at_ > std::chrono::seconds(2)) {
    hashes_ = db.active_token_hashes();
    loaded_at_ = now;
  }
  bool found = contains(hashes_, hash);
  if (!found && now - loaded_at_ > std::chrono::milliseconds(500)) {
    hashes_ = db.active_token_hashes();
    loaded_at_ = now;
    found = contains(hashes_, hash);
  }
  return found;
}

std::string Authenticator::check(const Credentials& credentials, ApiDb& db) {
  if (!credentials.authorization.empty()) {
    if (credentials.authorization.rfind("Bearer ", 0) != 0) {
      return "unsupported authorization scheme";
    }
    const std::string token = credentials.authorization.substr(7);
    if (token.size() != 47 || token.rfind("qgt_", 0) != 0) return "unknown token";
    return knows_token(token, db) ? "" : "unknown token";
  }
  if (credentials.signature.empty()) return "missing credentials: a bearer token or a signature";
  if (api_secret_.empty()) return "signed requests are not enabled on this server";
  const std::string& timestamp = credentials.timestamp;
  if (timestamp.empty() || timestamp.size() > 12 ||
      timestamp.find_first_not_of("0123456789") != std::string::npos) {
    return "missing or malformed X-Qgate-Timestamp";
  }
  const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  if (std::llabs(now - std::stoll(timestamp)) > replay_window_seconds_) {
    return "X-Qgate-Timestamp is outside the replay window";
  }
  if (credentials.nonce.size() > 128) return "X-Qgate-Nonce is longer than 128 characters";
  const std::string text = request_signing_text(timestamp, credentials.nonce, credentials.method,
                                                credentials.target, credentials.body);
  if (!signature_matches(api_secret_, text, credentials.signature)) return "bad signature";
  if (!db.remember_signature(sha256_hex_of(credentials.signature))) return "replayed signature";
  return "";
}

}  // namespace qgate
