#pragma once
// A byte filter in front of the JSON parser that replaces the values of
// members nobody reads (SARIF code flows, embedded file contents) with null,
// far faster than parsing them: the parser then sees a fraction of a large
// report.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace qgate {

class JsonSkipFilter {
 public:
  // Skips the values of members named in `names`, at any depth.
  explicit JsonSkipFilter(std::vector<std::string> names);

  // Appends to `out` what the parser is to see of the next `size` bytes at
  // `data`: the input, with each skipped value replaced by "null" followed by
  // the newlines it held, so that the parser's line numbers stay the file's.
  // Returns an empty string, or a description of a bracket mismatch inside a
  // skipped value ("line 12: ']' closes '{'").
  std::string feed(const char* data, std::size_t size, std::string& out);

  // Returns true while inside a skipped value (the input ended early if so).
  bool skipping() const { return state_ >= State::skip_start; }

 private:
  enum class State {
    normal,
    string,
    escape,
    skip_start,
    skip_container,
    skip_string,
    skip_escape,
    skip_scalar
  };
  static constexpr std::size_t kMaxName = 48;

  bool is_skipped(std::string_view name) const;

  std::vector<std::string> names_;
  unsigned long long lengths_ = 0;  // bit n set: some name has n characters
  State state_ = State::normal;
  char name_[kMaxName] = {};
  std::size_t name_length_ = 0;  // kMaxName + 1: too long to be a skipped name
  bool after_string_ = false;    // only whitespace since a string ended
  std::vector<char> open_;       // brackets open inside the skipped value
  std::size_t line_ = 1;
};

}  // namespace qgate
