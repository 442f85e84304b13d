// Feeds each input to the JSON report parsers: SARIF, coverage.py JSON, npm
// audit, pip-audit, osv-scanner, Google Benchmark, hyperfine and k6
// (fuzz/README.md).
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  qgate::fuzz::read_in_each(qgate::fuzz::write_input(data, size),
                            {"sarif", "coverage-py-json", "npm-audit", "pip-audit", "osv-scanner",
                             "google-benchmark", "hyperfine", "k6"});
  return 0;
}
