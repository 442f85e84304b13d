#include "runner/config/load_config.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

#include "runner/config/config_schema.hpp"
#include "runner/core/duration.hpp"
#include "runner/core/embedded.hpp"
#include "runner/core/requirements.hpp"
#include "runner/core/suggest.hpp"
#include "runner/core/utf8_text.hpp"
#include "runner/core/version.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;

const nlohmann::json& config_schema() {
  static const nlohmann::json schema =
      nlohmann::json::parse(*embedded_file("schemas/config.schema.json"));
  return schema;
}

std::chrono::milliseconds duration_or(const nlohmann::json& value, std::chrono::milliseconds dflt) {
  if (value.is_number_integer()) return std::chrono::seconds(value.get<long long>());
  if (value.is_string()) {
    if (auto parsed = parse_duration(value.get<std::string>())) return *parsed;
  }
  return dflt;
}

// Reads the `github:` section (validated by the schema beforehand).
void parse_github(const nlohmann::json& section, GithubConfig& github) {
  github.configured = true;
  if (!section.is_object()) return;
  github.open_pr = section.value("open_pr", github.open_pr);
  github.repository = section.value("repository", github.repository);
  github.base = section.value("base", github.base);
  github.head = section.value("head", github.head);
  github.developer = section.value("developer", github.developer);
  github.token_env = section.value("token_env", github.token_env);
  github.api_url = section.value("api_url", github.api_url);
  github.run_url = section.value("run_url", github.run_url);
  github.statuses = section.value("statuses", github.statuses);
  github.checks = section.value("checks", github.checks);
  github.required_approvals = section.value("required_approvals", github.required_approvals);
  github.webhook_url = section.value("webhook_url", github.webhook_url);
  github.webhook_url_env = section.value("webhook_url_env", github.webhook_url_env);
}

std::string scalar_text(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>()
                           : value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Checks the checklist for what the schema cannot say well: misspelt and
// repeated requirement names.
void check_checklist(const LocatedJson& doc, std::vector<Diagnostic>& diagnostics) {
  const auto& root = doc.value;
  if (!root.is_object() || !root.contains("integration_requirements")) return;
  const auto& checklist = root.at("integration_requirements");
  if (!checklist.is_object()) return;
  const auto names = requirement_names();
  std::set<std::string> seen;
  // Categories in the checkout system's order, which is the file's order too
  // (JSON objects forget it), so "listed twice" points at the second listing.
  std::vector<std::string> categories = requirement_categories();
  for (const auto& [category, unused] : checklist.items()) {
    if (std::find(categories.begin(), categories.end(), category) == categories.end()) {
      categories.push_back(category);
    }
  }
  for (const auto& category : categories) {
    if (!checklist.contains(category) || !checklist.at(category).is_array()) continue;
    const auto& items = checklist.at(category);
    const std::string category_pointer =
        child_pointer(child_pointer("", "integration_requirements"), category);
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!items[i].is_object()) continue;
      const std::string item_pointer = child_pointer(category_pointer, std::to_string(i));
      for (const auto& [name, unused] : items[i].items()) {
        const std::string pointer = child_pointer(item_pointer, name);
        if (find_requirement(name) == nullptr) {
          diagnostics.push_back(doc.at_key(
              pointer, "unknown requirement '" + name + "'" + did_you_mean(name, names)));
        } else if (!seen.insert(name).second) {
          diagnostics.push_back(doc.at_key(pointer, "requirement '" + name + "' is listed twice"));
        }
      }
    }
  }
}

// Returns the number of UTF-8 characters of `text` (as PostgreSQL counts
// VARCHAR lengths), or nothing if it is not UTF-8.
std::optional<std::size_t> utf8_length(const std::string& text) {
  std::size_t characters = 0;
  for (std::size_t i = 0; i < text.size(); ++characters) {
    const std::size_t length = utf8_sequence_length(text, i);
    if (length == 0) return std::nullopt;
    i += length;
  }
  return characters;
}

std::string module_id_limit() {
  const std::string n = std::to_string(kMaxModuleIdLength);
  return "module ids have at most " + n +
         " characters (module_checkouts.module_id of the checkout system is VARCHAR(" + n + "))";
}

// Checks `module.id` for a length the schema's pattern would only call a
// mismatch.
void check_module_id(const LocatedJson& doc, std::vector<Diagnostic>& diagnostics) {
  const auto& root = doc.value;
  if (!root.is_object() || !root.contains("module") || !root.at("module").is_object()) return;
  const auto& module = root.at("module");
  if (!module.contains("id") || !module.at("id").is_string()) return;
  const std::string id = module.at("id").get<std::string>();
  const auto length = utf8_length(id);
  if (length && *length > kMaxModuleIdLength) {
    diagnostics.push_back(doc.at_value("/module/id", "module.id '" + id + "' has " +
                                                         std::to_string(*length) + " characters; " +
                                                         module_id_limit()));
  }
}

std::string where(const std::string& pointer) {
  return pointer.empty() ? "top level" : pointer.substr(1);
}

// Checks every duration the schema names (definitions "duration" and
// "timeout") for what its pattern cannot say: a timeout of 0, and more than
// kLongestDuration.
void check_durations(const LocatedJson& doc, std::vector<Diagnostic>& diagnostics) {
  for_each_definition_use(
      config_schema(), doc.value,
      [&](const std::string& pointer, const nlohmann::json& value, const std::string& name) {
        if (name != "duration" && name != "timeout") return;
        std::optional<std::chrono::milliseconds> duration;
        const auto longest = std::chrono::duration_cast<std::chrono::seconds>(kLongestDuration);
        if (value.is_number_integer()) {
          const long long seconds = value.get<long long>();
          if (seconds < 0) return;  // the schema says so
          duration = seconds > longest.count() ? std::chrono::milliseconds::max()
                                               : std::chrono::seconds(seconds);
        } else if (value.is_string()) {
          duration = parse_duration(value.get<std::string>());
        }
        if (!duration) return;
        const std::string text = scalar_text(value);
        if (name == "timeout" && duration->count() == 0) {
          diagnostics.push_back(doc.at_value(
              pointer, where(pointer) + ": a timeout of " + text +
                           " would stop the step as it starts; give more than 0 (e.g. 30s)"));
        } else if (*duration > kLongestDuration) {
          diagnostics.push_back(doc.at_value(pointer, where(pointer) + ": " + text +
                                                          " is longer than a week (168h), the most "
                                                          "qgate allows"));
        }
      });
}

// Checks the `requirements:` of `entry` (a step or a report, at `pointer`, in
// gate `gate`): each one a requirement of that gate.
void check_requirement_list(const LocatedJson& doc, const std::string& gate,
                            const nlohmann::json& entry, const std::string& pointer,
                            const std::string& what, std::vector<Diagnostic>& diagnostics) {
  if (!entry.is_object() || !entry.contains("requirements") ||
      !entry.at("requirements").is_array()) {
    return;
  }
  const auto& requirements = entry.at("requirements");
  for (std::size_t r = 0; r < requirements.size(); ++r) {
    if (!requirements[r].is_string()) continue;
    const std::string name = requirements[r].get<std::string>();
    const RequirementInfo* info = find_requirement(name);
    const std::string at = child_pointer(child_pointer(pointer, "requirements"), std::to_string(r));
    if (info == nullptr) {
      diagnostics.push_back(doc.at_value(
          at, "unknown requirement '" + name + "'" + did_you_mean(name, requirement_names())));
    } else if (info->gate != gate) {
      diagnostics.push_back(doc.at_value(at, "requirement '" + name + "' is judged by gate '" +
                                                 std::string(info->gate) + "', not '" + gate +
                                                 "': move this " + what + " under gates/" +
                                                 std::string(info->gate)));
    }
  }
}

void check_report_requirements(const LocatedJson& doc, const std::string& gate,
                               const nlohmann::json& reports, const std::string& pointer,
                               std::vector<Diagnostic>& diagnostics) {
  for (std::size_t i = 0; i < reports.size(); ++i) {
    check_requirement_list(doc, gate, reports[i], child_pointer(pointer, std::to_string(i)),
                           "report", diagnostics);
  }
}

void check_steps(const LocatedJson& doc, std::vector<Diagnostic>& diagnostics) {
  const auto& root = doc.value;
  if (!root.is_object() || !root.contains("gates") || !root.at("gates").is_object()) return;
  for (const auto& [gate, section] : root.at("gates").items()) {
    if (!section.is_object() || !section.contains("steps") || !section.at("steps").is_array()) {
      continue;
    }
    const std::string steps_pointer =
        child_pointer(child_pointer(child_pointer("", "gates"), gate), "steps");
    std::set<std::string> step_names;
    const auto& steps = section.at("steps");
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const auto& step = steps[i];
      if (!step.is_object()) continue;
      const std::string step_pointer = child_pointer(steps_pointer, std::to_string(i));
      if (step.contains("name") && step.at("name").is_string() &&
          !step_names.insert(step.at("name").get<std::string>()).second) {
        diagnostics.push_back(doc.at_value(child_pointer(step_pointer, "name"),
                                           "gates/" + gate + ": two steps are named '" +
                                               step.at("name").get<std::string>() + "'"));
      }
      if (step.contains("env") && step.at("env").is_object()) {
        for (const auto& [name, unused] : step.at("env").items()) {
          const std::string pointer = child_pointer(child_pointer(step_pointer, "env"), name);
          const std::string prefix = "gates/" + gate + "/steps/" + std::to_string(i) + "/env: ";
          if (name.empty()) {
            diagnostics.push_back(doc.at_key(pointer, prefix + "an environment variable needs a "
                                                               "name"));
          } else if (name.find_first_of(std::string("=\0", 2)) != std::string::npos) {
            diagnostics.push_back(doc.at_key(
                pointer, prefix +
                             nlohmann::json(name).dump(-1, ' ', false,
                                                       nlohmann::json::error_handler_t::replace) +
                             " cannot name an environment variable: a name holds no '=' or "
                             "NUL"));
          } else if (name.rfind("QGATE_", 0) == 0) {
            diagnostics.push_back(doc.at_key(
                pointer, prefix + "'" + name +
                             "': names starting with QGATE_ are qgate's own, set for every step "
                             "(QGATE_OUT, QGATE_MODULE_ID, ...)"));
          }
        }
      }
      check_requirement_list(doc, gate, step, step_pointer, "step", diagnostics);
      if (step.contains("reports") && step.at("reports").is_array()) {
        check_report_requirements(doc, gate, step.at("reports"),
                                  child_pointer(step_pointer, "reports"), diagnostics);
      }
    }
  }
  for (const auto& [gate, section] : root.at("gates").items()) {
    if (section.is_object() && section.contains("reports") && section.at("reports").is_array()) {
      check_report_requirements(
          doc, gate, section.at("reports"),
          child_pointer(child_pointer(child_pointer("", "gates"), gate), "reports"), diagnostics);
    }
  }
}

// The names of the steps of each gate, as written (before the schema has
// said whether the steps are well formed).
using StepNames = std::map<std::string, std::vector<std::string>>;

// Resolves `need`, written in a step of gate `gate`: a step of that gate,
// else "gate.step" of another (a gate's name has no dot); nothing if neither.
std::optional<StepRef> resolve_need(const std::string& gate, const std::string& need,
                                    const StepNames& names) {
  const auto has = [&](const std::string& g, const std::string& step) {
    const auto it = names.find(g);
    return it != names.end() &&
           std::find(it->second.begin(), it->second.end(), step) != it->second.end();
  };
  if (has(gate, need)) return StepRef{gate, need};
  const auto dot = need.find('.');
  if (dot != std::string::npos && has(need.substr(0, dot), need.substr(dot + 1))) {
    return StepRef{need.substr(0, dot), need.substr(dot + 1)};
  }
  return std::nullopt;
}

StepNames step_names_by_gate(const nlohmann::json& gates) {
  StepNames names;
  for (const auto& [gate, section] : gates.items()) {
    auto& list = names[gate];
    if (!section.is_object() || !section.contains("steps") || !section.at("steps").is_array()) {
      continue;
    }
    for (const auto& step : section.at("steps")) {
      if (step.is_object() && step.contains("name") && step.at("name").is_string()) {
        list.push_back(step.at("name").get<std::string>());
      }
    }
  }
  return names;
}

// Checks every `needs:` entry: it names a step (of its own gate, or
// "gate.step" of another), and no step needs itself through others.
void check_needs(const LocatedJson& doc, std::vector<Diagnostic>& diagnostics) {
  const auto& root = doc.value;
  if (!root.is_object() || !root.contains("gates") || !root.at("gates").is_object()) return;
  const auto& gates = root.at("gates");
  const auto names = step_names_by_gate(gates);
  std::vector<std::string> every;  // for "did you mean"
  for (const auto& [gate, list] : names) {
    for (const auto& name : list) every.push_back(gate + "." + name);
  }
  // The graph: one node per step, "gate.step"; each edge with where it is written.
  struct Edge {
    std::string to;
    std::string pointer;
  };
  std::map<std::string, std::vector<Edge>> edges;
  for (const auto& [gate, section] : gates.items()) {
    if (!section.is_object() || !section.contains("steps") || !section.at("steps").is_array()) {
      continue;
    }
    const std::string steps_pointer =
        child_pointer(child_pointer(child_pointer("", "gates"), gate), "steps");
    const auto& steps = section.at("steps");
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const auto& step = steps[i];
      if (!step.is_object() || !step.contains("name") || !step.at("name").is_string() ||
          !step.contains("needs") || !step.at("needs").is_array()) {
        continue;
      }
      const std::string from = gate + "." + step.at("name").get<std::string>();
      const std::string needs_pointer =
          child_pointer(child_pointer(steps_pointer, std::to_string(i)), "needs");
      const auto& needs = step.at("needs");
      for (std::size_t n = 0; n < needs.size(); ++n) {
        if (!needs[n].is_string()) continue;
        const std::string need = needs[n].get<std::string>();
        const std::string pointer = child_pointer(needs_pointer, std::to_string(n));
        const std::optional<StepRef> target = resolve_need(gate, need, names);
        if (!target) {
          std::vector<std::string> candidates = every;
          const auto own = names.find(gate);
          if (own != names.end())
            candidates.insert(candidates.end(), own->second.begin(), own->second.end());
          diagnostics.push_back(doc.at_value(
              pointer, "gates/" + gate + ": step '" + step.at("name").get<std::string>() +
                           "' needs '" + need + "', which is no step of gate '" + gate +
                           "', nor another gate's as gate.step" + did_you_mean(need, candidates)));
          continue;
        }
        edges[from].push_back({target->gate + "." + target->step, pointer});
      }
    }
  }
  // Depth-first search; an edge back to a step on the path closes a cycle.
  enum class Mark { unseen, on_path, done };
  std::map<std::string, Mark> marks;
  std::vector<std::string> path;
  std::function<void(const std::string&)> visit = [&](const std::string& node) {
    marks[node] = Mark::on_path;
    path.push_back(node);
    for (const Edge& edge : edges[node]) {
      const Mark mark = marks[edge.to];
      if (mark == Mark::on_path) {
        std::string cycle;
        const auto start = std::find(path.begin(), path.end(), edge.to);
        for (auto it = start; it != path.end(); ++it) cycle += *it + " -> ";
        diagnostics.push_back(doc.at_value(edge.pointer, "needs form a cycle: " + cycle + edge.to));
      } else if (mark == Mark::unseen) {
        visit(edge.to);
      }
    }
    path.pop_back();
    marks[node] = Mark::done;
  };
  for (const auto& [node, unused] : edges) {
    if (marks[node] == Mark::unseen) visit(node);
  }
}

StepConfig parse_step(const nlohmann::json& step, std::chrono::milliseconds gate_timeout,
                      std::chrono::milliseconds grace, const std::string& gate,
                      const StepNames& names) {
  StepConfig out;
  out.name = step.at("name").get<std::string>();
  out.run = step.at("run").get<std::string>();
  out.timeout = duration_or(step.value("timeout", nlohmann::json()), gate_timeout);
  out.grace = duration_or(step.value("grace", nlohmann::json()), grace);
  if (step.contains("env")) {
    for (const auto& [name, value] : step.at("env").items()) {
      out.env.emplace_back(name, scalar_text(value));
    }
  }
  if (step.contains("requirements")) {
    out.requirements = step.at("requirements").get<std::vector<std::string>>();
  }
  if (step.contains("retry")) {
    const auto& retry = step.at("retry");
    out.retry.exit_codes = retry.at("exit_codes").get<std::vector<int>>();
    out.retry.attempts = retry.value("attempts", 2);
  }
  if (step.contains("needs")) {
    // check_needs() has made sure that each one resolves.
    for (const auto& need : step.at("needs")) {
      if (auto ref = resolve_need(gate, need.get<std::string>(), names)) out.needs.push_back(*ref);
    }
  }
  return out;
}

// Reads one entry of a `reports:` list: of the gate's, or of `step`'s
// (which then alone writes it, and whose requirements it judges unless it
// names its own).
ReportConfig parse_report(const nlohmann::json& report, const StepConfig* step) {
  ReportConfig entry;
  if (step != nullptr) {
    entry.step = step->name;
    entry.requirements = step->requirements;
  }
  if (report.is_string()) {
    entry.path = report.get<std::string>();
    return entry;
  }
  entry.path = report.at("path").get<std::string>();
  entry.format = report.value("format", "");
  entry.fresh = report.value("fresh", entry.fresh);
  if (report.contains("requirements")) {
    entry.requirements = report.at("requirements").get<std::vector<std::string>>();
  }
  return entry;
}

ModuleInfo module_from(const std::string& key, const nlohmann::json& entry) {
  ModuleInfo module;
  module.key = key;
  module.id = entry.value("id", "");
  module.name = entry.value("name", "");
  module.description = entry.value("description", "");
  module.repository = entry.value("repository", "");
  if (entry.contains("dependencies") && entry.at("dependencies").is_array()) {
    for (const auto& dependency : entry.at("dependencies")) {
      if (dependency.is_string()) module.dependencies.push_back(dependency.get<std::string>());
    }
  }
  return module;
}

void resolve_module(const LocatedJson& doc, Config& config, std::vector<Diagnostic>& diagnostics) {
  const auto& root = doc.value;
  const nlohmann::json section = root.contains("module") && root.at("module").is_object()
                                     ? root.at("module")
                                     : nlohmann::json::object();
  ModuleInfo& module = config.module;
  module.id = section.value("id", "");
  module.key = section.value("key", "");
  module.name = section.value("name", "");
  module.description = section.value("description", "");
  module.repository = section.value("repository", "");
  if (section.contains("dependencies")) {
    module.dependencies = section.at("dependencies").get<std::vector<std::string>>();
  }
  if (section.contains("registry")) {
    const fs::path registry_path = config.module_dir / section.at("registry").get<std::string>();
    std::vector<ModuleInfo> registry;
    try {
      registry = load_module_registry(registry_path);
    } catch (const ConfigError& error) {
      diagnostics.insert(diagnostics.end(), error.diagnostics().begin(), error.diagnostics().end());
      return;
    }
    const ModuleInfo* found = nullptr;
    std::vector<std::string> candidates;
    for (const auto& entry : registry) {
      candidates.push_back(module.key.empty() ? entry.id : entry.key);
      if ((!module.key.empty() && entry.key == module.key) ||
          (module.key.empty() && !module.id.empty() && entry.id == module.id)) {
        found = &entry;
      }
    }
    if (found == nullptr) {
      const bool by_key = !module.key.empty();
      const std::string wanted = by_key ? module.key : module.id;
      const std::string field = by_key ? "key" : "id";
      diagnostics.push_back(doc.at_value(
          "/module/" + (section.contains(field) ? field : std::string("registry")),
          wanted.empty() ? "module: give `id` or `key` to find this module in the registry"
                         : "module " + field + " '" + wanted + "' is not in " +
                               registry_path.string() + did_you_mean(wanted, candidates)));
      return;
    }
    config.registry = registry;
    // The file's own values win over the registry's.
    if (module.id.empty()) module.id = found->id;
    if (module.key.empty()) module.key = found->key;
    if (module.name.empty()) module.name = found->name;
    if (module.description.empty()) module.description = found->description;
    if (module.repository.empty()) module.repository = found->repository;
    if (module.dependencies.empty()) module.dependencies = found->dependencies;
  }
  if (module.id.empty()) {
    // Every store would take a longer one but PostgreSQL's: refused
    // whatever the store, so that a module passing locally passes in CI.
    const std::string folder = config.module_dir.filename().string();
    const auto length = utf8_length(folder);
    if (!length || *length == 0 || *length > kMaxModuleIdLength) {
      diagnostics.push_back(
          Diagnostic{doc.file, 0, 0,
                     "the module id defaults to the name of the folder " +
                         config.module_dir.string() + ", '" + folder + "', " +
                         (length ? "which has " + std::to_string(*length) + " characters"
                                 : std::string("which is not UTF-8 text")) +
                         "; " + module_id_limit() +
                         ": set `module.id` (or `module.key` and `module.registry`)"});
      return;
    }
    module.id = folder;
  }
  if (module.name.empty()) module.name = module.id;
}

// The stamp of a validated file: its hash with this build's schema and version.
std::string stamp_text(const LocatedJson& doc) {
  const std::string_view schema = *embedded_file("schemas/config.schema.json");
  std::uint64_t hash = doc.content_hash;
  for (unsigned char c : schema) hash = (hash ^ c) * 1099511628211ULL;
  return std::to_string(hash) + " " + kVersion + "\n";
}

std::string read_stamp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Best effort: a stamp that cannot be written only costs time next run.
void write_stamp(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  const fs::path temporary = path.string() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(temporary);
    out << text;
    if (!out) return;
  }
  fs::rename(temporary, path, ec);
  if (ec) fs::remove(temporary, ec);
}

}  // namespace

std::string format_diagnostic(const Diagnostic& d) {
  if (d.line <= 0) return d.file + ": error: " + d.message;
  return d.file + ":" + std::to_string(d.line) + ":" + std::to_string(d.column) +
         ": error: " + d.message;
}

ConfigError::ConfigError(std::vector<Diagnostic> diagnostics)
    : std::runtime_error(diagnostics.empty() ? "configuration error"
                                             : format_diagnostic(diagnostics.front())),
      diagnostics_(std::move(diagnostics)) {}

const GateConfig* Config::gate(const std::string& name) const {
  for (const auto& g : gates) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

std::vector<std::string> Config::dependents() const {
  std::vector<std::string> out;
  for (const auto& other : registry) {
    if (other.id == module.id) continue;
    for (const auto& dependency : other.dependencies) {
      if (dependency == module.id) out.push_back(other.id);
    }
  }
  return out;
}

Config load_config(const fs::path& path, const fs::path& validation_stamp) {
  std::error_code ec;
  const fs::path absolute = fs::absolute(path, ec);
  const LocatedJson doc = load_located_yaml(path.string());
  const std::string stamp = stamp_text(doc);
  const bool validated_before = !validation_stamp.empty() && read_stamp(validation_stamp) == stamp;
  std::vector<Diagnostic> diagnostics;
  if (!doc.value.is_object()) {
    throw ConfigError({doc.at_value("",
                                    "expected a mapping with `integration_requirements:` at "
                                    "the top level")});
  }
  check_checklist(doc, diagnostics);
  check_module_id(doc, diagnostics);
  check_steps(doc, diagnostics);
  check_needs(doc, diagnostics);
  check_durations(doc, diagnostics);
  std::set<int> lines_with_errors;
  for (const auto& d : diagnostics) lines_with_errors.insert(d.line);
  if (!validated_before) {
    for (auto& d : validate_with_schema(doc, config_schema())) {
      if (!lines_with_errors.contains(d.line)) diagnostics.push_back(std::move(d));
    }
  }
  if (!diagnostics.empty()) {
    std::stable_sort(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& a, const Diagnostic& b) {
                       return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                     });
    throw ConfigError(std::move(diagnostics));
  }

  Config config;
  config.path = absolute.lexically_normal();
  config.module_dir = config.path.parent_path();
  const auto& root = doc.value;

  for (const auto& category : requirement_categories()) {
    const auto& checklist = root.at("integration_requirements");
    if (!checklist.contains(category)) continue;
    for (const auto& item : checklist.at(category)) {
      for (const auto& [name, required] : item.items()) {
        config.requirements.push_back({name, category, required.get<bool>()});
      }
    }
  }

  if (root.contains("settings")) {
    const auto& settings = root.at("settings");
    config.default_timeout =
        duration_or(settings.value("timeout", nlohmann::json()), config.default_timeout);
    config.default_grace =
        duration_or(settings.value("grace", nlohmann::json()), config.default_grace);
    if (settings.contains("secret_env")) {
      config.secret_env = settings.at("secret_env").get<std::vector<std::string>>();
    }
    config.base_ref = settings.value("base_ref", "");
    if (settings.contains("reports") && settings.at("reports").contains("max_megabytes")) {
      config.max_report_bytes = settings.at("reports").at("max_megabytes").get<std::uintmax_t>()
                                << 20;
    }
    if (settings.contains("logs")) {
      const auto& logs = settings.at("logs");
      config.logs.keep_runs = logs.value("keep_runs", config.logs.keep_runs);
      if (logs.contains("max_megabytes")) {
        config.logs.max_bytes = logs.at("max_megabytes").get<std::uintmax_t>() << 20;
      }
    }
  }

  if (root.contains("github")) parse_github(root.at("github"), config.github);

  if (root.contains("gates")) {
    const auto& gates = root.at("gates");
    const StepNames step_names = step_names_by_gate(gates);
    for (const auto& name : gate_names()) {
      if (!gates.contains(name)) continue;
      const auto& section = gates.at(name).is_null() ? nlohmann::json::object() : gates.at(name);
      GateConfig gate;
      gate.name = name;
      gate.options = section;
      const std::string section_pointer = child_pointer(child_pointer("", "gates"), name);
      for (auto it = doc.value_marks.lower_bound(section_pointer + "/");
           it != doc.value_marks.end() && it->first.starts_with(section_pointer + "/"); ++it) {
        gate.option_lines[it->first.substr(section_pointer.size())] = it->second.line;
      }
      // Benchmarks measure time: a step beside them would be their noise.
      gate.exclusive = section.value("exclusive", name == "performance");
      const auto timeout =
          duration_or(section.value("timeout", nlohmann::json()), config.default_timeout);
      if (section.contains("steps")) {
        for (const auto& step : section.at("steps")) {
          gate.steps.push_back(parse_step(step, timeout, config.default_grace, name, step_names));
        }
      }
      if (section.contains("reports")) {
        for (const auto& report : section.at("reports")) {
          gate.reports.push_back(parse_report(report, nullptr));
        }
      }
      if (section.contains("steps")) {
        const auto& steps = section.at("steps");
        for (std::size_t i = 0; i < steps.size(); ++i) {
          if (!steps[i].contains("reports")) continue;
          for (const auto& report : steps[i].at("reports")) {
            gate.reports.push_back(parse_report(report, &gate.steps[i]));
          }
        }
      }
      config.gates.push_back(std::move(gate));
    }
  }

  resolve_module(doc, config, diagnostics);
  if (!diagnostics.empty()) throw ConfigError(std::move(diagnostics));
  if (!validation_stamp.empty() && !validated_before) write_stamp(validation_stamp, stamp);
  return config;
}

std::vector<ModuleInfo> load_module_registry(const fs::path& path) {
  const LocatedJson doc = load_located_yaml(path.string());
  std::vector<Diagnostic> diagnostics;
  std::vector<ModuleInfo> modules;
  if (!doc.value.is_object() || !doc.value.contains("modules") ||
      !doc.value.at("modules").is_object()) {
    throw ConfigError({doc.at_value("", "expected a mapping `modules:` of module entries")});
  }
  std::set<std::string> ids;
  for (const auto& [key, entry] : doc.value.at("modules").items()) {
    const std::string pointer = child_pointer(child_pointer("", "modules"), key);
    if (!entry.is_object()) {
      diagnostics.push_back(doc.at_value(pointer, "modules/" + key + ": expected a mapping"));
      continue;
    }
    if (!entry.contains("id") || !entry.at("id").is_string()) {
      diagnostics.push_back(doc.at_key(pointer, "modules/" + key + ": missing string `id`"));
      continue;
    }
    const std::string id = entry.at("id").get<std::string>();
    if (id.empty() || id.size() > kMaxModuleIdLength) {
      diagnostics.push_back(doc.at_value(pointer + "/id", "modules/" + key + "/id: '" + id +
                                                              "' must be 1 to 20 characters "
                                                              "(module_checkouts.module_id)"));
    }
    if (!ids.insert(id).second) {
      diagnostics.push_back(doc.at_value(pointer + "/id", "module id '" + id + "' is used twice"));
    }
    for (const char* field : {"name", "description", "repository"}) {
      if (entry.contains(field) && !entry.at(field).is_string()) {
        diagnostics.push_back(doc.at_value(child_pointer(pointer, field),
                                           "modules/" + key + "/" + field + ": expected a string"));
      }
    }
    if (entry.contains("dependencies") && !entry.at("dependencies").is_array()) {
      diagnostics.push_back(doc.at_value(pointer + "/dependencies",
                                         "modules/" + key + "/dependencies: expected a list"));
    }
    modules.push_back(module_from(key, entry));
  }
  std::vector<std::string> all_ids(ids.begin(), ids.end());
  for (const auto& [key, entry] : doc.value.at("modules").items()) {
    if (!entry.is_object() || !entry.contains("dependencies") ||
        !entry.at("dependencies").is_array()) {
      continue;
    }
    const auto& dependencies = entry.at("dependencies");
    for (std::size_t i = 0; i < dependencies.size(); ++i) {
      const std::string dependency = scalar_text(dependencies[i]);
      if (!ids.contains(dependency)) {
        diagnostics.push_back(doc.at_value(
            child_pointer(child_pointer(child_pointer("/modules", key), "dependencies"),
                          std::to_string(i)),
            "modules/" + key + ": dependency '" + dependency + "' is not a module id" +
                did_you_mean(dependency, all_ids)));
      }
    }
  }
  if (!diagnostics.empty()) throw ConfigError(std::move(diagnostics));
  return modules;
}

}  // namespace qgate
