#include "runner/sys/regular_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "runner/sys/fd.hpp"

namespace qgate {
namespace {

std::string what_it_is(mode_t mode) {
  if (S_ISDIR(mode)) return "is a folder, not a file";
  if (S_ISFIFO(mode)) return "is a named pipe (FIFO), not a regular file";
  if (S_ISCHR(mode)) return "is a character device, not a regular file";
  if (S_ISBLK(mode)) return "is a block device, not a regular file";
  if (S_ISSOCK(mode)) return "is a socket, not a regular file";
  return "is not a regular file";
}

// `size` 0: not known (the file grew while it was read).
std::string too_large(std::uintmax_t size, std::uintmax_t max_bytes) {
  if (size == 0) return "is larger than " + format_bytes(max_bytes) + ", the most qgate reads here";
  return "is " + format_bytes(size) + "; qgate reads at most " + format_bytes(max_bytes) + " here";
}

}  // namespace

std::string format_bytes(std::uintmax_t bytes) {
  char text[64];
  if (bytes < 1024) {
    std::snprintf(text, sizeof text, "%ju bytes", bytes);
  } else if (bytes < 1024 * 1024) {
    std::snprintf(text, sizeof text, "%.1f KiB (%ju bytes)", static_cast<double>(bytes) / 1024,
                  bytes);
  } else if (bytes < 1024ULL * 1024 * 1024) {
    std::snprintf(text, sizeof text, "%.1f MiB (%ju bytes)",
                  static_cast<double>(bytes) / (1024 * 1024), bytes);
  } else {
    std::snprintf(text, sizeof text, "%.1f GiB (%ju bytes)",
                  static_cast<double>(bytes) / (1024.0 * 1024 * 1024), bytes);
  }
  return text;
}

std::string check_regular_file(const std::filesystem::path& path, std::uintmax_t max_bytes) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return std::string("cannot read: ") + std::strerror(errno);
  }
  if (!S_ISREG(info.st_mode)) return what_it_is(info.st_mode);
  const auto size = static_cast<std::uintmax_t>(info.st_size);
  if (size > max_bytes) return too_large(size, max_bytes);
  return {};
}

FileRead read_regular_file(const std::filesystem::path& path, std::uintmax_t max_bytes) {
  FileRead out;
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
  Fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (file.get() < 0) {
    const int error = errno;
    struct stat info {};
    // A socket cannot be opened at all (ENXIO): say what it is instead.
    if (::stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode)) {
      out.error = what_it_is(info.st_mode);
    } else {
      out.error = std::string("cannot read: ") + std::strerror(error);
    }
    return out;
  }
  struct stat info {};
  if (::fstat(file.get(), &info) != 0) {
    out.error = std::string("cannot read: ") + std::strerror(errno);
    return out;
  }
  if (!S_ISREG(info.st_mode)) {
    out.error = what_it_is(info.st_mode);
    return out;
  }
  const auto size = static_cast<std::uintmax_t>(info.st_size);
  if (size > max_bytes) {
    out.error = too_large(size, max_bytes);
    out.too_large = true;
    return out;
  }
  // Read to the end, not to st_size: the file may grow meanwhile, and that
  // must not get past the limit either (one byte more than it tells).
  const std::uintmax_t cap = std::min<std::uintmax_t>(max_bytes, SIZE_MAX - 1) + 1;
  out.bytes.resize(static_cast<std::size_t>(std::min<std::uintmax_t>(size + 1, cap)));
  std::size_t used = 0;
  while (true) {
    if (used == out.bytes.size()) {
      if (used >= cap) {
        out.bytes.clear();
        out.error = too_large(0, max_bytes);  // it grew while read
        out.too_large = true;
        return out;
      }
      out.bytes.resize(static_cast<std::size_t>(
          std::min<std::uintmax_t>(cap, std::max<std::uintmax_t>(used * 2ULL, used + 4096ULL))));
    }
    const ssize_t got = ::read(file.get(), out.bytes.data() + used, out.bytes.size() - used);
    if (got < 0) {
      if (errno == EINTR) continue;
      out.bytes.clear();
      out.error = std::string("cannot read: ") + std::strerror(errno);
      return out;
    }
    if (got == 0) break;
    used += static_cast<std::size_t>(got);
  }
  out.bytes.resize(used);
  return out;
}

}  // namespace qgate
