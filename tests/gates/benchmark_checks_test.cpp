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

// Judges `reports` against the passing runs `earlier` (newest first), as
// the store hands them out: at most as many as the gate asks for.
ReportVerdict judge_against(const std::filesystem::path& dir,
                            const std::vector<std::string>& reports, const json& options,
                            const std::vector<GateBaseline>& earlier, int* asked = nullptr) {
  GateConfig gate;
  gate.name = "performance";
  for (const auto& report : reports) gate.reports.push_back({report, ""});
  gate.options = options;
  ReportContext context;
  context.earlier_runs = [&](int count) {
    if (asked != nullptr) *asked = count;
    return std::vector<GateBaseline>(
        earlier.begin(), earlier.begin() + std::min<std::ptrdiff_t>(count, earlier.size()));
  };
  return judge_reports(gate, dir, context);
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

GateBaseline baseline_of(const ReportVerdict& verdict,
                         const std::string& run_id = "0c5e9d3a-7f41-4b7e-9d38-54a1f0e2b6c1") {
  EXPECT_NE(verdict.outcome.status, Status::failed) << verdict.outcome.message;
  return GateBaseline{run_id, "2026-11-22T00:00:00.000Z", verdict.outcome.findings,
                      verdict.metrics};
}

std::filesystem::path noise() { return fixtures() / "noise"; }

// The three runs of the recorded program on the machine as it was, newest first.
std::vector<GateBaseline> quiet_runs(const json& options = json::object()) {
  std::vector<GateBaseline> runs;
  for (const char* run : {"3", "2", "1"}) {
    runs.push_back(baseline_of(judge(noise(), {std::string("baseline-") + run + ".json"}, options),
                               std::string("00000000-0000-4000-8000-00000000000") + run));
  }
  return runs;
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

TEST(BenchmarkRegression, AnUnchangedProgramUnderLoadIsNoRegression) {
  // Recorded: the same program, with two busy loops beside it on two cores.
  // Its wall-clock time nearly tripled (53 us against 17.5 to 20.2); the
  // CPU time its thread ran did not (17.6 us against 17.5).
  const ReportVerdict verdict =
      judge_against(noise(), {"unchanged-under-load.json"}, json::object(), quiet_runs());
  EXPECT_EQ(verdict.outcome.status, Status::passed) << verdict.outcome.message;
  EXPECT_EQ(verdict.outcome.message,
            "unchanged-under-load.json: 1 benchmarks; regression: 1 benchmarks compared with 3 "
            "runs (latest 00000000) on cpu_ns, 0 worse by more than 10% at p < 0.001");
  EXPECT_TRUE(verdict.outcome.findings.empty());

  // Wall-clock time (what the default was) cannot tell that load from a
  // slow-down: every repetition of the run was stretched alike.
  const json wall = {{"regression", {{"metric", "mean_ns"}}}};
  const ReportVerdict on_wall =
      judge_against(noise(), {"unchanged-under-load.json"}, wall, quiet_runs(wall));
  EXPECT_EQ(on_wall.outcome.status, Status::failed) << on_wall.outcome.message;
}

TEST(BenchmarkRegression, ARealSlowdownUnderLoadIsCaught) {
  // Recorded: 1.5 times the work, under the same load.
  const ReportVerdict verdict =
      judge_against(noise(), {"slower-under-load.json"}, json::object(), quiet_runs());
  EXPECT_EQ(verdict.outcome.status, Status::failed) << verdict.outcome.message;
  ASSERT_EQ(verdict.outcome.findings.size(), 1u);
  const Finding& finding = verdict.outcome.findings[0];
  EXPECT_EQ(finding.rule, "benchmark.regression");
  EXPECT_EQ(finding.file, "slower-under-load.json");
  std::smatch match;
  ASSERT_TRUE(std::regex_match(
      finding.message, match,
      std::regex("BM_Xorshift: cpu_ns 25.94 us, was 17.53 us in 3 earlier passing runs "
                 "\\(\\+48.0% worse, tolerance 10%; t = ([0-9.]+) > ([0-9.]+), p < 0.001\\)")))
      << finding.message;
  EXPECT_GT(std::stod(match[1]), 10 * std::stod(match[2]));
  EXPECT_NE(verdict.outcome.message.find("1 worse by more than 10% at p < 0.001"),
            std::string::npos);
}

TEST(BenchmarkRegression, BothTheToleranceAndTheTestMustHold) {
  // Significant (t far beyond the critical value) but within the tolerance.
  const json loose = {{"regression", {{"tolerance_percent", 60}}}};
  const ReportVerdict within_tolerance =
      judge_against(noise(), {"slower-under-load.json"}, loose, quiet_runs());
  EXPECT_EQ(within_tolerance.outcome.status, Status::passed) << within_tolerance.outcome.message;

  // Beyond the tolerance but within how much the baseline runs differ from
  // each other: runs of 11, 14 and 17 us (a noisy machine's history, each
  // with the spread of baseline-1's ten repetitions), now 17.6 us: +25.6 %.
  std::vector<GateBaseline> noisy = quiet_runs();
  const double figures[] = {11e3, 14e3, 17e3};
  for (std::size_t i = 0; i < noisy.size(); ++i) {
    for (Metric& m : noisy[i].metrics) {
      if (m.name == "benchmark.BM_Xorshift.cpu_ns") m.value = figures[i];
    }
  }
  const ReportVerdict within_noise =
      judge_against(noise(), {"baseline-1.json"}, json::object(), noisy);
  EXPECT_EQ(within_noise.outcome.status, Status::passed) << within_noise.outcome.message;
  EXPECT_TRUE(std::regex_search(within_noise.outcome.message,
                                std::regex("0 worse by more than 10% at p < 0.001 \\(within noise: "
                                           "BM_Xorshift \\+25.[0-9]%, t = [0-9.]+ <= [0-9.]+\\)")))
      << within_noise.outcome.message;
  // The same figure against the latest of those runs alone is a regression:
  // one run says nothing of how runs differ.
  const ReportVerdict against_one =
      judge_against(noise(), {"baseline-1.json"}, json::object(), {noisy.front()});
  EXPECT_EQ(against_one.outcome.status, Status::failed) << against_one.outcome.message;
}

TEST(BenchmarkRegression, TooFewSamplesAreNotJudgedAndSaySo) {
  // Recorded with one repetition, under load: wall-clock 48.6 us.
  const json wall = {{"regression", {{"metric", "mean_ns"}}}};
  const ReportVerdict one = judge_against(noise(), {"one-repetition.json"}, wall, quiet_runs(wall));
  EXPECT_EQ(one.outcome.status, Status::passed) << one.outcome.message;
  EXPECT_EQ(one.outcome.message,
            "one-repetition.json: 1 benchmarks; regression: 0 benchmarks compared with 3 runs "
            "(latest 00000000), 0 worse by more than 10% at p < 0.001; regression not judged: "
            "BM_Xorshift: 1 sample, set repetitions >= 10 (--benchmark_repetitions=10)");

  // Baseline runs recorded with fewer repetitions do not count either.
  const json strict = {{"regression", {{"min_samples", 20}}}};
  std::vector<GateBaseline> runs = quiet_runs();
  const ReportVerdict few = judge_against(noise(), {"slower-under-load.json"},
                                          {{"regression", {{"min_samples", 10}}}}, runs);
  EXPECT_EQ(few.outcome.status, Status::failed) << few.outcome.message;
  const ReportVerdict stricter = judge_against(noise(), {"slower-under-load.json"}, strict, runs);
  EXPECT_EQ(stricter.outcome.status, Status::passed) << stricter.outcome.message;
  EXPECT_NE(stricter.outcome.message.find("BM_Xorshift: 10 samples, set repetitions >= 20 "
                                          "(--benchmark_repetitions=20)"),
            std::string::npos)
      << stricter.outcome.message;
  for (GateBaseline& run : runs) {
    for (Metric& m : run.metrics) {
      if (m.name == "benchmark.BM_Xorshift.samples") m.value = 3;
    }
  }
  const ReportVerdict old =
      judge_against(noise(), {"slower-under-load.json"}, json::object(), runs);
  EXPECT_EQ(old.outcome.status, Status::passed) << old.outcome.message;
  EXPECT_NE(
      old.outcome.message.find(
          "regression not judged: BM_Xorshift: no earlier passing run has 10 samples or more"),
      std::string::npos)
      << old.outcome.message;
}

TEST(BenchmarkRegression, AsksForTheConfiguredNumberOfBaselineRuns) {
  int asked = 0;
  judge_against(noise(), {"baseline-1.json"}, json::object(), quiet_runs(), &asked);
  EXPECT_EQ(asked, 5);
  const ReportVerdict two =
      judge_against(noise(), {"slower-under-load.json"}, {{"regression", {{"baseline_runs", 2}}}},
                    quiet_runs(), &asked);
  EXPECT_EQ(asked, 2);
  EXPECT_NE(two.outcome.message.find("compared with 2 runs (latest 00000000)"), std::string::npos)
      << two.outcome.message;
  // Off: the store is not asked at all.
  asked = 0;
  judge_against(noise(), {"baseline-1.json"}, {{"regression", {{"enabled", false}}}}, quiet_runs(),
                &asked);
  EXPECT_EQ(asked, 0);
}

TEST(BenchmarkRegression, TenTimesSlowerFailsAgainstTheBaselineRun) {
  TempDir dir;
  // Ten times slower stays several times slower when a loaded machine adds
  // tens of milliseconds to the runs of either side.
  hyperfine(dir, "sleep 0.02", 5, "before.json");
  const json options = {{"regression", {{"min_samples", 4}}}};
  const ReportVerdict first = judge(dir.path(), {"before.json"}, options);
  EXPECT_EQ(first.outcome.message,
            "before.json: 1 benchmarks; regression: no baseline yet (the first run where the gate "
            "passes records one)");
  // What a later run compares with.
  EXPECT_GT(metric(first, "benchmark.bench.mean_ns"), 2e7);
  EXPECT_GT(metric(first, "benchmark.bench.stddev_ns"), 0);
  EXPECT_EQ(metric(first, "benchmark.bench.samples"), 5);

  hyperfine(dir, "sleep 0.2", 4, "after.json");
  const ReportVerdict second = judge(dir.path(), {"after.json"}, options, baseline_of(first));
  EXPECT_EQ(second.outcome.status, Status::failed) << second.outcome.message;
  EXPECT_EQ(second.outcome.message,
            "after.json: 1 benchmarks; regression: 1 benchmarks compared with run 0c5e9d3a on "
            "mean_ns, 1 worse by more than 10% at p < 0.001");
  ASSERT_EQ(second.outcome.findings.size(), 1u);
  const Finding& finding = second.outcome.findings[0];
  EXPECT_EQ(finding.rule, "benchmark.regression");
  EXPECT_EQ(finding.file, "after.json");
  // The machine may be loaded: the figures are whatever was measured.
  std::smatch match;
  ASSERT_TRUE(std::regex_match(finding.message, match,
                               std::regex("bench: mean_ns [0-9.]+ ms, was [0-9.]+ ms in run "
                                          "0c5e9d3a \\(\\+([0-9.]+)% worse, tolerance "
                                          "10%; t = [0-9.]+ > [0-9]+\\.[0-9]+, p < 0.001\\)")))
      << finding.message;
  EXPECT_GT(std::stod(match[1]), 100.0);

  // The same on medians (recorded when they are the regression metric).
  const json median = {{"regression", {{"metric", "median_ns"}, {"min_samples", 4}}}};
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
  // 1.1 against 4.8 at p < 0.001).
  TempDir dir;
  write_file(dir / "durations",
             "0.01\n0.4\n0.01\n0.01\n0.4\n0.01\n"
             "0.4\n0.01\n0.4\n0.4\n0.01\n0.4\n");
  write_file(dir / "n", "0\n");
  write_file(dir / "step.sh",
             "n=$(cat n); echo $((n + 1)) > n; sleep \"$(sed -n \"$((n + 1))p\" durations)\"\n");
  const json options = {{"regression", {{"min_samples", 6}}}};
  hyperfine(dir, "sh step.sh", 6, "before.json");
  const ReportVerdict first = judge(dir.path(), {"before.json"}, options);
  hyperfine(dir, "sh step.sh", 6, "after.json");
  ASSERT_EQ(testing::read_file(dir / "n"), "12\n");
  const ReportVerdict second = judge(dir.path(), {"after.json"}, options, baseline_of(first));
  EXPECT_EQ(second.outcome.status, Status::passed) << second.outcome.message;
  EXPECT_TRUE(second.outcome.findings.empty());
  const std::regex within(
      "after.json: 1 benchmarks; regression: 1 benchmarks compared with run 0c5e9d3a on mean_ns, "
      "0 worse by more than 10% at p < 0.001 \\(within noise: bench \\+([0-9.]+)%, t = "
      "[0-9.]+ <= [0-9.]+\\)");
  std::smatch match;
  ASSERT_TRUE(std::regex_match(second.outcome.message, match, within)) << second.outcome.message;
  EXPECT_GT(std::stod(match[1]), 10.0);  // the tolerance alone would have failed it

  // A baseline of one sample says nothing of the noise: not judged, not failed.
  GateBaseline flat = baseline_of(first);
  for (Metric& m : flat.metrics) {
    if (m.name == "benchmark.bench.samples") m.value = 1;
  }
  const ReportVerdict judged_flat = judge(dir.path(), {"after.json"}, options, flat);
  EXPECT_EQ(judged_flat.outcome.status, Status::passed) << judged_flat.outcome.message;
  EXPECT_NE(judged_flat.outcome.message.find(
                "regression not judged: bench: no earlier passing run has 6 samples or more"),
            std::string::npos)
      << judged_flat.outcome.message;
}

TEST(BenchmarkRegression, ThroughputsRegressWhenTheyFall) {
  // items_per_second of BM_MapInsert: one figure per run, without a spread
  // within the run, so judged against how three earlier runs differ (1 %:
  // with three runs, t must pass 22.3 at p < 0.001).
  const json options = {{"regression", {{"metric", "items_per_second"}}}};
  const ReportVerdict first = judge(fixtures(), {"google-benchmark-aggregates-only.json"}, options);
  EXPECT_EQ(metric(first, "benchmark.BM_MapInsert.samples"), 3);
  std::vector<GateBaseline> faster;
  for (const double factor : {2.0, 2.02, 1.98}) {
    faster.push_back(baseline_of(first));
    for (Metric& m : faster.back().metrics) {
      if (m.name == "benchmark.BM_MapInsert.items_per_second") m.value *= factor;
    }
  }
  const ReportVerdict verdict =
      judge_against(fixtures(), {"google-benchmark-aggregates-only.json"}, options, faster);
  EXPECT_EQ(verdict.outcome.status, Status::failed) << verdict.outcome.message;
  ASSERT_EQ(verdict.outcome.findings.size(), 1u);
  EXPECT_NE(verdict.outcome.findings[0].message.find("(+50.0% worse, tolerance 10%; t = "),
            std::string::npos)
      << verdict.outcome.findings[0].message;
  // Two runs are too few to know how runs differ.
  faster.pop_back();
  const ReportVerdict two =
      judge_against(fixtures(), {"google-benchmark-aggregates-only.json"}, options, faster);
  EXPECT_EQ(two.outcome.status, Status::passed) << two.outcome.message;
  EXPECT_NE(two.outcome.message.find("regression not judged: BM_MapInsert: items_per_second has "
                                     "no spread within a run, and 2 earlier passing runs are too "
                                     "few to measure it (needs 3)"),
            std::string::npos)
      << two.outcome.message;

  // Benchmarks without the figure are counted, not an error, when others have it.
  const json bytes = {{"regression", {{"metric", "bytes_per_second"}}}};
  const ReportVerdict copies = judge(fixtures(), {"google-benchmark.json"}, bytes);
  const ReportVerdict again =
      judge(fixtures(), {"google-benchmark.json"}, bytes,
            GateBaseline{"0c5e9d3a", "", {}, copies.metrics});  // (failed: the errored one)
  EXPECT_EQ(again.outcome.message,
            "google-benchmark.json: 5 benchmarks, 1 errored: BM_NeedsDatabase (could not "
            "connect to the test database); regression: 0 benchmarks compared "
            "with run 0c5e9d3a, 0 worse by more than 10% at p < 0.001, 2 without its metric; "
            "regression not judged: BM_StringCopy/8, BM_StringCopy/4096: bytes_per_second has "
            "no spread within a run, and 1 earlier passing run is too few to measure it "
            "(needs 3)");
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
  EXPECT_NEAR(t_quantile(0.975, 1), 12.706, 1e-3);
  EXPECT_NEAR(t_quantile(0.975, 30), 2.042, 1e-3);
  EXPECT_NEAR(t_quantile(0.999, 4), 7.173, 1e-3);
  EXPECT_NEAR(t_quantile(0.999, 10), 4.144, 1e-3);
  EXPECT_NEAR(t_quantile(0.999, 1e6), 3.090, 1e-3);
  EXPECT_NEAR(t_quantile(0.999, 0.5), t_quantile(0.999, 1), 1e-9);  // below 1: as 1
}

}  // namespace
}  // namespace qgate
