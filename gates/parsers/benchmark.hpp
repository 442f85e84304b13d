#pragma once
// Benchmark reports: Google Benchmark's JSON (--benchmark_format=json or
// --benchmark_out) and hyperfine's --export-json.
#include <filesystem>
#include <string_view>

#include "gates/parsers/report.hpp"

namespace qgate {

// Returns true if `head`, the first bytes of a file, looks like Google
// Benchmark's JSON.
bool looks_like_google_benchmark(std::string_view head);

// Reads a Google Benchmark JSON report: one result per benchmark (run_name),
// real time in ns; with --benchmark_repetitions the repetitions are its
// samples and the mean, median and stddev aggregates its figures ("cv",
// "cpu_ns" and "cpu_stddev_ns" go to metrics, with the counters such as
// items_per_second). A benchmark that called SkipWithError is `errored`,
// with its message. The BigO and RMS rows of ->Complexity() fit a curve over
// a family and are not results. Throws ReportError if the file is malformed
// or truncated.
BenchmarkReport parse_google_benchmark(const std::filesystem::path& file);

// Returns true if `head`, the first bytes of a file, looks like hyperfine's
// exported JSON.
bool looks_like_hyperfine(std::string_view head);

// Reads a hyperfine --export-json report: one result per command, its runs as
// samples, seconds turned into ns; "user_ns", "system_ns" and "failed_runs"
// (runs with a non-zero exit code, kept by --ignore-failure) go to metrics.
// Throws ReportError if the file is malformed or truncated.
BenchmarkReport parse_hyperfine(const std::filesystem::path& file);

}  // namespace qgate
