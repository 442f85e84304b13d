#include "gates/benchmark_checks.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <set>

#include <boost/math/distributions/students_t.hpp>

#include "gates/finding_fingerprints.hpp"

namespace qgate {
namespace {

using nlohmann::json;

std::string number_text(double value) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%.6g", value);
  return buffer;
}

bool is_time(const std::string& metric) {
  return metric.size() > 3 && metric.compare(metric.size() - 3, 3, "_ns") == 0;
}

// Returns `value` of `metric` for people: times in their unit ("20.3 ms").
std::string figure_text(const std::string& metric, double value) {
  if (!is_time(metric)) return number_text(value);
  static const struct {
    double scale;
    const char* unit;
  } kUnits[] = {{1e9, "s"}, {1e6, "ms"}, {1e3, "us"}, {1, "ns"}};
  for (const auto& unit : kUnits) {
    if (std::fabs(value) >= unit.scale || unit.scale == 1) {
      char buffer[48];
      std::snprintf(buffer, sizeof buffer, "%.4g %s", value / unit.scale, unit.unit);
      return buffer;
    }
  }
  return number_text(value);
}

// Throughputs get better as they grow; every other figure (times, error
// rates, latencies) gets worse.
bool higher_is_better(const std::string& metric) {
  return metric == "rps" || metric == "throughput" ||
         (metric.size() > 11 && metric.compare(metric.size() - 11, 11, "_per_second") == 0);
}

double samples_of(const BenchmarkResult& result) {
  if (!result.samples_ns.empty()) return static_cast<double>(result.samples_ns.size());
  const auto repetitions = result.metrics.find("repetitions");
  return repetitions != result.metrics.end() ? repetitions->second : 1;
}

std::string names_of(const std::vector<NamedBenchmarkReport>& reports) {
  std::string names;
  std::size_t count = 0;
  for (const auto& named : reports) {
    for (const auto& result : named.report.results) {
      if (++count > 10) return names + ", ...";
      names += (names.empty() ? "" : ", ") + result.name;
    }
  }
  return names.empty() ? "none" : names;
}

// The figure that holds the spread of `metric`'s samples within a run, or
// "" if it has none: times of repetitions and runs do, a tool's percentiles
// and counters do not.
std::string spread_key(const std::string& metric) {
  if (metric == "mean_ns" || metric == "median_ns") return "stddev_ns";
  if (metric == "cpu_ns") return "cpu_stddev_ns";
  return "";
}

std::string known_metrics(const BenchmarkResult& result) {
  std::string names = "mean_ns, median_ns, stddev_ns, min_ns, max_ns, samples";
  for (const auto& [name, value] : result.metrics) names += ", " + name;
  return names;
}

}  // namespace

std::optional<double> benchmark_figure(const BenchmarkResult& result, const std::string& metric) {
  if (metric == "mean_ns") return result.mean_ns;
  if (metric == "median_ns") return result.median_ns;
  if (metric == "stddev_ns") return result.stddev_ns;
  if (metric == "min_ns") return result.min_ns;
  if (metric == "max_ns") return result.max_ns;
  if (metric == "samples") return samples_of(result);
  const auto it = result.metrics.find(metric);
  if (it != result.metrics.end()) return it->second;
  return std::nullopt;
}

std::string regression_metric(const json& options, const BenchmarkResult& result) {
  const auto regression = options.find("regression");
  if (regression != options.end() && regression->is_object()) {
    const auto metric = regression->find("metric");
    if (metric != regression->end() && metric->is_string()) return metric->get<std::string>();
  }
  return result.metrics.count("cpu_ns") != 0 ? "cpu_ns" : "mean_ns";
}

void record_benchmark_metrics(const BenchmarkResult& result, const std::string& metric,
                              VerdictBuilder& out) {
  const std::string prefix = "benchmark." + result.name + ".";
  out.metric(prefix + "mean_ns", result.mean_ns, "ns");
  out.metric(prefix + "stddev_ns", result.stddev_ns, "ns");
  out.metric(prefix + "samples", samples_of(result), "samples");
  if (metric != "mean_ns" && metric != "stddev_ns" && metric != "samples") {
    if (const auto value = benchmark_figure(result, metric)) {
      out.metric(prefix + metric, *value, is_time(metric) ? "ns" : "");
    }
  }
  const std::string spread = spread_key(metric);
  if (!spread.empty() && spread != "stddev_ns") {
    if (const auto value = benchmark_figure(result, spread))
      out.metric(prefix + spread, *value, "ns");
  }
}

void judge_thresholds(const json& options, const std::vector<NamedBenchmarkReport>& reports,
                      VerdictBuilder& out) {
  const auto thresholds = options.find("thresholds");
  if (thresholds == options.end()) return;
  if (!thresholds->is_array()) {
    out.error("thresholds: not a list");
    return;
  }
  int checks = 0;
  int failed = 0;
  bool errors = false;
  std::set<std::string> benchmarks;
  for (std::size_t i = 0; i < thresholds->size(); ++i) {
    const json& threshold = (*thresholds)[i];
    const std::string where = "thresholds[" + std::to_string(i) + "]";
    if (!threshold.is_object() || !threshold.contains("metric") ||
        !threshold.at("metric").is_string() ||
        (!threshold.contains("max") && !threshold.contains("min"))) {
      out.error(where + ": needs a metric and a max or min");
      errors = true;
      continue;
    }
    const std::string glob = threshold.value("benchmark", std::string("*"));
    const std::string metric = threshold.at("metric").get<std::string>();
    const auto limit = [&](const char* key) -> std::optional<double> {
      const auto it = threshold.find(key);
      if (it == threshold.end() || !it->is_number()) return std::nullopt;
      return it->get<double>();
    };
    const std::optional<double> max = limit("max");
    const std::optional<double> min = limit("min");
    bool matched = false;
    for (const auto& named : reports) {
      for (const BenchmarkResult& result : named.report.results) {
        if (::fnmatch(glob.c_str(), result.name.c_str(), 0) != 0) continue;
        matched = true;
        // An errored benchmark fails the gate already; it has no figures.
        if (result.errored) continue;
        const std::optional<double> value = benchmark_figure(result, metric);
        if (!value) {
          out.error(where + ": benchmark '" + result.name + "' of " + named.path +
                    " has no metric '" + metric + "' (it has " + known_metrics(result) + ")");
          errors = true;
          continue;
        }
        ++checks;
        benchmarks.insert(result.name);
        std::string broken;
        if (max && *value > *max) {
          broken = "above the maximum " + figure_text(metric, *max);
        } else if (min && *value < *min) {
          broken = "below the minimum " + figure_text(metric, *min);
        }
        if (broken.empty()) continue;
        ++failed;
        Finding finding;
        finding.rule = "benchmark.threshold";
        finding.severity = Severity::high;
        finding.file = named.path;
        finding.message =
            result.name + ": " + metric + " " + figure_text(metric, *value) + " " + broken;
        finding.fingerprint = short_sha256(finding.rule + '\x1f' + named.path + '\x1f' +
                                           result.name + '\x1f' + metric);
        out.finding(std::move(finding));
      }
    }
    if (!matched) {
      out.error(where + ": no benchmark matches '" + glob + "' (benchmarks: " + names_of(reports) +
                ")");
      errors = true;
    }
  }
  if (errors && checks == 0) return;
  const std::string text = "thresholds: " + std::to_string(checks) + " checks on " +
                           std::to_string(benchmarks.size()) + " benchmarks, " +
                           std::to_string(failed) + " failed";
  failed > 0 ? out.fail(text) : out.pass(text);
}

double t_quantile(double p, double df) {
  const boost::math::students_t distribution(std::max(1.0, df));
  return boost::math::quantile(distribution, p);
}

namespace {

// One run's figure of a benchmark with the spread of its samples.
struct Measure {
  double value = 0;
  double stddev = 0;  // of one sample; 0 when unknown
  double samples = 1;
  std::string run_id;  // of a baseline run
};

std::optional<double> recorded(const std::map<std::string, double>& figures,
                               const std::string& key) {
  const auto it = figures.find(key);
  return it == figures.end() ? std::nullopt : std::optional<double>(it->second);
}

// The parameters of `regression`, with their defaults.
struct RegressionRules {
  double tolerance = 10;
  double significance = 0.001;
  double min_samples = 10;
  // Runs needed to measure the spread of a figure that has none within a run.
  static constexpr std::size_t kMinRunsWithoutSpread = 3;
};

// The comparison of this run with the baseline runs: the baseline's figure,
// the t statistic of the change and its degrees of freedom.
struct TestOutcome {
  double then = 0;
  double change = 0;  // positive: worse
  double t = 0;
  double df = 1;
};

// Tests whether `now` (a run's figure, with the spread and count of its
// samples; no spread for a figure that has none) is worse than the baseline
// `runs` by `worse(then)`. Runs of one program differ from each other by more
// than their samples' spread says (the machine's load, its caches, the
// binary's layout), so the change is weighed against a random-effects model:
// a run's figure varies by the between-run variance tau^2 (estimated from
// how much the baseline runs' figures differ beyond their own noise) plus
// its samples' noise. The variance of the change is
//   s^2 / n  +  tau^2  +  var(baseline figure),
// with Welch-Satterthwaite degrees of freedom. With one baseline run it is
// Welch's t-test; for a figure without a spread within a run, it is a
// prediction interval from the baseline runs (t with runs - 1 degrees of
// freedom). `error_scale` multiplies the samples' spread (medians).
template <typename Worse>
TestOutcome compare(const Measure& now, const std::vector<Measure>& runs, double error_scale,
                    Worse worse) {
  const double k = static_cast<double>(runs.size());
  TestOutcome outcome;
  double sum = 0;
  double within = 0;  // the mean within-run variance of a run's figure
  for (const Measure& run : runs) {
    sum += run.value;
    within += error_scale * error_scale * run.stddev * run.stddev / run.samples / k;
  }
  outcome.then = sum / k;
  double baseline_variance = 0;  // tau^2 + var(baseline figure)
  double baseline_df = 1;
  if (runs.size() >= 2) {
    double squares = 0;
    for (const Measure& run : runs)
      squares += (run.value - outcome.then) * (run.value - outcome.then);
    const double between = squares / (k - 1);  // the variance of the runs' figures
    const double tau2 = std::max(0.0, between - within);
    // Never less than the runs' own noise allows, should their figures agree by chance.
    baseline_variance = tau2 + std::max(between, within) / k;
    baseline_df = k - 1;
  } else {
    baseline_variance = within;
    baseline_df = std::max(1.0, runs.front().samples - 1);
  }
  const double now_variance = error_scale * error_scale * now.stddev * now.stddev / now.samples;
  const double now_df = std::max(1.0, now.samples - 1);
  const double variance = now_variance + baseline_variance;
  outcome.change = worse(outcome.then);
  if (variance <= 0) {
    // No figure differed from another on either side: any change is real.
    outcome.t = outcome.change > 0 ? std::numeric_limits<double>::infinity() : 0;
    outcome.df = now_df + baseline_df;
    return outcome;
  }
  outcome.t = outcome.change / std::sqrt(variance);
  outcome.df =
      variance * variance /
      (now_variance * now_variance / now_df + baseline_variance * baseline_variance / baseline_df);
  return outcome;
}

// How to ask the tool named by report format `format` for `count` samples.
std::string samples_hint(const std::string& format, double count) {
  const std::string n = number_text(count);
  if (format == "google-benchmark") return " (--benchmark_repetitions=" + n + ")";
  if (format == "hyperfine") return " (--min-runs " + n + ")";
  return "";
}

std::string samples_text(double count) {
  return number_text(count) + (count == 1 ? " sample" : " samples");
}

std::string runs_text(const std::vector<GateBaseline>& baselines) {
  const std::string latest = baselines.front().run_id.substr(0, 8);
  if (baselines.size() == 1) return "run " + latest;
  return std::to_string(baselines.size()) + " runs (latest " + latest + ")";
}

}  // namespace

bool regression_enabled(const json& options) {
  const auto regression = options.find("regression");
  return regression == options.end() || !regression->is_object() ||
         regression->value("enabled", true);
}

int regression_baseline_runs(const json& options) {
  const auto regression = options.find("regression");
  if (regression == options.end() || !regression->is_object()) return 5;
  return std::max(1, regression->value("baseline_runs", 5));
}

void judge_regressions(const json& options, const std::vector<NamedBenchmarkReport>& reports,
                       const std::vector<GateBaseline>& baselines, VerdictBuilder& out) {
  if (!regression_enabled(options) || reports.empty()) return;
  const json regression = options.value("regression", json::object());
  RegressionRules rules;
  rules.tolerance = regression.value("tolerance_percent", rules.tolerance);
  rules.significance = regression.value("significance", rules.significance);
  rules.min_samples = regression.value("min_samples", rules.min_samples);
  // A misspelt metric would otherwise find nothing to compare, and pass;
  // benchmarks of a report may differ in their named metrics, though.
  const BenchmarkResult* example = nullptr;
  std::string example_path;
  std::string example_metric;
  bool measured = false;
  for (const auto& named : reports) {
    for (const BenchmarkResult& result : named.report.results) {
      if (result.errored) continue;
      const std::string metric = regression_metric(options, result);
      if (example == nullptr) {
        example = &result;
        example_path = named.path;
        example_metric = metric;
      }
      measured = measured || benchmark_figure(result, metric).has_value();
    }
  }
  if (example != nullptr && !measured) {
    out.error("regression: no benchmark has the metric '" + example_metric + "' (benchmark '" +
              example->name + "' of " + example_path + " has " + known_metrics(*example) + ")");
    return;
  }
  if (baselines.empty()) {
    out.pass("regression: no baseline yet (the first run where the gate passes records one)");
    return;
  }
  // Each baseline run's figures, by metric name ("benchmark.<name>.<figure>").
  std::vector<std::map<std::string, double>> before(baselines.size());
  for (std::size_t i = 0; i < baselines.size(); ++i) {
    for (const Metric& m : baselines[i].metrics) before[i][m.name] = m.value;
  }
  char level[32];
  std::snprintf(level, sizeof level, "p < %g", rules.significance);
  int compared = 0;
  int regressed = 0;
  int fresh = 0;
  int without = 0;
  std::set<std::string> metrics_used;
  std::vector<std::string> within_noise;
  std::map<std::string, std::vector<std::string>> not_judged;  // reason -> benchmarks
  for (const auto& named : reports) {
    for (const BenchmarkResult& result : named.report.results) {
      if (result.errored) continue;
      const std::string metric = regression_metric(options, result);
      const std::optional<double> value_now = benchmark_figure(result, metric);
      if (!value_now) {
        ++without;
        continue;
      }
      const std::string spread = spread_key(metric);
      Measure now;
      now.value = *value_now;
      now.samples = samples_of(result);
      if (!spread.empty()) now.stddev = benchmark_figure(result, spread).value_or(0);
      std::vector<Measure> runs;
      const std::string prefix = "benchmark." + result.name + ".";
      for (const auto& run : before) {
        const std::optional<double> value = recorded(run, prefix + metric);
        if (!value || *value <= 0) continue;
        Measure measure;
        measure.value = *value;
        measure.run_id = baselines[static_cast<std::size_t>(&run - before.data())].run_id;
        measure.samples = std::max(1.0, recorded(run, prefix + "samples").value_or(1));
        if (!spread.empty()) measure.stddev = recorded(run, prefix + spread).value_or(0);
        runs.push_back(measure);
      }
      if (runs.empty()) {
        ++fresh;
        continue;
      }
      // A figure with a spread within a run (means, medians, CPU times of
      // repetitions) needs enough samples on both sides; any other (k6's
      // percentiles, counters, hyperfine's user time) enough runs.
      const bool per_sample = !spread.empty();
      if (per_sample) {
        if (now.samples < rules.min_samples) {
          not_judged[samples_text(now.samples) +
                     ", set repetitions >= " + number_text(rules.min_samples) +
                     samples_hint(named.report.format, rules.min_samples)]
              .push_back(result.name);
          continue;
        }
        // Runs recorded before the repetitions were raised do not count.
        std::erase_if(runs, [&](const Measure& run) { return run.samples < rules.min_samples; });
        if (runs.empty()) {
          not_judged["no earlier passing run has " + number_text(rules.min_samples) +
                     " samples or more"]
              .push_back(result.name);
          continue;
        }
      } else {
        now.stddev = 0;
        for (Measure& run : runs) run.stddev = 0;
        if (runs.size() < RegressionRules::kMinRunsWithoutSpread) {
          not_judged[metric + " has no spread within a run, and " + std::to_string(runs.size()) +
                     (runs.size() == 1 ? " earlier passing run is" : " earlier passing runs are") +
                     " too few to measure it (needs " +
                     std::to_string(RegressionRules::kMinRunsWithoutSpread) + ")"]
              .push_back(result.name);
          continue;
        }
      }
      ++compared;
      metrics_used.insert(metric);
      // Medians have a standard error sqrt(pi / 2) times the mean's (normal samples).
      const double error_scale = metric == "median_ns" ? std::sqrt(std::acos(-1.0) / 2) : 1.0;
      const bool higher_better = higher_is_better(metric);
      const TestOutcome test = compare(now, runs, error_scale, [&](double then) {
        return higher_better ? then - now.value : now.value - then;
      });
      const double then = test.then;
      const double percent_worse = 100.0 * test.change / then;
      // Both must hold: worse beyond the tolerance, and beyond the noise at
      // a strict level (with a hundred benchmarks judged every day, 2.5 %
      // would fail some run by chance most days).
      if (percent_worse <= rules.tolerance) continue;
      const double critical = t_quantile(1 - rules.significance, test.df);
      char worse[32];
      std::snprintf(worse, sizeof worse, "+%.1f%%", percent_worse);
      char statistic[96];
      std::snprintf(statistic, sizeof statistic, "t = %.2f %s %.2f", test.t,
                    test.t > critical ? ">" : "<=", critical);
      if (test.t <= critical) {
        within_noise.push_back(result.name + " " + worse + ", " + statistic);
        continue;
      }
      ++regressed;
      const std::string where = runs.size() == 1
                                    ? "run " + runs.front().run_id.substr(0, 8)
                                    : std::to_string(runs.size()) + " earlier passing runs";
      Finding finding;
      finding.rule = "benchmark.regression";
      finding.severity = Severity::high;
      finding.file = named.path;
      finding.message = result.name + ": " + metric + " " + figure_text(metric, now.value) +
                        ", was " + figure_text(metric, then) + " in " + where + " (" + worse +
                        " worse, tolerance " + number_text(rules.tolerance) + "%; " + statistic +
                        ", " + level + ")";
      finding.fingerprint =
          short_sha256(finding.rule + '\x1f' + named.path + '\x1f' + result.name + '\x1f' + metric);
      out.finding(std::move(finding));
    }
  }
  std::string on;
  for (const auto& metric : metrics_used) on += (on.empty() ? "" : ", ") + metric;
  std::string text = "regression: " + std::to_string(compared) + " benchmarks compared with " +
                     runs_text(baselines) + (on.empty() ? "" : " on " + on) + ", " +
                     std::to_string(regressed) + " worse by more than " +
                     number_text(rules.tolerance) + "% at " + level;
  if (!within_noise.empty()) {
    text += " (within noise:";
    for (const auto& entry : within_noise) text += " " + entry + ";";
    text.back() = ')';
  }
  if (fresh > 0) text += ", " + std::to_string(fresh) + " not in the baseline";
  if (without > 0) text += ", " + std::to_string(without) + " without its metric";
  regressed > 0 ? out.fail(text) : out.pass(text);
  if (!not_judged.empty()) {
    std::string note = "regression not judged:";
    for (const auto& [reason, names] : not_judged) {
      std::string listed;
      for (std::size_t i = 0; i < names.size(); ++i) {
        if (i == 10) {
          listed += ", ...";
          break;
        }
        listed += (i > 0 ? ", " : "") + names[i];
      }
      note += " " + listed + ": " + reason + ";";
    }
    note.pop_back();
    out.pass(note);
  }
}

}  // namespace qgate
