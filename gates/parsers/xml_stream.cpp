#include "gates/parsers/xml_stream.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "gates/parsers/report.hpp"
#include "gates/parsers/stream_block.hpp"

// The file is read in blocks into a window. Every '<' outside a comment,
// CDATA section, processing instruction or DOCTYPE starts a tag (XML allows no
// raw '<' in text or attribute values), so finding the elements to cut out
// needs no more than that: the pieces and the skeleton are then parsed by
// pugixml, which checks everything else. The skeleton keeps the file's line
// breaks (a placeholder is followed by as many newlines as its elements and
// the blanks between them held), so its line numbers are the file's.

namespace qgate {
namespace {

constexpr std::size_t kBlockSize = 1 << 20;

bool at(std::string_view text, std::size_t i, std::string_view pattern) {
  return text.compare(i, pattern.size(), pattern) == 0;
}

bool ends_name(char c) { return std::strchr(" \t\r\n/>", c) != nullptr; }

}  // namespace

// The window of text read so far, from file offset `base` on.
class XmlStream::Scanner {
 public:
  explicit Scanner(const std::filesystem::path& file) : file_(file), in_(file, std::ios::binary) {
    if (!in_) throw ReportError(file, std::string("cannot be read: ") + std::strerror(errno));
  }

  std::string_view text() const { return window_; }
  // The window's bytes, for parsing an element in place: it is read no more
  // once parsed.
  char* data() { return window_.data(); }
  std::size_t base() const { return base_; }
  bool at_end() const { return end_of_file_; }

  // Drops the text before `keep` and reads another block; `a` and `b`, indexes
  // into the window, are moved with it. Returns false at the end of the file.
  bool more(std::size_t keep, std::size_t& a, std::size_t& b) {
    if (end_of_file_) return false;
    if (keep > 0) {
      window_.erase(0, keep);
      base_ += keep;
      a -= keep;
      b -= keep;
    }
    const std::size_t size = window_.size();
    const std::size_t block = stream_block_size(kBlockSize);
    window_.resize(size + block);
    in_.read(window_.data() + size, static_cast<std::streamsize>(block));
    const auto got = static_cast<std::size_t>(in_.gcount());
    window_.resize(size + got);
    if (in_.bad()) throw ReportError(file_, "read error");
    if (got < block) end_of_file_ = true;
    return got > 0;
  }

 private:
  std::filesystem::path file_;
  std::ifstream in_;
  std::string window_;
  std::size_t base_ = 0;
  bool end_of_file_ = false;
};

XmlStream::XmlStream(const std::filesystem::path& file, std::string element, unsigned options)
    : file_(file), element_(std::move(element)), options_(options) {}

XmlStream::~XmlStream() = default;

pugi::xml_node XmlStream::root() const { return skeleton_ ? skeleton_->root() : pugi::xml_node(); }

std::string XmlStream::where(pugi::xml_node node) const {
  if (node.root() == piece_) {
    const std::ptrdiff_t offset = node.offset_debug();
    if (offset < 0) return "";
    return "line " +
           std::to_string(
               line_and_column_in(file_, piece_offset_ + static_cast<std::size_t>(offset)).first);
  }
  return skeleton_ ? skeleton_->where(node) : "";
}

void XmlStream::read(const ElementHandler& handle) {
  Scanner scanner(file_);
  std::string skeleton;
  std::size_t done = 0;  // the window before this is in the skeleton or a piece
  std::size_t i = 0;     // where the search for the next tag goes on
  std::size_t count = 0;
  const std::string close = "</" + element_;
  const std::string open = "<" + element_;

  // Returns the index just past the end of the construct (comment, CDATA,
  // processing instruction, DOCTYPE, tag) starting at `lt`, or npos if the
  // window ends first. Tags are read with their quoted attribute values,
  // which may hold '>'.
  const auto construct_end = [](std::string_view text, std::size_t lt) -> std::size_t {
    const auto past = [&](std::string_view marker, std::size_t from) {
      const std::size_t found = text.find(marker, from);
      return found == std::string_view::npos ? found : found + marker.size();
    };
    if (at(text, lt, "<!--")) return past("-->", lt + 4);
    if (at(text, lt, "<![CDATA[")) return past("]]>", lt + 9);
    if (at(text, lt, "<?")) return past("?>", lt + 2);
    if (at(text, lt, "<!")) {
      const std::size_t stop = text.find_first_of("[>", lt + 2);
      if (stop == std::string_view::npos || text[stop] == '>') return past(">", lt + 2);
      const std::size_t subset_end = text.find(']', stop);
      return subset_end == std::string_view::npos ? subset_end : past(">", subset_end);
    }
    for (std::size_t j = lt + 1; j < text.size(); ++j) {
      const char c = text[j];
      if (c == '>') return j + 1;
      if (c == '"' || c == '\'') {
        j = text.find(c, j + 1);
        if (j == std::string_view::npos) return j;
      }
    }
    return std::string_view::npos;
  };
  // Whether the text at `lt` is long enough to tell what construct it starts.
  const auto classifiable = [&](std::string_view text, std::size_t lt) {
    return scanner.at_end() || text.size() - lt > std::max<std::size_t>(9, close.size() + 1);
  };
  const auto truncated_in_piece = [&](std::size_t start) {
    const long start_line = line_and_column_in(file_, start).first;
    throw ReportError(file_, "truncated: the XML ends inside the <" + element_ +
                                 "> element that starts at line " + std::to_string(start_line));
  };

  // The elements cut out since the last other text: one placeholder stands
  // for all of them, so that the skeleton of a report of a million test cases
  // is not a million nodes.
  struct Run {
    std::size_t first = 0;
    std::size_t count = 0;
    std::size_t newlines = 0;  // the line breaks of the elements and between them
  } run;
  const auto end_run = [&] {
    if (run.count == 0) return;
    skeleton += open + " " + kIndexAttribute + "=\"" + std::to_string(run.first) + "\" " +
                kCountAttribute + "=\"" + std::to_string(run.count) + "\"/>";
    skeleton.append(run.newlines, '\n');
    run = Run{};
  };

  scanner.more(0, done, i);
  for (;;) {
    std::string_view text = scanner.text();
    std::size_t lt = text.find('<', i);
    if (lt == std::string_view::npos) {
      i = text.size();
      if (!scanner.more(done, done, i)) break;
      continue;
    }
    if (!classifiable(text, lt)) {
      i = lt;
      scanner.more(done, done, i);
      continue;
    }
    const bool is_element =
        at(text, lt, open) && lt + open.size() < text.size() && ends_name(text[lt + open.size()]);
    if (!is_element) {
      const bool markup = at(text, lt, "<!") || at(text, lt, "<?");
      if (!markup) {
        i = lt + 1;
        continue;
      }
      const std::size_t end = construct_end(text, lt);
      if (end != std::string_view::npos) {
        i = end;
        continue;
      }
      i = lt;
      // Left for the skeleton to report as truncated.
      if (!scanner.more(done, done, i)) break;
      continue;
    }

    // An element to cut out: find its start tag's end, then its end tag,
    // reading on as needed (resuming where the search stopped).
    std::size_t start_tag_end = std::string_view::npos;
    while ((start_tag_end = construct_end(scanner.text(), lt)) == std::string_view::npos) {
      if (!scanner.more(done, done, lt)) truncated_in_piece(scanner.base() + lt);
    }
    text = scanner.text();
    std::size_t end = start_tag_end;
    if (text[start_tag_end - 2] != '/') {
      int depth = 1;
      std::size_t j = start_tag_end;
      while (depth > 0) {
        text = scanner.text();
        const std::size_t next = text.find('<', j);
        std::size_t stop = std::string_view::npos;
        if (next != std::string_view::npos && classifiable(text, next)) {
          const bool closes = at(text, next, close) && next + close.size() < text.size() &&
                              ends_name(text[next + close.size()]);
          const bool opens = at(text, next, open) && next + open.size() < text.size() &&
                             ends_name(text[next + open.size()]);
          const bool markup = at(text, next, "<!") || at(text, next, "<?");
          if (!closes && !opens && !markup) {
            // Any other tag: its name and attributes hold no '<'.
            j = next + 1;
            continue;
          }
          stop = construct_end(text, next);
          if (stop != std::string_view::npos) {
            if (closes) --depth;
            if (opens && text[stop - 2] != '/') ++depth;
            j = stop;
            continue;
          }
        }
        // The window ends inside the element: read on, keeping the skeleton
        // text before it.
        std::size_t resume = next == std::string_view::npos ? text.size() : next;
        const std::size_t drop = done;
        if (!scanner.more(drop, lt, resume)) truncated_in_piece(scanner.base() + lt);
        done = 0;
        j = resume;
      }
      end = j;
    }

    text = scanner.text();
    const std::string_view gap = text.substr(done, lt - done);
    const std::string_view piece = text.substr(lt, end - lt);
    const auto newlines = static_cast<std::size_t>(std::count(piece.begin(), piece.end(), '\n'));
    if (run.count > 0 && gap.find_first_not_of(" \t\r\n") == std::string_view::npos) {
      ++run.count;
      run.newlines += static_cast<std::size_t>(std::count(gap.begin(), gap.end(), '\n')) + newlines;
    } else {
      end_run();
      skeleton.append(gap);
      run = Run{count, 1, newlines};
    }

    piece_offset_ = scanner.base() + lt;
    // Parsed where it lies in the window, not copied: an element may be
    // most of the file.
    const pugi::xml_parse_result result =
        piece_.load_buffer_inplace(scanner.data() + lt, piece.size(), options_);
    if (!result) {
      const auto [line, column] =
          line_and_column_in(file_, piece_offset_ + static_cast<std::size_t>(result.offset));
      throw ReportError(file_, "not well-formed XML at line " + std::to_string(line) + ", column " +
                                   std::to_string(column) + ": " + result.description());
    }
    handle(piece_.document_element(), count++);
    piece_.reset();
    done = i = end;
  }
  end_run();
  skeleton.append(scanner.text().substr(done));
  skeleton_ = std::make_unique<XmlReport>(file_, std::move(skeleton), options_);
}

}  // namespace qgate
