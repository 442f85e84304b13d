// Completion callbacks end to end: a real PostgreSQL (the trigger of
// migration 5 makes them due), the dispatcher, and real HTTP receivers on
// 127.0.0.1.
#include "runner/server/callbacks.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "runner/server/signing.hpp"
#include "runner/store/store.hpp"
#include "tests/test_support.hpp"

namespace qgate {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

const char* const kSecret = "cb-secret-7f3a9d";  // qgate:allow-secret (a test value)

// One request as the receiver saw it.
struct Received {
  std::string path;
  std::map<std::string, std::string> headers;
  std::string body;
  Clock::time_point at;
};

// An HTTP server on 127.0.0.1 (a free port) whose answer to each POST is
// `answer(request number from 0, request, response)`; it keeps every
// request.
class Receiver {
 public:
  using Answer = std::function<void(int, const httplib::Request&, httplib::Response&)>;

  explicit Receiver(Answer answer) : answer_(std::move(answer)) {
    server_.Post(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
      int number = 0;
      {
        std::lock_guard lock(mutex_);
        Received r{req.path, {}, req.body, Clock::now()};
        for (const auto& [name, value] : req.headers) r.headers[name] = value;
        received_.push_back(std::move(r));
        number = static_cast<int>(received_.size()) - 1;
      }
      answer_(number, req, res);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<Received> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  Answer answer_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<Received> received_;
};

Receiver::Answer answer_with(int status) {
  return [status](int, const httplib::Request&, httplib::Response& res) {
    res.status = status;
    res.set_content("{}", "application/json");
  };
}

// A port on 127.0.0.1 that nothing listens on.
int closed_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

std::string migrated_database() {
  const std::string url = testing::fresh_database_url();
  const auto result = testing::run_command(
      "'" + testing::qgate_binary().string() + "' db migrate --database-url '" + url + "'", "/");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return url;
}

std::string sql_text(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

// A running queue item whose options are `options_json`; returns its id.
std::string add_item(const std::string& url, const std::string& options_json,
                     const std::string& columns = "", const std::string& values = "") {
  return testing::psql(url,
                       "INSERT INTO qgate_run_queue (id, module_id, ref, options, status, "
                       "started_at" +
                           columns + ") VALUES (gen_random_uuid(), 'mod-001', 'main', " +
                           sql_text(options_json) + "::jsonb, 'running', NOW()" + values +
                           ") RETURNING id");
}

std::string with_callback(const std::string& callback_url) {
  return json{{"callback_url", callback_url}}.dump();
}

// Ends the item as a worker would: the trigger makes its callback due.
void finish(const std::string& url, const std::string& id, int exit_code = 0,
            const std::string& run_id = "") {
  testing::psql(url,
                "UPDATE qgate_run_queue SET status = 'finished', finished_at = NOW(), "
                "exit_code = " +
                    std::to_string(exit_code) +
                    ", run_id = " + (run_id.empty() ? "NULL" : sql_text(run_id) + "::uuid") +
                    ", message = 'done' WHERE id = '" + id + "'");
}

std::string field(const std::string& url, const std::string& id, const std::string& column) {
  return testing::psql(url, "SELECT " + column + " FROM qgate_run_queue WHERE id = '" + id + "'");
}

// "attempt|status_code|error" per attempt of `id`, in order.
std::string attempts_of(const std::string& url, const std::string& id) {
  return testing::psql(url,
                       "SELECT string_agg(attempt || '|' || status_code || '|' || error, E'\\n' "
                       "ORDER BY attempt) FROM qgate_callback_attempts WHERE item_id = '" +
                           id + "'");
}

CallbackOptions options_for(const std::string& url) {
  CallbackOptions options;
  options.database_url = url;
  options.secret = kSecret;
  options.public_base_url = "http://qgate.test:8080/";
  options.max_attempts = 3;
  options.first_pause_seconds = 0.05;
  options.longest_pause_seconds = 1;
  options.timeout_seconds = 2;
  options.poll_seconds = 0.02;
  // The receivers are on loopback.
  options.addresses = CallbackAddressPolicy({*parse_address_range("127.0.0.1")}, {});
  return options;
}

// Calls deliver_due until `id`'s callback_state is `state`, up to `seconds`;
// returns whether it became so.
bool deliver_until(CallbackDispatcher& dispatcher, const std::string& url, const std::string& id,
                   const std::string& state, double seconds = 5) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < deadline) {
    dispatcher.deliver_due();
    if (field(url, id, "callback_state") == state) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

TEST(Callbacks, SignedSummaryDeliveredOnceAndRecorded) {
  const std::string url = migrated_database();
  Receiver receiver(answer_with(200));
  const std::string checkout = testing::psql(
      url,
      "INSERT INTO module_checkouts (module_id, checked_out_by, checked_out_by_email, "
      "estimated_completion_date) VALUES ('mod-001', 'dev', 'dev@example.com', NOW()) "
      "RETURNING id");
  const std::string run = testing::psql(
      url,
      "INSERT INTO qgate_runs (id, module_id, started_at, status, exit_code, pr_url) VALUES "
      "(gen_random_uuid(), 'mod-001', NOW(), 'failed', 1, 'https://github.test/o/r/pull/7') "
      "RETURNING id");
  testing::psql(url,
                "INSERT INTO qgate_gate_results (run_id, position, name, status, required, "
                "duration_s, message) VALUES ('" +
                    run + "', 0, 'lint', 'passed', true, 1.5, ''), ('" + run +
                    "', 1, 'test-coverage', 'failed', false, 2.25, 'coverage 41% < 80%')");
  const std::string id = add_item(url, with_callback(receiver.url("/hooks/qgate?team=a")),
                                  ", checkout_id", ", '" + checkout + "'");
  EXPECT_EQ(field(url, id, "callback_state"), "none");  // still running
  finish(url, id, 1, run);
  EXPECT_EQ(field(url, id, "callback_state"), "pending");

  CallbackDispatcher dispatcher(options_for(url));
  EXPECT_EQ(dispatcher.deliver_due(), 1);
  EXPECT_EQ(dispatcher.deliver_due(), 0);  // nothing more is due

  const auto received = receiver.received();
  ASSERT_EQ(received.size(), 1u);
  const Received& r = received[0];
  EXPECT_EQ(r.path, "/hooks/qgate");
  EXPECT_EQ(r.headers.at("Content-Type"), "application/json");
  EXPECT_EQ(r.headers.at("X-Qgate-Event"), "run.completed");
  EXPECT_EQ(r.headers.at("X-Qgate-Delivery"), id + "/1");
  EXPECT_EQ(r.headers.at("User-Agent").rfind("qgate/", 0), 0u);
  const std::string timestamp = r.headers.at("X-Qgate-Timestamp");
  EXPECT_NEAR(std::stod(timestamp), static_cast<double>(std::time(nullptr)), 60);
  const std::string signature = r.headers.at("X-Qgate-Signature");
  EXPECT_TRUE(signature_matches(kSecret, callback_signing_text(timestamp, r.body), signature));
  EXPECT_FALSE(signature_matches("other", callback_signing_text(timestamp, r.body), signature));
  EXPECT_EQ(r.body.find(kSecret), std::string::npos);

  const json body = json::parse(r.body);
  EXPECT_EQ(body["event"], "run.completed");
  EXPECT_EQ(body["id"], id);
  EXPECT_EQ(body["status"], "finished");
  EXPECT_EQ(body["module_id"], "mod-001");
  EXPECT_EQ(body["checkout_id"], checkout);
  EXPECT_EQ(body["ref"], "main");
  EXPECT_EQ(body["run_id"], run);
  EXPECT_EQ(body["exit_code"], 1);
  EXPECT_EQ(body["result"], "failed");
  EXPECT_EQ(body["pr_url"], "https://github.test/o/r/pull/7");
  EXPECT_EQ(body["message"], "done");
  EXPECT_EQ(body["url"], "http://qgate.test:8080/v1/runs/" + id);
  EXPECT_TRUE(body["finished_at"].is_string());
  EXPECT_EQ(body["finished_at"].get<std::string>().back(), 'Z');
  ASSERT_EQ(body["gates"].size(), 2u);
  EXPECT_EQ(body["gates"][0], (json{{"name", "lint"},
                                    {"status", "passed"},
                                    {"required", true},
                                    {"duration_s", 1.5},
                                    {"message", ""}}));
  EXPECT_EQ(body["gates"][1], (json{{"name", "test-coverage"},
                                    {"status", "failed"},
                                    {"required", false},
                                    {"duration_s", 2.25},
                                    {"message", "coverage 41% < 80%"}}));

  EXPECT_EQ(field(url, id, "callback_state || '|' || callback_attempts"), "delivered|1");
  EXPECT_EQ(field(url, id, "callback_next_at IS NULL"), "t");
  EXPECT_EQ(attempts_of(url, id), "1|200|");
  EXPECT_EQ(
      testing::psql(url, "SELECT url FROM qgate_callback_attempts WHERE item_id = '" + id + "'"),
      receiver.url("/hooks/qgate?team=a"));
  EXPECT_EQ(dispatcher.counts().delivered, 1);
  EXPECT_EQ(dispatcher.counts().failed_attempts, 0);
}

TEST(Callbacks, RetriedWithGrowingPausesUntilA2xx) {
  const std::string url = migrated_database();
  Receiver receiver([](int n, const httplib::Request&, httplib::Response& res) {
    res.status = n < 2 ? 500 : 200;
  });
  const std::string id = add_item(url, with_callback(receiver.url("/hook")));
  finish(url, id);

  CallbackDispatcher dispatcher(options_for(url));
  ASSERT_TRUE(deliver_until(dispatcher, url, id, "delivered"));
  EXPECT_EQ(attempts_of(url, id), "1|500|HTTP 500\n2|500|HTTP 500\n3|200|");
  EXPECT_EQ(field(url, id, "callback_attempts"), "3");
  const auto received = receiver.received();
  ASSERT_EQ(received.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(received[i].headers.at("X-Qgate-Delivery"), id + "/" + std::to_string(i + 1));
    EXPECT_TRUE(signature_matches(
        kSecret,
        callback_signing_text(received[i].headers.at("X-Qgate-Timestamp"), received[i].body),
        received[i].headers.at("X-Qgate-Signature")));
  }
  // 0.05 s, then 0.1 s, each shortened by at most a tenth.
  EXPECT_GE(seconds_between(received[0].at, received[1].at), 0.045);
  EXPECT_GE(seconds_between(received[1].at, received[2].at), 0.09);
  EXPECT_EQ(json::parse(received[2].body)["result"], "passed");
  EXPECT_EQ(json::parse(received[2].body)["gates"], json::array());
  EXPECT_EQ(json::parse(received[2].body)["run_id"], nullptr);
  EXPECT_EQ(dispatcher.counts().delivered, 1);
  EXPECT_EQ(dispatcher.counts().failed_attempts, 2);
  EXPECT_EQ(dispatcher.counts().given_up, 0);
}

TEST(Callbacks, UnreachableReceiverGivenUpAfterTheLastAttempt) {
  const std::string url = migrated_database();
  const std::string id =
      add_item(url, with_callback("http://127.0.0.1:" + std::to_string(closed_port()) + "/hook"));
  finish(url, id);

  CallbackOptions options = options_for(url);
  options.first_pause_seconds = 0.3;
  CallbackDispatcher dispatcher(options);
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(dispatcher.deliver_due(), 1);
  // The next attempt waits for its pause.
  EXPECT_EQ(dispatcher.deliver_due(), 0);
  EXPECT_EQ(field(url, id, "callback_state || '|' || callback_attempts"), "pending|1");
  // Due again 0.3 s after the attempt ended, less up to a tenth.
  const double pause = std::stod(testing::psql(
      url,
      "SELECT extract(epoch FROM q.callback_next_at - a.attempted_at) - a.duration_ms / 1000 "
      "FROM qgate_run_queue q JOIN qgate_callback_attempts a ON a.item_id = q.id "
      "AND a.attempt = 1 WHERE q.id = '" +
          id + "'"));
  EXPECT_GE(pause, 0.269);
  EXPECT_LE(pause, 0.301);
  const bool failed = deliver_until(dispatcher, url, id, "failed");
  const std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(failed);

  EXPECT_EQ(field(url, id, "callback_attempts"), "3");
  EXPECT_EQ(field(url, id, "callback_next_at IS NULL"), "t");
  EXPECT_EQ(testing::psql(url, "SELECT count(*) FROM qgate_callback_attempts WHERE item_id = '" +
                                   id + "' AND status_code = 0 AND error <> ''"),
            "3");
  EXPECT_NE(attempts_of(url, id).find("could not connect"), std::string::npos)
      << attempts_of(url, id);
  EXPECT_EQ(dispatcher.counts().failed_attempts, 3);
  EXPECT_EQ(dispatcher.counts().given_up, 1);
  EXPECT_EQ(dispatcher.counts().delivered, 0);
  EXPECT_NE(err.find("given up"), std::string::npos) << err;
  EXPECT_EQ(err.find(kSecret), std::string::npos) << err;
  // Given up is final.
  EXPECT_EQ(dispatcher.deliver_due(), 0);
}

TEST(Callbacks, RedirectIsAFailureAndUserinfoIsRefusedUnsent) {
  const std::string url = migrated_database();
  Receiver receiver([](int, const httplib::Request& req, httplib::Response& res) {
    if (req.path == "/moved") {
      res.status = 302;
      res.set_header("Location", "/elsewhere");
    } else {
      res.status = 200;
    }
  });
  const std::string moved = add_item(url, with_callback(receiver.url("/moved")));
  const std::string userinfo = add_item(
      url,
      with_callback("http://hook:pa55word@127.0.0.1:" + std::to_string(receiver.port()) + "/hook"));
  const std::string ftp = add_item(url, with_callback("ftp://127.0.0.1/hook"));
  finish(url, moved);
  finish(url, userinfo);
  finish(url, ftp);

  CallbackDispatcher dispatcher(options_for(url));
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(dispatcher.deliver_due(), 3);
  const std::string err = ::testing::internal::GetCapturedStderr();

  // The redirect was not followed and counts as a failed attempt.
  const auto received = receiver.received();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].path, "/moved");
  EXPECT_EQ(attempts_of(url, moved), "1|302|HTTP 302: redirects are not followed");
  EXPECT_EQ(field(url, moved, "callback_state"), "pending");

  // Refused URLs: no request, given up at once, the password not kept.
  EXPECT_EQ(field(url, userinfo, "callback_state || '|' || callback_attempts"), "failed|1");
  EXPECT_NE(attempts_of(url, userinfo).find("1|0|the callback URL contains userinfo"),
            std::string::npos)
      << attempts_of(url, userinfo);
  const std::string stored = testing::psql(
      url, "SELECT url FROM qgate_callback_attempts WHERE item_id = '" + userinfo + "'");
  EXPECT_EQ(stored.find("pa55word"), std::string::npos) << stored;
  EXPECT_EQ(stored.rfind("http://***@127.0.0.1:", 0), 0u) << stored;
  EXPECT_EQ(err.find("pa55word"), std::string::npos) << err;
  EXPECT_EQ(field(url, ftp, "callback_state || '|' || callback_attempts"), "failed|1");
  EXPECT_NE(attempts_of(url, ftp).find("not an http or https URL"), std::string::npos);
  EXPECT_EQ(dispatcher.counts().given_up, 2);
  EXPECT_EQ(dispatcher.counts().failed_attempts, 3);
}

TEST(Callbacks, InternalAddressesAreRefusedAtTheAttemptUnsent) {
  const std::string url = migrated_database();
  Receiver receiver(answer_with(200));
  // Loopback is not allowed here: the receiver must hear nothing.
  CallbackOptions options = options_for(url);
  options.addresses = CallbackAddressPolicy();
  const std::vector<std::string> targets = {
      receiver.url("/hook"),
      "http://127.1:" + std::to_string(receiver.port()) + "/hook",
      "http://2130706433:" + std::to_string(receiver.port()) + "/hook",
      "http://[::ffff:127.0.0.1]:" + std::to_string(receiver.port()) + "/hook",
      "http://169.254.169.254/latest/meta-data/",
      "http://10.1.2.3:8080/hook"};
  std::vector<std::string> ids;
  for (const auto& target : targets) {
    ids.push_back(add_item(url, with_callback(target)));
    finish(url, ids.back());
  }
  CallbackDispatcher dispatcher(options);
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(dispatcher.deliver_due(), static_cast<int>(targets.size()));
  ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(receiver.received().empty());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(field(url, ids[i], "callback_state || '|' || callback_attempts"), "failed|1")
        << targets[i];
    EXPECT_NE(attempts_of(url, ids[i]).find("1|0|the callback URL's host is an internal address"),
              std::string::npos)
        << targets[i] << ": " << attempts_of(url, ids[i]);
  }
  EXPECT_EQ(dispatcher.counts().given_up, static_cast<long long>(targets.size()));
}

TEST(Callbacks, TwoDispatchersDeliverEachCallbackExactlyOnce) {
  const std::string url = migrated_database();
  std::mutex mutex;
  std::map<std::string, int> deliveries;
  Receiver receiver([&](int, const httplib::Request& req, httplib::Response& res) {
    // A slow answer: both dispatchers poll several times while sends are in
    // flight, so a claim that did not hold would be sent twice.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    {
      std::lock_guard lock(mutex);
      ++deliveries[json::parse(req.body)["id"].get<std::string>()];
    }
    res.status = 204;
  });
  constexpr int kItems = 20;
  std::set<std::string> ids;
  std::istringstream lines(
      testing::psql(url,
                    "INSERT INTO qgate_run_queue (id, module_id, options, status) "
                    "SELECT gen_random_uuid(), 'mod-001', " +
                        sql_text(with_callback(receiver.url("/hook"))) +
                        "::jsonb, 'running' FROM generate_series(1, " + std::to_string(kItems) +
                        ") RETURNING id"));
  for (std::string line; std::getline(lines, line);) ids.insert(line);
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kItems));
  // All at once: every callback is due when the dispatchers start.
  testing::psql(url,
                "UPDATE qgate_run_queue SET status = 'finished', finished_at = NOW(), "
                "exit_code = 0");

  CallbackDispatcher first(options_for(url));
  CallbackDispatcher second(options_for(url));
  std::atomic<bool> stop{false};
  std::thread a([&] { first.run(stop); });
  std::thread b([&] { second.run(stop); });
  const auto deadline = Clock::now() + std::chrono::seconds(8);
  std::string delivered;
  while (Clock::now() < deadline) {
    delivered = testing::psql(
        url, "SELECT count(*) FROM qgate_run_queue WHERE callback_state = 'delivered'");
    if (delivered == std::to_string(kItems)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop = true;
  a.join();
  b.join();
  EXPECT_EQ(delivered, std::to_string(kItems));
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(deliveries.size(), static_cast<std::size_t>(kItems));
    for (const auto& [id, times] : deliveries) {
      EXPECT_TRUE(ids.count(id)) << id;
      EXPECT_EQ(times, 1) << id;
    }
  }
  EXPECT_EQ(first.counts().delivered + second.counts().delivered, kItems);
  // No attempt was sent twice. (An attempt may fail and be retried: twenty
  // connections at once can overflow the receiver's listen backlog.)
  std::set<std::string> attempts_sent;
  for (const auto& r : receiver.received()) {
    EXPECT_TRUE(attempts_sent.insert(r.headers.at("X-Qgate-Delivery")).second)
        << r.headers.at("X-Qgate-Delivery");
  }
  EXPECT_EQ(
      testing::psql(url, "SELECT count(*) FROM qgate_callback_attempts WHERE status_code = 204"),
      std::to_string(kItems));
}

TEST(Callbacks, NoneWithoutACallbackUrlAndDueWhenAQueuedItemIsCancelled) {
  const std::string url = migrated_database();
  Receiver receiver(answer_with(200));
  const std::string plain = add_item(url, "{}");
  const std::string empty = add_item(url, with_callback(""));
  const std::string queued = add_item(url, with_callback(receiver.url("/hook")));
  testing::psql(
      url, "UPDATE qgate_run_queue SET status = 'queued', started_at = NULL WHERE id = '" + queued +
               "'");
  finish(url, plain);
  finish(url, empty);

  CallbackDispatcher dispatcher(options_for(url));
  EXPECT_EQ(dispatcher.deliver_due(), 0);
  EXPECT_TRUE(receiver.received().empty());
  EXPECT_EQ(field(url, plain, "callback_state"), "none");
  EXPECT_EQ(field(url, empty, "callback_state"), "none");
  EXPECT_EQ(field(url, queued, "callback_state"), "none");
  EXPECT_EQ(testing::psql(url, "SELECT count(*) FROM qgate_callback_attempts"), "0");

  // Cancelled before it ran: due, with no run.
  testing::psql(url,
                "UPDATE qgate_run_queue SET status = 'cancelled', finished_at = NOW() "
                "WHERE id = '" +
                    queued + "'");
  EXPECT_EQ(dispatcher.deliver_due(), 1);
  const auto received = receiver.received();
  ASSERT_EQ(received.size(), 1u);
  const json body = json::parse(received[0].body);
  EXPECT_EQ(body["id"], queued);
  EXPECT_EQ(body["status"], "cancelled");
  EXPECT_EQ(body["result"], "cancelled");
  EXPECT_EQ(body["run_id"], nullptr);
  EXPECT_EQ(body["exit_code"], nullptr);
  EXPECT_EQ(body["pr_url"], nullptr);
  EXPECT_EQ(body["gates"], json::array());
  EXPECT_EQ(field(url, queued, "callback_state"), "delivered");
}

TEST(Callbacks, DatabaseAwayIsAStoreErrorAndRunKeepsGoing) {
  const std::string with_password = "postgresql://qgate:db-pa55@127.0.0.1:";  // qgate:allow-secret
  CallbackOptions options = options_for(with_password + std::to_string(closed_port()) + "/qgate");
  CallbackDispatcher dispatcher(options);
  try {
    dispatcher.deliver_due();
    ADD_FAILURE() << "no StoreError";
  } catch (const StoreError& e) {
    EXPECT_TRUE(e.unavailable()) << e.what();
    EXPECT_EQ(std::string(e.what()).find("db-pa55"), std::string::npos) << e.what();
  }
  std::atomic<bool> stop{false};
  ::testing::internal::CaptureStderr();
  std::thread runner([&] { dispatcher.run(stop); });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  stop = true;
  runner.join();
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("qgate serve: callbacks:"), std::string::npos) << err;
  EXPECT_EQ(err.find("db-pa55"), std::string::npos) << err;
  EXPECT_EQ(err.find(kSecret), std::string::npos) << err;
}

TEST(Callbacks, OptionsAreChecked) {
  CallbackOptions options;
  options.database_url = "postgresql:///unused";
  EXPECT_THROW(CallbackDispatcher{options}, std::invalid_argument);  // no secret
  options.secret = kSecret;
  options.max_attempts = 0;
  EXPECT_THROW(CallbackDispatcher{options}, std::invalid_argument);
}

}  // namespace
}  // namespace qgate
