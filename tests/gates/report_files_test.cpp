// What a module lists as a report is read only if it is a regular file of a
// bounded size: a link to a device, a FIFO or a folder is an error saying
// what it is, never opened; a file over settings.reports.max_megabytes is an
// error naming its size. Through the qgate binary, each run bounded by
// `timeout` so that a hang fails the test instead of stalling it.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <regex>

#include "tests/test_support.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;
using testing::run_command;
using testing::TempDir;
using testing::write_file;

std::string qgate() { return "timeout -s KILL 30 '" + testing::qgate_binary().string() + "'"; }

void write_module(const TempDir& dir, const std::string& settings = "") {
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements:\n  testing: [ {unit_tests_passing: true} ]\n" + settings +
                 "gates:\n  test-coverage:\n"
                 "    steps: [ {name: unit, run: 'true'} ]\n"
                 "    reports: [ {path: junit.xml, fresh: false} ]\n");
}

TEST(ReportFiles, ALinkToADeviceIsRefusedUnread) {
  TempDir dir;
  write_module(dir);
  fs::create_symlink("/dev/zero", dir / "junit.xml");
  const auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("junit.xml: is a character device, not a regular file"),
            std::string::npos)
      << result.output;
}

TEST(ReportFiles, AFifoIsRefusedWithoutWaitingForAWriter) {
  TempDir dir;
  write_module(dir);
  ASSERT_EQ(::mkfifo((dir / "junit.xml").c_str(), 0600), 0);
  const auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("junit.xml: is a named pipe (FIFO), not a regular file"),
            std::string::npos)
      << result.output;
}

TEST(ReportFiles, AFolderIsRefused) {
  TempDir dir;
  write_module(dir);
  fs::create_directories(dir / "junit.xml");
  const auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("junit.xml: is a folder, not a file"), std::string::npos)
      << result.output;
}

TEST(ReportFiles, AReportOverTheConfiguredSizeIsAnErrorNamingItsSize) {
  // A real GoogleTest report padded past 1 MiB with blanks (still valid XML).
  TempDir dir;
  write_module(dir, "settings:\n  reports: {max_megabytes: 1}\n");
  std::string report = testing::read_file(testing::source_dir() / "tests/fixtures/junit/gtest.xml");
  report += std::string(2 * 1024 * 1024, ' ');
  write_file(dir / "junit.xml", report);
  auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(std::regex_search(
      result.output, std::regex("junit.xml: is 2\\.0 MiB \\([0-9]+ bytes\\); qgate reads "
                                "at most 1\\.0 MiB \\(1048576 bytes\\) here")))
      << result.output;
  // Under the default limit the same file is read (and its failing test
  // fails the requirement, as the report says).
  write_module(dir);
  result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_EQ(result.output.find("qgate reads at most"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("1 failed"), std::string::npos) << result.output;
}

TEST(ReportFiles, TheLimitIsCheckedByValidate) {
  TempDir dir;
  write_module(dir, "settings:\n  reports: {max_megabytes: 0}\n");
  const auto result = run_command(qgate() + " validate", dir.path());
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("integration-requirements.yaml:4:"), std::string::npos)
      << result.output;
}

}  // namespace
}  // namespace qgate
