// A report judges the requirements it belongs to: those it names, those of
// the step it is listed under, and only when it is the gate's and names none,
// every requirement of its gate. Through the qgate binary, on reports real
// tools wrote (tests/fixtures/).
#include <gtest/gtest.h>

#include <regex>

#include "tests/test_support.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;
using testing::run_command;
using testing::TempDir;
using testing::write_file;

std::string qgate() { return "TZ=UTC '" + testing::qgate_binary().string() + "'"; }

void copy_fixture(const TempDir& dir, const std::string& fixture, const std::string& to) {
  fs::copy_file(testing::source_dir() / "tests/fixtures" / fixture, dir / to);
}

bool verdict(const std::string& output, const std::string& requirement, const std::string& status) {
  return std::regex_search(output,
                           std::regex(requirement + " +[a-z-]+ +(yes|no) +" + status + "\\b"));
}

const char* kTestingChecklist =
    "integration_requirements:\n"
    "  testing: [ {unit_tests_passing: true}, {integration_tests_passing: true} ]\n";

// The unit tests fail (GoogleTest, one failure), the integration tests pass.
void write_testing_module(const TempDir& dir, const std::string& gate_section) {
  copy_fixture(dir, "junit/gtest.xml", "unit.xml.in");
  copy_fixture(dir, "junit/gtest-passing.xml", "it.xml.in");
  write_file(dir / "integration-requirements.yaml",
             std::string(kTestingChecklist) + "gates:\n  test-coverage:\n" + gate_section);
}

TEST(ReportAttribution, AFailingUnitReportListedUnderItsStepFailsOnlyUnitTests) {
  TempDir dir;
  write_testing_module(dir,
                       "    steps:\n"
                       "      - name: unit\n"
                       "        run: cp unit.xml.in unit.xml\n"
                       "        requirements: [unit_tests_passing]\n"
                       "        reports: [unit.xml]\n"
                       "      - name: integration\n"
                       "        run: cp it.xml.in it.xml\n"
                       "        requirements: [integration_tests_passing]\n"
                       "        reports: [it.xml]\n");
  const auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(verdict(result.output, "unit_tests_passing", "failed")) << result.output;
  EXPECT_TRUE(verdict(result.output, "integration_tests_passing", "passed")) << result.output;
}

TEST(ReportAttribution, AReportNamesItsOwnRequirements) {
  TempDir dir;
  write_testing_module(
      dir,
      "    steps:\n"
      "      - {name: tests, run: 'cp unit.xml.in unit.xml; cp it.xml.in it.xml'}\n"
      "    reports:\n"
      "      - {path: unit.xml, requirements: [unit_tests_passing]}\n"
      "      - {path: it.xml, requirements: [integration_tests_passing]}\n");
  const auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(verdict(result.output, "unit_tests_passing", "failed")) << result.output;
  EXPECT_TRUE(verdict(result.output, "integration_tests_passing", "passed")) << result.output;
}

TEST(ReportAttribution, AnUnattributedReportOfTheGateJudgesAllItsRequirements) {
  TempDir dir;
  write_testing_module(
      dir,
      "    steps:\n"
      "      - {name: tests, run: 'cp unit.xml.in unit.xml; cp it.xml.in it.xml'}\n"
      "    reports: [unit.xml, it.xml]\n");
  const auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(verdict(result.output, "unit_tests_passing", "failed")) << result.output;
  EXPECT_TRUE(verdict(result.output, "integration_tests_passing", "failed")) << result.output;
}

TEST(ReportAttribution, AReportOfAStepMustBeNewerThanThatStep) {
  // The integration step ran; the unit step wrote nothing: its report is a
  // leftover, dated before the run, and only unit_tests_passing says so.
  TempDir dir;
  write_testing_module(dir,
                       "    steps:\n"
                       "      - {name: unit, run: 'true', requirements: [unit_tests_passing],"
                       " reports: [unit.xml]}\n"
                       "      - {name: integration, run: 'cp it.xml.in it.xml',"
                       " requirements: [integration_tests_passing], reports: [it.xml]}\n");
  copy_fixture(dir, "junit/gtest-passing.xml", "unit.xml");
  ASSERT_EQ(run_command("touch -d '2020-03-01 10:00 UTC' unit.xml", dir.path()).exit_code, 0);
  const auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(verdict(result.output, "unit_tests_passing", "error")) << result.output;
  EXPECT_TRUE(verdict(result.output, "integration_tests_passing", "passed")) << result.output;
  EXPECT_TRUE(std::regex_search(
      result.output, std::regex("unit.xml was not written by this run: last written 2020-03-01 "
                                "10:00:00, step 'unit' started 20[0-9-]+ [0-9:]+")))
      << result.output;
}

const char* kSecurityChecklist =
    "integration_requirements:\n"
    "  testing: [ {security_scan_clean: true} ]\n"
    "  code_quality: [ {dependency_audit_clean: true} ]\n";

// npm could not audit (ENOLOCK, as npm writes it): the audit is an error.
// The module holds no secret: the built-in scan passes.
void write_security_module(const TempDir& dir, const std::string& report) {
  copy_fixture(dir, "audit/npm-audit-no-lockfile.json", "audit.json.in");
  write_file(dir / "integration-requirements.yaml",
             std::string(kSecurityChecklist) +
                 "gates:\n  security:\n"
                 "    steps: [ {name: audit, run: 'cp audit.json.in audit.json'} ]\n"
                 "    reports: [" +
                 report + "]\n");
}

TEST(ReportAttribution, AnAuditErrorLeavesThePassingSecretScanPassed) {
  TempDir dir;
  write_security_module(dir, "{path: audit.json, requirements: [dependency_audit_clean]}");
  const auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(verdict(result.output, "security_scan_clean", "passed")) << result.output;
  EXPECT_TRUE(verdict(result.output, "dependency_audit_clean", "error")) << result.output;
}

TEST(ReportAttribution, WithoutAttributionTheAuditErrorCountsForTheWholeGate) {
  TempDir dir;
  write_security_module(dir, "audit.json");
  const auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(verdict(result.output, "security_scan_clean", "error")) << result.output;
  EXPECT_TRUE(verdict(result.output, "dependency_audit_clean", "error")) << result.output;
}

TEST(ReportAttribution, AGateWideCheckWithNoReportOfItsKindInAnyGroupIsAnError) {
  // Two groups of reports, neither holding coverage: patch coverage is not
  // skipped.
  TempDir dir;
  write_testing_module(dir,
                       "    steps:\n"
                       "      - {name: tests, run: 'cp it.xml.in a.xml; cp it.xml.in b.xml'}\n"
                       "    reports:\n"
                       "      - {path: a.xml, requirements: [unit_tests_passing]}\n"
                       "      - {path: b.xml, requirements: [integration_tests_passing]}\n"
                       "    coverage: {patch_min_lines: 80}\n");
  const auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("patch coverage: the gate has no coverage report"),
            std::string::npos)
      << result.output;
  EXPECT_TRUE(verdict(result.output, "unit_tests_passing", "error")) << result.output;
}

TEST(ReportAttribution, ARequirementOfAnotherGateOnAReportIsAConfigError) {
  TempDir dir;
  write_file(dir / "integration-requirements.yaml",
             std::string(kTestingChecklist) +
                 "gates:\n  test-coverage:\n"
                 "    steps: [ {name: t, run: 'true'} ]\n"
                 "    reports:\n"
                 "      - {path: a.xml, requirements: [dependency_audit_clean]}\n"
                 "      - {path: b.xml, requirements: [unit_test_passing]}\n");
  const auto result = run_command(qgate() + " validate", dir.path());
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("integration-requirements.yaml:7:38: error: requirement "
                               "'dependency_audit_clean' is judged by gate 'security', not "
                               "'test-coverage': move this report under gates/security"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("integration-requirements.yaml:8:38: error: unknown requirement "
                               "'unit_test_passing'"),
            std::string::npos)
      << result.output;
}

}  // namespace
}  // namespace qgate
