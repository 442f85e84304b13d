#pragma once
// What one SARIF result or notification says, read from the small JSON value
// the streaming parser builds for it, and the checked accessors that reading
// uses. Internal to the SARIF parser (gates/parsers/sarif.cpp).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runner/core/result.hpp"

namespace qgate::sarif {

using json = nlohmann::json;

// A problem with the content of a log, where it is ("runs[0].results[3]...");
// parse_sarif() adds the file name.
class Invalid : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Returns the JSON type of `value` in words ("number", "string", ...).
std::string type_of(const json& value);
// Returns the member `key` of `object` if it is an object, nullptr if absent
// or null; throws Invalid naming `where` if it is something else.
const json* object_at(const json& object, const char* key, const std::string& where);
// Returns the member `key` of `object` if it is an array, like object_at().
const json* array_at(const json& object, const char* key, const std::string& where);
// Returns the string member `key` of `object`, "" if absent or null; throws
// Invalid naming `where` if it is something else.
std::string text_at(const json& object, const char* key, const std::string& where);
// Returns the whole-number member `key` of `object`, like text_at().
std::optional<std::int64_t> int_at(const json& object, const char* key, const std::string& where);
// Returns the index member `key` of `object`; nothing for SARIF's -1.
std::optional<std::size_t> index_at(const json& object, const char* key, const std::string& where);

// Returns `text` with its %XX escapes decoded.
std::string percent_decode(const std::string& text);
// Returns true if `uri` has a scheme ("file:") or is an absolute path.
bool is_absolute(const std::string& uri);
// Turns "file:///work/a%20b.c" into "/work/a b.c"; decodes other URIs only.
std::string uri_to_path(std::string uri);

// Returns the "security-severity" score in `properties`, if any.
std::optional<double> security_severity_of(const json* properties, const std::string& where);
// Maps a CVSS-like `score` to a severity with the CVSS v3 bands.
Severity severity_of_score(double score);
// Maps a SARIF `level` (error, warning, note, none) to a severity; throws
// Invalid naming `where` for any other word.
Severity severity_of_level(const std::string& level, const std::string& where);
// Maps "problem.severity" (error, warning, recommendation) in `properties`.
std::optional<Severity> severity_of_problem(const json* properties);
// Fills the "{0}"-style placeholders of a message string with `arguments`.
std::string format_message(const std::string& pattern, const std::vector<std::string>& arguments);

// A result as read, before the run's rules and artifacts are applied to it.
struct RawResult {
  std::string where;  // "runs[0].results[3]", for errors found while resolving
  Finding finding;    // what the result itself says
  std::string level;  // "" when the result gives none
  std::string kind;   // "notification" for one made from a notification
  std::optional<std::size_t> rule_index;
  std::optional<std::size_t> component_index;  // the tool extension holding the rule
  std::string message_id;
  std::vector<std::string> arguments;
  std::string uri_base_id;
  std::optional<std::size_t> artifact_index;
  std::optional<double> security_severity;
};

// Reads the result object `result` found at `where`.
RawResult read_result(const json& result, std::string where);
// Returns false for a result that is not a finding: it passed, does not
// apply, was suppressed (accepted) or is absent since the baseline.
bool is_reported(const json& result, const std::string& where);
// Reads the notifications of the invocation object `invocation`: errors (a
// file the tool could not parse) become high "parse-error"/"tool-error"
// findings, the rest info "tool-notice" ones; a run that says it failed
// without an error notification becomes one "tool-error".
std::vector<RawResult> read_invocation(const json& invocation, const std::string& where);

}  // namespace qgate::sarif
