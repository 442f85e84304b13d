#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "gates/parsers/coverage.hpp"
#include "gates/parsers/coverage_files.hpp"

// coverage.py JSON is read with nlohmann's SAX interface: only the current
// path of keys is kept, so memory holds the result, not the document.
//
//   {"meta": {...},
//    "files": {"<path>": {"executed_lines": [1, 2], "missing_lines": [3],
//                         "excluded_lines": [], "summary": {...},
//                         "executed_branches": [[1, 2]], "missing_branches": []},
//              ...},
//    "totals": {...}}

namespace qgate {
namespace {

using nlohmann::json;

// What coverage.py's "summary" of one file says, where it says it.
struct FileSummary {
  std::optional<std::int64_t> num_statements;
  std::optional<std::int64_t> covered_lines;
  std::optional<std::int64_t> num_branches;
  std::optional<std::int64_t> covered_branches;
  std::int64_t executed_branches = 0;  // pairs counted in the arrays
  std::int64_t missing_branches = 0;
};

// Where in the document a value is being read.
enum class Place {
  top,          // the document itself
  top_field,    // a value of the top-level object
  file,         // a file's object, in "files"
  file_field,   // a field of a file's object
  line_number,  // an element of "executed_lines" or "missing_lines"
  summary,      // a field of a file's "summary"
  branch,       // an element of "executed_branches" or "missing_branches"
  other,        // anything deeper, skipped
};

bool is_line_array(std::string_view field) {
  return field == "executed_lines" || field == "missing_lines";
}
bool is_branch_array(std::string_view field) {
  return field == "executed_branches" || field == "missing_branches";
}

class CoveragePyHandler : public nlohmann::json_sax<json> {
 public:
  CoveragePyHandler(const std::filesystem::path& file, std::size_t size)
      : file_(file), size_(size) {}

  bool null() override { return scalar("null"); }
  bool boolean(bool) override { return scalar("a boolean"); }
  bool number_integer(number_integer_t value) override { return integer(value); }
  bool number_unsigned(number_unsigned_t value) override {
    if (value > static_cast<number_unsigned_t>(std::numeric_limits<std::int64_t>::max()))
      return scalar("a number out of range");
    return integer(static_cast<std::int64_t>(value));
  }
  bool number_float(number_float_t, const string_t&) override { return scalar("a fraction"); }
  bool string(string_t&) override { return scalar("a string"); }
  bool binary(binary_t&) override { return scalar("binary data"); }

  bool start_object(std::size_t) override {
    switch (place()) {
      case Place::top_field:
        if (path_[0].key == "files") saw_files_ = true;
        break;
      case Place::file:
        current_ = files_.index_of(path_[1].key);
        summary_ = FileSummary{};
        break;
      case Place::file_field:
        if (is_line_array(path_[2].key) || is_branch_array(path_[2].key))
          reject("an object where an array belongs");
        break;
      case Place::line_number:
      case Place::branch:
        reject("an object where a number or pair belongs");
        break;
      case Place::top:
      case Place::summary:
      case Place::other:
        break;
    }
    enter(true);
    return true;
  }

  bool key(string_t& value) override {
    path_.back().key = value;
    return true;
  }

  bool end_object() override {
    path_.pop_back();
    if (place() == Place::file) finish_file();
    return true;
  }

  bool start_array(std::size_t) override {
    const Place here = place();
    if (here == Place::top) reject("the top level is an array, not an object");
    if (here == Place::file || here == Place::line_number || is_files_value())
      reject("an array where an object or number belongs");
    if (here == Place::branch) {
      if (path_.back().executed) {
        ++summary_.executed_branches;
      } else {
        ++summary_.missing_branches;
      }
    }
    enter(false);
    return true;
  }

  bool end_array() override {
    path_.pop_back();
    return true;
  }

  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& error) override {
    std::string message = error.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix.
    if (const std::size_t bracket = message.find("] "); bracket != std::string::npos)
      message.erase(0, bracket + 2);
    // An error found at the end of the file, in a string, number or literal
    // cut short or with objects left open, is a truncated file.
    const bool truncated = position >= size_;
    throw ReportError(file_, (truncated ? "truncated JSON: " : "malformed JSON: ") + message);
  }

  // Returns the report once the whole document was read.
  CoverageReport finish() && {
    if (!saw_files_)
      throw ReportError(file_,
                        "no \"files\" object at the top level: not a coverage.py JSON report");
    return std::move(files_).finish(file_, "coverage-py-json");
  }

 private:
  struct Level {
    bool object = false;
    std::string key;              // the key being read, in an object
    Place values = Place::other;  // where the values inside it are
    bool executed = false;        // an "executed_..." array, not a "missing_..." one
  };

  // Returns where the value being read is (worked out once per container, as
  // it is asked for every number).
  Place place() const { return path_.empty() ? Place::top : path_.back().values; }

  // Pushes a container opened at the current place.
  void enter(bool object) {
    Level level;
    level.object = object;
    const Place here = place();
    const std::string* field = here == Place::file_field ? &path_[2].key : nullptr;
    if (here == Place::top) {
      level.values = Place::top_field;
    } else if (here == Place::top_field && object && path_[0].key == "files") {
      level.values = Place::file;
    } else if (here == Place::file && object) {
      level.values = Place::file_field;
    } else if (field != nullptr && !object && is_line_array(*field)) {
      level.values = Place::line_number;
      level.executed = *field == "executed_lines";
    } else if (field != nullptr && !object && is_branch_array(*field)) {
      level.values = Place::branch;
      level.executed = *field == "executed_branches";
    } else if (field != nullptr && object && *field == "summary") {
      level.values = Place::summary;
    }
    path_.push_back(std::move(level));
  }

  bool is_files_value() const { return path_.size() == 1 && path_[0].key == "files"; }

  [[noreturn]] void reject(const std::string& what) const {
    std::string where;
    for (const Level& level : path_) {
      if (level.object) where += (where.empty() ? "" : " > ") + ("\"" + level.key + "\"");
    }
    throw ReportError(
        file_, "not coverage.py JSON: " + what + (where.empty() ? std::string() : " at " + where));
  }

  bool scalar(const char* what) {
    const Place here = place();
    if (here == Place::top) reject(std::string("the top level is ") + what + ", not an object");
    if (here == Place::file || here == Place::line_number || here == Place::branch ||
        is_files_value() ||
        (here == Place::file_field &&
         (is_line_array(path_[2].key) || is_branch_array(path_[2].key))))
      reject(std::string(what) + " where a line number, array or object belongs");
    return true;
  }

  bool integer(std::int64_t value) {
    switch (place()) {
      case Place::line_number: {
        if (value < 0 || value > std::numeric_limits<int>::max())
          reject("line number " + std::to_string(value) + " out of range");
        auto [hits, added] =
            line_entry(files_.files()[current_].line_hits, static_cast<int>(value));
        // coverage.py records whether a line ran, not how often.
        if (path_.back().executed) hits = 1;
        return true;
      }
      case Place::summary: {
        const std::string& name = path_[3].key;
        if (name == "num_statements") summary_.num_statements = value;
        if (name == "covered_lines") summary_.covered_lines = value;
        if (name == "num_branches") summary_.num_branches = value;
        if (name == "covered_branches") summary_.covered_branches = value;
        return true;
      }
      default:
        return scalar("a number");
    }
  }

  void finish_file() {
    FileCoverage& file = files_.files()[current_];
    count_line_hits(file);
    // coverage.py counts statements: "executed_lines" may also hold lines
    // that are not statements (a module docstring), so its own counts win.
    if (summary_.num_statements && summary_.covered_lines) {
      file.lines_total = *summary_.num_statements;
      file.lines_covered = *summary_.covered_lines;
    }
    if (summary_.num_branches && summary_.covered_branches) {
      file.branches_total = *summary_.num_branches;
      file.branches_covered = *summary_.covered_branches;
    } else {
      file.branches_total = summary_.executed_branches + summary_.missing_branches;
      file.branches_covered = summary_.executed_branches;
    }
  }

  std::filesystem::path file_;
  std::size_t size_ = 0;
  std::vector<Level> path_;
  CoverageFiles files_;
  std::size_t current_ = 0;
  FileSummary summary_;
  bool saw_files_ = false;
};

}  // namespace

CoverageReport parse_coverage_py_json(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ReportError(file, std::string("cannot be read: ") + std::strerror(errno));
  std::error_code ignored;
  CoveragePyHandler handler(file,
                            static_cast<std::size_t>(std::filesystem::file_size(file, ignored)));
  in >> std::ws;
  if (in.peek() == std::ifstream::traits_type::eof()) throw ReportError(file, "the file is empty");
  json::sax_parse(in, &handler);
  return std::move(handler).finish();
}

}  // namespace qgate
