// Loads the PostgreSQL store from its plugin (qgate_pg.so beside the qgate
// binary) only when a database URL is given: libpq and the twenty libraries
// it brings would otherwise triple the start-up time of every SQLite run.
// Calls cross the boundary without exceptions (runner/store/pg_plugin.hpp).
#include <dlfcn.h>

#include <filesystem>
#include <mutex>

#include "runner/store/pg_plugin.hpp"
#include "runner/store/store.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;

const PgApi& api() {
  static const PgApi* loaded = nullptr;
  static std::string problem;
  static std::once_flag once;
  std::call_once(once, [] {
    std::vector<fs::path> candidates;
    if (const char* path = std::getenv("QGATE_PG_PLUGIN")) candidates.emplace_back(path);
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
      candidates.push_back(self.parent_path() / "qgate_pg.so");
      candidates.push_back(self.parent_path().parent_path() / "lib" / "qgate" / "qgate_pg.so");
    }
    for (const auto& candidate : candidates) {
      if (!fs::exists(candidate, ec)) continue;
      void* handle = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (handle == nullptr) {
        problem = dlerror();
        continue;
      }
      using Entry = const PgApi* (*)();
      auto entry = reinterpret_cast<Entry>(dlsym(handle, "qgate_pg_api"));
      if (entry == nullptr || entry()->version != kPgApiVersion) {
        problem = candidate.string() + " is not a qgate PostgreSQL plugin of this version";
        continue;
      }
      loaded = entry();
      return;
    }
    if (problem.empty()) problem = "qgate_pg.so was not found beside the qgate binary";
  });
  if (loaded == nullptr) throw StoreError("cannot load the PostgreSQL store: " + problem);
  return *loaded;
}

void check(const PgError& error) {
  if (error.failed) {
    throw StoreError(error.message,
                     error.unavailable ? StoreFailure::unavailable : StoreFailure::permanent);
  }
}

// qgate's side of the plugin's store.
class PluginStore final : public Store, public CheckoutDirectory {
 public:
  explicit PluginStore(void* store) : store_(store) {}
  ~PluginStore() override { api().close(store_); }
  PluginStore(const PluginStore&) = delete;
  PluginStore& operator=(const PluginStore&) = delete;

  int reap_interrupted() override {
    PgError error;
    const int marked = api().reap_interrupted(store_, error);
    check(error);
    return marked;
  }
  void begin_run(const RunResult& run) override { call(api().begin_run, run); }
  void record_gate(const std::string& run_id, const GateResult& gate) override {
    PgError error;
    api().record_gate(store_, run_id, gate, error);
    check(error);
  }
  void finish_run(const RunResult& run) override { call(api().finish_run, run); }
  std::vector<RunSummary> list_runs(const RunQuery& query) override {
    std::vector<RunSummary> out;
    PgError error;
    api().list_runs(store_, query, out, error);
    check(error);
    return out;
  }
  std::optional<RunResult> load_run(const std::string& id) override {
    std::optional<RunResult> out;
    PgError error;
    api().load_run(store_, id, out, error);
    check(error);
    return out;
  }
  std::optional<GateBaseline> gate_baseline(const std::string& module_id,
                                            const std::string& gate) override {
    std::optional<GateBaseline> out;
    PgError error;
    api().gate_baseline(store_, module_id, gate, out, error);
    check(error);
    return out;
  }
  std::vector<GateBaseline> gate_baselines(const std::string& module_id, const std::string& gate,
                                           int count) override {
    std::vector<GateBaseline> out;
    PgError error;
    api().gate_baselines(store_, module_id, gate, count, out, error);
    check(error);
    return out;
  }

  std::optional<GateBaseline> findings_baseline(const BaselineQuery& query) override {
    std::optional<GateBaseline> out;
    PgError error;
    api().findings_baseline(store_, query, out, error);
    check(error);
    return out;
  }
  int mark_baseline(const std::string& module_id, const std::string& gate,
                    const std::string& run_id, BaselineMark mark) override {
    int out = 0;
    PgError error;
    api().mark_baseline(store_, module_id, gate, run_id, mark, out, error);
    check(error);
    return out;
  }
  void heartbeat(const std::string& run_id) override { api().heartbeat(store_, run_id); }
  CheckoutDirectory* checkouts() override { return this; }
  std::string describe() const override {
    std::string out;
    api().describe(store_, out);
    return out;
  }
  std::optional<Checkout> find_checkout(const std::string& id) override {
    std::optional<Checkout> out;
    PgError error;
    api().find_checkout(store_, id, out, error);
    check(error);
    return out;
  }
  std::optional<Checkout> active_checkout(const std::string& module_id) override {
    std::optional<Checkout> out;
    PgError error;
    api().active_checkout(store_, module_id, out, error);
    check(error);
    return out;
  }
  std::vector<Checkout> notify_dependents(const RunResult& run,
                                          const std::vector<std::string>& dependents) override {
    std::vector<Checkout> out;
    PgError error;
    api().notify_dependents(store_, run, dependents, out, error);
    check(error);
    return out;
  }

 private:
  void call(void (*function)(void*, const RunResult&, PgError&), const RunResult& run) {
    PgError error;
    function(store_, run, error);
    check(error);
  }

  void* store_;
};

}  // namespace

std::unique_ptr<Store> open_postgres_store(const std::string& url, const RetryBudget& retry) {
  PgError error;
  void* store = api().open(url, retry, error);
  check(error);
  return std::make_unique<PluginStore>(store);
}

const PgApi& postgres_plugin() { return api(); }

std::vector<int> migrate_postgres(const std::string& url) {
  std::vector<int> out;
  PgError error;
  api().migrate(url, out, error);
  check(error);
  return out;
}

std::vector<std::pair<int, bool>> postgres_migration_status(const std::string& url) {
  std::vector<std::pair<int, bool>> out;
  PgError error;
  api().migration_status(url, out, error);
  check(error);
  return out;
}

}  // namespace qgate
