#pragma once
// Masks the values of secret environment variables in text that qgate prints
// or stores, including text that arrives in chunks (a step's output).
#include <string>
#include <string_view>
#include <vector>

namespace qgate {

// The replacement written in place of a secret value.
inline constexpr std::string_view kMask = "***";

class SecretMasker {
 public:
  SecretMasker() = default;
  // Masks every value in `secrets`; values shorter than 4 characters are
  // ignored, since masking "1" or "yes" would garble all output.
  explicit SecretMasker(std::vector<std::string> secrets);

  // Returns `text` with every secret value replaced by kMask.
  std::string mask(std::string_view text) const;
  // Returns the length of the longest secret, 0 if there is none.
  std::size_t longest() const { return longest_; }
  bool empty() const { return secrets_.empty(); }
  // The values masked, longest first.
  const std::vector<std::string>& secrets() const { return secrets_; }

 private:
  std::vector<std::string> secrets_;  // longest first, so overlapping values mask fully
  std::size_t longest_ = 0;
  friend class StreamMasker;
};

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
