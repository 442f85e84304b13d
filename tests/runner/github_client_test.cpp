// The GitHub client against the local stand-in, over real HTTP through the
// plugin qgate_github.so; pauses are recorded instead of slept.
#include "runner/github/github_client.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "tests/support/github_stand_in.hpp"

namespace qgate {
namespace {

using std::chrono::milliseconds;
using testing::Fault;
using testing::GithubStandIn;

// A client of `stand_in` whose pauses are kept in `waits`, not slept.
struct Harness {
  GithubStandIn stand_in;
  std::vector<milliseconds> waits;
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  GithubClientOptions options;

  Harness() {
    options.api_url = stand_in.url();
    options.token = stand_in.token();
    options.user_agent = "qgate/test";
  }

  GithubClient client() {
    RetryClock clock;
    clock.now = [this] { return now; };
    clock.sleep = [this](milliseconds wait) {
      waits.push_back(wait);
      now += wait;
    };
    return GithubClient(options, plugin_http_transport(), clock);
  }
};

std::string header(const testing::RecordedRequest& request, const std::string& name) {
  auto it = request.headers.find(name);
  return it == request.headers.end() ? std::string() : it->second;
}

TEST(GithubClient, SendsGithubsHeadersAndTheTokenAsBearer) {
  Harness h;
  auto client = h.client();
  const auto response = client.get("/repos/acme/shop/pulls?state=open");
  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_TRUE(response.body.is_array());
  const auto requests = h.stand_in.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(header(requests[0], "Accept"), "application/vnd.github+json");
  EXPECT_EQ(header(requests[0], "X-GitHub-Api-Version"), "2022-11-28");
  EXPECT_EQ(header(requests[0], "User-Agent"), "qgate/test");
  EXPECT_EQ(header(requests[0], "Authorization"), "Bearer " + h.stand_in.token());
  EXPECT_EQ(requests[0].query, "state=open");
}

TEST(GithubClient, WritesSendJsonWithItsContentType) {
  Harness h;
  auto client = h.client();
  const auto response = client.post("/repos/acme/shop/statuses/abc123",
                                    {{"state", "pending"}, {"context", "qgate/lint"}});
  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 201);
  const auto requests = h.stand_in.requests("POST", "/repos/acme/shop/statuses/");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(header(requests[0], "Content-Type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(requests[0].body).at("context"), "qgate/lint");
}

TEST(GithubClient, WrongTokenGetsBadCredentialsWithoutRetry) {
  Harness h;
  h.options.token = "ghs_notTheRightToken000000000";
  auto client = h.client();
  const auto response = client.get("/repos/acme/shop/pulls");
  EXPECT_EQ(response.status, 401);
  EXPECT_NE(response.error.find("401 Bad credentials"), std::string::npos) << response.error;
  EXPECT_EQ(response.error.find(h.options.token), std::string::npos);
  EXPECT_EQ(h.stand_in.requests().size(), 1u);
  EXPECT_TRUE(h.waits.empty());
}

TEST(GithubClient, RetriesServerErrorsWithGrowingBackoffThenSucceeds) {
  Harness h;
  h.stand_in.add_fault(Fault(500, 1));
  h.stand_in.add_fault(Fault(502, 2).with_body("Bad Gateway"));
  auto client = h.client();
  const auto response = client.get("/repos/acme/shop/pulls");
  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.attempts, 4);
  ASSERT_EQ(h.waits.size(), 3u);
  // 1 s, 2 s, 4 s, each with up to half of it again as jitter.
  for (std::size_t i = 0; i < 3; ++i) {
    const milliseconds base{1000 << i};
    EXPECT_GE(h.waits[i], base) << i;
    EXPECT_LE(h.waits[i], base + base / 2) << i;
  }
}

TEST(GithubClient, GivesUpAfterItsAttemptsWithTheLastStatus) {
  Harness h;
  h.stand_in.add_fault(Fault(503, 100).with_body({{"message", "Unavailable"}}));
  auto client = h.client();
  const auto response = client.post("/repos/acme/shop/pulls", {{"title", "t"}});
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(h.stand_in.requests().size(), 5u);
  EXPECT_NE(response.error.find("POST /repos/acme/shop/pulls: 503 Unavailable (after 5 attempts)"),
            std::string::npos)
      << response.error;
}

TEST(GithubClient, NetworkFailuresAreRetriedAndReported) {
  // A port nobody listens on: bound, then released.
  int port = 0;
  {
    GithubStandIn closed;
    port = closed.port();
  }
  Harness h;
  h.options.api_url = "http://127.0.0.1:" + std::to_string(port);
  h.options.max_attempts = 3;
  auto client = h.client();
  const auto response = client.get("/repos/acme/shop/pulls");
  EXPECT_EQ(response.status, 0);
  EXPECT_EQ(response.attempts, 3);
  EXPECT_EQ(h.waits.size(), 2u);
  EXPECT_NE(response.error.find("GET /repos/acme/shop/pulls: "), std::string::npos);
  EXPECT_NE(response.error.find("after 3 attempts"), std::string::npos) << response.error;
}

TEST(GithubClient, HonoursRetryAfterOnA429) {
  Harness h;
  h.stand_in.add_fault(Fault(429, 1)
                           .with_headers({{"retry-after", "7"}})
                           .with_body({{"message", "Too Many Requests"}}));
  auto client = h.client();
  const auto response = client.get("/repos/acme/shop/pulls");
  ASSERT_TRUE(response.ok()) << response.error;
  ASSERT_EQ(h.waits.size(), 1u);
  EXPECT_EQ(h.waits[0], milliseconds(7000));
}

TEST(GithubClient, WaitsForTheRateLimitResetWhenNoneRemain) {
  Harness h;
  const long long reset =
      std::chrono::duration_cast<std::chrono::seconds>(h.now.time_since_epoch()).count() + 30;
  h.stand_in.add_fault(Fault(403, 1)
                           .with_headers({{"x-ratelimit-limit", "5000"},
                                          {"x-ratelimit-remaining", "0"},
                                          {"x-ratelimit-reset", std::to_string(reset)}})
                           .with_body({{"message", "API rate limit exceeded for installation."}}));
  auto client = h.client();
  const auto response = client.get("/repos/acme/shop/pulls");
  ASSERT_TRUE(response.ok()) << response.error;
  ASSERT_EQ(h.waits.size(), 1u);
  // Until the reset second has passed: 30 s, less the part of this second gone, plus 1.
  EXPECT_GT(h.waits[0], milliseconds(30000));
  EXPECT_LE(h.waits[0], milliseconds(31000));
}

TEST(GithubClient, SecondaryRateLimitWithoutHintsBacksOffFromOneMinute) {
  Harness h;
  h.stand_in.add_fault(Fault(403, 2).with_body(
      {{"message", "You have exceeded a secondary rate limit. Please wait a few minutes."}}));
  auto client = h.client();
  const auto response = client.patch("/repos/acme/shop/pulls/1", {{"body", "x"}});
  EXPECT_EQ(response.status, 404);  // no such pull request once the limit has passed
  ASSERT_EQ(h.waits.size(), 2u);
  EXPECT_EQ(h.waits[0], milliseconds(60000));
  EXPECT_EQ(h.waits[1], milliseconds(120000));
}

TEST(GithubClient, ForbiddenWithoutRateLimitIsNotRetried) {
  Harness h;
  h.stand_in.add_fault(
      Fault(403, 1).with_body({{"message", "Resource not accessible by integration"}}));
  auto client = h.client();
  const auto response = client.post("/repos/acme/shop/check-runs", {{"name", "x"}});
  EXPECT_EQ(response.status, 403);
  EXPECT_NE(response.error.find("403 Resource not accessible by integration"), std::string::npos);
  EXPECT_TRUE(h.waits.empty());
}

TEST(GithubClient, GivesUpWhenTheRateLimitWaitPassesItsBudget) {
  Harness h;
  h.options.max_total_wait = std::chrono::minutes(5);
  h.stand_in.add_fault(Fault(429, 1).with_headers({{"retry-after", "3600"}}));
  auto client = h.client();
  const auto response = client.get("/repos/acme/shop/pulls");
  EXPECT_EQ(response.status, 429);
  EXPECT_TRUE(h.waits.empty());
  EXPECT_NE(response.error.find("waiting 3600 s more would pass the limit of 300 s"),
            std::string::npos)
      << response.error;
}

TEST(GithubClient, SlowAnswerTimesOutAndIsRetried) {
  Harness h;
  h.options.read_timeout = milliseconds(300);
  h.stand_in.add_fault(Fault(500, 1).with_delay(milliseconds(1500)).answering_normally());
  auto client = h.client();
  const auto started = std::chrono::steady_clock::now();
  const auto response = client.get("/repos/acme/shop/pulls");
  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.attempts, 2);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(1400));
}

TEST(GithubClient, EnterpriseApiUrlPrefixesEveryPath) {
  Harness h;
  h.options.api_url = h.stand_in.url() + "/api/v3/";
  auto client = h.client();
  ASSERT_TRUE(client.get("/repos/acme/shop/pulls").ok());
  const auto requests = h.stand_in.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].full_path, "/api/v3/repos/acme/shop/pulls");
}

TEST(GithubClient, ErrorsCarryGithubsMessageAndDetails) {
  Harness h;
  auto client = h.client();
  const auto response = client.post("/repos/acme/shop/pulls", {{"title", "t"}, {"base", "main"}});
  EXPECT_EQ(response.status, 422);
  EXPECT_NE(response.error.find("422 Validation Failed (PullRequest head missing_field)"),
            std::string::npos)
      << response.error;
}

TEST(GithubClient, EchoedTokenIsMaskedInErrors) {
  Harness h;
  h.stand_in.add_fault(
      Fault(400, 1).with_body({{"message", "token " + h.stand_in.token() + " is malformed"}}));
  auto client = h.client();
  const auto response = client.get("/repos/acme/shop/pulls");
  EXPECT_EQ(response.error.find(h.stand_in.token()), std::string::npos) << response.error;
  EXPECT_NE(response.error.find("token *** is malformed"), std::string::npos) << response.error;
}

TEST(GithubClient, BadApiUrlIsAnErrorNotACrash) {
  Harness h;
  h.options.api_url = "ftp://example.com";
  auto client = h.client();
  const auto response = client.get("/repos/acme/shop/pulls");
  EXPECT_EQ(response.status, 0);
  EXPECT_NE(response.error.find("not an http:// or https:// URL"), std::string::npos);
}

TEST(GithubClient, SplitsApiUrls) {
  std::string origin;
  std::string prefix;
  ASSERT_TRUE(split_api_url("https://api.github.com", origin, prefix));
  EXPECT_EQ(origin, "https://api.github.com");
  EXPECT_EQ(prefix, "");
  ASSERT_TRUE(split_api_url("https://ghe.example.com/api/v3/", origin, prefix));
  EXPECT_EQ(origin, "https://ghe.example.com");
  EXPECT_EQ(prefix, "/api/v3");
  EXPECT_FALSE(split_api_url("api.github.com", origin, prefix));
  EXPECT_FALSE(split_api_url("https:///x", origin, prefix));
}

}  // namespace
}  // namespace qgate
