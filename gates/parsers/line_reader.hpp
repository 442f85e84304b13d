#pragma once
// Streaming a line-based report (lcov, Go coverprofile) through a fixed
// buffer, so that memory does not grow with the size of the file.
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace qgate {

// Reads a text file line by line.
class LineReader {
 public:
  // Opens `file`; throws ReportError if it cannot be read.
  explicit LineReader(const std::filesystem::path& file);

  // Sets `line` to the next line, without its "\n" or "\r\n" (valid until the
  // next call); returns false at the end of the file. Throws ReportError on a
  // read error or a line longer than any report writes.
  bool next(std::string_view& line);
  // Returns the 1-based number of the line last returned.
  long line_number() const { return line_number_; }
  // Returns whether the line last returned ended with a newline (the last line
  // of a truncated file does not).
  bool line_ended() const { return line_ended_; }
  // Returns whether no byte has been read so far (an empty file after next()
  // returned false).
  bool saw_nothing() const { return bytes_read_ == 0; }
  // Returns the file being read.
  const std::filesystem::path& file() const { return file_; }
  // Returns "line N: " for messages about the line last returned.
  std::string where() const { return "line " + std::to_string(line_number_) + ": "; }

 private:
  std::filesystem::path file_;
  std::ifstream in_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;  // start of the unread data in buffer_
  std::size_t end_ = 0;    // end of the data in buffer_
  bool eof_ = false;
  long line_number_ = 0;
  bool line_ended_ = true;
  std::size_t bytes_read_ = 0;
};

}  // namespace qgate
