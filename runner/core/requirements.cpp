#include "runner/core/requirements.hpp"

namespace qgate {

const std::vector<RequirementInfo>& known_requirements() {
  static const std::vector<RequirementInfo> requirements = {
      {"module_readme_complete", "documentation", "documentation", Builtin::replaced_by_named_step},
      {"api_documentation_updated", "documentation", "documentation",
       Builtin::replaced_by_named_step},
      {"database_schema_documented", "documentation", "documentation",
       Builtin::replaced_by_named_step},
      {"integration_guide_written", "documentation", "documentation",
       Builtin::replaced_by_named_step},
      {"unit_tests_passing", "testing", "test-coverage"},
      {"integration_tests_passing", "testing", "test-coverage"},
      {"security_scan_clean", "testing", "security", Builtin::kept_beside_steps},
      {"performance_benchmarks_met", "testing", "performance"},
      {"code_review_approved", "code_quality", "review"},
      {"linting_rules_followed", "code_quality", "lint"},
      {"type_checking_passed", "code_quality", "lint"},
      {"dependency_audit_clean", "code_quality", "security"},
      {"dependent_modules_notified", "coordination", "coordination"},
      {"breaking_changes_documented", "coordination", "documentation",
       Builtin::replaced_by_named_step},
      {"migration_scripts_provided", "coordination", "coordination",
       Builtin::replaced_by_named_step},
      {"deployment_plan_reviewed", "coordination", "coordination", Builtin::replaced_by_named_step},
  };
  return requirements;
}

const RequirementInfo* find_requirement(std::string_view name) {
  for (const auto& requirement : known_requirements()) {
    if (requirement.name == name) return &requirement;
  }
  return nullptr;
}

std::vector<std::string> requirement_names() {
  std::vector<std::string> names;
  for (const auto& requirement : known_requirements()) names.emplace_back(requirement.name);
  return names;
}

bool builtin_check_runs(std::string_view name, bool named_by_a_step) {
  const RequirementInfo* requirement = find_requirement(name);
  if (requirement == nullptr || requirement->builtin == Builtin::none) return false;
  return !named_by_a_step || requirement->builtin == Builtin::kept_beside_steps;
}

const std::vector<std::string>& requirement_categories() {
  static const std::vector<std::string> categories = {"documentation", "testing", "code_quality",
                                                      "coordination"};
  return categories;
}

const std::vector<std::string>& gate_names() {
  static const std::vector<std::string> gates = {"documentation", "test-coverage", "lint",
                                                 "security",      "performance",   "review",
                                                 "coordination"};
  return gates;
}

}  // namespace qgate
