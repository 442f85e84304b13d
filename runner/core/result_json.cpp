#include "runner/core/result_json.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>

#include "runner/core/utf8_text.hpp"

namespace qgate {
namespace {

using nlohmann::json;

constexpr Status kAllStatuses[] = {
    Status::pending, Status::running,   Status::passed,         Status::failed,      Status::error,
    Status::skipped, Status::cancelled, Status::not_configured, Status::interrupted,
};

json text(std::string_view value) { return to_valid_utf8(value); }

// JSON has no NaN or infinities; protobuf's JSON mapping spells them as these
// strings, so consumers that know that convention read them back.
json number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  return value;
}

json status_name(Status status) { return std::string(to_string(status)); }

json summary_to_json(const RunResult& run) {
  json by_status = json::object();
  for (const Status status : kAllStatuses) by_status[std::string(to_string(status))] = 0;
  int required_failed = 0;
  int advisory_failed = 0;
  for (const auto& requirement : run.requirements) {
    auto& count = by_status[std::string(to_string(requirement.status))];
    count = count.get<int>() + 1;
    if (is_failure(requirement.status))
      ++(requirement.required ? required_failed : advisory_failed);
  }
  return {
      {"total", run.requirements.size()},
      {"by_status", by_status},
      {"required_failed", required_failed},
      {"advisory_failed", advisory_failed},
  };
}

json finding_to_json(const Finding& finding) {
  json out = {
      {"requirement", text(finding.requirement)},
      {"rule", text(finding.rule)},
      {"severity", std::string(to_string(finding.severity))},
      {"message", text(finding.message)},
      {"file", text(finding.file)},
      {"line", finding.line},
      {"column", finding.column},
      {"fingerprint", text(finding.fingerprint)},
  };
  if (!finding.baseline.empty()) out["baseline"] = finding.baseline;
  return out;
}

// The counts a reader wants without walking every finding.
json finding_counts_to_json(const std::vector<Finding>& findings) {
  const FindingCounts counts = count_findings(findings);
  json by_severity = json::object();
  for (std::size_t i = 0; i < counts.by_severity.size(); ++i) {
    by_severity[std::string(to_string(static_cast<Severity>(i)))] = counts.by_severity[i];
  }
  return {{"total", counts.total},
          {"by_severity", std::move(by_severity)},
          {"new", counts.new_findings},
          {"existing", counts.existing_findings}};
}

json metric_to_json(const Metric& metric) {
  return {
      {"name", text(metric.name)}, {"value", number(metric.value)}, {"unit", text(metric.unit)}};
}

json step_to_json(const StepResult& step) {
  return {
      {"gate", text(step.gate)},         {"name", text(step.name)},
      {"command", text(step.command)},   {"status", status_name(step.status)},
      {"exit_code", step.exit_code},     {"term_signal", step.term_signal},
      {"attempts", step.attempts},       {"flaky", step.flaky},
      {"timed_out", step.timed_out},     {"duration_s", number(step.duration_s)},
      {"log_path", text(step.log_path)}, {"tail", text(step.tail)},
      {"message", text(step.message)},
  };
}

json requirement_to_json(const RequirementResult& requirement) {
  return {
      {"name", text(requirement.name)},
      {"category", text(requirement.category)},
      {"gate", text(requirement.gate)},
      {"required", requirement.required},
      {"status", status_name(requirement.status)},
      {"message", text(requirement.message)},
  };
}

json gate_to_json(const GateResult& gate) {
  json steps = json::array();
  for (const auto& step : gate.steps) steps.push_back(step_to_json(step));
  json findings = json::array();
  for (const auto& finding : gate.findings) findings.push_back(finding_to_json(finding));
  json metrics = json::array();
  for (const auto& metric : gate.metrics) metrics.push_back(metric_to_json(metric));
  return {
      {"name", text(gate.name)},
      {"status", status_name(gate.status)},
      {"required", gate.required},
      {"duration_s", number(gate.duration_s)},
      {"message", text(gate.message)},
      {"steps", std::move(steps)},
      {"findings", std::move(findings)},
      {"metrics", std::move(metrics)},
      {"finding_counts", finding_counts_to_json(gate.findings)},
      {"baseline_eligible", gate.baseline_eligible},
  };
}

// Reads one JSON object, naming the JSON pointer of whatever is wrong.
class ObjectReader {
 public:
  ObjectReader(const json& value, std::string pointer)
      : value_(value), pointer_(std::move(pointer)) {
    if (!value_.is_object()) fail(pointer_, "expected an object");
  }

  const json& field(const char* key) const {
    const auto it = value_.find(key);
    if (it == value_.end()) fail(pointer_of(key), "missing");
    return *it;
  }
  std::string pointer_of(const char* key) const { return pointer_ + "/" + key; }

  std::string string(const char* key) const {
    const json& value = field(key);
    if (!value.is_string()) fail(pointer_of(key), "expected a string");
    return value.get<std::string>();
  }

  // Returns the string at `key`, or "" when the key is absent.
  std::string optional_string(const char* key) const {
    return value_.contains(key) ? string(key) : std::string();
  }

  // Returns the boolean at `key`, or false when the key is absent.
  bool optional_boolean(const char* key) const {
    return value_.contains(key) ? boolean(key) : false;
  }

  bool boolean(const char* key) const {
    const json& value = field(key);
    if (!value.is_boolean()) fail(pointer_of(key), "expected true or false");
    return value.get<bool>();
  }

  int integer(const char* key) const {
    const json& value = field(key);
    if (value.is_number_unsigned()) {
      const auto n = value.get<std::uint64_t>();
      if (n <= static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
        return static_cast<int>(n);
      }
    } else if (value.is_number_integer()) {
      const auto n = value.get<std::int64_t>();
      if (n >= std::numeric_limits<int>::min() && n <= std::numeric_limits<int>::max()) {
        return static_cast<int>(n);
      }
    }
    fail(pointer_of(key), "expected an integer that fits in 32 bits");
  }

  double real(const char* key) const {
    const json& value = field(key);
    if (value.is_number()) return value.get<double>();
    if (value.is_string()) {
      const auto& name = value.get_ref<const std::string&>();
      if (name == "NaN") return std::numeric_limits<double>::quiet_NaN();
      if (name == "Infinity") return std::numeric_limits<double>::infinity();
      if (name == "-Infinity") return -std::numeric_limits<double>::infinity();
    }
    fail(pointer_of(key), "expected a number");
  }

  Status status(const char* key) const {
    const std::string name = string(key);
    const auto status = status_from_string(name);
    if (!status) fail(pointer_of(key), "unknown status \"" + name + "\"");
    return *status;
  }

  Severity severity(const char* key) const {
    const std::string name = string(key);
    const auto severity = severity_from_string(name);
    if (!severity) fail(pointer_of(key), "unknown severity \"" + name + "\"");
    return *severity;
  }

  // Calls `read(element, pointer)` for each element of the array at `key`.
  template <typename Read>
  void each(const char* key, Read read) const {
    const json& value = field(key);
    if (!value.is_array()) fail(pointer_of(key), "expected an array");
    for (std::size_t i = 0; i < value.size(); ++i) {
      read(ObjectReader(value[i], pointer_of(key) + "/" + std::to_string(i)));
    }
  }

  [[noreturn]] static void fail(const std::string& pointer, const std::string& what) {
    throw std::runtime_error("JSON report: " + (pointer.empty() ? "/" : pointer) + ": " + what);
  }

 private:
  const json& value_;
  std::string pointer_;
};

Finding finding_from_json(const ObjectReader& in) {
  Finding finding;
  finding.requirement = in.string("requirement");
  finding.rule = in.string("rule");
  finding.severity = in.severity("severity");
  finding.message = in.string("message");
  finding.file = in.string("file");
  finding.line = in.integer("line");
  finding.column = in.integer("column");
  finding.fingerprint = in.string("fingerprint");
  finding.baseline = in.optional_string("baseline");
  return finding;
}

Metric metric_from_json(const ObjectReader& in) {
  Metric metric;
  metric.name = in.string("name");
  metric.value = in.real("value");
  metric.unit = in.string("unit");
  return metric;
}

StepResult step_from_json(const ObjectReader& in) {
  StepResult step;
  step.gate = in.string("gate");
  step.name = in.string("name");
  step.command = in.string("command");
  step.status = in.status("status");
  step.exit_code = in.integer("exit_code");
  step.term_signal = in.integer("term_signal");
  step.attempts = in.integer("attempts");
  step.flaky = in.boolean("flaky");
  step.timed_out = in.boolean("timed_out");
  step.duration_s = in.real("duration_s");
  step.log_path = in.string("log_path");
  step.tail = in.string("tail");
  step.message = in.string("message");
  return step;
}

RequirementResult requirement_from_json(const ObjectReader& in) {
  RequirementResult requirement;
  requirement.name = in.string("name");
  requirement.category = in.string("category");
  requirement.gate = in.string("gate");
  requirement.required = in.boolean("required");
  requirement.status = in.status("status");
  requirement.message = in.string("message");
  return requirement;
}

GateResult gate_from_json(const ObjectReader& in) {
  GateResult gate;
  gate.name = in.string("name");
  gate.status = in.status("status");
  gate.required = in.boolean("required");
  gate.duration_s = in.real("duration_s");
  gate.message = in.string("message");
  in.each("steps", [&](const ObjectReader& step) { gate.steps.push_back(step_from_json(step)); });
  in.each("findings", [&](const ObjectReader& finding) {
    gate.findings.push_back(finding_from_json(finding));
  });
  in.each("metrics",
          [&](const ObjectReader& metric) { gate.metrics.push_back(metric_from_json(metric)); });
  // Absent from reports and spools written before it existed.
  gate.baseline_eligible = in.optional_boolean("baseline_eligible");
  return gate;
}

}  // namespace

nlohmann::json run_to_json(const RunResult& run) {
  json requirements = json::array();
  for (const auto& requirement : run.requirements) {
    requirements.push_back(requirement_to_json(requirement));
  }
  json gates = json::array();
  for (const auto& gate : run.gates) gates.push_back(gate_to_json(gate));
  return {
      {"schema_version", kReportSchemaVersion},
      {"id", text(run.id)},
      {"module_id", text(run.module_id)},
      {"module_name", text(run.module_name)},
      {"module_path", text(run.module_path)},
      {"config_path", text(run.config_path)},
      {"checkout_id", text(run.checkout_id)},
      {"pr_url", text(run.pr_url)},
      {"trigger", text(run.trigger)},
      {"commit_sha", text(run.commit_sha)},
      {"ref", text(run.ref)},
      {"qgate_version", text(run.qgate_version)},
      {"started_at", text(run.started_at)},
      {"finished_at", text(run.finished_at)},
      {"duration_s", number(run.duration_s)},
      {"status", status_name(run.status)},
      {"exit_code", run.exit_code},
      {"summary", summary_to_json(run)},
      {"requirements", std::move(requirements)},
      {"gates", std::move(gates)},
  };
}

RunResult run_from_json(const nlohmann::json& json) {
  const ObjectReader in(json, "");
  const int version = in.integer("schema_version");
  if (version != kReportSchemaVersion) {
    ObjectReader::fail("/schema_version", "unsupported version " + std::to_string(version) +
                                              " (this qgate reads version " +
                                              std::to_string(kReportSchemaVersion) + ")");
  }
  RunResult run;
  run.id = in.string("id");
  run.module_id = in.string("module_id");
  run.module_name = in.string("module_name");
  run.module_path = in.string("module_path");
  run.config_path = in.string("config_path");
  run.checkout_id = in.string("checkout_id");
  // Reports (and spooled runs) of earlier versions have no pr_url.
  if (json.contains("pr_url")) run.pr_url = in.string("pr_url");
  run.trigger = in.string("trigger");
  run.commit_sha = in.string("commit_sha");
  run.ref = in.string("ref");
  run.qgate_version = in.string("qgate_version");
  run.started_at = in.string("started_at");
  run.finished_at = in.string("finished_at");
  run.duration_s = in.real("duration_s");
  run.status = in.status("status");
  run.exit_code = in.integer("exit_code");
  in.each("requirements", [&](const ObjectReader& requirement) {
    run.requirements.push_back(requirement_from_json(requirement));
  });
  in.each("gates", [&](const ObjectReader& gate) { run.gates.push_back(gate_from_json(gate)); });
  return run;
}

}  // namespace qgate
