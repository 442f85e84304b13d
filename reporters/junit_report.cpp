#include "reporters/junit_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <pugixml.hpp>

#include "reporters/reports.hpp"

namespace qgate {
namespace {

// The categories of the checkout system's checklist, in its order; any other
// category follows them in the order it first appears.
constexpr std::string_view kChecklistCategories[] = {"documentation", "testing", "code_quality",
                                                     "coordination"};

// Bounds the details of one test case, so that a runaway log cannot make the
// file too big for the CI system that uploads it.
constexpr std::size_t kMaxTailBytes = 64 * 1024;
constexpr std::size_t kMaxFindingsPerCase = 100;

// How a requirement shows up in JUnit terms.
enum class Outcome { passed, failure, error, skipped };

Outcome outcome_of(Status status) {
  switch (status) {
    case Status::passed:
      return Outcome::passed;
    case Status::failed:
      return Outcome::failure;
    case Status::error:
    case Status::not_configured:
    case Status::interrupted:
    case Status::cancelled:
      return Outcome::error;
    case Status::skipped:
    case Status::pending:
    case Status::running:
      return Outcome::skipped;
  }
  return Outcome::error;
}

std::string seconds(double value) {
  if (!std::isfinite(value) || value < 0) value = 0;
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.3f", value);
  return buffer;
}

// pugixml escapes markup but passes control characters through, and XML 1.0
// parsers reject those (ESC from coloured output is the usual one).
void set(pugi::xml_attribute attribute, std::string_view value) {
  attribute.set_value(to_printable_text(value).c_str());
}

void add_attribute(pugi::xml_node node, const char* name, std::string_view value) {
  set(node.append_attribute(name), value);
}

void add_property(pugi::xml_node properties, std::string_view name, std::string_view value) {
  pugi::xml_node property = properties.append_child("property");
  add_attribute(property, "name", name);
  add_attribute(property, "value", value);
}

const GateResult* find_gate(const RunResult& run, std::string_view name) {
  for (const auto& gate : run.gates) {
    if (gate.name == name) return &gate;
  }
  return nullptr;
}

std::string location_of(const Finding& finding) {
  if (finding.file.empty()) return "";
  std::string location = finding.file;
  if (finding.line > 0) {
    location += ":" + std::to_string(finding.line);
    if (finding.column > 0) location += ":" + std::to_string(finding.column);
  }
  return location + ": ";
}

// Writes what a reader needs to act on a failed requirement: why, where
// (its findings), and what its gate's failed steps printed last.
std::string details_of(const RequirementResult& requirement, const GateResult* gate) {
  std::ostringstream out;
  if (!requirement.message.empty()) out << requirement.message << "\n";
  if (gate == nullptr) return out.str();

  std::size_t shown = 0;
  std::size_t hidden = 0;
  for (const auto& finding : gate->findings) {
    // Findings without a requirement belong to the whole gate.
    if (!finding.requirement.empty() && finding.requirement != requirement.name) continue;
    if (shown == kMaxFindingsPerCase) {
      ++hidden;
      continue;
    }
    if (shown++ == 0) out << "\n";
    out << location_of(finding) << "[" << finding.rule << "] " << finding.message << " ("
        << to_string(finding.severity) << ")\n";
  }
  if (hidden > 0) out << "... and " << hidden << " more findings\n";

  for (const auto& step : gate->steps) {
    if (!is_failure(step.status)) continue;
    out << "\nstep " << step.name << " " << to_string(step.status);
    if (step.timed_out) {
      out << " (timed out)";
    } else if (step.term_signal != 0) {
      out << " (signal " << step.term_signal << ")";
    } else if (step.exit_code >= 0) {
      out << " (exit " << step.exit_code << ")";
    }
    if (!step.message.empty()) out << ": " << step.message;
    out << "\n";
    if (!step.tail.empty()) {
      const std::string tail = to_printable_text(step.tail);
      const std::string_view shown_tail = last_part(tail, kMaxTailBytes);
      if (shown_tail.size() < tail.size()) out << "... truncated, last lines:\n";
      out << shown_tail;
      if (shown_tail.back() != '\n') out << "\n";
    }
  }
  return out.str();
}

struct Counts {
  int tests = 0;
  int failures = 0;
  int errors = 0;
  int skipped = 0;

  void add(Outcome outcome) {
    ++tests;
    if (outcome == Outcome::failure) ++failures;
    if (outcome == Outcome::error) ++errors;
    if (outcome == Outcome::skipped) ++skipped;
  }
  void write_to(pugi::xml_node node) const {
    node.append_attribute("tests") = tests;
    node.append_attribute("failures") = failures;
    node.append_attribute("errors") = errors;
    node.append_attribute("skipped") = skipped;
  }
};

void add_testcase(pugi::xml_node suite, const RunResult& run, const RequirementResult& requirement,
                  const std::string& category) {
  const GateResult* gate = find_gate(run, requirement.gate);
  pugi::xml_node testcase = suite.append_child("testcase");
  add_attribute(testcase, "classname", "qgate." + category);
  add_attribute(testcase, "name", requirement.name);
  // Several requirements share a gate; each is given the whole gate's time
  // because that is what judging it took.
  add_attribute(testcase, "time", seconds(gate != nullptr ? gate->duration_s : 0));

  // An advisory failure is still reported as <failure>: it did fail, and
  // turning it into <skipped> would hide it from everyone who reads JUnit.
  // The "required" property, plus the "advisory: " prefix of the message,
  // lets readers and CI rules tell it from a failure that blocks the merge.
  pugi::xml_node properties = testcase.append_child("properties");
  add_property(properties, "gate", requirement.gate);
  add_property(properties, "required", requirement.required ? "true" : "false");
  add_property(properties, "status", to_string(requirement.status));

  const std::string prefix = requirement.required ? "" : "advisory: ";
  const std::string message = requirement.message.empty()
                                  ? std::string(to_string(requirement.status))
                                  : requirement.message.substr(0, requirement.message.find('\n'));
  switch (outcome_of(requirement.status)) {
    case Outcome::passed:
      break;
    case Outcome::failure: {
      pugi::xml_node failure = testcase.append_child("failure");
      add_attribute(failure, "message", prefix + message);
      add_attribute(failure, "type", "failed");
      failure.text().set(to_printable_text(details_of(requirement, gate)).c_str());
      break;
    }
    case Outcome::error: {
      pugi::xml_node error = testcase.append_child("error");
      add_attribute(error, "message", prefix + message);
      add_attribute(error, "type", to_string(requirement.status));
      error.text().set(to_printable_text(details_of(requirement, gate)).c_str());
      break;
    }
    case Outcome::skipped: {
      const bool finished =
          requirement.status != Status::pending && requirement.status != Status::running;
      add_attribute(testcase.append_child("skipped"), "message",
                    finished ? message : "not finished (" + message + ")");
      break;
    }
  }
}

}  // namespace

std::string render_junit_report(const RunResult& run) {
  std::vector<std::string> categories(std::begin(kChecklistCategories),
                                      std::end(kChecklistCategories));
  std::map<std::string, std::vector<const RequirementResult*>> by_category;
  for (const auto& requirement : run.requirements) {
    const std::string category =
        requirement.category.empty() ? "uncategorized" : requirement.category;
    if (std::find(categories.begin(), categories.end(), category) == categories.end()) {
      categories.push_back(category);
    }
    by_category[category].push_back(&requirement);
  }

  pugi::xml_document document;
  pugi::xml_node declaration = document.append_child(pugi::node_declaration);
  declaration.append_attribute("version") = "1.0";
  declaration.append_attribute("encoding") = "UTF-8";

  pugi::xml_node root = document.append_child("testsuites");
  add_attribute(root, "name", "qgate");
  Counts total;
  for (const auto& category : categories) {
    const auto found = by_category.find(category);
    if (found == by_category.end()) continue;

    pugi::xml_node suite = root.append_child("testsuite");
    add_attribute(suite, "name", category);
    Counts counts;
    double time = 0;
    std::set<std::string> timed_gates;
    for (const RequirementResult* requirement : found->second) {
      const Outcome outcome = outcome_of(requirement->status);
      counts.add(outcome);
      total.add(outcome);
      const GateResult* gate = find_gate(run, requirement->gate);
      if (gate != nullptr && std::isfinite(gate->duration_s) &&
          timed_gates.insert(gate->name).second) {
        time += gate->duration_s;
      }
    }
    counts.write_to(suite);
    add_attribute(suite, "time", seconds(time));
    if (!run.started_at.empty()) add_attribute(suite, "timestamp", run.started_at);

    pugi::xml_node properties = suite.append_child("properties");
    add_property(properties, "qgate.run_id", run.id);
    add_property(properties, "qgate.module_id", run.module_id);
    if (!run.commit_sha.empty()) add_property(properties, "qgate.commit_sha", run.commit_sha);
    for (const RequirementResult* requirement : found->second) {
      add_testcase(suite, run, *requirement, category);
    }
  }
  total.write_to(root);
  add_attribute(root, "time", seconds(run.duration_s));

  std::ostringstream out;
  document.save(out, "  ", pugi::format_indent, pugi::encoding_utf8);
  return out.str();
}

}  // namespace qgate
