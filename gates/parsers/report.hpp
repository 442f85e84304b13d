#pragma once
// What the gates read from the report files of real tools: test results,
// coverage, findings, dependency audits and benchmark figures. Each format has
// its own parser (gates/parsers/<format>.cpp) returning one of these.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "runner/result.hpp"

namespace qgate {

// Thrown for a report that is malformed or truncated: names the file and what
// is wrong with it (and where, when known).
class ReportError : public std::runtime_error {
 public:
  ReportError(const std::filesystem::path& file, const std::string& problem);
  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
};

// One test case of a test report.
struct TestCase {
  enum class Outcome { passed, failed, error, skipped };
  std::string suite;
  std::string classname;
  std::string name;
  double time_s = 0;
  Outcome outcome = Outcome::passed;
  std::string message;  // failure/error/skip message, first line
  std::string details;  // the full failure text (stack trace, assertion)
};

// A JUnit-style test report.
struct TestReport {
  std::string format;  // "junit"
  int tests = 0;
  int failures = 0;
  int errors = 0;
  int skipped = 0;
  double time_s = 0;
  std::vector<TestCase> cases;
};

// Coverage of one source file.
struct FileCoverage {
  std::string path;  // as the tool wrote it
  std::int64_t lines_total = 0;
  std::int64_t lines_covered = 0;
  std::int64_t branches_total = 0;  // 0 when the tool gives no branch data
  std::int64_t branches_covered = 0;
  std::map<int, std::int64_t> line_hits;  // line number -> hit count, for patch coverage
};

// A coverage report.
struct CoverageReport {
  std::string format;  // "cobertura", "lcov", "coverage-py-json", "go-coverprofile"
  std::vector<FileCoverage> files;
  std::int64_t lines_total = 0;
  std::int64_t lines_covered = 0;
  std::int64_t branches_total = 0;
  std::int64_t branches_covered = 0;
};

// Findings of a linter, type checker or scanner (Finding is in runner/result.hpp;
// its `requirement` is left empty by parsers).
struct FindingsReport {
  std::string format;  // "sarif", "checkstyle", "cppcheck"
  std::string tool;    // e.g. "shellcheck", "eslint", "cppcheck"
  std::vector<Finding> findings;
};

// One vulnerable dependency from a dependency audit.
struct Vulnerability {
  std::string package;
  std::string version;
  std::string id;                    // advisory id (GHSA-..., CVE-..., PYSEC-...)
  std::vector<std::string> aliases;  // the same advisory's other ids, when the tool gives them
  Severity severity = Severity::medium;
  std::string title;
  std::string fixed_in;  // empty if no fix is known
  std::string url;
};

// A dependency-audit report.
struct AuditReport {
  std::string format;  // "npm-audit", "pip-audit", "osv-scanner"
  std::vector<Vulnerability> vulnerabilities;
};

// One benchmark of a benchmark report; times in nanoseconds.
struct BenchmarkResult {
  std::string name;
  std::int64_t iterations = 0;
  std::vector<double> samples_ns;  // one per repetition / run, when the tool gives them
  double mean_ns = 0;
  double median_ns = 0;
  double stddev_ns = 0;
  double min_ns = 0;
  double max_ns = 0;
  std::map<std::string, double> metrics;  // e.g. "p95_ms", "error_rate", "rps"
  bool errored = false;
  std::string error_message;
};

// A benchmark report.
struct BenchmarkReport {
  std::string format;  // "google-benchmark", "hyperfine", "k6"
  std::vector<BenchmarkResult> results;
};

}  // namespace qgate
