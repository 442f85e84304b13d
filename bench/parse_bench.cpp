// Times reading one report file with read_report(), as the gates read it:
//   qgate_parse_bench FILE [FORMAT]
// prints the bytes, the seconds and the throughput, and what was read (so
// that a parser that read nothing cannot pass for a fast one). Peak memory is
// measured from outside (bench/parse_bench.sh runs it under GNU time).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <type_traits>
#include <variant>

#include "gates/report_reader.hpp"

namespace {

std::string what_was_read(const qgate::ParsedReport& report) {
  return std::visit(
      [](const auto& r) -> std::string {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, qgate::TestReport>) {
          return std::to_string(r.tests) + " tests, " + std::to_string(r.failures) + " failed";
        } else if constexpr (std::is_same_v<T, qgate::CoverageReport>) {
          return std::to_string(r.files.size()) + " files, " + std::to_string(r.lines_covered) +
                 "/" + std::to_string(r.lines_total) + " lines";
        } else if constexpr (std::is_same_v<T, qgate::FindingsReport>) {
          return std::to_string(r.findings.size()) + " findings";
        } else if constexpr (std::is_same_v<T, qgate::AuditReport>) {
          return std::to_string(r.vulnerabilities.size()) + " vulnerabilities";
        } else {
          return std::to_string(r.results.size()) + " benchmarks";
        }
      },
      report);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: qgate_parse_bench FILE [FORMAT]\n");
    return 2;
  }
  const std::filesystem::path file = argv[1];
  const std::string format = argc == 3 ? argv[2] : "";
  try {
    const auto bytes = std::filesystem::file_size(file);
    const auto start = std::chrono::steady_clock::now();
    const qgate::ParsedReport report = qgate::read_report(file, format);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    std::printf("%ju bytes %.3f s %.1f MB/s (%s)\n", static_cast<std::uintmax_t>(bytes),
                took.count(), static_cast<double>(bytes) / 1e6 / took.count(),
                what_was_read(report).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qgate_parse_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
