#include "reporters/github_actions.hpp"

#include <array>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <stdexcept>

#include "reporters/findings.hpp"
#include "reporters/markdown_report.hpp"

namespace qgate {
namespace {

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// The level of an annotation for a finding of `severity`.
enum Level { kError, kWarning, kNotice };
constexpr std::array<const char*, 3> kLevelNames = {"error", "warning", "notice"};

Level level_of(Severity severity) {
  if (severity >= Severity::high) return kError;
  if (severity >= Severity::low) return kWarning;
  return kNotice;
}

// Returns `file` (relative to the module) relative to the workspace, which
// is where GitHub looks for it.
std::string workspace_path(const RunResult& run, const ActionsEnvironment& env,
                           const std::string& file) {
  namespace fs = std::filesystem;
  if (file.empty() || env.workspace.empty() || run.module_path.empty()) return file;
  const fs::path absolute = fs::path(run.module_path) / file;
  const fs::path relative = absolute.lexically_normal().lexically_relative(env.workspace);
  if (relative.empty() || *relative.begin() == "..") return file;
  return relative.generic_string();
}

// Returns the last `max_bytes` of the file at `path`, starting at a line.
std::string file_tail(const std::string& path, std::size_t max_bytes, bool& cut) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  cut = false;
  if (!in) return {};
  const std::streamoff size = in.tellg();
  std::streamoff start = 0;
  if (size > static_cast<std::streamoff>(max_bytes)) {
    start = size - static_cast<std::streamoff>(max_bytes);
    cut = true;
  }
  in.seekg(start);
  std::string text(static_cast<std::size_t>(size - start), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (cut) {
    const auto newline = text.find('\n');
    if (newline != std::string::npos) text.erase(0, newline + 1);
  }
  return text;
}

void append_output(std::ofstream& out, const std::string& name, const std::string& value) {
  if (value.find('\n') == std::string::npos) {
    out << name << "=" << value << "\n";
    return;
  }
  // Multi-line values take a delimiter that the value does not hold.
  std::string delimiter = "QGATE_EOF";
  while (value.find(delimiter) != std::string::npos) delimiter += "_";
  out << name << "<<" << delimiter << "\n" << value << "\n" << delimiter << "\n";
}

}  // namespace

std::string escape_command_data(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '%':
        out += "%25";
        break;
      case '\r':
        out += "%0D";
        break;
      case '\n':
        out += "%0A";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string escape_command_property(const std::string& text) {
  std::string out;
  for (char c : escape_command_data(text)) {
    if (c == ':') {
      out += "%3A";
    } else if (c == ',') {
      out += "%2C";
    } else {
      out += c;
    }
  }
  return out;
}

ActionsEnvironment actions_environment() {
  ActionsEnvironment env;
  env.step_summary = env_or_empty("GITHUB_STEP_SUMMARY");
  env.output = env_or_empty("GITHUB_OUTPUT");
  env.workspace = env_or_empty("GITHUB_WORKSPACE");
  const std::string server = env_or_empty("GITHUB_SERVER_URL");
  const std::string repository = env_or_empty("GITHUB_REPOSITORY");
  const std::string run_id = env_or_empty("GITHUB_RUN_ID");
  if (!server.empty() && !repository.empty() && !run_id.empty()) {
    env.run_url = server + "/" + repository + "/actions/runs/" + run_id;
  }
  return env;
}

void print_masks(const std::vector<std::string>& secrets, std::ostream& out) {
  for (const auto& secret : secrets) {
    if (!secret.empty()) out << "::add-mask::" << escape_command_data(secret) << "\n";
  }
  out.flush();
}

void print_log_groups(const RunResult& run, std::ostream& out, std::size_t max_bytes_per_step) {
  for (const auto& gate : run.gates) {
    for (const auto& step : gate.steps) {
      out << "::group::"
          << escape_command_data(gate.name + " / " + step.name + ": " +
                                 std::string(to_string(step.status)))
          << "\n";
      bool cut = false;
      const std::string log = file_tail(step.log_path, max_bytes_per_step, cut);
      if (cut) out << "[... earlier output in " << step.log_path << "]\n";
      out << log;
      if (!log.empty() && log.back() != '\n') out << "\n";
      if (log.empty()) out << "(no output)\n";
      out << "::endgroup::\n";
    }
  }
  out.flush();
}

void print_annotations(const RunResult& run, const ActionsEnvironment& env, std::ostream& out) {
  std::array<std::size_t, 3> shown{};
  std::array<std::size_t, 3> left_out{};
  const auto annotate = [&](Level level, const std::string& properties, const std::string& text) {
    if (shown[level] == kAnnotationsPerLevel) {
      ++left_out[level];
      return;
    }
    ++shown[level];
    out << "::" << kLevelNames[level] << properties << "::" << escape_command_data(text) << "\n";
  };
  for (const auto& requirement : run.requirements) {
    if (!requirement.required || !is_failure(requirement.status)) continue;
    annotate(kError, " title=" + escape_command_property("qgate: " + requirement.name),
             requirement.message);
  }
  std::vector<Finding> findings;
  for (const auto& gate : run.gates) {
    findings.insert(findings.end(), gate.findings.begin(), gate.findings.end());
  }
  for (const Finding* finding : top_findings(findings, findings.size())) {
    std::string properties;
    const std::string file = workspace_path(run, env, finding->file);
    if (!file.empty()) {
      properties += " file=" + escape_command_property(file);
      if (finding->line > 0) properties += ",line=" + std::to_string(finding->line);
      if (finding->column > 0) properties += ",col=" + std::to_string(finding->column);
      properties += ",";
    } else {
      properties += " ";
    }
    properties += "title=" + escape_command_property(finding->rule.empty() ? finding->requirement
                                                                           : finding->rule);
    annotate(level_of(finding->severity), properties, finding->message);
  }
  const std::size_t dropped = left_out[kError] + left_out[kWarning] + left_out[kNotice];
  if (dropped > 0) {
    out << "qgate: " << dropped << " more annotations left out (GitHub shows "
        << kAnnotationsPerLevel << " per level and step); every finding is in the step summary "
        << "and the reports\n";
  }
  out.flush();
}

void write_actions_files(const RunResult& run, const ActionsEnvironment& env,
                         const std::string& report_path, const std::string& pr_url) {
  if (!env.step_summary.empty()) {
    std::ofstream summary(env.step_summary, std::ios::app | std::ios::binary);
    MarkdownOptions options;
    options.run_url = env.run_url;
    // GitHub takes up to 1 MiB of summary per step.
    options.max_chars = 1000 * 1000;
    summary << render_markdown_report(run, options) << "\n";
    if (!summary.flush()) {
      throw std::runtime_error("cannot write the step summary " + env.step_summary.string());
    }
  }
  if (!env.output.empty()) {
    std::ofstream output(env.output, std::ios::app | std::ios::binary);
    append_output(output, "result", std::string(to_string(run.status)));
    append_output(output, "exit-code", std::to_string(run.exit_code));
    append_output(output, "run-id", run.id);
    append_output(output, "report", report_path);
    append_output(output, "pr-url", pr_url);
    if (!output.flush()) {
      throw std::runtime_error("cannot write the step outputs " + env.output.string());
    }
  }
}

}  // namespace qgate
