// The stand-in answers as GitHub's REST documentation says the real API does
// (docs.github.com/en/rest: pulls, pulls/reviews, commits/statuses,
// checks/runs): 401 "Bad credentials" without the token, 422 "Validation
// Failed" with an `errors` list for missing or invalid fields and for a second
// open pull request of the same head, at most 50 annotations per check-run
// request, and 65,535 characters for a check run's summary and text.
#include "tests/support/github_stand_in.hpp"

#include <httplib.h>

#include <algorithm>
#include <atomic>

namespace qgate::testing {
namespace {

nlohmann::json error_body(const std::string& message, nlohmann::json errors = nullptr) {
  nlohmann::json body{{"message", message}, {"documentation_url", "https://docs.github.com/rest"}};
  if (!errors.is_null()) body["errors"] = std::move(errors);
  return body;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 1;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto end = slash == std::string::npos ? path.size() : slash;
    parts.push_back(path.substr(start, end - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

bool is_number(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), ::isdigit);
}

}  // namespace

struct GithubStandIn::Impl {
  httplib::Server server;
  mutable std::mutex mutex;
  std::vector<RecordedRequest> requests;
  std::vector<Fault> faults;
  std::map<std::string, std::vector<nlohmann::json>> pulls;       // by "owner/name"
  std::map<std::string, std::vector<nlohmann::json>> statuses;    // by "owner/name"
  std::map<std::string, std::vector<nlohmann::json>> check_runs;  // by "owner/name"
  std::map<std::string, std::vector<StandInReview>> reviews;      // by "owner/name#n"
  std::vector<nlohmann::json> webhooks;
  int next_id = 1000;
  std::string base_url;
  std::string token;

  struct Answer {
    int status = 200;
    nlohmann::json body;
    std::vector<std::pair<std::string, std::string>> headers;
  };

  nlohmann::json pull_json(const std::string& repo, int number, const std::string& head_owner,
                           const std::string& branch, const std::string& base,
                           const std::string& title, const std::string& body) {
    return {{"id", ++next_id},
            {"number", number},
            {"state", "open"},
            {"title", title},
            {"body", body},
            {"url", base_url + "/repos/" + repo + "/pulls/" + std::to_string(number)},
            {"html_url", base_url + "/" + repo + "/pull/" + std::to_string(number)},
            {"head", {{"ref", branch}, {"label", head_owner + ":" + branch}}},
            {"base", {{"ref", base}}},
            {"user", {{"login", head_owner}}}};
  }

  // Answers a request that passed authentication (called with `mutex` held).
  Answer route(const std::string& method, const std::string& path, const httplib::Params& params,
               const nlohmann::json& body) {
    const auto parts = split_path(path);
    if (parts.size() >= 2 && parts[0] == "hooks" && method == "POST") {
      webhooks.push_back(body);
      return {200, "ok", {}};
    }
    if (parts.size() < 4 || parts[0] != "repos") return {404, error_body("Not Found"), {}};
    const std::string repo = parts[1] + "/" + parts[2];
    const std::string& kind = parts[3];

    if (kind == "pulls" && parts.size() == 4 && method == "GET") {
      const auto param = [&](const std::string& name, const std::string& fallback) {
        auto it = params.find(name);
        return it == params.end() ? fallback : it->second;
      };
      const std::string state = param("state", "open");
      const std::string head = param("head", "");
      nlohmann::json list = nlohmann::json::array();
      for (const auto& pull : pulls[repo]) {
        if (state != "all" && pull.at("state") != state) continue;
        if (!head.empty() && pull.at("head").at("label") != head) continue;
        list.push_back(pull);
      }
      return {200, list, {}};
    }
    if (kind == "pulls" && parts.size() == 4 && method == "POST") {
      nlohmann::json errors = nlohmann::json::array();
      for (const char* field : {"title", "head", "base"}) {
        if (!body.contains(field) || !body.at(field).is_string() ||
            body.at(field).get<std::string>().empty()) {
          errors.push_back(
              {{"resource", "PullRequest"}, {"field", field}, {"code", "missing_field"}});
        }
      }
      if (!errors.empty()) return {422, error_body("Validation Failed", errors), {}};
      const std::string text = body.value("body", "");
      if (text.size() > 65536) {
        return {422,
                error_body("Validation Failed",
                           {{{"resource", "Issue"},
                             {"field", "body"},
                             {"code", "custom"},
                             {"message", "body is too long (maximum is 65536 characters)"}}}),
                {}};
      }
      std::string head = body.at("head").get<std::string>();
      std::string head_owner = parts[1];
      if (const auto colon = head.find(':'); colon != std::string::npos) {
        head_owner = head.substr(0, colon);
        head = head.substr(colon + 1);
      }
      for (const auto& pull : pulls[repo]) {
        if (pull.at("state") == "open" && pull.at("head").at("label") == head_owner + ":" + head) {
          return {
              422,
              error_body("Validation Failed", {{{"resource", "PullRequest"},
                                                {"code", "custom"},
                                                {"message", "A pull request already exists for " +
                                                                head_owner + ":" + head + "."}}}),
              {}};
        }
      }
      const int number = static_cast<int>(pulls[repo].size()) + 1;
      pulls[repo].push_back(
          pull_json(repo, number, head_owner, head, body.at("base"), body.at("title"), text));
      return {201, pulls[repo].back(), {}};
    }
    if (kind == "pulls" && parts.size() >= 5 && is_number(parts[4])) {
      const int number = std::stoi(parts[4]);
      auto& list = pulls[repo];
      if (number < 1 || number > static_cast<int>(list.size())) {
        return {404, error_body("Not Found"), {}};
      }
      auto& pull = list[static_cast<std::size_t>(number - 1)];
      if (parts.size() == 5 && method == "GET") return {200, pull, {}};
      if (parts.size() == 5 && method == "PATCH") {
        for (const char* field : {"title", "body", "state"}) {
          if (body.contains(field)) pull[field] = body.at(field);
        }
        if (body.contains("base")) pull["base"]["ref"] = body.at("base");
        if (pull.value("body", "").size() > 65536) {
          return {422, error_body("Validation Failed", {"body is too long"}), {}};
        }
        return {200, pull, {}};
      }
      if (parts.size() == 6 && parts[5] == "reviews" && method == "GET") {
        nlohmann::json list_json = nlohmann::json::array();
        int id = 1;
        for (const auto& review : reviews[repo + "#" + parts[4]]) {
          list_json.push_back({{"id", id++},
                               {"user", {{"login", review.user}}},
                               {"state", review.state},
                               {"body", ""},
                               {"submitted_at", "2026-11-22T00:00:00Z"}});
        }
        return {200, list_json, {}};
      }
    }
    if (kind == "statuses" && parts.size() == 5 && method == "POST") {
      const std::string state = body.value("state", "");
      if (state != "error" && state != "failure" && state != "pending" && state != "success") {
        return {422,
                error_body("Validation Failed",
                           {{{"resource", "Status"}, {"field", "state"}, {"code", "invalid"}}}),
                {}};
      }
      if (body.value("description", "").size() > 140) {
        return {422,
                error_body("Validation Failed",
                           {{{"resource", "Status"},
                             {"field", "description"},
                             {"code", "custom"},
                             {"message", "description is too long (maximum is 140 characters)"}}}),
                {}};
      }
      nlohmann::json status = body;
      status["id"] = ++next_id;
      status["sha"] = parts[4];
      statuses[repo].push_back(status);
      return {201, status, {}};
    }
    if (kind == "check-runs" && (method == "POST" || method == "PATCH")) {
      nlohmann::json* run = nullptr;
      if (method == "POST") {
        if (parts.size() != 4) return {404, error_body("Not Found"), {}};
        nlohmann::json errors = nlohmann::json::array();
        for (const char* field : {"name", "head_sha"}) {
          if (!body.contains(field) || !body.at(field).is_string()) {
            errors.push_back(
                {{"resource", "CheckRun"}, {"field", field}, {"code", "missing_field"}});
          }
        }
        if (!errors.empty()) return {422, error_body("Validation Failed", errors), {}};
      } else {
        if (parts.size() != 5 || !is_number(parts[4])) return {404, error_body("Not Found"), {}};
        for (auto& candidate : check_runs[repo]) {
          if (candidate.at("id") == std::stoi(parts[4])) run = &candidate;
        }
        if (run == nullptr) return {404, error_body("Not Found"), {}};
      }
      if (body.contains("status") && body.at("status") == "completed" &&
          !body.contains("conclusion")) {
        return {
            422,
            error_body("Invalid request.\n\n\"conclusion\" is required when status is completed."),
            {}};
      }
      if (body.contains("output")) {
        const auto& output = body.at("output");
        if (!output.contains("title") || !output.contains("summary")) {
          return {
              422, error_body("Invalid request.\n\n\"title\", \"summary\" weren't supplied."), {}};
        }
        for (const char* field : {"summary", "text"}) {
          if (output.value(field, "").size() > 65535) {
            return {422,
                    error_body("Invalid request.\n\nOnly 65535 characters are allowed; " +
                               std::to_string(output.value(field, "").size()) + " were supplied."),
                    {}};
          }
        }
        if (output.contains("annotations")) {
          const auto& annotations = output.at("annotations");
          if (annotations.size() > 50) {
            return {422,
                    error_body("Invalid request.\n\nOnly 50 annotations are allowed per request; " +
                               std::to_string(annotations.size()) + " were supplied."),
                    {}};
          }
          for (const auto& annotation : annotations) {
            for (const char* field :
                 {"path", "start_line", "end_line", "annotation_level", "message"}) {
              if (!annotation.contains(field)) {
                return {422,
                        error_body(std::string("Invalid request.\n\n\"") + field +
                                   "\" wasn't supplied."),
                        {}};
              }
            }
            const std::string level = annotation.at("annotation_level");
            if (level != "notice" && level != "warning" && level != "failure") {
              return {422, error_body("Invalid request.\n\nannotation_level is not valid."), {}};
            }
          }
        }
      }
      if (run == nullptr) {
        nlohmann::json created = body;
        created["id"] = ++next_id;
        created["all_annotations"] = nlohmann::json::array();
        check_runs[repo].push_back(created);
        run = &check_runs[repo].back();
      }
      for (const auto& [key, value] : body.items()) {
        if (key != "output") (*run)[key] = value;
      }
      if (body.contains("output")) {
        auto output = body.at("output");
        if (output.contains("annotations")) {
          for (const auto& annotation : output.at("annotations")) {
            (*run)["all_annotations"].push_back(annotation);
          }
        }
        (*run)["output"] = output;
      }
      nlohmann::json answer = *run;
      answer.erase("all_annotations");
      return {method == "POST" ? 201 : 200, answer, {}};
    }
    return {404, error_body("Not Found"), {}};
  }

  void handle(const httplib::Request& req, httplib::Response& res) {
    std::string path = req.path;
    if (path.rfind("/api/v3/", 0) == 0) path = path.substr(7);
    RecordedRequest recorded;
    recorded.method = req.method;
    recorded.path = path;
    recorded.full_path = req.path;
    for (const auto& [name, value] : req.params) {
      recorded.query += (recorded.query.empty() ? "" : "&") + name + "=" + value;
    }
    for (const auto& [name, value] : req.headers) recorded.headers.emplace(name, value);
    recorded.body = req.body;
    recorded.at = std::chrono::steady_clock::now();

    Answer answer;
    std::chrono::milliseconds delay{0};
    {
      std::lock_guard<std::mutex> lock(mutex);
      const bool webhook = path.rfind("/hooks/", 0) == 0;
      const std::string auth = req.get_header_value("Authorization");
      const bool authorised = webhook || auth == "Bearer " + token || auth == "token " + token;
      const bool writes = req.method == "POST" || req.method == "PATCH" || req.method == "PUT";
      const std::string content_type = req.get_header_value("Content-Type");
      Fault* fault = nullptr;
      for (auto& candidate : faults) {
        if (candidate.count > 0 && (candidate.method.empty() || candidate.method == req.method) &&
            path.rfind(candidate.path_prefix, 0) == 0) {
          fault = &candidate;
          break;
        }
      }
      if (!authorised) {
        answer = {401, error_body("Bad credentials"), {}};
      } else if (fault != nullptr && !fault->answer_normally) {
        --fault->count;
        answer = {fault->status, fault->body, fault->headers};
        delay = fault->delay;
      } else {
        if (fault != nullptr) {
          --fault->count;
          delay = fault->delay;
        }
        nlohmann::json body;
        if (writes && content_type.rfind("application/json", 0) != 0) {
          answer = {415, error_body("Unsupported 'Content-Type' header: use application/json"), {}};
        } else if (writes &&
                   !(body = nlohmann::json::parse(req.body, nullptr, false)).is_object()) {
          answer = {400, error_body("Problems parsing JSON"), {}};
        } else {
          answer = route(req.method, path, req.params, body);
        }
      }
      recorded.status = answer.status;
      requests.push_back(recorded);
    }
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    res.status = answer.status;
    for (const auto& [name, value] : answer.headers) res.set_header(name, value);
    res.set_header("X-GitHub-Media-Type", "github.v3; format=json");
    if (answer.body.is_string()) {
      res.set_content(answer.body.get<std::string>(), "text/plain");
    } else {
      res.set_content(answer.body.dump(), "application/json; charset=utf-8");
    }
  }
};

GithubStandIn::GithubStandIn(std::string token) : impl_(std::make_unique<Impl>()), token_(token) {
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    impl_->handle(req, res);
  };
  impl_->server.Get(".*", handler);
  impl_->server.Post(".*", handler);
  impl_->server.Patch(".*", handler);
  impl_->server.Put(".*", handler);
  impl_->server.Delete(".*", handler);
  port_ = impl_->server.bind_to_any_port("127.0.0.1");
  impl_->base_url = url();
  impl_->token = std::move(token);
  thread_ = std::thread([this] { impl_->server.listen_after_bind(); });
  // stop() before the thread is listening would be missed and join() would hang.
  while (!impl_->server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

GithubStandIn::~GithubStandIn() {
  impl_->server.stop();
  if (thread_.joinable()) thread_.join();
}

std::string GithubStandIn::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void GithubStandIn::add_fault(Fault fault) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->faults.push_back(std::move(fault));
}

int GithubStandIn::add_pull(const std::string& repo, const std::string& head_owner,
                            const std::string& branch, const std::string& base,
                            const std::string& title, const std::string& body) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto& list = impl_->pulls[repo];
  const int number = static_cast<int>(list.size()) + 1;
  list.push_back(impl_->pull_json(repo, number, head_owner, branch, base, title, body));
  return number;
}

void GithubStandIn::add_review(const std::string& repo, int number, const std::string& user,
                               const std::string& state) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->reviews[repo + "#" + std::to_string(number)].push_back({user, state});
}

std::vector<RecordedRequest> GithubStandIn::requests() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->requests;
}

std::vector<RecordedRequest> GithubStandIn::requests(const std::string& method,
                                                     const std::string& path_prefix) const {
  std::vector<RecordedRequest> out;
  for (auto& request : requests()) {
    if (request.method == method && request.path.rfind(path_prefix, 0) == 0) {
      out.push_back(std::move(request));
    }
  }
  return out;
}

std::vector<nlohmann::json> GithubStandIn::pulls(const std::string& repo) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto it = impl_->pulls.find(repo);
  return it == impl_->pulls.end() ? std::vector<nlohmann::json>{} : it->second;
}

std::vector<nlohmann::json> GithubStandIn::statuses(const std::string& repo) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto it = impl_->statuses.find(repo);
  return it == impl_->statuses.end() ? std::vector<nlohmann::json>{} : it->second;
}

std::vector<nlohmann::json> GithubStandIn::check_runs(const std::string& repo) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto it = impl_->check_runs.find(repo);
  return it == impl_->check_runs.end() ? std::vector<nlohmann::json>{} : it->second;
}

std::vector<nlohmann::json> GithubStandIn::webhook_messages() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->webhooks;
}

}  // namespace qgate::testing
