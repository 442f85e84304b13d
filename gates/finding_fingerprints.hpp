#pragma once
// Fingerprints of report findings that survive unrelated edits (lines moving
// up or down), and the only-new comparison of findings with a baseline.
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "runner/core/result.hpp"
#include "runner/core/sha256.hpp"  // short_sha256, which fingerprints are

namespace qgate {

// Returns `text` with leading and trailing whitespace removed and every run of
// inner whitespace collapsed to one space.
std::string collapse_whitespace(std::string_view text);

// Reads source lines of a module's files for fingerprints, each file once.
class SourceLines {
 public:
  explicit SourceLines(std::filesystem::path module_dir);
  // Returns `file` (as a tool wrote it) relative to the module folder when it
  // lies inside, else normalised as written.
  std::string module_relative(const std::string& file) const;
  // Returns line `line` (1-based) of `file` with its whitespace collapsed, or
  // nothing when the file cannot be read or is shorter.
  const std::string* line(const std::string& file, int line);

 private:
  std::filesystem::path module_dir_;
  std::filesystem::path canonical_dir_;
  std::map<std::string, std::vector<std::string>> files_;  // by module-relative path
};

// Gives every finding of `findings` without a fingerprint (a tool's own, such
// as SARIF partialFingerprints, is kept) the hash of its rule, module-relative
// file, the source line it points at (whitespace collapsed; its message when
// the line cannot be read) and its index among findings with the same three.
void fingerprint_findings(std::vector<Finding>& findings, SourceLines& sources);

// Sorts findings into new and existing against the findings of a baseline,
// counting duplicates: two identical old findings and three now make one new.
class BaselineMatcher {
 public:
  explicit BaselineMatcher(const std::vector<Finding>& baseline);
  // Sets `finding.baseline` to "existing" and consumes its baseline twin when
  // one is left, else to "new"; returns whether it is new.
  bool classify(Finding& finding);

 private:
  std::map<std::string, int> remaining_;  // fingerprint -> unmatched baseline findings
};

}  // namespace qgate
