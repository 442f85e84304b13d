// The osv-scanner parser on real `osv-scanner --format json` output committed
// by public repositories (tests/fixtures/audit/README.md names them and says
// how the large one was trimmed), and the CVSS v3 scores it ranks by.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "gates/parsers/audit.hpp"
#include "gates/parsers/osv.hpp"
#include "gates/parsers/pip_audit.hpp"
#include "gates/parsers/report_head.hpp"
#include "gates/report_checks.hpp"
#include "gates/report_reader.hpp"
#include "tests/gates/parsers/parser_fixtures.hpp"
#include "tests/test_support.hpp"

namespace qgate {
namespace {

using nlohmann::json;
using testing::advisory;
using testing::expect_report_error;
using testing::TempDir;
using testing::write_in;

std::filesystem::path fixture(const std::string& name) {
  return testing::fixture_path("audit/" + name);
}

long with_severity(const AuditReport& report, Severity severity) {
  return std::count_if(report.vulnerabilities.begin(), report.vulnerabilities.end(),
                       [&](const Vulnerability& v) { return v.severity == severity; });
}

long without_severity(const AuditReport& report) {
  return std::count_if(report.vulnerabilities.begin(), report.vulnerabilities.end(),
                       [&](const Vulnerability& v) { return !v.severity.has_value(); });
}

// Writes a copy of fixture `name` with `from` replaced by `to` (once).
std::filesystem::path edited(const TempDir& dir, const std::string& name, const std::string& from,
                             const std::string& to) {
  std::string text = testing::read_file(fixture(name));
  const auto at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("no '" + from + "' in " + name);
  text.replace(at, from.size(), to);
  return write_in(dir, "edited-" + name, text);
}

TEST(Cvss3, ScoresVectorsAsTheSpecificationDoes) {
  // Scores published by NVD for these vectors.
  EXPECT_EQ(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"), 7.5);
  EXPECT_EQ(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), 9.8);
  EXPECT_EQ(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"), 6.1);
  EXPECT_EQ(cvss3_base_score("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"), 7.8);
  EXPECT_EQ(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"), 10.0);
  EXPECT_EQ(cvss3_base_score("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N"), 3.1);
  EXPECT_EQ(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"), 0.0);
  EXPECT_FALSE(cvss3_base_score("AV:N/AC:L/Au:N/C:P/I:P/A:P"));  // CVSS v2
  EXPECT_FALSE(cvss3_base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"));
  EXPECT_FALSE(cvss3_base_score("CVSS:3.1/AV:N/AC:L"));
  EXPECT_FALSE(cvss3_base_score("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"));
}

TEST(Cvss3, RatesScoresInTheV3Bands) {
  EXPECT_EQ(severity_of_cvss(10.0), Severity::critical);
  EXPECT_EQ(severity_of_cvss(9.0), Severity::critical);
  EXPECT_EQ(severity_of_cvss(8.9), Severity::high);
  EXPECT_EQ(severity_of_cvss(7.0), Severity::high);
  EXPECT_EQ(severity_of_cvss(6.9), Severity::medium);
  EXPECT_EQ(severity_of_cvss(4.0), Severity::medium);
  EXPECT_EQ(severity_of_cvss(3.9), Severity::low);
  EXPECT_EQ(severity_of_cvss(0.1), Severity::low);
  EXPECT_EQ(severity_of_cvss(0.0), Severity::info);
}

TEST(OsvScannerParser, ReadsOneVulnerabilityPerAdvisoryGroup) {
  const AuditReport report = parse_osv_scanner(fixture("osv-scanner-go-trimmed.json"));
  EXPECT_EQ(report.format, "osv-scanner");
  ASSERT_EQ(report.vulnerabilities.size(), 36u);
  for (const Vulnerability& v : report.vulnerabilities) {
    EXPECT_EQ(v.package, "code.gitea.io/gitea");
    EXPECT_EQ(v.version, "1.9.0-dev");
  }
  const Vulnerability& deletion = advisory(report, "GO-2022-0442");
  EXPECT_EQ(deletion.aliases, (std::vector<std::string>{"GHSA-g7p7-x6w7-w6qg",
                                                        "BIT-gitea-2022-27313", "CVE-2022-27313"}));
  EXPECT_EQ(deletion.title, "Arbitrary file deletion in gitea in code.gitea.io/gitea");
  EXPECT_EQ(deletion.fixed_in, "1.16.4");
  EXPECT_EQ(deletion.severity, Severity::high);  // max_severity 7.5
  EXPECT_EQ(deletion.url, "https://osv.dev/vulnerability/GO-2022-0442");
  EXPECT_EQ(report.vulnerabilities.back().id, "GHSA-3m6q-h5gj-7mrw");
  EXPECT_TRUE(report.vulnerabilities.back().aliases.empty());
}

TEST(OsvScannerParser, ReadsAWholeReportWithCallAnalysis) {
  const AuditReport report = parse_osv_scanner(fixture("osv-scanner-go-stdlib.json"));
  ASSERT_EQ(report.vulnerabilities.size(), 3u);
  const Vulnerability& open = report.vulnerabilities[1];
  EXPECT_EQ(open.id, "GO-2025-3750");
  EXPECT_EQ(open.package, "stdlib");
  EXPECT_EQ(open.version, "1.24.3");
  EXPECT_EQ(open.aliases, (std::vector<std::string>{"BIT-golang-2025-0913", "CVE-2025-0913"}));
  EXPECT_EQ(open.title,
            "Inconsistent handling of O_CREATE|O_EXCL on Unix and Windows in os in syscall");
  // Fixed on both maintained branches.
  EXPECT_EQ(open.fixed_in, "1.23.10, 1.24.4");
  EXPECT_EQ(report.vulnerabilities[0].id, "GO-2025-3749");
  EXPECT_EQ(report.vulnerabilities[0].fixed_in, "1.24.4");
  EXPECT_EQ(report.vulnerabilities[2].title,
            "Sensitive headers not cleared on cross-origin redirect in net/http");
  // No group has a score and Go's records carry none: all three are unknown.
  EXPECT_EQ(without_severity(report), 3);
}

TEST(OsvScannerParser, RanksByTheGroupsMaxSeverityAndLeavesUnscoredWithout) {
  const AuditReport report = parse_osv_scanner(fixture("osv-scanner-go-trimmed.json"));
  EXPECT_EQ(advisory(report, "GO-2024-3056").severity, Severity::critical);  // 10.0
  EXPECT_EQ(advisory(report, "GO-2023-1971").severity, Severity::high);      // 8.6
  EXPECT_EQ(advisory(report, "GO-2022-0353").severity, Severity::medium);    // 5.3
  EXPECT_EQ(advisory(report, "GO-2023-1894").severity, Severity::low);       // 3.0
  // "" : Go's advisory carries no score and none of its aliases had one.
  const Vulnerability& replay = advisory(report, "GO-2022-0310");
  EXPECT_FALSE(replay.severity.has_value());
  EXPECT_EQ(replay.title, "Capture-replay in Gitea in code.gitea.io/gitea");
  EXPECT_EQ(replay.fixed_in, "1.11.2");
  // 26 scored groups: 1 critical, 6 high, 15 medium, 4 low; 10 unscored.
  EXPECT_EQ(with_severity(report, Severity::critical), 1);
  EXPECT_EQ(with_severity(report, Severity::high), 6);
  EXPECT_EQ(with_severity(report, Severity::medium), 15);
  EXPECT_EQ(with_severity(report, Severity::low), 4);
  EXPECT_EQ(without_severity(report), 10);
  const json groups = json::parse(testing::read_file(fixture("osv-scanner-go-trimmed.json")))
                          .at("results")[0]
                          .at("packages")[0]
                          .at("groups");
  EXPECT_EQ(std::count_if(groups.begin(), groups.end(),
                          [](const json& g) { return g.at("max_severity") == ""; }),
            10);
}

TEST(OsvScannerParser, FallsBackToTheRecordsSeverityWhenTheGroupHasNoScore) {
  // The report with the GO-2022-0310 record given the severity fields other
  // databases write (GitHub's label, a CVSS v3 vector).
  TempDir dir;
  const std::string from =
      "\"review_status\": \"UNREVIEWED\",\n                \"url\": "
      "\"https://pkg.go.dev/vuln/GO-2022-0310\"";
  const AuditReport labelled = parse_osv_scanner(
      edited(dir, "osv-scanner-go-trimmed.json", from, "\"severity\": \"HIGH\", " + from));
  EXPECT_EQ(advisory(labelled, "GO-2022-0310").severity, Severity::high);
  const AuditReport scored = parse_osv_scanner(
      edited(dir, "osv-scanner-go-trimmed.json", "\"id\": \"GO-2022-0310\",",
             "\"id\": \"GO-2022-0310\", \"severity\": [{\"type\": \"CVSS_V3\", \"score\": "
             "\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"}],"));
  EXPECT_EQ(advisory(scored, "GO-2022-0310").severity, Severity::critical);
  // A group's score wins over its records'.
  EXPECT_EQ(advisory(scored, "GO-2022-0353").severity, Severity::medium);
}

TEST(OsvScannerParser, ReadsACleanScanAsNoVulnerabilities) {
  const AuditReport report = parse_osv_scanner(fixture("osv-scanner-clean.json"));
  EXPECT_EQ(report.format, "osv-scanner");
  EXPECT_TRUE(report.vulnerabilities.empty());
}

TEST(OsvScannerParser, ReportsAScanWithItsLogMixedInAsAnError) {
  expect_report_error(parse_osv_scanner, fixture("osv-scanner-with-log.json"),
                      "starts with a line that is not JSON ('Starting filesystem walk for root: "
                      "/'): osv-scanner's log is mixed into the report");
}

TEST(OsvScannerParser, RejectsMalformedTruncatedAndOtherFormats) {
  TempDir dir;
  const auto source = fixture("osv-scanner-go-trimmed.json");
  const std::size_t size = std::filesystem::file_size(source);
  for (const std::size_t bytes : {std::size_t{1}, size / 4, size / 2, size - 2}) {
    expect_report_error(parse_osv_scanner, testing::truncated_copy(dir, source, bytes),
                        "invalid JSON at line");
  }
  expect_report_error(parse_osv_scanner, write_in(dir, "empty.json", ""), "is empty");
  expect_report_error(parse_osv_scanner, write_in(dir, "array.json", "[]"), "not a JSON object");
  expect_report_error(parse_osv_scanner, write_in(dir, "results.json", R"({"results": {}})"),
                      "no \"results\" array: not an osv-scanner report");
  expect_report_error(
      parse_osv_scanner,
      write_in(dir, "packages.json",
               R"({"results": [{"source": {"path": "poetry.lock", "type": "lockfile"},
                   "package": {"name": "jinja2", "version": "3.1.4", "ecosystem": "PyPI"}}]})"),
      "results[0] has no \"packages\" array");
  expect_report_error(parse_osv_scanner,
                      write_in(dir, "noname.json",
                               R"({"results": [{"packages": [{"package": {"version": "1"}}]}]})"),
                      "results[0].packages[0].package has no \"name\"");
  expect_report_error(
      parse_osv_scanner,
      write_in(
          dir, "noid.json",
          R"({"results": [{"packages": [{"package": {"name": "x"}, "vulnerabilities": [{}]}]}]})"),
      "results[0].packages[0].vulnerabilities[0] has no \"id\"");
  TempDir edits;
  expect_report_error(parse_osv_scanner,
                      edited(edits, "osv-scanner-go-trimmed.json", "\"max_severity\": \"7.5\"",
                             "\"max_severity\": \"HIGH\""),
                      "results[0].packages[0].groups[2].max_severity 'HIGH' is not a CVSS score");
  expect_report_error(parse_osv_scanner, fixture("pip-audit.json"), "no \"results\" array");
}

TEST(OsvScannerParser, DetectsOsvScannerOutputAndNothingElse) {
  for (const char* name :
       {"osv-scanner-go-trimmed.json", "osv-scanner-go-stdlib.json", "osv-scanner-clean.json"}) {
    const std::string head = read_report_head(fixture(name));
    EXPECT_TRUE(looks_like_osv_scanner(head)) << name;
    EXPECT_FALSE(looks_like_npm_audit(head)) << name;
    EXPECT_FALSE(looks_like_pip_audit(head)) << name;
    const ParsedReport parsed = read_report(fixture(name));
    ASSERT_TRUE(std::holds_alternative<AuditReport>(parsed)) << name;
    EXPECT_EQ(std::get<AuditReport>(parsed).format, "osv-scanner");
  }
  for (const char* name :
       {"audit/npm-audit-stubbed-advisories.json", "audit/pip-audit.json", "findings/eslint.sarif",
        "benchmark/hyperfine.json", "benchmark/k6-summary-export.json"}) {
    EXPECT_FALSE(looks_like_osv_scanner(read_report_head(testing::fixture_path(name)))) << name;
  }
  // Named, the log-mixed report gets the error that says what happened.
  expect_report_error([](const auto& f) { return read_report(f, "osv-scanner"); },
                      fixture("osv-scanner-with-log.json"), "osv-scanner's log is mixed");
}

TEST(AuditReportGates, JudgePipAuditAndOsvScannerReportsAtFailOn) {
  GateConfig gate;
  gate.name = "security";
  gate.reports = {{"audit/pip-audit.json", ""},
                  {"audit/osv-scanner-go-trimmed.json", ""},
                  {"audit/osv-scanner-clean.json", "osv-scanner"},
                  {"audit/pip-audit-clean.json", "pip-audit"}};
  gate.options = json::parse(R"({"fail_on": "high"})");
  const ReportVerdict verdict = judge_reports(gate, testing::source_dir() / "tests/fixtures");
  EXPECT_EQ(verdict.outcome.status, Status::failed) << verdict.outcome.message;
  // pip-audit gives no severity and 10 of osv-scanner's groups have none: a
  // vulnerability of unknown severity counts at or above any fail_on.
  EXPECT_EQ(verdict.outcome.message,
            "audit/pip-audit.json: 12 vulnerable dependencies, 12 at or above high; "
            "audit/osv-scanner-go-trimmed.json: 36 vulnerable dependencies, 17 at or above high; "
            "audit/osv-scanner-clean.json: 0 vulnerable dependencies, 0 at or above high; "
            "audit/pip-audit-clean.json: 0 vulnerable dependencies, 0 at or above high");
  EXPECT_EQ(verdict.outcome.findings.size(), 48u);

  // Unless the user ranks them: then only the 7 scored high or critical count.
  gate.options = json::parse(R"({"fail_on": "high", "unknown_severity": "low"})");
  const ReportVerdict ranked = judge_reports(gate, testing::source_dir() / "tests/fixtures");
  EXPECT_EQ(ranked.outcome.message,
            "audit/pip-audit.json: 12 vulnerable dependencies, 0 at or above high; "
            "audit/osv-scanner-go-trimmed.json: 36 vulnerable dependencies, 7 at or above high; "
            "audit/osv-scanner-clean.json: 0 vulnerable dependencies, 0 at or above high; "
            "audit/pip-audit-clean.json: 0 vulnerable dependencies, 0 at or above high");
}

}  // namespace
}  // namespace qgate
