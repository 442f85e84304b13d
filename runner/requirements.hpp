#pragma once
// The integration checklist as the checkout system defines it: the sixteen
// requirements, the category each is listed under and the gate that judges it.
#include <string>
#include <string_view>
#include <vector>

namespace qgate {

// One known requirement of the checklist.
struct RequirementInfo {
  std::string_view name;      // e.g. "unit_tests_passing"
  std::string_view category;  // documentation | testing | code_quality | coordination
  std::string_view gate;      // the gate that judges it, e.g. "test-coverage"
};

// Returns the sixteen known requirements, in the checkout system's order.
const std::vector<RequirementInfo>& known_requirements();
// Returns the requirement called `name`, or nullptr.
const RequirementInfo* find_requirement(std::string_view name);
// Returns the names of the known requirements (for "did you mean").
std::vector<std::string> requirement_names();
// Returns the checklist categories, in order.
const std::vector<std::string>& requirement_categories();
// Returns the gate names in the order they are reported.
const std::vector<std::string>& gate_names();

}  // namespace qgate
