#pragma once
// Dependency-audit reports: `npm audit --json` of npm 7 and later.
#include <filesystem>
#include <string_view>

#include "gates/parsers/report.hpp"

namespace qgate {

// Returns true if `head`, the first bytes of a file, looks like the output of
// `npm audit --json`, a report or the error npm writes when the audit failed.
bool looks_like_npm_audit(std::string_view head);

// Reads an `npm audit --json` report (auditReportVersion 2): one
// Vulnerability per advisory on each package, with the affected range as its
// version (npm does not write the installed one) and, as fixed_in, the
// upgrade npm proposes ("name@version", or "npm audit fix" when it names
// none). Packages that are vulnerable only through a dependency are not
// repeated. Throws ReportError for the error object npm writes when the audit
// could not run (registry unreachable, no lockfile), for npm 6's format, and
// for malformed or truncated files.
AuditReport parse_npm_audit(const std::filesystem::path& file);

}  // namespace qgate
