// The pip-audit parser on real `pip-audit --format json` output committed by
// public repositories (tests/fixtures/audit/README.md names them).
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

long count_of(const AuditReport& report, const std::string& package) {
  return std::count_if(report.vulnerabilities.begin(), report.vulnerabilities.end(),
                       [&](const Vulnerability& v) { return v.package == package; });
}

TEST(PipAuditParser, ReadsEachAdvisoryOfEachDependency) {
  const AuditReport report = parse_pip_audit(fixture("pip-audit.json"));
  EXPECT_EQ(report.format, "pip-audit");
  ASSERT_EQ(report.vulnerabilities.size(), 12u);
  EXPECT_EQ(count_of(report, "flask"), 1);
  EXPECT_EQ(count_of(report, "gunicorn"), 2);
  EXPECT_EQ(count_of(report, "requests"), 2);
  EXPECT_EQ(count_of(report, "urllib3"), 7);
  const Vulnerability& cookie = advisory(report, "PYSEC-2023-192");
  EXPECT_EQ(cookie.package, "urllib3");
  EXPECT_EQ(cookie.version, "1.26.5");
  EXPECT_EQ(cookie.aliases, (std::vector<std::string>{"GHSA-v845-jxx5-vc9f", "CVE-2023-43804"}));
  EXPECT_EQ(cookie.fixed_in, "1.26.17, 2.0.6");
  EXPECT_EQ(cookie.url, "https://osv.dev/vulnerability/PYSEC-2023-192");
  EXPECT_EQ(cookie.title,
            "urllib3 is a user-friendly HTTP client library for Python. urllib3 doesn't treat the "
            "`Cookie` HTTP header special or provide any helpers for managing cookies over HTTP, "
            "that is the responsibility of...");
  const Vulnerability& netrc = advisory(report, "GHSA-9hjg-9r4m-mvj7");
  EXPECT_EQ(netrc.package, "requests");
  EXPECT_EQ(netrc.version, "2.31.0");
  EXPECT_EQ(netrc.aliases, std::vector<std::string>{"CVE-2024-47081"});
  EXPECT_EQ(netrc.fixed_in, "2.32.4");
  // The order of the report is pip-audit's.
  EXPECT_EQ(report.vulnerabilities.front().id, "GHSA-68rp-wp8r-4726");
  EXPECT_EQ(report.vulnerabilities.back().id, "GHSA-38jv-5279-wg99");
}

TEST(PipAuditParser, LeavesEveryAdvisoryWithoutASeverityForPipAuditGivesNone) {
  const AuditReport report = parse_pip_audit(fixture("pip-audit.json"));
  for (const Vulnerability& v : report.vulnerabilities) {
    EXPECT_FALSE(v.severity.has_value()) << v.id;
  }
  const json written = json::parse(testing::read_file(fixture("pip-audit.json")));
  for (const json& dependency : written.at("dependencies")) {
    for (const json& vuln : dependency.at("vulns")) EXPECT_FALSE(vuln.contains("severity"));
  }
}

// Judges the pip-audit fixture (12 advisories, no severity) in a security
// gate with `options`.
ReportVerdict judge_pip_audit(const json& options) {
  GateConfig gate;
  gate.name = "security";
  gate.reports = {{"audit/pip-audit.json", ""}};
  gate.options = options;
  return judge_reports(gate, testing::source_dir() / "tests/fixtures");
}

TEST(PipAuditReportGates, AnAdvisoryWithoutSeverityFailsAtAnyFailOn) {
  for (const char* fail_on : {"low", "high", "critical"}) {
    const ReportVerdict verdict = judge_pip_audit({{"fail_on", fail_on}});
    EXPECT_EQ(verdict.outcome.status, Status::failed) << fail_on;
    EXPECT_EQ(verdict.outcome.message, std::string("audit/pip-audit.json: 12 vulnerable "
                                                   "dependencies, 12 at or above ") +
                                           fail_on);
  }
  const ReportVerdict verdict = judge_pip_audit({{"fail_on", "high"}});
  ASSERT_EQ(verdict.outcome.findings.size(), 12u);
  const Finding& first = verdict.outcome.findings.front();
  EXPECT_EQ(first.severity, Severity::critical);
  EXPECT_EQ(first.rule, "GHSA-68rp-wp8r-4726");
  // The reader is told that the rank is assumed, and how to change it.
  EXPECT_NE(first.message.find("[pip-audit gives no severity: taken as critical "
                               "(unknown_severity)]"),
            std::string::npos)
      << first.message;
}

TEST(PipAuditReportGates, TheUserSetsTheSeverityTakenForAdvisoriesWithoutOne) {
  const ReportVerdict below =
      judge_pip_audit({{"fail_on", "high"}, {"unknown_severity", "medium"}});
  EXPECT_EQ(below.outcome.status, Status::passed) << below.outcome.message;
  EXPECT_EQ(below.outcome.message,
            "audit/pip-audit.json: 12 vulnerable dependencies, 0 at or above high");
  for (const Finding& finding : below.outcome.findings) {
    EXPECT_EQ(finding.severity, Severity::medium) << finding.rule;
  }
  const ReportVerdict at = judge_pip_audit({{"fail_on", "high"}, {"unknown_severity", "high"}});
  EXPECT_EQ(at.outcome.status, Status::failed) << at.outcome.message;
}

TEST(PipAuditParser, ReadsACleanAuditAsNoVulnerabilities) {
  const AuditReport report = parse_pip_audit(fixture("pip-audit-clean.json"));
  EXPECT_EQ(report.format, "pip-audit");
  EXPECT_TRUE(report.vulnerabilities.empty());
}

TEST(PipAuditParser, SkipsDependenciesPipAuditCouldNotAudit) {
  TempDir dir;
  const AuditReport report =
      parse_pip_audit(write_in(dir, "skipped.json",
                               R"json({"dependencies": [{"name": "azure-devops", "skip_reason":
          "Dependency not found on PyPI and could not be audited: azure-devops (0.17.0)"}],
          "fixes": []})json"));
  EXPECT_TRUE(report.vulnerabilities.empty());
}

TEST(PipAuditParser, RejectsMalformedTruncatedAndOtherFormats) {
  TempDir dir;
  const auto source = fixture("pip-audit.json");
  const std::size_t size = std::filesystem::file_size(source);
  for (const std::size_t bytes : {std::size_t{1}, size / 4, size / 2, size - 2}) {
    expect_report_error(parse_pip_audit, testing::truncated_copy(dir, source, bytes),
                        "invalid JSON at line");
  }
  expect_report_error(parse_pip_audit, write_in(dir, "empty.json", ""), "is empty");
  expect_report_error(
      parse_pip_audit,
      write_in(dir, "v1.json", R"([{"name": "adal", "version": "1.2.2", "vulns": []}])"),
      "pip-audit 1's bare list");
  expect_report_error(parse_pip_audit, write_in(dir, "string.json", R"("x")"), "not a JSON object");
  expect_report_error(parse_pip_audit, write_in(dir, "deps.json", R"({"dependencies": {}})"),
                      "no \"dependencies\" array: not a pip-audit report");
  expect_report_error(
      parse_pip_audit,
      write_in(dir, "novulns.json", R"({"dependencies": [{"name": "flask", "version": "3.0.0"}]})"),
      "dependencies[0] (flask) has no \"vulns\" array");
  expect_report_error(parse_pip_audit,
                      write_in(dir, "noname.json", R"({"dependencies": [{"version": "1"}]})"),
                      "dependencies[0] has no \"name\"");
  expect_report_error(
      parse_pip_audit,
      write_in(
          dir, "noid.json",
          R"({"dependencies": [{"name": "x", "version": "1", "vulns": [{"fix_versions": []}]}]})"),
      "dependencies[0].vulns[0] has no \"id\"");
  expect_report_error(
      parse_pip_audit,
      write_in(
          dir, "fix.json",
          R"({"dependencies": [{"name": "x", "version": "1", "vulns": [{"id": "PYSEC-1", "fix_versions": "2"}]}]})"),
      "dependencies[0].vulns[0].fix_versions is not an array");
  expect_report_error(parse_pip_audit, fixture("npm-audit-clean.json"),
                      "no \"dependencies\" array");
}

TEST(PipAuditParser, DetectsPipAuditOutputAndNothingElse) {
  for (const char* name : {"pip-audit.json", "pip-audit-clean.json"}) {
    const std::string head = read_report_head(fixture(name));
    EXPECT_TRUE(looks_like_pip_audit(head)) << name;
    EXPECT_FALSE(looks_like_npm_audit(head)) << name;
    EXPECT_FALSE(looks_like_osv_scanner(head)) << name;
    const ParsedReport parsed = read_report(fixture(name));
    ASSERT_TRUE(std::holds_alternative<AuditReport>(parsed)) << name;
    EXPECT_EQ(std::get<AuditReport>(parsed).format, "pip-audit");
  }
  for (const char* name :
       {"audit/npm-audit-stubbed-advisories.json", "audit/osv-scanner-go-trimmed.json",
        "audit/osv-scanner-clean.json", "findings/eslint.sarif", "benchmark/hyperfine.json"}) {
    EXPECT_FALSE(looks_like_pip_audit(read_report_head(testing::fixture_path(name)))) << name;
  }
  EXPECT_EQ(std::get<AuditReport>(read_report(fixture("pip-audit.json"), "pip-audit"))
                .vulnerabilities.size(),
            12u);
}

}  // namespace
}  // namespace qgate
