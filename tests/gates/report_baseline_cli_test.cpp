// The baseline of a gate end to end: the real qgate binary runs `qgate check`
// on a module several times with its SQLite store, and each run is judged
// against the latest earlier run where the gate passed (only-new findings,
// benchmark regressions). The reports come from shellcheck and hyperfine run
// by the gates' steps.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <regex>

#include "tests/test_support.hpp"

namespace qgate {
namespace {

using testing::run_command;
using testing::TempDir;
using testing::write_file;

std::string qgate() { return "'" + testing::qgate_binary().string() + "'"; }

// Runs `qgate check` in `dir` with a JSON report; returns its exit code and
// output, and the report in `report`.
testing::CommandResult check(const TempDir& dir, nlohmann::json& report) {
  const auto result =
      run_command(qgate() + " check --ci --no-color --report json=r.json", dir.path());
  report = nlohmann::json::parse(testing::read_file(dir / "r.json"), nullptr, false);
  return result;
}

// Counts the findings of gate `gate` in a JSON report whose baseline is `which`.
int count_baseline(const nlohmann::json& report, const std::string& gate,
                   const std::string& which) {
  int count = 0;
  if (!report.is_object()) return -1;
  for (const auto& g : report.at("gates")) {
    if (g.at("name") != gate) continue;
    for (const auto& finding : g.at("findings")) count += finding.value("baseline", "") == which;
  }
  return count;
}

// The lint gate's configuration: shellcheck's report judged at info.
std::string lint_config(bool only_new) {
  // shellcheck exits 1 when it finds anything: the step keeps its report and
  // lets the report decide.
  return std::string(
             "integration_requirements:\n  code_quality: [ {linting_rules_followed: true} ]\n"
             "gates:\n  lint:\n"
             "    steps: [ {name: shellcheck, run: 'shellcheck -f checkstyle script.sh > "
             "shellcheck.xml || test $? -eq 1'} ]\n"
             "    reports: [shellcheck.xml]\n    fail_on: info\n") +
         (only_new ? "    only_new: true\n" : "");
}

TEST(GateBaselines, SwitchingOnlyNewOnComparesWithTheRunsRecordedBeforeIt) {
  TempDir dir;
  write_file(dir / "integration-requirements.yaml", lint_config(false));
  const std::string script = "echo $1\ncd /tmp\nls $HOME\n";
  write_file(dir / "script.sh", "#!/bin/sh\n" + script);
  nlohmann::json report;

  // Without only_new the three findings fail the gate, and are recorded all the same.
  auto result = check(dir, report);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("shellcheck.xml: 3 findings, 3 at or above info"), std::string::npos)
      << result.output;

  // Switched on: the run before is the baseline at once, none of the three is new.
  write_file(dir / "integration-requirements.yaml", lint_config(true));
  result = check(dir, report);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(std::regex_search(result.output,
                                std::regex("shellcheck.xml: 3 findings \\(0 new, 3 existing in the "
                                           "baseline, run [0-9a-f]{8}\\), 0 new at or above info")))
      << result.output;
  EXPECT_EQ(count_baseline(report, "lint", "existing"), 3);

  // The code moves 20 lines down: the same three findings, none new.
  std::string moved = "#!/bin/sh\n";
  for (int i = 0; i < 20; ++i) moved += ": step " + std::to_string(i) + "\n";
  write_file(dir / "script.sh", moved + script);
  result = check(dir, report);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("(0 new, 3 existing in the baseline"), std::string::npos)
      << result.output;

  // One finding added: it alone is new, and fails the gate.
  write_file(dir / "script.sh", moved + script + "echo $2\n");
  result = check(dir, report);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("shellcheck.xml: 4 findings (1 new, 3 existing in the baseline"),
            std::string::npos)
      << result.output;
  EXPECT_EQ(count_baseline(report, "lint", "new"), 1);
  EXPECT_EQ(count_baseline(report, "lint", "existing"), 3);

  // The failed only-new run is no baseline: the next one is still judged
  // against the last passing one.
  result = check(dir, report);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("(1 new, 3 existing in the baseline"), std::string::npos)
      << result.output;
}

TEST(GateBaselines, ABenchmarkSlowerThanInTheLastPassingRunFails) {
  TempDir dir;
  // The step times `sleep` for as long as the file delay says, as "bench".
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements:\n  testing: [ {performance_benchmarks_met: true} ]\n"
             "gates:\n  performance:\n"
             "    steps: [ {name: hyperfine, run: 'hyperfine -N --style none --runs 3 "
             "--command-name bench --export-json bench.json \"sleep $(cat delay)\"'} ]\n"
             "    reports: [bench.json]\n"
             // Six times slower fails all the same; the same command again
             // passes even when a loaded machine adds tens of milliseconds.
             "    regression: {tolerance_percent: 100, min_samples: 3}\n");
  nlohmann::json report;
  write_file(dir / "delay", "0.05\n");
  auto result = check(dir, report);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("regression: no baseline yet"), std::string::npos) << result.output;

  write_file(dir / "delay", "0.3\n");
  result = check(dir, report);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(std::regex_search(
      result.output, std::regex("regression: 1 benchmarks compared with run [0-9a-f]{8} on "
                                "mean_ns, 1 worse by more than 100% at p < 0.001")))
      << result.output;
  ASSERT_TRUE(report.is_object());
  const auto& findings = report.at("gates").at(0).at("findings");
  ASSERT_EQ(findings.size(), 1u) << findings.dump();
  EXPECT_EQ(findings[0].at("rule"), "benchmark.regression");
  EXPECT_TRUE(std::regex_search(findings[0].at("message").get<std::string>(),
                                std::regex("^bench: mean_ns [0-9.]+ ms, was [0-9.]+ ms in run")));

  // Back to the first speed: compared with the first run, not the failed one.
  write_file(dir / "delay", "0.05\n");
  result = check(dir, report);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(std::regex_search(
      result.output, std::regex("regression: 1 benchmarks compared with run [0-9a-f]{8} on "
                                "mean_ns, 0 worse by more than 100% at p < 0.001")))
      << result.output;
}

TEST(GateBaselines, BenchmarksAreJudgedAgainstSeveralEarlierPassingRuns) {
  // The step hands over recorded Google Benchmark reports of one program:
  // three runs on the machine as it was, then 1.5 times the work under load,
  // then the same program under load again.
  TempDir dir;
  const auto noise = testing::source_dir() / "tests/fixtures/benchmark/noise";
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements:\n  testing: [ {performance_benchmarks_met: true} ]\n"
             "gates:\n  performance:\n"
             "    steps: [ {name: bench, run: 'cp \"" +
                 noise.string() +
                 "/$(cat which).json\" bench.json'} ]\n"
                 "    reports: [bench.json]\n"
                 "    regression: {baseline_runs: 3}\n");
  nlohmann::json report;
  const auto run = [&](const std::string& which) {
    write_file(dir / "which", which + "\n");
    return check(dir, report);
  };
  auto result = run("baseline-1");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("regression: no baseline yet"), std::string::npos) << result.output;
  result = run("baseline-2");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(std::regex_search(result.output,
                                std::regex("compared with run [0-9a-f]{8} on cpu_ns, 0 worse")))
      << result.output;
  result = run("baseline-3");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(std::regex_search(
      result.output,
      std::regex("compared with 2 runs \\(latest [0-9a-f]{8}\\) on cpu_ns, 0 worse")))
      << result.output;
  result = run("slower-under-load");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("was 17.53 us in 3 earlier passing runs (+48.0% worse"),
            std::string::npos)
      << result.output;
  // The failed run is no baseline: three earlier passing runs still.
  result = run("unchanged-under-load");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(std::regex_search(
      result.output,
      std::regex("compared with 3 runs \\(latest [0-9a-f]{8}\\) on cpu_ns, 0 worse")))
      << result.output;
  // Four passing runs now, of which the gate asks for the latest three.
  result = run("baseline-1");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(std::regex_search(result.output, std::regex("compared with 3 runs")))
      << result.output;
}

}  // namespace
}  // namespace qgate
