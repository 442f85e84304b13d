#include "reporters/reports.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <pugixml.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "reporters/junit_report.hpp"
#include "reporters/markdown_report.hpp"
#include "runner/core/embedded.hpp"
#include "runner/core/result_json.hpp"
#include "tests/test_support.hpp"

namespace qgate {
namespace {

using nlohmann::json;
using testing::read_file;
using testing::source_dir;
using testing::TempDir;

// Output of a failed lint step with everything that breaks naive renderers:
// a table pipe, a Markdown fence, XML markup and terminal colour codes.
const std::string kLintTail =
    "src/server.cpp:12:5: \x1b[1;31merror:\x1b[0m 'token' used after it was moved "
    "[bugprone-use-after-move]\n"
    "   12 |   send(std::move(token)); log(token);\n"
    "      |                               ^\n"
    "```cpp\nif (a < b && c) {}\n```\n"
    "2 errors generated.\n";

RequirementResult requirement(std::string name, std::string category, std::string gate,
                              bool required, Status status, std::string message) {
  RequirementResult result;
  result.name = std::move(name);
  result.category = std::move(category);
  result.gate = std::move(gate);
  result.required = required;
  result.status = status;
  result.message = std::move(message);
  return result;
}

StepResult step(std::string gate, std::string name, std::string command, Status status,
                int exit_code, double duration_s) {
  StepResult result;
  result.gate = std::move(gate);
  result.name = std::move(name);
  result.command = std::move(command);
  result.status = status;
  result.exit_code = exit_code;
  result.attempts = 1;
  result.duration_s = duration_s;
  result.log_path = ".qgate/runs/3f2b/" + result.gate + "/" + result.name + ".log";
  return result;
}

Finding finding(std::string requirement, std::string rule, Severity severity, std::string message,
                std::string file, int line, int column) {
  Finding result;
  result.requirement = std::move(requirement);
  result.rule = std::move(rule);
  result.severity = severity;
  result.message = std::move(message);
  result.file = std::move(file);
  result.line = line;
  result.column = column;
  result.fingerprint = "fp-" + result.rule + "-" + std::to_string(line);
  return result;
}

// A run as `qgate check` would record it for a module with one required
// failure, one advisory failure, a skipped, a not configured and an errored
// requirement, a flaky step, findings and metrics.
RunResult sample_run() {
  RunResult run;
  run.id = "3f2b6c1e-8d4a-4b7e-9c1d-2a5e7f901234";
  run.module_id = "api-001";
  run.module_name = "Core API Layer";
  run.module_path = "/src/api-core";
  run.config_path = "/src/api-core/integration-requirements.yaml";
  run.trigger = "actions";
  run.commit_sha = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
  run.ref = "refs/heads/module/api-001/auth-tokens";
  run.qgate_version = "0.1.0";
  run.started_at = "2026-11-21T23:47:40.123Z";
  run.finished_at = "2026-11-21T23:48:52.456Z";
  run.duration_s = 0.1 + 0.2;  // not exactly 0.3: the JSON must keep every bit
  run.status = Status::failed;
  run.exit_code = 1;

  run.requirements = {
      requirement("module_readme_complete", "documentation", "documentation", true, Status::passed,
                  "README.md has every required section"),
      requirement("api_documentation_updated", "documentation", "documentation", true,
                  Status::passed, "12 of 12 routes documented in API.md"),
      requirement("unit_tests_passing", "testing", "test-coverage", true, Status::passed,
                  "412 tests, 0 failures"),
      requirement("security_scan_clean", "testing", "security", true, Status::passed,
                  "no findings at or above high"),
      requirement("performance_benchmarks_met", "testing", "performance", false, Status::passed,
                  "p95 within threshold"),
      requirement("linting_rules_followed", "code_quality", "lint", true, Status::failed,
                  "2 findings at or above high | clang-tidy exited 1"),
      requirement("type_checking_passed", "code_quality", "lint", false, Status::failed,
                  "1 finding at or above medium\nsee the lint gate"),
      requirement("code_review_approved", "code_quality", "review", true, Status::skipped,
                  "skipped (needs GitHub)"),
      requirement("dependency_audit_clean", "code_quality", "security", true,
                  Status::not_configured, "no dependency audit report configured"),
      requirement("migration_scripts_provided", "coordination", "coordination", true,
                  Status::passed, "schema unchanged"),
      requirement("deployment_plan_reviewed", "coordination", "coordination", true, Status::error,
                  "cannot read deploy/PLAN.md: Permission denied"),
  };

  GateResult documentation;
  documentation.name = "documentation";
  documentation.status = Status::passed;
  documentation.required = true;
  documentation.duration_s = 0.25;

  GateResult tests;
  tests.name = "test-coverage";
  tests.status = Status::passed;
  tests.required = true;
  tests.duration_s = 41.5;
  StepResult unit = step("test-coverage", "unit", "ctest --test-dir build --output-junit junit.xml",
                         Status::passed, 0, 40.75);
  unit.attempts = 2;
  unit.flaky = true;
  unit.tail = "100% tests passed, 0 tests failed out of 412\n";
  tests.steps.push_back(unit);
  tests.metrics = {{"line_coverage", 83.4, "%"}, {"tests", 412, "count"}};

  GateResult lint;
  lint.name = "lint";
  lint.status = Status::failed;
  lint.required = true;
  lint.duration_s = 12.125;
  lint.message = "3 findings";
  StepResult tidy =
      step("lint", "clang-tidy", "clang-tidy -p build src/*.cpp", Status::failed, 1, 12.0);
  tidy.tail = kLintTail;
  tidy.message = "exited with code 1";
  lint.steps.push_back(tidy);
  StepResult timed_out = step("lint", "mypy", "mypy tools/", Status::failed, -1, 300);
  timed_out.timed_out = true;
  timed_out.term_signal = 9;
  timed_out.message = "timed out after 5m";
  lint.steps.push_back(timed_out);
  lint.findings = {
      finding("linting_rules_followed", "bugprone-use-after-move", Severity::high,
              "'token' used after it was moved", "src/server.cpp", 12, 5),
      finding("linting_rules_followed", "cert-err58-cpp", Severity::critical,
              "initialization of 'routes' with static storage duration may throw", "src/routes.cpp",
              3, 0),
      finding("type_checking_passed", "mypy.arg-type", Severity::medium,
              "Argument 1 to \"send\" has incompatible type \"int\"; expected \"str\"",
              "tools/send.py", 7, 9),
  };

  GateResult security;
  security.name = "security";
  security.status = Status::not_configured;
  security.required = true;
  security.duration_s = 2;
  security.message = "dependency audit not configured";

  GateResult review;
  review.name = "review";
  review.status = Status::skipped;
  review.required = true;

  GateResult performance;
  performance.name = "performance";
  performance.status = Status::passed;
  performance.duration_s = 5.5;
  // A benchmark that produced no samples, and one that never finished.
  performance.metrics = {{"p95_latency", std::numeric_limits<double>::quiet_NaN(), "ms"},
                         {"max_latency", std::numeric_limits<double>::infinity(), "ms"},
                         {"throughput", 1234.5, "req/s"}};

  GateResult coordination;
  coordination.name = "coordination";
  coordination.status = Status::error;
  coordination.required = true;
  coordination.duration_s = 0.01;
  coordination.message = "cannot read deploy/PLAN.md";

  run.gates = {documentation, tests, lint, security, review, performance, coordination};
  return run;
}

// --- comparing runs field by field -------------------------------------------------------

bool same_number(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

auto fields(const Finding& f) {
  return std::tie(f.requirement, f.rule, f.severity, f.message, f.file, f.line, f.column,
                  f.fingerprint);
}
auto fields(const StepResult& s) {
  return std::tie(s.gate, s.name, s.command, s.status, s.exit_code, s.term_signal, s.attempts,
                  s.flaky, s.timed_out, s.log_path, s.tail, s.message);
}
auto fields(const RequirementResult& r) {
  return std::tie(r.name, r.category, r.gate, r.required, r.status, r.message);
}
auto fields(const RunResult& r) {
  return std::tie(r.id, r.module_id, r.module_name, r.module_path, r.config_path, r.trigger,
                  r.commit_sha, r.ref, r.qgate_version, r.started_at, r.finished_at, r.status,
                  r.exit_code);
}

void expect_same_run(const RunResult& expected, const RunResult& actual) {
  EXPECT_TRUE(fields(expected) == fields(actual));
  EXPECT_TRUE(same_number(expected.duration_s, actual.duration_s));
  ASSERT_EQ(expected.requirements.size(), actual.requirements.size());
  for (std::size_t i = 0; i < expected.requirements.size(); ++i) {
    EXPECT_TRUE(fields(expected.requirements[i]) == fields(actual.requirements[i]))
        << "requirement " << i;
  }
  ASSERT_EQ(expected.gates.size(), actual.gates.size());
  for (std::size_t g = 0; g < expected.gates.size(); ++g) {
    const GateResult& e = expected.gates[g];
    const GateResult& a = actual.gates[g];
    SCOPED_TRACE("gate " + e.name);
    EXPECT_EQ(e.name, a.name);
    EXPECT_EQ(e.status, a.status);
    EXPECT_EQ(e.required, a.required);
    EXPECT_TRUE(same_number(e.duration_s, a.duration_s));
    EXPECT_EQ(e.message, a.message);
    ASSERT_EQ(e.steps.size(), a.steps.size());
    for (std::size_t i = 0; i < e.steps.size(); ++i) {
      EXPECT_TRUE(fields(e.steps[i]) == fields(a.steps[i])) << "step " << i;
      EXPECT_TRUE(same_number(e.steps[i].duration_s, a.steps[i].duration_s));
    }
    ASSERT_EQ(e.findings.size(), a.findings.size());
    for (std::size_t i = 0; i < e.findings.size(); ++i) {
      EXPECT_TRUE(fields(e.findings[i]) == fields(a.findings[i])) << "finding " << i;
    }
    ASSERT_EQ(e.metrics.size(), a.metrics.size());
    for (std::size_t i = 0; i < e.metrics.size(); ++i) {
      EXPECT_EQ(e.metrics[i].name, a.metrics[i].name);
      EXPECT_TRUE(same_number(e.metrics[i].value, a.metrics[i].value)) << e.metrics[i].name;
      EXPECT_EQ(e.metrics[i].unit, a.metrics[i].unit);
    }
  }
}

// --- JSON ---------------------------------------------------------------------------------

// Returns the schema violations of `document` against schemas/report.schema.json,
// one per line; empty when it is valid.
std::string schema_violations(const json& document) {
  return testing::schema_violations(read_file(source_dir() / "schemas" / "report.schema.json"),
                                    document.dump());
}

TEST(JsonReport, ValidatesAgainstTheReportSchema) {
  EXPECT_EQ(schema_violations(run_to_json(sample_run())), "");
  EXPECT_EQ(schema_violations(run_to_json(RunResult{})), "");
}

TEST(JsonReport, SchemaRejectsUnknownStatusesSeveritiesAndFields) {
  const json valid = run_to_json(sample_run());

  json bad_status = valid;
  bad_status["gates"][2]["steps"][0]["status"] = "green";
  EXPECT_NE(schema_violations(bad_status), "");

  json bad_severity = valid;
  bad_severity["gates"][2]["findings"][0]["severity"] = "blocker";
  EXPECT_NE(schema_violations(bad_severity), "");

  json extra_field = valid;
  extra_field["requirements"][0]["owner"] = "someone";
  EXPECT_NE(schema_violations(extra_field), "");

  json missing_field = valid;
  missing_field["gates"][1].erase("metrics");
  EXPECT_NE(schema_violations(missing_field), "");

  json wrong_version = valid;
  wrong_version["schema_version"] = 2;
  EXPECT_NE(schema_violations(wrong_version), "");
}

TEST(JsonReport, EmbeddedSchemaIsTheOneInTheSourceTree) {
  const auto embedded = embedded_file("schemas/report.schema.json");
  ASSERT_TRUE(embedded.has_value());
  EXPECT_EQ(std::string(*embedded), read_file(source_dir() / "schemas" / "report.schema.json"));
}

TEST(JsonReport, RoundTripsEveryField) {
  const RunResult run = sample_run();
  expect_same_run(run, run_from_json(run_to_json(run)));
  // Through text as well, as the store and the API see it.
  expect_same_run(run, run_from_json(json::parse(run_to_json(run).dump())));
  EXPECT_EQ(run_to_json(run_from_json(run_to_json(run))), run_to_json(run));
}

TEST(JsonReport, WritesStatusesByNameAndASummaryOfRequirements) {
  const json report = run_to_json(sample_run());
  EXPECT_EQ(report["schema_version"], 1);
  EXPECT_EQ(report["status"], "failed");
  EXPECT_EQ(report["requirements"][8]["status"], "not_configured");
  EXPECT_EQ(report["gates"][2]["findings"][1]["severity"], "critical");

  const json& summary = report["summary"];
  EXPECT_EQ(summary["total"], 11);
  EXPECT_EQ(summary["by_status"]["passed"], 6);
  EXPECT_EQ(summary["by_status"]["failed"], 2);
  EXPECT_EQ(summary["by_status"]["skipped"], 1);
  EXPECT_EQ(summary["by_status"]["not_configured"], 1);
  EXPECT_EQ(summary["by_status"]["error"], 1);
  EXPECT_EQ(summary["by_status"]["interrupted"], 0);
  // linting_rules_followed, dependency_audit_clean, deployment_plan_reviewed.
  EXPECT_EQ(summary["required_failed"], 3);
  EXPECT_EQ(summary["advisory_failed"], 1);
}

TEST(JsonReport, SpellsNumbersJsonCannotHoldAsStrings) {
  const json report = run_to_json(sample_run());
  const json& metrics = report["gates"][5]["metrics"];
  EXPECT_EQ(metrics[0]["value"], "NaN");
  EXPECT_EQ(metrics[1]["value"], "Infinity");
  EXPECT_EQ(metrics[2]["value"], 1234.5);
  EXPECT_EQ(json::parse(report.dump())["gates"][5]["metrics"][0]["value"], "NaN");
}

TEST(JsonReport, ReplacesInvalidUtf8SoTheReportCanBeSerialized) {
  RunResult run = sample_run();
  run.gates[2].steps[0].tail = "binary \xff\xfe output \xe2\x9c";
  const json report = run_to_json(run);
  std::string text;
  ASSERT_NO_THROW(text = report.dump());
  EXPECT_EQ(report["gates"][2]["steps"][0]["tail"], "binary \uFFFD\uFFFD output \uFFFD\uFFFD");
}

TEST(JsonReport, RejectsMalformedInputNamingTheField) {
  json report = run_to_json(sample_run());
  report["gates"][2]["steps"][1].erase("status");
  try {
    run_from_json(report);
    FAIL() << "no exception";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("/gates/2/steps/1/status"), std::string::npos)
        << error.what();
  }

  json unknown = run_to_json(sample_run());
  unknown["requirements"][3]["status"] = "green";
  EXPECT_THROW(run_from_json(unknown), std::runtime_error);

  json newer = run_to_json(sample_run());
  newer["schema_version"] = 2;
  EXPECT_THROW(run_from_json(newer), std::runtime_error);

  EXPECT_THROW(run_from_json(json::array()), std::runtime_error);
}

// --- JUnit XML ----------------------------------------------------------------------------

pugi::xml_node parse_junit(pugi::xml_document& document, const std::string& xml) {
  const pugi::xml_parse_result parsed = document.load_string(xml.c_str());
  EXPECT_TRUE(parsed) << parsed.description() << " at offset " << parsed.offset;
  return document.child("testsuites");
}

pugi::xml_node find_testcase(pugi::xml_node root, const std::string& name) {
  return root.find_node([&](pugi::xml_node node) {
    return std::string(node.name()) == "testcase" && name == node.attribute("name").value();
  });
}

std::string property_of(pugi::xml_node node, const char* name) {
  return node.child("properties")
      .find_child_by_attribute("property", "name", name)
      .attribute("value")
      .value();
}

TEST(JunitReport, HasOneSuitePerChecklistCategoryInChecklistOrder) {
  pugi::xml_document document;
  const pugi::xml_node root = parse_junit(document, render_junit_report(sample_run()));
  EXPECT_STREQ(root.attribute("name").value(), "qgate");
  std::vector<std::string> names;
  for (const auto suite : root.children("testsuite"))
    names.push_back(suite.attribute("name").value());
  EXPECT_EQ(names,
            (std::vector<std::string>{"documentation", "testing", "code_quality", "coordination"}));
}

TEST(JunitReport, CountsTestsFailuresErrorsAndSkippedPerSuiteAndInTotal) {
  pugi::xml_document document;
  const pugi::xml_node root = parse_junit(document, render_junit_report(sample_run()));
  EXPECT_EQ(root.attribute("tests").as_int(), 11);
  EXPECT_EQ(root.attribute("failures").as_int(), 2);
  EXPECT_EQ(root.attribute("errors").as_int(), 2);
  EXPECT_EQ(root.attribute("skipped").as_int(), 1);
  EXPECT_STREQ(root.attribute("time").value(), "0.300");

  const pugi::xml_node quality = root.find_child_by_attribute("testsuite", "name", "code_quality");
  EXPECT_EQ(quality.attribute("tests").as_int(), 4);
  EXPECT_EQ(quality.attribute("failures").as_int(), 2);
  EXPECT_EQ(quality.attribute("errors").as_int(), 1);
  EXPECT_EQ(quality.attribute("skipped").as_int(), 1);
  // lint + review + security, each counted once although lint judges two.
  EXPECT_STREQ(quality.attribute("time").value(), "14.125");
  EXPECT_EQ(std::distance(quality.children("testcase").begin(), quality.children("testcase").end()),
            4);

  const pugi::xml_node coordination =
      root.find_child_by_attribute("testsuite", "name", "coordination");
  EXPECT_EQ(coordination.attribute("tests").as_int(), 2);
  EXPECT_EQ(coordination.attribute("errors").as_int(), 1);
  EXPECT_EQ(coordination.attribute("failures").as_int(), 0);
}

TEST(JunitReport, GivesEachRequirementTheElementOfItsStatus) {
  const RunResult run = sample_run();
  pugi::xml_document document;
  const pugi::xml_node root = parse_junit(document, render_junit_report(run));
  for (const auto& requirement : run.requirements) {
    SCOPED_TRACE(requirement.name);
    const pugi::xml_node testcase = find_testcase(root, requirement.name);
    ASSERT_TRUE(testcase);
    EXPECT_EQ(std::string(testcase.attribute("classname").value()),
              "qgate." + requirement.category);
    const bool failure = static_cast<bool>(testcase.child("failure"));
    const bool error = static_cast<bool>(testcase.child("error"));
    const bool skipped = static_cast<bool>(testcase.child("skipped"));
    EXPECT_EQ(failure, requirement.status == Status::failed);
    EXPECT_EQ(error,
              requirement.status == Status::error || requirement.status == Status::not_configured);
    EXPECT_EQ(skipped, requirement.status == Status::skipped);
    EXPECT_EQ(property_of(testcase, "gate"), requirement.gate);
  }
  const pugi::xml_node not_configured = find_testcase(root, "dependency_audit_clean");
  EXPECT_STREQ(not_configured.child("error").attribute("type").value(), "not_configured");
  EXPECT_STREQ(not_configured.child("error").attribute("message").value(),
               "no dependency audit report configured");
  EXPECT_STREQ(
      find_testcase(root, "code_review_approved").child("skipped").attribute("message").value(),
      "skipped (needs GitHub)");
  EXPECT_STREQ(find_testcase(root, "linting_rules_followed").attribute("time").value(), "12.125");
}

TEST(JunitReport, MarksAdvisoryFailuresWithARequiredFalseProperty) {
  pugi::xml_document document;
  const pugi::xml_node root = parse_junit(document, render_junit_report(sample_run()));
  const pugi::xml_node advisory = find_testcase(root, "type_checking_passed");
  ASSERT_TRUE(advisory.child("failure"));
  EXPECT_EQ(property_of(advisory, "required"), "false");
  EXPECT_STREQ(advisory.child("failure").attribute("message").value(),
               "advisory: 1 finding at or above medium");

  const pugi::xml_node required = find_testcase(root, "linting_rules_followed");
  EXPECT_EQ(property_of(required, "required"), "true");
  EXPECT_STREQ(required.child("failure").attribute("message").value(),
               "2 findings at or above high | clang-tidy exited 1");
  EXPECT_STREQ(required.child("failure").attribute("type").value(), "failed");
}

TEST(JunitReport, PutsFindingsAndFailedStepOutputInTheFailureText) {
  pugi::xml_document document;
  const pugi::xml_node root = parse_junit(document, render_junit_report(sample_run()));
  const std::string text =
      find_testcase(root, "linting_rules_followed").child("failure").text().get();
  EXPECT_NE(text.find("src/server.cpp:12:5: [bugprone-use-after-move] 'token' used after it was "
                      "moved (high)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("src/routes.cpp:3: [cert-err58-cpp]"), std::string::npos) << text;
  // Another requirement's finding is not this one's.
  EXPECT_EQ(text.find("mypy.arg-type"), std::string::npos) << text;
  EXPECT_NE(text.find("step clang-tidy failed (exit 1): exited with code 1"), std::string::npos);
  EXPECT_NE(text.find("step mypy failed (timed out)"), std::string::npos);
  // Markup in the output comes back unchanged once parsed.
  EXPECT_NE(text.find("if (a < b && c) {}"), std::string::npos) << text;
  EXPECT_NE(text.find("error: 'token' used after it was moved"), std::string::npos) << text;
}

TEST(JunitReport, LeavesOutCharactersXml10Forbids) {
  RunResult run = sample_run();
  run.requirements[5].message = "bad\x01message\x1b[0m";
  const char raw[] = "nul\0byte \x7f\xff end\n";
  run.gates[2].steps[0].tail += std::string(raw, sizeof raw - 1);
  const std::string xml = render_junit_report(run);
  for (const char c : xml) {
    const auto byte = static_cast<unsigned char>(c);
    ASSERT_TRUE(byte >= 0x20 || c == '\n' || c == '\t' || c == '\r')
        << "control character " << static_cast<int>(byte);
  }
  EXPECT_EQ(xml.find("[1;31m"), std::string::npos);
  pugi::xml_document document;
  const pugi::xml_node root = parse_junit(document, xml);
  const pugi::xml_node testcase = find_testcase(root, "linting_rules_followed");
  EXPECT_STREQ(testcase.child("failure").attribute("message").value(), "badmessage");
  EXPECT_NE(std::string(testcase.child("failure").text().get()).find("nulbyte \x7f\uFFFD end"),
            std::string::npos);
}

TEST(JunitReport, PutsUnknownCategoriesAfterTheChecklistOnes) {
  RunResult run = sample_run();
  run.requirements.push_back(
      requirement("custom_smoke_test", "", "custom", true, Status::interrupted, ""));
  pugi::xml_document document;
  const pugi::xml_node root = parse_junit(document, render_junit_report(run));
  const pugi::xml_node last = root.last_child();
  EXPECT_STREQ(last.attribute("name").value(), "uncategorized");
  EXPECT_STREQ(last.child("testcase").child("error").attribute("type").value(), "interrupted");
  EXPECT_EQ(root.attribute("errors").as_int(), 3);
}

// --- Markdown -----------------------------------------------------------------------------

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Returns the lines of the requirement table that start with `name`.
std::vector<std::string> rows_of(const std::string& markdown, const std::string& name) {
  std::vector<std::string> rows;
  for (const auto& line : lines_of(markdown)) {
    if (line.rfind("| `" + name + "` |", 0) == 0) rows.push_back(line);
  }
  return rows;
}

// Counts the pipes that separate cells (not escaped by a backslash).
int column_breaks(const std::string& row) {
  int count = 0;
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (row[i] == '\\') {
      ++i;
    } else if (row[i] == '|') {
      ++count;
    }
  }
  return count;
}

TEST(MarkdownReport, HeadlineGivesTheVerdictAndTheModule) {
  RunResult run = sample_run();
  EXPECT_EQ(lines_of(render_markdown_report(run))[0],
            "## ❌ Quality gate failed: `api-001` (Core API Layer)");
  run.status = Status::passed;
  EXPECT_EQ(lines_of(render_markdown_report(run))[0],
            "## ✅ Quality gate passed: `api-001` (Core API Layer)");
  run.status = Status::interrupted;
  EXPECT_EQ(lines_of(render_markdown_report(run))[0],
            "## ⚠️ Quality gate interrupted: `api-001` (Core API Layer)");
}

TEST(MarkdownReport, HasOneTableRowPerRequirementWithFiveCells) {
  const RunResult run = sample_run();
  const std::string markdown = render_markdown_report(run);
  EXPECT_NE(markdown.find("| Requirement | Gate | Required | Result | Details |\n|---|"),
            std::string::npos);
  for (const auto& requirement : run.requirements) {
    const auto rows = rows_of(markdown, requirement.name);
    ASSERT_EQ(rows.size(), 1u) << requirement.name;
    EXPECT_EQ(column_breaks(rows[0]), 6) << rows[0];
  }
  EXPECT_EQ(rows_of(markdown, "type_checking_passed")[0],
            "| `type_checking_passed` | `lint` | no | ❌ failed | 1 finding at or above "
            "medium<br>see the lint gate |");
  EXPECT_NE(rows_of(markdown, "dependency_audit_clean")[0].find("⚠️ not configured"),
            std::string::npos);
}

TEST(MarkdownReport, EscapesPipesBackslashesAndMarkupInCells) {
  RunResult run = sample_run();
  run.requirements[0].message = R"(path C:\build\ | <script> & more)";
  const std::string markdown = render_markdown_report(run);
  EXPECT_NE(rows_of(markdown, "linting_rules_followed")[0].find(
                "2 findings at or above high \\| clang-tidy exited 1"),
            std::string::npos);
  const std::string row = rows_of(markdown, "module_readme_complete")[0];
  EXPECT_NE(row.find(R"(path C:\\build\\ \| &lt;script&gt; &amp; more)"), std::string::npos) << row;
  EXPECT_EQ(column_breaks(row), 6) << row;
}

TEST(MarkdownReport, ListsGatesWithDurationsAndStepCounts) {
  const std::string markdown = render_markdown_report(sample_run());
  EXPECT_NE(markdown.find("| `lint` | yes | ❌ failed | 12.1 s | 2 (2 failed) | 3 |"),
            std::string::npos)
      << markdown;
  EXPECT_NE(markdown.find("| `test-coverage` | yes | ✅ passed | 41.5 s | 1 (1 flaky) | 0 |"),
            std::string::npos)
      << markdown;
}

TEST(MarkdownReport, FencesTailsWithMoreBackticksThanTheyContain) {
  const std::string markdown = render_markdown_report(sample_run());
  const std::size_t open = markdown.find("````text\n");
  ASSERT_NE(open, std::string::npos) << markdown;
  const std::size_t close = markdown.find("\n````\n", open);
  ASSERT_NE(close, std::string::npos);
  const std::string body = markdown.substr(open, close - open);
  EXPECT_NE(body.find("```cpp"), std::string::npos);
  EXPECT_NE(body.find("if (a < b && c) {}"), std::string::npos);
  EXPECT_EQ(markdown.find('\x1b'), std::string::npos);
  EXPECT_NE(body.find("error: 'token' used"), std::string::npos);
}

TEST(MarkdownReport, DetailsFailedGatesWithTheirFindings) {
  const std::string markdown = render_markdown_report(sample_run());
  EXPECT_NE(markdown.find("<summary>❌ <b>lint</b>: failed · 2 failed steps · 3 findings</summary>"),
            std::string::npos);
  EXPECT_NE(markdown.find("- **high** `src/server.cpp:12:5` `bugprone-use-after-move`: 'token' "
                          "used after it was moved"),
            std::string::npos);
  EXPECT_NE(markdown.find("**Step `mypy`** failed (timed out)"), std::string::npos);
  EXPECT_NE(markdown.find("<b>coordination</b>: error"), std::string::npos);
  // Passing gates get no details block.
  EXPECT_EQ(markdown.find("<b>test-coverage</b>"), std::string::npos);
}

TEST(MarkdownReport, CallsOutFlakySteps) {
  const std::string markdown = render_markdown_report(sample_run());
  EXPECT_NE(markdown.find("### ⚠️ Flaky steps"), std::string::npos);
  EXPECT_NE(markdown.find("- `test-coverage` › `unit` failed, then passed on attempt 2"),
            std::string::npos);

  RunResult steady = sample_run();
  steady.gates[1].steps[0].flaky = false;
  EXPECT_EQ(render_markdown_report(steady).find("Flaky"), std::string::npos);
}

TEST(MarkdownReport, LinksTheRunAndIsWholeWhenItFits) {
  MarkdownOptions options;
  options.run_url = "https://github.com/acme/api-core/actions/runs/42";
  const std::string markdown = render_markdown_report(sample_run(), options);
  EXPECT_NE(markdown.find("[full run](https://github.com/acme/api-core/actions/runs/42)"),
            std::string::npos);
  EXPECT_EQ(markdown.find("truncated"), std::string::npos);
  EXPECT_LE(markdown.size(), options.max_chars);
}

TEST(MarkdownReport, KeepsWithinMaxCharsAndEveryRowWhenATailIsHuge) {
  RunResult run = sample_run();
  std::string huge;
  for (int i = 0; i < 40000; ++i) huge += "line " + std::to_string(i) + " | `x` <y> &z\n";
  huge += "FINAL LINE: 3 tests failed\n";
  run.gates[2].steps[0].tail = huge;
  for (int i = 0; i < 200; ++i) {
    run.gates[2].findings.push_back(finding("linting_rules_followed", "rule-" + std::to_string(i),
                                            Severity::low, "message", "src/a.cpp", i + 1, 0));
  }
  const MarkdownOptions options;
  const std::string markdown = render_markdown_report(run, options);
  EXPECT_LE(markdown.size(), options.max_chars);
  EXPECT_GT(markdown.size(), options.max_chars - 2000) << "the budget should be used";
  for (const auto& requirement : run.requirements) {
    EXPECT_EQ(rows_of(markdown, requirement.name).size(), 1u) << requirement.name;
  }
  EXPECT_NE(markdown.find("… truncated"), std::string::npos);
  // The end of the output is what explains a failure, so that is what stays.
  EXPECT_NE(markdown.find("FINAL LINE: 3 tests failed"), std::string::npos);
  EXPECT_EQ(markdown.find("line 0 |"), std::string::npos);
  EXPECT_NE(markdown.find("<b>coordination</b>"), std::string::npos);
}

TEST(MarkdownReport, KeepsTheRequirementTableEvenBeyondATinyBudget) {
  MarkdownOptions options;
  options.max_chars = 500;
  const RunResult run = sample_run();
  const std::string markdown = render_markdown_report(run, options);
  for (const auto& requirement : run.requirements) {
    EXPECT_EQ(rows_of(markdown, requirement.name).size(), 1u) << requirement.name;
  }
  EXPECT_EQ(markdown.find("<details>"), std::string::npos);
  EXPECT_NE(markdown.find("… truncated"), std::string::npos);
}

// --- report files -------------------------------------------------------------------------

TEST(ReportFormat, ParsesEveryNameAndAlias) {
  EXPECT_EQ(report_format_from_string("json"), ReportFormat::json);
  EXPECT_EQ(report_format_from_string("junit"), ReportFormat::junit);
  EXPECT_EQ(report_format_from_string("markdown"), ReportFormat::markdown);
  EXPECT_EQ(report_format_from_string("md"), ReportFormat::markdown);
  EXPECT_EQ(report_format_from_string("xml"), std::nullopt);
  EXPECT_EQ(report_format_from_string("JSON"), std::nullopt);
  for (const auto format : {ReportFormat::json, ReportFormat::junit, ReportFormat::markdown}) {
    EXPECT_EQ(report_format_from_string(to_string(format)), format);
  }
}

TEST(Report, RendersEachFormatWithItsRendererAndAFinalNewline) {
  const RunResult run = sample_run();
  const std::string json_text = render_report(ReportFormat::json, run);
  EXPECT_EQ(json::parse(json_text), run_to_json(run));
  EXPECT_EQ(json_text.back(), '\n');
  EXPECT_EQ(render_report(ReportFormat::junit, run)
                .rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 0),
            0u);
  const std::string markdown = render_report(ReportFormat::markdown, run);
  EXPECT_EQ(markdown.rfind("## ❌", 0), 0u);
  EXPECT_EQ(markdown.back(), '\n');
}

TEST(Report, WritesTheFileAtomicallyCreatingFolders) {
  TempDir temp;
  const auto path = temp / "out/reports/qgate.json";
  write_report_file(ReportFormat::json, sample_run(), path);
  EXPECT_EQ(read_file(path), render_report(ReportFormat::json, sample_run()));

  // Overwriting replaces the whole file and leaves no temporary file behind.
  RunResult passed = sample_run();
  passed.status = Status::passed;
  write_report_file(ReportFormat::json, passed, path);
  EXPECT_EQ(run_from_json(json::parse(read_file(path))).status, Status::passed);
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(path.parent_path())) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"qgate.json"});
  const auto permissions = std::filesystem::status(path).permissions();
  EXPECT_NE(permissions & std::filesystem::perms::others_read, std::filesystem::perms::none);
}

TEST(Report, ThrowsNamingThePathWhenItCannotWrite) {
  TempDir temp;
  testing::write_file(temp / "blocker", "a file where a folder should be");
  const auto path = temp / "blocker/report.xml";
  try {
    write_report_file(ReportFormat::junit, sample_run(), path);
    FAIL() << "no exception";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(path.string()), std::string::npos) << error.what();
  }

  // A folder in the way of the file: the temporary file must not stay behind.
  std::filesystem::create_directories(temp / "taken/report.md/inside");
  EXPECT_THROW(write_report_file(ReportFormat::markdown, sample_run(), temp / "taken/report.md"),
               std::runtime_error);
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(temp / "taken")) {
    ++entries;
  }
  EXPECT_EQ(entries, 1u);
}

// --- text clean-up ------------------------------------------------------------------------

TEST(ReportText, ReplacesOnlyInvalidUtf8) {
  EXPECT_EQ(to_valid_utf8("plain é ✅ 𝄞"), "plain é ✅ 𝄞");
  EXPECT_EQ(to_valid_utf8("a\xff"
                          "b"),
            "a\uFFFDb");
  EXPECT_EQ(to_valid_utf8("\xc0\xaf"), "\uFFFD\uFFFD");            // overlong '/'
  EXPECT_EQ(to_valid_utf8("\xed\xa0\x80"), "\uFFFD\uFFFD\uFFFD");  // a UTF-16 surrogate
  EXPECT_EQ(to_valid_utf8("cut \xe2\x9c"), "cut \uFFFD\uFFFD");
  EXPECT_EQ(to_valid_utf8(std::string("nul\0kept", 8)), std::string("nul\0kept", 8));
}

TEST(ReportText, StripsTerminalEscapesAndControlCharacters) {
  EXPECT_EQ(to_printable_text("\x1b[1;31merror\x1b[0m: x"), "error: x");
  EXPECT_EQ(to_printable_text("\x1b]0;window title\x07text"), "text");
  EXPECT_EQ(to_printable_text("\x1b(Bplain\x1b="), "plain");
  EXPECT_EQ(to_printable_text("10%\r50%\r\n"), "10%\n50%\n");
  EXPECT_EQ(to_printable_text("tab\tbell\x07 back\x08"), "tab\tbell back");
  EXPECT_EQ(to_printable_text("keep \uFFFD drop \uFFFF"), "keep \uFFFD drop ");
}

TEST(ReportText, LastPartKeepsTheEndAtALineOrCharacterBoundary) {
  EXPECT_EQ(last_part("short", 100), "short");
  EXPECT_EQ(last_part("first line\nsecond line\nthird\n", 20), "second line\nthird\n");
  // No line break near: cut inside the line, but never inside a character.
  EXPECT_EQ(last_part("ééééé", 5), "éé");
}

}  // namespace
}  // namespace qgate
