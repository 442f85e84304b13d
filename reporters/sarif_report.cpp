#include "reporters/sarif_report.hpp"

#include <filesystem>
#include <map>

#include "reporters/findings.hpp"
#include "reporters/reports.hpp"
#include "runner/core/version.hpp"
#include "runner/git/git_info.hpp"

namespace qgate {
namespace {

// SARIF has four levels; qgate's five severities map onto them, and the
// exact one is kept in the result's properties.
const char* level_of(Severity severity) {
  switch (severity) {
    case Severity::critical:
    case Severity::high:
      return "error";
    case Severity::medium:
      return "warning";
    case Severity::low:
      return "note";
    case Severity::info:
      return "none";
  }
  return "warning";
}

}  // namespace

nlohmann::json run_to_sarif(const RunResult& run) {
  // Paths from the repository's top, where code scanning looks for them.
  const std::filesystem::path repository =
      run.module_path.empty() ? std::filesystem::path() : repository_root(run.module_path);
  const std::string src_root = repository.empty() ? run.module_path : repository.string();
  nlohmann::json rules = nlohmann::json::array();
  std::map<std::string, std::size_t> rule_index;
  nlohmann::json results = nlohmann::json::array();
  for (const auto& gate : run.gates) {
    for (const auto& finding : gate.findings) {
      const std::string rule = finding.rule.empty() ? gate.name : finding.rule;
      auto [it, added] = rule_index.emplace(rule, rules.size());
      if (added) {
        rules.push_back({{"id", rule}, {"properties", {{"gate", gate.name}}}});
      }
      nlohmann::json result = {
          {"ruleId", rule},
          {"ruleIndex", it->second},
          {"level", level_of(finding.severity)},
          {"message", {{"text", to_valid_utf8(finding.message)}}},
          {"properties",
           {{"gate", gate.name},
            {"requirement", finding.requirement},
            {"severity", std::string(to_string(finding.severity))}}},
      };
      if (!finding.file.empty()) {
        nlohmann::json region = nlohmann::json::object();
        if (finding.line > 0) region["startLine"] = finding.line;
        if (finding.column > 0) region["startColumn"] = finding.column;
        nlohmann::json physical = {
            {"artifactLocation",
             {{"uri", to_valid_utf8(relative_to_root(repository, run.module_path, finding.file))},
              {"uriBaseId", "%SRCROOT%"}}}};
        if (!region.empty()) physical["region"] = region;
        result["locations"] = nlohmann::json::array({{{"physicalLocation", physical}}});
      }
      // SARIF's word for a result that was in the baseline already is "unchanged".
      if (finding.baseline == "new") result["baselineState"] = "new";
      if (finding.baseline == "existing") result["baselineState"] = "unchanged";
      if (!finding.fingerprint.empty()) {
        result["partialFingerprints"] = {{"qgate/v1", to_valid_utf8(finding.fingerprint)}};
      }
      results.push_back(std::move(result));
    }
  }
  nlohmann::json sarif_run = {
      {"tool",
       {{"driver",
         {{"name", "qgate"},
          {"version", kVersion},
          {"informationUri", "https://qgate.dev"},
          {"rules", rules}}}}},
      {"originalUriBaseIds", {{"%SRCROOT%", {{"uri", "file://" + src_root + "/"}}}}},
      {"results", results},
      {"automationDetails", {{"id", "qgate/" + run.module_id + "/" + run.id}}},
  };
  if (!run.commit_sha.empty()) {
    sarif_run["versionControlProvenance"] = nlohmann::json::array(
        {{{"repositoryUri", "file://" + src_root}, {"revisionId", run.commit_sha}}});
  }
  return {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
          {"version", "2.1.0"},
          {"runs", nlohmann::json::array({sarif_run})}};
}

}  // namespace qgate
