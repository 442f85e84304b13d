// How findings are counted, ordered and shown by the console, Markdown and
// JSON reports.
#include "reporters/findings.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "reporters/console.hpp"
#include "reporters/markdown_report.hpp"
#include "runner/core/result_json.hpp"

namespace qgate {
namespace {

Finding finding(Severity severity, const std::string& file, int line, const std::string& rule,
                const std::string& baseline = "") {
  Finding f;
  f.requirement = "linting_rules_followed";
  f.rule = rule;
  f.severity = severity;
  f.message = rule + " at " + file + ":" + std::to_string(line);
  f.file = file;
  f.line = line;
  f.column = line > 0 ? 2 : 0;
  f.fingerprint = "fp-" + rule + "-" + std::to_string(line);
  f.baseline = baseline;
  return f;
}

// A lint gate in only-new mode: one new high finding among older ones.
RunResult run_with_findings() {
  RunResult run;
  run.id = "0123456789abcdef";
  run.module_id = "api-001";
  run.module_name = "Core API Layer";
  run.qgate_version = "0.1.0";
  run.status = Status::failed;
  run.exit_code = 1;
  run.requirements = {{"linting_rules_followed", "code_quality", "lint", true, Status::failed,
                       "1 new finding at or above low"}};
  GateResult lint;
  lint.name = "lint";
  lint.status = Status::failed;
  lint.required = true;
  for (int i = 0; i < 6; ++i) {
    lint.findings.push_back(finding(Severity::low, "src/old.sh", 10 + i, "SC2034", "existing"));
  }
  lint.findings.push_back(finding(Severity::medium, "src/old.sh", 40, "SC2086", "existing"));
  lint.findings.push_back(finding(Severity::high, "src/new.sh", 3, "SC2068", "new"));
  run.gates.push_back(lint);
  return run;
}

TEST(Findings, CountsBySeverityAndBaselineState) {
  const RunResult run = run_with_findings();
  const FindingCounts counts = count_findings(run.gates[0].findings);
  EXPECT_EQ(counts.total, 8);
  EXPECT_EQ(counts.by_severity[static_cast<int>(Severity::low)], 6);
  EXPECT_EQ(counts.by_severity[static_cast<int>(Severity::medium)], 1);
  EXPECT_EQ(counts.by_severity[static_cast<int>(Severity::high)], 1);
  EXPECT_EQ(counts.new_findings, 1);
  EXPECT_EQ(counts.existing_findings, 7);
  EXPECT_EQ(describe_counts(counts), "1 high, 1 medium, 6 low; 1 new, 7 existing");
  EXPECT_EQ(describe_counts(count_findings({})), "no findings");
  // Without only-new mode nothing is said about new and existing.
  EXPECT_EQ(describe_counts(count_findings({finding(Severity::info, "a", 1, "r")})), "1 info");
}

TEST(Findings, TopFindingsAreTheMostSevereNewFirstThenByPlace) {
  std::vector<Finding> findings = {
      finding(Severity::low, "b.cpp", 9, "r1"),
      finding(Severity::high, "z.cpp", 1, "r2", "existing"),
      finding(Severity::high, "z.cpp", 7, "r3", "new"),
      finding(Severity::low, "a.cpp", 20, "r4"),
      finding(Severity::critical, "", 0, "r5"),
  };
  const auto top = top_findings(findings, 4);
  ASSERT_EQ(top.size(), 4u);
  EXPECT_EQ(top[0]->rule, "r5");
  EXPECT_EQ(top[1]->rule, "r3");  // new before existing at equal severity
  EXPECT_EQ(top[2]->rule, "r2");
  EXPECT_EQ(top[3]->rule, "r4");  // a.cpp before b.cpp
  EXPECT_EQ(top_findings(findings, 100).size(), 5u);
  EXPECT_EQ(location_of(findings[0]), "b.cpp:9:2");
  EXPECT_EQ(location_of(findings[4]), "");
}

TEST(Findings, ConsoleSummaryListsCountsAndTheMostSevereWithPlaces) {
  std::ostringstream out;
  ConsoleReporter console(out, ConsoleMode::plain, Color::off);
  console.summary(run_with_findings());
  const std::string text = out.str();
  EXPECT_NE(text.find("FINDINGS\n  lint: 8 (1 high, 1 medium, 6 low; 1 new, 7 existing)\n"
                      "    high     src/new.sh:3:2  [SC2068] SC2068 at src/new.sh:3 (new)\n"
                      "    medium   src/old.sh:40:2  [SC2086]"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("    ... and 3 more (qgate show 01234567)"), std::string::npos) << text;
  // The longest severity word still has a space after it.
  RunResult critical = run_with_findings();
  critical.gates.front().findings.front().severity = Severity::critical;
  std::ostringstream critical_out;
  ConsoleReporter(critical_out, ConsoleMode::plain, Color::off).summary(critical);
  EXPECT_NE(critical_out.str().find("    critical src/"), std::string::npos) << critical_out.str();
  // The oldest low findings are the ones left out.
  EXPECT_EQ(text.find("src/old.sh:15"), std::string::npos) << text;
}

TEST(Findings, MarkdownDetailsGiveCountsAndMarkNewFindings) {
  const std::string markdown = render_markdown_report(run_with_findings());
  EXPECT_NE(markdown.find("**Findings** (1 high, 1 medium, 6 low; 1 new, 7 existing):"),
            std::string::npos)
      << markdown;
  const auto high =
      markdown.find("- **high** `src/new.sh:3:2` `SC2068`: SC2068 at src/new.sh:3 _(new)_");
  const auto medium = markdown.find("- **medium** `src/old.sh:40:2`");
  ASSERT_NE(high, std::string::npos) << markdown;
  ASSERT_NE(medium, std::string::npos) << markdown;
  EXPECT_LT(high, medium);
  EXPECT_EQ(markdown.find("`src/old.sh:40:2` `SC2086`: SC2086 at src/old.sh:40 _(new)_"),
            std::string::npos);
}

TEST(Findings, JsonReportCarriesCountsAndBaselineStateAndReadsThemBack) {
  const RunResult run = run_with_findings();
  const auto json = run_to_json(run);
  const auto& gate = json.at("gates").at(0);
  EXPECT_EQ(gate.at("finding_counts").at("total"), 8);
  EXPECT_EQ(gate.at("finding_counts").at("by_severity").at("low"), 6);
  EXPECT_EQ(gate.at("finding_counts").at("new"), 1);
  EXPECT_EQ(gate.at("finding_counts").at("existing"), 7);
  EXPECT_EQ(gate.at("findings").at(7).at("baseline"), "new");
  const RunResult back = run_from_json(json);
  EXPECT_EQ(back.gates.at(0).findings.at(7).baseline, "new");
  EXPECT_EQ(back.gates.at(0).findings.at(0).baseline, "existing");
  // Outside only-new mode the field is left out.
  RunResult plain = run;
  for (auto& f : plain.gates[0].findings) f.baseline.clear();
  EXPECT_FALSE(run_to_json(plain).at("gates").at(0).at("findings").at(0).contains("baseline"));
}

}  // namespace
}  // namespace qgate
