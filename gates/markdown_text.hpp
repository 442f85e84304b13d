#pragma once
// A light reading of a Markdown document: the structure the documentation
// checks judge (headings, prose, code, tables, list items) without a full
// CommonMark parser.
#include <string>
#include <string_view>
#include <vector>

namespace qgate {

// What one line of a Markdown document is.
enum class MarkdownLineKind {
  blank,
  heading,            // an ATX heading, or the text line of a Setext heading
  heading_underline,  // the === or --- under a Setext heading
  code,               // inside a fenced or indented code block, or a fence itself
  comment,            // inside <!-- ... -->
  front_matter,       // YAML front matter at the top
  list_item,          // starts with -, *, + or "1."
  table_row,          // a row of a pipe table (the delimiter row included)
  other,              // thematic breaks and link reference definitions
  text,               // a line of a paragraph or block quote
};

// One line, classified.
struct MarkdownLine {
  int number = 0;  // 1-based
  MarkdownLineKind kind = MarkdownLineKind::blank;
  std::string raw;      // the line as written
  std::string content;  // text without block markers: heading text, list item text, ...
};

// One heading of the document.
struct MarkdownHeading {
  int level = 1;     // 1..6; Setext headings are 1 (===) or 2 (---)
  std::string text;  // inline markup removed
  int line = 0;      // 1-based
  size_t index = 0;  // position in MarkdownText::lines()
};

// A Markdown document split into classified lines.
class MarkdownText {
 public:
  // Reads `source`.
  explicit MarkdownText(std::string_view source);

  // Returns every line, classified.
  const std::vector<MarkdownLine>& lines() const { return lines_; }
  // Returns the headings in document order.
  const std::vector<MarkdownHeading>& headings() const { return headings_; }

  // Returns the number of words of prose: paragraphs, lists and tables, not
  // headings, code blocks, comments, link targets or placeholder lines.
  int prose_word_count() const;
  // Returns the lines whose content is placeholder text (TODO, TBD, Lorem ipsum, ...).
  std::vector<const MarkdownLine*> placeholder_lines() const;
  // Returns the heading matching one of `alternatives` ("Installation|Setup"), or
  // nullptr: its words must contain an alternative's words in order, any case.
  const MarkdownHeading* find_section(std::string_view alternatives) const;
  // Returns the lines below `heading` up to the next heading of the same or a higher level.
  std::vector<const MarkdownLine*> section_lines(const MarkdownHeading& heading) const;
  // Returns the contents of inline code spans outside code blocks.
  std::vector<std::string> code_spans() const;
  // Returns the cells of pipe-table rows, trimmed and without inline markup.
  std::vector<std::string> table_cells() const;

 private:
  std::vector<MarkdownLine> lines_;
  std::vector<MarkdownHeading> headings_;
};

// Returns `text` without inline markup: links keep their text, images their alt
// text, emphasis, code ticks and HTML tags go; intra-word underscores stay.
std::string strip_inline_markup(std::string_view text);
// Returns true if `text` (one line's content, markers removed) is placeholder
// text rather than documentation: "TODO", "TBD: ...", "Coming soon", "Lorem ipsum ...".
bool is_placeholder_text(std::string_view text);
// Returns the lower-case words (runs of letters and digits) of `text`.
std::vector<std::string> lower_words(std::string_view text);

}  // namespace qgate
