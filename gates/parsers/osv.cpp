#include "gates/parsers/osv.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "gates/parsers/json_reader.hpp"
#include "gates/parsers/report_head.hpp"

namespace qgate {
namespace {

using nlohmann::json;

std::string text(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const json& array_member(const std::filesystem::path& file, const json& object, const char* key,
                         const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_array()) {
    throw ReportError(file, where + " has no \"" + key + "\" array");
  }
  return *it;
}

std::vector<std::string> strings(const std::filesystem::path& file, const json& object,
                                 const char* key, const std::string& where) {
  std::vector<std::string> out;
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return out;
  if (!it->is_array()) throw ReportError(file, where + "." + key + " is not an array");
  for (const json& item : *it) {
    if (!item.is_string())
      throw ReportError(file, where + "." + key + " has a " + item.type_name());
    out.push_back(item.get<std::string>());
  }
  return out;
}

// CVSS v3.1's Roundup: the smallest number with one decimal at or above
// `value`, computed on integers so that 4.000000001 is not read as 4.1.
double roundup(double value) {
  const auto scaled = static_cast<std::int64_t>(std::llround(value * 100000));
  if (scaled % 10000 == 0) return static_cast<double>(scaled) / 100000.0;
  return static_cast<double>(scaled / 10000 + 1) / 10.0;
}

std::optional<double> score_of(const std::string& number) {
  double value = 0;
  const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (error != std::errc() || end != number.data() + number.size()) return std::nullopt;
  return value;
}

std::optional<Severity> severity_of_label(std::string label) {
  std::transform(label.begin(), label.end(), label.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (label == "CRITICAL") return Severity::critical;
  if (label == "HIGH") return Severity::high;
  if (label == "MODERATE" || label == "MEDIUM") return Severity::medium;
  if (label == "LOW") return Severity::low;
  return std::nullopt;
}

// The severity of the records: their highest CVSS v3 score, else their
// highest database_specific.severity label.
std::optional<Severity> severity_of_records(const std::vector<const json*>& records) {
  std::optional<double> best_score;
  std::optional<Severity> best_label;
  for (const json* record : records) {
    if (const auto severities = record->find("severity");
        severities != record->end() && severities->is_array()) {
      for (const json& severity : *severities) {
        if (!severity.is_object()) continue;
        const std::string type = text(severity, "type");
        if (type != "CVSS_V3") continue;
        if (const auto score = cvss3_base_score(text(severity, "score"))) {
          best_score = std::max(best_score.value_or(0), *score);
        }
      }
    }
    if (const auto specific = record->find("database_specific");
        specific != record->end() && specific->is_object()) {
      if (const auto label = severity_of_label(text(*specific, "severity"))) {
        best_label = std::max(best_label.value_or(Severity::info), *label);
      }
    }
  }
  if (best_score) return severity_of_cvss(*best_score);
  return best_label;
}

// Every version the records name as fixing package `name`.
std::string fixed_versions(const std::vector<const json*>& records, const std::string& name) {
  std::vector<std::string> fixed;
  for (const json* record : records) {
    const auto affected = record->find("affected");
    if (affected == record->end() || !affected->is_array()) continue;
    for (const json& entry : *affected) {
      if (!entry.is_object()) continue;
      const auto package = entry.find("package");
      if (package != entry.end() && package->is_object() && text(*package, "name") != name)
        continue;
      const auto ranges = entry.find("ranges");
      if (ranges == entry.end() || !ranges->is_array()) continue;
      for (const json& range : *ranges) {
        const auto events = range.is_object() ? range.find("events") : range.end();
        if (!range.is_object() || events == range.end() || !events->is_array()) continue;
        for (const json& event : *events) {
          const std::string version = event.is_object() ? text(event, "fixed") : "";
          if (!version.empty() && std::find(fixed.begin(), fixed.end(), version) == fixed.end()) {
            fixed.push_back(version);
          }
        }
      }
    }
  }
  std::string out;
  for (const std::string& version : fixed) out += (out.empty() ? "" : ", ") + version;
  return out;
}

std::string title_of(const std::vector<const json*>& records) {
  for (const json* record : records) {
    if (const std::string summary = text(*record, "summary"); !summary.empty()) return summary;
  }
  for (const json* record : records) {
    const std::string details = text(*record, "details");
    if (!details.empty()) return details.substr(0, std::min(details.find('\n'), std::size_t{200}));
  }
  return {};
}

// osv-scanner logs to stderr; a report captured with 2>&1 starts with its
// log lines ("Scanned .../package-lock.json file and found 598 packages").
void reject_mixed_log(const std::filesystem::path& file) {
  const std::string head = read_report_head(file, 512);
  const auto first = head.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || head[first] == '{' || head[first] == '[') return;
  const std::string line = head.substr(first, head.find('\n', first) - first);
  throw ReportError(file, "starts with a line that is not JSON ('" + line +
                              "'): osv-scanner's log is mixed into the report; write only its "
                              "standard output (--format json > file) or use --output");
}

}  // namespace

std::optional<double> cvss3_base_score(std::string_view vector) {
  if (vector.rfind("CVSS:3.0/", 0) != 0 && vector.rfind("CVSS:3.1/", 0) != 0) return std::nullopt;
  std::map<std::string, char, std::less<>> metrics;
  std::size_t start = 9;
  while (start < vector.size()) {
    const auto end = std::min(vector.find('/', start), vector.size());
    const std::string_view part = vector.substr(start, end - start);
    const auto colon = part.find(':');
    if (colon == std::string_view::npos || colon + 2 != part.size()) return std::nullopt;
    metrics[std::string(part.substr(0, colon))] = part.back();
    start = end + 1;
  }
  const auto get = [&](const char* key) -> char {
    const auto it = metrics.find(key);
    return it == metrics.end() ? '\0' : it->second;
  };
  const char scope = get("S");
  if (scope != 'U' && scope != 'C') return std::nullopt;
  const bool changed = scope == 'C';
  const std::map<char, double> av = {{'N', 0.85}, {'A', 0.62}, {'L', 0.55}, {'P', 0.2}};
  const std::map<char, double> ac = {{'L', 0.77}, {'H', 0.44}};
  const std::map<char, double> pr = {
      {'N', 0.85}, {'L', changed ? 0.68 : 0.62}, {'H', changed ? 0.5 : 0.27}};
  const std::map<char, double> ui = {{'N', 0.85}, {'R', 0.62}};
  const std::map<char, double> cia = {{'H', 0.56}, {'L', 0.22}, {'N', 0}};
  const auto weight = [&](const std::map<char, double>& table, const char* key) {
    const auto it = table.find(get(key));
    return it == table.end() ? std::optional<double>() : it->second;
  };
  const auto w_av = weight(av, "AV"), w_ac = weight(ac, "AC"), w_pr = weight(pr, "PR"),
             w_ui = weight(ui, "UI"), w_c = weight(cia, "C"), w_i = weight(cia, "I"),
             w_a = weight(cia, "A");
  if (!w_av || !w_ac || !w_pr || !w_ui || !w_c || !w_i || !w_a) return std::nullopt;
  const double iss = 1 - (1 - *w_c) * (1 - *w_i) * (1 - *w_a);
  const double impact =
      changed ? 7.52 * (iss - 0.029) - 3.25 * std::pow(iss - 0.02, 15) : 6.42 * iss;
  const double exploitability = 8.22 * *w_av * *w_ac * *w_pr * *w_ui;
  if (impact <= 0) return 0.0;
  return changed ? roundup(std::min(1.08 * (impact + exploitability), 10.0))
                 : roundup(std::min(impact + exploitability, 10.0));
}

Severity severity_of_cvss(double score) {
  if (score >= 9.0) return Severity::critical;
  if (score >= 7.0) return Severity::high;
  if (score >= 4.0) return Severity::medium;
  if (score > 0) return Severity::low;
  return Severity::info;
}

bool looks_like_osv_scanner(std::string_view head) {
  const auto first = head.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || head[first] != '{') return false;
  if (head.find("\"results\"") == std::string_view::npos) return false;
  if (head.find("\"runs\"") != std::string_view::npos) return false;  // SARIF
  return head.find("\"source\"") != std::string_view::npos ||
         head.find("\"packageSource\"") != std::string_view::npos ||
         head.find("\"experimental_config\"") != std::string_view::npos;
}

AuditReport parse_osv_scanner(const std::filesystem::path& file) {
  reject_mixed_log(file);
  const json document = read_json_file(file);
  if (!document.is_object()) throw ReportError(file, "is not a JSON object");
  const auto results = document.find("results");
  if (results == document.end() || !(results->is_array() || results->is_null())) {
    throw ReportError(file, "has no \"results\" array: not an osv-scanner report");
  }
  AuditReport report;
  report.format = "osv-scanner";
  if (results->is_null()) return report;
  for (std::size_t r = 0; r < results->size(); ++r) {
    const json& result = (*results)[r];
    const std::string result_where = "results[" + std::to_string(r) + "]";
    if (!result.is_object()) throw ReportError(file, result_where + " is not an object");
    const json& packages = array_member(file, result, "packages", result_where);
    for (std::size_t p = 0; p < packages.size(); ++p) {
      const json& entry = packages[p];
      const std::string where = result_where + ".packages[" + std::to_string(p) + "]";
      if (!entry.is_object()) throw ReportError(file, where + " is not an object");
      const auto package = entry.find("package");
      if (package == entry.end() || !package->is_object()) {
        throw ReportError(file, where + " has no \"package\" object");
      }
      const std::string name = text(*package, "name");
      if (name.empty()) throw ReportError(file, where + ".package has no \"name\"");
      const std::string version = text(*package, "version");
      std::map<std::string, const json*> records;
      const auto vulnerabilities = entry.find("vulnerabilities");
      if (vulnerabilities != entry.end() && !vulnerabilities->is_null()) {
        if (!vulnerabilities->is_array()) {
          throw ReportError(file, where + ".vulnerabilities is not an array");
        }
        for (std::size_t v = 0; v < vulnerabilities->size(); ++v) {
          const json& record = (*vulnerabilities)[v];
          const std::string id = record.is_object() ? text(record, "id") : "";
          if (id.empty()) {
            throw ReportError(file,
                              where + ".vulnerabilities[" + std::to_string(v) + "] has no \"id\"");
          }
          records.emplace(id, &record);
        }
      }
      // An advisory: its ids (the first names it), other aliases and the
      // group's max_severity when osv-scanner grouped the records.
      struct Advisory {
        std::vector<std::string> ids;
        std::vector<std::string> aliases;
        std::string max_severity;
        std::string where;
      };
      std::vector<Advisory> advisories;
      const auto groups = entry.find("groups");
      if (groups != entry.end() && groups->is_array() && !groups->empty()) {
        for (std::size_t g = 0; g < groups->size(); ++g) {
          const json& group = (*groups)[g];
          const std::string group_where = where + ".groups[" + std::to_string(g) + "]";
          if (!group.is_object()) throw ReportError(file, group_where + " is not an object");
          Advisory advisory;
          advisory.where = group_where;
          advisory.ids = strings(file, group, "ids", group_where);
          if (advisory.ids.empty()) throw ReportError(file, group_where + " has no \"ids\"");
          advisory.aliases = strings(file, group, "aliases", group_where);
          advisory.max_severity = text(group, "max_severity");
          advisories.push_back(std::move(advisory));
        }
      } else if (vulnerabilities != entry.end() && vulnerabilities->is_array()) {
        for (const json& record : *vulnerabilities) {
          Advisory advisory;
          advisory.ids = {text(record, "id")};
          advisory.aliases = strings(file, record, "aliases", where + ".vulnerabilities");
          advisories.push_back(std::move(advisory));
        }
      }
      for (const Advisory& advisory : advisories) {
        std::vector<const json*> group_records;
        for (const std::string& id : advisory.ids) {
          if (const auto it = records.find(id); it != records.end()) {
            group_records.push_back(it->second);
          }
        }
        Vulnerability vulnerability;
        vulnerability.package = name;
        vulnerability.version = version;
        vulnerability.id = advisory.ids.front();
        for (const auto* list : {&advisory.ids, &advisory.aliases}) {
          for (const std::string& alias : *list) {
            if (alias != vulnerability.id &&
                std::find(vulnerability.aliases.begin(), vulnerability.aliases.end(), alias) ==
                    vulnerability.aliases.end()) {
              vulnerability.aliases.push_back(alias);
            }
          }
        }
        std::optional<Severity> severity;
        if (!advisory.max_severity.empty()) {
          const auto score = score_of(advisory.max_severity);
          if (!score || *score < 0 || *score > 10) {
            throw ReportError(file, advisory.where + ".max_severity '" + advisory.max_severity +
                                        "' is not a CVSS score");
          }
          severity = severity_of_cvss(*score);
        }
        if (!severity) severity = severity_of_records(group_records);
        vulnerability.severity = severity;
        vulnerability.title = title_of(group_records);
        vulnerability.fixed_in = fixed_versions(group_records, name);
        vulnerability.url = "https://osv.dev/vulnerability/" + vulnerability.id;
        report.vulnerabilities.push_back(std::move(vulnerability));
      }
    }
  }
  return report;
}

}  // namespace qgate
