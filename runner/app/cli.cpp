#include "runner/app/cli.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iomanip>
#include <iostream>

#include "reporters/console.hpp"
#include "reporters/github_actions.hpp"
#include "reporters/reports.hpp"
#include "runner/app/baseline_cli.hpp"
#include "runner/app/log_retention.hpp"
#include "runner/app/run_check.hpp"
#include "runner/config/load_config.hpp"
#include "runner/core/duration.hpp"
#include "runner/core/version.hpp"
#include "runner/queue/run_queue_cli.hpp"
#include "runner/store/store.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;

// Finds the state folder for history/show: --state-dir, else the .qgate
// folder beside the configuration file.
fs::path state_dir_for(const std::string& state_dir, const std::string& config_path) {
  if (!state_dir.empty()) return state_dir;
  return fs::absolute(config_path).parent_path() / ".qgate";
}

// Opens the store history/show read: PostgreSQL at `url`, else the SQLite file.
std::unique_ptr<Store> open_existing_store(const std::string& url, const fs::path& state_dir,
                                           std::ostream& err) {
  if (!url.empty()) return open_postgres_store(url);
  const fs::path db = state_dir / "qgate.db";
  if (!fs::exists(db)) {
    err << "qgate: no runs recorded yet (" << db.string() << " does not exist)\n";
    return nullptr;
  }
  return open_sqlite_store(db);
}

int history(const std::string& url, const std::string& state_dir, const std::string& config_path,
            const std::string& module, int limit, std::ostream& out, std::ostream& err) {
  auto store = open_existing_store(url, state_dir_for(state_dir, config_path), err);
  if (!store) return kExitUsage;
  store->reap_interrupted();
  const auto runs = store->list_runs({module, limit});
  // Each column as wide as its widest value, two spaces apart: module ids
  // and durations have no fixed width.
  std::size_t module_width = std::string_view("MODULE").size();
  std::size_t duration_width = std::string_view("DURATION").size();
  for (const auto& run : runs) {
    module_width = std::max(module_width, run.module_id.size());
    duration_width = std::max(duration_width, format_seconds(run.duration_s).size());
  }
  out << std::left << std::setw(10) << "RUN" << std::setw(26) << "STARTED"
      << std::setw(static_cast<int>(module_width + 2)) << "MODULE" << std::setw(13) << "STATUS"
      << std::setw(static_cast<int>(duration_width + 2)) << "DURATION"
      << "GATES (passed/failed)\n";
  for (const auto& run : runs) {
    out << std::setw(10) << run.id.substr(0, 8) << std::setw(26) << run.started_at
        << std::setw(static_cast<int>(module_width + 2)) << run.module_id << std::setw(13)
        << to_string(run.status) << std::setw(static_cast<int>(duration_width + 2))
        << format_seconds(run.duration_s) << run.gates_passed << "/" << run.gates_failed << "\n";
  }
  if (runs.empty()) out << "(no runs)\n";
  return kExitPassed;
}

int show(const std::string& url, const std::string& state_dir, const std::string& config_path,
         const std::string& id, const std::string& format, std::ostream& out, std::ostream& err) {
  auto store = open_existing_store(url, state_dir_for(state_dir, config_path), err);
  if (!store) return kExitUsage;
  store->reap_interrupted();
  const auto run = store->load_run(id);
  if (!run) {
    err << "qgate: no run '" << id << "'\n";
    return kExitUsage;
  }
  if (format == "text") {
    out << "run " << run->id << " · module " << run->module_id << " · " << to_string(run->status)
        << " · started " << run->started_at << "\n";
    if (!run->checkout_id.empty()) out << "checkout " << run->checkout_id << "\n";
    if (!run->commit_sha.empty()) out << "commit " << run->commit_sha << " " << run->ref << "\n";
    const fs::path runs = state_dir_for(state_dir, config_path) / "runs";
    std::error_code ec;
    if (const auto when = pruned_at(runs, run->id)) {
      out << "logs: removed " << *when
          << " by the log retention policy (settings.logs); the results below are kept\n";
    } else if (fs::is_directory(runs / run->id, ec)) {
      out << "logs: " << (runs / run->id).string() << "\n";
    }
    for (const auto& gate : run->gates) {
      out << "  " << std::left << std::setw(15) << gate.name << std::setw(15)
          << to_string(gate.status) << gate.message << "\n";
      for (const auto& step : gate.steps) {
        out << "      " << std::setw(24) << step.name << std::setw(12) << to_string(step.status)
            << step.message << (step.flaky ? " (flaky)" : "") << "\n";
      }
    }
    ConsoleReporter console(out, ConsoleMode::plain, Color::off);
    console.summary(*run);
    return kExitPassed;
  }
  const auto parsed = report_format_from_string(format);
  if (!parsed) {
    err << "qgate: unknown format '" << format << "' (text, json, junit, markdown)\n";
    return kExitUsage;
  }
  out << render_report(*parsed, *run);
  return kExitPassed;
}

// Removes the run folders beyond the retention policy: the config's
// `settings.logs`, unless `keep_runs` or `max_megabytes` (0: not given) say
// otherwise.
int gc(const std::string& state_dir, const std::string& config_path, int keep_runs,
       std::uintmax_t max_megabytes, std::ostream& out, std::ostream& err) {
  LogRetention policy;
  fs::path dir = state_dir_for(state_dir, config_path);
  std::error_code ec;
  if (fs::exists(config_path, ec)) {
    try {
      const Config config = load_config(config_path);
      policy = config.logs;
      if (state_dir.empty()) dir = config.module_dir / ".qgate";
    } catch (const ConfigError& error) {
      for (const auto& diagnostic : error.diagnostics()) {
        err << format_diagnostic(diagnostic) << "\n";
      }
      return kExitUsage;
    }
  } else if (state_dir.empty()) {
    err << "qgate gc: no " << config_path
        << " here: name the configuration with --config or the state folder with --state-dir\n";
    return kExitUsage;
  }
  if (keep_runs > 0) policy.keep_runs = keep_runs;
  if (max_megabytes > 0) policy.max_bytes = max_megabytes << 20;
  const fs::path runs = dir / "runs";
  if (!fs::is_directory(runs, ec)) {
    out << "qgate: no run logs in " << runs.string() << "\n";
    return kExitPassed;
  }
  const PruneOutcome pruned = prune_run_logs(runs, policy);
  out << "qgate: removed the logs of " << pruned.removed << " run(s) ("
      << (pruned.removed_bytes >> 20) << " MiB); kept " << pruned.kept << " ("
      << (pruned.kept_bytes >> 20) << " MiB) in " << runs.string() << "\n";
  return kExitPassed;
}

// `qgate serve` and `qgate token` are the service's: qgate-server, beside
// this executable, links the HTTP and PostgreSQL libraries that every other
// command does without. Returns only if it cannot be started.
int hand_over_to_server(char** argv, std::ostream& err) {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  const fs::path server = self.parent_path() / "qgate-server";
  ::execv(server.c_str(), argv);
  err << "qgate " << argv[1] << ": cannot start " << server.string() << ": " << std::strerror(errno)
      << "\n";
  return kExitInternal;
}

// Returns true if the command line is `qgate check ... --ci github`: read
// before parsing, so that a command line CLI11 refuses still reaches the
// Actions step.
bool asks_for_github_actions(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "check") != 0) return false;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--ci=github") == 0) return true;
    if (std::strcmp(argv[i], "--ci") == 0 && i + 1 < argc &&
        std::strcmp(argv[i + 1], "github") == 0)
      return true;
  }
  return false;
}

// Ends `qgate check --ci github` that could not start with `exit_code`:
// `problem` on stderr and to the Actions step.
int check_not_started(int exit_code, const std::string& problem, std::ostream& out,
                      std::ostream& err) {
  err << "qgate: " << problem << "\n";
  report_unjudged_run(exit_code, {ActionsProblem::unplaced(problem)}, actions_environment(), out);
  return exit_code;
}

}  // namespace

int run_cli(int argc, char** argv, std::ostream& out, std::ostream& err) {
  if (argc > 1 && (std::strcmp(argv[1], "serve") == 0 || std::strcmp(argv[1], "token") == 0)) {
    return hand_over_to_server(argv, err);
  }
  CLI::App app{"qgate: the quality gate between \"done\" and \"merged\""};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("qgate ") + kVersion);

  CheckOptions check;
  std::string config_path = "integration-requirements.yaml";
  std::string state_dir;
  std::vector<std::string> report_specs;
  bool fail_fast = false;
  bool no_color = false;
  std::string ci;
  auto* check_cmd = app.add_subcommand("check", "Run every gate of the module and give a verdict");
  check_cmd->add_option("-c,--config", config_path, "Configuration file")->capture_default_str();
  check_cmd->add_option("-j,--jobs", check.jobs, "Steps run at once (default: number of cores)")
      ->check(CLI::Range(1, 4096));
  check_cmd->add_flag("--fail-fast", fail_fast, "Cancel the rest after the first required failure");
  check_cmd->add_option("--ci", ci, "Plain output for CI logs (github: also Actions annotations)")
      ->expected(0, 1)
      ->default_str("plain");
  check_cmd->add_option("--report", report_specs,
                        "Write a report: FORMAT=PATH (json, junit, markdown, sarif)");
  check_cmd->add_option("--state-dir", state_dir,
                        "Where runs are recorded (default: .qgate beside the config)");
  check_cmd->add_option("--base-ref", check.base_ref, "Git ref the change is compared against");
  check_cmd->add_flag("--no-color", no_color, "Never colour the output");
  std::string database_url;
  if (const char* env = std::getenv("QGATE_DATABASE_URL")) database_url = env;
  const char* const url_help =
      "PostgreSQL store (libpq URL or key=value; default: $QGATE_DATABASE_URL, else SQLite)";
  check_cmd->add_option("--database-url", database_url, url_help);
  check_cmd->add_flag("--open-pr", check.open_pr,
                      "Open (or update) the integration pull request when every required "
                      "requirement passed");
  check_cmd->add_option("--checkout", check.checkout_id,
                        "Record against this checkout (default: the module's active one)");

  std::string module;
  int limit = 20;
  auto* history_cmd = app.add_subcommand("history", "List recorded runs, newest first");
  history_cmd->add_option("-c,--config", config_path, "Configuration file (locates .qgate)");
  history_cmd->add_option("--state-dir", state_dir, "Where runs are recorded");
  history_cmd->add_option("--database-url", database_url, url_help);
  history_cmd->add_option("-m,--module", module, "Only runs of this module id");
  history_cmd->add_option("-n,--limit", limit, "How many runs")->check(CLI::Range(1, 100000));

  std::string run_id;
  std::string format = "text";
  auto* show_cmd = app.add_subcommand("show", "Show one recorded run");
  show_cmd->add_option("run", run_id, "Run id or a unique prefix of it")->required();
  show_cmd->add_option("-c,--config", config_path, "Configuration file (locates .qgate)");
  show_cmd->add_option("--state-dir", state_dir, "Where runs are recorded");
  show_cmd->add_option("--database-url", database_url, url_help);
  show_cmd->add_option("-f,--format", format, "text, json, junit or markdown")
      ->capture_default_str();

  int keep_runs = 0;
  std::uintmax_t max_megabytes = 0;
  auto* gc_cmd = app.add_subcommand(
      "gc", "Remove the logs of older runs by the retention policy (settings.logs)");
  gc_cmd->add_option("-c,--config", config_path, "Configuration file (policy and .qgate)");
  gc_cmd->add_option("--state-dir", state_dir, "Where runs are recorded");
  gc_cmd->add_option("--keep-runs", keep_runs, "Runs of each module that keep their logs")
      ->check(CLI::Range(1, 100000));
  gc_cmd->add_option("--max-megabytes", max_megabytes, "Total size of the logs kept, in MiB")
      ->check(CLI::Range(1, 100000000));
  auto* db_cmd = app.add_subcommand("db", "Manage the PostgreSQL store's schema");
  db_cmd->require_subcommand(1);
  db_cmd->add_option("--database-url", database_url, url_help);
  auto* migrate_cmd = db_cmd->add_subcommand("migrate", "Apply the migrations not yet applied");
  auto* status_cmd = db_cmd->add_subcommand("status", "List the migrations and which are applied");
  migrate_cmd->fallthrough();  // `qgate db migrate --database-url URL` reads as expected
  status_cmd->fallthrough();

  auto* validate_cmd = app.add_subcommand("validate", "Check the configuration file and exit");
  validate_cmd->add_option("-c,--config", config_path, "Configuration file");

  QueueCommands queue_commands(app, database_url);
  BaselineCommands baseline_commands(app, database_url);
  // Listed for --help; handed over to qgate-server before parsing.
  app.add_subcommand("serve",
                     "Serve the HTTP API for the module checkout server (qgate serve --help)");
  app.add_subcommand("token", "Create, list or revoke API tokens of qgate serve");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (asks_for_github_actions(argc, argv) && e.get_exit_code() != 0) {
      return check_not_started(kExitUsage, e.what(), out, err);
    }
    const int code = app.exit(e, out, err);
    return code == 0 ? 0 : kExitUsage;
  }

  try {
    if (const auto code = queue_commands.run(out, err)) return *code;
    if (const auto code = baseline_commands.run(out, err)) return *code;
    if (*check_cmd) {
      check.config_path = config_path;
      check.state_dir = state_dir;
      check.fail_fast = fail_fast ? FailFast::yes : FailFast::no;
      check.ci = check_cmd->count("--ci") > 0;
      check.color = !no_color;
      check.database_url = database_url;
      if (check.ci && ci == "github") {
        check.trigger = "actions";
        check.github_actions = true;
      } else if (check.ci && ci != "plain") {
        err << "qgate: --ci takes 'github' or nothing, not '" << ci << "'\n";
        return kExitUsage;
      }
      for (const auto& spec : report_specs) {
        const auto eq = spec.find('=');
        const auto parsed =
            eq == std::string::npos ? std::nullopt : report_format_from_string(spec.substr(0, eq));
        if (!parsed || eq + 1 >= spec.size()) {
          const std::string problem =
              "--report " + spec +
              ": expected FORMAT=PATH with FORMAT json, junit, markdown or sarif";
          if (check.github_actions) return check_not_started(kExitUsage, problem, out, err);
          err << "qgate: " << problem << "\n";
          return kExitUsage;
        }
        check.reports.emplace_back(*parsed, spec.substr(eq + 1));
      }
      try {
        return run_check(check, out, err);
      } catch (const std::exception& error) {
        if (!check.github_actions) throw;  // main says it, exit 3
        return check_not_started(kExitInternal, std::string("internal error: ") + error.what(), out,
                                 err);
      }
    }
    if (*history_cmd) return history(database_url, state_dir, config_path, module, limit, out, err);
    if (*gc_cmd) return gc(state_dir, config_path, keep_runs, max_megabytes, out, err);
    if (*show_cmd) return show(database_url, state_dir, config_path, run_id, format, out, err);
    if (*db_cmd) {
      if (database_url.empty()) {
        err << "qgate db: give --database-url or set QGATE_DATABASE_URL\n";
        return kExitUsage;
      }
      if (*migrate_cmd) {
        const auto applied = migrate_postgres(database_url);
        out << redact_database_url(database_url) << ": "
            << (applied.empty() ? "up to date"
                                : "applied " + std::to_string(applied.size()) + " migration(s)")
            << "\n";
        return kExitPassed;
      }
      if (*status_cmd) {
        for (const auto& [version, applied] : postgres_migration_status(database_url)) {
          out << "migration " << version << ": " << (applied ? "applied" : "pending") << "\n";
        }
        return kExitPassed;
      }
    }
    if (*validate_cmd) {
      try {
        const Config config = load_config(config_path);
        out << config.path.string() << ": ok (" << config.requirements.size() << " requirements, "
            << config.gates.size() << " gates configured, module " << config.module.id << ")\n";
        return kExitPassed;
      } catch (const ConfigError& error) {
        for (const auto& d : error.diagnostics()) err << format_diagnostic(d) << "\n";
        return kExitUsage;
      }
    }
  } catch (const StoreError& error) {
    err << "qgate: " << error.what() << "\n";
    return kExitInternal;
  }
  return kExitUsage;
}

}  // namespace qgate
