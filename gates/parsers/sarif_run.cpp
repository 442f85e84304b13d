#include "gates/parsers/sarif_run.hpp"

#include <utility>

namespace qgate::sarif {
namespace {

const json* rules_of(const json& component) {
  const auto it = component.find("rules");
  return it != component.end() && it->is_array() ? &*it : nullptr;
}

const json* rule_by_id(const json& rules, const std::string& id) {
  if (id.empty()) return nullptr;
  for (const json& rule : rules) {
    const auto it = rule.find("id");
    if (it != rule.end() && it->is_string() && *it == id) return &rule;
  }
  // "CA2000/1" names a sub-rule of "CA2000".
  const auto slash = id.find('/');
  return slash == std::string::npos ? nullptr : rule_by_id(rules, id.substr(0, slash));
}

}  // namespace

RunResolver::RunResolver(const Run& run) : run_(run) {
  const std::string where = "runs[" + std::to_string(run.index) + "]";
  if (run.tool.is_null()) throw Invalid(where + " has no \"tool\"");
  const json* driver = object_at(run.tool, "driver", where + ".tool");
  if (driver == nullptr) throw Invalid(where + ".tool has no \"driver\"");
  driver_ = driver;
  name_ = text_at(*driver, "name", where + ".tool.driver");
  if (name_.empty()) throw Invalid(where + ".tool.driver has no \"name\"");
  extensions_ = array_at(run.tool, "extensions", where + ".tool");
}

Finding RunResolver::resolve(RawResult raw) const {
  const json* rule = find_rule(raw);
  Finding finding = std::move(raw.finding);
  if (finding.rule.empty() && rule != nullptr) finding.rule = text_at(*rule, "id", raw.where);
  finding.severity = severity(raw, rule);
  if (finding.message.empty()) finding.message = message(raw, rule);
  finding.file = file(finding.file, raw.uri_base_id, raw.artifact_index);
  return finding;
}

std::string RunResolver::file(std::string uri, std::string base_id,
                              std::optional<std::size_t> artifact_index) const {
  if (uri.empty() && artifact_index && *artifact_index < run_.artifacts.size()) {
    uri = run_.artifacts[*artifact_index];
    if (base_id.empty()) base_id = run_.artifact_bases[*artifact_index];
  }
  if (!uri.empty() && !is_absolute(uri)) uri = base_prefix(base_id) + uri;
  return uri_to_path(std::move(uri));
}

std::string RunResolver::base_prefix(std::string base_id) const {
  std::string prefix;
  for (int depth = 0; depth < 8 && !base_id.empty() && run_.base_ids.is_object(); ++depth) {
    const auto base = run_.base_ids.find(base_id);
    if (base == run_.base_ids.end() || !base->is_object()) break;
    const auto base_uri = base->find("uri");
    if (base_uri == base->end() || !base_uri->is_string()) break;
    const std::string part = base_uri->get<std::string>();
    if (is_absolute(part)) break;
    prefix = part + prefix;
    const auto next = base->find("uriBaseId");
    base_id = next != base->end() && next->is_string() ? next->get<std::string>() : "";
  }
  return prefix;
}

const json* RunResolver::find_rule(const RawResult& raw) const {
  const json* component = driver_;
  if (raw.component_index && extensions_ != nullptr && *raw.component_index < extensions_->size()) {
    component = &(*extensions_)[*raw.component_index];
  }
  if (const json* rules = rules_of(*component)) {
    if (raw.rule_index && *raw.rule_index < rules->size()) return &(*rules)[*raw.rule_index];
    if (const json* rule = rule_by_id(*rules, raw.finding.rule)) return rule;
  }
  if (extensions_ != nullptr) {
    for (const json& extension : *extensions_) {
      if (const json* rules = rules_of(extension)) {
        if (const json* rule = rule_by_id(*rules, raw.finding.rule)) return rule;
      }
    }
  }
  return nullptr;
}

Severity RunResolver::severity(const RawResult& raw, const json* rule) const {
  const json* rule_properties =
      rule != nullptr ? object_at(*rule, "properties", raw.where + " rule") : nullptr;
  auto score = raw.security_severity;
  if (!score) score = security_severity_of(rule_properties, raw.where + " rule");
  if (score) return severity_of_score(*score);
  if (!raw.level.empty()) return severity_of_level(raw.level, raw.where);
  // A result that is not a failure ("informational", "review", "open") has
  // the level "none" unless it says otherwise.
  if (!raw.kind.empty() && raw.kind != "fail") return Severity::info;
  if (rule != nullptr) {
    if (const json* config = object_at(*rule, "defaultConfiguration", raw.where + " rule")) {
      const std::string level = text_at(*config, "level", raw.where + " rule");
      if (!level.empty()) return severity_of_level(level, raw.where + " rule");
    }
    if (const auto problem = severity_of_problem(rule_properties)) return *problem;
  }
  return Severity::medium;  // SARIF's default level is "warning"
}

std::string RunResolver::message(const RawResult& raw, const json* rule) const {
  if (!raw.message_id.empty()) {
    for (const json* holder : {rule, driver_}) {
      if (holder == nullptr) continue;
      const char* key = holder == driver_ ? "globalMessageStrings" : "messageStrings";
      const auto strings = holder->find(key);
      if (strings == holder->end() || !strings->is_object()) continue;
      const auto entry = strings->find(raw.message_id);
      if (entry == strings->end() || !entry->is_object()) continue;
      std::string pattern = text_at(*entry, "text", raw.where);
      if (pattern.empty()) pattern = text_at(*entry, "markdown", raw.where);
      if (!pattern.empty()) return format_message(pattern, raw.arguments);
    }
  }
  if (rule != nullptr) {
    if (const json* description = object_at(*rule, "shortDescription", raw.where + " rule")) {
      const std::string text = text_at(*description, "text", raw.where + " rule");
      if (!text.empty()) return text;
    }
  }
  return raw.message_id;
}

}  // namespace qgate::sarif
