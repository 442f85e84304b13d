// The spooling store over a real SQLite store: what it does with a write the
// store refuses for what it holds (not for being away).
#include "runner/store/spooling_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "runner/core/result_json.hpp"
#include "tests/test_support.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::TempDir;
using testing::write_file;

RunResult sample_run() {
  RunResult run;
  run.id = new_run_id();
  run.module_id = "spool-001";
  run.started_at = utc_now_iso8601();
  return run;
}

GateResult sample_gate() {
  GateResult gate;
  gate.name = "lint";
  gate.status = Status::passed;
  gate.message = "1/1 steps passed";
  return gate;
}

std::unique_ptr<SpoolingStore> spooling_sqlite(const TempDir& dir) {
  const fs::path db = dir / "qgate.db";
  return std::make_unique<SpoolingStore>([db] { return open_sqlite_store(db); }, dir / "spool");
}

std::size_t lines_of(const fs::path& file) {
  const std::string text = read_file(file);
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST(SpoolingStore, AWriteTheStoreRefusesIsKeptWithTheRestOfItsRun) {
  TempDir dir;
  auto store = spooling_sqlite(dir);
  // A gate of a run never begun: SQLite refuses it (foreign key), as a
  // database refuses any write for what it holds.
  RunResult run = sample_run();
  ASSERT_NO_THROW(store->record_gate(run.id, sample_gate()));
  const auto kept = store->refused(run.id);
  ASSERT_TRUE(kept.has_value());
  EXPECT_NE(store->last_problem().find("cannot record gate 'lint' of run " + run.id),
            std::string::npos)
      << store->last_problem();
  // What follows of the run goes beside it, in order, never lost.
  run.status = Status::passed;
  run.exit_code = 0;
  ASSERT_NO_THROW(store->finish_run(run));
  EXPECT_EQ(lines_of(*kept), 2u);
  EXPECT_FALSE(store->pending(run.id).has_value());
  // Another run is recorded as ever.
  RunResult other = sample_run();
  store->begin_run(other);
  store->record_gate(other.id, sample_gate());
  other.status = Status::passed;
  store->finish_run(other);
  EXPECT_FALSE(store->refused(other.id).has_value());
  EXPECT_EQ(store->load_run(other.id)->status, Status::passed);
}

TEST(SpoolingStore, AnEarlierSpoolTheStoreRefusesIsSetAsideAndStopsNoLaterRun) {
  TempDir dir;
  RunResult lost = sample_run();
  lost.gates.push_back(sample_gate());
  write_file(dir / "spool" / (lost.id + ".jsonl"),
             nlohmann::json{{"op", "gate"}, {"run", run_to_json(lost)}}.dump() + "\n");
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto store = spooling_sqlite(dir);
    EXPECT_EQ(store->replay_pending(), 0);
    EXPECT_EQ(store->refused_earlier().size(), attempt == 0 ? 1u : 0u);
    RunResult run = sample_run();
    store->begin_run(run);
    run.status = Status::passed;
    store->finish_run(run);
    EXPECT_EQ(store->load_run(run.id)->status, Status::passed);
  }
  EXPECT_FALSE(fs::exists(dir / "spool" / (lost.id + ".jsonl")));
  EXPECT_EQ(lines_of(dir / "spool" / (lost.id + ".jsonl.refused")), 1u);
}

}  // namespace
}  // namespace qgate
