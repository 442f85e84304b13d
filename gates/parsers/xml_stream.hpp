#pragma once
// Reading a large XML report in pieces: each element of one name (a Cobertura
// <class>, a JUnit <testcase>) is cut out as the file streams by and parsed on
// its own with pugixml, so that memory holds one such element at a time
// rather than a DOM of the whole file.
#include <pugixml.hpp>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "gates/parsers/xml_input.hpp"

namespace qgate {

// One XML file read as a stream of elements named `element`, plus the
// skeleton that is left: the document with each run of such elements
// (separated by nothing but blanks) replaced by one empty element of the same
// name that carries their numbers in attributes.
class XmlStream {
 public:
  // The attributes of a placeholder in the skeleton: the number of the first
  // element it stands for, counted from 0 in document order, and how many
  // elements it stands for.
  static constexpr const char* kIndexAttribute = "qgate-index";
  static constexpr const char* kCountAttribute = "qgate-count";
  // Called with each cut-out element and its number.
  using ElementHandler = std::function<void(pugi::xml_node element, std::size_t index)>;

  // Prepares to read `file`, cutting out the elements named `element`, and
  // parsing them and the skeleton with pugixml `options`.
  XmlStream(const std::filesystem::path& file, std::string element, unsigned options);
  ~XmlStream();
  XmlStream(const XmlStream&) = delete;
  XmlStream& operator=(const XmlStream&) = delete;

  // Streams the file, calling `handle` for each cut-out element in document
  // order, then parses the skeleton. Throws ReportError if the file cannot be
  // read, is empty, truncated or not well-formed XML.
  void read(const ElementHandler& handle);

  // Returns the root element of the skeleton (after read()).
  pugi::xml_node root() const;
  // Returns "line N" for `node`, a node of the skeleton or of the element
  // being handled.
  std::string where(pugi::xml_node node) const;
  // Returns the file being read.
  const std::filesystem::path& file() const { return file_; }

 private:
  class Scanner;

  std::filesystem::path file_;
  std::string element_;
  unsigned options_;
  std::unique_ptr<XmlReport> skeleton_;
  pugi::xml_document piece_;      // the element being handled
  std::size_t piece_offset_ = 0;  // its offset in the file
};

}  // namespace qgate
