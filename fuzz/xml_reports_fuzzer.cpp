// Feeds each input to the XML report parsers: JUnit, Cobertura, checkstyle
// and cppcheck (fuzz/README.md).
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  qgate::fuzz::read_in_each(qgate::fuzz::write_input(data, size),
                            {"junit", "cobertura", "checkstyle", "cppcheck"});
  return 0;
}
