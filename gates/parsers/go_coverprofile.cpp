#include <algorithm>
#include <array>
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

// A block spanning more lines than this is a corrupt line, not Go source; the
// bound keeps such a line from filling memory with line hits.
constexpr std::int64_t kMaxBlockLines = 100000;

// A block's start line, start column, end line and end column.
using Range = std::array<int, 4>;

struct Block {
  std::int64_t statements = 0;
  std::int64_t count = 0;
};

std::string quoted(std::string_view line) {
  constexpr std::size_t kShown = 80;
  return "\"" + std::string(line.substr(0, kShown)) + (line.size() > kShown ? "...\"" : "\"");
}

class CoverprofileReader {
 public:
  explicit CoverprofileReader(const std::filesystem::path& file) : reader_(file) {}
  CoverageReport read();

 private:
  [[noreturn]] void fail(const std::string& problem) const {
    throw ReportError(reader_.file(), reader_.where() + problem);
  }
  void read_mode(std::string_view line);
  void read_block(std::string_view line);

  LineReader reader_;
  CoverageFiles files_;
  // The blocks of each file by index in files_, sorted and merged at the end.
  std::vector<std::vector<std::pair<Range, Block>>> blocks_;
  std::string mode_;
  std::string last_file_;
  std::size_t last_index_ = 0;
};

void CoverprofileReader::read_mode(std::string_view line) {
  const std::string_view mode = line.substr(6);
  if (mode != "set" && mode != "count" && mode != "atomic")
    fail("unknown mode " + quoted(mode) + " (expected set, count or atomic)");
  // Profiles of several packages may be concatenated, each with its mode line.
  if (!mode_.empty() && mode != mode_)
    fail("mode " + std::string(mode) + " after mode " + mode_ + ": profiles of different modes");
  mode_ = std::string(mode);
}

// <file>:<start line>.<start column>,<end line>.<end column> <statements> <count>
void CoverprofileReader::read_block(std::string_view line) {
  const auto bad = [&] {
    fail("expected <file>:<line>.<column>,<line>.<column> <statements> <count>, found " +
         quoted(line));
  };
  const std::size_t count_space = line.rfind(' ');
  if (count_space == std::string_view::npos || count_space == 0) bad();
  const std::size_t statements_space = line.rfind(' ', count_space - 1);
  const std::size_t colon = line.rfind(':', statements_space);
  if (statements_space == std::string_view::npos || colon == std::string_view::npos || colon == 0 ||
      colon > statements_space)
    bad();
  std::int64_t statements = 0;
  std::int64_t count = 0;
  if (!parse_integer(line.substr(statements_space + 1, count_space - statements_space - 1),
                     statements) ||
      !parse_integer(line.substr(count_space + 1), count) || statements < 0 || count < 0)
    bad();
  // The range: four numbers separated by '.', ',' and '.'.
  std::string_view range = line.substr(colon + 1, statements_space - colon - 1);
  Range where{};
  for (std::size_t i = 0; i < where.size(); ++i) {
    const char separator = i == 0 || i == 2 ? '.' : ',';
    const std::size_t end = i == 3 ? range.size() : range.find(separator);
    std::int64_t value = 0;
    if (end == std::string_view::npos || !parse_integer(range.substr(0, end), value) || value < 0 ||
        value > std::numeric_limits<int>::max())
      bad();
    where[i] = static_cast<int>(value);
    range.remove_prefix(i == 3 ? range.size() : end + 1);
  }
  if (where[0] < 1 || where[2] < where[0]) fail("block ends before it starts: " + quoted(line));
  if (where[2] - where[0] > kMaxBlockLines)
    fail("block spans more than " + std::to_string(kMaxBlockLines) + " lines: " + quoted(line));

  const std::string_view name = line.substr(0, colon);
  if (name != last_file_ || blocks_.empty()) {
    last_index_ = files_.index_of(name);
    last_file_ = std::string(name);
    if (last_index_ >= blocks_.size()) blocks_.resize(last_index_ + 1);
  }
  blocks_[last_index_].emplace_back(where, Block{statements, count});
}

CoverageReport CoverprofileReader::read() {
  std::string_view line;
  while (reader_.next(line)) {
    if (!reader_.line_ended())
      fail("truncated: the last line has no newline (go test ends every line with one)");
    if (line.empty()) continue;
    if (line.substr(0, 6) == "mode: ") {
      read_mode(line);
    } else if (mode_.empty()) {
      fail("expected \"mode: set|count|atomic\" first, found " + quoted(line) +
           ": not a Go coverprofile");
    } else {
      read_block(line);
    }
  }
  if (mode_.empty())
    throw ReportError(reader_.file(), reader_.saw_nothing()
                                          ? "the file is empty"
                                          : "no \"mode:\" line: not a Go coverprofile");
  std::vector<FileCoverage>& files = files_.files();
  for (std::size_t i = 0; i < files.size(); ++i) {
    FileCoverage& file = files[i];
    auto& blocks = blocks_[i];
    std::stable_sort(blocks.begin(), blocks.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t j = 0; j < blocks.size();) {
      // A block named twice (profiles of several test binaries) is merged as
      // `go tool cover` merges it: counts add up, or in set mode either is
      // enough.
      const Range where = blocks[j].first;
      Block block = blocks[j].second;
      for (++j; j < blocks.size() && blocks[j].first == where; ++j) {
        const std::int64_t count = blocks[j].second.count;
        if (mode_ == "set") {
          block.count = std::max(block.count, count);
        } else if (__builtin_add_overflow(block.count, count, &block.count)) {
          block.count = std::numeric_limits<std::int64_t>::max();
        }
      }
      if (!add_count(file.lines_total, block.statements) ||
          (block.count > 0 && !add_count(file.lines_covered, block.statements)))
        throw ReportError(reader_.file(), "the statement counts of " + file.path +
                                              " add up to more than a 64-bit number");
      for (int number = where[0]; number <= where[2]; ++number) {
        auto [hits, added] = line_entry(file.line_hits, number);
        hits = added ? block.count : std::max(hits, block.count);
      }
    }
  }
  return std::move(files_).finish(reader_.file(), "go-coverprofile");
}

}  // namespace

CoverageReport parse_go_coverprofile(const std::filesystem::path& file) {
  return CoverprofileReader(file).read();
}

}  // namespace qgate
