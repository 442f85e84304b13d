#pragma once
// Reads a report file of any supported format, naming the format or letting
// its first bytes tell.
#include <cstdint>
#include <filesystem>
#include <string>
#include <variant>
#include <vector>

#include "gates/parsers/report.hpp"

namespace qgate {

// What a report file holds.
using ParsedReport =
    std::variant<TestReport, CoverageReport, FindingsReport, AuditReport, BenchmarkReport>;

// The most a report file may hold unless the configuration says otherwise
// (settings.reports.max_megabytes): far above real reports (a JUnit file of
// 100,000 tests is about 30 MiB).
inline constexpr std::uintmax_t kDefaultMaxReportBytes = 256ULL * 1024 * 1024;

// Reads report `file` in `format` ("junit", "cobertura", "lcov", "coverage-py-json",
// "go-coverprofile", "sarif", "checkstyle", "cppcheck", "npm-audit", "pip-audit",
// "osv-scanner", "google-benchmark", "hyperfine", "k6"; empty: detected from its
// first bytes);
// throws ReportError naming the file and what is wrong with it, also when it is
// not a regular file (a link to /dev/zero, a FIFO: never opened) or holds more
// than `max_bytes`.
ParsedReport read_report(const std::filesystem::path& file, const std::string& format = "",
                         std::uintmax_t max_bytes = kDefaultMaxReportBytes);

// Returns the format names read_report() accepts.
const std::vector<std::string>& report_format_names();

}  // namespace qgate
