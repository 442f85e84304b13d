#pragma once
// The size of the blocks the streaming parsers (XML stream, JSON chunks, line
// reader) read a file in. Large in use; the fuzz targets make it small so
// that block boundaries fall everywhere in a small input, where the
// window-keeping code is most likely to go wrong.
#include <cstddef>

namespace qgate {

// Returns the block size to use instead of `normal`: `normal` unless a test
// set another one.
std::size_t stream_block_size(std::size_t normal);

// Makes every streaming parser read blocks of `bytes` (0: their normal sizes).
// For tests and fuzzing only; not thread-safe.
void set_stream_block_size_for_testing(std::size_t bytes);

}  // namespace qgate
