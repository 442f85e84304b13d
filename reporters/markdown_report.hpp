#pragma once
// The Markdown report: a GitHub-flavoured summary of a run, used as the body of
// the integration pull request and as the Actions step summary.
#include <cstddef>
#include <string>

#include "runner/core/result.hpp"

namespace qgate {

// How to render the Markdown report.
struct MarkdownOptions {
  std::string run_url;  // a link to the full run (e.g. the Actions job); none when empty
  // The most bytes the report may take: GitHub takes at most 65,536 characters
  // in a pull-request body. Details are cut to fit; the requirement table never is.
  std::size_t max_chars = 60000;
};

// Renders `run` as GitHub-flavoured Markdown: verdict, requirement table, gate
// table, flaky steps, and the output and findings of each failed gate.
std::string render_markdown_report(const RunResult& run, const MarkdownOptions& options = {});

}  // namespace qgate
