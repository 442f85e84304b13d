#include "gates/parsers/xml_input.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "gates/parsers/report.hpp"

namespace qgate {
namespace {

std::pair<long, long> line_and_column_of(std::istream& in, std::size_t offset) {
  long line = 1;
  long column = 1;
  char c = 0;
  for (std::size_t i = 0; i < offset && in.get(c); ++i) {
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

bool is_blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

std::string_view trim_end(std::string_view text) {
  const std::size_t end = text.find_last_not_of(" \t\r\n");
  return end == std::string_view::npos ? std::string_view() : text.substr(0, end + 1);
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Returns whether `text` (trimmed) ends where a whole document does: with the
// end tag of `root`, or with `root` itself closed as an empty element, and
// nothing but comments and processing instructions after it. A file that
// fails to parse and does not is a truncated file rather than a malformed one.
bool ends_its_root(std::string_view text, std::string_view root) {
  if (root.empty()) return false;
  for (;;) {
    if (ends_with(text, "-->")) {
      const std::size_t open = text.rfind("<!--");
      if (open == std::string_view::npos) return false;
      text = trim_end(text.substr(0, open));
    } else if (ends_with(text, "?>")) {
      const std::size_t open = text.rfind("<?");
      if (open == std::string_view::npos) return false;
      text = trim_end(text.substr(0, open));
    } else {
      break;
    }
  }
  if (!ends_with(text, ">")) return false;
  text = trim_end(text.substr(0, text.size() - 1));
  if (ends_with(text, "</" + std::string(root))) return true;
  // An empty root: its start tag is the last tag of the file.
  const XmlRootTag tag = xml_root_tag(text);
  return ends_with(text, "/") && !tag.name.empty() &&
         tag.attributes.data() + tag.attributes.size() == text.data() + text.size();
}

}  // namespace

std::pair<long, long> line_and_column_in(const std::filesystem::path& file, std::size_t offset) {
  std::ifstream in(file, std::ios::binary);
  return line_and_column_of(in, offset);
}

XmlReport::XmlReport(const std::filesystem::path& file, std::string text, unsigned options)
    : file_(file), buffer_(std::move(text)) {
  // Taken before parsing: the in-place parse rewrites the buffer. Only the
  // line breaks are kept, not a copy of the text: a report may be one huge
  // value.
  for (std::size_t i = buffer_.find('\n'); i != std::string::npos; i = buffer_.find('\n', i + 1)) {
    line_breaks_.push_back(i);
  }
  text_size_ = buffer_.size();
  std::string_view content = trim_end(buffer_);
  if (content.substr(0, 3) == "\xEF\xBB\xBF") content.remove_prefix(3);
  const std::size_t start = content.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) throw ReportError(file_, "the file is empty");
  if (content[start] != '<') throw ReportError(file_, "not XML: it does not start with '<'");
  const XmlRootTag root = xml_root_tag(content);
  const bool complete = ends_its_root(content, root.name);
  const std::size_t content_size = static_cast<std::size_t>(content.end() - buffer_.data());

  const pugi::xml_parse_result result =
      document_.load_buffer_inplace(buffer_.data(), buffer_.size(), options);
  if (result) return;
  const auto [line, column] = position(result.offset);
  const std::string at = "line " + std::to_string(line) + ", column " + std::to_string(column);
  if (!complete || static_cast<std::size_t>(result.offset) + 1 >= content_size)
    throw ReportError(
        file_, "truncated: the XML ends at line " +
                   std::to_string(position(static_cast<std::ptrdiff_t>(content_size)).first) +
                   " before its root element is closed (" + result.description() + " at " + at +
                   ")");
  throw ReportError(file_, "not well-formed XML at " + at + ": " + result.description());
}

std::pair<long, long> XmlReport::position(std::ptrdiff_t offset) const {
  const std::size_t at =
      std::min(static_cast<std::size_t>(std::max<std::ptrdiff_t>(offset, 0)), text_size_);
  // The line breaks before `at`, and the last of them.
  const auto before = std::lower_bound(line_breaks_.begin(), line_breaks_.end(), at);
  const std::size_t line_start = before == line_breaks_.begin() ? 0 : *std::prev(before) + 1;
  return {static_cast<long>(before - line_breaks_.begin()) + 1,
          static_cast<long>(at - line_start) + 1};
}

std::string XmlReport::where(pugi::xml_node node) const {
  const std::ptrdiff_t offset = node.offset_debug();
  if (offset < 0) return "";
  return "line " + std::to_string(position(offset).first);
}

XmlRootTag xml_root_tag(std::string_view head) {
  std::size_t i = 0;
  if (head.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
  while (i < head.size()) {
    const std::size_t lt = head.find('<', i);
    if (lt == std::string_view::npos || !is_blank(head.substr(i, lt - i))) return {};
    const std::string_view rest = head.substr(lt);
    std::string_view end_marker;
    if (rest.substr(0, 4) == "<!--") {
      end_marker = "-->";
    } else if (rest.substr(0, 2) == "<?") {
      end_marker = "?>";
    } else if (rest.substr(0, 2) == "<!") {
      end_marker = ">";  // a DOCTYPE without an internal subset
    }
    if (!end_marker.empty()) {
      const std::size_t end = head.find(end_marker, lt + 2);
      if (end == std::string_view::npos) return {};
      i = end + end_marker.size();
      continue;
    }
    std::size_t name_end = lt + 1;
    while (name_end < head.size() && std::strchr(" \t\r\n/>", head[name_end]) == nullptr)
      ++name_end;
    if (name_end == head.size()) return {};  // the name may go on past `head`
    XmlRootTag tag;
    tag.name = head.substr(lt + 1, name_end - lt - 1);
    const std::size_t tag_end = head.find('>', name_end);
    tag.attributes = head.substr(
        name_end, tag_end == std::string_view::npos ? std::string_view::npos : tag_end - name_end);
    return tag;
  }
  return {};
}

}  // namespace qgate
