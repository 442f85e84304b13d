// The GitHub operations (pull request, reviews, statuses, check runs) against
// the local stand-in, and the pure helpers they use.
#include "runner/github/github_pr.hpp"

#include <gtest/gtest.h>

#include "tests/support/github_stand_in.hpp"

namespace qgate {
namespace {

using testing::Fault;
using testing::GithubStandIn;

GithubClient client_of(const GithubStandIn& stand_in) {
  GithubClientOptions options;
  options.api_url = stand_in.url();
  options.token = stand_in.token();
  RetryClock clock;
  clock.sleep = [](std::chrono::milliseconds) {};
  return GithubClient(options, plugin_http_transport(), clock);
}

PullSpec spec(const std::string& body) {
  PullSpec spec;
  spec.repository = {"acme", "shop"};
  spec.head_owner = "acme";
  spec.head = "module/api-001/ana-perez";
  spec.base = "main";
  spec.title = "Integrate api-001 module";
  spec.body = body;
  return spec;
}

TEST(GithubPr, ParsesRepositoriesFromNamesAndUrls) {
  const std::pair<const char*, const char*> cases[] = {
      {"acme/shop", "acme/shop"},
      {"https://github.com/acme/shop", "acme/shop"},
      {"https://github.com/acme/shop.git", "acme/shop"},
      {"https://ghe.example.com/acme/shop/", "acme/shop"},
      {"git@github.com:acme/shop.git", "acme/shop"},
      {"ssh://git@github.com:22/acme/shop.git", "acme/shop"},
      {"https://user@github.com/acme/my.repo", "acme/my.repo"},
  };
  for (const auto& [text, want] : cases) {
    const auto parsed = parse_repository(text);
    ASSERT_TRUE(parsed) << text;
    EXPECT_EQ(parsed->full(), want) << text;
  }
  for (const char* bad : {"", "shop", "https://github.com/", "git@github.com", "a b/c"}) {
    EXPECT_FALSE(parse_repository(bad)) << bad;
  }
}

TEST(GithubPr, DeveloperSlugsAndBranchPatterns) {
  EXPECT_EQ(developer_slug("Ana Pérez"), "ana-p-rez");
  EXPECT_EQ(developer_slug("  john.doe@example.com "), "john-doe-example-com");
  EXPECT_EQ(developer_slug("--"), "");
  EXPECT_EQ(expand_branch_pattern("module/{module_id}/{developer}", "api-001", "ana", "x"),
            "module/api-001/ana");
  EXPECT_EQ(expand_branch_pattern("{branch}", "api-001", "ana", "feature/x"), "feature/x");
}

TEST(GithubPr, OpensThePullRequestOnceAndUpdatesItAfterwards) {
  GithubStandIn stand_in;
  auto client = client_of(stand_in);
  const PullOutcome first = open_or_update_pull(client, spec("first report"));
  ASSERT_TRUE(first.pull) << first.error;
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.pull->number, 1);
  EXPECT_EQ(first.pull->html_url, stand_in.url() + "/acme/shop/pull/1");

  const PullOutcome second = open_or_update_pull(client, spec("second report"));
  ASSERT_TRUE(second.pull) << second.error;
  EXPECT_FALSE(second.created);
  EXPECT_EQ(second.pull->number, 1);
  const auto pulls = stand_in.pulls("acme/shop");
  ASSERT_EQ(pulls.size(), 1u);
  EXPECT_EQ(pulls[0].at("body"), "second report");
  EXPECT_EQ(pulls[0].at("head").at("label"), "acme:module/api-001/ana-perez");
  EXPECT_EQ(pulls[0].at("base").at("ref"), "main");
  EXPECT_EQ(stand_in.requests("POST", "/repos/acme/shop/pulls").size(), 1u);
  EXPECT_EQ(stand_in.requests("PATCH", "/repos/acme/shop/pulls/1").size(), 1u);
}

TEST(GithubPr, A422OnCreateMeansLookAgain) {
  GithubStandIn stand_in;
  stand_in.add_pull("acme/shop", "acme", "module/api-001/ana-perez", "main", "old", "old body");
  // The first look misses it, as when someone opens it between look and create.
  stand_in.add_fault(
      Fault(200, 1).with_body(nlohmann::json::array()).only("GET", "/repos/acme/shop/pulls"));
  auto client = client_of(stand_in);
  const PullOutcome outcome = open_or_update_pull(client, spec("new body"));
  ASSERT_TRUE(outcome.pull) << outcome.error;
  EXPECT_FALSE(outcome.created);
  EXPECT_EQ(outcome.pull->number, 1);
  EXPECT_EQ(stand_in.pulls("acme/shop").size(), 1u);
  EXPECT_EQ(stand_in.pulls("acme/shop")[0].at("body"), "new body");
  const auto posts = stand_in.requests("POST", "/repos/acme/shop/pulls");
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].status, 422);
}

TEST(GithubPr, ClosedPullRequestsAreNotReused) {
  GithubStandIn stand_in;
  auto client = client_of(stand_in);
  ASSERT_TRUE(open_or_update_pull(client, spec("a")).pull);
  ASSERT_TRUE(client.patch("/repos/acme/shop/pulls/1", {{"state", "closed"}}).ok());
  const PullOutcome again = open_or_update_pull(client, spec("b"));
  ASSERT_TRUE(again.pull) << again.error;
  EXPECT_TRUE(again.created);
  EXPECT_EQ(again.pull->number, 2);
}

TEST(GithubPr, PersistentFailureIsAnErrorValue) {
  GithubStandIn stand_in;
  stand_in.add_fault(Fault(502, 100).with_body("Bad Gateway"));
  auto client = client_of(stand_in);
  const PullOutcome outcome = open_or_update_pull(client, spec("x"));
  EXPECT_FALSE(outcome.pull);
  EXPECT_NE(outcome.error.find("502"), std::string::npos) << outcome.error;
  EXPECT_TRUE(stand_in.pulls("acme/shop").empty());
}

nlohmann::json review(const std::string& user, const std::string& state) {
  return {{"user", {{"login", user}}}, {"state", state}};
}

TEST(GithubPr, LatestReviewOfEachReviewerCounts) {
  using nlohmann::json;
  EXPECT_EQ(judge_reviews(json::array(), 1).status, Status::failed);
  EXPECT_EQ(judge_reviews(json::array(), 0).status, Status::passed);
  EXPECT_EQ(judge_reviews(json::array({review("ana", "APPROVED")}), 1).status, Status::passed);
  // A later approval replaces a change request; comments change nothing.
  EXPECT_EQ(judge_reviews(json::array({review("ana", "CHANGES_REQUESTED"),
                                       review("ana", "APPROVED"), review("ana", "COMMENTED")}),
                          1)
                .status,
            Status::passed);
  // One reviewer's change request blocks any number of approvals.
  const ReviewVerdict blocked =
      judge_reviews(json::array({review("ana", "APPROVED"), review("bo", "APPROVED"),
                                 review("cy", "CHANGES_REQUESTED")}),
                    1);
  EXPECT_EQ(blocked.status, Status::failed);
  EXPECT_EQ(blocked.message, "changes requested by cy");
  // The same reviewer twice is one approval.
  const ReviewVerdict twice =
      judge_reviews(json::array({review("ana", "APPROVED"), review("ana", "APPROVED")}), 2);
  EXPECT_EQ(twice.status, Status::failed);
  EXPECT_EQ(twice.message, "1 of 2 required approvals (ana)");
  // A dismissed review withdraws the reviewer's earlier one.
  EXPECT_EQ(
      judge_reviews(json::array({review("ana", "APPROVED"), review("ana", "DISMISSED")}), 1).status,
      Status::failed);
}

TEST(GithubPr, ReadsReviewsFromThePullRequest) {
  GithubStandIn stand_in;
  const int number = stand_in.add_pull("acme/shop", "acme", "b", "main", "t", "");
  stand_in.add_review("acme/shop", number, "ana", "CHANGES_REQUESTED");
  stand_in.add_review("acme/shop", number, "ana", "APPROVED");
  stand_in.add_review("acme/shop", number, "bo", "APPROVED");
  auto client = client_of(stand_in);
  PullRequest pull{number, stand_in.url() + "/acme/shop/pull/1", "acme:b"};
  const ReviewVerdict verdict = read_review_verdict(client, {"acme", "shop"}, pull, 2);
  EXPECT_EQ(verdict.status, Status::passed) << verdict.message;
  EXPECT_NE(verdict.message.find("2 approvals (ana, bo), 2 required"), std::string::npos)
      << verdict.message;
}

TEST(GithubPr, StatusDescriptionsAreOneLineWithin140Characters) {
  GateResult gate;
  gate.name = "lint";
  gate.status = Status::failed;
  gate.message = std::string(200, 'x') + "\nsecond line";
  const std::string description = status_description(gate);
  EXPECT_LE(description.size(), 140u);
  EXPECT_EQ(description.find('\n'), std::string::npos);
  EXPECT_EQ(description.rfind("failed: xxx", 0), 0u);
  EXPECT_EQ(commit_state(Status::failed), "failure");
  EXPECT_EQ(commit_state(Status::passed), "success");
  EXPECT_EQ(commit_state(Status::error), "error");
  EXPECT_EQ(commit_state(Status::running), "pending");

  GithubStandIn stand_in;
  auto client = client_of(stand_in);
  EXPECT_EQ(
      post_commit_status(client, {"acme", "shop"}, "abc", "qgate/lint", "failure", description, ""),
      "");
  ASSERT_EQ(stand_in.statuses("acme/shop").size(), 1u);
  EXPECT_EQ(stand_in.statuses("acme/shop")[0].at("context"), "qgate/lint");
}

GateResult gate_with_findings(int count, std::size_t message_size) {
  GateResult gate;
  gate.name = "lint";
  gate.status = Status::failed;
  gate.message = "2 findings too many";
  for (int i = 0; i < count; ++i) {
    Finding finding;
    finding.rule = "rule-" + std::to_string(i);
    finding.severity = i % 10 == 0 ? Severity::high : Severity::low;
    finding.message = "problem " + std::to_string(i) + " " + std::string(message_size, 'm');
    finding.file = "src/file" + std::to_string(i % 7) + ".cpp";
    finding.line = i + 1;
    gate.findings.push_back(finding);
  }
  Finding no_file;
  no_file.message = "a finding without a file";
  gate.findings.push_back(no_file);
  return gate;
}

TEST(GithubPr, CheckRunSendsAnnotationsFiftyPerRequestMostSevereFirst) {
  GithubStandIn stand_in;
  auto client = client_of(stand_in);
  std::string error;
  const long long id = start_check_run(client, {"acme", "shop"}, "abc", "lint", error);
  ASSERT_NE(id, 0) << error;
  const GateResult gate = gate_with_findings(120, 10);
  ASSERT_EQ(complete_check_run(client, {"acme", "shop"}, "abc", id, gate, {"mod/"}, ""), "");
  const auto runs = stand_in.check_runs("acme/shop");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].at("name"), "qgate/lint");
  EXPECT_EQ(runs[0].at("status"), "completed");
  EXPECT_EQ(runs[0].at("conclusion"), "failure");
  const auto& annotations = runs[0].at("all_annotations");
  ASSERT_EQ(annotations.size(), 120u);  // the finding without a file is in the text only
  EXPECT_EQ(annotations[0].at("annotation_level"), "failure");
  EXPECT_EQ(annotations[11].at("annotation_level"), "failure");
  EXPECT_EQ(annotations[12].at("annotation_level"), "warning");
  EXPECT_EQ(annotations[0].at("path").get<std::string>().rfind("mod/src/", 0), 0u);
  // One creation and three updates of at most 50 each.
  EXPECT_EQ(stand_in.requests("PATCH", "/repos/acme/shop/check-runs/").size(), 3u);
  for (const auto& request : stand_in.requests()) EXPECT_LT(request.status, 300) << request.body;
}

TEST(GithubPr, CheckRunTextStaysWithinGithubsLimit) {
  GithubStandIn stand_in;
  auto client = client_of(stand_in);
  const GateResult gate = gate_with_findings(40, 3000);  // 120 KB of findings
  ASSERT_EQ(complete_check_run(client, {"acme", "shop"}, "abc", 0, gate, {}, "http://x/run"), "");
  const auto runs = stand_in.check_runs("acme/shop");
  ASSERT_EQ(runs.size(), 1u);
  const std::string text = runs[0].at("output").at("text");
  EXPECT_LE(text.size(), 65535u);
  EXPECT_NE(text.find("further findings left out"), std::string::npos);
  EXPECT_EQ(runs[0].at("details_url"), "http://x/run");
}

TEST(GithubPr, WebhookMessageHasTheGatesAndThePullRequest) {
  RunResult run;
  run.id = "run-1";
  run.module_id = "api-001";
  GateResult gate;
  gate.name = "lint";
  gate.status = Status::passed;
  run.gates.push_back(gate);
  const auto message = webhook_message(run, "https://github.com/acme/shop/pull/3");
  const std::string text = message.at("text");
  EXPECT_NE(text.find("api-001 passed its integration gates (1/1 gates)"), std::string::npos);
  EXPECT_NE(text.find("lint: passed"), std::string::npos);
  EXPECT_NE(text.find("https://github.com/acme/shop/pull/3"), std::string::npos);
}

}  // namespace
}  // namespace qgate
