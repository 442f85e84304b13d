// Reliability of the PostgreSQL store, end to end: the real qgate binary
// against a real PostgreSQL server, killed, cut off from its database and
// started ten at a time.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <regex>
#include <thread>

#include "tests/test_support.hpp"

extern char** environ;

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

// Returns the single number psql printed for `sql`.
long count(const std::string& url, const std::string& sql) {
  return std::stol(testing::psql(url, sql));
}

// Three gates, each with one step of `sleep S` per entry of `sleeps`; three
// requirements.
std::string three_gate_config(const std::vector<std::string>& sleeps) {
  std::string steps;
  for (std::size_t i = 0; i < sleeps.size(); ++i) {
    steps += "      - {name: s" + std::to_string(i) + ", run: 'sleep " + sleeps[i] + "'}\n";
  }
  return "integration_requirements:\n"
         "  testing: [ {unit_tests_passing: true}, {security_scan_clean: true} ]\n"
         "  code_quality: [ {linting_rules_followed: true} ]\n"
         "module: {id: rel-001}\n"
         "gates:\n"
         "  test-coverage:\n    steps:\n" +
         steps + "  lint:\n    steps:\n" + steps + "  security:\n    steps:\n" + steps;
}
constexpr long kGates = 3;
constexpr long kRequirements = 3;

// The number of runs with status `status`.
long runs_with_status(const std::string& url, const std::string& status) {
  return count(url, "SELECT count(*) FROM qgate_runs WHERE status = '" + status + "'");
}

// The number of finished (passed/failed) runs missing a gate, a requirement
// verdict or their finish time.
long incomplete_finished_runs(const std::string& url) {
  return count(url,
               "SELECT count(*) FROM qgate_runs r WHERE r.status IN ('passed', 'failed') AND ("
               "(SELECT count(*) FROM qgate_gate_results g WHERE g.run_id = r.id) <> " +
                   std::to_string(kGates) +
                   " OR (SELECT count(*) FROM qgate_requirement_results q WHERE q.run_id = r.id) "
                   "<> " +
                   std::to_string(kRequirements) + " OR r.finished_at IS NULL)");
}

// The number of gate rows whose step rows are not all there.
long gates_missing_steps(const std::string& url, std::size_t steps_per_gate) {
  return count(url,
               "SELECT count(*) FROM qgate_gate_results g WHERE (SELECT count(*) FROM "
               "qgate_step_results s WHERE s.gate_id = g.id) <> " +
                   std::to_string(steps_per_gate));
}

// Returns every file under `dir` that contains `needle`.
std::vector<std::string> files_containing(const fs::path& dir, const std::string& needle) {
  std::vector<std::string> found;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && read_file(it->path()).find(needle) != std::string::npos) {
      found.push_back(it->path().string());
    }
  }
  return found;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

TEST(PostgresReliability, KillNineAtRandomMomentsNeverLeavesAHalfWrittenRun) {
  const std::string url = testing::fresh_database_url();
  TempDir dir;
  const std::vector<std::string> sleeps = {"0.02", "0.05"};
  write_file(dir / "integration-requirements.yaml", three_gate_config(sleeps));
  const std::vector<std::string> args = {"check", "--ci", "--database-url", url};

  // Two whole runs: the first migrates the database; the second gives the
  // duration that the kills are spread over.
  double duration = 0;
  for (int i = 0; i < 2; ++i) {
    const auto started = Clock::now();
    QgateProcess reference;
    reference.start(args, dir.path(), dir / "out.txt", dir / "err.txt");
    reference.wait();
    duration = seconds_since(started);
    ASSERT_EQ(reference.exit_code, 0) << read_file(dir / "out.txt") << read_file(dir / "err.txt");
  }
  ASSERT_EQ(runs_with_status(url, "passed"), 2);
  ASSERT_EQ(incomplete_finished_runs(url), 0);

  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed) + ", run duration " + std::to_string(duration) +
               " s");
  std::mt19937 random(seed);
  std::uniform_real_distribution<double> delay(0, duration);
  constexpr int kTrials = 60;
  int killed = 0;
  int finished = 0;
  for (int trial = 0; trial < kTrials; ++trial) {
    QgateProcess process;
    process.start(args, dir.path(), dir / "out.txt", dir / "err.txt");
    std::this_thread::sleep_for(std::chrono::duration<double>(delay(random)));
    if (!process.ended()) {
      kill(process.pid, SIGKILL);
      process.wait();
    }
    if (process.term_signal == SIGKILL) {
      ++killed;
    } else {
      ASSERT_EQ(process.exit_code, 0) << read_file(dir / "out.txt") << read_file(dir / "err.txt");
      ++finished;
    }
  }
  std::cerr << "kill -9 trials: " << kTrials << " (" << killed << " killed, " << finished
            << " finished first), run duration " << duration << " s, seed " << seed << "\n";
  EXPECT_GE(killed, kTrials / 2);

  // Any qgate process reaps the runs of the dead ones.
  const auto history =
      run_command("'" + testing::qgate_binary().string() + "' history --database-url '" + url + "'",
                  dir.path());
  ASSERT_EQ(history.exit_code, 0) << history.output;

  EXPECT_EQ(runs_with_status(url, "running"), 0);
  EXPECT_EQ(incomplete_finished_runs(url), 0);
  EXPECT_EQ(gates_missing_steps(url, sleeps.size()), 0);
  EXPECT_EQ(runs_with_status(url, "failed"), 0);
  const long passed = runs_with_status(url, "passed");
  const long interrupted = runs_with_status(url, "interrupted");
  // Finished runs passed; a killed run is interrupted, or passed when the kill
  // came after its last commit, or absent when it came before its first.
  EXPECT_GE(passed, 2 + finished);
  EXPECT_LE(passed, 2 + kTrials);
  EXPECT_GE(interrupted, 1);
  EXPECT_LE(interrupted, killed);
  EXPECT_EQ(count(url, "SELECT count(*) FROM qgate_runs"), passed + interrupted);
  // The database was up all along: nothing was spooled.
  EXPECT_TRUE(files_containing(dir / ".qgate", "\"op\"").empty());
  // The kills fell between gate commits too, not only before the first one.
  const std::string gates_of_interrupted = testing::psql(
      url,
      "SELECT string_agg(gates || ' gates: ' || runs, ', ' ORDER BY gates) FROM (SELECT gates, "
      "count(*) AS runs FROM (SELECT (SELECT count(*) FROM qgate_gate_results g WHERE g.run_id = "
      "r.id) AS gates FROM qgate_runs r WHERE r.status = 'interrupted') AS each_run GROUP BY "
      "gates) AS histogram");
  EXPECT_GE(count(url,
                  "SELECT count(*) FROM qgate_runs r WHERE r.status = 'interrupted' AND EXISTS "
                  "(SELECT 1 FROM qgate_gate_results g WHERE g.run_id = r.id)"),
            1)
      << gates_of_interrupted;
  std::cerr << "runs: " << passed << " passed, " << interrupted << " interrupted ("
            << gates_of_interrupted << ")\n";
}

TEST(PostgresReliability, DatabaseStoppedMidRunAndStartedAgainLosesNoResult) {
  TempDir dir;
  PrivateServer server(dir / "server");
  std::string problem;
  const std::string url = server.start(problem);
  ASSERT_FALSE(url.empty()) << problem;

  write_file(dir / "module/integration-requirements.yaml", three_gate_config({"1"}));
  // Migrated first, so that the polling below never meets a missing table.
  ASSERT_EQ(
      run_command(
          "'" + testing::qgate_binary().string() + "' db migrate --database-url '" + url + "'", "/")
          .exit_code,
      0);
  QgateProcess process;
  // -j 1: the gates finish one second apart, so the outage falls between them.
  process.start({"check", "--ci", "-j", "1", "--database-url", url}, dir / "module",
                dir / "out.txt", dir / "err.txt", {"QGATE_DB_RETRY_SECONDS=20"});

  const auto started = Clock::now();
  while (count(url, "SELECT count(*) FROM qgate_gate_results") == 0) {
    ASSERT_LT(seconds_since(started), 20) << "no gate recorded";
    ASSERT_FALSE(process.ended()) << read_file(dir / "out.txt") << read_file(dir / "err.txt");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(server.stop(), 0);
  const auto stopped = Clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  // The run was still going while the server was away: its later gates
  // were written across the outage. (Once the server is starting, the run
  // may reach it before pg_ctl says it is up.)
  EXPECT_FALSE(process.ended()) << "the run ended while the database was away";
  ASSERT_FALSE(server.start(problem).empty()) << problem;
  const double outage = seconds_since(stopped);
  process.wait();
  std::cerr << "database away for " << outage << " s\n";

  EXPECT_EQ(process.exit_code, 0) << read_file(dir / "out.txt") << read_file(dir / "err.txt");
  EXPECT_EQ(count(url, "SELECT count(*) FROM qgate_runs"), 1);
  EXPECT_EQ(runs_with_status(url, "passed"), 1);
  EXPECT_EQ(count(url, "SELECT count(*) FROM qgate_gate_results WHERE status = 'passed'"), kGates);
  EXPECT_EQ(count(url, "SELECT count(*) FROM qgate_step_results WHERE status = 'passed'"), kGates);
  EXPECT_EQ(count(url, "SELECT count(*) FROM qgate_requirement_results WHERE status = 'passed'"),
            kRequirements);
  EXPECT_EQ(incomplete_finished_runs(url), 0);
  EXPECT_TRUE(files_containing(dir / "module/.qgate", "\"op\"").empty())
      << "results were spooled although the database came back within the retry budget";
}

TEST(PostgresReliability, DatabaseAwayForTheWholeRunIsSpooledAndReplayedNextRun) {
  TempDir dir;
  const std::string secret = "hunter2-secret";
  fs::create_directories(dir / "no-server");
  const std::string away_url = "postgresql:///qgate?host=" + (dir / "no-server").string() +
                               "&user=postgres&password=" + secret;
  write_file(dir / "module/integration-requirements.yaml", three_gate_config({"0.01"}));

  QgateProcess away;
  away.start({"check", "--ci", "--database-url", away_url}, dir / "module", dir / "out1.txt",
             dir / "err1.txt", {"QGATE_DB_RETRY_SECONDS=1"});
  away.wait();
  const std::string out1 = read_file(dir / "out1.txt");
  const std::string err1 = read_file(dir / "err1.txt");
  EXPECT_EQ(away.exit_code, 3) << out1 << err1;
  std::smatch named;
  ASSERT_TRUE(std::regex_search(err1, named, std::regex(R"((/\S*/\.qgate/spool/\S+\.jsonl))")))
      << err1;
  const fs::path spool = named[1].str();
  EXPECT_TRUE(fs::exists(spool)) << spool;
  EXPECT_EQ(spool.parent_path(), dir / "module/.qgate/spool");
  EXPECT_EQ(out1.find(secret), std::string::npos) << out1;
  EXPECT_EQ(err1.find(secret), std::string::npos) << err1;
  const auto leaked = files_containing(dir / "module/.qgate", secret);
  EXPECT_TRUE(leaked.empty()) << "the password is in " << leaked.front();

  const std::string url = testing::fresh_database_url() + "&password=" + secret;
  QgateProcess back;
  back.start({"check", "--ci", "--database-url", url}, dir / "module", dir / "out2.txt",
             dir / "err2.txt");
  back.wait();
  const std::string out2 = read_file(dir / "out2.txt");
  const std::string err2 = read_file(dir / "err2.txt");
  EXPECT_EQ(back.exit_code, 0) << out2 << err2;
  EXPECT_NE(out2.find("recorded 1 earlier run(s)"), std::string::npos) << out2;
  EXPECT_EQ((out2 + err2).find(secret), std::string::npos) << out2 << err2;
  EXPECT_FALSE(fs::exists(spool)) << "the spool was not removed once replayed";
  EXPECT_TRUE(files_containing(dir / "module/.qgate", secret).empty());

  EXPECT_EQ(count(url, "SELECT count(*) FROM qgate_runs"), 2);
  EXPECT_EQ(runs_with_status(url, "passed"), 2);
  EXPECT_EQ(incomplete_finished_runs(url), 0);
  EXPECT_EQ(gates_missing_steps(url, 1), 0);
  // The replayed run keeps the exit code it really ended with.
  EXPECT_EQ(count(url, "SELECT count(*) FROM qgate_runs WHERE exit_code = 0"), 2);
}

TEST(PostgresReliability, TenProcessesMigrateAFreshDatabaseAtOnce) {
  const std::string url = testing::fresh_database_url();
  TempDir dir;
  constexpr int kProcesses = 10;
  std::vector<QgateProcess> processes(kProcesses);
  for (int i = 0; i < kProcesses; ++i) {
    const std::string name = std::to_string(i);
    processes[i].start({"db", "migrate", "--database-url", url}, dir.path(),
                       dir / ("out" + name + ".txt"), dir / ("err" + name + ".txt"));
  }
  int applied = 0;
  for (int i = 0; i < kProcesses; ++i) {
    processes[i].wait();
    const std::string name = std::to_string(i);
    const std::string out = read_file(dir / ("out" + name + ".txt"));
    EXPECT_EQ(processes[i].exit_code, 0) << out << read_file(dir / ("err" + name + ".txt"));
    std::smatch match;
    if (std::regex_search(out, match, std::regex(R"(applied (\d+) migration)"))) {
      applied += std::stoi(match[1].str());
    } else {
      EXPECT_NE(out.find("up to date"), std::string::npos) << out;
    }
  }

  const auto status = run_command(
      "'" + testing::qgate_binary().string() + "' db status --database-url '" + url + "'",
      dir.path());
  ASSERT_EQ(status.exit_code, 0) << status.output;
  const std::regex line(R"(migration (\d+): (\w+))");
  int known = 0;
  for (auto it = std::sregex_iterator(status.output.begin(), status.output.end(), line);
       it != std::sregex_iterator(); ++it) {
    ++known;
    EXPECT_EQ((*it)[2].str(), "applied") << status.output;
  }
  ASSERT_GE(known, 2) << status.output;
  // Each migration was applied by exactly one of the ten.
  EXPECT_EQ(applied, known);
  EXPECT_EQ(count(url, "SELECT count(*) FROM qgate_schema_migrations"), known);
  EXPECT_EQ(count(url, "SELECT count(DISTINCT version) FROM qgate_schema_migrations"), known);
  EXPECT_EQ(count(url,
                  "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN "
                  "('module_checkouts', 'checkout_notifications', 'module_dependencies', "
                  "'qgate_runs', 'qgate_gate_results', 'qgate_step_results', 'qgate_findings', "
                  "'qgate_metrics', 'qgate_requirement_results')"),
            9);
}

}  // namespace
}  // namespace qgate
