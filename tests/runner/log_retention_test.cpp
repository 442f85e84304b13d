#include "runner/app/log_retention.hpp"

#include <gtest/gtest.h>
#include <utime.h>

#include <string>

#include "tests/test_support.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::write_file;

// Makes the run folder of `run` of `module` under `runs`, `age` seconds old,
// with `bytes` of log.
void make_run(const fs::path& runs, const std::string& run, const std::string& module, int age,
              std::size_t bytes) {
  { const RunFolder folder(runs, run, module); }
  write_file(runs / run / "lint" / "step.log", std::string(bytes, 'x'));
  const fs::path marker = runs / run / ".qgate-run";
  const auto when = fs::file_time_type::clock::now() - std::chrono::seconds(age);
  fs::last_write_time(marker, when);
}

TEST(LogRetention, KeepsTheNewestRunsOfEachModuleAndListsThoseRemoved) {
  TempDir dir;
  const fs::path runs = dir / "runs";
  for (int i = 0; i < 5; ++i) make_run(runs, "a" + std::to_string(i), "alpha", 100 - i, 10);
  for (int i = 0; i < 2; ++i) make_run(runs, "b" + std::to_string(i), "beta", 200 - i, 10);
  const PruneOutcome outcome = prune_run_logs(runs, {3, 1 << 20});
  EXPECT_EQ(outcome.removed, 2);
  EXPECT_EQ(outcome.kept, 5);
  EXPECT_FALSE(fs::exists(runs / "a0"));
  EXPECT_FALSE(fs::exists(runs / "a1"));
  for (const char* kept : {"a2", "a3", "a4", "b0", "b1"}) EXPECT_TRUE(fs::exists(runs / kept));
  EXPECT_TRUE(pruned_at(runs, "a0").has_value());
  EXPECT_FALSE(pruned_at(runs, "a2").has_value());
  EXPECT_FALSE(pruned_at(runs, "a").has_value());
}

TEST(LogRetention, RemovesTheOldestUntilTheRestFitsTheSizeCap) {
  TempDir dir;
  const fs::path runs = dir / "runs";
  for (int i = 0; i < 6; ++i) make_run(runs, "r" + std::to_string(i), "alpha", 100 - i, 400'000);
  // 1 MiB holds two runs of 400 KB, not three.
  const PruneOutcome outcome = prune_run_logs(runs, {20, 1 << 20});
  EXPECT_EQ(outcome.kept, 2);
  EXPECT_EQ(outcome.removed, 4);
  EXPECT_TRUE(fs::exists(runs / "r5"));
  EXPECT_TRUE(fs::exists(runs / "r4"));
  EXPECT_FALSE(fs::exists(runs / "r3"));
  EXPECT_GE(outcome.removed_bytes, 4u * 400'000u);
}

TEST(LogRetention, NeverRemovesTheFolderOfARunStillRunning) {
  TempDir dir;
  const fs::path runs = dir / "runs";
  make_run(runs, "new", "alpha", 1, 10);
  const RunFolder running(runs, "old-but-running", "alpha");
  fs::last_write_time(runs / "old-but-running" / ".qgate-run",
                      fs::file_time_type::clock::now() - std::chrono::hours(1));
  const PruneOutcome outcome = prune_run_logs(runs, {1, 1});
  EXPECT_TRUE(fs::exists(runs / "old-but-running"));
  EXPECT_EQ(outcome.removed, 1);  // "new": too big for a cap of one byte
}

}  // namespace
}  // namespace qgate
