#include "gates/parsers/coverage.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tests/test_support.hpp"

namespace qgate {
namespace {

using testing::read_file;
using testing::TempDir;
using testing::write_file;
using Parser = std::function<CoverageReport(const std::filesystem::path&)>;
using Hits = LineHits;

std::filesystem::path fixture(const std::string& name) {
  return testing::source_dir() / "tests/fixtures/coverage" / name;
}

const FileCoverage& find_file(const CoverageReport& report, const std::string& path) {
  for (const FileCoverage& file : report.files) {
    if (file.path == path) return file;
  }
  throw std::runtime_error("no file " + path + " in the report");
}

// Expects `parse`(`file`) to throw a ReportError whose text names the file and
// contains `problem`.
void expect_report_error(const Parser& parse, const std::filesystem::path& file,
                         const std::string& problem) {
  try {
    parse(file);
    ADD_FAILURE() << "no error for " << file;
  } catch (const ReportError& error) {
    const std::string text = error.what();
    EXPECT_NE(text.find(file.string()), std::string::npos) << text;
    EXPECT_NE(text.find(problem), std::string::npos) << text;
  }
}

void expect_totals(const CoverageReport& report, std::int64_t lines_total,
                   std::int64_t lines_covered, std::int64_t branches_total,
                   std::int64_t branches_covered) {
  EXPECT_EQ(report.lines_total, lines_total);
  EXPECT_EQ(report.lines_covered, lines_covered);
  EXPECT_EQ(report.branches_total, branches_total);
  EXPECT_EQ(report.branches_covered, branches_covered);
}

void expect_file(const FileCoverage& file, std::int64_t lines_total, std::int64_t lines_covered,
                 std::int64_t branches_total, std::int64_t branches_covered) {
  EXPECT_EQ(file.lines_total, lines_total) << file.path;
  EXPECT_EQ(file.lines_covered, lines_covered) << file.path;
  EXPECT_EQ(file.branches_total, branches_total) << file.path;
  EXPECT_EQ(file.branches_covered, branches_covered) << file.path;
}

// ---- Cobertura

TEST(CoberturaParser, ReadsGcovrLineAndBranchCoveragePerFile) {
  const CoverageReport report = parse_cobertura(fixture("gcovr.xml"));
  EXPECT_EQ(report.format, "cobertura");
  ASSERT_EQ(report.files.size(), 2u);
  const FileCoverage& calc = find_file(report, "calc.cpp");
  expect_file(calc, 5, 4, 2, 1);
  EXPECT_EQ(calc.line_hits, (Hits{{5, 1}, {7, 1}, {8, 1}, {9, 0}, {11, 1}}));
  const FileCoverage& clamp = find_file(report, "clamp.cpp");
  expect_file(clamp, 6, 3, 4, 1);
  EXPECT_EQ(clamp.line_hits, (Hits{{5, 1}, {6, 1}, {7, 1}, {9, 0}, {10, 0}, {12, 0}}));
  expect_totals(report, 11, 7, 6, 2);
}

TEST(CoberturaParser, ReadsCoveragePyXmlWithBranches) {
  const CoverageReport report = parse_cobertura(fixture("coverage-py.xml"));
  ASSERT_EQ(report.files.size(), 2u);
  const FileCoverage& shapes = find_file(report, "shapes.py");
  expect_file(shapes, 12, 11, 6, 6);
  EXPECT_EQ(shapes.line_hits.at(19), 0);
  EXPECT_EQ(shapes.line_hits.count(1), 0u);  // the docstring is not a statement
  expect_file(find_file(report, "test_shapes.py"), 32, 30, 12, 12);
  expect_totals(report, 44, 41, 18, 18);
}

TEST(CoberturaParser, ReadsC8CoberturaIgnoringTheLinesRepeatedUnderMethods) {
  const CoverageReport report = parse_cobertura(fixture("c8-cobertura.xml"));
  ASSERT_EQ(report.files.size(), 1u);
  const FileCoverage& file = report.files[0];
  EXPECT_EQ(file.path, "temperature.js");
  expect_file(file, 24, 17, 7, 5);
  EXPECT_EQ(file.line_hits.at(11), 3);
  EXPECT_EQ(file.line_hits.at(20), 0);
  expect_totals(report, 24, 17, 7, 5);
}

TEST(CoberturaParser, MergesClassesOfOneFileKeepingTheHigherCount) {
  TempDir dir;
  write_file(dir / "inner.xml",
             "<coverage line-rate='1'><packages><package name='p'><classes>\n"
             "<class name='Outer' filename='Outer.java'><lines>\n"
             "  <line number='3' hits='2'/><line number='4' hits='0' branch='true' "
             "condition-coverage='0% (0/2)'/>\n"
             "</lines></class>\n"
             "<class name='Outer$Inner' filename='Outer.java'><lines>\n"
             "  <line number='4' hits='5' branch='true' condition-coverage='50% (1/2)'/>\n"
             "  <line number='9' hits='0'/>\n"
             "</lines></class>\n"
             "</classes></package></packages></coverage>\n");
  const CoverageReport report = parse_cobertura(dir / "inner.xml");
  ASSERT_EQ(report.files.size(), 1u);
  EXPECT_EQ(report.files[0].line_hits, (Hits{{3, 2}, {4, 5}, {9, 0}}));
  expect_file(report.files[0], 3, 2, 2, 1);
}

TEST(CoberturaParser, AcceptsAReportWithNoClasses) {
  TempDir dir;
  write_file(dir / "none.xml", "<coverage line-rate='0'><packages/></coverage>\n");
  const CoverageReport report = parse_cobertura(dir / "none.xml");
  EXPECT_TRUE(report.files.empty());
  expect_totals(report, 0, 0, 0, 0);
}

TEST(CoberturaParser, RejectsEmptyNonXmlAndTruncatedFiles) {
  TempDir dir;
  write_file(dir / "empty.xml", "");
  expect_report_error(parse_cobertura, dir / "empty.xml", "the file is empty");
  write_file(dir / "text.xml", "lines: 80%\n");
  expect_report_error(parse_cobertura, dir / "text.xml", "not XML");
  const std::string text = read_file(fixture("gcovr.xml"));
  write_file(dir / "cut.xml", text.substr(0, text.size() * 2 / 3));
  expect_report_error(parse_cobertura, dir / "cut.xml", "truncated");
  expect_report_error(parse_cobertura, dir / "absent.xml", "cannot be read");
}

TEST(CoberturaParser, RejectsEveryTruncationOfEachRealReport) {
  TempDir dir;
  for (const char* name : {"gcovr.xml", "coverage-py.xml", "c8-cobertura.xml"}) {
    const std::string text = read_file(fixture(name));
    const std::size_t end = text.rfind('>');
    for (std::size_t size = 1; size < end; size += 29) {
      write_file(dir / "cut.xml", text.substr(0, size));
      expect_report_error(parse_cobertura, dir / "cut.xml", "truncated");
    }
  }
}

TEST(CoberturaParser, RejectsOtherXmlReports) {
  expect_report_error(parse_cobertura, testing::source_dir() / "tests/fixtures/junit/surefire.xml",
                      "not a Cobertura report: the root element is <testsuite>");
  TempDir dir;
  write_file(dir / "clover.xml",
             "<coverage generated='1' clover='3.2.0'><project timestamp='1'/></coverage>\n");
  expect_report_error(parse_cobertura, dir / "clover.xml", "a Clover report, not Cobertura");
}

TEST(CoberturaParser, RejectsMalformedLinesNamingTheirLine) {
  TempDir dir;
  const std::string head = "<coverage line-rate='1'><packages><package><classes>\n";
  const std::string tail = "\n</classes></package></packages></coverage>\n";
  write_file(dir / "hits.xml", head +
                                   "<class filename='a.c'><lines>\n<line number='1' hits='many'/>" +
                                   "</lines></class>" + tail);
  expect_report_error(parse_cobertura, dir / "hits.xml",
                      "line 3: hits \"many\" of <line> is not a whole number");
  write_file(dir / "number.xml",
             head + "<class filename='a.c'><lines><line hits='1'/></lines></class>" + tail);
  expect_report_error(parse_cobertura, dir / "number.xml", "line 2: <line> has no number");
  write_file(dir / "branch.xml",
             head + "<class filename='a.c'><lines><line number='1' hits='1' branch='true' " +
                 "condition-coverage='half'/></lines></class>" + tail);
  expect_report_error(parse_cobertura, dir / "branch.xml",
                      "condition-coverage \"half\" is not like \"50% (1/2)\"");
  write_file(dir / "nofile.xml", head + "<class name='x'><lines/></class>" + tail);
  expect_report_error(parse_cobertura, dir / "nofile.xml", "line 2: <class> has no filename");
}

// A Cobertura report with a class of `lines` lines (hits: the line number mod
// 3) between two small ones, and the markup a streaming reader must not take
// for tags: a comment and CDATA holding "</class>", a '>' in a file name.
std::string large_cobertura(int lines) {
  std::string text =
      "<?xml version=\"1.0\" ?>\n<!DOCTYPE coverage SYSTEM "
      "'http://cobertura.sourceforge.net/xml/coverage-04.dtd'>\n"
      "<coverage line-rate=\"0.5\">\n<!-- <class filename=\"comment.c\"> -->\n"
      "<packages><package name=\"p\"><classes>\n"
      "<class name=\"a\" filename=\"a.c\"><lines><line number=\"1\" hits=\"1\"/></lines></class>\n"
      "<class name=\"big\" filename=\"dir/big>one.c\"><methods/><lines>\n";
  for (int n = 1; n <= lines; ++n) {
    text += "  <line number=\"" + std::to_string(n) + "\" hits=\"" + std::to_string(n % 3) +
            "\" branch=\"false\"/>\n";
    if (n == lines / 2) text += "  <!-- </class> --><![CDATA[ </class> <class> ]]>\n";
  }
  text +=
      "</lines></class>\n<class name=\"z\" filename=\"z.c\"/>\n"
      "</classes></package></packages>\n</coverage>\n";
  return text;
}

TEST(CoberturaParser, StreamsClassesLargerThanItsReadBlock) {
  TempDir dir;
  const std::string text = large_cobertura(60000);
  ASSERT_GT(text.size(), 2u << 20);  // twice the read block
  write_file(dir / "large.xml", text);
  const CoverageReport report = parse_cobertura(dir / "large.xml");
  ASSERT_EQ(report.files.size(), 3u);
  EXPECT_EQ(report.files[1].path, "dir/big>one.c");
  expect_file(report.files[1], 60000, 40000, 0, 0);
  EXPECT_EQ(report.files[1].line_hits.at(59999), 2);
  expect_file(report.files[2], 0, 0, 0, 0);
  expect_totals(report, 60001, 40001, 0, 0);
}

TEST(CoberturaParser, NamesTheFileLineOfAnErrorDeepInTheStream) {
  TempDir dir;
  std::string text = large_cobertura(60000);
  const std::string line = "<line number=\"50000\" hits=\"2\"";
  text.replace(text.find(line), line.size(), "<line number=\"50000\" hits=\"x\"");
  write_file(dir / "bad.xml", text);
  // Seven lines of header, and one for the comment halfway through the class.
  expect_report_error(parse_cobertura, dir / "bad.xml",
                      "line " + std::to_string(7 + 50000 + 1) + ": hits \"x\" of <line>");
}

TEST(CoberturaParser, RejectsAFileCutInsideALargeClass) {
  TempDir dir;
  const std::string text = large_cobertura(60000);
  write_file(dir / "cut.xml", text.substr(0, text.size() / 2));
  expect_report_error(parse_cobertura, dir / "cut.xml",
                      "truncated: the XML ends inside the <class> element that starts at line 7");
}

// ---- lcov

TEST(LcovParser, ReadsAGeninfoTracefileWithBranches) {
  const CoverageReport report = parse_lcov(fixture("gcov-lcov.info"));
  EXPECT_EQ(report.format, "lcov");
  ASSERT_EQ(report.files.size(), 2u);
  const FileCoverage& calc = find_file(report, "/tmp/qgate-fixture-build/cpp/calc.cpp");
  expect_file(calc, 5, 4, 2, 1);
  EXPECT_EQ(calc.line_hits, (Hits{{5, 1}, {7, 1}, {8, 1}, {9, 0}, {11, 1}}));
  // clamp.cpp has two branches never evaluated ("-"): counted, not covered.
  expect_file(find_file(report, "/tmp/qgate-fixture-build/cpp/clamp.cpp"), 6, 3, 4, 1);
  expect_totals(report, 11, 7, 6, 2);
}

TEST(LcovParser, ReadsAC8Tracefile) {
  const CoverageReport report = parse_lcov(fixture("c8-lcov.info"));
  ASSERT_EQ(report.files.size(), 1u);
  EXPECT_EQ(report.files[0].path, "temperature.js");
  expect_file(report.files[0], 24, 17, 7, 5);
  EXPECT_EQ(report.files[0].line_hits.at(14), 3);
}

TEST(LcovParser, AddsUpRecordsOfTheSameFile) {
  TempDir dir;
  write_file(dir / "two.info",
             "TN:unit\nSF:a.c\nDA:1,1\nDA:2,0\nBRDA:2,0,0,-\nBRDA:2,0,1,1\nend_of_record\n"
             "TN:integration\nSF:b.c\nDA:7,0\nend_of_record\n"
             "TN:integration\nSF:a.c\nDA:1,2\nDA:2,3,abcdef\nBRDA:2,0,0,4\nend_of_record\n");
  const CoverageReport report = parse_lcov(dir / "two.info");
  ASSERT_EQ(report.files.size(), 2u);
  EXPECT_EQ(report.files[0].path, "a.c");
  EXPECT_EQ(report.files[0].line_hits, (Hits{{1, 3}, {2, 3}}));
  expect_file(report.files[0], 2, 2, 2, 2);
  expect_file(report.files[1], 1, 0, 0, 0);
  expect_totals(report, 3, 2, 2, 2);
}

TEST(LcovParser, RejectsARecordCutOffBeforeEndOfRecord) {
  TempDir dir;
  write_file(dir / "cut.info", "SF:a.c\nDA:1,1\nend_of_record\nSF:b.c\nDA:1,1\n");
  expect_report_error(parse_lcov, dir / "cut.info",
                      "truncated: the record of b.c (from line 4) has no end_of_record");
}

TEST(LcovParser, RejectsEveryTruncationThatCutsARecord) {
  TempDir dir;
  for (const char* name : {"gcov-lcov.info", "c8-lcov.info"}) {
    const std::string text = read_file(fixture(name));
    for (std::size_t size = 1; size < text.size(); size += 5) {
      const std::string cut = text.substr(0, size);
      // A cut between records leaves a shorter, valid tracefile.
      if (cut.ends_with("end_of_record\n") || cut.ends_with("end_of_record\nTN:\n")) continue;
      write_file(dir / "cut.info", cut);
      EXPECT_THROW(parse_lcov(dir / "cut.info"), ReportError) << name << " cut at " << size;
    }
  }
}

TEST(LcovParser, RejectsMalformedLinesNamingThem) {
  TempDir dir;
  write_file(dir / "outside.info", "TN:\nDA:1,1\n");
  expect_report_error(parse_lcov, dir / "outside.info", "line 2: DA: outside a record");
  write_file(dir / "hits.info", "SF:a.c\nDA:1,lots\nend_of_record\n");
  expect_report_error(parse_lcov, dir / "hits.info",
                      "line 2: hit count \"lots\" in \"DA:1,lots\" is not a count");
  write_file(dir / "negative.info", "SF:a.c\nDA:1,-4\nend_of_record\n");
  expect_report_error(parse_lcov, dir / "negative.info", "is not a count");
  write_file(dir / "branch.info", "SF:a.c\nBRDA:3,0\nend_of_record\n");
  expect_report_error(parse_lcov, dir / "branch.info", "line 2: expected BRDA:");
  write_file(dir / "nested.info", "SF:a.c\nSF:b.c\nend_of_record\n");
  expect_report_error(parse_lcov, dir / "nested.info", "line 2: SF: inside the record of a.c");
  write_file(dir / "garbage.info", "SF:a.c\nthis is not lcov\nend_of_record\n");
  expect_report_error(parse_lcov, dir / "garbage.info", "line 2: expected <KEY>:<value>");
  write_file(dir / "end.info", "end_of_record\n");
  expect_report_error(parse_lcov, dir / "end.info", "line 1: end_of_record without a record");
}

TEST(LcovParser, RejectsEmptyFilesAndFilesWithoutRecords) {
  TempDir dir;
  write_file(dir / "empty.info", "");
  expect_report_error(parse_lcov, dir / "empty.info", "the file is empty");
  write_file(dir / "tn.info", "TN:\n");
  expect_report_error(parse_lcov, dir / "tn.info", "no SF: record");
  expect_report_error(parse_lcov, dir / "absent.info", "cannot be read");
}

TEST(LcovParser, StreamsALineLongerThanItsBuffer) {
  TempDir dir;
  const std::string name(3 << 20, 'x');
  write_file(dir / "long.info", "SF:" + name + "\nDA:1,1\nend_of_record\n");
  const CoverageReport report = parse_lcov(dir / "long.info");
  ASSERT_EQ(report.files.size(), 1u);
  EXPECT_EQ(report.files[0].path, name);
}

// ---- coverage.py JSON

TEST(CoveragePyJsonParser, TakesStatementAndBranchCountsFromItsSummary) {
  const CoverageReport report = parse_coverage_py_json(fixture("coverage-py.json"));
  EXPECT_EQ(report.format, "coverage-py-json");
  ASSERT_EQ(report.files.size(), 2u);
  const FileCoverage& shapes = find_file(report, "shapes.py");
  expect_file(shapes, 12, 11, 6, 6);
  // executed_lines also holds the module docstring (line 1), not a statement.
  EXPECT_EQ(shapes.line_hits.size(), 13u);
  EXPECT_EQ(shapes.line_hits.at(1), 1);
  EXPECT_EQ(shapes.line_hits.at(19), 0);
  expect_file(find_file(report, "test_shapes.py"), 32, 30, 12, 12);
  expect_totals(report, 44, 41, 18, 18);
}

TEST(CoveragePyJsonParser, CountsLinesAndBranchArraysWhenThereIsNoSummary) {
  TempDir dir;
  write_file(dir / "bare.json",
             R"({"meta": {"version": "7.4.0", "branch_coverage": true},
                 "files": {"a.py": {"executed_lines": [1, 2, 4], "missing_lines": [5, 2],
                                    "excluded_lines": [9],
                                    "executed_branches": [[2, 4], [2, -1]],
                                    "missing_branches": [[4, 5]],
                                    "functions": {"f": {"executed_lines": [99],
                                                        "summary": {"num_statements": 50}}},
                                    "classes": {}}},
                 "totals": {"num_statements": 1000}})");
  const CoverageReport report = parse_coverage_py_json(dir / "bare.json");
  ASSERT_EQ(report.files.size(), 1u);
  EXPECT_EQ(report.files[0].line_hits, (Hits{{1, 1}, {2, 1}, {4, 1}, {5, 0}}));
  expect_file(report.files[0], 4, 3, 3, 2);
}

TEST(CoveragePyJsonParser, RejectsEveryTruncationOfTheRealReport) {
  TempDir dir;
  const std::string text = read_file(fixture("coverage-py.json"));
  const std::size_t end = text.rfind('}');
  for (std::size_t size = 1; size < end; size += 17) {
    write_file(dir / "cut.json", text.substr(0, size));
    expect_report_error(parse_coverage_py_json, dir / "cut.json", "truncated JSON");
  }
}

TEST(CoveragePyJsonParser, RejectsJsonThatIsNotCoveragePy) {
  TempDir dir;
  write_file(dir / "empty.json", "  \n");
  expect_report_error(parse_coverage_py_json, dir / "empty.json", "the file is empty");
  write_file(dir / "array.json", "[1, 2]");
  expect_report_error(parse_coverage_py_json, dir / "array.json", "the top level is an array");
  write_file(dir / "nofiles.json", R"({"meta": {"version": "6.5.0"}, "totals": {}})");
  expect_report_error(parse_coverage_py_json, dir / "nofiles.json", "no \"files\" object");
  write_file(dir / "strings.json", R"({"files": {"a.py": {"executed_lines": ["1"]}}})");
  expect_report_error(parse_coverage_py_json, dir / "strings.json",
                      "a string where a line number, array or object belongs at \"files\" > "
                      "\"a.py\" > \"executed_lines\"");
  write_file(dir / "filelist.json", R"({"files": ["a.py"]})");
  expect_report_error(parse_coverage_py_json, dir / "filelist.json", "an array where");
}

TEST(CoveragePyJsonParser, RejectsMalformedJsonNamingLineAndColumn) {
  TempDir dir;
  write_file(dir / "bad.json", "{\"files\": {\n  \"a.py\": {\"executed_lines\": [1,, 2]}}}");
  expect_report_error(parse_coverage_py_json, dir / "bad.json",
                      "malformed JSON: parse error at line 2");
}

// ---- Go coverprofile

TEST(GoCoverprofileParser, CountsStatementsAsGoToolCoverDoes) {
  // `go tool cover -func` on this profile: 75.0% of statements.
  const CoverageReport report = parse_go_coverprofile(fixture("go-count.out"));
  EXPECT_EQ(report.format, "go-coverprofile");
  ASSERT_EQ(report.files.size(), 2u);
  EXPECT_EQ(report.files[0].path, "example.com/shipping/label/label.go");
  expect_file(report.files[0], 3, 2, 0, 0);
  EXPECT_EQ(report.files[0].line_hits, (Hits{{7, 1}, {8, 1}, {9, 0}, {10, 0}, {11, 1}}));
  const FileCoverage& shipping = find_file(report, "example.com/shipping/shipping.go");
  expect_file(shipping, 9, 7, 0, 0);
  EXPECT_EQ(shipping.line_hits, (Hits{{8, 3},
                                      {9, 3},
                                      {10, 1},
                                      {11, 1},
                                      {12, 2},
                                      {13, 0},
                                      {14, 0},
                                      {15, 2},
                                      {16, 3},
                                      {17, 3},
                                      {18, 3},
                                      {19, 2},
                                      {23, 0},
                                      {24, 0},
                                      {25, 0}}));
  expect_totals(report, 12, 9, 0, 0);
}

TEST(GoCoverprofileParser, ReadsSetMode) {
  const CoverageReport report = parse_go_coverprofile(fixture("go-set.out"));
  ASSERT_EQ(report.files.size(), 2u);
  EXPECT_EQ(report.files[0].path, "example.com/shipping/shipping.go");
  EXPECT_EQ(report.files[0].line_hits.at(17), 1);
  expect_totals(report, 12, 9, 0, 0);
}

TEST(GoCoverprofileParser, MergesABlockNamedTwiceAsGoToolCoverDoes) {
  TempDir dir;
  write_file(dir / "count.out",
             "mode: count\nm/a.go:3.10,5.2 2 1\nm/a.go:7.1,7.9 1 0\n"
             "mode: count\nm/a.go:3.10,5.2 2 4\nm/a.go:7.1,7.9 1 0\n");
  const CoverageReport count = parse_go_coverprofile(dir / "count.out");
  EXPECT_EQ(count.files[0].line_hits, (Hits{{3, 5}, {4, 5}, {5, 5}, {7, 0}}));
  expect_totals(count, 3, 2, 0, 0);
  write_file(dir / "set.out", "mode: set\nm/a.go:3.10,5.2 2 1\nm/a.go:3.10,5.2 2 1\n");
  EXPECT_EQ(parse_go_coverprofile(dir / "set.out").files[0].line_hits.at(4), 1);
}

TEST(GoCoverprofileParser, RejectsMalformedProfilesNamingTheLine) {
  TempDir dir;
  write_file(dir / "nomode.out", "m/a.go:3.10,5.2 2 1\n");
  expect_report_error(parse_go_coverprofile, dir / "nomode.out",
                      "line 1: expected \"mode: set|count|atomic\" first");
  write_file(dir / "mode.out", "mode: sometimes\n");
  expect_report_error(parse_go_coverprofile, dir / "mode.out", "line 1: unknown mode");
  write_file(dir / "mixed.out", "mode: set\nmode: count\n");
  expect_report_error(parse_go_coverprofile, dir / "mixed.out",
                      "line 2: mode count after mode set");
  write_file(dir / "block.out", "mode: set\nm/a.go:3.10-5.2 2 1\n");
  expect_report_error(parse_go_coverprofile, dir / "block.out", "line 2: expected <file>:");
  write_file(dir / "fields.out", "mode: set\nm/a.go:3.10,5.2 1\n");
  expect_report_error(parse_go_coverprofile, dir / "fields.out", "line 2: expected <file>:");
  write_file(dir / "backwards.out", "mode: set\nm/a.go:9.1,5.2 1 1\n");
  expect_report_error(parse_go_coverprofile, dir / "backwards.out", "block ends before it starts");
  write_file(dir / "huge.out", "mode: set\nm/a.go:1.1,2000000000.2 1 1\n");
  expect_report_error(parse_go_coverprofile, dir / "huge.out", "spans more than");
  write_file(dir / "empty.out", "");
  expect_report_error(parse_go_coverprofile, dir / "empty.out", "the file is empty");
}

TEST(GoCoverprofileParser, RejectsStatementCountsThatOverflow) {
  // Undefined behaviour before (signed overflow), seen with the fuzz build:
  // counts that add up past 64 bits, in one file or over the report.
  TempDir dir;
  const std::string big = "9223372036854775807";
  write_file(dir / "one.out",
             "mode: set\na.go:1.1,1.2 " + big + " 1\na.go:2.1,2.2 " + big + " 1\n");
  expect_report_error(parse_go_coverprofile, dir / "one.out",
                      "the statement counts of a.go add up to more than a 64-bit number");
  write_file(dir / "two.out",
             "mode: set\na.go:1.1,1.2 " + big + " 1\nb.go:2.1,2.2 " + big + " 1\n");
  expect_report_error(parse_go_coverprofile, dir / "two.out",
                      "the counts of the report add up to more than a 64-bit number: not a real "
                      "coverage report");
}

TEST(CoberturaParser, RejectsBranchCountsThatOverflow) {
  TempDir dir;
  const std::string line =
      "<line number='%' hits='1' branch='true' condition-coverage='50% (1/9223372036854775807)'/>";
  std::string lines;
  for (const char* number : {"1", "2"}) {
    std::string one = line;
    one.replace(one.find('%'), 1, number);
    lines += one;
  }
  write_file(dir / "branches.xml",
             "<coverage line-rate='1'><packages><package><classes><class filename='a.c'><lines>" +
                 lines + "</lines></class></classes></package></packages></coverage>\n");
  expect_report_error(parse_cobertura, dir / "branches.xml",
                      "the branch counts of a.c add up to more than a 64-bit number");
}

TEST(GoCoverprofileParser, RejectsEveryTruncationThatCutsALine) {
  TempDir dir;
  const std::string text = read_file(fixture("go-count.out"));
  for (std::size_t size = 1; size < text.size(); size += 3) {
    if (text[size - 1] == '\n') continue;  // a shorter, whole profile
    write_file(dir / "cut.out", text.substr(0, size));
    expect_report_error(parse_go_coverprofile, dir / "cut.out", "truncated");
  }
}

// ---- Detection

struct Detector {
  const char* format;
  bool (*looks_like)(std::string_view);
};
const Detector kDetectors[] = {{"cobertura", looks_like_cobertura},
                               {"lcov", looks_like_lcov},
                               {"coverage-py-json", looks_like_coverage_py_json},
                               {"go-coverprofile", looks_like_go_coverprofile}};

TEST(CoverageDetection, RecognisesEachRealReportAsItsOwnFormatOnly) {
  const std::map<std::string, std::string> formats = {{"gcovr.xml", "cobertura"},
                                                      {"coverage-py.xml", "cobertura"},
                                                      {"c8-cobertura.xml", "cobertura"},
                                                      {"gcov-lcov.info", "lcov"},
                                                      {"c8-lcov.info", "lcov"},
                                                      {"coverage-py.json", "coverage-py-json"},
                                                      {"go-count.out", "go-coverprofile"},
                                                      {"go-set.out", "go-coverprofile"}};
  for (const auto& [name, format] : formats) {
    const std::string head = read_report_head(fixture(name));
    for (const Detector& detector : kDetectors)
      EXPECT_EQ(detector.looks_like(head), format == detector.format)
          << name << " as " << detector.format;
    EXPECT_EQ(parse_coverage(fixture(name)).format, format) << name;
  }
}

TEST(CoverageDetection, RecognisesNoTestReportAsCoverage) {
  for (const char* name : {"gtest.xml", "pytest.xml", "surefire.xml"}) {
    const auto file = testing::source_dir() / "tests/fixtures/junit" / name;
    const std::string head = read_report_head(file);
    for (const Detector& detector : kDetectors) EXPECT_FALSE(detector.looks_like(head)) << name;
    expect_report_error(parse_coverage, file, "not a coverage report in a known format");
  }
  TempDir dir;
  write_file(dir / "empty", "");
  expect_report_error(parse_coverage, dir / "empty", "the file is empty");
}

TEST(CoverageDetection, ParsesTheSameCoverageFromEveryFormatOfOneRun) {
  // gcovr and lcov read the same gcov data; c8 wrote both of its reports from
  // one run; coverage.py's XML and JSON come from one data file.
  const CoverageReport gcovr = parse_coverage(fixture("gcovr.xml"));
  const CoverageReport lcov = parse_coverage(fixture("gcov-lcov.info"));
  EXPECT_EQ(gcovr.lines_covered, lcov.lines_covered);
  EXPECT_EQ(gcovr.branches_total, lcov.branches_total);
  EXPECT_EQ(gcovr.files[0].line_hits, lcov.files[0].line_hits);
  const CoverageReport c8_xml = parse_coverage(fixture("c8-cobertura.xml"));
  const CoverageReport c8_lcov = parse_coverage(fixture("c8-lcov.info"));
  EXPECT_EQ(c8_xml.files[0].line_hits, c8_lcov.files[0].line_hits);
  EXPECT_EQ(c8_xml.branches_covered, c8_lcov.branches_covered);
  const CoverageReport py_xml = parse_coverage(fixture("coverage-py.xml"));
  const CoverageReport py_json = parse_coverage(fixture("coverage-py.json"));
  EXPECT_EQ(py_xml.lines_total, py_json.lines_total);
  EXPECT_EQ(py_xml.lines_covered, py_json.lines_covered);
  EXPECT_EQ(py_xml.branches_total, py_json.branches_total);
}

}  // namespace
}  // namespace qgate
