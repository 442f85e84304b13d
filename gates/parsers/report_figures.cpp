#include "gates/parsers/report_figures.hpp"

#include <cmath>
#include <cstdint>
#include <string>

namespace qgate {
namespace {

[[noreturn]] void impossible(const std::filesystem::path& file, const std::string& what) {
  throw ReportError(file, "impossible figures: " + what + ": not a real report");
}

// Checks that `covered` of `total` (lines or branches of `where`) can be.
void check_share(const std::filesystem::path& file, std::int64_t covered, std::int64_t total,
                 const char* what, const std::string& where) {
  if (total < 0 || covered < 0 || covered > total) {
    impossible(file, std::to_string(covered) + " of " + std::to_string(total) + " " + what +
                         " covered" + where);
  }
}

void check_time(const std::filesystem::path& file, double value, const std::string& what) {
  if (!std::isfinite(value) || value < 0) impossible(file, what + " is " + std::to_string(value));
}

}  // namespace

void check_figures(const std::filesystem::path& file, const TestReport& report) {
  if (report.tests < 0 || report.failures < 0 || report.errors < 0 || report.skipped < 0) {
    impossible(file, "a negative count of tests");
  }
  if (static_cast<long long>(report.failures) + report.errors + report.skipped > report.tests) {
    impossible(file, std::to_string(report.failures) + " failed, " + std::to_string(report.errors) +
                         " errors and " + std::to_string(report.skipped) + " skipped of " +
                         std::to_string(report.tests) + " tests");
  }
  check_time(file, report.time_s, "the time of the tests");
}

void check_figures(const std::filesystem::path& file, const CoverageReport& report) {
  for (const FileCoverage& covered : report.files) {
    check_share(file, covered.lines_covered, covered.lines_total, "lines", " in " + covered.path);
    check_share(file, covered.branches_covered, covered.branches_total, "branches",
                " in " + covered.path);
  }
  check_share(file, report.lines_covered, report.lines_total, "lines", "");
  check_share(file, report.branches_covered, report.branches_total, "branches", "");
}

void check_figures(const std::filesystem::path& file, const FindingsReport& report) {
  for (const Finding& finding : report.findings) {
    if (finding.line < 0) impossible(file, "a finding at line " + std::to_string(finding.line));
  }
}

void check_figures(const std::filesystem::path&, const AuditReport&) {
  // An audit holds no figure to judge: advisories and versions only.
}

void check_figures(const std::filesystem::path& file, const BenchmarkReport& report) {
  for (const BenchmarkResult& result : report.results) {
    if (result.errored) continue;
    if (result.iterations < 0) {
      impossible(file, result.name + " ran " + std::to_string(result.iterations) + " iterations");
    }
    check_time(file, result.mean_ns, "the mean time of " + result.name);
    check_time(file, result.median_ns, "the median time of " + result.name);
    check_time(file, result.stddev_ns, "the deviation of " + result.name);
    check_time(file, result.min_ns, "the least time of " + result.name);
    check_time(file, result.max_ns, "the greatest time of " + result.name);
    for (double sample : result.samples_ns) check_time(file, sample, "a time of " + result.name);
  }
}

}  // namespace qgate
