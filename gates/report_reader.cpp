#include "gates/report_reader.hpp"

#include "gates/parsers/audit.hpp"
#include "gates/parsers/benchmark.hpp"
#include "gates/parsers/checkstyle.hpp"
#include "gates/parsers/coverage.hpp"
#include "gates/parsers/cppcheck.hpp"
#include "gates/parsers/junit.hpp"
#include "gates/parsers/k6.hpp"
#include "gates/parsers/osv.hpp"
#include "gates/parsers/pip_audit.hpp"
#include "gates/parsers/report_figures.hpp"
#include "gates/parsers/report_head.hpp"
#include "gates/parsers/report_kind.hpp"
#include "gates/parsers/sarif.hpp"
#include "runner/core/suggest.hpp"
#include "runner/sys/regular_file.hpp"

namespace qgate {
namespace {

struct Format {
  std::string name;
  bool (*looks_like)(std::string_view head);
  ParsedReport (*parse)(const std::filesystem::path& file);
};

// Parses `file` as `format` and refuses figures no real tool writes.
ParsedReport parse_checked(const Format& format, const std::filesystem::path& file) {
  ParsedReport report = format.parse(file);
  std::visit([&](const auto& value) { check_figures(file, value); }, report);
  return report;
}

// Every format qgate reads; detection takes a file only when exactly one of
// them claims it.
const std::vector<Format>& formats() {
  static const std::vector<Format> all = {
      {"sarif", looks_like_sarif, [](const auto& f) -> ParsedReport { return parse_sarif(f); }},
      {"cppcheck", looks_like_cppcheck,
       [](const auto& f) -> ParsedReport { return parse_cppcheck(f); }},
      {"checkstyle", looks_like_checkstyle,
       [](const auto& f) -> ParsedReport { return parse_checkstyle(f); }},
      {"junit", looks_like_junit, [](const auto& f) -> ParsedReport { return parse_junit(f); }},
      {"cobertura", looks_like_cobertura,
       [](const auto& f) -> ParsedReport { return parse_cobertura(f); }},
      {"lcov", looks_like_lcov, [](const auto& f) -> ParsedReport { return parse_lcov(f); }},
      {"coverage-py-json", looks_like_coverage_py_json,
       [](const auto& f) -> ParsedReport { return parse_coverage_py_json(f); }},
      {"go-coverprofile", looks_like_go_coverprofile,
       [](const auto& f) -> ParsedReport { return parse_go_coverprofile(f); }},
      {"npm-audit", looks_like_npm_audit,
       [](const auto& f) -> ParsedReport { return parse_npm_audit(f); }},
      {"pip-audit", looks_like_pip_audit,
       [](const auto& f) -> ParsedReport { return parse_pip_audit(f); }},
      {"osv-scanner", looks_like_osv_scanner,
       [](const auto& f) -> ParsedReport { return parse_osv_scanner(f); }},
      {"google-benchmark", looks_like_google_benchmark,
       [](const auto& f) -> ParsedReport { return parse_google_benchmark(f); }},
      {"hyperfine", looks_like_hyperfine,
       [](const auto& f) -> ParsedReport { return parse_hyperfine(f); }},
      {"k6", looks_like_k6, [](const auto& f) -> ParsedReport { return parse_k6(f); }},
  };
  return all;
}

}  // namespace

const std::vector<std::string>& report_format_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& format : formats()) out.push_back(format.name);
    return out;
  }();
  return names;
}

namespace {

// Returns "junit, cobertura, ..." for messages.
std::string format_list() {
  std::string list;
  for (const auto& name : report_format_names()) list += (list.empty() ? "" : ", ") + name;
  return list;
}

}  // namespace

ParsedReport read_report(const std::filesystem::path& file, const std::string& format,
                         std::uintmax_t max_bytes) {
  // Checked before any reader opens it: opening a FIFO waits for a writer,
  // and a device never ends.
  if (std::string refused = check_regular_file(file, max_bytes); !refused.empty()) {
    throw ReportError(file, refused);
  }
  const std::string head = read_report_head(file);
  // A kind of report qgate does not read is never read as the one it is
  // shaped like, named or not: its verdict would be wrong.
  const std::string foreign = foreign_report_kind(head);
  if (!format.empty()) {
    for (const auto& known : formats()) {
      if (known.name != format) continue;
      if (!foreign.empty()) {
        throw ReportError(file, "is " + foreign + ", not " + format + ": qgate reads " +
                                    format_list() + " reports");
      }
      return parse_checked(known, file);
    }
    throw ReportError(file, "unknown report format '" + format + "'" +
                                did_you_mean(format, report_format_names()));
  }
  if (!foreign.empty()) {
    throw ReportError(file, "looks like " + foreign + ", which qgate does not read; it reads " +
                                format_list() + " reports");
  }
  std::vector<const Format*> matches;
  for (const auto& known : formats()) {
    if (known.looks_like(head)) matches.push_back(&known);
  }
  if (matches.size() == 1) return parse_checked(*matches.front(), file);
  if (matches.size() > 1) {
    std::string names;
    for (const Format* match : matches) names += (names.empty() ? "" : " and ") + match->name;
    throw ReportError(file, "looks like " + names + " at once: give `format:` to say which");
  }
  if (head.empty()) throw ReportError(file, "the report is empty");
  throw ReportError(file, "looks like " + describe_report_head(head) +
                              ", not a report format qgate reads (give `format:` if it is one "
                              "of: " +
                              format_list() + ")");
}

}  // namespace qgate
