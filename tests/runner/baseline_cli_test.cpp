// Only-new baselines where CI runs, end to end: the real qgate binary runs
// `qgate check` and `qgate baseline ...` on modules whose lint gate reads
// the checkstyle report shellcheck writes in the gate's step, in fresh
// checkouts (a new state folder each run, as every CI job has), in git
// repositories with a base branch, and with PostgreSQL shared by two clones.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "tests/test_support.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;
using testing::run_command;
using testing::TempDir;
using testing::write_file;

std::string qgate() { return "'" + testing::qgate_binary().string() + "'"; }

// Three findings: SC2086 on lines 2 and 4, SC2164 on line 3.
constexpr const char* kScript = "#!/bin/sh\necho $1\ncd /tmp\nls $HOME\n";

std::string lint_config() {
  // shellcheck exits 1 when it finds anything: the report decides.
  return "module: {id: lint-demo}\n"
         "integration_requirements:\n  code_quality: [ {linting_rules_followed: true} ]\n"
         "gates:\n  lint:\n"
         "    steps: [ {name: shellcheck, run: 'shellcheck -f checkstyle script.sh > "
         "shellcheck.xml || test $? -eq 1'} ]\n"
         "    reports: [shellcheck.xml]\n    only_new: true\n    fail_on: info\n";
}

// Runs `qgate ARGS` in `dir` with `env` before it (VAR=value ...).
testing::CommandResult qgate_in(const fs::path& dir, const std::string& args,
                                const std::string& env = "") {
  // A pull request's base, if the test runs inside one, must not leak in.
  return run_command("env -u GITHUB_BASE_REF " + env + " " + qgate() + " " + args, dir);
}

// A git repository with the lint module committed on main.
class LintRepository {
 public:
  explicit LintRepository(const fs::path& dir) : dir_(dir) {
    git("init -q -b main");
    write_file(dir_ / ".gitignore", "shellcheck.xml\n*.json\n*.sarif\n");
    write_file(dir_ / "integration-requirements.yaml", lint_config());
    write_file(dir_ / "script.sh", kScript);
    commit("base");
  }
  void git(const std::string& args) const {
    const auto result = run_command("git " + args, dir_);
    ASSERT_EQ(result.exit_code, 0) << "git " << args << ": " << result.output;
  }
  void commit(const std::string& message) const {
    git("add -A");
    git("-c user.name=qgate-test -c user.email=test@example.invalid commit -q -m '" + message +
        "'");
  }
  std::string head() const { return run_command("git rev-parse HEAD", dir_).output.substr(0, 12); }

 private:
  fs::path dir_;
};

TEST(BaselineCommand, OnlyNewWithNothingToCompareWithFailsUntilAcceptedAndAFileCanHoldIt) {
  TempDir dir;  // not a git repository: no base ref either
  write_file(dir / "integration-requirements.yaml", lint_config());
  write_file(dir / "script.sh", kScript);

  auto result = qgate_in(dir.path(), "check --ci --no-color");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("shellcheck.xml: 3 findings (all counted as new: no recorded "
                               "baseline, and no base ref: "),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("`qgate baseline accept lint` takes this run's findings"),
            std::string::npos)
      << result.output;

  result = qgate_in(dir.path(), "baseline show lint");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("lint: no recorded baseline, and no base ref: "), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find(": every finding counts"), std::string::npos) << result.output;

  result = qgate_in(dir.path(), "baseline accept lint");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(std::regex_search(
      result.output,
      std::regex("lint: run [0-9a-f]{8} \\(failed, started [^)]+\\) is the "
                 "baseline now: 3 findings \\(1 medium, 2 low; 3 new, 0 existing\\)")))
      << result.output;

  result = qgate_in(dir.path(), "baseline show lint");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(std::regex_search(result.output, std::regex("lint: baseline run [0-9a-f]{8}")))
      << result.output;
  EXPECT_TRUE(
      std::regex_search(result.output, std::regex("\\n  medium SC2164 script\\.sh:3(:1)?: ")))
      << result.output;

  result = qgate_in(dir.path(), "check --ci --no-color");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("shellcheck.xml: 3 findings (0 new, 3 existing in the baseline"),
            std::string::npos)
      << result.output;

  // A file the team commits: written from the store, then read before it.
  result = qgate_in(dir.path(), "baseline export");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  const auto file = nlohmann::json::parse(testing::read_file(dir / "qgate-baseline.json"));
  EXPECT_EQ(file.at("qgate_baseline"), 1);
  EXPECT_EQ(file.at("module"), "lint-demo");
  ASSERT_EQ(file.at("gates").at("lint").at("findings").size(), 3u);
  EXPECT_EQ(file.at("gates").at("lint").at("findings").at(0).at("file"), "script.sh");
  EXPECT_EQ(file.at("gates").at("lint").at("findings").at(0).at("line"), 2);

  result = qgate_in(dir.path(), "baseline reset lint");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("lint: 2 recorded runs are no baseline any more"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("qgate-baseline.json still holds a baseline of lint"),
            std::string::npos)
      << result.output;

  // The store holds none now; the file alone keeps the gate passing.
  write_file(dir / "script.sh", std::string(kScript) + "echo $2\n");
  result = qgate_in(dir.path(), "check --ci --no-color");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("shellcheck.xml: 4 findings (1 new, 3 existing in the baseline, "
                               "qgate-baseline.json)"),
            std::string::npos)
      << result.output;

  fs::remove(dir / "qgate-baseline.json");
  result = qgate_in(dir.path(), "check --ci --no-color");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("all counted as new"), std::string::npos) << result.output;

  EXPECT_EQ(qgate_in(dir.path(), "baseline show nosuchgate").exit_code, 2);
  write_file(dir / "qgate-baseline.json", "{\"gates\": []}");
  result = qgate_in(dir.path(), "check --ci --no-color");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("the baseline file could not be read: "), std::string::npos)
      << result.output;
}

TEST(BaselineInCi, AFreshCheckoutFailsOnNewFindingsOnChangedLinesOnly) {
  TempDir dir;
  LintRepository repo(dir.path());
  repo.git("checkout -q -b feature");
  write_file(dir / "script.sh", std::string(kScript) + "echo $2\n");
  repo.commit("one more echo");

  // Each run records into a folder of its own: nothing recorded before it.
  // The base: --base-ref, the pull request's base in Actions, or the default branch.
  int fresh = 0;
  for (const std::string& how :
       {std::string("--base-ref main"), std::string("GITHUB_BASE_REF=main"), std::string()}) {
    const std::string state =
        "--state-dir '" + (dir / ("state" + std::to_string(++fresh))).string() + "'";
    const bool env = how.rfind("GITHUB", 0) == 0;
    const auto result = qgate_in(
        dir.path(), "check --ci --no-color " + state + " " + (env ? "" : how), env ? how : "");
    EXPECT_EQ(result.exit_code, 1) << how << "\n" << result.output;
    EXPECT_NE(result.output.find("shellcheck.xml: 4 findings (no recorded baseline: 1 on lines "
                                 "changed since main (merge-base "),
              std::string::npos)
        << how << "\n"
        << result.output;
    EXPECT_NE(result.output.find("), 3 elsewhere), 1 new at or above info"), std::string::npos)
        << result.output;
  }

  // The new line fixed: the old findings alone do not fail the gate.
  write_file(dir / "script.sh", std::string(kScript) + "echo \"$2\"\n");
  repo.commit("quoted");
  const auto result =
      qgate_in(dir.path(),
               "check --ci --no-color --report json=r.json --report sarif=r.sarif --state-dir '" +
                   (dir / "state-last").string() + "'");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("(no recorded baseline: 0 on lines changed since main"),
            std::string::npos)
      << result.output;

  // Whether each was new is stored: qgate show and every report keep it.
  const auto report = nlohmann::json::parse(testing::read_file(dir / "r.json"));
  const std::string run_id = report.at("id");
  const auto shown = qgate_in(
      dir.path(), "show " + run_id + " --state-dir '" + (dir / "state-last").string() + "'");
  EXPECT_EQ(shown.exit_code, 0) << shown.output;
  EXPECT_NE(shown.output.find("lint: 3 (1 medium, 2 low; 0 new, 3 existing)"), std::string::npos)
      << shown.output;
  const auto json = qgate_in(dir.path(), "show " + run_id + " -f json --state-dir '" +
                                             (dir / "state-last").string() + "'");
  const auto read_back = nlohmann::json::parse(json.output);
  EXPECT_EQ(read_back.at("gates").at(0).at("finding_counts").at("existing"), 3);
  const auto sarif = nlohmann::json::parse(testing::read_file(dir / "r.sarif"));
  ASSERT_EQ(sarif.at("runs").at(0).at("results").size(), 3u);
  for (const auto& finding : sarif.at("runs").at(0).at("results")) {
    EXPECT_EQ(finding.at("baselineState"), "unchanged");
  }
}

TEST(BaselineInCi, WithPostgresTheBaselineIsARunAtTheBaseOrAnAncestorFromAnyMachine) {
  const std::string url = testing::fresh_database_url();
  const std::string db = "--database-url '" + url + "'";
  TempDir origin;
  LintRepository repo(origin.path());
  const std::string main_commit = repo.head();
  // Machine 1, on main: nothing changed since the base, the run passes and
  // is the baseline of what branches off main.
  auto result = qgate_in(origin.path(), "check --ci --no-color " + db);
  ASSERT_EQ(result.exit_code, 0) << result.output;

  // Another branch adds the same finding the pull request will, and its run
  // is accepted: recorded later, but not on the pull request's base.
  repo.git("checkout -q -b other");
  write_file(origin / "script.sh", std::string(kScript) + "echo $2\n");
  repo.commit("other work");
  result = qgate_in(origin.path(), "check --ci --no-color " + db);
  ASSERT_EQ(result.exit_code, 1) << result.output;
  result = qgate_in(origin.path(), "baseline accept lint " + db);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  repo.git("checkout -q main");

  // Machine 2: a clone, whose pull request adds that finding.
  TempDir second;
  ASSERT_EQ(
      run_command("git clone -q '" + origin.path().string() + "' clone", second.path()).exit_code,
      0);
  const fs::path clone = second / "clone";
  ASSERT_EQ(run_command("git checkout -q -b feature origin/main", clone).exit_code, 0);
  write_file(clone / "script.sh", std::string(kScript) + "echo $2\n");
  ASSERT_EQ(run_command("git -c user.name=t -c user.email=t@example.invalid commit -qam pr", clone)
                .exit_code,
            0);
  result = qgate_in(clone, "check --ci --no-color " + db);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(std::regex_search(
      result.output,
      std::regex("shellcheck.xml: 4 findings \\(1 new, 3 existing in the baseline, run [0-9a-f]{8} "
                 "at commit " +
                 main_commit + "\\), 1 new at or above info")))
      << result.output;

  result = qgate_in(clone, "baseline show lint " + db);
  EXPECT_NE(result.output.find("at commit " + main_commit), std::string::npos) << result.output;
}

}  // namespace
}  // namespace qgate
