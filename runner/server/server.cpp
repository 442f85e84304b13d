// `qgate serve`: routes, authentication and answers (runner/server/server.hpp).
// This file and callbacks.cpp are the only ones to include httplib.h.
#include "runner/server/server.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "runner/config/load_config.hpp"
#include "runner/server/api_db.hpp"
#include "runner/server/api_requests.hpp"
#include "runner/server/auth.hpp"
#include "runner/server/callbacks.hpp"
#include "runner/server/http_front.hpp"
#include "runner/server/metrics.hpp"
#include "runner/server/signing.hpp"
#include "runner/store/run_queue.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::atomic<bool> g_stopping{false};

// Each HTTP thread keeps its own connections: libpqxx connections are not
// shared between threads.
struct ThreadDatabase {
  std::unique_ptr<ApiDb> db;
  std::unique_ptr<RunQueue> queue;
};
thread_local ThreadDatabase t_database;
// Set by a route's handler, so that the logger does not count it twice.
thread_local bool t_counted = false;

void reply(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void reply_error(httplib::Response& res, const ApiError& error) {
  reply(res, error.status, error.to_json());
}

// Views of runs that have ended and whose callback is settled never change
// again: they are kept (the most recent few thousand) so that pollers of
// finished runs do not reach the database.
class EndedRunCache {
 public:
  std::optional<std::string> find(const std::string& id) {
    std::lock_guard lock(mutex_);
    const auto found = views_.find(id);
    if (found == views_.end()) return std::nullopt;
    return found->second;
  }
  void keep_if_settled(const std::string& id, const nlohmann::json& view, std::string text) {
    const std::string status = view.value("status", "");
    const std::string callback = view["callback"].value("state", "");
    if (status == "queued" || status == "running" || callback == "pending") return;
    // A run that `qgate check` had to spool is recorded later: not settled.
    if (!view["run_id"].is_null() && view["run"].is_null()) return;
    std::lock_guard lock(mutex_);
    if (views_.count(id) > 0) return;
    if (order_.size() >= kCapacity) {
      views_.erase(order_.front());
      order_.pop_front();
    }
    views_.emplace(id, std::move(text));
    order_.push_back(id);
  }

 private:
  static constexpr std::size_t kCapacity = 4096;
  std::mutex mutex_;
  std::unordered_map<std::string, std::string> views_;
  std::deque<std::string> order_;
};

// cpp-httplib's server, handed whole requests by the front
// (http_front.hpp) instead of reading sockets itself: its own reads have a
// timeout per recv(), which a client sending a byte at a time never meets.
class RoutedServer : public httplib::Server {
 public:
  // cpp-httplib stops streamed answers once its listening socket is gone;
  // it has none here, so the member says "serving" until stop_streams().
  RoutedServer() { svr_sock_ = std::numeric_limits<int>::max(); }
  void stop_streams() { svr_sock_ = INVALID_SOCKET; }
  // Answers the one request in `stream`; returns false if the connection
  // must end (`connection_closed` is set when the client asked for that).
  bool serve(httplib::Stream& stream, CloseAfter close_after, bool& connection_closed) {
    return process_request(stream, close_after == CloseAfter::yes, connection_closed, nullptr);
  }
};

// A request read whole by the front, as cpp-httplib reads it: the request's
// bytes, then the end; answers go to the client's socket.
class FrontStream final : public httplib::Stream {
 public:
  explicit FrontStream(FrontRequest& request) : request_(request), bytes_(request.bytes()) {}
  bool is_readable() const override { return offset_ < bytes_.size(); }
  bool is_writable() const override { return request_.writable(); }
  ssize_t read(char* ptr, size_t size) override {
    const std::size_t n = std::min(size, bytes_.size() - offset_);
    std::memcpy(ptr, bytes_.data() + offset_, n);
    offset_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    return request_.write(ptr, size) ? static_cast<ssize_t>(size) : -1;
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = request_.remote_ip();
    port = request_.remote_port();
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = request_.local_ip();
    port = request_.local_port();
  }
  socket_t socket() const override { return request_.socket(); }

 private:
  FrontRequest& request_;
  std::string_view bytes_;
  std::size_t offset_ = 0;
};

class ApiServer {
 public:
  ApiServer(const ServeOptions& options, std::ostream& out, std::ostream& err)
      : options_(options),
        out_(out),
        err_(err),
        authenticator_(options.api_secret, options.replay_window_seconds) {
    public_url_ = options_.public_url;
    callback_secret_ =
        options_.callback_secret.empty() ? options_.api_secret : options_.callback_secret;
  }

  int run() {
    if (!load_registry()) return 2;
    // Opening the queue migrates the database. A server started before its
    // database waits for it, as a service should (SIGTERM still stops it).
    RetryBudget budget;
    budget.total = std::chrono::seconds(2);
    while (true) {
      try {
        open_run_queue(options_.database_url, budget);
        break;
      } catch (const StoreError& error) {
        err_ << "qgate serve: " << error.what() << std::endl;
        if (!error.unavailable()) return 3;
      }
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    if (options_.workers > 0 && !start_workers()) return 3;

    // Signals are taken by one thread; every other thread blocks them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    setup_routes();
    FrontOptions front_options;
    front_options.host = options_.host;
    front_options.port = options_.port;
    front_options.request_threads = options_.threads;
    front_options.probe_threads = 2;
    front_options.header_timeout = std::chrono::milliseconds(options_.header_timeout_ms);
    front_options.body_timeout = std::chrono::milliseconds(options_.body_timeout_ms);
    front_options.max_body_bytes = options_.max_body_bytes;
    front_options.max_connections_per_client = options_.max_connections_per_client;
    HttpFront front(
        front_options,
        [this](FrontRequest& request, Lane) {
          FrontStream stream(request);
          bool closed = false;
          const bool served = server_.serve(stream, request.close_after(), closed);
          return served && !closed;
        },
        [this](int status) { metrics_.record("refused", "-", status, 0); });
    std::string listen_error;
    const int port = front.listen(listen_error);
    if (port < 0) {
      err_ << "qgate serve: cannot listen on " << options_.host << ":" << options_.port << ": "
           << listen_error << "\n";
      stop_workers();
      return 3;
    }
    if (public_url_.empty()) public_url_ = "http://" + options_.host + ":" + std::to_string(port);
    callback_addresses_ = CallbackAddressPolicy(options_.callback_allow, {port});

    std::thread signal_thread([this, &front, signals] {
      int signal = 0;
      sigwait(&signals, &signal);
      if (signal == SIGTERM || signal == SIGINT) {
        g_stopping = true;
        server_.stop_streams();
        front.stop();
      }
    });
    std::unique_ptr<CallbackDispatcher> dispatcher;
    std::thread callback_thread;
    if (!callback_secret_.empty()) {
      CallbackOptions callback;
      callback.database_url = options_.database_url;
      callback.secret = callback_secret_;
      callback.public_base_url = public_url_;
      callback.max_attempts = options_.callback_attempts;
      callback.first_pause_seconds = options_.callback_first_pause_seconds;
      callback.addresses = callback_addresses_;
      dispatcher = std::make_unique<CallbackDispatcher>(callback);
      callbacks_ = dispatcher.get();
      callback_thread = std::thread([&] { dispatcher->run(g_stopping); });
    }
    std::thread janitor([this] { housekeeping(); });

    out_ << "qgate serve: listening on http://" << options_.host << ":" << port << " ("
         << options_.threads << " threads, " << options_.workers << " workers)" << std::endl;
    front.run();
    g_stopping = true;
    out_ << "qgate serve: stopping" << std::endl;
    // Wakes the signal thread if the server stopped for another reason.
    kill(getpid(), SIGTERM);
    signal_thread.join();
    if (callback_thread.joinable()) callback_thread.join();
    janitor.join();
    stop_workers();
    out_ << "qgate serve: stopped" << std::endl;
    return 0;
  }

 private:
  bool load_registry() {
    try {
      for (auto& module : load_module_registry(options_.registry)) {
        registry_[module.id] = module;
      }
    } catch (const ConfigError& error) {
      for (const auto& d : error.diagnostics()) err_ << format_diagnostic(d) << "\n";
      return false;
    }
    return true;
  }

  // Starts `qgate worker --workers N` (the qgate beside this executable) as
  // a child process: its workers fork `qgate check` with no other thread
  // alive, which a process with HTTP threads cannot promise, and a new one
  // can be spawned from any thread if it dies. The database URL goes through
  // the environment, not the command line.
  bool start_workers() {
    std::error_code ec;
    const std::string qgate =
        (fs::read_symlink("/proc/self/exe", ec).parent_path() / "qgate").string();
    const WorkerOptions& worker = options_.worker;
    std::vector<std::string> args = {qgate,
                                     "worker",
                                     "--workers",
                                     std::to_string(options_.workers),
                                     "--lease",
                                     std::to_string(worker.lease_seconds),
                                     "--poll",
                                     std::to_string(worker.poll_seconds),
                                     "--stop-timeout",
                                     std::to_string(worker.stop_seconds)};
    if (!worker.workspace_root.empty()) {
      args.insert(args.end(), {"--workspace-root", worker.workspace_root.string()});
    }
    std::vector<std::string> env;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
      if (std::strncmp(*entry, "QGATE_DATABASE_URL=", 19) != 0) env.emplace_back(*entry);
    }
    env.push_back("QGATE_DATABASE_URL=" + options_.database_url);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& entry : env) envp.push_back(entry.data());
    envp.push_back(nullptr);
    // The HTTP threads block SIGTERM and SIGINT, and this process ignores
    // SIGPIPE: the workers start with neither.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attributes, &none);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGINT);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = -1;
    const int failed =
        posix_spawn(&pid, qgate.c_str(), nullptr, &attributes, argv.data(), envp.data());
    posix_spawnattr_destroy(&attributes);
    if (failed != 0) {
      err_ << "qgate serve: cannot start " << qgate << " worker: " << std::strerror(failed)
           << std::endl;
      return false;
    }
    worker_pid_ = pid;
    return true;
  }

  // Starts the workers again if they died (not when asked to stop).
  void watch_workers(Clock::time_point& restart_at) {
    if (options_.workers == 0) return;
    if (worker_pid_ > 0) {
      int status = 0;
      if (waitpid(worker_pid_, &status, WNOHANG) != worker_pid_) return;
      err_ << "qgate serve: the workers ended ("
           << (WIFSIGNALED(status) ? std::string("signal ") + strsignal(WTERMSIG(status))
                                   : "exit " + std::to_string(WEXITSTATUS(status)))
           << "); starting them again" << std::endl;
      worker_pid_ = -1;
      restart_at = Clock::now() + std::chrono::seconds(1);
    }
    if (Clock::now() >= restart_at) start_workers();
  }

  void stop_workers() {
    if (worker_pid_ <= 0) return;
    kill(worker_pid_, SIGTERM);
    int status = 0;
    waitpid(worker_pid_, &status, 0);
    worker_pid_ = -1;
  }

  // Every 200 ms: the workers watched; every minute: old signatures
  // forgotten.
  void housekeeping() {
    auto next = Clock::now();
    Clock::time_point restart_at{};
    while (!g_stopping) {
      watch_workers(restart_at);
      if (Clock::now() >= next) {
        next = Clock::now() + std::chrono::seconds(60);
        try {
          ApiDb db(options_.database_url);
          db.forget_signatures_older_than(2 * options_.replay_window_seconds);
        } catch (const std::exception& error) {
          err_ << "qgate serve: " << error.what() << std::endl;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  static ApiDb& db(const std::string& url) {
    if (!t_database.db) t_database.db = std::make_unique<ApiDb>(url);
    return *t_database.db;
  }
  static RunQueue& queue(const std::string& url) {
    if (!t_database.queue) {
      t_database.queue = open_run_queue(url, api_retry_budget());
    }
    return *t_database.queue;
  }

  std::string authenticate(const httplib::Request& req) {
    return authenticator_.check(
        {req.get_header_value("Authorization"), req.get_header_value("X-Qgate-Signature"),
         req.get_header_value("X-Qgate-Timestamp"), req.get_header_value("X-Qgate-Nonce"),
         req.method, req.target, req.body},
        db(options_.database_url));
  }

  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

  // Wraps a /v1 handler: authentication first (401 changes nothing), ids
  // checked, a database that is away answered with 503, and the request
  // counted under its route.
  httplib::Server::Handler guarded(const std::string& route, Handler handler) {
    return [this, route, handler](const httplib::Request& req, httplib::Response& res) {
      const auto started = Clock::now();
      try {
        for (std::size_t i = 1; i < req.matches.size(); ++i) {
          if (!is_uuid(req.matches[i].str())) {
            reply_error(res, {400, "invalid_id", "the id in the path must be a UUID", "id"});
            return count(route, req, res, started);
          }
        }
        // Which of two credentials would count differs between readers.
        if (req.get_header_value_count("Authorization") > 1) {
          reply_error(res, {400, "duplicate_header", "the Authorization header is given twice",
                            "Authorization"});
          return count(route, req, res, started);
        }
        if (const std::string problem = authenticate(req); !problem.empty()) {
          res.set_header("WWW-Authenticate", "Bearer realm=\"qgate\"");
          reply_error(res, {401, "unauthorized", problem, ""});
          return count(route, req, res, started);
        }
        handler(req, res);
      } catch (const QueueRequestRejected& error) {
        reply_error(res, {422, "rejected", error.what(), ""});
      } catch (const StoreError& error) {
        err_ << "qgate serve: " << req.method << " " << req.path << ": " << error.what()
             << std::endl;
        res.set_header("Retry-After", "5");
        reply_error(res, {503, "database_unavailable",
                          error.unavailable() ? "the database cannot be reached now"
                                              : "the database refused the request",
                          ""});
      }
      count(route, req, res, started);
    };
  }

  void count(const std::string& route, const httplib::Request& req, const httplib::Response& res,
             Clock::time_point started) {
    t_counted = true;
    metrics_.record(route, req.method, res.status,
                    std::chrono::duration<double>(Clock::now() - started).count());
  }

  void setup_routes() {
    // The front reads requests, keeps connections alive and enforces the
    // limits; these only fill in the answers' Keep-Alive header.
    server_.set_payload_max_length(options_.max_body_bytes);
    server_.set_keep_alive_max_count(1000);
    server_.set_keep_alive_timeout(5);
    server_.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      if (!t_counted) metrics_.record("unmatched", req.method, res.status, 0);
      t_counted = false;
      if (options_.access_log) {
        // One write per line, so that lines of several threads do not mix.
        out_ << (req.method + " " + req.path + " " + std::to_string(res.status) + "\n")
             << std::flush;
      }
    });
    server_.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (!res.body.empty()) return;
      const int status = res.status;
      std::string code = status == 413   ? "payload_too_large"
                         : status == 404 ? "not_found"
                                         : "http_" + std::to_string(status);
      std::string message = status == 413   ? "the body is larger than the server accepts"
                            : status == 404 ? "no such route"
                                            : "the request could not be served";
      reply_error(res, {status, code, message, ""});
    });

    server_.Get("/healthz", [this](const httplib::Request& req, httplib::Response& res) {
      const auto started = Clock::now();
      reply(res, 200, {{"status", "ok"}});
      count("/healthz", req, res, started);
    });
    server_.Get("/readyz", [this](const httplib::Request& req, httplib::Response& res) {
      const auto started = Clock::now();
      try {
        db(options_.database_url).ping();
        reply(res, 200, {{"status", "ready"}});
      } catch (const std::exception&) {
        reply(res, 503, {{"status", "database unreachable"}});
      }
      count("/readyz", req, res, started);
    });
    server_.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
      const auto started = Clock::now();
      try {
        const DatabaseFigures figures = db(options_.database_url).figures();
        res.set_content(
            render_metrics(metrics_, figures, callbacks_ ? &callbacks_->counts() : nullptr),
            "text/plain; version=0.0.4; charset=utf-8");
      } catch (const std::exception& error) {
        err_ << "qgate serve: /metrics: " << error.what() << std::endl;
        res.status = 503;
        res.set_content("# the database cannot be reached\n", "text/plain; charset=utf-8");
      }
      count("/metrics", req, res, started);
    });

    server_.Post("/v1/runs",
                 guarded("/v1/runs", [this](const auto& req, auto& res) { create_run(req, res); }));
    server_.Get("/v1/runs", guarded("/v1/runs", [this](const auto& req, auto& res) {
                  list_runs(req, res, "");
                }));
    server_.Get(R"(/v1/runs/([^/]+))", guarded("/v1/runs/{id}", [this](const auto& req, auto& res) {
                  show_run(req.matches[1].str(), res);
                }));
    server_.Get(
        R"(/v1/runs/([^/]+)/log)",
        guarded("/v1/runs/{id}/log", [this](const auto& req, auto& res) { stream_log(req, res); }));
    server_.Post(R"(/v1/runs/([^/]+)/cancel)",
                 guarded("/v1/runs/{id}/cancel", [this](const auto& req, auto& res) {
                   cancel_run(req.matches[1].str(), res);
                 }));
    server_.Get(R"(/v1/checkouts/([^/]+)/runs)",
                guarded("/v1/checkouts/{id}/runs", [this](const auto& req, auto& res) {
                  const std::string checkout = req.matches[1].str();
                  if (!db(options_.database_url).checkout(checkout)) {
                    return reply_error(res, {404, "not_found", "no such checkout", "id"});
                  }
                  list_runs(req, res, checkout);
                }));
  }

  void create_run(const httplib::Request& req, httplib::Response& res) {
    RunRequestBody body;
    if (auto error = parse_run_request(req.get_header_value("Content-Type"), req.body, body)) {
      return reply_error(res, *error);
    }
    const std::string key = req.get_header_value("Idempotency-Key");
    if (req.has_header("Idempotency-Key") && !valid_idempotency_key(key)) {
      return reply_error(
          res, {400, "invalid_field", "Idempotency-Key must be 1 to 200 letters, digits or '._:-'",
                "Idempotency-Key"});
    }
    ApiDb& database = db(options_.database_url);
    if (!body.checkout_id.empty()) {
      const auto checkout = database.checkout(body.checkout_id);
      if (!checkout) {
        return reply_error(res,
                           {422, "unknown_checkout", "no checkout has this id", "checkout_id"});
      }
      if (!body.module_id.empty() && body.module_id != checkout->module_id) {
        return reply_error(res, {422, "checkout_mismatch",
                                 "the checkout is of module " + checkout->module_id, "module_id"});
      }
      if (checkout->status == "abandoned") {
        return reply_error(
            res, {409, "checkout_abandoned", "the checkout was abandoned", "checkout_id"});
      }
      body.module_id = checkout->module_id;
    }
    const auto module = registry_.find(body.module_id);
    if (module == registry_.end()) {
      return reply_error(
          res, {422, "unknown_module", "module " + body.module_id + " is not in the registry",
                "module_id"});
    }
    QueueRequest request;
    request.module_id = body.module_id;
    request.checkout_id = body.checkout_id;
    request.ref = body.ref;
    request.max_attempts = options_.max_attempts;
    request.idempotency_key = key;
    std::error_code ec;
    const fs::path local = options_.modules_root / module->second.key;
    if (!options_.modules_root.empty() && !module->second.key.empty() &&
        fs::is_regular_file(local / "integration-requirements.yaml", ec)) {
      request.module_path = fs::absolute(local).lexically_normal().string();
    } else if (!module->second.repository.empty()) {
      request.repository = module->second.repository;
    } else {
      return reply_error(
          res, {422, "no_source", "module " + body.module_id + " has no repository in the registry",
                "module_id"});
    }
    if (!body.options.contains("callback_url") && !options_.default_callback_url.empty()) {
      body.options["callback_url"] = options_.default_callback_url;
    }
    if (body.options.contains("callback_url") && callback_secret_.empty()) {
      return reply_error(res, {422, "callbacks_disabled",
                               "this server has no callback secret (QGATE_CALLBACK_SECRET)",
                               "options.callback_url"});
    }
    if (body.options.contains("callback_url")) {
      const std::string url = body.options["callback_url"].get<std::string>();
      std::string host;
      int port = 0;
      std::string problem = "the callback URL has no host";
      if (callback_host_and_port(url, host, port)) {
        problem = callback_addresses_.resolve(host, port).problem;
      }
      if (!problem.empty()) {
        return reply_error(res, {422, "callback_refused", "options.callback_url: " + problem,
                                 "options.callback_url"});
      }
    }
    request.options_json = body.options.dump();
    const Enqueued enqueued = queue(options_.database_url).enqueue(request);
    auto view = database.run_view(enqueued.item.id, public_url_);
    if (!view) return reply_error(res, {503, "database_unavailable", "the run vanished", ""});
    res.set_header("Location", "/v1/runs/" + enqueued.item.id);
    if (!enqueued.created) res.set_header("Idempotent-Replayed", "true");
    reply(res, 202, *view);
  }

  void show_run(const std::string& id, httplib::Response& res) {
    if (auto text = ended_runs_.find(id)) {
      res.status = 200;
      res.set_content(*text, "application/json");
      return;
    }
    auto view = db(options_.database_url).run_view(id, public_url_);
    if (!view) return reply_error(res, {404, "not_found", "no such run", "id"});
    std::string text = view->dump();
    ended_runs_.keep_if_settled(id, *view, text);
    res.status = 200;
    res.set_content(text, "application/json");
  }

  void list_runs(const httplib::Request& req, httplib::Response& res, const std::string& checkout) {
    RunListQuery query;
    const bool fixed = !checkout.empty();
    std::multimap<std::string, std::string> params(req.params.begin(), req.params.end());
    if (auto error = parse_run_list_query(params, query, fixed)) return reply_error(res, *error);
    if (fixed) query.checkout_id = checkout;
    const RunPage page = db(options_.database_url).list_runs(query);
    nlohmann::json body = {{"runs", page.runs}, {"next_cursor", nullptr}, {"next", nullptr}};
    if (!page.next_cursor.empty()) {
      std::string next = req.path + "?";
      for (const auto& [name, value] : params) {
        if (name != "cursor") next += name + "=" + value + "&";
      }
      next += "cursor=" + page.next_cursor;
      body["next_cursor"] = page.next_cursor;
      body["next"] = next;
      res.set_header("Link", "<" + next + ">; rel=\"next\"");
    }
    reply(res, 200, body);
  }

  void cancel_run(const std::string& id, httplib::Response& res) {
    const auto item = queue(options_.database_url).request_cancel(id);
    if (!item) return reply_error(res, {404, "not_found", "no such run", "id"});
    auto view = db(options_.database_url).run_view(id, public_url_);
    if (!view) return reply_error(res, {404, "not_found", "no such run", "id"});
    if (item->status == "finished" || item->status == "interrupted") {
      return reply(
          res, 409,
          {{"error", {{"code", "already_ended"}, {"message", "the run had ended already"}}},
           {"run", *view}});
    }
    reply(res, 202, *view);
  }

  // Streams the log with chunked encoding while the run goes on; one of a
  // few threads at most, so that followers cannot take every HTTP thread.
  void stream_log(const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.matches[1].str();
    for (const auto& [name, value] : req.params) {
      if (name != "follow" || (value != "true" && value != "false")) {
        return reply_error(res,
                           {400, "invalid_field", "the only parameter is follow=true|false", name});
      }
    }
    if (!db(options_.database_url).item_exists(id)) {
      return reply_error(res, {404, "not_found", "no such run", "id"});
    }
    const bool follow = req.get_param_value("follow") != "false";
    if (!follow) {
      std::string text;
      int seq = 0;
      bool ended = false;
      while (true) {
        const auto chunks = db(options_.database_url).log_after(id, seq, ended);
        if (chunks.empty()) break;
        for (const auto& chunk : chunks) text += chunk.text;
        seq = chunks.back().seq;
      }
      res.status = 200;
      res.set_content(text, "text/plain; charset=utf-8");
      return;
    }
    if (streams_.fetch_add(1) >= std::max(1, options_.threads / 2)) {
      streams_.fetch_sub(1);
      res.set_header("Retry-After", "5");
      return reply_error(res, {503, "too_many_streams", "too many logs are being followed", ""});
    }
    auto seq = std::make_shared<int>(0);
    const std::string url = options_.database_url;
    res.set_chunked_content_provider(
        "text/plain; charset=utf-8",
        [id, seq, url](std::size_t, httplib::DataSink& sink) {
          bool ended = false;
          std::vector<LogChunk> chunks;
          try {
            chunks = db(url).log_after(id, *seq, ended);
          } catch (const std::exception&) {
            return false;  // the client sees a cut stream and asks again
          }
          for (const auto& chunk : chunks) {
            if (!sink.write(chunk.text.data(), chunk.text.size())) return false;
            *seq = chunk.seq;
          }
          if ((ended && chunks.empty()) || g_stopping) {
            sink.done();
            return true;
          }
          if (chunks.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
          return true;
        },
        [this](bool) { streams_.fetch_sub(1); });
  }

  const ServeOptions& options_;
  std::ostream& out_;
  std::ostream& err_;
  std::string public_url_;
  std::string callback_secret_;
  std::map<std::string, ModuleInfo> registry_;
  RoutedServer server_;
  HttpMetrics metrics_;
  Authenticator authenticator_;
  EndedRunCache ended_runs_;
  CallbackDispatcher* callbacks_ = nullptr;
  CallbackAddressPolicy callback_addresses_;
  std::atomic<int> streams_{0};
  pid_t worker_pid_ = -1;
};

}  // namespace

int run_server(const ServeOptions& options, std::ostream& out, std::ostream& err) {
  if (options.database_url.empty()) {
    err << "qgate serve: give --database-url or set QGATE_DATABASE_URL\n";
    return 2;
  }
  ApiServer server(options, out, err);
  return server.run();
}

}  // namespace qgate
