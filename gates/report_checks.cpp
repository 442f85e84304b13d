#include "gates/report_checks.hpp"

#include <cmath>
#include <cstdio>

#include "gates/report_reader.hpp"

namespace qgate {
namespace {

std::string percent(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f%%", value);
  return buffer;
}

struct Thresholds {
  double min_lines = 80;
  double min_branches = -1;  // not checked
  Severity fail_on = Severity::low;
};

Thresholds thresholds_of(const GateConfig& gate) {
  Thresholds t;
  const auto& options = gate.options;
  if (options.contains("coverage") && options.at("coverage").is_object()) {
    const auto& coverage = options.at("coverage");
    t.min_lines = coverage.value("min_lines", t.min_lines);
    t.min_branches = coverage.value("min_branches", t.min_branches);
  }
  if (options.contains("fail_on") && options.at("fail_on").is_string()) {
    t.fail_on = severity_from_string(options.at("fail_on").get<std::string>()).value_or(t.fail_on);
  }
  return t;
}

// Adds one report's verdict to the gate's.
class Judge {
 public:
  Judge(const Thresholds& thresholds, ReportVerdict& verdict) : t_(thresholds), verdict_(verdict) {}

  void operator()(const std::string& name, const TestReport& report) {
    metric("tests." + name + ".total", report.tests, "tests");
    metric("tests." + name + ".failed", report.failures + report.errors, "tests");
    std::string text = name + ": " + std::to_string(report.tests) + " tests, " +
                       std::to_string(report.failures) + " failed, " +
                       std::to_string(report.errors) + " errors, " +
                       std::to_string(report.skipped) + " skipped";
    if (report.tests - report.skipped <= 0) {
      fail(text + " (no test ran)");
    } else if (report.failures + report.errors > 0) {
      for (const auto& test : report.cases) {
        if (test.outcome != TestCase::Outcome::failed && test.outcome != TestCase::Outcome::error) {
          continue;
        }
        Finding finding;
        finding.rule =
            "test." + std::string(test.outcome == TestCase::Outcome::failed ? "failed" : "error");
        finding.severity = Severity::high;
        finding.message = (test.classname.empty() ? test.suite : test.classname) + "." + test.name +
                          (test.message.empty() ? "" : ": " + test.message);
        finding.file = name;
        verdict_.outcome.findings.push_back(std::move(finding));
      }
      fail(text);
    } else {
      pass(text);
    }
  }

  void operator()(const std::string& name, const CoverageReport& report) {
    if (report.lines_total == 0) {
      fail(name + ": no line was measured");
      return;
    }
    const double lines =
        100.0 * static_cast<double>(report.lines_covered) / static_cast<double>(report.lines_total);
    metric("coverage.lines", lines, "%");
    std::string text = name + ": " + percent(lines) + " of lines";
    bool ok = lines + 1e-9 >= t_.min_lines;
    if (!ok) text += " (minimum " + percent(t_.min_lines) + ")";
    if (report.branches_total > 0) {
      const double branches = 100.0 * static_cast<double>(report.branches_covered) /
                              static_cast<double>(report.branches_total);
      metric("coverage.branches", branches, "%");
      text += ", " + percent(branches) + " of branches";
      if (t_.min_branches >= 0 && branches + 1e-9 < t_.min_branches) {
        ok = false;
        text += " (minimum " + percent(t_.min_branches) + ")";
      }
    }
    ok ? pass(text) : fail(text);
  }

  void operator()(const std::string& name, const FindingsReport& report) {
    int blocking = 0;
    for (Finding finding : report.findings) {
      if (finding.severity >= t_.fail_on) ++blocking;
      if (finding.rule.empty()) finding.rule = report.tool;
      verdict_.outcome.findings.push_back(std::move(finding));
    }
    metric("findings." + name, static_cast<double>(report.findings.size()), "findings");
    const std::string text = name + ": " + std::to_string(report.findings.size()) + " findings, " +
                             std::to_string(blocking) + " at or above " +
                             std::string(to_string(t_.fail_on));
    blocking > 0 ? fail(text) : pass(text);
  }

  void operator()(const std::string& name, const AuditReport& report) {
    int blocking = 0;
    for (const auto& vulnerability : report.vulnerabilities) {
      Finding finding;
      finding.rule = vulnerability.id;
      finding.severity = vulnerability.severity;
      finding.message =
          vulnerability.package + " " + vulnerability.version + ": " + vulnerability.title +
          (vulnerability.fixed_in.empty() ? "" : " (fixed in " + vulnerability.fixed_in + ")");
      finding.file = name;
      if (finding.severity >= t_.fail_on) ++blocking;
      verdict_.outcome.findings.push_back(std::move(finding));
    }
    const std::string text = name + ": " + std::to_string(report.vulnerabilities.size()) +
                             " vulnerable dependencies, " + std::to_string(blocking) +
                             " at or above " + std::string(to_string(t_.fail_on));
    blocking > 0 ? fail(text) : pass(text);
  }

  void operator()(const std::string& name, const BenchmarkReport& report) {
    int errored = 0;
    for (const auto& result : report.results) {
      if (result.errored) {
        ++errored;
        continue;
      }
      metric("benchmark." + result.name + ".mean_ns", result.mean_ns, "ns");
    }
    const std::string text = name + ": " + std::to_string(report.results.size()) + " benchmarks" +
                             (errored > 0 ? ", " + std::to_string(errored) + " errored" : "");
    errored > 0 ? fail(text) : pass(text);
  }

 private:
  void metric(const std::string& name, double value, const std::string& unit) {
    verdict_.metrics.push_back({name, value, unit});
  }
  void pass(const std::string& text) { add(text, Status::passed); }
  void fail(const std::string& text) { add(text, Status::failed); }
  void add(const std::string& text, Status status) {
    auto& outcome = verdict_.outcome;
    if (status == Status::failed && outcome.status == Status::passed)
      outcome.status = Status::failed;
    outcome.message += (outcome.message.empty() ? "" : "; ") + text;
  }

  const Thresholds& t_;
  ReportVerdict& verdict_;
};

}  // namespace

ReportVerdict judge_reports(const GateConfig& gate, const std::filesystem::path& module_dir,
                            const ReportContext& context) {
  (void)context;
  ReportVerdict verdict;
  verdict.outcome.status = Status::passed;
  const Thresholds thresholds = thresholds_of(gate);
  Judge judge(thresholds, verdict);
  for (const auto& report : gate.reports) {
    const std::filesystem::path file = module_dir / report.path;
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
      verdict.outcome.status = Status::error;
      verdict.outcome.message += std::string(verdict.outcome.message.empty() ? "" : "; ") +
                                 report.path + ": not written by the gate's steps";
      continue;
    }
    try {
      const ParsedReport parsed = read_report(file, report.format);
      std::visit([&](const auto& value) { judge(report.path, value); }, parsed);
    } catch (const ReportError& error) {
      verdict.outcome.status = Status::error;
      // The error names the file already.
      verdict.outcome.message +=
          std::string(verdict.outcome.message.empty() ? "" : "; ") + error.what();
    }
  }
  return verdict;
}

}  // namespace qgate
