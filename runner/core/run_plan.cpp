#include "runner/core/run_plan.hpp"

#include <algorithm>
#include <set>

#include "runner/core/requirements.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;

// Keeps file names portable: step names may hold spaces.
std::string file_safe(const std::string& name) {
  std::string out;
  for (char c : name) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_' || c == '.';
    out += plain ? c : '_';
  }
  return out;
}

bool names(const std::vector<std::string>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

// Folds several outcomes into one: any failure fails, then errors, then
// cancellations; skipped sources do not count unless all are skipped.
Status combine(const std::vector<Status>& statuses) {
  if (statuses.empty()) return Status::not_configured;
  for (Status worst : {Status::failed, Status::error, Status::interrupted, Status::cancelled,
                       Status::not_configured}) {
    if (std::find(statuses.begin(), statuses.end(), worst) != statuses.end()) return worst;
  }
  const bool all_skipped =
      std::all_of(statuses.begin(), statuses.end(), [](Status s) { return s == Status::skipped; });
  return all_skipped ? Status::skipped : Status::passed;
}

// A step is skipped only when a step it needs did not pass: what it checks
// was not checked, which no requirement may take for a pass.
Status counted(const StepResult& step) {
  return step.status == Status::skipped ? Status::error : step.status;
}

std::string step_phrase(const StepResult& step) {
  return "step '" + step.name + "' " +
         (step.message.empty() ? std::string(to_string(step.status)) : step.message);
}

}  // namespace

RunPlan make_plan(const Config& config, const PlanContext& context) {
  RunPlan plan;
  std::vector<std::vector<StepRef>> needs;  // of each planned step, by name
  std::set<std::string> wanted;
  for (const auto& gate : config.gates) wanted.insert(gate.name);
  for (const auto& requirement : config.requirements) {
    wanted.insert(std::string(find_requirement(requirement.name)->gate));
  }
  for (const auto& gate_name : gate_names()) {
    if (!wanted.contains(gate_name)) continue;
    PlannedGate gate;
    gate.name = gate_name;
    std::set<std::string> required_here;
    for (const auto& requirement : config.requirements) {
      if (find_requirement(requirement.name)->gate != gate_name) continue;
      gate.requirements.push_back(requirement.name);
      if (requirement.required) {
        gate.required = true;
        required_here.insert(requirement.name);
      }
    }
    const GateConfig* gate_config = config.gate(gate_name);
    std::set<std::string> explicitly_judged;
    if (gate_config != nullptr) {
      for (const auto& step : gate_config->steps) {
        StepSpec spec;
        spec.gate = gate_name;
        spec.name = step.name;
        spec.command = step.run;
        spec.cwd = config.module_dir;
        spec.timeout = step.timeout;
        spec.grace = step.grace;
        spec.retry = step.retry;
        spec.exclusive = gate_config->exclusive;
        const fs::path step_dir = context.run_dir / file_safe(gate_name) / file_safe(step.name);
        spec.log_path = step_dir.string() + ".log";
        spec.out_dir = step_dir;
        spec.environment = context.environment;
        spec.environment.push_back("QGATE_OUT=" + step_dir.string());
        spec.environment.push_back("QGATE_MODULE_ID=" + config.module.id);
        spec.environment.push_back("QGATE_MODULE_PATH=" + config.module_dir.string());
        spec.environment.push_back("QGATE_RUN_ID=" + context.run_id);
        spec.environment.push_back("QGATE_GATE=" + gate_name);
        spec.environment.push_back("QGATE_STEP=" + step.name);
        for (const auto& [name, value] : step.env) spec.environment.push_back(name + "=" + value);
        std::vector<std::string> judged =
            step.requirements.empty() ? gate.requirements : step.requirements;
        for (const auto& name : step.requirements) explicitly_judged.insert(name);
        spec.required = std::any_of(judged.begin(), judged.end(), [&](const std::string& name) {
          return required_here.contains(name);
        });
        gate.steps.push_back(plan.steps.size());
        plan.steps.push_back(std::move(spec));
        needs.push_back(step.needs);
        plan.step_requirements.push_back(std::move(judged));
      }
    }
    for (const auto& name : gate.requirements) {
      if (builtin_check_runs(name, explicitly_judged.contains(name))) {
        plan.builtin_requirements.push_back(name);
      }
    }
    plan.gates.push_back(std::move(gate));
  }
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    for (const StepRef& need : needs[i]) {
      for (std::size_t j = 0; j < plan.steps.size(); ++j) {
        if (plan.steps[j].gate == need.gate && plan.steps[j].name == need.step) {
          plan.steps[i].needs.push_back(j);
        }
      }
    }
  }
  return plan;
}

std::vector<ReportGroup> group_reports(const GateConfig& gate) {
  std::vector<ReportGroup> groups;
  for (const ReportConfig& report : gate.reports) {
    std::vector<std::string> judged = report.requirements;
    std::sort(judged.begin(), judged.end());
    judged.erase(std::unique(judged.begin(), judged.end()), judged.end());
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const ReportGroup& g) { return g.requirements == judged; });
    if (it == groups.end()) {
      ReportGroup group{judged, gate};
      group.gate.reports.clear();
      groups.push_back(std::move(group));
      it = std::prev(groups.end());
    }
    it->gate.reports.push_back(report);
  }
  return groups;
}

GateResult judge_gate(const PlannedGate& gate, const std::vector<StepResult>& step_results,
                      const BuiltinOutcomes& builtins, const ReportOutcomes& reports) {
  GateResult result;
  result.name = gate.name;
  result.required = gate.required;
  std::vector<Status> statuses;
  int failed_steps = 0;
  for (std::size_t index : gate.steps) {
    const StepResult& step = step_results[index];
    result.steps.push_back(step);
    result.duration_s = std::max(result.duration_s, step.duration_s);
    statuses.push_back(counted(step));
    if (is_failure(counted(step))) ++failed_steps;
  }
  int failed_checks = 0;
  int checks = 0;
  for (const auto& name : gate.requirements) {
    auto it = builtins.find(name);
    if (it == builtins.end()) continue;
    ++checks;
    statuses.push_back(it->second.status);
    if (is_failure(it->second.status)) ++failed_checks;
    result.findings.insert(result.findings.end(), it->second.findings.begin(),
                           it->second.findings.end());
  }
  const auto report = reports.find(gate.name);
  bool reports_failed = false;
  if (report != reports.end()) {
    for (const ReportOutcome& group : report->second) {
      statuses.push_back(group.outcome.status);
      reports_failed = reports_failed || is_failure(group.outcome.status);
      result.findings.insert(result.findings.end(), group.outcome.findings.begin(),
                             group.outcome.findings.end());
    }
  }
  if (statuses.empty()) {
    const bool review = gate.name == "review";
    result.status = review ? Status::skipped : Status::not_configured;
    result.message =
        review ? "needs GitHub: judged on the pull request" : "no check configured for this gate";
    return result;
  }
  result.status = combine(statuses);
  std::string message;
  if (!gate.steps.empty()) {
    message = std::to_string(gate.steps.size() - static_cast<std::size_t>(failed_steps)) + "/" +
              std::to_string(gate.steps.size()) + " steps passed";
  }
  if (checks > 0) {
    if (!message.empty()) message += ", ";
    message += std::to_string(checks - failed_checks) + "/" + std::to_string(checks) +
               " built-in checks passed";
  }
  if (report != reports.end()) {
    if (!message.empty()) message += ", ";
    message += "reports " + std::string(reports_failed ? "failed" : "passed");
  }
  result.message = message;
  return result;
}

std::vector<RequirementResult> judge_requirements(const Config& config, const RunPlan& plan,
                                                  const std::vector<StepResult>& step_results,
                                                  const BuiltinOutcomes& builtins,
                                                  const ReportOutcomes& reports) {
  std::vector<RequirementResult> out;
  for (const auto& requirement : config.requirements) {
    const RequirementInfo* info = find_requirement(requirement.name);
    RequirementResult result;
    result.name = requirement.name;
    result.category = requirement.category;
    result.gate = std::string(info->gate);
    result.required = requirement.required;

    std::vector<Status> statuses;
    std::vector<std::string> failures;
    std::vector<std::string> passes;
    for (std::size_t i = 0; i < plan.steps.size(); ++i) {
      if (!names(plan.step_requirements[i], requirement.name)) continue;
      const StepResult& step = step_results[i];
      statuses.push_back(counted(step));
      (is_failure(counted(step)) ? failures : passes).push_back(step_phrase(step));
    }
    // A built-in check is planned unless a step naming the requirement
    // replaces it (see builtin_check_runs).
    if (names(plan.builtin_requirements, requirement.name)) {
      if (auto it = builtins.find(requirement.name); it != builtins.end()) {
        statuses.push_back(it->second.status);
        if (it->second.status == Status::skipped) {
          // A check turned off is said whatever the other sources decide.
          failures.push_back(it->second.message);
          passes.push_back(it->second.message);
        } else {
          (is_failure(it->second.status) ? failures : passes).push_back(it->second.message);
        }
      }
    }
    // A report counts for the requirements it judges: those it or its step
    // names, else every requirement of its gate.
    if (auto it = reports.find(result.gate); it != reports.end()) {
      for (const ReportOutcome& group : it->second) {
        if (!group.requirements.empty() && !names(group.requirements, requirement.name)) continue;
        statuses.push_back(group.outcome.status);
        (is_failure(group.outcome.status) ? failures : passes).push_back(group.outcome.message);
      }
    }
    if (statuses.empty()) {
      if (requirement.name == "code_review_approved") {
        result.status = Status::skipped;
        result.message = "skipped (needs GitHub): approvals are read from the pull request";
      } else {
        result.status = Status::not_configured;
        result.message =
            "not configured: qgate has no built-in check for it yet; add a step "
            "under gates." +
            result.gate + ".steps with `requirements: [" + requirement.name + "]`";
      }
    } else {
      result.status = combine(statuses);
      const auto& reasons = is_failure(result.status) ? failures : passes;
      std::string message;
      for (const auto& reason : reasons) message += (message.empty() ? "" : "; ") + reason;
      result.message = message;
    }
    out.push_back(std::move(result));
  }
  return out;
}

int exit_code_for(const std::vector<RequirementResult>& requirements) {
  for (const auto& requirement : requirements) {
    if (requirement.required && is_failure(requirement.status)) return 1;
  }
  return 0;
}

}  // namespace qgate
