#pragma once
// Inside the PostgreSQL plugin only: one libpqxx connection shared by the
// calls of a plugin object (the store, the run queue), reopened and retried
// with growing pauses while the server cannot be reached.
#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <utility>

#include "runner/store/pg_plugin.hpp"
#include "runner/store/store.hpp"

namespace qgate {

class PgConnection {
 public:
  // Whether a call retries a database that cannot be reached.
  enum class Tries { once, within_budget };

  // `on_open` runs on each newly opened connection until it once succeeds
  // (e.g. the migrations).
  PgConnection(std::string url, RetryBudget retry,
               std::function<void(pqxx::connection&)> on_open = nullptr)
      : url_(std::move(url)), retry_(retry), on_open_(std::move(on_open)) {}

  const std::string& url() const { return url_; }

  // Runs `work(connection, attempt)`, reconnecting with growing pauses while
  // the server cannot be reached, up to the retry budget (or once). Every
  // `work` must be idempotent: one whose commit was lost is done again.
  // Failures become a StoreError naming `what` (unavailable when the
  // database could not be reached).
  template <typename Work>
  auto run(const std::string& what, Tries tries, Work&& work)
      -> decltype(work(std::declval<pqxx::connection&>(), 0)) {
    using Clock = std::chrono::steady_clock;
    std::lock_guard lock(mutex_);
    const auto deadline = Clock::now() + retry_.total;
    auto pause = retry_.first_pause;
    int attempts = 0;
    while (true) {
      std::string problem;
      try {
        ++attempts;
        if (!connection_ || !connection_->is_open()) {
          connection_ = std::make_unique<pqxx::connection>(url_);
          if (on_open_) {
            on_open_(*connection_);
            on_open_ = nullptr;
          }
        }
        return work(*connection_, attempts);
      } catch (const pqxx::broken_connection& e) {
        problem = e.what();
      } catch (const pqxx::in_doubt_error& e) {
        problem = e.what();
      } catch (const pqxx::sql_error& e) {
        if (!is_unavailable_state(e.sqlstate())) {
          throw StoreError(what + ": " + first_line(e.what()));
        }
        problem = e.what();
      } catch (const StoreError&) {
        throw;
      } catch (const std::exception& e) {
        throw StoreError(what + ": " + first_line(e.what()));
      }
      connection_.reset();
      if (tries == Tries::once || Clock::now() + pause > deadline) {
        throw StoreError(what + ": the database at " + redact_database_url(url_) +
                             " could not be reached (" + std::to_string(attempts) +
                             " attempts): " + first_line(problem),
                         StoreFailure::unavailable);
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, retry_.longest_pause);
    }
  }

  // Runs `work(connection)` once on the connection if one is open, dropping
  // it on any failure: for writes that a later call would redo anyway.
  template <typename Work>
  void run_if_open(Work&& work) {
    std::lock_guard lock(mutex_);
    if (!connection_) return;
    try {
      work(*connection_);
    } catch (const std::exception&) {
      connection_.reset();
    }
  }

 private:
  // SQLSTATE classes that mean "the server is not there (now)", not "your
  // SQL is wrong".
  static bool is_unavailable_state(const std::string& state) {
    return state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" || state == "57P03" ||
           state == "53300";
  }
  static std::string first_line(const std::string& text) {
    std::string line = text.substr(0, text.find('\n'));
    return line.empty() ? text : line;
  }

  std::string url_;
  RetryBudget retry_;
  std::function<void(pqxx::connection&)> on_open_;
  std::mutex mutex_;
  std::unique_ptr<pqxx::connection> connection_;
};

// Runs `work`, turning any exception into `error`: nothing may be thrown
// across the plugin boundary (see runner/store/pg_plugin.hpp). The store and the
// run queue both answer through it.
template <typename Work>
void guarded(PgError& error, Work&& work) {
  try {
    work();
  } catch (const StoreError& e) {
    error = {true, e.unavailable(), e.what()};
  } catch (const std::exception& e) {
    error = {true, false, e.what()};
  } catch (...) {
    error = {true, false, "unknown error in the PostgreSQL plugin"};
  }
}

}  // namespace qgate
