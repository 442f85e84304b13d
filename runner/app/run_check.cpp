#include "runner/app/run_check.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <optional>
#include <thread>

#include "gates/report_checks.hpp"
#include "reporters/console.hpp"
#include "reporters/github_actions.hpp"
#include "runner/app/gate_reference.hpp"
#include "runner/app/log_retention.hpp"
#include "runner/config/load_config.hpp"
#include "runner/core/result_text.hpp"
#include "runner/core/run_plan.hpp"
#include "runner/core/version.hpp"
#include "runner/git/git_info.hpp"
#include "runner/github/github_run.hpp"
#include "runner/store/spooling_store.hpp"
#include "runner/store/store.hpp"
#include "runner/sys/process_tree.hpp"

extern char** environ;

namespace qgate {
namespace {

namespace fs = std::filesystem;

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

std::vector<std::string> current_environment() {
  std::vector<std::string> environment;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    environment.emplace_back(*entry);
  }
  return environment;
}

// Returns true if gate `gate` is judged against its baseline: findings in
// only-new mode, or benchmarks against the last passing run.
bool needs_baseline(const GateConfig& gate) {
  const auto& options = gate.options;
  if (options.value("only_new", false)) return true;
  if (options.contains("regression")) return options["regression"].value("enabled", true);
  return gate.name == "performance";
}

// Returns true if gate `gate` cannot be judged without its reference:
// only-new findings, or a limit on the drop of coverage.
bool needs_reference(const GateConfig& gate) {
  const auto& options = gate.options;
  if (options.value("only_new", false)) return true;
  return options.contains("coverage") && options["coverage"].is_object() &&
         options["coverage"].contains("max_drop");
}

// Records the gates as they finish and forwards progress to the console.
class RunRecorder : public SchedulerObserver {
 public:
  RunRecorder(const Config& config, const RunPlan& plan, const BuiltinOutcomes& builtins,
              const SecretMasker& masker, RunResult& run, Store& store, ConsoleReporter& console,
              std::string base_ref, StoreScope scope)
      : config_(config),
        plan_(plan),
        builtins_(builtins),
        masker_(masker),
        run_(run),
        store_(store),
        console_(console),
        base_ref_(base_ref),
        references_(config.module_dir, config.module.id, std::move(base_ref),
                    env_or_empty("GITHUB_BASE_REF"), scope),
        results_(plan.steps.size()),
        started_(plan.steps.size()),
        remaining_(plan.gates.size()) {
    for (std::size_t g = 0; g < plan.gates.size(); ++g) {
      remaining_[g] = plan.gates[g].steps.size();
      if (remaining_[g] == 0) record(g);
    }
  }

  void step_started(std::size_t index, const StepSpec& step) override {
    // Before the step is spawned: whatever it writes is stamped later.
    if (!started_[index]) started_[index] = report_clock_now();
    console_.step_started(index, step);
  }

  void step_finished(std::size_t index, const StepSpec& step, const StepResult& result) override {
    results_[index] = result;
    clean_texts(results_[index], masker_);
    console_.step_finished(index, step, results_[index]);
    for (std::size_t g = 0; g < plan_.gates.size(); ++g) {
      if (plan_.gates[g].name == step.gate && --remaining_[g] == 0) record(g);
    }
  }

  void tick() override {
    console_.tick();
    // Other machines take a run without news for two minutes for dead.
    const auto now = std::chrono::steady_clock::now();
    if (now - last_heartbeat_ > std::chrono::seconds(15)) {
      last_heartbeat_ = now;
      store_.heartbeat(run_.id);
    }
  }

  const std::vector<StepResult>& results() const { return results_; }
  const ReportOutcomes& reports() const { return reports_; }

 private:
  void record(std::size_t g) {
    const PlannedGate& planned = plan_.gates[g];
    std::vector<Metric> metrics;
    const GateConfig* config = config_.gate(planned.name);
    // Reports are read once the steps that write them are done, unless the
    // run was stopped (a cancelled step wrote nothing to judge).
    const bool stopped =
        std::any_of(planned.steps.begin(), planned.steps.end(),
                    [&](std::size_t i) { return results_[i].status == Status::cancelled; });
    bool reports_read = false;
    if (config != nullptr && !config->reports.empty() && !stopped) {
      ReportContext context;
      context.base_ref = base_ref_;
      if (config_.max_report_bytes) context.max_report_bytes = *config_.max_report_bytes;
      context.step_started.emplace();
      for (std::size_t i : planned.steps) {
        if (started_[i]) context.step_started->emplace(plan_.steps[i].name, *started_[i]);
      }
      std::string baseline_problem;
      std::string reference_problem;
      try {
        context.baseline = store_.gate_baseline(config_.module.id, planned.name);
      } catch (const StoreError& error) {
        baseline_problem = error.what();
      }
      context.earlier_runs = [this, &planned](int count) {
        return store_.gate_baselines(config_.module.id, planned.name, count);
      };
      try {
        context.reference = references_.choose(store_, planned.name);
      } catch (const StoreError& error) {
        reference_problem =
            std::string("the baseline could not be read from the store: ") + error.what();
      } catch (const std::runtime_error& error) {
        reference_problem = std::string("the baseline file could not be read: ") + error.what();
      }
      // Each report judges only the requirements it belongs to: the reports
      // of one set of requirements are judged together.
      reports_read = true;
      std::vector<ReportOutcome>& outcomes = reports_[planned.name];
      const std::vector<ReportGroup> groups = group_reports(*config);
      context.all_reports = groups.size() == 1;
      bool thresholds_judged = false;
      bool patch_judged = false;
      for (const ReportGroup& group : groups) {
        ReportVerdict verdict = judge_reports(group.gate, config_.module_dir, context);
        thresholds_judged = thresholds_judged || verdict.thresholds_judged;
        patch_judged = patch_judged || verdict.patch_judged;
        if (!baseline_problem.empty() && needs_baseline(*config)) {
          // Judged without its baseline, every finding would look new (or none).
          verdict.outcome.status = Status::error;
          verdict.outcome.message =
              "the baseline could not be read from the store: " + baseline_problem;
        } else if (!reference_problem.empty() && needs_reference(*config)) {
          verdict.outcome.status = Status::error;
          verdict.outcome.message = reference_problem;
        }
        reports_read = reports_read && verdict.outcome.status != Status::error;
        metrics.insert(metrics.end(), verdict.metrics.begin(), verdict.metrics.end());
        if (group.requirements.size() == 1) {
          for (Finding& finding : verdict.outcome.findings) {
            finding.requirement = group.requirements.front();
          }
        }
        outcomes.push_back({group.requirements, std::move(verdict.outcome)});
      }
      // A gate-wide check that no group of reports could judge is not
      // skipped: it fails every requirement of the gate.
      const auto unjudged = [&](const std::string& text) {
        reports_read = false;
        outcomes.push_back({{}, {Status::error, text, {}}});
      };
      if (groups.size() > 1 && config->options.contains("thresholds") && !thresholds_judged) {
        unjudged("thresholds: no benchmark report among the gate's reports");
      }
      const auto coverage = config->options.find("coverage");
      if (groups.size() > 1 && !patch_judged && coverage != config->options.end() &&
          coverage->is_object() && coverage->contains("patch_min_lines")) {
        unjudged("patch coverage: the gate has no coverage report to measure the change with");
      }
    }
    GateResult gate = judge_gate(planned, results_, builtins_, reports_);
    gate.metrics.insert(gate.metrics.end(), metrics.begin(), metrics.end());
    // A later run may compare with this one when its findings are the state
    // of the code, not a verdict: read whole, and judged on every finding (a
    // failed only-new run held new findings nobody accepted).
    const bool only_new = config != nullptr && config->options.value("only_new", false);
    const bool has_reports = config != nullptr && !config->reports.empty();
    gate.baseline_eligible = has_reports
                                 ? reports_read && (gate.status == Status::passed || !only_new)
                                 : gate.status == Status::passed;
    // Whatever field a step's or a report's text landed in (a rule id, a
    // fingerprint, a benchmark's name), it is masked before anything prints,
    // stores or sends it.
    clean_texts(gate, masker_);
    run_.gates.push_back(std::move(gate));
    store_.record_gate(run_.id, run_.gates.back());
  }

  const Config& config_;
  const RunPlan& plan_;
  const BuiltinOutcomes& builtins_;
  ReportOutcomes reports_;  // the report verdicts of each gate that has reports
  const SecretMasker& masker_;
  RunResult& run_;
  Store& store_;
  ConsoleReporter& console_;
  std::string base_ref_;
  ReferenceChooser references_;
  std::vector<StepResult> results_;
  // When each step first started (retries start again), for the reports'
  // freshness.
  std::vector<std::optional<std::chrono::system_clock::time_point>> started_;
  std::vector<std::size_t> remaining_;
  std::chrono::steady_clock::time_point last_heartbeat_ = std::chrono::steady_clock::now();
};

constexpr int kCancelSignals[] = {SIGINT, SIGTERM, SIGHUP};

extern "C" void exit_cancelled(int) {
  static const char message[] = "qgate: cancelled before the run was recorded\n";
  if (::write(STDERR_FILENO, message, sizeof message - 1) < 0) {
    // Nothing more can be said.
  }
  ::_exit(kExitCancelled);
}

// While it lives, SIGINT, SIGTERM and SIGHUP end qgate at once with the
// cancel code (130) instead of the signal's default (143 for SIGTERM).
class ExitOnCancel {
 public:
  ExitOnCancel() {
    struct sigaction action {};
    action.sa_handler = exit_cancelled;
    sigemptyset(&action.sa_mask);
    for (std::size_t i = 0; i < std::size(kCancelSignals); ++i) {
      sigaction(kCancelSignals[i], &action, &old_[i]);
    }
  }
  ~ExitOnCancel() {
    for (std::size_t i = 0; i < std::size(kCancelSignals); ++i) {
      sigaction(kCancelSignals[i], &old_[i], nullptr);
    }
  }
  ExitOnCancel(const ExitOnCancel&) = delete;
  ExitOnCancel& operator=(const ExitOnCancel&) = delete;

 private:
  struct sigaction old_[std::size(kCancelSignals)]{};
};

RetryBudget retry_budget_from_environment() {
  RetryBudget budget;
  if (const char* seconds = std::getenv("QGATE_DB_RETRY_SECONDS")) {
    budget.total =
        std::chrono::milliseconds(static_cast<long long>(std::max(0.0, std::atof(seconds)) * 1000));
  }
  return budget;
}

// Ends a `qgate check` that gave no verdict with `exit_code` (2 or 3): says
// why on stderr and, with --ci github, to the Actions step too (annotations,
// step summary, outputs), which would otherwise be left empty.
int end_unjudged(const CheckOptions& options, int exit_code,
                 const std::vector<ActionsProblem>& problems, std::ostream& out,
                 std::ostream& err) {
  for (const ActionsProblem& problem : problems) {
    if (problem.file.empty()) {
      err << "qgate: " << problem.message << "\n";
    } else {
      err << format_diagnostic({problem.file, problem.line, problem.column, problem.message})
          << "\n";
    }
  }
  if (options.github_actions) report_unjudged_run(exit_code, problems, actions_environment(), out);
  return exit_code;
}

// Finds the checkout the run is recorded against: the one named, else the
// module's active one. Returns an exit code, 0 to go on, with what is wrong
// in `problem`.
int resolve_checkout(const CheckOptions& options, const Config& config, Store& store,
                     RunResult& run, std::ostream& out, std::string& problem) {
  CheckoutDirectory* checkouts = store.checkouts();
  if (checkouts == nullptr) {
    // SQLite holds no checkout tables: a named checkout is recorded as given.
    run.checkout_id = options.checkout_id;
    return 0;
  }
  if (!options.checkout_id.empty()) {
    const auto checkout = checkouts->find_checkout(options.checkout_id);
    if (!checkout) {
      problem = "--checkout " + options.checkout_id + ": no such checkout in module_checkouts";
      return kExitUsage;
    }
    if (checkout->module_id != config.module.id) {
      problem = "--checkout " + options.checkout_id + " is a checkout of module " +
                checkout->module_id + ", not of " + config.module.id;
      return kExitUsage;
    }
    run.checkout_id = checkout->id;
    return 0;
  }
  if (const auto active = checkouts->active_checkout(config.module.id)) {
    run.checkout_id = active->id;
    out << "qgate: recording against checkout " << active->id << " of " << active->checked_out_by
        << "\n";
  } else {
    out << "qgate: module " << config.module.id
        << " has no active checkout: the run is recorded without one\n";
  }
  return 0;
}

// On a run whose every other required requirement passed, records a
// notification for each active checkout of a module depending on this one
// (PostgreSQL) or for each such module (the embedded store), and gives
// dependent_modules_notified its verdict.
void notify_dependents(const Config& config, Store& store, RunResult& run) {
  auto it = std::find_if(
      run.requirements.begin(), run.requirements.end(),
      [](const RequirementResult& r) { return r.name == "dependent_modules_notified"; });
  RequirementResult* requirement = it == run.requirements.end() ? nullptr : &*it;
  bool others_passed = true;
  for (const auto& r : run.requirements) {
    if (&r != requirement && r.required && is_failure(r.status)) others_passed = false;
  }
  CheckoutDirectory* checkouts = store.checkouts();
  if (checkouts == nullptr && config.registry.empty()) {
    if (requirement != nullptr) {
      requirement->status = Status::failed;
      requirement->message =
          "no module registry to find the dependent modules in: set module.registry to the "
          "checkout system's modules.yaml";
    }
    return;
  }
  if (!others_passed) {
    if (requirement != nullptr) {
      requirement->status = Status::skipped;
      requirement->message = "not notified: other required requirements failed";
    }
    return;
  }
  if (checkouts == nullptr) {
    // The embedded store has no checkouts: the notice names the module.
    auto dependents = config.dependents();
    std::sort(dependents.begin(), dependents.end());
    store.notify_dependent_modules(run, dependents);
    if (requirement == nullptr) return;
    requirement->status = Status::passed;
    if (dependents.empty()) {
      requirement->message = "no module of the registry depends on " + config.module.id;
      return;
    }
    std::string list;
    for (const auto& module : dependents) list += (list.empty() ? "" : ", ") + module;
    requirement->message = "completion notice recorded for " + std::to_string(dependents.size()) +
                           " dependent module" + (dependents.size() == 1 ? "" : "s") + ": " + list +
                           " (in the embedded store; with PostgreSQL, their active checkouts "
                           "are notified)";
    return;
  }
  const auto notified = checkouts->notify_dependents(run, config.dependents());
  if (requirement == nullptr) return;
  requirement->status = Status::passed;
  if (notified.empty()) {
    requirement->message = "no module depending on " + config.module.id +
                           " has an active checkout (or all were notified of this run already)";
    return;
  }
  std::string list;
  for (const auto& checkout : notified) {
    list += (list.empty() ? "" : ", ") + checkout.module_id + " (" + checkout.checked_out_by + ")";
  }
  requirement->message = "notified " + std::to_string(notified.size()) + " active checkout" +
                         (notified.size() == 1 ? "" : "s") + ": " + list;
}

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
    std::vector<ActionsProblem> problems;
    for (const auto& d : error.diagnostics()) {
      problems.push_back({d.message, d.file, d.line, d.column});
    }
    return end_unjudged(options, kExitUsage, problems, out, err);
  }

  std::unique_ptr<GithubRun> github;
  try {
    github = GithubRun::prepare(config, options.open_pr);
  } catch (const GithubSetupError& error) {
    return end_unjudged(options, kExitUsage,
                        {ActionsProblem::unplaced(std::string("github: ") + error.what())}, out,
                        err);
  }

  const std::vector<std::string> environment = current_environment();
  std::vector<std::string> patterns = default_secret_patterns();
  patterns.insert(patterns.end(), config.secret_env.begin(), config.secret_env.end());
  std::vector<std::string> secrets = secret_values(environment, patterns);
  if (github) {
    for (auto& secret : github->secrets()) secrets.push_back(std::move(secret));
  }
  const SecretMasker masker(std::move(secrets));
  // The runner hides these values in everything the job prints from now on.
  if (options.github_actions) print_masks(masker.secrets(), out);

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

  // The store: SQLite under .qgate/, or PostgreSQL, whose outages are
  // retried and then spooled under .qgate/spool/ (see spooling_store.hpp).
  const std::string url = options.database_url;
  const RetryBudget budget = retry_budget_from_environment();
  // Until the run is recorded, nothing needs undoing: a cancel ends qgate at
  // once, even in a wait for the database.
  std::optional<ExitOnCancel> exit_on_cancel(std::in_place);
  auto store = std::make_unique<SpoolingStore>(
      [url, budget, db = state_dir / "qgate.db", &out,
       said = false]() mutable -> std::unique_ptr<Store> {
        if (url.empty()) return open_sqlite_store(db);
        if (!said) {
          // One attempt first: the line below is for a database that is
          // not there yet.
          RetryBudget once = budget;
          once.total = std::chrono::milliseconds(0);
          try {
            return open_postgres_store(url, once);
          } catch (const StoreError& error) {
            if (!error.unavailable() || budget.total.count() == 0) throw;
          }
          said = true;
          out << "qgate: waiting up to " << budget.total.count() / 1000.0
              << " s for the database at " << redact_database_url(url)
              << " (QGATE_DB_RETRY_SECONDS)" << std::endl;
        }
        return open_postgres_store(url, budget);
      },
      state_dir / "spool");
  try {
    if (const int replayed = store->replay_pending(); replayed > 0) {
      out << "qgate: recorded " << replayed << " earlier run(s) kept while the database was away\n";
    }
    for (const auto& aside : store->refused_earlier()) {
      err << "qgate: " << store->last_problem() << "\nqgate: the store refused the results kept in "
          << aside.string() << "; they are set aside there (a qgate bug: please report it)\n";
    }
    store->reap_interrupted();
    std::string problem;
    if (const int code = resolve_checkout(options, config, *store, run, out, problem); code != 0) {
      return end_unjudged(options, code, {ActionsProblem::unplaced(problem)}, out, err);
    }
    clean_texts(run, masker);  // paths, refs and names: printed and stored as the rest
    store->begin_run(run);
    exit_on_cancel.reset();
  } catch (const StoreError& error) {
    return end_unjudged(
        options, kExitInternal,
        {ActionsProblem::unplaced(std::string("cannot record results: ") + error.what())}, out,
        err);
  }

  // Marked and locked while the run lasts, so that pruning spares it.
  const RunFolder run_folder(state_dir / "runs", run.id, config.module.id);
  PlanContext context{state_dir / "runs" / run.id, environment, run.id};
  const RunPlan plan = make_plan(config, context);
  if (github) {
    std::vector<std::string> gate_names;
    for (const auto& gate : plan.gates) gate_names.push_back(gate.name);
    github->run_started(run, gate_names, *store, context.run_dir);
  }
  const int jobs = options.jobs > 0 ? options.jobs : default_jobs();

  const bool live = !options.ci && is_ansi_terminal(STDOUT_FILENO);
  // With --ci github, what the console quotes of the steps (a failed step's
  // last lines, finding messages) must not reach the runner as commands.
  std::optional<InertOutput> inert;
  if (options.github_actions) inert.emplace(out);
  ConsoleReporter console(
      inert ? inert->stream() : out, live ? ConsoleMode::live : ConsoleMode::plain,
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
    check.config_file = options.config_path.string();
    if (const GateConfig* gate = config.gate(gate_name)) {
      check.options = gate->options;
      check.option_lines = gate->option_lines;
    }
    CheckOutcome outcome;
    try {
      outcome = find_builtin_check(requirement)(check);
    } catch (const std::exception& error) {
      outcome.status = Status::error;
      outcome.message = std::string("check failed: ") + error.what();
    }
    clean_texts(outcome, masker);
    for (auto& finding : outcome.findings) finding.requirement = requirement;
    console.check_finished(gate_name, requirement, outcome);
    builtins.emplace(requirement, std::move(outcome));
  }

  try {
    SchedulerOptions scheduler_options;
    scheduler_options.jobs = jobs;
    scheduler_options.fail_fast = options.fail_fast;
    RunRecorder recorder(config, plan, builtins, masker, run, *store, console,
                         options.base_ref.empty() ? config.base_ref : options.base_ref,
                         url.empty() ? StoreScope::this_checkout : StoreScope::shared);
    ScheduleOutcome outcome;
    {
      // Whatever the steps leave running goes when they are done, however
      // the run ends: as a child subreaper, qgate inherits their orphans.
      become_subreaper();
      struct LeftoverSweep {
        ~LeftoverSweep() { kill_leftovers(); }
      } sweep;
      // No thread runs here (the built-in checks are done): the guardian
      // can be forked. It goes before the sweep, which would kill it.
      scheduler_options.process_tag = "qgate-" + run.id;
      StepGuardian guardian(scheduler_options.process_tag);
      scheduler_options.guardian = &guardian;
      outcome = run_steps(plan.steps, scheduler_options, masker, &recorder);
    }

    run.requirements =
        judge_requirements(config, plan, outcome.results, builtins, recorder.reports());
    if (github) github->judge_review(run);
    clean_texts(run, masker);
    run.finished_at = utc_now_iso8601();
    run.duration_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (!outcome.cancelled) notify_dependents(config, *store, run);
    run.exit_code = outcome.cancelled ? kExitCancelled : exit_code_for(run.requirements);
    run.status = outcome.cancelled    ? Status::cancelled
                 : run.exit_code == 0 ? Status::passed
                                      : Status::failed;
    // GitHub before the run is written, so that the pull request's URL is too.
    if (github && !outcome.cancelled) github->run_finished(run);
    store->finish_run(run);
  } catch (const StoreError& error) {
    return end_unjudged(
        options, kExitInternal,
        {ActionsProblem::unplaced(std::string("cannot record results: ") + error.what())}, out,
        err);
  }
  // The logs of older runs go by the retention policy, once this run's are
  // complete.
  auto prune_logs = [&] {
    const PruneOutcome pruned = prune_run_logs(state_dir / "runs", config.logs);
    if (pruned.removed == 0) return;
    out << "qgate: removed the logs of " << pruned.removed << " older run"
        << (pruned.removed == 1 ? "" : "s") << " (" << (pruned.removed_bytes >> 20)
        << " MiB); settings.logs keeps " << config.logs.keep_runs << " per module within "
        << (config.logs.max_bytes >> 20) << " MiB\n";
  };

  int exit_code = run.exit_code;
  std::string failure;  // why qgate exits 3 although the gates passed
  // Why qgate exits 3 after a verdict, for the Actions step.
  std::vector<ActionsProblem> problems;
  // Results the store refused for what they hold (a qgate bug) are kept in a
  // file as those of a store that was away are, and said so.
  const auto refused = store->refused(run.id);
  const auto spool = refused ? refused : store->pending(run.id);
  const std::string kept =
      !spool    ? std::string()
      : refused ? "the store refused results of this run for what they hold, which is a qgate "
                  "bug (please report it); they are kept in " +
                      spool->string()
                : "the results of this run are kept in " + spool->string();
  if (spool) {
    exit_code = kExitInternal;
    problems.push_back(ActionsProblem::unplaced(
        store->last_problem() + "; " + kept +
        (refused ? std::string() : " until a qgate run reaches the database")));
  } else {
    for (const auto& [format, path] : options.reports) {
      try {
        write_report_file(format, run, path);
      } catch (const std::exception& error) {
        err << "qgate: " << error.what() << "\n";
        if (exit_code == kExitPassed) {
          failure = "the gates passed, but a report could not be written";
          exit_code = kExitInternal;
        }
        problems.push_back(ActionsProblem::unplaced(error.what()));
      }
    }
  }
  if (options.github_actions) {
    const ActionsEnvironment actions = actions_environment();
    print_log_groups(run, out);
    print_annotations(run, actions, out);
    std::string report_path;
    for (const auto& [format, path] : options.reports) {
      if (report_path.empty() || format == ReportFormat::markdown) report_path = path.string();
    }
    if (spool) report_path.clear();  // not written
    try {
      write_actions_files(run, actions, report_path, run.pr_url, exit_code);
    } catch (const std::exception& error) {
      err << "qgate: " << error.what() << "\n";
      if (exit_code == kExitPassed || exit_code == kExitInternal) {
        failure = "the gates passed, but the GitHub Actions files could not be written";
      }
      if (exit_code == kExitPassed) exit_code = kExitInternal;
      problems.push_back(ActionsProblem::unplaced(error.what()));
    }
    print_problem_annotations(problems, actions, out);
  }
  if (spool) {
    prune_logs();
    console.summary(run, "the results are not recorded yet: they are kept in " + spool->string());
    err << "qgate: " << store->last_problem() << "\nqgate: " << kept
        << (refused ? "" : " and will be recorded by the next qgate run that reaches the database")
        << "\n";
    return kExitInternal;
  }
  prune_logs();
  console.summary(run, failure);
  if (github) {
    github->notify(run);
    for (const auto& note : github->notes()) out << "qgate: " << note << "\n";
    for (const auto& problem : github->problems()) err << "qgate: " << problem << "\n";
  }
  return exit_code;
}

}  // namespace qgate
