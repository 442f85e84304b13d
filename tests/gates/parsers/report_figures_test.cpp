// Impossible figures in a report (coverage of 10,000 %, negative times) are a
// report error naming the file, never a pass: real reports edited as a forged
// or broken one would be.
#include <gtest/gtest.h>

#include <string>

#include "gates/report_reader.hpp"
#include "tests/gates/parsers/parser_fixtures.hpp"

namespace qgate {
namespace {

using testing::expect_report_error;
using testing::fixture_path;
using testing::read_file;
using testing::TempDir;
using testing::write_in;

// Writes `fixture` into `dir` with the first `from` replaced by `to`.
std::filesystem::path edited_copy(const TempDir& dir, const std::string& fixture,
                                  const std::string& from, const std::string& to) {
  std::string text = read_file(fixture_path(fixture));
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return write_in(dir, std::filesystem::path(fixture).filename().string(), text);
}

auto read_detected = [](const std::filesystem::path& file) { return read_report(file); };

TEST(ReportFigures, CoverageOfTenThousandPercentIsAReportError) {
  TempDir dir;  // 11 of 12 statements covered, made 1200 of 12
  const auto file = edited_copy(dir, "coverage/coverage-py.json", "\"covered_lines\": 11,",
                                "\"covered_lines\": 1200,");
  expect_report_error(read_detected, file, "impossible figures: 1200 of 12 lines covered in ");
}

TEST(ReportFigures, ANegativeStatementCountIsAReportError) {
  TempDir dir;
  const auto file = edited_copy(dir, "coverage/coverage-py.json", "\"num_statements\": 12,",
                                "\"num_statements\": -12,");
  expect_report_error(read_detected, file, "impossible figures: 11 of -12 lines covered");
}

TEST(ReportFigures, ANegativeBenchmarkTimeIsAReportError) {
  TempDir dir;
  const auto file = edited_copy(dir, "benchmark/hyperfine.json", "\"mean\": 0.011004440600000002",
                                "\"mean\": -0.011004440600000002");
  expect_report_error(read_detected, file, "impossible figures: the mean time of ");
}

TEST(ReportFigures, RealReportsHaveNoImpossibleFigure) {
  for (const char* fixture :
       {"coverage/coverage-py.json", "coverage/gcovr.xml", "benchmark/hyperfine.json",
        "benchmark/google-benchmark.json", "junit/pytest.xml", "findings/eslint.sarif"}) {
    EXPECT_NO_THROW(read_report(fixture_path(fixture))) << fixture;
  }
}

}  // namespace
}  // namespace qgate
