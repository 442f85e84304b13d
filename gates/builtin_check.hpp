#pragma once
// Built-in checks: requirements that qgate judges itself, in-process, without
// a configured command (e.g. "README.md is complete").
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runner/result.hpp"

namespace qgate {

// What a built-in check may look at.
struct CheckContext {
  std::filesystem::path module_dir;  // the module's folder (absolute)
  std::string module_id;
  std::string requirement;  // the requirement being judged
  nlohmann::json options;   // the gate's options from `gates.<gate>` (object; may be empty)
  std::string base_ref;     // git ref to compare against, if any (e.g. "origin/main")
  std::string config_file;  // the configuration file, as messages name it
  std::map<std::string, int> option_lines;  // line of each value of `options`, by JSON
                                            // pointer ("/secrets/enabled")
};

// What a built-in check found.
struct CheckOutcome {
  Status status = Status::passed;  // passed, failed, error or skipped
  std::string message;             // one line for the report
  std::vector<Finding> findings;   // each with `requirement` set
};

// A built-in check function.
using BuiltinCheck = CheckOutcome (*)(const CheckContext& context);

// Returns the built-in check for `requirement`, or nullptr if qgate has none yet.
BuiltinCheck find_builtin_check(const std::string& requirement);

// Whether a step that names a requirement in its `requirements:` takes the
// place of the requirement's built-in check.
enum class NamedStep { replaces_builtin, adds_to_builtin };

// Returns what a step naming `requirement` does to its built-in check: the
// documentation and coordination checks follow conventions a team may judge
// its own way, so a step replaces them; the secret scan is a safety net that
// no other tool stands in for, so steps only add to it.
NamedStep named_step_effect(const std::string& requirement);

}  // namespace qgate
