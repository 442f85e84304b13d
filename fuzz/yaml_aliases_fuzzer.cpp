// Feeds each input to the YAML loader (load_located_yaml) to check its alias
// handling: yaml-cpp shares an aliased node, so a small file can stand for a
// huge or endless value. Whatever the input, the located JSON it gives stays
// within the limits, and the limits are never undercounted: an accepted
// document is refused again with one value or one level fewer allowed
// (fuzz/README.md). The only error it may throw is ConfigError.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz/fuzz_support.hpp"
#include "runner/config/config_schema.hpp"

namespace {

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "qgate fuzz: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

// The values and keys of `value` (keys are YAML nodes too) and its depth.
struct Size {
  std::size_t nodes = 0;
  int depth = 0;
};
Size size_of(const nlohmann::json& value) {
  Size size{1, 1};
  if (value.is_object() || value.is_array()) {
    for (const auto& [key, child] : value.items()) {
      const Size inner = size_of(child);
      size.nodes += inner.nodes + (value.is_object() ? 1 : 0);
      size.depth = std::max(size.depth, inner.depth + 1);
    }
    if (value.is_object() && !value.empty()) size.depth = std::max(size.depth, 2);
  }
  return size;
}

// Loads `file` with `limits`; true if it was accepted. Aborts on anything
// but a ConfigError placed in that file.
bool loads(const std::filesystem::path& file, const qgate::YamlLimits& limits,
           qgate::LocatedJson& out) {
  try {
    out = qgate::load_located_yaml(file.string(), limits);
    return true;
  } catch (const qgate::ConfigError& e) {
    for (const qgate::Diagnostic& d : e.diagnostics()) {
      if (d.file != file.string() || d.line < 0 || d.column < 0) {
        fail("diagnostic without its place: " + qgate::format_diagnostic(d));
      }
    }
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::filesystem::path& file = qgate::fuzz::write_input(data, size);
  const qgate::YamlLimits limits;
  qgate::LocatedJson doc;
  if (!loads(file, limits, doc)) return 0;
  const Size expanded = size_of(doc.value);
  if (expanded.nodes > limits.max_nodes || expanded.depth > limits.max_depth) {
    fail("accepted " + std::to_string(expanded.nodes) + " values " +
         std::to_string(expanded.depth) + " deep");
  }
  std::size_t located = 0;
  for (const auto& [pointer, mark] : doc.value_marks) located += pointer.size();
  for (const auto& [pointer, mark] : doc.key_marks) located += pointer.size();
  if (located > limits.max_located_bytes) fail("accepted " + std::to_string(located) + " bytes");
  qgate::LocatedJson again;
  qgate::YamlLimits fewer_nodes = limits;
  fewer_nodes.max_nodes = expanded.nodes - 1;
  if (loads(file, fewer_nodes, again)) {
    fail("accepted " + std::to_string(expanded.nodes) + " values with a limit of " +
         std::to_string(fewer_nodes.max_nodes));
  }
  qgate::YamlLimits fewer_levels = limits;
  fewer_levels.max_depth = expanded.depth - 1;
  if (loads(file, fewer_levels, again)) {
    fail("accepted " + std::to_string(expanded.depth) + " levels with a limit of " +
         std::to_string(fewer_levels.max_depth));
  }
  return 0;
}
