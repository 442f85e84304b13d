// What `qgate serve` refuses: requests without valid credentials (401 and
// nothing changed), oversized or malformed bodies, ids that try to reach a
// path, a shell or SQL; and secrets that must never come back out.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "runner/server/signing.hpp"
#include "tests/server/serve_fixture.hpp"

namespace qgate {
namespace {

using nlohmann::json;
using testing::ServeProcess;
using testing::ServeSetup;

constexpr const char* kApiSecret = "api-secret-for-tests-7f3a9c";            // qgate:allow-secret
constexpr const char* kCallbackSecret = "callback-secret-for-tests-51d2e0";  // qgate:allow-secret

ServeSetup with_secrets() {
  ServeSetup setup;
  setup.extra_env = {std::string("QGATE_API_SECRET=") + kApiSecret,
                     std::string("QGATE_CALLBACK_SECRET=") + kCallbackSecret};
  return setup;
}

std::string now_seconds(long long offset = 0) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count() +
                        offset);
}

// Headers of a request signed with `secret`.
httplib::Headers signed_headers(const std::string& secret, const std::string& timestamp,
                                const std::string& nonce, const std::string& method,
                                const std::string& target, const std::string& body) {
  httplib::Headers headers = {
      {"X-Qgate-Timestamp", timestamp},
      {"X-Qgate-Signature",
       signature_header_value(secret,
                              request_signing_text(timestamp, nonce, method, target, body))}};
  if (!nonce.empty()) headers.emplace("X-Qgate-Nonce", nonce);
  return headers;
}

TEST(ServeSecurity, RequestsWithoutValidCredentialsGet401AndChangeNothing) {
  ServeProcess serve(with_secrets());
  const std::string body = json{{"module_id", "alp-001"}}.dump();
  const std::string before = serve.queue_rows();
  const std::string tokens_before =
      testing::psql(serve.database_url(), "SELECT count(*) FROM qgate_api_signatures");
  const std::string revoked_token = [&] {
    const auto made = testing::run_command(
        "QGATE_DATABASE_URL='" + serve.database_url() + "' '" + testing::qgate_binary().string() +
            "' token create --name old 2>/dev/null && QGATE_DATABASE_URL='" + serve.database_url() +
            "' '" + testing::qgate_binary().string() + "' token revoke old >/dev/null",
        serve.folder());
    return made.output.substr(0, made.output.find('\n'));
  }();
  ASSERT_EQ(revoked_token.size(), 47u);
  std::string wrong = serve.token();
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  const std::vector<std::pair<std::string, httplib::Headers>> attempts = {
      {"no credentials", {}},
      {"wrong token", {{"Authorization", "Bearer " + wrong}}},
      {"revoked token", {{"Authorization", "Bearer " + revoked_token}}},
      {"basic scheme", {{"Authorization", "Basic " + serve.token()}}},
      {"token of the wrong form", {{"Authorization", "Bearer x; DROP TABLE qgate_run_queue"}}},
      {"signature with the wrong secret",
       signed_headers("not-the-secret", now_seconds(), "n1", "POST", "/v1/runs", body)},
      {"signature of another body",
       signed_headers(kApiSecret, now_seconds(), "n2", "POST", "/v1/runs", body + " ")},
      {"signature of another path",
       signed_headers(kApiSecret, now_seconds(), "n3", "POST", "/v1/runs?x=1", body)},
      {"stale timestamp",
       signed_headers(kApiSecret, now_seconds(-301), "n4", "POST", "/v1/runs", body)},
      {"future timestamp",
       signed_headers(kApiSecret, now_seconds(301), "n5", "POST", "/v1/runs", body)},
      {"signature without its timestamp",
       {{"X-Qgate-Signature",
         signature_header_value(kApiSecret,
                                request_signing_text("", "", "POST", "/v1/runs", body))}}},
  };
  for (const auto& [what, headers] : attempts) {
    const auto answer = serve.client().Post("/v1/runs", headers, body, "application/json");
    ASSERT_TRUE(answer) << what;
    EXPECT_EQ(answer->status, 401) << what << ": " << answer->body;
    EXPECT_EQ(answer->get_header_value("WWW-Authenticate"), "Bearer realm=\"qgate\"") << what;
    EXPECT_EQ(testing::openapi_violations(json::parse(answer->body), "Error"), "") << what;
    // Reads are refused too.
    const auto read = serve.client().Get("/v1/runs", headers);
    ASSERT_TRUE(read);
    EXPECT_EQ(read->status, 401) << what;
  }
  EXPECT_EQ(serve.queue_rows(), before);
  EXPECT_EQ(testing::psql(serve.database_url(), "SELECT count(*) FROM qgate_api_signatures"),
            tokens_before);
}

TEST(ServeSecurity, SignedRequestIsAcceptedOnceAndItsReplayRefused) {
  ServeProcess serve(with_secrets());
  const std::string body = json{{"module_id", "alp-001"}}.dump();
  const auto headers = signed_headers(kApiSecret, now_seconds(), "once", "POST", "/v1/runs", body);
  const auto first = serve.client().Post("/v1/runs", headers, body, "application/json");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 202) << first->body;
  const std::string after_first = serve.queue_rows();
  const auto replayed = serve.client().Post("/v1/runs", headers, body, "application/json");
  ASSERT_TRUE(replayed);
  EXPECT_EQ(replayed->status, 401);
  EXPECT_NE(replayed->body.find("replayed"), std::string::npos) << replayed->body;
  EXPECT_EQ(serve.queue_rows(), after_first);
  // A GET is signed over its path and query.
  const std::string target = "/v1/runs?module_id=alp-001";
  const auto read = serve.client().Get(
      target, signed_headers(kApiSecret, now_seconds(), "read-1", "GET", target, ""));
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status, 200) << read->body;
  EXPECT_EQ(json::parse(read->body)["runs"].size(), 1u);
}

TEST(ServeSecurity, WithoutASecretSignedRequestsAreRefused) {
  ServeProcess serve;  // no QGATE_API_SECRET
  const std::string body = json{{"module_id", "alp-001"}}.dump();
  const auto answer = serve.client().Post(
      "/v1/runs", signed_headers("", now_seconds(), "", "POST", "/v1/runs", body), body,
      "application/json");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 401);
  EXPECT_EQ(serve.queue_rows(), "0:");
}

TEST(ServeSecurity, BodiesAreLimitedAndReadStrictly) {
  ServeProcess serve;
  auto post = [&](const std::string& body, const std::string& type = "application/json") {
    return serve.client().Post("/v1/runs", serve.auth(), body, type.c_str());
  };
  const auto oversized = post(std::string(70 * 1024, ' ') + "{}");
  ASSERT_TRUE(oversized);
  EXPECT_EQ(oversized->status, 413);
  const std::vector<std::tuple<std::string, int, std::string>> cases = {
      {"{\"module_id\": \"alp-001\"", 400, ""},
      {"[\"alp-001\"]", 400, ""},
      {"{\"module_id\": \"alp-001\", \"command\": \"rm -rf /\"}", 400, "command"},
      {"{\"module_id\": \"alp-001\", \"options\": {\"run\": \"sh\"}}", 400, "options.run"},
      {"{\"module_id\": \"alp-001\", \"module_id\": \"bet-001\"}", 400, "module_id"},
      {"{\"module_id\": 7}", 400, "module_id"},
      {"{\"module_id\": \"alp-001\", \"options\": {\"jobs\": \"2\"}}", 400, "options.jobs"},
      {"{\"module_id\": \"alp-001\", \"options\": {\"callback_url\": \"file:///etc/passwd\"}}", 400,
       "options.callback_url"},
      {"{\"module_id\": \"alp-001\", \"options\": {\"callback_url\": "
       "\"http://user:pw@127.0.0.1/\"}}",
       400, "options.callback_url"},
      {"{}", 400, "checkout_id"},
      {"{\"module_id\": \"x; rm -rf /\"}", 400, "module_id"},
      {"{\"module_id\": \"alp-001' OR '1'='1\"}", 400, "module_id"},
      {"{\"checkout_id\": \"../../etc/passwd\"}", 400, "checkout_id"},
      {"{\"module_id\": \"alp-001\", \"ref\": \"../../etc\"}", 400, "ref"},
      {"{\"module_id\": \"alp-001\", \"ref\": \"--upload-pack=touch /tmp/x\"}", 400, "ref"},
      {"{\"module_id\": \"alp-001\", \"ref\": \"main; rm -rf /\"}", 400, "ref"},
      {"{\"module_id\": \"alp-001\", \"commit\": \"$(reboot)\"}", 400, "commit"},
  };
  for (const auto& [body, status, field] : cases) {
    const auto answer = post(body);
    ASSERT_TRUE(answer) << body;
    EXPECT_EQ(answer->status, status) << body << " -> " << answer->body;
    const json error = json::parse(answer->body, nullptr, false);
    EXPECT_EQ(testing::openapi_violations(error, "Error"), "") << answer->body;
    if (!field.empty()) {
      EXPECT_EQ(error["error"].value("field", ""), field) << body;
    }
  }
  const auto wrong_type = post("{\"module_id\": \"alp-001\"}", "text/plain");
  ASSERT_TRUE(wrong_type);
  EXPECT_EQ(wrong_type->status, 415);
  // Ids in paths are UUIDs or nothing.
  for (const char* path :
       {"/v1/runs/..%2F..%2Fetc", "/v1/runs/x;%20rm%20-rf%20%2F", "/v1/runs/1%20OR%201=1",
        "/v1/runs/not-a-uuid/log", "/v1/runs/../../etc/passwd", "/v1/checkouts/x'--/runs"}) {
    const auto answer = serve.client().Get(path, serve.auth());
    ASSERT_TRUE(answer) << path;
    EXPECT_TRUE(answer->status == 400 || answer->status == 404) << path << " " << answer->status;
  }
  const auto cancel = serve.client().Post("/v1/runs/x;rm/cancel", serve.auth(), "", "");
  ASSERT_TRUE(cancel);
  EXPECT_EQ(cancel->status, 400);
  EXPECT_EQ(serve.queue_rows(), "0:");
  const auto tables = testing::psql(serve.database_url(),
                                    "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'qgate%'");
  EXPECT_NE(tables, "0");
}

TEST(ServeSecurity, TokensAndSecretsNeverAppearInLogsOrAnswers) {
  ServeProcess serve(with_secrets());
  std::string answers;
  const std::string body = json{{"module_id", "alp-001"}}.dump();
  auto keep = [&](const httplib::Result& result) {
    ASSERT_TRUE(result);
    answers += result->body;
    for (const auto& [name, value] : result->headers) answers += name + ": " + value + "\n";
  };
  keep(serve.client().Post("/v1/runs", serve.auth(), body, "application/json"));
  std::string wrong = serve.token();
  wrong[10] = wrong[10] == 'x' ? 'y' : 'x';
  keep(serve.client().Post("/v1/runs", {{"Authorization", "Bearer " + wrong}}, body,
                           "application/json"));
  const auto headers = signed_headers(kApiSecret, now_seconds(), "s", "POST", "/v1/runs", body);
  keep(serve.client().Post("/v1/runs", headers, body, "application/json"));
  keep(serve.client().Post("/v1/runs", headers, body, "application/json"));  // replayed
  keep(serve.client().Get("/v1/runs", serve.auth()));
  keep(serve.client().Get("/metrics"));
  ASSERT_EQ(serve.stop(), 0);
  const std::string logs = serve.output();
  EXPECT_NE(logs.find("POST /v1/runs 202"), std::string::npos) << logs;  // the access log ran
  const std::string database =
      testing::psql(serve.database_url(),
                    "SELECT string_agg(t::text, '') FROM (SELECT * FROM qgate_api_tokens) t") +
      testing::psql(serve.database_url(),
                    "SELECT string_agg(q::text, '') FROM "
                    "qgate_run_queue q");
  for (const std::string& secret : {serve.token(), wrong, std::string(kApiSecret),
                                    std::string(kCallbackSecret), serve.token().substr(4, 20)}) {
    EXPECT_EQ(logs.find(secret), std::string::npos) << "in the server's output";
    EXPECT_EQ(answers.find(secret), std::string::npos) << "in an answer";
    EXPECT_EQ(database.find(secret), std::string::npos) << "in the database";
  }
  // Only the token's SHA-256 is stored.
  EXPECT_NE(database.find(sha256_hex_of(serve.token())), std::string::npos);
}

}  // namespace
}  // namespace qgate

namespace qgate {
namespace {

// Two servers on one database share tokens and the record of signatures
// seen: a request signed for one is refused by the other afterwards.
TEST(ServeSecurity, ServersSharingADatabaseShareTokensAndReplays) {
  ServeSetup first_setup = with_secrets();
  testing::ServeProcess first(first_setup);
  ServeSetup second_setup = with_secrets();
  second_setup.database_url = first.database_url();
  second_setup.token_name = "second";
  testing::ServeProcess second(second_setup);
  // Each server knows the other's token.
  EXPECT_EQ(first.client().Get("/v1/runs", second.auth())->status, 200);
  EXPECT_EQ(second.client().Get("/v1/runs", first.auth())->status, 200);
  const std::string body = json{{"module_id", "alp-001"}}.dump();
  const auto headers =
      signed_headers(kApiSecret, now_seconds(), "shared", "POST", "/v1/runs", body);
  const auto accepted = first.client().Post("/v1/runs", headers, body, "application/json");
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->status, 202);
  const std::string rows = first.queue_rows();
  const auto replayed = second.client().Post("/v1/runs", headers, body, "application/json");
  ASSERT_TRUE(replayed);
  EXPECT_EQ(replayed->status, 401);
  EXPECT_EQ(first.queue_rows(), rows);
  // And either shows the run the other queued.
  const std::string id = json::parse(accepted->body)["id"];
  EXPECT_EQ(json::parse(second.client().Get("/v1/runs/" + id, second.auth())->body)["id"], id);
}

TEST(ServeSecurity, RevokedTokenIsRefusedWithinTwoSeconds) {
  testing::ServeProcess serve;
  const auto before = serve.client().Get("/v1/runs", serve.auth());
  ASSERT_TRUE(before);
  EXPECT_EQ(before->status, 200);
  const auto revoked =
      testing::run_command("QGATE_DATABASE_URL='" + serve.database_url() + "' '" +
                               testing::qgate_binary().string() + "' token revoke tests",
                           serve.folder());
  ASSERT_EQ(revoked.exit_code, 0) << revoked.output;
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  const auto after = serve.client().Get("/v1/runs", serve.auth());
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 401);
  // A new token works at once.
  const auto made = testing::run_command("QGATE_DATABASE_URL='" + serve.database_url() + "' '" +
                                             testing::qgate_binary().string() +
                                             "' token create --name second 2>/dev/null",
                                         serve.folder());
  const std::string token = made.output.substr(0, made.output.find('\n'));
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  const auto fresh = serve.client().Get("/v1/runs", {{"Authorization", "Bearer " + token}});
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->status, 200);
}

// A callback URL is a place the server will connect to: internal addresses
// in any spelling, and the server's own port, are refused when the run is
// asked for (422), before anything is queued or connected to.
TEST(ServeSecurity, CallbackUrlsToInternalAddressesAreRefused) {
  ServeSetup setup = with_secrets();
  setup.extra_args = {"--callback-allow", "127.0.0.1"};
  ServeProcess serve(setup);
  const std::string own = serve.url().substr(serve.url().rfind(':') + 1);
  const std::string before = serve.queue_rows();
  for (const std::string& callback :
       {std::string("http://127.0.0.2:9/x"), std::string("http://2130706434:9/x"),
        std::string("http://0x7f000002/x"), std::string("http://0.0.0.0:9/x"),
        std::string("http://[::1]:9/x"), std::string("http://[::ffff:127.0.0.2]:9/x"),
        std::string("http://169.254.169.254/latest/meta-data/"), std::string("http://10.0.0.1/x"),
        std::string("https://192.168.0.10:8443/x"), std::string("http://[fe80::1]/x"),
        "http://127.0.0.1:" + own + "/x", "http://127.1:" + own + "/v1/runs",
        "http://localhost:" + own + "/x"}) {
    const json body = {{"module_id", "alp-001"}, {"options", {{"callback_url", callback}}}};
    const auto answer =
        serve.client().Post("/v1/runs", serve.auth(), body.dump(), "application/json");
    ASSERT_TRUE(answer) << callback;
    EXPECT_EQ(answer->status, 422) << callback << " -> " << answer->body;
    const json error = json::parse(answer->body);
    EXPECT_EQ(error["error"]["code"], "callback_refused") << callback;
    EXPECT_EQ(error["error"]["field"], "options.callback_url") << callback;
    EXPECT_EQ(testing::openapi_violations(error, "Error"), "");
  }
  EXPECT_EQ(serve.queue_rows(), before);
  // The range the operator allowed, on another port, is accepted.
  const json allowed = {{"module_id", "alp-001"},
                        {"options", {{"callback_url", "http://127.0.0.1:9/hook"}}}};
  const auto accepted =
      serve.client().Post("/v1/runs", serve.auth(), allowed.dump(), "application/json");
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->status, 202) << accepted->body;
}

// What each attempt got back is kept for the operator, not shown to the
// caller: "could not connect" against "HTTP 404" would map internal ports.
TEST(ServeSecurity, CallbackAttemptsShowOnlyWhetherTheyWereDelivered) {
  ServeProcess serve(with_secrets());
  const auto created = serve.client().Post(
      "/v1/runs", serve.auth(), json{{"module_id", "alp-001"}}.dump(), "application/json");
  ASSERT_TRUE(created);
  const std::string id = json::parse(created->body)["id"];
  testing::psql(serve.database_url(),
                "INSERT INTO qgate_callback_attempts (item_id, attempt, url, attempted_at, "
                "status_code, error, duration_ms) VALUES ('" +
                    id +
                    "', 1, 'https://hooks.example.com/q', NOW(), 0, "
                    "'could not connect to the callback URL', 3.5), ('" +
                    id + "', 2, 'https://hooks.example.com/q', NOW(), 404, 'HTTP 404', 2.0), ('" +
                    id + "', 3, 'https://hooks.example.com/q', NOW(), 204, '', 1.25)");
  const auto shown = serve.client().Get("/v1/runs/" + id, serve.auth());
  ASSERT_TRUE(shown);
  const json run = json::parse(shown->body);
  EXPECT_EQ(testing::openapi_violations(run, "Run"), "");
  const json& attempts = run["callback"]["attempts"];
  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_EQ(attempts[0]["result"], "failed");
  EXPECT_EQ(attempts[1]["result"], "failed");
  EXPECT_EQ(attempts[2]["result"], "delivered");
  for (const auto& attempt : attempts) {
    EXPECT_FALSE(attempt.contains("status_code")) << attempt.dump();
    EXPECT_FALSE(attempt.contains("error")) << attempt.dump();
    EXPECT_FALSE(attempt.contains("duration_ms")) << attempt.dump();
  }
  EXPECT_EQ(shown->body.find("could not connect"), std::string::npos);
}

}  // namespace
}  // namespace qgate
