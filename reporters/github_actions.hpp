#pragma once
// What `qgate check --ci github` tells GitHub Actions, through the workflow
// commands and files its runner reads: secrets to mask, each step's log
// folded in a group, annotations on the diff, the Markdown step summary and
// the step's outputs.
#include <cstddef>
#include <filesystem>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runner/core/result.hpp"

namespace qgate {

// What the Actions runner tells its steps, from the environment.
struct ActionsEnvironment {
  std::filesystem::path step_summary;  // $GITHUB_STEP_SUMMARY; empty when unset
  std::filesystem::path output;        // $GITHUB_OUTPUT; empty when unset
  std::filesystem::path workspace;     // $GITHUB_WORKSPACE: annotation paths outside a repository
  std::string run_url;                 // the job's page, from GITHUB_SERVER_URL and friends
};

// Reads the runner's variables from the process environment.
ActionsEnvironment actions_environment();

// GitHub shows at most this many annotations of each level (error, warning,
// notice) per step; more are dropped silently, so qgate picks which.
inline constexpr std::size_t kAnnotationsPerLevel = 10;

// Prints `::add-mask::` for each secret value, before anything could print it.
void print_masks(const std::vector<std::string>& secrets, std::ostream& out);

// Returns a token for `::stop-commands::` that `text` does not hold: 128
// random bits in hex, drawn afresh for each call, so that nothing a step
// printed can know it.
std::string stop_commands_token(std::string_view text);

// Prints `text` (whole lines) so that the runner takes none of it as a
// workflow command: between `::stop-commands::<token>` and `::<token>::`.
void print_inert(std::string_view text, std::ostream& out);

// Prints each step's log (its last `max_bytes_per_step` bytes, already
// masked) in a ::group:: named after its gate and step, inert (print_inert):
// a `::warning`, `::endgroup::` or `::add-mask::` a step printed is shown,
// never run.
void print_log_groups(const RunResult& run, std::ostream& out,
                      std::size_t max_bytes_per_step = 64 * 1024);

// An output stream for text that may quote what steps printed (the console's
// progress and summary): each flushed chunk that holds something the runner
// could read as a command ("::" or "##[") is printed inert (print_inert).
class InertOutput {
 public:
  // Writes through to `out`.
  explicit InertOutput(std::ostream& out);
  // Flushes what is left.
  ~InertOutput();
  InertOutput(const InertOutput&) = delete;
  InertOutput& operator=(const InertOutput&) = delete;

  // Returns the stream to write to.
  std::ostream& stream() { return stream_; }

 private:
  class Buffer : public std::streambuf {
   public:
    explicit Buffer(std::ostream& out) : out_(out) {}

   protected:
    int_type overflow(int_type c) override;
    std::streamsize xsputn(const char* data, std::streamsize size) override;
    int sync() override;

   private:
    std::ostream& out_;
    std::string pending_;
  };
  Buffer buffer_;
  std::ostream stream_;
};

// Prints ::error / ::warning / ::notice annotations: failed required
// requirements first, then findings most severe first (not those already in
// the baseline), at paths relative to the repository's top folder, at most
// kAnnotationsPerLevel per level, and one line saying how many were left out.
void print_annotations(const RunResult& run, const ActionsEnvironment& env, std::ostream& out);

// Appends the Markdown report to the step summary and writes the outputs
// `result`, `exit-code` (`exit_code`, qgate's own, which is the run's unless
// recording or a report failed), `run-id`, `report` and `pr-url`. Throws
// std::runtime_error naming the file that cannot be written.
void write_actions_files(const RunResult& run, const ActionsEnvironment& env,
                         const std::string& report_path, const std::string& pr_url, int exit_code);

// Why qgate could not work or could not judge the module, and where.
struct ActionsProblem {
  std::string message;
  std::string file;  // the configuration file at fault; empty when none is
  int line = 0;      // 1-based; 0 when not known
  int column = 0;

  // Returns a problem with no place in a file.
  static ActionsProblem unplaced(std::string message) { return {std::move(message), {}, 0, 0}; }
};

// Prints an ::error annotation for each of `problems` (at most
// kAnnotationsPerLevel), with file, line and column when known, the file
// relative to the workspace.
void print_problem_annotations(const std::vector<ActionsProblem>& problems,
                               const ActionsEnvironment& env, std::ostream& out);

// Tells the Actions step that `qgate check` ended with `exit_code` without a
// verdict (2: the configuration or the command line is wrong; 3: qgate could
// not work): ::error annotations for `problems`, a step summary saying why,
// and the outputs `result=error` and `exit-code`. Never throws: a file it
// cannot write is said on `out` as one more ::error.
void report_unjudged_run(int exit_code, const std::vector<ActionsProblem>& problems,
                         const ActionsEnvironment& env, std::ostream& out);

// Escapes `text` as the data of a workflow command (% CR LF).
std::string escape_command_data(const std::string& text);
// Escapes `text` as a property of a workflow command (also : and ,).
std::string escape_command_property(const std::string& text);

}  // namespace qgate
