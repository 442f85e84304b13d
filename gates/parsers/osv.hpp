#pragma once
// Dependency-audit reports of osv-scanner: `osv-scanner --format json`
// (`--json` before 1.4), any ecosystem it reads lockfiles of.
#include <filesystem>
#include <optional>
#include <string_view>

#include "gates/parsers/report.hpp"

namespace qgate {

// Returns true if `head`, the first bytes of a file, looks like the output of
// `osv-scanner --format json`.
bool looks_like_osv_scanner(std::string_view head);

// Returns the CVSS v3.0/v3.1 base score of `vector`
// ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H" -> 7.5), or nothing if it
// is not a complete v3 vector.
std::optional<double> cvss3_base_score(std::string_view vector);

// Returns the CVSS v3 rating of `score`: 9.0 and above critical, 7.0 high,
// 4.0 medium, above 0 low, 0 info.
Severity severity_of_cvss(double score);

// Reads an osv-scanner JSON report: one Vulnerability per advisory group of
// each package (osv-scanner groups the records that are aliases of each
// other; a report without groups, from before 1.3, gives one per record):
// its first id as id, the group's other ids and aliases as aliases, the
// record's summary as title, every version the records name as "fixed" for
// the package (joined by ", ") as fixed_in, its osv.dev page as url.
// Severity: the group's max_severity, the highest CVSS score osv-scanner
// found among the aliases; else the highest CVSS v3 vector score of the
// records; else their database_specific.severity (CRITICAL, HIGH,
// MODERATE/MEDIUM, LOW); else none, which the gate judges as its
// `unknown_severity` (Go's own advisories carry none). Throws ReportError
// for a report with osv-scanner's log mixed in, for malformed or truncated
// files.
AuditReport parse_osv_scanner(const std::filesystem::path& file);

}  // namespace qgate
