#pragma once
// Judges the benchmark reports of a gate: absolute limits on their figures
// (`thresholds`) and slow-downs against the gate's latest passing runs
// (`regression`).
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gates/parsers/report.hpp"
#include "gates/report_verdict.hpp"

namespace qgate {

// One benchmark report of the gate, by its path.
struct NamedBenchmarkReport {
  std::string path;
  BenchmarkReport report;
};

// Returns figure `metric` of `result`: mean_ns, median_ns, stddev_ns, min_ns,
// max_ns, samples, or one of the tool's named metrics; nothing if unknown.
std::optional<double> benchmark_figure(const BenchmarkResult& result, const std::string& metric);

// Returns the figure the regression check compares for `result`:
// `regression.metric` of the gate's `options`, else cpu_ns where the tool
// measured it (Google Benchmark: the time the benchmark's own thread ran,
// which other processes on a busy machine do not stretch), else mean_ns.
std::string regression_metric(const nlohmann::json& options, const BenchmarkResult& result);

// Adds the figures of `result` a later run's regression check needs:
// benchmark.<name>.mean_ns, .stddev_ns, .samples, .<`metric`> and, for
// cpu_ns, .cpu_stddev_ns.
void record_benchmark_metrics(const BenchmarkResult& result, const std::string& metric,
                              VerdictBuilder& out);

// Checks every benchmark of `reports` against the `thresholds` of `options`;
// a threshold whose benchmark glob or metric matches nothing is an error.
void judge_thresholds(const nlohmann::json& options,
                      const std::vector<NamedBenchmarkReport>& reports, VerdictBuilder& out);

// Returns whether `options` judge regressions (`regression.enabled`, default true).
bool regression_enabled(const nlohmann::json& options);

// Returns how many of the gate's latest passing runs make the baseline
// distribution (`regression.baseline_runs`, default 5).
int regression_baseline_runs(const nlohmann::json& options);

// Compares every benchmark of `reports` with the figures `baselines` (the
// gate's latest passing runs, newest first) recorded, per `regression` of
// `options`. A benchmark regressed only when both hold: it is worse than the
// baseline runs' figure by more than `tolerance_percent`, and a one-sided
// Welch t-test of this run's samples against the baseline runs' samples
// pooled says so at `significance`. A benchmark with fewer than
// `min_samples` samples (on either side) is not judged, and said so. Without
// a baseline the check passes ("no baseline yet").
void judge_regressions(const nlohmann::json& options,
                       const std::vector<NamedBenchmarkReport>& reports,
                       const std::vector<GateBaseline>& baselines, VerdictBuilder& out);

// Returns the `p` quantile of Student's t distribution with `df` degrees of
// freedom (`df` below 1 counts as 1).
double t_quantile(double p, double df);

}  // namespace qgate
