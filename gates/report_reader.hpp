#pragma once
// Reads a report file of any supported format, naming the format or letting
// its first bytes tell.
#include <filesystem>
#include <string>
#include <variant>
#include <vector>

#include "gates/parsers/report.hpp"

namespace qgate {

// What a report file holds.
using ParsedReport =
    std::variant<TestReport, CoverageReport, FindingsReport, AuditReport, BenchmarkReport>;

// Reads report `file` in `format` ("junit", "cobertura", "lcov", "coverage-py-json",
// "go-coverprofile", "sarif", "checkstyle", "cppcheck", "npm-audit", "pip-audit",
// "osv-scanner", "google-benchmark", "hyperfine", "k6"; empty: detected from its
// first bytes);
// throws ReportError naming the file and what is wrong with it.
ParsedReport read_report(const std::filesystem::path& file, const std::string& format = "");

// Returns the format names read_report() accepts.
const std::vector<std::string>& report_format_names();

}  // namespace qgate
