#pragma once
// The types of a module's configuration: integration-requirements.yaml (the
// checklist, `module:`, `settings:` and `gates:`) and the modules.yaml
// registry. Loading them is runner/config/'s.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace qgate {

// How much of `.qgate/runs/` is kept (`settings.logs`).
struct LogRetention {
  int keep_runs = 20;                        // per module, newest first
  std::uintmax_t max_bytes = 1024ull << 20;  // all run folders together
};

// The most characters a module id may have: the checkout system's
// module_checkouts.module_id is VARCHAR(20), which PostgreSQL enforces.
inline constexpr std::size_t kMaxModuleIdLength = 20;

// One problem in a configuration file, at a 1-based line and column.
struct Diagnostic {
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;
};

// Returns "file:line:column: error: message".
std::string format_diagnostic(const Diagnostic& diagnostic);

// Thrown when a configuration file is wrong; qgate exits 2 on it.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<Diagnostic> diagnostics);
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

// One line of the checklist.
struct RequirementConfig {
  std::string name;
  std::string category;  // where the file lists it
  bool required = true;
};

// When to run a failed step again.
struct RetryPolicy {
  std::vector<int> exit_codes;  // retry only on these exit codes
  int attempts = 1;             // total attempts, including the first
};

// A step by its gate and name.
struct StepRef {
  std::string gate;
  std::string step;
};

// One command of a gate.
struct StepConfig {
  std::string name;
  std::string run;  // run by /bin/sh -c in the module folder
  std::chrono::milliseconds timeout{0};
  std::chrono::milliseconds grace{0};
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<std::string> requirements;  // empty: counts for all of its gate's
  RetryPolicy retry;
  // The steps that must pass before it starts (`needs:`, resolved: a name of
  // its own gate, or "gate.step" for another gate's).
  std::vector<StepRef> needs;
};

// A report file a gate reads after its steps.
struct ReportConfig {
  std::string path;
  std::string format;  // empty: detected
  bool fresh = true;   // must have been written during the run (`fresh: false`: a kept file)
  // The requirements it judges: its own `requirements:`, else those of the
  // step it is listed under; empty: every requirement of its gate.
  std::vector<std::string> requirements{};
  std::string step{};  // the step it is listed under (which alone writes it); empty: the gate's
};

// How one gate runs.
struct GateConfig {
  std::string name;
  bool exclusive = false;  // its steps run alone (default for the performance gate)
  std::vector<StepConfig> steps;
  std::vector<ReportConfig> reports;  // the gate's own, then those listed under its steps
  nlohmann::json options = nlohmann::json::object();  // the whole `gates.<name>` section
  std::map<std::string, int> option_lines;            // line of each value of `options`, by JSON
                                            // pointer below the section ("/secrets/enabled")
};

// Which module this is.
struct ModuleInfo {
  std::string id;
  std::string key;  // its key in the registry, if known
  std::string name;
  std::string description;
  std::string repository;
  std::vector<std::string> dependencies;
};

// What qgate does on GitHub (the `github:` section); all off without it.
struct GithubConfig {
  bool configured = false;  // the file has a `github:` section
  bool open_pr = false;     // open (or update) the integration pull request on success
  std::string repository;   // "owner/name" or a URL; empty: registry, git remote, GITHUB_REPOSITORY
  std::string base = "main";
  std::string head = "module/{module_id}/{developer}";  // the seed's branch convention
  std::string developer;                                // overrides the checkout's developer
  std::string token_env = "GITHUB_TOKEN";
  std::string api_url;    // overrides GITHUB_API_URL
  std::string run_url;    // link to the run in the PR body; {run_id} is replaced
  bool statuses = false;  // a commit status per gate
  bool checks = false;    // a check run per gate instead, with annotations
  int required_approvals = 1;
  std::string webhook_url;      // Slack-compatible incoming webhook
  std::string webhook_url_env;  // ... or the variable that holds it (it is a secret)
};

struct Config {
  std::filesystem::path path;        // the configuration file (absolute)
  std::filesystem::path module_dir;  // the folder it lies in
  ModuleInfo module;
  std::vector<ModuleInfo> registry;  // the whole modules.yaml, when `module.registry` names one
  std::vector<RequirementConfig> requirements;
  std::vector<GateConfig> gates;  // only the gates named in `gates:`, in canonical order
  std::vector<std::string> secret_env;
  std::string base_ref;
  GithubConfig github;
  std::chrono::milliseconds default_timeout{std::chrono::minutes(10)};
  std::chrono::milliseconds default_grace{std::chrono::seconds(5)};
  LogRetention logs;  // settings.logs: how many runs keep their logs
  // settings.reports.max_megabytes: the most one report file may hold, in
  // bytes; unset: read_report()'s default.
  std::optional<std::uintmax_t> max_report_bytes;

  // Returns the configuration of gate `name`, or nullptr if it has none.
  const GateConfig* gate(const std::string& name) const;
  // Returns the ids of the registry's modules that depend on this module.
  std::vector<std::string> dependents() const;
};

}  // namespace qgate
