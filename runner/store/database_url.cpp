#include <re2/re2.h>

#include "runner/store/store.hpp"

namespace qgate {

std::string redact_database_url(const std::string& url) {
  // postgresql://user:secret@host/db, key=value ... password=secret ..., ?password=secret
  // RE2, as the URL is the user's: a long quoted password must not exhaust the stack.
  static const RE2 in_url(R"(^([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@]*):[^@/]*@)");
  static const RE2 in_keywords(R"((^|\s)password\s*=\s*('([^'\\]|\\.)*'|\S+))");
  static const RE2 in_query(R"(([?&]password=)[^&]*)");
  std::string out = url;
  RE2::Replace(&out, in_url, R"(\1:***@)");
  RE2::GlobalReplace(&out, in_keywords, R"(\1password=***)");
  RE2::GlobalReplace(&out, in_query, R"(\1***)");
  return out;
}

}  // namespace qgate
