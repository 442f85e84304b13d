#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace qgate {

// Returns the entry of `candidates` closest to `word` by edit distance, if it
// is close enough to be a likely typo; otherwise "".
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

// Returns " (did you mean 'x'?)" for the closest match of `word`, or "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace qgate
