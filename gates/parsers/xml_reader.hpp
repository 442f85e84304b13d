#pragma once
// Reading XML report files with pugixml, with errors that name the line.
#include <filesystem>

#include <pugixml.hpp>

namespace qgate {

// Loads the XML file at `file` into `document`; throws ReportError naming the
// file and, for a syntax error or a truncated file, the line and the problem.
void load_xml_file(const std::filesystem::path& file, pugi::xml_document& document);

// Returns the integer in `attribute`, 0 when it is absent; throws ReportError
// naming `file` when it is present but not a whole number.
int int_attribute(const std::filesystem::path& file, const pugi::xml_node& node,
                  const char* attribute);

}  // namespace qgate
