// End-to-end: the real qgate binary against the local GitHub stand-in
// (GITHUB_API_URL pointing at it), in a real git repository.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/github_stand_in.hpp"
#include "tests/test_support.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;
using testing::Fault;
using testing::GithubStandIn;
using testing::read_file;
using testing::run_command;
using testing::TempDir;
using testing::write_file;

constexpr const char* kModule = "module: {id: api-001, name: Core API}\n";

std::string passing_config(const std::string& github, const std::string& step = "true") {
  return std::string(
             "integration_requirements:\n"
             "  code_quality:\n"
             "    - linting_rules_followed: true\n"
             "    - code_review_approved: false\n") +
         kModule + "gates:\n  lint:\n    steps: [ {name: l, run: '" + step + "'} ]\n" +
         "github:\n" + github;
}

// A module folder that is a git repository with one commit on main.
void make_repository(const TempDir& dir, const std::string& config) {
  write_file(dir / "integration-requirements.yaml", config);
  write_file(dir / ".gitignore", ".qgate/\nout/\n");
  const auto git = run_command(
      "git -c init.defaultBranch=main init -q && git add -A && "
      "git -c user.name=Tester -c user.email=t@example.com commit -qm init",
      dir.path());
  ASSERT_EQ(git.exit_code, 0) << git.output;
}

// Runs qgate check with GitHub's environment pointing at `stand_in`.
testing::CommandResult check(const TempDir& dir, const GithubStandIn& stand_in,
                             const std::string& args = "", const std::string& env = "") {
  return run_command(
      "env -u GITHUB_REPOSITORY -u GITHUB_RUN_ID -u GITHUB_SERVER_URL -u GITHUB_HEAD_REF "
      "-u GITHUB_REF_NAME GITHUB_API_URL=" +
          stand_in.url() + " GITHUB_TOKEN=" + stand_in.token() + " QGATE_GITHUB_WAIT_SCALE=0.1 " +
          env + " '" + testing::qgate_binary().string() +
          "' check --ci --report json=out/report.json " + args,
      dir.path());
}

// Returns the statuses posted with `context`, oldest first.
std::vector<nlohmann::json> statuses_of(const GithubStandIn& stand_in, const std::string& context) {
  std::vector<nlohmann::json> out;
  for (const auto& status : stand_in.statuses("acme/shop")) {
    if (status.at("context") == context) out.push_back(status);
  }
  return out;
}

std::string git_head(const TempDir& dir) {
  auto result = run_command("git rev-parse HEAD", dir.path());
  return result.output.substr(0, 40);
}

TEST(GithubCheck, PullRequestIsOpenedOnceAcrossRepeatedRuns) {
  TempDir dir;
  GithubStandIn stand_in;
  make_repository(dir, passing_config("  repository: acme/shop\n  developer: Ana Pérez\n"
                                      "  statuses: true\n"));
  const auto first = check(dir, stand_in, "--open-pr");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const std::string url = stand_in.url() + "/acme/shop/pull/1";
  EXPECT_NE(first.output.find("opened the integration pull request " + url), std::string::npos)
      << first.output;
  const auto report = nlohmann::json::parse(read_file(dir / "out/report.json"));
  EXPECT_EQ(report.at("pr_url"), url);

  const auto second = check(dir, stand_in, "--open-pr");
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("updated the integration pull request " + url), std::string::npos)
      << second.output;

  const auto pulls = stand_in.pulls("acme/shop");
  ASSERT_EQ(pulls.size(), 1u);
  EXPECT_EQ(pulls[0].at("title"), "Integrate api-001 module");
  EXPECT_EQ(pulls[0].at("head").at("label"), "acme:module/api-001/ana-p-rez");
  EXPECT_EQ(pulls[0].at("base").at("ref"), "main");
  const std::string body = pulls[0].at("body");
  EXPECT_NE(body.find("linting_rules_followed"), std::string::npos) << body;
  EXPECT_EQ(stand_in.requests("POST", "/repos/acme/shop/pulls").size(), 1u);

  // The store has the URL too.
  const auto show = run_command("'" + testing::qgate_binary().string() + "' show " +
                                    report.at("id").get<std::string>() + " --format json",
                                dir.path());
  ASSERT_EQ(show.exit_code, 0) << show.output;
  EXPECT_EQ(nlohmann::json::parse(show.output).at("pr_url"), url);

  // A status per gate: pending at the start, then the verdict, on HEAD.
  const auto statuses = statuses_of(stand_in, "qgate/lint");
  ASSERT_EQ(statuses.size(), 4u);  // two runs
  EXPECT_EQ(statuses[0].at("context"), "qgate/lint");
  EXPECT_EQ(statuses[0].at("state"), "pending");
  EXPECT_EQ(statuses[1].at("state"), "success");
  EXPECT_EQ(statuses[1].at("sha"), git_head(dir));
  EXPECT_LE(statuses[1].at("description").get<std::string>().size(), 140u);
}

TEST(GithubCheck, ExistingPullRequestIsUpdatedNotDuplicated) {
  TempDir dir;
  GithubStandIn stand_in;
  stand_in.add_pull("acme/shop", "acme", "module/api-001/bo-li", "main", "by hand", "old body");
  make_repository(dir, passing_config("  repository: git@github.com:acme/shop.git\n"
                                      "  open_pr: true\n"));
  ASSERT_EQ(run_command("git config user.name 'Bo Li'", dir.path()).exit_code, 0);
  const auto result = check(dir, stand_in);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto pulls = stand_in.pulls("acme/shop");
  ASSERT_EQ(pulls.size(), 1u);
  EXPECT_NE(pulls[0].at("body").get<std::string>().find("linting_rules_followed"),
            std::string::npos);
  EXPECT_EQ(pulls[0].at("title"), "Integrate api-001 module");
  EXPECT_TRUE(stand_in.requests("POST", "/repos/acme/shop/pulls").empty());
  EXPECT_EQ(stand_in.requests("PATCH", "/repos/acme/shop/pulls/1").size(), 1u);
}

TEST(GithubCheck, NothingIsOpenedWhenARequiredGateFails) {
  TempDir dir;
  GithubStandIn stand_in;
  make_repository(dir, passing_config("  repository: acme/shop\n  developer: ana\n"
                                      "  statuses: true\n",
                                      "echo broken; exit 1"));
  const auto result = check(dir, stand_in, "--open-pr");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("integration pull request not opened: linting_rules_followed"),
            std::string::npos)
      << result.output;
  EXPECT_TRUE(stand_in.pulls("acme/shop").empty());
  EXPECT_TRUE(stand_in.requests("POST", "/repos/acme/shop/pulls").empty());
  const auto statuses = statuses_of(stand_in, "qgate/lint");
  ASSERT_EQ(statuses.size(), 2u);
  EXPECT_EQ(statuses[1].at("state"), "failure");
}

TEST(GithubCheck, RateLimitsAreWaitedOutAsTheHeadersSay) {
  TempDir dir;
  GithubStandIn stand_in;
  make_repository(dir, passing_config("  repository: acme/shop\n  developer: ana\n"));
  const long long reset = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count() +
                          4;
  stand_in.add_fault(Fault(403, 1)
                         .with_headers({{"x-ratelimit-remaining", "0"},
                                        {"x-ratelimit-reset", std::to_string(reset)}})
                         .with_body({{"message", "API rate limit exceeded"}})
                         .only("GET", ""));
  stand_in.add_fault(Fault(429, 1)
                         .with_headers({{"retry-after", "5"}})
                         .with_body({{"message", "Too Many Requests"}})
                         .only("POST", ""));
  const auto result = check(dir, stand_in, "--open-pr");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  ASSERT_EQ(stand_in.pulls("acme/shop").size(), 1u);
  const auto gets = stand_in.requests("GET", "/repos/acme/shop/pulls");
  const auto posts = stand_in.requests("POST", "/repos/acme/shop/pulls");
  // The look-up for code_review_approved, once refused, and the one before opening.
  ASSERT_EQ(gets.size(), 3u);
  ASSERT_EQ(posts.size(), 2u);
  using ms = std::chrono::milliseconds;
  // Waits are scaled by QGATE_GITHUB_WAIT_SCALE=0.1: until the reset (3-5 s
  // from the refusal, a second's margin included) and the 5 s retry-after.
  const auto reset_wait = std::chrono::duration_cast<ms>(gets[1].at - gets[0].at);
  EXPECT_GE(reset_wait, ms(300));
  EXPECT_LT(reset_wait, ms(1200));
  const auto retry_wait = std::chrono::duration_cast<ms>(posts[1].at - posts[0].at);
  EXPECT_GE(retry_wait, ms(490));
  EXPECT_LT(retry_wait, ms(1300));
}

TEST(GithubCheck, ServerErrorBurstIsRetriedThenExitsThreeWithTheRunRecorded) {
  TempDir dir;
  GithubStandIn stand_in;
  make_repository(dir, passing_config("  repository: acme/shop\n  developer: ana\n"));
  stand_in.add_fault(Fault(502, 50).with_body("Bad Gateway").only("POST", ""));
  const auto result = check(dir, stand_in, "--open-pr", "QGATE_GITHUB_WAIT_SCALE=0.01");
  EXPECT_EQ(result.exit_code, 3) << result.output;
  EXPECT_NE(result.output.find("cannot open the integration pull request module/api-001/ana -> "
                               "main: POST /repos/acme/shop/pulls: 502"),
            std::string::npos)
      << result.output;
  EXPECT_EQ(stand_in.requests("POST", "/repos/acme/shop/pulls").size(), 5u);
  const auto history =
      run_command("'" + testing::qgate_binary().string() + "' history", dir.path());
  EXPECT_NE(history.output.find("passed"), std::string::npos) << history.output;
  const auto report = nlohmann::json::parse(read_file(dir / "out/report.json"));
  EXPECT_EQ(report.at("exit_code"), 3);
  EXPECT_EQ(report.at("pr_url"), "");
}

TEST(GithubCheck, ShortServerErrorBurstIsRetriedAndSucceeds) {
  TempDir dir;
  GithubStandIn stand_in;
  make_repository(dir, passing_config("  repository: acme/shop\n  developer: ana\n"));
  stand_in.add_fault(Fault(500, 2).only("POST", ""));
  const auto result = check(dir, stand_in, "--open-pr", "QGATE_GITHUB_WAIT_SCALE=0.01");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(stand_in.requests("POST", "/repos/acme/shop/pulls").size(), 3u);
  EXPECT_EQ(stand_in.pulls("acme/shop").size(), 1u);
}

TEST(GithubCheck, TokenAppearsNowhere) {
  TempDir dir;
  GithubStandIn stand_in("app_installation_credential_0123456789");
  // A variable whose name no default pattern masks.
  make_repository(dir, passing_config("  repository: acme/shop\n  developer: ana\n"
                                      "  statuses: true\n  token_env: QGATE_GH_APP\n",
                                      "echo key $QGATE_GH_APP"));
  const auto result =
      run_command("env GITHUB_API_URL=" + stand_in.url() + " QGATE_GH_APP=" + stand_in.token() +
                      " '" + testing::qgate_binary().string() +
                      "' check --ci --open-pr --report json=out/r.json --report markdown=out/r.md "
                      "--report junit=out/r.xml --report sarif=out/r.sarif",
                  dir.path());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output.find(stand_in.token()), std::string::npos);
  EXPECT_EQ(stand_in.pulls("acme/shop").size(), 1u);
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir / ".qgate")) {
    if (!entry.is_regular_file()) continue;
    EXPECT_EQ(read_file(entry.path()).find(stand_in.token()), std::string::npos) << entry.path();
    ++files;
  }
  for (const auto& entry : fs::directory_iterator(dir / "out")) {
    EXPECT_EQ(read_file(entry.path()).find(stand_in.token()), std::string::npos) << entry.path();
    ++files;
  }
  EXPECT_GE(files, 7);  // step log, github.log, the database, four reports
  EXPECT_TRUE(fs::exists(dir / ".qgate/qgate.db"));
  // The step's own output had it, masked.
  bool masked = false;
  for (const auto& entry : fs::recursive_directory_iterator(dir / ".qgate/runs")) {
    if (read_file(entry.path()).find("key ***") != std::string::npos) masked = true;
  }
  EXPECT_TRUE(masked);
  // Nor went it to GitHub anywhere but the header.
  for (const auto& request : stand_in.requests()) {
    EXPECT_EQ(request.body.find(stand_in.token()), std::string::npos) << request.path;
  }
}

TEST(GithubCheck, ReviewsOnThePullRequestJudgeCodeReview) {
  TempDir dir;
  GithubStandIn stand_in;
  const int number =
      stand_in.add_pull("acme/shop", "acme", "module/api-001/ana", "main", "t", "body");
  stand_in.add_review("acme/shop", number, "bo", "APPROVED");
  make_repository(dir, std::string("integration_requirements:\n  code_quality:\n"
                                   "    - linting_rules_followed: true\n"
                                   "    - code_review_approved: true\n") +
                           kModule + "gates:\n  lint:\n    steps: [ {name: l, run: 'true'} ]\n" +
                           "github:\n  repository: acme/shop\n  developer: ana\n"
                           "  open_pr: true\n  required_approvals: 2\n");
  const auto one = check(dir, stand_in);
  EXPECT_EQ(one.exit_code, 1) << one.output;
  EXPECT_NE(one.output.find("1 of 2 required approvals (bo)"), std::string::npos) << one.output;
  // The pull request still gets the new report: reviewers judge it.
  EXPECT_EQ(stand_in.requests("PATCH", "/repos/acme/shop/pulls/1").size(), 1u);

  stand_in.add_review("acme/shop", number, "cy", "APPROVED");
  const auto two = check(dir, stand_in);
  EXPECT_EQ(two.exit_code, 0) << two.output;
  EXPECT_NE(two.output.find("2 approvals (bo, cy), 2 required"), std::string::npos) << two.output;

  stand_in.add_review("acme/shop", number, "bo", "CHANGES_REQUESTED");
  const auto blocked = check(dir, stand_in);
  EXPECT_EQ(blocked.exit_code, 1) << blocked.output;
  EXPECT_NE(blocked.output.find("changes requested by bo"), std::string::npos) << blocked.output;
}

TEST(GithubCheck, WithoutATokenCodeReviewStaysSkipped) {
  TempDir dir;
  make_repository(dir, std::string("integration_requirements:\n  code_quality:\n"
                                   "    - code_review_approved: true\n") +
                           kModule + "github:\n  repository: acme/shop\n");
  const auto result = run_command(
      "env -u GITHUB_TOKEN '" + testing::qgate_binary().string() + "' check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("skipped (needs GitHub)"), std::string::npos) << result.output;
}

TEST(GithubCheck, OpenPrWithoutATokenExitsTwoBeforeRunning) {
  TempDir dir;
  make_repository(dir, passing_config("  repository: acme/shop\n"));
  const auto result = run_command(
      "env -u GITHUB_TOKEN '" + testing::qgate_binary().string() + "' check --ci --open-pr",
      dir.path());
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("needs a GitHub token in $GITHUB_TOKEN"), std::string::npos)
      << result.output;
  EXPECT_FALSE(fs::exists(dir / ".qgate/qgate.db"));
}

TEST(GithubCheck, UnknownRepositoryExitsTwo) {
  TempDir dir;
  GithubStandIn stand_in;
  make_repository(dir, passing_config("  repository: not a repository\n"));
  const auto result = check(dir, stand_in, "--open-pr");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("github.repository 'not a repository' is not a GitHub repository"),
            std::string::npos)
      << result.output;
}

TEST(GithubCheck, WebhookIsToldOfAPassingRunAndItsFailureIsNotFatal) {
  TempDir dir;
  GithubStandIn stand_in;
  make_repository(dir, passing_config("  repository: acme/shop\n  developer: ana\n"
                                      "  webhook_url_env: CHAT_HOOK\n"));
  const std::string hook = stand_in.url() + "/hooks/T01/B02/xyzzySecretPart";
  const auto result = check(dir, stand_in, "--open-pr", "CHAT_HOOK=" + hook);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto messages = stand_in.webhook_messages();
  ASSERT_EQ(messages.size(), 1u);
  const std::string text = messages[0].at("text");
  EXPECT_NE(text.find("api-001 passed its integration gates"), std::string::npos) << text;
  EXPECT_NE(text.find(stand_in.url() + "/acme/shop/pull/1"), std::string::npos) << text;

  stand_in.add_fault(Fault(500, 10).only("", "/hooks/"));
  const auto failed =
      check(dir, stand_in, "--open-pr", "QGATE_GITHUB_WAIT_SCALE=0.01 CHAT_HOOK=" + hook);
  EXPECT_EQ(failed.exit_code, 0) << failed.output;
  EXPECT_NE(failed.output.find("webhook not delivered"), std::string::npos) << failed.output;
  EXPECT_EQ(failed.output.find("xyzzySecretPart"), std::string::npos) << failed.output;
  EXPECT_EQ(stand_in.requests("POST", "/hooks/").size(), 4u);  // one, then three tries
  bool logged = false;
  for (const auto& entry : fs::recursive_directory_iterator(dir / ".qgate/runs")) {
    if (entry.path().filename() != "github.log") continue;
    const std::string log = read_file(entry.path());
    EXPECT_EQ(log.find("xyzzySecretPart"), std::string::npos);
    if (log.find("webhook: not delivered") != std::string::npos) logged = true;
  }
  EXPECT_TRUE(logged);
}

TEST(GithubCheck, EnterpriseApiUrlAndCheckRunsWithAnnotations) {
  TempDir dir;
  GithubStandIn stand_in;
  write_file(dir / "README.md", "# api\n\nToo short.\n");
  make_repository(dir, std::string("integration_requirements:\n  documentation:\n"
                                   "    - module_readme_complete: true\n") +
                           kModule +
                           "github:\n  repository: https://ghe.example.com/acme/shop.git\n"
                           "  checks: true\n  api_url: " +
                           stand_in.url() + "/api/v3\n");
  const auto result = check(dir, stand_in);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  const auto runs = stand_in.check_runs("acme/shop");
  ASSERT_EQ(runs.size(), 1u) << result.output;
  EXPECT_EQ(runs[0].at("name"), "qgate/documentation");
  EXPECT_EQ(runs[0].at("status"), "completed");
  EXPECT_EQ(runs[0].at("conclusion"), "failure");
  ASSERT_FALSE(runs[0].at("all_annotations").empty());
  EXPECT_EQ(runs[0].at("all_annotations")[0].at("path"), "README.md");
  for (const auto& request : stand_in.requests()) {
    EXPECT_EQ(request.full_path.rfind("/api/v3/", 0), 0u) << request.full_path;
  }
}

TEST(GithubCheck, PostgresStoreRecordsThePullRequestAndTheFailedRun) {
  const std::string url = testing::fresh_database_url();
  TempDir dir;
  GithubStandIn stand_in;
  make_repository(dir, passing_config("  repository: acme/shop\n  developer: ana\n"));
  stand_in.add_fault(Fault(502, 5).with_body("Bad Gateway").only("POST", ""));
  const auto failed = check(dir, stand_in, "--open-pr --database-url '" + url + "'",
                            "QGATE_GITHUB_WAIT_SCALE=0.01");
  EXPECT_EQ(failed.exit_code, 3) << failed.output;
  const auto ok = check(dir, stand_in, "--open-pr --database-url '" + url + "'");
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  const std::string rows = testing::psql(
      url,
      "SELECT status || ' ' || exit_code || ' ' || pr_url FROM qgate_runs ORDER BY started_at");
  EXPECT_EQ(rows, "passed 3 \npassed 0 " + stand_in.url() + "/acme/shop/pull/1") << rows;
  // The token is in no row of any of qgate's tables.
  const std::string tables =
      testing::psql(url, "SELECT tablename FROM pg_tables WHERE tablename LIKE 'qgate%'");
  std::istringstream names(tables);
  int checked = 0;
  for (std::string table; std::getline(names, table);) {
    if (table.empty()) continue;
    EXPECT_EQ(testing::psql(url, "SELECT count(*) FROM " + table + " t WHERE t::text LIKE '%" +
                                     stand_in.token() + "%'"),
              "0")
        << table;
    ++checked;
  }
  EXPECT_GE(checked, 5) << tables;
}

}  // namespace
}  // namespace qgate
