#include "gates/benchmark_checks.hpp"

#include <fnmatch.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <set>

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

std::string regression_metric(const json& options) {
  const auto regression = options.find("regression");
  if (regression == options.end() || !regression->is_object()) return "mean_ns";
  const auto metric = regression->find("metric");
  return metric != regression->end() && metric->is_string() ? metric->get<std::string>()
                                                            : "mean_ns";
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

double t_quantile_975(double df) {
  static constexpr double kByDf[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
                                     2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
                                     2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
                                     2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
  if (!(df >= 1)) return kByDf[0];
  if (df < 31) return kByDf[static_cast<int>(df) - 1];
  if (df < 40) return 2.042;
  if (df < 60) return 2.021;
  if (df < 120) return 2.000;
  return 1.980;  // 1.960 at infinity; the larger value errs on the side of "noise"
}

void judge_regressions(const json& options, const std::vector<NamedBenchmarkReport>& reports,
                       const std::optional<GateBaseline>& baseline, VerdictBuilder& out) {
  const json regression = options.value("regression", json::object());
  if (!regression.value("enabled", true) || reports.empty()) return;
  const double tolerance = regression.value("tolerance_percent", 10.0);
  const std::string metric = regression_metric(options);
  // A misspelt metric would otherwise find nothing to compare, and pass;
  // benchmarks of a report may differ in their named metrics, though.
  const BenchmarkResult* example = nullptr;
  std::string example_path;
  bool measured = false;
  for (const auto& named : reports) {
    for (const BenchmarkResult& result : named.report.results) {
      if (result.errored) continue;
      if (example == nullptr) {
        example = &result;
        example_path = named.path;
      }
      measured = measured || benchmark_figure(result, metric).has_value();
    }
  }
  if (example != nullptr && !measured) {
    out.error("regression: no benchmark has the metric '" + metric + "' (benchmark '" +
              example->name + "' of " + example_path + " has " + known_metrics(*example) + ")");
    return;
  }
  if (!baseline) {
    out.pass("regression: no baseline yet (the first run where the gate passes records one)");
    return;
  }
  std::map<std::string, double> before;
  for (const Metric& m : baseline->metrics) before[m.name] = m.value;
  const auto figure = [&](const std::string& name, const char* key) -> std::optional<double> {
    const auto it = before.find("benchmark." + name + "." + key);
    return it == before.end() ? std::nullopt : std::optional<double>(it->second);
  };
  const std::string run = "run " + baseline->run_id.substr(0, 8);
  int compared = 0;
  int regressed = 0;
  int fresh = 0;
  int without = 0;
  std::vector<std::string> within_noise;
  for (const auto& named : reports) {
    for (const BenchmarkResult& result : named.report.results) {
      if (result.errored) continue;
      const std::optional<double> measured_now = benchmark_figure(result, metric);
      if (!measured_now) {
        ++without;
        continue;
      }
      const double now = *measured_now;
      const std::optional<double> then = figure(result.name, metric.c_str());
      if (!then || *then <= 0) {
        ++fresh;
        continue;
      }
      ++compared;
      const double change = higher_is_better(metric) ? *then - now : now - *then;
      const double percent_slower = 100.0 * change / *then;
      if (percent_slower <= tolerance) continue;
      // Beyond the tolerance: is the difference more than the noise of the two
      // runs? A Welch t-test on the means (unequal variances and sample
      // counts, as two runs on a shared CI machine have), one-sided at 2.5 %:
      // it needs no assumption that both runs were equally noisy and, unlike
      // a fixed "2 standard errors", accounts for the few repetitions a
      // benchmark usually has (t of 2.78 instead of 2 for five). It applies
      // to means, and to medians with their standard error taken as
      // sqrt(pi / 2) times the mean's (normal samples); any other figure, or
      // one without a spread in both runs, is judged by the tolerance alone.
      const bool spread_applies = metric == "mean_ns" || metric == "median_ns";
      const double error_scale = metric == "median_ns" ? std::sqrt(std::acos(-1.0) / 2) : 1.0;
      const double n1 = figure(result.name, "samples").value_or(1);
      const double n2 = samples_of(result);
      const double sd1 = figure(result.name, "stddev_ns").value_or(0);
      const double sd2 = result.stddev_ns;
      std::string noise;
      if (spread_applies && n1 >= 2 && n2 >= 2 && (sd1 > 0 || sd2 > 0)) {
        const double a = sd1 * sd1 / n1;
        const double b = sd2 * sd2 / n2;
        const double t = change / (error_scale * std::sqrt(a + b));
        const double df = (a + b) * (a + b) / (a * a / (n1 - 1) + b * b / (n2 - 1));
        const double critical = t_quantile_975(df);
        char buffer[96];
        std::snprintf(buffer, sizeof buffer, "Welch t = %.2f %s %.2f", t,
                      t > critical ? ">" : "<=", critical);
        if (t <= critical) {
          char slower[32];
          std::snprintf(slower, sizeof slower, "+%.1f%%", percent_slower);
          within_noise.push_back(result.name + " " + slower + ", " + buffer);
          continue;
        }
        noise = std::string("; ") + buffer;
      }
      ++regressed;
      char slower[32];
      std::snprintf(slower, sizeof slower, "%+.1f%%", percent_slower);
      Finding finding;
      finding.rule = "benchmark.regression";
      finding.severity = Severity::high;
      finding.file = named.path;
      finding.message = result.name + ": " + metric + " " + figure_text(metric, now) + ", was " +
                        figure_text(metric, *then) + " in " + run + " (" + slower +
                        " worse, tolerance " + number_text(tolerance) + "%" + noise + ")";
      finding.fingerprint =
          short_sha256(finding.rule + '\x1f' + named.path + '\x1f' + result.name + '\x1f' + metric);
      out.finding(std::move(finding));
    }
  }
  std::string text = "regression: " + std::to_string(compared) + " benchmarks compared with " +
                     run + " on " + metric + ", " + std::to_string(regressed) +
                     " worse by more than " + number_text(tolerance) + "%";
  if (!within_noise.empty()) {
    text += " and the noise (within noise:";
    for (const auto& entry : within_noise) text += " " + entry + ";";
    text.back() = ')';
  }
  if (fresh > 0) text += ", " + std::to_string(fresh) + " not in the baseline";
  if (without > 0) text += ", " + std::to_string(without) + " without " + metric;
  regressed > 0 ? out.fail(text) : out.pass(text);
}

}  // namespace qgate
