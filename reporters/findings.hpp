#pragma once
// What every reporter says about findings: counts by severity, new against
// the baseline vs existing, and which few to show first.
#include <array>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "runner/core/result.hpp"

namespace qgate {

// Returns "2 high, 10 low" (most severe first), followed by "; 1 new, 11
// existing" when only-new mode marked them; "no findings" when empty.
std::string describe_counts(const FindingCounts& counts);

// Returns at most `limit` findings, the ones to read first: most severe,
// then new before existing, then by file and line.
std::vector<const Finding*> top_findings(const std::vector<Finding>& findings, std::size_t limit);

// Returns `file` (relative to `module_path`, or absolute) relative to `root`,
// the repository's top folder, which is where GitHub and SARIF viewers look;
// `file` as it is when `root` is empty or the file lies outside it.
std::string relative_to_root(const std::filesystem::path& root,
                             const std::filesystem::path& module_path, const std::string& file);

// Returns "file:line:column" (as much of it as is known), or "".
std::string location_of(const Finding& finding);

}  // namespace qgate
