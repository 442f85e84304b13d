// The front of `qgate serve` (runner/server/http_front.*) against clients
// that misbehave, over raw sockets on loopback: requests trickled a byte at
// a time, too many connections from one address, oversized header blocks,
// and the forms a plain client sends (no body and no Content-Length,
// pipelined requests, a chunked body). Slow clients come from their own
// loopback addresses (127.0.0.0/8), the normal client from 127.0.0.1.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>
#include <vector>

#include "tests/server/serve_fixture.hpp"

namespace qgate {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
using testing::ServeProcess;
using testing::ServeSetup;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int port_of(const ServeProcess& serve) {
  return std::stoi(serve.url().substr(serve.url().rfind(':') + 1));
}

// A client socket connected to the server from `source` (a loopback
// address), non-blocking; closed with the object.
class RawClient {
 public:
  RawClient(int port, const std::string& source = "127.0.0.1") {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    inet_pton(AF_INET, source.c_str(), &from.sin_addr);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  int fd() const { return fd_; }
  // Sends `text`; false once the server has closed the connection.
  bool send(const std::string& text) {
    return ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
  }
  // Reads until the server closes or `seconds` pass; returns what came.
  std::string read_until_closed(double seconds) {
    std::string out;
    const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
    while (Clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char buffer[4096];
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      out.append(buffer, static_cast<std::size_t>(n));
    }
    return out;
  }
  // Reads until `count` answers ending in `marker` came, or `seconds` pass.
  std::string read_answers(const std::string& marker, int count, double seconds) {
    std::string out;
    const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
    while (Clock::now() < deadline) {
      int seen = 0;
      for (auto at = out.find(marker); at != std::string::npos; at = out.find(marker, at + 1)) {
        ++seen;
      }
      if (seen >= count) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char buffer[4096];
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      out.append(buffer, static_cast<std::size_t>(n));
    }
    return out;
  }
  bool closed() const { return closed_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
};

int status_of(const std::string& answer) {
  if (answer.rfind("HTTP/1.1 ", 0) != 0 || answer.size() < 12) return 0;
  return std::stoi(answer.substr(9, 3));
}

// Connections that send a request one byte every `pause`, from `sources`
// (each address in turn), reopened when the server closes them, on a
// thread of their own until stop().
class SlowClients {
 public:
  SlowClients(int port, int count, std::vector<std::string> sources,
              std::chrono::milliseconds pause)
      : port_(port), sources_(std::move(sources)), pause_(pause) {
    thread_ = std::thread([this, count] { drive(count); });
  }
  ~SlowClients() { stop(); }
  SlowClients(const SlowClients&) = delete;
  SlowClients& operator=(const SlowClients&) = delete;
  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int opened() const { return opened_; }
  int open_now() const { return open_now_; }
  int cut_by_server() const { return cut_; }

 private:
  void drive(int count) {
    const std::string request =
        "POST /v1/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Content-Length: 40\r\n\r\n{\"module_id\": \"alp-001\", \"ref\": \"main\"}";
    struct Slow {
      std::unique_ptr<RawClient> client;
      std::size_t sent = 0;
    };
    std::vector<Slow> slow(static_cast<std::size_t>(count));
    std::size_t next_source = 0;
    auto open = [&](Slow& s) {
      s.client = std::make_unique<RawClient>(port_, sources_[next_source++ % sources_.size()]);
      s.sent = 0;
      ++opened_;
    };
    for (auto& s : slow) open(s);
    while (!stopping_) {
      int open_count = 0;
      for (auto& s : slow) {
        if (stopping_) break;
        // Whatever the server answered (408, 429) ends this one: open another.
        pollfd p{s.client->fd(), POLLIN, 0};
        bool ended = !s.client->connected();
        if (!ended && ::poll(&p, 1, 0) > 0) ended = true;
        if (!ended) ended = !s.client->send(std::string(1, request[s.sent % request.size()]));
        if (ended) {
          ++cut_;
          open(s);
          continue;
        }
        ++s.sent;
        ++open_count;
      }
      open_now_ = open_count;
      const auto until = Clock::now() + pause_;
      while (!stopping_ && Clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }

  int port_;
  std::vector<std::string> sources_;
  std::chrono::milliseconds pause_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> opened_{0};
  std::atomic<int> open_now_{0};
  std::atomic<int> cut_{0};
  std::thread thread_;
};

std::vector<std::string> loopback_sources(int first, int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.push_back("127.0.1." + std::to_string(first + i));
  return out;
}

long long memory_kb(int pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1));
  }
  return -1;
}

TEST(ServeFront, SlowClientsLeaveHealthzAndTheApiAnswering) {
  ServeProcess serve;
  // Twice as many as there are request threads, each sending a byte every
  // half second from an address of its own.
  SlowClients slow(port_of(serve), 16, loopback_sources(10, 16), std::chrono::milliseconds(500));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_EQ(slow.open_now(), 16);
  for (int i = 0; i < 5; ++i) {
    auto client = serve.client();
    client.set_read_timeout(2, 0);
    const auto started = Clock::now();
    const auto health = client.Get("/healthz");
    ASSERT_TRUE(health) << "healthz " << i;
    EXPECT_EQ(health->status, 200);
    const auto runs = client.Get("/v1/runs", serve.auth());
    ASSERT_TRUE(runs) << "runs " << i;
    EXPECT_EQ(runs->status, 200);
    EXPECT_LT(seconds_since(started), 1.0);
  }
}

// With its one request thread held by a followed log (a queued run's: it
// never ends here), the server still answers its probes.
TEST(ServeFront, ProbesAreAnsweredWhileEveryRequestThreadIsBusy) {
  ServeSetup setup;
  setup.extra_args = {"--threads", "1"};
  ServeProcess serve(setup);
  const auto created = serve.client().Post(
      "/v1/runs", serve.auth(), json{{"module_id", "alp-001"}}.dump(), "application/json");
  ASSERT_TRUE(created);
  const std::string id = json::parse(created->body)["id"];
  RawClient follower(port_of(serve));
  ASSERT_TRUE(follower.send("GET /v1/runs/" + id +
                            "/log HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + serve.token() +
                            "\r\n\r\n"));
  const std::string streaming = follower.read_answers("\r\n\r\n", 1, 3);
  ASSERT_EQ(status_of(streaming), 200) << streaming;
  ASSERT_NE(streaming.find("Transfer-Encoding: chunked"), std::string::npos) << streaming;
  for (const char* probe : {"/healthz", "/readyz", "/metrics"}) {
    auto client = serve.client();
    client.set_read_timeout(2, 0);
    const auto started = Clock::now();
    const auto answer = client.Get(probe);
    ASSERT_TRUE(answer) << probe;
    EXPECT_EQ(answer->status, 200) << probe;
    EXPECT_LT(seconds_since(started), 1.0) << probe;
  }
  // The API itself waits for the thread: that is what --threads bounds.
  auto client = serve.client();
  client.set_read_timeout(0, 500'000);
  EXPECT_FALSE(client.Get("/v1/runs", serve.auth()));
}

TEST(ServeFront, TrickledHeadersAndBodiesAreCutAtTheirDeadlines) {
  ServeSetup setup;
  setup.extra_args = {"--header-timeout", "1", "--body-timeout", "1"};
  ServeProcess serve(setup);
  const std::string headers =
      "POST /v1/runs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 40\r\n\r\n";
  // Headers, a byte every 100 ms: cut 1 s after the first byte, though
  // bytes keep coming.
  {
    RawClient client(port_of(serve), "127.0.2.1");
    const auto started = Clock::now();
    std::string answer;
    for (std::size_t i = 0; i < headers.size() - 2 && seconds_since(started) < 4; ++i) {
      if (!client.send(headers.substr(i, 1))) break;
      answer += client.read_answers("}", 1, 0.1);
      if (!answer.empty()) break;
    }
    answer += client.read_until_closed(1);
    EXPECT_EQ(status_of(answer), 408) << answer;
    EXPECT_NE(answer.find("request_timeout"), std::string::npos) << answer;
    EXPECT_GE(seconds_since(started), 0.9);
    EXPECT_LT(seconds_since(started), 2.0);
  }
  // The body, a byte every 100 ms after whole headers: cut 1 s later.
  {
    RawClient client(port_of(serve), "127.0.2.2");
    ASSERT_TRUE(client.send(headers));
    const auto started = Clock::now();
    std::string answer;
    for (int i = 0; i < 40 && seconds_since(started) < 4; ++i) {
      if (!client.send("{")) break;
      answer += client.read_answers("}", 1, 0.1);
      if (!answer.empty()) break;
    }
    answer += client.read_until_closed(1);
    EXPECT_EQ(status_of(answer), 408) << answer;
    EXPECT_GE(seconds_since(started), 0.9);
    EXPECT_LT(seconds_since(started), 2.0);
  }
  // An idle connection that never sends a byte is closed too.
  {
    RawClient client(port_of(serve), "127.0.2.3");
    const auto started = Clock::now();
    const std::string answer = client.read_until_closed(4);
    EXPECT_TRUE(client.closed());
    EXPECT_LT(seconds_since(started), 2.0);
  }
  const auto metrics = serve.client().Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("route=\"refused\",method=\"-\",code=\"408\"} 2"), std::string::npos)
      << metrics->body;
}

TEST(ServeFront, ConnectionsOfOneClientAddressAreCapped) {
  ServeSetup setup;
  setup.extra_args = {"--max-connections-per-client", "4"};
  ServeProcess serve(setup);
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<RawClient>(port_of(serve), "127.0.3.1"));
    ASSERT_TRUE(held.back()->connected());
  }
  // Let the server take them all before the next one comes.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  {
    RawClient fifth(port_of(serve), "127.0.3.1");
    ASSERT_TRUE(fifth.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    const std::string refused = fifth.read_until_closed(2);
    EXPECT_EQ(status_of(refused), 429) << refused;
    EXPECT_NE(refused.find("too_many_connections"), std::string::npos) << refused;
    EXPECT_TRUE(fifth.closed());
  }
  // The four still work, and so does another address.
  ASSERT_TRUE(held[0]->send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(status_of(held[0]->read_answers("}", 1, 2)), 200);
  RawClient other(port_of(serve), "127.0.3.2");
  ASSERT_TRUE(other.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(status_of(other.read_answers("}", 1, 2)), 200);
  // One closed makes room for one more.
  held.pop_back();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  RawClient again(port_of(serve), "127.0.3.1");
  ASSERT_TRUE(again.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(status_of(again.read_answers("}", 1, 2)), 200);
}

TEST(ServeFront, OversizedOrCrowdedHeaderBlocksGet431) {
  ServeProcess serve;
  std::string many =
      "GET /v1/runs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + serve.token() + "\r\n";
  for (int i = 0; i < 3000; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  many += "\r\n";
  const std::string huge =
      "GET /v1/runs HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n";
  for (const std::string* request : std::vector<const std::string*>{&many, &huge}) {
    RawClient client(port_of(serve));
    client.send(*request);
    const std::string answer = client.read_until_closed(3);
    EXPECT_EQ(status_of(answer), 431) << answer.substr(0, 200);
    EXPECT_NE(answer.find("headers_too_large"), std::string::npos);
  }
  // A request within the limits is answered as before.
  std::string fine = "GET /v1/runs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + serve.token() +
                     "\r\nConnection: close\r\n";
  for (int i = 0; i < 50; ++i) fine += "X-H" + std::to_string(i) + ": v\r\n";
  RawClient client(port_of(serve));
  client.send(fine + "\r\n");
  EXPECT_EQ(status_of(client.read_until_closed(3)), 200);
}

TEST(ServeFront, TwoAuthorizationHeadersGet400) {
  ServeProcess serve;
  const httplib::Headers twice = {{"Authorization", "Bearer " + serve.token()},
                                  {"Authorization", "Bearer " + serve.token()}};
  const std::string before = serve.queue_rows();
  const auto answer = serve.client().Post("/v1/runs", twice, json{{"module_id", "alp-001"}}.dump(),
                                          "application/json");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 400) << answer->body;
  const json error = json::parse(answer->body);
  EXPECT_EQ(error["error"]["field"], "Authorization");
  EXPECT_EQ(testing::openapi_violations(error, "Error"), "");
  EXPECT_EQ(serve.queue_rows(), before);
  const auto read = serve.client().Get("/v1/runs", twice);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status, 400);
}

// The README's cancel call: curl sends a POST with no body and no
// Content-Length, which is an empty body.
TEST(ServeFront, ReadmeCancelCallWithNoBodyIsAccepted) {
  ServeProcess serve;
  const auto created = serve.client().Post(
      "/v1/runs", serve.auth(), json{{"module_id", "alp-001"}}.dump(), "application/json");
  ASSERT_TRUE(created);
  const std::string id = json::parse(created->body)["id"];
  const auto started = Clock::now();
  const auto result = testing::run_command(
      "curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST -H "
      "'Authorization: Bearer " +
          serve.token() + "' " + serve.url() + "/v1/runs/" + id + "/cancel",
      serve.folder());
  EXPECT_EQ(result.output, "202") << result.output;
  EXPECT_LT(seconds_since(started), 2.0);
  EXPECT_EQ(testing::psql(serve.database_url(),
                          "SELECT status FROM qgate_run_queue WHERE id = '" + id + "'"),
            "cancelled");
}

TEST(ServeFront, PipelinedAndChunkedRequestsAreAnsweredInOrder) {
  ServeProcess serve;
  const std::string body = json{{"module_id", "alp-001"}}.dump();
  std::string size_hex(8, '\0');
  size_hex.resize(static_cast<std::size_t>(
      std::snprintf(size_hex.data(), size_hex.size(), "%zx", body.size())));
  const std::string auth = "Authorization: Bearer " + serve.token() + "\r\n";
  const std::string requests =
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /v1/runs HTTP/1.1\r\nHost: x\r\n" +
      auth + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + size_hex +
      "\r\n" + body + "\r\n0\r\n\r\n" + "GET /v1/runs HTTP/1.1\r\nHost: x\r\n" + auth +
      "Connection: close\r\n\r\n";
  RawClient client(port_of(serve));
  ASSERT_TRUE(client.send(requests));
  const std::string answers = client.read_until_closed(5);
  const auto first = answers.find("HTTP/1.1 200");
  const auto second = answers.find("HTTP/1.1 202");
  const auto third = answers.find("HTTP/1.1 200", first + 1);
  EXPECT_NE(first, std::string::npos) << answers;
  EXPECT_NE(second, std::string::npos) << answers;
  EXPECT_NE(third, std::string::npos) << answers;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  EXPECT_TRUE(client.closed());
  EXPECT_EQ(testing::psql(serve.database_url(), "SELECT count(*) FROM qgate_run_queue"), "1");
}

// The load test of bench/RESULTS.md: 200 connections trickling a byte a
// second, from 20 loopback addresses, reopened whenever the server cuts
// them, while a normal client asks in turn for /healthz, a page of runs and
// a new run. Every one of its requests must succeed, each within a second.
// QGATE_SLOW_CLIENT_SECONDS sets how long (default 8 s).
TEST(ServeFront, TwoHundredSlowConnectionsLeaveANormalClientServed) {
  const char* configured = std::getenv("QGATE_SLOW_CLIENT_SECONDS");
  const double seconds = configured != nullptr ? std::max(2.0, std::atof(configured)) : 8.0;
  ServeProcess serve;
  const long long rss_before = memory_kb(serve.pid(), "VmRSS");
  SlowClients slow(port_of(serve), 200, loopback_sources(100, 20), std::chrono::milliseconds(1000));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  std::vector<double> latencies;
  int failed = 0;
  long long slow_open_sum = 0;
  auto client = serve.client();
  client.set_read_timeout(5, 0);
  client.set_keep_alive(true);
  const std::string body = json{{"module_id", "alp-001"}}.dump();
  const auto started = Clock::now();
  for (int i = 0; seconds_since(started) < seconds; ++i) {
    const auto t0 = Clock::now();
    httplib::Result answer = i % 3 == 0 ? client.Get("/healthz")
                             : i % 3 == 1
                                 ? client.Get("/v1/runs?limit=5", serve.auth())
                                 : client.Post("/v1/runs", serve.auth(), body, "application/json");
    latencies.push_back(seconds_since(t0));
    const int expected = i % 3 == 2 ? 202 : 200;
    if (!answer || answer->status != expected) ++failed;
    slow_open_sum += slow.open_now();
  }
  const long long rss_peak = memory_kb(serve.pid(), "VmHWM");
  const long long rss_after = memory_kb(serve.pid(), "VmRSS");
  slow.stop();
  std::sort(latencies.begin(), latencies.end());
  const auto at = [&](double q) {
    return latencies[std::min(latencies.size() - 1,
                              static_cast<std::size_t>(q * static_cast<double>(latencies.size())))];
  };
  const double slow_open_mean =
      static_cast<double>(slow_open_sum) / static_cast<double>(latencies.size());
  std::cout << "slow connections: 200 at a time (" << slow_open_mean
            << " open on average while the normal client asked), " << slow.opened()
            << " opened in all, " << slow.cut_by_server() << " cut by the server\n"
            << "normal client: " << latencies.size() << " requests in " << seconds << " s, "
            << failed << " failed; latency p50 " << at(0.5) * 1000 << " ms, p99 " << at(0.99) * 1000
            << " ms, max " << latencies.back() * 1000 << " ms\n"
            << "server memory: RSS " << rss_before << " kB before, " << rss_after
            << " kB after, peak " << rss_peak << " kB\n";
  EXPECT_EQ(failed, 0);
  EXPECT_GT(latencies.size(), 20u);
  EXPECT_LT(latencies.back(), 1.0);
  EXPECT_GT(slow_open_mean, 150);
}

}  // namespace
}  // namespace qgate
