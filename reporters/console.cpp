#include "reporters/console.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iomanip>
#include <sstream>

#include "reporters/findings.hpp"
#include "runner/core/duration.hpp"

namespace qgate {
namespace {

const char* const kRed = "31";
const char* const kGreen = "32";
const char* const kYellow = "33";
const char* const kDim = "2";
const char* const kBold = "1";

const char* status_color(Status status) {
  switch (status) {
    case Status::passed:
      return kGreen;
    case Status::skipped:
    case Status::not_configured:
      return kYellow;
    default:
      return is_failure(status) ? kRed : kDim;
  }
}

std::string status_word(Status status) {
  switch (status) {
    case Status::passed:
      return "PASS";
    case Status::failed:
      return "FAIL";
    case Status::error:
      return "ERROR";
    case Status::skipped:
      return "SKIP";
    case Status::cancelled:
      return "CANCEL";
    case Status::not_configured:
      return "NOCONF";
    default:
      return std::string(to_string(status));
  }
}

std::string indent(const std::string& text, const std::string& prefix) {
  std::string out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) out += prefix + line + "\n";
  return out;
}

std::string pad(std::string text, std::size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

}  // namespace

bool is_ansi_terminal(int fd) {
  if (::isatty(fd) == 0) return false;
  const char* term = std::getenv("TERM");
  return term != nullptr && std::strcmp(term, "dumb") != 0;
}

ConsoleReporter::ConsoleReporter(std::ostream& out, ConsoleMode mode, Color color)
    : out_(out), mode_(mode), color_(color), started_(std::chrono::steady_clock::now()) {}

std::string ConsoleReporter::paint(const std::string& text, const char* code) const {
  if (color_ == Color::off) return text;
  return std::string("\x1b[") + code + "m" + text + "\x1b[0m";
}

void ConsoleReporter::begin(const RunResult& run,
                            const std::vector<std::pair<std::string, int>>& gate_steps, int jobs) {
  for (const auto& [name, steps] : gate_steps) gates_.push_back({name, steps, 0, 0, 0, 0, {}});
  int total_steps = 0;
  for (const auto& gate : gates_) total_steps += gate.steps;
  out_ << paint("qgate " + run.qgate_version, kBold) << " · module " << run.module_id;
  if (!run.module_name.empty() && run.module_name != run.module_id) {
    out_ << " (" << run.module_name << ")";
  }
  out_ << " · run " << run.id.substr(0, 8) << " · " << gates_.size() << " gates, " << total_steps
       << " steps, -j " << jobs << "\n";
  out_.flush();
  redraw();
}

ConsoleReporter::GateLine* ConsoleReporter::line_for(const std::string& gate) {
  for (auto& line : gates_) {
    if (line.name == gate) return &line;
  }
  return nullptr;
}

void ConsoleReporter::check_finished(const std::string& gate, const std::string& requirement,
                                     const CheckOutcome& outcome) {
  if (GateLine* line = line_for(gate); line != nullptr) {
    ++line->checks_done;
    if (is_failure(outcome.status)) ++line->checks_failed;
  }
  std::string text = "  " +
                     paint(pad(status_word(outcome.status), 6), status_color(outcome.status)) +
                     " " + gate + "/" + requirement;
  if (!outcome.message.empty()) text += "  " + paint(outcome.message, kDim);
  text += "\n";
  if (is_failure(outcome.status)) {
    std::string details;
    for (std::size_t i = 0; i < outcome.findings.size() && i < 10; ++i) {
      const Finding& finding = outcome.findings[i];
      std::string where = finding.file;
      if (!where.empty() && finding.line > 0) where += ":" + std::to_string(finding.line);
      details += (where.empty() ? "" : where + ": ") + finding.message + "\n";
    }
    if (outcome.findings.size() > 10) {
      details += "... and " + std::to_string(outcome.findings.size() - 10) + " more\n";
    }
    text += indent(details, "         ");
  }
  print_above(text);
}

void ConsoleReporter::step_started(std::size_t, const StepSpec& step) {
  if (GateLine* line = line_for(step.gate)) line->running.push_back(step.name);
  redraw();
}

void ConsoleReporter::step_finished(std::size_t, const StepSpec& step, const StepResult& result) {
  if (GateLine* line = line_for(step.gate)) {
    ++line->done;
    if (is_failure(result.status)) ++line->failed;
    auto it = std::find(line->running.begin(), line->running.end(), step.name);
    if (it != line->running.end()) line->running.erase(it);
  }
  std::string text = "  " + paint(pad(status_word(result.status), 6), status_color(result.status)) +
                     " " + step.gate + "/" + step.name + "  " +
                     paint(format_seconds(result.duration_s), kDim);
  if (result.status != Status::passed || result.flaky) text += "  " + result.message;
  if (result.flaky) text += paint(" (flaky)", kYellow);
  text += "\n";
  if (result.status == Status::failed || result.status == Status::error) {
    if (!result.tail.empty()) text += indent(result.tail, paint("       │ ", kDim));
    text += paint("         log: " + result.log_path, kDim) + "\n";
  }
  print_above(text);
}

void ConsoleReporter::tick() {
  if (mode_ != ConsoleMode::live) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(90)) return;
  ++frame_;
  redraw();
}

void ConsoleReporter::print_above(const std::string& text) {
  clear_live();
  out_ << text;
  redraw();
}

void ConsoleReporter::clear_live() {
  if (mode_ != ConsoleMode::live || live_lines_ == 0) return;
  out_ << "\x1b[" << live_lines_ << "A\x1b[J";
  live_lines_ = 0;
}

void ConsoleReporter::redraw() {
  if (mode_ != ConsoleMode::live) {
    out_.flush();
    return;
  }
  static const char* const kSpinner[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
  clear_live();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  for (const auto& gate : gates_) {
    const bool finished = gate.done == gate.steps;
    std::string mark;
    if (gate.steps == 0 && gate.checks_done == 0) {
      mark = paint("-", kYellow);
    } else if (!finished) {
      mark = paint(kSpinner[frame_ % 10], kYellow);
    } else if (gate.failed + gate.checks_failed > 0) {
      mark = paint("✗", kRed);
    } else {
      mark = paint("✓", kGreen);
    }
    std::string progress;
    if (gate.steps > 0) {
      progress = std::to_string(gate.done) + "/" + std::to_string(gate.steps) + " steps";
    }
    if (gate.checks_done > 0) {
      progress += (progress.empty() ? "" : ", ") + std::to_string(gate.checks_done) + " checks";
    }
    if (progress.empty()) progress = "nothing to run here";
    out_ << " " << mark << " " << pad(gate.name, 14) << " " << progress;
    if (!gate.running.empty()) {
      std::string names;
      for (std::size_t i = 0; i < gate.running.size() && i < 3; ++i) {
        names += (i ? ", " : "") + gate.running[i];
      }
      if (gate.running.size() > 3) names += ", …";
      out_ << paint("  running: " + names, kDim);
    }
    out_ << "\n";
    ++live_lines_;
  }
  out_ << paint("   " + format_seconds(elapsed), kDim) << "\n";
  ++live_lines_;
  out_.flush();
  last_draw_ = std::chrono::steady_clock::now();
}

void ConsoleReporter::print_findings(const RunResult& run) {
  constexpr std::size_t kShown = 5;  // per gate; the reports hold them all
  bool any = false;
  for (const auto& gate : run.gates) {
    if (gate.findings.empty()) continue;
    if (!any) out_ << paint("FINDINGS", kBold) << "\n";
    any = true;
    out_ << "  " << gate.name << ": " << gate.findings.size() << " ("
         << describe_counts(count_findings(gate.findings)) << ")\n";
    for (const Finding* finding : top_findings(gate.findings, kShown)) {
      const std::string where = location_of(*finding);
      out_ << "    "
           << paint(pad(std::string(to_string(finding->severity)), 9),
                    finding->severity >= Severity::high ? kRed : kDim)
           << (where.empty() ? "" : where + "  ")
           << (finding->rule.empty() ? "" : "[" + finding->rule + "] ") << finding->message
           << (finding->baseline == "new" ? paint(" (new)", kBold) : "") << "\n";
    }
    if (gate.findings.size() > kShown) {
      out_ << "    ... and " << gate.findings.size() - kShown << " more (qgate show "
           << run.id.substr(0, 8) << ")\n";
    }
  }
  if (any) out_ << "\n";
}

void ConsoleReporter::summary(const RunResult& run, const std::string& problem) {
  clear_live();
  std::size_t width = 11;
  for (const auto& requirement : run.requirements) width = std::max(width, requirement.name.size());
  out_ << "\n"
       << paint(pad("REQUIREMENT", width) + "  GATE           REQUIRED  RESULT          DETAILS",
                kBold)
       << "\n";
  std::vector<std::string> failed_required;
  for (const auto& requirement : run.requirements) {
    const std::string result = pad(std::string(to_string(requirement.status)), 14);
    out_ << pad(requirement.name, width) << "  " << pad(requirement.gate, 14) << " "
         << pad(requirement.required ? "yes" : "advisory", 9) << " "
         << paint(result, status_color(requirement.status)) << "  " << requirement.message << "\n";
    if (requirement.required && is_failure(requirement.status)) {
      failed_required.push_back(requirement.name);
    }
  }
  out_ << "\n";
  print_findings(run);
  const std::string tail = " · " + format_seconds(run.duration_s) + " · run " + run.id.substr(0, 8);
  if (!problem.empty()) {
    out_ << paint("ERROR", kRed) << ": " << problem << tail << "\n";
  } else if (run.status == Status::cancelled) {
    out_ << paint("CANCELLED", kRed) << tail << "\n";
  } else if (failed_required.empty()) {
    out_ << paint("PASSED", kGreen) << ": every required gate passed" << tail << "\n";
  } else {
    std::string names;
    for (const auto& name : failed_required) names += (names.empty() ? "" : ", ") + name;
    out_ << paint("FAILED", kRed) << ": " << failed_required.size() << " required "
         << (failed_required.size() == 1 ? "requirement" : "requirements") << " not met (" << names
         << ")" << tail << "\n";
  }
  out_.flush();
}

}  // namespace qgate
