#include "runner/app/baseline_cli.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <ostream>
#include <stdexcept>

#include "reporters/findings.hpp"
#include "reporters/reports.hpp"
#include "runner/app/gate_reference.hpp"
#include "runner/app/run_check.hpp"
#include "runner/config/baseline_file.hpp"
#include "runner/config/load_config.hpp"
#include "runner/core/requirements.hpp"
#include "runner/store/store.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;

// The findings `show` lists before saying how many more there are.
constexpr std::size_t kShownFindings = 20;

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// What every baseline subcommand needs: the module's configuration and store.
struct Session {
  Config config;
  std::unique_ptr<Store> store;
  std::optional<ReferenceChooser> chooser;
};

// Loads the configuration and opens the store; returns an exit code on failure.
std::optional<int> open_session(Session& session, const std::string& config_path,
                                const std::string& state_dir, const std::string& url,
                                const std::string& base_ref, BaselineFileUse file_use,
                                std::ostream& err) {
  try {
    session.config = load_config(config_path);
  } catch (const ConfigError& error) {
    for (const auto& diagnostic : error.diagnostics()) err << format_diagnostic(diagnostic) << "\n";
    return kExitUsage;
  }
  const Config& config = session.config;
  if (url.empty()) {
    const fs::path dir = state_dir.empty() ? config.module_dir / ".qgate" : fs::path(state_dir);
    const fs::path db = dir / "qgate.db";
    // Opening creates the file: `show` on a module never run still answers.
    session.store = open_sqlite_store(db);
  } else {
    session.store = open_postgres_store(url);
  }
  session.chooser.emplace(config.module_dir, config.module.id,
                          base_ref.empty() ? config.base_ref : base_ref,
                          env_or_empty("GITHUB_BASE_REF"),
                          url.empty() ? StoreScope::this_checkout : StoreScope::shared, file_use);
  return std::nullopt;
}

bool known_gate(const std::string& gate) {
  const auto& names = gate_names();
  return std::find(names.begin(), names.end(), gate) != names.end();
}

std::string describe_run(const RunResult& run) {
  return "run " + run.id.substr(0, 8) + " (" + std::string(to_string(run.status)) + ", started " +
         run.started_at +
         (run.commit_sha.empty() ? "" : ", commit " + run.commit_sha.substr(0, 12)) + ")";
}

}  // namespace

BaselineCommands::BaselineCommands(CLI::App& app, std::string& database_url)
    : database_url_(database_url) {
  const char* const url_help =
      "PostgreSQL store (default: $QGATE_DATABASE_URL, else SQLite in .qgate/)";
  baseline_ = app.add_subcommand(
      "baseline", "Show, accept, reset or export what only-new findings are compared with");
  baseline_->require_subcommand(1);
  baseline_->add_option("-c,--config", config_path_, "Configuration file")->capture_default_str();
  baseline_->add_option("--state-dir", state_dir_, "Where runs are recorded");
  baseline_->add_option("--database-url", database_url, url_help);
  baseline_->add_option("--base-ref", base_ref_, "Git ref the change is compared against");

  show_ = baseline_->add_subcommand("show", "Show the baseline the next run of GATE compares with");
  show_->add_option("gate", gate_, "Gate (documentation, test-coverage, lint, ...)")->required();
  accept_ = baseline_->add_subcommand(
      "accept", "Take the findings of GATE in the latest run (or --run) as its baseline");
  accept_->add_option("gate", gate_, "Gate")->required();
  accept_->add_option("--run", run_id_, "Run id or a unique prefix (default: the latest run)");
  reset_ = baseline_->add_subcommand(
      "reset", "Forget the recorded baselines of GATE: the next run compares with the change");
  reset_->add_option("gate", gate_, "Gate")->required();
  export_ = baseline_->add_subcommand(
      "export",
      "Write the recorded baselines to a file the team may commit (read before the store)");
  export_->add_option("gates", gates_, "Gates (default: every gate with reports)");
  export_->add_option(
      "-o,--output", output_,
      std::string("File to write (default: ") + kBaselineFileName + " beside the configuration)");
  for (CLI::App* sub : {show_, accept_, reset_, export_}) sub->fallthrough();
}

std::optional<int> BaselineCommands::run(std::ostream& out, std::ostream& err) {
  if (!*baseline_) return std::nullopt;
  if (!*export_ && !known_gate(gate_)) {
    err << "qgate baseline: unknown gate '" << gate_ << "'\n";
    return kExitUsage;
  }
  try {
    if (*show_) return show(out, err);
    if (*accept_) return accept(out, err);
    if (*reset_) return reset(out, err);
    return export_file(out, err);
  } catch (const StoreError&) {
    throw;  // reported as every command's store failure
  } catch (const std::runtime_error& error) {
    // A malformed baseline file, or one that cannot be written.
    err << "qgate baseline: " << error.what() << "\n";
    return kExitFailed;
  }
}

int BaselineCommands::show(std::ostream& out, std::ostream& err) {
  Session session;
  if (const auto code = open_session(session, config_path_, state_dir_, database_url_, base_ref_,
                                     BaselineFileUse::read, err)) {
    return *code;
  }
  const GateReference reference = session.chooser->choose(*session.store, gate_);
  if (!reference.baseline) {
    if (!reference.base_ref.empty()) {
      out << gate_ << ": no recorded baseline; findings on lines changed since "
          << reference.base_ref << " (merge-base "
          << session.chooser->base().merge_base.substr(0, 12) << ") are new\n";
    } else {
      out << gate_ << ": no recorded baseline, and " << reference.missing
          << ": every finding counts\n";
    }
    return kExitPassed;
  }
  const GateBaseline& baseline = *reference.baseline;
  out << gate_ << ": baseline " << baseline.source
      << (baseline.started_at.empty() ? "" : ", started " + baseline.started_at) << ": "
      << baseline.findings.size() << " findings ("
      << describe_counts(count_findings(baseline.findings)) << ")\n";
  for (const Metric& metric : baseline.metrics) {
    if (metric.name == "coverage.lines") {
      out << "  line coverage " << metric.value << "%\n";
      break;
    }
  }
  const auto shown = top_findings(baseline.findings, kShownFindings);
  for (const Finding* finding : shown) {
    const std::string location = location_of(*finding);
    out << "  " << to_string(finding->severity) << " " << finding->rule
        << (location.empty() ? "" : " " + location) << ": " << finding->message << "\n";
  }
  if (baseline.findings.size() > shown.size()) {
    out << "  ... and " << baseline.findings.size() - shown.size() << " more\n";
  }
  return kExitPassed;
}

int BaselineCommands::accept(std::ostream& out, std::ostream& err) {
  Session session;
  if (const auto code = open_session(session, config_path_, state_dir_, database_url_, base_ref_,
                                     BaselineFileUse::read, err)) {
    return *code;
  }
  const std::string& module = session.config.module.id;
  std::optional<RunResult> run;
  if (!run_id_.empty()) {
    run = session.store->load_run(run_id_);
    if (!run || run->module_id != module) {
      err << "qgate baseline accept: no run '" << run_id_ << "' of module " << module << "\n";
      return kExitUsage;
    }
  } else {
    // The latest finished run that judged the gate.
    for (const RunSummary& summary : session.store->list_runs({module, 50})) {
      if (summary.status == Status::running) continue;
      run = session.store->load_run(summary.id);
      if (run && baseline_of(run, gate_)) break;
      run.reset();
    }
  }
  const auto gate = baseline_of(run, gate_);
  if (!gate) {
    err << "qgate baseline accept: " << (run ? describe_run(*run) + " has" : "no recorded run has")
        << " gate " << gate_ << " of module " << module << "\n";
    return kExitFailed;
  }
  session.store->mark_baseline(module, gate_, run->id, BaselineMark::accept);
  out << gate_ << ": " << describe_run(*run) << " is the baseline now: " << gate->findings.size()
      << " findings (" << describe_counts(count_findings(gate->findings)) << ")\n";
  if (run->status == Status::running) out << "  (the run has not finished yet)\n";
  return kExitPassed;
}

int BaselineCommands::reset(std::ostream& out, std::ostream& err) {
  Session session;
  if (const auto code = open_session(session, config_path_, state_dir_, database_url_, base_ref_,
                                     BaselineFileUse::read, err)) {
    return *code;
  }
  const int changed =
      session.store->mark_baseline(session.config.module.id, gate_, "", BaselineMark::reset);
  out << gate_ << ": " << changed << " recorded run" << (changed == 1 ? " is" : "s are")
      << " no baseline any more; until a run is, findings on lines changed since the base ref "
         "are new\n";
  if (read_baseline_file(session.chooser->file_path()).count(gate_) > 0) {
    out << "  " << session.chooser->file_path().string() << " still holds a baseline of " << gate_
        << ", which comes first: remove it there too\n";
  }
  return kExitPassed;
}

int BaselineCommands::export_file(std::ostream& out, std::ostream& err) {
  Session session;
  if (const auto code = open_session(session, config_path_, state_dir_, database_url_, base_ref_,
                                     BaselineFileUse::ignore, err)) {
    return *code;
  }
  std::vector<std::string> gates = gates_;
  if (gates.empty()) {
    for (const GateConfig& gate : session.config.gates) {
      if (!gate.reports.empty()) gates.push_back(gate.name);
    }
  }
  std::map<std::string, GateBaseline> baselines;
  for (const std::string& gate : gates) {
    if (!known_gate(gate)) {
      err << "qgate baseline export: unknown gate '" << gate << "'\n";
      return kExitUsage;
    }
    GateReference reference = session.chooser->choose(*session.store, gate);
    if (!reference.baseline) {
      out << gate << ": no recorded baseline to export\n";
      continue;
    }
    out << gate << ": " << reference.baseline->findings.size() << " findings from "
        << reference.baseline->source << "\n";
    baselines.emplace(gate, std::move(*reference.baseline));
  }
  if (baselines.empty()) {
    err << "qgate baseline export: nothing to write (run qgate check, or qgate baseline accept "
           "GATE, first)\n";
    return kExitFailed;
  }
  const fs::path path = output_.empty() ? session.chooser->file_path() : fs::path(output_);
  write_file_atomically(path, render_baseline_file(session.config.module.id, baselines));
  out << "wrote " << path.string() << "\n";
  return kExitPassed;
}

}  // namespace qgate
