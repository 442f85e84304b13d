#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace qgate {

// The longest duration a configuration may give, a week: anything longer is
// a mistake, and some (2562047h) overflowed the clock's deadline arithmetic.
inline constexpr std::chrono::hours kLongestDuration{24 * 7};

// Parses a duration such as "90", "30s", "5m", "1h30m" or "250ms" (a bare
// number is seconds); nothing if `text` is not one. A sum past any clock's
// range stays at a value far beyond kLongestDuration instead of overflowing.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// Returns `seconds` as people read it: "1.0 s", "2 min 05 s", "1 h 02 min".
std::string format_seconds(double seconds);

}  // namespace qgate
