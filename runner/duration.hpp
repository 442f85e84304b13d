#pragma once
#include <chrono>
#include <optional>
#include <string_view>

namespace qgate {

// Parses a duration such as "90", "30s", "5m", "1h30m" or "250ms" (a bare
// number is seconds); nothing if `text` is not one.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace qgate
