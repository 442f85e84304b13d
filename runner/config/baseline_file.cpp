#include "runner/config/baseline_file.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <tuple>

namespace qgate {
namespace {

using nlohmann::json;

constexpr int kFormatVersion = 1;

std::string string_at(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int int_at(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_number_integer() ? it->get<int>() : 0;
}

}  // namespace

std::map<std::string, GateBaseline> read_baseline_file(const std::filesystem::path& path) {
  std::map<std::string, GateBaseline> baselines;
  std::ifstream in(path, std::ios::binary);
  if (!in) return baselines;
  std::ostringstream text;
  text << in.rdbuf();
  const auto fail = [&](const std::string& what) -> std::runtime_error {
    return std::runtime_error(path.string() + ": " + what);
  };
  const json doc = json::parse(text.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) throw fail("not a JSON object");
  if (doc.value("qgate_baseline", 0) != kFormatVersion) {
    throw fail("not a qgate baseline file of version " + std::to_string(kFormatVersion) +
               " (\"qgate_baseline\": " + std::to_string(kFormatVersion) + ")");
  }
  if (!doc.contains("gates") || !doc.at("gates").is_object()) throw fail("no \"gates\" object");
  for (const auto& [name, entry] : doc.at("gates").items()) {
    const std::string where = "gates." + name;
    if (!entry.is_object() || !entry.contains("findings") || !entry.at("findings").is_array()) {
      throw fail(where + ": expected an object with a \"findings\" array");
    }
    GateBaseline baseline;
    baseline.run_id = string_at(entry, "run");
    baseline.commit_sha = string_at(entry, "commit");
    baseline.source = path.filename().string();
    for (const auto& item : entry.at("findings")) {
      const std::string fingerprint = item.is_object() ? string_at(item, "fingerprint") : "";
      if (fingerprint.empty()) throw fail(where + ": a finding without a \"fingerprint\"");
      Finding finding;
      finding.fingerprint = fingerprint;
      finding.rule = string_at(item, "rule");
      finding.severity =
          severity_from_string(string_at(item, "severity")).value_or(Severity::medium);
      finding.file = string_at(item, "file");
      finding.line = int_at(item, "line");
      finding.message = string_at(item, "message");
      baseline.findings.push_back(std::move(finding));
    }
    if (entry.contains("metrics") && entry.at("metrics").is_object()) {
      for (const auto& [metric, value] : entry.at("metrics").items()) {
        if (value.is_number()) baseline.metrics.push_back({metric, value.get<double>(), ""});
      }
    }
    baselines.emplace(name, std::move(baseline));
  }
  return baselines;
}

std::string render_baseline_file(const std::string& module_id,
                                 const std::map<std::string, GateBaseline>& baselines) {
  json gates = json::object();
  for (const auto& [name, baseline] : baselines) {
    std::vector<const Finding*> sorted;
    for (const Finding& finding : baseline.findings) sorted.push_back(&finding);
    std::stable_sort(sorted.begin(), sorted.end(), [](const Finding* a, const Finding* b) {
      return std::tie(a->file, a->line, a->rule, a->fingerprint) <
             std::tie(b->file, b->line, b->rule, b->fingerprint);
    });
    json findings = json::array();
    for (const Finding* finding : sorted) {
      findings.push_back({{"fingerprint", finding->fingerprint},
                          {"rule", finding->rule},
                          {"severity", std::string(to_string(finding->severity))},
                          {"file", finding->file},
                          {"line", finding->line},
                          {"message", finding->message}});
    }
    json entry = {
        {"run", baseline.run_id}, {"commit", baseline.commit_sha}, {"findings", findings}};
    // The figures a later run is compared with (line coverage), named once each.
    json metrics = json::object();
    for (const Metric& metric : baseline.metrics) {
      if (metric.name == "coverage.lines" && !std::isnan(metric.value) &&
          !metrics.contains(metric.name)) {
        metrics[metric.name] = metric.value;
      }
    }
    if (!metrics.empty()) entry["metrics"] = metrics;
    gates[name] = std::move(entry);
  }
  json doc = {{"qgate_baseline", kFormatVersion}, {"module", module_id}, {"gates", gates}};
  // Invalid UTF-8 from a tool's message is replaced rather than refused.
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace qgate
