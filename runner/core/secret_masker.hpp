#pragma once
// Masks the values of secret environment variables in text that qgate prints
// or stores, including text that arrives in chunks (a step's output).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qgate {

// The replacement written in place of a secret value.
inline constexpr std::string_view kMask = "***";

class SecretMasker {
 public:
  SecretMasker() = default;
  // Masks every value in `secrets`, and the forms a step or a report may
  // carry it in (encoded_forms); values shorter than 4 characters are
  // ignored, since masking "1" or "yes" would garble all output.
  explicit SecretMasker(std::vector<std::string> secrets);

  // Returns `text` with every secret value, and every encoded form of one,
  // replaced by kMask.
  std::string mask(std::string_view text) const;
  // Returns the length of the longest text masked, 0 if there is none.
  std::size_t longest() const { return longest_; }
  bool empty() const { return secrets_.empty(); }
  // The values masked, longest first (without their encoded forms).
  const std::vector<std::string>& secrets() const { return secrets_; }

 private:
  // Returns where the first text to mask at or after `pos` in `text` starts
  // and its length (npos if none); `next` caches each needle's next match.
  std::pair<std::size_t, std::size_t> first_match(std::string_view text, std::size_t pos,
                                                  std::vector<std::size_t>& next) const;

  std::vector<std::string> secrets_;
  std::vector<std::string> needles_;  // secrets and their encoded forms, longest first, so
                                      // that overlapping values mask fully
  std::size_t longest_ = 0;
  friend class StreamMasker;
};

// Returns the forms other than itself in which `secret` may appear in a
// step's output or a report: base64 (standard and URL-safe alphabets, at each
// of the three alignments in a longer encoded text, so an HTTP Basic header
// or a JWT part holding it is caught), percent-encoded (upper and lower case
// hex; '+' for spaces) and JSON-escaped. Forms shorter than 4 are left out.
std::vector<std::string> encoded_forms(std::string_view secret);

// Masks a stream given in chunks: a secret split across two chunks is still
// masked, at the cost of holding back up to longest()-1 bytes.
class StreamMasker {
 public:
  explicit StreamMasker(const SecretMasker& masker) : masker_(masker) {}
  // Appends `chunk`; returns the masked text that can be released now.
  std::string feed(std::string_view chunk);
  // Returns the masked remainder at the end of the stream.
  std::string finish();
  // Returns true if there is nothing to mask.
  bool empty() const { return masker_.empty(); }

 private:
  const SecretMasker& masker_;
  std::string carry_;
};

// Returns the values of the environment variables in `environment` ("NAME=value")
// whose names match one of `name_patterns` (shell globs, e.g. "*_TOKEN").
std::vector<std::string> secret_values(const std::vector<std::string>& environment,
                                       const std::vector<std::string>& name_patterns);

// The name patterns of secret variables masked by default.
std::vector<std::string> default_secret_patterns();

}  // namespace qgate
