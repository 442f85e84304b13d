#include "runner/store/spooling_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "runner/core/result_json.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;

std::string begin_line(const RunResult& run) {
  return nlohmann::json{{"op", "begin"}, {"run", run_to_json(run)}}.dump();
}

std::string gate_line(const std::string& run_id, const GateResult& gate) {
  RunResult holder;
  holder.id = run_id;
  holder.gates.push_back(gate);
  return nlohmann::json{{"op", "gate"}, {"run", run_to_json(holder)}}.dump();
}

std::string finish_line(const RunResult& run) {
  return nlohmann::json{{"op", "finish"}, {"run", run_to_json(run)}}.dump();
}

void replay_line(Store& store, const std::string& line) {
  const auto entry = nlohmann::json::parse(line);
  const std::string op = entry.at("op").get<std::string>();
  const RunResult run = run_from_json(entry.at("run"));
  if (op == "begin") {
    store.begin_run(run);
  } else if (op == "gate") {
    store.record_gate(run.id, run.gates.at(0));
  } else if (op == "finish") {
    store.finish_run(run);
  } else {
    throw StoreError("unknown spooled operation '" + op + "'");
  }
}

}  // namespace

SpoolingStore::SpoolingStore(std::function<std::unique_ptr<Store>()> open, fs::path spool_dir)
    : open_(std::move(open)), spool_dir_(std::move(spool_dir)) {}

Store* SpoolingStore::store() {
  if (store_) return store_.get();
  try {
    store_ = open_();
    description_ = store_->describe();
  } catch (const StoreError& error) {
    if (!error.unavailable()) throw;
    last_problem_ = error.what();
    store_.reset();
  }
  return store_.get();
}

fs::path SpoolingStore::spool_file(const std::string& run_id) const {
  return spool_dir_ / (run_id + ".jsonl");
}

fs::path SpoolingStore::refused_file(const std::string& run_id) const {
  return spool_dir_ / (run_id + ".jsonl.refused");
}

std::optional<fs::path> SpoolingStore::refused(const std::string& run_id) const {
  if (refused_run_ != run_id) return std::nullopt;
  return refused_file(run_id);
}

std::optional<fs::path> SpoolingStore::pending(const std::string& run_id) const {
  std::error_code ec;
  const fs::path file = spool_file(run_id);
  if (fs::exists(file, ec)) return file;
  return std::nullopt;
}

void SpoolingStore::append(const fs::path& spool, const std::string& line) {
  std::error_code ec;
  fs::create_directories(spool.parent_path(), ec);
  const int fd = ::open(spool.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw StoreError("cannot keep results in " + spool.string() + ": " + std::strerror(errno));
  }
  const std::string text = line + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok)
    throw StoreError("cannot keep results in " + spool.string() + ": " + std::strerror(errno));
}

SpoolingStore::Flush SpoolingStore::flush(const fs::path& spool) {
  Store* real = store();
  if (real == nullptr) return Flush::away;
  std::ifstream in(spool);
  std::string line;
  std::error_code ec;
  try {
    while (std::getline(in, line)) {
      // A line cut short by a crash while it was appended was never acknowledged.
      if (line.empty() || !nlohmann::json::accept(line)) continue;
      replay_line(*real, line);
    }
  } catch (const StoreError& error) {
    if (error.unavailable()) {
      last_problem_ = error.what();
      store_.reset();
      return Flush::away;
    }
    // Replayed again it would be refused again, and stop every later run:
    // it is kept aside instead, for a qgate that stores it.
    last_problem_ = error.what();
    fs::path aside = spool;
    aside += ".refused";
    fs::rename(spool, aside, ec);
    refused_earlier_.push_back(aside);
    return Flush::refused;
  }
  fs::remove(spool, ec);
  return Flush::replayed;
}

void SpoolingStore::write(const std::string& run_id, const std::string& line,
                          const std::function<void(Store&)>& write, bool last_of_run) {
  const fs::path spool = spool_file(run_id);
  std::error_code ec;
  if (refused_run_ == run_id) {
    append(refused_file(run_id), line);
    return;
  }
  if (away_ && !last_of_run) {
    append(spool, line);
    return;
  }
  // Order matters (a gate needs its run): while anything of this run is
  // spooled, new writes queue behind it.
  if (fs::exists(spool, ec)) {
    const Flush flushed = flush(spool);
    if (flushed == Flush::refused) {
      refused_run_ = run_id;
      append(refused_file(run_id), line);
      return;
    }
    if (flushed == Flush::away) {
      away_ = true;
      append(spool, line);
      return;
    }
  }
  Store* real = store();
  if (real != nullptr) {
    try {
      write(*real);
      return;
    } catch (const StoreError& error) {
      last_problem_ = error.what();
      if (!error.unavailable()) {
        // Refused for what it holds: a bug of qgate's, but never a lost run.
        refused_run_ = run_id;
        append(refused_file(run_id), line);
        return;
      }
      store_.reset();
    }
  }
  away_ = true;
  append(spool, line);
}

int SpoolingStore::replay_pending() {
  std::error_code ec;
  if (!fs::is_directory(spool_dir_, ec)) return 0;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(spool_dir_, ec)) {
    if (entry.path().extension() == ".jsonl") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  int replayed = 0;
  for (const auto& file : files) {
    const Flush flushed = flush(file);
    if (flushed == Flush::away) break;
    if (flushed == Flush::replayed) ++replayed;
  }
  return replayed;
}

int SpoolingStore::reap_interrupted() {
  Store* real = store();
  return real == nullptr ? 0 : real->reap_interrupted();
}

void SpoolingStore::begin_run(const RunResult& run) {
  write(
      run.id, begin_line(run), [&](Store& s) { s.begin_run(run); }, false);
}

void SpoolingStore::record_gate(const std::string& run_id, const GateResult& gate) {
  write(
      run_id, gate_line(run_id, gate), [&](Store& s) { s.record_gate(run_id, gate); }, false);
}

void SpoolingStore::finish_run(const RunResult& run) {
  write(
      run.id, finish_line(run), [&](Store& s) { s.finish_run(run); }, true);
}

std::vector<RunSummary> SpoolingStore::list_runs(const RunQuery& query) {
  Store* real = store();
  if (real == nullptr) throw StoreError(last_problem_, StoreFailure::unavailable);
  return real->list_runs(query);
}

std::optional<RunResult> SpoolingStore::load_run(const std::string& id) {
  Store* real = store();
  if (real == nullptr) throw StoreError(last_problem_, StoreFailure::unavailable);
  return real->load_run(id);
}

std::optional<GateBaseline> SpoolingStore::gate_baseline(const std::string& module_id,
                                                         const std::string& gate) {
  Store* real = store();
  if (real == nullptr) throw StoreError(last_problem_, StoreFailure::unavailable);
  return real->gate_baseline(module_id, gate);
}

std::vector<GateBaseline> SpoolingStore::gate_baselines(const std::string& module_id,
                                                        const std::string& gate, int count) {
  Store* real = store();
  if (real == nullptr) throw StoreError(last_problem_, StoreFailure::unavailable);
  return real->gate_baselines(module_id, gate, count);
}

std::optional<GateBaseline> SpoolingStore::findings_baseline(const BaselineQuery& query) {
  Store* real = store();
  if (real == nullptr) throw StoreError(last_problem_, StoreFailure::unavailable);
  return real->findings_baseline(query);
}

int SpoolingStore::mark_baseline(const std::string& module_id, const std::string& gate,
                                 const std::string& run_id, BaselineMark mark) {
  Store* real = store();
  if (real == nullptr) throw StoreError(last_problem_, StoreFailure::unavailable);
  return real->mark_baseline(module_id, gate, run_id, mark);
}

std::vector<std::string> SpoolingStore::notify_dependent_modules(
    const RunResult& run, const std::vector<std::string>& dependents) {
  Store* real = store();
  if (real == nullptr) throw StoreError(last_problem_, StoreFailure::unavailable);
  return real->notify_dependent_modules(run, dependents);
}

void SpoolingStore::heartbeat(const std::string& run_id) {
  if (store_) store_->heartbeat(run_id);
}

CheckoutDirectory* SpoolingStore::checkouts() {
  Store* real = store();
  return real == nullptr ? nullptr : real->checkouts();
}

std::string SpoolingStore::describe() const {
  return description_.empty() ? "an unreachable store" : description_;
}

}  // namespace qgate
