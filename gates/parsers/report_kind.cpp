#include "gates/parsers/report_kind.hpp"

#include <cstring>

#include "gates/parsers/xml_input.hpp"

namespace qgate {
namespace {

std::string_view skip_blanks(std::string_view text) {
  const std::size_t start = text.find_first_not_of(" \t\r\n");
  return start == std::string_view::npos ? std::string_view() : text.substr(start);
}

// Returns whether the attributes of a start tag give `name` the value `value`.
bool has_attribute(std::string_view attributes, std::string_view name, std::string_view value) {
  for (const char quote : {'"', '\''}) {
    const std::string pattern = std::string(name) + "=" + quote + std::string(value) + quote;
    const std::size_t at = attributes.find(pattern);
    if (at != std::string_view::npos && (at == 0 || std::strchr(" \t\r\n", attributes[at - 1])))
      return true;
  }
  return false;
}

bool has_key(std::string_view json, std::string_view key) {
  return json.find("\"" + std::string(key) + "\"") != std::string_view::npos;
}

}  // namespace

std::string foreign_report_kind(std::string_view head) {
  const XmlRootTag root = xml_root_tag(head);
  // bandit -f xml writes its findings as a JUnit suite named after itself,
  // an <error> per issue: read as tests, every issue would be a test error.
  if (root.name == "testsuite" && has_attribute(root.attributes, "name", "bandit"))
    return "bandit's findings (bandit -f xml)";
  if (root.name == "report" && head.find("JACOCO") != std::string_view::npos)
    return "a JaCoCo coverage report";
  if (root.name == "coverage" && root.attributes.find("clover=") != std::string_view::npos)
    return "a Clover coverage report";
  const std::string_view json = skip_blanks(head);
  if (!json.empty() && json.front() == '{' && has_key(json, "generated_at") &&
      has_key(json, "metrics") && (has_key(json, "errors") || has_key(json, "results")) &&
      (has_key(json, "_totals") || has_key(json, "SEVERITY.HIGH")))
    return "bandit's findings (bandit -f json)";
  return "";
}

std::string describe_report_head(std::string_view head) {
  if (std::string foreign = foreign_report_kind(head); !foreign.empty()) return foreign;
  const XmlRootTag root = xml_root_tag(head);
  if (!root.name.empty()) return "XML with the root element <" + std::string(root.name) + ">";
  const std::string_view text = skip_blanks(head);
  if (!text.empty() && (text.front() == '{' || text.front() == '[')) return "JSON";
  if (head.find('\0') != std::string_view::npos) return "binary data";
  return "text";
}

}  // namespace qgate
