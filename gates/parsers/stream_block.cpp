#include "gates/parsers/stream_block.hpp"

namespace qgate {
namespace {

std::size_t block_size_override = 0;

}  // namespace

std::size_t stream_block_size(std::size_t normal) {
  return block_size_override != 0 ? block_size_override : normal;
}

void set_stream_block_size_for_testing(std::size_t bytes) { block_size_override = bytes; }

}  // namespace qgate
