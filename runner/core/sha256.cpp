#include "runner/core/sha256.hpp"

// The low-level digest calls are deprecated in OpenSSL 3 in favour of EVP, but
// EVP (and the one-shot SHA256(), which goes through it) pulls the provider
// machinery into a static link: 3.4 MB of code instead of 25 kB.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

namespace qgate {

std::string sha256_hex(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256_CTX context;
  SHA256_Init(&context);
  SHA256_Update(&context, text.data(), text.size());
  SHA256_Final(digest, &context);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * SHA256_DIGEST_LENGTH);
  for (unsigned char byte : digest) {
    hex += kHex[byte >> 4];
    hex += kHex[byte & 15];
  }
  return hex;
}

std::string short_sha256(std::string_view text) { return sha256_hex(text).substr(0, 16); }

}  // namespace qgate
