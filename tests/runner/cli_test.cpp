// End-to-end tests: the real qgate binary on real module folders.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "runner/store/store.hpp"
#include "tests/test_support.hpp"

extern char** environ;

namespace qgate {
namespace {

namespace fs = std::filesystem;
using testing::process_survives;
using testing::QgateProcess;
using testing::read_file;
using testing::read_pid;
using testing::run_command;
using testing::TempDir;
using testing::wait_for_file;
using testing::write_file;

std::string qgate() { return "'" + testing::qgate_binary().string() + "'"; }

// Copies the bundled examples into `dir` so runs do not write into the source
// tree (and stale reports or state of a run in the source tree do not count).
fs::path copy_examples(const TempDir& dir) {
  fs::copy(testing::source_dir() / "examples", dir / "examples",
           fs::copy_options::recursive | fs::copy_options::skip_symlinks);
  std::error_code ignored;
  for (const char* module : {"api-core", "frontend-web"}) {
    fs::remove_all(dir / "examples" / module / ".qgate", ignored);
    fs::remove_all(dir / "examples" / module / "build", ignored);
  }
  return dir / "examples";
}

// Returns the requirement verdicts and the gates of a JSON report.
struct ExampleVerdicts {
  std::map<std::string, std::pair<std::string, std::string>> requirements;  // status, message
  std::map<std::string, nlohmann::json> gates;
};
ExampleVerdicts read_verdicts(const fs::path& report) {
  const auto json = nlohmann::json::parse(read_file(report));
  ExampleVerdicts out;
  for (const auto& r : json.at("requirements")) {
    out.requirements[r.at("name")] = {r.at("status"), r.at("message")};
  }
  for (const auto& g : json.at("gates")) out.gates[g.at("name")] = g;
  return out;
}

// Returns the rules of the findings of `gate`, sorted.
std::vector<std::string> rules_of(const nlohmann::json& gate) {
  std::vector<std::string> rules;
  for (const auto& f : gate.at("findings")) rules.push_back(f.at("rule"));
  std::sort(rules.begin(), rules.end());
  return rules;
}

TEST(Cli, ExampleModulePassesEveryGateWithRealTools) {
  TempDir dir;
  const fs::path examples = copy_examples(dir);
  const auto result =
      run_command(qgate() + " check --ci --report json=" + (dir / "report.json").string(),
                  examples / "api-core");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("PASSED: every required gate passed"), std::string::npos);
  EXPECT_NE(result.output.find("module api-001 (Core API Layer)"), std::string::npos);
  const auto verdicts = read_verdicts(dir / "report.json");
  for (const char* gate :
       {"documentation", "test-coverage", "lint", "security", "performance", "coordination"}) {
    ASSERT_TRUE(verdicts.gates.contains(gate)) << gate;
    EXPECT_EQ(verdicts.gates.at(gate).at("status"), "passed") << gate << result.output;
  }
  // Each gate judged what the real tools wrote, not only exit codes.
  const auto& unit = verdicts.requirements.at("unit_tests_passing").second;
  // Each report judges the requirement of the step it is listed under.
  EXPECT_NE(unit.find("build/unit.xml: 6 tests, 0 failed"), std::string::npos) << unit;
  EXPECT_NE(unit.find("build/coverage.xml: 100.0% of lines"), std::string::npos) << unit;
  EXPECT_EQ(unit.find("build/integration.xml"), std::string::npos) << unit;
  const auto& integration = verdicts.requirements.at("integration_tests_passing").second;
  EXPECT_NE(integration.find("build/integration.xml: 2 tests, 0 failed"), std::string::npos)
      << integration;
  EXPECT_EQ(integration.find("build/unit.xml"), std::string::npos) << integration;
  EXPECT_NE(verdicts.requirements.at("linting_rules_followed")
                .second.find("build/shellcheck.xml: 0 findings"),
            std::string::npos);
  EXPECT_NE(verdicts.requirements.at("security_scan_clean").second.find("0 secrets found"),
            std::string::npos);
  EXPECT_NE(verdicts.requirements.at("performance_benchmarks_met")
                .second.find("build/bench.json: 1 benchmarks; thresholds: 1 checks on 1 "
                             "benchmarks, 0 failed"),
            std::string::npos);
  EXPECT_EQ(verdicts.requirements.at("code_review_approved").first, "skipped");
  // frontend-web depends on api-001: its notice is kept in the embedded store.
  EXPECT_EQ(verdicts.requirements.at("dependent_modules_notified").first, "passed");
  EXPECT_NE(verdicts.requirements.at("dependent_modules_notified")
                .second.find("completion notice recorded for 1 dependent module: fe-001"),
            std::string::npos)
      << verdicts.requirements.at("dependent_modules_notified").second;
  const auto notices =
      run_command("sqlite3 .qgate/qgate.db \"SELECT module_id, message FROM dependent_notices\"",
                  examples / "api-core");
  EXPECT_NE(notices.output.find("fe-001|api-001 passed its quality gates"), std::string::npos)
      << notices.output;
}

TEST(Cli, FailingExampleModuleFailsOnEveryGateForTheRightReason) {
  TempDir dir;
  const fs::path examples = copy_examples(dir);
  const auto result =
      run_command(qgate() + " check --ci --report json=" + (dir / "report.json").string(),
                  examples / "frontend-web");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  const auto verdicts = read_verdicts(dir / "report.json");
  for (const char* gate :
       {"documentation", "test-coverage", "lint", "security", "performance", "coordination"}) {
    ASSERT_TRUE(verdicts.gates.contains(gate)) << gate;
    EXPECT_EQ(verdicts.gates.at(gate).at("status"), "failed") << gate << result.output;
  }
  const auto message = [&](const char* requirement) {
    EXPECT_EQ(verdicts.requirements.at(requirement).first, "failed") << requirement;
    return verdicts.requirements.at(requirement).second;
  };
  EXPECT_NE(message("module_readme_complete").find("README.md is a stub"), std::string::npos);
  EXPECT_NE(message("api_documentation_updated").find("POST /session/logout"), std::string::npos);
  // node's own JUnit and lcov: one failing test, coverage under the default 80 %.
  const std::string unit = message("unit_tests_passing");
  EXPECT_NE(unit.find("build/junit.xml: 2 tests, 1 failed"), std::string::npos) << unit;
  EXPECT_NE(unit.find("of lines (minimum 80.0%)"), std::string::npos) << unit;
  EXPECT_NE(result.output.find("roundPrice rounds half away from zero"), std::string::npos);
  // shellcheck's checkstyle report.
  EXPECT_EQ(rules_of(verdicts.gates.at("lint")),
            (std::vector<std::string>{"SC2013", "SC2086", "SC2086"}));
  // The built-in secret scan, with the key itself kept out of the report.
  EXPECT_EQ(rules_of(verdicts.gates.at("security")),
            (std::vector<std::string>{"secret.aws-access-key-id"}));
  EXPECT_EQ(read_file(dir / "report.json").find("Z4QG7VWX3JRT5M2K"), std::string::npos);
  // hyperfine's figure over the threshold of 50 ms.
  EXPECT_EQ(rules_of(verdicts.gates.at("performance")),
            (std::vector<std::string>{"benchmark.threshold"}));
  EXPECT_NE(
      message("performance_benchmarks_met").find("thresholds: 1 checks on 1 benchmarks, 1 failed"),
      std::string::npos);
  EXPECT_NE(message("deployment_plan_reviewed").find("has not been acknowledged"),
            std::string::npos);
}

TEST(Cli, AdvisoryFailureDoesNotChangeExitCode) {
  TempDir dir;
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements:\n  code_quality: [ {linting_rules_followed: false} ]\n"
             "gates:\n  lint:\n    steps: [ {name: l, run: exit 1} ]\n");
  const auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST(Cli, RequiredRequirementWithoutCheckFails) {
  TempDir dir;
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements:\n  testing: [ {integration_tests_passing: true} ]\n");
  const auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("not configured"), std::string::npos);
}

TEST(Cli, ConfigErrorExitsTwoWithFileLineColumn) {
  TempDir dir;
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements:\n  testing:\n    - unit_test_passing: true\n");
  const auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("integration-requirements.yaml:3:7: error: unknown requirement "
                               "'unit_test_passing' (did you mean 'unit_tests_passing'?)"),
            std::string::npos)
      << result.output;
  EXPECT_FALSE(fs::exists(dir / ".qgate")) << "a config error must record nothing";
}

TEST(Cli, MissingConfigAndBadFlagsExitTwo) {
  TempDir dir;
  auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("integration-requirements.yaml: error: cannot read"),
            std::string::npos);
  result = run_command(qgate() + " check --no-such-flag", dir.path());
  EXPECT_EQ(result.exit_code, 2);
  result = run_command(qgate() + " check --report xml=out.xml", dir.path());
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("FORMAT=PATH"), std::string::npos);
}

TEST(Cli, StepsSeeTheirEnvironment) {
  TempDir dir;
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements: {}\nmodule: {id: env-001}\ngates:\n  lint:\n    steps:\n"
             "      - {name: show, run: 'test -d \"$QGATE_OUT\" && echo \"$QGATE_MODULE_ID "
             "$QGATE_MODULE_PATH $EXTRA\" > seen', env: {EXTRA: yes}}\n");
  const auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(read_file(dir / "seen"), "env-001 " + dir.path().string() + " yes\n");
}

TEST(Cli, CtrlCStopsEveryProcessAndRecordsRunCancelled) {
  TempDir dir;
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements: {}\nsettings: {grace: 1s}\ngates:\n  lint:\n    steps:\n"
             "      - {name: a, run: 'sleep 60 & echo $! > a-bg.pid; echo $$ > a.pid; wait'}\n"
             "      - {name: b, run: \"trap '' INT TERM; echo $$ > b.pid; while :; do sleep 0.05; "
             "done\"}\n"
             "      - {name: c, run: 'touch c-ran'}\n");
  QgateProcess process;
  process.start({"check", "--ci", "-j", "2"}, dir.path(), dir / "out.txt");
  ASSERT_TRUE(wait_for_file(dir / "a.pid", 10));
  ASSERT_TRUE(wait_for_file(dir / "b.pid", 10));
  ASSERT_TRUE(wait_for_file(dir / "a-bg.pid", 10));
  usleep(100'000);
  kill(process.pid, SIGINT);
  process.wait();
  EXPECT_EQ(process.exit_code, 130) << read_file(dir / "out.txt");
  EXPECT_FALSE(process_survives(read_pid(dir / "a.pid")));
  EXPECT_FALSE(process_survives(read_pid(dir / "a-bg.pid")));
  EXPECT_FALSE(process_survives(read_pid(dir / "b.pid")));
  EXPECT_FALSE(fs::exists(dir / "c-ran"));
  auto store = open_sqlite_store(dir / ".qgate/qgate.db");
  const auto runs = store->list_runs({});
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, Status::cancelled);
  EXPECT_EQ(runs[0].exit_code, 130);
}

// Returns the last line of `text`.
std::string last_line(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text.substr(text.rfind('\n') + 1);
}

TEST(Cli, ARunThatExitsThreeNeverEndsWithPassed) {
  TempDir dir;
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements:\n  code_quality: [{linting_rules_followed: true}]\n"
             "gates:\n  lint:\n    steps:\n      - {name: ok, run: 'true'}\n");
  // A report that cannot be written.
  auto result = run_command(
      qgate() + " check --ci --report json=/proc/no-such-folder/r.json 2>/dev/null", dir.path());
  EXPECT_EQ(result.exit_code, 3) << result.output;
  EXPECT_EQ(last_line(result.output).find("PASSED"), std::string::npos) << result.output;
  EXPECT_EQ(last_line(result.output).rfind("ERROR: ", 0), 0u) << result.output;
  // A database that is away: the results go to the spool.
  result = run_command("QGATE_DB_RETRY_SECONDS=0 " + qgate() +
                           " check --ci --database-url postgresql://127.0.0.1:1/none 2>/dev/null",
                       dir.path());
  EXPECT_EQ(result.exit_code, 3) << result.output;
  EXPECT_EQ(last_line(result.output).find("PASSED"), std::string::npos) << result.output;
  EXPECT_NE(last_line(result.output).find("not recorded yet"), std::string::npos) << result.output;
}

TEST(Cli, OlderRunsLoseTheirLogsByTheRetentionPolicyAndShowSaysSo) {
  TempDir dir;
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements: {}\nsettings: {logs: {keep_runs: 2}}\n"
             "gates:\n  lint:\n    steps:\n      - {name: chatty, run: 'seq 1 1000'}\n");
  for (int i = 0; i < 4; ++i) {
    const auto result = run_command(qgate() + " check --ci", dir.path());
    ASSERT_EQ(result.exit_code, 0) << result.output;
    if (i >= 2) {
      EXPECT_NE(result.output.find("removed the logs of 1 older run"), std::string::npos);
    }
  }
  auto store = open_sqlite_store(dir / ".qgate/qgate.db");
  const auto runs = store->list_runs({});
  ASSERT_EQ(runs.size(), 4u) << "the store keeps every run";
  int folders = 0;
  for (const auto& entry : fs::directory_iterator(dir / ".qgate/runs")) {
    folders += entry.is_directory() ? 1 : 0;
  }
  EXPECT_EQ(folders, 2);
  EXPECT_TRUE(fs::exists(dir / ".qgate/runs" / runs[0].id / "lint/chatty.log"));
  EXPECT_FALSE(fs::exists(dir / ".qgate/runs" / runs[3].id));
  auto shown = run_command(qgate() + " show " + runs[3].id, dir.path());
  EXPECT_EQ(shown.exit_code, 0) << shown.output;
  EXPECT_NE(shown.output.find("logs: removed"), std::string::npos) << shown.output;
  shown = run_command(qgate() + " show " + runs[0].id, dir.path());
  EXPECT_NE(shown.output.find("logs: " + (dir / ".qgate/runs" / runs[0].id).string()),
            std::string::npos)
      << shown.output;
  // qgate gc applies the policy, or a stricter one, without a run.
  const auto gc = run_command(qgate() + " gc --keep-runs 1", dir.path());
  EXPECT_EQ(gc.exit_code, 0) << gc.output;
  EXPECT_NE(gc.output.find("removed the logs of 1 run(s)"), std::string::npos) << gc.output;
  EXPECT_FALSE(fs::exists(dir / ".qgate/runs" / runs[1].id));
  EXPECT_TRUE(fs::exists(dir / ".qgate/runs" / runs[0].id));
}

TEST(Cli, SigtermWhileWaitingForTheDatabaseExits130AndSaysWhatItWaitedFor) {
  TempDir dir;
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements: {}\ngates:\n  lint:\n    steps:\n"
             "      - {name: ok, run: 'true'}\n");
  QgateProcess process;
  // Nothing listens on port 1 of loopback: qgate retries for 30 s.
  process.start({"check", "--ci", "--database-url", "postgresql://127.0.0.1:1/none"}, dir.path(),
                dir / "out.txt", {}, {"QGATE_DB_RETRY_SECONDS=30"});
  bool said = false;
  for (int i = 0; i < 500 && !said; ++i) {
    said = read_file(dir / "out.txt").find("for the database at") != std::string::npos;
    if (!said) usleep(20'000);
  }
  EXPECT_TRUE(said) << read_file(dir / "out.txt");
  kill(process.pid, SIGTERM);
  bool ended = false;
  for (int i = 0; i < 250 && !ended; ++i) {
    ended = process.ended();
    if (!ended) usleep(20'000);
  }
  if (!ended) {
    ADD_FAILURE() << "qgate still waits 5 s after SIGTERM";
    kill(process.pid, SIGKILL);
    process.wait();
  }
  EXPECT_EQ(process.exit_code, 130) << "signal " << process.term_signal;
  EXPECT_NE(read_file(dir / "out.txt")
                .find("waiting up to 30 s for the database at "
                      "postgresql://127.0.0.1:1/none"),
            std::string::npos)
      << read_file(dir / "out.txt");
}

TEST(Cli, KilledRunIsMarkedInterruptedAtNextStart) {
  TempDir dir;
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements: {}\ngates:\n  lint:\n    steps:\n"
             "      - {name: a, run: 'echo $$ > a.pid; sleep 60'}\n");
  QgateProcess process;
  process.start({"check", "--ci"}, dir.path(), dir / "out.txt");
  ASSERT_TRUE(wait_for_file(dir / "a.pid", 10));
  kill(process.pid, SIGKILL);
  process.wait();
  // The step dies with qgate instead of running on unowned.
  EXPECT_FALSE(process_survives(read_pid(dir / "a.pid")));
  const auto result = run_command(qgate() + " history", dir.path());
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.output.find("interrupted"), std::string::npos) << result.output;
}

TEST(Cli, StepPrintingOneGigabyteKeepsMemoryLow) {
  TempDir dir;
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements: {}\ngates:\n  lint:\n    steps:\n"
             "      - {name: flood, run: 'yes \"a line of output that goes on and on\" | head -c "
             "1073741824'}\n");
  // GNU time reports the peak RSS of qgate alone: measured from this test
  // process, a child would be charged with the pages it shares with us until exec.
  const auto result =
      run_command("/usr/bin/time -f 'peak_rss_kb=%M' " + qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(result.output, match, std::regex("peak_rss_kb=([0-9]+)")))
      << result.output;
  const long peak_kb = std::stol(match[1].str());
  fs::path log;
  for (const auto& entry : fs::recursive_directory_iterator(dir / ".qgate/runs")) {
    if (entry.path().extension() == ".log") log = entry.path();
  }
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(fs::file_size(log), 1073741824u);
  fs::remove(log);  // a gigabyte is not worth keeping, even for a failed test
  std::cout << "peak RSS of qgate while a step printed 1 GB: " << peak_kb << " KB\n";
  EXPECT_GT(peak_kb, 0);
  EXPECT_LT(peak_kb, 32 * 1024);
}

TEST(Cli, SecretsNeverAppearInOutputLogsReportsOrStore) {
  TempDir dir;
  const std::string secret = "ghp_S3cretValueThatMustNotLeak42";
  const std::string custom = "custom-deploy-key-99887766";
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements:\n  code_quality: [ {linting_rules_followed: true} ]\n"
             "settings: {secret_env: [DEPLOY_KEY]}\n"
             "gates:\n  lint:\n    steps:\n"
             "      - {name: leak, run: 'echo token $GITHUB_TOKEN key $DEPLOY_KEY; echo "
             "$GITHUB_TOKEN >&2; exit 1'}\n"
             "      - {name: quiet, run: 'echo \"$DEPLOY_KEY\" > \"$QGATE_OUT.txt\"'}\n");
  QgateProcess process;
  process.start({"check", "--ci", "--report", "json=r/report.json", "--report",
                 "junit=r/report.xml", "--report", "markdown=r/report.md"},
                dir.path(), dir / "out.txt", fs::path(),
                {"GITHUB_TOKEN=" + secret, "DEPLOY_KEY=" + custom});
  process.wait();
  EXPECT_EQ(process.exit_code, 1);
  const std::string console = read_file(dir / "out.txt");
  EXPECT_NE(console.find("token *** key ***"), std::string::npos) << console;
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir.path())) {
    if (!entry.is_regular_file()) continue;
    if (entry.path().filename() == "integration-requirements.yaml") continue;
    // The step's own artifact holds what the step chose to write there.
    if (entry.path().extension() == ".txt" && entry.path().filename() != "out.txt") continue;
    const std::string content = read_file(entry.path());
    EXPECT_EQ(content.find(secret), std::string::npos) << entry.path();
    EXPECT_EQ(content.find(custom), std::string::npos) << entry.path();
    ++files;
  }
  EXPECT_GE(files, 6);  // console, two logs, three reports, the database
  EXPECT_TRUE(fs::exists(dir / "r/report.json"));
}

TEST(Cli, HistoryAndShowReadTheRunBack) {
  TempDir dir;
  const fs::path examples = copy_examples(dir);
  const fs::path module = examples / "frontend-web";
  ASSERT_EQ(run_command(qgate() + " check --ci", module).exit_code, 1);
  const auto history = run_command(qgate() + " history", module);
  EXPECT_EQ(history.exit_code, 0);
  std::smatch match;
  ASSERT_TRUE(
      std::regex_search(history.output, match, std::regex("\n([0-9a-f]{8}) .*fe-001 +failed")))
      << history.output;
  const auto show = run_command(qgate() + " show " + match[1].str(), module);
  EXPECT_EQ(show.exit_code, 0);
  EXPECT_NE(show.output.find("unit_tests_passing"), std::string::npos);
  const auto json =
      run_command(qgate() + " show " + match[1].str() + " --format json 2>/dev/null", module);
  EXPECT_EQ(json.exit_code, 0);
  const auto parsed = nlohmann::json::parse(json.output);
  EXPECT_EQ(parsed.at("module_id"), "fe-001");
  EXPECT_EQ(parsed.at("status"), "failed");
  const auto missing = run_command(qgate() + " show ffffffff", module);
  EXPECT_EQ(missing.exit_code, 2);
}

// What a bounded run of qgate came to.
struct BoundedRun {
  int exit_code = -1;
  std::string output;
  long peak_rss_kb = -1;
};

// Runs `qgate ARGS` in `cwd` within 20 s and 4 GB of address space, so that a
// qgate that hangs or grows without end fails the test, not the machine.
BoundedRun bounded_qgate(const std::string& args, const fs::path& cwd) {
  const auto result = run_command(
      "ulimit -v 4194304; /usr/bin/time -f 'peak_rss_kb=%M' timeout 20 " + qgate() + " " + args,
      cwd);
  BoundedRun run{result.exit_code, result.output, -1};
  std::smatch match;
  if (std::regex_search(result.output, match, std::regex("peak_rss_kb=([0-9]+)"))) {
    run.peak_rss_kb = std::stol(match[1].str());
  }
  return run;
}

TEST(Cli, AliasBombsExitTwoAtTheirPlaceInLittleMemory) {
  TempDir dir;
  write_file(dir / "self/integration-requirements.yaml",
             "integration_requirements: {}\nsettings: &loop\n  secret_env: [TOKEN, *loop]\n");
  std::string laughs = "integration_requirements: {}\nlol0: &lol0 [lol]\n";
  for (int level = 1; level <= 9; ++level) {
    laughs += "lol" + std::to_string(level) + ": &lol" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) laughs += (i ? ", *lol" : "*lol") + std::to_string(level - 1);
    laughs += "]\n";
  }
  write_file(dir / "laughs/integration-requirements.yaml", laughs);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"self",
       "integration-requirements.yaml:3:23: error: alias *loop is inside the node it "
       "names"},
      {"laughs",
       "integration-requirements.yaml:6:70: error: the file holds more than 20000 "
       "values once this alias is expanded"}};
  for (const auto& [folder, expected] : cases) {
    for (const char* command : {"validate", "check --ci"}) {
      const auto run = bounded_qgate(command, dir / folder);
      EXPECT_EQ(run.exit_code, 2) << folder << " " << command << "\n" << run.output;
      EXPECT_EQ(run.output.rfind(expected, 0), 0u) << folder << " " << command << "\n"
                                                   << run.output;
      EXPECT_GT(run.peak_rss_kb, 0) << run.output;
      EXPECT_LT(run.peak_rss_kb, 64 * 1024) << folder << " " << command;
    }
  }
  EXPECT_FALSE(fs::exists(dir / "laughs/.qgate/qgate.db"));
}

TEST(Cli, AConfigThatIsNotARegularFileExitsTwoSayingWhatItIs) {
  TempDir dir;
  ASSERT_EQ(
      run_command("mkfifo fifo.yaml && ln -s /dev/zero zero.yaml && mkdir folder.yaml", dir.path())
          .exit_code,
      0);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"fifo.yaml", "fifo.yaml: error: is a named pipe (FIFO), not a regular file\n"},
      {"zero.yaml", "zero.yaml: error: is a character device, not a regular file\n"},
      {"folder.yaml", "folder.yaml: error: is a folder, not a file\n"}};
  for (const auto& [file, expected] : cases) {
    for (const char* command : {"validate", "check --ci"}) {
      const auto run = bounded_qgate(std::string(command) + " --config " + file, dir.path());
      EXPECT_EQ(run.exit_code, 2) << file << " " << command << "\n" << run.output;
      EXPECT_EQ(run.output.rfind(expected, 0), 0u) << file << " " << command << "\n" << run.output;
    }
  }
  // The registry the config names is read the same way.
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements: {}\nmodule: {key: api-core, registry: fifo.yaml}\n");
  const auto run = bounded_qgate("validate", dir.path());
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("fifo.yaml: error: is a named pipe (FIFO), not a regular file"),
            std::string::npos)
      << run.output;
}

TEST(Cli, AFolderNameTooLongForAModuleIdExitsTwoBeforeAnythingIsRecorded) {
  TempDir dir;
  const fs::path module = dir / "payments-reconciliation-service";
  write_file(module / "integration-requirements.yaml",
             "integration_requirements:\n  code_quality: [ {linting_rules_followed: true} ]\n"
             "gates: {lint: {steps: [{name: l, run: 'true'}]}}\n");
  for (const char* command : {"validate", "check --ci"}) {
    const auto result = run_command(qgate() + " " + command, module);
    EXPECT_EQ(result.exit_code, 2) << command << "\n" << result.output;
    EXPECT_NE(result.output.find("integration-requirements.yaml: error: the module id defaults to "
                                 "the name of the folder "),
              std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("'payments-reconciliation-service', which has 31 characters"),
              std::string::npos)
        << result.output;
  }
  EXPECT_FALSE(fs::exists(module / ".qgate/qgate.db"));
}

TEST(Cli, HistoryKeepsItsColumnsApartForLongModuleIdsAndPrintsDurationsInSeconds) {
  TempDir dir;
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements: {}\nmodule: {id: payments-reconciler1}\n"
             "gates: {lint: {steps: [{name: l, run: 'true'}]}}\n");
  const auto check = run_command(qgate() + " check --ci", dir.path());
  ASSERT_EQ(check.exit_code, 0) << check.output;
  // The step's line and the final line: "0.0 s", not "0.01s".
  EXPECT_TRUE(std::regex_search(check.output, std::regex("PASS +lint/l +[0-9]+\\.[0-9] s\n")))
      << check.output;
  EXPECT_TRUE(std::regex_search(check.output,
                                std::regex("every required gate passed · [0-9]+\\.[0-9] s · run")))
      << check.output;
  const auto history = run_command(qgate() + " history", dir.path());
  EXPECT_EQ(history.exit_code, 0);
  EXPECT_TRUE(std::regex_search(
      history.output,
      std::regex("\n[0-9a-f]{8}  +[0-9T:.Z-]+  +payments-reconciler1  +passed  +[0-9]+\\.[0-9] s  +"
                 "1/0\n")))
      << history.output;
  EXPECT_TRUE(std::regex_search(history.output,
                                std::regex("^RUN +STARTED +MODULE +STATUS +DURATION +GATES")))
      << history.output;
}

TEST(Cli, ValidateChecksTheConfigOnly) {
  TempDir dir;
  const fs::path examples = copy_examples(dir);
  const auto result = run_command(qgate() + " validate", examples / "api-core");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("16 requirements"), std::string::npos);
  EXPECT_FALSE(fs::exists(examples / "api-core/.qgate"));
}

}  // namespace
}  // namespace qgate

namespace qgate {
namespace {

// Each broken configuration, and the file:line:column its first error must name.
struct BrokenConfig {
  const char* name;
  const char* text;
  const char* position;
};

class CliConfigErrors : public ::testing::TestWithParam<BrokenConfig> {};

TEST_P(CliConfigErrors, ExitTwoNamingFileLineColumn) {
  TempDir dir;
  write_file(dir / "integration-requirements.yaml", GetParam().text);
  // "{dir}" stands for the test's folder (the registry is named by its full path).
  std::string expected = std::string(GetParam().position) + ": error: ";
  if (expected.rfind("{dir}", 0) == 0) expected.replace(0, 5, dir.path().string());
  // At validate time as well as when a run starts.
  for (const char* command : {"check --ci", "validate"}) {
    const auto result = run_command(qgate() + " " + command, dir.path());
    EXPECT_EQ(result.exit_code, 2) << command << "\n" << result.output;
    EXPECT_EQ(result.output.rfind(expected, 0), 0u) << command << "\n" << result.output;
  }
  EXPECT_FALSE(fs::exists(dir / ".qgate/qgate.db"));
}

INSTANTIATE_TEST_SUITE_P(
    EveryKind, CliConfigErrors,
    ::testing::Values(
        BrokenConfig{"yaml_syntax", "integration_requirements:\n  testing: [ {a: true}\n  x: 1\n",
                     "integration-requirements.yaml:3:3"},
        BrokenConfig{"unknown_requirement",
                     "integration_requirements:\n  testing:\n    - unit_tests: true\n",
                     "integration-requirements.yaml:3:7"},
        BrokenConfig{"unknown_category", "integration_requirements:\n  tests: []\n",
                     "integration-requirements.yaml:2:3"},
        BrokenConfig{"unknown_top_key", "integration_requirements: {}\ngate: {}\n",
                     "integration-requirements.yaml:2:1"},
        BrokenConfig{"not_a_boolean",
                     "integration_requirements:\n  testing: [ {unit_tests_passing: 1} ]\n",
                     "integration-requirements.yaml:2:35"},
        BrokenConfig{"missing_checklist", "module: {id: a}\n", "integration-requirements.yaml:1:1"},
        BrokenConfig{"bad_module_id", "integration_requirements: {}\nmodule: {id: 'has space'}\n",
                     "integration-requirements.yaml:2:14"},
        BrokenConfig{
            "missing_run",
            "integration_requirements: {}\ngates:\n  lint:\n    steps:\n      - {name: a}\n",
            "integration-requirements.yaml:5:9"},
        BrokenConfig{"bad_timeout",
                     "integration_requirements: {}\ngates:\n  lint:\n    steps:\n"
                     "      - {name: a, run: b, timeout: soon}\n",
                     "integration-requirements.yaml:5:36"},
        BrokenConfig{"bad_retry",
                     "integration_requirements: {}\ngates:\n  lint:\n    steps:\n"
                     "      - {name: a, run: b, retry: {attempts: 2}}\n",
                     "integration-requirements.yaml:5:34"},
        BrokenConfig{"step_of_wrong_gate",
                     "integration_requirements: {}\ngates:\n  lint:\n    steps:\n"
                     "      - {name: a, run: b, requirements: [unit_tests_passing]}\n",
                     "integration-requirements.yaml:5:42"},
        BrokenConfig{"duplicate_step",
                     "integration_requirements: {}\ngates:\n  lint:\n    steps:\n"
                     "      - {name: a, run: b}\n      - {name: a, run: c}\n",
                     "integration-requirements.yaml:6:16"},
        BrokenConfig{"second_document",
                     "integration_requirements: {}\n---\ngates: {lint: {steps: [{name: a, run: "
                     "b}]}}\n",
                     "integration-requirements.yaml:2:1"},
        BrokenConfig{"unknown_report_format",
                     "integration_requirements: {}\ngates:\n  lint:\n    reports:\n"
                     "      - {path: tidy.xml, format: clang-tidy}\n",
                     "integration-requirements.yaml:5:34"},
        BrokenConfig{"zero_timeout",
                     "integration_requirements: {}\ngates:\n  lint:\n    steps:\n"
                     "      - {name: a, run: b, timeout: 0s}\n",
                     "integration-requirements.yaml:5:36"},
        BrokenConfig{"overflowing_timeout",
                     "integration_requirements: {}\ngates:\n  lint:\n    steps:\n"
                     "      - {name: a, run: b, timeout: 2562047h}\n",
                     "integration-requirements.yaml:5:36"},
        BrokenConfig{"env_name_with_equals",
                     "integration_requirements: {}\ngates:\n  lint:\n    steps:\n"
                     "      - {name: a, run: b, env: {'A=B': x}}\n",
                     "integration-requirements.yaml:5:33"},
        BrokenConfig{"empty_env_name",
                     "integration_requirements: {}\ngates:\n  lint:\n    steps:\n"
                     "      - {name: a, run: b, env: {'': x}}\n",
                     "integration-requirements.yaml:5:33"},
        BrokenConfig{"env_overriding_qgate",
                     "integration_requirements: {}\ngates:\n  lint:\n    steps:\n"
                     "      - {name: a, run: b, env: {QGATE_MODULE_ID: other}}\n",
                     "integration-requirements.yaml:5:33"},
        BrokenConfig{"missing_registry",
                     "integration_requirements: {}\nmodule: {key: x, registry: nowhere.yaml}\n",
                     "{dir}/nowhere.yaml"}),
    [](const ::testing::TestParamInfo<BrokenConfig>& param) {
      return std::string(param.param.name);
    });

}  // namespace
}  // namespace qgate

namespace qgate {
namespace {

TEST(Cli, DependentModulesNotifiedInTheEmbeddedStoreNeedsTheRegistry) {
  TempDir dir;
  write_file(dir / "modules.yaml",
             "modules:\n"
             "  api-core: {id: api-001, name: Core API, dependencies: []}\n"
             "  web: {id: fe-001, name: Web, dependencies: [api-001]}\n"
             "  mobile: {id: mob-001, name: Mobile, dependencies: [api-001, fe-001]}\n");
  const std::string checklist =
      "integration_requirements:\n"
      "  testing: [ {unit_tests_passing: true} ]\n"
      "  coordination: [ {dependent_modules_notified: true} ]\n";
  write_file(dir / "api-core/integration-requirements.yaml",
             checklist + "module: {key: api-core, registry: ../modules.yaml}\n" +
                 "gates: {test-coverage: {steps: [{name: unit, run: 'true'}]}}\n");
  auto result = run_command(qgate() + " check --ci", dir / "api-core");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("completion notice recorded for 2 dependent modules: fe-001, "
                               "mob-001"),
            std::string::npos)
      << result.output;
  EXPECT_EQ(run_command("sqlite3 .qgate/qgate.db 'SELECT count(*) FROM dependent_notices'",
                        dir / "api-core")
                .output,
            "2\n");

  // A failing run notifies nobody.
  write_file(dir / "api-core/integration-requirements.yaml",
             checklist + "module: {key: api-core, registry: ../modules.yaml}\n" +
                 "gates: {test-coverage: {steps: [{name: unit, run: 'false'}]}}\n");
  result = run_command(qgate() + " check --ci", dir / "api-core");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(std::regex_search(
      result.output, std::regex("dependent_modules_notified +coordination +yes +skipped +not "
                                "notified: other required requirements failed")))
      << result.output;
  EXPECT_EQ(run_command("sqlite3 .qgate/qgate.db 'SELECT count(*) FROM dependent_notices'",
                        dir / "api-core")
                .output,
            "2\n");

  // Without a registry the dependents cannot be known: the requirement fails.
  write_file(dir / "solo/integration-requirements.yaml",
             checklist + "gates: {test-coverage: {steps: [{name: unit, run: 'true'}]}}\n");
  result = run_command(qgate() + " check --ci", dir / "solo");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(std::regex_search(
      result.output,
      std::regex("dependent_modules_notified +coordination +yes +failed +no module registry")))
      << result.output;
}

}  // namespace
}  // namespace qgate
