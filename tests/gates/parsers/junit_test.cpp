#include "gates/parsers/junit.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/test_support.hpp"

namespace qgate {
namespace {

using testing::read_file;
using testing::TempDir;
using testing::write_file;
using Outcome = TestCase::Outcome;

std::filesystem::path fixture(const std::string& name) {
  return testing::source_dir() / "tests/fixtures/junit" / name;
}

const TestCase& find_case(const TestReport& report, const std::string& name) {
  const auto it = std::find_if(report.cases.begin(), report.cases.end(),
                               [&](const TestCase& test) { return test.name == name; });
  if (it == report.cases.end()) throw std::runtime_error("no test case named " + name);
  return *it;
}

int count_outcome(const TestReport& report, Outcome outcome) {
  return static_cast<int>(
      std::count_if(report.cases.begin(), report.cases.end(),
                    [&](const TestCase& test) { return test.outcome == outcome; }));
}

// Expects parse_junit(`file`) to throw a ReportError whose text names the file
// and contains `problem`.
void expect_report_error(const std::filesystem::path& file, const std::string& problem) {
  try {
    parse_junit(file);
    ADD_FAILURE() << "no error for " << file;
  } catch (const ReportError& error) {
    const std::string text = error.what();
    EXPECT_NE(text.find(file.string()), std::string::npos) << text;
    EXPECT_NE(text.find(problem), std::string::npos) << text;
    EXPECT_EQ(error.file(), file);
  }
}

TEST(JunitParser, ReadsGoogleTestCountingDisabledAndSkippedTestsAsSkipped) {
  const TestReport report = parse_junit(fixture("gtest.xml"));
  EXPECT_EQ(report.format, "junit");
  EXPECT_EQ(report.tests, 5);
  EXPECT_EQ(report.failures, 1);
  EXPECT_EQ(report.errors, 0);
  EXPECT_EQ(report.skipped, 2);
  ASSERT_EQ(report.cases.size(), 5u);
  EXPECT_EQ(find_case(report, "AddsTwoNumbers").outcome, Outcome::passed);
  const TestCase& disabled = find_case(report, "DISABLED_DividesByZeroThrows");
  EXPECT_EQ(disabled.outcome, Outcome::skipped);
  EXPECT_EQ(disabled.message, "disabled");
  const TestCase& skipped = find_case(report, "SkipsWithoutHardware");
  EXPECT_EQ(skipped.outcome, Outcome::skipped);
  EXPECT_NE(skipped.details.find("no FPU on this board"), std::string::npos);
  const TestCase& clamp = find_case(report, "ClampsBelowLowBound");
  EXPECT_EQ(clamp.suite, "ClampTest");
  EXPECT_EQ(clamp.classname, "ClampTest");
}

TEST(JunitParser, KeepsTheFirstLineOfAGoogleTestFailureAsMessageAndAllOfItAsDetails) {
  const TestReport report = parse_junit(fixture("gtest.xml"));
  const TestCase& failed = find_case(report, "DividesWithRemainderDropped");
  EXPECT_EQ(failed.outcome, Outcome::failed);
  EXPECT_EQ(failed.suite, "CalcTest");
  EXPECT_EQ(failed.message, "/tmp/qgate-fixture-build/cpp/calc_test.cpp:10");
  EXPECT_NE(failed.details.find("Which is: 3"), std::string::npos);
  EXPECT_NE(failed.details.find("seven halves"), std::string::npos);
}

TEST(JunitParser, CountsCtestSkipReturnCodeAndDisabledTestsAsSkipped) {
  const TestReport report = parse_junit(fixture("ctest.xml"));
  EXPECT_EQ(report.tests, 7);
  EXPECT_EQ(report.skipped, 2);
  const TestCase& skipped = find_case(report, "skips_with_77");
  EXPECT_EQ(skipped.outcome, Outcome::skipped);
  EXPECT_EQ(skipped.message, "SKIP_RETURN_CODE=77");
  const TestCase& disabled = find_case(report, "disabled_on_purpose");
  EXPECT_EQ(disabled.outcome, Outcome::skipped);
  EXPECT_EQ(disabled.message, "disabled");
  EXPECT_EQ(find_case(report, "clamp_passes").outcome, Outcome::passed);
  EXPECT_DOUBLE_EQ(report.time_s, 1.0);
}

TEST(JunitParser, CountsCtestNotRunTestsThatCouldNotStartAsErrors) {
  // ctest's own summary lists them under "The following tests FAILED".
  const TestReport report = parse_junit(fixture("ctest.xml"));
  EXPECT_EQ(report.failures, 2);
  EXPECT_EQ(report.errors, 2);
  const TestCase& missing = find_case(report, "missing_executable");
  EXPECT_EQ(missing.outcome, Outcome::error);
  EXPECT_EQ(missing.message, "Unable to find executable");
  EXPECT_EQ(find_case(report, "needs_missing_file").message, "Required Files Missing");
  EXPECT_EQ(find_case(report, "sleeps_too_long").outcome, Outcome::failed);
  EXPECT_EQ(find_case(report, "calc_fails").outcome, Outcome::failed);
}

TEST(JunitParser, ReadsPytestCollectionErrorSetupErrorSkipAndXfail) {
  const TestReport report = parse_junit(fixture("pytest.xml"));
  EXPECT_EQ(report.tests, 10);
  EXPECT_EQ(report.failures, 2);
  EXPECT_EQ(report.errors, 2);
  EXPECT_EQ(report.skipped, 2);
  EXPECT_EQ(count_outcome(report, Outcome::passed), 4);
  EXPECT_DOUBLE_EQ(report.time_s, 0.065);

  const TestCase& collection = find_case(report, "test_broken");
  EXPECT_EQ(collection.outcome, Outcome::error);
  EXPECT_EQ(collection.message, "collection failure");
  EXPECT_EQ(collection.classname, "");
  EXPECT_NE(collection.details.find("ModuleNotFoundError"), std::string::npos);

  const TestCase& setup = find_case(report, "test_saves_to_database");
  EXPECT_EQ(setup.outcome, Outcome::error);
  EXPECT_EQ(setup.message, "failed on setup with \"ConnectionError: database is down\"");

  const TestCase& skip = find_case(report, "test_plots_the_shape");
  EXPECT_EQ(skip.outcome, Outcome::skipped);
  EXPECT_EQ(skip.message, "needs a plotter");
  EXPECT_EQ(find_case(report, "test_describe_hexagon").outcome, Outcome::skipped);
  EXPECT_EQ(find_case(report, "test_describe_triangle_xpass").outcome, Outcome::passed);

  const TestCase& failed = find_case(report, "test_describe_square_fails_on_purpose");
  EXPECT_EQ(failed.outcome, Outcome::failed);
  EXPECT_EQ(failed.message, "AssertionError: assert 'square' == 'rectangle'");
  EXPECT_EQ(failed.classname, "test_shapes");
  EXPECT_EQ(failed.suite, "pytest");
  EXPECT_EQ(find_case(report, "test_polygon").classname, "test_shapes.TestDescribe");
}

TEST(JunitParser, CountsAPytestFailureWithATeardownErrorAsOneFailedTest) {
  const TestReport report = parse_junit(fixture("pytest.xml"));
  const auto named = std::count_if(report.cases.begin(), report.cases.end(), [](const TestCase& t) {
    return t.name == "test_fails_and_teardown_errors";
  });
  EXPECT_EQ(named, 1);
  const TestCase& test = find_case(report, "test_fails_and_teardown_errors");
  EXPECT_EQ(test.outcome, Outcome::failed);
  EXPECT_EQ(test.message, "AssertionError: assert 'resource' == 'something else'");
  EXPECT_NE(test.details.find("could not release the resource"), std::string::npos);
}

TEST(JunitParser, ReadsAPytestRunStoppedByACollectionError) {
  const TestReport report = parse_junit(fixture("pytest-collection-error.xml"));
  EXPECT_EQ(report.tests, 1);
  EXPECT_EQ(report.errors, 1);
  EXPECT_EQ(report.failures, 0);
  EXPECT_EQ(report.cases.at(0).message, "collection failure");
}

TEST(JunitParser, ReadsNodeTestRunnerNestedSuitesAndTopLevelTests) {
  const TestReport report = parse_junit(fixture("node-test.xml"));
  EXPECT_EQ(report.tests, 6);
  EXPECT_EQ(report.failures, 1);
  EXPECT_EQ(report.errors, 0);
  EXPECT_EQ(report.skipped, 2);
  // The root has no time: the top-level case and suite are summed.
  EXPECT_DOUBLE_EQ(report.time_s, 0.001145 + 0.002627);
  EXPECT_EQ(find_case(report, "converts boiling point").suite, "");
  EXPECT_EQ(find_case(report, "calls thirty mild").suite, "edge cases");
  EXPECT_EQ(find_case(report, "handles kelvin").message, "not written yet");
  const TestCase& failed = find_case(report, "calls twenty hot (fails on purpose)");
  EXPECT_EQ(failed.suite, "describeWeather");
  EXPECT_EQ(failed.message, "Expected values to be strictly equal:'mild' !== 'hot'");
  EXPECT_NE(failed.details.find("ERR_ASSERTION"), std::string::npos);
}

TEST(JunitParser, CountsMochaPendingTestsThatTheReporterLeavesOut) {
  const TestReport report = parse_junit(fixture("mocha.xml"));
  EXPECT_EQ(report.cases.size(), 4u);
  EXPECT_EQ(report.tests, 6);
  EXPECT_EQ(report.failures, 2);
  EXPECT_EQ(report.skipped, 2);
  EXPECT_EQ(report.errors, 0);
  EXPECT_DOUBLE_EQ(report.time_s, 0.003);
  const TestCase& hook = report.cases.back();
  EXPECT_EQ(hook.outcome, Outcome::failed);
  EXPECT_EQ(hook.suite, "with a broken hook");
  EXPECT_EQ(hook.message, "fixture server did not start");
}

TEST(JunitParser, CountsJestTodoTestsAsSkipped) {
  const TestReport report = parse_junit(fixture("jest.xml"));
  EXPECT_EQ(report.tests, 5);
  EXPECT_EQ(report.failures, 1);
  EXPECT_EQ(report.skipped, 2);
  EXPECT_EQ(count_outcome(report, Outcome::passed), 2);
  EXPECT_EQ(find_case(report, "toFahrenheit converts from kelvin").message, "todo");
  EXPECT_EQ(find_case(report, "toFahrenheit reads the sensor").outcome, Outcome::skipped);
}

TEST(JunitParser, CountsAJestTodoAsSkippedAmongPassingTestsThatTookNoTime) {
  // jest 30.5.2 with jest-junit 17.0.0: 5 tests run (1 failed), 1 skipped,
  // 1 todo; "calls zero mild" passed in under a millisecond and is written
  // time="0" like the todo, which the suite's tests="6" leaves out.
  const TestReport report = parse_junit(fixture("jest-todo.xml"));
  EXPECT_EQ(report.tests, 7);
  EXPECT_EQ(report.failures, 1);
  EXPECT_EQ(report.errors, 0);
  EXPECT_EQ(report.skipped, 2);  // the skip and the todo
  EXPECT_EQ(report.tests - report.failures - report.errors - report.skipped, 4);
  EXPECT_EQ(find_case(report, "describeWeather reads the outdoor sensor").outcome,
            Outcome::skipped);
}

TEST(JunitParser, TakesTheFirstLineOfAJestFailureWithoutMessageAttribute) {
  const TestReport report = parse_junit(fixture("jest.xml"));
  const TestCase& failed =
      find_case(report, "toFahrenheit converts minus forty (fails on purpose)");
  EXPECT_EQ(failed.outcome, Outcome::failed);
  EXPECT_EQ(failed.message, "Error: expect(received).toBe(expected) // Object.is equality");
  EXPECT_NE(failed.details.find("Received: -40"), std::string::npos);
}

TEST(JunitParser, ReadsSurefireFailuresErrorsAndIgnoredTests) {
  const TestReport report = parse_junit(fixture("surefire.xml"));
  EXPECT_EQ(report.tests, 4);
  EXPECT_EQ(report.failures, 1);
  EXPECT_EQ(report.errors, 1);
  EXPECT_EQ(report.skipped, 1);
  EXPECT_DOUBLE_EQ(report.time_s, 0.11);
  const TestCase& failed = find_case(report, "countsTwiceOnPurpose");
  EXPECT_EQ(failed.suite, "example.StockTest");
  EXPECT_EQ(failed.classname, "example.StockTest");
  EXPECT_EQ(failed.message, "units after one delivery expected:<4> but was:<2>");
  EXPECT_DOUBLE_EQ(failed.time_s, 0.012);
  const TestCase& error = find_case(report, "rejectsZeroWithoutExpectingIt");
  EXPECT_EQ(error.outcome, Outcome::error);
  EXPECT_EQ(error.message, "count must be positive");
  EXPECT_EQ(find_case(report, "returnsRemoveUnits").message, "waiting for the returns feature");
}

TEST(JunitParser, CountsTotalsFromCasesWhenAttributesAreMissing) {
  TempDir dir;
  write_file(dir / "bare.xml",
             "<testsuite name='s'>\n"
             "  <testcase name='a' time='0.5'/>\n"
             "  <testcase name='b' time='1,250.25'><failure>boom\nat line 3</failure></testcase>\n"
             "  <testcase name='c'><skipped/></testcase>\n"
             "  <testcase name='d'><error message='crashed'/></testcase>\n"
             "  <testcase name='e'><system-out>ignored</system-out></testcase>\n"
             "</testsuite>\n");
  const TestReport report = parse_junit(dir / "bare.xml");
  EXPECT_EQ(report.tests, 5);
  EXPECT_EQ(report.failures, 1);
  EXPECT_EQ(report.errors, 1);
  EXPECT_EQ(report.skipped, 1);
  EXPECT_DOUBLE_EQ(report.time_s, 1250.75);
  EXPECT_EQ(find_case(report, "b").message, "boom");
  EXPECT_EQ(find_case(report, "b").details, "boom\nat line 3");
  EXPECT_EQ(find_case(report, "d").details, "crashed");
  EXPECT_EQ(find_case(report, "e").outcome, Outcome::passed);
}

TEST(JunitParser, AcceptsAReportWithNoTests) {
  TempDir dir;
  write_file(dir / "empty-suite.xml", "<?xml version='1.0'?>\n<testsuites/>\n");
  const TestReport report = parse_junit(dir / "empty-suite.xml");
  EXPECT_EQ(report.tests, 0);
  EXPECT_TRUE(report.cases.empty());
}

TEST(JunitParser, RejectsAnEmptyFile) {
  TempDir dir;
  write_file(dir / "empty.xml", "");
  expect_report_error(dir / "empty.xml", "empty");
  write_file(dir / "blank.xml", "\n  \n");
  expect_report_error(dir / "blank.xml", "empty");
}

TEST(JunitParser, RejectsAFileThatIsNotXml) {
  TempDir dir;
  write_file(dir / "report.xml", "3 tests, 1 failure\n");
  expect_report_error(dir / "report.xml", "not XML");
}

TEST(JunitParser, RejectsXmlWithAnotherRootElement) {
  expect_report_error(testing::source_dir() / "tests/fixtures/coverage/gcovr.xml",
                      "not a JUnit report: the root element is <coverage>");
}

TEST(JunitParser, RejectsATruncatedReportSayingSo) {
  TempDir dir;
  const std::string text = read_file(fixture("surefire.xml"));
  write_file(dir / "cut.xml", text.substr(0, text.size() / 2));
  expect_report_error(dir / "cut.xml", "truncated");
}

TEST(JunitParser, RejectsMalformedXmlNamingLineAndColumn) {
  TempDir dir;
  write_file(dir / "bad.xml",
             "<testsuite>\n  <testcase name='a'/>\n  <testcase name=b/>\n</testsuite>\n");
  expect_report_error(dir / "bad.xml", "not well-formed XML at line 3, column");
}

TEST(JunitParser, RejectsATimeThatIsNotANumberNamingItsLine) {
  TempDir dir;
  write_file(dir / "time.xml", "<testsuite>\n\n  <testcase name='a' time='soon'/>\n</testsuite>\n");
  expect_report_error(dir / "time.xml", "line 3: time \"soon\" of <testcase> is not a number");
}

TEST(JunitParser, NamesTheRightLineAfterRunsOfTestCases) {
  // Adjacent cases stand as one placeholder in the skeleton the stream
  // leaves; the lines after them must still be the file's.
  TempDir dir;
  write_file(dir / "lines.xml",
             "<testsuites>\n  <testsuite name='s'>\n    <testcase name='a'/>\n"
             "    <testcase name='b'>\n      <failure>x\ny</failure>\n    </testcase>\n"
             "    <testcase name='c'/>\n  </testsuite>\n  <testsuite name='t' time='soon'>\n"
             "  </testsuite>\n</testsuites>\n");
  expect_report_error(dir / "lines.xml", "line 10: time \"soon\" of <testsuite>");
}

TEST(JunitParser, RejectsATestCaseWithoutName) {
  TempDir dir;
  write_file(dir / "noname.xml", "<testsuite>\n  <testcase classname='x'/>\n</testsuite>\n");
  expect_report_error(dir / "noname.xml", "line 2: <testcase> has no name");
}

TEST(JunitParser, RejectsSuitesNestedBeyondAnyRealReport) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 300; ++i) text += "<testsuite>";
  for (int i = 0; i < 300; ++i) text += "</testsuite>";
  write_file(dir / "deep.xml", text);
  expect_report_error(dir / "deep.xml", "nested more than");
}

TEST(JunitParser, RejectsAMissingFile) {
  TempDir dir;
  expect_report_error(dir / "absent.xml", "cannot be read");
}

TEST(JunitParser, RejectsEveryTruncationOfEachRealReport) {
  TempDir dir;
  for (const char* name : {"gtest.xml", "ctest.xml", "pytest.xml", "pytest-collection-error.xml",
                           "node-test.xml", "mocha.xml", "jest.xml", "surefire.xml"}) {
    const std::string text = read_file(fixture(name));
    const std::size_t end = text.rfind('>');
    // Every prefix that stops before the root element is closed.
    for (std::size_t size = 1; size < end; size += 31) {
      const auto cut = dir / "cut.xml";
      write_file(cut, text.substr(0, size));
      expect_report_error(cut, "truncated");
    }
  }
}

// A report of `count` cases in one suite, one line each but every tenth: a
// failure over three lines, with output holding "</testcase>" in CDATA.
std::string large_junit(int count) {
  std::string text = "<?xml version=\"1.0\"?>\n<testsuites>\n<testsuite name=\"big\">\n";
  for (int i = 0; i < count; ++i) {
    const std::string name = "case_" + std::to_string(i);
    if (i % 10 == 9) {
      text += "<testcase name=\"" + name + "\" classname=\"Big\" time=\"0.5\">\n" +
              "<failure message=\"expected 1 &lt; 0\">trace of " + name +
              "</failure><system-out><![CDATA[printed </testcase> here]]></system-out>\n" +
              "</testcase>\n";
    } else {
      text += "<testcase name=\"" + name + "\" classname=\"Big\" time=\"0.5\"/>\n";
    }
  }
  return text + "</testsuite>\n</testsuites>\n";
}

TEST(JunitParser, StreamsReportsLargerThanItsReadBlock) {
  TempDir dir;
  const std::string text = large_junit(40000);
  ASSERT_GT(text.size(), 2u << 20);  // twice the read block
  write_file(dir / "large.xml", text);
  const TestReport report = parse_junit(dir / "large.xml");
  EXPECT_EQ(report.tests, 40000);
  EXPECT_EQ(report.failures, 4000);
  EXPECT_DOUBLE_EQ(report.time_s, 20000.0);
  const TestCase& failed = find_case(report, "case_39999");
  EXPECT_EQ(failed.suite, "big");
  EXPECT_EQ(failed.message, "expected 1 < 0");
  EXPECT_EQ(failed.details, "trace of case_39999");
}

TEST(JunitParser, NamesTheFileLineOfAnErrorDeepInTheStream) {
  TempDir dir;
  std::string text = large_junit(40000);
  const std::string case_line = "<testcase name=\"case_30000\" classname=\"Big\" time=\"0.5\"";
  text.replace(text.find(case_line), case_line.size(),
               "<testcase name=\"case_30000\" classname=\"Big\" time=\"later\"");
  write_file(dir / "bad.xml", text);
  // Three lines of header; cases before it: 3000 of three lines, 27000 of one.
  expect_report_error(dir / "bad.xml",
                      "line " + std::to_string(3 + 3000 * 3 + 27000 + 1) + ": time \"later\"");
}

TEST(JunitParser, RejectsAFileCutInsideATestCase) {
  TempDir dir;
  const std::string text = large_junit(10);
  write_file(dir / "cut.xml", text.substr(0, text.find("trace of case_9")));
  expect_report_error(
      dir / "cut.xml",
      "truncated: the XML ends inside the <testcase> element that starts at line 13");
}

TEST(JunitParser, DetectsEveryRealReport) {
  for (const char* name : {"gtest.xml", "ctest.xml", "pytest.xml", "pytest-collection-error.xml",
                           "node-test.xml", "mocha.xml", "jest.xml", "surefire.xml"}) {
    const std::string head = read_file(fixture(name)).substr(0, 4096);
    EXPECT_TRUE(looks_like_junit(head)) << name;
  }
}

TEST(JunitParser, DoesNotDetectOtherFormats) {
  const auto coverage = testing::source_dir() / "tests/fixtures/coverage";
  for (const char* name : {"gcovr.xml", "coverage-py.xml", "c8-cobertura.xml", "gcov-lcov.info",
                           "coverage-py.json", "go-count.out"}) {
    EXPECT_FALSE(looks_like_junit(read_file(coverage / name).substr(0, 4096))) << name;
  }
  EXPECT_FALSE(looks_like_junit(""));
  EXPECT_FALSE(looks_like_junit("testsuites"));
  EXPECT_FALSE(looks_like_junit("<!-- a comment that never ends <testsuites>"));
}

TEST(JunitParser, DetectsAReportBehindABomCommentsAndADoctype) {
  EXPECT_TRUE(looks_like_junit(
      "\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- made by a tool -->\n<!DOCTYPE testsuites>\n"
      "<testsuites tests=\"1\">"));
  EXPECT_TRUE(looks_like_junit("<testsuite "));
  EXPECT_FALSE(looks_like_junit("<testsuite"));  // might be <testsuitex
}

TEST(JunitParser, KeepsAHugeFailureTextToABoundedSizeSayingHowMuchWasLeftOut) {
  // A failure whose message attribute and text are 1 MiB each: the message
  // keeps its first 1,000 bytes, the details 64 KiB and a note.
  TempDir dir;
  const std::string huge(1024 * 1024, 'a');
  write_file(dir / "junit.xml",
             "<?xml version=\"1.0\"?>\n<testsuites><testsuite name=\"S\" tests=\"2\">"
             "<testcase name=\"attr\" classname=\"S\"><failure message=\"" +
                 huge +
                 "\"/></testcase>"
                 "<testcase name=\"text\" classname=\"S\"><failure>" +
                 huge + "</failure></testcase></testsuite></testsuites>\n");
  const TestReport report = parse_junit(dir / "junit.xml");
  for (const char* name : {"attr", "text"}) {
    const TestCase& test = find_case(report, name);
    EXPECT_EQ(test.outcome, Outcome::failed) << name;
    EXPECT_EQ(test.message.size(), 1000u) << name;
    EXPECT_EQ(test.details, std::string(64 * 1024, 'a') + " [... " +
                                std::to_string(1024 * 1024 - 64 * 1024) + " more bytes]")
        << name;
  }
}

}  // namespace
}  // namespace qgate
