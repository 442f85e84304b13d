#include "reporters/markdown_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "reporters/findings.hpp"
#include "reporters/reports.hpp"

namespace qgate {
namespace {

// Bounds what one gate's details may show before the size budget even applies.
constexpr std::size_t kMaxFindingsPerGate = 20;
// Keeps a table cell readable; the cell is shortened, the row always stays.
constexpr std::size_t kMaxCellBytes = 300;
// Below this, a tail is no help to anyone and is left out entirely.
constexpr std::size_t kMinUsefulTailBytes = 200;

std::string_view icon_of(Status status) {
  switch (status) {
    case Status::passed:
      return "✅";
    case Status::failed:
      return "❌";
    case Status::skipped:
      return "⏭️";
    case Status::pending:
    case Status::running:
      return "⏳";
    case Status::error:
    case Status::cancelled:
    case Status::not_configured:
    case Status::interrupted:
      return "⚠️";
  }
  return "⚠️";
}

// Returns the status as people write it ("not configured").
std::string words_of(Status status) {
  std::string words(to_string(status));
  std::replace(words.begin(), words.end(), '_', ' ');
  return words;
}

std::string result_of(Status status) {
  return std::string(icon_of(status)) + " " + words_of(status);
}

std::string format_seconds(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
  char buffer[64];
  if (seconds < 60) {
    std::snprintf(buffer, sizeof buffer, "%.1f s", seconds);
  } else if (seconds < 3600) {
    const long whole = std::lround(seconds);
    std::snprintf(buffer, sizeof buffer, "%ld min %02ld s", whole / 60, whole % 60);
  } else {
    const long minutes = std::lround(seconds / 60);
    std::snprintf(buffer, sizeof buffer, "%ld h %02ld min", minutes / 60, minutes % 60);
  }
  return buffer;
}

// Cuts `text` to at most `max_bytes` at a character boundary, marking the cut.
std::string shorten(std::string text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return text + "…";
}

// Escapes `text` for running Markdown text: HTML that GitHub would render (or
// swallow) is escaped, and line breaks become spaces or <br>.
std::string inline_text(std::string_view raw, std::string_view line_break = " ") {
  const std::string text = to_printable_text(raw);
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\n':
        out += line_break;
        break;
      default:
        out += c;
    }
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
  return out;
}

// Escapes a table cell: a backslash is doubled so that it cannot turn the
// next pipe's escape into a literal backslash followed by a column break.
std::string escape_cell_pipes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\' || c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string cell(std::string_view raw) {
  return escape_cell_pipes(shorten(inline_text(raw, "<br>"), kMaxCellBytes));
}

// Returns the longest run of backticks in `text`.
std::size_t longest_backtick_run(std::string_view text) {
  std::size_t longest = 0;
  std::size_t current = 0;
  for (const char c : text) {
    current = c == '`' ? current + 1 : 0;
    longest = std::max(longest, current);
  }
  return longest;
}

// Returns `raw` as a code span whose delimiter no backtick inside can close.
std::string code(std::string_view raw) {
  std::string text = to_printable_text(raw);
  std::replace(text.begin(), text.end(), '\n', ' ');
  if (text.empty()) return "";
  const std::string fence(longest_backtick_run(text) + 1, '`');
  const bool pad = text.front() == '`' || text.back() == '`';
  return fence + (pad ? " " : "") + text + (pad ? " " : "") + fence;
}

std::string code_cell(std::string_view raw) { return escape_cell_pipes(code(raw)); }

std::string module_label(const RunResult& run) {
  if (run.module_id.empty() && run.module_name.empty()) return "module";
  if (run.module_id.empty()) return inline_text(run.module_name);
  std::string label = code(run.module_id);
  if (!run.module_name.empty() && run.module_name != run.module_id) {
    label += " (" + inline_text(run.module_name) + ")";
  }
  return label;
}

std::string headline(const RunResult& run) {
  std::string verdict;
  if (run.status == Status::passed) {
    verdict = "✅ Quality gate passed";
  } else if (run.status == Status::failed) {
    verdict = "❌ Quality gate failed";
  } else {
    verdict = std::string(icon_of(run.status)) + " Quality gate " + words_of(run.status);
  }
  return "## " + verdict + ": " + module_label(run) + "\n";
}

std::string summary_line(const RunResult& run, const MarkdownOptions& options) {
  std::size_t passed = 0;
  std::size_t required_failed = 0;
  std::size_t advisory_failed = 0;
  std::size_t skipped = 0;
  for (const auto& requirement : run.requirements) {
    if (requirement.status == Status::passed) ++passed;
    if (requirement.status == Status::skipped) ++skipped;
    if (is_failure(requirement.status))
      ++(requirement.required ? required_failed : advisory_failed);
  }
  std::vector<std::string> parts;
  parts.push_back("**" + std::to_string(passed) + "/" + std::to_string(run.requirements.size()) +
                  "** requirements passed");
  if (required_failed > 0)
    parts.push_back("**" + std::to_string(required_failed) + " required failed**");
  if (advisory_failed > 0) parts.push_back(std::to_string(advisory_failed) + " advisory failed");
  if (skipped > 0) parts.push_back(std::to_string(skipped) + " skipped");
  parts.push_back(std::to_string(run.gates.size()) + " gates in " + format_seconds(run.duration_s));
  if (!run.commit_sha.empty()) parts.push_back("commit " + code(run.commit_sha.substr(0, 12)));
  if (!options.run_url.empty()) parts.push_back("[full run](" + options.run_url + ")");
  std::string line;
  for (const auto& part : parts) line += (line.empty() ? "" : " · ") + part;
  return line + "\n";
}

std::string requirement_table(const RunResult& run) {
  std::string out = "| Requirement | Gate | Required | Result | Details |\n";
  out += "|---|---|---|---|---|\n";
  for (const auto& requirement : run.requirements) {
    out += "| " + code_cell(requirement.name) + " | " + code_cell(requirement.gate) + " | " +
           (requirement.required ? "yes" : "no") + " | " + result_of(requirement.status) + " | " +
           cell(requirement.message) + " |\n";
  }
  return out;
}

std::string gate_table(const RunResult& run) {
  std::string out = "| Gate | Required | Result | Duration | Steps | Findings |\n";
  out += "|---|---|---|---:|---:|---:|\n";
  for (const auto& gate : run.gates) {
    std::size_t failed = 0;
    std::size_t flaky = 0;
    for (const auto& step : gate.steps) {
      if (is_failure(step.status)) ++failed;
      if (step.flaky) ++flaky;
    }
    std::string steps = std::to_string(gate.steps.size());
    if (failed > 0 || flaky > 0) {
      std::vector<std::string> notes;
      if (failed > 0) notes.push_back(std::to_string(failed) + " failed");
      if (flaky > 0) notes.push_back(std::to_string(flaky) + " flaky");
      steps += " (" + notes[0] + (notes.size() > 1 ? ", " + notes[1] : "") + ")";
    }
    out += "| " + code_cell(gate.name) + " | " + (gate.required ? "yes" : "no") + " | " +
           result_of(gate.status) + " | " + format_seconds(gate.duration_s) + " | " + steps +
           " | " + std::to_string(gate.findings.size()) + " |\n";
  }
  return out;
}

// Calls out steps that passed only on a retry: they pass today and are the
// likeliest to fail the next run.
std::string flaky_section(const RunResult& run) {
  std::string out;
  for (const auto& gate : run.gates) {
    for (const auto& step : gate.steps) {
      if (!step.flaky) continue;
      out += "- " + code(gate.name) + " › " + code(step.name) + " failed, then passed on attempt " +
             std::to_string(step.attempts) + "\n";
    }
  }
  if (out.empty()) return "";
  return "\n### ⚠️ Flaky steps\n\n" + out;
}

std::string step_outcome(const StepResult& step) {
  std::string out = words_of(step.status);
  if (step.timed_out) {
    out += " (timed out)";
  } else if (step.term_signal != 0) {
    out += " (signal " + std::to_string(step.term_signal) + ")";
  } else if (step.exit_code >= 0) {
    out += " (exit " + std::to_string(step.exit_code) + ")";
  }
  return out + " after " + format_seconds(step.duration_s);
}

std::string finding_item(const Finding& finding) {
  const std::string location = location_of(finding);
  std::string item = "- **" + std::string(to_string(finding.severity)) + "**";
  if (!location.empty()) item += " " + code(location);
  if (!finding.rule.empty()) item += " " + code(finding.rule);
  item += ": " + shorten(inline_text(finding.message), 1000);
  if (finding.baseline == "new") item += " _(new)_";
  return item + "\n";
}

// Renders the <details> block of a failed gate, showing at most the last
// `tail_limit` bytes of each failed step's output and `finding_limit` findings.
std::string gate_details(const GateResult& gate, std::size_t tail_limit, std::size_t finding_limit,
                         bool& truncated) {
  std::size_t failed_steps = 0;
  for (const auto& step : gate.steps) failed_steps += is_failure(step.status) ? 1 : 0;

  std::string out = "<details>\n<summary>" + std::string(icon_of(gate.status)) + " <b>" +
                    inline_text(gate.name) + "</b>: " + words_of(gate.status);
  if (failed_steps > 0) out += " · " + std::to_string(failed_steps) + " failed steps";
  if (!gate.findings.empty()) out += " · " + std::to_string(gate.findings.size()) + " findings";
  out += "</summary>\n\n";
  if (!gate.message.empty()) out += inline_text(gate.message) + "\n\n";

  for (const auto& step : gate.steps) {
    if (!is_failure(step.status)) continue;
    out += "**Step " + code(step.name) + "** " + step_outcome(step);
    if (!step.message.empty()) out += ": " + inline_text(step.message);
    out += "\n\n";
    const std::string tail = to_printable_text(step.tail);
    if (tail.empty()) continue;
    if (tail_limit < kMinUsefulTailBytes) {
      truncated = true;
      out += "_… truncated: output left out";
      if (!step.log_path.empty()) out += "; full log in " + code(step.log_path);
      out += "_\n\n";
      continue;
    }
    const std::string_view shown = last_part(tail, tail_limit);
    if (shown.size() < tail.size()) {
      truncated = true;
      out += "_… truncated: last " + std::to_string(shown.size()) + " of " +
             std::to_string(tail.size()) + " bytes of output_\n\n";
    }
    // The fence is longer than any run of backticks in the output, so the
    // output cannot close it early.
    const std::string fence(std::max<std::size_t>(3, longest_backtick_run(shown) + 1), '`');
    out += fence + "text\n";
    out += shown;
    if (shown.back() != '\n') out += "\n";
    out += fence + "\n\n";
  }

  if (!gate.findings.empty() && finding_limit > 0) {
    const auto top = top_findings(gate.findings, finding_limit);
    const std::size_t shown = top.size();
    out += "**Findings** (" + describe_counts(count_findings(gate.findings)) + ")";
    if (shown < gate.findings.size()) {
      out += ", the " + std::to_string(shown) + " most severe";
    }
    out += ":\n\n";
    for (const Finding* finding : top) out += finding_item(*finding);
    if (shown < gate.findings.size()) {
      out += "- … and " + std::to_string(gate.findings.size() - shown) + " more\n";
    }
    out += "\n";
  }
  if (finding_limit < std::min(gate.findings.size(), kMaxFindingsPerGate)) truncated = true;
  return out + "</details>\n";
}

// Renders the details of `gate` within `budget` bytes: the output of failed
// steps is cut first (keeping its end), then findings, then everything.
std::string gate_details_within(const GateResult& gate, std::size_t budget, bool& truncated) {
  std::size_t tail_limit = 0;
  for (const auto& step : gate.steps) {
    if (is_failure(step.status)) {
      tail_limit = std::max(tail_limit, to_printable_text(step.tail).size());
    }
  }
  std::size_t finding_limit = kMaxFindingsPerGate;
  bool cut = false;
  std::string block = gate_details(gate, tail_limit, finding_limit, cut);
  while (block.size() > budget && tail_limit >= kMinUsefulTailBytes) {
    // Shrinks by the overflow at once when that is enough; halves otherwise, so
    // that a tail rewrapped at a line break still converges quickly.
    const std::size_t overflow = block.size() - budget;
    tail_limit = overflow < tail_limit / 2 ? tail_limit - overflow : tail_limit / 2;
    cut = false;
    block = gate_details(gate, tail_limit, finding_limit, cut);
  }
  while (block.size() > budget && finding_limit > 0) {
    finding_limit /= 2;
    cut = false;
    block = gate_details(gate, tail_limit, finding_limit, cut);
  }
  if (block.size() > budget) {
    cut = true;
    block =
        "- " + std::string(icon_of(gate.status)) + " " + code(gate.name) + ": details truncated\n";
    if (block.size() > budget) block.clear();
  }
  truncated = truncated || cut;
  return block;
}

std::string truncation_note(const MarkdownOptions& options) {
  std::string note = "\n_… truncated to fit " + std::to_string(options.max_chars) + " characters";
  if (!options.run_url.empty()) note += "; see the [full run](" + options.run_url + ")";
  return note + "._\n";
}

}  // namespace

std::string render_markdown_report(const RunResult& run, const MarkdownOptions& options) {
  // The headline and the requirement table are the verdict itself, so they are
  // kept whole even when they alone exceed the budget.
  std::string out =
      headline(run) + "\n" + summary_line(run, options) + "\n" + requirement_table(run);
  const std::string note = truncation_note(options);
  const auto room = [&] {
    const std::size_t used = out.size() + note.size();
    return used < options.max_chars ? options.max_chars - used : 0;
  };
  bool truncated = false;

  const std::string overview = "\n### Gates\n\n" + gate_table(run) + flaky_section(run);
  if (overview.size() <= room()) {
    out += overview;
  } else {
    truncated = true;
  }

  std::vector<const GateResult*> failed;
  for (const auto& gate : run.gates) {
    if (is_failure(gate.status)) failed.push_back(&gate);
  }
  const std::string heading = "\n### Failed gates\n\n";
  if (!failed.empty() && heading.size() >= room()) truncated = true;
  if (!failed.empty() && heading.size() < room()) {
    out += heading;
    // Small blocks are placed first so that whatever they leave goes to the
    // big ones: each gate may take an equal share of what is still free. One
    // byte per block is kept for the blank line after it.
    std::vector<std::string> full(failed.size());
    std::vector<std::size_t> order(failed.size());
    for (std::size_t i = 0; i < failed.size(); ++i) {
      bool unused = false;
      full[i] = gate_details(*failed[i], std::numeric_limits<std::size_t>::max(),
                             kMaxFindingsPerGate, unused);
      order[i] = i;
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return full[a].size() < full[b].size(); });
    std::vector<std::string> blocks(failed.size());
    std::size_t free = room();
    for (std::size_t k = 0; k < order.size(); ++k) {
      const std::size_t i = order[k];
      const std::size_t share = free / (order.size() - k);
      const std::size_t budget = share > 0 ? share - 1 : 0;
      blocks[i] = full[i].size() <= budget ? std::move(full[i])
                                           : gate_details_within(*failed[i], budget, truncated);
      if (!blocks[i].empty()) free -= blocks[i].size() + 1;
    }
    for (const auto& block : blocks) {
      if (!block.empty()) out += block + "\n";
    }
  }
  if (truncated) out += note;
  return out;
}

}  // namespace qgate
