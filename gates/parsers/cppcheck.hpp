#pragma once
// cppcheck's XML report (--xml, format version 2, written to stderr).
#include <filesystem>
#include <string_view>

#include "gates/parsers/report.hpp"

namespace qgate {

// Returns true if `head`, the first bytes of a file, looks like cppcheck XML.
bool looks_like_cppcheck(std::string_view head);

// Reads the cppcheck XML report at `file`: error → high, warning → medium,
// style, performance and portability → low, information and debug → info;
// the CWE, when given, ends the message as "[CWE-476]". Throws ReportError if
// the file is malformed, truncated or of format version 1.
FindingsReport parse_cppcheck(const std::filesystem::path& file);

}  // namespace qgate
