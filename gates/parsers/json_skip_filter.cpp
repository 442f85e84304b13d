#include "gates/parsers/json_skip_filter.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace qgate {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Characters each state has to stop at; everything else is copied or
// skipped in bulk.
struct StopTable {
  bool stop[256] = {};
  explicit StopTable(std::string_view chars) {
    for (const char c : chars) stop[static_cast<unsigned char>(c)] = true;
  }
  const char* find(const char* p, const char* end) const {
    while (p < end && !stop[static_cast<unsigned char>(*p)]) ++p;
    return p;
  }
};

const StopTable kNormalStops("\":");
const StopTable kStringStops("\"\\");
const StopTable kContainerStops("\"{}[]");

std::size_t count_newlines(const char* p, const char* end) {
  std::size_t n = 0;
  while (p < end) {
    const void* hit = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
    if (hit == nullptr) break;
    ++n;
    p = static_cast<const char*>(hit) + 1;
  }
  return n;
}

bool all_space(const char* p, const char* end) {
  for (; p < end; ++p) {
    if (!is_space(*p)) return false;
  }
  return true;
}

}  // namespace

JsonSkipFilter::JsonSkipFilter(std::vector<std::string> names) : names_(std::move(names)) {
  for (const std::string& name : names_) {
    if (name.size() < 64) lengths_ |= 1ULL << name.size();
  }
}

bool JsonSkipFilter::is_skipped(std::string_view name) const {
  if (name.size() >= 64 || (lengths_ & (1ULL << name.size())) == 0) return false;
  for (const std::string& candidate : names_) {
    if (candidate == name) return true;
  }
  return false;
}

std::string JsonSkipFilter::feed(const char* data, std::size_t size, std::string& out) {
  const char* const end = data + size;
  const char* p = data;
  // Bytes outside skipped values are passed on in bulk from `copy_from`;
  // of skipped bytes (from `skipped_from`) only the newlines are, so that
  // the parser's line numbers stay the file's.
  const char* copy_from = skipping() ? nullptr : data;
  const char* skipped_from = skipping() ? data : nullptr;
  auto finish_skip = [&](const char* until) {
    out.append(count_newlines(skipped_from, until), '\n');
    skipped_from = nullptr;
    copy_from = until;
    state_ = State::normal;
  };
  auto line_at = [&](const char* at) { return line_ + count_newlines(data, at); };
  while (p < end) {
    switch (state_) {
      case State::normal: {
        const char* stop = kNormalStops.find(p, end);
        const bool key_next = after_string_ && all_space(p, stop);
        p = stop;
        if (p == end) {
          after_string_ = key_next;
          break;
        }
        after_string_ = false;
        if (*p++ == '"') {
          state_ = State::string;
          name_length_ = 0;
        } else if (key_next && is_skipped(std::string_view(name_, name_length_))) {
          out.append(copy_from, p);
          out += "null";
          copy_from = nullptr;
          skipped_from = p;
          state_ = State::skip_start;
        }
        break;
      }
      case State::string: {
        const char* stop = kStringStops.find(p, end);
        const auto length = static_cast<std::size_t>(stop - p);
        if (name_length_ + length <= kMaxName) {
          std::copy(p, stop, name_ + name_length_);
          name_length_ += length;
        } else {
          name_length_ = kMaxName + 1;  // too long to be a skipped name
        }
        p = stop;
        if (p == end) break;
        if (*p++ == '"') {
          state_ = State::normal;
          after_string_ = name_length_ <= kMaxName;
        } else {
          state_ = State::escape;
          name_length_ = kMaxName + 1;  // no skipped name has an escape
        }
        break;
      }
      case State::escape:
        ++p;
        state_ = State::string;
        break;
      case State::skip_start:
        if (is_space(*p)) {
          ++p;
        } else if (*p == '{' || *p == '[') {
          open_.push_back(*p++);
          state_ = State::skip_container;
        } else if (*p == '"') {
          ++p;
          state_ = State::skip_string;
        } else {
          state_ = State::skip_scalar;
        }
        break;
      case State::skip_container:
        // The bulk of a skipped value: strings are crossed here too, so
        // that the switch is left only at the end of the value or chunk.
        while (p < end) {
          p = kContainerStops.find(p, end);
          if (p == end) break;
          const char c = *p++;
          if (c == '"') {
            while (true) {
              p = kStringStops.find(p, end);
              if (p == end) {
                state_ = State::skip_string;
                break;
              }
              if (*p++ == '"') break;
              if (p == end) {
                state_ = State::skip_escape;
                break;
              }
              ++p;  // the escaped character
            }
            if (state_ != State::skip_container) break;
          } else if (c == '{' || c == '[') {
            open_.push_back(c);
          } else {
            const char opener = c == '}' ? '{' : '[';
            if (open_.back() != opener) {
              return "line " + std::to_string(line_at(p)) + ": '" + c + "' closes '" +
                     open_.back() + "'";
            }
            open_.pop_back();
            if (open_.empty()) {
              finish_skip(p);
              break;
            }
          }
        }
        break;
      case State::skip_string:
        p = kStringStops.find(p, end);
        if (p == end) break;
        if (*p++ == '"') {
          if (open_.empty()) {
            finish_skip(p);
          } else {
            state_ = State::skip_container;
          }
        } else {
          state_ = State::skip_escape;
        }
        break;
      case State::skip_escape:
        ++p;
        state_ = State::skip_string;
        break;
      case State::skip_scalar:
        if (*p == ',' || *p == '}' || *p == ']' || is_space(*p)) {
          finish_skip(p);
        } else {
          ++p;
        }
        break;
    }
  }
  if (copy_from != nullptr) out.append(copy_from, end);
  if (skipped_from != nullptr) out.append(count_newlines(skipped_from, end), '\n');
  line_ = line_at(end);
  return {};
}

}  // namespace qgate
