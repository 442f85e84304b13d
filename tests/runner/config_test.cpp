#include "runner/config/load_config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "gates/report_reader.hpp"
#include "runner/config/yaml_limits.hpp"
#include "runner/core/requirements.hpp"
#include "tests/test_support.hpp"

namespace qgate {
namespace {

using testing::read_file;
using testing::TempDir;
using testing::write_file;

// The checklist exactly as the checkout system writes it (flow style).
const char* const kSeedFlow = R"(integration_requirements:
  documentation:   [ {module_readme_complete: true}, {api_documentation_updated: true},
                     {database_schema_documented: true}, {integration_guide_written: true} ]
  testing:         [ {unit_tests_passing: true}, {integration_tests_passing: true},
                     {security_scan_clean: true}, {performance_benchmarks_met: true} ]
  code_quality:    [ {code_review_approved: true}, {linting_rules_followed: true},
                     {type_checking_passed: true}, {dependency_audit_clean: true} ]
  coordination:    [ {dependent_modules_notified: true}, {breaking_changes_documented: true},
                     {migration_scripts_provided: true}, {deployment_plan_reviewed: true} ]
)";

// The same checklist in block style, with one advisory item.
const char* const kSeedBlock = R"(integration_requirements:
  documentation:
    - module_readme_complete: true
    - api_documentation_updated: true
    - database_schema_documented: true
    - integration_guide_written: true
  testing:
    - unit_tests_passing: true
    - integration_tests_passing: true
    - security_scan_clean: true
    - performance_benchmarks_met: true
  code_quality:
    - code_review_approved: true
    - linting_rules_followed: true
    - type_checking_passed: true
    - dependency_audit_clean: true
  coordination:
    - dependent_modules_notified: true
    - breaking_changes_documented: true
    - migration_scripts_provided: true
    - deployment_plan_reviewed: false
)";

Config load_text(const TempDir& dir, const std::string& text) {
  write_file(dir / "integration-requirements.yaml", text);
  return load_config(dir / "integration-requirements.yaml");
}

// Returns the diagnostics of loading `text`; fails the test if it loads.
std::vector<Diagnostic> errors_of(const std::string& text) {
  TempDir dir;
  try {
    load_text(dir, text);
  } catch (const ConfigError& error) {
    return error.diagnostics();
  }
  ADD_FAILURE() << "expected a ConfigError for:\n" << text;
  return {};
}

TEST(Config, LoadsSeedChecklistInFlowStyle) {
  TempDir dir;
  const Config config = load_text(dir, kSeedFlow);
  ASSERT_EQ(config.requirements.size(), 16u);
  for (std::size_t i = 0; i < 16; ++i) {
    EXPECT_EQ(config.requirements[i].name, known_requirements()[i].name);
    EXPECT_EQ(config.requirements[i].category, known_requirements()[i].category);
    EXPECT_TRUE(config.requirements[i].required);
  }
  EXPECT_EQ(config.module.id, dir.path().filename().string());
}

TEST(Config, LoadsSeedChecklistInBlockStyle) {
  TempDir dir;
  const Config config = load_text(dir, kSeedBlock);
  ASSERT_EQ(config.requirements.size(), 16u);
  EXPECT_EQ(config.requirements.back().name, "deployment_plan_reviewed");
  EXPECT_FALSE(config.requirements.back().required);
  EXPECT_TRUE(config.requirements.front().required);
}

TEST(Config, ReadsGatesStepsAndSettings) {
  TempDir dir;
  const Config config = load_text(dir, std::string(kSeedBlock) + R"(
settings: {timeout: 2m, grace: 3s, secret_env: [DEPLOY_KEY], base_ref: origin/main}
gates:
  lint:
    exclusive: true
    steps:
      - {name: clang-tidy, run: clang-tidy -p build src/a.cpp, timeout: 5m}
      - name: format
        run: clang-format --dry-run src/a.cpp
        requirements: [linting_rules_followed]
        env: {LEVEL: 3}
        retry: {exit_codes: [75], attempts: 3}
  test-coverage:
    steps:
      - {name: unit, run: ctest --test-dir build --output-junit junit.xml}
    reports:
      - build/junit.xml
      - {path: build/coverage.xml, format: cobertura}
)");
  ASSERT_EQ(config.gates.size(), 2u);
  EXPECT_EQ(config.gates[0].name, "test-coverage");  // canonical order
  const GateConfig* lint = config.gate("lint");
  ASSERT_NE(lint, nullptr);
  EXPECT_TRUE(lint->exclusive);
  ASSERT_EQ(lint->steps.size(), 2u);
  EXPECT_EQ(lint->steps[0].timeout, std::chrono::minutes(5));
  EXPECT_EQ(lint->steps[1].timeout, std::chrono::minutes(2));
  EXPECT_EQ(lint->steps[1].grace, std::chrono::seconds(3));
  EXPECT_EQ(lint->steps[1].env.at(0), (std::pair<std::string, std::string>{"LEVEL", "3"}));
  EXPECT_EQ(lint->steps[1].retry.attempts, 3);
  EXPECT_EQ(lint->steps[1].retry.exit_codes, std::vector<int>{75});
  EXPECT_EQ(lint->steps[1].requirements, std::vector<std::string>{"linting_rules_followed"});
  const GateConfig* tests = config.gate("test-coverage");
  ASSERT_EQ(tests->reports.size(), 2u);
  EXPECT_EQ(tests->reports[1].format, "cobertura");
  EXPECT_EQ(config.secret_env, std::vector<std::string>{"DEPLOY_KEY"});
  EXPECT_EQ(config.base_ref, "origin/main");
}

TEST(Config, ResolvesModuleFromSeedRegistry) {
  TempDir dir;
  write_file(dir / "modules.yaml", R"(modules:
  database-core:
    id: "db-001"
    name: "Database Core Schema"
    description: "Core phone_numbers and humans tables with relationships"
    repository: "git@github.com:smrt-crm/database-core.git"
    dependencies: []
    estimated_effort: "2-3 weeks"
    complexity: "high"
  api-core:
    id: "api-001"
    name: "Core API Layer"
    description: "FastAPI backend with authentication and CRUD operations"
    repository: "git@github.com:smrt-crm/api-core.git"
    dependencies: ["db-001"]
)");
  const Config config =
      load_text(dir, std::string(kSeedFlow) + "module: {key: api-core, registry: modules.yaml}\n");
  EXPECT_EQ(config.module.id, "api-001");
  EXPECT_EQ(config.module.name, "Core API Layer");
  EXPECT_EQ(config.module.repository, "git@github.com:smrt-crm/api-core.git");
  EXPECT_EQ(config.module.dependencies, std::vector<std::string>{"db-001"});
}

TEST(ConfigErrors, UnknownRequirementNamesPositionAndSuggestion) {
  const auto errors = errors_of(
      "integration_requirements:\n  documentation:\n    - module_readme_complete: true\n"
      "    - api_documentation_updaed: true\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 4);
  EXPECT_EQ(errors[0].column, 7);
  EXPECT_NE(errors[0].message.find("unknown requirement 'api_documentation_updaed'"),
            std::string::npos);
  EXPECT_NE(errors[0].message.find("did you mean 'api_documentation_updated'"), std::string::npos);
}

TEST(ConfigErrors, UnknownKeySuggestsTheClosestOne) {
  const auto errors = errors_of(
      "integration_requirements: {}\ngates:\n  lint:\n    stesp:\n      - {name: a, run: b}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 4);
  EXPECT_EQ(errors[0].column, 5);
  EXPECT_NE(errors[0].message.find("unknown key 'stesp'"), std::string::npos);
  EXPECT_NE(errors[0].message.find("did you mean 'steps'"), std::string::npos);
}

TEST(ConfigErrors, UnknownGateAndCategorySuggest) {
  auto errors = errors_of("integration_requirements:\n  testng: []\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 2);
  EXPECT_NE(errors[0].message.find("did you mean 'testing'"), std::string::npos);
  errors = errors_of("integration_requirements: {}\ngates:\n  securty: {}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 3);
  EXPECT_NE(errors[0].message.find("did you mean 'security'"), std::string::npos);
}

TEST(ConfigErrors, WrongTypesNameTheValue) {
  auto errors = errors_of("integration_requirements:\n  testing: [ {unit_tests_passing: yes} ]\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 2);
  EXPECT_EQ(errors[0].column, 35);
  EXPECT_NE(errors[0].message.find("expected true or false, got a string"), std::string::npos);
  errors = errors_of("integration_requirements: {}\ngates:\n  lint:\n    steps: {name: a}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 4);
  EXPECT_NE(errors[0].message.find("expected a list, got a mapping"), std::string::npos);
}

TEST(ConfigErrors, MissingRunAndBadTimeoutAreReported) {
  const auto errors = errors_of(
      "integration_requirements: {}\ngates:\n  lint:\n    steps:\n      - name: a\n"
      "      - {name: b, run: c, timeout: 5 minutes}\n");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].line, 5);
  EXPECT_NE(errors[0].message.find("missing required key 'run'"), std::string::npos);
  EXPECT_EQ(errors[1].line, 6);
  EXPECT_NE(errors[1].message.find("duration"), std::string::npos);
}

TEST(ConfigErrors, YamlSyntaxErrorHasPosition) {
  const auto errors = errors_of("integration_requirements:\n  testing: [ {a: true}\n  x: 1\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_GT(errors[0].line, 1);
  EXPECT_GT(errors[0].column, 0);
}

TEST(ConfigErrors, DuplicateRequirementAndDuplicateKey) {
  auto errors = errors_of(
      "integration_requirements:\n  testing: [ {unit_tests_passing: true} ]\n"
      "  code_quality: [ {unit_tests_passing: false} ]\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 3);
  EXPECT_NE(errors[0].message.find("listed twice"), std::string::npos);
  errors = errors_of("integration_requirements: {}\nintegration_requirements: {}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 2);
  EXPECT_NE(errors[0].message.find("duplicate key"), std::string::npos);
}

TEST(ConfigErrors, StepJudgingAnotherGatesRequirement) {
  const auto errors = errors_of(
      "integration_requirements: {}\ngates:\n  lint:\n    steps:\n"
      "      - {name: a, run: b, requirements: [unit_tests_passing]}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 5);
  EXPECT_NE(errors[0].message.find("judged by gate 'test-coverage'"), std::string::npos);
}

TEST(ConfigErrors, MissingChecklistAndNonMappingDocument) {
  auto errors = errors_of("gates: {}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("missing required key 'integration_requirements'"),
            std::string::npos);
  errors = errors_of("- just\n- a list\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 1);
}

TEST(ConfigErrors, RegistryProblemsNameTheRegistryFile) {
  TempDir dir;
  write_file(dir / "modules.yaml",
             "modules:\n  api-core:\n    id: api-001\n    dependencies: [db-01]\n"
             "  database-core:\n    id: db-001\n");
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements: {}\nmodule: {key: api-core, registry: modules.yaml}\n");
  try {
    load_config(dir / "integration-requirements.yaml");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    ASSERT_EQ(error.diagnostics().size(), 1u);
    const Diagnostic& d = error.diagnostics()[0];
    EXPECT_EQ(d.file, (dir / "modules.yaml").string());
    EXPECT_EQ(d.line, 4);
    EXPECT_NE(d.message.find("did you mean 'db-001'"), std::string::npos);
  }
}

TEST(ConfigErrors, ModuleNotInRegistrySuggests) {
  TempDir dir;
  write_file(dir / "modules.yaml", "modules:\n  api-core: {id: api-001}\n");
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements: {}\nmodule:\n  key: api-cor\n  registry: modules.yaml\n");
  try {
    load_config(dir / "integration-requirements.yaml");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    ASSERT_EQ(error.diagnostics().size(), 1u);
    EXPECT_EQ(error.diagnostics()[0].line, 3);
    EXPECT_NE(error.diagnostics()[0].message.find("did you mean 'api-core'"), std::string::npos);
  }
}

TEST(Config, SkipsSchemaValidationOnlyForTheFileItValidated) {
  TempDir dir;
  const auto stamp = dir / ".qgate/config-validated";
  write_file(dir / "integration-requirements.yaml", kSeedBlock);
  load_config(dir / "integration-requirements.yaml", stamp);
  ASSERT_TRUE(std::filesystem::exists(stamp));
  // Unchanged: loads the same with the stamp.
  EXPECT_EQ(load_config(dir / "integration-requirements.yaml", stamp).requirements.size(), 16u);
  // Changed into an invalid file: validated again and rejected.
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements: {}\ngates:\n  lint: {steps: 3}\n");
  try {
    load_config(dir / "integration-requirements.yaml", stamp);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.diagnostics().at(0).line, 3);
  }
}

TEST(ConfigErrors, AFileThatIsNotUtf8IsAnErrorAtItsFirstBadByte) {
  // Found by fuzz/config_fuzzer: such a step name made the schema message's
  // dump() throw nlohmann's type_error, and valijson's maxLength check read
  // past a table on it.
  const auto errors = errors_of(
      "integration_requirements: {}\ngates:\n  lint:\n    steps:\n"
      "      - {name: \"cte\xfft\", run: \"true\"}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 5);
  EXPECT_EQ(errors[0].column, 20);
  EXPECT_EQ(errors[0].message,
            "not UTF-8 text: byte 0xFF does not start or continue a UTF-8 character");
}

// A billion laughs: nine levels of ten aliases each stand for 10^9 values.
std::string billion_laughs() {
  std::string text = "integration_requirements: {}\nlol0: &lol0 [lol]\n";
  for (int level = 1; level <= 9; ++level) {
    const std::string previous = "*lol" + std::to_string(level - 1);
    text += "lol" + std::to_string(level) + ": &lol" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) text += (i ? ", " : "") + previous;
    text += "]\n";
  }
  return text;
}

TEST(ConfigLimits, ARecursiveAliasIsRefusedAtTheAlias) {
  // yaml-cpp makes this a node that contains itself: converting it crashed.
  const auto errors =
      errors_of("integration_requirements: {}\nsettings: &loop\n  secret_env: [TOKEN, *loop]\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 3);
  EXPECT_EQ(errors[0].column, 23);
  EXPECT_EQ(errors[0].message,
            "alias *loop is inside the node it names (&loop at 2:11): a recursive alias stands "
            "for an endless value");
}

TEST(ConfigLimits, ASelfReferencingMappingIsRefusedToo) {
  const auto errors = errors_of("integration_requirements: &root\n  again: *root\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 2);
  EXPECT_EQ(errors[0].column, 10);
  EXPECT_NE(errors[0].message.find("recursive alias"), std::string::npos) << errors[0].message;
}

TEST(ConfigLimits, ABillionLaughsIsRefusedBeforeItIsExpanded) {
  const auto errors = errors_of(billion_laughs());
  ASSERT_EQ(errors.size(), 1u);
  // Level 4 stands for 21,111 values: its ninth alias goes past 20,000.
  EXPECT_EQ(errors[0].line, 6);
  EXPECT_EQ(errors[0].column, 14 + 8 * 7);
  EXPECT_EQ(errors[0].message,
            "the file holds more than 20000 values once this alias is expanded, the most qgate "
            "reads (an alias bomb?)");
}

TEST(ConfigLimits, AliasesThatNestTooDeepAreRefused) {
  // Each level is small, but every alias adds the depth of what it names.
  std::string text = "integration_requirements: {}\nd0: &d0 [x]\n";
  for (int level = 1; level <= 40; ++level) {
    text += "d" + std::to_string(level) + ": &d" + std::to_string(level) + " [*d" +
            std::to_string(level - 1) + "]\n";
  }
  const auto errors = errors_of(text);
  ASSERT_EQ(errors.size(), 1u);
  // d30 sits at level 2 and its alias names 31 levels.
  EXPECT_EQ(errors[0].line, 32);
  EXPECT_EQ(errors[0].message,
            "values are nested more than 32 levels deep here once this alias is expanded, the "
            "most qgate reads");
}

TEST(ConfigLimits, DeeplyNestedYamlSaysWhatIsWrongAndWhere) {
  // yaml-cpp's own guard said "bad file" at 2,000 levels, with no position.
  for (const int levels : {40, 3000}) {
    const auto errors = errors_of("integration_requirements: {}\nx: " + std::string(levels, '[') +
                                  std::string(levels, ']') + "\n");
    ASSERT_EQ(errors.size(), 1u) << levels;
    EXPECT_EQ(errors[0].line, 2) << levels;
    EXPECT_EQ(errors[0].column, 35) << levels;  // the 32nd level's '['
    EXPECT_EQ(errors[0].message,
              "values are nested more than 32 levels deep here, the most qgate reads")
        << levels;
  }
}

TEST(ConfigLimits, LongPathsOverManyValuesAreRefused) {
  // No alias: 10,000 values under two long keys (YAML allows 1,024
  // characters in each) take 10,000 copies of their path in the positions kept.
  std::string text = "integration_requirements: {}\n" + std::string(1000, 'k') + ":\n  " +
                     std::string(1000, 'j') + ": [";
  for (int i = 0; i < 10'000; ++i) text += i ? ",1" : "1";
  text += "]\n";
  const auto errors = errors_of(text);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 3);
  EXPECT_NE(errors[0].message.find("take more than 16.0 MiB (16777216 bytes) once its aliases "
                                   "are expanded"),
            std::string::npos)
      << errors[0].message;
}

TEST(ConfigLimits, AnchorsAndAliasesWithinTheLimitsStillWork) {
  TempDir dir;
  const Config config = load_text(dir, std::string(kSeedBlock) + R"(
gates:
  lint:
    steps:
      - {name: a, run: 'true', env: &env {LEVEL: 3, MODE: strict}}
      - {name: b, run: 'true', env: *env}
)");
  const GateConfig* lint = config.gate("lint");
  ASSERT_NE(lint, nullptr);
  ASSERT_EQ(lint->steps.size(), 2u);
  EXPECT_EQ(lint->steps[1].env.size(), 2u);
}

TEST(ConfigLimits, ASecondYamlDocumentIsAnErrorAtItsStart) {
  // yaml-cpp reads the first document and drops the rest without a word.
  const auto errors = errors_of(
      "integration_requirements: {}\n---\ngates:\n  lint: {steps: [{name: a, run: b}]}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 2);
  EXPECT_EQ(errors[0].column, 1);
  EXPECT_NE(errors[0].message.find("a second YAML document starts here"), std::string::npos)
      << errors[0].message;
}

TEST(ConfigLimits, AFolderAsTheConfigSaysItIsAFolder) {
  TempDir dir;
  std::filesystem::create_directories(dir / "integration-requirements.yaml");
  try {
    load_config(dir / "integration-requirements.yaml");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    ASSERT_EQ(error.diagnostics().size(), 1u);
    EXPECT_EQ(
        format_diagnostic(error.diagnostics()[0]),
        (dir / "integration-requirements.yaml").string() + ": error: is a folder, not a file");
  }
}

TEST(ConfigLimits, AConfigOverTheSizeLimitIsRefusedUnread) {
  TempDir dir;
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements: {}\n#" + std::string(4 * 1024 * 1024, 'x') + "\n");
  try {
    load_config(dir / "integration-requirements.yaml");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    ASSERT_EQ(error.diagnostics().size(), 1u);
    EXPECT_EQ(error.diagnostics()[0].message,
              "is 4.0 MiB (4194335 bytes); qgate reads at most 4.0 MiB (4194304 bytes) here "
              "(QGATE_MAX_CONFIG_MEGABYTES raises the limit)");
  }
}

TEST(ConfigLimits, TheSizeLimitIsRaisedByTheEnvironment) {
  TempDir dir;
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements: {}\n#" + std::string(4 * 1024 * 1024, 'x') + "\n");
  ::setenv("QGATE_MAX_CONFIG_MEGABYTES", "8", 1);
  EXPECT_EQ(configured_yaml_limits().max_file_bytes, 8u << 20);
  EXPECT_EQ(configured_yaml_limits().max_nodes, 2 * YamlLimits{}.max_nodes);
  EXPECT_NO_THROW(load_config(dir / "integration-requirements.yaml"));
  ::setenv("QGATE_MAX_CONFIG_MEGABYTES", "not a number", 1);
  EXPECT_EQ(configured_yaml_limits().max_file_bytes, YamlLimits{}.max_file_bytes);
  ::unsetenv("QGATE_MAX_CONFIG_MEGABYTES");
  EXPECT_THROW(load_config(dir / "integration-requirements.yaml"), ConfigError);
}

TEST(ConfigLimits, ARegistryThatIsNotARegularFileSaysWhatItIs) {
  TempDir dir;
  std::filesystem::create_directories(dir / "registry");
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements: {}\nmodule: {key: api-core, registry: registry}\n");
  try {
    load_config(dir / "integration-requirements.yaml");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    ASSERT_EQ(error.diagnostics().size(), 1u);
    EXPECT_EQ(error.diagnostics()[0].file, (dir / "registry").string());
    EXPECT_EQ(error.diagnostics()[0].message, "is a folder, not a file");
  }
}

TEST(ConfigErrors, AFolderNameTooLongForAModuleIdSaysWhereTheIdCameFrom) {
  // Fine in SQLite, but every run on PostgreSQL exited 3 (VARCHAR(20)).
  TempDir dir;
  const auto folder = dir / "a-module-folder-of-31-characters";
  write_file(folder / "integration-requirements.yaml", kSeedFlow);
  try {
    load_config(folder / "integration-requirements.yaml");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    ASSERT_EQ(error.diagnostics().size(), 1u);
    EXPECT_EQ(format_diagnostic(error.diagnostics()[0]),
              (folder / "integration-requirements.yaml").string() +
                  ": error: the module id defaults to the name of the folder " + folder.string() +
                  ", 'a-module-folder-of-31-characters', which has 32 characters; module ids "
                  "have at most 20 characters (module_checkouts.module_id of the checkout system "
                  "is VARCHAR(20)): set `module.id` (or `module.key` and `module.registry`)");
  }
  // Named in the file, the same folder is fine.
  write_file(folder / "integration-requirements.yaml",
             std::string(kSeedFlow) + "module: {id: web-001}\n");
  EXPECT_EQ(load_config(folder / "integration-requirements.yaml").module.id, "web-001");
}

TEST(ConfigErrors, AModuleIdTooLongIsAnErrorAtModuleId) {
  const auto errors =
      errors_of("integration_requirements: {}\nmodule:\n  id: checkout-service-backend\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 3);
  EXPECT_EQ(errors[0].column, 7);
  EXPECT_EQ(errors[0].message,
            "module.id 'checkout-service-backend' has 24 characters; module ids have at most 20 "
            "characters (module_checkouts.module_id of the checkout system is VARCHAR(20))");
}

TEST(ConfigErrors, AnUnknownReportFormatIsAnErrorAtFormat) {
  // It passed validate and failed the gate at run time.
  const auto errors = errors_of(
      "integration_requirements: {}\ngates:\n  lint:\n    reports:\n"
      "      - {path: build/tidy.xml, format: chekstyle}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 5);
  EXPECT_EQ(errors[0].column, 40);
  EXPECT_EQ(errors[0].message,
            "gates/lint/reports/0/format: unknown value 'chekstyle' (did you mean 'checkstyle'?)");
}

TEST(ConfigErrors, TheSchemasReportFormatsAreTheOnesQgateReads) {
  const auto schema =
      nlohmann::json::parse(read_file(testing::source_dir() / "schemas/config.schema.json"));
  const auto& formats =
      schema.at("definitions").at("report").at("oneOf").at(1).at("properties").at("format");
  EXPECT_EQ(formats.at("enum").get<std::vector<std::string>>(), report_format_names());
}

TEST(ConfigErrors, AMappingOfTheWrongShapeSaysWhatIsWrongInIt) {
  // Was "gates/lint/reports/0: expected a string or a mapping, got a mapping".
  auto errors = errors_of(
      "integration_requirements: {}\ngates:\n  lint:\n    reports:\n"
      "      - {path: build/tidy.xml, fromat: checkstyle}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 5);
  EXPECT_EQ(errors[0].column, 32);
  EXPECT_EQ(errors[0].message,
            "unknown key 'fromat' in gates/lint/reports/0 (did you mean 'format'?)");
  errors = errors_of(
      "integration_requirements: {}\ngates:\n  lint:\n    reports:\n"
      "      - {format: checkstyle}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "gates/lint/reports/0: missing required key 'path'");
  // A value of neither type still says what both would be.
  errors = errors_of("integration_requirements: {}\ngates:\n  lint:\n    reports: [3]\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message,
            "gates/lint/reports/0: expected a string or a mapping, got an "
            "integer");
}

TEST(ConfigErrors, ATimeoutOfZeroIsAnErrorWhereverItIsGiven) {
  const auto errors = errors_of(
      "integration_requirements: {}\nsettings: {timeout: 0s, grace: 0}\ngates:\n  lint:\n"
      "    timeout: 0m\n    steps:\n      - {name: a, run: b, timeout: 0}\n");
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].line, 2);
  EXPECT_EQ(errors[0].column, 21);
  EXPECT_EQ(errors[0].message,
            "settings/timeout: a timeout of 0s would stop the step as it starts; give more than 0 "
            "(e.g. 30s)");
  EXPECT_EQ(errors[1].line, 5);
  EXPECT_EQ(errors[2].line, 7);
  EXPECT_EQ(errors[2].column, 36);
  EXPECT_NE(errors[2].message.find("gates/lint/steps/0/timeout: a timeout of 0 would stop"),
            std::string::npos);
}

TEST(ConfigErrors, ADurationPastAWeekIsAnErrorNotAnOverflow) {
  // 2562047h passed validate and overflowed the step's deadline at run time.
  const auto errors = errors_of(
      "integration_requirements: {}\ngates:\n  lint:\n    steps:\n"
      "      - {name: a, run: b, timeout: 2562047h, grace: 604801}\n");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].column, 36);
  EXPECT_EQ(errors[0].message,
            "gates/lint/steps/0/timeout: 2562047h is longer than a week (168h), the most qgate "
            "allows");
  EXPECT_EQ(errors[1].column, 53);
  EXPECT_EQ(errors[1].message,
            "gates/lint/steps/0/grace: 604801 is longer than a week (168h), the most qgate allows");
  TempDir dir;
  const Config config = load_text(dir,
                                  "integration_requirements: {}\ngates:\n  lint:\n    steps:\n"
                                  "      - {name: a, run: b, timeout: 168h, grace: 0}\n");
  EXPECT_EQ(config.gate("lint")->steps[0].timeout, std::chrono::hours(168));
}

TEST(ConfigErrors, AStepEnvNameMustBeANameAndNotOneOfQgates) {
  const auto errors = errors_of(
      "integration_requirements: {}\ngates:\n  lint:\n    steps:\n      - name: a\n"
      "        run: b\n        env:\n          \"A=B\": 1\n          \"\": 2\n"
      "          QGATE_OUT: /tmp\n          LEVEL: 3\n");
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].line, 8);
  EXPECT_EQ(errors[0].column, 11);
  EXPECT_EQ(errors[0].message,
            "gates/lint/steps/0/env: \"A=B\" cannot name an environment variable: a name holds no "
            "'=' or NUL");
  EXPECT_EQ(errors[1].line, 9);
  EXPECT_EQ(errors[1].message, "gates/lint/steps/0/env: an environment variable needs a name");
  EXPECT_EQ(errors[2].line, 10);
  EXPECT_EQ(errors[2].message,
            "gates/lint/steps/0/env: 'QGATE_OUT': names starting with QGATE_ are qgate's own, set "
            "for every step (QGATE_OUT, QGATE_MODULE_ID, ...)");
}

TEST(ConfigErrors, FormatsAsFileLineColumn) {
  const Diagnostic d{"a/b.yaml", 3, 7, "unknown key 'x'"};
  EXPECT_EQ(format_diagnostic(d), "a/b.yaml:3:7: error: unknown key 'x'");
}

TEST(Config, ReadsNeedsOfItsOwnGateAndOfOthers) {
  TempDir dir;
  const Config config = load_text(dir, std::string(kSeedBlock) + R"(gates:
  test-coverage:
    steps:
      - {name: build, run: make}
      - {name: unit, run: ctest, needs: [build]}
      - {name: gcovr, run: gcovr, needs: [unit, lint.tidy]}
  lint:
    steps:
      - {name: tidy, run: clang-tidy, needs: [test-coverage.build]}
)");
  const GateConfig* tests = config.gate("test-coverage");
  ASSERT_EQ(tests->steps.size(), 3u);
  ASSERT_EQ(tests->steps[1].needs.size(), 1u);
  EXPECT_EQ(tests->steps[1].needs[0].gate, "test-coverage");
  EXPECT_EQ(tests->steps[1].needs[0].step, "build");
  ASSERT_EQ(tests->steps[2].needs.size(), 2u);
  EXPECT_EQ(tests->steps[2].needs[1].gate, "lint");
  EXPECT_EQ(tests->steps[2].needs[1].step, "tidy");
  EXPECT_EQ(config.gate("lint")->steps[0].needs[0].gate, "test-coverage");
}

TEST(ConfigErrors, AnUnknownNeedIsAnErrorAtItsPlace) {
  const auto errors = errors_of(
      "integration_requirements: {}\ngates:\n  test-coverage:\n    steps:\n"
      "      - {name: build, run: make}\n"
      "      - {name: unit, run: ctest, needs: [biuld]}\n"
      "      - name: gcovr\n        run: gcovr\n        needs:\n          - lint.tidy\n");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].line, 6);
  EXPECT_EQ(errors[0].column, 42);
  EXPECT_EQ(errors[0].message,
            "gates/test-coverage: step 'unit' needs 'biuld', which is no step of gate "
            "'test-coverage', nor another gate's as gate.step (did you mean 'build'?)");
  EXPECT_EQ(errors[1].line, 10);
  EXPECT_EQ(errors[1].column, 13);
  EXPECT_NE(errors[1].message.find("needs 'lint.tidy', which is no step"), std::string::npos);
}

TEST(ConfigErrors, NeedsThatFormACycleAreAnErrorNamingIt) {
  auto errors = errors_of(
      "integration_requirements: {}\ngates:\n  test-coverage:\n    steps:\n"
      "      - {name: build, run: make, needs: [lint.tidy]}\n"
      "      - {name: unit, run: ctest, needs: [build]}\n"
      "  lint:\n    steps:\n"
      "      - {name: tidy, run: clang-tidy, needs: [test-coverage.unit]}\n");
  // Reported at the need that closes it: build's, on line 5.
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 5);
  EXPECT_EQ(errors[0].message,
            "needs form a cycle: lint.tidy -> test-coverage.unit -> test-coverage.build -> "
            "lint.tidy");
  // A step that needs itself.
  errors = errors_of(
      "integration_requirements: {}\ngates:\n  lint:\n    steps:\n"
      "      - {name: tidy, run: clang-tidy, needs: [tidy]}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 5);
  EXPECT_EQ(errors[0].message, "needs form a cycle: lint.tidy -> lint.tidy");
}
}  // namespace
}  // namespace qgate
