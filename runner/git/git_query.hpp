#pragma once
// Read-only git queries for the documentation checks ("did this file change
// since the base ref?"), run without a shell so refs and paths need no quoting.
#include <filesystem>
#include <string>
#include <vector>

namespace qgate {

// What one git command answered.
struct GitAnswer {
  int exit_code = -1;        // -1 when git could not be started
  std::string error_output;  // the first line of its stderr, or why it did not start
  std::string output;        // its stdout, when asked for (run_git with `capture`)
};

// Runs `git -C <dir> <args...>` with stdin and stdout on /dev/null and optional
// index locks off (checks run beside other git users), and waits for it.
// With `capture`, stdout is kept in GitAnswer::output (up to 8 MB).
GitAnswer run_git(const std::filesystem::path& dir, const std::vector<std::string>& args,
                  bool capture = false);

}  // namespace qgate
