#include "gates/parsers/k6.hpp"

#include <cstdint>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "gates/parsers/json_reader.hpp"

namespace qgate {
namespace {

using nlohmann::json;

constexpr double kNsPerMs = 1e6;

enum class Kind { trend, rate, counter, gauge };

struct K6Metric {
  Kind kind = Kind::trend;
  bool time = true;              // a trend of durations in ms
  const json* values = nullptr;  // the figures: the metric itself or its "values"
  const json* thresholds = nullptr;
};

bool is_trend_stat(const std::string& key) {
  return key == "avg" || key == "min" || key == "med" || key == "max" || key.rfind("p(", 0) == 0;
}

// Reads the shape of metric `name`: handleSummary gives "type", "contains"
// and "values"; --summary-export gives only the figures, whose names tell
// the kind.
K6Metric metric_of(const std::filesystem::path& file, const std::string& name, const json& entry) {
  const std::string where = "metrics." + name;
  if (!entry.is_object()) throw ReportError(file, where + " is not an object");
  K6Metric metric;
  metric.values = &entry;
  if (const auto thresholds = entry.find("thresholds"); thresholds != entry.end()) {
    if (!thresholds->is_object()) throw ReportError(file, where + ".thresholds is not an object");
    metric.thresholds = &*thresholds;
  }
  if (const auto values = entry.find("values"); values != entry.end()) {
    if (!values->is_object()) throw ReportError(file, where + ".values is not an object");
    metric.values = &*values;
    const std::string type = entry.value("type", "");
    if (type == "trend") {
      metric.kind = Kind::trend;
    } else if (type == "rate") {
      metric.kind = Kind::rate;
    } else if (type == "counter") {
      metric.kind = Kind::counter;
    } else if (type == "gauge") {
      metric.kind = Kind::gauge;
    } else {
      throw ReportError(
          file, where + " has the type '" + type + "', not one of trend, rate, counter, gauge");
    }
    metric.time = entry.value("contains", "") == "time";
    return metric;
  }
  if (entry.contains("passes") && entry.contains("fails")) {
    metric.kind = Kind::rate;
  } else if (entry.contains("count") && entry.contains("rate")) {
    metric.kind = Kind::counter;
  } else if (entry.contains("value")) {
    metric.kind = Kind::gauge;
  } else {
    bool trend = false;
    for (const auto& [key, value] : entry.items()) trend = trend || is_trend_stat(key);
    if (!trend) {
      throw ReportError(file,
                        where + " has none of the figures of a k6 trend, rate, counter or gauge");
    }
    metric.kind = Kind::trend;
  }
  return metric;
}

double figure(const std::filesystem::path& file, const json& values, const std::string& key,
              const std::string& where) {
  const auto it = values.find(key);
  if (it == values.end()) throw ReportError(file, where + " has no \"" + key + "\"");
  if (!it->is_number()) {
    throw ReportError(file, where + "." + key + " is " + it->type_name() + ", not a number");
  }
  return it->get<double>();
}

// "p(95)" -> "p95", "p(99.9)" -> "p99.9"; other statistics keep their name.
std::string stat_name(const std::string& key) {
  if (key.rfind("p(", 0) == 0 && key.size() > 3 && key.back() == ')') {
    return "p" + key.substr(2, key.size() - 3);
  }
  return key;
}

void read_trend(const std::filesystem::path& file, const K6Metric& metric, const std::string& where,
                BenchmarkResult& result) {
  for (const auto& [key, value] : metric.values->items()) {
    if (key == "thresholds") continue;
    if (!is_trend_stat(key) && key != "count") continue;
    const double number = figure(file, *metric.values, key, where);
    if (key == "count") {
      result.metrics["count"] = number;
      result.iterations = static_cast<std::int64_t>(number);
      continue;
    }
    result.metrics[stat_name(key) + (metric.time ? "_ms" : "")] = number;
  }
  if (!metric.time) return;
  const auto ns = [&](const char* key) {
    const auto it = metric.values->find(key);
    return it != metric.values->end() && it->is_number() ? it->get<double>() * kNsPerMs : 0.0;
  };
  result.mean_ns = ns("avg");
  result.median_ns = ns("med");
  result.min_ns = ns("min");
  result.max_ns = ns("max");
}

bool is_http_req_failed(const std::string& name) {
  return name == "http_req_failed" || name.rfind("http_req_failed{", 0) == 0;
}

std::string shown(double number) {
  std::ostringstream out;
  out << number;
  return out.str();
}

// The figure a threshold expression tests: "p(95)" of "p(95)<500".
std::string tested_stat(const std::string& expression) {
  const auto end = expression.find_first_of("<>=!");
  std::string stat = expression.substr(0, end);
  while (!stat.empty() && stat.back() == ' ') stat.pop_back();
  while (!stat.empty() && stat.front() == ' ') stat.erase(0, 1);
  return stat;
}

// Applies the thresholds k6 evaluated for the metric. Returns the failed ones.
std::vector<std::string> failed_thresholds(const std::filesystem::path& file,
                                           const K6Metric& metric, const std::string& where) {
  std::vector<std::string> failed;
  if (metric.thresholds == nullptr) return failed;
  for (const auto& [expression, verdict] : metric.thresholds->items()) {
    bool ok = false;
    if (verdict.is_boolean()) {
      // --summary-export writes whether the threshold failed (k6 issue 1498).
      ok = !verdict.get<bool>();
    } else if (verdict.is_object() && verdict.contains("ok") && verdict.at("ok").is_boolean()) {
      ok = verdict.at("ok").get<bool>();
    } else {
      throw ReportError(file, where + ".thresholds['" + expression +
                                  "'] is neither a boolean (--summary-export) nor {\"ok\": ...} "
                                  "(handleSummary)");
    }
    if (ok) continue;
    std::string text = "'" + expression + "'";
    const std::string stat = tested_stat(expression);
    std::string key = stat;
    // A rate's threshold tests "rate", which --summary-export calls "value".
    if (stat == "rate" && !metric.values->contains("rate")) key = "value";
    if (const auto value = metric.values->find(key);
        value != metric.values->end() && value->is_number()) {
      text += " (" + stat + "=" + shown(value->get<double>()) + ")";
    }
    failed.push_back(text);
  }
  return failed;
}

}  // namespace

bool looks_like_k6(std::string_view head) {
  const auto first = head.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || head[first] != '{') return false;
  if (head.find("\"metrics\"") == std::string_view::npos) return false;
  for (const char* name : {"\"root_group\"", "\"http_req_duration", "\"iteration_duration\"",
                           "\"iterations\"", "\"vus_max\"", "\"data_received\""}) {
    if (head.find(name) != std::string_view::npos) return true;
  }
  return false;
}

BenchmarkReport parse_k6(const std::filesystem::path& file) {
  const json document = read_json_file(file);
  if (!document.is_object()) throw ReportError(file, "is not a JSON object");
  const auto metrics = document.find("metrics");
  if (metrics == document.end() || !metrics->is_object()) {
    throw ReportError(file, "has no \"metrics\" object: not a k6 summary");
  }
  BenchmarkReport report;
  report.format = "k6";
  for (const auto& [name, entry] : metrics->items()) {
    const std::string where = "metrics." + name;
    const K6Metric metric = metric_of(file, name, entry);
    const std::vector<std::string> failed = failed_thresholds(file, metric, where);
    // A gauge is kept only when k6 failed a threshold on it.
    if (metric.kind == Kind::gauge && failed.empty()) continue;
    BenchmarkResult result;
    result.name = name;
    const std::string values_where = metric.values == &entry ? where : where + ".values";
    if (metric.kind == Kind::trend) {
      read_trend(file, metric, values_where, result);
    } else if (metric.kind == Kind::rate) {
      // --summary-export calls the rate "value".
      const bool flat = metric.values == &entry;
      const double rate = figure(file, *metric.values, flat ? "value" : "rate", values_where);
      const double nonzero = figure(file, *metric.values, "passes", values_where);
      const double zero = figure(file, *metric.values, "fails", values_where);
      result.metrics["rate"] = rate;
      result.metrics["nonzero"] = nonzero;
      result.metrics["count"] = nonzero + zero;
      result.iterations = static_cast<std::int64_t>(nonzero + zero);
      if (is_http_req_failed(name)) result.metrics["error_rate"] = rate;
    } else if (metric.kind == Kind::gauge) {
      for (const char* key : {"value", "min", "max"}) {
        result.metrics[key] = figure(file, *metric.values, key, values_where);
      }
    } else {
      const double count = figure(file, *metric.values, "count", values_where);
      result.metrics["count"] = count;
      result.metrics["rate"] = figure(file, *metric.values, "rate", values_where);
      result.iterations = static_cast<std::int64_t>(count);
    }
    if (!failed.empty()) {
      result.errored = true;
      result.error_message = "k6 threshold";
      result.error_message += failed.size() > 1 ? "s " : " ";
      for (std::size_t i = 0; i < failed.size(); ++i) {
        result.error_message += (i > 0 ? ", " : "") + failed[i];
      }
      result.error_message += " on " + name + " failed";
    }
    report.results.push_back(std::move(result));
  }
  return report;
}

}  // namespace qgate
