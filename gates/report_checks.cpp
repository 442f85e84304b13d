#include "gates/report_checks.hpp"

#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "gates/benchmark_checks.hpp"
#include "gates/finding_fingerprints.hpp"
#include "gates/patch_coverage.hpp"
#include "gates/report_reader.hpp"
#include "gates/report_verdict.hpp"

namespace qgate {
namespace {

// At most this many uncovered ranges of a patch become findings.
constexpr std::size_t kMaxPatchFindings = 50;
// At most this many files below the per-file minimum are named in the message.
constexpr std::size_t kMaxNamedFiles = 5;

struct Thresholds {
  double min_lines = 80;
  double min_branches = -1;     // not checked
  double min_file_lines = -1;   // not checked
  double patch_min_lines = -1;  // not checked
  double max_drop = -1;         // not checked
  Severity fail_on = Severity::low;
  // Taken for a vulnerability whose audit gives no severity: at or above any
  // fail_on unless the user says otherwise, so that not knowing never passes.
  Severity unknown_severity = Severity::critical;
  bool only_new = false;
};

Thresholds thresholds_of(const GateConfig& gate) {
  Thresholds t;
  const auto& options = gate.options;
  if (options.contains("coverage") && options.at("coverage").is_object()) {
    const auto& coverage = options.at("coverage");
    t.min_lines = coverage.value("min_lines", t.min_lines);
    t.min_branches = coverage.value("min_branches", t.min_branches);
    t.min_file_lines = coverage.value("min_file_lines", t.min_file_lines);
    t.patch_min_lines = coverage.value("patch_min_lines", t.patch_min_lines);
    t.max_drop = coverage.value("max_drop", t.max_drop);
  }
  if (options.contains("fail_on") && options.at("fail_on").is_string()) {
    t.fail_on = severity_from_string(options.at("fail_on").get<std::string>()).value_or(t.fail_on);
  }
  if (options.contains("unknown_severity") && options.at("unknown_severity").is_string()) {
    t.unknown_severity = severity_from_string(options.at("unknown_severity").get<std::string>())
                             .value_or(t.unknown_severity);
  }
  t.only_new = options.value("only_new", false);
  return t;
}

// At most this many errored benchmarks are named in the message.
constexpr std::size_t kMaxNamedBenchmarks = 3;
// An error message is cut to this many characters in the verdict.
constexpr std::size_t kMaxErrorChars = 200;

// Returns "2 errored: BM_a (could not connect), BM_b": the benchmarks that
// produced no figures, named with what their tool said, so that the verdict
// says which one to look at.
std::string errored_benchmarks(const std::vector<const BenchmarkResult*>& errored) {
  std::string text = std::to_string(errored.size()) + " errored: ";
  for (std::size_t i = 0; i < errored.size() && i < kMaxNamedBenchmarks; ++i) {
    std::string message = errored[i]->error_message.substr(0, errored[i]->error_message.find('\n'));
    if (message.size() > kMaxErrorChars) {
      std::size_t cut = kMaxErrorChars;  // not inside a UTF-8 sequence
      while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) --cut;
      message = message.substr(0, cut) + "...";
    }
    text += (i > 0 ? ", " : "") + errored[i]->name + (message.empty() ? "" : " (" + message + ")");
  }
  if (errored.size() > kMaxNamedBenchmarks) {
    text += " and " + std::to_string(errored.size() - kMaxNamedBenchmarks) + " more";
  }
  return text;
}

double percent_of(std::int64_t part, std::int64_t whole) {
  return 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

// Judges each report as it is read, then what needs them all (patch coverage,
// benchmark thresholds and regressions).
class Judge {
 public:
  Judge(const GateConfig& gate, const std::filesystem::path& module_dir,
        const ReportContext& context, ReportVerdict& verdict)
      : gate_(gate),
        t_(thresholds_of(gate)),
        module_dir_(module_dir),
        context_(context),
        verdict_(verdict),
        out_(verdict),
        sources_(module_dir) {
    if (t_.only_new && context.reference.baseline) {
      baseline_.emplace(context.reference.baseline->findings);
    }
  }

  void operator()(const std::string& name, const TestReport& report) {
    out_.metric("tests." + name + ".total", report.tests, "tests");
    out_.metric("tests." + name + ".failed", report.failures + report.errors, "tests");
    std::string text = name + ": " + std::to_string(report.tests) + " tests, " +
                       std::to_string(report.failures) + " failed, " +
                       std::to_string(report.errors) + " errors, " +
                       std::to_string(report.skipped) + " skipped";
    if (report.tests - report.skipped <= 0) {
      out_.fail(text + " (no test ran)");
    } else if (report.failures + report.errors > 0) {
      for (const auto& test : report.cases) {
        if (test.outcome != TestCase::Outcome::failed && test.outcome != TestCase::Outcome::error) {
          continue;
        }
        Finding finding;
        finding.rule =
            "test." + std::string(test.outcome == TestCase::Outcome::failed ? "failed" : "error");
        finding.severity = Severity::high;
        const std::string test_name =
            (test.classname.empty() ? test.suite : test.classname) + "." + test.name;
        finding.message = test_name + (test.message.empty() ? "" : ": " + test.message);
        finding.file = name;
        // The same test failing again is the same finding, whatever it prints.
        finding.fingerprint = short_sha256(finding.rule + '\x1f' + name + '\x1f' + test_name);
        out_.finding(std::move(finding));
      }
      out_.fail(text);
    } else {
      out_.pass(text);
    }
  }

  void operator()(const std::string& name, const CoverageReport& report) {
    if (t_.patch_min_lines >= 0) coverage_.push_back(report);
    if (report.lines_total == 0) {
      out_.fail(name + ": no line was measured");
      return;
    }
    const double lines = percent_of(report.lines_covered, report.lines_total);
    out_.metric("coverage.lines", lines, "%");
    std::string text = name + ": " + format_percent(lines) + " of lines";
    bool ok = lines + 1e-9 >= t_.min_lines;
    if (!ok) text += " (minimum " + format_percent(t_.min_lines) + ")";
    if (!judge_change(lines, text)) ok = false;
    if (report.branches_total > 0) {
      const double branches = percent_of(report.branches_covered, report.branches_total);
      out_.metric("coverage.branches", branches, "%");
      text += ", " + format_percent(branches) + " of branches";
      if (t_.min_branches >= 0 && branches + 1e-9 < t_.min_branches) {
        ok = false;
        text += " (minimum " + format_percent(t_.min_branches) + ")";
      }
    } else if (t_.min_branches >= 0) {
      // A threshold on what the report does not measure is never met quietly.
      ok = false;
      text += ", no branch data in " + name + " (min_branches " + format_percent(t_.min_branches) +
              " needs it)";
    }
    ok ? out_.pass(text) : out_.fail(text);
    if (t_.min_file_lines >= 0) judge_files(name, report);
  }

  void operator()(const std::string& name, const FindingsReport& report) {
    std::vector<Finding> findings = report.findings;
    for (Finding& finding : findings) {
      if (finding.rule.empty()) finding.rule = report.tool;
    }
    fingerprint_findings(findings, sources_);
    out_.metric("findings." + name, static_cast<double>(findings.size()), "findings");
    const std::string count = std::to_string(findings.size()) + " findings";
    add_findings(name, count, std::move(findings));
  }

  void operator()(const std::string& name, const AuditReport& report) {
    std::vector<Finding> findings;
    for (const auto& vulnerability : report.vulnerabilities) {
      Finding finding;
      finding.rule = vulnerability.id;
      finding.severity = vulnerability.severity.value_or(t_.unknown_severity);
      finding.message =
          vulnerability.package + " " + vulnerability.version + ": " + vulnerability.title +
          (vulnerability.fixed_in.empty() ? "" : " (fixed in " + vulnerability.fixed_in + ")");
      if (!vulnerability.severity) {
        finding.message += " [" + report.format + " gives no severity: taken as " +
                           std::string(to_string(t_.unknown_severity)) + " (unknown_severity)]";
      }
      finding.file = name;
      // An advisory stays the same finding when the package moves to another
      // vulnerable version.
      finding.fingerprint =
          short_sha256(finding.rule + '\x1f' + name + '\x1f' + vulnerability.package);
      findings.push_back(std::move(finding));
    }
    const std::string count = std::to_string(findings.size()) + " vulnerable dependencies";
    add_findings(name, count, std::move(findings));
  }

  void operator()(const std::string& name, const BenchmarkReport& report) {
    std::vector<const BenchmarkResult*> errored;
    for (const auto& result : report.results) {
      if (result.errored) {
        errored.push_back(&result);
        continue;
      }
      record_benchmark_metrics(result, regression_metric(gate_.options, result), out_);
    }
    std::string text = name + ": " + std::to_string(report.results.size()) + " benchmarks";
    if (errored.empty()) {
      out_.pass(text);
    } else {
      out_.fail(text + ", " + errored_benchmarks(errored));
    }
    benchmarks_.push_back({name, report});
  }

  // Judges what needs every report, once they are all read.
  void finish() {
    // Of several groups of reports, each judges the gate-wide checks only
    // with reports of their kind; the caller says when none had any.
    if (t_.patch_min_lines >= 0 && (context_.all_reports || !coverage_.empty())) {
      verdict_.patch_judged = true;
      judge_patch();
    }
    if (context_.all_reports || !benchmarks_.empty()) {
      verdict_.thresholds_judged = gate_.options.contains("thresholds");
      judge_thresholds(gate_.options, benchmarks_, out_);
    }
    if (!benchmarks_.empty()) judge_benchmark_regressions();
    // Coverage and benchmark findings get theirs here.
    fingerprint_findings(verdict_.outcome.findings, sources_);
  }

 private:
  void judge_benchmark_regressions() {
    std::vector<GateBaseline> runs;
    if (context_.earlier_runs && regression_enabled(gate_.options)) {
      try {
        runs = context_.earlier_runs(regression_baseline_runs(gate_.options));
      } catch (const std::exception& error) {
        out_.error(std::string("regression: the baseline runs could not be read: ") + error.what());
        return;
      }
    } else if (context_.baseline) {
      runs.push_back(*context_.baseline);
    }
    judge_regressions(gate_.options, benchmarks_, runs, out_);
  }

  // Adds the findings of one report and judges them against fail_on (only
  // the new ones in only-new mode).
  void add_findings(const std::string& name, const std::string& count,
                    std::vector<Finding> findings) {
    const std::string fail_on(to_string(t_.fail_on));
    int blocking = 0;
    if (!t_.only_new) {
      for (Finding& finding : findings) {
        if (finding.severity >= t_.fail_on) ++blocking;
        out_.finding(std::move(finding));
      }
      const std::string text =
          name + ": " + count + ", " + std::to_string(blocking) + " at or above " + fail_on;
      blocking > 0 ? out_.fail(text) : out_.pass(text);
      return;
    }
    // New against the baseline; without one, new where the change is; with
    // neither, every finding is new (a gate that cannot tell never passes old
    // findings off as checked).
    const ChangeLocator* change = baseline_ ? nullptr : change_since_base();
    const std::size_t total = findings.size();
    std::size_t fresh = 0;
    for (Finding& finding : findings) {
      bool is_new = true;
      if (baseline_) {
        is_new = baseline_->classify(finding);
      } else {
        // A finding placed in no file cannot be told old: it counts.
        if (change != nullptr && !finding.file.empty()) {
          is_new = change->changed(finding.file, finding.line);
        }
        finding.baseline = is_new ? "new" : "existing";
      }
      fresh += is_new ? 1 : 0;
      if (is_new && finding.severity >= t_.fail_on) ++blocking;
      out_.finding(std::move(finding));
    }
    const std::string existing = std::to_string(total - fresh);
    std::string text = name + ": " + count + " (";
    if (baseline_) {
      const std::string& source = context_.reference.baseline->source;
      text += std::to_string(fresh) + " new, " + existing + " existing in the baseline" +
              (source.empty() ? "" : ", " + source);
    } else if (change != nullptr) {
      text += "no recorded baseline: " + std::to_string(fresh) + " on lines changed since " +
              context_.reference.base_ref + " (merge-base " +
              change->change().merge_base.substr(0, 12) + "), " + existing + " elsewhere";
    } else {
      text += "all counted as new: no recorded baseline, and " + no_change_;
    }
    text += "), " + std::to_string(blocking) + " new at or above " + fail_on;
    if (!baseline_ && change == nullptr && blocking > 0) {
      text +=
          "; `qgate baseline accept " + gate_.name + "` takes this run's findings as the baseline";
    }
    blocking > 0 ? out_.fail(text) : out_.pass(text);
  }

  // Returns the lines changed since the reference's base ref, read once, or
  // nullptr (with the reason in no_change_) when they cannot be had.
  const ChangeLocator* change_since_base() {
    if (change_ || !no_change_.empty()) return change_ ? &*change_ : nullptr;
    if (context_.reference.base_ref.empty()) {
      no_change_ = context_.reference.missing.empty() ? "no base ref" : context_.reference.missing;
      return nullptr;
    }
    try {
      change_.emplace(qgate::changed_lines(module_dir_, context_.reference.base_ref), module_dir_);
    } catch (const PatchError& error) {
      no_change_ = std::string("no changed lines: ") + error.what();
      return nullptr;
    }
    return &*change_;
  }

  // Adds the change of line coverage since the reference's baseline to
  // `text`; returns false when it dropped by more than coverage.max_drop.
  bool judge_change(double lines, std::string& text) {
    const std::size_t index = coverage_seen_++;
    const auto& baseline = context_.reference.baseline;
    const Metric* before = nullptr;
    if (baseline) {
      std::size_t seen = 0;
      for (const Metric& metric : baseline->metrics) {
        if (metric.name != "coverage.lines" || std::isnan(metric.value)) continue;
        if (seen++ == index) before = &metric;
      }
    }
    if (before == nullptr) {
      if (t_.max_drop >= 0) text += ", change not judged (no recorded baseline with line coverage)";
      return true;
    }
    const double change = lines - before->value;
    out_.metric("coverage.lines_change", change, "points");
    char points[32];
    std::snprintf(points, sizeof points, "%.1f", std::fabs(change));
    const std::string source = baseline->source.empty() ? "the baseline" : baseline->source;
    if (std::fabs(change) < 0.05) {
      text += ", unchanged since " + source;
    } else {
      text += std::string(change < 0 ? ", down " : ", up ") + points + " points from " +
              format_percent(before->value) + " in " + source;
    }
    if (t_.max_drop >= 0 && -change > t_.max_drop + 1e-9) {
      char limit[32];
      std::snprintf(limit, sizeof limit, "%g", t_.max_drop);
      text += std::string(" (max_drop ") + limit + ")";
      return false;
    }
    return true;
  }

  // Fails every file below coverage.min_file_lines, naming it.
  void judge_files(const std::string& name, const CoverageReport& report) {
    std::vector<std::string> below;
    std::size_t measured = 0;
    for (const FileCoverage& file : report.files) {
      if (file.lines_total == 0) continue;
      ++measured;
      const double lines = percent_of(file.lines_covered, file.lines_total);
      if (lines + 1e-9 >= t_.min_file_lines) continue;
      Finding finding;
      finding.rule = "coverage.file-below-minimum";
      finding.severity = Severity::medium;
      finding.file = sources_.module_relative(file.path);
      finding.message = finding.file + ": " + format_percent(lines) + " of lines (minimum " +
                        format_percent(t_.min_file_lines) + ")";
      // The file stays the same finding as its percentage moves.
      finding.fingerprint = short_sha256(finding.rule + '\x1f' + finding.file);
      out_.finding(std::move(finding));
      below.push_back(file.path + " " + format_percent(lines));
    }
    const std::string minimum = format_percent(t_.min_file_lines);
    if (below.empty()) {
      out_.pass(name + ": each of " + std::to_string(measured) + " files has at least " + minimum +
                " of lines");
      return;
    }
    std::string text = name + ": " + std::to_string(below.size()) + " of " +
                       std::to_string(measured) + " files below " + minimum + " of lines (";
    for (std::size_t i = 0; i < below.size() && i < kMaxNamedFiles; ++i) {
      text += (i > 0 ? ", " : "") + below[i];
    }
    if (below.size() > kMaxNamedFiles) {
      text += ", " + std::to_string(below.size() - kMaxNamedFiles) + " more";
    }
    out_.fail(text + ")");
  }

  // Judges the lines changed since the base ref against coverage.patch_min_lines.
  void judge_patch() {
    if (coverage_.empty()) {
      // A coverage report that could not be read is an error already.
      if (verdict_.outcome.status != Status::error) {
        out_.error("patch coverage: the gate has no coverage report to measure the change with");
      }
      return;
    }
    Change change;
    try {
      change = changed_lines(module_dir_, context_.base_ref);
    } catch (const PatchError& error) {
      out_.error(std::string("patch coverage: ") + error.what());
      return;
    }
    const PatchCoverage patch = measure_patch(change, coverage_, module_dir_);
    const std::string since =
        " since " + context_.base_ref + " (merge-base " + change.merge_base.substr(0, 12) + ")";
    std::string ambiguous;
    if (!patch.ambiguous.empty()) {
      ambiguous = "; not counted, as several changed files end like them: " + patch.ambiguous[0] +
                  (patch.ambiguous.size() > 1
                       ? " and " + std::to_string(patch.ambiguous.size() - 1) + " more"
                       : "");
    }
    if (patch.executable == 0) {
      const std::size_t files = change.files.size();
      out_.pass("patch coverage: no changed line is executable (" + std::to_string(files) +
                (files == 1 ? " changed file" : " changed files") + since + ")" + ambiguous);
      return;
    }
    const double lines = percent_of(patch.covered, patch.executable);
    out_.metric("coverage.patch_lines", lines, "%");
    const bool ok = lines + 1e-9 >= t_.patch_min_lines;
    std::size_t listed = 0;
    std::size_t ranges = 0;
    for (const auto& [file, uncovered] : patch.uncovered) {
      for (const auto& [first, last] : uncovered) {
        ++ranges;
        if (listed == kMaxPatchFindings) continue;
        ++listed;
        Finding finding;
        finding.rule = "coverage.patch-uncovered";
        finding.severity = ok ? Severity::info : Severity::medium;
        finding.file = file;
        finding.line = first;
        finding.message = first == last
                              ? "line " + std::to_string(first)
                              : "lines " + std::to_string(first) + "-" + std::to_string(last);
        finding.message += " changed and not covered by the tests";
        out_.finding(std::move(finding));
      }
    }
    std::string text = "patch coverage: " + std::to_string(patch.covered) + " of " +
                       std::to_string(patch.executable) + " changed lines covered (" +
                       format_percent(lines) +
                       (ok ? "" : ", minimum " + format_percent(t_.patch_min_lines)) + ")" + since;
    if (ranges > listed) {
      text += ", " + std::to_string(ranges) + " uncovered ranges (the first " +
              std::to_string(listed) + " listed)";
    }
    text += ambiguous;
    ok ? out_.pass(text) : out_.fail(text);
  }

  const GateConfig& gate_;
  const Thresholds t_;
  const std::filesystem::path module_dir_;
  const ReportContext& context_;
  ReportVerdict& verdict_;
  VerdictBuilder out_;
  SourceLines sources_;
  std::optional<BaselineMatcher> baseline_;  // only-new mode with a baseline
  std::optional<ChangeLocator> change_;      // only-new mode without one, read once
  std::string no_change_;                    // why change_ could not be read
  std::size_t coverage_seen_ = 0;            // coverage reports judged so far
  std::vector<CoverageReport> coverage_;     // kept for patch coverage
  std::vector<NamedBenchmarkReport> benchmarks_;
};

using WallTime = std::chrono::system_clock::time_point;

// Returns `time` as "2026-12-02 09:14:03" in local time.
std::string local_time_text(WallTime time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm parts{};
  ::localtime_r(&seconds, &parts);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S", &parts);
  return buffer;
}

// Returns why `report` (at `file`) was not written by this run, or nothing if
// it was: modified before the step it is listed under started, or for a
// report of the gate, before the first of the gate's steps started.
std::optional<std::string> stale_report(const std::filesystem::path& file,
                                        const ReportConfig& report, const GateConfig& gate,
                                        const std::map<std::string, WallTime>& step_started) {
  std::optional<WallTime> first;
  for (const auto& [step, started] : step_started) {
    if (!report.step.empty() && step != report.step) continue;
    first = first ? std::min(*first, started) : started;
  }
  const std::string opt_out = " (`fresh: false` for a report kept in the repository)";
  if (!first) {
    if (!report.step.empty()) {
      return report.path + " was not written by this run: its step '" + report.step +
             "' did not run" + opt_out;
    }
    return report.path + " was not written by this run: no step of gates." + gate.name + " ran" +
           opt_out;
  }
  struct stat facts {};
  if (::stat(file.c_str(), &facts) != 0) return std::nullopt;  // reading it will say why
  const WallTime written{std::chrono::duration_cast<WallTime::duration>(
      std::chrono::seconds(facts.st_mtim.tv_sec) +
      std::chrono::nanoseconds(facts.st_mtim.tv_nsec))};
  // A file system that keeps whole seconds stamps a file written just after
  // the start with the second the start lies in.
  const WallTime since =
      facts.st_mtim.tv_nsec == 0 ? std::chrono::floor<std::chrono::seconds>(*first) : *first;
  if (written >= since) return std::nullopt;
  return report.path + " was not written by this run: last written " + local_time_text(written) +
         (report.step.empty() ? ", steps started " : ", step '" + report.step + "' started ") +
         local_time_text(*first) + opt_out;
}

}  // namespace

std::chrono::system_clock::time_point report_clock_now() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME_COARSE, &now);
  return WallTime{std::chrono::duration_cast<WallTime::duration>(
      std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec))};
}

ReportVerdict judge_reports(const GateConfig& gate, const std::filesystem::path& module_dir,
                            const ReportContext& context) {
  ReportVerdict verdict;
  verdict.outcome.status = Status::passed;
  Judge judge(gate, module_dir, context, verdict);
  VerdictBuilder out(verdict);
  for (const auto& report : gate.reports) {
    const std::filesystem::path file = module_dir / report.path;
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
      out.error(report.path + ": not written by the gate's steps");
      continue;
    }
    if (report.fresh && context.step_started) {
      if (auto stale = stale_report(file, report, gate, *context.step_started)) {
        out.error(*stale);
        continue;
      }
    }
    try {
      const ParsedReport parsed = read_report(file, report.format, context.max_report_bytes);
      std::visit([&](const auto& value) { judge(report.path, value); }, parsed);
    } catch (const ReportError& error) {
      out.error(error.what());  // the error names the file already
    }
  }
  try {
    judge.finish();
  } catch (const nlohmann::json::exception& error) {
    // The schema checks the options; this is for options built elsewhere.
    out.error("gates." + gate.name + ": " + error.what());
  }
  return verdict;
}

}  // namespace qgate
