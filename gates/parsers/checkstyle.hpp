#pragma once
// Checkstyle XML, the findings format that shellcheck (-f checkstyle), eslint
// 8 (-f checkstyle) and many Java and PHP linters write.
#include <filesystem>
#include <string_view>

#include "gates/parsers/report.hpp"

namespace qgate {

// Returns true if `head`, the first bytes of a file, looks like checkstyle XML.
bool looks_like_checkstyle(std::string_view head);

// Reads the checkstyle report at `file`; the tool is "shellcheck" or "eslint"
// when the rule names show it, else "checkstyle". Throws ReportError if the
// file is malformed or truncated.
FindingsReport parse_checkstyle(const std::filesystem::path& file);

}  // namespace qgate
