#include "runner/duration.hpp"

#include <cctype>
#include <cstdint>

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
    total_ms += number * factor;
    any = true;
  }
  return std::chrono::milliseconds(total_ms);
}

}  // namespace qgate
