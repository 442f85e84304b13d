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
// memory holds the findings, not the log (code flows and the like are only
// bracket-checked). Severity: a security-severity score, else the result's
// level (error → high, warning → medium, note → low, none → info), else the
// rule's default level or problem.severity, else warning. The path is the
// URI as written (file:// removed, relative bases joined); the fingerprint is
// "key=value" of primaryLocationLineHash, else another partial fingerprint,
// else a full one. Results that passed, are suppressed or absent are left
// out; error notifications (a file the tool could not parse) become high
// "parse-error"/"tool-error" findings, other notifications info
// "tool-notice" ones. Throws ReportError if the file is malformed,
// truncated or not SARIF 2.1.0.
FindingsReport parse_sarif(const std::filesystem::path& file);

}  // namespace qgate
