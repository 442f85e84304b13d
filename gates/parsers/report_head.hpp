#pragma once
// The first bytes of a report file, which the looks_like_* detectors read to
// tell its format.
#include <cstddef>
#include <filesystem>
#include <string>

namespace qgate {

// Returns the first `bytes` of `file` (all of it if shorter); throws
// ReportError if it cannot be read.
std::string read_report_head(const std::filesystem::path& file, std::size_t bytes = 4096);

}  // namespace qgate
