// qgate's side of the run queue: the plugin's functions (runner/store/pg_plugin.hpp)
// behind RunQueue, and the checks every request passes before it is queued.
#include "runner/store/run_queue.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "runner/store/pg_plugin.hpp"

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
  void append_log(const QueueItem& item, int seq, const std::string& chunk) override {
    const std::string text = valid_utf8(chunk);
    if (text.size() > kLogChunkBytes) {
      throw StoreError("a log chunk of " + std::to_string(text.size()) + " bytes is over " +
                       std::to_string(kLogChunkBytes));
    }
    PgError error;
    postgres_plugin().queue_append_log(queue_, item, seq, text, error);
    check(error);
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

bool has_whitespace_or_control(const std::string& text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return true;
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
  if (request.module_path.empty() && request.repository.empty()) {
    return "a module folder or a git repository is needed";
  }
  if (!request.module_path.empty()) {
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
  }
  if (!request.repository.empty()) {
    if (std::string problem = validate_repository(request.repository); !problem.empty()) {
      return problem;
    }
  }
  if (request.max_attempts < 1 || request.max_attempts > 10) {
    return "max attempts must be from 1 to 10";
  }
  if (request.idempotency_key.size() > 200 || has_control_character(request.idempotency_key)) {
    return "the idempotency key must be at most 200 printable characters";
  }
  return validate_options(request.options_json);
}

std::string validate_repository(const std::string& repository) {
  // Shown in the problem only once it is known not to hold a password.
  const std::string kinds =
      "an absolute path, a file://, https://, http:// or ssh:// URL, or user@host:path";
  if (repository.empty() || repository.size() > 1024) {
    return "the repository must be " + kinds + " of at most 1024 characters";
  }
  if (repository.front() == '-') {
    return "the repository must not start with '-' (git would read it as an option)";
  }
  if (has_whitespace_or_control(repository)) {
    return "the repository must not hold whitespace or control characters";
  }
  if (repository.front() == '/') return "";
  // A host name or address, with an optional port: never read as an option.
  auto host_problem = [&](const std::string& host) -> std::string {
    if (host.empty() || host.front() == '-' || host.front() == '.' ||
        !only_characters(host, ".-:[]")) {
      return "the repository's host must be a host name or address";
    }
    return "";
  };
  const auto scheme_end = repository.find("://");
  if (scheme_end != std::string::npos) {
    std::string scheme = repository.substr(0, scheme_end);
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::string rest = repository.substr(scheme_end + 3);
    if (scheme == "file") {
      if (rest.empty() || rest.front() != '/') {
        return "a file:// repository must be file:///absolute/path";
      }
      return "";
    }
    if (scheme != "https" && scheme != "http" && scheme != "ssh") {
      return "the repository must be " + kinds + " (not " + scheme + "://)";
    }
    const auto slash = rest.find('/');
    const std::string authority = rest.substr(0, slash);
    if (slash == std::string::npos || slash + 1 >= rest.size()) {
      return "the repository URL must name a path on its host";
    }
    const auto at = authority.rfind('@');
    if (at != std::string::npos && authority.substr(0, at).find(':') != std::string::npos) {
      // Credentials come from QGATE_GIT_TOKEN on the worker: a password in
      // the URL would be kept in the queue, shown by `queue show`, logged.
      return "the repository URL must not carry a password (give the worker QGATE_GIT_TOKEN)";
    }
    const std::string user = at == std::string::npos ? "" : authority.substr(0, at);
    if (!user.empty() && (user.front() == '-' || !only_characters(user, "._-%"))) {
      return "the repository URL's user name must be letters, digits, '.', '_', '-' or '%'";
    }
    return host_problem(at == std::string::npos ? authority : authority.substr(at + 1));
  }
  // scp-like user@host:path; git takes it so only with no '/' before the ':'.
  const auto at = repository.find('@');
  const auto colon = repository.find(':');
  const auto slash = repository.find('/');
  if (at == std::string::npos || at == 0 || colon == std::string::npos || colon < at ||
      colon + 1 >= repository.size() || (slash != std::string::npos && slash < colon)) {
    return "the repository must be " + kinds;
  }
  if (!only_characters(repository.substr(0, at), "._-")) {
    return "the repository's user name must be letters, digits, '.', '_' or '-'";
  }
  const std::string host = repository.substr(at + 1, colon - at - 1);
  if (host.find_first_of(":[]") != std::string::npos) return "the repository must be " + kinds;
  return host_problem(host);
}

std::string valid_utf8(std::string_view text) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = [&](std::size_t at) { return static_cast<unsigned char>(text[at]); };
    const unsigned char lead = byte(i);
    if (lead != 0 && lead < 0x80) {
      out.push_back(static_cast<char>(lead));
      ++i;
      continue;
    }
    // Length and the range of the second byte (no overlong forms, no
    // surrogates, nothing past U+10FFFF).
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;
      if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;
      if (lead == 0xF4) high = 0x8F;
    }
    bool valid = length > 0 && i + length <= text.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      const unsigned char next = byte(i + k);
      valid = k == 1 ? next >= low && next <= high : next >= 0x80 && next <= 0xBF;
    }
    if (valid) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out.append(kReplacement);
      ++i;
    }
  }
  return out;
}

}  // namespace qgate
