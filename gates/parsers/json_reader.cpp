#include "gates/parsers/json_reader.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "gates/parsers/json_skip_filter.hpp"
#include "gates/parsers/report.hpp"
#include "gates/parsers/stream_block.hpp"
#include "runner/core/utf8_text.hpp"

namespace qgate {
namespace {

using nlohmann::json;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

// A file read in fixed chunks: the input of the JSON parser, so that a large
// report never has to be in memory at once. With a filter, the parser sees
// the chunks as the filter passes them.
class ChunkedFile {
 public:
  ChunkedFile(const std::filesystem::path& file, JsonSkipFilter* filter)
      : path_(file), filter_(filter) {
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) throw ReportError(file, "is a folder, not a file");
    handle_.reset(std::fopen(file.c_str(), "rb"));
    if (!handle_) throw ReportError(file, std::string("cannot be read: ") + std::strerror(errno));
  }

  // Returns true when every byte has been consumed (reading the next chunk
  // if the current one is used up).
  bool at_end() {
    if (pos_ < buffer_.size()) return false;
    return !refill();
  }
  const char& current() const { return buffer_[pos_]; }
  void advance() { ++pos_; }

 private:
  static constexpr std::size_t kChunk = 1 << 20;

  // Reads up to one chunk into `into`; returns the number of bytes read.
  std::size_t read(std::string& into) {
    const std::size_t chunk = stream_block_size(kChunk);
    into.resize(chunk);
    const std::size_t got = std::fread(into.data(), 1, chunk, handle_.get());
    into.resize(got);
    if (got < chunk) {
      if (std::ferror(handle_.get())) throw ReportError(path_, "read error");
      eof_ = true;
    }
    return got;
  }

  bool refill() {
    if (!problem_.empty()) throw ReportError(path_, "invalid JSON at " + problem_);
    pos_ = 0;
    buffer_.clear();
    // A chunk can be all skipped value: read on until the parser has input.
    while (!eof_ && buffer_.empty()) {
      if (filter_ == nullptr) {
        read(buffer_);
      } else {
        read(raw_);
        problem_ = filter_->feed(raw_.data(), raw_.size(), buffer_);
        if (!problem_.empty()) {
          // The parser reads what came before the bad bracket first: an
          // error there is the first of the file, and is the one reported.
          if (buffer_.empty()) throw ReportError(path_, "invalid JSON at " + problem_);
          break;
        }
      }
    }
    return !buffer_.empty();
  }

  std::filesystem::path path_;
  JsonSkipFilter* filter_;
  std::unique_ptr<std::FILE, FileCloser> handle_;
  std::string raw_;
  std::string buffer_;
  std::size_t pos_ = 0;
  bool eof_ = false;
  std::string problem_;  // a bracket mismatch the filter found in a skipped value
};

// An input iterator over a ChunkedFile; a default-constructed one is the end.
class ChunkIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  ChunkIterator() = default;
  explicit ChunkIterator(ChunkedFile* file) : file_(file) {}
  reference operator*() const { return file_->current(); }
  ChunkIterator& operator++() {
    file_->advance();
    return *this;
  }
  ChunkIterator operator++(int) {
    ChunkIterator before = *this;
    file_->advance();
    return before;
  }
  // Only ever compared with the end iterator, which is all the parser does.
  bool operator==(const ChunkIterator& other) const { return ended() == other.ended(); }

 private:
  bool ended() const { return file_ == nullptr || file_->at_end(); }
  ChunkedFile* file_ = nullptr;
};

// Turns nlohmann's "[json.exception.parse_error.101] parse error at line 3,
// column 1: syntax error ..." into "at line 3, column 1: syntax error ...".
std::string describe(const std::string& what) {
  std::string text = what;
  const auto bracket = text.find("] ");
  if (text.rfind("[json.exception", 0) == 0 && bracket != std::string::npos) {
    text = text.substr(bracket + 2);
  }
  if (text.rfind("parse error ", 0) == 0) text = text.substr(std::strlen("parse error "));
  return "invalid JSON " + text;
}

void reject_empty(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(file, ec) && std::filesystem::file_size(file, ec) == 0 &&
      !ec) {
    throw ReportError(file, "is empty");
  }
}

// No string of a report is kept longer than this: far longer than any name,
// path or message a reader looks at, so that a report's memory is bounded by
// it rather than by its largest value (the parsers copy what they keep).
constexpr std::size_t kMaxJsonString = 1024 * 1024;

// Forwards every event to the handler given and throws a ReportError for a
// syntax error, so that callers never see a half-parsed success. Strings
// longer than kMaxJsonString are cut.
class ThrowingSax : public nlohmann::json_sax<json> {
 public:
  ThrowingSax(const std::filesystem::path& file, nlohmann::json_sax<json>& inner)
      : file_(file), inner_(inner) {}
  bool null() override { return inner_.null(); }
  bool boolean(bool val) override { return inner_.boolean(val); }
  bool number_integer(number_integer_t val) override { return inner_.number_integer(val); }
  bool number_unsigned(number_unsigned_t val) override { return inner_.number_unsigned(val); }
  bool number_float(number_float_t val, const string_t& s) override {
    return inner_.number_float(val, s);
  }
  bool string(string_t& val) override {
    if (val.size() > kMaxJsonString) {
      cut_with_note(val, kMaxJsonString);
      val.shrink_to_fit();
    }
    return inner_.string(val);
  }
  bool binary(binary_t& val) override { return inner_.binary(val); }
  bool start_object(std::size_t elements) override { return inner_.start_object(elements); }
  bool key(string_t& val) override {
    if (val.size() > kMaxJsonString) cut_with_note(val, kMaxJsonString);
    return inner_.key(val);
  }
  bool end_object() override { return inner_.end_object(); }
  bool start_array(std::size_t elements) override { return inner_.start_array(elements); }
  bool end_array() override { return inner_.end_array(); }
  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& ex) override {
    throw ReportError(file_, describe(ex.what()));
  }

 private:
  const std::filesystem::path& file_;
  nlohmann::json_sax<json>& inner_;
};

}  // namespace

json read_json_file(const std::filesystem::path& file) {
  reject_empty(file);
  ChunkedFile input(file, nullptr);
  try {
    return json::parse(ChunkIterator(&input), ChunkIterator());
  } catch (const json::exception& e) {
    throw ReportError(file, describe(e.what()));
  }
}

void sax_parse_json_file(const std::filesystem::path& file, nlohmann::json_sax<json>& sax,
                         const std::vector<std::string>& skipped) {
  reject_empty(file);
  JsonSkipFilter filter(skipped);
  ChunkedFile input(file, skipped.empty() ? nullptr : &filter);
  ThrowingSax checked(file, sax);
  // A handler that stops the parse (returns false) has already thrown.
  json::sax_parse(ChunkIterator(&input), ChunkIterator(), &checked);
}

}  // namespace qgate
