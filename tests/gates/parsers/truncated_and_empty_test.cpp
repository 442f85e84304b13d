// Every report format, read through read_report() with its format named:
// an empty file and a real report cut in the middle (as a writer killed
// mid-way leaves it) are each a ReportError naming the file and the problem.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gates/report_reader.hpp"
#include "tests/gates/parsers/parser_fixtures.hpp"

namespace qgate {
namespace {

using testing::expect_report_error;
using testing::fixture_path;
using testing::TempDir;
using testing::truncated_copy;
using testing::write_in;

struct FormatCase {
  std::string format;
  std::string fixture;    // a real report, under tests/fixtures
  std::string empty;      // the problem named for an empty file
  std::string truncated;  // the problem named for the fixture cut in the middle
};

const std::vector<FormatCase>& format_cases() {
  static const std::vector<FormatCase> cases = {
      {"junit", "junit/surefire.xml", "the file is empty",
       "truncated: the XML ends at line 29 before its root element is closed"},
      {"cobertura", "coverage/gcovr.xml", "the file is empty",
       "truncated: the XML ends inside the <class> element that starts at line 10"},
      {"checkstyle", "findings/eslint.checkstyle.xml", "is empty",
       "invalid XML at line 1: Error parsing element attribute"},
      {"cppcheck", "findings/cppcheck.xml", "is empty",
       "invalid XML at line 48: Error parsing element attribute"},
      {"lcov", "coverage/gcov-lcov.info", "the file is empty",
       "line 20: truncated: the last line has no newline"},
      {"go-coverprofile", "coverage/go-count.out", "the file is empty",
       "line 7: truncated: the last line has no newline"},
      {"coverage-py-json", "coverage/coverage-py.json", "the file is empty",
       "truncated JSON: parse error at line 94, column 10: syntax error while parsing value - "
       "unexpected end of input"},
      {"sarif", "findings/eslint.sarif", "is empty",
       "invalid JSON at line 138, column 9: syntax error while parsing object key - unexpected "
       "end of input"},
      {"npm-audit", "audit/npm-audit-stubbed-advisories.json", "is empty",
       "invalid JSON at line 91, column 11: syntax error while parsing object key - unexpected "
       "end of input"},
      {"google-benchmark", "benchmark/google-benchmark.json", "is empty",
       "invalid JSON at line 63, column 25: syntax error while parsing object - unexpected end "
       "of input"},
      {"hyperfine", "benchmark/hyperfine.json", "is empty",
       "invalid JSON at line 24, column 6: syntax error while parsing value - unexpected end of "
       "input"},
      {"k6", "benchmark/k6-summary-export.json", "is empty",
       "invalid JSON at line 63, column 11: syntax error while parsing object key - invalid "
       "string: missing closing quote"},
      {"osv-scanner", "audit/osv-scanner-clean.json", "is empty",
       "invalid JSON at line 4, column 17: syntax error while parsing value - unexpected end of "
       "input"},
      {"pip-audit", "audit/pip-audit-clean.json", "is empty",
       "invalid JSON at line 1, column 941: syntax error while parsing value - unexpected end of "
       "input"},
  };
  return cases;
}

TEST(ReportFormats, EveryFormatIsCoveredHere) {
  std::vector<std::string> covered;
  for (const FormatCase& c : format_cases()) covered.push_back(c.format);
  std::vector<std::string> names = report_format_names();
  std::sort(covered.begin(), covered.end());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(covered, names);
}

TEST(ReportFormats, AnEmptyFileIsAnErrorNamingIt) {
  TempDir dir;
  for (const FormatCase& c : format_cases()) {
    SCOPED_TRACE(c.format);
    const auto file = write_in(dir, "empty-" + c.format, "");
    expect_report_error([&](const auto& f) { read_report(f, c.format); }, file, c.empty);
  }
}

TEST(ReportFormats, AReportCutInTheMiddleIsAnErrorNamingIt) {
  TempDir dir;
  for (const FormatCase& c : format_cases()) {
    SCOPED_TRACE(c.format);
    const auto source = fixture_path(c.fixture);
    // The whole fixture is read; half of it is not.
    EXPECT_NO_THROW(read_report(source, c.format));
    const auto file = truncated_copy(dir, source, std::filesystem::file_size(source) / 2);
    expect_report_error([&](const auto& f) { read_report(f, c.format); }, file, c.truncated);
  }
}

}  // namespace
}  // namespace qgate
