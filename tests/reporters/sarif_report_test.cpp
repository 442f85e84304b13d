#include "reporters/sarif_report.hpp"

#include <gtest/gtest.h>

#include "gates/parsers/sarif.hpp"
#include "reporters/reports.hpp"
#include "tests/test_support.hpp"

namespace qgate {
namespace {

using testing::TempDir;

RunResult run_with_findings() {
  RunResult run;
  run.id = "0f0e0d0c-0000-4000-8000-000000000001";
  run.module_id = "api-001";
  run.module_path = "/src/api-core";
  run.commit_sha = "0123456789abcdef0123456789abcdef01234567";
  GateResult lint;
  lint.name = "lint";
  lint.findings.push_back({"linting_rules_followed", "SC2086", Severity::medium,
                           "Double quote to prevent globbing", "scripts/run.sh", 12, 7, "abc123",
                           ""});
  lint.findings.push_back({"linting_rules_followed", "SC2086", Severity::low, "Same rule again",
                           "scripts/run.sh", 30, 1, "", ""});
  GateResult docs;
  docs.name = "documentation";
  docs.findings.push_back({"module_readme_complete", "", Severity::high,
                           "README.md has no \"Usage\" section", "README.md", 0, 0, "", ""});
  docs.findings.push_back({"module_readme_complete", "readme.stub", Severity::info,
                           "no file for this one", "", 0, 0, "", ""});
  run.gates = {lint, docs};
  return run;
}

TEST(SarifReport, WritesEveryFindingWithRulesLevelsAndLocations) {
  const nlohmann::json sarif = run_to_sarif(run_with_findings());
  EXPECT_EQ(sarif.at("version"), "2.1.0");
  const auto& run = sarif.at("runs").at(0);
  EXPECT_EQ(run.at("tool").at("driver").at("name"), "qgate");
  // Rules once each, results in order; a finding without a rule is its gate's.
  ASSERT_EQ(run.at("tool").at("driver").at("rules").size(), 3u);
  ASSERT_EQ(run.at("results").size(), 4u);
  const auto& first = run.at("results").at(0);
  EXPECT_EQ(first.at("ruleId"), "SC2086");
  EXPECT_EQ(first.at("level"), "warning");
  EXPECT_EQ(first.at("locations").at(0).at("physicalLocation").at("region").at("startLine"), 12);
  EXPECT_EQ(first.at("partialFingerprints").at("qgate/v1"), "abc123");
  EXPECT_EQ(run.at("results").at(1).at("ruleIndex"), 0);
  EXPECT_EQ(run.at("results").at(2).at("ruleId"), "documentation");
  EXPECT_EQ(run.at("results").at(2).at("level"), "error");
  EXPECT_FALSE(
      run.at("results").at(2).at("locations").at(0).at("physicalLocation").contains("region"));
  EXPECT_FALSE(run.at("results").at(3).contains("locations"));
  EXPECT_EQ(run.at("results").at(3).at("level"), "none");
}

TEST(SarifReport, ReadsBackThroughQgatesOwnSarifParser) {
  TempDir dir;
  write_report_file(ReportFormat::sarif, run_with_findings(), dir / "qgate.sarif");
  const FindingsReport parsed = parse_sarif(dir / "qgate.sarif");
  EXPECT_EQ(parsed.tool, "qgate");
  ASSERT_EQ(parsed.findings.size(), 4u);
  EXPECT_EQ(parsed.findings[0].rule, "SC2086");
  EXPECT_EQ(parsed.findings[0].severity, Severity::medium);
  EXPECT_EQ(parsed.findings[0].line, 12);
  EXPECT_EQ(parsed.findings[0].column, 7);
  EXPECT_NE(parsed.findings[0].file.find("scripts/run.sh"), std::string::npos);
  EXPECT_NE(parsed.findings[0].fingerprint.find("abc123"), std::string::npos);
  EXPECT_EQ(parsed.findings[1].severity, Severity::low);
  EXPECT_EQ(parsed.findings[2].severity, Severity::high);
  EXPECT_EQ(parsed.findings[3].severity, Severity::info);
}

TEST(SarifReport, IsSelectedByName) {
  EXPECT_EQ(report_format_from_string("sarif"), ReportFormat::sarif);
  EXPECT_EQ(to_string(ReportFormat::sarif), "sarif");
  EXPECT_EQ(nlohmann::json::parse(render_report(ReportFormat::sarif, RunResult{}))
                .at("runs")
                .at(0)
                .at("results")
                .size(),
            0u);
}

}  // namespace
}  // namespace qgate
