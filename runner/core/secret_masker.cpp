#include "runner/core/secret_masker.hpp"

#include <fnmatch.h>

#include <algorithm>

namespace qgate {

namespace {

constexpr std::size_t kShortest = 4;

constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(std::string_view bytes) {
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const auto n = (static_cast<unsigned char>(bytes[i]) << 16) |
                   (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                   static_cast<unsigned char>(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kBase64[(n >> shift) & 0x3F];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    unsigned n = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kBase64[(n >> 18) & 0x3F];
    out += kBase64[(n >> 12) & 0x3F];
    out += rest == 2 ? kBase64[(n >> 6) & 0x3F] : '=';
    out += '=';
  }
  return out;
}

// The part of the base64 of `secret` that is the same wherever it lies in a
// longer text, when `offset` bytes (0, 1 or 2) precede it in its group of 3:
// the characters that also encode the neighbouring bytes are cut off.
std::string stable_base64(std::string_view secret, std::size_t offset) {
  std::string bytes(offset, '\0');
  bytes.append(secret);
  std::string encoded = base64(bytes);
  const std::size_t front = offset == 0 ? 0 : offset + 1;  // chars holding a bit of the prefix
  std::size_t back = 0;                                    // ... or of what follows
  switch (bytes.size() % 3) {
    case 1:
      back = 3;
      break;  // "X?==": X holds 6 bits of the last byte, ? only 2
    case 2:
      back = 2;
      break;  // "XY?=": ? holds 4 bits of the last byte
    default:
      break;
  }
  if (encoded.size() <= front + back) return "";
  return encoded.substr(front, encoded.size() - front - back);
}

std::string percent_encoded(std::string_view secret, const char* hex, bool plus_for_space) {
  std::string out;
  for (const char c : secret) {
    const auto u = static_cast<unsigned char>(c);
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~';
    if (plain) {
      out += c;
    } else if (c == ' ' && plus_for_space) {
      out += '+';
    } else {
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 0xF];
    }
  }
  return out;
}

std::string json_escaped(std::string_view secret) {
  std::string out;
  for (const char c : secret) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> encoded_forms(std::string_view secret) {
  std::vector<std::string> forms;
  const auto add = [&](std::string form) {
    if (form.size() >= kShortest && form != secret &&
        std::find(forms.begin(), forms.end(), form) == forms.end()) {
      forms.push_back(std::move(form));
    }
  };
  for (std::size_t offset = 0; offset < 3; ++offset) {
    const std::string standard = stable_base64(secret, offset);
    std::string url_safe = standard;
    std::replace(url_safe.begin(), url_safe.end(), '+', '-');
    std::replace(url_safe.begin(), url_safe.end(), '/', '_');
    add(standard);
    add(std::move(url_safe));
  }
  add(percent_encoded(secret, "0123456789ABCDEF", false));
  add(percent_encoded(secret, "0123456789abcdef", false));
  add(percent_encoded(secret, "0123456789ABCDEF", true));
  add(json_escaped(secret));
  return forms;
}

SecretMasker::SecretMasker(std::vector<std::string> secrets) {
  for (auto& secret : secrets) {
    if (secret.size() >= kShortest) secrets_.push_back(std::move(secret));
  }
  const auto longest_first = [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  };
  std::sort(secrets_.begin(), secrets_.end(), longest_first);
  secrets_.erase(std::unique(secrets_.begin(), secrets_.end()), secrets_.end());
  needles_ = secrets_;
  for (const auto& secret : secrets_) {
    for (auto& form : encoded_forms(secret)) needles_.push_back(std::move(form));
  }
  std::sort(needles_.begin(), needles_.end(), longest_first);
  needles_.erase(std::unique(needles_.begin(), needles_.end()), needles_.end());
  longest_ = needles_.empty() ? 0 : needles_.front().size();
}

std::pair<std::size_t, std::size_t> SecretMasker::first_match(
    std::string_view text, std::size_t pos, std::vector<std::size_t>& next) const {
  const bool first = next.size() != needles_.size();
  if (first) next.resize(needles_.size());
  std::size_t best = std::string_view::npos;
  std::size_t best_len = 0;
  for (std::size_t i = 0; i < needles_.size(); ++i) {
    // A needle's earlier answer still holds while it lies at or after `pos`.
    if (first || (next[i] != std::string_view::npos && next[i] < pos)) {
      next[i] = text.find(needles_[i], pos);
    }
    if (next[i] < best) {  // longest first: a longer needle at the same place wins
      best = next[i];
      best_len = needles_[i].size();
    }
  }
  return {best, best_len};
}

std::string SecretMasker::mask(std::string_view text) const {
  if (needles_.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  std::vector<std::size_t> next;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto [at, length] = first_match(text, pos, next);
    if (at == std::string_view::npos) break;
    out.append(text.substr(pos, at - pos));
    out.append(kMask);
    pos = at + length;
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
  std::vector<std::size_t> next;
  std::size_t pos = 0;
  while (true) {
    const auto [at, length] = masker_.first_match(carry_, pos, next);
    if (at == std::string::npos || at >= cut) break;
    out.append(carry_, pos, at - pos);
    out.append(kMask);
    pos = at + length;
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
