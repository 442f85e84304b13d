#pragma once
// Judges the report files a gate's steps wrote (JUnit, coverage, findings,
// dependency audits, benchmarks) against the gate's thresholds.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gates/builtin_check.hpp"
#include "gates/report_reader.hpp"
#include "runner/core/config.hpp"

namespace qgate {

// What a gate's findings (only-new mode) and line coverage are compared
// with: a recorded baseline, else the lines changed since a base ref.
struct GateReference {
  // The gate's findings and figures in the baseline file, or in the latest
  // recorded run that may be a baseline (GateResult::baseline_eligible).
  std::optional<GateBaseline> baseline;
  // Without a baseline: findings on lines changed since its merge-base are new.
  std::string base_ref;
  // Without either: why, for the report ("no base ref: ...").
  std::string missing;
};

// What a gate's reports are judged against besides its thresholds.
struct ReportContext {
  std::string base_ref;  // git ref for patch coverage; empty: none
  // The gate in the module's latest run where it passed (benchmark
  // regressions); nothing when no such run was recorded.
  std::optional<GateBaseline> baseline;
  // Returns the gate in the module's latest `count` runs where it passed,
  // newest first: the distribution benchmark regressions are judged
  // against; asked only when the gate has benchmark reports; throws
  // std::runtime_error when the store fails. Unset: `baseline` alone.
  std::function<std::vector<GateBaseline>(int count)> earlier_runs = {};
  // When each of the gate's steps first started in this run, by step name (a
  // step that never started is absent), read with report_clock_now(). Given,
  // a report must have been written since the first step that can write it,
  // unless its `fresh: false`; not given (reports judged outside a run), the
  // reports' times are not checked.
  std::optional<std::map<std::string, std::chrono::system_clock::time_point>> step_started{};
  // Only-new findings and the change of line coverage are judged against it.
  GateReference reference{};
  // These are all of the gate's reports. False for one group of several
  // (reports that judge other requirements are judged apart): a gate-wide
  // check (benchmark thresholds, patch coverage) is then judged only where
  // reports of its kind are, and ReportVerdict says whether it was.
  bool all_reports = true;
  // The most one report file may hold (settings.reports.max_megabytes).
  std::uintmax_t max_report_bytes = kDefaultMaxReportBytes;
};

// Returns the time as the file system stamps files: the kernel's coarse
// real-time clock, which may lag the precise one by a tick, so that a file
// written just after a step started is never older than its start.
std::chrono::system_clock::time_point report_clock_now();

// The verdict on a gate's reports.
struct ReportVerdict {
  CheckOutcome outcome;            // passed, failed, or error for a missing or malformed report
  std::vector<Metric> metrics;     // tests, coverage and benchmark figures
  bool thresholds_judged = false;  // the gate's benchmark `thresholds` were judged
  bool patch_judged = false;       // its `coverage.patch_min_lines` was judged
};

// Reads every report of `gate` (paths relative to `module_dir`) and judges
// them: test reports need at least one test and no failure or error;
// coverage needs `coverage.min_lines` percent of lines (default 80, as the
// checkout system's --cov-fail-under) and `coverage.min_branches` if set;
// findings and audited vulnerabilities fail at `fail_on` or above (default
// low: only info passes), a vulnerability whose audit gives no severity
// counting as `unknown_severity` (default critical); an errored benchmark
// fails, named with its error.
ReportVerdict judge_reports(const GateConfig& gate, const std::filesystem::path& module_dir,
                            const ReportContext& context = {});

}  // namespace qgate
