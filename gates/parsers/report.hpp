#pragma once
// What the gates read from the report files of real tools: test results,
// coverage, findings, dependency audits and benchmark figures. Each format has
// its own parser (gates/parsers/<format>.cpp) returning one of these.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "runner/core/result.hpp"

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

// Hit counts by line number, in ascending line order: a map kept as one
// sorted array, as coverage reports of millions of lines would need four
// times the memory in tree nodes. Lines come in ascending order from every
// tool, which appends; another line is inserted in place.
class LineHits {
 public:
  using value_type = std::pair<int, std::int64_t>;  // line, hits
  using const_iterator = std::vector<value_type>::const_iterator;
  using iterator = const_iterator;

  LineHits() = default;
  LineHits(std::initializer_list<value_type> lines) {
    for (const auto& [line, hits] : lines) entry(line).first = hits;
  }

  const_iterator begin() const { return lines_.begin(); }
  const_iterator end() const { return lines_.end(); }
  std::size_t size() const { return lines_.size(); }
  bool empty() const { return lines_.empty(); }

  // The first line not before `line`, and the first after it.
  const_iterator lower_bound(int line) const {
    return std::lower_bound(lines_.begin(), lines_.end(), line,
                            [](const value_type& entry, int l) { return entry.first < l; });
  }
  const_iterator upper_bound(int line) const {
    return std::upper_bound(lines_.begin(), lines_.end(), line,
                            [](int l, const value_type& entry) { return l < entry.first; });
  }
  // Returns the entry of `line`, or end().
  const_iterator find(int line) const {
    const auto it = lower_bound(line);
    return it != end() && it->first == line ? it : end();
  }
  std::size_t count(int line) const { return find(line) == end() ? 0 : 1; }
  bool contains(int line) const { return find(line) != end(); }
  // Returns the hits of `line`; throws std::out_of_range if it has none.
  std::int64_t at(int line) const {
    const auto it = find(line);
    if (it == end()) throw std::out_of_range("no hits for line " + std::to_string(line));
    return it->second;
  }

  // Returns the hit count of `line` to update, and whether it was added (as 0).
  std::pair<std::int64_t&, bool> entry(int line) {
    if (lines_.empty() || lines_.back().first < line) {
      lines_.emplace_back(line, 0);
      return {lines_.back().second, true};
    }
    const auto at_or_after = lower_bound(line) - lines_.begin();
    const auto it = lines_.begin() + at_or_after;
    if (it != lines_.end() && it->first == line) return {it->second, false};
    return {lines_.emplace(it, line, 0)->second, true};
  }
  // Gives back the room kept for growth, once the lines are all read.
  void shrink_to_fit() { lines_.shrink_to_fit(); }

  friend bool operator==(const LineHits&, const LineHits&) = default;

 private:
  std::vector<value_type> lines_;
};

// Coverage of one source file.
struct FileCoverage {
  std::string path;  // as the tool wrote it
  std::int64_t lines_total = 0;
  std::int64_t lines_covered = 0;
  std::int64_t branches_total = 0;  // 0 when the tool gives no branch data
  std::int64_t branches_covered = 0;
  LineHits line_hits;  // line number -> hit count, for patch coverage
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

// Findings of a linter, type checker or scanner (Finding is in runner/core/result.hpp;
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
  // Nothing when the tool gives none (pip-audit never does): the gate takes
  // its `unknown_severity` for it.
  std::optional<Severity> severity;
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
