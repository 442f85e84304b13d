// Gates that read the reports their steps wrote, end to end through the qgate
// binary, on fixtures real tools produced (tests/fixtures/).
#include "gates/report_checks.hpp"

#include <gtest/gtest.h>

#include <regex>

#include "tests/test_support.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;
using testing::run_command;
using testing::TempDir;
using testing::write_file;

fs::path fixture(const std::string& relative) {
  return testing::source_dir() / "tests/fixtures" / relative;
}

// A module whose step "produces" the report by copying a real tool's output.
void write_module(const TempDir& dir, const std::string& gate, const std::string& requirement,
                  const std::string& fixture_file, const std::string& thresholds) {
  fs::copy_file(fixture(fixture_file), dir / "tool-output");
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements:\n  " +
                 std::string(gate == "lint" ? "code_quality" : "testing") + ": [ {" + requirement +
                 ": true} ]\ngates:\n  " + gate +
                 ":\n    steps: [ {name: tool, run: 'cp tool-output out/report'} ]\n"
                 "    reports: [out/report]\n" +
                 thresholds);
  fs::create_directories(dir / "out");
}

std::string qgate() { return "'" + testing::qgate_binary().string() + "'"; }

TEST(ReportGates, FailingTestInAGoogleTestReportFailsUnitTests) {
  TempDir dir;
  write_module(dir, "test-coverage", "unit_tests_passing", "junit/gtest.xml", "");
  const auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(std::regex_search(result.output,
                                std::regex("unit_tests_passing +test-coverage +yes +failed "
                                           ".*out/report: [0-9]+ tests, [1-9][0-9]* failed")))
      << result.output;
}

TEST(ReportGates, CoverageBelowTheThresholdFailsAndAbovePasses) {
  {
    TempDir dir;  // gcovr measured 63.6 % of lines; the default minimum is 80 %
    write_module(dir, "test-coverage", "unit_tests_passing", "coverage/gcovr.xml", "");
    const auto result = run_command(qgate() + " check --ci", dir.path());
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find("63.6% of lines (minimum 80.0%)"), std::string::npos)
        << result.output;
  }
  {
    TempDir dir;
    write_module(dir, "test-coverage", "unit_tests_passing", "coverage/gcovr.xml",
                 "    coverage: {min_lines: 60}\n");
    const auto result = run_command(qgate() + " check --ci --report json=r.json", dir.path());
    EXPECT_EQ(result.exit_code, 0) << result.output;
    const std::string json = testing::read_file(dir / "r.json");
    EXPECT_NE(json.find("\"coverage.lines\""), std::string::npos);
  }
}

TEST(ReportGates, TheChangeOfLineCoverageSinceTheBaselineIsShownAndMaxDropFailsADrop) {
  // gcovr measured 63.6 % of lines (7 of 11); the baseline had 69.5 %.
  GateConfig gate;
  gate.name = "test-coverage";
  gate.reports = {{"coverage/gcovr.xml", ""}};
  gate.options = {{"coverage", {{"min_lines", 50}}}};
  ReportContext context;
  context.reference.baseline =
      GateBaseline{"1a2b3c4d-run", "", {}, {{"coverage.lines", 69.5, "%"}}, "", "run 1a2b3c4d"};
  const auto fixtures = testing::source_dir() / "tests/fixtures";
  ReportVerdict verdict = judge_reports(gate, fixtures, context);
  EXPECT_EQ(verdict.outcome.status, Status::passed) << verdict.outcome.message;
  EXPECT_EQ(verdict.outcome.message,
            "coverage/gcovr.xml: 63.6% of lines, down 5.9 points from 69.5% in run 1a2b3c4d, "
            "33.3% of branches");
  bool change_recorded = false;
  for (const Metric& metric : verdict.metrics) {
    if (metric.name == "coverage.lines_change") {
      change_recorded = true;
      EXPECT_NEAR(metric.value, 63.636 - 69.5, 0.01);
    }
  }
  EXPECT_TRUE(change_recorded);

  gate.options["coverage"]["max_drop"] = 5;
  verdict = judge_reports(gate, fixtures, context);
  EXPECT_EQ(verdict.outcome.status, Status::failed);
  EXPECT_EQ(verdict.outcome.message,
            "coverage/gcovr.xml: 63.6% of lines, down 5.9 points from 69.5% in run 1a2b3c4d "
            "(max_drop 5), 33.3% of branches");

  gate.options["coverage"]["max_drop"] = 6;
  EXPECT_EQ(judge_reports(gate, fixtures, context).outcome.status, Status::passed);

  // Without a baseline a limit cannot be judged, and says so.
  verdict = judge_reports(gate, fixtures, ReportContext{});
  EXPECT_EQ(verdict.outcome.status, Status::passed);
  EXPECT_EQ(verdict.outcome.message,
            "coverage/gcovr.xml: 63.6% of lines, change not judged (no recorded baseline with "
            "line coverage), 33.3% of branches");
}

TEST(ReportGates, ACoverageDropSinceTheLastRunFailsWithMaxDrop) {
  // 100 % of lines, then an untested function: gcc --coverage and gcovr in
  // the gate's step, as a C project measures itself.
  TempDir dir;
  write_file(dir / "main.c",
             "int add(int a, int b);\nint main(void) { return add(1, 2) == 3 ? 0 : 1; }\n");
  write_file(dir / "calc.c", "int add(int a, int b) {\n  return a + b;\n}\n");
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements:\n  testing: [ {unit_tests_passing: true} ]\n"
             "gates:\n  test-coverage:\n"
             "    steps: [ {name: unit, run: 'rm -f *.gcda && gcc --coverage -O0 -o prog main.c "
             "calc.c && ./prog && gcovr -r . --cobertura coverage.xml .'} ]\n"
             "    reports: [coverage.xml]\n    coverage: {min_lines: 50, max_drop: 2}\n");
  auto result = run_command(qgate() + " check --ci --no-color", dir.path());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("coverage.xml: 100.0% of lines, change not judged"),
            std::string::npos)
      << result.output;

  write_file(dir / "calc.c",
             "int add(int a, int b) {\n  return a + b;\n}\n\nint sub(int a, int b) {\n"
             "  int d = a - b;\n  return d;\n}\n");
  result = run_command(qgate() + " check --ci --no-color", dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(std::regex_search(
      result.output, std::regex("coverage.xml: [0-9.]+% of lines, down [0-9.]+ points from "
                                "100.0% in run [0-9a-f]{8} \\(max_drop 2\\)")))
      << result.output;
}

TEST(ReportGates, LintFindingsFailAtOrAboveTheSetSeverity) {
  {
    TempDir dir;
    write_module(dir, "lint", "linting_rules_followed", "findings/shellcheck.checkstyle.xml", "");
    const auto result = run_command(qgate() + " check --ci", dir.path());
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_TRUE(std::regex_search(result.output, std::regex("out/report: [1-9][0-9]* findings")));
  }
  {
    TempDir dir;  // nothing reaches critical
    write_module(dir, "lint", "linting_rules_followed", "findings/shellcheck.checkstyle.xml",
                 "    fail_on: critical\n");
    const auto result = run_command(qgate() + " check --ci", dir.path());
    EXPECT_EQ(result.exit_code, 0) << result.output;
  }
}

TEST(ReportGates, MissingOrMalformedReportIsAnErrorNamingTheFile) {
  TempDir dir;
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements:\n  testing: [ {unit_tests_passing: true} ]\n"
             "gates:\n  test-coverage:\n    steps: [ {name: t, run: 'printf "
             "\"<testsuites><testsuite\" > cut.xml'} ]\n"
             "    reports: [cut.xml, never-written.xml]\n");
  const auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(
      std::regex_search(result.output, std::regex("unit_tests_passing +test-coverage +yes +error")))
      << result.output;
  EXPECT_NE(result.output.find("cut.xml: "), std::string::npos);
  EXPECT_NE(result.output.find("never-written.xml: not written by the gate's steps"),
            std::string::npos);
}

TEST(ReportGates, JudgesEveryKindOfReportDirectly) {
  GateConfig gate;
  gate.name = "security";
  gate.reports = {{"audit/npm-audit-stubbed-advisories.json", ""},
                  {"audit/npm-audit-clean.json", ""},
                  {"findings/eslint.sarif", ""},
                  {"benchmark/google-benchmark.json", ""}};
  const ReportVerdict verdict = judge_reports(gate, testing::source_dir() / "tests/fixtures");
  EXPECT_EQ(verdict.outcome.status, Status::failed) << verdict.outcome.message;
  // Exact figures of the fixtures (see their README files).
  EXPECT_EQ(verdict.outcome.message,
            "audit/npm-audit-stubbed-advisories.json: 5 vulnerable dependencies, 5 at or above "
            "low; audit/npm-audit-clean.json: 0 vulnerable dependencies, 0 at or above low; "
            "findings/eslint.sarif: 7 findings, 6 at or above low; "
            "benchmark/google-benchmark.json: 5 benchmarks, 1 errored: BM_NeedsDatabase (could not "
            "connect to the test database); "
            "regression: no baseline yet (the first run where the gate passes records one)");
  EXPECT_EQ(verdict.outcome.findings.size(), 12u);  // 5 vulnerabilities + 7 findings
  // The findings count, and mean, standard deviation, samples and CPU time
  // (the regression figure) of 4 benchmarks.
  EXPECT_EQ(verdict.metrics.size(), 17u);
}

TEST(ReportGates, EveryFileBelowThePerFileMinimumFailsByName) {
  // gcovr measured calc.cpp at 80 % and clamp.cpp at 50 % of lines.
  GateConfig gate;
  gate.name = "test-coverage";
  gate.reports = {{"coverage/gcovr.xml", ""}};
  gate.options = {{"coverage", {{"min_lines", 0}, {"min_file_lines", 60}}}};
  const auto fixtures = testing::source_dir() / "tests/fixtures";
  const ReportVerdict failed = judge_reports(gate, fixtures);
  EXPECT_EQ(failed.outcome.status, Status::failed);
  EXPECT_EQ(failed.outcome.message,
            "coverage/gcovr.xml: 63.6% of lines, 33.3% of branches; coverage/gcovr.xml: 1 of 2 "
            "files below 60.0% of lines (clamp.cpp 50.0%)");
  ASSERT_EQ(failed.outcome.findings.size(), 1u);
  EXPECT_EQ(failed.outcome.findings[0].rule, "coverage.file-below-minimum");
  EXPECT_EQ(failed.outcome.findings[0].file, "clamp.cpp");
  EXPECT_EQ(failed.outcome.findings[0].message, "clamp.cpp: 50.0% of lines (minimum 60.0%)");
  EXPECT_FALSE(failed.outcome.findings[0].fingerprint.empty());

  gate.options["coverage"]["min_file_lines"] = 50;
  const ReportVerdict passed = judge_reports(gate, fixtures);
  EXPECT_EQ(passed.outcome.status, Status::passed);
  EXPECT_EQ(passed.outcome.message,
            "coverage/gcovr.xml: 63.6% of lines, 33.3% of branches; coverage/gcovr.xml: each of 2 "
            "files has at least 50.0% of lines");
}

TEST(ReportGates, AnErroredBenchmarkIsNamedWithItsErrorInEveryReport) {
  // string_bench's BM_NeedsDatabase called SkipWithError.
  TempDir dir;
  write_module(dir, "performance", "performance_benchmarks_met", "benchmark/google-benchmark.json",
               "    regression: {enabled: false}\n");
  const auto result =
      run_command(qgate() + " check --ci --report json=r.json --report markdown=r.md", dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  const std::string named =
      "out/report: 5 benchmarks, 1 errored: BM_NeedsDatabase (could not connect to the test "
      "database)";
  EXPECT_NE(result.output.find(named), std::string::npos) << result.output;
  EXPECT_NE(testing::read_file(dir / "r.json").find(named), std::string::npos);
  EXPECT_NE(testing::read_file(dir / "r.md")
                .find("BM_NeedsDatabase (could not connect to the "
                      "test database)"),
            std::string::npos)
      << testing::read_file(dir / "r.md");
}

}  // namespace
}  // namespace qgate
