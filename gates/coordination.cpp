// Defaults (each under `gates.coordination`):
//   migrations:      {schema: ["**/*.sql"], path: ["migrations/**", "**/migrations/**",
//   "db/migrate/**"]} deployment_plan: {path: [DEPLOYMENT.md, docs/DEPLOYMENT.md, DEPLOY.md,
//   docs/deployment.md],
//                     acknowledged: "^(Reviewed|Approved|Acknowledged)-by: *\S", min_words: 20}
// A base ref comes from --base-ref / settings.base_ref, else origin/main or main.
#include "gates/coordination.hpp"

#include <set>
#include <sstream>
#include <string>

#include <re2/re2.h>

#include "gates/module_files.hpp"
#include "runner/git/git_query.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> strings_of(const nlohmann::json& options, const char* section,
                                    const char* key, std::vector<std::string> fallback) {
  if (!options.is_object() || !options.contains(section)) return fallback;
  const auto& value = options.at(section);
  if (!value.is_object() || !value.contains(key)) return fallback;
  const auto& entry = value.at(key);
  if (entry.is_string()) return {entry.get<std::string>()};
  if (entry.is_array()) {
    std::vector<std::string> out;
    for (const auto& item : entry) {
      if (item.is_string()) out.push_back(item.get<std::string>());
    }
    return out;
  }
  return fallback;
}

bool matches_any(const std::vector<std::string>& globs, const std::string& path) {
  for (const auto& glob : globs) {
    if (glob_matches(glob, path)) return true;
  }
  return false;
}

// The base ref to compare with: the configured one, else origin/main or main.
std::string pick_base(const CheckContext& context) {
  if (!context.base_ref.empty()) return context.base_ref;
  for (const char* candidate : {"origin/main", "main"}) {
    if (run_git(context.module_dir, {"rev-parse", "--verify", "--quiet", candidate}).exit_code ==
        0) {
      return candidate;
    }
  }
  return "";
}

// Returns `line` for a message: at most 200 bytes, cut between characters.
std::string quoted_line(const std::string& line) {
  constexpr std::size_t kMax = 200;
  if (line.size() <= kMax) return line;
  std::size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
  return line.substr(0, cut) + "...";
}

Finding finding(const std::string& rule, const std::string& file, const std::string& message) {
  Finding f;
  f.rule = rule;
  f.severity = Severity::high;
  f.file = file;
  f.message = message;
  return f;
}

}  // namespace

CheckOutcome check_migrations_provided(const CheckContext& context) {
  CheckOutcome outcome;
  const auto schema = strings_of(context.options, "migrations", "schema", {"**/*.sql"});
  const auto migrations = strings_of(context.options, "migrations", "path",
                                     {"migrations/**", "**/migrations/**", "db/migrate/**"});
  if (run_git(context.module_dir, {"rev-parse", "--is-inside-work-tree"}).exit_code != 0) {
    outcome.status = Status::skipped;
    outcome.message = "not a git repository: no change to compare";
    return outcome;
  }
  const std::string base = pick_base(context);
  if (base.empty()) {
    outcome.status = Status::error;
    outcome.message = "no base ref to compare with: set --base-ref or settings.base_ref";
    return outcome;
  }
  // Changes against the base, committed or not, relative to the module folder.
  const GitAnswer diff =
      run_git(context.module_dir, {"diff", "--name-status", "--relative", base, "--", "."}, true);
  if (diff.exit_code != 0) {
    outcome.status = Status::error;
    outcome.message = "git diff against " + base + " failed: " + diff.error_output;
    return outcome;
  }
  const GitAnswer untracked =
      run_git(context.module_dir, {"ls-files", "--others", "--exclude-standard", "--", "."}, true);
  std::vector<std::string> schema_changes;
  std::vector<std::string> new_migrations;
  std::istringstream lines(diff.output);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() < 3) continue;
    const char kind = line[0];
    const std::string path = line.substr(line.find('\t') + 1);
    const bool migration = matches_any(migrations, path);
    if (migration && kind == 'A') new_migrations.push_back(path);
    if (!migration && matches_any(schema, path)) schema_changes.push_back(path);
  }
  std::istringstream others(untracked.output);
  while (std::getline(others, line)) {
    if (matches_any(migrations, line)) {
      new_migrations.push_back(line);
    } else if (matches_any(schema, line)) {
      schema_changes.push_back(line);
    }
  }
  if (schema_changes.empty()) {
    outcome.message = "no schema file changed against " + base;
    return outcome;
  }
  if (!new_migrations.empty()) {
    outcome.message = std::to_string(schema_changes.size()) + " schema file(s) changed against " +
                      base + ", with new migration " + new_migrations.front();
    return outcome;
  }
  outcome.status = Status::failed;
  outcome.message = std::to_string(schema_changes.size()) + " schema file(s) changed against " +
                    base + " but no new migration file was added";
  for (const auto& path : schema_changes) {
    outcome.findings.push_back(
        finding("migrations.missing", path, path + " changed without a new migration"));
  }
  return outcome;
}

CheckOutcome check_deployment_plan(const CheckContext& context) {
  CheckOutcome outcome;
  const auto paths =
      strings_of(context.options, "deployment_plan", "path",
                 {"DEPLOYMENT.md", "docs/DEPLOYMENT.md", "DEPLOY.md", "docs/deployment.md"});
  const auto acknowledged = strings_of(context.options, "deployment_plan", "acknowledged",
                                       {R"(^(Reviewed|Approved|Acknowledged)-by: *\S)"});
  std::string found;
  std::optional<std::string> text;
  for (const auto& path : paths) {
    text = read_text_file(context.module_dir / path);
    if (text) {
      found = path;
      break;
    }
  }
  if (!text) {
    outcome.status = Status::failed;
    std::string list;
    for (const auto& path : paths) list += (list.empty() ? "" : ", ") + path;
    outcome.message = "no deployment plan found (looked for " + list + ")";
    outcome.findings.push_back(finding("deployment.missing", paths.front(), outcome.message));
    return outcome;
  }
  // RE2 (its syntax), as the plan's lines are the module's: matching stays
  // linear whatever a line holds.
  RE2::Options options;
  options.set_log_errors(false);
  const RE2 pattern(acknowledged.front(), options);
  if (!pattern.ok()) {
    outcome.status = Status::error;
    outcome.message = "gates.coordination.deployment_plan.acknowledged is not a valid pattern: " +
                      pattern.error();
    return outcome;
  }
  std::istringstream words(*text);
  std::string word;
  int count = 0;
  while (words >> word) ++count;
  if (count < 20) {
    outcome.status = Status::failed;
    outcome.message = found + " is a stub (" + std::to_string(count) + " words)";
    outcome.findings.push_back(finding("deployment.stub", found, outcome.message));
    return outcome;
  }
  std::istringstream lines(*text);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (RE2::PartialMatch(line, pattern)) {
      outcome.message =
          found + " acknowledged on line " + std::to_string(number) + ": " + quoted_line(line);
      return outcome;
    }
  }
  outcome.status = Status::failed;
  outcome.message = found + " has not been acknowledged (no line like \"Reviewed-by: name\")";
  outcome.findings.push_back(finding("deployment.unreviewed", found, outcome.message));
  return outcome;
}

}  // namespace qgate
