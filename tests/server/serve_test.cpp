// `qgate serve` driven over HTTP on 127.0.0.1, with a real PostgreSQL: the
// routes, their answers against schemas/openapi.json, and refusals.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <ctime>
#include <map>
#include <set>
#include <thread>

#include "runner/server/signing.hpp"
#include "tests/server/serve_fixture.hpp"

namespace qgate {
namespace {

using nlohmann::json;
using testing::ServeProcess;
using testing::ServeSetup;

json body_of(const httplib::Result& result) {
  EXPECT_TRUE(result) << "no answer";
  if (!result) return json();
  return json::parse(result->body, nullptr, false);
}

httplib::Result post_run(const ServeProcess& serve, const json& body, httplib::Headers headers) {
  return serve.client().Post("/v1/runs", headers, body.dump(), "application/json");
}

TEST(Serve, QueuesARunForACheckoutAndShowsIt) {
  ServeProcess serve;
  const std::string checkout = serve.add_checkout("alp-001");
  const auto created = post_run(serve, {{"checkout_id", checkout}, {"ref", "main"}}, serve.auth());
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 202) << created->body;
  const json run = json::parse(created->body);
  EXPECT_EQ(testing::openapi_violations(run, "Run"), "");
  EXPECT_EQ(run["module_id"], "alp-001");
  EXPECT_EQ(run["checkout_id"], checkout);
  EXPECT_EQ(run["status"], "queued");
  EXPECT_EQ(run["ref"], "main");
  EXPECT_EQ(run["url"], serve.url() + "/v1/runs/" + run["id"].get<std::string>());
  EXPECT_EQ(created->get_header_value("Location"), "/v1/runs/" + run["id"].get<std::string>());

  const auto shown = serve.client().Get("/v1/runs/" + run["id"].get<std::string>(), serve.auth());
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->status, 200);
  EXPECT_EQ(body_of(shown)["id"], run["id"]);
  EXPECT_EQ(testing::openapi_violations(body_of(shown), "Run"), "");

  const auto listed = serve.client().Get("/v1/checkouts/" + checkout + "/runs", serve.auth());
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->status, 200) << listed->body;
  EXPECT_EQ(testing::openapi_violations(body_of(listed), "RunPage"), "");
  ASSERT_EQ(body_of(listed)["runs"].size(), 1u);
  EXPECT_EQ(body_of(listed)["runs"][0]["id"], run["id"]);
  // The queue row names the module's own folder: no command comes from the request.
  EXPECT_EQ(testing::psql(serve.database_url(), "SELECT module_path FROM qgate_run_queue"),
            (serve.folder() / "modules" / "alpha").string());
}

TEST(Serve, ChecksTheRequestAgainstTheRegistryAndTheCheckouts) {
  ServeProcess serve;
  const std::string beta_checkout = serve.add_checkout("bet-001");
  auto refused = [&](const json& body, int status, const std::string& field) {
    const auto answer = post_run(serve, body, serve.auth());
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, status) << body.dump() << " -> " << answer->body;
    EXPECT_EQ(testing::openapi_violations(body_of(answer), "Error"), "");
    EXPECT_EQ(body_of(answer)["error"].value("field", ""), field) << answer->body;
  };
  refused({{"module_id", "zzz-999"}}, 422, "module_id");
  refused({{"checkout_id", "11111111-2222-4333-8444-555555555555"}}, 422, "checkout_id");
  refused({{"checkout_id", beta_checkout}, {"module_id", "alp-001"}}, 422, "module_id");
  refused({{"module_id", "alp-001"}, {"ref", "main"}, {"commit", "abcdef1"}}, 400, "commit");
  refused({{"module_id", "alp-001"}, {"options", {{"callback_url", "http://127.0.0.1:9/x"}}}}, 422,
          "options.callback_url");
  EXPECT_EQ(serve.queue_rows(), "0:");
}

TEST(Serve, IdempotencyKeyGivesBackTheSameRun) {
  ServeProcess serve;
  httplib::Headers headers = serve.auth();
  headers.emplace("Idempotency-Key", "checkout-42:complete");
  const json request = {{"module_id", "alp-001"}, {"ref", "main"}};
  const auto first = post_run(serve, request, headers);
  const auto second = post_run(serve, request, headers);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->status, 202);
  EXPECT_EQ(second->status, 202);
  EXPECT_EQ(body_of(first)["id"], body_of(second)["id"]);
  EXPECT_FALSE(first->has_header("Idempotent-Replayed"));
  EXPECT_EQ(second->get_header_value("Idempotent-Replayed"), "true");
  // The same key for another request is refused.
  const auto other = post_run(serve, {{"module_id", "bet-001"}}, headers);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 422) << other->body;
  EXPECT_EQ(testing::psql(serve.database_url(), "SELECT count(*) FROM qgate_run_queue"), "1");
  httplib::Headers bad = serve.auth();
  bad.emplace("Idempotency-Key", "no spaces allowed");
  const auto refused = post_run(serve, request, bad);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  EXPECT_EQ(body_of(refused)["error"]["field"], "Idempotency-Key");
}

TEST(Serve, PagesThroughRunsNewestFirst) {
  ServeProcess serve;
  std::vector<std::string> made;
  for (int i = 0; i < 25; ++i) {
    const auto answer =
        post_run(serve, {{"module_id", i % 2 ? "alp-001" : "bet-001"}}, serve.auth());
    ASSERT_TRUE(answer);
    ASSERT_EQ(answer->status, 202);
    made.push_back(body_of(answer)["id"]);
  }
  std::vector<std::string> seen;
  std::string next = "/v1/runs?limit=10";
  int pages = 0;
  while (!next.empty()) {
    const auto page = serve.client().Get(next, serve.auth());
    ASSERT_TRUE(page);
    ASSERT_EQ(page->status, 200) << page->body;
    const json body = json::parse(page->body);
    EXPECT_EQ(testing::openapi_violations(body, "RunPage"), "");
    for (const auto& run : body["runs"]) seen.push_back(run["id"]);
    next = body["next"].is_null() ? "" : body["next"].get<std::string>();
    if (!next.empty()) {
      EXPECT_EQ(page->get_header_value("Link"), "<" + next + ">; rel=\"next\"");
    }
    ++pages;
  }
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 25u);
  EXPECT_EQ(seen.front(), made.back());
  EXPECT_EQ(seen.back(), made.front());
  const auto alpha = serve.client().Get("/v1/runs?module_id=alp-001&limit=100", serve.auth());
  ASSERT_TRUE(alpha);
  EXPECT_EQ(body_of(alpha)["runs"].size(), 12u);
  for (const char* query :
       {"/v1/runs?limit=0", "/v1/runs?limit=abc", "/v1/runs?status=done", "/v1/runs?cursor=x",
        "/v1/runs?sort=id", "/v1/runs?limit=1&limit=2", "/v1/runs?=1"}) {
    const auto refused = serve.client().Get(query, serve.auth());
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 400) << query;
  }
}

TEST(Serve, CancelsAQueuedRun) {
  ServeProcess serve;
  const auto created = post_run(serve, {{"module_id", "alp-001"}}, serve.auth());
  ASSERT_TRUE(created);
  const std::string id = body_of(created)["id"];
  const auto cancelled = serve.client().Post("/v1/runs/" + id + "/cancel", serve.auth(), "", "");
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(cancelled->status, 202) << cancelled->body;
  EXPECT_EQ(body_of(cancelled)["status"], "cancelled");
  EXPECT_EQ(body_of(cancelled)["result"], "cancelled");
  const auto missing = serve.client().Post("/v1/runs/11111111-2222-4333-8444-555555555555/cancel",
                                           serve.auth(), "", "");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  testing::psql(
      serve.database_url(),
      "UPDATE qgate_run_queue SET status = 'finished', exit_code = 0 WHERE id <> '" + id + "'");
  const auto other = post_run(serve, {{"module_id", "bet-001"}}, serve.auth());
  const std::string other_id = body_of(other)["id"];
  testing::psql(serve.database_url(),
                "UPDATE qgate_run_queue SET status = 'finished', exit_code = 1 WHERE id = '" +
                    other_id + "'");
  const auto ended = serve.client().Post("/v1/runs/" + other_id + "/cancel", serve.auth(), "", "");
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->status, 409);
  EXPECT_EQ(testing::openapi_violations(body_of(ended), "Conflict"), "");
  EXPECT_EQ(body_of(ended)["run"]["result"], "failed");
}

TEST(Serve, HealthReadinessAndMetrics) {
  testing::TempDir pg_dir;
  testing::PrivateServer database(pg_dir.path() / "pg");
  std::string problem;
  const std::string url = database.start(problem);
  ASSERT_FALSE(url.empty()) << problem;
  ServeSetup setup;
  setup.database_url = url;
  ServeProcess serve(setup);
  auto client = serve.client();
  EXPECT_EQ(client.Get("/healthz")->status, 200);
  EXPECT_EQ(client.Get("/readyz")->status, 200);
  ASSERT_EQ(post_run(serve, {{"module_id", "alp-001"}}, serve.auth())->status, 202);
  EXPECT_EQ(client.Get("/v1/runs/11111111-2222-4333-8444-555555555555", serve.auth())->status, 404);
  const auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->get_header_value("Content-Type").find("text/plain; version=0.0.4"),
            std::string::npos);
  const std::string text = metrics->body;
  for (const char* expected :
       {"qgate_runs{status=\"queued\"} 1", "qgate_queue_depth 1",
        "# TYPE qgate_gate_duration_seconds histogram",
        "qgate_http_requests_total{route=\"/v1/runs\",method=\"POST\",code=\"202\"} 1",
        "qgate_http_requests_total{route=\"/v1/runs/{id}\",method=\"GET\",code=\"404\"} 1",
        "qgate_http_request_duration_seconds_bucket{route=\"/v1/runs\",le=\"+Inf\"} 1",
        "qgate_callbacks{state=\"none\"} 1"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
  // Without its database the server is up but not ready.
  ASSERT_EQ(database.stop(), 0);
  EXPECT_EQ(client.Get("/healthz")->status, 200);
  EXPECT_EQ(client.Get("/readyz")->status, 503);
  const auto unavailable = post_run(serve, {{"module_id", "alp-001"}}, serve.auth());
  ASSERT_TRUE(unavailable);
  EXPECT_EQ(unavailable->status, 503) << unavailable->body;
  EXPECT_EQ(unavailable->get_header_value("Retry-After"), "5");
  ASSERT_FALSE(database.start(problem).empty()) << problem;
  EXPECT_EQ(client.Get("/readyz")->status, 200);
  EXPECT_EQ(post_run(serve, {{"module_id", "alp-001"}}, serve.auth())->status, 202);
  EXPECT_EQ(serve.stop(), 0);
}

// A finished run's view is kept once it is settled; one whose result is still
// in a worker's spool (recorded later) is read again until it is there.
TEST(Serve, FinishedRunIsShownWithItsResultOnceRecorded) {
  ServeProcess serve;
  const std::string id = body_of(post_run(serve, {{"module_id", "alp-001"}}, serve.auth()))["id"];
  const std::string run_id = "0e0e0e0e-1111-4222-8333-444444444444";
  testing::psql(serve.database_url(),
                "UPDATE qgate_run_queue SET status = 'finished', exit_code = 0, run_id = '" +
                    run_id + "' WHERE id = '" + id + "'");
  const auto before = body_of(serve.client().Get("/v1/runs/" + id, serve.auth()));
  EXPECT_EQ(before["result"], "passed");
  EXPECT_TRUE(before["run"].is_null());
  testing::psql(serve.database_url(),
                "INSERT INTO qgate_runs (id, module_id, started_at, status, exit_code, pr_url) "
                "VALUES ('" +
                    run_id + "', 'alp-001', NOW(), 'passed', 0, 'https://example.com/pull/7')");
  const auto after = body_of(serve.client().Get("/v1/runs/" + id, serve.auth()));
  EXPECT_EQ(testing::openapi_violations(after, "Run"), "");
  ASSERT_FALSE(after["run"].is_null());
  EXPECT_EQ(after["run"]["id"], run_id);
  EXPECT_EQ(after["pr_url"], "https://example.com/pull/7");
  // Settled now: a change behind the server's back is no longer seen.
  testing::psql(serve.database_url(), "UPDATE qgate_runs SET pr_url = 'changed'");
  EXPECT_EQ(body_of(serve.client().Get("/v1/runs/" + id, serve.auth()))["pr_url"],
            "https://example.com/pull/7");
}

// A server started before its database waits for it.
TEST(Serve, WaitsForItsDatabaseAtStart) {
  testing::TempDir dir;
  testing::PrivateServer database(dir.path() / "pg");
  std::string problem;
  const std::string url = database.start(problem);
  ASSERT_FALSE(url.empty()) << problem;
  ASSERT_EQ(database.stop(), 0);
  testing::write_file(dir.path() / "modules.yaml", "modules: {}\n");
  testing::QgateProcess serve;
  serve.start({"serve", "--listen", "127.0.0.1:0", "--database-url", url, "--registry",
               (dir.path() / "modules.yaml").string()},
              dir.path(), dir.path() / "serve.out");
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_FALSE(serve.ended());
  std::string output = testing::read_file(dir.path() / "serve.out");
  EXPECT_NE(output.find("could not be reached"), std::string::npos) << output;
  EXPECT_EQ(output.find("listening on"), std::string::npos) << output;
  ASSERT_FALSE(database.start(problem).empty()) << problem;
  for (int i = 0; i < 100 && output.find("listening on") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    output = testing::read_file(dir.path() / "serve.out");
  }
  EXPECT_NE(output.find("listening on"), std::string::npos) << output;
  ::kill(serve.pid, SIGTERM);
  serve.wait();
  EXPECT_EQ(serve.exit_code, 0) << output;
}

// Every route the server answers is in schemas/openapi.json, and every
// operation there is served.
TEST(Serve, OpenApiDescribesEveryRoute) {
  const auto openapi =
      json::parse(testing::read_file(testing::source_dir() / "schemas" / "openapi.json"));
  std::set<std::string> described;
  for (const auto& [path, operations] : openapi["paths"].items()) {
    for (const auto& [method, operation] : operations.items())
      described.insert(method + " " + path);
  }
  const std::set<std::string> served = {"post /v1/runs",
                                        "get /v1/runs",
                                        "get /v1/runs/{id}",
                                        "get /v1/runs/{id}/log",
                                        "post /v1/runs/{id}/cancel",
                                        "get /v1/checkouts/{id}/runs",
                                        "get /healthz",
                                        "get /readyz",
                                        "get /metrics"};
  EXPECT_EQ(described, served);
  ServeProcess serve;
  const std::string checkout = serve.add_checkout("alp-001");
  const std::string id = body_of(post_run(serve, {{"checkout_id", checkout}}, serve.auth()))["id"];
  testing::psql(
      serve.database_url(),
      "UPDATE qgate_run_queue SET status = 'finished', exit_code = 0 WHERE id = '" + id + "'");
  for (const auto& entry : served) {
    const std::string method = entry.substr(0, entry.find(' '));
    std::string path = entry.substr(entry.find(' ') + 1);
    const bool is_checkout = path.find("checkouts") != std::string::npos;
    if (const auto at = path.find("{id}"); at != std::string::npos) {
      path.replace(at, 4, is_checkout ? checkout : id);
    }
    const auto answer = method == "get"
                            ? serve.client().Get(path, serve.auth())
                            : serve.client().Post(path, serve.auth(), "{}", "application/json");
    ASSERT_TRUE(answer) << entry;
    const auto& responses =
        openapi["paths"][entry.substr(entry.find(' ') + 1)][method]["responses"];
    EXPECT_TRUE(responses.contains(std::to_string(answer->status)) ||
                (answer->status == 401 && openapi["security"].size() > 0))
        << entry << " answered " << answer->status << " which is not described";
  }
}

// The request schema in schemas/openapi.json refuses what the server refuses
// with a 400, and accepts what it queues (202) or refuses for what the
// request means rather than its form (422: here, a callback without a
// callback secret on the server).
TEST(Serve, OpenApiRequestSchemaAgreesWithTheServer) {
  ServeProcess serve;
  const std::vector<std::string> bodies = {
      R"({"module_id": "alp-001"})",
      R"({"module_id": "alp-001", "ref": "release/1.2", "options": {"open_pr": true,
          "fail_fast": false, "jobs": 2, "callback_url": "https://hooks.example.com/qgate"}})",
      R"({"module_id": "alp-001", "commit": "abcdef1"})",
      R"({"module_id": "alp-001", "extra": 1})",
      R"({"module_id": "alp-001", "options": {"run": "sh"}})",
      R"({"module_id": "alp-001", "options": {"jobs": "2"}})",
      R"({"module_id": "alp-001", "options": {"jobs": 0}})",
      R"({"module_id": "alp-001", "options": {"callback_url": "ftp://example.com/x"}})",
      R"({"module_id": "alp-001", "options": {"callback_url": "http://u:p@example.com/"}})",
      R"({"module_id": "alp-001", "ref": "-x"})",
      R"({"module_id": "alp-001", "ref": ""})",
      R"({"module_id": "alp-001", "ref": "main", "commit": "abcdef1"})",
      R"({"module_id": "alp 001"})",
      R"({"module_id": "alp-001", "commit": "xyz1234"})",
      R"({"checkout_id": "not-a-uuid"})",
      R"({"options": {}})",
  };
  std::map<int, int> answers;
  for (const auto& body : bodies) {
    const auto answer = serve.client().Post("/v1/runs", serve.auth(), body, "application/json");
    ASSERT_TRUE(answer);
    ++answers[answer->status];
    const std::string violations = testing::openapi_violations(json::parse(body), "RunRequest");
    if (answer->status == 202 || answer->status == 422) {
      EXPECT_EQ(violations, "") << body;
    } else {
      EXPECT_EQ(answer->status, 400) << body << " -> " << answer->body;
      EXPECT_NE(violations, "") << body << " is refused by the server but not by the schema";
    }
  }
  EXPECT_EQ(answers, (std::map<int, int>{{202, 2}, {400, 13}, {422, 1}}));
}

}  // namespace
}  // namespace qgate
