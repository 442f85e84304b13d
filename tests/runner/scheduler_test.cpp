#include "runner/schedule/scheduler.hpp"

#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <sstream>

#include "tests/test_support.hpp"

extern char** environ;

namespace qgate {
namespace {

using testing::process_survives;
using testing::read_file;
using testing::read_pid;
using testing::TempDir;
using Clock = std::chrono::steady_clock;

StepSpec make_step(const TempDir& dir, const std::string& name, const std::string& command) {
  StepSpec step;
  step.gate = "lint";
  step.name = name;
  step.command = command;
  step.cwd = dir.path();
  for (char** e = environ; *e != nullptr; ++e) step.environment.emplace_back(*e);
  step.environment.push_back("QGATE_STEP=" + name);
  step.timeout = std::chrono::seconds(30);
  step.grace = std::chrono::seconds(2);
  step.log_path = dir / ("logs/" + name + ".log");
  return step;
}

ScheduleOutcome run(const std::vector<StepSpec>& steps, int jobs, FailFast fail_fast = FailFast::no,
                    const SecretMasker& masker = {}) {
  SchedulerOptions options;
  options.jobs = jobs;
  options.fail_fast = fail_fast;
  return run_steps(steps, options, masker, nullptr);
}

// Runs `steps` on a thread under a watchdog: a scheduler still waiting after
// `limit` seconds fails the test, and the processes whose pids are in
// `pid_files` are killed so that its wait ends, instead of the test hanging.
ScheduleOutcome run_bounded(const std::vector<StepSpec>& steps, std::chrono::seconds limit,
                            const std::vector<std::filesystem::path>& pid_files) {
  auto future = std::async(std::launch::async, [&] { return run(steps, 2); });
  if (future.wait_for(limit) != std::future_status::ready) {
    ADD_FAILURE() << "the scheduler still waits after " << limit.count() << " s";
    for (const auto& file : pid_files) {
      if (const int pid = read_pid(file); pid > 0) kill(pid, SIGKILL);
    }
    if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      std::fprintf(stderr, "the scheduler still waits after its escaped processes were killed\n");
      std::abort();
    }
  }
  return future.get();
}

int open_fd_count() {
  int count = 0;
  DIR* dir = opendir("/proc/self/fd");
  while (readdir(dir) != nullptr) ++count;
  closedir(dir);
  return count;
}

TEST(Scheduler, RunsStepsInParallel) {
  TempDir dir;
  // Each step waits for the other's file: they pass only if they run at once.
  const auto outcome = run(
      {make_step(dir, "a",
                 "touch a; for i in $(seq 100); do [ -f b ] && exit 0; sleep 0.05; done; exit 1"),
       make_step(dir, "b",
                 "touch b; for i in $(seq 100); do [ -f a ] && exit 0; sleep 0.05; done; exit 1")},
      2);
  EXPECT_EQ(outcome.results[0].status, Status::passed);
  EXPECT_EQ(outcome.results[1].status, Status::passed);
}

TEST(Scheduler, NeverRunsMoreStepsThanJobs) {
  TempDir dir;
  std::vector<StepSpec> steps;
  // Each step registers itself, counts who is registered, then leaves.
  for (int i = 0; i < 12; ++i) {
    steps.push_back(make_step(dir, "s" + std::to_string(i),
                              "touch slot.$QGATE_STEP; ls slot.* | wc -l >> counts; sleep 0.05; "
                              "rm slot.$QGATE_STEP"));
  }
  const auto outcome = run(steps, 3);
  for (const auto& result : outcome.results) EXPECT_EQ(result.status, Status::passed);
  std::istringstream counts(read_file(dir / "counts"));
  int count = 0;
  int seen = 0;
  while (counts >> count) {
    EXPECT_LE(count, 3);
    ++seen;
  }
  EXPECT_EQ(seen, 12);
}

TEST(Scheduler, TimeoutKillsStepIgnoringSigtermAndGrandchildHoldingPipe) {
  TempDir dir;
  StepSpec step = make_step(
      dir, "stubborn",
      "trap '' TERM; (trap '' TERM; while :; do sleep 0.05; done) & echo $! > grandchild.pid; "
      "echo $$ > child.pid; while :; do sleep 0.05; done");
  step.timeout = std::chrono::milliseconds(300);
  step.grace = std::chrono::milliseconds(300);
  const auto started = Clock::now();
  const auto outcome = run({step}, 1);
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  const StepResult& result = outcome.results[0];
  EXPECT_EQ(result.status, Status::failed);
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.term_signal, SIGKILL);
  EXPECT_EQ(result.message, "timed out after 0.3 s");
  EXPECT_LT(seconds, 10.0);
  const int child = read_pid(dir / "child.pid");
  const int grandchild = read_pid(dir / "grandchild.pid");
  ASSERT_GT(child, 0);
  ASSERT_GT(grandchild, 0);
  EXPECT_FALSE(process_survives(child));
  EXPECT_FALSE(process_survives(grandchild));
}

TEST(Scheduler, StopsBackgroundProcessLeftByAFinishedStep) {
  TempDir dir;
  const auto started = Clock::now();
  const auto outcome =
      run({make_step(dir, "leaves-daemon", "sleep 60 & echo $! > daemon.pid; echo done")}, 1);
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  EXPECT_EQ(outcome.results[0].status, Status::passed);
  EXPECT_LT(seconds, 10.0);
  EXPECT_FALSE(process_survives(read_pid(dir / "daemon.pid")));
}

TEST(Scheduler, TimeoutKillsProcessesThatLeftTheGroupAndEndsTheStep) {
  TempDir dir;
  // One escapee keeps the output pipe and ignores SIGTERM; the other leaves
  // the group and the pipe both: only its environment still says whose it is.
  StepSpec step = make_step(dir, "escapes",
                            "setsid sh -c 'trap \"\" TERM; echo $$ > holder.pid; exec sleep 40' & "
                            "setsid sh -c 'echo $$ > daemon.pid; exec sleep 40' >/dev/null 2>&1 & "
                            "echo started; sleep 40");
  step.timeout = std::chrono::milliseconds(500);
  step.grace = std::chrono::milliseconds(300);
  const auto started = Clock::now();
  const auto outcome =
      run_bounded({step}, std::chrono::seconds(8), {dir / "holder.pid", dir / "daemon.pid"});
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  const StepResult& result = outcome.results[0];
  EXPECT_EQ(result.status, Status::failed);
  EXPECT_TRUE(result.timed_out);
  EXPECT_NE(result.message.find("timed out"), std::string::npos);
  EXPECT_LT(seconds, 5.0);
  EXPECT_EQ(result.tail, "started");
  ASSERT_GT(read_pid(dir / "holder.pid"), 0);
  ASSERT_GT(read_pid(dir / "daemon.pid"), 0);
  EXPECT_FALSE(process_survives(read_pid(dir / "holder.pid")));
  EXPECT_FALSE(process_survives(read_pid(dir / "daemon.pid")));
}

TEST(Scheduler, StepEndsSoonAfterItsCommandThoughAnEscapedProcessHoldsThePipe) {
  TempDir dir;
  StepSpec step = make_step(dir, "leaves-holder",
                            "setsid sh -c 'trap \"\" TERM; echo $$ > holder.pid; exec sleep 40' & "
                            "while [ ! -s holder.pid ]; do sleep 0.01; done; echo done");
  // Neither the timeout nor the grace is what ends it: the short grace for
  // leftovers is.
  step.timeout = std::chrono::seconds(30);
  step.grace = std::chrono::seconds(20);
  const auto started = Clock::now();
  const auto outcome = run_bounded({step}, std::chrono::seconds(8), {dir / "holder.pid"});
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  const StepResult& result = outcome.results[0];
  EXPECT_EQ(result.status, Status::passed) << result.message;
  EXPECT_FALSE(result.timed_out);
  EXPECT_LT(seconds, 5.0);
  EXPECT_FALSE(process_survives(read_pid(dir / "holder.pid")));
  EXPECT_NE(read_file(dir / "logs/leaves-holder.log").find("1 process(es) it started still held"),
            std::string::npos)
      << read_file(dir / "logs/leaves-holder.log");
}

TEST(Scheduler, StepsSeeTheirOwnTagAndKeepNoneInherited) {
  TempDir dir;
  StepSpec first = make_step(dir, "first", "echo \"$QGATE_STEP_TAG\" > first.tag");
  first.environment.push_back("QGATE_STEP_TAG=outer-run.0.1");
  StepSpec second = make_step(dir, "second", "echo \"$QGATE_STEP_TAG\" > second.tag");
  SchedulerOptions options;
  options.process_tag = "this-run";
  run_steps({first, second}, options, {}, nullptr);
  EXPECT_EQ(read_file(dir / "first.tag"), "this-run.0.1\n");
  EXPECT_EQ(read_file(dir / "second.tag"), "this-run.1.1\n");
}

TEST(Scheduler, ExclusiveStepRunsAlone) {
  TempDir dir;
  std::vector<StepSpec> steps;
  for (int i = 0; i < 4; ++i) {
    steps.push_back(make_step(dir, "n" + std::to_string(i),
                              "echo start >> events; sleep 0.1; echo end >> events"));
  }
  StepSpec exclusive =
      make_step(dir, "formatter", "echo xstart >> events; sleep 0.2; echo xend >> events");
  exclusive.exclusive = true;
  steps.insert(steps.begin() + 2, exclusive);
  const auto outcome = run(steps, 4);
  for (const auto& result : outcome.results) EXPECT_EQ(result.status, Status::passed);
  // Nothing may start or end between xstart and xend, and nothing may be
  // running when xstart comes.
  std::istringstream events(read_file(dir / "events"));
  std::string event;
  int running = 0;
  bool inside = false;
  int count = 0;
  while (events >> event) {
    ++count;
    if (event == "xstart") {
      EXPECT_EQ(running, 0);
      inside = true;
    } else if (event == "xend") {
      inside = false;
    } else {
      EXPECT_FALSE(inside) << "a step ran beside the exclusive one";
      running += event == "start" ? 1 : -1;
    }
  }
  EXPECT_EQ(count, 10);
}

TEST(Scheduler, FailFastCancelsTheRestAfterRequiredFailure) {
  TempDir dir;
  StepSpec failing = make_step(dir, "fails", "sleep 0.1; exit 1");
  failing.required = true;
  StepSpec sleeper = make_step(dir, "sleeper", "echo $$ > sleeper.pid; sleep 30");
  StepSpec later = make_step(dir, "later", "touch later-ran");
  const auto started = Clock::now();
  const auto outcome = run({failing, sleeper, later}, 2, FailFast::yes);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - started).count(), 10.0);
  EXPECT_EQ(outcome.results[0].status, Status::failed);
  EXPECT_EQ(outcome.results[1].status, Status::cancelled);
  EXPECT_EQ(outcome.results[2].status, Status::cancelled);
  EXPECT_NE(outcome.results[2].message.find("fail-fast"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "later-ran"));
  EXPECT_FALSE(process_survives(read_pid(dir / "sleeper.pid")));
}

TEST(Scheduler, AdvisoryFailureDoesNotTriggerFailFast) {
  TempDir dir;
  const auto outcome =
      run({make_step(dir, "advisory", "exit 1"), make_step(dir, "after", "sleep 0.2")}, 1,
          FailFast::yes);
  EXPECT_EQ(outcome.results[0].status, Status::failed);
  EXPECT_EQ(outcome.results[1].status, Status::passed);
}

TEST(Scheduler, RetriesOnListedExitCodeAndReportsFlaky) {
  TempDir dir;
  StepSpec flaky = make_step(dir, "flaky",
                             "n=$(cat n 2>/dev/null || echo 0); echo $((n+1)) > n; "
                             "[ $n -ge 1 ] || exit 75; echo ok");
  flaky.retry = {{75}, 3};
  StepSpec broken = make_step(dir, "broken", "echo x >> tries; exit 2");
  broken.retry = {{75}, 3};
  const auto outcome = run({flaky, broken}, 2);
  EXPECT_EQ(outcome.results[0].status, Status::passed);
  EXPECT_TRUE(outcome.results[0].flaky);
  EXPECT_EQ(outcome.results[0].attempts, 2);
  EXPECT_NE(read_file(dir / "logs/flaky.log").find("attempt 1 exited with 75; retrying"),
            std::string::npos);
  EXPECT_EQ(outcome.results[1].status, Status::failed);
  EXPECT_EQ(outcome.results[1].attempts, 1);
  EXPECT_EQ(read_file(dir / "tries"), "x\n");
}

TEST(Scheduler, RunsFiveHundredStepsWithoutLeakingDescriptors) {
  TempDir dir;
  std::vector<StepSpec> steps;
  for (int i = 0; i < 500; ++i) steps.push_back(make_step(dir, "t" + std::to_string(i), "true"));
  // The first spawn sets up the launcher's event loop once per process.
  run({make_step(dir, "warm-up", "true")}, 1);
  const int fds_before = open_fd_count();
  const auto outcome = run(steps, 8);
  ASSERT_EQ(outcome.results.size(), 500u);
  for (const auto& result : outcome.results) ASSERT_EQ(result.status, Status::passed);
  EXPECT_EQ(open_fd_count(), fds_before);
}

TEST(Scheduler, MasksSecretsInLogAndTail) {
  TempDir dir;
  const SecretMasker masker({"s3cr3t-t0ken-value"});
  const auto outcome = run({make_step(dir, "leaky",
                                      "echo token=s3cr3t-t0ken-value; printf 's3cr3t-'; "
                                      "printf 't0ken-value\\n'; exit 1")},
                           1, FailFast::no, masker);
  const std::string log = read_file(dir / "logs/leaky.log");
  EXPECT_EQ(log, "token=***\n***\n");
  EXPECT_EQ(outcome.results[0].tail, "token=***\n***");
}

TEST(Scheduler, KeepsOnlyTheLastLinesAsTail) {
  TempDir dir;
  const auto outcome = run({make_step(dir, "chatty", "seq 1 100000; exit 1")}, 1);
  const std::string& tail = outcome.results[0].tail;
  EXPECT_EQ(std::count(tail.begin(), tail.end(), '\n'), 39);
  EXPECT_EQ(tail.substr(tail.size() - 6), "100000");
  EXPECT_EQ(std::filesystem::file_size(dir / "logs/chatty.log"), 588895u);
}

TEST(Scheduler, StepThatCannotStartIsAnError) {
  TempDir dir;
  StepSpec step = make_step(dir, "nowhere", "true");
  step.cwd = dir / "missing";
  const auto outcome = run({step}, 1);
  EXPECT_EQ(outcome.results[0].status, Status::error);
  EXPECT_NE(outcome.results[0].message.find("does not exist"), std::string::npos);
}

// Returns the lines of `file`.
std::vector<std::string> lines_of(const std::filesystem::path& file) {
  std::vector<std::string> lines;
  std::istringstream in(read_file(file));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(Scheduler, AStepStartsOnlyOnceEveryStepItNeedsHasPassed) {
  TempDir dir;
  // build writes its output late; test and coverage read it, and coverage
  // needs test too. Nothing but needs orders them: four jobs for three steps.
  std::vector<StepSpec> steps = {
      make_step(dir, "coverage", "cat built >> order; echo coverage >> order"),
      make_step(dir, "test", "cat built >> order; echo test >> order"),
      make_step(dir, "build", "sleep 0.3; echo built > built; echo build >> order"),
  };
  steps[0].needs = {2, 1};
  steps[1].needs = {2};
  const auto outcome = run(steps, 4);
  for (const auto& result : outcome.results) {
    EXPECT_EQ(result.status, Status::passed) << result.name << ": " << result.message;
  }
  EXPECT_EQ(lines_of(dir / "order"),
            (std::vector<std::string>{"build", "built", "test", "built", "coverage"}));
}

TEST(Scheduler, AStepWhoseNeedFailedIsSkippedNamingItAndTheRestStillRun) {
  TempDir dir;
  std::vector<StepSpec> steps = {
      make_step(dir, "build", "exit 2"),
      make_step(dir, "test", "touch test-ran"),
      make_step(dir, "coverage", "touch coverage-ran"),
      make_step(dir, "lint", "touch lint-ran"),
  };
  steps[1].needs = {0};
  steps[2].needs = {1};  // skipped in turn
  steps[3].gate = "security";
  const auto outcome = run(steps, 2);
  EXPECT_EQ(outcome.results[0].status, Status::failed);
  EXPECT_EQ(outcome.results[1].status, Status::skipped);
  EXPECT_EQ(outcome.results[1].message, "skipped (needs 'build', which failed)");
  EXPECT_EQ(outcome.results[2].status, Status::skipped);
  EXPECT_EQ(outcome.results[2].message, "skipped (needs 'test', which was skipped)");
  EXPECT_EQ(outcome.results[3].status, Status::passed);
  EXPECT_FALSE(std::filesystem::exists(dir / "test-ran"));
  EXPECT_FALSE(std::filesystem::exists(dir / "coverage-ran"));
  EXPECT_TRUE(std::filesystem::exists(dir / "lint-ran"));

  // Another gate's step is named gate.step.
  steps[1].gate = "test-coverage";
  const auto across = run(steps, 2);
  EXPECT_EQ(across.results[1].message, "skipped (needs 'lint.build', which failed)");
}

TEST(Scheduler, StepsWithoutNeedsRunInParallelWhileOthersWait) {
  TempDir dir;
  // slow-a and slow-b have no needs and share the two jobs; after needs
  // slow-a only. Both slow steps must have started before either ended.
  std::vector<StepSpec> steps = {
      make_step(dir, "after", "echo after >> order"),
      make_step(dir, "slow-a", "echo start-a >> order; sleep 0.5; echo end-a >> order"),
      make_step(dir, "slow-b", "echo start-b >> order; sleep 0.5; echo end-b >> order"),
  };
  steps[0].needs = {1};
  const auto started = Clock::now();
  const auto outcome = run(steps, 2);
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  for (const auto& result : outcome.results) EXPECT_EQ(result.status, Status::passed);
  const auto order = lines_of(dir / "order");
  ASSERT_EQ(order.size(), 5u);
  EXPECT_EQ(std::count(order.begin(), order.begin() + 2, "start-a") +
                std::count(order.begin(), order.begin() + 2, "start-b"),
            2);
  const auto after = std::find(order.begin(), order.end(), "after");
  const auto end_a = std::find(order.begin(), order.end(), "end-a");
  EXPECT_LT(end_a - order.begin(), after - order.begin());
  EXPECT_LT(seconds, 1.5);  // not one after the other (1.0 s)
}

TEST(Scheduler, NeedsThatWaitOnEachOtherEndTheRunInsteadOfHangingIt) {
  TempDir dir;
  // The config refuses such needs; the scheduler must not hang on them either.
  std::vector<StepSpec> steps = {make_step(dir, "a", "true"), make_step(dir, "b", "true"),
                                 make_step(dir, "c", "true")};
  steps[0].needs = {1};
  steps[1].needs = {0};
  const auto outcome = run(steps, 2);
  EXPECT_EQ(outcome.results[0].status, Status::error);
  EXPECT_EQ(outcome.results[1].status, Status::error);
  EXPECT_EQ(outcome.results[2].status, Status::passed);
}
}  // namespace
}  // namespace qgate
