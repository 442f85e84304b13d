#pragma once
// Built-in checks: requirements that qgate judges itself, in-process, without
// a configured command (e.g. "README.md is complete").
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runner/core/check_outcome.hpp"
#include "runner/core/result.hpp"

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

// A built-in check function.
using BuiltinCheck = CheckOutcome (*)(const CheckContext& context);

// Returns the built-in check for `requirement`, or nullptr if it has none
// (runner/core/requirements.hpp says which have one; a test checks both agree).
BuiltinCheck find_builtin_check(const std::string& requirement);

}  // namespace qgate
