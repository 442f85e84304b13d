// A report counts only if this run wrote it: files left by an earlier run (or
// committed) are an error naming their time, unless `fresh: false`. Through
// the qgate binary, on reports real tools wrote (tests/fixtures/).
#include <gtest/gtest.h>

#include <regex>

#include "tests/test_support.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;
using testing::run_command;
using testing::TempDir;
using testing::write_file;

std::string qgate() { return "TZ=UTC '" + testing::qgate_binary().string() + "'"; }

// A module whose step writes nothing: `report` is whatever lies in build/,
// copied from `fixture` and dated 2020-03-01.
void write_idle_module(const TempDir& dir, const std::string& fixture, const std::string& report) {
  fs::create_directories(dir / "build");
  fs::copy_file(testing::source_dir() / "tests/fixtures" / fixture, dir / "build/report.xml");
  const auto touched = run_command("touch -d '2020-03-01 10:00 UTC' build/report.xml", dir.path());
  ASSERT_EQ(touched.exit_code, 0) << touched.output;
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements:\n  testing: [ {unit_tests_passing: true} ]\n"
             "gates:\n  test-coverage:\n    steps: [ {name: unit, run: 'true'} ]\n"
             "    reports: [" +
                 report + "]\n    coverage: {min_lines: 60}\n");
}

TEST(ReportFreshness, AnOldPassingReportNoLongerPassesWhenNoStepWroteIt) {
  TempDir dir;  // gcovr measured 63.6 %: a pass, had this run measured it
  write_idle_module(dir, "coverage/gcovr.xml", "build/report.xml");
  const auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(
      std::regex_search(result.output, std::regex("unit_tests_passing +test-coverage +yes +error")))
      << result.output;
  EXPECT_TRUE(std::regex_search(
      result.output, std::regex("build/report.xml was not written by this run: last written "
                                "2020-03-01 10:00:00, steps started 20[0-9-]+ [0-9:]+")))
      << result.output;
  EXPECT_EQ(result.output.find("63.6% of lines"), std::string::npos) << result.output;
}

TEST(ReportFreshness, AnOldFailingTestReportIsNotReadAsThisRunsTests) {
  TempDir dir;
  write_idle_module(dir, "junit/ctest.xml", "build/report.xml");
  const auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("build/report.xml was not written by this run"), std::string::npos)
      << result.output;
  EXPECT_EQ(result.output.find(" failed, "), std::string::npos) << result.output;
}

TEST(ReportFreshness, FreshFalseJudgesAKeptReport) {
  TempDir dir;
  write_idle_module(dir, "coverage/gcovr.xml", "{path: build/report.xml, fresh: false}");
  const auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("63.6% of lines"), std::string::npos) << result.output;
}

TEST(ReportFreshness, AReportAStepRewritesAtOnceCounts) {
  // Written within the same clock tick as the step's start, many times over:
  // the start is taken as the file system stamps files.
  TempDir dir;
  fs::copy_file(testing::source_dir() / "tests/fixtures/coverage/gcovr.xml", dir / "gcovr.xml");
  std::string steps;
  std::string reports;
  for (int i = 0; i < 8; ++i) {
    const std::string n = std::to_string(i);
    steps += "      - {name: s" + n + ", run: 'cp gcovr.xml r" + n + ".xml'}\n";
    reports += (i > 0 ? ", r" : "r") + n + ".xml";
  }
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements:\n  testing: [ {unit_tests_passing: true} ]\n"
             "gates:\n  test-coverage:\n    steps:\n" +
                 steps + "    reports: [" + reports + "]\n    coverage: {min_lines: 60}\n");
  const auto result = run_command(qgate() + " check --ci -j 8", dir.path());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output.find("not written by this run"), std::string::npos) << result.output;
}

TEST(ReportFreshness, AGateWithoutStepsHasNoFreshReport) {
  TempDir dir;
  fs::copy_file(testing::source_dir() / "tests/fixtures/coverage/gcovr.xml", dir / "gcovr.xml");
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements:\n  testing: [ {unit_tests_passing: true} ]\n"
             "gates:\n  test-coverage:\n    reports: [gcovr.xml]\n"
             "    coverage: {min_lines: 60}\n");
  const auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("gcovr.xml was not written by this run: no step of "
                               "gates.test-coverage ran"),
            std::string::npos)
      << result.output;
}

}  // namespace
}  // namespace qgate
