#pragma once
// The result model: what a run produced, shared by the scheduler, the gates,
// the reporters and the store.
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qgate {

// The state of a run, gate, step or requirement.
enum class Status {
  pending,         // not started yet
  running,         // started, not finished
  passed,          // finished and met every condition
  failed,          // finished and missed a condition
  error,           // could not be judged (step could not start, report unreadable, ...)
  skipped,         // deliberately not run (e.g. needs GitHub, or fail-fast)
  cancelled,       // stopped by Ctrl-C / SIGTERM or fail-fast
  not_configured,  // no check exists or is configured for this requirement
  interrupted,     // the recording process died before finishing the run
};

// Returns the lower-case name of `status` ("not_configured", ...).
std::string_view to_string(Status status);
// Parses a name written by to_string(); nothing for an unknown name.
std::optional<Status> status_from_string(std::string_view name);
// Returns true for the states that fail a required gate or requirement.
bool is_failure(Status status);

// How serious a finding is, in increasing order.
enum class Severity { info, low, medium, high, critical };
std::string_view to_string(Severity severity);
std::optional<Severity> severity_from_string(std::string_view name);

// One problem a check or a report pointed at.
struct Finding {
  std::string requirement;  // the requirement this finding counts against
  std::string rule;         // e.g. "readme.missing-section"
  Severity severity = Severity::medium;
  std::string message;
  std::string file;         // relative to the module folder; empty if none
  int line = 0;             // 1-based; 0 if unknown
  int column = 0;           // 1-based; 0 if unknown
  std::string fingerprint;  // stable across unrelated line shifts (only-new baselines)
  std::string baseline;     // only-new mode: "new" or "existing"; empty otherwise
};

// One measured figure (coverage, a benchmark time, ...).
struct Metric {
  std::string name;
  double value = 0;
  std::string unit;
};

// A gate's outcome in an earlier run of the same module: the yardstick for
// only-new findings and benchmark regressions.
struct GateBaseline {
  std::string run_id;
  std::string started_at;
  std::vector<Finding> findings;
  std::vector<Metric> metrics;
  std::string commit_sha{};  // the commit the run was recorded at; empty if unknown
  std::string source{};      // where it comes from, for messages: "run 1a2b3c4d", a file
};

// The outcome of one subprocess step.
struct StepResult {
  std::string gate;
  std::string name;
  std::string command;
  Status status = Status::pending;
  int exit_code = -1;   // -1 when killed by a signal or not started
  int term_signal = 0;  // the signal that ended it, or 0
  int attempts = 0;
  bool flaky = false;      // failed, then passed on a retry
  bool timed_out = false;  // killed at its timeout
  double duration_s = 0;
  std::string log_path;  // the full (masked) output
  std::string tail;      // the last lines of output (masked)
  std::string message;   // why it failed, in one line
};

// The verdict on one line of the integration checklist.
struct RequirementResult {
  std::string name;      // e.g. "module_readme_complete"
  std::string category;  // e.g. "documentation"
  std::string gate;      // the gate that judges it
  bool required = true;
  Status status = Status::pending;
  std::string message;  // one line: why it passed or not
};

// The outcome of one gate: its steps, findings and metrics.
struct GateResult {
  std::string name;
  Status status = Status::pending;
  bool required = false;  // any of its requirements is required
  double duration_s = 0;
  std::string message;
  std::vector<StepResult> steps;
  std::vector<Finding> findings;
  std::vector<Metric> metrics;
  // Whether its findings and figures may be a later run's baseline: its
  // reports were all read, and it passed or was judged on every finding (not
  // only new ones). `qgate baseline accept|reset` set it by hand.
  bool baseline_eligible = false;
};

// A whole run of `qgate check`.
struct RunResult {
  std::string id;
  std::string module_id;
  std::string module_name;
  std::string module_path;
  std::string config_path;
  std::string checkout_id;      // the module checkout it is recorded against, if any
  std::string pr_url;           // the integration pull request it opened or updated, if any
  std::string trigger = "cli";  // cli | actions | api
  std::string commit_sha;
  std::string ref;
  std::string qgate_version;
  std::string started_at;   // ISO 8601, UTC
  std::string finished_at;  // ISO 8601, UTC; empty while running
  double duration_s = 0;
  Status status = Status::running;
  int exit_code = -1;
  std::vector<RequirementResult> requirements;
  std::vector<GateResult> gates;
};

// Returns gate `gate` of `run` as a baseline, if the run has it.
std::optional<GateBaseline> baseline_of(const std::optional<RunResult>& run,
                                        const std::string& gate);

// Returns the current UTC time as "2026-11-21T23:47:40.123Z".
std::string utc_now_iso8601();
// Returns a new random version-4 UUID ("3f2b...-...") to identify a run.
std::string new_run_id();

struct FindingCounts {
  std::array<int, 5> by_severity{};  // indexed by Severity (info .. critical)
  int total = 0;
  int new_findings = 0;       // only-new mode: not in the baseline
  int existing_findings = 0;  // only-new mode: in the baseline
};

// Counts `findings` by severity and by baseline state.
FindingCounts count_findings(const std::vector<Finding>& findings);

}  // namespace qgate
