// `qgate check --ci github`: what the Actions runner reads from qgate.
#include "reporters/github_actions.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "tests/test_support.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;
using testing::QgateProcess;
using testing::read_file;
using testing::TempDir;
using testing::write_file;

int count_of(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// What the Actions runner makes of a step's output, by its rules
// (actions/runner, ActionCommandManager): a line is a command when, after
// leading whitespace, it starts with "::name" (or the older "##[name");
// after ::stop-commands::TOKEN no line is one until ::TOKEN:: (any case).
struct RunnerView {
  std::vector<std::string> commands;  // the lines run as commands, resumes included
  std::vector<std::string> inert;     // the lines that looked like commands but were not run
  std::vector<std::string> tokens;    // the stop tokens, in order
  bool stopped_at_end = false;
};

RunnerView as_the_runner_reads(const std::string& output) {
  RunnerView view;
  std::string token;
  std::size_t start = 0;
  while (start < output.size()) {
    std::size_t end = output.find_first_of("\r\n", start);
    if (end == std::string::npos) end = output.size();
    std::string line = output.substr(start, end - start);
    start = end + 1;
    line.erase(0, line.find_first_not_of(" \t\v\f"));
    std::string name;
    std::string data;
    if (line.rfind("::", 0) == 0) {
      const std::size_t close = line.find("::", 2);
      if (close == std::string::npos) continue;
      name = line.substr(2, std::min(close, line.find(' ', 2)) - 2);
      data = line.substr(close + 2);
    } else if (line.rfind("##[", 0) == 0) {
      const std::size_t close = line.find(']');
      if (close == std::string::npos) continue;
      name = line.substr(3, std::min(close, line.find(' ', 3)) - 3);
      data = line.substr(close + 1);
    } else {
      continue;
    }
    if (!token.empty()) {
      if (lower(name) == lower(token)) {
        view.commands.push_back(line);
        token.clear();
      } else {
        view.inert.push_back(line);
      }
    } else if (name == "stop-commands") {
      view.commands.push_back(line);
      token = data;
      view.tokens.push_back(data);
    } else {
      view.commands.push_back(line);
    }
  }
  view.stopped_at_end = !token.empty();
  return view;
}

bool is_hex_token(const std::string& token) {
  return token.size() == 32 && token.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// What a hostile or careless step prints: workflow commands of every kind.
const char* const kCommandsAStepPrints =
    "building\n"
    "::warning file=src/a.c,line=1::from the step\n"
    "::endgroup::\n"
    "::set-output name=result::passed\n"
    "  ::add-mask::from-the-step\n"
    "::error::from the step\n"
    "##[set-output name=result;]passed\n"
    "::STOP-COMMANDS::guessed\n"
    "::guessed::\n"
    "::notice::from the step";

TEST(GithubActions, EscapesCommandDataAndProperties) {
  EXPECT_EQ(escape_command_data("50% done\r\nnext: a,b"), "50%25 done%0D%0Anext: a,b");
  EXPECT_EQ(escape_command_property("src/a:b,c.sh"), "src/a%3Ab%2Cc.sh");
}

TEST(GithubActions, StepLogsAreReplayedWithWorkflowCommandsStopped) {
  TempDir dir;
  write_file(dir / "hostile.log", kCommandsAStepPrints);
  write_file(dir / "quiet.log", "");
  RunResult run;
  GateResult gate;
  gate.name = "test-coverage";
  StepResult hostile;
  hostile.name = "unit";
  hostile.status = Status::failed;
  hostile.log_path = (dir / "hostile.log").string();
  StepResult quiet;
  quiet.name = "quiet";
  quiet.status = Status::passed;
  quiet.log_path = (dir / "quiet.log").string();
  gate.steps = {hostile, quiet};
  run.gates.push_back(gate);
  std::ostringstream out;
  print_log_groups(run, out);
  const RunnerView view = as_the_runner_reads(out.str());

  // The runner runs qgate's own group commands and the stops, nothing else.
  ASSERT_EQ(view.tokens.size(), 2u) << out.str();
  const std::vector<std::string> expected = {"::group::test-coverage / unit: failed",
                                             "::stop-commands::" + view.tokens[0],
                                             "::" + view.tokens[0] + "::",
                                             "::endgroup::",
                                             "::group::test-coverage / quiet: passed",
                                             "::stop-commands::" + view.tokens[1],
                                             "::" + view.tokens[1] + "::",
                                             "::endgroup::"};
  EXPECT_EQ(view.commands, expected) << out.str();
  EXPECT_FALSE(view.stopped_at_end);
  // Every command the step printed is shown, inert.
  EXPECT_EQ(view.inert.size(), 9u) << out.str();
  EXPECT_NE(out.str().find("  ::add-mask::from-the-step\n"), std::string::npos);
  EXPECT_NE(out.str().find("::notice::from the step\n"), std::string::npos);
  // Tokens: 128 random bits each, drawn afresh, never in the log.
  for (const std::string& token : view.tokens) {
    EXPECT_TRUE(is_hex_token(token)) << token;
    EXPECT_EQ(std::string(kCommandsAStepPrints).find(token), std::string::npos);
  }
  EXPECT_NE(view.tokens[0], view.tokens[1]);
}

TEST(GithubActions, AStopTokenIsNeverOneTheTextHolds) {
  std::set<std::string> tokens;
  for (int i = 0; i < 100; ++i) {
    const std::string token = stop_commands_token("");
    EXPECT_TRUE(is_hex_token(token)) << token;
    tokens.insert(token);
  }
  EXPECT_EQ(tokens.size(), 100u);
  // A text that holds a token (in any case) gets another one.
  const std::string taken = stop_commands_token("");
  std::string upper = taken;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (int i = 0; i < 20; ++i) {
    const std::string token = stop_commands_token("x ::" + upper + ":: y");
    EXPECT_NE(token, taken);
  }
}

TEST(GithubActions, ConsoleTextThatMayHoldCommandsIsWrittenInert) {
  std::ostringstream out;
  {
    InertOutput inert(out);
    inert.stream() << "  FAIL   test-coverage/unit  0.01s  exit 1\n" << std::flush;
    inert.stream() << "         ::error::quoted from a test\n" << std::flush;
    inert.stream() << "PASSED\n";
  }  // the last chunk is flushed at the end
  const std::string text = out.str();
  EXPECT_EQ(text.rfind("  FAIL   test-coverage/unit  0.01s  exit 1\n::stop-commands::", 0), 0u)
      << text;
  const RunnerView view = as_the_runner_reads(text);
  ASSERT_EQ(view.tokens.size(), 1u) << text;
  EXPECT_EQ(view.commands, (std::vector<std::string>{"::stop-commands::" + view.tokens[0],
                                                     "::" + view.tokens[0] + "::"}));
  EXPECT_EQ(view.inert, std::vector<std::string>{"::error::quoted from a test"});
  EXPECT_EQ(text.substr(text.size() - 7), "PASSED\n");
}

TEST(GithubActions, AnnotationsAreCappedPerLevelMostSevereFirst) {
  RunResult run;
  run.module_path = "/ws/modules/api";
  run.requirements = {
      {"linting_rules_followed", "code_quality", "lint", true, Status::failed, "12 findings"},
      {"type_checking_passed", "code_quality", "lint", false, Status::failed, "advisory"}};
  GateResult lint;
  lint.name = "lint";
  for (int i = 0; i < 12; ++i) {
    Finding f;
    f.rule = "R" + std::to_string(i);
    f.severity = i < 3 ? Severity::critical : Severity::high;
    f.message = "problem " + std::to_string(i);
    f.file = "src/f" + std::to_string(i) + ".sh";
    f.line = i + 1;
    f.column = 2;
    lint.findings.push_back(f);
  }
  Finding low;
  low.rule = "L";
  low.severity = Severity::low;
  low.message = "a, multi\nline: warning";
  lint.findings.push_back(low);
  run.gates.push_back(lint);
  ActionsEnvironment env;
  env.workspace = "/ws";
  std::ostringstream out;
  print_annotations(run, env, out);
  const std::string text = out.str();
  // 1 failed required requirement + 9 findings fill the 10 errors; 3 errors are left out.
  EXPECT_EQ(count_of(text, "::error "), 10) << text;
  EXPECT_NE(text.find("::error title=qgate%3A linting_rules_followed::12 findings\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("type_checking_passed"), std::string::npos);  // advisory
  // Paths are relative to the workspace, the critical findings come first.
  EXPECT_NE(text.find("::error file=modules/api/src/f0.sh,line=1,col=2,title=R0::problem 0\n"),
            std::string::npos)
      << text;
  // Equal severities go by file name: f10, f11, f3 ... f6 make it, f7 to f9 do not.
  EXPECT_NE(text.find("title=R11"), std::string::npos);
  EXPECT_EQ(text.find("title=R9"), std::string::npos);
  EXPECT_NE(text.find("::warning title=L::a, multi%0Aline: warning\n"), std::string::npos) << text;
  EXPECT_NE(text.find("qgate: 3 more annotations left out"), std::string::npos) << text;
}

TEST(GithubActions, CheckWritesSummaryOutputsAnnotationsGroupsAndMasks) {
  TempDir dir;
  // A real shellcheck report with 12 findings, one failing and one passing step.
  std::string script = "#!/bin/sh\n";
  for (int i = 0; i < 12; ++i) script += "echo $V" + std::to_string(i) + "\n";
  write_file(dir / "module/scripts/run.sh", script);
  write_file(dir / "module/integration-requirements.yaml",
             "integration_requirements:\n"
             "  testing: [ {unit_tests_passing: true} ]\n"
             "  code_quality: [ {linting_rules_followed: true} ]\n"
             "gates:\n"
             "  test-coverage:\n"
             "    steps: [ {name: unit, run: 'echo unit says $DEPLOY_TOKEN; exit 1'} ]\n"
             "  lint:\n"
             "    steps:\n"
             "      - name: shellcheck\n"
             "        run: mkdir -p build && { shellcheck -f checkstyle scripts/run.sh > "
             "build/sc.xml || [ $? -eq 1 ]; }\n"
             "    reports: [build/sc.xml]\n");
  const std::string secret = "s3cr3t-deploy-token-value-123";  // qgate:allow-secret (made up)
  write_file(dir / "summary.md", "earlier step's summary\n");
  QgateProcess process;
  process.start({"check", "--ci", "github", "--report", "markdown=report.md"}, dir / "module",
                dir / "out.txt", fs::path(),
                {"GITHUB_STEP_SUMMARY=" + (dir / "summary.md").string(),
                 "GITHUB_OUTPUT=" + (dir / "output.txt").string(),
                 "GITHUB_WORKSPACE=" + dir.path().string(), "GITHUB_SERVER_URL=https://github.com",
                 "GITHUB_REPOSITORY=acme/crm", "GITHUB_RUN_ID=4242", "DEPLOY_TOKEN=" + secret});
  process.wait();
  EXPECT_EQ(process.exit_code, 1);
  const std::string out = read_file(dir / "out.txt");

  // The mask comes before anything else, and the secret itself only there.
  EXPECT_EQ(out.rfind("::add-mask::" + secret + "\n", 0), 0u) << out;
  EXPECT_EQ(count_of(out, secret), 1) << out;
  // One group per step with its (masked) log, workflow commands stopped.
  EXPECT_TRUE(std::regex_search(
      out, std::regex("::group::test-coverage / unit: failed\n::stop-commands::([0-9a-f]{32})\n"
                      "unit says \\*\\*\\*\n::\\1::\n::endgroup::\n")))
      << out;
  EXPECT_NE(out.find("::group::lint / shellcheck: passed\n"), std::string::npos) << out;
  // Annotations: the failed requirements, then shellcheck's findings with
  // paths relative to the workspace, capped at 10 warnings.
  EXPECT_NE(out.find("::error title=qgate%3A unit_tests_passing::"), std::string::npos) << out;
  EXPECT_NE(out.find("::error title=qgate%3A linting_rules_followed::"), std::string::npos);
  EXPECT_TRUE(std::regex_search(
      out, std::regex("::warning file=module/scripts/run.sh,line=2,col=6,title=SC2086::Double "
                      "quote to prevent globbing")))
      << out;
  EXPECT_EQ(count_of(out, "::warning file=module/scripts/run.sh"), 10) << out;
  EXPECT_NE(out.find("qgate: 2 more annotations left out"), std::string::npos) << out;

  // The step summary keeps what was there and adds the Markdown report with
  // a link to the job.
  const std::string summary = read_file(dir / "summary.md");
  EXPECT_EQ(summary.rfind("earlier step's summary\n", 0), 0u);
  EXPECT_NE(summary.find("https://github.com/acme/crm/actions/runs/4242"), std::string::npos)
      << summary;
  EXPECT_NE(summary.find("unit_tests_passing"), std::string::npos);
  EXPECT_EQ(summary.find(secret), std::string::npos);

  // Outputs for later steps.
  const std::string outputs = read_file(dir / "output.txt");
  EXPECT_NE(outputs.find("result=failed\n"), std::string::npos) << outputs;
  EXPECT_NE(outputs.find("exit-code=1\n"), std::string::npos) << outputs;
  EXPECT_TRUE(std::regex_search(outputs, std::regex("run-id=[0-9a-f-]{36}\n"))) << outputs;
  EXPECT_NE(outputs.find("report=report.md\n"), std::string::npos) << outputs;
  EXPECT_NE(outputs.find("pr-url=\n"), std::string::npos) << outputs;
}

// Runs `qgate check --ci github` plus `args` in `module` with the Actions
// files in `dir`; returns stdout (stderr goes to dir/err.txt).
std::string check_in_actions(const TempDir& dir, const fs::path& module,
                             const std::vector<std::string>& args, int expected_exit,
                             const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv = {"check", "--ci", "github"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> environment = {"GITHUB_STEP_SUMMARY=" + (dir / "summary.md").string(),
                                          "GITHUB_OUTPUT=" + (dir / "output.txt").string(),
                                          "GITHUB_WORKSPACE=" + dir.path().string()};
  environment.insert(environment.end(), env.begin(), env.end());
  QgateProcess process;
  process.start(argv, module, dir / "out.txt", dir / "err.txt", environment);
  process.wait();
  EXPECT_EQ(process.exit_code, expected_exit)
      << read_file(dir / "out.txt") << read_file(dir / "err.txt");
  return read_file(dir / "out.txt");
}

TEST(GithubActions, AStepPrintingWorkflowCommandsChangesNothing) {
  std::set<std::string> tokens;
  for (int run = 0; run < 2; ++run) {
    TempDir dir;
    write_file(dir / "module/commands.txt", kCommandsAStepPrints);
    write_file(dir / "module/integration-requirements.yaml",
               "integration_requirements:\n"
               "  testing: [ {unit_tests_passing: true}, {integration_tests_passing: true} ]\n"
               "gates:\n"
               "  test-coverage:\n"
               "    steps:\n"
               "      - {name: unit, run: 'cat commands.txt; exit 1', requirements: "
               "[unit_tests_passing]}\n"
               "      - {name: integration, run: 'cat commands.txt', requirements: "
               "[integration_tests_passing]}\n");
    const std::string out = check_in_actions(dir, dir / "module", {}, 1);
    const RunnerView view = as_the_runner_reads(out);
    EXPECT_FALSE(view.stopped_at_end) << out;
    // What the runner runs is qgate's own: groups, stops and their resumes,
    // the failed requirement's annotation. Each line the steps printed (in
    // their logs and in the failed step's last lines) is inert.
    for (const std::string& command : view.commands) {
      const bool own = command.rfind("::group::test-coverage / ", 0) == 0 ||
                       command == "::endgroup::" || command.rfind("::stop-commands::", 0) == 0 ||
                       command.rfind("::error title=qgate%3A unit_tests_passing::", 0) == 0;
      const bool resume = command.size() == 36 && command.rfind("::", 0) == 0 &&
                          std::find(view.tokens.begin(), view.tokens.end(),
                                    command.substr(2, 32)) != view.tokens.end();
      EXPECT_TRUE(own || resume) << command << "\n" << out;
      EXPECT_EQ(command.find("from the step"), std::string::npos) << command;
    }
    EXPECT_GE(view.inert.size(), 2u * 9u) << out;
    for (const std::string& token : view.tokens) {
      EXPECT_TRUE(is_hex_token(token)) << token;
      EXPECT_EQ(std::string(kCommandsAStepPrints).find(token), std::string::npos);
      tokens.insert(token);
    }
    // The outputs are qgate's: the step's ::set-output changed none.
    const std::string outputs = read_file(dir / "output.txt");
    EXPECT_NE(outputs.find("result=failed\n"), std::string::npos) << outputs;
    EXPECT_EQ(outputs.find("passed"), std::string::npos) << outputs;
  }
  // No token is used twice, within a run or across runs.
  EXPECT_GE(tokens.size(), 6u);
}

TEST(GithubActions, ABadConfigStillWritesOutputsSummaryAndAnAnnotationAtItsPlace) {
  TempDir dir;
  write_file(dir / "module/integration-requirements.yaml",
             "integration_requirements:\n"
             "  testing: [ {unit_tests_pasing: true} ]\n");
  const std::string out = check_in_actions(dir, dir / "module", {}, 2);
  const std::string err = read_file(dir / "err.txt");
  EXPECT_NE(err.find("did you mean 'unit_tests_passing'"), std::string::npos) << err;
  EXPECT_TRUE(std::regex_search(
      out, std::regex("::error file=module/integration-requirements.yaml,line=2,col=[0-9]+,"
                      "title=qgate%3A configuration error::[^\n]*unit_tests_pasing")))
      << out;
  const std::string outputs = read_file(dir / "output.txt");
  EXPECT_NE(outputs.find("result=error\n"), std::string::npos) << outputs;
  EXPECT_NE(outputs.find("exit-code=2\n"), std::string::npos) << outputs;
  const std::string summary = read_file(dir / "summary.md");
  EXPECT_NE(summary.find("## qgate: error (exit 2)"), std::string::npos) << summary;
  EXPECT_NE(summary.find("the configuration or the command line is wrong"), std::string::npos);
  EXPECT_NE(summary.find("integration-requirements.yaml:2:"), std::string::npos) << summary;
}

TEST(GithubActions, ABadCommandLineStillWritesOutputsAndAnAnnotation) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--report", "pdf=report.pdf"},
        std::vector<std::string>{"--no-such-option"}}) {
    TempDir dir;
    write_file(dir / "module/integration-requirements.yaml",
               "integration_requirements:\n  testing: [ {unit_tests_passing: true} ]\n");
    const std::string out = check_in_actions(dir, dir / "module", args, 2);
    EXPECT_NE(out.find("::error title=qgate::"), std::string::npos) << out;
    const std::string outputs = read_file(dir / "output.txt");
    EXPECT_NE(outputs.find("result=error\nexit-code=2\n"), std::string::npos) << outputs;
    EXPECT_NE(read_file(dir / "summary.md").find("## qgate: error (exit 2)"), std::string::npos);
  }
}

TEST(GithubActions, AStoreThatCannotBeOpenedStillWritesOutputsAndAnAnnotation) {
  TempDir dir;
  write_file(dir / "module/integration-requirements.yaml",
             "integration_requirements:\n  testing: [ {unit_tests_passing: true} ]\n"
             "gates:\n  test-coverage:\n    steps: [ {name: unit, run: 'true'} ]\n");
  write_file(dir / "not-a-folder", "");
  const std::string out = check_in_actions(
      dir, dir / "module", {"--state-dir", (dir / "not-a-folder/state").string()}, 3);
  EXPECT_NE(out.find("::error title=qgate::"), std::string::npos) << out;
  const std::string outputs = read_file(dir / "output.txt");
  EXPECT_NE(outputs.find("result=error\nexit-code=3\n"), std::string::npos) << outputs;
  const std::string summary = read_file(dir / "summary.md");
  EXPECT_NE(summary.find("## qgate: error (exit 3)"), std::string::npos) << summary;
}

TEST(GithubActions, ARunKeptInTheSpoolSaysSoWithExitCodeThree) {
  TempDir dir;
  fs::create_directories(dir / "no-server");
  write_file(dir / "module/integration-requirements.yaml",
             "integration_requirements:\n  testing: [ {unit_tests_passing: true} ]\n"
             "gates:\n  test-coverage:\n    steps: [ {name: unit, run: 'true'} ]\n");
  const std::string out = check_in_actions(
      dir, dir / "module",
      {"--database-url", "postgresql:///qgate?host=" + (dir / "no-server").string()}, 3,
      {"QGATE_DB_RETRY_SECONDS=0"});
  EXPECT_NE(out.find("::group::test-coverage / unit: passed"), std::string::npos) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("::error title=qgate::[^\n]*kept in [^\n]*spool")))
      << out;
  const std::string outputs = read_file(dir / "output.txt");
  EXPECT_NE(outputs.find("exit-code=3\n"), std::string::npos) << outputs;
  EXPECT_NE(read_file(dir / "summary.md").find("unit_tests_passing"), std::string::npos);
}

TEST(GithubActions, FindingsInTheBaselineAreNotAnnotatedAndPathsStartAtTheRepositoryTop) {
  // A monorepo: the module lies in services/api; shellcheck finds 3 things in
  // the code on main, and the pull request adds a fourth.
  TempDir dir;
  const fs::path module = dir / "services/api";
  write_file(dir / ".gitignore", "*.xml\n*.sarif\n*.txt\n.qgate/\n");
  write_file(module / "run.sh", "#!/bin/sh\necho $1\necho $2\necho $3\n");
  write_file(module / "integration-requirements.yaml",
             "integration_requirements:\n  code_quality: [ {linting_rules_followed: true} ]\n"
             "gates:\n  lint:\n"
             "    steps: [ {name: shellcheck, run: 'shellcheck -f checkstyle run.sh > sc.xml || "
             "test $? -eq 1'} ]\n"
             "    reports: [sc.xml]\n    only_new: true\n    fail_on: info\n");
  const auto git = [&](const std::string& args) {
    const auto result = testing::run_command(
        "git -c user.name=t -c user.email=t@example.invalid " + args, dir.path());
    ASSERT_EQ(result.exit_code, 0) << args << ": " << result.output;
  };
  git("init -q -b main");
  git("add -A");
  git("commit -q -m base");
  git("checkout -q -b feature");

  const auto check = [&](const std::string& name) {
    QgateProcess process;
    // The workspace is elsewhere (a container's path): the repository decides.
    process.start({"check", "--ci", "github", "--base-ref", "main", "--report",
                   "sarif=" + (dir / (name + ".sarif")).string()},
                  module, dir / (name + ".txt"), fs::path(), {"GITHUB_WORKSPACE=/__w/repo/repo"});
    process.wait();
    return std::make_pair(process.exit_code, read_file(dir / (name + ".txt")));
  };
  auto [code, out] = check("passing");
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(count_of(out, "::error"), 0) << out;
  EXPECT_EQ(count_of(out, "::warning"), 0) << out;
  EXPECT_EQ(count_of(out, "::notice"), 0) << out;
  EXPECT_NE(out.find("qgate: 3 findings already in the baseline are not annotated"),
            std::string::npos)
      << out;

  write_file(module / "run.sh", "#!/bin/sh\necho $1\necho $2\necho $3\necho $4\n");
  std::tie(code, out) = check("failing");
  EXPECT_EQ(code, 1) << out;
  EXPECT_EQ(count_of(out, "file=services/api/run.sh"), 1) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("::warning file=services/api/run.sh,line=5,col=6,"
                                                "title=SC2086::Double quote")))
      << out;
  EXPECT_NE(out.find("qgate: 3 findings already in the baseline are not annotated"),
            std::string::npos);
  const auto sarif = nlohmann::json::parse(read_file(dir / "failing.sarif"));
  const auto& run = sarif.at("runs").at(0);
  EXPECT_EQ(run.at("originalUriBaseIds").at("%SRCROOT%").at("uri"),
            "file://" + dir.path().string() + "/");
  int fresh = 0;
  for (const auto& result : run.at("results")) {
    const auto& location = result.at("locations").at(0).at("physicalLocation");
    EXPECT_EQ(location.at("artifactLocation").at("uri"), "services/api/run.sh");
    if (result.at("baselineState") == "new") {
      ++fresh;
      EXPECT_EQ(location.at("region").at("startLine"), 5);
    } else {
      EXPECT_EQ(result.at("baselineState"), "unchanged");
    }
  }
  EXPECT_EQ(fresh, 1);
}

TEST(GithubActions, UnknownCiFlavourIsAUsageError) {
  TempDir dir;
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements:\n  testing: [ {unit_tests_passing: true} ]\n");
  QgateProcess process;
  process.start({"check", "--ci", "gitlab"}, dir.path(), dir / "out.txt");
  process.wait();
  EXPECT_EQ(process.exit_code, 2);
  EXPECT_NE(read_file(dir / "out.txt").find("--ci takes 'github' or nothing, not 'gitlab'"),
            std::string::npos);
}

}  // namespace
}  // namespace qgate
