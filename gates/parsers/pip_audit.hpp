#pragma once
// Dependency-audit reports of Python environments: `pip-audit --format json`
// (pip-audit 2 and later).
#include <filesystem>
#include <string_view>

#include "gates/parsers/report.hpp"

namespace qgate {

// Returns true if `head`, the first bytes of a file, looks like the output of
// `pip-audit --format json`.
bool looks_like_pip_audit(std::string_view head);

// Reads a pip-audit JSON report: one Vulnerability per advisory ("vulns") of
// each dependency, with its installed version, its aliases, the start of its
// description as title, the versions that fix it (fix_versions, joined by
// ", ") as fixed_in and its osv.dev page as url. pip-audit writes no
// severity: every advisory is left without one, which the gate judges as
// its `unknown_severity` (default critical, at or above any `fail_on`).
// Dependencies pip-audit skipped (skip_reason: not on PyPI, or
// pinned by hash only) hold no advisory. Throws ReportError for pip-audit
// 1's bare list, for malformed or truncated files.
AuditReport parse_pip_audit(const std::filesystem::path& file);

}  // namespace qgate
