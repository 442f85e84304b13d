#pragma once
// SARIF 2.1.0, the findings format that any analyser can write (clang's
// static analyzer, flawfinder, eslint's SARIF formatter, CodeQL, ...).
#include <filesystem>
#include <string_view>

#include "gates/parsers/report.hpp"

namespace qgate {

// Returns true if `head`, the first bytes of a file, looks like a SARIF log.
bool looks_like_sarif(std::string_view head);

// Reads the SARIF log at `file`, every run of it, streaming the file so that
// memory stays far below its size; throws ReportError if it is malformed,
// truncated or not SARIF 2.1.0.
FindingsReport parse_sarif(const std::filesystem::path& file);

}  // namespace qgate
