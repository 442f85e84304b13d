#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gates/parsers/coverage.hpp"
#include "gates/parsers/coverage_files.hpp"
#include "gates/parsers/line_reader.hpp"

namespace qgate {
namespace {

// The branches of a file, kept to merge records of the same file. A branch
// is its line and its block and branch ids: packed into one number when they
// are small numbers (as gcov and istanbul write them), else kept as text
// (lcov 2 may write an expression as the branch id).
struct Branches {
  std::vector<std::pair<std::uint64_t, std::int64_t>> packed;  // sorted and merged at the end
  std::map<std::pair<int, std::string>, std::int64_t> named;
};

std::string quoted(std::string_view line) {
  constexpr std::size_t kShown = 80;
  return "\"" + std::string(line.substr(0, kShown)) + (line.size() > kShown ? "...\"" : "\"");
}

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  return __builtin_add_overflow(a, b, &sum) ? std::numeric_limits<std::int64_t>::max() : sum;
}

class LcovReader {
 public:
  explicit LcovReader(const std::filesystem::path& file) : reader_(file) {}
  CoverageReport read();

 private:
  [[noreturn]] void fail(const std::string& problem) const {
    throw ReportError(reader_.file(), reader_.where() + problem);
  }
  void need_record(std::string_view key) const {
    if (current_ == nullptr) fail(std::string(key) + ": outside a record (no SF: before it)");
  }
  int line_number(std::string_view text, std::string_view line) const;
  void read_line_hits(std::string_view value, std::string_view line);
  void read_branch(std::string_view value, std::string_view line);

  LineReader reader_;
  CoverageFiles files_;
  std::vector<Branches> branches_;   // by index in files_
  FileCoverage* current_ = nullptr;  // the file of the open record
  Branches* current_branches_ = nullptr;
  long record_start_ = 0;
};

int LcovReader::line_number(std::string_view text, std::string_view line) const {
  std::int64_t value = 0;
  if (!parse_integer(text, value) || value < 0 || value > std::numeric_limits<int>::max())
    fail("line number " + quoted(text) + " in " + quoted(line) + " is not a line number");
  return static_cast<int>(value);
}

// DA:<line>,<hits>[,<checksum>]
void LcovReader::read_line_hits(std::string_view value, std::string_view line) {
  const std::size_t comma = value.find(',');
  if (comma == std::string_view::npos) fail("expected DA:<line>,<hits>, found " + quoted(line));
  const int number = line_number(value.substr(0, comma), line);
  std::string_view hits_text = value.substr(comma + 1);
  hits_text = hits_text.substr(0, hits_text.find(','));
  std::int64_t hits = 0;
  if (!parse_integer(hits_text, hits) || hits < 0)
    fail("hit count " + quoted(hits_text) + " in " + quoted(line) + " is not a count");
  // Records of one file from several test runs add up, as `lcov -a` adds them.
  std::int64_t& count = line_entry(current_->line_hits, number).first;
  count = saturating_add(count, hits);
}

// BRDA:<line>,<block>,<branch>,<taken>, where <taken> is "-" for a branch
// whose condition was never evaluated.
void LcovReader::read_branch(std::string_view value, std::string_view line) {
  const std::size_t first = value.find(',');
  const std::size_t last = value.rfind(',');
  if (first == std::string_view::npos || last == first)
    fail("expected BRDA:<line>,<block>,<branch>,<taken>, found " + quoted(line));
  const int number = line_number(value.substr(0, first), line);
  const std::string_view taken_text = value.substr(last + 1);
  std::int64_t taken = 0;
  if (taken_text != "-" && (!parse_integer(taken_text, taken) || taken < 0))
    fail("taken count " + quoted(taken_text) + " in " + quoted(line) + " is not a count");
  const std::string_view id = value.substr(first + 1, last - first - 1);
  const std::size_t comma = id.find(',');
  std::int64_t block = 0;
  std::int64_t branch = 0;
  if (comma != std::string_view::npos && parse_integer(id.substr(0, comma), block) &&
      parse_integer(id.substr(comma + 1), branch) && block >= 0 && block < 65536 && branch >= 0 &&
      branch < 65536) {
    const std::uint64_t key = static_cast<std::uint64_t>(number) << 32 |
                              static_cast<std::uint64_t>(block) << 16 |
                              static_cast<std::uint64_t>(branch);
    current_branches_->packed.emplace_back(key, taken);
  } else {
    auto [it, added] =
        current_branches_->named.try_emplace(std::pair(number, std::string(id)), taken);
    if (!added) it->second = saturating_add(it->second, taken);
  }
}

CoverageReport LcovReader::read() {
  bool any_record = false;
  std::string_view line;
  while (reader_.next(line)) {
    if (!reader_.line_ended())
      fail("truncated: the last line has no newline (lcov ends every line with one)");
    if (line.empty()) continue;
    if (line == "end_of_record") {
      if (current_ == nullptr) fail("end_of_record without a record (no SF: before it)");
      current_ = nullptr;
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos)
      fail("expected <KEY>:<value> or end_of_record, found " + quoted(line));
    const std::string_view key = line.substr(0, colon);
    const std::string_view value = line.substr(colon + 1);
    if (key == "SF") {
      if (current_ != nullptr)
        fail("SF: inside the record of " + current_->path + " (from line " +
             std::to_string(record_start_) + "), which has no end_of_record");
      if (value.empty()) fail("SF: without a file name");
      const std::size_t index = files_.index_of(value);
      if (index >= branches_.size()) branches_.resize(index + 1);
      current_ = &files_.files()[index];
      current_branches_ = &branches_[index];
      record_start_ = reader_.line_number();
      any_record = true;
    } else if (key == "DA") {
      need_record(key);
      read_line_hits(value, line);
    } else if (key == "BRDA") {
      need_record(key);
      read_branch(value, line);
    } else if (key.empty() ||
               key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string_view::npos) {
      // TN, LF/LH, BRF/BRH (counted again from DA and BRDA), the function
      // records FN/FNDA/FNF/FNH and any key of a newer lcov are skipped; a key
      // that is not one is not lcov.
      fail("expected <KEY>:<value> or end_of_record, found " + quoted(line));
    }
  }
  if (current_ != nullptr)
    throw ReportError(reader_.file(), "truncated: the record of " + current_->path +
                                          " (from line " + std::to_string(record_start_) +
                                          ") has no end_of_record");
  if (!any_record)
    throw ReportError(reader_.file(), reader_.saw_nothing()
                                          ? "the file is empty"
                                          : "no SF: record: not an lcov tracefile");
  std::vector<FileCoverage>& files = files_.files();
  for (std::size_t i = 0; i < files.size(); ++i) {
    count_line_hits(files[i]);
    auto& packed = branches_[i].packed;
    std::sort(packed.begin(), packed.end());
    for (std::size_t j = 0; j < packed.size();) {
      std::int64_t taken = 0;
      const std::uint64_t key = packed[j].first;
      for (; j < packed.size() && packed[j].first == key; ++j)
        taken = saturating_add(taken, packed[j].second);
      ++files[i].branches_total;
      if (taken > 0) ++files[i].branches_covered;
    }
    for (const auto& [branch, taken] : branches_[i].named) {
      ++files[i].branches_total;
      if (taken > 0) ++files[i].branches_covered;
    }
  }
  return std::move(files_).finish(reader_.file(), "lcov");
}

}  // namespace

CoverageReport parse_lcov(const std::filesystem::path& file) { return LcovReader(file).read(); }

}  // namespace qgate
