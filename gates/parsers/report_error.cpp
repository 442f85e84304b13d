#include "gates/parsers/report.hpp"

namespace qgate {

ReportError::ReportError(const std::filesystem::path& file, const std::string& problem)
    : std::runtime_error(file.string() + ": " + problem), file_(file) {}

}  // namespace qgate
