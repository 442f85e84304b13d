#pragma once
// The cryptography of `qgate serve` (OpenSSL): API tokens and their stored
// hashes, HMAC-SHA256 signatures of requests and of completion callbacks,
// and comparisons that take the same time whatever the bytes.
//
// A signed request carries
//   X-Qgate-Timestamp: <Unix seconds>
//   X-Qgate-Nonce:     <any 8-128 characters> (optional)
//   X-Qgate-Signature: sha256=<hex HMAC-SHA256 of request_signing_text(...)>
// and a callback carries X-Qgate-Timestamp and X-Qgate-Signature over
// callback_signing_text(...), both keyed with a shared secret.
#include <string>
#include <string_view>

namespace qgate {

// Lowercase hex of HMAC-SHA256(key, message).
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

// Lowercase hex of SHA-256(text).
std::string sha256_hex_of(std::string_view text);

// True if `a` and `b` are equal; the time taken depends on their lengths only.
bool equal_in_constant_time(std::string_view a, std::string_view b);

// A new API token: "qgt_" and 43 characters of base64url from 32 random bytes.
std::string new_api_token();

// The text a request signature covers: timestamp, nonce, method, target (path
// and query) and body, each on its own line, the body last and whole.
std::string request_signing_text(std::string_view timestamp, std::string_view nonce,
                                 std::string_view method, std::string_view target,
                                 std::string_view body);

// The text a callback signature covers: "<timestamp>.<body>".
std::string callback_signing_text(std::string_view timestamp, std::string_view body);

// "sha256=<hex>": the value of X-Qgate-Signature for `text` under `secret`.
std::string signature_header_value(std::string_view secret, std::string_view text);

// True if `header` ("sha256=<hex>") is the signature of `text` under
// `secret`, compared in constant time.
bool signature_matches(std::string_view secret, std::string_view text, std::string_view header);

}  // namespace qgate
