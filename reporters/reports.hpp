#pragma once
// The report files qgate writes (JSON, JUnit XML, Markdown), chosen by name, and
// the text clean-up the renderers share.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "runner/core/result.hpp"
#include "runner/core/utf8_text.hpp"  // to_valid_utf8, which the renderers share

namespace qgate {

// A file format for the report of a run.
enum class ReportFormat { json, junit, markdown, sarif };

// Parses "json", "junit", "markdown" (or "md") or "sarif"; nothing for any other name.
std::optional<ReportFormat> report_format_from_string(std::string_view name);
// Returns the canonical name of `format` ("json", "junit", "markdown").
std::string_view to_string(ReportFormat format);

// Renders `run` as a whole report file in `format`, ending with a newline.
std::string render_report(ReportFormat format, const RunResult& run);
// Writes the `format` report of `run` to `path` atomically (temporary file in the
// same folder, fsync, rename), creating parent folders; throws std::runtime_error
// naming `path` when it cannot.
void write_report_file(ReportFormat format, const RunResult& run,
                       const std::filesystem::path& path);
// Writes `text` to `path` as write_report_file does: atomically, readable by
// all. Throws std::runtime_error naming `path`.
void write_file_atomically(const std::filesystem::path& path, const std::string& text);

// Returns `text` as valid UTF-8 without terminal escape sequences (colours,
// cursor moves) and without the control characters XML 1.0 forbids; carriage
// returns become newlines so that progress-bar updates stay readable.
std::string to_printable_text(std::string_view text);
// Returns the end of `text` that fits in `max_bytes`, starting at a line break
// when one is near, else at a UTF-8 character boundary, because the last lines
// of output usually say why a step failed.
std::string_view last_part(std::string_view text, std::size_t max_bytes);

}  // namespace qgate
