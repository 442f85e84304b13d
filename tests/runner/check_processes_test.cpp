// The processes of `qgate check`'s steps, with the real binary: whatever a
// step starts ends with the step, with a cancel and with qgate itself, even
// when it left the step's process group. Every wait is bounded, so that a
// regression fails instead of hanging.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "runner/store/store.hpp"
#include "tests/test_support.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;
using testing::process_survives;
using testing::QgateProcess;
using testing::read_file;
using testing::read_pid;
using testing::TempDir;
using testing::wait_for_file;
using testing::write_file;

// Waits up to `seconds` for `process` to end. If it does not, the test
// fails, and the processes whose pids are in `pid_files` and qgate are killed
// so that nothing hangs.
void expect_ends_within(QgateProcess& process, double seconds,
                        const std::vector<fs::path>& pid_files) {
  const auto limit = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < limit) {
    if (process.ended()) return;
    usleep(20'000);
  }
  ADD_FAILURE() << "qgate still runs after " << seconds << " s";
  for (const auto& file : pid_files) {
    if (const int pid = read_pid(file); pid > 0) kill(pid, SIGKILL);
  }
  kill(process.pid, SIGKILL);
  process.wait();
}

// The checklist of these tests: the lint gate's steps decide it.
const char* const kLintRequired =
    "integration_requirements:\n  code_quality: [{linting_rules_followed: true}]\n";

// A step that leaves its process group in two ways: one process keeps the
// output pipe and ignores SIGTERM, the other closes the pipe too.
const char* const kEscapingStep =
    "      - name: escapes\n"
    "        run: >-\n"
    "          setsid sh -c 'trap \"\" TERM; echo $$ > holder.pid; exec sleep 40' &\n"
    "          setsid sh -c 'echo $$ > daemon.pid; exec sleep 40' >/dev/null 2>&1 &\n"
    "          sleep 40 & echo $! > child.pid; echo $$ > leader.pid; wait\n";

const std::vector<fs::path> pid_files(const TempDir& dir) {
  return {dir / "leader.pid", dir / "child.pid", dir / "holder.pid", dir / "daemon.pid"};
}

void wait_for_pids(const TempDir& dir) {
  for (const auto& file : pid_files(dir)) ASSERT_TRUE(wait_for_file(file, 10)) << file;
  usleep(100'000);  // the pids are written before the files are closed
}

void expect_none_survives(const TempDir& dir) {
  for (const auto& file : pid_files(dir)) {
    const int pid = read_pid(file);
    ASSERT_GT(pid, 0) << file;
    EXPECT_FALSE(process_survives(pid)) << file << " survived";
  }
}

TEST(CheckProcesses, TimeoutEndsAStepWhoseProcessesLeftItsGroupAndRecordsItTimedOut) {
  TempDir dir;
  write_file(dir / "integration-requirements.yaml",
             std::string(kLintRequired) + "settings: {grace: 1s}\ngates:\n  lint:\n    steps:\n" +
                 kEscapingStep + "        timeout: 1s\n");
  QgateProcess process;
  const auto started = std::chrono::steady_clock::now();
  process.start({"check", "--ci"}, dir.path(), dir / "out.txt");
  expect_ends_within(process, 10, pid_files(dir));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(process.exit_code, 1) << read_file(dir / "out.txt");
  EXPECT_LT(seconds, 6.0);
  expect_none_survives(dir);
  auto store = open_sqlite_store(dir / ".qgate/qgate.db");
  const auto runs = store->list_runs({});
  ASSERT_EQ(runs.size(), 1u);
  const auto run = store->load_run(runs[0].id);
  ASSERT_TRUE(run.has_value());
  ASSERT_EQ(run->gates.size(), 1u);
  ASSERT_EQ(run->gates[0].steps.size(), 1u);
  EXPECT_TRUE(run->gates[0].steps[0].timed_out);
  EXPECT_EQ(run->gates[0].steps[0].status, Status::failed);
}

TEST(CheckProcesses, SigtermEndsARunWhoseStepLeftItsGroupAndKillsEverything) {
  TempDir dir;
  write_file(dir / "integration-requirements.yaml",
             std::string("integration_requirements: {}\nsettings: {grace: 1s}\ngates:\n"
                         "  lint:\n    steps:\n") +
                 kEscapingStep);
  QgateProcess process;
  process.start({"check", "--ci"}, dir.path(), dir / "out.txt");
  wait_for_pids(dir);
  kill(process.pid, SIGTERM);
  expect_ends_within(process, 6, pid_files(dir));
  EXPECT_EQ(process.exit_code, 130) << read_file(dir / "out.txt");
  expect_none_survives(dir);
  auto store = open_sqlite_store(dir / ".qgate/qgate.db");
  const auto runs = store->list_runs({});
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, Status::cancelled);
}

TEST(CheckProcesses, SecondCtrlCKillsWithoutWaitingForTheGrace) {
  TempDir dir;
  write_file(dir / "integration-requirements.yaml",
             std::string("integration_requirements: {}\nsettings: {grace: 30s}\ngates:\n"
                         "  lint:\n    steps:\n") +
                 kEscapingStep);
  QgateProcess process;
  process.start({"check", "--ci"}, dir.path(), dir / "out.txt");
  wait_for_pids(dir);
  kill(process.pid, SIGINT);
  usleep(300'000);
  kill(process.pid, SIGINT);
  expect_ends_within(process, 6, pid_files(dir));
  EXPECT_EQ(process.exit_code, 130) << read_file(dir / "out.txt");
  expect_none_survives(dir);
}

TEST(CheckProcesses, KillNineOfQgateLeavesNoProcessOfAnyStep) {
  TempDir dir;
  write_file(dir / "integration-requirements.yaml",
             std::string("integration_requirements: {}\ngates:\n  lint:\n    steps:\n") +
                 kEscapingStep +
                 "      - {name: plain, run: 'echo $$ > plain.pid; sleep 40 & echo $! > "
                 "plain-child.pid; sleep 40'}\n");
  QgateProcess process;
  process.start({"check", "--ci", "-j", "2"}, dir.path(), dir / "out.txt");
  wait_for_pids(dir);
  ASSERT_TRUE(wait_for_file(dir / "plain-child.pid", 10));
  usleep(100'000);
  kill(process.pid, SIGKILL);
  process.wait();
  expect_none_survives(dir);
  EXPECT_FALSE(process_survives(read_pid(dir / "plain.pid")));
  EXPECT_FALSE(process_survives(read_pid(dir / "plain-child.pid")));
}

TEST(CheckProcesses, StepOverTheArgumentLengthLimitFailsAloneAndTheRunIsRecorded) {
  TempDir dir;
  write_file(dir / "integration-requirements.yaml",
             std::string(kLintRequired) +
                 "gates:\n  lint:\n    steps:\n      - {name: huge, run: 'echo " +
                 std::string(300'000, 'x') +
                 "'}\n"
                 "      - {name: small, run: 'touch small-ran'}\n");
  QgateProcess process;
  process.start({"check", "--ci"}, dir.path(), dir / "out.txt");
  expect_ends_within(process, 20, {});
  const std::string out = read_file(dir / "out.txt");
  EXPECT_EQ(process.exit_code, 1) << out.substr(0, 2000);
  EXPECT_EQ(out.find("internal error"), std::string::npos) << out.substr(0, 2000);
  EXPECT_TRUE(fs::exists(dir / "small-ran"));
  auto store = open_sqlite_store(dir / ".qgate/qgate.db");
  const auto runs = store->list_runs({});
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, Status::failed);
  const auto run = store->load_run(runs[0].id);
  ASSERT_TRUE(run.has_value());
  ASSERT_EQ(run->gates.size(), 1u);
  ASSERT_EQ(run->gates[0].steps.size(), 2u);
  for (const auto& step : run->gates[0].steps) {
    if (step.name == "huge") {
      EXPECT_EQ(step.status, Status::error);
      EXPECT_NE(step.message.find("over the system's limit of"), std::string::npos) << step.message;
    } else {
      EXPECT_EQ(step.status, Status::passed);
    }
  }
}

}  // namespace
}  // namespace qgate
