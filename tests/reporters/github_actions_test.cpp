// `qgate check --ci github`: what the Actions runner reads from qgate.
#include "reporters/github_actions.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

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

TEST(GithubActions, EscapesCommandDataAndProperties) {
  EXPECT_EQ(escape_command_data("50% done\r\nnext: a,b"), "50%25 done%0D%0Anext: a,b");
  EXPECT_EQ(escape_command_property("src/a:b,c.sh"), "src/a%3Ab%2Cc.sh");
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
  // One group per step with its (masked) log.
  EXPECT_NE(out.find("::group::test-coverage / unit: failed\nunit says ***\n::endgroup::\n"),
            std::string::npos)
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
