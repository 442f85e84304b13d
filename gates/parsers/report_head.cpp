#include "gates/parsers/report_head.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "gates/parsers/report.hpp"

namespace qgate {

std::string read_report_head(const std::filesystem::path& file, std::size_t bytes) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ReportError(file, std::string("cannot be read: ") + std::strerror(errno));
  std::string head(bytes, '\0');
  in.read(head.data(), static_cast<std::streamsize>(bytes));
  head.resize(static_cast<std::size_t>(in.gcount()));
  return head;
}

}  // namespace qgate
