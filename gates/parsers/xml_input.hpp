#pragma once
// Reading XML reports for the parsers: the whole file parsed in place with
// pugixml, and syntax errors turned into ReportErrors that name the line.
#include <pugixml.hpp>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

namespace qgate {

// An XML report file, read into one buffer and parsed in place (the DOM points
// into the buffer, so the text is never copied a second time).
class XmlReport {
 public:
  // Reads and parses `file` with pugixml `options`; throws ReportError if it
  // cannot be read, is empty, truncated or not well-formed XML.
  XmlReport(const std::filesystem::path& file, unsigned options);
  // Parses `text`, read from `file` (whose lines it keeps), with pugixml
  // `options`; throws ReportError as the constructor above.
  XmlReport(const std::filesystem::path& file, std::string text, unsigned options);
  XmlReport(const XmlReport&) = delete;
  XmlReport& operator=(const XmlReport&) = delete;

  // Returns the document element.
  pugi::xml_node root() const { return document_.document_element(); }
  // Returns the file this report was read from.
  const std::filesystem::path& file() const { return file_; }
  // Returns the size of the file in bytes.
  std::size_t size() const { return size_; }
  // Returns "line N" for `node`, read back from the file (the parsed buffer no
  // longer holds the original text), or "" if its position is unknown.
  std::string where(pugi::xml_node node) const;

 private:
  void parse(unsigned options);
  // Returns the line and column of byte `offset` of the text parsed.
  std::pair<long, long> position(std::ptrdiff_t offset) const;

  std::filesystem::path file_;
  std::string buffer_;
  std::size_t size_ = 0;
  std::string original_;  // the text parsed, when it is not the file's
  bool from_file_ = true;
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
