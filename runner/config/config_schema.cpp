#include "runner/config/config_schema.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "runner/core/suggest.hpp"
#include "runner/core/utf8_text.hpp"
#include "runner/sys/regular_file.hpp"

namespace qgate {
namespace {

SourceMark to_mark(const YAML::Mark& mark) { return {mark.line + 1, mark.column + 1}; }

// Resolves a plain (unquoted) YAML 1.2 core-schema scalar to its JSON type.
nlohmann::json plain_scalar(const std::string& text) {
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return nullptr;
  }
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  const long long integer = std::strtoll(begin, &end, 10);
  if (errno == 0 && end != begin && *end == '\0' &&
      text.find_first_of(" \t") == std::string::npos) {
    return integer;
  }
  errno = 0;
  const double real = std::strtod(begin, &end);
  if (errno == 0 && end != begin && *end == '\0' &&
      text.find_first_of("xXnN \t") == std::string::npos) {
    return real;
  }
  return text;
}

// What the conversion may still spend. check_yaml_shape() has bounded the
// expanded document beforehand; these guards keep that promise checked.
struct Budget {
  std::size_t nodes_left = 0;
  std::size_t bytes_left = 0;
  int depth_left = 0;
};

void spend(Budget& budget, const YAML::Node& node, std::size_t bytes, const LocatedJson& out,
           const YamlLimits& limits) {
  if (budget.nodes_left == 0) {
    throw std::logic_error(out.file + ": more nodes than check_yaml_shape() counted");
  }
  --budget.nodes_left;
  if (bytes > budget.bytes_left) {
    throw ConfigError(
        {Diagnostic{out.file, node.Mark().line + 1, node.Mark().column + 1,
                    "the file's values, keys and their paths take more than " +
                        format_bytes(limits.max_located_bytes) +
                        " once its aliases are expanded, the most qgate reads (an alias bomb?)"}});
  }
  budget.bytes_left -= bytes;
}

void convert(const YAML::Node& node, const std::string& pointer, LocatedJson& out,
             nlohmann::json& target, Budget& budget, const YamlLimits& limits) {
  if (budget.depth_left == 0) {
    throw std::logic_error(out.file + ": deeper than check_yaml_shape() measured");
  }
  const bool scalar = node.Type() == YAML::NodeType::Scalar;
  spend(budget, node, pointer.size() + (scalar ? node.Scalar().size() : 0), out, limits);
  out.value_marks[pointer] = to_mark(node.Mark());
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      target = nullptr;
      return;
    case YAML::NodeType::Scalar:
      // A quoted scalar ("true", '80') is always a string.
      target = node.Tag() == "!" ? nlohmann::json(node.Scalar()) : plain_scalar(node.Scalar());
      return;
    case YAML::NodeType::Sequence: {
      target = nlohmann::json::array();
      std::size_t index = 0;
      --budget.depth_left;
      for (const auto& item : node) {
        nlohmann::json child;
        convert(item, child_pointer(pointer, std::to_string(index)), out, child, budget, limits);
        target.push_back(std::move(child));
        ++index;
      }
      ++budget.depth_left;
      return;
    }
    case YAML::NodeType::Map: {
      target = nlohmann::json::object();
      --budget.depth_left;
      for (const auto& entry : node) {
        const std::string key = entry.first.Scalar();
        const std::string child = child_pointer(pointer, key);
        if (target.contains(key)) {
          throw ConfigError(
              {Diagnostic{out.file, entry.first.Mark().line + 1, entry.first.Mark().column + 1,
                          "duplicate key '" + key + "'"}});
        }
        // The key: its text in the object and its position under its path.
        spend(budget, entry.first, key.size() + child.size(), out, limits);
        out.key_marks[child] = to_mark(entry.first.Mark());
        nlohmann::json value;
        convert(entry.second, child, out, value, budget, limits);
        target[key] = std::move(value);
      }
      ++budget.depth_left;
      return;
    }
  }
}

std::string parent_pointer(const std::string& pointer) {
  const std::size_t slash = pointer.rfind('/');
  return slash == std::string::npos ? "" : pointer.substr(0, slash);
}

std::string unescape_token(std::string token) {
  std::string out;
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '~' && i + 1 < token.size()) {
      out += token[i + 1] == '1' ? '/' : '~';
      ++i;
    } else {
      out += token[i];
    }
  }
  return out;
}

std::vector<std::string> split_pointer(const std::string& pointer) {
  std::vector<std::string> tokens;
  std::size_t start = 1;
  while (start <= pointer.size() && !pointer.empty()) {
    const std::size_t slash = pointer.find('/', start);
    const std::size_t end = slash == std::string::npos ? pointer.size() : slash;
    tokens.push_back(unescape_token(pointer.substr(start, end - start)));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return tokens;
}

// Follows "$ref": "#/definitions/x" within `root`.
const nlohmann::json* resolve(const nlohmann::json& root, const nlohmann::json* schema) {
  for (int depth = 0; schema != nullptr && depth < 16; ++depth) {
    if (!schema->is_object() || !schema->contains("$ref")) return schema;
    const std::string ref = schema->at("$ref").get<std::string>();
    if (ref.rfind("#/", 0) != 0) return schema;
    const nlohmann::json* next = &root;
    for (const auto& token : split_pointer(ref.substr(1))) {
      if (!next->is_object() || !next->contains(token)) return nullptr;
      next = &next->at(token);
    }
    schema = next;
  }
  return schema;
}

// Returns whether `value` has one of the JSON Schema types of `schema`
// (a schema without "type" takes anything).
bool has_schema_type(const nlohmann::json* schema, const nlohmann::json& value) {
  if (schema == nullptr || !schema->is_object() || !schema->contains("type")) return true;
  const auto matches = [&](const std::string& type) {
    if (type == "object") return value.is_object();
    if (type == "array") return value.is_array();
    if (type == "string") return value.is_string();
    if (type == "boolean") return value.is_boolean();
    if (type == "integer") return value.is_number_integer();
    if (type == "number") return value.is_number();
    if (type == "null") return value.is_null();
    return false;
  };
  const auto& type = schema->at("type");
  if (type.is_string()) return matches(type.get<std::string>());
  return std::any_of(type.begin(), type.end(),
                     [&](const nlohmann::json& t) { return t.is_string() && matches(t); });
}

// Returns the one alternative of `schema`'s oneOf whose type `value` has, or
// nullptr when there is no oneOf or not exactly one such alternative.
const nlohmann::json* alternative_for(const nlohmann::json& root, const nlohmann::json* schema,
                                      const nlohmann::json& value) {
  if (schema == nullptr || !schema->is_object() || !schema->contains("oneOf")) return nullptr;
  const nlohmann::json* found = nullptr;
  for (const auto& alternative : schema->at("oneOf")) {
    const nlohmann::json* resolved = resolve(root, &alternative);
    if (!has_schema_type(resolved, value)) continue;
    if (found != nullptr) return nullptr;
    found = resolved;
  }
  return found;
}

// Returns the subschema that governs the value at `pointer`, if it can be
// found by following properties, additionalProperties, items and, on the way
// (given the `document`), the oneOf alternative of each value's type.
const nlohmann::json* subschema_at(const nlohmann::json& root, const std::string& pointer,
                                   const nlohmann::json* document = nullptr) {
  const nlohmann::json* schema = resolve(root, &root);
  const nlohmann::json* value = document;
  for (const auto& token : split_pointer(pointer)) {
    if (schema == nullptr || !schema->is_object()) return nullptr;
    if (value != nullptr) {
      if (const nlohmann::json* alternative = alternative_for(root, schema, *value)) {
        schema = alternative;
      }
      const nlohmann::json* child = nullptr;
      if (value->is_object() && value->contains(token)) {
        child = &value->at(token);
      } else if (value->is_array() && !token.empty() &&
                 token.find_first_not_of("0123456789") == std::string::npos && token.size() < 10 &&
                 std::stoul(token) < value->size()) {
        child = &(*value)[std::stoul(token)];
      }
      value = child;
    }
    if (schema->contains("properties") && schema->at("properties").contains(token)) {
      schema = resolve(root, &schema->at("properties").at(token));
    } else if (schema->contains("additionalProperties") &&
               schema->at("additionalProperties").is_object()) {
      schema = resolve(root, &schema->at("additionalProperties"));
    } else if (schema->contains("items") && schema->at("items").is_object()) {
      schema = resolve(root, &schema->at("items"));
    } else {
      return nullptr;
    }
  }
  return schema;
}

void visit_definitions(const nlohmann::json& root, const nlohmann::json* schema,
                       const nlohmann::json& value, const std::string& pointer,
                       const std::function<void(const std::string&, const nlohmann::json&,
                                                const std::string&)>& visit) {
  if (schema == nullptr || !schema->is_object()) return;
  if (schema->contains("$ref") && schema->at("$ref").is_string()) {
    const std::string ref = schema->at("$ref").get<std::string>();
    const std::string prefix = "#/definitions/";
    if (ref.rfind(prefix, 0) == 0) visit(pointer, value, ref.substr(prefix.size()));
    schema = resolve(root, schema);
    if (schema == nullptr || !schema->is_object()) return;
  }
  if (const nlohmann::json* alternative = alternative_for(root, schema, value)) {
    schema = alternative;
  }
  if (value.is_object()) {
    for (const auto& [key, child] : value.items()) {
      const nlohmann::json* sub = nullptr;
      if (schema->contains("properties") && schema->at("properties").contains(key)) {
        sub = &schema->at("properties").at(key);
      } else if (schema->contains("additionalProperties") &&
                 schema->at("additionalProperties").is_object()) {
        sub = &schema->at("additionalProperties");
      }
      visit_definitions(root, sub, child, child_pointer(pointer, key), visit);
    }
  } else if (value.is_array() && schema->contains("items") && schema->at("items").is_object()) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      visit_definitions(root, &schema->at("items"), value[i],
                        child_pointer(pointer, std::to_string(i)), visit);
    }
  }
}

std::string json_type_name(const nlohmann::json& value) {
  if (value.is_null()) return "nothing";
  if (value.is_boolean()) return "a boolean";
  if (value.is_number_integer()) return "an integer";
  if (value.is_number()) return "a number";
  if (value.is_string()) return "a string";
  if (value.is_array()) return "a list";
  return "a mapping";
}

std::string expected_types(const nlohmann::json* schema) {
  if (schema == nullptr || !schema->contains("type")) return "";
  const auto& type = schema->at("type");
  auto name = [](const std::string& t) -> std::string {
    if (t == "object") return "a mapping";
    if (t == "array") return "a list";
    if (t == "boolean") return "true or false";
    if (t == "integer") return "an integer";
    return "a " + t;
  };
  if (type.is_string()) return name(type.get<std::string>());
  std::string out;
  for (const auto& t : type) out += (out.empty() ? "" : " or ") + name(t.get<std::string>());
  return out;
}

// Turns one valijson error into a diagnostic a person can act on; nothing for
// the summary errors that only repeat a deeper one.
// Returns the JSON pointer of the value a valijson error is about.
std::string error_pointer(const valijson::ValidationResults::Error& error) {
  std::string pointer;
  for (const auto& element : error.context) {
    if (element == "<root>") continue;
    std::string token = element;
    if (token.size() >= 2 && token.front() == '[' && token.back() == ']') {
      token = token.substr(1, token.size() - 2);
    }
    if (token.size() >= 2 && token.front() == '"' && token.back() == '"') {
      token = token.substr(1, token.size() - 2);
    }
    pointer = child_pointer(pointer, token);
  }
  return pointer;
}

// A diagnostic explained from one valijson error.
struct Explained {
  Diagnostic diagnostic;
  std::string pointer;
  // Said only if nothing at or below `pointer` is: what the one alternative
  // of a oneOf that the value's type fits says is better, when it says anything.
  bool fallback = false;
};

std::optional<Explained> explain(const LocatedJson& document, const nlohmann::json& schema,
                                 const valijson::ValidationResults::Error& error) {
  const std::string pointer = error_pointer(error);
  const std::string& text = error.description;
  const std::string where = pointer.empty() ? "top level" : pointer.substr(1);
  if (text.rfind("Failed to validate against schema associated with", 0) == 0 ||
      text.rfind("Failed to validate item #", 0) == 0 ||
      text.rfind("Failed to validate against child schema #", 0) == 0 ||
      text.rfind("Failed to validate against additional properties schema", 0) == 0) {
    return std::nullopt;
  }
  const auto at_value = [&](std::string message) {
    return Explained{document.at_value(pointer, std::move(message)), pointer};
  };
  const nlohmann::json* value = nullptr;
  try {
    value = &document.value.at(nlohmann::json::json_pointer(pointer));
  } catch (const std::exception&) {
  }
  const nlohmann::json* sub = subschema_at(schema, pointer, &document.value);
  if (sub != nullptr && sub->contains("oneOf")) {
    // The alternatives' own errors confuse more than they help: say what fits.
    if (sub->contains("description")) {
      return at_value(where + ": " + sub->at("description").get<std::string>());
    }
    std::string expected;
    for (const auto& choice : sub->at("oneOf")) {
      const std::string types = expected_types(resolve(schema, &choice));
      if (!types.empty()) expected += (expected.empty() ? "" : " or ") + types;
    }
    Explained types = at_value(where + ": expected " + expected +
                               (value != nullptr ? ", got " + json_type_name(*value) : ""));
    const nlohmann::json* alternative =
        value == nullptr ? nullptr : alternative_for(schema, sub, *value);
    if (alternative == nullptr) return types;
    // The value has the type of one alternative: what that one says counts
    // (the others say "wrong type", and oneOf that none fits).
    if (text.rfind("Failed to validate against any child schemas", 0) == 0) {
      types.fallback = true;
      return types;
    }
    if (text == "Value type not permitted by 'type' constraint.") return std::nullopt;
    sub = alternative;
  }
  const std::string unknown_prefix = "or 'additionalProperties' constraints: '";
  if (const std::size_t at = text.find(unknown_prefix); at != std::string::npos) {
    std::string key = text.substr(at + unknown_prefix.size());
    if (key.size() >= 2) key = key.substr(0, key.size() - 2);
    std::vector<std::string> allowed;
    if (sub != nullptr && sub->contains("properties")) {
      for (const auto& [name, unused] : sub->at("properties").items()) allowed.push_back(name);
    }
    std::string message = "unknown key '" + key + "' in " + where + did_you_mean(key, allowed);
    if (!allowed.empty() && did_you_mean(key, allowed).empty()) {
      std::string list;
      for (const auto& name : allowed) list += (list.empty() ? "" : ", ") + name;
      message += " (expected one of: " + list + ")";
    }
    return Explained{document.at_key(child_pointer(pointer, key), message), pointer};
  }
  if (text.rfind("Missing required property '", 0) == 0) {
    const std::string key = text.substr(27, text.size() - 29);
    return at_value(where + ": missing required key '" + key + "'");
  }
  if (text == "Failed to match against any enum values." && value != nullptr && sub != nullptr &&
      sub->contains("enum") && sub->at("enum").is_array()) {
    std::vector<std::string> allowed;
    for (const auto& choice : sub->at("enum")) {
      allowed.push_back(choice.is_string() ? choice.get<std::string>() : choice.dump());
    }
    const std::string shown =
        value->is_string() ? "'" + value->get<std::string>() + "'"
                           : value->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::string message = where + ": unknown value " + shown;
    if (const std::string hint =
            value->is_string() ? did_you_mean(value->get<std::string>(), allowed) : std::string();
        !hint.empty()) {
      message += hint;
    } else {
      std::string list;
      for (const auto& name : allowed) list += (list.empty() ? "" : ", ") + name;
      message += " (expected one of: " + list + ")";
    }
    return at_value(message);
  }
  if (text == "Value type not permitted by 'type' constraint." && value != nullptr) {
    const std::string expected = expected_types(sub);
    return at_value(where + ": expected " + (expected.empty() ? "another type" : expected) +
                    ", got " + json_type_name(*value));
  }
  if (text == "Failed to match regex specified by 'pattern' constraint." && value != nullptr &&
      sub != nullptr && sub->contains("pattern")) {
    // A YAML string need not be UTF-8: shown with U+FFFD for its bad bytes,
    // as dump() would otherwise throw.
    return at_value(where + ": '" +
                    value->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                    "' does not match " + sub->at("pattern").get<std::string>());
  }
  return at_value(where + ": " + text);
}

}  // namespace

std::string child_pointer(const std::string& pointer, const std::string& token) {
  std::string escaped;
  for (char c : token) {
    if (c == '~') {
      escaped += "~0";
    } else if (c == '/') {
      escaped += "~1";
    } else {
      escaped += c;
    }
  }
  return pointer + "/" + escaped;
}

void for_each_definition_use(const nlohmann::json& schema, const nlohmann::json& document,
                             const std::function<void(const std::string&, const nlohmann::json&,
                                                      const std::string&)>& visit) {
  visit_definitions(schema, resolve(schema, &schema), document, "", visit);
}

Diagnostic LocatedJson::at_value(const std::string& pointer, std::string message) const {
  std::string p = pointer;
  while (true) {
    if (auto it = value_marks.find(p); it != value_marks.end()) {
      return {file, it->second.line, it->second.column, std::move(message)};
    }
    if (p.empty()) return {file, 1, 1, std::move(message)};
    p = parent_pointer(p);
  }
}

Diagnostic LocatedJson::at_key(const std::string& pointer, std::string message) const {
  if (auto it = key_marks.find(pointer); it != key_marks.end()) {
    return {file, it->second.line, it->second.column, std::move(message)};
  }
  return at_value(pointer, std::move(message));
}

namespace {

// Returns the offset of the first byte of `text` that does not belong to a
// well-formed UTF-8 sequence, or npos. The schema checks count characters in
// UTF-8 and read out of bounds on anything else, so it is refused first.
std::size_t first_invalid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_sequence_length(text, i);
    if (length == 0) return i;
    i += length;
  }
  return std::string_view::npos;
}

}  // namespace

LocatedJson load_located_yaml(const std::string& path, const YamlLimits& limits) {
  LocatedJson out;
  out.file = path;
  FileRead file = read_regular_file(path, limits.max_file_bytes);
  if (file.too_large) file.error += " (QGATE_MAX_CONFIG_MEGABYTES raises the limit)";
  if (!file.error.empty()) throw ConfigError({Diagnostic{path, 0, 0, file.error}});
  const std::string bytes = std::move(file.bytes);
  std::uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : bytes) hash = (hash ^ c) * 1099511628211ULL;
  out.content_hash = hash;
  if (const std::size_t bad = first_invalid_utf8(bytes); bad != std::string_view::npos) {
    const std::string before = bytes.substr(0, bad);
    const auto line = static_cast<int>(std::count(before.begin(), before.end(), '\n')) + 1;
    const std::size_t line_start = before.rfind('\n');
    const auto column =
        static_cast<int>(bad - (line_start == std::string::npos ? 0 : line_start + 1)) + 1;
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(bytes[bad]));
    throw ConfigError({Diagnostic{path, line, column,
                                  std::string("not UTF-8 text: byte ") + hex +
                                      " does not start or continue a UTF-8 character"}});
  }
  // Before any node is built: yaml-cpp builds an alias bomb in little memory,
  // but expanding it here would not end.
  check_yaml_shape(path, bytes, limits);
  YAML::Node root;
  try {
    root = YAML::Load(bytes);
  } catch (const YAML::Exception& e) {
    throw ConfigError({Diagnostic{path, e.mark.line + 1, e.mark.column + 1, e.msg}});
  }
  Budget budget{limits.max_nodes, limits.max_located_bytes, limits.max_depth};
  convert(root, "", out, out.value, budget, limits);
  return out;
}

std::vector<Diagnostic> validate_with_schema(const LocatedJson& document,
                                             const nlohmann::json& schema) {
  valijson::Schema parsed;
  valijson::SchemaParser parser;
  valijson::adapters::NlohmannJsonAdapter schema_adapter(schema);
  parser.populateSchema(schema_adapter, parsed);
  valijson::Validator validator;
  valijson::adapters::NlohmannJsonAdapter target(document.value);
  valijson::ValidationResults results;
  std::vector<Diagnostic> diagnostics;
  if (validator.validate(parsed, target, &results)) return diagnostics;
  valijson::ValidationResults::Error error;
  std::vector<Explained> explained;
  while (results.popError(error)) {
    if (auto one = explain(document, schema, error)) explained.push_back(std::move(*one));
  }
  const auto said_below = [&](const std::string& pointer) {
    return std::any_of(explained.begin(), explained.end(), [&](const Explained& other) {
      return !other.fallback &&
             (other.pointer == pointer || other.pointer.rfind(pointer + "/", 0) == 0);
    });
  };
  std::set<std::pair<int, int>> seen;
  for (auto& one : explained) {
    if (one.fallback && said_below(one.pointer)) continue;
    // oneOf alternatives repeat themselves at one place; keep the first.
    if (!seen.insert({one.diagnostic.line, one.diagnostic.column}).second) continue;
    diagnostics.push_back(std::move(one.diagnostic));
  }
  std::sort(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  return diagnostics;
}

}  // namespace qgate
