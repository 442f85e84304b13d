#pragma once
// Parsing XML reports for the parsers: text parsed in place with pugixml, and
// syntax errors turned into ReportErrors that name the line.
#include <pugixml.hpp>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qgate {

// An XML document read from a report file, parsed in place (the DOM points
// into its buffer).
class XmlReport {
 public:
  // Parses `text`, read from `file` with its line breaks kept, with pugixml
  // `options`; throws ReportError naming `file` if the text is empty,
  // truncated or not well-formed XML.
  XmlReport(const std::filesystem::path& file, std::string text, unsigned options);
  XmlReport(const XmlReport&) = delete;
  XmlReport& operator=(const XmlReport&) = delete;

  // Returns the document element.
  pugi::xml_node root() const { return document_.document_element(); }
  // Returns the file this report was read from.
  const std::filesystem::path& file() const { return file_; }
  // Returns "line N" for `node`, or "" if its position is unknown.
  std::string where(pugi::xml_node node) const;

 private:
  // Returns the line and column of byte `offset` of the text parsed.
  std::pair<long, long> position(std::ptrdiff_t offset) const;

  std::filesystem::path file_;
  std::string buffer_;  // rewritten by the in-place parse
  // Where the text had its line breaks, and its size, for line numbers in
  // messages.
  std::vector<std::size_t> line_breaks_;
  std::size_t text_size_ = 0;
  pugi::xml_document document_;
};

// Returns the line and column of byte `offset` of `file`, reading it again
// (errors are rare, and parsed buffers no longer hold the original text).
std::pair<long, long> line_and_column_in(const std::filesystem::path& file, std::size_t offset);

// The start of the root element of an XML document.
struct XmlRootTag {
  std::string_view name;        // e.g. "testsuites"; empty if none was found whole
  std::string_view attributes;  // the rest of the start tag, possibly cut short
};

// Returns the root element's start tag found in `head` (the first bytes of a
// file), skipping a byte-order mark, the XML declaration, comments,
// processing instructions and a DOCTYPE.
XmlRootTag xml_root_tag(std::string_view head);

}  // namespace qgate
