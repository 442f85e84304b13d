#include "gates/parsers/cppcheck.hpp"

#include <string>

#include <pugixml.hpp>

#include "gates/parsers/xml_reader.hpp"

namespace qgate {
namespace {

Severity severity_of(const std::filesystem::path& file, const pugi::xml_node& error) {
  const std::string severity = error.attribute("severity").value();
  if (severity == "error") return Severity::high;
  if (severity == "warning") return Severity::medium;
  // Style, performance and portability findings are advice, not defects.
  if (severity == "style" || severity == "performance" || severity == "portability") {
    return Severity::low;
  }
  // "information" is about the analysis itself (a missing include, a
  // skipped configuration); "debug", "internal" and "none" likewise.
  if (severity == "information" || severity == "debug" || severity == "internal" ||
      severity == "none") {
    return Severity::info;
  }
  throw ReportError(file, "<error id=\"" + std::string(error.attribute("id").value()) +
                              "\"> has the unknown severity '" + severity + "'");
}

}  // namespace

bool looks_like_cppcheck(std::string_view head) {
  return head.find("<results") != std::string_view::npos &&
         head.find("<cppcheck") != std::string_view::npos;
}

FindingsReport parse_cppcheck(const std::filesystem::path& file) {
  pugi::xml_document document;
  load_xml_file(file, document);
  const pugi::xml_node root = document.document_element();
  if (std::string(root.name()) != "results") {
    throw ReportError(file, std::string("root element is <") + root.name() +
                                ">, not <results>: not a cppcheck report");
  }
  const std::string version = root.attribute("version").value();
  if (version != "2") {
    throw ReportError(file, "is cppcheck XML version '" + version + "'; only version 2 is read");
  }
  const pugi::xml_node errors = root.child("errors");
  if (!errors) {
    // cppcheck writes <errors> even when it found nothing: without it the
    // run did not finish.
    throw ReportError(file, "has no <errors> element: cppcheck did not finish");
  }
  FindingsReport report;
  report.format = "cppcheck";
  report.tool = "cppcheck";
  for (const pugi::xml_node& error : errors.children("error")) {
    Finding finding;
    finding.rule = error.attribute("id").value();
    if (finding.rule.empty()) throw ReportError(file, "<error> without an id");
    finding.severity = severity_of(file, error);
    finding.message = error.attribute("msg").value();
    if (finding.message.empty()) finding.message = error.attribute("verbose").value();
    if (error.attribute("inconclusive").as_bool()) finding.message += " (inconclusive)";
    if (const char* cwe = error.attribute("cwe").value(); *cwe != '\0') {
      finding.message += std::string(" [CWE-") + cwe + "]";
    }
    // The first location is where the defect is; the others are the path to it.
    if (const pugi::xml_node location = error.child("location")) {
      finding.file = location.attribute("file").value();
      finding.line = int_attribute(file, location, "line");
      finding.column = int_attribute(file, location, "column");
    }
    report.findings.push_back(std::move(finding));
  }
  return report;
}

}  // namespace qgate
