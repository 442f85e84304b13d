#include "gates/parsers/line_reader.hpp"

#include <cerrno>
#include <cstring>

#include "gates/parsers/report.hpp"
#include "gates/parsers/stream_block.hpp"

namespace qgate {
namespace {

// Grows (by doubling) only for a line longer than this.
constexpr std::size_t kBufferSize = 64 << 10;
// No report line comes near this; a longer one is a binary or corrupt file.
constexpr std::size_t kMaxLineLength = 16 << 20;

}  // namespace

LineReader::LineReader(const std::filesystem::path& file)
    : file_(file), in_(file, std::ios::binary), buffer_(stream_block_size(kBufferSize)) {
  if (!in_) throw ReportError(file, std::string("cannot be read: ") + std::strerror(errno));
}

bool LineReader::next(std::string_view& line) {
  for (;;) {
    const char* data = buffer_.data();
    const void* newline = std::memchr(data + begin_, '\n', end_ - begin_);
    if (newline != nullptr) {
      const auto stop = static_cast<std::size_t>(static_cast<const char*>(newline) - data);
      std::size_t length = stop - begin_;
      if (length > 0 && data[begin_ + length - 1] == '\r') --length;
      line = std::string_view(data + begin_, length);
      begin_ = stop + 1;
      ++line_number_;
      line_ended_ = true;
      return true;
    }
    if (eof_) {
      if (begin_ == end_) return false;
      line = std::string_view(data + begin_, end_ - begin_);
      begin_ = end_;
      ++line_number_;
      line_ended_ = false;
      return true;
    }
    // Keep the partial line and read more behind it.
    if (begin_ > 0) {
      std::memmove(buffer_.data(), data + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (end_ == buffer_.size()) {
      if (buffer_.size() >= kMaxLineLength)
        throw ReportError(file_, "line " + std::to_string(line_number_ + 1) + " is longer than " +
                                     std::to_string(kMaxLineLength >> 20) +
                                     " MB: not a text report");
      buffer_.resize(buffer_.size() * 2);
    }
    in_.read(buffer_.data() + end_, static_cast<std::streamsize>(buffer_.size() - end_));
    const auto got = static_cast<std::size_t>(in_.gcount());
    if (in_.bad()) throw ReportError(file_, "read error");
    end_ += got;
    bytes_read_ += got;
    if (got == 0 || in_.eof()) eof_ = true;
  }
}

}  // namespace qgate
