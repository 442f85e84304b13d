#include "reporters/github_actions.hpp"

#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <random>
#include <stdexcept>

#include "reporters/findings.hpp"
#include "reporters/markdown_report.hpp"
#include "runner/git/git_info.hpp"

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

// Returns the folder annotation paths are relative to: the repository's
// top (GitHub looks for files there, wherever the module lies in it), else
// the workspace.
std::filesystem::path annotation_root(const RunResult& run, const ActionsEnvironment& env) {
  if (run.module_path.empty()) return {};
  const std::filesystem::path root = repository_root(run.module_path);
  return root.empty() ? env.workspace : root;
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

// Returns 128 random bits as 32 lower-case hex digits, from the kernel's
// generator (std::random_device only if getrandom fails).
std::string random_hex_128() {
  std::array<unsigned char, 16> bytes{};
  std::size_t filled = 0;
  while (filled < bytes.size()) {
    const ssize_t got = getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (got > 0) {
      filled += static_cast<std::size_t>(got);
    } else if (errno != EINTR) {
      break;
    }
  }
  if (filled < bytes.size()) {
    std::random_device device;
    for (unsigned char& byte : bytes) byte = static_cast<unsigned char>(device() & 0xFF);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (const unsigned char byte : bytes) {
    hex += kHex[byte >> 4];
    hex += kHex[byte & 0xF];
  }
  return hex;
}

// Returns true if `text` holds `word` in any case (the runner compares the
// resume token without case).
bool contains_ignoring_case(std::string_view text, std::string_view word) {
  const auto lower = [](char c) { return std::tolower(static_cast<unsigned char>(c)); };
  return std::search(text.begin(), text.end(), word.begin(), word.end(),
                     [&](char a, char b) { return lower(a) == lower(b); }) != text.end();
}

// Returns true if the runner could take a line of `text` as a command: a
// line that starts (after spaces) with "::" or the older "##[".
bool may_hold_commands(std::string_view text) {
  return text.find("::") != std::string_view::npos || text.find("##[") != std::string_view::npos;
}

// Returns `file` relative to the workspace when it lies inside, else as given.
std::string file_in_workspace(const std::string& file, const ActionsEnvironment& env) {
  namespace fs = std::filesystem;
  if (file.empty() || env.workspace.empty()) return file;
  std::error_code ec;
  const fs::path absolute = fs::absolute(file, ec);
  if (ec) return file;
  const fs::path relative =
      absolute.lexically_normal().lexically_relative(env.workspace.lexically_normal());
  if (relative.empty() || *relative.begin() == "..") return file;
  return relative.generic_string();
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

std::string stop_commands_token(std::string_view text) {
  for (;;) {
    std::string token = random_hex_128();
    if (!contains_ignoring_case(text, token)) return token;
  }
}

void print_inert(std::string_view text, std::ostream& out) {
  const std::string token = stop_commands_token(text);
  out << "::stop-commands::" << token << "\n" << text;
  if (!text.empty() && text.back() != '\n') out << "\n";
  out << "::" << token << "::\n";
}

void print_log_groups(const RunResult& run, std::ostream& out, std::size_t max_bytes_per_step) {
  for (const auto& gate : run.gates) {
    for (const auto& step : gate.steps) {
      out << "::group::"
          << escape_command_data(gate.name + " / " + step.name + ": " +
                                 std::string(to_string(step.status)))
          << "\n";
      bool cut = false;
      std::string shown = file_tail(step.log_path, max_bytes_per_step, cut);
      if (shown.empty()) shown = "(no output)\n";
      if (cut) shown = "[... earlier output in " + step.log_path + "]\n" + shown;
      // The runner would run a command the step printed ("::endgroup::",
      // "::add-mask::", "::set-output"): the log is shown with commands off.
      print_inert(shown, out);
      out << "::endgroup::\n";
    }
  }
  out.flush();
}

InertOutput::InertOutput(std::ostream& out) : buffer_(out), stream_(&buffer_) {}

InertOutput::~InertOutput() { stream_.flush(); }

InertOutput::Buffer::int_type InertOutput::Buffer::overflow(int_type c) {
  if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
  pending_ += traits_type::to_char_type(c);
  return c;
}

std::streamsize InertOutput::Buffer::xsputn(const char* data, std::streamsize size) {
  pending_.append(data, static_cast<std::size_t>(size));
  return size;
}

int InertOutput::Buffer::sync() {
  if (!pending_.empty()) {
    if (may_hold_commands(pending_)) {
      print_inert(pending_, out_);
    } else {
      out_ << pending_;
    }
    pending_.clear();
  }
  out_.flush();
  return out_ ? 0 : -1;
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
  const std::filesystem::path root = annotation_root(run, env);
  std::size_t existing = 0;
  for (const Finding* finding : top_findings(findings, findings.size())) {
    // Findings that were there before the change are no news on its diff.
    if (finding->baseline == "existing") {
      ++existing;
      continue;
    }
    std::string properties;
    const std::string file = relative_to_root(root, run.module_path, finding->file);
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
  if (existing > 0) {
    out << "qgate: " << existing << " findings already in the baseline are not annotated; "
        << "they are in the step summary and the reports\n";
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
                         const std::string& report_path, const std::string& pr_url, int exit_code) {
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
    append_output(output, "exit-code", std::to_string(exit_code));
    append_output(output, "run-id", run.id);
    append_output(output, "report", report_path);
    append_output(output, "pr-url", pr_url);
    if (!output.flush()) {
      throw std::runtime_error("cannot write the step outputs " + env.output.string());
    }
  }
}

void print_problem_annotations(const std::vector<ActionsProblem>& problems,
                               const ActionsEnvironment& env, std::ostream& out) {
  std::size_t shown = 0;
  for (const ActionsProblem& problem : problems) {
    if (shown == kAnnotationsPerLevel) break;
    ++shown;
    std::string properties = " ";
    if (!problem.file.empty()) {
      properties += "file=" + escape_command_property(file_in_workspace(problem.file, env));
      if (problem.line > 0) properties += ",line=" + std::to_string(problem.line);
      if (problem.column > 0) properties += ",col=" + std::to_string(problem.column);
      properties += ",";
    }
    properties += "title=" + escape_command_property(
                                 problem.file.empty() ? "qgate" : "qgate: configuration error");
    out << "::error" << properties << "::" << escape_command_data(problem.message) << "\n";
  }
  if (problems.size() > shown) {
    out << "qgate: " << problems.size() - shown << " more problems left out (GitHub shows "
        << kAnnotationsPerLevel << " per level and step); all are on stderr\n";
  }
  out.flush();
}

void report_unjudged_run(int exit_code, const std::vector<ActionsProblem>& problems,
                         const ActionsEnvironment& env, std::ostream& out) {
  print_problem_annotations(problems, env, out);
  const std::string why =
      exit_code == 2 ? "the configuration or the command line is wrong"
                     : "qgate could not work (an infrastructure problem, such as the database)";
  if (!env.step_summary.empty()) {
    std::string listed;
    for (const ActionsProblem& problem : problems) {
      std::string where = problem.file;
      if (!where.empty() && problem.line > 0) where += ":" + std::to_string(problem.line);
      if (!where.empty() && problem.column > 0) where += ":" + std::to_string(problem.column);
      listed += (where.empty() ? "" : where + ": ") + problem.message + "\n";
    }
    // A fence longer than any run of backticks in what it holds.
    std::size_t longest = 0;
    std::size_t run = 0;
    for (const char c : listed) {
      run = c == '`' ? run + 1 : 0;
      longest = std::max(longest, run);
    }
    const std::string fence(std::max<std::size_t>(3, longest + 1), '`');
    std::ofstream summary(env.step_summary, std::ios::app | std::ios::binary);
    summary << "## qgate: error (exit " << exit_code << ")\n\n"
            << "No requirement was judged: " << why << ".\n\n";
    if (!listed.empty()) summary << fence << "text\n" << listed << fence << "\n";
    if (!summary.flush()) {
      out << "::error title=qgate::"
          << escape_command_data("cannot write the step summary " + env.step_summary.string())
          << "\n";
    }
  }
  if (!env.output.empty()) {
    std::ofstream output(env.output, std::ios::app | std::ios::binary);
    append_output(output, "result", std::string(to_string(Status::error)));
    append_output(output, "exit-code", std::to_string(exit_code));
    if (!output.flush()) {
      out << "::error title=qgate::"
          << escape_command_data("cannot write the step outputs " + env.output.string()) << "\n";
    }
  }
  out.flush();
}

}  // namespace qgate
