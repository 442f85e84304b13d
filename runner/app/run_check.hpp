#pragma once
// `qgate check`: load the config, run every gate, record and report the run.
#include <filesystem>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "reporters/reports.hpp"
#include "runner/core/exit_codes.hpp"
#include "runner/schedule/scheduler.hpp"

namespace qgate {

struct CheckOptions {
  std::filesystem::path config_path = "integration-requirements.yaml";
  std::filesystem::path state_dir;  // empty: <module folder>/.qgate
  int jobs = 0;                     // 0: the number of cores
  FailFast fail_fast = FailFast::no;
  bool ci = false;              // plain output even on a terminal
  bool github_actions = false;  // --ci github: workflow commands, step summary, outputs
  bool color = true;            // colour when the output is a terminal
  std::string base_ref;         // overrides settings.base_ref
  std::string database_url;     // PostgreSQL store; empty: SQLite under state_dir
  std::string checkout_id;      // record against this checkout; empty: the module's active one
  std::string trigger = "cli";
  bool open_pr = false;  // open the integration pull request on success (also github.open_pr)
  std::vector<std::pair<ReportFormat, std::filesystem::path>> reports;
};

// Runs `qgate check` with `options`, printing to `out` (progress, summary) and
// `err` (errors); returns the process exit code.
int run_check(const CheckOptions& options, std::ostream& out, std::ostream& err);

}  // namespace qgate
