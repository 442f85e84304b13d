#pragma once
// The shape a YAML file qgate reads may have, checked on the parser's events
// before any node is built: yaml-cpp makes each alias a shared node, so a
// file of a few lines can stand for billions of values (or, with an alias
// inside the node it names, for an endless one).
#include <cstddef>
#include <cstdint>
#include <string>

namespace qgate {

// The most a configuration file may hold, its aliases expanded: a few times
// what the largest real configuration or registry needs (this repository's
// example has 165 values, 7 levels deep; a registry of 1,000 modules has
// about 12,000 values).
struct YamlLimits {
  std::uintmax_t max_file_bytes = 4 * 1024 * 1024;
  std::size_t max_nodes = 20'000;  // values and keys, each alias counted as all it names
  int max_depth = 32;              // levels of nesting, the top-level value being 1
  // The text of the located JSON: values, keys and the JSON pointer of each.
  std::size_t max_located_bytes = 16 * 1024 * 1024;
};

// The limits in force: the defaults above, or with QGATE_MAX_CONFIG_MEGABYTES
// set (for a registry larger than any seen), that file size with the node
// and located-text limits grown in proportion.
YamlLimits configured_yaml_limits();

// Checks the YAML `text` of file `path`: one document only, no alias inside
// the node it names, at most `limits` once aliases are expanded. Throws
// ConfigError at the place of the first problem, or of a YAML syntax error.
void check_yaml_shape(const std::string& path, const std::string& text,
                      const YamlLimits& limits = {});

}  // namespace qgate
