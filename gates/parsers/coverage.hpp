#pragma once
// Coverage reports in the formats real tools write: Cobertura XML (gcovr,
// coverage.py, c8/istanbul), lcov tracefiles (lcov/geninfo, c8), coverage.py
// JSON and Go coverprofiles. Each parser returns per-file line coverage with
// hits per line, and branch coverage where the format has it.
#include <filesystem>
#include <string_view>

#include "gates/parsers/report.hpp"
#include "gates/parsers/report_head.hpp"

namespace qgate {

// Parses the Cobertura XML report `file`, streaming it one <class> at a time.
// A file split over several <class> elements (Java inner classes) is merged;
// throws ReportError if the file is empty, truncated, not XML or not
// Cobertura.
CoverageReport parse_cobertura(const std::filesystem::path& file);

// Parses the lcov tracefile `file`, streaming it. Records of the same source
// file are added up, as `lcov -a` does; throws ReportError naming the line of
// anything malformed, or a last record cut off before end_of_record.
CoverageReport parse_lcov(const std::filesystem::path& file);

// Parses the coverage.py JSON report `file` (`coverage json`), streaming it.
// Line totals are coverage.py's statement counts; throws ReportError if the
// JSON is malformed or has no "files" object.
CoverageReport parse_coverage_py_json(const std::filesystem::path& file);

// Parses the Go coverprofile `file` (`go test -coverprofile`), streaming it.
// Line totals count statements, as `go tool cover` does; a line's hits are
// the highest count of the blocks that span it. Throws ReportError naming the
// line of anything malformed.
CoverageReport parse_go_coverprofile(const std::filesystem::path& file);

// Parses the coverage report `file` in whichever of the formats above its
// first bytes show; throws ReportError if it is none of them.
CoverageReport parse_coverage(const std::filesystem::path& file);

// Each returns whether `head`, the first bytes (up to 4 KB) of a file, starts a
// report in its format.
bool looks_like_cobertura(std::string_view head);
bool looks_like_lcov(std::string_view head);
bool looks_like_coverage_py_json(std::string_view head);
bool looks_like_go_coverprofile(std::string_view head);

}  // namespace qgate
