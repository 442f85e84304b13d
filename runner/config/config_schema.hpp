#pragma once
// YAML documents turned into JSON with the position of every value and key
// kept, so that JSON Schema errors can name file:line:column.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runner/config/yaml_limits.hpp"
#include "runner/core/config.hpp"

namespace qgate {

// A 1-based position in a source file.
struct SourceMark {
  int line = 0;
  int column = 0;
};

// A YAML document as JSON, with positions by JSON pointer ("/gates/lint").
struct LocatedJson {
  nlohmann::json value;
  std::map<std::string, SourceMark> value_marks;  // where each value starts
  std::map<std::string, SourceMark> key_marks;    // where each object key is written
  std::string file;
  std::uint64_t content_hash = 0;  // FNV-1a of the file's bytes

  // Returns a diagnostic at the value at `pointer` (or its nearest parent).
  Diagnostic at_value(const std::string& pointer, std::string message) const;
  // Returns a diagnostic at the key of `pointer` (or at its value).
  Diagnostic at_key(const std::string& pointer, std::string message) const;
};

// Parses the YAML file at `path`, which must be a regular file within
// `limits`; throws ConfigError on a syntax error, an unreadable file, or a
// file over the limits.
LocatedJson load_located_yaml(const std::string& path,
                              const YamlLimits& limits = configured_yaml_limits());

// Validates `document` against the JSON Schema `schema`; returns one
// diagnostic per problem, with "did you mean" for misspelt keys.
std::vector<Diagnostic> validate_with_schema(const LocatedJson& document,
                                             const nlohmann::json& schema);

// Calls `visit(pointer, value, name)` for each value of `document` whose
// place in `schema` is a "$ref" to "#/definitions/<name>", following
// properties, additionalProperties, items and the oneOf alternative of the
// value's type: checks that the schema cannot express find their values so.
void for_each_definition_use(
    const nlohmann::json& schema, const nlohmann::json& document,
    const std::function<void(const std::string& pointer, const nlohmann::json& value,
                             const std::string& name)>& visit);

// Returns the JSON pointer of `pointer`'s child `token` (escaping '~' and '/').
std::string child_pointer(const std::string& pointer, const std::string& token);

}  // namespace qgate
