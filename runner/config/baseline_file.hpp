#pragma once
// The baseline file a team may commit beside its configuration
// (qgate-baseline.json): each gate's accepted findings and figures, written
// by `qgate baseline export` and read by `qgate check` before the store, as
// ruff's and eslint's baseline files are.
#include <filesystem>
#include <map>
#include <string>

#include "runner/core/result.hpp"

namespace qgate {

// The file's name in the module folder.
inline constexpr const char* kBaselineFileName = "qgate-baseline.json";

// Returns the baselines in the file at `path` by gate name, each with
// `source` naming the file; nothing when there is no such file. Throws
// std::runtime_error naming the file and what is wrong for a malformed one.
std::map<std::string, GateBaseline> read_baseline_file(const std::filesystem::path& path);

// Returns `baselines` of module `module_id` as the file's text: findings
// sorted by file, line and rule, so that a change reads as a small diff.
std::string render_baseline_file(const std::string& module_id,
                                 const std::map<std::string, GateBaseline>& baselines);

}  // namespace qgate
