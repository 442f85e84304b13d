#include "runner/core/run_plan.hpp"
#include "gates/builtin_check.hpp"
#include "runner/config/load_config.hpp"
#include "runner/core/requirements.hpp"

#include <gtest/gtest.h>

#include "tests/test_support.hpp"

namespace qgate {
namespace {

using testing::TempDir;
using testing::write_file;

Config config_of(const TempDir& dir, const std::string& text) {
  write_file(dir / "integration-requirements.yaml", text);
  return load_config(dir / "integration-requirements.yaml");
}

const RequirementResult& verdict(const std::vector<RequirementResult>& all,
                                 const std::string& name) {
  for (const auto& r : all) {
    if (r.name == name) return r;
  }
  throw std::runtime_error("no verdict for " + name);
}

StepResult step(Status status) {
  StepResult result;
  result.name = "s";
  result.status = status;
  return result;
}

TEST(RunPlan, StepsJudgeTheirOwnRequirementsOrAllOfTheirGate) {
  TempDir dir;
  const Config config = config_of(dir, R"(integration_requirements:
  code_quality: [ {linting_rules_followed: true}, {type_checking_passed: true} ]
gates:
  lint:
    steps:
      - {name: types, run: mypy ., requirements: [type_checking_passed]}
      - {name: general, run: make lint}
)");
  const RunPlan plan = make_plan(config, {dir / "runs/x", {"PATH=/bin"}, "x"});
  ASSERT_EQ(plan.steps.size(), 2u);
  EXPECT_EQ(plan.step_requirements[0], std::vector<std::string>{"type_checking_passed"});
  EXPECT_EQ(plan.step_requirements[1],
            (std::vector<std::string>{"linting_rules_followed", "type_checking_passed"}));
  EXPECT_TRUE(plan.steps[0].required);
  EXPECT_EQ(plan.steps[0].log_path, dir / "runs/x/lint/types.log");
  // The general step failing fails both; the typed step only its own.
  auto verdicts =
      judge_requirements(config, plan, {step(Status::failed), step(Status::passed)}, {});
  EXPECT_EQ(verdict(verdicts, "type_checking_passed").status, Status::failed);
  EXPECT_EQ(verdict(verdicts, "linting_rules_followed").status, Status::passed);
  verdicts = judge_requirements(config, plan, {step(Status::passed), step(Status::failed)}, {});
  EXPECT_EQ(verdict(verdicts, "type_checking_passed").status, Status::failed);
  EXPECT_EQ(verdict(verdicts, "linting_rules_followed").status, Status::failed);
  EXPECT_EQ(exit_code_for(verdicts), 1);
}

TEST(RunPlan, BenchmarkStepsRunAloneUnlessTheConfigSaysOtherwise) {
  TempDir dir;
  const std::string checklist =
      "integration_requirements:\n"
      "  testing: [ {unit_tests_passing: true}, {performance_benchmarks_met: true} ]\n";
  const Config config = config_of(dir, checklist + R"(gates:
  test-coverage:
    steps: [ {name: unit, run: "true"} ]
  performance:
    steps: [ {name: bench, run: "true"}, {name: load, run: "true"} ]
)");
  const RunPlan plan = make_plan(config, {dir.path() / "run", {}, "run-1"});
  ASSERT_EQ(plan.steps.size(), 3u);
  EXPECT_FALSE(plan.steps[0].exclusive) << plan.steps[0].name;
  EXPECT_TRUE(plan.steps[1].exclusive) << plan.steps[1].name;
  EXPECT_TRUE(plan.steps[2].exclusive) << plan.steps[2].name;

  const Config shared = config_of(dir, checklist + R"(gates:
  performance:
    exclusive: false
    steps: [ {name: bench, run: "true"} ]
)");
  EXPECT_FALSE(make_plan(shared, {dir.path() / "run", {}, "run-2"}).steps.at(0).exclusive);
}

TEST(RunPlan, ExplicitStepReplacesTheBuiltInCheck) {
  TempDir dir;
  const Config config = config_of(dir, R"(integration_requirements:
  documentation: [ {module_readme_complete: true}, {api_documentation_updated: true} ]
gates:
  documentation:
    steps: [ {name: readme, run: ./check-readme, requirements: [module_readme_complete]} ]
)");
  const RunPlan plan = make_plan(config, {dir / "runs/x", {}, "x"});
  EXPECT_EQ(plan.builtin_requirements, std::vector<std::string>{"api_documentation_updated"});
  BuiltinOutcomes builtins;
  builtins["api_documentation_updated"] = {Status::failed, "2 routes undocumented", {}};
  builtins["module_readme_complete"] = {Status::failed, "not planned, must be ignored", {}};
  const auto verdicts = judge_requirements(config, plan, {step(Status::passed)}, builtins);
  EXPECT_EQ(verdict(verdicts, "module_readme_complete").status, Status::passed);
  EXPECT_EQ(verdict(verdicts, "api_documentation_updated").status, Status::failed);
  EXPECT_EQ(verdict(verdicts, "api_documentation_updated").message, "2 routes undocumented");
}

TEST(RunPlan, AStepNamingSecurityScanCleanAddsToTheSecretScan) {
  TempDir dir;
  const Config config = config_of(dir, R"(integration_requirements:
  testing: [ {security_scan_clean: true} ]
gates:
  security:
    steps: [ {name: bandit, run: bandit -r ., requirements: [security_scan_clean]} ]
)");
  const RunPlan plan = make_plan(config, {dir / "runs/x", {}, "x"});
  EXPECT_EQ(plan.builtin_requirements, std::vector<std::string>{"security_scan_clean"});
  BuiltinOutcomes builtins;
  builtins["security_scan_clean"] = {Status::failed, "2 secrets found", {}};
  auto verdicts = judge_requirements(config, plan, {step(Status::passed)}, builtins);
  EXPECT_EQ(verdict(verdicts, "security_scan_clean").status, Status::failed);
  EXPECT_EQ(verdict(verdicts, "security_scan_clean").message, "2 secrets found");
  // Turned off, the scan is named whatever the step decides.
  builtins["security_scan_clean"] = {Status::skipped, "secret scan turned off by c.yaml:4", {}};
  verdicts = judge_requirements(config, plan, {step(Status::failed)}, builtins);
  EXPECT_EQ(verdict(verdicts, "security_scan_clean").status, Status::failed);
  EXPECT_EQ(verdict(verdicts, "security_scan_clean").message,
            "step 's' failed; secret scan turned off by c.yaml:4");
}

TEST(RunPlan, UncheckedRequirementsAreNotConfiguredAndReviewIsSkipped) {
  TempDir dir;
  const Config config = config_of(dir, R"(integration_requirements:
  testing: [ {integration_tests_passing: false} ]
  code_quality: [ {code_review_approved: true} ]
)");
  const RunPlan plan = make_plan(config, {dir / "runs/x", {}, "x"});
  const auto verdicts = judge_requirements(config, plan, {}, {});
  EXPECT_EQ(verdict(verdicts, "integration_tests_passing").status, Status::not_configured);
  EXPECT_EQ(verdict(verdicts, "code_review_approved").status, Status::skipped);
  // Advisory not_configured and required skipped both leave the exit code at 0.
  EXPECT_EQ(exit_code_for(verdicts), 0);
  const GateResult review = judge_gate(plan.gates.back(), {}, {});
  EXPECT_EQ(review.name, "review");
  EXPECT_EQ(review.status, Status::skipped);
}

TEST(RunPlan, GateVerdictCombinesStepsAndChecks) {
  TempDir dir;
  const Config config = config_of(dir, R"(integration_requirements:
  documentation: [ {module_readme_complete: true} ]
gates:
  documentation:
    steps: [ {name: spell, run: aspell} ]
)");
  const RunPlan plan = make_plan(config, {dir / "runs/x", {}, "x"});
  BuiltinOutcomes builtins;
  Finding finding;
  finding.message = "missing Usage";
  builtins["module_readme_complete"] = {Status::failed, "missing sections", {finding}};
  const GateResult gate = judge_gate(plan.gates[0], {step(Status::passed)}, builtins);
  EXPECT_EQ(gate.status, Status::failed);
  EXPECT_TRUE(gate.required);
  EXPECT_EQ(gate.findings.size(), 1u);
  EXPECT_EQ(gate.message, "1/1 steps passed, 0/1 built-in checks passed");
}

TEST(RunPlan, ReportsAreGroupedByTheRequirementsTheyJudge) {
  TempDir dir;
  const Config config = config_of(dir, R"(integration_requirements:
  testing: [ {unit_tests_passing: true}, {integration_tests_passing: true} ]
gates:
  test-coverage:
    steps:
      - {name: unit, run: make unit, requirements: [unit_tests_passing], reports: [unit.xml]}
      - {name: all, run: make all, reports: [all.xml]}
    reports:
      - gate.xml
      - {path: it.xml, requirements: [integration_tests_passing]}
      - {path: unit2.xml, requirements: [unit_tests_passing, unit_tests_passing]}
)");
  const GateConfig& gate = *config.gate("test-coverage");
  ASSERT_EQ(gate.reports.size(), 5u);
  EXPECT_EQ(gate.reports[3].step, "unit");
  EXPECT_EQ(gate.reports[3].requirements, std::vector<std::string>{"unit_tests_passing"});
  EXPECT_EQ(gate.reports[4].step, "all");
  EXPECT_TRUE(gate.reports[4].requirements.empty());
  const std::vector<ReportGroup> groups = group_reports(gate);
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_TRUE(groups[0].requirements.empty());
  ASSERT_EQ(groups[0].gate.reports.size(), 2u);
  EXPECT_EQ(groups[0].gate.reports[1].path, "all.xml");
  EXPECT_EQ(groups[1].requirements, std::vector<std::string>{"integration_tests_passing"});
  EXPECT_EQ(groups[2].requirements, std::vector<std::string>{"unit_tests_passing"});
  ASSERT_EQ(groups[2].gate.reports.size(), 2u);
  EXPECT_EQ(groups[2].gate.reports[0].path, "unit2.xml");

  // A failing group fails only its requirements; an unattributed one all.
  const RunPlan plan = make_plan(config, {dir / "runs/x", {}, "x"});
  const std::vector<StepResult> steps = {step(Status::passed), step(Status::passed)};
  ReportOutcomes reports;
  reports["test-coverage"] = {{{}, {Status::passed, "all passed", {}}},
                              {{"integration_tests_passing"}, {Status::passed, "it passed", {}}},
                              {{"unit_tests_passing"}, {Status::failed, "unit failed", {}}}};
  auto verdicts = judge_requirements(config, plan, steps, {}, reports);
  EXPECT_EQ(verdict(verdicts, "unit_tests_passing").status, Status::failed);
  EXPECT_EQ(verdict(verdicts, "unit_tests_passing").message, "unit failed");
  EXPECT_EQ(verdict(verdicts, "integration_tests_passing").status, Status::passed);
  EXPECT_EQ(judge_gate(plan.gates[0], steps, {}, reports).status, Status::failed);
  reports["test-coverage"][0].outcome.status = Status::error;
  verdicts = judge_requirements(config, plan, steps, {}, reports);
  EXPECT_EQ(verdict(verdicts, "integration_tests_passing").status, Status::error);
}

TEST(RunPlan, NeedsBecomeStepIndicesAndASkippedStepChecksNothing) {
  TempDir dir;
  const Config config = config_of(dir, R"(integration_requirements:
  testing: [ {unit_tests_passing: true}, {performance_benchmarks_met: true} ]
gates:
  test-coverage:
    steps:
      - {name: build, run: make, requirements: [unit_tests_passing]}
  performance:
    steps:
      - {name: bench, run: ./bench, needs: [test-coverage.build]}
)");
  const RunPlan plan = make_plan(config, {dir.path() / "run", {}, "run-1"});
  ASSERT_EQ(plan.steps.size(), 2u);
  EXPECT_TRUE(plan.steps[0].needs.empty());
  EXPECT_EQ(plan.steps[1].needs, std::vector<std::size_t>{0});

  // build failed, so bench was skipped: performance_benchmarks_met was not
  // checked, which must not pass.
  std::vector<StepResult> results = {step(Status::failed), step(Status::skipped)};
  results[1].name = "bench";
  results[1].message = "skipped (needs 'test-coverage.build', which failed)";
  const auto verdicts = judge_requirements(config, plan, results, {});
  const RequirementResult& bench = verdict(verdicts, "performance_benchmarks_met");
  EXPECT_TRUE(is_failure(bench.status)) << to_string(bench.status);
  EXPECT_EQ(bench.message, "step 'bench' skipped (needs 'test-coverage.build', which failed)");
  EXPECT_EQ(exit_code_for(verdicts), 1);
  EXPECT_TRUE(is_failure(judge_gate(plan.gates[1], results, {}).status));
}
// The requirement table (runner/core) says which requirements qgate judges
// itself; gates/ holds the checks. Both must agree, or a built-in check would
// never run, or be looked for and not found.
TEST(RequirementTable, SaysWhichRequirementsHaveABuiltinCheckAsGatesDo) {
  int builtins = 0;
  for (const RequirementInfo& requirement : known_requirements()) {
    const std::string name(requirement.name);
    const bool table_says = requirement.builtin != Builtin::none;
    EXPECT_EQ(table_says, find_builtin_check(name) != nullptr) << name;
    builtins += table_says ? 1 : 0;
  }
  EXPECT_EQ(builtins, 8);
  EXPECT_TRUE(builtin_check_runs("security_scan_clean", /*named_by_a_step=*/true));
  EXPECT_FALSE(builtin_check_runs("module_readme_complete", /*named_by_a_step=*/true));
  EXPECT_TRUE(builtin_check_runs("module_readme_complete", /*named_by_a_step=*/false));
  EXPECT_FALSE(builtin_check_runs("unit_tests_passing", /*named_by_a_step=*/false));
  EXPECT_FALSE(builtin_check_runs("no_such_requirement", /*named_by_a_step=*/false));
}

}  // namespace
}  // namespace qgate
