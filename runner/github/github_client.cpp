#include "runner/github/github_client.hpp"

#include <dlfcn.h>
#include <strings.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include "runner/core/version.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// Loads qgate_github.so once; returns nullptr and says why if it cannot.
const HttpApi* load_http_api(std::string& problem) {
  static const HttpApi* loaded = nullptr;
  static std::string why;
  static std::once_flag once;
  std::call_once(once, [] {
    std::vector<fs::path> candidates;
    if (const char* path = std::getenv("QGATE_GITHUB_PLUGIN")) candidates.emplace_back(path);
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
      candidates.push_back(self.parent_path() / "qgate_github.so");
      candidates.push_back(self.parent_path().parent_path() / "lib" / "qgate" / "qgate_github.so");
    }
    for (const auto& candidate : candidates) {
      if (!fs::exists(candidate, ec)) continue;
      void* handle = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (handle == nullptr) {
        why = dlerror();
        continue;
      }
      using Entry = const HttpApi* (*)();
      auto entry = reinterpret_cast<Entry>(dlsym(handle, "qgate_http_api"));
      if (entry == nullptr || entry()->version != kHttpApiVersion) {
        why = candidate.string() + " is not a qgate HTTP plugin of this version";
        continue;
      }
      loaded = entry();
      return;
    }
    if (why.empty()) why = "qgate_github.so was not found beside the qgate binary";
  });
  problem = why;
  return loaded;
}

class PluginTransport final : public HttpTransport {
 public:
  HttpResponse perform(const HttpRequest& request) override {
    std::string problem;
    const HttpApi* api = load_http_api(problem);
    HttpResponse response;
    if (api == nullptr) {
      response.error = "cannot load the HTTP client: " + problem;
      return response;
    }
    api->perform(request, response);
    return response;
  }
};

bool is_write(const std::string& method) { return method != "GET" && method != "HEAD"; }

long long header_number(const GithubResponse& response, std::string_view name, long long fallback) {
  const std::string value = response.header(name);
  if (value.empty()) return fallback;
  char* end = nullptr;
  const long long number = std::strtoll(value.c_str(), &end, 10);
  return end == value.c_str() ? fallback : number;
}

// GitHub's rate limits: a 429, or a 403 that says so in its headers or text
// (a plain 403 is a missing permission and is not retried).
bool is_rate_limited(const GithubResponse& response) {
  if (response.status == 429) return true;
  if (response.status != 403) return false;
  if (!response.header("retry-after").empty()) return true;
  if (response.header("x-ratelimit-remaining") == "0") return true;
  const std::string message =
      response.body.is_object() ? response.body.value("message", std::string()) : std::string();
  std::string lower = message;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("rate limit") != std::string::npos;
}

std::string describe_failure(const std::string& method, const std::string& path,
                             const GithubResponse& response, const std::string& transport_error) {
  std::string text = method + " " + path + ": ";
  if (response.status == 0) return text + transport_error;
  text += std::to_string(response.status);
  const std::string message = github_error_message(response.body);
  if (!message.empty()) {
    text += " " + message;
  } else if (!response.body.is_null()) {
    text += " " + response.body.dump().substr(0, 200);
  }
  return text;
}

}  // namespace

std::unique_ptr<HttpTransport> plugin_http_transport() {
  return std::make_unique<PluginTransport>();
}

GithubClientOptions github_options_from_environment(const std::string& token_env) {
  GithubClientOptions options;
  if (const char* url = std::getenv("GITHUB_API_URL"); url != nullptr && *url != '\0') {
    options.api_url = url;
  }
  const std::string name = token_env.empty() ? "GITHUB_TOKEN" : token_env;
  if (const char* token = std::getenv(name.c_str())) options.token = token;
  options.user_agent = std::string("qgate/") + kVersion;
  if (const char* wait = std::getenv("QGATE_GITHUB_MAX_WAIT")) {
    options.max_total_wait =
        milliseconds(static_cast<long long>(std::max(0.0, std::atof(wait)) * 1000));
  }
  if (const char* scale = std::getenv("QGATE_GITHUB_WAIT_SCALE")) {
    options.wait_scale = std::clamp(std::atof(scale), 0.0, 1.0);
  }
  return options;
}

std::string GithubResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) {
      return value;
    }
  }
  return {};
}

std::string github_error_message(const nlohmann::json& body) {
  if (!body.is_object()) return {};
  std::string text = body.contains("message") && body.at("message").is_string()
                         ? body.at("message").get<std::string>()
                         : std::string();
  std::string details;
  if (body.contains("errors") && body.at("errors").is_array()) {
    for (const auto& error : body.at("errors")) {
      std::string detail;
      if (error.is_string()) {
        detail = error.get<std::string>();
      } else if (error.is_object()) {
        if (error.contains("message") && error.at("message").is_string()) {
          detail = error.at("message").get<std::string>();
        } else {
          detail = error.value("resource", std::string()) + " " +
                   error.value("field", std::string()) + " " + error.value("code", std::string());
        }
      }
      if (!detail.empty()) details += (details.empty() ? "" : "; ") + detail;
    }
  }
  if (!details.empty()) text += (text.empty() ? "" : " ") + ("(" + details + ")");
  return text;
}

bool split_api_url(const std::string& url, std::string& origin, std::string& prefix) {
  std::string rest;
  std::string scheme;
  if (url.rfind("https://", 0) == 0) {
    scheme = "https://";
  } else if (url.rfind("http://", 0) == 0) {
    scheme = "http://";
  } else {
    return false;
  }
  rest = url.substr(scheme.size());
  const auto slash = rest.find('/');
  const std::string host = rest.substr(0, slash);
  if (host.empty()) return false;
  origin = scheme + host;
  prefix = slash == std::string::npos ? std::string() : rest.substr(slash);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return true;
}

GithubClient::GithubClient(GithubClientOptions options, std::shared_ptr<HttpTransport> transport,
                           RetryClock clock)
    : options_(std::move(options)),
      transport_(std::move(transport)),
      clock_(std::move(clock)),
      masker_(std::vector<std::string>{options_.token}) {
  if (!split_api_url(options_.api_url, origin_, path_prefix_)) {
    base_error_ = "the GitHub API URL '" + options_.api_url +
                  "' is not an http:// or https:// URL (GITHUB_API_URL)";
  }
}

void GithubClient::pause(milliseconds wait) {
  const auto scaled = milliseconds(static_cast<long long>(
      static_cast<double>(wait.count()) * std::clamp(options_.wait_scale, 0.0, 1.0)));
  if (scaled.count() <= 0) return;
  if (clock_.sleep) {
    clock_.sleep(scaled);
  } else {
    std::this_thread::sleep_for(scaled);
  }
}

GithubResponse GithubClient::request(const std::string& method, const std::string& path,
                                     const nlohmann::json& body) {
  GithubResponse response;
  if (!base_error_.empty()) {
    response.error = base_error_;
    return response;
  }
  // Writes go one after another, as GitHub asks of integrations (its
  // secondary rate limits punish concurrent writes).
  std::unique_lock<std::mutex> write_lock(write_mutex_, std::defer_lock);
  if (is_write(method)) write_lock.lock();

  HttpRequest http;
  http.origin = origin_;
  http.method = method;
  http.path = path_prefix_ + path;
  http.headers = {{"Accept", "application/vnd.github+json"},
                  {"X-GitHub-Api-Version", "2022-11-28"},
                  {"User-Agent", options_.user_agent}};
  if (!options_.token.empty())
    http.headers.emplace_back("Authorization", "Bearer " + options_.token);
  if (!body.is_null()) {
    http.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    http.content_type = "application/json";
  }
  http.connect_timeout_ms = static_cast<int>(options_.connect_timeout.count());
  http.read_timeout_ms = static_cast<int>(options_.read_timeout.count());

  static thread_local std::mt19937 random{std::random_device{}()};
  milliseconds waited{0};
  milliseconds backoff = options_.first_backoff;
  milliseconds rate_backoff = std::chrono::minutes(1);
  int server_failures = 0;
  for (int attempt = 1;; ++attempt) {
    HttpResponse raw = transport_->perform(http);
    response = GithubResponse{};
    response.attempts = attempt;
    response.status = raw.status;
    response.headers = std::move(raw.headers);
    if (!raw.body.empty()) {
      response.body = nlohmann::json::parse(raw.body, nullptr, false);
      if (response.body.is_discarded()) response.body = nlohmann::json();
    }
    if (response.ok()) return response;
    const std::string transport_error = masker_.mask(raw.error);

    milliseconds wait{0};
    std::string why;
    if (response.status == 0 || response.status >= 500) {
      if (++server_failures >= options_.max_attempts) {
        response.error = describe_failure(method, path, response, transport_error) + " (after " +
                         std::to_string(attempt) + " attempts)";
        break;
      }
      // Exponential backoff with jitter, so that many clients do not retry in step.
      std::uniform_int_distribution<long long> jitter(0, backoff.count() / 2);
      wait = backoff + milliseconds(jitter(random));
      backoff = std::min(backoff * 2, options_.longest_backoff);
      why = "server error";
    } else if (is_rate_limited(response)) {
      const long long retry_after = header_number(response, "retry-after", -1);
      if (retry_after >= 0) {
        wait = std::chrono::seconds(retry_after);
      } else if (response.header("x-ratelimit-remaining") == "0") {
        const long long reset = header_number(response, "x-ratelimit-reset", -1);
        const auto now = std::chrono::duration_cast<milliseconds>(clock_.now().time_since_epoch());
        // The reset time is in whole seconds; a second more makes sure it has passed.
        wait =
            std::max(milliseconds(0), std::chrono::seconds(reset) - now) + std::chrono::seconds(1);
      } else {
        // A secondary rate limit without a hint: GitHub asks for at least a
        // minute, and longer after each refusal.
        wait = rate_backoff;
        rate_backoff *= 2;
      }
      why = "rate limited";
    } else {
      response.error = describe_failure(method, path, response, transport_error);
      break;
    }
    if (waited + wait > options_.max_total_wait) {
      response.error = describe_failure(method, path, response, transport_error) + " (" + why +
                       "; waiting " + std::to_string((wait.count() + 999) / 1000) +
                       " s more would pass the limit of " +
                       std::to_string(options_.max_total_wait.count() / 1000) + " s)";
      break;
    }
    waited += wait;
    pause(wait);
  }
  response.error = masker_.mask(response.error);
  return response;
}

}  // namespace qgate
