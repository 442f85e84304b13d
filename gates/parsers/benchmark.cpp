#include "gates/parsers/benchmark.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "gates/parsers/json_reader.hpp"

namespace qgate {
namespace {

using nlohmann::json;

std::string text(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The number `key` of `object`; nothing when absent or null; throws naming
// `where` when it is something else.
std::optional<double> number(const std::filesystem::path& file, const json& object, const char* key,
                             const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) {
    throw ReportError(file, where + "." + key + " is " + it->type_name() + ", not a number");
  }
  return it->get<double>();
}

double required(const std::filesystem::path& file, const json& object, const char* key,
                const std::string& where) {
  const auto value = number(file, object, key, where);
  if (!value) throw ReportError(file, where + " has no \"" + key + "\"");
  return *value;
}

double mean_of(const std::vector<double>& values) {
  return values.empty() ? 0
                        : std::accumulate(values.begin(), values.end(), 0.0) /
                              static_cast<double>(values.size());
}

double median_of(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

// The sample standard deviation (n - 1), as Google Benchmark computes it.
double stddev_of(const std::vector<double>& values) {
  if (values.size() < 2) return 0;
  const double mean = mean_of(values);
  double sum = 0;
  for (const double v : values) sum += (v - mean) * (v - mean);
  return std::sqrt(sum / static_cast<double>(values.size() - 1));
}

void fill_spread(BenchmarkResult& result) {
  if (result.samples_ns.empty()) return;
  const auto [min, max] = std::minmax_element(result.samples_ns.begin(), result.samples_ns.end());
  result.min_ns = *min;
  result.max_ns = *max;
}

double ns_per_unit(const std::filesystem::path& file, const std::string& unit,
                   const std::string& where) {
  if (unit == "ns") return 1;
  if (unit == "us") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "s") return 1e9;
  throw ReportError(file, where + " has the time unit '" + unit + "', not one of ns, us, ms, s");
}

// The fields of a Google Benchmark row that are not user counters.
bool is_counter(const std::string& key) {
  static const std::set<std::string> known = {"name",
                                              "family_index",
                                              "per_family_instance_index",
                                              "run_name",
                                              "run_type",
                                              "repetitions",
                                              "repetition_index",
                                              "threads",
                                              "iterations",
                                              "real_time",
                                              "cpu_time",
                                              "time_unit",
                                              "aggregate_name",
                                              "aggregate_unit",
                                              "error_occurred",
                                              "error_message",
                                              "label",
                                              "big_o",
                                              "rms",
                                              "cpu_coefficient",
                                              "real_coefficient"};
  return known.count(key) == 0;
}

// What the rows of one benchmark add up to.
struct GoogleBenchmark {
  BenchmarkResult result;
  std::vector<double> cpu_ns;
  std::map<std::string, std::vector<double>> counters;
  bool has_mean = false;
  bool has_median = false;
  bool has_stddev = false;
  double repetitions = 0;  // of an aggregate row: the samples behind mean and stddev
};

void add_row(const std::filesystem::path& file, const json& row, const std::string& where,
             GoogleBenchmark& bench) {
  BenchmarkResult& result = bench.result;
  const auto error = row.find("error_occurred");
  if (error != row.end() && error->is_boolean() && error->get<bool>()) {
    result.errored = true;
    result.error_message = text(row, "error_message");
    return;
  }
  // Google Benchmark 1.8 writes SkipWithMessage() as a message without an
  // error: skipped on purpose, no time to read.
  if (!text(row, "error_message").empty()) return;
  const bool aggregate = text(row, "run_type") == "aggregate";
  const std::string unit = text(row, "time_unit");
  if (unit.empty()) throw ReportError(file, where + " has no \"time_unit\"");
  const double scale = ns_per_unit(file, unit, where);
  const double real = required(file, row, "real_time", where);
  const auto cpu = number(file, row, "cpu_time", where);
  if (!aggregate) {
    result.samples_ns.push_back(real * scale);
    if (cpu) bench.cpu_ns.push_back(*cpu * scale);
    const double iterations = number(file, row, "iterations", where).value_or(0);
    // Checked before the conversion, which is undefined out of range.
    if (!(iterations >= 0 && iterations < 9.2e18))
      throw ReportError(file, where + ".iterations is " + json(iterations).dump() +
                                  ", not a number of iterations");
    result.iterations = std::max(result.iterations, static_cast<std::int64_t>(iterations));
    for (const auto& [key, value] : row.items()) {
      if (value.is_number() && is_counter(key)) bench.counters[key].push_back(value.get<double>());
    }
    return;
  }
  bench.repetitions = number(file, row, "repetitions", where).value_or(bench.repetitions);
  const std::string name = text(row, "aggregate_name");
  // "cv" is a ratio, whatever the row's time unit says.
  if (name == "cv" || text(row, "aggregate_unit") == "percentage") {
    result.metrics[name] = real;
    return;
  }
  if (name == "mean") {
    result.mean_ns = real * scale;
    bench.has_mean = true;
    if (cpu) result.metrics["cpu_ns"] = *cpu * scale;
    for (const auto& [key, value] : row.items()) {
      if (value.is_number() && is_counter(key)) result.metrics[key] = value.get<double>();
    }
  } else if (name == "median") {
    result.median_ns = real * scale;
    bench.has_median = true;
  } else if (name == "stddev") {
    result.stddev_ns = real * scale;
    bench.has_stddev = true;
    if (cpu) result.metrics["cpu_stddev_ns"] = *cpu * scale;
  } else {
    result.metrics[name + "_ns"] = real * scale;
  }
}

BenchmarkResult finish(GoogleBenchmark bench) {
  BenchmarkResult& result = bench.result;
  const std::vector<double>& samples = result.samples_ns;
  if (!bench.has_mean) result.mean_ns = mean_of(samples);
  if (!bench.has_median) result.median_ns = median_of(samples);
  if (!bench.has_stddev) result.stddev_ns = stddev_of(samples);
  fill_spread(result);
  if (!result.metrics.count("cpu_ns") && !bench.cpu_ns.empty()) {
    result.metrics["cpu_ns"] = mean_of(bench.cpu_ns);
  }
  // The regression check tests CPU times too, and needs their spread.
  if (!result.metrics.count("cpu_stddev_ns") && bench.cpu_ns.size() > 1) {
    result.metrics["cpu_stddev_ns"] = stddev_of(bench.cpu_ns);
  }
  for (const auto& [key, values] : bench.counters) {
    if (!result.metrics.count(key)) result.metrics[key] = mean_of(values);
  }
  if (samples.size() > 1) {
    result.metrics["repetitions"] = static_cast<double>(samples.size());
  } else if (bench.repetitions > 1) {
    // --benchmark_report_aggregates_only: no rows per repetition, but the
    // regression check still needs how many samples the spread comes from.
    result.metrics["repetitions"] = bench.repetitions;
  }
  return std::move(bench.result);
}

// ->Complexity() adds two rows per family, named after it ("BM_IsPrime_BigO"
// and "BM_IsPrime_RMS", run_name "BM_IsPrime"): a curve fitted over the
// family's benchmarks and its error, not a benchmark. Before aggregate_name
// (Google Benchmark 1.5) only their "big_o" and "rms" keys told them apart.
bool is_complexity_row(const json& row) {
  const std::string aggregate = text(row, "aggregate_name");
  return aggregate == "BigO" || aggregate == "RMS" || row.contains("big_o") || row.contains("rms");
}

bool starts_object(std::string_view head) {
  const auto first = head.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && head[first] == '{';
}

}  // namespace

bool looks_like_google_benchmark(std::string_view head) {
  return starts_object(head) && head.find("\"context\"") != std::string_view::npos &&
         (head.find("\"benchmarks\"") != std::string_view::npos ||
          head.find("\"num_cpus\"") != std::string_view::npos);
}

BenchmarkReport parse_google_benchmark(const std::filesystem::path& file) {
  const json document = read_json_file(file);
  if (!document.is_object()) throw ReportError(file, "is not a JSON object");
  const auto rows = document.find("benchmarks");
  if (rows == document.end() || !rows->is_array()) {
    throw ReportError(file, "has no \"benchmarks\" array: not a Google Benchmark report");
  }
  std::vector<GoogleBenchmark> benchmarks;
  std::map<std::string, std::size_t> by_name;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    const json& row = (*rows)[i];
    const std::string where = "benchmarks[" + std::to_string(i) + "]";
    if (!row.is_object()) throw ReportError(file, where + " is not an object");
    if (is_complexity_row(row)) continue;
    // Repetitions and aggregates share the run_name ("BM_x/8"), not the name
    // ("BM_x/8_mean"); reports older than run_name have only the name.
    std::string name = text(row, "run_name");
    if (name.empty()) name = text(row, "name");
    if (name.empty()) throw ReportError(file, where + " has no name");
    const auto [it, added] = by_name.emplace(name, benchmarks.size());
    if (added) {
      benchmarks.emplace_back();
      benchmarks.back().result.name = name;
    }
    add_row(file, row, where, benchmarks[it->second]);
  }
  BenchmarkReport report;
  report.format = "google-benchmark";
  for (GoogleBenchmark& bench : benchmarks) report.results.push_back(finish(std::move(bench)));
  return report;
}

bool looks_like_hyperfine(std::string_view head) {
  return starts_object(head) && head.find("\"results\"") != std::string_view::npos &&
         head.find("\"command\"") != std::string_view::npos;
}

BenchmarkReport parse_hyperfine(const std::filesystem::path& file) {
  const json document = read_json_file(file);
  if (!document.is_object()) throw ReportError(file, "is not a JSON object");
  const auto rows = document.find("results");
  if (rows == document.end() || !rows->is_array()) {
    throw ReportError(file, "has no \"results\" array: not a hyperfine report");
  }
  constexpr double kNs = 1e9;
  BenchmarkReport report;
  report.format = "hyperfine";
  for (std::size_t i = 0; i < rows->size(); ++i) {
    const json& row = (*rows)[i];
    const std::string where = "results[" + std::to_string(i) + "]";
    if (!row.is_object()) throw ReportError(file, where + " is not an object");
    BenchmarkResult result;
    result.name = text(row, "command");
    if (result.name.empty()) throw ReportError(file, where + " has no \"command\"");
    result.mean_ns = required(file, row, "mean", where) * kNs;
    // hyperfine writes a null stddev for a single run.
    result.stddev_ns = number(file, row, "stddev", where).value_or(0) * kNs;
    result.median_ns = required(file, row, "median", where) * kNs;
    result.min_ns = required(file, row, "min", where) * kNs;
    result.max_ns = required(file, row, "max", where) * kNs;
    if (const auto user = number(file, row, "user", where)) result.metrics["user_ns"] = *user * kNs;
    if (const auto system = number(file, row, "system", where)) {
      result.metrics["system_ns"] = *system * kNs;
    }
    if (const auto times = row.find("times"); times != row.end()) {
      if (!times->is_array()) throw ReportError(file, where + ".times is not an array");
      for (const json& t : *times) {
        if (!t.is_number()) throw ReportError(file, where + ".times has a " + t.type_name());
        result.samples_ns.push_back(t.get<double>() * kNs);
      }
    }
    result.iterations = static_cast<std::int64_t>(result.samples_ns.size());
    if (const auto codes = row.find("exit_codes"); codes != row.end() && codes->is_array()) {
      const auto failed = std::count_if(codes->begin(), codes->end(), [](const json& code) {
        return !code.is_number_integer() || code.get<std::int64_t>() != 0;
      });
      result.metrics["failed_runs"] = static_cast<double>(failed);
      // With --ignore-failure hyperfine times failing runs too; when none
      // succeeded, the figures time a failure, not the command.
      if (failed > 0 && static_cast<std::size_t>(failed) == codes->size()) {
        result.errored = true;
        result.error_message =
            "every run (" + std::to_string(failed) + ") exited with a non-zero code";
      }
    }
    report.results.push_back(std::move(result));
  }
  return report;
}

}  // namespace qgate
