// Benchmark parsers on real Google Benchmark and hyperfine output
// (tests/fixtures/benchmark/README.md says how each file was made), and on a
// report made in the test by a benchmark program built from
// tests/fixtures/src-findings/bench/.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "gates/parsers/benchmark.hpp"
#include "gates/parsers/json_reader.hpp"
#include "gates/parsers/report_head.hpp"
#include "gates/report_checks.hpp"
#include "tests/gates/parsers/parser_fixtures.hpp"
#include "tests/test_support.hpp"

namespace qgate {
namespace {

using nlohmann::json;
using testing::expect_report_error;
using testing::named;
using testing::TempDir;
using testing::write_in;

std::filesystem::path fixture(const std::string& name) {
  return testing::fixture_path("benchmark/" + name);
}

// Figures are compared to what the fixture says, read here with a plain JSON
// parse, so that the tests stay exact when the fixtures are made again.
void expect_ns(double actual, double expected) {
  EXPECT_NEAR(actual, expected, std::abs(expected) * 1e-12);
}

// Returns the row of Google Benchmark fixture `file` named `name` (with its
// repetition `repetition` when it has several).
json row(const std::string& file, const std::string& name, int repetition = 0) {
  const json document = json::parse(testing::read_file(fixture(file)));
  for (const json& r : document.at("benchmarks")) {
    if (r.at("name") == name && r.value("repetition_index", 0) == repetition) return r;
  }
  throw std::runtime_error("no row " + name + " in " + file);
}

double ns_per(const json& r) {
  const std::string unit = r.at("time_unit");
  return unit == "ns" ? 1 : unit == "us" ? 1e3 : unit == "ms" ? 1e6 : 1e9;
}

double real_ns(const json& r) { return r.at("real_time").get<double>() * ns_per(r); }

double cpu_ns(const json& r) { return r.at("cpu_time").get<double>() * ns_per(r); }

// --- Google Benchmark ---------------------------------------------------------

TEST(GoogleBenchmarkParser, ReadsOneResultPerBenchmarkInNanoseconds) {
  const std::string file = "google-benchmark.json";
  const BenchmarkReport report = parse_google_benchmark(fixture(file));
  EXPECT_EQ(report.format, "google-benchmark");
  ASSERT_EQ(report.results.size(), 5u);
  EXPECT_EQ(report.results[0].name, "BM_StringCopy/8");
  EXPECT_EQ(report.results[1].name, "BM_StringCopy/4096");
  EXPECT_EQ(report.results[2].name, "BM_MapInsert");
  EXPECT_EQ(report.results[3].name, "BM_VectorFill");
  EXPECT_EQ(report.results[4].name, "BM_NeedsDatabase");

  const BenchmarkResult& copy = named(report, "BM_StringCopy/8");
  const json copy_row = row(file, "BM_StringCopy/8");
  EXPECT_EQ(copy_row.at("time_unit"), "ns");
  EXPECT_EQ(copy.iterations, copy_row.at("iterations").get<std::int64_t>());
  ASSERT_EQ(copy.samples_ns.size(), 1u);
  expect_ns(copy.mean_ns, real_ns(copy_row));
  expect_ns(copy.median_ns, real_ns(copy_row));
  EXPECT_EQ(copy.stddev_ns, 0);
  expect_ns(copy.metrics.at("cpu_ns"), copy_row.at("cpu_time").get<double>());
  expect_ns(copy.metrics.at("bytes_per_second"), copy_row.at("bytes_per_second").get<double>());

  const BenchmarkResult& map = named(report, "BM_MapInsert");
  const json map_row = row(file, "BM_MapInsert");
  EXPECT_EQ(map_row.at("time_unit"), "us");
  expect_ns(map.mean_ns, map_row.at("real_time").get<double>() * 1e3);
  expect_ns(map.metrics.at("cpu_ns"), map_row.at("cpu_time").get<double>() * 1e3);
  expect_ns(map.metrics.at("items_per_second"), map_row.at("items_per_second").get<double>());
  EXPECT_EQ(map.metrics.at("nodes"), 1000);
  EXPECT_EQ(map.iterations, map_row.at("iterations").get<std::int64_t>());

  const BenchmarkResult& fill = named(report, "BM_VectorFill");
  const json fill_row = row(file, "BM_VectorFill");
  EXPECT_EQ(fill_row.at("time_unit"), "ms");
  expect_ns(fill.mean_ns, fill_row.at("real_time").get<double>() * 1e6);
  expect_ns(fill.min_ns, fill.mean_ns);
  expect_ns(fill.max_ns, fill.mean_ns);
}

TEST(GoogleBenchmarkParser, ReportsSkipWithErrorAsErroredWithoutFigures) {
  const BenchmarkReport report = parse_google_benchmark(fixture("google-benchmark.json"));
  const BenchmarkResult& failed = named(report, "BM_NeedsDatabase");
  EXPECT_TRUE(failed.errored);
  EXPECT_EQ(failed.error_message, "could not connect to the test database");
  EXPECT_TRUE(failed.samples_ns.empty());
  EXPECT_EQ(failed.mean_ns, 0);
  EXPECT_EQ(std::count_if(report.results.begin(), report.results.end(),
                          [](const BenchmarkResult& r) { return r.errored; }),
            1);
}

TEST(GoogleBenchmarkParser, KeepsRepetitionsAsSamplesAndTakesTheAggregates) {
  const std::string file = "google-benchmark-repetitions.json";
  const BenchmarkReport report = parse_google_benchmark(fixture(file));
  // 31 rows: 4 benchmarks x (3 repetitions + mean, median, stddev, cv) and
  // 3 error rows of BM_NeedsDatabase.
  ASSERT_EQ(json::parse(testing::read_file(fixture(file))).at("benchmarks").size(), 31u);
  ASSERT_EQ(report.results.size(), 5u);
  const BenchmarkResult& map = named(report, "BM_MapInsert");
  ASSERT_EQ(map.samples_ns.size(), 3u);
  std::vector<double> samples;
  for (int i = 0; i < 3; ++i) {
    samples.push_back(real_ns(row(file, "BM_MapInsert", i)));
    expect_ns(map.samples_ns[i], samples.back());
  }
  expect_ns(map.mean_ns, real_ns(row(file, "BM_MapInsert_mean")));
  expect_ns(map.median_ns, real_ns(row(file, "BM_MapInsert_median")));
  expect_ns(map.stddev_ns, real_ns(row(file, "BM_MapInsert_stddev")));
  expect_ns(map.min_ns, *std::min_element(samples.begin(), samples.end()));
  expect_ns(map.max_ns, *std::max_element(samples.begin(), samples.end()));
  // cv is a ratio: its row says "us" but it is not converted.
  const json cv = row(file, "BM_MapInsert_cv");
  EXPECT_EQ(cv.at("aggregate_unit"), "percentage");
  expect_ns(map.metrics.at("cv"), cv.at("real_time").get<double>());
  const json mean = row(file, "BM_MapInsert_mean");
  expect_ns(map.metrics.at("cpu_ns"), cpu_ns(mean));
  // The spread of the CPU times, which the regression check tests by default.
  expect_ns(map.metrics.at("cpu_stddev_ns"), cpu_ns(row(file, "BM_MapInsert_stddev")));
  expect_ns(map.metrics.at("items_per_second"), mean.at("items_per_second").get<double>());
  EXPECT_EQ(map.metrics.at("repetitions"), 3);
  EXPECT_EQ(map.iterations, row(file, "BM_MapInsert").at("iterations").get<std::int64_t>());

  const BenchmarkResult& fill = named(report, "BM_VectorFill");
  expect_ns(fill.mean_ns, real_ns(row(file, "BM_VectorFill_mean")));
  expect_ns(fill.stddev_ns, real_ns(row(file, "BM_VectorFill_stddev")));

  const BenchmarkResult& failed = named(report, "BM_NeedsDatabase");
  EXPECT_TRUE(failed.errored);
  EXPECT_TRUE(failed.samples_ns.empty());
}

TEST(GoogleBenchmarkParser, ReadsAReportOfAggregatesOnly) {
  const std::string file = "google-benchmark-aggregates-only.json";
  const BenchmarkReport report = parse_google_benchmark(fixture(file));
  ASSERT_EQ(report.results.size(), 1u);
  const BenchmarkResult& map = report.results[0];
  EXPECT_EQ(map.name, "BM_MapInsert");
  EXPECT_TRUE(map.samples_ns.empty());
  expect_ns(map.mean_ns, real_ns(row(file, "BM_MapInsert_mean")));
  expect_ns(map.median_ns, real_ns(row(file, "BM_MapInsert_median")));
  expect_ns(map.stddev_ns, real_ns(row(file, "BM_MapInsert_stddev")));
  expect_ns(map.metrics.at("cv"), row(file, "BM_MapInsert_cv").at("real_time").get<double>());
  // The samples behind the spread, for the regression check.
  EXPECT_EQ(map.metrics.at("repetitions"), 3);
  expect_ns(map.metrics.at("cpu_stddev_ns"), cpu_ns(row(file, "BM_MapInsert_stddev")));
}

TEST(GoogleBenchmarkParser, LeavesComplexityFitsOutOfTheBenchmarks) {
  // ->Complexity() adds "BM_IsPrime_BigO" and "BM_IsPrime_RMS", run_name
  // "BM_IsPrime": a curve fitted over the four benchmarks, not a fifth one.
  const std::vector<std::string> expected = {"BM_IsPrime/1024", "BM_IsPrime/4096",
                                             "BM_IsPrime/16384", "BM_IsPrime/65536"};
  for (const auto& [file, samples] :
       {std::pair{"google-benchmark-complexity.json", 1u},
        std::pair{"google-benchmark-complexity-repetitions.json", 3u}}) {
    const BenchmarkReport report = parse_google_benchmark(fixture(file));
    std::vector<std::string> names;
    for (const BenchmarkResult& result : report.results) {
      names.push_back(result.name);
      EXPECT_EQ(result.samples_ns.size(), samples) << file << " " << result.name;
      EXPECT_GT(result.mean_ns, 0) << file << " " << result.name;
      EXPECT_FALSE(result.errored) << file << " " << result.name;
    }
    EXPECT_EQ(names, expected) << file;
    expect_ns(named(report, "BM_IsPrime/4096").samples_ns[0],
              real_ns(row(file, "BM_IsPrime/4096")));
  }
}

TEST(GoogleBenchmarkReportGates, AComplexityFitTripsNoMinimumThreshold) {
  GateConfig gate;
  gate.name = "performance";
  gate.reports = {{"benchmark/google-benchmark-complexity.json", ""}};
  gate.options = json::parse(R"({"regression": {"enabled": false},
      "thresholds": [{"benchmark": "BM_IsPrime*", "metric": "mean_ns", "min": 1},
                     {"benchmark": "BM_IsPrime*", "metric": "samples", "min": 1}]})");
  const ReportVerdict verdict = judge_reports(gate, testing::source_dir() / "tests/fixtures");
  EXPECT_EQ(verdict.outcome.status, Status::passed) << verdict.outcome.message;
  EXPECT_EQ(verdict.outcome.message.rfind(
                "benchmark/google-benchmark-complexity.json: 4 benchmarks; thresholds: 8 checks "
                "on 4 benchmarks",
                0),
            0u)
      << verdict.outcome.message;
  EXPECT_TRUE(verdict.outcome.findings.empty());
}

TEST(GoogleBenchmarkParser, ReadsAReportMadeByARealBenchmarkNow) {
  TempDir dir;
  const auto source = testing::fixture_path("src-findings/bench/string_bench.cpp");
  const auto build = testing::run_command(
      "g++ -O1 -std=c++17 '" + source.string() + "' -o bench -lbenchmark -lpthread", dir.path());
  ASSERT_EQ(build.exit_code, 0) << build.output;
  const auto run = testing::run_command(
      "./bench --benchmark_format=json --benchmark_min_time=0.001 --benchmark_repetitions=2 "
      "--benchmark_filter='BM_StringCopy/8|BM_NeedsDatabase' > out.json 2>/dev/null",
      dir.path());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const BenchmarkReport report = parse_google_benchmark(dir / "out.json");
  ASSERT_EQ(report.results.size(), 2u);
  const BenchmarkResult& copy = named(report, "BM_StringCopy/8");
  EXPECT_EQ(copy.samples_ns.size(), 2u);
  EXPECT_GT(copy.mean_ns, 0);
  EXPECT_GT(copy.iterations, 0);
  EXPECT_FALSE(copy.errored);
  EXPECT_TRUE(named(report, "BM_NeedsDatabase").errored);
}

TEST(GoogleBenchmarkParser, RejectsMalformedAndTruncatedReports) {
  TempDir dir;
  const auto source = fixture("google-benchmark-repetitions.json");
  const std::size_t size = std::filesystem::file_size(source);
  for (const std::size_t bytes : {std::size_t{1}, size / 3, size / 2, size - 3}) {
    expect_report_error(parse_google_benchmark, testing::truncated_copy(dir, source, bytes),
                        "invalid JSON at line");
  }
  expect_report_error(parse_google_benchmark, write_in(dir, "empty.json", ""), "is empty");
  expect_report_error(parse_google_benchmark, write_in(dir, "context.json", R"({"context": {}})"),
                      "no \"benchmarks\" array");
  expect_report_error(parse_google_benchmark,
                      write_in(dir, "row.json", R"({"benchmarks": [{"name": "a"}, 3]})"),
                      "benchmarks[0] has no \"time_unit\"");
  expect_report_error(parse_google_benchmark,
                      write_in(dir, "unit.json",
                               R"({"benchmarks": [{"name": "a", "real_time": 1,
                                   "time_unit": "fortnights"}]})"),
                      "benchmarks[0] has the time unit 'fortnights'");
  expect_report_error(parse_google_benchmark,
                      write_in(dir, "time.json",
                               R"({"benchmarks": [{"name": "a", "real_time": "fast",
                                   "time_unit": "ns"}]})"),
                      "benchmarks[0].real_time is string, not a number");
  expect_report_error(parse_google_benchmark,
                      write_in(dir, "scalar.json", R"({"benchmarks": [3]})"),
                      "benchmarks[0] is not an object");
  expect_report_error(parse_google_benchmark, fixture("hyperfine.json"), "no \"benchmarks\" array");
}

TEST(GoogleBenchmarkParser, RejectsAnIterationCountNoCounterHolds) {
  // Undefined behaviour before (a double out of range converted to an
  // integer), seen with the sanitizer build of fuzz/json_reports_fuzzer.
  TempDir dir;
  for (const char* iterations : {"1e300", "-1"}) {
    SCOPED_TRACE(iterations);
    expect_report_error(parse_google_benchmark,
                        write_in(dir, "iterations.json",
                                 std::string(R"({"benchmarks": [{"name": "a", "iterations": )") +
                                     iterations + R"(, "real_time": 1, "time_unit": "ns"}]})"),
                        std::string("benchmarks[0].iterations is ") +
                            (iterations[0] == '1' ? "1e+300" : "-1.0") +
                            ", not a number of iterations");
  }
}

TEST(GoogleBenchmarkParser, DetectsGoogleBenchmarkAndNothingElse) {
  for (const char* name : {"google-benchmark.json", "google-benchmark-repetitions.json",
                           "google-benchmark-aggregates-only.json"}) {
    const std::string head = read_report_head(fixture(name));
    EXPECT_TRUE(looks_like_google_benchmark(head)) << name;
    EXPECT_FALSE(looks_like_hyperfine(head)) << name;
  }
}

// --- hyperfine ------------------------------------------------------------------

TEST(HyperfineParser, ReadsRunsAsSamplesInNanoseconds) {
  const BenchmarkReport report = parse_hyperfine(fixture("hyperfine.json"));
  const json written = json::parse(testing::read_file(fixture("hyperfine.json"))).at("results");
  EXPECT_EQ(report.format, "hyperfine");
  ASSERT_EQ(report.results.size(), 2u);
  const BenchmarkResult& sleep = report.results[0];
  const json& row = written.at(0);
  EXPECT_EQ(sleep.name, "sleep 0.01");
  EXPECT_EQ(sleep.iterations, 5);
  ASSERT_EQ(sleep.samples_ns.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    expect_ns(sleep.samples_ns[i], row.at("times").at(i).get<double>() * 1e9);
  }
  expect_ns(sleep.mean_ns, row.at("mean").get<double>() * 1e9);
  expect_ns(sleep.stddev_ns, row.at("stddev").get<double>() * 1e9);
  expect_ns(sleep.median_ns, row.at("median").get<double>() * 1e9);
  expect_ns(sleep.min_ns, row.at("min").get<double>() * 1e9);
  expect_ns(sleep.max_ns, row.at("max").get<double>() * 1e9);
  expect_ns(sleep.metrics.at("user_ns"), row.at("user").get<double>() * 1e9);
  EXPECT_GT(sleep.mean_ns, 10e6);  // it slept 10 ms
  EXPECT_EQ(sleep.metrics.at("failed_runs"), 0);
  EXPECT_FALSE(sleep.errored);
  EXPECT_EQ(report.results[1].name, "sleep 0.02");
}

TEST(HyperfineParser, ReadsAParameterScanAsOneResultPerValue) {
  const BenchmarkReport report = parse_hyperfine(fixture("hyperfine-parameters.json"));
  ASSERT_EQ(report.results.size(), 3u);
  EXPECT_EQ(report.results[0].name, "sleep 0.001");
  EXPECT_EQ(report.results[2].name, "sleep 0.003");
  EXPECT_EQ(report.results[2].samples_ns.size(), 3u);
}

TEST(HyperfineParser, MarksACommandThatFailedEveryRunAsErrored) {
  const BenchmarkReport report = parse_hyperfine(fixture("hyperfine-failing.json"));
  ASSERT_EQ(report.results.size(), 2u);
  const BenchmarkResult& failing = named(report, "false");
  EXPECT_TRUE(failing.errored);
  EXPECT_EQ(failing.error_message, "every run (3) exited with a non-zero code");
  EXPECT_EQ(failing.metrics.at("failed_runs"), 3);
  EXPECT_FALSE(named(report, "sleep 0.01").errored);
}

TEST(HyperfineParser, ReadsASingleRunWhoseStddevIsNull) {
  const BenchmarkReport report = parse_hyperfine(fixture("hyperfine-single-run.json"));
  ASSERT_EQ(report.results.size(), 1u);
  EXPECT_EQ(report.results[0].stddev_ns, 0);
  EXPECT_EQ(report.results[0].samples_ns.size(), 1u);
  const json written =
      json::parse(testing::read_file(fixture("hyperfine-single-run.json"))).at("results");
  EXPECT_TRUE(written.at(0).at("stddev").is_null());
  expect_ns(report.results[0].mean_ns, written.at(0).at("mean").get<double>() * 1e9);
}

TEST(HyperfineParser, RejectsMalformedAndTruncatedReports) {
  TempDir dir;
  const auto source = fixture("hyperfine.json");
  const std::size_t size = std::filesystem::file_size(source);
  for (const std::size_t bytes : {std::size_t{1}, size / 3, size / 2, size - 3}) {
    expect_report_error(parse_hyperfine, testing::truncated_copy(dir, source, bytes),
                        "invalid JSON at line");
  }
  expect_report_error(parse_hyperfine, write_in(dir, "empty.json", ""), "is empty");
  expect_report_error(parse_hyperfine, write_in(dir, "results.json", R"({"results": {}})"),
                      "no \"results\" array");
  expect_report_error(parse_hyperfine,
                      write_in(dir, "nomean.json", R"({"results": [{"command": "x"}]})"),
                      "results[0] has no \"mean\"");
  expect_report_error(parse_hyperfine,
                      write_in(dir, "nocommand.json", R"({"results": [{"mean": 1}]})"),
                      "results[0] has no \"command\"");
  expect_report_error(parse_hyperfine,
                      write_in(dir, "times.json",
                               R"({"results": [{"command": "x", "mean": 1, "median": 1, "min": 1,
                                   "max": 1, "times": [1, "2"]}]})"),
                      "results[0].times has a string");
  expect_report_error(parse_hyperfine, fixture("google-benchmark.json"), "no \"results\" array");
}

TEST(HyperfineParser, DetectsHyperfineAndNothingElse) {
  for (const char* name : {"hyperfine.json", "hyperfine-parameters.json", "hyperfine-failing.json",
                           "hyperfine-single-run.json"}) {
    const std::string head = read_report_head(fixture(name));
    EXPECT_TRUE(looks_like_hyperfine(head)) << name;
    EXPECT_FALSE(looks_like_google_benchmark(head)) << name;
  }
  for (const char* name : {"findings/eslint.sarif", "audit/npm-audit-stubbed-advisories.json"}) {
    const std::string head = read_report_head(testing::fixture_path(name));
    EXPECT_FALSE(looks_like_hyperfine(head)) << name;
    EXPECT_FALSE(looks_like_google_benchmark(head)) << name;
  }
}

}  // namespace
}  // namespace qgate
