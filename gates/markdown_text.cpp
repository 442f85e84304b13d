#include "gates/markdown_text.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace qgate {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }
bool is_word_char(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return std::isalnum(byte) != 0 || byte >= 0x80;  // UTF-8 letters stay inside words
}
char to_lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// Leading indentation in columns, a tab counting as four.
size_t indentation(std::string_view line) {
  size_t columns = 0;
  for (char c : line) {
    if (c == ' ') {
      ++columns;
    } else if (c == '\t') {
      columns += 4;
    } else {
      break;
    }
  }
  return columns;
}

bool opens_fence(std::string_view line, char& fence_char, size_t& fence_length) {
  if (indentation(line) > 3) return false;
  const std::string_view text = trim(line);
  if (text.size() < 3 || (text[0] != '`' && text[0] != '~')) return false;
  size_t run = 0;
  while (run < text.size() && text[run] == text[0]) ++run;
  if (run < 3) return false;
  if (text[0] == '`' && text.substr(run).find('`') != std::string_view::npos) return false;
  fence_char = text[0];
  fence_length = run;
  return true;
}

bool closes_fence(std::string_view line, char fence_char, size_t fence_length) {
  if (indentation(line) > 3) return false;
  const std::string_view text = trim(line);
  return text.size() >= fence_length &&
         std::all_of(text.begin(), text.end(), [&](char c) { return c == fence_char; });
}

bool atx_heading(std::string_view line, int& level, std::string& content) {
  if (indentation(line) > 3) return false;
  std::string_view text = trim(line);
  size_t hashes = 0;
  while (hashes < text.size() && text[hashes] == '#') ++hashes;
  if (hashes == 0 || hashes > 6) return false;
  if (hashes < text.size() && !is_space(text[hashes])) return false;
  text = trim(text.substr(hashes));
  // A closing run of '#' is decoration, not part of the title.
  size_t end = text.size();
  while (end > 0 && text[end - 1] == '#') --end;
  if (end == 0 || is_space(text[end - 1])) text = trim(text.substr(0, end));
  level = static_cast<int>(hashes);
  content = std::string(text);
  return true;
}

bool setext_underline(std::string_view line, int& level) {
  if (indentation(line) > 3) return false;
  const std::string_view text = trim(line);
  if (text.empty() || (text[0] != '=' && text[0] != '-')) return false;
  if (!std::all_of(text.begin(), text.end(), [&](char c) { return c == text[0]; })) return false;
  level = text[0] == '=' ? 1 : 2;
  return true;
}

bool thematic_break(std::string_view line) {
  if (indentation(line) > 3) return false;
  const std::string_view text = trim(line);
  if (text.empty() || (text[0] != '-' && text[0] != '*' && text[0] != '_')) return false;
  size_t marks = 0;
  for (char c : text) {
    if (c == text[0]) {
      ++marks;
    } else if (!is_space(c)) {
      return false;
    }
  }
  return marks >= 3;
}

bool list_item(std::string_view line, std::string& content) {
  std::string_view text = trim(line);
  size_t marker = 0;
  if (!text.empty() && (text[0] == '-' || text[0] == '*' || text[0] == '+')) {
    marker = 1;
  } else {
    while (marker < text.size() && marker < 9 &&
           std::isdigit(static_cast<unsigned char>(text[marker])))
      ++marker;
    if (marker == 0 || marker >= text.size() || (text[marker] != '.' && text[marker] != ')'))
      return false;
    ++marker;
  }
  if (marker < text.size() && !is_space(text[marker])) return false;
  text = trim(text.substr(marker));
  for (std::string_view box : {"[ ]", "[x]", "[X]"}) {
    if (text.substr(0, 3) == box) text = trim(text.substr(3));
  }
  content = std::string(text);
  return true;
}

bool table_delimiter_row(std::string_view line) {
  const std::string_view text = trim(line);
  return text.find('|') != std::string_view::npos && text.find('-') != std::string_view::npos &&
         std::all_of(text.begin(), text.end(),
                     [](char c) { return c == '|' || c == ':' || c == '-' || is_space(c); });
}

bool link_reference_definition(std::string_view line) {
  if (indentation(line) > 3) return false;
  const std::string_view text = trim(line);
  const size_t close = text.find("]:");
  return !text.empty() && text[0] == '[' && close != std::string_view::npos && close > 1;
}

// READMEs often centre their title with HTML: <h1 align="center">Billing</h1>.
bool html_heading(std::string_view line, int& level, std::string& content) {
  const std::string_view text = trim(line);
  if (text.size() < 9 || text[0] != '<' || (text[1] != 'h' && text[1] != 'H') || text[2] < '1' ||
      text[2] > '6' || (text[3] != '>' && text[3] != ' '))
    return false;
  const size_t open_end = text.find('>');
  const std::string close = std::string("</") + text[1] + text[2] + ">";
  const size_t close_at = text.rfind(close);
  if (open_end == std::string_view::npos || close_at == std::string_view::npos ||
      close_at < open_end)
    return false;
  level = text[2] - '0';
  content = std::string(text.substr(open_end + 1, close_at - open_end - 1));
  return true;
}

std::string_view strip_block_quote(std::string_view text) {
  text = trim(text);
  while (!text.empty() && text.front() == '>') text = trim(text.substr(1));
  return text;
}

// The position just after the bracket matching text[open], or npos.
size_t after_matching(std::string_view text, size_t open, char open_char, char close_char) {
  int depth = 0;
  for (size_t i = open; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == open_char) {
      ++depth;
    } else if (text[i] == close_char && --depth == 0) {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

bool contains_phrase(const std::vector<std::string>& words,
                     const std::vector<std::string>& phrase) {
  if (phrase.empty() || phrase.size() > words.size()) return false;
  for (size_t i = 0; i + phrase.size() <= words.size(); ++i) {
    if (std::equal(phrase.begin(), phrase.end(), words.begin() + static_cast<std::ptrdiff_t>(i)))
      return true;
  }
  return false;
}

std::string join_words(const std::vector<std::string>& words) {
  std::string joined;
  for (const auto& word : words) joined += (joined.empty() ? "" : " ") + word;
  return joined;
}

}  // namespace

std::string strip_inline_markup(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (text.substr(i, 4) == "<!--") {
      const size_t end = text.find("-->", i + 4);
      if (end == std::string_view::npos) break;
      i = end + 2;
    } else if (c == '\\' && i + 1 < text.size()) {
      out += text[++i];
    } else if (c == '[' || (c == '!' && i + 1 < text.size() && text[i + 1] == '[')) {
      const size_t open = c == '[' ? i : i + 1;
      const size_t close = after_matching(text, open, '[', ']');
      if (close == std::string_view::npos) {
        out += c;
        continue;
      }
      out += strip_inline_markup(text.substr(open + 1, close - open - 2));
      size_t next = close;
      if (next < text.size() && (text[next] == '(' || text[next] == '[')) {
        const size_t target_end =
            after_matching(text, next, text[next], text[next] == '(' ? ')' : ']');
        if (target_end != std::string_view::npos) next = target_end;
      }
      i = next - 1;
    } else if (c == '<' && i + 1 < text.size() &&
               (std::isalpha(static_cast<unsigned char>(text[i + 1])) != 0 || text[i + 1] == '/')) {
      const size_t end = text.find('>', i);
      if (end == std::string_view::npos) {
        out += c;
        continue;
      }
      i = end;  // HTML tags and autolinks carry no prose
    } else if (c == '`' || c == '*' || c == '~') {
      continue;
    } else if (c == '_') {
      const bool inside_word = !out.empty() && is_word_char(out.back()) && i + 1 < text.size() &&
                               is_word_char(text[i + 1]);
      if (inside_word) out += c;
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::string> lower_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (is_word_char(c)) {
      word += to_lower(c);
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

bool is_placeholder_text(std::string_view text) {
  // Block markers first, so "- TODO" and "## TBD" are read as their content.
  std::string content;
  std::string_view rest = strip_block_quote(text);
  while (!rest.empty() && rest.front() == '#') rest.remove_prefix(1);
  if (std::string item; list_item(rest, item)) {
    content = strip_inline_markup(item);
  } else {
    content = strip_inline_markup(rest);
  }
  std::string_view body = trim(content);
  while (!body.empty() && !is_word_char(body.front())) body.remove_prefix(1);
  if (body.empty()) return false;

  std::string lower(body);
  std::transform(lower.begin(), lower.end(), lower.begin(), to_lower);
  if (lower.find("lorem ipsum") != std::string::npos) return true;

  size_t first_end = 0;
  while (first_end < body.size() && is_word_char(body[first_end])) ++first_end;
  const std::string_view first = body.substr(0, first_end);
  const char after = first_end < body.size() ? body[first_end] : '\0';
  static constexpr std::array<std::string_view, 4> kMarkers = {"TODO", "TBD", "FIXME", "XXX"};
  for (std::string_view marker : kMarkers) {
    std::string lower_marker(marker);
    std::transform(lower_marker.begin(), lower_marker.end(), lower_marker.begin(), to_lower);
    // "TODO write this" is a marker; "Todo list app" is prose unless punctuated ("todo:").
    if (first == marker && !is_word_char(after)) return true;
    if (lower.substr(0, first_end) == lower_marker &&
        (after == '\0' || std::string_view(":-(!.").find(after) != std::string_view::npos))
      return true;
  }

  const std::vector<std::string> words = lower_words(body);
  static const std::array<std::string_view, 22> kWholeLine = {"todo",
                                                              "tbd",
                                                              "tba",
                                                              "fixme",
                                                              "wip",
                                                              "work in progress",
                                                              "coming soon",
                                                              "to be written",
                                                              "to be added",
                                                              "to be documented",
                                                              "to be determined",
                                                              "to be announced",
                                                              "to be done",
                                                              "to do",
                                                              "placeholder",
                                                              "write me",
                                                              "fill me in",
                                                              "fill in",
                                                              "under construction",
                                                              "describe your project here",
                                                              "add description here",
                                                              "insert description here"};
  const std::string joined = join_words(words);
  for (std::string_view phrase : kWholeLine) {
    if (joined == phrase) return true;
  }
  // Short lines announcing future text ("Documentation coming soon.") are placeholders;
  // long sentences that merely contain the phrase are not.
  static const std::array<std::vector<std::string>, 6> kShortLinePhrases = {
      std::vector<std::string>{"coming", "soon"},
      {"to", "be", "written"},
      {"to", "be", "documented"},
      {"to", "be", "added"},
      {"under", "construction"},
      {"work", "in", "progress"}};
  if (words.size() <= 6) {
    for (const auto& phrase : kShortLinePhrases) {
      if (contains_phrase(words, phrase)) return true;
    }
  }
  return false;
}

MarkdownText::MarkdownText(std::string_view source) {
  std::vector<std::string> raw_lines;
  size_t start = 0;
  while (start < source.size()) {
    size_t end = source.find('\n', start);
    if (end == std::string_view::npos) end = source.size();
    std::string_view line = source.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    raw_lines.emplace_back(line);
    start = end + 1;
  }
  lines_.resize(raw_lines.size());
  for (size_t i = 0; i < raw_lines.size(); ++i) {
    lines_[i].number = static_cast<int>(i + 1);
    lines_[i].raw = std::move(raw_lines[i]);
  }

  bool in_fence = false;
  char fence_char = '`';
  size_t fence_length = 3;
  bool in_comment = false;
  bool in_list = false;
  bool in_table = false;
  bool in_indented_code = false;
  size_t i = 0;
  if (!lines_.empty() && trim(lines_[0].raw) == "---") {
    for (size_t j = 1; j < lines_.size() && j < 200; ++j) {
      if (trim(lines_[j].raw) == "---" || trim(lines_[j].raw) == "...") {
        for (size_t k = 0; k <= j; ++k) lines_[k].kind = MarkdownLineKind::front_matter;
        i = j + 1;
        break;
      }
    }
  }
  for (; i < lines_.size(); ++i) {
    MarkdownLine& line = lines_[i];
    const std::string_view raw = line.raw;
    const MarkdownLineKind previous = i > 0 ? lines_[i - 1].kind : MarkdownLineKind::blank;
    int level = 0;
    if (in_fence) {
      line.kind = MarkdownLineKind::code;
      if (closes_fence(raw, fence_char, fence_length)) in_fence = false;
      continue;
    }
    if (in_comment) {
      line.kind = MarkdownLineKind::comment;
      if (raw.find("-->") != std::string_view::npos) in_comment = false;
      continue;
    }
    if (trim(raw).empty()) {
      line.kind = MarkdownLineKind::blank;
      in_table = false;
      continue;
    }
    const bool was_indented_code = in_indented_code;
    in_indented_code = false;
    if (opens_fence(raw, fence_char, fence_length)) {
      line.kind = MarkdownLineKind::code;
      in_fence = true;
    } else if (trim(raw).substr(0, 4) == "<!--") {
      line.kind = MarkdownLineKind::comment;
      in_comment = raw.find("-->", raw.find("<!--") + 4) == std::string_view::npos;
    } else if (indentation(raw) >= 4 && !in_list &&
               (previous == MarkdownLineKind::blank || was_indented_code)) {
      line.kind = MarkdownLineKind::code;
      in_indented_code = true;
    } else if (atx_heading(raw, level, line.content)) {
      line.kind = MarkdownLineKind::heading;
      headings_.push_back(
          {level, std::string(trim(strip_inline_markup(line.content))), line.number, i});
      in_list = in_table = false;
    } else if (previous == MarkdownLineKind::text && !in_list && setext_underline(raw, level)) {
      MarkdownLine& title = lines_[i - 1];
      title.kind = MarkdownLineKind::heading;
      headings_.push_back(
          {level, std::string(trim(strip_inline_markup(title.content))), title.number, i - 1});
      line.kind = MarkdownLineKind::heading_underline;
    } else if (thematic_break(raw)) {
      line.kind = MarkdownLineKind::other;
      in_list = false;
    } else if (raw.find('|') != std::string_view::npos &&
               (in_table || (i + 1 < lines_.size() && table_delimiter_row(lines_[i + 1].raw)))) {
      line.kind = MarkdownLineKind::table_row;
      line.content = std::string(trim(raw));
      in_table = true;
    } else if (list_item(raw, line.content)) {
      line.kind = MarkdownLineKind::list_item;
      in_list = true;
    } else if (link_reference_definition(raw)) {
      line.kind = MarkdownLineKind::other;
    } else if (html_heading(raw, level, line.content)) {
      line.kind = MarkdownLineKind::heading;
      headings_.push_back(
          {level, std::string(trim(strip_inline_markup(line.content))), line.number, i});
      in_list = in_table = false;
    } else {
      line.kind = MarkdownLineKind::text;
      line.content = std::string(strip_block_quote(raw));
      in_list = in_list && indentation(raw) > 0;  // an unindented line ends the list
    }
  }
}

int MarkdownText::prose_word_count() const {
  int count = 0;
  for (const auto& line : lines_) {
    if (line.kind != MarkdownLineKind::text && line.kind != MarkdownLineKind::list_item &&
        line.kind != MarkdownLineKind::table_row)
      continue;
    if (line.kind != MarkdownLineKind::table_row && is_placeholder_text(line.content)) continue;
    const std::string plain = strip_inline_markup(line.content);
    bool in_word = false;
    bool has_letter = false;
    for (size_t i = 0; i <= plain.size(); ++i) {
      const bool space = i == plain.size() || is_space(plain[i]) || plain[i] == '|';
      if (space) {
        if (in_word && has_letter) ++count;
        in_word = has_letter = false;
      } else {
        in_word = true;
        has_letter = has_letter || is_word_char(plain[i]);
      }
    }
  }
  return count;
}

std::vector<const MarkdownLine*> MarkdownText::placeholder_lines() const {
  std::vector<const MarkdownLine*> found;
  for (const auto& line : lines_) {
    bool placeholder = false;
    if (line.kind == MarkdownLineKind::table_row) {
      std::string_view cells = line.content;
      while (!cells.empty() && !placeholder) {
        const size_t bar = cells.find('|');
        placeholder = is_placeholder_text(cells.substr(0, bar));
        cells = bar == std::string_view::npos ? std::string_view() : cells.substr(bar + 1);
      }
    } else if (line.kind == MarkdownLineKind::text || line.kind == MarkdownLineKind::list_item ||
               line.kind == MarkdownLineKind::heading) {
      placeholder = is_placeholder_text(line.content);
    }
    if (placeholder) found.push_back(&line);
  }
  return found;
}

const MarkdownHeading* MarkdownText::find_section(std::string_view alternatives) const {
  std::vector<std::vector<std::string>> wanted;
  size_t start = 0;
  while (start <= alternatives.size()) {
    size_t bar = alternatives.find('|', start);
    if (bar == std::string_view::npos) bar = alternatives.size();
    auto words = lower_words(alternatives.substr(start, bar - start));
    if (!words.empty()) wanted.push_back(std::move(words));
    start = bar + 1;
  }
  for (const auto& heading : headings_) {
    const auto words = lower_words(heading.text);
    for (const auto& phrase : wanted) {
      if (contains_phrase(words, phrase)) return &heading;
    }
  }
  return nullptr;
}

std::vector<const MarkdownLine*> MarkdownText::section_lines(const MarkdownHeading& heading) const {
  size_t end = lines_.size();
  for (const auto& other : headings_) {
    if (other.index > heading.index && other.level <= heading.level) {
      end = other.index;
      break;
    }
  }
  std::vector<const MarkdownLine*> section;
  for (size_t i = heading.index + 1; i < end; ++i) section.push_back(&lines_[i]);
  return section;
}

std::vector<std::string> MarkdownText::code_spans() const {
  std::vector<std::string> spans;
  for (const auto& line : lines_) {
    if (line.kind == MarkdownLineKind::code || line.kind == MarkdownLineKind::comment ||
        line.kind == MarkdownLineKind::front_matter || line.kind == MarkdownLineKind::blank)
      continue;
    const std::string_view raw = line.raw;
    size_t i = 0;
    while ((i = raw.find('`', i)) != std::string_view::npos) {
      size_t run = 0;
      while (i + run < raw.size() && raw[i + run] == '`') ++run;
      const std::string ticks(run, '`');
      size_t close = raw.find(ticks, i + run);
      // A longer run of ticks does not close a shorter one.
      while (close != std::string_view::npos && close + run < raw.size() && raw[close + run] == '`')
        close = raw.find(ticks, close + run + 1);
      if (close == std::string_view::npos) break;
      spans.emplace_back(trim(raw.substr(i + run, close - i - run)));
      i = close + run;
    }
  }
  return spans;
}

std::vector<std::string> MarkdownText::table_cells() const {
  std::vector<std::string> cells;
  for (const auto& line : lines_) {
    if (line.kind != MarkdownLineKind::table_row || table_delimiter_row(line.raw)) continue;
    std::string cell;
    bool in_code = false;
    std::vector<std::string> row;
    const std::string_view raw = trim(line.raw);
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\\' && i + 1 < raw.size() && raw[i + 1] == '|') {
        cell += '|';
        ++i;
      } else if (raw[i] == '`') {
        in_code = !in_code;
        cell += '`';
      } else if (raw[i] == '|' && !in_code) {
        row.push_back(cell);
        cell.clear();
      } else {
        cell += raw[i];
      }
    }
    row.push_back(cell);
    if (!raw.empty() && raw.front() == '|') row.erase(row.begin());
    if (!raw.empty() && raw.back() == '|' && !row.empty()) row.pop_back();
    for (const auto& one : row) cells.emplace_back(trim(strip_inline_markup(one)));
  }
  return cells;
}

}  // namespace qgate
