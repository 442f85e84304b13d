#include "gates/parsers/sarif.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "gates/parsers/json_reader.hpp"

namespace qgate {
namespace {

using nlohmann::json;

// A problem with the content of the log; parse_sarif() adds the file name.
class Invalid : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string type_of(const json& value) {
  return value.is_number() ? "number" : std::string(value.type_name());
}

// The member `key` of `object` if it is an object, nullptr if absent or null.
const json* object_at(const json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  if (!it->is_object()) {
    throw Invalid(where + "." + key + " is " + type_of(*it) + ", not an object");
  }
  return &*it;
}

const json* array_at(const json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  if (!it->is_array()) throw Invalid(where + "." + key + " is " + type_of(*it) + ", not an array");
  return &*it;
}

std::string text_at(const json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return {};
  if (!it->is_string()) throw Invalid(where + "." + key + " is " + type_of(*it) + ", not a string");
  return it->get<std::string>();
}

std::optional<std::int64_t> int_at(const json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) {
    throw Invalid(where + "." + key + " is " + type_of(*it) + ", not a whole number");
  }
  return it->get<std::int64_t>();
}

int line_number(std::optional<std::int64_t> value) {
  if (!value || *value < 1) return 0;
  return static_cast<int>(std::min<std::int64_t>(*value, 1 << 30));
}

std::optional<std::size_t> index_at(const json& object, const char* key, const std::string& where) {
  const auto value = int_at(object, key, where);
  // -1 is SARIF's "no index".
  if (!value || *value < 0) return std::nullopt;
  return static_cast<std::size_t>(*value);
}

std::string percent_decode(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool has_scheme(const std::string& uri) {
  const auto colon = uri.find(':');
  if (colon == std::string::npos || colon < 2) return false;  // "C:" is a drive, not a scheme
  return std::all_of(uri.begin(), uri.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  });
}

bool is_absolute(const std::string& uri) {
  return has_scheme(uri) || (!uri.empty() && uri[0] == '/');
}

// Turns "file:///work/a%20b.c" into "/work/a b.c"; other URIs are only decoded.
std::string uri_to_path(std::string uri) {
  if (uri.rfind("file://", 0) == 0) {
    uri.erase(0, 7);
    // "file://host/path": the host says nothing about the file in the module.
    if (!uri.empty() && uri[0] != '/') {
      const auto slash = uri.find('/');
      uri = slash == std::string::npos ? std::string() : uri.substr(slash);
    }
  } else if (uri.rfind("file:", 0) == 0) {
    uri.erase(0, 5);
  }
  return percent_decode(uri);
}

// A result as read, before the run's rules and artifacts are known: writers
// may put "results" before "tool" (clang does), so resolving waits for the
// end of the run.
struct RawResult {
  std::string where;  // "runs[0].results[3]", for errors found while resolving
  Finding finding;    // what the result itself says
  std::string level;  // "" when the result gives none
  std::string kind;
  std::optional<std::size_t> rule_index;
  std::optional<std::size_t> component_index;  // the tool extension holding the rule
  std::string message_id;
  std::vector<std::string> arguments;
  std::string uri_base_id;
  std::optional<std::size_t> artifact_index;
  std::optional<double> security_severity;
};

std::optional<double> security_severity_of(const json* properties, const std::string& where) {
  if (properties == nullptr) return std::nullopt;
  const auto it = properties->find("security-severity");
  if (it == properties->end() || it->is_null()) return std::nullopt;
  if (it->is_number()) return it->get<double>();
  if (it->is_string()) {
    const std::string text = it->get<std::string>();
    char* end = nullptr;
    const double score = std::strtod(text.c_str(), &end);
    if (end != text.c_str() && *end == '\0') return score;
  }
  throw Invalid(where + ".properties.security-severity is " + it->dump() + ", not a score");
}

Severity severity_of_score(double score) {
  // The bands of CVSS v3, as code-scanning services use them.
  if (score >= 9.0) return Severity::critical;
  if (score >= 7.0) return Severity::high;
  if (score >= 4.0) return Severity::medium;
  if (score >= 0.1) return Severity::low;
  return Severity::info;
}

Severity severity_of_level(const std::string& level, const std::string& where) {
  if (level == "error") return Severity::high;
  if (level == "warning") return Severity::medium;
  if (level == "note") return Severity::low;
  if (level == "none") return Severity::info;
  throw Invalid(where + ".level is \"" + level + "\", not one of error, warning, note, none");
}

std::optional<Severity> severity_of_problem(const json* properties) {
  if (properties == nullptr) return std::nullopt;
  // CodeQL writes "problem.severity" as one key; accept the nested form too.
  std::string value;
  if (const auto it = properties->find("problem.severity");
      it != properties->end() && it->is_string()) {
    value = it->get<std::string>();
  } else if (const auto problem = properties->find("problem");
             problem != properties->end() && problem->is_object()) {
    if (const auto s = problem->find("severity"); s != problem->end() && s->is_string()) {
      value = s->get<std::string>();
    }
  }
  if (value == "error") return Severity::high;
  if (value == "warning") return Severity::medium;
  if (value == "recommendation") return Severity::low;
  return std::nullopt;
}

// Picks the fingerprint that survives unrelated edits best: the line hash
// code-scanning services use, else any partial fingerprint, else any full one.
std::string pick_fingerprint(const json* partial, const json* full) {
  for (const json* set : {partial, full}) {
    if (set == nullptr) continue;
    std::string first;
    for (const auto& [key, value] : set->items()) {
      if (!value.is_string()) continue;
      const std::string entry = key + "=" + value.get<std::string>();
      if (key.rfind("primaryLocationLineHash", 0) == 0) return entry;
      if (first.empty()) first = entry;
    }
    if (!first.empty()) return first;
  }
  return {};
}

// Reads the first location that points into a file.
void read_location(const json& holder, const std::string& where, Finding& finding,
                   std::string& base_id, std::optional<std::size_t>& artifact_index) {
  const json* locations = array_at(holder, "locations", where);
  if (locations == nullptr) return;
  for (std::size_t i = 0; i < locations->size(); ++i) {
    const json& location = (*locations)[i];
    const std::string here = where + ".locations[" + std::to_string(i) + "]";
    if (!location.is_object()) throw Invalid(here + " is " + type_of(location) + ", not an object");
    const json* physical = object_at(location, "physicalLocation", here);
    if (physical == nullptr) continue;
    const std::string at = here + ".physicalLocation";
    if (const json* artifact = object_at(*physical, "artifactLocation", at)) {
      finding.file = text_at(*artifact, "uri", at + ".artifactLocation");
      base_id = text_at(*artifact, "uriBaseId", at + ".artifactLocation");
      artifact_index = index_at(*artifact, "index", at + ".artifactLocation");
    }
    if (const json* region = object_at(*physical, "region", at)) {
      finding.line = line_number(int_at(*region, "startLine", at + ".region"));
      finding.column = line_number(int_at(*region, "startColumn", at + ".region"));
    }
    return;
  }
}

RawResult read_result(const json& result, std::string where) {
  RawResult raw;
  raw.where = std::move(where);
  const std::string& at = raw.where;
  raw.finding.rule = text_at(result, "ruleId", at);
  if (const json* rule = object_at(result, "rule", at)) {
    if (raw.finding.rule.empty()) raw.finding.rule = text_at(*rule, "id", at + ".rule");
    raw.rule_index = index_at(*rule, "index", at + ".rule");
    if (const json* component = object_at(*rule, "toolComponent", at + ".rule")) {
      raw.component_index = index_at(*component, "index", at + ".rule.toolComponent");
    }
  }
  if (const auto index = index_at(result, "ruleIndex", at)) raw.rule_index = index;
  raw.level = text_at(result, "level", at);
  raw.kind = text_at(result, "kind", at);
  if (const json* message = object_at(result, "message", at)) {
    raw.finding.message = text_at(*message, "text", at + ".message");
    if (raw.finding.message.empty()) {
      raw.finding.message = text_at(*message, "markdown", at + ".message");
    }
    raw.message_id = text_at(*message, "id", at + ".message");
    if (const json* arguments = array_at(*message, "arguments", at + ".message")) {
      for (const json& argument : *arguments) {
        raw.arguments.push_back(argument.is_string() ? argument.get<std::string>()
                                                     : argument.dump());
      }
    }
  }
  read_location(result, at, raw.finding, raw.uri_base_id, raw.artifact_index);
  raw.finding.fingerprint = pick_fingerprint(object_at(result, "partialFingerprints", at),
                                             object_at(result, "fingerprints", at));
  raw.security_severity = security_severity_of(object_at(result, "properties", at), at);
  return raw;
}

// Says whether a result is one to report: a result that passed, does not
// apply, was suppressed where it was found, or is gone since the baseline
// is not a finding.
bool is_reported(const json& result, const std::string& where) {
  const std::string kind = text_at(result, "kind", where);
  if (kind == "pass" || kind == "notApplicable") return false;
  if (text_at(result, "baselineState", where) == "absent") return false;
  if (const json* suppressions = array_at(result, "suppressions", where)) {
    for (const json& suppression : *suppressions) {
      // A suppression without a status is an accepted one.
      const std::string status =
          suppression.is_object() ? text_at(suppression, "status", where) : "";
      if (status.empty() || status == "accepted") return false;
    }
  }
  return true;
}

// Fills "{0}"-style placeholders of a SARIF message string.
std::string format_message(const std::string& pattern, const std::vector<std::string>& arguments) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{') {
      const auto close = pattern.find('}', i);
      if (close != std::string::npos && close > i + 1) {
        const std::string digits = pattern.substr(i + 1, close - i - 1);
        if (std::all_of(digits.begin(), digits.end(),
                        [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
          const auto n = static_cast<std::size_t>(std::stoul(digits));
          if (n < arguments.size()) {
            out += arguments[n];
            i = close;
            continue;
          }
        }
      }
    }
    out += pattern[i];
  }
  return out;
}

// Everything of one run that results are resolved against.
struct Run {
  std::size_t index = 0;
  json tool;
  json base_ids;
  std::vector<std::string> artifacts;  // uri of each artifact, by index
  std::vector<std::string> artifact_bases;
  std::vector<RawResult> results;  // read before what they refer to
};

class RunResolver {
 public:
  explicit RunResolver(const Run& run) : run_(run) {
    const std::string where = "runs[" + std::to_string(run.index) + "]";
    if (run.tool.is_null()) throw Invalid(where + " has no \"tool\"");
    const json* driver = object_at(run.tool, "driver", where + ".tool");
    if (driver == nullptr) throw Invalid(where + ".tool has no \"driver\"");
    driver_ = driver;
    name_ = text_at(*driver, "name", where + ".tool.driver");
    if (name_.empty()) throw Invalid(where + ".tool.driver has no \"name\"");
    extensions_ = array_at(run.tool, "extensions", where + ".tool");
  }

  const std::string& tool_name() const { return name_; }

  Finding resolve(RawResult raw) const {
    const json* rule = find_rule(raw);
    Finding finding = std::move(raw.finding);
    if (finding.rule.empty() && rule != nullptr) finding.rule = text_at(*rule, "id", raw.where);
    finding.severity = severity(raw, rule);
    if (finding.message.empty()) finding.message = message(raw, rule);
    finding.file = file(finding.file, raw.uri_base_id, raw.artifact_index);
    return finding;
  }

  // Returns the path of `uri` as the module knows it: relative to its base
  // when it is relative, a plain path when it is a file URI.
  std::string file(std::string uri, std::string base_id,
                   std::optional<std::size_t> artifact_index) const {
    if (uri.empty() && artifact_index && *artifact_index < run_.artifacts.size()) {
      uri = run_.artifacts[*artifact_index];
      if (base_id.empty()) base_id = run_.artifact_bases[*artifact_index];
    }
    if (!uri.empty() && !is_absolute(uri)) uri = base_prefix(base_id) + uri;
    return uri_to_path(std::move(uri));
  }

  // Returns what a relative base adds in front of a relative path: a base
  // that is itself relative ("src/", resting on another base) is part of the
  // module path; an absolute one (the checkout folder) is not.
  std::string base_prefix(std::string base_id) const {
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

 private:
  const json* rules_of(const json& component) const {
    const auto it = component.find("rules");
    return it != component.end() && it->is_array() ? &*it : nullptr;
  }

  const json* find_rule(const RawResult& raw) const {
    const json* component = driver_;
    if (raw.component_index && extensions_ != nullptr &&
        *raw.component_index < extensions_->size()) {
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

  static const json* rule_by_id(const json& rules, const std::string& id) {
    if (id.empty()) return nullptr;
    for (const json& rule : rules) {
      const auto it = rule.find("id");
      if (it != rule.end() && it->is_string() && *it == id) return &rule;
    }
    // "CA2000/1" names a sub-rule of "CA2000".
    const auto slash = id.find('/');
    return slash == std::string::npos ? nullptr : rule_by_id(rules, id.substr(0, slash));
  }

  Severity severity(const RawResult& raw, const json* rule) const {
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

  std::string message(const RawResult& raw, const json* rule) const {
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

  const Run& run_;
  const json* driver_ = nullptr;
  const json* extensions_ = nullptr;
  std::string name_;
};

// Turns the notifications of one invocation into findings. A file the tool
// could not parse (eslint reports it as an error notification) is an error
// in the module, not a remark about the tool; notifications below "error"
// are about the run ("file ignored") and become "tool-notice" infos.
std::vector<RawResult> read_invocation(const json& invocation, const std::string& where) {
  std::vector<RawResult> out;
  bool failed = false;
  for (const char* list : {"toolExecutionNotifications", "toolConfigurationNotifications"}) {
    const json* notifications = array_at(invocation, list, where);
    if (notifications == nullptr) continue;
    for (std::size_t i = 0; i < notifications->size(); ++i) {
      const json& notification = (*notifications)[i];
      const std::string at = where + "." + list + "[" + std::to_string(i) + "]";
      if (!notification.is_object()) throw Invalid(at + " is not an object");
      std::string level = text_at(notification, "level", at);
      if (level.empty()) level = "warning";  // a notification's default level
      const bool error = severity_of_level(level, at) >= Severity::high;
      failed = failed || error;
      Finding finding;
      finding.severity = error ? Severity::high : Severity::info;
      if (const json* message = object_at(notification, "message", at)) {
        finding.message = text_at(*message, "text", at + ".message");
      }
      if (finding.message.rfind("Parsing error", 0) == 0) {
        finding.rule = "parse-error";
      } else if (const json* rule = object_at(notification, "associatedRule", at)) {
        finding.rule = text_at(*rule, "id", at + ".associatedRule");
      }
      if (finding.rule.empty()) finding.rule = error ? "tool-error" : "tool-notice";
      // Resolved like a result's location once the run is complete.
      RawResult raw;
      raw.where = at;
      read_location(notification, at, finding, raw.uri_base_id, raw.artifact_index);
      raw.finding = std::move(finding);
      raw.kind = "notification";
      out.push_back(std::move(raw));
    }
  }
  const auto success = invocation.find("executionSuccessful");
  if (!failed && success != invocation.end() && success->is_boolean() && !success->get<bool>()) {
    RawResult raw;
    raw.where = where;
    raw.finding.rule = "tool-error";
    raw.finding.severity = Severity::high;
    raw.finding.message = "the tool reports that its run did not succeed";
    raw.kind = "notification";
    out.push_back(std::move(raw));
  }
  return out;
}

// Which captured part of the log a subtree is.
enum class Part { none, tool, base_ids, artifact, invocation, result };

// Says whether the member `key`, `depth` levels below the root of a captured
// `part`, is kept: code flows, stacks, graphs and fixes can be most of a log
// and say nothing a gate reads.
bool keep_member(Part part, std::size_t depth, const std::string& key) {
  switch (part) {
    case Part::result:
      return depth != 1 || key == "ruleId" || key == "rule" || key == "ruleIndex" ||
             key == "level" || key == "kind" || key == "message" || key == "locations" ||
             key == "partialFingerprints" || key == "fingerprints" || key == "properties" ||
             key == "suppressions" || key == "baselineState";
    case Part::tool:
      return key != "fullDescription" && key != "help" && key != "relationships" &&
             key != "notifications" && key != "taxa";
    case Part::invocation:
      return depth != 1 || key == "toolExecutionNotifications" ||
             key == "toolConfigurationNotifications" || key == "executionSuccessful";
    case Part::artifact:
      return depth != 1 || key == "location";
    case Part::base_ids:
    case Part::none:
      break;
  }
  return true;
}

// Streams a SARIF log: the parts a gate reads (each result, the tool and its
// rules, artifacts' URIs, invocations) are built one at a time as small JSON
// values and turned into findings; the rest of the file is only scanned.
class SarifHandler : public nlohmann::json_sax<json> {
 public:
  bool null() override { return skip_scalar() || scalar(json(nullptr)); }
  bool boolean(bool val) override { return skip_scalar() || scalar(json(val)); }
  bool number_integer(number_integer_t val) override { return skip_scalar() || scalar(json(val)); }
  bool number_unsigned(number_unsigned_t val) override {
    return skip_scalar() || scalar(json(val));
  }
  bool number_float(number_float_t val, const string_t& /*text*/) override {
    return skip_scalar() || scalar(json(val));
  }
  bool string(string_t& val) override { return skip_scalar() || scalar(json(std::move(val))); }
  bool binary(binary_t& /*val*/) override { return skip_scalar() || scalar(json(nullptr)); }
  bool start_object(std::size_t /*elements*/) override { return open(json::value_t::object); }
  bool start_array(std::size_t /*elements*/) override { return open(json::value_t::array); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t& val) override {
    if (skip_depth_ > 0) return true;
    if (!capture_.empty()) {
      if (keep_member(part_, capture_.size(), val)) {
        member_ = std::move(val);
      } else {
        skip_next_ = true;
      }
      return true;
    }
    path_.back().key = std::move(val);
    return true;
  }
  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& /*ex*/) override {
    return false;  // sax_parse_json_file() reports it
  }

  // Returns the report once the whole file has been read.
  FindingsReport finish() {
    if (version_.empty()) throw Invalid("has no \"version\": not a SARIF log");
    if (version_ != "2.1.0") {
      throw Invalid("is SARIF version " + version_ + "; only 2.1.0 is read");
    }
    if (!runs_seen_) throw Invalid("has no \"runs\" array: not a SARIF log");
    report_.format = "sarif";
    return std::move(report_);
  }

 private:
  struct Frame {
    bool array = false;
    std::size_t index = 0;  // arrays: the index of the current element
    std::string key;        // objects: the key of the current member
  };

  std::string where() const {
    std::string text;
    for (std::size_t i = 1; i < path_.size(); ++i) {
      const Frame& parent = path_[i - 1];
      text += parent.array ? "[" + std::to_string(parent.index) + "]"
                           : (text.empty() ? "" : ".") + parent.key;
    }
    const Frame& last = path_.back();
    return text + (last.array ? "[" + std::to_string(last.index) + "]"
                              : (text.empty() ? "" : ".") + last.key);
  }

  // Moves on to the next element of the enclosing array.
  void advance() {
    if (!path_.empty() && path_.back().array) ++path_.back().index;
  }

  json* insert(json value) {
    json& container = *capture_.back();
    if (container.is_array()) {
      container.push_back(std::move(value));
      return &container.back();
    }
    json& slot = container[member_];
    slot = std::move(value);
    return &slot;
  }

  // Returns true if the scalar now read is in a skipped part, before any
  // JSON value is made of it.
  bool skip_scalar() {
    if (skip_depth_ > 0) return true;
    if (skip_next_) {
      skip_next_ = false;
      return true;
    }
    return false;
  }

  bool scalar(json value) {
    if (!capture_.empty()) {
      insert(std::move(value));
      return true;
    }
    const std::size_t depth = path_.size();
    if (depth == 0) throw Invalid("is not a JSON object: not a SARIF log");
    if (depth == 1 && path_[0].key == "version") {
      if (!value.is_string()) throw Invalid("\"version\" is " + type_of(value) + ", not a string");
      version_ = value.get<std::string>();
    } else if (depth == 1 && path_[0].key == "runs" && !value.is_null()) {
      throw Invalid("\"runs\" is " + type_of(value) + ", not an array");
    } else if (depth == 2) {
      throw Invalid(where() + " is " + type_of(value) + ", not an object");
    } else if (depth == 3 && !value.is_null() &&
               (path_[2].key == "tool" || path_[2].key == "results")) {
      throw Invalid(where() + " is " + type_of(value) + ", not " +
                    (path_[2].key == "tool" ? "an object" : "an array"));
    } else if (depth == 4 && path_[2].key == "results") {
      throw Invalid(where() + " is " + type_of(value) + ", not an object");
    }
    advance();
    return true;
  }

  bool open(json::value_t type) {
    if (skip_depth_ > 0) {
      ++skip_depth_;
      return true;
    }
    if (skip_next_) {
      skip_next_ = false;
      skip_depth_ = 1;
      return true;
    }
    if (!capture_.empty()) {
      capture_.push_back(insert(json(type)));
      return true;
    }
    const bool is_object = type == json::value_t::object;
    const std::size_t depth = path_.size();
    if (depth == 0) {
      if (!is_object) throw Invalid("is not a JSON object: not a SARIF log");
      return push(false);
    }
    if (depth == 1) {
      if (path_[0].key == "runs") {
        if (is_object) throw Invalid("\"runs\" is an object, not an array");
        runs_seen_ = true;
        return push(true);
      }
      skip_depth_ = 1;
      return true;
    }
    if (depth == 2) {
      if (!is_object) throw Invalid(where() + " is an array, not an object");
      run_ = Run();
      run_.index = path_[1].index;
      return push(false);
    }
    const std::string& member = path_[2].key;
    if (depth == 3) {
      if (member == "tool" || member == "originalUriBaseIds") {
        if (!is_object) throw Invalid(where() + " is an array, not an object");
        return begin_capture(member == "tool" ? Part::tool : Part::base_ids, type);
      }
      if (member == "results" || member == "artifacts" || member == "invocations") {
        if (is_object) throw Invalid(where() + " is an object, not an array");
        return push(true);
      }
      skip_depth_ = 1;
      return true;
    }
    // depth 4: an element of results, artifacts or invocations.
    if (!is_object) throw Invalid(where() + " is an array, not an object");
    return begin_capture(member == "results"     ? Part::result
                         : member == "artifacts" ? Part::artifact
                                                 : Part::invocation,
                         type);
  }

  bool close() {
    if (skip_depth_ > 0) {
      if (--skip_depth_ == 0 && capture_.empty()) advance();
      return true;
    }
    if (!capture_.empty()) {
      capture_.pop_back();
      if (capture_.empty()) {
        finish_capture();
        advance();
      }
      return true;
    }
    path_.pop_back();
    if (path_.size() == 2) end_run();
    advance();
    return true;
  }

  bool push(bool array) {
    path_.push_back(Frame{array, 0, {}});
    return true;
  }

  bool begin_capture(Part part, json::value_t type) {
    part_ = part;
    captured_ = json(type);
    capture_.push_back(&captured_);
    return true;
  }

  void finish_capture() {
    const std::string at = where();
    switch (part_) {
      case Part::tool:
        run_.tool = std::move(captured_);
        resolver_.emplace(run_);
        break;
      case Part::base_ids:
        run_.base_ids = std::move(captured_);
        break;
      case Part::artifact: {
        const json* location = object_at(captured_, "location", at);
        run_.artifacts.push_back(location ? text_at(*location, "uri", at + ".location") : "");
        run_.artifact_bases.push_back(location ? text_at(*location, "uriBaseId", at + ".location")
                                               : "");
        break;
      }
      case Part::invocation:
        for (RawResult& raw : read_invocation(captured_, at)) accept(std::move(raw));
        break;
      case Part::result:
        if (is_reported(captured_, at)) accept(read_result(captured_, at));
        break;
      case Part::none:
        break;
    }
    captured_ = json();
    part_ = Part::none;
  }

  // Turns a result into a finding now if everything it refers to has been
  // read (the tool comes first in most logs), else keeps it for the end of
  // the run: memory then holds findings, not results.
  void accept(RawResult raw) {
    const bool artifact_unread = raw.finding.file.empty() && raw.artifact_index &&
                                 *raw.artifact_index >= run_.artifacts.size();
    if (!resolver_ || artifact_unread) {
      run_.results.push_back(std::move(raw));
      return;
    }
    emit(std::move(raw));
  }

  void emit(RawResult raw) {
    // originalUriBaseIds may follow the results: note the base of a
    // relative path until the run is complete.
    std::string base_id = raw.finding.file.empty() ? "" : raw.uri_base_id;
    if (is_absolute(raw.finding.file) || !run_.base_ids.is_null()) base_id.clear();
    if (raw.kind == "notification") {
      // Notifications keep the severity and rule they were given.
      Finding finding = std::move(raw.finding);
      finding.file = resolver_->file(finding.file, raw.uri_base_id, raw.artifact_index);
      report_.findings.push_back(std::move(finding));
    } else {
      report_.findings.push_back(resolver_->resolve(std::move(raw)));
    }
    if (!base_id.empty()) unresolved_bases_.emplace_back(report_.findings.size() - 1, base_id);
  }

  void end_run() {
    if (!resolver_) resolver_.emplace(run_);  // throws: the run has no tool
    std::vector<std::pair<std::size_t, std::string>> bases = std::move(unresolved_bases_);
    for (RawResult& raw : run_.results) emit(std::move(raw));
    for (const auto& [index, base_id] : bases) {
      std::string& file = report_.findings[index].file;
      file = percent_decode(resolver_->base_prefix(base_id)) + file;
    }
    const std::string& name = resolver_->tool_name();
    if (report_.tool.empty()) {
      report_.tool = name;
    } else if (("," + report_.tool + ",").find("," + name + ",") == std::string::npos) {
      report_.tool += "," + name;
    }
    resolver_.reset();
    unresolved_bases_.clear();
    run_ = Run();
  }

  std::vector<Frame> path_;
  std::size_t skip_depth_ = 0;
  bool skip_next_ = false;
  Part part_ = Part::none;
  json captured_;
  std::vector<json*> capture_;
  std::string member_;
  std::string version_;
  bool runs_seen_ = false;
  Run run_;
  std::optional<RunResolver> resolver_;  // once the run's tool is read
  // Findings whose relative path rests on a base not read yet: index, base.
  std::vector<std::pair<std::size_t, std::string>> unresolved_bases_;
  FindingsReport report_;
};

// Members of a SARIF log that no gate reads, wherever they are: code flows,
// stacks, graphs and embedded file contents are most of a large log, and are
// only bracket-checked instead of parsed.
const std::vector<std::string>& unread_members() {
  static const std::vector<std::string> names = {"codeFlows",
                                                 "relatedLocations",
                                                 "stacks",
                                                 "graphs",
                                                 "graphTraversals",
                                                 "fixes",
                                                 "attachments",
                                                 "webRequest",
                                                 "webResponse",
                                                 "provenance",
                                                 "snippet",
                                                 "contextRegion",
                                                 "logicalLocations",
                                                 "fullDescription",
                                                 "help",
                                                 "relationships",
                                                 "taxonomies",
                                                 "threadFlowLocations",
                                                 "contents",
                                                 "hashes",
                                                 "conversion",
                                                 "versionControlProvenance",
                                                 "addresses",
                                                 "translations",
                                                 "policies",
                                                 "specialLocations",
                                                 "workItemUris",
                                                 "externalPropertyFileReferences"};
  return names;
}

std::string_view skip_space(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  return text;
}

bool contains_nocase(std::string_view text, std::string_view word) {
  return std::search(text.begin(), text.end(), word.begin(), word.end(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         }) != text.end();
}

}  // namespace

bool looks_like_sarif(std::string_view head) {
  const std::string_view text = skip_space(head);
  if (text.empty() || text.front() != '{') return false;
  // "$schema" names SARIF in every writer seen; a log without it still has
  // "runs" next to "version".
  return contains_nocase(text, "sarif") || (text.find("\"runs\"") != std::string_view::npos &&
                                            text.find("\"version\"") != std::string_view::npos);
}

FindingsReport parse_sarif(const std::filesystem::path& file) {
  SarifHandler handler;
  try {
    sax_parse_json_file(file, handler, unread_members());
    return handler.finish();
  } catch (const Invalid& e) {
    throw ReportError(file, e.what());
  }
}

}  // namespace qgate
