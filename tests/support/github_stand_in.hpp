#pragma once
// A local stand-in for GitHub's REST API, on 127.0.0.1 in its own thread, for
// the tests of qgate's GitHub client. It keeps to the documented contract of
// the endpoints qgate uses (pulls, reviews, commit statuses, check runs):
// authentication, JSON bodies, required fields, GitHub's error shapes and
// limits. Faults (rate limits, server errors, slow answers) are programmed
// per test, and every request is recorded for assertions.
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace qgate::testing {

// One request as the stand-in received it.
struct RecordedRequest {
  std::string method;
  std::string path;       // without the query, and without an /api/v3 prefix
  std::string full_path;  // as sent, without the query
  std::string query;
  std::multimap<std::string, std::string> headers;
  std::string body;
  int status = 0;  // what the stand-in answered
  std::chrono::steady_clock::time_point at;
};

// An answer given instead of the real one to the next `count` requests whose
// method and path match (empty: any).
struct Fault {
  // Answers `status` (500 by default) to the next `count` requests.
  explicit Fault(int status_code = 500, int times = 1) : count(times), status(status_code) {}
  Fault& with_headers(std::vector<std::pair<std::string, std::string>> value) {
    headers = std::move(value);
    return *this;
  }
  Fault& with_body(nlohmann::json value) {
    body = std::move(value);
    return *this;
  }
  // Sleeps `value` before answering (a slow response).
  Fault& with_delay(std::chrono::milliseconds value) {
    delay = value;
    return *this;
  }
  // After the delay, answers as if there were no fault.
  Fault& answering_normally() {
    answer_normally = true;
    return *this;
  }
  // Applies only to `http_method` (empty: any) on paths starting with `prefix`.
  Fault& only(std::string http_method, std::string prefix) {
    method = std::move(http_method);
    path_prefix = std::move(prefix);
    return *this;
  }

  int count = 1;
  int status = 500;
  std::vector<std::pair<std::string, std::string>> headers;
  nlohmann::json body = nlohmann::json{{"message", "Server Error"}};
  std::chrono::milliseconds delay{0};
  bool answer_normally = false;
  std::string method;
  std::string path_prefix;
};

// A review on a pull request.
struct StandInReview {
  std::string user;
  std::string state;  // APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED
};

// The token the stand-in expects unless given another.
inline constexpr std::string_view kStandInToken =
    "ghs_standInToken0123456789abcdef";  // qgate:allow-secret (made up)

class GithubStandIn {
 public:
  // Starts serving on an ephemeral port; requests must carry `token`.
  explicit GithubStandIn(std::string token = std::string(kStandInToken));
  ~GithubStandIn();
  GithubStandIn(const GithubStandIn&) = delete;
  GithubStandIn& operator=(const GithubStandIn&) = delete;

  // Returns "http://127.0.0.1:PORT" (the API root; /api/v3 below it works too).
  std::string url() const;
  int port() const { return port_; }
  const std::string& token() const { return token_; }

  // Programs `fault`.
  void add_fault(Fault fault);
  // Opens a pull request as if someone had, returning its number.
  int add_pull(const std::string& repo, const std::string& head_owner, const std::string& branch,
               const std::string& base, const std::string& title, const std::string& body);
  // Adds a review by `user` on pull `number` of `repo` ("owner/name").
  void add_review(const std::string& repo, int number, const std::string& user,
                  const std::string& state);

  // Returns every request so far.
  std::vector<RecordedRequest> requests() const;
  // Returns the requests with `method` whose path starts with `path_prefix`.
  std::vector<RecordedRequest> requests(const std::string& method,
                                        const std::string& path_prefix) const;
  // Returns the pull requests of `repo` as GitHub would list them.
  std::vector<nlohmann::json> pulls(const std::string& repo) const;
  // Returns the commit statuses posted to `repo`, oldest first.
  std::vector<nlohmann::json> statuses(const std::string& repo) const;
  // Returns the check runs of `repo`, each with every annotation it received.
  std::vector<nlohmann::json> check_runs(const std::string& repo) const;
  // Returns the bodies posted to the webhook at url() + "/hooks/...".
  std::vector<nlohmann::json> webhook_messages() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string token_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace qgate::testing
