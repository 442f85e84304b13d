#pragma once
// SHA-256 in hex, for fingerprints, workspace names and stamps.
#include <string>
#include <string_view>

namespace qgate {

// Returns the SHA-256 of `text` in 64 hex digits.
std::string sha256_hex(std::string_view text);
// Returns the first 16 hex digits of the SHA-256 of `text`.
std::string short_sha256(std::string_view text);

}  // namespace qgate
