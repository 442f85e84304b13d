// The run queue and `qgate worker`, end to end: the real qgate binary, real
// worker processes, real `qgate check` children and a real PostgreSQL
// server, killed, cancelled and restarted under them.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "runner/store/run_queue.hpp"
#include "tests/test_support.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using testing::PrivateServer;
using testing::QgateProcess;
using testing::read_file;
using testing::run_command;
using testing::TempDir;
using testing::write_file;

long count(const std::string& url, const std::string& sql) {
  return std::stol(testing::psql(url, sql));
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string quoted(const fs::path& path) { return "'" + path.string() + "'"; }

std::string qgate() { return quoted(testing::qgate_binary()); }

// A module folder `dir` whose single gate has the single step `run`.
void write_module(const fs::path& dir, const std::string& id, const std::string& run) {
  testing::write_step_module(dir, {.id = id, .run = run});
}

// Queues a run of module `id` in `dir`; returns the item id (fails the test
// on error).
std::string enqueue(const std::string& url, const std::string& id, const fs::path& dir,
                    const std::string& extra = "") {
  const auto result = run_command(qgate() + " queue add --database-url '" + url + "' -m " + id +
                                      " --path " + quoted(dir) + " " + extra + " 2>/dev/null",
                                  "/");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  std::string item = result.output.substr(0, result.output.find('\n'));
  EXPECT_TRUE(is_uuid(item)) << result.output;
  return item;
}

std::string item_field(const std::string& url, const std::string& item, const std::string& field) {
  return testing::psql(url, "SELECT " + field + " FROM qgate_run_queue WHERE id = '" + item + "'");
}

// Waits up to `seconds` for `sql` to print "t".
bool wait_until(const std::string& url, const std::string& sql, double seconds) {
  const auto start = Clock::now();
  while (seconds_since(start) < seconds) {
    if (testing::psql(url, sql) == "t") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void migrate(const std::string& url) {
  const auto result = run_command(qgate() + " db migrate --database-url '" + url + "'", "/");
  ASSERT_EQ(result.exit_code, 0) << result.output;
}

// Starts a worker with `args` (after --database-url), its output in `dir`.
void start_worker(QgateProcess& worker, const std::string& url, const fs::path& dir,
                  const std::string& name, const std::vector<std::string>& args,
                  const std::vector<std::string>& env = {}) {
  std::vector<std::string> all = {"worker", "--database-url", url};
  all.insert(all.end(), args.begin(), args.end());
  worker.start(all, dir, dir / (name + ".out"), dir / (name + ".err"), env);
}

// SIGTERM, then the worker must stop by itself with exit code 0.
void stop_worker(QgateProcess& worker, const fs::path& dir, const std::string& name) {
  if (worker.ended()) {
    ADD_FAILURE() << name << " ended early: " << read_file(dir / (name + ".out"))
                  << read_file(dir / (name + ".err"));
    return;
  }
  kill(worker.pid, SIGTERM);
  worker.wait();
  EXPECT_EQ(worker.exit_code, 0) << read_file(dir / (name + ".out"))
                                 << read_file(dir / (name + ".err"));
}

TEST(RunQueue, IdempotencyKeyGivesBackTheSameItemNeverASecond) {
  const std::string url = testing::fresh_database_url();
  TempDir dir;
  write_module(dir / "m", "idem-001", "true");
  const std::string first = enqueue(url, "idem-001", dir / "m", "--idempotency-key order-17");
  const std::string again = enqueue(url, "idem-001", dir / "m", "--idempotency-key order-17");
  EXPECT_EQ(first, again);
  const std::string other = enqueue(url, "idem-001", dir / "m", "--idempotency-key order-18");
  EXPECT_NE(first, other);

  // Ten clients retrying the same request at once still make one item.
  std::vector<QgateProcess> clients(10);
  for (std::size_t i = 0; i < clients.size(); ++i) {
    clients[i].start({"queue", "add", "--database-url", url, "-m", "idem-001", "--path",
                      (dir / "m").string(), "--idempotency-key", "order-19"},
                     dir.path(), dir / ("client" + std::to_string(i) + ".out"),
                     dir / ("client" + std::to_string(i) + ".err"));
  }
  std::string shared;
  for (std::size_t i = 0; i < clients.size(); ++i) {
    clients[i].wait();
    EXPECT_EQ(clients[i].exit_code, 0) << read_file(dir / ("client" + std::to_string(i) + ".err"));
    const std::string out = read_file(dir / ("client" + std::to_string(i) + ".out"));
    const std::string id = out.substr(0, out.find('\n'));
    if (shared.empty()) shared = id;
    EXPECT_EQ(id, shared);
  }
  EXPECT_EQ(count(url, "SELECT count(*) FROM qgate_run_queue"), 3);
  EXPECT_EQ(count(url, "SELECT count(*) FROM qgate_run_queue WHERE idempotency_key = 'order-19'"),
            1);

  // The same key for another run is an error, not a silent second item.
  write_module(dir / "n", "idem-002", "true");
  const auto clash =
      run_command(qgate() + " queue add --database-url '" + url + "' -m idem-002 --path " +
                      quoted(dir / "n") + " --idempotency-key order-17",
                  "/");
  EXPECT_EQ(clash.exit_code, 2) << clash.output;
  EXPECT_NE(clash.output.find("idempotency key 'order-17' was given before for another run"),
            std::string::npos)
      << clash.output;
  EXPECT_EQ(count(url, "SELECT count(*) FROM qgate_run_queue"), 3);
}

TEST(RunQueue, ClaimsOldestFirstAndAWorkerWhoseLeaseWasSweptCannotFinishTheItem) {
  const std::string url = testing::fresh_database_url();
  TempDir dir;
  auto queue = open_run_queue(url);
  QueueRequest request;
  request.module_id = "lease-001";
  request.module_path = dir.path().string();
  const std::string first = queue->enqueue(request).item.id;
  const std::string second = queue->enqueue(request).item.id;
  const QueueWorker a{"worker-a", "host-a", 1};
  const QueueWorker b{"worker-b", "host-b", 2};

  const auto claimed = queue->claim(a, 30);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->id, first);
  EXPECT_EQ(claimed->status, "running");
  EXPECT_EQ(claimed->attempts, 1);
  EXPECT_EQ(queue->renew(*claimed, 30), LeaseState::held);
  // Nothing expired yet: the sweep leaves it alone.
  EXPECT_EQ(queue->sweep_expired().requeued, 0);

  // Worker a falls silent past its lease: the sweep queues the item again.
  testing::psql(url,
                "UPDATE qgate_run_queue SET lease_expires_at = NOW() - interval '1 second' "
                "WHERE id = '" +
                    first + "'");
  const SweepOutcome swept = queue->sweep_expired();
  EXPECT_EQ(swept.requeued, 1);
  EXPECT_EQ(swept.interrupted, 0);
  EXPECT_EQ(queue->get(first)->status, "queued");
  // Back, worker a learns that the item is no longer its own.
  EXPECT_EQ(queue->renew(*claimed, 30), LeaseState::lost);
  EXPECT_FALSE(queue->finish(*claimed, "finished", "", 0, ""));

  // Worker b takes it (still the oldest), second attempt; a cancel reaches b.
  const auto retried = queue->claim(b, 30);
  ASSERT_TRUE(retried);
  EXPECT_EQ(retried->id, first);
  EXPECT_EQ(retried->attempts, 2);
  EXPECT_EQ(retried->worker_id, "worker-b");
  ASSERT_TRUE(queue->request_cancel(first));
  EXPECT_EQ(queue->renew(*retried, 30), LeaseState::cancel_requested);
  EXPECT_TRUE(queue->finish(*retried, "cancelled", "", 130, "cancelled while running"));
  EXPECT_EQ(queue->get(first)->status, "cancelled");
  // Worker a's stale claim still cannot touch it.
  EXPECT_FALSE(queue->finish(*claimed, "finished", "", 0, ""));
  EXPECT_EQ(queue->get(first)->status, "cancelled");

  // Out of attempts, an expired item is interrupted.
  const auto last = queue->claim(a, 30);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->id, second);
  testing::psql(url,
                "UPDATE qgate_run_queue SET lease_expires_at = NOW() - interval '1 second', "
                "max_attempts = 1 WHERE id = '" +
                    second + "'");
  EXPECT_EQ(queue->sweep_expired().interrupted, 1);
  EXPECT_EQ(queue->get(second)->status, "interrupted");
  EXPECT_FALSE(queue->claim(b, 30));
  EXPECT_EQ(queue->list({"interrupted", "", "", 10}).size(), 1u);
  EXPECT_EQ(queue->list({"", "lease-001", "", 10}).size(), 2u);
}

TEST(RunQueue, RequestsWithBadIdsPathsOrOptionsAreRefusedBeforeTheDatabase) {
  const std::string url = testing::fresh_database_url();
  TempDir dir;
  write_module(dir / "m", "bad-001", "true");
  const std::string base = qgate() + " queue add --database-url '" + url + "' ";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"-m 'x; rm -rf /' --path " + quoted(dir / "m"), "module id"},
      {"-m ../../etc --path " + quoted(dir / "m"), "module id"},
      {"-m bad-001 --path " + quoted(dir / "m") + " --checkout '../../etc'", "not a UUID"},
      {"-m bad-001 --path " + quoted(dir / "m") + " --ref '--upload-pack=x'", "ref"},
      {"-m bad-001 --path " + quoted(dir / "m") + " --options '{\"run\": \"rm -rf /\"}'",
       "unknown option 'run'"},
      {"-m bad-001 --path " + quoted(dir / "m") + " --options '{\"jobs\": 0}'", "options.jobs"},
      {"-m bad-001 --path " + quoted(dir / "m") + " --options '[1]'", "JSON object"},
      {"-m bad-001 --path " + quoted(dir / "m") + " --max-attempts 0", "max attempts"},
  };
  for (const auto& [arguments, problem] : cases) {
    const auto result = run_command(base + arguments, "/");
    EXPECT_EQ(result.exit_code, 2) << arguments << "\n" << result.output;
    EXPECT_NE(result.output.find(problem), std::string::npos) << arguments << "\n" << result.output;
  }
  // A checkout that is not in module_checkouts is named.
  const auto missing = run_command(base + "-m bad-001 --path " + quoted(dir / "m") +
                                       " --checkout 00000000-0000-4000-8000-000000000000",
                                   "/");
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_NE(missing.output.find("is not in module_checkouts"), std::string::npos) << missing.output;
  EXPECT_EQ(count(url, "SELECT count(*) FROM qgate_run_queue"), 0);

  // A row written by something else is checked again by the worker: its
  // module folder holds another module, so nothing runs.
  const std::string item = enqueue(url, "bad-001", dir / "m");
  testing::psql(url, "UPDATE qgate_run_queue SET module_id = 'other-001'");
  const auto worker =
      run_command(qgate() + " worker --once --database-url '" + url + "'", dir.path());
  EXPECT_EQ(worker.exit_code, 0) << worker.output;
  EXPECT_EQ(item_field(url, item, "status"), "finished");
  EXPECT_EQ(item_field(url, item, "exit_code"), "2");
  EXPECT_NE(item_field(url, item, "message")
                .find("configuration of module bad-001, not of "
                      "other-001"),
            std::string::npos);
  EXPECT_EQ(count(url, "SELECT count(*) FROM qgate_runs"), 0);
}

TEST(RunQueue, ThreeWorkerProcessesDrainThreeHundredRunsNoneLostNoneRunTwice) {
  const std::string url = testing::fresh_database_url();
  migrate(url);
  TempDir dir;
  write_module(dir / "m", "bulk-001", "true");
  constexpr int kItems = 300;
  constexpr int kWorkers = 3;
  const auto started = Clock::now();
  std::vector<QgateProcess> workers(kWorkers);
  for (int i = 0; i < kWorkers; ++i) {
    start_worker(workers[i], url, dir.path(), "worker" + std::to_string(i),
                 {"--poll", "0.1", "-j", "1"});
  }
  // Two clients queue while the workers already claim.
  const std::string add = qgate() + " queue add --database-url '" + url + "' -m bulk-001 --path " +
                          quoted(dir / "m") + " >/dev/null";
  const auto queued = run_command("for i in $(seq 1 2 " + std::to_string(kItems) + "); do " + add +
                                      " --idempotency-key k$i || exit 1; done & "
                                      "for i in $(seq 2 2 " +
                                      std::to_string(kItems) + "); do " + add +
                                      " --idempotency-key k$i || exit 1; done; wait",
                                  "/");
  ASSERT_EQ(queued.exit_code, 0) << queued.output;
  const double enqueue_seconds = seconds_since(started);
  EXPECT_TRUE(wait_until(url,
                         "SELECT count(*) = " + std::to_string(kItems) +
                             " FROM qgate_run_queue WHERE status = 'finished'",
                         60))
      << testing::psql(url, "SELECT status, count(*) FROM qgate_run_queue GROUP BY status");
  const double drained = seconds_since(started);
  for (int i = 0; i < kWorkers; ++i)
    stop_worker(workers[i], dir.path(), "worker" + std::to_string(i));
  std::cerr << kItems << " runs queued in " << enqueue_seconds << " s, drained by " << kWorkers
            << " workers in " << drained << " s\n";

  EXPECT_EQ(count(url, "SELECT count(*) FROM qgate_run_queue"), kItems);
  EXPECT_EQ(count(url,
                  "SELECT count(*) FROM qgate_run_queue WHERE status = 'finished' AND "
                  "exit_code = 0 AND attempts = 1 AND run_id IS NOT NULL"),
            kItems);
  // Each item produced exactly one qgate run, and each run belongs to one item.
  EXPECT_EQ(count(url, "SELECT count(DISTINCT run_id) FROM qgate_run_queue"), kItems);
  EXPECT_EQ(count(url, "SELECT count(*) FROM qgate_runs"), kItems);
  EXPECT_EQ(count(url,
                  "SELECT count(*) FROM qgate_runs r JOIN qgate_run_queue q ON q.run_id = "
                  "r.id WHERE r.status = 'passed' AND r.module_id = q.module_id"),
            kItems);
  // Every worker took a share.
  EXPECT_EQ(count(url, "SELECT count(DISTINCT worker_id) FROM qgate_run_queue"), kWorkers);
}

TEST(RunQueue, WorkersFlagForksThatManyWorkerProcessesThatDrainAndExit) {
  const std::string url = testing::fresh_database_url();
  TempDir dir;
  write_module(dir / "m", "fork-001", "true");
  for (int i = 0; i < 6; ++i) enqueue(url, "fork-001", dir / "m");
  const auto result =
      run_command(qgate() + " worker --workers 3 --drain -j 1 --database-url '" + url + "'", "/");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(count(url,
                  "SELECT count(*) FROM qgate_run_queue WHERE status = 'finished' AND "
                  "exit_code = 0"),
            6);
  EXPECT_EQ(count(url, "SELECT count(DISTINCT worker_pid) FROM qgate_run_queue"), 3)
      << result.output;
}

// The living children of process `parent`.
std::vector<int> children_of(int parent) {
  std::vector<int> children;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = read_file(entry.path() / "stat");
    const auto close = stat.rfind(')');
    char state = 0;
    int ppid = 0;
    if (close != std::string::npos &&
        std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == parent &&
        state != 'Z') {
      children.push_back(std::stoi(name));
    }
  }
  return children;
}

// Waits up to `seconds` for process `parent` to have `n` children; returns them.
std::vector<int> wait_for_children(int parent, std::size_t n, double seconds) {
  const auto start = Clock::now();
  auto children = children_of(parent);
  while (children.size() != n && seconds_since(start) < seconds) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    children = children_of(parent);
  }
  return children;
}

TEST(RunQueue, SupervisorStartsAnotherWorkerWhenOneDiesAndStopsThemAllOnSigterm) {
  const std::string url = testing::fresh_database_url();
  migrate(url);
  TempDir dir;
  write_module(dir / "m", "super-001", "true");
  QgateProcess supervisor;
  start_worker(supervisor, url, dir.path(), "supervisor", {"--workers", "2", "--poll", "0.2"});
  const auto first = wait_for_children(supervisor.pid, 2, 10);
  ASSERT_EQ(first.size(), 2u) << read_file(dir / "supervisor.err");
  kill(first[0], SIGKILL);
  // A worker that dies young is started again after 5 s, not in a tight loop.
  std::vector<int> now;
  const auto killed = Clock::now();
  while (seconds_since(killed) < 15) {
    now = children_of(supervisor.pid);
    if (now.size() == 2 && std::find(now.begin(), now.end(), first[0]) == now.end()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(now.size(), 2u) << read_file(dir / "supervisor.err");
  EXPECT_EQ(std::find(now.begin(), now.end(), first[0]), now.end());
  EXPECT_GE(seconds_since(killed), 4.5);
  EXPECT_NE(read_file(dir / "supervisor.err").find("died (signal Killed); starting another"),
            std::string::npos)
      << read_file(dir / "supervisor.err");

  // The workers, old and new, drain the queue.
  std::vector<std::string> items;
  for (int i = 0; i < 4; ++i) items.push_back(enqueue(url, "super-001", dir / "m"));
  EXPECT_TRUE(wait_until(
      url, "SELECT count(*) = 4 FROM qgate_run_queue WHERE status = 'finished' AND exit_code = 0",
      30));
  stop_worker(supervisor, dir.path(), "supervisor");
  for (int pid : now) EXPECT_FALSE(testing::process_survives(pid, 2)) << pid;
}

// The step of the kill and cancel tests: it records its pid and that of a
// child of its own, then sleeps, the first time only.
std::string sleeping_step() {
  return "test -e attempted && exit 0; touch attempted; sleep 60 & echo $! > child.pid; "
         "echo $$ > step.pid; wait";
}

TEST(RunQueue, KillNineOfAWorkerMidRunHandsTheItemToAnotherWorkerAfterTheLease) {
  const std::string url = testing::fresh_database_url();
  migrate(url);
  TempDir dir;
  write_module(dir / "m", "kill-001", sleeping_step());
  const std::string item = enqueue(url, "kill-001", dir / "m");

  QgateProcess first;
  start_worker(first, url, dir.path(), "first", {"--lease", "2", "--poll", "0.2"});
  ASSERT_TRUE(testing::wait_for_file(dir / "m/step.pid", 20)) << read_file(dir / "first.err");
  ASSERT_EQ(item_field(url, item, "worker_pid"), std::to_string(first.pid));
  kill(first.pid, SIGKILL);
  first.wait();
  const auto killed = Clock::now();
  // Its run went down with it: nothing of the step is left.
  EXPECT_FALSE(testing::process_survives(testing::read_pid(dir / "m/step.pid"), 3));
  EXPECT_FALSE(testing::process_survives(testing::read_pid(dir / "m/child.pid"), 3));

  QgateProcess second;
  start_worker(second, url, dir.path(), "second", {"--lease", "2", "--poll", "0.2"});
  EXPECT_TRUE(wait_until(
      url, "SELECT status = 'finished' FROM qgate_run_queue WHERE id = '" + item + "'", 20))
      << item_field(url, item, "status || ' ' || message") << read_file(dir / "second.out");
  const double retried_after = seconds_since(killed);
  stop_worker(second, dir.path(), "second");
  std::cerr << "killed worker's item finished by another " << retried_after << " s later\n";
  // The lease (2 s) ran out, then the next sweep (every second) queued it again.
  EXPECT_LT(retried_after, 2 + 1 + 5);
  EXPECT_EQ(item_field(url, item, "attempts"), "2");
  EXPECT_EQ(item_field(url, item, "worker_pid"), std::to_string(second.pid));
  EXPECT_EQ(item_field(url, item, "exit_code"), "0");
  EXPECT_EQ(count(url,
                  "SELECT count(*) FROM qgate_runs r JOIN qgate_run_queue q ON q.run_id = "
                  "r.id WHERE r.status = 'passed'"),
            1);
}

TEST(RunQueue, KillNineOfAWorkerMarksTheItemInterruptedWhenOutOfAttempts) {
  const std::string url = testing::fresh_database_url();
  migrate(url);
  TempDir dir;
  write_module(dir / "m", "kill-002", sleeping_step());
  const std::string item = enqueue(url, "kill-002", dir / "m", "--max-attempts 1");

  QgateProcess first;
  start_worker(first, url, dir.path(), "first", {"--lease", "2", "--poll", "0.2"});
  QgateProcess second;
  ASSERT_TRUE(testing::wait_for_file(dir / "m/step.pid", 20)) << read_file(dir / "first.err");
  start_worker(second, url, dir.path(), "second", {"--lease", "2", "--poll", "0.2"});
  kill(first.pid, SIGKILL);
  first.wait();
  const auto killed = Clock::now();
  EXPECT_TRUE(wait_until(
      url, "SELECT status = 'interrupted' FROM qgate_run_queue WHERE id = '" + item + "'", 20))
      << item_field(url, item, "status");
  const double marked_after = seconds_since(killed);
  stop_worker(second, dir.path(), "second");
  EXPECT_LT(marked_after, 2 + 1 + 2);
  EXPECT_EQ(item_field(url, item, "attempts"), "1");
  EXPECT_NE(item_field(url, item, "message").find("ran out during attempt 1 of 1"),
            std::string::npos);
  // The other worker never ran it.
  EXPECT_EQ(read_file(dir / "second.out").find("claimed " + item), std::string::npos);
}

TEST(RunQueue, CancelOfARunningItemKillsItsStepsWithinASecond) {
  const std::string url = testing::fresh_database_url();
  migrate(url);
  TempDir dir;
  write_module(dir / "m", "cancel-001", sleeping_step());
  const std::string item = enqueue(url, "cancel-001", dir / "m");
  QgateProcess worker;
  start_worker(worker, url, dir.path(), "worker", {"--poll", "0.2"});
  ASSERT_TRUE(testing::wait_for_file(dir / "m/child.pid", 20)) << read_file(dir / "worker.err");
  const int step = testing::read_pid(dir / "m/step.pid");
  const int child = testing::read_pid(dir / "m/child.pid");
  ASSERT_TRUE(testing::process_alive(step));
  ASSERT_TRUE(testing::process_alive(child));

  const auto asked = Clock::now();
  const auto cancel =
      run_command(qgate() + " queue cancel " + item + " --database-url '" + url + "'", "/");
  ASSERT_EQ(cancel.exit_code, 0) << cancel.output;
  EXPECT_NE(cancel.output.find("cancel requested"), std::string::npos) << cancel.output;
  while ((testing::process_alive(step) || testing::process_alive(child)) &&
         seconds_since(asked) < 5) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double killed_after = seconds_since(asked);
  EXPECT_FALSE(testing::process_alive(step));
  EXPECT_FALSE(testing::process_alive(child));
  std::cerr << "steps of the cancelled item gone " << killed_after << " s after the cancel\n";
  // A renewal every half second, then SIGTERM; a margin for a loaded machine.
  EXPECT_LT(killed_after, 2.0);
  EXPECT_TRUE(wait_until(
      url, "SELECT status = 'cancelled' FROM qgate_run_queue WHERE id = '" + item + "'", 5));
  stop_worker(worker, dir.path(), "worker");
  // The run was recorded as cancelled, against the item.
  EXPECT_EQ(count(url,
                  "SELECT count(*) FROM qgate_runs r JOIN qgate_run_queue q ON q.run_id = "
                  "r.id WHERE r.status = 'cancelled'"),
            1);
  EXPECT_EQ(count(url, "SELECT count(*) FROM qgate_runs"), 1);
}

TEST(RunQueue, CancelLeavesNoProcessEvenOfAStepThatIgnoresSigterm) {
  const std::string url = testing::fresh_database_url();
  migrate(url);
  TempDir dir;
  // The step and its child ignore SIGTERM: only SIGKILL ends them, and the
  // child outlives the step's shell.
  write_module(dir / "m", "cancel-003",
               "trap \"\" TERM; sleep 60 & echo $! > child.pid; echo $$ > step.pid; wait");
  const std::string item = enqueue(url, "cancel-003", dir / "m");
  QgateProcess worker;
  start_worker(worker, url, dir.path(), "worker", {"--poll", "0.2"});
  ASSERT_TRUE(testing::wait_for_file(dir / "m/step.pid", 20)) << read_file(dir / "worker.err");
  const int step = testing::read_pid(dir / "m/step.pid");
  const int child = testing::read_pid(dir / "m/child.pid");
  ASSERT_TRUE(testing::process_alive(child));

  const auto asked = Clock::now();
  ASSERT_EQ(run_command(qgate() + " queue cancel " + item + " --database-url '" + url + "'", "/")
                .exit_code,
            0);
  while ((testing::process_alive(step) || testing::process_alive(child)) &&
         seconds_since(asked) < 10) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double killed_after = seconds_since(asked);
  EXPECT_FALSE(testing::process_alive(step));
  EXPECT_FALSE(testing::process_alive(child));
  std::cerr << "steps ignoring SIGTERM gone " << killed_after << " s after the cancel\n";
  // A renewal (0.5 s), SIGTERM, then SIGKILL a second later.
  EXPECT_LT(killed_after, 3.0);
  EXPECT_TRUE(wait_until(
      url, "SELECT status = 'cancelled' FROM qgate_run_queue WHERE id = '" + item + "'", 5));
  stop_worker(worker, dir.path(), "worker");
  // Which layer killed them (qgate check's own sweep of the step's tree, or
  // the worker's sweep of what was re-parented to it) depends on timing; the
  // worker's sweep alone is shown by the next test.
}

// What escaped every mark of its step (a new session, no environment, no
// output pipe) and whose qgate check was killed with -9 is re-parented to the
// worker, a child subreaper, which kills it when the item ends.
TEST(RunQueue, WorkerKillsWhatAStepLeftWhenItsCheckWasKilledNine) {
  const std::string url = testing::fresh_database_url();
  migrate(url);
  TempDir dir;
  write_module(dir / "m", "escape-001",
               "echo $PPID > check.pid; "
               "setsid env -i sh -c \"echo \\$\\$ > daemon.pid; exec sleep 60\" "
               "</dev/null >/dev/null 2>&1 & sleep 60");
  const std::string item = enqueue(url, "escape-001", dir / "m", "--max-attempts 1");
  QgateProcess worker;
  start_worker(worker, url, dir.path(), "worker", {"--poll", "0.2"});
  ASSERT_TRUE(testing::wait_for_file(dir / "m/daemon.pid", 20)) << read_file(dir / "worker.err");
  ASSERT_TRUE(testing::wait_for_file(dir / "m/check.pid", 5));
  const int check = testing::read_pid(dir / "m/check.pid");
  const int daemon = testing::read_pid(dir / "m/daemon.pid");
  ASSERT_TRUE(testing::process_alive(daemon));
  ASSERT_EQ(::kill(check, SIGKILL), 0);
  const auto killed = Clock::now();
  while (testing::process_alive(daemon) && seconds_since(killed) < 10) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_FALSE(testing::process_alive(daemon)) << read_file(dir / "worker.out");
  EXPECT_TRUE(wait_until(
      url, "SELECT status <> 'running' FROM qgate_run_queue WHERE id = '" + item + "'", 10));
  stop_worker(worker, dir.path(), "worker");
  EXPECT_NE(read_file(dir / "worker.out").find("left behind"), std::string::npos)
      << read_file(dir / "worker.out");
}

TEST(RunQueue, CancelOfAQueuedItemEndsItBeforeAnyWorkerTakesIt) {
  const std::string url = testing::fresh_database_url();
  TempDir dir;
  write_module(dir / "m", "cancel-002", "true");
  const std::string cancelled = enqueue(url, "cancel-002", dir / "m");
  const std::string kept = enqueue(url, "cancel-002", dir / "m");
  const auto cancel =
      run_command(qgate() + " queue cancel " + cancelled + " --database-url '" + url + "'", "/");
  EXPECT_EQ(cancel.exit_code, 0) << cancel.output;
  EXPECT_NE(cancel.output.find("cancelled"), std::string::npos) << cancel.output;
  const auto worker = run_command(qgate() + " worker --drain --database-url '" + url + "'", "/");
  EXPECT_EQ(worker.exit_code, 0) << worker.output;
  EXPECT_EQ(item_field(url, cancelled, "status"), "cancelled");
  EXPECT_EQ(item_field(url, cancelled, "run_id IS NULL"), "t");
  EXPECT_EQ(item_field(url, kept, "status"), "finished");
  EXPECT_EQ(count(url, "SELECT count(*) FROM qgate_runs"), 1);
}

TEST(RunQueue, SigtermLetsTheRunningItemFinishThenTheWorkerExitsZero) {
  const std::string url = testing::fresh_database_url();
  migrate(url);
  TempDir dir;
  write_module(dir / "m", "stop-001", "sleep 1; echo $$ > step.pid");
  const std::string running = enqueue(url, "stop-001", dir / "m");
  const std::string waiting = enqueue(url, "stop-001", dir / "m");
  QgateProcess worker;
  start_worker(worker, url, dir.path(), "worker", {"--poll", "0.2"});
  ASSERT_TRUE(wait_until(
      url, "SELECT status = 'running' FROM qgate_run_queue WHERE id = '" + running + "'", 20));
  kill(worker.pid, SIGTERM);
  worker.wait();
  EXPECT_EQ(worker.exit_code, 0) << read_file(dir / "worker.out") << read_file(dir / "worker.err");
  // The running item finished; the next one was not claimed.
  EXPECT_EQ(item_field(url, running, "status"), "finished");
  EXPECT_EQ(item_field(url, running, "exit_code"), "0");
  EXPECT_GT(testing::read_pid(dir / "m/step.pid"), 0);
  EXPECT_EQ(item_field(url, waiting, "status"), "queued");
}

TEST(RunQueue, SigtermHandsBackAnItemThatOutlastsTheStopTimeout) {
  const std::string url = testing::fresh_database_url();
  migrate(url);
  TempDir dir;
  write_module(dir / "m", "stop-002", sleeping_step());
  const std::string item = enqueue(url, "stop-002", dir / "m");
  QgateProcess worker;
  start_worker(worker, url, dir.path(), "worker", {"--poll", "0.2", "--stop-timeout", "0.5"});
  ASSERT_TRUE(testing::wait_for_file(dir / "m/child.pid", 20)) << read_file(dir / "worker.err");
  const auto asked = Clock::now();
  kill(worker.pid, SIGTERM);
  worker.wait();
  EXPECT_EQ(worker.exit_code, 0) << read_file(dir / "worker.out") << read_file(dir / "worker.err");
  EXPECT_LT(seconds_since(asked), 3);
  EXPECT_FALSE(testing::process_survives(testing::read_pid(dir / "m/step.pid"), 2));
  EXPECT_FALSE(testing::process_survives(testing::read_pid(dir / "m/child.pid"), 2));
  // Back in the queue, its attempt not counted: the next worker runs it.
  EXPECT_EQ(item_field(url, item, "status"), "queued");
  EXPECT_EQ(item_field(url, item, "attempts"), "0");
  const auto next = run_command(qgate() + " worker --once --database-url '" + url + "'", "/");
  EXPECT_EQ(next.exit_code, 0) << next.output;
  EXPECT_EQ(item_field(url, item, "status"), "finished");
  EXPECT_EQ(item_field(url, item, "exit_code"), "0");
  EXPECT_EQ(item_field(url, item, "attempts"), "1");
}

TEST(RunQueue, PostgresRestartedUnderLoadLosesNoItem) {
  TempDir dir;
  PrivateServer server(dir / "server");
  std::string problem;
  const std::string url = server.start(problem);
  ASSERT_FALSE(url.empty()) << problem;
  migrate(url);
  write_module(dir / "m", "restart-001", "sleep 0.1");
  constexpr int kItems = 60;
  for (int i = 0; i < kItems; ++i) enqueue(url, "restart-001", dir / "m");

  constexpr int kWorkers = 3;
  std::vector<QgateProcess> workers(kWorkers);
  for (int i = 0; i < kWorkers; ++i) {
    // The lease outlasts the outage: no item is taken for dead meanwhile.
    start_worker(workers[i], url, dir.path(), "worker" + std::to_string(i),
                 {"--lease", "20", "--poll", "0.2", "-j", "1"}, {"QGATE_DB_RETRY_SECONDS=30"});
  }
  ASSERT_TRUE(
      wait_until(url, "SELECT count(*) >= 10 FROM qgate_run_queue WHERE status = 'finished'", 30));
  ASSERT_EQ(server.stop(), 0);
  const auto stopped = Clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_FALSE(server.start(problem).empty()) << problem;
  const double outage = seconds_since(stopped);
  const long finished_before =
      count(url, "SELECT count(*) FROM qgate_run_queue WHERE status = 'finished'");
  EXPECT_LT(finished_before, kItems) << "the restart came after the load";
  EXPECT_TRUE(wait_until(url,
                         "SELECT count(*) = " + std::to_string(kItems) +
                             " FROM qgate_run_queue WHERE status = 'finished'",
                         90))
      << testing::psql(url, "SELECT status, count(*) FROM qgate_run_queue GROUP BY status");
  for (int i = 0; i < kWorkers; ++i)
    stop_worker(workers[i], dir.path(), "worker" + std::to_string(i));
  std::cerr << "database away " << outage << " s with " << finished_before << " of " << kItems
            << " items finished\n";

  EXPECT_EQ(count(url,
                  "SELECT count(*) FROM qgate_run_queue WHERE status = 'finished' AND "
                  "exit_code = 0 AND attempts = 1"),
            kItems);
  EXPECT_EQ(count(url, "SELECT count(DISTINCT run_id) FROM qgate_run_queue"), kItems);
  EXPECT_EQ(count(url,
                  "SELECT count(*) FROM qgate_runs r JOIN qgate_run_queue q ON q.run_id = "
                  "r.id WHERE r.status = 'passed'"),
            kItems);
  EXPECT_EQ(count(url, "SELECT count(*) FROM qgate_runs"), kItems);
  // The workers met the outage and went on.
  std::string complaints;
  for (int i = 0; i < kWorkers; ++i)
    complaints += read_file(dir / ("worker" + std::to_string(i) + ".err"));
  EXPECT_NE(complaints.find("could not be reached"), std::string::npos) << complaints;
}

TEST(RunQueue, RunSpooledWhileTheDatabaseWasAwayKeepsItsRunIdOnTheItem) {
  TempDir dir;
  PrivateServer server(dir / "server");
  std::string problem;
  const std::string url = server.start(problem);
  ASSERT_FALSE(url.empty()) << problem;
  migrate(url);
  write_module(dir / "m", "spool-001", "sleep 2; echo $$ > step.pid");
  const std::string item = enqueue(url, "spool-001", dir / "m");
  QgateProcess worker;
  // The check gives the database up after a second and spools; the worker
  // waits for it to record the item's end.
  start_worker(worker, url, dir.path(), "worker", {"--lease", "30", "--poll", "0.2"},
               {"QGATE_DB_RETRY_SECONDS=1"});
  ASSERT_TRUE(wait_until(
      url, "SELECT status = 'running' FROM qgate_run_queue WHERE id = '" + item + "'", 20));
  ASSERT_EQ(server.stop(), 0);
  ASSERT_TRUE(testing::wait_for_file(dir / "m/step.pid", 10));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  ASSERT_FALSE(server.start(problem).empty()) << problem;
  EXPECT_TRUE(wait_until(
      url, "SELECT status = 'finished' FROM qgate_run_queue WHERE id = '" + item + "'", 40))
      << read_file(dir / "worker.out") << read_file(dir / "worker.err");
  stop_worker(worker, dir.path(), "worker");
  EXPECT_EQ(item_field(url, item, "exit_code"), "3");
  const std::string run_id = item_field(url, item, "coalesce(run_id::text, '')");
  ASSERT_TRUE(is_uuid(run_id)) << item_field(url, item, "message");
  EXPECT_TRUE(fs::exists(dir / ("m/.qgate/spool/" + run_id + ".jsonl")));
  // Begun before the outage, its end is only in the spool so far.
  EXPECT_EQ(count(url, "SELECT count(*) FROM qgate_runs WHERE id = '" + run_id +
                           "' AND status = 'passed'"),
            0);
  // The module's next run records the spooled one: the item's run id is real.
  const auto next = run_command(qgate() + " check --ci --database-url '" + url + "'", dir / "m");
  EXPECT_EQ(next.exit_code, 0) << next.output;
  EXPECT_EQ(count(url, "SELECT count(*) FROM qgate_runs WHERE id = '" + run_id +
                           "' AND status = 'passed'"),
            1);
}

}  // namespace
}  // namespace qgate
