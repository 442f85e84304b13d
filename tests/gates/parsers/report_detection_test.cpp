// Detecting a report's format from its first bytes: a report of a kind qgate
// does not read is never read as the kind it is shaped like, and a file two
// formats could claim is not guessed at. On real tools' outputs.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gates/report_reader.hpp"
#include "tests/gates/parsers/parser_fixtures.hpp"

namespace qgate {
namespace {

using testing::expect_report_error;
using testing::fixture_path;
using testing::TempDir;
using testing::write_in;

auto read_detected = [](const std::filesystem::path& file) { return read_report(file); };

TEST(ReportDetection, BanditXmlIsNotReadAsJunit) {
  // bandit 1.6.2 writes its nine findings as a <testsuite> of <error>s.
  const auto file = fixture_path("findings/bandit.xml");
  expect_report_error(read_detected, file,
                      "looks like bandit's findings (bandit -f xml), which qgate does not read; "
                      "it reads sarif, cppcheck, checkstyle, junit, cobertura");
}

TEST(ReportDetection, BanditXmlNamedAsJunitIsRefusedToo) {
  const auto file = fixture_path("findings/bandit.xml");
  expect_report_error([](const auto& f) { return read_report(f, "junit"); }, file,
                      "is bandit's findings (bandit -f xml), not junit: qgate reads ");
}

TEST(ReportDetection, BanditJsonIsNamedAsBandit) {
  const auto file = fixture_path("findings/bandit.json");
  expect_report_error(read_detected, file, "looks like bandit's findings (bandit -f json)");
}

TEST(ReportDetection, AnXmlOfNoKnownKindSaysItsRootAndTheFormatsRead) {
  TempDir dir;
  const auto file = write_in(dir, "report.xml", "<?xml version=\"1.0\"?>\n<report><a/></report>\n");
  expect_report_error(
      read_detected, file,
      "looks like XML with the root element <report>, not a report format qgate "
      "reads (give `format:` if it is one of: sarif, cppcheck, checkstyle, junit, ");
}

TEST(ReportDetection, EveryRealReportIsDetectedAsOneFormatOnly) {
  for (const char* folder : {"junit", "coverage", "findings", "audit", "benchmark"}) {
    for (const auto& entry : std::filesystem::directory_iterator(fixture_path(folder))) {
      const auto& file = entry.path();
      // Not reports of a format qgate reads: bandit's, and osv-scanner's
      // JSON behind its log (named, it says so: osv_test.cpp).
      if (file.extension() == ".md" || file.stem() == "bandit" ||
          file.stem() == "osv-scanner-with-log") {
        continue;
      }
      try {
        read_report(file);
      } catch (const ReportError& error) {
        const std::string message = error.what();
        EXPECT_EQ(message.find(" at once"), std::string::npos) << message;
        EXPECT_EQ(message.find("not a report format"), std::string::npos) << message;
        EXPECT_EQ(message.find("impossible figures"), std::string::npos) << message;
      }
    }
  }
}

}  // namespace
}  // namespace qgate
