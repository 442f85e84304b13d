#include "gates/parsers/xml_reader.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "gates/parsers/report.hpp"

namespace qgate {
namespace {

// Returns the 1-based line of byte `offset` in `file`.
long line_of_offset(const std::filesystem::path& file, std::ptrdiff_t offset) {
  std::ifstream in(file, std::ios::binary);
  long line = 1;
  char c = 0;
  for (std::ptrdiff_t i = 0; i < offset && in.get(c); ++i) {
    if (c == '\n') ++line;
  }
  return line;
}

}  // namespace

void load_xml_file(const std::filesystem::path& file, pugi::xml_document& document) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) throw ReportError(file, "does not exist");
  if (std::filesystem::is_directory(file, ec)) throw ReportError(file, "is a folder, not a file");
  if (std::filesystem::file_size(file, ec) == 0 && !ec) throw ReportError(file, "is empty");
  const pugi::xml_parse_result result = document.load_file(file.c_str());
  if (result) return;
  if (result.status == pugi::status_file_not_found || result.status == pugi::status_io_error) {
    throw ReportError(file, std::string("cannot be read: ") + std::strerror(errno));
  }
  throw ReportError(file, "invalid XML at line " +
                              std::to_string(line_of_offset(file, result.offset)) + ": " +
                              result.description());
}

int int_attribute(const std::filesystem::path& file, const pugi::xml_node& node,
                  const char* attribute) {
  const pugi::xml_attribute value = node.attribute(attribute);
  if (!value) return 0;
  const char* text = value.value();
  char* end = nullptr;
  errno = 0;
  const long number = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || errno == ERANGE || number < 0 || number > 100000000) {
    throw ReportError(file, std::string("<") + node.name() + "> has " + attribute + "='" + text +
                                "', not a line or column number");
  }
  return static_cast<int>(number);
}

}  // namespace qgate
