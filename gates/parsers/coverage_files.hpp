#pragma once
// What the coverage parsers share: the files of a report in the order it
// names them, and number parsing. Not part of their interface.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gates/parsers/report.hpp"

namespace qgate {

// The files of a coverage report being read, in the order the report first
// names them.
class CoverageFiles {
 public:
  // Returns the entry of `path`, created empty on first use.
  FileCoverage& at(std::string_view path) { return files_[index_of(path)]; }
  // Returns the index in files() of the entry of `path`, created on first use.
  std::size_t index_of(std::string_view path);
  // Returns the files so far, to finish each one.
  std::vector<FileCoverage>& files() { return files_; }
  // Returns the report in `format` with the files, and totals summed over
  // them; throws ReportError naming `file` if a total does not fit in 64 bits
  // (only a forged report has such counts).
  CoverageReport finish(const std::filesystem::path& file, std::string format) &&;

 private:
  std::vector<FileCoverage> files_;
  std::unordered_map<std::string, std::size_t> index_;
};

// Returns the hit count of `line` in `hits` and whether it is new (then 0).
inline std::pair<std::int64_t&, bool> line_entry(LineHits& hits, int line) {
  return hits.entry(line);
}

// Adds `value` to `total`; returns false, leaving `total` as it was, if the
// sum does not fit.
inline bool add_count(std::int64_t& total, std::int64_t value) {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(total, value, &sum)) return false;
  total = sum;
  return true;
}

// Sets lines_total and lines_covered of `file` from its line_hits.
void count_line_hits(FileCoverage& file);

// Parses all of `text` as a base-10 integer into `value`; returns false if it
// is not one (or does not fit).
bool parse_integer(std::string_view text, std::int64_t& value);

}  // namespace qgate
