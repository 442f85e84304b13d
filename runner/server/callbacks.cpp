// The completion callbacks of queued runs (see callbacks.hpp for the
// protocol and its headers).
//
// The body of a delivery, a JSON object:
//   event        "run.completed"
//   id           the queue item's id (a UUID)
//   status       the queue item's status: finished, interrupted or cancelled
//   module_id    the module's id
//   checkout_id  the checkout's id, or null
//   ref          the git ref asked for ("" when none)
//   run_id       the id of the qgate run, or null (cancelled before it ran,
//                or a run that could not start)
//   exit_code    qgate check's exit code, or null
//   result       passed (finished, exit 0), failed (finished, exit 1),
//                error (finished with any other exit code), cancelled or
//                interrupted
//   pr_url       the integration pull request the run opened or updated, or
//                null
//   message      the queue item's message ("" when none)
//   url          public_base_url + "/v1/runs/" + id
//   gates        [{name, status, required, duration_s, message}] in the
//                run's order; [] while the run is not (yet) recorded
//   finished_at  when the item ended, ISO 8601 in UTC, or null
//
// Delivery is at least once: an attempt whose outcome could not be recorded
// (the database away for longer than the retries, the server killed) comes
// due again once its claim runs out and is sent again with the same
// X-Qgate-Delivery, by which receivers can tell.
#include "runner/server/callbacks.hpp"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <exception>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "runner/core/version.hpp"
#include "runner/server/signing.hpp"
#include "runner/store/pg_connection.hpp"
#include "runner/store/store.hpp"

namespace qgate {
namespace {

using Clock = std::chrono::steady_clock;

// A callback URL taken apart for cpp-httplib, or the reason it is refused.
struct CallbackTarget {
  std::string origin;  // "http://host:port"
  std::string path;    // path and query, at least "/"
  std::string problem;
};

std::string lowercase(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

// Only absolute http and https URLs without userinfo: credentials in a URL
// would be sent to whoever answers and stored in the attempts, and any other
// scheme is not something a checkout server listens on. Control characters
// and spaces are refused so that nothing can be smuggled into the request
// line.
CallbackTarget parse_callback_url(const std::string& url) {
  CallbackTarget target;
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f) {
      target.problem = "the callback URL contains a space or control character";
      return target;
    }
  }
  const auto scheme_end = url.find("://");
  const std::string scheme =
      scheme_end == std::string::npos ? "" : lowercase(url.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") {
    target.problem = "the callback URL is not an http or https URL";
    return target;
  }
  const std::string rest = url.substr(scheme_end + 3);
  const auto authority_end = rest.find_first_of("/?#");
  const std::string authority = rest.substr(0, authority_end);
  std::string path = authority_end == std::string::npos ? "" : rest.substr(authority_end);
  if (authority.find('@') != std::string::npos) {
    target.problem = "the callback URL contains userinfo (credentials), which is refused";
    return target;
  }
  // Host: a name or IPv4 address, or an IPv6 address in brackets; then an
  // optional port.
  std::string host;
  std::string port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) {
      target.problem = "the callback URL has an unclosed IPv6 address";
      return target;
    }
    host = authority.substr(0, close + 1);
    const std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        target.problem = "the callback URL has a malformed host";
        return target;
      }
      port = after.substr(1);
    }
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (host.empty() || host == "[]") {
    target.problem = "the callback URL has no host";
    return target;
  }
  if (!port.empty() || authority.back() == ':') {
    const bool digits =
        !port.empty() && port.size() <= 5 &&
        std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535) {
      target.problem = "the callback URL has an invalid port";
      return target;
    }
  }
  if (const auto hash = path.find('#'); hash != std::string::npos) path.erase(hash);
  if (path.empty() || path.front() == '?') path.insert(path.begin(), '/');
  target.origin = scheme + "://" + lowercase(host) + (port.empty() ? "" : ":" + port);
  target.path = path;
  return target;
}

// The URL as it may be stored: userinfo replaced, so that a password in a
// refused URL is not kept in the attempts.
std::string storable_url(const std::string& url) {
  const auto scheme_end = url.find("://");
  const auto start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const auto authority_end = url.find_first_of("/?#", start);
  const auto at = url.rfind('@', authority_end == std::string::npos ? url.size() : authority_end);
  std::string out = url;
  if (at != std::string::npos && at >= start) out = url.substr(0, start) + "***" + url.substr(at);
  constexpr std::size_t kLongest = 2000;
  if (out.size() > kLongest) out = out.substr(0, kLongest) + "...";
  return out;
}

std::string result_of(const std::string& status, const std::optional<int>& exit_code) {
  if (status != "finished") return status;
  if (exit_code == 0) return "passed";
  if (exit_code == 1) return "failed";
  return "error";
}

// A callback claimed for one attempt.
struct Claimed {
  std::string id;
  int attempt = 0;  // this attempt's number, from 1
  std::string url;
  std::string body;
};

// What came of one attempt.
struct Outcome {
  int status_code = 0;  // 0 when no answer came
  std::string error;    // "" on success
  double duration_ms = 0;
  bool refused = false;  // the URL itself is refused: no further attempt
  bool delivered() const { return status_code >= 200 && status_code < 300; }
};

// cpp-httplib names its errors with one word; the attempts say what happened.
std::string describe(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
      return "could not connect to the callback URL";
    case httplib::Error::ConnectionTimeout:
      return "timed out connecting to the callback URL";
    case httplib::Error::Read:
      return "no answer read (connection closed or timed out)";
    case httplib::Error::Write:
      return "the request could not be sent (connection closed or timed out)";
    case httplib::Error::SSLConnection:
      return "the TLS connection failed";
    case httplib::Error::SSLLoadingCerts:
      return "the CA certificates could not be loaded";
    case httplib::Error::SSLServerVerification:
      return "the server's certificate was not accepted";
    default:
      return "HTTP client error: " + httplib::to_string(error);
  }
}

std::string timestamp_column(const std::string& column) {
  return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
}

}  // namespace

struct CallbackDispatcher::State {
  explicit State(CallbackOptions o)
      : options(std::move(o)),
        // Short retries: a callback whose outcome is not recorded is sent
        // again later, and run() must stay responsive to its stop flag.
        db(options.database_url,
           RetryBudget{std::chrono::seconds(10), std::chrono::milliseconds(100),
                       std::chrono::seconds(2)}),
        random(std::random_device{}()) {}

  CallbackOptions options;
  PgConnection db;
  CallbackCounts counts;
  std::mutex random_mutex;
  std::mt19937_64 random;

  // The secret never leaves through an error text, whatever a library or a
  // receiver put into it.
  std::string scrub(std::string text) const {
    const std::string& secret = options.secret;
    if (secret.empty()) return text;
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
      text.replace(at, secret.size(), "***");
      at += 3;
    }
    return text;
  }

  // How long a claim holds: longer than any one attempt can take (connect,
  // write and read timeouts) with room to record it.
  double claim_seconds() const { return 3 * options.timeout_seconds + 30; }

  // The pause after failed attempt number `attempt` (from 1): doubling from
  // first_pause_seconds, capped, and shortened by up to a tenth at random so
  // that callbacks failing together do not all come due at the same moment.
  double pause_after(int attempt) {
    const double base = options.first_pause_seconds * std::pow(2.0, std::min(attempt - 1, 60));
    const double capped = std::min(base, options.longest_pause_seconds);
    std::lock_guard lock(random_mutex);
    return capped * std::uniform_real_distribution<double>(0.9, 1.0)(random);
  }

  std::vector<Claimed> claim(int limit) {
    return db.run("claiming due callbacks", PgConnection::Tries::once,
                  [&](pqxx::connection& conn, int) {
                    pqxx::work tx(conn);
                    const pqxx::result rows = tx.exec_params(
                        "WITH due AS (SELECT id FROM qgate_run_queue "
                        "WHERE callback_state = 'pending' AND callback_next_at <= NOW() "
                        "ORDER BY callback_next_at LIMIT $1 FOR UPDATE SKIP LOCKED) "
                        "UPDATE qgate_run_queue q "
                        "SET callback_next_at = NOW() + make_interval(secs => $2) "
                        "FROM due WHERE q.id = due.id RETURNING "
                        "q.id::text, q.callback_attempts, "
                        "coalesce(q.options ->> 'callback_url', ''), q.status, q.module_id, "
                        "q.checkout_id::text, q.ref, q.run_id::text, q.exit_code, q.message, " +
                            timestamp_column("q.finished_at") +
                            ", (SELECT nullif(r.pr_url, '') FROM qgate_runs r "
                            "WHERE r.id = q.run_id), "
                            "(SELECT coalesce(json_agg(json_build_object('name', g.name, "
                            "'status', g.status, 'required', g.required, 'duration_s', "
                            "g.duration_s, 'message', g.message) ORDER BY g.position), "
                            "'[]'::json) FROM qgate_gate_results g "
                            "WHERE g.run_id = q.run_id)::text",
                        limit, claim_seconds());
                    tx.commit();
                    std::vector<Claimed> out;
                    for (const auto& row : rows) out.push_back(claimed_from(row));
                    return out;
                  });
  }

  Claimed claimed_from(const pqxx::row& row) const {
    const auto text_or_null = [&](int column) -> nlohmann::json {
      if (row[column].is_null()) return nullptr;
      return row[column].as<std::string>();
    };
    Claimed c;
    c.id = row[0].as<std::string>();
    c.attempt = row[1].as<int>() + 1;
    c.url = row[2].as<std::string>();
    const std::string status = row[3].as<std::string>();
    std::optional<int> exit_code;
    if (!row[8].is_null()) exit_code = row[8].as<int>();
    nlohmann::json gates = nlohmann::json::array();
    if (!row[12].is_null()) {
      gates = nlohmann::json::parse(row[12].as<std::string>(), nullptr, false);
      if (!gates.is_array()) gates = nlohmann::json::array();
    }
    nlohmann::json body = nlohmann::json::object();
    body["event"] = "run.completed";
    body["id"] = c.id;
    body["status"] = status;
    body["module_id"] = row[4].as<std::string>();
    body["checkout_id"] = text_or_null(5);
    body["ref"] = row[6].as<std::string>();
    body["run_id"] = text_or_null(7);
    body["exit_code"] = exit_code ? nlohmann::json(*exit_code) : nlohmann::json(nullptr);
    body["result"] = result_of(status, exit_code);
    body["pr_url"] = text_or_null(11);
    body["message"] = row[9].as<std::string>();
    body["url"] = options.public_base_url + "/v1/runs/" + c.id;
    body["gates"] = std::move(gates);
    body["finished_at"] = text_or_null(10);
    c.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return c;
  }

  Outcome attempt(const Claimed& c) {
    Outcome out;
    const CallbackTarget target = parse_callback_url(c.url);
    if (!target.problem.empty()) {
      out.error = target.problem;
      out.refused = true;
      return out;
    }
    std::string host;
    int port = 0;
    if (!callback_host_and_port(c.url, host, port)) {
      out.error = "the callback URL has no host";
      out.refused = true;
      return out;
    }
    // Checked again now, since what the name resolves to can change; the
    // connection goes to the address checked.
    const auto resolved = options.addresses.resolve(host, port);
    if (!resolved.problem.empty()) {
      out.error = resolved.problem;
      out.refused = resolved.refused;
      return out;
    }
    const auto started = Clock::now();
    try {
      httplib::Client client(target.origin);
      client.set_hostname_addr_map({{host, resolved.addresses.front()}});
      if (!client.is_valid()) {
        out.error = "the callback URL cannot be used (" + target.origin + ")";
        out.refused = true;
        return out;
      }
      const auto timeout = std::chrono::milliseconds(
          std::max<long long>(1, std::llround(options.timeout_seconds * 1000)));
      client.set_connection_timeout(timeout);
      client.set_read_timeout(timeout);
      client.set_write_timeout(timeout);
      // A redirect is an answer of its own: following it would send the
      // signed run summary wherever the receiver points.
      client.set_follow_location(false);
      const std::string timestamp = std::to_string(std::time(nullptr));
      const httplib::Headers headers = {
          {"User-Agent", std::string("qgate/") + kVersion},
          {"X-Qgate-Event", "run.completed"},
          {"X-Qgate-Delivery", c.id + "/" + std::to_string(c.attempt)},
          {"X-Qgate-Timestamp", timestamp},
          {"X-Qgate-Signature",
           signature_header_value(options.secret, callback_signing_text(timestamp, c.body))},
      };
      const httplib::Result result = client.Post(target.path, headers, c.body, "application/json");
      if (!result) {
        out.error = describe(result.error());
      } else {
        out.status_code = result->status;
        if (out.status_code >= 300 && out.status_code < 400) {
          out.error = "HTTP " + std::to_string(out.status_code) + ": redirects are not followed";
        } else if (!out.delivered()) {
          out.error = "HTTP " + std::to_string(out.status_code);
        }
      }
    } catch (const std::exception& e) {
      out.status_code = 0;
      out.error = e.what();
    }
    out.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    out.error = scrub(out.error);
    return out;
  }

  // Records the attempt and the callback's next state in one transaction.
  // Idempotent: only the claim of attempt `c.attempt` moves the state, so a
  // redo after a lost commit, or a claim that ran out and was taken by
  // another server meanwhile, records nothing twice. Returns the new state,
  // or "" when nothing was recorded.
  std::string record(const Claimed& c, const Outcome& outcome) {
    std::string state = "pending";
    double pause = 0;
    if (outcome.delivered()) {
      state = "delivered";
    } else if (outcome.refused || c.attempt >= options.max_attempts) {
      state = "failed";
    } else {
      pause = pause_after(c.attempt);
    }
    const bool recorded = db.run(
        "recording a callback attempt", PgConnection::Tries::within_budget,
        [&](pqxx::connection& conn, int) {
          pqxx::work tx(conn);
          const pqxx::result moved = tx.exec_params(
              "UPDATE qgate_run_queue SET callback_attempts = $2, callback_state = $3::text, "
              "callback_next_at = CASE WHEN $3::text = 'pending' "
              "THEN NOW() + make_interval(secs => $4) END "
              "WHERE id = $1::uuid AND callback_state = 'pending' AND callback_attempts = $2 - 1",
              c.id, c.attempt, state, pause);
          if (moved.affected_rows() != 1) return false;
          tx.exec_params(
              "INSERT INTO qgate_callback_attempts "
              "(item_id, attempt, url, attempted_at, status_code, error, duration_ms) "
              "VALUES ($1::uuid, $2, $3, NOW() - make_interval(secs => $6 / 1000.0), $4, $5, $6) "
              "ON CONFLICT DO NOTHING",
              c.id, c.attempt, storable_url(c.url), outcome.status_code, outcome.error,
              outcome.duration_ms);
          tx.commit();
          return true;
        });
    return recorded ? state : "";
  }
};

CallbackDispatcher::CallbackDispatcher(CallbackOptions options) {
  if (options.secret.empty()) {
    throw std::invalid_argument("callbacks need a secret to sign them with");
  }
  if (options.max_attempts < 1 || !(options.timeout_seconds > 0) ||
      !(options.first_pause_seconds >= 0) || !(options.longest_pause_seconds >= 0) ||
      !(options.poll_seconds > 0)) {
    throw std::invalid_argument(
        "callback options out of range (attempts >= 1, timeout and poll > 0, pauses >= 0)");
  }
  while (!options.public_base_url.empty() && options.public_base_url.back() == '/') {
    options.public_base_url.pop_back();
  }
  state_ = std::make_unique<State>(std::move(options));
}

CallbackDispatcher::~CallbackDispatcher() = default;

const CallbackCounts& CallbackDispatcher::counts() const { return state_->counts; }

int CallbackDispatcher::deliver_due(int limit) {
  State& s = *state_;
  const std::vector<Claimed> claimed = s.claim(std::max(1, limit));
  if (claimed.empty()) return 0;

  // Each claimed callback is sent on a thread of its own, so that one slow
  // receiver does not hold the others up to its timeout.
  std::mutex problem_mutex;
  std::optional<StoreError> problem;
  const auto deliver = [&](const Claimed& c) {
    const Outcome outcome = s.attempt(c);
    if (outcome.delivered()) {
      ++s.counts.delivered;
    } else {
      ++s.counts.failed_attempts;
    }
    try {
      const std::string state = s.record(c, outcome);
      if (state == "failed") {
        ++s.counts.given_up;
        std::cerr << "qgate serve: callback of " + c.id + " given up after attempt " +
                         std::to_string(c.attempt) + ": " + outcome.error + "\n";
      }
    } catch (const StoreError& e) {
      std::lock_guard lock(problem_mutex);
      if (!problem) problem.emplace(e);
    }
  };
  if (claimed.size() == 1) {
    deliver(claimed.front());
  } else {
    std::vector<std::thread> threads;
    threads.reserve(claimed.size());
    for (const auto& c : claimed) threads.emplace_back(deliver, std::cref(c));
    for (auto& t : threads) t.join();
  }
  if (problem) throw *problem;
  return static_cast<int>(claimed.size());
}

void CallbackDispatcher::run(const std::atomic<bool>& stop) {
  State& s = *state_;
  constexpr int kBatch = 16;
  const auto poll = std::chrono::duration<double>(s.options.poll_seconds);
  while (!stop) {
    int made = 0;
    try {
      made = deliver_due(kBatch);
    } catch (const StoreError& e) {
      std::cerr << "qgate serve: callbacks: " + s.scrub(e.what()) + "\n";
    } catch (const std::exception& e) {
      std::cerr << "qgate serve: callbacks: " + s.scrub(e.what()) + "\n";
    }
    // A full batch means more may be due at once.
    if (made == kBatch) continue;
    const auto until = Clock::now() + poll;
    while (!stop && Clock::now() < until) {
      std::this_thread::sleep_for(std::min<Clock::duration>(
          std::chrono::milliseconds(20),
          std::chrono::duration_cast<Clock::duration>(until - Clock::now())));
    }
  }
}

}  // namespace qgate
