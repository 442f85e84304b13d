// The store contract, run against both back ends, and what only the
// PostgreSQL store does: the checkout tables, notifications, migrations.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <regex>
#include <tuple>

#include "runner/core/result_text.hpp"
#include "runner/store/store.hpp"
#include "tests/test_support.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;
using testing::psql;
using testing::read_file;
using testing::run_command;
using testing::TempDir;
using testing::write_file;

RunResult sample_run(const std::string& id, const std::string& module = "api-001") {
  RunResult run;
  run.id = id;
  run.module_id = module;
  run.module_name = "Core API Layer";
  run.module_path = "/src/api-core";
  run.config_path = "/src/api-core/integration-requirements.yaml";
  run.trigger = "cli";
  run.commit_sha = "0123456789abcdef0123456789abcdef01234567";
  run.ref = "refs/heads/module/api-001/dev-one";
  run.qgate_version = "0.1.0";
  run.started_at = "2026-11-22T01:00:00.000Z";
  run.status = Status::running;
  return run;
}

GateResult sample_gate(const std::string& name, Status status, int findings = 2) {
  GateResult gate;
  gate.name = name;
  gate.status = status;
  gate.required = true;
  gate.duration_s = 1.25;
  gate.message = "1/1 steps passed";
  StepResult step;
  step.gate = name;
  step.name = "unit";
  step.command = "ctest --output-junit junit.xml";
  step.status = status;
  step.exit_code = status == Status::passed ? 0 : 1;
  step.attempts = 2;
  step.flaky = true;
  step.duration_s = 1.2;
  step.log_path = "/tmp/unit.log";
  step.tail = "line 1\n'quoted' \"double\" \\ back\tslash";
  step.message = "passed on attempt 2";
  gate.steps.push_back(step);
  for (int i = 0; i < findings; ++i) {
    Finding f;
    f.requirement = "module_readme_complete";
    f.rule = "readme.section";
    f.severity = Severity::high;
    f.message = "missing Usage " + std::to_string(i);
    f.file = "README.md";
    f.line = 10 + i;
    f.column = 3;
    f.fingerprint = "fp" + std::to_string(i);
    gate.findings.push_back(f);
  }
  gate.metrics.push_back({"line_coverage", 81.5, "%"});
  return gate;
}

// Opens a fresh store of each kind.
struct Backend {
  const char* name;
  std::function<std::unique_ptr<Store>(const TempDir&)> open;
};

class StoreContract : public ::testing::TestWithParam<Backend> {};

TEST_P(StoreContract, RoundTripsEveryFieldOfARun) {
  TempDir dir;
  auto store = GetParam().open(dir);
  RunResult run = sample_run("6f1c2a3b-0000-4000-8000-000000000001");
  store->begin_run(run);
  store->record_gate(run.id, sample_gate("documentation", Status::failed));
  run.gates.push_back(sample_gate("documentation", Status::failed));
  run.gates.push_back(sample_gate("lint", Status::passed, 0));
  run.requirements.push_back({"module_readme_complete", "documentation", "documentation", true,
                              Status::failed, "README.md is a stub"});
  run.requirements.push_back({"linting_rules_followed", "code_quality", "lint", false,
                              Status::passed, "step 'clang-tidy' passed"});
  run.status = Status::failed;
  run.exit_code = 1;
  run.finished_at = "2026-11-22T01:00:02.500Z";
  run.duration_s = 2.5;
  store->finish_run(run);

  const auto loaded = store->load_run(run.id);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->module_id, "api-001");
  EXPECT_EQ(loaded->commit_sha, run.commit_sha);
  EXPECT_EQ(loaded->ref, run.ref);
  EXPECT_EQ(loaded->started_at, run.started_at);
  EXPECT_EQ(loaded->finished_at, run.finished_at);
  EXPECT_EQ(loaded->status, Status::failed);
  EXPECT_EQ(loaded->exit_code, 1);
  ASSERT_EQ(loaded->gates.size(), 2u);
  EXPECT_EQ(loaded->gates[0].name, "documentation");  // recorded first, stays first
  ASSERT_EQ(loaded->gates[0].steps.size(), 1u);
  EXPECT_EQ(loaded->gates[0].steps[0].tail, run.gates[0].steps[0].tail);
  EXPECT_TRUE(loaded->gates[0].steps[0].flaky);
  EXPECT_EQ(loaded->gates[0].steps[0].attempts, 2);
  ASSERT_EQ(loaded->gates[0].findings.size(), 2u);
  EXPECT_EQ(loaded->gates[0].findings[1].line, 11);
  EXPECT_EQ(loaded->gates[0].findings[1].fingerprint, "fp1");
  EXPECT_EQ(loaded->gates[0].findings[1].severity, Severity::high);
  ASSERT_EQ(loaded->gates[0].metrics.size(), 1u);
  EXPECT_DOUBLE_EQ(loaded->gates[0].metrics[0].value, 81.5);
  ASSERT_EQ(loaded->requirements.size(), 2u);
  EXPECT_FALSE(loaded->requirements[1].required);
  EXPECT_EQ(loaded->requirements[0].message, "README.md is a stub");
}

// Bytes PostgreSQL's UTF8 encoding refuses: Latin-1, a lone continuation
// byte, an overlong '/', a UTF-16 surrogate, a cut sequence, and NUL.
constexpr char kHostile[] = "caf\xe9 \x80 \xc0\xaf \xed\xa0\x80 \0 end\xe2\x9c";
const std::string kHostileBytes(kHostile, sizeof kHostile - 1);

// Every text of the run and its gates holds kHostileBytes, but for the ids,
// times and names qgate gives itself (columns of a fixed width in the
// checkout system's layout).
RunResult hostile_run(const std::string& id) {
  const RunResult plain = sample_run(id);
  RunResult run = plain;
  run.gates.push_back(sample_gate("documentation", Status::failed));
  run.requirements.push_back({"module_readme_complete", "documentation", "documentation", true,
                              Status::failed, "README.md is a stub"});
  auto spoil = [](std::string& text) { text += kHostileBytes; };
  for_each_text(run, spoil);
  run.id = id;
  run.module_id = plain.module_id;
  run.trigger = plain.trigger;
  run.commit_sha = plain.commit_sha;
  run.checkout_id = plain.checkout_id;
  run.started_at = plain.started_at;
  for (auto& requirement : run.requirements) {
    requirement.name = "module_readme_complete";
    requirement.category = "documentation";
    requirement.gate = "documentation";
  }
  for (auto& gate : run.gates) {
    for (auto& finding : gate.findings) finding.requirement = "module_readme_complete";
  }
  run.finished_at = "2026-11-22T01:00:02.500Z";
  run.status = Status::failed;
  run.exit_code = 1;
  return run;
}

TEST_P(StoreContract, TextThatIsNotUtf8InAnyFieldIsStoredRepairedNeverRefused) {
  TempDir dir;
  auto store = GetParam().open(dir);
  const RunResult run = hostile_run("6f1c2a3b-0000-4000-8000-000000000061");
  ASSERT_NO_THROW(store->begin_run(run));
  ASSERT_NO_THROW(store->record_gate(run.id, run.gates[0]));
  ASSERT_NO_THROW(store->finish_run(run));
  auto loaded = store->load_run(run.id);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->status, Status::failed);
  ASSERT_EQ(loaded->gates.size(), 1u);
  ASSERT_EQ(loaded->gates[0].findings.size(), 2u);
  ASSERT_EQ(loaded->requirements.size(), 1u);
  const std::string repaired =
      "caf\uFFFD \uFFFD \uFFFD\uFFFD \uFFFD\uFFFD\uFFFD \uFFFD end\uFFFD\uFFFD";
  EXPECT_EQ(loaded->gates[0].steps[0].tail,
            sample_gate("x", Status::failed).steps[0].tail + repaired);
  EXPECT_EQ(loaded->gates[0].findings[0].rule, "readme.section" + repaired);
  EXPECT_EQ(loaded->requirements[0].message, "README.md is a stub" + repaired);
  EXPECT_EQ(loaded->module_path, "/src/api-core" + repaired);
  int texts = 0;
  auto check = [&](std::string& text) {
    EXPECT_EQ(to_storable_text(text), text) << text;
    ++texts;
  };
  for_each_text(*loaded, check);
  EXPECT_GT(texts, 30);
}

TEST_P(StoreContract, KeepsModuleIdsLongerThanTheCheckoutSystemsTwentyCharacters) {
  // qgate's own tables do not share module_checkouts' VARCHAR(20): a run
  // recorded under a longer id (an older qgate allowed one) is never refused.
  TempDir dir;
  auto store = GetParam().open(dir);
  const std::string id = "payments-reconciliation-service";
  RunResult run = sample_run("6f1c2a3b-0000-4000-8000-000000000003", id);
  store->begin_run(run);
  run.gates.push_back(sample_gate("lint", Status::passed));
  store->record_gate(run.id, run.gates.back());
  run.status = Status::passed;
  run.exit_code = 0;
  run.finished_at = run.started_at;
  store->finish_run(run);
  const auto runs = store->list_runs({id, 10});
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].module_id, id);
  EXPECT_TRUE(store->gate_baseline(id, "lint").has_value());
}

TEST_P(StoreContract, RecordingAGateAgainReplacesIt) {
  TempDir dir;
  auto store = GetParam().open(dir);
  const RunResult run = sample_run("6f1c2a3b-0000-4000-8000-000000000002");
  store->begin_run(run);
  store->record_gate(run.id, sample_gate("lint", Status::failed, 5));
  store->record_gate(run.id, sample_gate("lint", Status::passed, 1));
  const auto loaded = store->load_run(run.id);
  ASSERT_EQ(loaded->gates.size(), 1u);
  EXPECT_EQ(loaded->gates[0].status, Status::passed);
  EXPECT_EQ(loaded->gates[0].findings.size(), 1u);
  EXPECT_EQ(loaded->status, Status::running);
}

TEST_P(StoreContract, ListsNewestFirstByModuleWithPrefixLookup) {
  TempDir dir;
  auto store = GetParam().open(dir);
  for (int i = 0; i < 5; ++i) {
    RunResult run = sample_run("6f1c2a3b-0000-4000-8000-00000000001" + std::to_string(i),
                               i % 2 == 0 ? "api-001" : "fe-001");
    run.started_at = "2026-11-22T01:0" + std::to_string(i) + ":00.000Z";
    store->begin_run(run);
    run.status = Status::passed;
    run.exit_code = 0;
    run.finished_at = run.started_at;
    run.gates.push_back(sample_gate("lint", Status::passed, 0));
    store->finish_run(run);
  }
  const auto api = store->list_runs({"api-001", 10});
  ASSERT_EQ(api.size(), 3u);
  EXPECT_EQ(api[0].id, "6f1c2a3b-0000-4000-8000-000000000014");
  EXPECT_EQ(api[2].id, "6f1c2a3b-0000-4000-8000-000000000010");
  EXPECT_EQ(api[0].gates_passed, 1);
  EXPECT_EQ(store->list_runs({"", 2}).size(), 2u);
  EXPECT_TRUE(store->load_run("6f1c2a3b-0000-4000-8000-000000000013").has_value());
  EXPECT_THROW(store->load_run("6f1c2a3b"), StoreError);  // ambiguous
  EXPECT_FALSE(store->load_run("ffffffff").has_value());
}

TEST_P(StoreContract, GateBaselineIsTheLatestFinishedRunWhereTheGatePassed) {
  TempDir dir;
  auto store = GetParam().open(dir);
  EXPECT_FALSE(store->gate_baseline("api-001", "lint").has_value());

  // Minute 0: lint passed with 3 findings; minute 1: lint passed with 1;
  // minute 2: lint failed; minute 3: another module; minute 4: still running.
  const std::vector<std::tuple<std::string, Status, int>> runs = {
      {"api-001", Status::passed, 3},
      {"api-001", Status::passed, 1},
      {"api-001", Status::failed, 7},
      {"fe-001", Status::passed, 5},
  };
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& [module, gate_status, findings] = runs[i];
    RunResult run = sample_run("6f1c2a3b-0000-4000-8000-00000000002" + std::to_string(i), module);
    run.started_at = "2026-11-22T01:0" + std::to_string(i) + ":00.000Z";
    store->begin_run(run);
    run.gates.push_back(sample_gate("lint", gate_status, findings));
    run.gates.back().metrics = {{"benchmark.parse.mean_ns", 100.0 + static_cast<double>(i), "ns"}};
    run.gates.push_back(sample_gate("docs", Status::failed, 0));
    run.status = Status::failed;
    run.exit_code = 1;
    run.finished_at = run.started_at;
    store->finish_run(run);
  }
  RunResult running = sample_run("6f1c2a3b-0000-4000-8000-000000000029");
  running.started_at = "2026-11-22T01:09:00.000Z";
  store->begin_run(running);
  store->record_gate(running.id, sample_gate("lint", Status::passed, 9));

  const auto baseline = store->gate_baseline("api-001", "lint");
  ASSERT_TRUE(baseline.has_value());
  EXPECT_EQ(baseline->run_id, "6f1c2a3b-0000-4000-8000-000000000021");
  EXPECT_EQ(baseline->started_at, "2026-11-22T01:01:00.000Z");
  ASSERT_EQ(baseline->findings.size(), 1u);
  EXPECT_EQ(baseline->findings[0].fingerprint, "fp0");
  ASSERT_EQ(baseline->metrics.size(), 1u);
  EXPECT_EQ(baseline->metrics[0].name, "benchmark.parse.mean_ns");
  EXPECT_DOUBLE_EQ(baseline->metrics[0].value, 101.0);
  // A gate that never passed has no baseline; nor has an unknown module.
  EXPECT_FALSE(store->gate_baseline("api-001", "docs").has_value());
  EXPECT_FALSE(store->gate_baseline("nobody", "lint").has_value());
  EXPECT_EQ(store->gate_baseline("fe-001", "lint")->findings.size(), 5u);
}
TEST_P(StoreContract, GateBaselinesAreTheLatestRunsWhereTheGatePassedNewestFirst) {
  TempDir dir;
  auto store = GetParam().open(dir);
  EXPECT_TRUE(store->gate_baselines("api-001", "performance", 5).empty());
  // Minutes 0 to 5: performance passed, passed, failed, passed (another
  // module), passed, passed; then one still running.
  const std::vector<std::pair<std::string, Status>> runs = {
      {"api-001", Status::passed}, {"api-001", Status::passed}, {"api-001", Status::failed},
      {"fe-001", Status::passed},  {"api-001", Status::passed}, {"api-001", Status::passed},
  };
  for (std::size_t i = 0; i < runs.size(); ++i) {
    RunResult run =
        sample_run("6f1c2a3b-0000-4000-8000-00000000004" + std::to_string(i), runs[i].first);
    run.started_at = "2026-11-22T01:0" + std::to_string(i) + ":00.000Z";
    store->begin_run(run);
    run.gates.push_back(sample_gate("performance", runs[i].second, 0));
    run.gates.back().metrics = {{"benchmark.parse.cpu_ns", 100.0 + static_cast<double>(i), "ns"}};
    run.status = runs[i].second;
    run.exit_code = runs[i].second == Status::passed ? 0 : 1;
    run.finished_at = run.started_at;
    store->finish_run(run);
  }
  RunResult running = sample_run("6f1c2a3b-0000-4000-8000-000000000049");
  running.started_at = "2026-11-22T01:09:00.000Z";
  store->begin_run(running);
  store->record_gate(running.id, sample_gate("performance", Status::passed, 0));

  const auto three = store->gate_baselines("api-001", "performance", 3);
  ASSERT_EQ(three.size(), 3u);
  EXPECT_EQ(three[0].run_id, "6f1c2a3b-0000-4000-8000-000000000045");
  EXPECT_EQ(three[1].run_id, "6f1c2a3b-0000-4000-8000-000000000044");
  EXPECT_EQ(three[2].run_id, "6f1c2a3b-0000-4000-8000-000000000041");
  ASSERT_EQ(three[2].metrics.size(), 1u);
  EXPECT_DOUBLE_EQ(three[2].metrics[0].value, 101.0);
  const auto all = store->gate_baselines("api-001", "performance", 10);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[3].run_id, "6f1c2a3b-0000-4000-8000-000000000040");
  EXPECT_EQ(store->gate_baselines("api-001", "performance", 1).size(), 1u);
  EXPECT_TRUE(store->gate_baselines("api-001", "performance", 0).empty());
  EXPECT_EQ(store->gate_baselines("fe-001", "performance", 5).size(), 1u);
  EXPECT_TRUE(store->gate_baselines("api-001", "lint", 5).empty());
  // The single baseline is the first of them.
  EXPECT_EQ(store->gate_baseline("api-001", "performance")->run_id, three[0].run_id);
}

TEST_P(StoreContract, MarksTheRunOfADeadProcessInterrupted) {
  TempDir dir;
  auto store = GetParam().open(dir);
  const RunResult mine = sample_run("6f1c2a3b-0000-4000-8000-000000000021");
  store->begin_run(mine);
  const pid_t child = fork();
  if (child == 0) {
    auto own = GetParam().open(dir);
    own->begin_run(sample_run("6f1c2a3b-0000-4000-8000-000000000022"));
    _exit(0);  // dies without finishing its run
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(store->reap_interrupted(), 1);
  EXPECT_EQ(store->load_run("6f1c2a3b-0000-4000-8000-000000000022")->status, Status::interrupted);
  EXPECT_EQ(store->load_run(mine.id)->status, Status::running);
}

INSTANTIATE_TEST_SUITE_P(
    BothBackends, StoreContract,
    ::testing::Values(
        Backend{"sqlite", [](const TempDir& dir) { return open_sqlite_store(dir / "qgate.db"); }},
        Backend{"postgres",
                [](const TempDir& dir) {
                  // The first open of a test makes its database; children reuse it.
                  const fs::path marker = dir / "database-url";
                  if (!fs::exists(marker)) write_file(marker, testing::fresh_database_url());
                  return open_postgres_store(read_file(marker));
                }}),
    [](const ::testing::TestParamInfo<Backend>& param) { return std::string(param.param.name); });

std::string qgate() { return "'" + testing::qgate_binary().string() + "'"; }

// A module of the registry with a passing checklist, depending on nothing.
void write_module(const TempDir& dir) {
  write_file(dir / "modules.yaml",
             "modules:\n"
             "  api-core: {id: api-001, name: Core API Layer, dependencies: []}\n"
             "  frontend-web: {id: fe-001, name: Web Frontend, dependencies: [api-001]}\n"
             "  analytics-core: {id: ana-001, name: Analytics, dependencies: []}\n");
  write_file(dir / "api-core/integration-requirements.yaml",
             "integration_requirements:\n"
             "  testing: [ {unit_tests_passing: true} ]\n"
             "  coordination: [ {dependent_modules_notified: true} ]\n"
             "module: {key: api-core, registry: ../modules.yaml}\n"
             "gates:\n  test-coverage:\n    steps: [ {name: unit, run: 'true'} ]\n");
}

// A module whose step prints a Latin-1 byte and whose JUnit report (pytest's,
// from tests/fixtures) names a failing test with one.
void write_latin1_module(const fs::path& dir) {
  fs::create_directories(dir);
  fs::copy_file(testing::source_dir() / "tests/fixtures/junit/pytest.xml", dir / "pytest.xml");
  write_file(dir / "unit.sh",
             "printf 'caf\\351\\n'\n"
             "sed 's/test_describe_square_fails_on_purpose/caf\\xe9/' pytest.xml > junit.xml\n");
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements:\n  testing: [ {unit_tests_passing: true} ]\n"
             "module: {id: latin-001, name: Latin}\n"
             "gates:\n  test-coverage:\n    steps: [ {name: unit, run: 'sh unit.sh'} ]\n"
             "    reports: [junit.xml]\n");
}

TEST(PostgresStore, BytesThatAreNotUtf8InAStepOrATestNameNeverLoseTheRun) {
  const std::string url = testing::fresh_database_url();
  TempDir dir;
  write_latin1_module(dir / "m");
  for (int run = 0; run < 2; ++run) {
    const auto result =
        run_command(qgate() + " check --ci --database-url '" + url + "'", dir / "m");
    // The failing test fails the run: it is judged and recorded, not lost.
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_EQ(result.output.find("invalid byte sequence"), std::string::npos) << result.output;
  }
  EXPECT_FALSE(fs::exists(dir / "m/.qgate/spool")) << "nothing is left to replay";
  EXPECT_EQ(psql(url, "SELECT string_agg(status, ' ') FROM qgate_runs"), "failed failed");
  const std::string replaced = "'%caf' || U&'\\FFFD' || '%'";
  EXPECT_EQ(psql(url, "SELECT count(*) FROM qgate_step_results WHERE tail LIKE " + replaced), "2");
  EXPECT_EQ(psql(url, "SELECT count(*) FROM qgate_findings WHERE message LIKE " + replaced +
                          " OR rule LIKE " + replaced),
            "2");
}

TEST(SqliteStore, BytesThatAreNotUtf8InAStepOrATestNameAreStoredRepaired) {
  TempDir dir;
  write_latin1_module(dir / "m");
  const auto result = run_command(qgate() + " check --ci", dir / "m");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  auto store = open_sqlite_store(dir / "m/.qgate/qgate.db");
  const auto runs = store->list_runs({});
  ASSERT_EQ(runs.size(), 1u);
  const auto run = store->load_run(runs[0].id);
  ASSERT_TRUE(run.has_value());
  ASSERT_EQ(run->gates.size(), 1u);
  EXPECT_NE(run->gates[0].steps.at(0).tail.find("caf\uFFFD"), std::string::npos);
  bool named = false;
  for (const auto& finding : run->gates[0].findings) {
    if ((finding.message + finding.rule).find("caf\uFFFD") != std::string::npos) named = true;
  }
  EXPECT_TRUE(named);
}

TEST(PostgresStore, WorksOnADatabaseTheCheckoutSystemCreated) {
  TempDir dir;
  const std::string url = testing::fresh_database_url();
  // The checkout system's own DDL, verbatim, runs first.
  psql(url, read_file(testing::source_dir() / "tests/fixtures/checkout-system/schema.sql"));
  psql(url,
       "INSERT INTO module_checkouts (module_id, checked_out_by, checked_out_by_email, "
       "estimated_completion_date, checkout_reason) VALUES "
       "('api-001', 'Dev One', 'one@example.com', NOW() + interval '21 days', 'Initial API "
       "development'), "
       "('fe-001', 'Dev Two', 'two@example.com', NOW() + interval '30 days', 'Initial UI'), "
       "('ana-001', 'Dev Three', 'three@example.com', NOW() + interval '30 days', 'Reports');"
       "INSERT INTO module_dependencies (module_id, depends_on_module_id, dependency_type) "
       "VALUES ('ana-001', 'api-001', 'integrates_with');");
  write_module(dir);
  const auto result =
      run_command(qgate() + " check --ci --database-url '" + url + "'", dir / "api-core");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const std::string checkout =
      psql(url, "SELECT id FROM module_checkouts WHERE module_id = 'api-001'");
  EXPECT_NE(result.output.find("recording against checkout " + checkout), std::string::npos);
  EXPECT_EQ(psql(url, "SELECT checkout_id FROM qgate_runs"), checkout);
  // fe-001 depends on api-001 in the registry, ana-001 in module_dependencies.
  EXPECT_EQ(
      psql(url,
           "SELECT c.module_id || ' ' || n.notification_type || ' ' || n.recipient_email || ' ' "
           "|| n.delivery_status FROM checkout_notifications n JOIN module_checkouts c ON "
           "c.id = n.checkout_id ORDER BY c.module_id"),
      "ana-001 completion three@example.com pending\nfe-001 completion two@example.com pending");
  EXPECT_TRUE(std::regex_search(
      result.output,
      std::regex("dependent_modules_notified +coordination +yes +passed +notified 2")));
  // The checkout tables are the checkout system's own: no column was added.
  EXPECT_EQ(
      psql(url,
           "SELECT count(*) FROM information_schema.columns WHERE table_name = 'module_checkouts'"),
      "15");
  // A second passing run notifies again (it is a new run), never twice for one run.
  ASSERT_EQ(
      run_command(qgate() + " check --ci --database-url '" + url + "'", dir / "api-core").exit_code,
      0);
  EXPECT_EQ(psql(url, "SELECT count(*) FROM checkout_notifications"), "4");
  EXPECT_EQ(psql(url, "SELECT count(DISTINCT (checkout_id, message)) FROM checkout_notifications"),
            "4");
}

TEST(PostgresStore, CreatesTheCheckoutTablesWhereAbsentAndTheyTakeTheCheckoutSystemsWrites) {
  const std::string url = testing::fresh_database_url();
  const auto migrated = run_command(qgate() + " db migrate --database-url '" + url + "'", "/");
  ASSERT_EQ(migrated.exit_code, 0) << migrated.output;
  // What the checkout system's API does: check out, update progress, complete, notify.
  psql(url,
       "INSERT INTO module_checkouts (module_id, checked_out_by, checked_out_by_email, "
       "estimated_completion_date, checkout_reason, notes, blocking_issues) VALUES "
       "('api-001', 'Dev One', 'one@example.com', NOW() + interval '21 days', 'Bug fix', 'n', "
       "ARRAY['waiting for db-001']);"
       "UPDATE module_checkouts SET progress_percentage = 75, last_progress_update = NOW();"
       "UPDATE module_checkouts SET status = 'completed', actual_completion_date = NOW();"
       "INSERT INTO checkout_notifications (checkout_id, notification_type, recipient_email, "
       "message) "
       "SELECT id, 'completion', checked_out_by_email, 'done' FROM module_checkouts;");
  EXPECT_EQ(psql(url,
                 "SELECT status || ' ' || progress_percentage || ' ' || blocking_issues[1] FROM "
                 "module_checkouts"),
            "completed 75 waiting for db-001");
  EXPECT_THROW(psql(url, "UPDATE module_checkouts SET progress_percentage = 101"),
               std::runtime_error);
  const auto status = run_command(qgate() + " db status --database-url '" + url + "'", "/");
  EXPECT_EQ(
      status.output,
      "migration 1: applied\nmigration 2: applied\nmigration 3: applied\nmigration 4: applied\n"
      "migration 5: applied\nmigration 6: applied\nmigration 7: applied\nmigration 8: applied\n");
  EXPECT_EQ(run_command(qgate() + " db migrate --database-url '" + url + "'", "/")
                    .output.find("up to date") != std::string::npos,
            true);
}

TEST(PostgresStore, NamedCheckoutMustExistAndBelongToTheModule) {
  TempDir dir;
  const std::string url = testing::fresh_database_url();
  write_module(dir);
  run_command(qgate() + " db migrate --database-url '" + url + "'", "/");
  psql(url,
       "INSERT INTO module_checkouts (id, module_id, checked_out_by, checked_out_by_email, "
       "estimated_completion_date) VALUES ('11111111-2222-4333-8444-555555555555', 'fe-001', 'Dev "
       "Two', "
       "'two@example.com', NOW())");
  auto result = run_command(qgate() + " check --ci --database-url '" + url +
                                "' --checkout 00000000-0000-4000-8000-000000000000",
                            dir / "api-core");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("no such checkout"), std::string::npos);
  result = run_command(qgate() + " check --ci --database-url '" + url +
                           "' --checkout 11111111-2222-4333-8444-555555555555",
                       dir / "api-core");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("is a checkout of module fe-001, not of api-001"),
            std::string::npos);
  EXPECT_EQ(psql(url, "SELECT count(*) FROM qgate_runs"), "0");
  // Without an active checkout the run is recorded without one, and says so.
  result = run_command(qgate() + " check --ci --database-url '" + url + "'", dir / "api-core");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("has no active checkout"), std::string::npos);
  EXPECT_EQ(
      psql(url, "SELECT count(*) FROM qgate_runs WHERE checkout_id IS NULL AND status = 'passed'"),
      "1");
}

TEST(PostgresStore, RedactsThePasswordOfADatabaseUrl) {
  EXPECT_EQ(redact_database_url("postgresql://qgate:s3cret@db.example:5432/qgate"),
            "postgresql://qgate:***@db.example:5432/qgate");
  EXPECT_EQ(redact_database_url("host=/tmp user=qgate password=s3cret dbname=q"),
            "host=/tmp user=qgate password=*** dbname=q");
  EXPECT_EQ(redact_database_url("postgresql:///q?host=/tmp&password=s3cret&user=u"),
            "postgresql:///q?host=/tmp&password=***&user=u");
  EXPECT_EQ(redact_database_url("postgresql:///q?host=/tmp"), "postgresql:///q?host=/tmp");
}

TEST(PostgresStore, RedactsAPasswordOfAMegabyteWithoutExhaustingTheStack) {
  // A quoted password of 1 MB: std::regex recursed once per character.
  const std::string password(1 << 20, 'p');
  EXPECT_EQ(redact_database_url("host=/tmp password='" + password + "' dbname=q"),
            "host=/tmp password=*** dbname=q");
  EXPECT_EQ(redact_database_url("postgresql://u:" + password + "@db/q"), "postgresql://u:***@db/q");
}

}  // namespace
}  // namespace qgate
