// qgate's side of the run queue: the plugin's functions (runner/pg_plugin.hpp)
// behind RunQueue, and the checks every request passes before it is queued.
#include "runner/run_queue.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "runner/pg_plugin.hpp"

namespace qgate {
namespace {

void check(const PgError& error) {
  if (error.failed) {
    throw StoreError(error.message,
                     error.unavailable ? StoreFailure::unavailable : StoreFailure::permanent);
  }
}

class PluginRunQueue final : public RunQueue {
 public:
  explicit PluginRunQueue(void* queue) : queue_(queue) {}
  ~PluginRunQueue() override { postgres_plugin().queue_close(queue_); }
  PluginRunQueue(const PluginRunQueue&) = delete;
  PluginRunQueue& operator=(const PluginRunQueue&) = delete;

  Enqueued enqueue(const QueueRequest& request) override {
    if (const std::string problem = validate_queue_request(request); !problem.empty()) {
      throw QueueRequestRejected(problem);
    }
    Enqueued enqueued = call<Enqueued>(postgres_plugin().queue_enqueue, request);
    if (!enqueued.rejected.empty()) throw QueueRequestRejected(enqueued.rejected);
    return enqueued;
  }
  std::optional<QueueItem> claim(const QueueWorker& worker, int lease_seconds) override {
    return call<std::optional<QueueItem>>(postgres_plugin().queue_claim, worker, lease_seconds);
  }
  LeaseState renew(const QueueItem& item, int lease_seconds) override {
    return call<LeaseState>(postgres_plugin().queue_renew, item, lease_seconds);
  }
  bool finish(const QueueItem& item, const std::string& status, const std::string& run_id,
              int exit_code, const std::string& message) override {
    return call<bool>(postgres_plugin().queue_finish, item, status, run_id, exit_code, message);
  }
  bool hand_back(const QueueItem& item) override {
    return call<bool>(postgres_plugin().queue_hand_back, item);
  }
  SweepOutcome sweep_expired() override {
    return call<SweepOutcome>(postgres_plugin().queue_sweep);
  }
  std::optional<QueueItem> request_cancel(const std::string& id) override {
    return call<std::optional<QueueItem>>(postgres_plugin().queue_cancel, id);
  }
  std::vector<QueueItem> list(const QueueQuery& query) override {
    return call<std::vector<QueueItem>>(postgres_plugin().queue_list, query);
  }
  std::optional<QueueItem> get(const std::string& id) override {
    return call<std::optional<QueueItem>>(postgres_plugin().queue_get, id);
  }

 private:
  // Calls plugin function `function(queue, arguments..., out, error)`.
  template <typename Out, typename Function, typename... Arguments>
  Out call(Function function, const Arguments&... arguments) {
    Out out{};
    PgError error;
    function(queue_, arguments..., out, error);
    check(error);
    return out;
  }

  void* queue_;
};

bool has_control_character(const std::string& text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

bool only_characters(const std::string& text, const std::string& allowed_punctuation) {
  for (char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        allowed_punctuation.find(c) == std::string::npos) {
      return false;
    }
  }
  return true;
}

std::string validate_options(const std::string& text) {
  const auto options = nlohmann::json::parse(text, nullptr, false);
  if (options.is_discarded() || !options.is_object()) return "options must be a JSON object";
  for (const auto& [key, value] : options.items()) {
    if (key == "jobs") {
      if (!value.is_number_integer() || value.get<long long>() < 1 ||
          value.get<long long>() > 4096) {
        return "options.jobs must be an integer from 1 to 4096";
      }
    } else if (key == "fail_fast" || key == "open_pr") {
      if (!value.is_boolean()) return "options." + key + " must be true or false";
    } else if (key == "callback_url") {
      if (!value.is_string() || has_control_character(value.get<std::string>())) {
        return "options.callback_url must be a URL";
      }
    } else {
      return "unknown option '" + key + "' (jobs, fail_fast, open_pr, callback_url)";
    }
  }
  return "";
}

}  // namespace

std::unique_ptr<RunQueue> open_run_queue(const std::string& url, const RetryBudget& retry) {
  PgError error;
  void* queue = postgres_plugin().queue_open(url, retry, error);
  check(error);
  return std::make_unique<PluginRunQueue>(queue);
}

bool is_uuid(const std::string& text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (text[i] == '-')) return false;
    if (!dash && !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

std::string validate_queue_request(const QueueRequest& request) {
  namespace fs = std::filesystem;
  if (request.module_id.empty() || request.module_id.size() > 20 ||
      !only_characters(request.module_id, "._-")) {
    return "module id '" + request.module_id + "' must be 1 to 20 letters, digits, '.', '_' or '-'";
  }
  if (!request.checkout_id.empty() && !is_uuid(request.checkout_id)) {
    return "checkout id '" + request.checkout_id + "' is not a UUID";
  }
  if (request.ref.size() > 255 || !only_characters(request.ref, "._/+-") ||
      request.ref.rfind('-', 0) == 0 || request.ref.find("..") != std::string::npos) {
    return "ref '" + request.ref + "' is not a plain git ref name";
  }
  if (request.module_path.empty())
    return "a module folder is needed (workspaces from git come later)";
  const fs::path path(request.module_path);
  if (request.module_path.size() > 4096 || has_control_character(request.module_path) ||
      !path.is_absolute() || path.lexically_normal() != path) {
    return "module path '" + request.module_path +
           "' must be an absolute folder without '.' or '..' parts";
  }
  for (const auto& part : path) {
    if (part == "." || part == "..") {
      return "module path '" + request.module_path + "' must not have '.' or '..' parts";
    }
  }
  if (request.repository.size() > 1024 || has_control_character(request.repository)) {
    return "repository must be a URL or path of at most 1024 characters";
  }
  if (request.max_attempts < 1 || request.max_attempts > 10) {
    return "max attempts must be from 1 to 10";
  }
  if (request.idempotency_key.size() > 200 || has_control_character(request.idempotency_key)) {
    return "the idempotency key must be at most 200 printable characters";
  }
  return validate_options(request.options_json);
}

}  // namespace qgate
