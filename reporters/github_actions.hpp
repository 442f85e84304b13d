#pragma once
// What `qgate check --ci github` tells GitHub Actions, through the workflow
// commands and files its runner reads: secrets to mask, each step's log
// folded in a group, annotations on the diff, the Markdown step summary and
// the step's outputs.
#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "runner/result.hpp"

namespace qgate {

// What the Actions runner tells its steps, from the environment.
struct ActionsEnvironment {
  std::filesystem::path step_summary;  // $GITHUB_STEP_SUMMARY; empty when unset
  std::filesystem::path output;        // $GITHUB_OUTPUT; empty when unset
  std::filesystem::path workspace;     // $GITHUB_WORKSPACE: annotation paths are relative to it
  std::string run_url;                 // the job's page, from GITHUB_SERVER_URL and friends
};

// Reads the runner's variables from the process environment.
ActionsEnvironment actions_environment();

// GitHub shows at most this many annotations of each level (error, warning,
// notice) per step; more are dropped silently, so qgate picks which.
inline constexpr std::size_t kAnnotationsPerLevel = 10;

// Prints `::add-mask::` for each secret value, before anything could print it.
void print_masks(const std::vector<std::string>& secrets, std::ostream& out);

// Prints each step's log (its last `max_bytes_per_step` bytes, already masked)
// in a ::group:: named after its gate and step.
void print_log_groups(const RunResult& run, std::ostream& out,
                      std::size_t max_bytes_per_step = 64 * 1024);

// Prints ::error / ::warning / ::notice annotations: failed required
// requirements first, then findings most severe first, at most
// kAnnotationsPerLevel per level, and one line saying how many were left out.
void print_annotations(const RunResult& run, const ActionsEnvironment& env, std::ostream& out);

// Appends the Markdown report to the step summary and writes the outputs
// `result`, `exit-code`, `run-id`, `report` and `pr-url`. Throws
// std::runtime_error naming the file that cannot be written.
void write_actions_files(const RunResult& run, const ActionsEnvironment& env,
                         const std::string& report_path, const std::string& pr_url);

// Escapes `text` as the data of a workflow command (% CR LF).
std::string escape_command_data(const std::string& text);
// Escapes `text` as a property of a workflow command (also : and ,).
std::string escape_command_property(const std::string& text);

}  // namespace qgate
