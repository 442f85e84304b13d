#pragma once
// How the judges of a gate's reports add to its verdict: one message part per
// judged item, the worst status, metrics and findings. Internal to the report
// checks (gates/report_checks.cpp and the judges it calls).
#include <cstdio>
#include <string>
#include <utility>

#include "gates/report_checks.hpp"

namespace qgate {

// Adds message parts, metrics and findings to one ReportVerdict.
class VerdictBuilder {
 public:
  explicit VerdictBuilder(ReportVerdict& verdict) : verdict_(verdict) {}

  // Adds metric `name` with `value` in `unit`.
  void metric(const std::string& name, double value, const std::string& unit) {
    verdict_.metrics.push_back({name, value, unit});
  }
  // Adds `finding` to the gate's findings.
  void finding(Finding finding) { verdict_.outcome.findings.push_back(std::move(finding)); }
  // Adds `text` to the message without changing the status.
  void pass(const std::string& text) { add(text, Status::passed); }
  // Adds `text` and fails the gate unless it is in error already.
  void fail(const std::string& text) { add(text, Status::failed); }
  // Adds `text` and puts the gate in error: it could not be judged.
  void error(const std::string& text) { add(text, Status::error); }

 private:
  void add(const std::string& text, Status status) {
    auto& outcome = verdict_.outcome;
    if (status == Status::error) {
      outcome.status = Status::error;
    } else if (status == Status::failed && outcome.status == Status::passed) {
      outcome.status = Status::failed;
    }
    outcome.message += (outcome.message.empty() ? "" : "; ") + text;
  }

  ReportVerdict& verdict_;
};

// Returns `value` as "63.6%".
inline std::string format_percent(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f%%", value);
  return buffer;
}

}  // namespace qgate
