#include "gates/builtin_check.hpp"

#include <array>
#include <string_view>
#include <utility>

#include "gates/coordination.hpp"
#include "gates/documentation.hpp"
#include "gates/security.hpp"

namespace qgate {
namespace {

constexpr std::array<std::pair<std::string_view, BuiltinCheck>, 8> kChecks{{
    {"module_readme_complete", &check_readme_complete},
    {"api_documentation_updated", &check_api_documented},
    {"database_schema_documented", &check_schema_documented},
    {"integration_guide_written", &check_integration_guide},
    {"breaking_changes_documented", &check_changelog_entry},
    {"migration_scripts_provided", &check_migrations_provided},
    {"deployment_plan_reviewed", &check_deployment_plan},
    {"security_scan_clean", &check_security_scan},
}};

}  // namespace

BuiltinCheck find_builtin_check(const std::string& requirement) {
  for (const auto& [name, check] : kChecks) {
    if (name == requirement) return check;
  }
  return nullptr;
}

}  // namespace qgate
