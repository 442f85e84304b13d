#pragma once
// The integration checklist as the checkout system defines it: the sixteen
// requirements, the category each is listed under and the gate that judges it.
#include <string>
#include <string_view>
#include <vector>

namespace qgate {

// Whether qgate judges a requirement itself (gates/builtin_check.hpp), and
// what a step that names the requirement in its `requirements:` does to that
// built-in check. The documentation and coordination checks follow
// conventions a team may judge its own way, so a step replaces them; the
// secret scan is a safety net that no other tool stands in for, so steps only
// add to it.
enum class Builtin {
  none,                    // judged by steps and reports only
  replaced_by_named_step,  // built in, unless a step names the requirement
  kept_beside_steps,       // built in, and kept beside the steps that name it
};

// One known requirement of the checklist.
struct RequirementInfo {
  std::string_view name;      // e.g. "unit_tests_passing"
  std::string_view category;  // documentation | testing | code_quality | coordination
  std::string_view gate;      // the gate that judges it, e.g. "test-coverage"
  Builtin builtin = Builtin::none;
};

// Returns the sixteen known requirements, in the checkout system's order.
const std::vector<RequirementInfo>& known_requirements();
// Returns the requirement called `name`, or nullptr.
const RequirementInfo* find_requirement(std::string_view name);
// Whether the built-in check of `name` runs, given whether a step names it:
// false for a requirement without one.
bool builtin_check_runs(std::string_view name, bool named_by_a_step);
// Returns the names of the known requirements (for "did you mean").
std::vector<std::string> requirement_names();
// Returns the checklist categories, in order.
const std::vector<std::string>& requirement_categories();
// Returns the gate names in the order they are reported.
const std::vector<std::string>& gate_names();

}  // namespace qgate
