#pragma once
// What the fuzz targets share: the input written to a file (the parsers read
// files), and the one outcome allowed besides a report: a ReportError naming
// that file. Anything else a parser throws escapes and ends the process,
// which libFuzzer and the corpus replay both report as a crash.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace qgate::fuzz {

// Writes `size` bytes at `data` to a file in a folder of this process
// (removed at exit) and returns its path.
const std::filesystem::path& write_input(const std::uint8_t* data, std::size_t size);

// What reading a report came to: "error: <message>" for a ReportError, else a
// summary of the report (counts and a few fields of each entry), so that two
// readings can be compared.
struct Outcome {
  bool error = false;
  std::string text;
};

// Reads `file` with read_report() in `format` (empty: detected), first with
// the parsers' normal block sizes, then with small blocks, so that every
// block boundary of the streaming readers falls inside a small input; aborts
// if a ReportError names another file or the two readings differ. Returns
// the outcome.
Outcome read_both_ways(const std::filesystem::path& file, const std::string& format);

// Reads `file` in each of `formats`.
void read_in_each(const std::filesystem::path& file, const std::vector<std::string>& formats);

}  // namespace qgate::fuzz
