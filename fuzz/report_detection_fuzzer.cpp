// Feeds each input to read_report() with no format: the format is detected
// from the first bytes, then that parser reads the file (fuzz/README.md).
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  qgate::fuzz::read_both_ways(qgate::fuzz::write_input(data, size), "");
  return 0;
}
