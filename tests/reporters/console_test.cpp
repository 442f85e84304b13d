#include "reporters/console.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace qgate {
namespace {

RunResult sample_run(Status unit_status) {
  RunResult run;
  run.id = "0123456789abcdef";
  run.module_id = "api-001";
  run.module_name = "Core API Layer";
  run.qgate_version = "0.1.0";
  run.duration_s = 1.5;
  run.status = unit_status == Status::passed ? Status::passed : Status::failed;
  run.requirements = {
      {"unit_tests_passing", "testing", "test-coverage", true, unit_status,
       "step 'unit' exited with 1"},
      {"linting_rules_followed", "code_quality", "lint", false, Status::failed, "advisory"}};
  return run;
}

StepSpec spec(const std::string& gate, const std::string& name) {
  StepSpec step;
  step.gate = gate;
  step.name = name;
  return step;
}

TEST(ConsoleReporter, PlainModePrintsOneLinePerStepAndTheTailOfFailures) {
  std::ostringstream out;
  ConsoleReporter console(out, ConsoleMode::plain, Color::off);
  console.begin(sample_run(Status::failed), {{"test-coverage", 1}}, 2);
  const StepSpec unit = spec("test-coverage", "unit");
  console.step_started(0, unit);
  StepResult result;
  result.status = Status::failed;
  result.message = "exited with 1";
  result.tail = "expected 3\ngot 2";
  result.log_path = "/tmp/unit.log";
  console.step_finished(0, unit, result);
  console.summary(sample_run(Status::failed));
  const std::string text = out.str();
  EXPECT_EQ(text.find("\x1b["), std::string::npos) << "no escapes when not on a terminal";
  EXPECT_NE(text.find("FAIL   test-coverage/unit"), std::string::npos);
  EXPECT_NE(text.find("│ got 2"), std::string::npos);
  EXPECT_NE(text.find("log: /tmp/unit.log"), std::string::npos);
  EXPECT_NE(text.find("FAILED: 1 required requirement not met (unit_tests_passing)"),
            std::string::npos);
}

TEST(ConsoleReporter, LiveModeRedrawsGateLinesInPlace) {
  std::ostringstream out;
  ConsoleReporter console(out, ConsoleMode::live, Color::on);
  console.begin(sample_run(Status::passed), {{"test-coverage", 2}}, 2);
  console.step_started(0, spec("test-coverage", "unit"));
  const std::string before = out.str();
  EXPECT_NE(before.find("0/2 steps"), std::string::npos);
  EXPECT_NE(before.find("running: unit"), std::string::npos);
  StepResult passed;
  passed.status = Status::passed;
  console.step_finished(0, spec("test-coverage", "unit"), passed);
  const std::string after = out.str().substr(before.size());
  EXPECT_NE(after.find("\x1b[2A\x1b[J"), std::string::npos) << "cursor moves up over the view";
  EXPECT_NE(after.find("1/2 steps"), std::string::npos);
  console.summary(sample_run(Status::passed));
  EXPECT_NE(out.str().find("PASSED"), std::string::npos);
}

}  // namespace
}  // namespace qgate
