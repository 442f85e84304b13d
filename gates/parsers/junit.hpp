#pragma once
// JUnit XML test reports, in the dialects real tools write: GoogleTest,
// ctest --output-junit, pytest, node's test runner, mocha-junit-reporter,
// jest-junit and Maven Surefire.
#include <filesystem>
#include <string_view>

#include "gates/parsers/report.hpp"
#include "gates/parsers/report_head.hpp"

namespace qgate {

// Parses the JUnit XML report `file` (root <testsuites> or <testsuite>,
// suites nested to any depth). Totals are counted from the test cases, each
// read as its tool meant it (see junit.cpp); throws ReportError if the file
// is empty, truncated, not XML or not a JUnit report.
TestReport parse_junit(const std::filesystem::path& file);

// Returns whether `head`, the first bytes (up to 4 KB) of a file, starts a
// JUnit XML report.
bool looks_like_junit(std::string_view head);

}  // namespace qgate
