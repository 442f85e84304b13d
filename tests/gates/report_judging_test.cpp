// What the judging of a gate's reports never skips: a threshold on a figure a
// report does not hold fails the requirement, naming the report. Through the
// qgate binary, on a report a real tool wrote (tests/fixtures/).
#include <gtest/gtest.h>

#include <regex>

#include "tests/test_support.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;
using testing::run_command;
using testing::TempDir;
using testing::write_file;

std::string qgate() { return "'" + testing::qgate_binary().string() + "'"; }

// A module whose step writes coverage.py's line-only Cobertura report (no
// branch data) as build/coverage.xml, judged with `coverage`.
void write_coverage_module(const TempDir& dir, const std::string& coverage) {
  fs::copy_file(testing::source_dir() / "tests/fixtures/coverage/coverage-py-lines.xml",
                dir / "lines.xml");
  write_file(
      dir / "integration-requirements.yaml",
      "integration_requirements:\n  testing: [ {unit_tests_passing: true} ]\n"
      "gates:\n  test-coverage:\n"
      "    steps: [ {name: unit, run: 'mkdir -p build && cp lines.xml build/coverage.xml'} ]\n"
      "    reports: [build/coverage.xml]\n    coverage: " +
          coverage + "\n");
}

TEST(ReportJudging, MinBranchesOnAReportWithoutBranchDataFailsNamingIt) {
  TempDir dir;
  write_coverage_module(dir, "{min_lines: 80, min_branches: 50}");
  const auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(std::regex_search(result.output,
                                std::regex("unit_tests_passing +test-coverage +yes +failed")))
      << result.output;
  EXPECT_NE(result.output.find("93.2% of lines, no branch data in build/coverage.xml"),
            std::string::npos)
      << result.output;
}

TEST(ReportJudging, TheSameReportPassesWhenNoBranchMinimumIsSet) {
  TempDir dir;
  write_coverage_module(dir, "{min_lines: 80}");
  const auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output.find("no branch data"), std::string::npos) << result.output;
}

TEST(ReportJudging, CoverageAboveAHundredPercentIsAnErrorNotAPass) {
  TempDir dir;  // coverage.py's 11 of 12 statements of one file, forged to 1200 of 12
  std::string text =
      testing::read_file(testing::source_dir() / "tests/fixtures/coverage/coverage-py.json");
  const std::string real = "\"covered_lines\": 11,";
  ASSERT_NE(text.find(real), std::string::npos);
  text.replace(text.find(real), real.size(), "\"covered_lines\": 1200,");
  write_file(dir / "forged.json", text);
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements:\n  testing: [ {unit_tests_passing: true} ]\n"
             "gates:\n  test-coverage:\n"
             "    steps: [ {name: unit, run: 'cp forged.json coverage.json'} ]\n"
             "    reports: [coverage.json]\n");
  const auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(
      std::regex_search(result.output, std::regex("unit_tests_passing +test-coverage +yes +error")))
      << result.output;
  EXPECT_NE(result.output.find("coverage.json: impossible figures: 1200 of 12 lines covered"),
            std::string::npos)
      << result.output;
}

}  // namespace
}  // namespace qgate
