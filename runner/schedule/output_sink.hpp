#pragma once
// Where a step's output goes: masked, appended to its log file, and the last
// few kilobytes kept in memory for the failure summary. Memory stays bounded
// however much the step prints.
#include <filesystem>
#include <string>
#include <string_view>

#include "runner/core/secret_masker.hpp"

namespace qgate {

class OutputSink {
 public:
  // Opens (truncating) the log at `log_path`; keeps at most `tail_bytes` in memory.
  OutputSink(const std::filesystem::path& log_path, const SecretMasker& masker,
             std::size_t tail_bytes);
  OutputSink(const OutputSink&) = delete;
  OutputSink& operator=(const OutputSink&) = delete;
  ~OutputSink();

  // Appends raw output `chunk` of the step.
  void write(std::string_view chunk);
  // Writes a line of qgate's own (e.g. "--- attempt 2 ---") into the log.
  void note(std::string_view line);
  // Flushes what the masker held back; call once at the end.
  void finish();
  // Returns the last `max_lines` lines kept in memory.
  std::string tail(std::size_t max_lines) const;
  // Returns the number of bytes written to the log.
  std::uint64_t bytes_written() const { return bytes_written_; }

 private:
  void emit(std::string_view masked);

  int fd_ = -1;
  StreamMasker masker_;
  std::string ring_;  // a circular buffer of the latest output
  std::size_t ring_start_ = 0;
  std::size_t tail_bytes_;
  std::uint64_t bytes_written_ = 0;
};

}  // namespace qgate
