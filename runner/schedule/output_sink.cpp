#include "runner/schedule/output_sink.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace qgate {

OutputSink::OutputSink(const std::filesystem::path& log_path, const SecretMasker& masker,
                       std::size_t tail_bytes)
    : masker_(masker), tail_bytes_(std::max<std::size_t>(tail_bytes, 64)) {
  fd_ = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0 && errno == ENOENT) {
    std::error_code ignored;
    std::filesystem::create_directories(log_path.parent_path(), ignored);
    fd_ = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  }
  ring_.reserve(tail_bytes_);
}

OutputSink::~OutputSink() {
  if (fd_ >= 0) ::close(fd_);
}

void OutputSink::write(std::string_view chunk) {
  if (masker_.empty()) {
    emit(chunk);  // nothing to mask: no copy
  } else {
    emit(masker_.feed(chunk));
  }
}

void OutputSink::note(std::string_view line) {
  emit(masker_.finish());
  std::string text(line);
  text += '\n';
  emit(text);
}

void OutputSink::finish() { emit(masker_.finish()); }

void OutputSink::emit(std::string_view masked) {
  if (masked.empty()) return;
  bytes_written_ += masked.size();
  if (fd_ >= 0) {
    std::string_view rest = masked;
    while (!rest.empty()) {
      const ssize_t n = ::write(fd_, rest.data(), rest.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        // A full disk loses the log, not the run: the tail is still kept.
        ::close(fd_);
        fd_ = -1;
        break;
      }
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  // Keep only the newest tail_bytes_ bytes.
  if (masked.size() >= tail_bytes_) {
    ring_.assign(masked.substr(masked.size() - tail_bytes_));
    ring_start_ = 0;
    return;
  }
  if (ring_.size() < tail_bytes_) {
    const std::size_t take = std::min(tail_bytes_ - ring_.size(), masked.size());
    ring_.append(masked.substr(0, take));
    masked.remove_prefix(take);
  }
  while (!masked.empty()) {
    const std::size_t n = std::min(masked.size(), tail_bytes_ - ring_start_);
    std::memcpy(ring_.data() + ring_start_, masked.data(), n);
    ring_start_ = (ring_start_ + n) % tail_bytes_;
    masked.remove_prefix(n);
  }
}

std::string OutputSink::tail(std::size_t max_lines) const {
  std::string ordered = ring_.substr(ring_start_) + ring_.substr(0, ring_start_);
  // Drop a trailing newline so the last line counts as one.
  std::size_t end = ordered.size();
  if (end > 0 && ordered[end - 1] == '\n') --end;
  std::size_t begin = end;
  std::size_t lines = 0;
  while (begin > 0) {
    if (ordered[begin - 1] == '\n' && ++lines == max_lines) break;
    --begin;
  }
  return ordered.substr(begin, end - begin);
}

}  // namespace qgate
