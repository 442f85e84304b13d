#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <random>
#include <sstream>
#include <thread>
#include <utility>

#include "runner/store/sqlite_db.hpp"
#include "runner/store/store.hpp"
#include "tests/test_support.hpp"

namespace qgate {
namespace {

using testing::TempDir;

// Owns one end of a pipe in the tests.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

struct Pipe {
  Fd read;
  Fd write;
};

Pipe make_pipe() {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  return {Fd(fds[0]), Fd(fds[1])};
}

// Blocks until a byte arrives or every writer closed; returns whether a byte came.
bool wait_for_byte(const Fd& fd) {
  char byte = 0;
  return read(fd.get(), &byte, 1) == 1;
}

void send_byte(const Fd& fd) {
  const char byte = 'x';
  if (write(fd.get(), &byte, 1) != 1) throw std::runtime_error("write to pipe failed");
}

// Runs `body` in a forked child that exits with its return value. The child
// must not touch a connection of the parent: SQLite forbids that across fork.
pid_t spawn(const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  int code = 99;
  try {
    code = body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "child %d: %s\n", getpid(), e.what());
    code = 98;
  }
  _exit(code);
}

// Reaps `pid`; returns its exit code, or 128 + the signal that ended it.
int wait_for(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

StepResult make_step(const std::string& gate, int index) {
  StepResult step;
  step.gate = gate;
  step.name = "step-" + std::to_string(index);
  step.command = "make check ARG='it''s \"quoted\"'";
  step.status = index % 2 == 0 ? Status::passed : Status::failed;
  step.exit_code = index % 2;
  step.term_signal = index == 2 ? 9 : 0;
  step.attempts = 1 + index;
  step.flaky = index == 1;
  step.timed_out = index == 2;
  step.duration_s = 0.125 * (index + 1);
  step.log_path = ".qgate/logs/" + gate + "-" + std::to_string(index) + ".log";
  step.tail = "line one\nline two: ünïcode ✓\n";
  step.message = "exit code " + std::to_string(index % 2);
  return step;
}

// The newest schema version: one migration file per version.
int known_version() {
  int files = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(testing::source_dir() / "schemas/migrations/sqlite")) {
    files += entry.path().extension() == ".sql" ? 1 : 0;
  }
  return files;
}

GateResult make_gate(const std::string& name, Status status, int steps, int findings = 1,
                     int metrics = 1) {
  GateResult gate;
  gate.name = name;
  gate.status = status;
  gate.required = name != "docs";
  gate.duration_s = 1.5;
  gate.message = name + " says " + std::string(to_string(status));
  for (int i = 0; i < steps; ++i) gate.steps.push_back(make_step(name, i));
  for (int i = 0; i < findings; ++i) {
    Finding finding;
    finding.requirement = name + "_clean";
    finding.rule = name + ".rule-" + std::to_string(i);
    finding.severity = static_cast<Severity>(i % 5);
    finding.message = "problem " + std::to_string(i) + "; DROP TABLE runs; --";
    finding.file = "src/file_" + std::to_string(i) + ".cpp";
    finding.line = 10 + i;
    finding.column = 3 + i;
    finding.fingerprint = "fp-" + name + "-" + std::to_string(i);
    gate.findings.push_back(finding);
  }
  for (int i = 0; i < metrics; ++i) {
    gate.metrics.push_back({name + ".metric-" + std::to_string(i), 81.25 + i, "%"});
  }
  return gate;
}

RunResult make_run(const std::string& id, const std::string& module_id,
                   const std::string& started_at) {
  RunResult run;
  run.id = id;
  run.module_id = module_id;
  run.module_name = "Module " + module_id;
  run.module_path = "/src/modules/" + module_id;
  run.config_path = "/src/modules/" + module_id + "/qgate.yml";
  run.trigger = "actions";
  run.commit_sha = "0123456789abcdef0123456789abcdef01234567";
  run.ref = "refs/pull/42/merge";
  run.qgate_version = "0.1.0";
  run.started_at = started_at;
  return run;
}

// Sets the final fields of `run` as a finished run would have them.
void finish(RunResult& run, Status status) {
  run.status = status;
  run.exit_code = status == Status::passed ? 0 : 1;
  run.finished_at = "2026-11-21T23:59:59.999Z";
  run.duration_s = 12.75;
}

// Writes every field of `run`, so that two runs compare as text with a readable diff.
std::string describe(const RunResult& run) {
  std::ostringstream out;
  out.precision(17);
  out << "run " << run.id << " | " << run.module_id << " | " << run.module_name << " | "
      << run.module_path << " | " << run.config_path << " | " << run.trigger << " | "
      << run.commit_sha << " | " << run.ref << " | " << run.qgate_version << " | " << run.started_at
      << " | " << run.finished_at << " | " << run.duration_s << " | " << to_string(run.status)
      << " | " << run.exit_code << "\n";
  for (const auto& r : run.requirements) {
    out << " requirement " << r.name << " | " << r.category << " | " << r.gate << " | "
        << r.required << " | " << to_string(r.status) << " | " << r.message << "\n";
  }
  for (const auto& g : run.gates) {
    out << " gate " << g.name << " | " << to_string(g.status) << " | " << g.required << " | "
        << g.duration_s << " | " << g.message << "\n";
    for (const auto& s : g.steps) {
      out << "  step " << s.gate << " | " << s.name << " | " << s.command << " | "
          << to_string(s.status) << " | " << s.exit_code << " | " << s.term_signal << " | "
          << s.attempts << " | " << s.flaky << " | " << s.timed_out << " | " << s.duration_s
          << " | " << s.log_path << " | " << s.tail << " | " << s.message << "\n";
    }
    for (const auto& f : g.findings) {
      out << "  finding " << f.requirement << " | " << f.rule << " | " << to_string(f.severity)
          << " | " << f.message << " | " << f.file << " | " << f.line << " | " << f.column << " | "
          << f.fingerprint << "\n";
    }
    for (const auto& m : g.metrics) {
      out << "  metric " << m.name << " | " << m.value << " | " << m.unit << "\n";
    }
  }
  return out.str();
}

// Runs a query returning one integer, on a connection of the test's own.
std::int64_t query_int(const std::filesystem::path& db_path, const std::string& sql) {
  SqliteDb db = SqliteDb::open(db_path);
  auto statement = db.prepare(sql);
  if (!statement.step()) throw std::runtime_error("no row for " + sql);
  return statement.column_int(0);
}

std::string query_text(const std::filesystem::path& db_path, const std::string& sql) {
  SqliteDb db = SqliteDb::open(db_path);
  auto statement = db.prepare(sql);
  if (!statement.step()) throw std::runtime_error("no row for " + sql);
  return statement.column_text(0);
}

TEST(SqliteStore, CreatesMissingFolderAndAppliesSchemaOnce) {
  TempDir dir;
  const auto db_path = dir / "module/.qgate/qgate.db";
  open_sqlite_store(db_path);
  open_sqlite_store(db_path);
  EXPECT_TRUE(std::filesystem::exists(db_path));
  EXPECT_EQ(query_int(db_path, "SELECT count(*) FROM schema_migrations"), known_version());
  EXPECT_EQ(query_int(db_path, "SELECT max(version) FROM schema_migrations"), known_version());
  EXPECT_EQ(query_text(db_path, "PRAGMA journal_mode"), "wal");
}

TEST(SqliteStore, RoundTripsEveryFieldOfAFinishedRun) {
  TempDir dir;
  auto store = open_sqlite_store(dir / "qgate.db");
  RunResult run =
      make_run("3f2b8c1e-0000-4000-8000-000000000001", "billing", "2026-11-21T23:47:40.123Z");
  store->begin_run(run);
  // Gates in the order they finished, which is not alphabetical.
  run.gates.push_back(make_gate("test", Status::failed, 3, 2, 2));
  run.gates.push_back(make_gate("docs", Status::passed, 0, 0, 0));
  run.gates.back().metrics.push_back({"nothing.measured", std::nan(""), ""});
  store->record_gate(run.id, run.gates[0]);
  store->record_gate(run.id, run.gates[1]);
  // finish_run records the gate nobody recorded yet.
  run.gates.push_back(make_gate("lint", Status::error, 1, 5, 0));
  run.requirements.push_back(
      {"module_readme_complete", "documentation", "docs", true, Status::passed, "all there"});
  run.requirements.push_back(
      {"tests_pass", "testing", "test", false, Status::failed, "2 of 3 steps failed"});
  finish(run, Status::failed);
  store->finish_run(run);

  const auto loaded = open_sqlite_store(dir / "qgate.db")->load_run(run.id);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(describe(*loaded), describe(run));
}

TEST(SqliteStore, BeginsRunAsRunningWithoutFinishTime) {
  TempDir dir;
  auto store = open_sqlite_store(dir / "qgate.db");
  RunResult run = make_run("run-1", "billing", "2026-11-21T10:00:00.000Z");
  finish(run, Status::passed);
  store->begin_run(run);
  const auto loaded = store->load_run("run-1");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->status, Status::running);
  EXPECT_EQ(loaded->finished_at, "");
  EXPECT_TRUE(loaded->gates.empty());
}

TEST(SqliteStore, RecordsGateAgainInPlaceReplacingItsSteps) {
  TempDir dir;
  auto store = open_sqlite_store(dir / "qgate.db");
  RunResult run = make_run("run-1", "billing", "2026-11-21T10:00:00.000Z");
  store->begin_run(run);
  store->record_gate(run.id, make_gate("lint", Status::failed, 3, 4, 2));
  store->record_gate(run.id, make_gate("test", Status::passed, 2));
  const GateResult again = make_gate("lint", Status::passed, 1, 1, 0);
  store->record_gate(run.id, again);
  store->record_gate(run.id, again);

  const auto loaded = store->load_run(run.id);
  ASSERT_TRUE(loaded.has_value());
  ASSERT_EQ(loaded->gates.size(), 2u);
  RunResult expected = run;
  expected.gates = {again, make_gate("test", Status::passed, 2)};
  EXPECT_EQ(describe(*loaded), describe(expected));
}

TEST(SqliteStore, FinishRunKeepsGatesRecordedBefore) {
  TempDir dir;
  auto store = open_sqlite_store(dir / "qgate.db");
  RunResult run = make_run("run-1", "billing", "2026-11-21T10:00:00.000Z");
  store->begin_run(run);
  store->record_gate(run.id, make_gate("lint", Status::passed, 2));
  run.gates.push_back(make_gate("lint", Status::passed, 2));
  finish(run, Status::passed);
  store->finish_run(run);
  store->finish_run(run);  // twice: still one lint gate
  const auto loaded = store->load_run(run.id);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(describe(*loaded), describe(run));
}

TEST(SqliteStore, SaysWhichGateOfWhichRunItCouldNotRecord) {
  TempDir dir;
  auto store = open_sqlite_store(dir / "qgate.db");
  try {
    store->record_gate("no-such-run", make_gate("lint", Status::passed, 1));
    FAIL() << "record_gate of an unknown run succeeded";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot record gate 'lint' of run no-such-run: "),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("FOREIGN KEY"), std::string::npos) << e.what();
  }
}

TEST(SqliteStore, RefusesToBeginTheSameRunTwice) {
  TempDir dir;
  auto store = open_sqlite_store(dir / "qgate.db");
  const RunResult run = make_run("run-1", "billing", "2026-11-21T10:00:00.000Z");
  store->begin_run(run);
  EXPECT_THROW(store->begin_run(run), StoreError);
}

TEST(SqliteStore, ListsRunsNewestFirstFilteredLimitedWithGateCounts) {
  TempDir dir;
  auto store = open_sqlite_store(dir / "qgate.db");
  // Inserted out of time order on purpose.
  const std::vector<std::pair<std::string, std::string>> runs = {
      {"b-2", "2026-11-21T12:00:00.000Z"}, {"a-1", "2026-11-21T09:00:00.000Z"},
      {"b-3", "2026-11-22T08:00:00.000Z"}, {"a-2", "2026-11-21T11:00:00.000Z"},
      {"b-1", "2026-11-20T23:00:00.000Z"},
  };
  for (const auto& [id, started_at] : runs) {
    RunResult run = make_run(id, id.substr(0, 1) == "a" ? "alpha" : "beta", started_at);
    store->begin_run(run);
    if (id == "b-2") {
      run.gates = {make_gate("lint", Status::passed, 1), make_gate("test", Status::passed, 1),
                   make_gate("docs", Status::failed, 0), make_gate("sec", Status::error, 0),
                   make_gate("perf", Status::skipped, 0)};
      finish(run, Status::failed);
      store->finish_run(run);
    }
  }

  std::vector<std::string> ids;
  for (const auto& summary : store->list_runs({"", 0})) ids.push_back(summary.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"b-3", "b-2", "a-2", "a-1", "b-1"}));

  ids.clear();
  for (const auto& summary : store->list_runs({"beta", 2})) ids.push_back(summary.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"b-3", "b-2"}));

  const auto alpha = store->list_runs({"alpha", 20});
  ASSERT_EQ(alpha.size(), 2u);
  EXPECT_EQ(alpha[0].id, "a-2");
  EXPECT_EQ(alpha[0].status, Status::running);
  EXPECT_EQ(alpha[0].finished_at, "");

  const auto newest = store->list_runs({"beta", 3});
  ASSERT_EQ(newest.size(), 3u);
  const RunSummary& b2 = newest[1];
  EXPECT_EQ(b2.id, "b-2");
  EXPECT_EQ(b2.module_id, "beta");
  EXPECT_EQ(b2.started_at, "2026-11-21T12:00:00.000Z");
  EXPECT_EQ(b2.finished_at, "2026-11-21T23:59:59.999Z");
  EXPECT_EQ(b2.duration_s, 12.75);
  EXPECT_EQ(b2.status, Status::failed);
  EXPECT_EQ(b2.exit_code, 1);
  EXPECT_EQ(b2.gates_passed, 2);
  EXPECT_EQ(b2.gates_failed, 2);  // skipped counts as neither
  EXPECT_EQ(newest[0].gates_passed + newest[0].gates_failed, 0);

  EXPECT_TRUE(store->list_runs({"gamma", 20}).empty());
}

TEST(SqliteStore, LoadsRunByUniqueIdPrefix) {
  TempDir dir;
  auto store = open_sqlite_store(dir / "qgate.db");
  store->begin_run(make_run("3f2b8c1e-aaaa", "alpha", "2026-11-21T10:00:00.000Z"));
  store->begin_run(make_run("3f2c0000-bbbb", "alpha", "2026-11-21T11:00:00.000Z"));
  store->begin_run(make_run("3f", "alpha", "2026-11-21T12:00:00.000Z"));

  const auto by_prefix = store->load_run("3f2b");
  ASSERT_TRUE(by_prefix.has_value());
  EXPECT_EQ(by_prefix->id, "3f2b8c1e-aaaa");
  EXPECT_EQ(by_prefix->module_id, "alpha");
  // A full id wins even when it is also the prefix of others.
  const auto exact = store->load_run("3f");
  ASSERT_TRUE(exact.has_value());
  EXPECT_EQ(exact->id, "3f");
}

TEST(SqliteStore, RejectsAmbiguousIdPrefixNamingIt) {
  TempDir dir;
  auto store = open_sqlite_store(dir / "qgate.db");
  store->begin_run(make_run("3f2b8c1e-aaaa", "alpha", "2026-11-21T10:00:00.000Z"));
  store->begin_run(make_run("3f2c0000-bbbb", "alpha", "2026-11-21T11:00:00.000Z"));
  try {
    store->load_run("3f2");
    FAIL() << "an ambiguous prefix was accepted";
  } catch (const StoreError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("'3f2' is ambiguous"), std::string::npos) << message;
    EXPECT_NE(message.find("3f2b8c1e-aaaa"), std::string::npos) << message;
    EXPECT_NE(message.find("3f2c0000-bbbb"), std::string::npos) << message;
  }
}

TEST(SqliteStore, ReturnsNothingForUnknownId) {
  TempDir dir;
  auto store = open_sqlite_store(dir / "qgate.db");
  store->begin_run(make_run("3f2b8c1e-aaaa", "alpha", "2026-11-21T10:00:00.000Z"));
  EXPECT_FALSE(store->load_run("3f2c").has_value());
  EXPECT_FALSE(store->load_run("4").has_value());
  EXPECT_FALSE(store->load_run("").has_value());
  EXPECT_FALSE(store->load_run("3f2b8c1e-aaaa-and-more").has_value());
}

TEST(SqliteStore, MarksRunOfDeadProcessInterrupted) {
  TempDir dir;
  const auto db_path = dir / "qgate.db";
  // The parent closes its connection before fork: SQLite connections must not cross it.
  open_sqlite_store(db_path)->begin_run(make_run("parent", "alpha", "2026-11-21T10:00:00.000Z"));

  const pid_t child = spawn([&] {
    auto store = open_sqlite_store(db_path);
    store->begin_run(make_run("child", "alpha", "2026-11-21T10:00:01.000Z"));
    store->record_gate("child", make_gate("lint", Status::passed, 1));
    _exit(0);  // dies without finish_run
    return 1;
  });
  ASSERT_EQ(wait_for(child), 0);

  auto store = open_sqlite_store(db_path);
  EXPECT_EQ(store->reap_interrupted(), 1);
  const auto orphan = store->load_run("child");
  ASSERT_TRUE(orphan.has_value());
  EXPECT_EQ(orphan->status, Status::interrupted);
  EXPECT_FALSE(orphan->finished_at.empty());
  EXPECT_EQ(orphan->gates.size(), 1u);
  EXPECT_EQ(store->load_run("parent")->status, Status::running);
  EXPECT_EQ(store->reap_interrupted(), 0);
}

TEST(SqliteStore, LeavesRunOfLiveProcessAloneUntilItIsKilled) {
  TempDir dir;
  const auto db_path = dir / "qgate.db";
  open_sqlite_store(db_path);
  Pipe ready = make_pipe();
  Pipe hold = make_pipe();
  const pid_t child = spawn([&] {
    ready.read.reset();
    hold.write.reset();
    auto store = open_sqlite_store(db_path);
    store->begin_run(make_run("child", "alpha", "2026-11-21T10:00:01.000Z"));
    send_byte(ready.write);
    wait_for_byte(hold.read);  // until the parent kills it
    return 0;
  });
  ready.write.reset();
  hold.read.reset();
  ASSERT_TRUE(wait_for_byte(ready.read));

  EXPECT_EQ(open_sqlite_store(db_path)->reap_interrupted(), 0);
  EXPECT_EQ(open_sqlite_store(db_path)->load_run("child")->status, Status::running);

  kill(child, SIGKILL);
  EXPECT_EQ(wait_for(child), 128 + SIGKILL);
  auto store = open_sqlite_store(db_path);
  EXPECT_EQ(store->reap_interrupted(), 1);
  EXPECT_EQ(store->load_run("child")->status, Status::interrupted);
}

TEST(SqliteStore, DoesNotTakeProcessReusingOwnerPidForTheOwner) {
  TempDir dir;
  const auto db_path = dir / "qgate.db";
  auto store = open_sqlite_store(db_path);
  store->begin_run(make_run("mine", "alpha", "2026-11-21T10:00:00.000Z"));
  store->begin_run(make_run("reused", "alpha", "2026-11-21T10:00:01.000Z"));
  // Same live pid, different start time: the owner died and the pid was reused.
  SqliteDb db = SqliteDb::open(db_path);
  db.execute("UPDATE runs SET owner_start_ticks = owner_start_ticks + 1 WHERE id = 'reused'");

  EXPECT_EQ(store->reap_interrupted(), 1);
  EXPECT_EQ(store->load_run("reused")->status, Status::interrupted);
  EXPECT_EQ(store->load_run("mine")->status, Status::running);
}

TEST(SqliteStore, LeavesRunsOfOtherHostsAlone) {
  TempDir dir;
  const auto db_path = dir / "qgate.db";
  auto store = open_sqlite_store(db_path);
  store->begin_run(make_run("remote", "alpha", "2026-11-21T10:00:00.000Z"));
  SqliteDb db = SqliteDb::open(db_path);
  db.execute(
      "UPDATE runs SET owner_host = 'build-agent-elsewhere', owner_pid = 2147483000 "
      "WHERE id = 'remote'");
  EXPECT_EQ(store->reap_interrupted(), 0);
  EXPECT_EQ(store->load_run("remote")->status, Status::running);
}

TEST(SqliteStore, SharesFreshDatabaseAmongEightProcessesOpeningAtOnce) {
  TempDir dir;
  const auto db_path = dir / ".qgate/qgate.db";
  constexpr int kProcesses = 8;
  constexpr int kRunsEach = 20;
  Pipe start = make_pipe();
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    children.push_back(spawn([&, p] {
      start.write.reset();
      wait_for_byte(start.read);  // every child opens the moment the parent lets go
      auto store = open_sqlite_store(db_path);
      for (int r = 0; r < kRunsEach; ++r) {
        RunResult run = make_run("p" + std::to_string(p) + "-r" + std::to_string(r),
                                 "module-" + std::to_string(p), utc_now_iso8601());
        store->begin_run(run);
        run.gates.push_back(make_gate("lint", Status::passed, 2));
        store->record_gate(run.id, run.gates.back());
        finish(run, Status::passed);
        store->finish_run(run);
      }
      return 0;
    }));
  }
  start.write.reset();
  for (const pid_t child : children) EXPECT_EQ(wait_for(child), 0) << "child " << child;

  auto store = open_sqlite_store(db_path);
  const auto all = store->list_runs({"", 0});
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kProcesses * kRunsEach));
  EXPECT_TRUE(std::all_of(all.begin(), all.end(), [](const RunSummary& run) {
    return run.status == Status::passed && run.gates_passed == 1;
  }));
  EXPECT_EQ(store->list_runs({"module-3", 0}).size(), static_cast<std::size_t>(kRunsEach));
  EXPECT_EQ(query_int(db_path, "SELECT count(*) FROM schema_migrations"), known_version());
}

TEST(SqliteStore, RefusesDatabaseWithNewerSchema) {
  TempDir dir;
  const auto db_path = dir / "qgate.db";
  open_sqlite_store(db_path);
  SqliteDb::open(db_path).execute(
      "INSERT INTO schema_migrations VALUES (9999, '2030-01-01T00:00:00.000Z')");
  try {
    open_sqlite_store(db_path);
    FAIL() << "a database of a newer qgate was opened";
  } catch (const StoreError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(db_path.string()), std::string::npos) << message;
    EXPECT_NE(
        message.find("schema version 9999, newer than version " + std::to_string(known_version())),
        std::string::npos)
        << message;
  }
}

TEST(SqliteStore, RefusesCorruptFileNamingItAndLeavesItAlone) {
  TempDir dir;
  const auto db_path = dir / "qgate.db";
  std::mt19937 random(7);
  std::string garbage(8192, '\0');
  for (char& byte : garbage) byte = static_cast<char>(random() & 0xff);
  testing::write_file(db_path, garbage);
  try {
    open_sqlite_store(db_path);
    FAIL() << "random bytes were opened as a database";
  } catch (const StoreError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("cannot open result store " + db_path.string()), std::string::npos)
        << message;
    EXPECT_NE(message.find("not a database"), std::string::npos) << message;
  }
  EXPECT_EQ(testing::read_file(db_path), garbage);
}

TEST(SqliteStore, ReportsFolderItCannotCreate) {
  TempDir dir;
  testing::write_file(dir / "blocker", "a file where a folder should be");
  const auto db_path = dir / "blocker/.qgate/qgate.db";
  try {
    open_sqlite_store(db_path);
    FAIL() << "opened a store under a file";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find(db_path.string()), std::string::npos) << e.what();
  }
}

TEST(SqliteStore, DeletingRunDeletesEverythingRecordedForIt) {
  TempDir dir;
  const auto db_path = dir / "qgate.db";
  auto store = open_sqlite_store(db_path);
  for (const std::string id : {"gone", "kept"}) {
    RunResult run = make_run(id, "alpha", "2026-11-21T10:00:00.000Z");
    store->begin_run(run);
    run.gates = {make_gate("lint", Status::passed, 2, 2, 2)};
    run.requirements = {{"lint_clean", "style", "lint", true, Status::passed, ""}};
    finish(run, Status::passed);
    store->finish_run(run);
  }
  SqliteDb db = SqliteDb::open(db_path);
  db.execute("PRAGMA foreign_keys = ON");
  db.execute("DELETE FROM runs WHERE id = 'gone'");
  // What the kept run alone holds.
  const std::vector<std::pair<std::string, int>> expected = {
      {"runs", 1},         {"requirement_results", 1},
      {"gate_results", 1}, {"step_results", 2},
      {"findings", 2},     {"metrics", 2}};
  for (const auto& [table, rows] : expected) {
    SCOPED_TRACE(table);
    auto count = db.prepare("SELECT count(*) FROM " + table);
    ASSERT_TRUE(count.step());
    EXPECT_EQ(count.column_int(0), rows);
  }
}

TEST(SqliteStore, WaitsForAnotherWriterInsteadOfFailing) {
  TempDir dir;
  const auto db_path = dir / "qgate.db";
  auto store = open_sqlite_store(db_path);
  store->begin_run(make_run("run-1", "alpha", "2026-11-21T10:00:00.000Z"));

  SqliteDb other = SqliteDb::open(db_path);
  other.execute("BEGIN IMMEDIATE");
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    other.execute("COMMIT");
  });
  const auto start = std::chrono::steady_clock::now();
  store->record_gate("run-1", make_gate("lint", Status::passed, 1));
  const auto waited = std::chrono::steady_clock::now() - start;
  releaser.join();
  EXPECT_GE(waited, std::chrono::milliseconds(250));
  EXPECT_EQ(store->load_run("run-1")->gates.size(), 1u);
}

// A writer killed at a random instant, thirty times over: the file must stay
// readable and every gate in it must be whole.
TEST(SqliteStore, KeepsEveryRecordedGateWholeWhenWriterIsKilled) {
  TempDir dir;
  const auto db_path = dir / "qgate.db";
  open_sqlite_store(db_path);
  std::mt19937 random(20261121);
  int gates_seen = 0;
  for (int trial = 0; trial < 30; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    const std::string run_id = "trial-" + std::to_string(trial);
    Pipe ready = make_pipe();
    const pid_t child = spawn([&] {
      ready.read.reset();
      auto store = open_sqlite_store(db_path);
      store->begin_run(make_run(run_id, "alpha", utc_now_iso8601()));
      send_byte(ready.write);
      for (int i = 0;; ++i) {
        // Names repeat, so replacing a gate is killed mid-way too. The
        // message says what a whole gate holds.
        const int steps = 1 + i % 7;
        const int findings = i % 4;
        GateResult gate =
            make_gate("gate-" + std::to_string(i % 25), Status::passed, steps, findings, 1);
        for (auto& step : gate.steps) step.tail.append(std::string(1500, 'x'));
        gate.message = std::to_string(steps) + " " + std::to_string(findings);
        store->record_gate(run_id, gate);
      }
      return 0;
    });
    ready.write.reset();
    ASSERT_TRUE(wait_for_byte(ready.read));
    std::this_thread::sleep_for(std::chrono::microseconds(random() % 20000));
    kill(child, SIGKILL);
    ASSERT_EQ(wait_for(child), 128 + SIGKILL);

    EXPECT_EQ(query_text(db_path, "PRAGMA integrity_check"), "ok");
    auto store = open_sqlite_store(db_path);
    const auto run = store->load_run(run_id);
    ASSERT_TRUE(run.has_value());
    for (const GateResult& gate : run->gates) {
      SCOPED_TRACE(gate.name);
      std::istringstream expected(gate.message);
      std::size_t steps = 0;
      std::size_t findings = 0;
      expected >> steps >> findings;
      EXPECT_EQ(gate.steps.size(), steps);
      EXPECT_EQ(gate.findings.size(), findings);
      EXPECT_EQ(gate.metrics.size(), 1u);
    }
    gates_seen += static_cast<int>(run->gates.size());
    EXPECT_EQ(store->reap_interrupted(), 1);
    EXPECT_EQ(store->load_run(run_id)->status, Status::interrupted);
  }
  // The kills must have landed while gates were being written.
  EXPECT_GT(gates_seen, 30);
  std::printf("[ crash   ] %d gates survived 30 kills, all whole\n", gates_seen);
}

// qgate's run of one trivial step targets 5 ms in all; the store's share is
// printed, not asserted, since machines and their disks differ.
TEST(SqliteStore, OpensMigratedDatabaseAndRecordsRunQuickly) {
  TempDir dir;
  const auto db_path = dir / ".qgate/qgate.db";
  open_sqlite_store(db_path);
  constexpr int kRounds = 100;
  using Clock = std::chrono::steady_clock;
  // Per round: open, writes, close. Means include the checkpoint a commit
  // runs every few rounds; medians show the common round.
  std::array<std::vector<double>, 3> micros;
  const auto since = [](Clock::time_point start) {
    return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
  };
  for (int i = 0; i < kRounds; ++i) {
    auto start = Clock::now();
    auto store = open_sqlite_store(db_path);
    micros[0].push_back(since(start));
    start = Clock::now();
    store->reap_interrupted();
    RunResult run = make_run("run-" + std::to_string(i), "alpha", utc_now_iso8601());
    store->begin_run(run);
    run.gates.push_back(make_gate("lint", Status::passed, 1, 0, 0));
    store->record_gate(run.id, run.gates.back());
    run.requirements.push_back({"lint_clean", "style", "lint", true, Status::passed, ""});
    finish(run, Status::passed);
    store->finish_run(run);
    micros[1].push_back(since(start));
    start = Clock::now();
    store.reset();
    micros[2].push_back(since(start));
  }
  std::array<std::string, 3> text;
  for (std::size_t phase = 0; phase < micros.size(); ++phase) {
    auto& values = micros[phase];
    std::sort(values.begin(), values.end());
    double sum = 0;
    for (const double value : values) sum += value;
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "median %.0f / mean %.0f us", values[values.size() / 2],
                  sum / static_cast<double>(values.size()));
    text[phase] = buffer;
  }
  std::printf("[ timing  ] open: %s; reap + begin + 1 gate + finish: %s; close: %s\n",
              text[0].c_str(), text[1].c_str(), text[2].c_str());
  EXPECT_EQ(open_sqlite_store(db_path)->list_runs({"alpha", 0}).size(),
            static_cast<std::size_t>(kRounds));
}

}  // namespace
}  // namespace qgate
