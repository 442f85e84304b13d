// The k6 summary parser on real k6 summaries, in both shapes k6 writes
// (tests/fixtures/benchmark/README.md says where each file comes from).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "gates/parsers/benchmark.hpp"
#include "gates/parsers/json_reader.hpp"
#include "gates/parsers/k6.hpp"
#include "gates/parsers/report_head.hpp"
#include "gates/report_checks.hpp"
#include "gates/report_reader.hpp"
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

bool has(const BenchmarkReport& report, const std::string& name) {
  return std::any_of(report.results.begin(), report.results.end(),
                     [&](const BenchmarkResult& r) { return r.name == name; });
}

json metrics_of(const std::string& name) {
  return json::parse(testing::read_file(fixture(name))).at("metrics");
}

// Writes a copy of fixture `name` with `from` replaced by `to` (once).
std::filesystem::path edited(const TempDir& dir, const std::string& name, const std::string& from,
                             const std::string& to) {
  std::string text = testing::read_file(fixture(name));
  const auto at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("no '" + from + "' in " + name);
  text.replace(at, from.size(), to);
  return write_in(dir, "edited-" + name, text);
}

TEST(K6Parser, ReadsTheSummaryExportTrendsInMsAndNs) {
  const BenchmarkReport report = parse_k6(fixture("k6-summary-export.json"));
  EXPECT_EQ(report.format, "k6");
  // 17 metrics, less the gauges vus and vus_max.
  ASSERT_EQ(report.results.size(), 15u);
  EXPECT_FALSE(has(report, "vus"));
  EXPECT_FALSE(has(report, "vus_max"));
  EXPECT_TRUE(std::is_sorted(
      report.results.begin(), report.results.end(),
      [](const BenchmarkResult& a, const BenchmarkResult& b) { return a.name < b.name; }));
  const BenchmarkResult& duration = named(report, "http_req_duration");
  const json written = metrics_of("k6-summary-export.json").at("http_req_duration");
  EXPECT_DOUBLE_EQ(duration.metrics.at("p95_ms"), 4101.811365);
  EXPECT_DOUBLE_EQ(duration.metrics.at("p95_ms"), written.at("p(95)").get<double>());
  EXPECT_DOUBLE_EQ(duration.metrics.at("p90_ms"), 4030.33387);
  EXPECT_DOUBLE_EQ(duration.metrics.at("avg_ms"), 3264.992537000001);
  EXPECT_DOUBLE_EQ(duration.metrics.at("med_ms"), 3390.69845);
  EXPECT_DOUBLE_EQ(duration.metrics.at("min_ms"), 464.4323);
  EXPECT_DOUBLE_EQ(duration.metrics.at("max_ms"), 4180.7135);
  EXPECT_EQ(duration.metrics.size(), 6u);
  EXPECT_DOUBLE_EQ(duration.mean_ns, 3264.992537000001 * 1e6);
  EXPECT_DOUBLE_EQ(duration.median_ns, 3390.69845 * 1e6);
  EXPECT_DOUBLE_EQ(duration.min_ns, 464.4323 * 1e6);
  EXPECT_DOUBLE_EQ(duration.max_ns, 4180.7135 * 1e6);
  EXPECT_FALSE(duration.errored);
  EXPECT_DOUBLE_EQ(named(report, "http_req_duration{expected_response:true}").metrics.at("p95_ms"),
                   4102.77963);
}

TEST(K6Parser, ReadsRatesAndCountersOfTheSummaryExport) {
  const BenchmarkReport report = parse_k6(fixture("k6-summary-export.json"));
  // One request of 100 failed: http_req_failed counts it as a "pass".
  const BenchmarkResult& failed = named(report, "http_req_failed");
  EXPECT_DOUBLE_EQ(failed.metrics.at("error_rate"), 0.01);
  EXPECT_DOUBLE_EQ(failed.metrics.at("rate"), 0.01);
  EXPECT_DOUBLE_EQ(failed.metrics.at("nonzero"), 1);
  EXPECT_DOUBLE_EQ(failed.metrics.at("count"), 100);
  EXPECT_EQ(failed.iterations, 100);
  const BenchmarkResult& checks = named(report, "checks");
  EXPECT_DOUBLE_EQ(checks.metrics.at("rate"), 0.99);
  EXPECT_DOUBLE_EQ(checks.metrics.at("nonzero"), 99);
  EXPECT_EQ(checks.metrics.count("error_rate"), 0u);
  const BenchmarkResult& requests = named(report, "http_reqs");
  EXPECT_DOUBLE_EQ(requests.metrics.at("count"), 100);
  EXPECT_DOUBLE_EQ(requests.metrics.at("rate"), 23.738350582489275);
  EXPECT_EQ(requests.iterations, 100);
  EXPECT_EQ(requests.mean_ns, 0);
}

TEST(K6Parser, MarksTheMetricWhoseThresholdK6FailedAsErrored) {
  const BenchmarkReport report = parse_k6(fixture("k6-summary-export-threshold-failed.json"));
  ASSERT_EQ(report.results.size(), 21u);
  const BenchmarkResult& duration = named(report, "http_req_duration");
  EXPECT_TRUE(duration.errored);
  EXPECT_EQ(duration.error_message,
            "k6 threshold 'p(95)<50' (p(95)=269.068) on http_req_duration failed");
  EXPECT_DOUBLE_EQ(duration.metrics.at("p95_ms"), 269.06783674999986);
  EXPECT_EQ(std::count_if(report.results.begin(), report.results.end(),
                          [](const BenchmarkResult& r) { return r.errored; }),
            1);
  // 22% of the requests were answered 429, which the script expects.
  EXPECT_NEAR(named(report, "http_req_failed").metrics.at("error_rate"), 0.21745900204861077,
              1e-15);
  EXPECT_DOUBLE_EQ(named(report, "anon_limited_429").metrics.at("nonzero"), 77059);
  EXPECT_DOUBLE_EQ(named(report, "dropped_iterations").metrics.at("count"), 277);
}

TEST(K6Parser, ReadsASummaryExportThresholdWrittenFalseAsPassed) {
  // --summary-export writes whether a threshold failed: false is a pass.
  TempDir dir;
  const BenchmarkReport report = parse_k6(edited(dir, "k6-summary-export-threshold-failed.json",
                                                 "\"p(95)<50\": true", "\"p(95)<50\": false"));
  EXPECT_FALSE(named(report, "http_req_duration").errored);
}

TEST(K6Parser, ReadsTheHandleSummaryShape) {
  const BenchmarkReport report = parse_k6(fixture("k6-handle-summary.json"));
  EXPECT_EQ(report.format, "k6");
  ASSERT_EQ(report.results.size(), 17u);
  const BenchmarkResult& duration = named(report, "http_req_duration");
  const json written = metrics_of("k6-handle-summary.json").at("http_req_duration").at("values");
  EXPECT_DOUBLE_EQ(duration.metrics.at("p95_ms"), written.at("p(95)").get<double>());
  EXPECT_DOUBLE_EQ(duration.metrics.at("p95_ms"), 243.70620000000005);
  EXPECT_DOUBLE_EQ(duration.mean_ns, 198.3833359236539 * 1e6);
  EXPECT_DOUBLE_EQ(duration.median_ns, 190.1383 * 1e6);
  EXPECT_FALSE(duration.errored);  // {"ok": true}
  EXPECT_DOUBLE_EQ(named(report, "http_req_duration{name:status}").metrics.at("p90_ms"), 285.25886);
  const BenchmarkResult& failed = named(report, "http_req_failed");
  EXPECT_DOUBLE_EQ(failed.metrics.at("error_rate"), 0);
  EXPECT_DOUBLE_EQ(failed.metrics.at("count"), 1467);
  EXPECT_DOUBLE_EQ(named(report, "checks").metrics.at("nonzero"), 2934);
  EXPECT_DOUBLE_EQ(named(report, "iterations").metrics.at("count"), 60);
  EXPECT_FALSE(has(report, "vus"));
  EXPECT_TRUE(std::none_of(report.results.begin(), report.results.end(),
                           [](const BenchmarkResult& r) { return r.errored; }));
}

TEST(K6Parser, ReadsAHandleSummaryThresholdNotOkAsFailed) {
  TempDir dir;
  const BenchmarkReport report =
      parse_k6(edited(dir, "k6-handle-summary.json", "\"rate<0.01\": {\n          \"ok\": true",
                      "\"rate<0.01\": {\n          \"ok\": false"));
  const BenchmarkResult& failed = named(report, "http_req_failed");
  EXPECT_TRUE(failed.errored);
  EXPECT_EQ(failed.error_message, "k6 threshold 'rate<0.01' (rate=0) on http_req_failed failed");
  EXPECT_FALSE(named(report, "http_req_duration").errored);
}

TEST(K6Parser, RejectsMalformedTruncatedAndOtherFormats) {
  TempDir dir;
  for (const char* name : {"k6-summary-export.json", "k6-handle-summary.json"}) {
    const auto source = fixture(name);
    const std::size_t size = std::filesystem::file_size(source);
    for (const std::size_t bytes : {std::size_t{1}, size / 3, size / 2, size - 2}) {
      expect_report_error(parse_k6, testing::truncated_copy(dir, source, bytes),
                          "invalid JSON at line");
    }
  }
  expect_report_error(parse_k6, write_in(dir, "empty.json", ""), "is empty");
  expect_report_error(parse_k6, write_in(dir, "array.json", "[]"), "not a JSON object");
  expect_report_error(parse_k6, write_in(dir, "other.json", R"({"root_group": {}})"),
                      "no \"metrics\" object: not a k6 summary");
  expect_report_error(parse_k6, write_in(dir, "string.json", R"({"metrics": {"vus": 3}})"),
                      "metrics.vus is not an object");
  expect_report_error(parse_k6, write_in(dir, "shape.json", R"({"metrics": {"x": {"y": 1}}})"),
                      "metrics.x has none of the figures of a k6 trend, rate, counter or gauge");
  expect_report_error(parse_k6,
                      write_in(dir, "avg.json", R"({"metrics": {"d": {"avg": "1", "med": 1}}})"),
                      "metrics.d.avg is string, not a number");
  expect_report_error(
      parse_k6, write_in(dir, "rate.json", R"({"metrics": {"r": {"passes": 1, "fails": 0}}})"),
      "metrics.r has no \"value\"");
  expect_report_error(
      parse_k6,
      write_in(dir, "type.json",
               R"({"metrics": {"h": {"type": "histogram", "contains": "time", "values": {}}}})"),
      "metrics.h has the type 'histogram'");
  expect_report_error(parse_k6,
                      write_in(dir, "threshold.json",
                               R"({"metrics": {"d": {"avg": 1, "thresholds": {"avg<2": "yes"}}}})"),
                      "metrics.d.thresholds['avg<2'] is neither a boolean");
  expect_report_error(parse_k6, fixture("hyperfine.json"), "no \"metrics\" object");
}

TEST(K6Parser, DetectsK6SummariesAndNothingElse) {
  for (const char* name : {"k6-summary-export.json", "k6-summary-export-threshold-failed.json",
                           "k6-handle-summary.json"}) {
    const std::string head = read_report_head(fixture(name));
    EXPECT_TRUE(looks_like_k6(head)) << name;
    EXPECT_FALSE(looks_like_hyperfine(head)) << name;
    EXPECT_FALSE(looks_like_google_benchmark(head)) << name;
    const ParsedReport parsed = read_report(fixture(name));
    ASSERT_TRUE(std::holds_alternative<BenchmarkReport>(parsed)) << name;
    EXPECT_EQ(std::get<BenchmarkReport>(parsed).format, "k6");
  }
  for (const char* name : {"benchmark/hyperfine.json", "benchmark/google-benchmark.json",
                           "findings/eslint.sarif", "audit/npm-audit-stubbed-advisories.json",
                           "audit/pip-audit.json", "audit/osv-scanner-go-trimmed.json"}) {
    EXPECT_FALSE(looks_like_k6(read_report_head(testing::fixture_path(name)))) << name;
  }
  const ParsedReport named_format = read_report(fixture("k6-handle-summary.json"), "k6");
  EXPECT_EQ(std::get<BenchmarkReport>(named_format).results.size(), 17u);
}

TEST(K6ReportGates, AFailedK6ThresholdFailsTheGate) {
  GateConfig gate;
  gate.name = "performance";
  gate.reports = {{"benchmark/k6-summary-export.json", ""},
                  {"benchmark/k6-handle-summary.json", "k6"},
                  {"benchmark/k6-summary-export-threshold-failed.json", ""}};
  const ReportVerdict verdict = judge_reports(gate, testing::source_dir() / "tests/fixtures");
  EXPECT_EQ(verdict.outcome.status, Status::failed) << verdict.outcome.message;
  // Each report's count, then what the gate judges across them (regression).
  EXPECT_EQ(verdict.outcome.message.rfind(
                "benchmark/k6-summary-export.json: 15 benchmarks; "
                "benchmark/k6-handle-summary.json: 17 benchmarks; "
                "benchmark/k6-summary-export-threshold-failed.json: 21 benchmarks, 1 errored",
                0),
            0u)
      << verdict.outcome.message;
  // A k6 figure can be given a limit like any benchmark's.
  gate.reports.pop_back();
  EXPECT_EQ(judge_reports(gate, testing::source_dir() / "tests/fixtures").outcome.status,
            Status::passed);
  gate.options = json::parse(
      R"({"thresholds": [{"benchmark": "http_req_duration", "metric": "p95_ms", "max": 500}]})");
  const ReportVerdict limited = judge_reports(gate, testing::source_dir() / "tests/fixtures");
  // p(95) was 4101.8 ms in the summary export, 243.7 ms in the other.
  EXPECT_EQ(limited.outcome.status, Status::failed) << limited.outcome.message;
  EXPECT_NE(limited.outcome.message.find("thresholds: 2 checks on 1 benchmarks, 1 failed"),
            std::string::npos)
      << limited.outcome.message;
  ASSERT_EQ(limited.outcome.findings.size(), 1u);
  EXPECT_NE(limited.outcome.findings[0].message.find("http_req_duration"), std::string::npos)
      << limited.outcome.findings[0].message;
}

}  // namespace
}  // namespace qgate
