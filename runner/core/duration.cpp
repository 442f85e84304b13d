#include "runner/core/duration.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>

namespace qgate {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t total_ms = 0;
  std::size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    std::int64_t number = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      number = number * 10 + (text[i] - '0');
      if (number > 10'000'000) return std::nullopt;
      ++i;
    }
    std::string_view unit;
    const std::size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    unit = text.substr(unit_start, i - unit_start);
    std::int64_t factor = 0;
    if (unit.empty()) {
      // A bare number is seconds, and only alone ("90", not "1m30").
      if (any || i != text.size()) return std::nullopt;
      factor = 1000;
    } else if (unit == "ms") {
      factor = 1;
    } else if (unit == "s") {
      factor = 1000;
    } else if (unit == "m") {
      factor = 60 * 1000;
    } else if (unit == "h") {
      factor = 3600 * 1000;
    } else {
      return std::nullopt;
    }
    // Saturated: thousands of terms of 9999999h would overflow the sum.
    constexpr std::int64_t kCeiling = std::int64_t{1} << 60;
    total_ms = std::min(kCeiling, total_ms + number * factor);
    any = true;
  }
  return std::chrono::milliseconds(total_ms);
}

std::string format_seconds(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
  char text[64];
  // Rounded as printed, so that 59.96 s reads "1 min 00 s", not "60.0 s".
  if (std::round(seconds * 10) / 10 < 60) {
    std::snprintf(text, sizeof text, "%.1f s", seconds);
  } else if (std::lround(seconds) < 3600) {
    const long whole = std::lround(seconds);
    std::snprintf(text, sizeof text, "%ld min %02ld s", whole / 60, whole % 60);
  } else {
    const long minutes = std::lround(seconds / 60);
    std::snprintf(text, sizeof text, "%ld h %02ld min", minutes / 60, minutes % 60);
  }
  return text;
}

}  // namespace qgate
