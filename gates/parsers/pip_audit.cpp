#include "gates/parsers/pip_audit.hpp"

#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "gates/parsers/json_reader.hpp"

namespace qgate {
namespace {

using nlohmann::json;

// The text of string member `key`; throws naming `where` when it is there
// but not a string, or missing while `required`.
std::string text(const std::filesystem::path& file, const json& object, const char* key,
                 const std::string& where, bool required) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    if (required) throw ReportError(file, where + " has no \"" + key + "\"");
    return {};
  }
  if (!it->is_string()) {
    throw ReportError(file, where + "." + key + " is " + it->type_name() + ", not a string");
  }
  return it->get<std::string>();
}

std::vector<std::string> strings(const std::filesystem::path& file, const json& object,
                                 const char* key, const std::string& where) {
  std::vector<std::string> out;
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return out;
  if (!it->is_array()) throw ReportError(file, where + "." + key + " is not an array");
  for (const json& item : *it) {
    if (!item.is_string()) {
      throw ReportError(file, where + "." + key + " has a " + item.type_name());
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

// pip-audit has no title: the description's first 200 characters, cut at a
// word, stand for it.
std::string title_of(const std::string& description) {
  constexpr std::size_t kMax = 200;
  if (description.size() <= kMax) return description;
  std::size_t cut = description.rfind(' ', kMax);
  if (cut == std::string::npos || cut < kMax / 2) cut = kMax;
  return description.substr(0, cut) + "...";
}

}  // namespace

bool looks_like_pip_audit(std::string_view head) {
  const auto first = head.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || head[first] != '{') return false;
  return head.find("\"dependencies\"") != std::string_view::npos &&
         (head.find("\"vulns\"") != std::string_view::npos ||
          head.find("\"skip_reason\"") != std::string_view::npos);
}

AuditReport parse_pip_audit(const std::filesystem::path& file) {
  const json document = read_json_file(file);
  if (document.is_array()) {
    throw ReportError(file, "is pip-audit 1's bare list; only pip-audit 2 and later is read");
  }
  if (!document.is_object()) throw ReportError(file, "is not a JSON object");
  const auto dependencies = document.find("dependencies");
  if (dependencies == document.end() || !dependencies->is_array()) {
    throw ReportError(file, "has no \"dependencies\" array: not a pip-audit report");
  }
  AuditReport report;
  report.format = "pip-audit";
  for (std::size_t i = 0; i < dependencies->size(); ++i) {
    const json& dependency = (*dependencies)[i];
    const std::string where = "dependencies[" + std::to_string(i) + "]";
    if (!dependency.is_object()) throw ReportError(file, where + " is not an object");
    const std::string name = text(file, dependency, "name", where, true);
    if (dependency.contains("skip_reason")) continue;
    const std::string version = text(file, dependency, "version", where, true);
    const auto vulns = dependency.find("vulns");
    if (vulns == dependency.end() || !vulns->is_array()) {
      throw ReportError(file, where + " (" + name + ") has no \"vulns\" array");
    }
    for (std::size_t j = 0; j < vulns->size(); ++j) {
      const json& vuln = (*vulns)[j];
      const std::string vuln_where = where + ".vulns[" + std::to_string(j) + "]";
      if (!vuln.is_object()) throw ReportError(file, vuln_where + " is not an object");
      Vulnerability vulnerability;
      vulnerability.package = name;
      vulnerability.version = version;
      vulnerability.id = text(file, vuln, "id", vuln_where, true);
      if (vulnerability.id.empty()) throw ReportError(file, vuln_where + " has an empty \"id\"");
      vulnerability.aliases = strings(file, vuln, "aliases", vuln_where);
      vulnerability.title = title_of(text(file, vuln, "description", vuln_where, false));
      for (const std::string& fix : strings(file, vuln, "fix_versions", vuln_where)) {
        vulnerability.fixed_in += (vulnerability.fixed_in.empty() ? "" : ", ") + fix;
      }
      vulnerability.url = "https://osv.dev/vulnerability/" + vulnerability.id;
      report.vulnerabilities.push_back(std::move(vulnerability));
    }
  }
  return report;
}

}  // namespace qgate
