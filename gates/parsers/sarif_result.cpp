#include "gates/parsers/sarif_result.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <utility>

namespace qgate::sarif {
namespace {

int line_number(std::optional<std::int64_t> value) {
  if (!value || *value < 1) return 0;
  return static_cast<int>(std::min<std::int64_t>(*value, 1 << 30));
}

bool has_scheme(const std::string& uri) {
  const auto colon = uri.find(':');
  if (colon == std::string::npos || colon < 2) return false;  // "C:" is a drive, not a scheme
  return std::all_of(uri.begin(), uri.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  });
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

}  // namespace

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

}  // namespace qgate::sarif
