#pragma once
// Reading a file that a module's repository supplies: only a regular file
// (or a link to one), never more than a limit, and never blocking on a FIFO.
#include <cstdint>
#include <filesystem>
#include <string>

namespace qgate {

// What read_regular_file() found: the bytes, or why there are none.
struct FileRead {
  std::string bytes;
  std::string error;       // empty when the file was read
  bool too_large = false;  // the error is that it holds more than the limit
};

// Reads the regular file at `path` if it holds at most `max_bytes`; a folder,
// a FIFO, a device or a socket is an error saying what it is, as is a larger
// file.
FileRead read_regular_file(const std::filesystem::path& path, std::uintmax_t max_bytes);

// Returns why the file at `path` may not be read (not a regular file once
// links are followed: a folder, a FIFO, a device or a socket, said which; or
// larger than `max_bytes`), or "" if it may. For readers that open the file
// themselves, streaming it.
std::string check_regular_file(const std::filesystem::path& path, std::uintmax_t max_bytes);

// Returns `bytes` for a message: "4.0 MiB (4194304 bytes)", or "12 bytes".
std::string format_bytes(std::uintmax_t bytes);

}  // namespace qgate
