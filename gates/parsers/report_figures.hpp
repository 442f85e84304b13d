#pragma once
// Figures no real tool writes (coverage above 100 %, negative counts, more
// failures than tests, negative or non-finite times): such a report is
// forged or broken, and judging it would pass what nothing measured.
#include <filesystem>

#include "gates/parsers/report.hpp"

namespace qgate {

// Each throws ReportError naming `file` and the first impossible figure of
// `report`.
void check_figures(const std::filesystem::path& file, const TestReport& report);
void check_figures(const std::filesystem::path& file, const CoverageReport& report);
void check_figures(const std::filesystem::path& file, const FindingsReport& report);
void check_figures(const std::filesystem::path& file, const AuditReport& report);
void check_figures(const std::filesystem::path& file, const BenchmarkReport& report);

}  // namespace qgate
