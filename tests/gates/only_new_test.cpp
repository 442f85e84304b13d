// Fingerprints of report findings and only-new mode, on shellcheck reports
// made in the test before and after editing a script.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "gates/finding_fingerprints.hpp"
#include "gates/report_checks.hpp"
#include "tests/test_support.hpp"

namespace qgate {
namespace {

using testing::run_command;
using testing::TempDir;
using testing::write_file;

// Three findings: SC2086 (info) on lines 2 and 4, SC2164 (warning) on line 3.
constexpr const char* kScript = "#!/bin/sh\necho $1\ncd /tmp\nls $HOME\n";

// Writes `script` to script.sh in `dir` and shellchecks it into report.xml.
void lint(const TempDir& dir, const std::string& script) {
  write_file(dir / "script.sh", script);
  const auto result = run_command("shellcheck -f checkstyle script.sh > report.xml", dir.path());
  ASSERT_TRUE(result.exit_code == 0 || result.exit_code == 1) << result.output;
}

ReportVerdict judge(const std::filesystem::path& dir, bool only_new,
                    const std::optional<GateBaseline>& baseline = std::nullopt,
                    const std::string& base_ref = "") {
  GateConfig gate;
  gate.name = "lint";
  gate.reports = {{"report.xml", ""}};
  gate.options = {{"only_new", only_new}, {"fail_on", "info"}};
  ReportContext context;
  context.reference.baseline = baseline;
  context.reference.base_ref = base_ref;
  if (base_ref.empty()) context.reference.missing = "no base ref: the test gives none";
  return judge_reports(gate, dir, context);
}

ReportVerdict judge(const TempDir& dir, bool only_new,
                    const std::optional<GateBaseline>& baseline = std::nullopt) {
  return judge(dir.path(), only_new, baseline);
}

GateBaseline baseline_of(const ReportVerdict& verdict) {
  return GateBaseline{
      "5f0c1a2b-run", "2026-11-22T00:00:00.000Z", verdict.outcome.findings, verdict.metrics, "",
      "run 5f0c1a2b"};
}

std::multiset<std::string> fingerprints(const ReportVerdict& verdict) {
  std::multiset<std::string> all;
  for (const Finding& finding : verdict.outcome.findings) all.insert(finding.fingerprint);
  return all;
}

int count_new(const ReportVerdict& verdict) {
  int fresh = 0;
  for (const Finding& finding : verdict.outcome.findings) fresh += finding.baseline == "new";
  return fresh;
}

TEST(OnlyNewFindings, EveryFindingGetsAFingerprintInEveryMode) {
  TempDir dir;
  lint(dir, kScript);
  const ReportVerdict verdict = judge(dir, false);
  EXPECT_EQ(verdict.outcome.status, Status::failed);
  EXPECT_EQ(verdict.outcome.message, "report.xml: 3 findings, 3 at or above info");
  ASSERT_EQ(verdict.outcome.findings.size(), 3u);
  for (const Finding& finding : verdict.outcome.findings) {
    EXPECT_TRUE(std::regex_match(finding.fingerprint, std::regex("[0-9a-f]{16}")))
        << finding.fingerprint;
    EXPECT_EQ(finding.baseline, "");
  }
  // Same rule, different source lines: different fingerprints.
  const std::multiset<std::string> all = fingerprints(verdict);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 3u);
}

TEST(OnlyNewFindings, WithNeitherABaselineNorABaseRefEveryFindingCountsAndTheReportSaysWhy) {
  // What a fresh CI checkout with the default store used to pass silently.
  TempDir dir;
  lint(dir, kScript);
  const ReportVerdict verdict = judge(dir, true);
  EXPECT_EQ(verdict.outcome.status, Status::failed);
  EXPECT_EQ(verdict.outcome.message,
            "report.xml: 3 findings (all counted as new: no recorded baseline, and no base ref: "
            "the test gives none), 3 new at or above info; `qgate baseline accept lint` takes "
            "this run's findings as the baseline");
  for (const Finding& finding : verdict.outcome.findings) EXPECT_EQ(finding.baseline, "new");
}

// A git repository with kScript committed on main, and a branch "feature".
class ScriptRepository {
 public:
  ScriptRepository() {
    git("init -q -b main");
    write_file(dir_ / ".gitignore", "report.xml\n");
    write_file(dir_ / "script.sh", kScript);
    commit("base");
    git("checkout -q -b feature");
  }
  const TempDir& dir() const { return dir_; }
  void git(const std::string& args) const {
    const auto result = run_command("git " + args, dir_.path());
    ASSERT_EQ(result.exit_code, 0) << "git " << args << ": " << result.output;
  }
  void commit(const std::string& message) const {
    git("add -A");
    git("-c user.name=qgate-test -c user.email=test@example.invalid commit -q -m '" + message +
        "'");
  }

 private:
  TempDir dir_;
};

TEST(OnlyNewFindings, WithoutABaselineFindingsOnLinesChangedSinceTheBaseRefAreNew) {
  ScriptRepository repo;
  // Three old findings, and the branch adds a fourth on a new line.
  lint(repo.dir(), std::string(kScript) + "echo $2\n");
  repo.commit("one more echo");
  ReportVerdict verdict = judge(repo.dir().path(), true, std::nullopt, "main");
  EXPECT_EQ(verdict.outcome.status, Status::failed);
  EXPECT_TRUE(std::regex_match(
      verdict.outcome.message,
      std::regex("report.xml: 4 findings \\(no recorded baseline: 1 on lines changed since main "
                 "\\(merge-base [0-9a-f]{12}\\), 3 elsewhere\\), 1 new at or above info")))
      << verdict.outcome.message;
  ASSERT_EQ(count_new(verdict), 1);
  for (const Finding& finding : verdict.outcome.findings) {
    EXPECT_EQ(finding.baseline, finding.line == 5 ? "new" : "existing") << finding.line;
  }

  // Uncommitted work counts too; quoting the new variable leaves only old findings.
  lint(repo.dir(), std::string(kScript) + "echo \"$2\"\n");
  verdict = judge(repo.dir().path(), true, std::nullopt, "main");
  EXPECT_EQ(verdict.outcome.status, Status::passed) << verdict.outcome.message;
  EXPECT_EQ(count_new(verdict), 0);

  // A base ref git does not know leaves every finding counted, and says so.
  GateConfig gate;
  gate.name = "lint";
  gate.reports = {{"report.xml", ""}};
  gate.options = {{"only_new", true}, {"fail_on", "info"}};
  ReportContext context;
  context.reference.base_ref = "origin/nowhere";
  verdict = judge_reports(gate, repo.dir().path(), context);
  EXPECT_EQ(verdict.outcome.status, Status::failed);
  EXPECT_NE(verdict.outcome.message.find("all counted as new: no recorded baseline, and no changed "
                                         "lines: base ref 'origin/nowhere' is not known to git"),
            std::string::npos)
      << verdict.outcome.message;
}

TEST(OnlyNewFindings, MovingCodeDownKeepsFindingsAndAnAddedOneFails) {
  TempDir dir;
  lint(dir, kScript);
  const GateBaseline baseline = baseline_of(judge(dir, true));

  // 20 lines inserted above: every finding moves down 20 lines.
  std::string moved = "#!/bin/sh\n";
  for (int i = 0; i < 20; ++i) moved += "# note " + std::to_string(i) + "\n";
  moved += std::string(kScript).substr(10);
  lint(dir, moved);
  const ReportVerdict after_move = judge(dir, true, baseline);
  EXPECT_EQ(after_move.outcome.status, Status::passed) << after_move.outcome.message;
  EXPECT_EQ(after_move.outcome.message,
            "report.xml: 3 findings (0 new, 3 existing in the baseline, run 5f0c1a2b), 0 new at or "
            "above info");
  EXPECT_EQ(after_move.outcome.findings[0].line, 22);
  EXPECT_EQ(fingerprints(after_move), fingerprints(judge(dir, false)));
  EXPECT_EQ(count_new(after_move), 0);

  // A new unquoted variable fails, and only it is new.
  lint(dir, moved + "echo $2\n");
  const ReportVerdict added = judge(dir, true, baseline);
  EXPECT_EQ(added.outcome.status, Status::failed);
  EXPECT_EQ(added.outcome.message,
            "report.xml: 4 findings (1 new, 3 existing in the baseline, run 5f0c1a2b), 1 new at or "
            "above info");
  ASSERT_EQ(count_new(added), 1);
  for (const Finding& finding : added.outcome.findings) {
    if (finding.baseline == "new") {
      EXPECT_EQ(finding.line, 25);
      EXPECT_EQ(finding.rule, "SC2086");
    }
  }
}

TEST(OnlyNewFindings, IdenticalFindingsAreCountedNotJustMatched) {
  // Two identical lines with the same finding in the baseline, three now:
  // one is new.
  TempDir dir;
  lint(dir, "#!/bin/sh\necho $1\necho $1\n");
  const GateBaseline baseline = baseline_of(judge(dir, true));
  lint(dir, "#!/bin/sh\necho $1\necho $1\necho $1\n");
  const ReportVerdict verdict = judge(dir, true, baseline);
  EXPECT_EQ(verdict.outcome.status, Status::failed);
  EXPECT_EQ(verdict.outcome.message,
            "report.xml: 3 findings (1 new, 2 existing in the baseline, run 5f0c1a2b), 1 new at or "
            "above info");

  // The same count with fingerprints a tool gave (repeated ones too).
  Finding twin;
  twin.fingerprint = "primaryLocationLineHash=39fa2ee980eb94b0:1";
  BaselineMatcher matcher({twin, twin});
  std::vector<Finding> now = {twin, twin, twin};
  EXPECT_FALSE(matcher.classify(now[0]));
  EXPECT_FALSE(matcher.classify(now[1]));
  EXPECT_TRUE(matcher.classify(now[2]));
  EXPECT_EQ(now[2].baseline, "new");
  EXPECT_EQ(now[0].baseline, "existing");
}

TEST(OnlyNewFindings, KeepsTheFingerprintsAToolGave) {
  // As code-scanning SARIF writers give them (SARIF 2.1.0 partialFingerprints).
  TempDir dir;
  write_file(dir / "scan.sarif",
             R"({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "scanner"}},
    "results": [{"ruleId": "a", "level": "error", "message": {"text": "m"},
      "locations": [{"physicalLocation": {"artifactLocation": {"uri": "x.c"}, "region": {"startLine": 3}}}],
      "partialFingerprints": {"primaryLocationLineHash": "39fa2ee980eb94b0:1"}},
     {"ruleId": "b", "level": "error", "message": {"text": "m"},
      "locations": [{"physicalLocation": {"artifactLocation": {"uri": "x.c"}, "region": {"startLine": 4}}}]}]}]})");
  GateConfig gate;
  gate.name = "lint";
  gate.reports = {{"scan.sarif", ""}};
  const ReportVerdict verdict = judge_reports(gate, dir.path());
  ASSERT_EQ(verdict.outcome.findings.size(), 2u);
  EXPECT_EQ(verdict.outcome.findings[0].fingerprint, "primaryLocationLineHash=39fa2ee980eb94b0:1");
  // x.c does not exist: the second is keyed on its rule, file and message.
  EXPECT_EQ(verdict.outcome.findings[1].fingerprint,
            short_sha256(std::string("b\x1fx.c\x1fmessage:m\x1f") + "0"));
}

TEST(OnlyNewFindings, FingerprintsIgnoreWhitespaceAndDifferByOccurrence) {
  EXPECT_EQ(collapse_whitespace("  ls \t $HOME   # x \r"), "ls $HOME # x");
  EXPECT_EQ(short_sha256("abc"), "ba7816bf8f01cfea");  // FIPS 180-2's example
  TempDir dir;
  write_file(dir / "a.sh", "echo $1\n\t echo   $1\n");
  std::vector<Finding> findings(2);
  for (int i = 0; i < 2; ++i) {
    findings[i].rule = "SC2086";
    findings[i].file = (dir / "a.sh").string();  // absolute: keyed as a.sh
    findings[i].line = 2 - i;                    // the tool's order does not matter
  }
  SourceLines sources(dir.path());
  fingerprint_findings(findings, sources);
  EXPECT_EQ(findings[1].fingerprint, short_sha256("SC2086\x1f"
                                                  "a.sh\x1fline:echo $1\x1f"
                                                  "0"));
  EXPECT_EQ(findings[0].fingerprint, short_sha256("SC2086\x1f"
                                                  "a.sh\x1fline:echo $1\x1f"
                                                  "1"));
}

}  // namespace
}  // namespace qgate
