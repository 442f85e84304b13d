#include "runner/secret_masker.hpp"

#include <fnmatch.h>

#include <algorithm>

namespace qgate {

SecretMasker::SecretMasker(std::vector<std::string> secrets) {
  for (auto& secret : secrets) {
    if (secret.size() >= 4) secrets_.push_back(std::move(secret));
  }
  std::sort(secrets_.begin(), secrets_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  secrets_.erase(std::unique(secrets_.begin(), secrets_.end()), secrets_.end());
  longest_ = secrets_.empty() ? 0 : secrets_.front().size();
}

std::string SecretMasker::mask(std::string_view text) const {
  if (secrets_.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t best = std::string_view::npos;
    std::size_t best_len = 0;
    for (const auto& secret : secrets_) {
      const std::size_t at = text.find(secret, pos);
      if (at < best) {
        best = at;
        best_len = secret.size();
      }
    }
    if (best == std::string_view::npos) break;
    out.append(text.substr(pos, best - pos));
    out.append(kMask);
    pos = best + best_len;
  }
  out.append(text.substr(std::min(pos, text.size())));
  return out;
}

std::string StreamMasker::feed(std::string_view chunk) {
  if (masker_.empty()) return std::string(chunk);
  carry_.append(chunk);
  const std::size_t hold = masker_.longest() - 1;
  if (carry_.size() <= hold) return "";
  // Release everything but the last `hold` bytes, unless a secret that starts
  // in the released part runs into the held part: then release up to its end.
  std::size_t cut = carry_.size() - hold;
  std::string out;
  std::size_t pos = 0;
  while (true) {
    std::size_t best = std::string::npos;
    std::size_t best_len = 0;
    for (const auto& secret : masker_.secrets_) {
      const std::size_t at = carry_.find(secret, pos);
      if (at < best) {
        best = at;
        best_len = secret.size();
      }
    }
    if (best == std::string::npos || best >= cut) break;
    out.append(carry_, pos, best - pos);
    out.append(kMask);
    pos = best + best_len;
  }
  if (pos < cut) {
    out.append(carry_, pos, cut - pos);
    pos = cut;
  }
  carry_.erase(0, pos);
  return out;
}

std::string StreamMasker::finish() {
  std::string out = masker_.mask(carry_);
  carry_.clear();
  return out;
}

std::vector<std::string> secret_values(const std::vector<std::string>& environment,
                                       const std::vector<std::string>& name_patterns) {
  std::vector<std::string> values;
  for (const auto& entry : environment) {
    const std::size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    const std::string name = entry.substr(0, eq);
    for (const auto& pattern : name_patterns) {
      if (fnmatch(pattern.c_str(), name.c_str(), 0) == 0) {
        values.push_back(entry.substr(eq + 1));
        break;
      }
    }
  }
  return values;
}

std::vector<std::string> default_secret_patterns() {
  return {"*_TOKEN", "*_SECRET", "*_PASSWORD", "*_API_KEY"};
}

}  // namespace qgate
