// The whole path the checkout server takes, with real parts on 127.0.0.1: a
// real `qgate serve` with an in-process worker and a real PostgreSQL, the
// module in a real git repository, a callback receiver, and the GitHub
// stand-in. Create a run, it runs at the asked ref, the signed callback
// arrives, the integration pull request is opened; the log streams while
// the run goes on.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "runner/server/signing.hpp"
#include "tests/server/serve_fixture.hpp"
#include "tests/support/github_stand_in.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::ServeProcess;
using testing::ServeSetup;

constexpr const char* kCallbackSecret = "e2e-callback-secret-0b8f1e";  // qgate:allow-secret

std::string sh(const std::string& command, const fs::path& cwd) {
  const auto result = testing::run_command(command, cwd);
  EXPECT_EQ(result.exit_code, 0) << command << "\n" << result.output;
  return result.output.substr(0, result.output.find('\n'));
}

// A bare repository origin.git holding module `id` at its root, with a
// branch `feature` whose step prints a line, waits `pause` seconds, and
// prints another.
std::string make_repository(const fs::path& dir, const std::string& id, double pause) {
  sh("git init -q --bare -b main origin.git && git init -q -b main src && git -C src remote add "
     "origin '" +
         (dir / "origin.git").string() + "'",
     dir);
  testing::write_step_module(
      dir / "src", {.id = id,
                    .run = "cat content.txt; sleep " + std::to_string(pause) + "; echo unit-done",
                    .step = "unit",
                    .extra = "github:\n  repository: acme/shop\n  developer: Ana Perez\n"});
  testing::write_file(dir / "src/.gitignore", ".qgate/\n");
  testing::write_file(dir / "src/content.txt", "content on main\n");
  const std::string commit = "git -c user.name=Tester -c user.email=t@example.com commit -qm";
  sh("git add -A && " + commit + " first && git push -q origin main 2>&1", dir / "src");
  testing::write_file(dir / "src/content.txt", "content on feature\n");
  sh("git checkout -q -b feature && git add -A && " + commit +
         " feature && git push -q origin feature 2>&1",
     dir / "src");
  return (dir / "origin.git").string();
}

// Receives callbacks on 127.0.0.1 and keeps them.
class CallbackReceiver {
 public:
  CallbackReceiver() {
    server_.Post("/done", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      received_.push_back(req);
      res.status = 200;
      changed_.notify_all();
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~CallbackReceiver() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/done"; }
  // Waits up to `seconds` for a first callback.
  std::optional<httplib::Request> wait(double seconds) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::duration<double>(seconds),
                      [this] { return !received_.empty(); });
    if (received_.empty()) return std::nullopt;
    return received_.front();
  }
  std::size_t count() {
    std::lock_guard lock(mutex_);
    return received_.size();
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<httplib::Request> received_;
};

ServeSetup e2e_setup(const fs::path& dir, const std::string& repository,
                     const testing::GithubStandIn& github) {
  ServeSetup setup;
  setup.registry_yaml =
      "modules:\n  shop:\n    id: \"shp-001\"\n    name: \"Shop\"\n"
      "    repository: \"" +
      repository + "\"\n    dependencies: []\n";
  setup.extra_args = {"--workers", "1", "--poll", "0.2", "--workspace-root", (dir / "ws").string(),
                      "--callback-first-pause", "0.2",
                      // The receiver is on loopback, which callbacks may not
                      // reach unless allowed.
                      "--callback-allow", "127.0.0.1"};
  setup.extra_env = {std::string("QGATE_CALLBACK_SECRET=") + kCallbackSecret,
                     "GITHUB_API_URL=" + github.url(), "GITHUB_TOKEN=" + github.token(),
                     "GITHUB_REPOSITORY=acme/shop", "QGATE_GITHUB_WAIT_SCALE=0.1"};
  return setup;
}

TEST(ServeEndToEnd, RunAtTheAskedRefCallsBackSignedAndOpensThePullRequest) {
  testing::TempDir dir;
  testing::GithubStandIn github;
  CallbackReceiver receiver;
  const std::string repository = make_repository(dir.path(), "shp-001", 0);
  ServeProcess serve(e2e_setup(dir.path(), repository, github));
  const std::string checkout = serve.add_checkout("shp-001");

  const json request = {{"checkout_id", checkout},
                        {"ref", "feature"},
                        {"options", {{"open_pr", true}, {"callback_url", receiver.url()}}}};
  const auto created =
      serve.client().Post("/v1/runs", serve.auth(), request.dump(), "application/json");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 202) << created->body;
  const std::string id = json::parse(created->body)["id"];

  const auto callback = receiver.wait(90);
  ASSERT_TRUE(callback) << serve.output();
  // The signature covers the timestamp and the body exactly as sent.
  const std::string timestamp = callback->get_header_value("X-Qgate-Timestamp");
  EXPECT_TRUE(signature_matches(kCallbackSecret, callback_signing_text(timestamp, callback->body),
                                callback->get_header_value("X-Qgate-Signature")));
  EXPECT_FALSE(signature_matches("another-secret", callback_signing_text(timestamp, callback->body),
                                 callback->get_header_value("X-Qgate-Signature")));
  EXPECT_EQ(callback->get_header_value("X-Qgate-Event"), "run.completed");
  EXPECT_EQ(callback->get_header_value("X-Qgate-Delivery"), id + "/1");
  const json summary = json::parse(callback->body);
  EXPECT_EQ(testing::openapi_violations(summary, "CallbackPayload"), "");
  EXPECT_EQ(summary["id"], id);
  EXPECT_EQ(summary["result"], "passed") << callback->body << serve.output();
  EXPECT_EQ(summary["checkout_id"], checkout);
  EXPECT_EQ(summary["ref"], "feature");
  EXPECT_EQ(summary["pr_url"], github.url() + "/acme/shop/pull/1");
  EXPECT_EQ(summary["url"], serve.url() + "/v1/runs/" + id);

  // The pull request was opened on the stand-in, once.
  const auto pulls = github.pulls("acme/shop");
  ASSERT_EQ(pulls.size(), 1u);
  EXPECT_EQ(pulls[0].at("base").at("ref"), "main");

  // The API shows the same: finished, passed, the PR, the delivered callback.
  json run;
  for (int i = 0; i < 50; ++i) {
    run = json::parse(serve.client().Get("/v1/runs/" + id, serve.auth())->body);
    if (run["callback"]["state"] == "delivered") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(testing::openapi_violations(run, "Run"), "");
  EXPECT_EQ(run["status"], "finished");
  EXPECT_EQ(run["result"], "passed");
  EXPECT_EQ(run["pr_url"], summary["pr_url"]);
  EXPECT_EQ(run["run"]["commit"],
            sh("git rev-parse feature", dir.path() / "src"));  // the asked ref, not main
  ASSERT_EQ(run["callback"]["attempts"].size(), 1u);
  EXPECT_EQ(run["callback"]["attempts"][0]["result"], "delivered");
  // The log holds the step's output at that ref.
  const auto log = serve.client().Get("/v1/runs/" + id + "/log", serve.auth());
  ASSERT_TRUE(log);
  EXPECT_EQ(log->status, 200);
  EXPECT_NE(log->body.find("content on feature"), std::string::npos) << log->body;
  EXPECT_EQ(log->body.find("content on main"), std::string::npos);
  // The run is recorded against the checkout.
  EXPECT_EQ(testing::psql(serve.database_url(), "SELECT checkout_id FROM qgate_runs WHERE id = '" +
                                                    run["run_id"].get<std::string>() + "'"),
            checkout);
  EXPECT_EQ(receiver.count(), 1u);
  EXPECT_EQ(serve.stop(), 0);
}

TEST(ServeEndToEnd, LogStreamsWhileTheRunGoesOnAndCancelStopsIt) {
  testing::TempDir dir;
  testing::GithubStandIn github;
  const std::string repository = make_repository(dir.path(), "shp-001", 3);
  ServeProcess serve(e2e_setup(dir.path(), repository, github));
  const auto created = serve.client().Post(
      "/v1/runs", serve.auth(), json{{"module_id", "shp-001"}, {"ref", "feature"}}.dump(),
      "application/json");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 202) << created->body;
  const std::string id = json::parse(created->body)["id"];

  // Follow the log: the first lines arrive before the run has ended.
  std::string streamed;
  std::string status_at_first_chunk;
  auto client = serve.client();
  client.set_read_timeout(60, 0);
  const auto followed = client.Get(
      "/v1/runs/" + id + "/log", serve.auth(), [&](const char* data, std::size_t length) {
        if (status_at_first_chunk.empty()) {
          status_at_first_chunk =
              json::parse(serve.client().Get("/v1/runs/" + id, serve.auth())->body)["status"];
        }
        streamed.append(data, length);
        return true;
      });
  ASSERT_TRUE(followed);
  EXPECT_EQ(followed->status, 200);
  EXPECT_EQ(status_at_first_chunk, "running") << streamed;
  EXPECT_NE(streamed.find("content on feature"), std::string::npos) << streamed;
  EXPECT_NE(streamed.find("unit-done"), std::string::npos) << streamed;

  // A run cancelled while its step sleeps ends within seconds, its step
  // killed. (While a run goes, its log holds qgate check's own lines; the
  // steps' output follows when it ends.)
  const auto second = serve.client().Post("/v1/runs", serve.auth(),
                                          json{{"module_id", "shp-001"}, {"ref", "feature"}}.dump(),
                                          "application/json");
  const std::string second_id = json::parse(second->body)["id"];
  for (int i = 0; i < 200; ++i) {
    const auto log =
        serve.client().Get("/v1/runs/" + second_id + "/log?follow=false", serve.auth());
    if (log->body.find("module shp-001") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto started = std::chrono::steady_clock::now();
  const auto cancelled =
      serve.client().Post("/v1/runs/" + second_id + "/cancel", serve.auth(), "", "");
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(cancelled->status, 202) << cancelled->body;
  std::string status;
  while (std::chrono::steady_clock::now() - started < std::chrono::seconds(10)) {
    status = json::parse(serve.client().Get("/v1/runs/" + second_id, serve.auth())->body)["status"];
    if (status == "cancelled") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, "cancelled");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  EXPECT_EQ(testing::run_command("pgrep -f 'sleep [3][.]000000' | wc -l", "/").output, "0\n");
  EXPECT_EQ(serve.stop(), 0);
}

// SIGTERM to `qgate serve --workers 1` while a run goes on: the server stops
// answering, its worker lets the run finish, and everything exits 0.
TEST(ServeEndToEnd, SigtermLetsTheRunningRunFinish) {
  testing::TempDir dir;
  testing::GithubStandIn github;
  const std::string repository = make_repository(dir.path(), "shp-001", 2);
  ServeProcess serve(e2e_setup(dir.path(), repository, github));
  const auto created = serve.client().Post(
      "/v1/runs", serve.auth(), json{{"module_id", "shp-001"}, {"ref", "feature"}}.dump(),
      "application/json");
  ASSERT_TRUE(created);
  const std::string id = json::parse(created->body)["id"];
  for (int i = 0; i < 200; ++i) {
    const auto log = serve.client().Get("/v1/runs/" + id + "/log?follow=false", serve.auth());
    if (log->body.find("module shp-001") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(testing::psql(serve.database_url(),
                          "SELECT status FROM qgate_run_queue WHERE id = '" + id + "'"),
            "running");
  EXPECT_EQ(serve.stop(), 0) << serve.output();
  EXPECT_EQ(testing::psql(
                serve.database_url(),
                "SELECT status || ' ' || exit_code FROM qgate_run_queue WHERE id = '" + id + "'"),
            "finished 0")
      << serve.output();
  EXPECT_FALSE(serve.client().Get("/healthz"));  // no longer listening
  EXPECT_NE(serve.output().find("qgate serve: stopped"), std::string::npos) << serve.output();
}

// The server's workers are a child process: killed, it is started again and
// the runs go on.
TEST(ServeEndToEnd, WorkersThatDieAreStartedAgain) {
  testing::TempDir dir;
  testing::GithubStandIn github;
  const std::string repository = make_repository(dir.path(), "shp-001", 0);
  ServeProcess serve(e2e_setup(dir.path(), repository, github));
  const std::string find_workers =
      "pgrep -P " + std::to_string(serve.pid()) + " -f 'qgate worker --workers 1'";
  const std::string first = sh(find_workers, "/");
  ASSERT_FALSE(first.empty());
  ASSERT_EQ(::kill(std::stoi(first), SIGKILL), 0);
  std::string second;
  for (int i = 0; i < 100 && (second.empty() || second == first); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    second = testing::run_command(find_workers, "/").output;
    second = second.substr(0, second.find('\n'));
  }
  EXPECT_FALSE(second.empty());
  EXPECT_NE(second, first);
  EXPECT_NE(serve.output().find("the workers ended (signal Killed); starting them again"),
            std::string::npos)
      << serve.output();
  const auto created = serve.client().Post(
      "/v1/runs", serve.auth(), json{{"module_id", "shp-001"}, {"ref", "feature"}}.dump(),
      "application/json");
  ASSERT_TRUE(created);
  const std::string id = json::parse(created->body)["id"];
  json run;
  for (int i = 0; i < 300; ++i) {
    run = json::parse(serve.client().Get("/v1/runs/" + id, serve.auth())->body);
    if (run["status"] == "finished") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(run["result"], "passed") << run.dump() << serve.output();
  EXPECT_EQ(serve.stop(), 0);
}

}  // namespace
}  // namespace qgate
