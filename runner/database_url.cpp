#include <regex>

#include "runner/store.hpp"

namespace qgate {

std::string redact_database_url(const std::string& url) {
  // postgresql://user:secret@host/db, key=value ... password=secret ..., ?password=secret
  static const std::regex in_url(R"(^([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@]*):[^@/]*@)");
  static const std::regex in_keywords(R"((^|\s)password\s*=\s*('([^'\\]|\\.)*'|\S+))");
  static const std::regex in_query(R"(([?&]password=)[^&]*)");
  std::string out = std::regex_replace(url, in_url, "$1:***@");
  out = std::regex_replace(out, in_keywords, "$1password=***");
  return std::regex_replace(out, in_query, "$1***");
}

}  // namespace qgate
