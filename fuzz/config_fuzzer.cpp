// Feeds each input to the configuration loader as an
// integration-requirements.yaml: YAML, then the located JSON, then schema and
// cross-field validation. The only error it may throw is ConfigError
// (fuzz/README.md).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "fuzz/fuzz_support.hpp"
#include "runner/config/load_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::filesystem::path& file = qgate::fuzz::write_input(data, size);
  try {
    qgate::load_config(file);
  } catch (const qgate::ConfigError& e) {
    // Every problem is placed in the file that was read.
    for (const qgate::Diagnostic& d : e.diagnostics()) {
      if (d.file.empty() || d.line < 0 || d.column < 0) {
        std::fprintf(stderr, "qgate fuzz: diagnostic without a place: %s\n",
                     qgate::format_diagnostic(d).c_str());
        std::abort();
      }
    }
  }
  return 0;
}
