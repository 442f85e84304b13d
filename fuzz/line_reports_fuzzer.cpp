// Feeds each input to the line-based report parsers: lcov tracefiles and Go
// coverprofiles (fuzz/README.md).
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  qgate::fuzz::read_in_each(qgate::fuzz::write_input(data, size), {"lcov", "go-coverprofile"});
  return 0;
}
