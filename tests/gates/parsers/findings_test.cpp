// Findings parsers on the real output of clang's static analyzer, flawfinder,
// eslint, shellcheck and cppcheck (tests/fixtures/findings/README.md), plus
// small SARIF documents written here for the rules of the format that none of
// those tools exercises.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "gates/parsers/checkstyle.hpp"
#include "gates/parsers/cppcheck.hpp"
#include "gates/parsers/json_reader.hpp"
#include "gates/parsers/report_head.hpp"
#include "gates/parsers/sarif.hpp"
#include "tests/gates/parsers/parser_fixtures.hpp"
#include "tests/test_support.hpp"

namespace qgate {
namespace {

using testing::expect_report_error;
using testing::TempDir;

std::filesystem::path fixture(const std::string& name) {
  return testing::fixture_path("findings/" + name);
}

std::filesystem::path other_fixture(const std::string& name) { return testing::fixture_path(name); }

long count(const FindingsReport& report, Severity severity) {
  return std::count_if(report.findings.begin(), report.findings.end(),
                       [&](const Finding& f) { return f.severity == severity; });
}

long count_rule(const FindingsReport& report, const std::string& rule) {
  return std::count_if(report.findings.begin(), report.findings.end(),
                       [&](const Finding& f) { return f.rule == rule; });
}

const Finding& only(const FindingsReport& report, const std::string& rule) {
  const auto it = std::find_if(report.findings.begin(), report.findings.end(),
                               [&](const Finding& f) { return f.rule == rule; });
  EXPECT_EQ(count_rule(report, rule), 1) << rule;
  if (it == report.findings.end()) throw std::runtime_error("no finding of rule " + rule);
  return *it;
}

// A SARIF 2.1.0 log with one run of `tool` and the given results.
std::string sarif_log(const std::string& run_body) {
  return R"({"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
             "runs": [)" +
         run_body + "]}";
}

// --- SARIF: real tools ------------------------------------------------------

TEST(SarifParser, ReadsClangAnalyzerResultsWrittenBeforeTheTool) {
  const FindingsReport report = parse_sarif(fixture("clang-analyzer.sarif"));
  EXPECT_EQ(report.format, "sarif");
  EXPECT_EQ(report.tool, "clang");
  ASSERT_EQ(report.findings.size(), 5u);
  // clang gives no level and its rules no default: SARIF's default, warning.
  EXPECT_EQ(count(report, Severity::medium), 5);
  EXPECT_EQ(count_rule(report, "core.UndefinedBinaryOperatorResult"), 2);
  const Finding& leak = only(report, "unix.Malloc");
  EXPECT_EQ(leak.file, "/tmp/qgate-findings-src/c/buffers.c");
  EXPECT_EQ(leak.line, 21);
  EXPECT_EQ(leak.column, 13);
  EXPECT_EQ(leak.message, "Potential leak of memory pointed to by 'p'");
  EXPECT_EQ(only(report, "core.NullDereference").line, 32);
}

TEST(SarifParser, ReadsFlawfinderLevelsRelativePathsAndFingerprints) {
  const FindingsReport report = parse_sarif(fixture("flawfinder.sarif"));
  EXPECT_EQ(report.tool, "Flawfinder");
  ASSERT_EQ(report.findings.size(), 4u);
  EXPECT_EQ(count(report, Severity::high), 2);  // level error
  EXPECT_EQ(count(report, Severity::low), 2);   // level note
  const Finding& strcpy_call = only(report, "FF1001");
  EXPECT_EQ(strcpy_call.file, "c/buffers.c");  // relative to uriBaseId SRCROOT
  EXPECT_EQ(strcpy_call.line, 9);
  EXPECT_EQ(strcpy_call.column, 3);
  EXPECT_EQ(strcpy_call.severity, Severity::high);
  EXPECT_EQ(strcpy_call.fingerprint,
            "contextHash/v1=b9cfde8f35bfc3064bbee64f7d50f8c9237ccaac1a07e3f391d8bac7b1192317");
  std::set<std::string> fingerprints;
  for (const Finding& f : report.findings) fingerprints.insert(f.fingerprint);
  EXPECT_EQ(fingerprints.size(), 4u);
}

TEST(SarifParser, ReadsEslintParseErrorNotificationAsAnError) {
  const FindingsReport report = parse_sarif(fixture("eslint.sarif"));
  EXPECT_EQ(report.tool, "ESLint");
  // 5 rule results (a sixth is suppressed in source), the parse error of
  // broken.js and the notice that ignored.js was ignored.
  ASSERT_EQ(report.findings.size(), 7u);
  EXPECT_EQ(count(report, Severity::high), 4);
  EXPECT_EQ(count(report, Severity::medium), 2);
  EXPECT_EQ(count(report, Severity::info), 1);
  const Finding& parse_error = only(report, "parse-error");
  EXPECT_EQ(parse_error.severity, Severity::high);
  EXPECT_EQ(parse_error.file, "/tmp/qgate-findings-src/js/broken.js");
  EXPECT_EQ(parse_error.line, 3);
  EXPECT_EQ(parse_error.column, 3);
  EXPECT_EQ(parse_error.message, "Parsing error: Unexpected keyword 'return'");
  const Finding& ignored = only(report, "tool-notice");
  EXPECT_EQ(ignored.file, "/tmp/qgate-findings-src/js/ignored.js");
  EXPECT_EQ(ignored.line, 0);
}

TEST(SarifParser, SkipsResultsSuppressedInSource) {
  const FindingsReport report = parse_sarif(fixture("eslint.sarif"));
  EXPECT_EQ(only(report, "no-debugger").line, 9);  // not the one at line 15
}

TEST(SarifParser, AgreesWithCheckstyleOnTheSameEslintRun) {
  using Key = std::tuple<std::string, Severity, std::string, int, int>;
  auto keys = [](const FindingsReport& report) {
    std::multiset<Key> out;
    for (const Finding& f : report.findings) {
      out.emplace(f.rule, f.severity, f.file, f.line, f.column);
    }
    return out;
  };
  EXPECT_EQ(keys(parse_sarif(fixture("eslint.sarif"))),
            keys(parse_checkstyle(fixture("eslint.checkstyle.xml"))));
}

// --- SARIF: rules of the format no tool here exercises -----------------------

TEST(SarifParser, KeepsPartialFingerprints) {
  TempDir dir;
  const auto file = testing::write_in(dir, "log.sarif", sarif_log(R"({
    "tool": {"driver": {"name": "scanner"}},
    "results": [
      {"ruleId": "a", "message": {"text": "m"},
       "partialFingerprints": {"contextRegionHash/v1": "ctx", "primaryLocationLineHash": "39fa2ee980eb94b0:1"},
       "fingerprints": {"full/v1": "f"}},
      {"ruleId": "b", "message": {"text": "m"}, "partialFingerprints": {"contextRegionHash/v1": "ctx2"}},
      {"ruleId": "c", "message": {"text": "m"}}
    ]})"));
  const FindingsReport report = parse_sarif(file);
  ASSERT_EQ(report.findings.size(), 3u);
  EXPECT_EQ(report.findings[0].fingerprint, "primaryLocationLineHash=39fa2ee980eb94b0:1");
  EXPECT_EQ(report.findings[1].fingerprint, "contextRegionHash/v1=ctx2");
  EXPECT_EQ(report.findings[2].fingerprint, "");
}

TEST(SarifParser, RanksSecuritySeverityAboveLevelAndLevelAboveRuleDefaults) {
  TempDir dir;
  const auto file = testing::write_in(dir, "log.sarif", sarif_log(R"({
    "tool": {"driver": {"name": "CodeQL", "rules": [
      {"id": "js/sql-injection", "defaultConfiguration": {"level": "error"},
       "properties": {"security-severity": "9.8", "problem.severity": "error"}},
      {"id": "js/unused", "defaultConfiguration": {"level": "note"}},
      {"id": "js/style", "properties": {"problem.severity": "recommendation"}},
      {"id": "js/scored", "properties": {"security-severity": "5.0"}}
    ]}},
    "results": [
      {"ruleId": "js/sql-injection", "level": "note", "message": {"text": "1"}},
      {"ruleId": "js/unused", "message": {"text": "2"}},
      {"ruleId": "js/unused", "level": "error", "message": {"text": "3"}},
      {"ruleId": "js/style", "message": {"text": "4"}},
      {"ruleIndex": 3, "message": {"text": "5"}},
      {"ruleId": "js/unused", "level": "none", "message": {"text": "6"},
       "properties": {"security-severity": 7.5}},
      {"ruleId": "js/unused", "kind": "informational", "message": {"text": "7"}},
      {"ruleId": "js/unused", "kind": "pass", "message": {"text": "passed"}},
      {"ruleId": "js/unused", "baselineState": "absent", "message": {"text": "gone"}},
      {"ruleId": "js/unused", "suppressions": [{"kind": "external", "status": "rejected"}],
       "message": {"text": "8"}}
    ]})"));
  const FindingsReport report = parse_sarif(file);
  ASSERT_EQ(report.findings.size(), 8u);
  EXPECT_EQ(report.findings[0].severity, Severity::critical);  // score 9.8 beats "note"
  EXPECT_EQ(report.findings[1].severity, Severity::low);       // rule default "note"
  EXPECT_EQ(report.findings[2].severity, Severity::high);      // the result's own level
  EXPECT_EQ(report.findings[3].severity, Severity::low);       // problem.severity
  EXPECT_EQ(report.findings[4].severity, Severity::medium);    // score 5.0 of rule 3
  EXPECT_EQ(report.findings[4].rule, "js/scored");
  EXPECT_EQ(report.findings[5].severity, Severity::high);  // score 7.5 on the result
  EXPECT_EQ(report.findings[6].severity, Severity::info);  // not a failure
  EXPECT_EQ(report.findings[7].message, "8");              // a rejected suppression
}

TEST(SarifParser, ResolvesMessageStringsArtifactsAndUriBases) {
  TempDir dir;
  const auto file = testing::write_in(dir, "log.sarif", sarif_log(R"({
    "tool": {"driver": {"name": "analyzer",
      "globalMessageStrings": {"generic": {"text": "Generic {0}."}},
      "rules": [{"id": "R1", "messageStrings": {"default": {"text": "'{0}' is unused in {1}."}},
                 "shortDescription": {"text": "Unused things"}}]}},
    "originalUriBaseIds": {
      "REPO": {"uri": "file:///home/ci/checkout/"},
      "SRC": {"uri": "src/", "uriBaseId": "MODULE"},
      "MODULE": {"uri": "billing/"}
    },
    "artifacts": [{"location": {"uri": "lib/x%20y.c", "uriBaseId": "SRC"}}],
    "results": [
      {"ruleId": "R1", "message": {"id": "default", "arguments": ["count", "main"]},
       "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.c", "uriBaseId": "REPO"},
                                           "region": {"startLine": 4, "startColumn": 2}}}]},
      {"ruleId": "R1", "message": {"id": "generic", "arguments": ["thing"]},
       "locations": [{"physicalLocation": {"artifactLocation": {"index": 0},
                                           "region": {"startLine": 7}}}]},
      {"ruleId": "R1", "message": {"id": "missing"},
       "locations": [{"physicalLocation": {"artifactLocation": {"uri": "b.c", "uriBaseId": "SRC"}}}]},
      {"ruleId": "R1"}
    ]})"));
  const FindingsReport report = parse_sarif(file);
  ASSERT_EQ(report.findings.size(), 4u);
  EXPECT_EQ(report.findings[0].message, "'count' is unused in main.");
  EXPECT_EQ(report.findings[0].file, "a.c");  // relative to the checkout
  EXPECT_EQ(report.findings[0].line, 4);
  EXPECT_EQ(report.findings[0].column, 2);
  EXPECT_EQ(report.findings[1].message, "Generic thing.");
  EXPECT_EQ(report.findings[1].file, "billing/src/lib/x y.c");
  EXPECT_EQ(report.findings[1].line, 7);
  EXPECT_EQ(report.findings[2].message, "Unused things");
  EXPECT_EQ(report.findings[2].file, "billing/src/b.c");
  EXPECT_EQ(report.findings[3].message, "Unused things");
  EXPECT_EQ(report.findings[3].file, "");
  EXPECT_EQ(report.findings[3].line, 0);
}

TEST(SarifParser, ReadsEveryRunOfALog) {
  TempDir dir;
  const auto file = testing::write_in(dir, "log.sarif", sarif_log(R"(
    {"tool": {"driver": {"name": "first"}}, "results": [{"ruleId": "a", "message": {"text": "x"}}]},
    {"tool": {"driver": {"name": "second"}}, "results": []},
    {"results": null, "tool": {"driver": {"name": "third"}},
     "invocations": [{"executionSuccessful": false}]},
    {"tool": {"driver": {"name": "first"}}, "results": [{"ruleId": "b", "level": "error", "message": {"text": "y"}}]}
  )"));
  const FindingsReport report = parse_sarif(file);
  EXPECT_EQ(report.tool, "first,second,third");
  ASSERT_EQ(report.findings.size(), 3u);
  EXPECT_EQ(report.findings[0].rule, "a");
  EXPECT_EQ(report.findings[1].rule, "tool-error");  // the third run failed
  EXPECT_EQ(report.findings[1].severity, Severity::high);
  EXPECT_EQ(report.findings[2].rule, "b");
}

TEST(SarifParser, ReadsALogWithNoResultsAsNoFindings) {
  TempDir dir;
  const auto file = testing::write_in(
      dir, "empty.sarif", sarif_log(R"({"tool": {"driver": {"name": "quiet"}}, "results": []})"));
  const FindingsReport report = parse_sarif(file);
  EXPECT_EQ(report.tool, "quiet");
  EXPECT_TRUE(report.findings.empty());
}

TEST(SarifParser, StreamsALogLargerThanItsReadChunks) {
  // About 6 MB, most of it code flows, across several of the 1 MB chunks the
  // file is read in.
  TempDir dir;
  std::string flow = R"({"threadFlows": [{"locations": [)";
  for (int i = 0; i < 40; ++i) {
    flow += std::string(i ? "," : "") +
            R"({"location": {"message": {"text": "step \"]}"}, "physicalLocation":
               {"artifactLocation": {"uri": "src/a.c"}, "region": {"startLine": 7}}}})";
  }
  flow += "]}]}";
  std::string results;
  const int count = 1500;
  for (int i = 0; i < count; ++i) {
    results += std::string(i ? ",\n" : "") + R"({"ruleId": "r)" + std::to_string(i % 7) +
               R"(", "level": "warning", "message": {"text": "finding )" + std::to_string(i) +
               R"("}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/f)" +
               std::to_string(i) + R"(.c"}, "region": {"startLine": )" + std::to_string(i + 1) +
               R"(}}}], "codeFlows": [)" + flow + R"(], "partialFingerprints":
               {"primaryLocationLineHash": "h)" +
               std::to_string(i) + R"("}})";
  }
  const auto file = testing::write_in(
      dir, "large.sarif",
      sarif_log(R"({"tool": {"driver": {"name": "big"}}, "results": [)" + results + "]}"));
  ASSERT_GT(std::filesystem::file_size(file), 5u << 20);
  const FindingsReport report = parse_sarif(file);
  ASSERT_EQ(report.findings.size(), static_cast<std::size_t>(count));
  const Finding& last = report.findings.back();
  EXPECT_EQ(last.rule, "r" + std::to_string((count - 1) % 7));
  EXPECT_EQ(last.message, "finding " + std::to_string(count - 1));
  EXPECT_EQ(last.file, "src/f" + std::to_string(count - 1) + ".c");
  EXPECT_EQ(last.line, count);
  EXPECT_EQ(last.fingerprint, "primaryLocationLineHash=h" + std::to_string(count - 1));
  // A cut inside the code flows is still a truncated file.
  const std::size_t size = std::filesystem::file_size(file);
  expect_report_error(parse_sarif, testing::truncated_copy(dir, file, size / 2 + 17),
                      "invalid JSON at line");
}

// --- SARIF: broken input -------------------------------------------------------

TEST(SarifParser, NamesTheFileAndLineOfATruncatedLog) {
  TempDir dir;
  for (const char* name : {"clang-analyzer.sarif", "flawfinder.sarif", "eslint.sarif"}) {
    const auto source = fixture(name);
    const std::size_t size = std::filesystem::file_size(source);
    for (const std::size_t bytes : {std::size_t{1}, size / 3, size / 2, size - 2}) {
      expect_report_error(parse_sarif, testing::truncated_copy(dir, source, bytes),
                          "invalid JSON at line");
    }
  }
}

TEST(SarifParser, ReportsTheFirstErrorOfALogWhoseSkippedValueIsMalformedToo) {
  // Found by fuzz/json_reports_fuzzer: the filter that skips code flows saw
  // the bad bracket of line 4 before the parser saw the error of line 3, and
  // which of them was reported depended on the size of the chunks read.
  TempDir dir;
  const auto file = testing::write_in(dir, "two-errors.sarif",
                                      "{\"version\": \"2.1.0\",\n \"runs\": [\n {{\n"
                                      " \"codeFlows\": [}]}]}\n");
  expect_report_error(parse_sarif, file,
                      "invalid JSON at line 3, column 3: syntax error while parsing object key - "
                      "unexpected '{'; expected string literal");
  // A bad bracket alone is still found, at its line.
  const auto alone = testing::write_in(
      dir, "bracket.sarif", "{\"version\": \"2.1.0\",\n \"runs\": [{\n \"codeFlows\": [}]}]}\n");
  expect_report_error(parse_sarif, alone, "invalid JSON at line 3: '}' closes '['");
}

TEST(SarifParser, RejectsWhatIsNotSarif210) {
  TempDir dir;
  expect_report_error(parse_sarif, testing::write_in(dir, "empty.sarif", ""), "is empty");
  expect_report_error(parse_sarif, testing::write_in(dir, "object.sarif", "{}"),
                      "has no \"version\"");
  expect_report_error(parse_sarif, testing::write_in(dir, "array.sarif", "[1, 2]"),
                      "not a JSON object");
  expect_report_error(parse_sarif,
                      testing::write_in(dir, "v2.sarif", R"({"version": "2.0.0", "runs": []})"),
                      "SARIF version 2.0.0");
  expect_report_error(parse_sarif,
                      testing::write_in(dir, "noruns.sarif", R"({"version": "2.1.0"})"),
                      "no \"runs\" array");
  expect_report_error(parse_sarif, testing::write_in(dir, "trailing.sarif", sarif_log("") + " }"),
                      "invalid JSON");
  expect_report_error(parse_sarif, other_fixture("benchmark/google-benchmark.json"),
                      "has no \"version\"");
  expect_report_error(parse_sarif, dir / "missing.sarif", "cannot be read");
}

TEST(SarifParser, RejectsMalformedRunsAndResults) {
  TempDir dir;
  struct Case {
    const char* run;
    const char* problem;
  } cases[] = {
      {R"("run")", "runs[0] is string, not an object"},
      {R"({"results": []})", "runs[0] has no \"tool\""},
      {R"({"tool": {"driver": {}}})", "runs[0].tool.driver has no \"name\""},
      {R"({"tool": {"driver": {"name": "t"}}, "results": {}})", "runs[0].results is an object"},
      {R"({"tool": {"driver": {"name": "t"}}, "results": [3]})", "runs[0].results[0] is number"},
      {R"({"tool": {"driver": {"name": "t"}}, "results": [{}, {"level": "fatal"}]})",
       "runs[0].results[1].level is \"fatal\""},
      {R"({"tool": {"driver": {"name": "t"}}, "results": [{"ruleId": 7}]})",
       "runs[0].results[0].ruleId is number, not a string"},
      {R"({"tool": {"driver": {"name": "t"}}, "results": [{"locations": [{"physicalLocation":
           {"region": {"startLine": "4"}}}]}]})",
       "region.startLine is string, not a whole number"},
  };
  int n = 0;
  for (const Case& c : cases) {
    const auto file =
        testing::write_in(dir, "case" + std::to_string(n++) + ".sarif", sarif_log(c.run));
    expect_report_error(parse_sarif, file, c.problem);
  }
}

// --- checkstyle ---------------------------------------------------------------

TEST(CheckstyleParser, ReadsShellcheckReport) {
  const FindingsReport report = parse_checkstyle(fixture("shellcheck.checkstyle.xml"));
  EXPECT_EQ(report.format, "checkstyle");
  EXPECT_EQ(report.tool, "shellcheck");
  ASSERT_EQ(report.findings.size(), 19u);
  EXPECT_EQ(count(report, Severity::high), 5);
  EXPECT_EQ(count(report, Severity::medium), 5);
  EXPECT_EQ(count(report, Severity::low), 9);
  EXPECT_EQ(count_rule(report, "SC2086"), 4);
  const Finding& cd = only(report, "SC2164");
  EXPECT_EQ(cd.file, "sh/deploy.sh");
  EXPECT_EQ(cd.line, 11);
  EXPECT_EQ(cd.column, 1);
  EXPECT_EQ(cd.message, "Use 'cd ... || exit' or 'cd ... || return' in case cd fails.");
}

TEST(CheckstyleParser, ReadsShellcheckParseErrorsAsErrors) {
  const FindingsReport report = parse_checkstyle(fixture("shellcheck.checkstyle.xml"));
  const Finding& missing_fi = only(report, "SC1046");
  EXPECT_EQ(missing_fi.file, "sh/broken.sh");
  EXPECT_EQ(missing_fi.severity, Severity::high);
}

TEST(CheckstyleParser, ReadsEslintReportWithoutTheRuleRepeatedInTheMessage) {
  const FindingsReport report = parse_checkstyle(fixture("eslint.checkstyle.xml"));
  EXPECT_EQ(report.tool, "eslint");
  ASSERT_EQ(report.findings.size(), 7u);
  EXPECT_EQ(count(report, Severity::high), 4);
  EXPECT_EQ(count(report, Severity::medium), 2);
  EXPECT_EQ(count(report, Severity::info), 1);
  const Finding& eq = only(report, "eqeqeq");
  EXPECT_EQ(eq.message, "Expected '===' and instead saw '=='.");
  EXPECT_EQ(eq.file, "/tmp/qgate-findings-src/js/app.js");
  EXPECT_EQ(eq.line, 6);
  EXPECT_EQ(eq.column, 9);
}

TEST(CheckstyleParser, ReadsEslintParseErrorAsAnErrorAndAnIgnoredFileAsANotice) {
  const FindingsReport report = parse_checkstyle(fixture("eslint.checkstyle.xml"));
  const Finding& parse_error = only(report, "parse-error");
  EXPECT_EQ(parse_error.severity, Severity::high);
  EXPECT_EQ(parse_error.file, "/tmp/qgate-findings-src/js/broken.js");
  EXPECT_EQ(parse_error.line, 3);
  const Finding& ignored = only(report, "tool-notice");
  EXPECT_EQ(ignored.severity, Severity::info);
  EXPECT_EQ(ignored.file, "/tmp/qgate-findings-src/js/ignored.js");
}

TEST(CheckstyleParser, RejectsMalformedAndTruncatedReports) {
  TempDir dir;
  const auto source = fixture("shellcheck.checkstyle.xml");
  for (const std::size_t bytes : {std::size_t{60}, std::size_t{500}, std::size_t{2000}}) {
    expect_report_error(parse_checkstyle, testing::truncated_copy(dir, source, bytes),
                        "invalid XML at line");
  }
  // Cut between two elements, as a writer killed mid-way leaves it.
  const std::string text = testing::read_file(source);
  const std::size_t after = text.find("/>\n", 1000) + 3;
  expect_report_error(parse_checkstyle, testing::truncated_copy(dir, source, after),
                      "Start-end tags mismatch");
  expect_report_error(parse_checkstyle, testing::write_in(dir, "empty.xml", ""), "is empty");
  expect_report_error(parse_checkstyle, fixture("cppcheck.xml"), "not <checkstyle>");
  expect_report_error(
      parse_checkstyle,
      testing::write_in(dir, "severity.xml",
                        "<checkstyle><file name='a.sh'><error line='3' severity='fatal' "
                        "message='m' source='x'/></file></checkstyle>"),
      "severity 'fatal'");
  expect_report_error(
      parse_checkstyle,
      testing::write_in(dir, "line.xml",
                        "<checkstyle><file name='a.sh'><error line='three' severity='error' "
                        "message='m' source='x'/></file></checkstyle>"),
      "line='three'");
  expect_report_error(
      parse_checkstyle,
      testing::write_in(dir, "noname.xml", "<checkstyle><file><error/></file></checkstyle>"),
      "<file> without a name");
  expect_report_error(parse_checkstyle, dir / "missing.xml", "does not exist");
}

// --- cppcheck -------------------------------------------------------------------

TEST(CppcheckParser, ReadsEverySeverity) {
  const FindingsReport report = parse_cppcheck(fixture("cppcheck.xml"));
  EXPECT_EQ(report.format, "cppcheck");
  EXPECT_EQ(report.tool, "cppcheck");
  ASSERT_EQ(report.findings.size(), 24u);
  EXPECT_EQ(count(report, Severity::high), 5);    // error
  EXPECT_EQ(count(report, Severity::medium), 2);  // warning
  EXPECT_EQ(count(report, Severity::low), 16);    // 14 style, 1 performance, 1 portability
  EXPECT_EQ(count(report, Severity::info), 1);    // information
  EXPECT_EQ(count_rule(report, "unusedFunction"), 9);
  EXPECT_EQ(only(report, "passedByValue").severity, Severity::low);
  EXPECT_EQ(only(report, "shiftNegativeLHS").severity, Severity::low);
  EXPECT_EQ(only(report, "uninitMemberVar").severity, Severity::medium);
}

TEST(CppcheckParser, KeepsTheFirstLocationAndTheCwe) {
  const FindingsReport report = parse_cppcheck(fixture("cppcheck.xml"));
  const Finding& null_pointer = only(report, "nullPointer");
  EXPECT_EQ(null_pointer.file, "buffers.c");
  EXPECT_EQ(null_pointer.line, 32);  // the dereference, not the assignment at 28
  EXPECT_EQ(null_pointer.column, 11);
  EXPECT_EQ(null_pointer.message, "Null pointer dereference: p [CWE-476]");
  const Finding& syntax = only(report, "syntaxError");
  EXPECT_EQ(syntax.severity, Severity::high);
  EXPECT_EQ(syntax.file, "broken.c");
  EXPECT_EQ(syntax.line, 3);
  EXPECT_EQ(syntax.message, "Unmatched '('. Configuration: ''.");
  const Finding& include = only(report, "missingInclude");
  EXPECT_EQ(include.severity, Severity::info);
  EXPECT_EQ(include.file, "");  // cppcheck gives it no location
  EXPECT_EQ(include.line, 0);
}

TEST(CppcheckParser, ReadsACleanRunAsNoFindings) {
  const FindingsReport report = parse_cppcheck(fixture("cppcheck-clean.xml"));
  EXPECT_EQ(report.tool, "cppcheck");
  EXPECT_TRUE(report.findings.empty());
}

TEST(CppcheckParser, RejectsMalformedTruncatedAndOldReports) {
  TempDir dir;
  const auto source = fixture("cppcheck.xml");
  for (const std::size_t bytes : {std::size_t{40}, std::size_t{1000}, std::size_t{8000}}) {
    expect_report_error(parse_cppcheck, testing::truncated_copy(dir, source, bytes),
                        "invalid XML at line");
  }
  const std::string text = testing::read_file(source);
  const std::size_t after = text.find("</error>\n", 1000) + 9;
  expect_report_error(parse_cppcheck, testing::truncated_copy(dir, source, after),
                      "Start-end tags mismatch");
  expect_report_error(
      parse_cppcheck,
      testing::write_in(dir, "v1.xml",
                        "<?xml version=\"1.0\"?><results><error file=\"a.c\" line=\"1\" "
                        "id=\"x\" severity=\"error\" msg=\"m\"/></results>"),
      "only version 2 is read");
  expect_report_error(
      parse_cppcheck,
      testing::write_in(dir, "unfinished.xml",
                        "<results version=\"2\"><cppcheck version=\"2.10\"/></results>"),
      "cppcheck did not finish");
  expect_report_error(
      parse_cppcheck,
      testing::write_in(dir, "severity.xml",
                        "<results version=\"2\"><errors><error id=\"x\" severity=\"odd\" "
                        "msg=\"m\"/></errors></results>"),
      "unknown severity 'odd'");
  expect_report_error(parse_cppcheck, fixture("shellcheck.checkstyle.xml"), "not <results>");
}

// --- detection ------------------------------------------------------------------

// Every fixture of this change, with the format it is in.
std::vector<std::pair<std::filesystem::path, std::string>> every_fixture() {
  return {
      {fixture("clang-analyzer.sarif"), "sarif"},
      {fixture("flawfinder.sarif"), "sarif"},
      {fixture("eslint.sarif"), "sarif"},
      {fixture("shellcheck.checkstyle.xml"), "checkstyle"},
      {fixture("eslint.checkstyle.xml"), "checkstyle"},
      {fixture("cppcheck.xml"), "cppcheck"},
      {fixture("cppcheck-clean.xml"), "cppcheck"},
      {other_fixture("benchmark/google-benchmark.json"), "google-benchmark"},
      {other_fixture("benchmark/hyperfine.json"), "hyperfine"},
      {other_fixture("audit/npm-audit-stubbed-advisories.json"), "npm-audit"},
      {other_fixture("audit/npm-audit-registry.json"), "npm-audit"},
  };
}

template <typename Detect>
void expect_detects_only(Detect detect, const std::string& format) {
  for (const auto& [file, actual] : every_fixture()) {
    const std::string head = read_report_head(file);
    ASSERT_FALSE(head.empty()) << file;
    EXPECT_EQ(detect(head), actual == format) << file;
  }
}

TEST(SarifParser, DetectsSarifAndNothingElse) { expect_detects_only(looks_like_sarif, "sarif"); }

TEST(CheckstyleParser, DetectsCheckstyleAndNothingElse) {
  expect_detects_only(looks_like_checkstyle, "checkstyle");
}

TEST(CppcheckParser, DetectsCppcheckXmlAndNothingElse) {
  expect_detects_only(looks_like_cppcheck, "cppcheck");
}

TEST(SarifParser, AHugeMessageIsKeptToABoundedSizeSayingHowMuchWasLeftOut) {
  // A result whose message is 3 MiB: no string of a JSON report is kept
  // beyond 1 MiB.
  TempDir dir;
  const auto file = testing::write_in(
      dir, "big.sarif",
      "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"big\"}},"
      "\"results\":[{\"ruleId\":\"r1\",\"level\":\"error\",\"message\":{\"text\":\"" +
          std::string(3 * 1024 * 1024, 'a') + "\"}}]}]}\n");
  const FindingsReport report = parse_sarif(file);
  ASSERT_EQ(report.findings.size(), 1u);
  EXPECT_EQ(report.findings[0].message, std::string(1024 * 1024, 'a') + " [... " +
                                            std::to_string(2 * 1024 * 1024) + " more bytes]");
}

}  // namespace
}  // namespace qgate
