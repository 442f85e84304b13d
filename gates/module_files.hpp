#pragma once
// Finding and reading a module's own files for the documentation checks: glob
// patterns relative to the module folder, folders that never hold the module's
// own sources, and a size cap.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qgate {

// Files above this size are generated or vendored, never hand-written docs or routes.
inline constexpr std::uintmax_t kMaxScannedFileBytes = 2 * 1024 * 1024;

// Returns true if `relative_path` ('/'-separated) matches `pattern`: `*`, `?` and
// `[abc]` stay within one segment, `**/` spans any number of them, `{a,b}` is a choice.
bool glob_matches(std::string_view pattern, std::string_view relative_path);

// Returns true if the folder named `name` holds dependencies, build output or
// tool state (node_modules, vendor, .git, build, venv, ...) rather than sources.
bool is_skipped_folder(const std::filesystem::path& folder);

// Returns the regular files under `module_dir` that match one of `patterns` and
// none of `excludes`, as sorted '/'-separated paths relative to `module_dir`.
// Skipped folders are not entered unless a pattern names them before its first wildcard.
std::vector<std::string> find_module_files(const std::filesystem::path& module_dir,
                                           const std::vector<std::string>& patterns,
                                           const std::vector<std::string>& excludes);

// Returns the content of `path`, or nothing if it cannot be read or exceeds
// kMaxScannedFileBytes.
std::optional<std::string> read_text_file(const std::filesystem::path& path);

// Returns `path` relative to `module_dir` with '/' separators, or `path` as given
// when it lies outside.
std::string module_relative(const std::filesystem::path& module_dir,
                            const std::filesystem::path& path);

}  // namespace qgate
