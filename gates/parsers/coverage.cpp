#include "gates/parsers/coverage.hpp"

#include <charconv>

#include "gates/parsers/coverage_files.hpp"
#include "gates/parsers/xml_input.hpp"

namespace qgate {

std::size_t CoverageFiles::index_of(std::string_view path) {
  const auto [it, added] = index_.try_emplace(std::string(path), files_.size());
  if (added) {
    files_.emplace_back();
    files_.back().path = std::string(path);
  }
  return it->second;
}

CoverageReport CoverageFiles::finish(const std::filesystem::path& file, std::string format) && {
  CoverageReport report;
  report.format = std::move(format);
  for (const FileCoverage& covered : files_) {
    if (!add_count(report.lines_total, covered.lines_total) ||
        !add_count(report.lines_covered, covered.lines_covered) ||
        !add_count(report.branches_total, covered.branches_total) ||
        !add_count(report.branches_covered, covered.branches_covered))
      throw ReportError(file,
                        "the counts of the report add up to more than a 64-bit number: "
                        "not a real coverage report");
  }
  report.files = std::move(files_);
  return report;
}

void count_line_hits(FileCoverage& file) {
  file.line_hits.shrink_to_fit();
  file.lines_total = static_cast<std::int64_t>(file.line_hits.size());
  file.lines_covered = 0;
  for (const auto& [line, hits] : file.line_hits) {
    if (hits > 0) ++file.lines_covered;
  }
}

bool parse_integer(std::string_view text, std::int64_t& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && !text.empty();
}

bool looks_like_cobertura(std::string_view head) {
  const XmlRootTag root = xml_root_tag(head);
  // Clover XML (istanbul's other XML) has a <coverage> root too, without the
  // Cobertura rates.
  return root.name == "coverage" && (root.attributes.find("line-rate") != std::string_view::npos ||
                                     root.attributes.find("lines-valid") != std::string_view::npos);
}

bool looks_like_lcov(std::string_view head) {
  const std::size_t start = head.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return false;
  const std::string_view first = head.substr(start);
  return first.substr(0, 3) == "TN:" || first.substr(0, 3) == "SF:";
}

bool looks_like_coverage_py_json(std::string_view head) {
  const std::size_t start = head.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || head[start] != '{') return false;
  // The "meta" object that coverage.py writes first holds these keys.
  return head.find("\"meta\"") != std::string_view::npos &&
         (head.find("\"branch_coverage\"") != std::string_view::npos ||
          head.find("\"show_contexts\"") != std::string_view::npos);
}

bool looks_like_go_coverprofile(std::string_view head) { return head.substr(0, 6) == "mode: "; }

CoverageReport parse_coverage(const std::filesystem::path& file) {
  const std::string head = read_report_head(file);
  if (looks_like_go_coverprofile(head)) return parse_go_coverprofile(file);
  if (looks_like_lcov(head)) return parse_lcov(file);
  if (looks_like_coverage_py_json(head)) return parse_coverage_py_json(file);
  if (looks_like_cobertura(head)) return parse_cobertura(file);
  if (head.find_first_not_of(" \t\r\n") == std::string::npos)
    throw ReportError(file, "the file is empty");
  throw ReportError(file,
                    "not a coverage report in a known format (Cobertura XML, lcov tracefile, "
                    "coverage.py JSON, Go coverprofile)");
}

}  // namespace qgate
