#include "gates/parsers/checkstyle.hpp"

#include <string>

#include <pugixml.hpp>

#include "gates/parsers/xml_reader.hpp"

namespace qgate {
namespace {

Severity severity_of(const std::filesystem::path& file, const pugi::xml_node& error) {
  const std::string severity = error.attribute("severity").value();
  if (severity == "error") return Severity::high;
  if (severity == "warning") return Severity::medium;
  if (severity == "info") return Severity::low;
  if (severity == "ignore") return Severity::info;
  throw ReportError(file, std::string("<error> at line ") + error.attribute("line").as_string("?") +
                              " has severity '" + severity +
                              "', not one of error, warning, info, ignore");
}

bool starts_with(const std::string& text, std::string_view prefix) {
  return text.rfind(prefix, 0) == 0;
}

}  // namespace

bool looks_like_checkstyle(std::string_view head) {
  return head.find("<checkstyle") != std::string_view::npos;
}

FindingsReport parse_checkstyle(const std::filesystem::path& file) {
  pugi::xml_document document;
  load_xml_file(file, document);
  const pugi::xml_node root = document.document_element();
  if (std::string(root.name()) != "checkstyle") {
    throw ReportError(file, std::string("root element is <") + root.name() +
                                ">, not <checkstyle>: not a checkstyle report");
  }
  FindingsReport report;
  report.format = "checkstyle";
  for (const pugi::xml_node& entry : root.children("file")) {
    const pugi::xml_attribute name = entry.attribute("name");
    if (!name || *name.value() == '\0') throw ReportError(file, "<file> without a name");
    for (const pugi::xml_node& item : entry.children()) {
      const std::string kind = item.name();
      if (kind != "error" && kind != "exception") continue;
      Finding finding;
      finding.file = name.value();
      if (kind == "exception") {
        // Checkstyle itself writes <exception> when a check crashed on the file.
        finding.rule = "tool-error";
        finding.severity = Severity::high;
        finding.message = item.child_value();
        report.findings.push_back(std::move(finding));
        continue;
      }
      finding.line = int_attribute(file, item, "line");
      finding.column = int_attribute(file, item, "column");
      finding.severity = severity_of(file, item);
      finding.message = item.attribute("message").value();
      std::string source = item.attribute("source").value();
      if (starts_with(source, "ShellCheck.")) {
        report.tool = "shellcheck";
        source.erase(0, std::string_view("ShellCheck.").size());
      } else if (starts_with(source, "eslint.rules.")) {
        report.tool = "eslint";
        source.erase(0, std::string_view("eslint.rules.").size());
        // eslint repeats the rule at the end of the message: "... (no-var)".
        const std::string suffix = " (" + source + ")";
        if (finding.message.size() > suffix.size() &&
            finding.message.compare(finding.message.size() - suffix.size(), suffix.size(),
                                    suffix) == 0) {
          finding.message.resize(finding.message.size() - suffix.size());
        }
      }
      if (source.empty()) {
        // eslint files a file it cannot parse as a fatal message with no rule:
        // the module's code is broken, whatever severity the writer chose.
        // Other messages without a rule are about the run: an error stays
        // one, the rest ("File ignored because of a matching ignore
        // pattern" is a warning) says nothing about the code.
        if (starts_with(finding.message, "Parsing error")) {
          finding.rule = "parse-error";
          finding.severity = Severity::high;
          if (report.tool.empty()) report.tool = "eslint";
        } else if (finding.severity >= Severity::high) {
          finding.rule = "tool-error";
        } else {
          finding.rule = "tool-notice";
          finding.severity = Severity::info;
        }
      } else {
        finding.rule = source;
      }
      report.findings.push_back(std::move(finding));
    }
  }
  if (report.tool.empty()) report.tool = "checkstyle";
  return report;
}

}  // namespace qgate
