#pragma once
// Judges the benchmark reports of a gate: absolute limits on their figures
// (`thresholds`) and slow-downs against the gate's baseline run (`regression`).
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

// Returns the figure the regression check compares (`regression.metric` of the
// gate's `options`, default mean_ns).
std::string regression_metric(const nlohmann::json& options);

// Adds the figures of `result` a later run's regression check needs:
// benchmark.<name>.mean_ns, .stddev_ns, .samples and .<`metric`>.
void record_benchmark_metrics(const BenchmarkResult& result, const std::string& metric,
                              VerdictBuilder& out);

// Checks every benchmark of `reports` against the `thresholds` of `options`;
// a threshold whose benchmark glob or metric matches nothing is an error.
void judge_thresholds(const nlohmann::json& options,
                      const std::vector<NamedBenchmarkReport>& reports, VerdictBuilder& out);

// Compares every benchmark of `reports` with the figures `baseline` recorded
// (`regression` of `options`): a benchmark regressed when it is slower by
// more than the tolerance and, when both runs measured a spread, by more than
// their noise. Without a baseline the check passes ("no baseline yet").
void judge_regressions(const nlohmann::json& options,
                       const std::vector<NamedBenchmarkReport>& reports,
                       const std::optional<GateBaseline>& baseline, VerdictBuilder& out);

// Returns the 97.5 % quantile of Student's t distribution with `df` degrees
// of freedom (rounded down: the stricter value).
double t_quantile_975(double df);

}  // namespace qgate
