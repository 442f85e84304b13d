#pragma once
// Reading JSON report files: whole, for small reports, or streamed through a
// SAX handler, for reports that can be larger than the memory we want to use.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace qgate {

// Parses the whole JSON file at `file`; throws ReportError naming the file and,
// for a syntax error or a truncated file, the line and column.
nlohmann::json read_json_file(const std::filesystem::path& file);

// Streams the JSON file at `file` through `sax` in fixed-size chunks, so memory
// does not grow with the file; throws ReportError as read_json_file() does, and
// lets the ReportErrors that `sax` throws through. The values of members named
// in `skipped` (at any depth) reach `sax` as null: only their brackets are
// checked, which is many times faster than parsing them.
void sax_parse_json_file(const std::filesystem::path& file, nlohmann::json_sax<nlohmann::json>& sax,
                         const std::vector<std::string>& skipped = {});

}  // namespace qgate
