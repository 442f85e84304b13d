#include "gates/parsers/audit.hpp"

#include <map>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "gates/parsers/json_reader.hpp"

namespace qgate {
namespace {

using nlohmann::json;

Severity severity_of(const std::filesystem::path& file, const std::string& severity,
                     const std::string& where) {
  if (severity == "critical") return Severity::critical;
  if (severity == "high") return Severity::high;
  if (severity == "moderate") return Severity::medium;
  if (severity == "low") return Severity::low;
  if (severity == "info") return Severity::info;
  throw ReportError(file, where + " has the severity '" + severity +
                              "', not one of critical, high, moderate, low, info");
}

std::string text(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Returns the advisory id: the GHSA id at the end of the advisory's URL, else
// npm's own number.
std::string advisory_id(const json& via) {
  const std::string url = text(via, "url");
  const auto slash = url.find_last_of('/');
  const std::string last = slash == std::string::npos ? url : url.substr(slash + 1);
  if (last.rfind("GHSA-", 0) == 0) return last;
  const auto source = via.find("source");
  if (source != via.end() && source->is_number_integer()) {
    return "npm-" + std::to_string(source->get<std::int64_t>());
  }
  return last;
}

std::string fix_of(const json& entry) {
  const auto fix = entry.find("fixAvailable");
  if (fix == entry.end()) return {};
  if (fix->is_boolean()) return fix->get<bool>() ? "npm audit fix" : "";
  if (fix->is_object()) {
    std::string text_fix = text(*fix, "name") + "@" + text(*fix, "version");
    const auto major = fix->find("isSemVerMajor");
    if (major != fix->end() && major->is_boolean() && major->get<bool>()) {
      text_fix += " (semver-major)";
    }
    return text_fix;
  }
  return {};
}

// npm writes an object like {"error": {"code": "ENOLOCK", "summary": ...}} or
// {"message": "405 Method Not Allowed - POST .../advisories/bulk", ...} to
// stdout when the audit could not be done.
void reject_npm_error(const std::filesystem::path& file, const json& document) {
  if (document.contains("auditReportVersion")) return;
  std::string problem = text(document, "message");
  if (const auto error = document.find("error"); error != document.end() && error->is_object()) {
    const std::string code = text(*error, "code");
    const std::string summary = text(*error, "summary");
    if (problem.empty()) problem = summary;
    if (!code.empty()) problem = code + ": " + problem;
  }
  if (!problem.empty()) throw ReportError(file, "npm audit failed: " + problem);
  if (document.contains("advisories") && document.contains("actions")) {
    throw ReportError(file, "is npm 6's audit format; only npm 7 and later is read");
  }
  throw ReportError(file, "has no \"auditReportVersion\": not an npm audit report");
}

}  // namespace

bool looks_like_npm_audit(std::string_view head) {
  return head.find("\"auditReportVersion\"") != std::string_view::npos ||
         head.find("/-/npm/v1/security/") != std::string_view::npos ||
         (head.find("\"error\"") != std::string_view::npos &&
          head.find("\"ENO") != std::string_view::npos);
}

AuditReport parse_npm_audit(const std::filesystem::path& file) {
  const json document = read_json_file(file);
  if (!document.is_object()) throw ReportError(file, "is not a JSON object");
  reject_npm_error(file, document);
  const json& version = document.at("auditReportVersion");
  if (version != 2) {
    throw ReportError(file, "has auditReportVersion " + version.dump() + "; only 2 is read");
  }
  const auto vulnerabilities = document.find("vulnerabilities");
  if (vulnerabilities == document.end() || !vulnerabilities->is_object()) {
    throw ReportError(file, "has no \"vulnerabilities\" object");
  }
  AuditReport report;
  report.format = "npm-audit";
  for (const auto& [name, entry] : vulnerabilities->items()) {
    const std::string where = "vulnerabilities." + name;
    if (!entry.is_object()) throw ReportError(file, where + " is not an object");
    const auto via = entry.find("via");
    if (via == entry.end() || !via->is_array()) {
      throw ReportError(file, where + " has no \"via\" array");
    }
    severity_of(file, text(entry, "severity"), where);  // checked even when only inherited
    std::map<std::string, std::size_t> seen;            // advisory id -> index in the report
    for (const json& cause : *via) {
      // A string names the dependency this package is vulnerable through;
      // that package has its own entry with the advisory.
      if (cause.is_string()) continue;
      if (!cause.is_object()) throw ReportError(file, where + ".via has a " + cause.type_name());
      Vulnerability vulnerability;
      vulnerability.package = text(cause, "dependency");
      if (vulnerability.package.empty()) vulnerability.package = name;
      vulnerability.version = text(cause, "range");
      vulnerability.id = advisory_id(cause);
      if (vulnerability.id.empty()) throw ReportError(file, where + ".via has no advisory id");
      vulnerability.severity = severity_of(file, text(cause, "severity"), where + ".via");
      vulnerability.title = text(cause, "title");
      vulnerability.url = text(cause, "url");
      vulnerability.fixed_in = fix_of(entry);
      // npm lists an advisory once per vulnerable range ("<0.2.4" and
      // ">=1.0.0 <1.2.6"): one advisory, its ranges joined.
      const auto [index, added] = seen.emplace(vulnerability.id, report.vulnerabilities.size());
      if (added) {
        report.vulnerabilities.push_back(std::move(vulnerability));
      } else if (!vulnerability.version.empty()) {
        std::string& ranges = report.vulnerabilities[index->second].version;
        ranges += (ranges.empty() ? "" : " || ") + vulnerability.version;
      }
    }
  }
  return report;
}

}  // namespace qgate
