#include "runner/run_check.hpp"

#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "reporters/console.hpp"
#include "runner/config.hpp"
#include "runner/git_info.hpp"
#include "runner/run_plan.hpp"
#include "runner/store.hpp"
#include "runner/version.hpp"

extern char** environ;

namespace qgate {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> current_environment() {
  std::vector<std::string> environment;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    environment.emplace_back(*entry);
  }
  return environment;
}

// Masks secrets in every text of `run`, so nothing printed or stored by the
// reporters and the store can hold one.
void mask_run(RunResult& run, const SecretMasker& masker) {
  if (masker.empty()) return;
  auto m = [&](std::string& text) { text = masker.mask(text); };
  for (auto& requirement : run.requirements) m(requirement.message);
  for (auto& gate : run.gates) {
    m(gate.message);
    for (auto& step : gate.steps) {
      m(step.command);
      m(step.message);
      m(step.tail);
    }
    for (auto& finding : gate.findings) {
      m(finding.message);
      m(finding.file);
    }
  }
}

// Records the gates as they finish and forwards progress to the console.
class RunRecorder : public SchedulerObserver {
 public:
  RunRecorder(const RunPlan& plan, const BuiltinOutcomes& builtins, const SecretMasker& masker,
              RunResult& run, Store& store, ConsoleReporter& console)
      : plan_(plan),
        builtins_(builtins),
        masker_(masker),
        run_(run),
        store_(store),
        console_(console),
        results_(plan.steps.size()),
        remaining_(plan.gates.size()) {
    for (std::size_t g = 0; g < plan.gates.size(); ++g) {
      remaining_[g] = plan.gates[g].steps.size();
      if (remaining_[g] == 0) record(g);
    }
  }

  void step_started(std::size_t index, const StepSpec& step) override {
    console_.step_started(index, step);
  }

  void step_finished(std::size_t index, const StepSpec& step, const StepResult& result) override {
    results_[index] = result;
    console_.step_finished(index, step, result);
    for (std::size_t g = 0; g < plan_.gates.size(); ++g) {
      if (plan_.gates[g].name == step.gate && --remaining_[g] == 0) record(g);
    }
  }

  void tick() override { console_.tick(); }

  const std::vector<StepResult>& results() const { return results_; }

 private:
  void record(std::size_t g) {
    GateResult gate = judge_gate(plan_.gates[g], results_, builtins_);
    RunResult masked;
    masked.gates.push_back(std::move(gate));
    mask_run(masked, masker_);
    run_.gates.push_back(masked.gates.front());
    store_.record_gate(run_.id, run_.gates.back());
  }

  const RunPlan& plan_;
  const BuiltinOutcomes& builtins_;
  const SecretMasker& masker_;
  RunResult& run_;
  Store& store_;
  ConsoleReporter& console_;
  std::vector<StepResult> results_;
  std::vector<std::size_t> remaining_;
};

int default_jobs() {
  const unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 2 : static_cast<int>(cores);
}

}  // namespace

int run_check(const CheckOptions& options, std::ostream& out, std::ostream& err) {
  const auto started = std::chrono::steady_clock::now();
  Config config;
  const fs::path stamp_dir = options.state_dir.empty()
                                 ? fs::absolute(options.config_path).parent_path() / ".qgate"
                                 : fs::absolute(options.state_dir);
  try {
    config = load_config(options.config_path, stamp_dir / "config-validated");
  } catch (const ConfigError& error) {
    for (const auto& diagnostic : error.diagnostics()) err << format_diagnostic(diagnostic) << "\n";
    return kExitUsage;
  }

  const std::vector<std::string> environment = current_environment();
  std::vector<std::string> patterns = default_secret_patterns();
  patterns.insert(patterns.end(), config.secret_env.begin(), config.secret_env.end());
  const SecretMasker masker(secret_values(environment, patterns));

  const fs::path state_dir =
      options.state_dir.empty() ? config.module_dir / ".qgate" : fs::absolute(options.state_dir);

  RunResult run;
  run.id = new_run_id();
  run.module_id = config.module.id;
  run.module_name = config.module.name;
  run.module_path = config.module_dir.string();
  run.config_path = config.path.string();
  run.trigger = options.trigger;
  run.qgate_version = kVersion;
  const GitInfo git = read_git_info(config.module_dir);
  run.commit_sha = git.commit_sha;
  run.ref = git.ref;
  run.started_at = utc_now_iso8601();
  run.status = Status::running;

  std::unique_ptr<Store> store;
  try {
    store = open_sqlite_store(state_dir / "qgate.db");
    store->reap_interrupted();
    store->begin_run(run);
  } catch (const StoreError& error) {
    err << "qgate: cannot record results: " << error.what() << "\n";
    return kExitInternal;
  }

  PlanContext context{state_dir / "runs" / run.id, environment, run.id};
  const RunPlan plan = make_plan(config, context);
  const int jobs = options.jobs > 0 ? options.jobs : default_jobs();

  const bool live = !options.ci && is_ansi_terminal(STDOUT_FILENO);
  ConsoleReporter console(
      out, live ? ConsoleMode::live : ConsoleMode::plain,
      live && options.color && std::getenv("NO_COLOR") == nullptr ? Color::on : Color::off);
  std::vector<std::pair<std::string, int>> gate_steps;
  for (const auto& gate : plan.gates) {
    gate_steps.emplace_back(gate.name, static_cast<int>(gate.steps.size()));
  }
  console.begin(run, gate_steps, jobs);

  // Built-in checks are quick file reads: they run first, in this thread, so
  // that no thread is alive while children are forked.
  BuiltinOutcomes builtins;
  for (const auto& requirement : plan.builtin_requirements) {
    CheckContext check;
    check.module_dir = config.module_dir;
    check.module_id = config.module.id;
    check.requirement = requirement;
    check.base_ref = options.base_ref.empty() ? config.base_ref : options.base_ref;
    std::string gate_name;
    for (const auto& gate : plan.gates) {
      for (const auto& name : gate.requirements) {
        if (name == requirement) gate_name = gate.name;
      }
    }
    if (const GateConfig* gate = config.gate(gate_name)) check.options = gate->options;
    CheckOutcome outcome;
    try {
      outcome = find_builtin_check(requirement)(check);
    } catch (const std::exception& error) {
      outcome.status = Status::error;
      outcome.message = std::string("check failed: ") + error.what();
    }
    outcome.message = masker.mask(outcome.message);
    for (auto& finding : outcome.findings) {
      finding.requirement = requirement;
      finding.message = masker.mask(finding.message);
    }
    console.check_finished(gate_name, requirement, outcome);
    builtins.emplace(requirement, std::move(outcome));
  }

  try {
    SchedulerOptions scheduler_options;
    scheduler_options.jobs = jobs;
    scheduler_options.fail_fast = options.fail_fast;
    RunRecorder recorder(plan, builtins, masker, run, *store, console);
    const ScheduleOutcome outcome = run_steps(plan.steps, scheduler_options, masker, &recorder);

    run.requirements = judge_requirements(config, plan, outcome.results, builtins);
    mask_run(run, masker);
    run.finished_at = utc_now_iso8601();
    run.duration_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    run.exit_code = outcome.cancelled ? kExitCancelled : exit_code_for(run.requirements);
    run.status = outcome.cancelled    ? Status::cancelled
                 : run.exit_code == 0 ? Status::passed
                                      : Status::failed;
    store->finish_run(run);
  } catch (const StoreError& error) {
    err << "qgate: cannot record results: " << error.what() << "\n";
    return kExitInternal;
  }

  int exit_code = run.exit_code;
  for (const auto& [format, path] : options.reports) {
    try {
      write_report_file(format, run, path);
    } catch (const std::exception& error) {
      err << "qgate: " << error.what() << "\n";
      exit_code = exit_code == kExitPassed ? kExitInternal : exit_code;
    }
  }
  console.summary(run);
  return exit_code;
}

}  // namespace qgate
