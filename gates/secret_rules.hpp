#pragma once
// The kinds of secret the built-in scan recognises, and the matcher that finds
// them in one file's text. RE2 stays inside secret_rules.cpp.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runner/core/result.hpp"

namespace qgate {

// Whether high-entropy values assigned to secret-looking names are reported.
enum class EntropyCheck { off, on };

// One secret found in a text; positions are byte offsets into that text.
struct SecretMatch {
  std::string rule;  // "secret.github-token", ...
  Severity severity = Severity::high;
  std::size_t begin = 0;  // where the secret starts (the finding's column points here)
  std::size_t end = 0;    // one past its end
  std::string
      description;  // kind and masked form, never the secret: "GitHub token ghp_…(40 chars)"
};

// Finds secrets in texts. Built once per scan and shared by the scanning
// threads (matching is const and thread-safe).
class SecretMatcher {
 public:
  // Compiles the rules; the generic assignment rule only with `entropy` on.
  explicit SecretMatcher(EntropyCheck entropy);
  ~SecretMatcher();
  SecretMatcher(const SecretMatcher&) = delete;
  SecretMatcher& operator=(const SecretMatcher&) = delete;

  // Returns the secrets in `text` ordered by position. One pass over `text`
  // tells which rules match at all; only those rules run again to locate their
  // matches. Where matches of several rules overlap, the most specific is kept.
  std::vector<SecretMatch> find(std::string_view text) const;

 private:
  struct Compiled;
  std::unique_ptr<Compiled> compiled_;
};

// Returns the Shannon entropy of the bytes of `text`, in bits per byte.
double shannon_entropy(std::string_view text);

// Returns `secret` masked for a message: its first `shown` characters (a
// fixed, public prefix such as "ghp_") then "…(N chars)".
std::string mask_secret(std::string_view secret, std::size_t shown);

}  // namespace qgate
