#pragma once
// Keeps results when the database is away: writes that fail because the
// store cannot be reached are appended to a spool file per run (fsync'd),
// and replayed in order once the store answers again, in this run or the
// next one. Nothing is lost; nothing is written twice (every write is
// idempotent).
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runner/store/store.hpp"

namespace qgate {

class SpoolingStore final : public Store {
 public:
  // Opens the real store with `open` when first needed (again after each
  // failure); spools under `spool_dir`.
  SpoolingStore(std::function<std::unique_ptr<Store>()> open, std::filesystem::path spool_dir);

  // Replays the spool files left by earlier runs; returns how many runs were
  // replayed whole. A store still unreachable leaves them for later.
  int replay_pending();
  // Returns the spool file of run `run_id` if some of its results are not
  // yet in the store.
  std::optional<std::filesystem::path> pending(const std::string& run_id) const;
  // Returns the file that keeps the results of run `run_id` which the store
  // refused (not for being away: for what they hold), if it refused any.
  std::optional<std::filesystem::path> refused(const std::string& run_id) const;
  // Returns the spool files of earlier runs that the store refused on replay,
  // set aside (renamed *.refused) so that they stop every later run no more.
  const std::vector<std::filesystem::path>& refused_earlier() const { return refused_earlier_; }
  // Returns why the store could not be reached, or refused a write, the last
  // time it did.
  const std::string& last_problem() const { return last_problem_; }

  int reap_interrupted() override;
  void begin_run(const RunResult& run) override;
  void record_gate(const std::string& run_id, const GateResult& gate) override;
  void finish_run(const RunResult& run) override;
  std::vector<RunSummary> list_runs(const RunQuery& query) override;
  std::optional<RunResult> load_run(const std::string& id) override;
  std::optional<GateBaseline> gate_baseline(const std::string& module_id,
                                            const std::string& gate) override;
  std::vector<GateBaseline> gate_baselines(const std::string& module_id, const std::string& gate,
                                           int count) override;
  std::optional<GateBaseline> findings_baseline(const BaselineQuery& query) override;
  int mark_baseline(const std::string& module_id, const std::string& gate,
                    const std::string& run_id, BaselineMark mark) override;
  std::vector<std::string> notify_dependent_modules(
      const RunResult& run, const std::vector<std::string>& dependents) override;
  void heartbeat(const std::string& run_id) override;
  CheckoutDirectory* checkouts() override;
  std::string describe() const override;

 private:
  Store* store();  // the real store, or nullptr while it cannot be opened
  // Does `write` on the real store after flushing run `run_id`'s spool, or
  // spools `line` if the store cannot be reached.
  void write(const std::string& run_id, const std::string& line,
             const std::function<void(Store&)>& write, bool last_of_run);
  enum class Flush { replayed, away, refused };
  // Replays `spool` and removes it; a spool the store refuses is set aside.
  Flush flush(const std::filesystem::path& spool);
  void append(const std::filesystem::path& spool, const std::string& line);
  std::filesystem::path spool_file(const std::string& run_id) const;
  std::filesystem::path refused_file(const std::string& run_id) const;

  std::function<std::unique_ptr<Store>()> open_;
  std::filesystem::path spool_dir_;
  std::unique_ptr<Store> store_;
  std::string last_problem_;
  std::string description_;
  // Once the store was found away in a run, later writes of the run go
  // straight to the spool instead of waiting out the retries each time; the
  // run's last write (finish) tries again.
  bool away_ = false;
  // Once the store refused a write of a run, the rest of the run is kept
  // beside it: a later write alone could not stand (a gate needs its run).
  std::string refused_run_;
  std::vector<std::filesystem::path> refused_earlier_;
};

}  // namespace qgate
