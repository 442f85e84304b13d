#pragma once
// A client of GitHub's REST API: authentication, the headers GitHub asks for,
// timeouts, and retries that honour its rate limits. Requests go through an
// HttpTransport; the real one is the plugin qgate_github.so, loaded on first
// use so that runs which never talk to GitHub do not pay for OpenSSL.
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "runner/core/secret_masker.hpp"
#include "runner/github/github_plugin.hpp"

namespace qgate {

// Sends one HTTP request and returns what came back (no retries).
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Sends `request`; a response with status 0 and `error` set means no answer.
  virtual HttpResponse perform(const HttpRequest& request) = 0;
};

// Returns the transport of the plugin qgate_github.so (beside the binary, or
// $QGATE_GITHUB_PLUGIN); if it cannot be loaded, every request fails with why.
std::unique_ptr<HttpTransport> plugin_http_transport();

// The time source and the pause between retries, replaceable in tests.
struct RetryClock {
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
  std::function<void(std::chrono::milliseconds)> sleep;  // empty: std::this_thread::sleep_for
};

// How the client reaches GitHub and how long it keeps trying.
struct GithubClientOptions {
  std::string api_url = "https://api.github.com";  // GitHub Enterprise: https://HOST/api/v3
  std::string token;                               // sent as "Authorization: Bearer"
  std::string user_agent = "qgate";
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds read_timeout{std::chrono::seconds(30)};
  int max_attempts = 5;  // per request, for server errors and network failures
  std::chrono::milliseconds first_backoff{std::chrono::seconds(1)};
  std::chrono::milliseconds longest_backoff{std::chrono::seconds(30)};
  // The most a request waits in all (backoff and rate limits) before it fails.
  std::chrono::milliseconds max_total_wait{std::chrono::minutes(5)};
  // Multiplies every pause actually slept (tests: 0.01 waits a "minute" in 0.6 s);
  // limits are judged on the unscaled waits.
  double wait_scale = 1.0;
};

// Reads GITHUB_API_URL, the token from `token_env` (GITHUB_TOKEN when empty),
// QGATE_GITHUB_MAX_WAIT (seconds) and QGATE_GITHUB_WAIT_SCALE (tests only).
GithubClientOptions github_options_from_environment(const std::string& token_env = {});

// One answer of the API.
struct GithubResponse {
  int status = 0;  // 0: no answer after the retries
  HttpHeaders headers;
  nlohmann::json body;  // the parsed body; null when empty or not JSON
  std::string error;    // for a failure: "POST /repos/o/r/pulls: 422 Validation Failed (...)"
  int attempts = 0;

  bool ok() const { return status >= 200 && status < 300; }
  // Returns the value of header `name` (any case), or "".
  std::string header(std::string_view name) const;
};

// Returns GitHub's explanation in `body`: its `message` and the messages of
// its `errors`, e.g. "Validation Failed (A pull request already exists for o:b.)".
std::string github_error_message(const nlohmann::json& body);

class GithubClient {
 public:
  GithubClient(GithubClientOptions options, std::shared_ptr<HttpTransport> transport,
               RetryClock clock = {});

  // Sends `method` to `path` (below the API URL, e.g. "/repos/o/r/pulls"),
  // with `body` as JSON unless it is null; retries as GitHub's documentation
  // asks and returns the last answer. Writes are sent one at a time.
  GithubResponse request(const std::string& method, const std::string& path,
                         const nlohmann::json& body = nullptr);
  GithubResponse get(const std::string& path) { return request("GET", path); }
  GithubResponse post(const std::string& path, const nlohmann::json& body) {
    return request("POST", path, body);
  }
  GithubResponse patch(const std::string& path, const nlohmann::json& body) {
    return request("PATCH", path, body);
  }

  // Returns true when a token is configured.
  bool has_token() const { return !options_.token.empty(); }
  const GithubClientOptions& options() const { return options_; }

 private:
  void pause(std::chrono::milliseconds wait);

  GithubClientOptions options_;
  std::string origin_;       // scheme://host[:port]
  std::string path_prefix_;  // "/api/v3" for GitHub Enterprise, else ""
  std::string base_error_;   // why the API URL is unusable, if it is
  std::shared_ptr<HttpTransport> transport_;
  RetryClock clock_;
  SecretMasker masker_;  // the token, in case a server echoes it
  std::mutex write_mutex_;
};

// Splits an API URL into origin and path prefix; returns false for a URL that
// is not http:// or https://.
bool split_api_url(const std::string& url, std::string& origin, std::string& prefix);

}  // namespace qgate
