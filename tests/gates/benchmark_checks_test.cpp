// Benchmark thresholds and regressions, on real hyperfine and Google
// Benchmark output (fixtures, and hyperfine runs made in the test).
#include "gates/benchmark_checks.hpp"

#include <gtest/gtest.h>

#include <regex>

#include "gates/report_checks.hpp"
#include "tests/test_support.hpp"

namespace qgate {
namespace {

using nlohmann::json;
using testing::run_command;
using testing::TempDir;
using testing::write_file;

ReportVerdict judge(const std::filesystem::path& dir, const std::vector<std::string>& reports,
                    const json& options, const std::optional<GateBaseline>& baseline = {}) {
  GateConfig gate;
  gate.name = "performance";
  for (const auto& report : reports) gate.reports.push_back({report, ""});
  gate.options = options;
  return judge_reports(gate, dir, ReportContext{"", baseline});
}

std::filesystem::path fixtures() { return testing::source_dir() / "tests/fixtures/benchmark"; }

// Times `command` with hyperfine `runs` times, as benchmark "bench", into `out`.
void hyperfine(const TempDir& dir, const std::string& command, int runs, const std::string& out) {
  const auto result =
      run_command("hyperfine -N --style none --runs " + std::to_string(runs) +
                      " --command-name bench --export-json " + out + " '" + command + "'",
                  dir.path());
  ASSERT_EQ(result.exit_code, 0) << result.output;
}

GateBaseline baseline_of(const ReportVerdict& verdict) {
  EXPECT_NE(verdict.outcome.status, Status::failed) << verdict.outcome.message;
  return GateBaseline{"0c5e9d3a-7f41-4b7e-9d38-54a1f0e2b6c1", "2026-11-22T00:00:00.000Z",
                      verdict.outcome.findings, verdict.metrics};
}

double metric(const ReportVerdict& verdict, const std::string& name) {
  for (const Metric& m : verdict.metrics) {
    if (m.name == name) return m.value;
  }
  ADD_FAILURE() << "no metric " << name;
  return -1;
}

TEST(BenchmarkThresholds, PassAndFailNamingBenchmarkFigureAndLimit) {
  // hyperfine: sleep 0.01 took 11.00 ms, sleep 0.02 21.14 ms; Google
  // Benchmark: BM_StringCopy/8 at 1.94e9 bytes/s, BM_StringCopy/4096 at 4.1e10.
  const json options = {
      {"regression", {{"enabled", false}}},
      {"thresholds",
       {{{"benchmark", "sleep 0.0*"}, {"metric", "mean_ns"}, {"max", 15e6}},
        {{"benchmark", "BM_StringCopy/*"}, {"metric", "bytes_per_second"}, {"min", 1e10}},
        {{"metric", "max_ns"}, {"max", 1e9}}}}};
  const ReportVerdict verdict =
      judge(fixtures(), {"hyperfine.json", "google-benchmark.json"}, options);
  EXPECT_EQ(verdict.outcome.status, Status::failed);
  // 2 + 2 + 6 checks (the errored BM_NeedsDatabase has no figures).
  EXPECT_EQ(verdict.outcome.message,
            "hyperfine.json: 2 benchmarks; google-benchmark.json: 5 benchmarks, 1 errored: "
            "BM_NeedsDatabase (could not "
            "connect to the test database); "
            "thresholds: 10 checks on 6 benchmarks, 2 failed");
  ASSERT_EQ(verdict.outcome.findings.size(), 2u);
  EXPECT_EQ(verdict.outcome.findings[0].rule, "benchmark.threshold");
  EXPECT_EQ(verdict.outcome.findings[0].file, "hyperfine.json");
  EXPECT_EQ(verdict.outcome.findings[0].message,
            "sleep 0.02: mean_ns 21.14 ms above the maximum 15 ms");
  EXPECT_TRUE(std::regex_match(verdict.outcome.findings[1].message,
                               std::regex("BM_StringCopy/8: bytes_per_second [0-9.]+e\\+09 below "
                                          "the minimum 1e\\+10")))
      << verdict.outcome.findings[1].message;

  const json passing = {{"regression", {{"enabled", false}}},
                        {"thresholds", {{{"metric", "mean_ns"}, {"max", 25e6}}}}};
  const ReportVerdict passed = judge(fixtures(), {"hyperfine.json"}, passing);
  EXPECT_EQ(passed.outcome.status, Status::passed);
  EXPECT_EQ(passed.outcome.message,
            "hyperfine.json: 2 benchmarks; thresholds: 2 checks on 2 benchmarks, 0 failed");
}

TEST(BenchmarkThresholds, UnknownBenchmarkOrMetricIsAnErrorNotAPass) {
  const json options = {{"thresholds",
                         {{{"benchmark", "BM_Nope*"}, {"metric", "mean_ns"}, {"max", 1}},
                          {{"benchmark", "sleep 0.01"}, {"metric", "p95_ms"}, {"max", 1}}}}};
  const ReportVerdict verdict = judge(fixtures(), {"hyperfine.json"}, options);
  EXPECT_EQ(verdict.outcome.status, Status::error);
  EXPECT_EQ(verdict.outcome.message,
            "hyperfine.json: 2 benchmarks; thresholds[0]: no benchmark matches 'BM_Nope*' "
            "(benchmarks: sleep 0.01, sleep 0.02); thresholds[1]: benchmark 'sleep 0.01' of "
            "hyperfine.json has no metric 'p95_ms' (it has mean_ns, median_ns, stddev_ns, "
            "min_ns, max_ns, samples, failed_runs, system_ns, user_ns); regression: no baseline "
            "yet (the first run where the gate passes records one)");
}

TEST(BenchmarkRegression, TenTimesSlowerFailsAgainstTheBaselineRun) {
  TempDir dir;
  // Ten times slower stays several times slower when a loaded machine adds
  // tens of milliseconds to the runs of either side.
  hyperfine(dir, "sleep 0.02", 5, "before.json");
  const ReportVerdict first = judge(dir.path(), {"before.json"}, json::object());
  EXPECT_EQ(first.outcome.message,
            "before.json: 1 benchmarks; regression: no baseline yet (the first run where the gate "
            "passes records one)");
  // What a later run compares with.
  EXPECT_GT(metric(first, "benchmark.bench.mean_ns"), 2e7);
  EXPECT_GT(metric(first, "benchmark.bench.stddev_ns"), 0);
  EXPECT_EQ(metric(first, "benchmark.bench.samples"), 5);

  hyperfine(dir, "sleep 0.2", 4, "after.json");
  const ReportVerdict second =
      judge(dir.path(), {"after.json"}, json::object(), baseline_of(first));
  EXPECT_EQ(second.outcome.status, Status::failed) << second.outcome.message;
  EXPECT_EQ(second.outcome.message,
            "after.json: 1 benchmarks; regression: 1 benchmarks compared with run 0c5e9d3a on "
            "mean_ns, 1 worse by more than 10%");
  ASSERT_EQ(second.outcome.findings.size(), 1u);
  const Finding& finding = second.outcome.findings[0];
  EXPECT_EQ(finding.rule, "benchmark.regression");
  EXPECT_EQ(finding.file, "after.json");
  // The machine may be loaded: the figures are whatever was measured.
  std::smatch match;
  ASSERT_TRUE(std::regex_match(finding.message, match,
                               std::regex("bench: mean_ns [0-9.]+ ms, was [0-9.]+ ms in run "
                                          "0c5e9d3a \\(\\+([0-9.]+)% worse, tolerance "
                                          "10%; Welch t = [0-9.]+ > [0-9]+\\.[0-9]+\\)")))
      << finding.message;
  EXPECT_GT(std::stod(match[1]), 100.0);

  // The same on medians (recorded when they are the regression metric).
  const json median = {{"regression", {{"metric", "median_ns"}}}};
  const ReportVerdict first_median = judge(dir.path(), {"before.json"}, median);
  EXPECT_GT(metric(first_median, "benchmark.bench.median_ns"), 2e7);
  const ReportVerdict second_median =
      judge(dir.path(), {"after.json"}, median, baseline_of(first_median));
  EXPECT_EQ(second_median.outcome.status, Status::failed) << second_median.outcome.message;
  ASSERT_EQ(second_median.outcome.findings.size(), 1u);
  EXPECT_NE(second_median.outcome.findings[0].message.find("bench: median_ns "), std::string::npos);
}

TEST(BenchmarkRegression, TheSameCommandSlowerOnlyWithinItsNoiseIsNoRegression) {
  // A command whose runs take 10 or 400 ms in a set order: 4 + 2 in the
  // first hyperfine run (mean about 140 ms), 2 + 4 in the second (about 270
  // ms, some 93 % slower). That is far beyond the 10 % tolerance, but with a
  // spread of about 200 ms over 6 runs each it is within the noise (t about
  // 1.1 against 2.2), and stays so when a loaded machine adds up to a hundred
  // milliseconds to every run of one side (t about 2.0).
  TempDir dir;
  write_file(dir / "durations",
             "0.01\n0.4\n0.01\n0.01\n0.4\n0.01\n"
             "0.4\n0.01\n0.4\n0.4\n0.01\n0.4\n");
  write_file(dir / "n", "0\n");
  write_file(dir / "step.sh",
             "n=$(cat n); echo $((n + 1)) > n; sleep \"$(sed -n \"$((n + 1))p\" durations)\"\n");
  hyperfine(dir, "sh step.sh", 6, "before.json");
  const ReportVerdict first = judge(dir.path(), {"before.json"}, json::object());
  hyperfine(dir, "sh step.sh", 6, "after.json");
  ASSERT_EQ(testing::read_file(dir / "n"), "12\n");
  const ReportVerdict second =
      judge(dir.path(), {"after.json"}, json::object(), baseline_of(first));
  EXPECT_EQ(second.outcome.status, Status::passed) << second.outcome.message;
  EXPECT_TRUE(second.outcome.findings.empty());
  const std::regex within(
      "after.json: 1 benchmarks; regression: 1 benchmarks compared with run 0c5e9d3a on mean_ns, "
      "0 worse by more than 10% and the noise \\(within noise: bench \\+([0-9.]+)%, Welch t = "
      "[0-9.]+ <= [0-9.]+\\)");
  std::smatch match;
  ASSERT_TRUE(std::regex_match(second.outcome.message, match, within)) << second.outcome.message;
  EXPECT_GT(std::stod(match[1]), 10.0);  // the tolerance alone would have failed it

  // Without a spread (one run each), the tolerance alone decides.
  const json one_run = {{"regression", {{"tolerance_percent", 10}}}};
  GateBaseline flat = baseline_of(first);
  for (Metric& m : flat.metrics) {
    if (m.name == "benchmark.bench.samples") m.value = 1;
  }
  const ReportVerdict judged_flat = judge(dir.path(), {"after.json"}, one_run, flat);
  EXPECT_EQ(judged_flat.outcome.status, Status::failed) << judged_flat.outcome.message;
}

TEST(BenchmarkRegression, ThroughputsRegressWhenTheyFall) {
  // items_per_second of BM_MapInsert, 3 repetitions without their rows.
  const json options = {{"regression", {{"metric", "items_per_second"}}}};
  const ReportVerdict first = judge(fixtures(), {"google-benchmark-aggregates-only.json"}, options);
  EXPECT_EQ(metric(first, "benchmark.BM_MapInsert.samples"), 3);
  GateBaseline faster = baseline_of(first);
  for (Metric& m : faster.metrics) {
    if (m.name == "benchmark.BM_MapInsert.items_per_second") m.value *= 2;
  }
  const ReportVerdict verdict =
      judge(fixtures(), {"google-benchmark-aggregates-only.json"}, options, faster);
  EXPECT_EQ(verdict.outcome.status, Status::failed) << verdict.outcome.message;
  ASSERT_EQ(verdict.outcome.findings.size(), 1u);
  EXPECT_NE(verdict.outcome.findings[0].message.find("(+50.0% worse, tolerance 10%)"),
            std::string::npos)
      << verdict.outcome.findings[0].message;
  const ReportVerdict same =
      judge(fixtures(), {"google-benchmark-aggregates-only.json"}, options, baseline_of(first));
  EXPECT_EQ(same.outcome.status, Status::passed) << same.outcome.message;

  // Benchmarks without the figure are counted, not an error, when others have it.
  const json bytes = {{"regression", {{"metric", "bytes_per_second"}}}};
  const ReportVerdict copies = judge(fixtures(), {"google-benchmark.json"}, bytes);
  const ReportVerdict again =
      judge(fixtures(), {"google-benchmark.json"}, bytes,
            GateBaseline{"0c5e9d3a", "", {}, copies.metrics});  // (failed: the errored one)
  EXPECT_EQ(again.outcome.message,
            "google-benchmark.json: 5 benchmarks, 1 errored: BM_NeedsDatabase (could not "
            "connect to the test database); regression: 2 benchmarks compared "
            "with run 0c5e9d3a on bytes_per_second, 0 worse by more than 10%, 2 without "
            "bytes_per_second");
}

TEST(BenchmarkRegression, AnUnknownMetricIsAnErrorNotAPass) {
  const json options = {{"regression", {{"metric", "mean_n"}}}};
  const ReportVerdict verdict = judge(fixtures(), {"hyperfine.json"}, options);
  EXPECT_EQ(verdict.outcome.status, Status::error);
  EXPECT_EQ(verdict.outcome.message,
            "hyperfine.json: 2 benchmarks; regression: no benchmark has the metric 'mean_n' "
            "(benchmark 'sleep 0.01' of hyperfine.json has mean_ns, median_ns, stddev_ns, "
            "min_ns, max_ns, samples, failed_runs, system_ns, user_ns)");
}

TEST(BenchmarkRegression, StudentQuantilesAreTheTabulatedOnes) {
  EXPECT_DOUBLE_EQ(t_quantile_975(1), 12.706);
  EXPECT_DOUBLE_EQ(t_quantile_975(4.9), 2.776);  // rounded down: the stricter value
  EXPECT_DOUBLE_EQ(t_quantile_975(30), 2.042);
  EXPECT_DOUBLE_EQ(t_quantile_975(1000), 1.980);
  EXPECT_DOUBLE_EQ(t_quantile_975(0.5), 12.706);
}

}  // namespace
}  // namespace qgate
