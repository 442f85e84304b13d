// End-to-end: a secret of the environment that a step writes into the names
// of its reports (a SARIF rule id, fingerprint and path, a JUnit test name, a
// benchmark name) and prints encoded is masked in everything qgate prints,
// writes, stores and sends to GitHub.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/github_stand_in.hpp"
#include "tests/test_support.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;
using testing::GithubStandIn;
using testing::read_file;
using testing::run_command;
using testing::TempDir;
using testing::write_file;

// A made-up deploy key: '/', '+' and '=' make its percent-encoded form differ.
constexpr const char* kSecret = "Dk7-Qz/9xV+4mW=8pL2rT5";  // qgate:allow-secret (made up)
constexpr const char* kSecretUrlForm = "Dk7-Qz%2F9xV%2B4mW%3D8pL2rT5";  // qgate:allow-secret

// The forms of kSecret that must appear nowhere.
std::vector<std::string> forbidden_forms(const TempDir& dir) {
  std::vector<std::string> forms = {kSecret, kSecretUrlForm, "Dk7-Qz%2f9xV%2b4mW%3d8pL2rT5"};
  write_file(dir / "b64-in", kSecret);
  const auto encoded = run_command("base64 -w0 b64-in", dir.path());
  EXPECT_EQ(encoded.exit_code, 0);
  forms.push_back(encoded.output.substr(0, encoded.output.find('=')));
  fs::remove(dir / "b64-in");
  return forms;
}

// The module: real tools' reports (tests/fixtures) with the secret put into
// their names by the steps, every requirement advisory so that the run
// passes and the pull request is opened.
void write_module(const TempDir& dir, const std::string& api_url) {
  const fs::path fixtures = testing::source_dir() / "tests/fixtures";
  fs::create_directories(dir / "fixtures");
  fs::copy_file(fixtures / "findings/flawfinder.sarif", dir / "fixtures/flawfinder.sarif");
  fs::copy_file(fixtures / "junit/pytest.xml", dir / "fixtures/pytest.xml");
  fs::copy_file(fixtures / "benchmark/google-benchmark.json", dir / "fixtures/bench.json");
  write_file(dir / "write-reports.sh",
             "set -e\nmkdir -p out\n"
             "sed -e \"s|\\\"FF1016\\\"|\\\"FF1016-$DEPLOY_KEY\\\"|\" "
             "-e \"s|3bcda3d6f3d3457ce469cb278aed6291c1a1cec4dd57074b55e2a2cbd069cf86|"
             "$DEPLOY_KEY|\" -e \"s|c/shapes.cpp|c/$DEPLOY_KEY_URL.cpp|\" "
             "fixtures/flawfinder.sarif > out/lint.sarif\n"
             "sed -e \"s|test_describe_square_fails_on_purpose|test_$DEPLOY_KEY|\" "
             "fixtures/pytest.xml > out/junit.xml\n"
             "sed -e \"s|BM_StringCopy/8|BM_$DEPLOY_KEY/8|g\" fixtures/bench.json > "
             "out/bench.json\n"
             "echo \"plain $DEPLOY_KEY\"\n"
             "printf 'base64 '; printf %s \"$DEPLOY_KEY\" | base64 -w0; echo\n"
             "printf 'basic '; printf 'ci:%s' \"$DEPLOY_KEY\" | base64 -w0; echo\n"
             "echo \"url $DEPLOY_KEY_URL\"\n");
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements:\n"
             "  testing:\n"
             "    - unit_tests_passing: false\n"
             "    - performance_benchmarks_met: false\n"
             "  code_quality:\n"
             "    - linting_rules_followed: false\n"
             "    - code_review_approved: false\n"
             "module: {id: mask-001, name: Masked}\n"
             "settings: {secret_env: [DEPLOY_KEY, DEPLOY_KEY_URL]}\n"
             "gates:\n"
             "  lint:\n"
             "    steps: [ {name: reports, run: 'sh write-reports.sh; exit 1'} ]\n"
             "    reports: [out/lint.sarif]\n"
             "  test-coverage:\n"
             "    steps: [ {name: wait, run: 'sleep 1'} ]\n"
             // Written by the lint step, which may start before this gate's.
             "    reports: [ {path: out/junit.xml, fresh: false} ]\n"
             "  performance:\n"
             // Beside the lint step that writes its report, not alone.
             "    exclusive: false\n"
             "    steps: [ {name: wait, run: 'sleep 1'} ]\n"
             "    reports: [ {path: out/bench.json, fresh: false} ]\n"
             "github:\n  repository: acme/shop\n  developer: ana\n  checks: true\n  api_url: " +
                 api_url + "\n");
  write_file(dir / ".gitignore", ".qgate/\nout/\nr/\nactions/\n");
  const auto git = run_command(
      "git -c init.defaultBranch=main init -q && git add -A && "
      "git -c user.name=Tester -c user.email=t@example.com commit -qm init",
      dir.path());
  ASSERT_EQ(git.exit_code, 0) << git.output;
}

TEST(SecretMaskingCli, SecretInReportNamesIsMaskedInEveryOutputStoreAndRequest) {
  TempDir dir;
  GithubStandIn stand_in;
  write_module(dir, stand_in.url());
  fs::create_directories(dir / "actions");
  const auto result = run_command(
      "env -u GITHUB_REPOSITORY -u GITHUB_RUN_ID -u GITHUB_SERVER_URL -u GITHUB_HEAD_REF "
      "-u GITHUB_REF_NAME GITHUB_TOKEN=" +
          stand_in.token() + " GITHUB_STEP_SUMMARY=actions/summary.md" +
          " GITHUB_OUTPUT=actions/output.txt DEPLOY_KEY='" + kSecret + "' DEPLOY_KEY_URL='" +
          kSecretUrlForm + "' QGATE_GITHUB_WAIT_SCALE=0.1 '" + testing::qgate_binary().string() +
          "' check --ci github --open-pr --report json=r/report.json --report junit=r/report.xml "
          "--report markdown=r/report.md --report sarif=r/report.sarif",
      dir.path());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  ASSERT_EQ(stand_in.pulls("acme/shop").size(), 1u) << result.output;

  // The names did reach the run, masked: the test is not vacuous.
  const auto report = nlohmann::json::parse(read_file(dir / "r/report.json"));
  std::string rules;
  std::string metrics;
  for (const auto& gate : report.at("gates")) {
    for (const auto& finding : gate.at("findings")) rules += finding.at("rule").get<std::string>();
    for (const auto& metric : gate.at("metrics")) metrics += metric.at("name").get<std::string>();
  }
  EXPECT_NE(rules.find("FF1016-***"), std::string::npos) << rules;
  EXPECT_NE(metrics.find("BM_***/8"), std::string::npos) << metrics;
  EXPECT_NE(result.output.find("plain ***"), std::string::npos) << result.output;

  std::vector<std::pair<std::string, std::string>> outputs;  // where, what
  // ::add-mask:: hands the value to the runner, which hides it from then on.
  std::string console;
  std::istringstream lines(result.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("::add-mask::", 0) != 0) console += line + "\n";
  }
  outputs.emplace_back("stdout and stderr", console);
  for (const char* folder : {"r", "actions", ".qgate"}) {
    int files = 0;
    for (const auto& entry : fs::recursive_directory_iterator(dir / folder)) {
      if (!entry.is_regular_file()) continue;
      outputs.emplace_back(entry.path().string(), read_file(entry.path()));
      ++files;
    }
    EXPECT_GT(files, 0) << folder;
  }
  EXPECT_TRUE(fs::exists(dir / ".qgate/qgate.db"));
  EXPECT_TRUE(fs::exists(dir / "actions/summary.md"));
  int requests = 0;
  for (const auto& request : stand_in.requests()) {
    std::string all = request.method + " " + request.full_path + "?" + request.query + "\n";
    for (const auto& [name, value] : request.headers) all += name + ": " + value + "\n";
    outputs.emplace_back("request " + request.path, all + request.body);
    ++requests;
  }
  EXPECT_GE(requests, 4) << "check runs and the pull request";
  const auto forms = forbidden_forms(dir);
  for (const auto& [where, text] : outputs) {
    for (const auto& form : forms) {
      EXPECT_EQ(text.find(form), std::string::npos) << form << " in " << where;
    }
  }
}

}  // namespace
}  // namespace qgate
