#include "fuzz/fuzz_support.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <type_traits>
#include <variant>

#include "gates/parsers/report.hpp"
#include "gates/parsers/stream_block.hpp"
#include "gates/report_reader.hpp"

namespace qgate::fuzz {
namespace {

std::filesystem::path make_folder() {
  std::string pattern = (std::filesystem::temp_directory_path() / "qgate-fuzz-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("qgate fuzz: mkdtemp");
    std::abort();
  }
  return pattern;
}

// Removes the folder when the process ends normally.
struct Folder {
  std::filesystem::path path = make_folder();
  ~Folder() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "qgate fuzz: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

std::string severity_text(Severity severity) { return std::to_string(static_cast<int>(severity)); }

std::string summary(const TestReport& report) {
  std::string out = "tests " + std::to_string(report.tests) + " " +
                    std::to_string(report.failures) + " " + std::to_string(report.errors) + " " +
                    std::to_string(report.skipped) + " " + std::to_string(report.time_s);
  for (const TestCase& test : report.cases) {
    out += "\n" + test.suite + "|" + test.classname + "|" + test.name + "|" +
           std::to_string(static_cast<int>(test.outcome)) + "|" + test.message + "|" + test.details;
  }
  return out;
}

std::string summary(const CoverageReport& report) {
  std::string out = "coverage " + std::to_string(report.lines_total) + " " +
                    std::to_string(report.lines_covered) + " " +
                    std::to_string(report.branches_total) + " " +
                    std::to_string(report.branches_covered);
  for (const FileCoverage& file : report.files) {
    out += "\n" + file.path + "|" + std::to_string(file.lines_total) + "|" +
           std::to_string(file.lines_covered) + "|" + std::to_string(file.line_hits.size());
    for (const auto& [line, hits] : file.line_hits)
      out += " " + std::to_string(line) + ":" + std::to_string(hits);
  }
  return out;
}

std::string summary(const FindingsReport& report) {
  std::string out = "findings " + report.tool + " " + std::to_string(report.findings.size());
  for (const Finding& finding : report.findings) {
    out += "\n" + finding.rule + "|" + severity_text(finding.severity) + "|" + finding.file + "|" +
           std::to_string(finding.line) + "|" + finding.message;
  }
  return out;
}

std::string summary(const AuditReport& report) {
  std::string out = "audit " + std::to_string(report.vulnerabilities.size());
  for (const Vulnerability& v : report.vulnerabilities) {
    out += "\n" + v.package + "|" + v.version + "|" + v.id + "|" +
           (v.severity ? severity_text(*v.severity) : std::string("unknown")) + "|" + v.fixed_in;
  }
  return out;
}

std::string summary(const BenchmarkReport& report) {
  std::string out = "benchmarks " + std::to_string(report.results.size());
  for (const BenchmarkResult& result : report.results) {
    out += "\n" + result.name + "|" + std::to_string(result.iterations) + "|" +
           std::to_string(result.samples_ns.size()) + "|" + std::to_string(result.mean_ns) + "|" +
           std::to_string(result.errored);
  }
  return out;
}

Outcome read_once(const std::filesystem::path& file, const std::string& format) {
  try {
    const ParsedReport report = read_report(file, format);
    return {false, std::visit([](const auto& r) { return summary(r); }, report)};
  } catch (const ReportError& e) {
    if (e.file() != file)
      fail("a ReportError names " + e.file().string() + ", not " + file.string());
    return {true, e.what()};
  }
}

}  // namespace

const std::filesystem::path& write_input(const std::uint8_t* data, std::size_t size) {
  static const Folder folder;
  static const std::filesystem::path file = folder.path / "input";
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) fail("cannot write " + file.string());
  return file;
}

Outcome read_both_ways(const std::filesystem::path& file, const std::string& format) {
  const Outcome whole = read_once(file, format);
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  // A block size that varies with the input, so that boundaries land at
  // every offset over the corpus.
  set_stream_block_size_for_testing(1 + size % 61);
  const Outcome blocks = read_once(file, format);
  set_stream_block_size_for_testing(0);
  if (whole.error != blocks.error || whole.text != blocks.text) {
    fail("format '" + format + "': read whole:\n" + whole.text + "\nread in blocks of " +
         std::to_string(1 + size % 61) + " bytes:\n" + blocks.text);
  }
  return whole;
}

void read_in_each(const std::filesystem::path& file, const std::vector<std::string>& formats) {
  for (const std::string& format : formats) read_both_ways(file, format);
}

}  // namespace qgate::fuzz
