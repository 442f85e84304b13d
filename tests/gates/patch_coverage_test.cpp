// Patch coverage against real git repositories, with coverage measured by
// gcc --coverage, gcovr and lcov in the test.
#include "gates/patch_coverage.hpp"

#include <gtest/gtest.h>

#include "gates/report_checks.hpp"
#include "tests/test_support.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;
using testing::run_command;
using testing::TempDir;
using testing::write_file;

constexpr const char* kCalc =
    "int add(int a, int b) {\n"  // 1
    "  return a + b;\n"          // 2
    "}\n"                        // 3
    "\n"                         // 4
    "int untested(int a) {\n"    // 5
    "  if (a > 0) {\n"           // 6
    "    return a * 2;\n"        // 7
    "  }\n"                      // 8
    "  return -a;\n"             // 9
    "}\n";                       // 10
constexpr const char* kMain =
    "int add(int a, int b);\n"
    "int main(void) { return add(1, 2) == 3 ? 0 : 1; }\n";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// A git repository holding a C module in mod/: a base commit on main, then a
// branch "feature" for the test's changes.
class CRepository {
 public:
  CRepository() {
    git("init -q -b main");
    write("calc.c", kCalc);
    write("main.c", kMain);
    write("../.gitignore", "*.gcda\n*.gcno\nprog\n*.xml\n*.info\n");
    commit("base");
    git("checkout -q -b feature");
  }

  fs::path module() const { return dir_ / "mod"; }
  void write(const std::string& name, const std::string& text) const {
    write_file(module() / name, text);
  }
  void git(const std::string& args) const {
    const auto result = run_command("git " + args, dir_.path());
    ASSERT_EQ(result.exit_code, 0) << "git " << args << ": " << result.output;
  }
  void commit(const std::string& message) const {
    git("add -A");
    git("-c user.name=qgate-test -c user.email=test@example.invalid commit -q -m '" + message +
        "'");
  }
  std::string head_of(const std::string& ref) const {
    const auto result = run_command("git rev-parse " + ref, dir_.path());
    return result.output.substr(0, 12);
  }
  // Builds the module with gcc --coverage, runs it, and writes coverage.xml
  // (gcovr: paths relative to the repository root, "mod/calc.c") and, with
  // `lcov`, lcov.info (absolute paths).
  void measure(const std::string& sources, bool lcov = false) const {
    const auto result =
        run_command("rm -f *.gcda && gcc --coverage -O0 -o prog " + sources +
                        " && ./prog && gcovr -r .. --cobertura coverage.xml ." +
                        (lcov ? " && lcov -q --capture -d . -o lcov.info 2>/dev/null" : ""),
                    module());
    ASSERT_EQ(result.exit_code, 0) << result.output;
  }

 private:
  TempDir dir_;
};

ReportVerdict judge(const CRepository& repo, const std::string& report,
                    const std::string& base_ref = "main") {
  GateConfig gate;
  gate.name = "test-coverage";
  gate.reports = {{report, ""}};
  gate.options = {{"coverage", {{"min_lines", 0}, {"patch_min_lines", 80}}}};
  return judge_reports(gate, repo.module(), ReportContext{base_ref, std::nullopt});
}

TEST(PatchCoverage, CoveredChangePassesAndUnchangedUntestedCodeDoesNotCount) {
  CRepository repo;
  // add() is called by main; untested() (5 of the 7 executable lines) is not,
  // and is not part of the change.
  repo.write("calc.c", replaced(kCalc, "  return a + b;\n", "  int sum = a + b;\n  return sum;\n"));
  repo.commit("add through a variable");
  repo.measure("main.c calc.c");
  const ReportVerdict verdict = judge(repo, "coverage.xml");
  EXPECT_EQ(verdict.outcome.status, Status::passed) << verdict.outcome.message;
  EXPECT_EQ(verdict.outcome.message,
            "coverage.xml: 50.0% of lines, 0.0% of branches; patch coverage: 2 of 2 changed lines "
            "covered (100.0%) "
            "since main (merge-base " +
                repo.head_of("main") + ")");
  ASSERT_EQ(verdict.metrics.size(), 3u);  // lines, branches, patch
  EXPECT_EQ(verdict.metrics[2].name, "coverage.patch_lines");
  EXPECT_EQ(verdict.metrics[2].value, 100.0);
  EXPECT_TRUE(verdict.outcome.findings.empty());
}

TEST(PatchCoverage, UncoveredChangeFailsNamingTheLinesWithEitherReportFormat) {
  CRepository repo;
  // Committed: add() changed, covered (lines 2-3).
  repo.write("calc.c", replaced(kCalc, "  return a + b;\n", "  int sum = a + b;\n  return sum;\n"));
  repo.commit("add through a variable");
  // Not committed: untested() changed (lines 8-9, never run), and a new file
  // git does not know yet, half run (scale() yes, shrink() no).
  repo.write("calc.c", replaced(testing::read_file(repo.module() / "calc.c"), "    return a * 2;\n",
                                "    int twice = a * 2;\n    return twice;\n"));
  repo.write("scale.c",
             "int scale(int a) {\n  return a * 3;\n}\n\nint shrink(int a) {\n  return a / 3;\n}\n");
  repo.write("main.c",
             "int add(int a, int b);\nint scale(int a);\n"
             "int main(void) { return add(1, 2) == 3 && scale(1) == 3 ? 0 : 1; }\n");
  repo.measure("main.c calc.c scale.c", true);
  for (const std::string report : {"coverage.xml", "lcov.info"}) {
    SCOPED_TRACE(report);
    const ReportVerdict verdict = judge(repo, report);
    EXPECT_EQ(verdict.outcome.status, Status::failed) << verdict.outcome.message;
    // Changed and executable: calc.c 2, 3 (run) and 8, 9 (not); main.c 3
    // (run); scale.c 1, 2 (run) and 5, 6 (not). 5 of 9.
    EXPECT_NE(verdict.outcome.message.find(
                  "patch coverage: 5 of 9 changed lines covered (55.6%, minimum 80.0%) since main"),
              std::string::npos)
        << verdict.outcome.message;
    ASSERT_EQ(verdict.outcome.findings.size(), 2u);
    const Finding& first = verdict.outcome.findings[0];
    EXPECT_EQ(first.rule, "coverage.patch-uncovered");
    EXPECT_EQ(first.file, "calc.c");
    EXPECT_EQ(first.line, 8);
    EXPECT_EQ(first.message, "lines 8-9 changed and not covered by the tests");
    EXPECT_EQ(verdict.outcome.findings[1].file, "scale.c");
    EXPECT_EQ(verdict.outcome.findings[1].message,
              "lines 5-6 changed and not covered by the tests");
    EXPECT_FALSE(first.fingerprint.empty());
  }
}

TEST(PatchCoverage, ChangeWithoutExecutableLinesPasses) {
  CRepository repo;
  repo.measure("main.c calc.c");
  // A comment on a line of its own, in the working tree only.
  repo.write("calc.c", std::string(kCalc) + "/* the end */\n");
  const ReportVerdict verdict = judge(repo, "coverage.xml");
  EXPECT_EQ(verdict.outcome.status, Status::passed) << verdict.outcome.message;
  EXPECT_EQ(verdict.outcome.message,
            "coverage.xml: 42.9% of lines, 0.0% of branches; patch coverage: no changed line is "
            "executable (1 "
            "changed file since main (merge-base " +
                repo.head_of("main") + "))");
}

TEST(PatchCoverage, MissingOrUnknownBaseRefIsAnErrorNamingIt) {
  CRepository repo;
  repo.measure("main.c calc.c");
  {
    const ReportVerdict verdict = judge(repo, "coverage.xml", "");
    EXPECT_EQ(verdict.outcome.status, Status::error);
    EXPECT_NE(verdict.outcome.message.find("patch coverage: coverage.patch_min_lines needs a base "
                                           "ref: pass --base-ref or set settings.base_ref"),
              std::string::npos)
        << verdict.outcome.message;
  }
  {
    const ReportVerdict verdict = judge(repo, "coverage.xml", "origin/release-9");
    EXPECT_EQ(verdict.outcome.status, Status::error);
    EXPECT_NE(verdict.outcome.message.find("patch coverage: base ref 'origin/release-9' is not "
                                           "known to git in " +
                                           repo.module().string() + " (is it fetched?)"),
              std::string::npos)
        << verdict.outcome.message;
  }
  {
    const ReportVerdict verdict = judge(repo, "coverage.xml", "--output=x");
    EXPECT_EQ(verdict.outcome.status, Status::error);
    EXPECT_NE(verdict.outcome.message.find("base ref '--output=x' is not a git ref"),
              std::string::npos);
  }
}

TEST(PatchCoverage, QgateCheckJudgesTheChangeSinceTheBaseRef) {
  CRepository repo;
  write_file(repo.module() / "integration-requirements.yaml",
             "integration_requirements:\n  testing: [ {unit_tests_passing: true} ]\n"
             "gates:\n  test-coverage:\n"
             "    steps: [ {name: unit, run: 'rm -f *.gcda && gcc --coverage -O0 -o prog main.c "
             "calc.c && ./prog && gcovr -r .. --cobertura coverage.xml .'} ]\n"
             "    reports: [coverage.xml]\n"
             "    coverage: {min_lines: 0, patch_min_lines: 80}\n");
  repo.commit("qgate");
  repo.write("calc.c",
             replaced(kCalc, "    return a * 2;\n", "    int twice = a * 2;\n    return twice;\n"));
  const std::string qgate = "'" + testing::qgate_binary().string() + "' check --ci --no-color";
  auto result = run_command(qgate + " --base-ref main", repo.module());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("patch coverage: 0 of 2 changed lines covered (0.0%, minimum "
                               "80.0%) since main"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("lines 7-8 changed and not covered by the tests"), std::string::npos)
      << result.output;
  // Without a base ref the gate cannot be judged.
  result = run_command(qgate, repo.module());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("coverage.patch_min_lines needs a base ref"), std::string::npos)
      << result.output;
}

TEST(PatchCoverage, ReadsAddedLinesOfAUnifiedDiff) {
  // As `git diff -U0` writes them: a body line "+++" inside a hunk is an
  // added line, a deleted file and a pure deletion add nothing.
  const auto files = parse_unified_diff(
      "diff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n@@ -2 +2,2 @@ int f()\n-x\n+y\n+++ z\n"
      "@@ -9,2 +10,0 @@\n-a\n-b\n@@ -20,0 +21 @@\n+c\n"
      "diff --git a/gone.c b/gone.c\n--- a/gone.c\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n"
      "diff --git \"a/na\\303\\257ve.c\" \"b/na\\303\\257ve.c\"\n--- \"a/na\\303\\257ve.c\"\n"
      "+++ \"b/na\\303\\257ve.c\"\n@@ -1 +1 @@\n-x\n+y\n");
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files.at("a.c").lines, (std::set<int>{2, 3, 21}));
  EXPECT_EQ(files.at("na\xc3\xafve.c").lines, (std::set<int>{1}));
  EXPECT_THROW(parse_unified_diff("+++ b/a.c\n@@ -x +1 @@\n"), PatchError);
}

TEST(PatchCoverage, MatchesReportPathsByTheirLongestWholeSuffix) {
  Change change;
  change.files["src/a.c"].lines = {1, 2};
  change.files["lib/b.c"].lines = {1};
  change.files["x/c.c"].lines = {1};
  change.files["y/c.c"].lines = {1};
  CoverageReport report;
  const auto file = [&](const std::string& path) {
    FileCoverage coverage;
    coverage.path = path;
    coverage.line_hits = {{1, 0}, {2, 1}};
    report.files.push_back(coverage);
  };
  file("/ci/checkout/mod/src/a.c");  // another machine's absolute path: src/a.c
  file("other/b.c");                 // not lib/b.c
  file("c.c");                       // x/c.c or y/c.c: not counted
  const PatchCoverage patch = measure_patch(change, {report}, "/nowhere/mod");
  EXPECT_EQ(patch.executable, 2);
  EXPECT_EQ(patch.covered, 1);
  ASSERT_EQ(patch.ambiguous.size(), 1u);
  EXPECT_EQ(patch.ambiguous[0], "c.c");
  ASSERT_EQ(patch.uncovered.count("src/a.c"), 1u);
  EXPECT_EQ(patch.uncovered.at("src/a.c"), (std::vector<std::pair<int, int>>{{1, 1}}));
}

}  // namespace
}  // namespace qgate
