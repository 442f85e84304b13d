// Benchmark parsers on real Google Benchmark and hyperfine output
// (tests/fixtures/benchmark/README.md says how each file was made), and on a
// report made in the test by a benchmark program built from
// tests/fixtures/src-findings/bench/.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "gates/parsers/benchmark.hpp"
#include "gates/parsers/json_reader.hpp"
#include "tests/gates/parsers/parser_fixtures.hpp"
#include "tests/test_support.hpp"

namespace qgate {
namespace {

using testing::expect_report_error;
using testing::TempDir;
using testing::write_in;

std::filesystem::path fixture(const std::string& name) {
  return testing::fixture_path("benchmark/" + name);
}

const BenchmarkResult& named(const BenchmarkReport& report, const std::string& name) {
  const auto it = std::find_if(report.results.begin(), report.results.end(),
                               [&](const BenchmarkResult& r) { return r.name == name; });
  if (it == report.results.end()) throw std::runtime_error("no benchmark " + name);
  return *it;
}

// Figures are compared to what the fixture says, converted the same way.
void expect_ns(double actual, double expected) {
  EXPECT_NEAR(actual, expected, std::abs(expected) * 1e-12);
}

// --- Google Benchmark ---------------------------------------------------------

TEST(GoogleBenchmarkParser, ReadsOneResultPerBenchmarkInNanoseconds) {
  const BenchmarkReport report = parse_google_benchmark(fixture("google-benchmark.json"));
  EXPECT_EQ(report.format, "google-benchmark");
  ASSERT_EQ(report.results.size(), 5u);
  EXPECT_EQ(report.results[0].name, "BM_StringCopy/8");
  EXPECT_EQ(report.results[1].name, "BM_StringCopy/4096");
  EXPECT_EQ(report.results[4].name, "BM_NeedsDatabase");

  const BenchmarkResult& copy = named(report, "BM_StringCopy/8");
  EXPECT_EQ(copy.iterations, 10000000);
  ASSERT_EQ(copy.samples_ns.size(), 1u);
  expect_ns(copy.mean_ns, 7.848199199997908);
  expect_ns(copy.median_ns, 7.848199199997908);
  EXPECT_EQ(copy.stddev_ns, 0);
  expect_ns(copy.metrics.at("cpu_ns"), 5.0209924);
  expect_ns(copy.metrics.at("bytes_per_second"), 1593310517.6578238);

  const BenchmarkResult& map = named(report, "BM_MapInsert");  // in us
  expect_ns(map.mean_ns, 88.30512030583827 * 1e3);
  expect_ns(map.metrics.at("items_per_second"), 16602407.809899451);
  EXPECT_EQ(map.metrics.at("nodes"), 1000);
  EXPECT_EQ(map.iterations, 1571);

  const BenchmarkResult& fill = named(report, "BM_VectorFill");  // in ms
  expect_ns(fill.mean_ns, 0.2946856519183792 * 1e6);
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
  const BenchmarkReport report =
      parse_google_benchmark(fixture("google-benchmark-repetitions.json"));
  // 31 rows: 4 benchmarks x (3 repetitions + mean, median, stddev, cv) and
  // 3 error rows of BM_NeedsDatabase.
  ASSERT_EQ(report.results.size(), 5u);
  const BenchmarkResult& map = named(report, "BM_MapInsert");
  ASSERT_EQ(map.samples_ns.size(), 3u);
  expect_ns(map.samples_ns[0], 73.27925657824908 * 1e3);
  expect_ns(map.samples_ns[1], 76.50534868431399 * 1e3);
  expect_ns(map.samples_ns[2], 66.96926973709675 * 1e3);
  expect_ns(map.mean_ns, 72.25129166655326 * 1e3);
  expect_ns(map.median_ns, 73.27925657824908 * 1e3);
  expect_ns(map.stddev_ns, 4.850436507846209 * 1e3);
  expect_ns(map.min_ns, 66.96926973709675 * 1e3);
  expect_ns(map.max_ns, 76.50534868431399 * 1e3);
  // cv is a ratio: no unit conversion.
  expect_ns(map.metrics.at("cv"), 0.06713286912892083);
  expect_ns(map.metrics.at("cpu_ns"), 48.105492872807 * 1e3);
  expect_ns(map.metrics.at("items_per_second"), 20806550.44153183);  // the mean's
  EXPECT_EQ(map.metrics.at("repetitions"), 3);
  EXPECT_EQ(map.iterations, 608);

  const BenchmarkResult& fill = named(report, "BM_VectorFill");
  expect_ns(fill.mean_ns, 0.30380223571618054 * 1e6);
  expect_ns(fill.stddev_ns, 0.02610123964977586 * 1e6);

  const BenchmarkResult& failed = named(report, "BM_NeedsDatabase");
  EXPECT_TRUE(failed.errored);
  EXPECT_TRUE(failed.samples_ns.empty());
}

TEST(GoogleBenchmarkParser, ReadsAReportOfAggregatesOnly) {
  const BenchmarkReport report =
      parse_google_benchmark(fixture("google-benchmark-aggregates-only.json"));
  ASSERT_EQ(report.results.size(), 1u);
  const BenchmarkResult& map = report.results[0];
  EXPECT_EQ(map.name, "BM_MapInsert");
  EXPECT_TRUE(map.samples_ns.empty());
  expect_ns(map.mean_ns, 73.79504587692034 * 1e3);
  expect_ns(map.median_ns, 76.7091445998184 * 1e3);
  expect_ns(map.stddev_ns, 5.505936597823054 * 1e3);
  expect_ns(map.metrics.at("cv"), 0.07461119554022873);
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

TEST(GoogleBenchmarkParser, DetectsGoogleBenchmarkAndNothingElse) {
  for (const char* name : {"google-benchmark.json", "google-benchmark-repetitions.json",
                           "google-benchmark-aggregates-only.json"}) {
    const std::string head = read_file_head(fixture(name));
    EXPECT_TRUE(looks_like_google_benchmark(head)) << name;
    EXPECT_FALSE(looks_like_hyperfine(head)) << name;
  }
}

// --- hyperfine ------------------------------------------------------------------

TEST(HyperfineParser, ReadsRunsAsSamplesInNanoseconds) {
  const BenchmarkReport report = parse_hyperfine(fixture("hyperfine.json"));
  EXPECT_EQ(report.format, "hyperfine");
  ASSERT_EQ(report.results.size(), 2u);
  const BenchmarkResult& sleep = report.results[0];
  EXPECT_EQ(sleep.name, "sleep 0.01");
  EXPECT_EQ(sleep.iterations, 5);
  ASSERT_EQ(sleep.samples_ns.size(), 5u);
  expect_ns(sleep.samples_ns[0], 0.011003683 * 1e9);
  expect_ns(sleep.mean_ns, 0.011004440600000002 * 1e9);
  expect_ns(sleep.stddev_ns, 4.169609865802774e-05 * 1e9);
  expect_ns(sleep.median_ns, 0.010989107000000001 * 1e9);
  expect_ns(sleep.min_ns, 0.010970034 * 1e9);
  expect_ns(sleep.max_ns, 0.01107584 * 1e9);
  expect_ns(sleep.metrics.at("user_ns"), 0.0008320000000000001 * 1e9);
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
  expect_ns(report.results[0].mean_ns, 0.0033477620000000002 * 1e9);
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
    const std::string head = read_file_head(fixture(name));
    EXPECT_TRUE(looks_like_hyperfine(head)) << name;
    EXPECT_FALSE(looks_like_google_benchmark(head)) << name;
  }
  for (const char* name : {"findings/eslint.sarif", "audit/npm-audit-stubbed-advisories.json"}) {
    const std::string head = read_file_head(testing::fixture_path(name));
    EXPECT_FALSE(looks_like_hyperfine(head)) << name;
    EXPECT_FALSE(looks_like_google_benchmark(head)) << name;
  }
}

}  // namespace
}  // namespace qgate
