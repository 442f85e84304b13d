#pragma once
// What a run will do (which gates, which steps, which requirement each step
// judges) and how the outcomes become verdicts. Pure: no processes, no I/O.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "runner/core/check_outcome.hpp"
#include "runner/core/config.hpp"
#include "runner/core/result.hpp"
#include "runner/core/step.hpp"

namespace qgate {

// One gate of the run.
struct PlannedGate {
  std::string name;
  bool required = false;                  // judges at least one required requirement
  std::vector<std::size_t> steps;         // indices into RunPlan::steps
  std::vector<std::string> requirements;  // checklist items it judges
};

struct RunPlan {
  std::vector<StepSpec> steps;
  std::vector<PlannedGate> gates;
  // The requirements each step judges (its own list, or all of its gate's).
  std::vector<std::vector<std::string>> step_requirements;
  // Requirements judged by a built-in check: those that no step replaces
  // (see builtin_check_runs).
  std::vector<std::string> builtin_requirements;
};

// Where a run keeps its files, and the environment its steps start from.
struct PlanContext {
  std::filesystem::path run_dir;         // .qgate/runs/<run id>
  std::vector<std::string> environment;  // qgate's own, "NAME=value"
  std::string run_id;
};

// Plans the run of `config`.
RunPlan make_plan(const Config& config, const PlanContext& context);

// Built-in check outcomes by requirement name.
using BuiltinOutcomes = std::map<std::string, CheckOutcome>;

// Some of a gate's reports: those that judge the same requirements.
struct ReportGroup {
  std::vector<std::string> requirements;  // sorted; empty: every requirement of the gate
  GateConfig gate;                        // the gate, with only these reports
};

// Splits the reports of `gate` by the requirements they judge (see
// ReportConfig::requirements), in the order each set first appears.
std::vector<ReportGroup> group_reports(const GateConfig& gate);

// The verdict on one group of a gate's reports.
struct ReportOutcome {
  std::vector<std::string> requirements;  // empty: every requirement of the gate
  CheckOutcome outcome;
};

// Report verdicts by gate name.
using ReportOutcomes = std::map<std::string, std::vector<ReportOutcome>>;

// Returns the verdict on gate `gate` from its steps, built-in checks and
// report verdicts (`reports`, by gate name).
GateResult judge_gate(const PlannedGate& gate, const std::vector<StepResult>& step_results,
                      const BuiltinOutcomes& builtins, const ReportOutcomes& reports = {});

// Returns the verdict on every requirement of the checklist (each report
// verdict counts for the requirements it judges).
std::vector<RequirementResult> judge_requirements(const Config& config, const RunPlan& plan,
                                                  const std::vector<StepResult>& step_results,
                                                  const BuiltinOutcomes& builtins,
                                                  const ReportOutcomes& reports = {});

// Returns the exit code of `qgate check` for these verdicts: 0 when every
// required requirement passed or was skipped, else 1.
int exit_code_for(const std::vector<RequirementResult>& requirements);

}  // namespace qgate
