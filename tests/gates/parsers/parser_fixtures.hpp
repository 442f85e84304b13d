#pragma once
// What the findings, audit and benchmark parser tests share: where the
// fixtures are, how to make broken copies of them, and how to check the
// ReportError a parser throws.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "gates/parsers/report.hpp"
#include "tests/test_support.hpp"

namespace qgate::testing {

// Returns the advisory `id` of `report`; throws if there is none.
inline const Vulnerability& advisory(const AuditReport& report, const std::string& id) {
  const auto it = std::find_if(report.vulnerabilities.begin(), report.vulnerabilities.end(),
                               [&](const Vulnerability& v) { return v.id == id; });
  if (it == report.vulnerabilities.end()) throw std::runtime_error("no advisory " + id);
  return *it;
}

// Returns the result called `name` of `report`; throws if there is none.
inline const BenchmarkResult& named(const BenchmarkReport& report, const std::string& name) {
  const auto it = std::find_if(report.results.begin(), report.results.end(),
                               [&](const BenchmarkResult& r) { return r.name == name; });
  if (it == report.results.end()) throw std::runtime_error("no result " + name);
  return *it;
}

// Returns the path of tests/fixtures/`relative`.
inline std::filesystem::path fixture_path(const std::string& relative) {
  return source_dir() / "tests/fixtures" / relative;
}

// Writes `text` as `name` in `dir` and returns its path.
inline std::filesystem::path write_in(const TempDir& dir, const std::string& name,
                                      const std::string& text) {
  write_file(dir / name, text);
  return dir / name;
}

// Writes the first `bytes` of `source` into `dir`, as a writer killed mid-way
// leaves a report, and returns its path.
inline std::filesystem::path truncated_copy(const TempDir& dir, const std::filesystem::path& source,
                                            std::size_t bytes) {
  return write_in(dir, "truncated-" + std::to_string(bytes) + "-" + source.filename().string(),
                  read_file(source).substr(0, bytes));
}

// Expects `parse(file)` to throw a ReportError whose file is `file` and whose
// message names it and contains `problem`.
template <typename Parse>
void expect_report_error(Parse parse, const std::filesystem::path& file,
                         const std::string& problem) {
  try {
    parse(file);
    ADD_FAILURE() << "no error for " << file;
  } catch (const ReportError& e) {
    EXPECT_EQ(e.file(), file);
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(problem), std::string::npos)
        << "expected \"" << problem << "\" in: " << e.what();
  }
}

}  // namespace qgate::testing
