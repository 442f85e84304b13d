// The npm audit parser on real `npm audit --json` output
// (tests/fixtures/audit/README.md says how each file was made).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "gates/parsers/audit.hpp"
#include "gates/parsers/json_reader.hpp"
#include "gates/parsers/report_head.hpp"
#include "tests/gates/parsers/parser_fixtures.hpp"
#include "tests/test_support.hpp"

namespace qgate {
namespace {

using testing::advisory;
using testing::expect_report_error;
using testing::TempDir;
using testing::write_in;

std::filesystem::path fixture(const std::string& name) {
  return testing::fixture_path("audit/" + name);
}

TEST(NpmAuditParser, ReadsEachAdvisoryOfEachVulnerablePackage) {
  const AuditReport report = parse_npm_audit(fixture("npm-audit-stubbed-advisories.json"));
  EXPECT_EQ(report.format, "npm-audit");
  // lodash: 3 advisories; minimist: 2 advisories listed for 2 ranges each;
  // mkdirp: vulnerable only through minimist, so not repeated.
  ASSERT_EQ(report.vulnerabilities.size(), 5u);
  EXPECT_EQ(std::count_if(report.vulnerabilities.begin(), report.vulnerabilities.end(),
                          [](const Vulnerability& v) { return v.package == "lodash"; }),
            3);
  EXPECT_EQ(std::count_if(report.vulnerabilities.begin(), report.vulnerabilities.end(),
                          [](const Vulnerability& v) { return v.package == "minimist"; }),
            2);
  const Vulnerability& command_injection = advisory(report, "GHSA-35jh-r3h4-6jhm");
  EXPECT_EQ(command_injection.package, "lodash");
  EXPECT_EQ(command_injection.severity, Severity::high);
  EXPECT_EQ(command_injection.title, "Command Injection in lodash");
  EXPECT_EQ(command_injection.url, "https://github.com/advisories/GHSA-35jh-r3h4-6jhm");
  EXPECT_EQ(command_injection.version, "<4.17.21");
  EXPECT_EQ(command_injection.fixed_in, "lodash@4.18.1");
  EXPECT_EQ(advisory(report, "GHSA-jf85-cpcp-j695").severity, Severity::critical);
  EXPECT_EQ(advisory(report, "GHSA-29mw-wpgm-hmr9").severity, Severity::medium);  // "moderate"
}

TEST(NpmAuditParser, JoinsTheRangesOfOneAdvisoryAndKeepsTheFixNpmProposes) {
  const AuditReport report = parse_npm_audit(fixture("npm-audit-stubbed-advisories.json"));
  const Vulnerability& pollution = advisory(report, "GHSA-xvch-5gv4-984h");
  EXPECT_EQ(pollution.package, "minimist");
  EXPECT_EQ(pollution.severity, Severity::critical);
  EXPECT_EQ(pollution.version, "<0.2.4 || >=1.0.0 <1.2.6");
  // The old minimist sits under mkdirp: npm's fix is to upgrade mkdirp.
  EXPECT_EQ(pollution.fixed_in, "mkdirp@0.5.6");
  EXPECT_EQ(advisory(report, "GHSA-vh95-rmgr-6w4m").version, "<0.2.1 || >=1.0.0 <1.2.3");
}

TEST(NpmAuditParser, ReadsACleanAuditAsNoVulnerabilities) {
  const AuditReport report = parse_npm_audit(fixture("npm-audit-clean.json"));
  EXPECT_EQ(report.format, "npm-audit");
  EXPECT_TRUE(report.vulnerabilities.empty());
}

TEST(NpmAuditParser, ReportsAnAuditTheRegistryRefusedAsAnErrorNotACleanResult) {
  expect_report_error(parse_npm_audit, fixture("npm-audit-registry.json"),
                      "npm audit failed: 405 Method Not Allowed");
}

TEST(NpmAuditParser, ReportsAnAuditWithoutLockfileAsAnError) {
  expect_report_error(parse_npm_audit, fixture("npm-audit-no-lockfile.json"),
                      "npm audit failed: ENOLOCK: This command requires an existing lockfile.");
}

TEST(NpmAuditParser, RejectsMalformedTruncatedAndOtherFormats) {
  TempDir dir;
  const auto source = fixture("npm-audit-stubbed-advisories.json");
  const std::size_t size = std::filesystem::file_size(source);
  for (const std::size_t bytes : {std::size_t{1}, size / 4, size / 2, size - 3}) {
    expect_report_error(parse_npm_audit, testing::truncated_copy(dir, source, bytes),
                        "invalid JSON at line");
  }
  expect_report_error(parse_npm_audit, write_in(dir, "empty.json", ""), "is empty");
  expect_report_error(parse_npm_audit, write_in(dir, "array.json", "[]"), "not a JSON object");
  expect_report_error(parse_npm_audit, write_in(dir, "other.json", R"({"name": "x"})"),
                      "not an npm audit report");
  expect_report_error(parse_npm_audit,
                      write_in(dir, "npm6.json",
                               R"({"actions": [], "advisories": {}, "muted": [], "metadata": {}})"),
                      "npm 6's audit format");
  expect_report_error(
      parse_npm_audit,
      write_in(dir, "v1.json", R"({"auditReportVersion": 1, "vulnerabilities": {}})"),
      "auditReportVersion 1");
  expect_report_error(parse_npm_audit,
                      write_in(dir, "novulns.json", R"({"auditReportVersion": 2})"),
                      "no \"vulnerabilities\" object");
  expect_report_error(
      parse_npm_audit,
      write_in(dir, "novia.json",
               R"({"auditReportVersion": 2, "vulnerabilities": {"x": {"severity": "high"}}})"),
      "vulnerabilities.x has no \"via\" array");
  expect_report_error(
      parse_npm_audit,
      write_in(dir, "severity.json",
               R"({"auditReportVersion": 2, "vulnerabilities": {"x": {"severity": "severe",
                   "via": []}}})"),
      "severity 'severe'");
  expect_report_error(parse_npm_audit, testing::fixture_path("findings/eslint.sarif"),
                      "not an npm audit report");
}

TEST(NpmAuditParser, DetectsNpmAuditOutputAndNothingElse) {
  for (const char* name : {"npm-audit-stubbed-advisories.json", "npm-audit-clean.json",
                           "npm-audit-registry.json", "npm-audit-no-lockfile.json"}) {
    EXPECT_TRUE(looks_like_npm_audit(read_report_head(fixture(name)))) << name;
  }
  for (const char* name : {"findings/eslint.sarif", "findings/cppcheck.xml",
                           "benchmark/google-benchmark.json", "benchmark/hyperfine.json"}) {
    EXPECT_FALSE(looks_like_npm_audit(read_report_head(testing::fixture_path(name)))) << name;
  }
}

}  // namespace
}  // namespace qgate
