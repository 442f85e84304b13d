// The documentation gate's built-in checks.
//
// Options come from `gates.documentation`; every key is optional. `path` is one
// path or a list of candidates (the first that exists is used); `sections`
// entries name alternatives with `A|B`. Defaults:
//
//   readme:            path: [README.md, Readme.md, readme.md, README.markdown]
//                      sections: [Overview, Installation|Setup|Getting Started, Usage]
//                      min_words: 80
//   api:               path: [API.md, docs/API.md, docs/api.md]
//                      sources: auto-detected: OpenAPI/Swagger documents (file names
//                        containing "openapi" or "swagger", .yaml/.yml/.json) and
//                        .py/.js/.mjs/.cjs/.ts/.go files, tests and minified files excepted
//   schema:            path: [SCHEMA.md, docs/schema.md, DATABASE.md, docs/database.md]
//                      sql: ["**/*.sql"], exclude: []
//   integration_guide: path: [INTEGRATION.md, docs/INTEGRATION.md, docs/integration.md]
//                      min_words: 80, sections: []
//   changelog:         path: [CHANGELOG.md, CHANGES.md, HISTORY.md, docs/CHANGELOG.md]
//
// Searches never enter dependency, build or tool folders (node_modules, vendor,
// .git, .qgate, build*, virtual environments, ...) unless a pattern names them,
// and skip files larger than 2 MB.
#include "gates/documentation.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <stdexcept>

#include "gates/api_routes.hpp"
#include "gates/markdown_text.hpp"
#include "gates/module_files.hpp"
#include "gates/sql_tables.hpp"
#include "runner/git/git_query.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Strings = std::vector<std::string>;

// A wrong option: the check cannot be judged, which is an error, not a failure.
class OptionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The options object `gates.documentation.<key>`, or nullptr when absent.
const json* options_for(const CheckContext& context, const std::string& key) {
  if (context.options.is_null()) return nullptr;
  if (!context.options.is_object()) throw OptionError("gates.documentation must be a mapping");
  const auto found = context.options.find(key);
  if (found == context.options.end() || found->is_null()) return nullptr;
  if (!found->is_object()) throw OptionError("gates.documentation." + key + " must be a mapping");
  return &*found;
}

Strings string_list(const json* section, const std::string& section_key, const std::string& key,
                    Strings fallback) {
  if (section == nullptr) return fallback;
  const auto found = section->find(key);
  if (found == section->end() || found->is_null()) return fallback;
  if (found->is_string()) return {found->get<std::string>()};
  const std::string where = "gates.documentation." + section_key + "." + key;
  if (!found->is_array()) throw OptionError(where + " must be a string or a list of strings");
  Strings values;
  for (const auto& item : *found) {
    if (!item.is_string()) throw OptionError(where + " must be a list of strings");
    values.push_back(item.get<std::string>());
  }
  return values;
}

int count_option(const json* section, const std::string& section_key, const std::string& key,
                 int fallback) {
  if (section == nullptr) return fallback;
  const auto found = section->find(key);
  if (found == section->end() || found->is_null()) return fallback;
  if (!found->is_number_integer() || found->get<long long>() < 0 ||
      found->get<long long>() > 1000000)
    throw OptionError("gates.documentation." + section_key + "." + key +
                      " must be a whole number of at least 0");
  return found->get<int>();
}

std::string join(const Strings& items, const std::string& separator) {
  std::string joined;
  for (const auto& item : items) joined += (joined.empty() ? "" : separator) + item;
  return joined;
}

// "a, b, c" for at most `limit` items, then "and N more".
std::string join_limited(const Strings& items, size_t limit) {
  if (items.size() <= limit) return join(items, ", ");
  const Strings shown(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(limit));
  return join(shown, ", ") + " and " + std::to_string(items.size() - limit) + " more";
}

std::string plural(size_t count, const std::string& noun) {
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

// The outcome of one check while it is being built.
class OutcomeBuilder {
 public:
  OutcomeBuilder(const CheckContext& context, std::string requirement)
      : requirement_(context.requirement.empty() ? std::move(requirement) : context.requirement) {}

  // Adds a finding; `key` keeps its fingerprint stable when lines move.
  void add(const std::string& rule, Severity severity, std::string message, std::string file,
           int line, const std::string& key) {
    Finding finding;
    finding.requirement = requirement_;
    finding.rule = rule;
    finding.severity = severity;
    finding.message = std::move(message);
    finding.file = std::move(file);
    finding.line = line;
    finding.fingerprint = rule + ":" + finding.file + ":" + key;
    outcome_.findings.push_back(std::move(finding));
  }
  CheckOutcome finish(Status status, std::string message) {
    outcome_.status = status;
    outcome_.message = std::move(message);
    return std::move(outcome_);
  }

 private:
  std::string requirement_;
  CheckOutcome outcome_;
};

// Runs a check body, turning a wrong option or an unreadable input into an error.
template <typename Body>
CheckOutcome guarded(Body body) {
  try {
    return body();
  } catch (const OptionError& e) {
    return {Status::error, std::string("invalid option: ") + e.what(), {}};
  } catch (const std::exception& e) {
    return {Status::error, e.what(), {}};
  }
}

// A document found among its candidate paths.
struct LocatedDoc {
  fs::path path;
  std::string relative;  // for messages and findings
  std::string text;
};

std::optional<LocatedDoc> locate_doc(const fs::path& module_dir, const Strings& candidates) {
  for (const auto& candidate : candidates) {
    const fs::path path = module_dir / candidate;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) continue;
    const std::string relative = module_relative(module_dir, path);
    std::optional<std::string> text = read_text_file(path);
    if (!text) throw std::runtime_error("cannot read " + relative + " (unreadable or over 2 MB)");
    return LocatedDoc{path, relative, std::move(*text)};
  }
  return std::nullopt;
}

std::string not_found(const Strings& candidates, const std::string& label) {
  if (candidates.size() == 1) return candidates.front() + " not found";
  return "no " + label + " found (looked for " + join(candidates, ", ") + ")";
}

std::string first_candidate(const Strings& candidates) {
  return candidates.empty() ? std::string() : candidates.front();
}

// "Installation|Setup" reads "Installation (or Setup)" in messages.
std::string describe_section(const std::string& alternatives) {
  Strings names;
  size_t start = 0;
  while (start <= alternatives.size()) {
    size_t bar = alternatives.find('|', start);
    if (bar == std::string::npos) bar = alternatives.size();
    std::string name = alternatives.substr(start, bar - start);
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    if (!name.empty()) names.push_back(name);
    start = bar + 1;
  }
  if (names.empty()) return alternatives;
  if (names.size() == 1) return names.front();
  return names.front() + " (or " + join(Strings(names.begin() + 1, names.end()), ", ") + ")";
}

std::string trimmed(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return "";
  return std::string(text.substr(first, text.find_last_not_of(" \t") - first + 1));
}

// What a prose document (README, integration guide) must satisfy by default.
struct ProseDocRules {
  std::string option_key;  // "readme"
  std::string requirement;
  std::string label;        // "README", for messages
  std::string rule_prefix;  // "readme", for finding rules
  Strings default_paths;
  Strings default_sections;
  int default_min_words = 80;
};

// Present, not a stub (too few words, placeholder text), required sections present.
CheckOutcome check_prose_doc(const CheckContext& context, const ProseDocRules& rules) {
  const json* section = options_for(context, rules.option_key);
  const Strings paths = string_list(section, rules.option_key, "path", rules.default_paths);
  const Strings sections =
      string_list(section, rules.option_key, "sections", rules.default_sections);
  const int min_words =
      count_option(section, rules.option_key, "min_words", rules.default_min_words);
  OutcomeBuilder outcome(context, rules.requirement);

  const std::optional<LocatedDoc> doc = locate_doc(context.module_dir, paths);
  if (!doc) {
    const std::string message = not_found(paths, rules.label);
    outcome.add(rules.rule_prefix + ".missing", Severity::medium, message, first_candidate(paths),
                0, "missing");
    return outcome.finish(Status::failed, message);
  }
  const MarkdownText markdown(doc->text);
  Strings problems;

  const int words = markdown.prose_word_count();
  if (words < min_words) {
    problems.push_back("is a stub (" + plural(static_cast<size_t>(words), "word") +
                       " of prose, at least " + std::to_string(min_words) + " expected)");
    outcome.add(rules.rule_prefix + ".stub", Severity::medium,
                doc->relative + " has " + plural(static_cast<size_t>(words), "word") +
                    " of prose outside headings and code blocks; at least " +
                    std::to_string(min_words) + " expected",
                doc->relative, 0, "stub");
  }

  Strings placeholder_lines;
  for (const MarkdownLine* line : markdown.placeholder_lines()) {
    placeholder_lines.push_back(std::to_string(line->number));
    std::string text = trimmed(line->raw);
    if (text.size() > 80) text = text.substr(0, 77) + "...";
    outcome.add(rules.rule_prefix + ".placeholder", Severity::medium,
                "placeholder text instead of documentation: \"" + text + "\"", doc->relative,
                line->number, text);
  }
  if (!placeholder_lines.empty()) {
    problems.push_back(std::string("has placeholder text on line") +
                       (placeholder_lines.size() == 1 ? " " : "s ") +
                       join_limited(placeholder_lines, 5));
  }

  Strings missing;
  for (const auto& wanted : sections) {
    if (markdown.find_section(wanted) != nullptr) continue;
    missing.push_back(describe_section(wanted));
    outcome.add(rules.rule_prefix + ".missing-section", Severity::medium,
                doc->relative + " has no \"" + describe_section(wanted) + "\" section heading",
                doc->relative, 0, wanted);
  }
  if (!missing.empty()) problems.push_back("is missing sections: " + join(missing, ", "));

  if (!problems.empty()) {
    return outcome.finish(Status::failed, doc->relative + " " + join(problems, "; "));
  }
  std::string message = doc->relative + " is complete: ";
  if (!sections.empty()) message += plural(sections.size(), "required section") + ", ";
  return outcome.finish(Status::passed,
                        message + plural(static_cast<size_t>(words), "word") + " of prose");
}

std::string route_label(const DeclaredRoute& route) {
  return route.method.empty() ? route.path : route.method + " " + route.path;
}

bool is_openapi_candidate(const std::string& file) {
  std::string ext =
      file.substr(file.rfind('.') == std::string::npos ? file.size() : file.rfind('.'));
  std::transform(ext.begin(), ext.end(), ext.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

// Every route the module declares, first declaration of each method and path kept.
std::vector<DeclaredRoute> declared_routes(const CheckContext& context, const json* section) {
  static const Strings kAutoSources = {"**/*{openapi,swagger,OpenAPI,Swagger}*.{yaml,yml,json}",
                                       "**/*.{py,js,mjs,cjs,ts,go}"};
  // Tests call routes rather than declare them; minified bundles are not the module's source.
  static const Strings kAutoExcludes = {"**/{test,tests,__tests__,spec,testdata}/**",
                                        "**/test_*.py",
                                        "**/*_test.py",
                                        "**/conftest.py",
                                        "**/*_test.go",
                                        "**/*.{test,spec}.{js,mjs,cjs,ts}",
                                        "**/*.d.ts",
                                        "**/*.min.js"};
  const bool explicit_sources =
      section != nullptr && section->contains("sources") && !section->at("sources").is_null();
  const Strings sources = string_list(section, "api", "sources", kAutoSources);
  const Strings files =
      find_module_files(context.module_dir, sources, explicit_sources ? Strings{} : kAutoExcludes);
  std::vector<DeclaredRoute> found;
  std::vector<RouteMount> mounts;
  for (const auto& file : files) {
    const std::optional<std::string> text = read_text_file(context.module_dir / file);
    if (!text) continue;
    std::vector<DeclaredRoute> routes;
    if (is_openapi_candidate(file)) {
      routes = parse_openapi_routes(*text, file);
    } else {
      routes = scan_source_routes(*text, file);
      for (auto& mount : scan_route_mounts(*text, file)) mounts.push_back(std::move(mount));
    }
    found.insert(found.end(), routes.begin(), routes.end());
  }
  apply_route_mounts(found, mounts);
  std::vector<DeclaredRoute> routes;
  std::set<std::string> seen;
  for (const auto& route : found) {
    if (seen.insert(route.method + " " + normalize_route_path(route.path)).second)
      routes.push_back(route);
  }
  return routes;
}

// The lower-case identifiers (and their dotted parts) written in `text`.
std::set<std::string> identifiers_in(std::string_view text) {
  std::set<std::string> names;
  std::string current;
  auto flush = [&] {
    while (!current.empty() && current.back() == '.') current.pop_back();
    if (current.empty()) return;
    names.insert(current);
    size_t start = 0;
    for (size_t dot = current.find('.'); dot != std::string::npos; dot = current.find('.', start)) {
      names.insert(current.substr(start, dot - start));
      start = dot + 1;
    }
    names.insert(current.substr(start));
    current.clear();
  };
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '_' || c == '$' || byte >= 0x80 ||
        (c == '.' && !current.empty())) {
      current += static_cast<char>(std::tolower(byte));
    } else {
      flush();
    }
  }
  flush();
  return names;
}

// Table names a schema document describes: in a heading, in backticks, or as a table cell.
std::set<std::string> described_tables(const MarkdownText& markdown) {
  std::set<std::string> names;
  for (const auto& heading : markdown.headings()) names.merge(identifiers_in(heading.text));
  for (const auto& span : markdown.code_spans()) names.merge(identifiers_in(span));
  for (const auto& cell : markdown.table_cells()) {
    std::string bare;
    for (char c : cell) {
      if (c != '"' && c != '\'' && c != '`' && c != '[' && c != ']') bare += c;
    }
    bare = trimmed(bare);
    if (!bare.empty() && bare.find_first_of(" \t") == std::string::npos)
      names.merge(identifiers_in(bare));
  }
  return names;
}

bool is_empty_entry(const std::string& content) {
  static const std::set<std::string> kNoEntry = {"none", "nothing yet", "no changes",
                                                 "no changes yet", "n a"};
  const std::vector<std::string> words = lower_words(content);
  return words.empty() || kNoEntry.count(join(words, " ")) > 0 || is_placeholder_text(content);
}

// The top `## ` section of the CHANGELOG must hold a real list item.
CheckOutcome check_top_section(const LocatedDoc& doc, OutcomeBuilder& outcome,
                               const std::string& note) {
  const MarkdownText markdown(doc.text);
  const auto& headings = markdown.headings();
  const auto top = std::find_if(headings.begin(), headings.end(),
                                [](const MarkdownHeading& heading) { return heading.level == 2; });
  if (top == headings.end()) {
    const std::string message = doc.relative + " has no version section (a \"## \" heading)" + note;
    outcome.add("changelog.no-entry", Severity::medium, message, doc.relative, 0, "no-section");
    return outcome.finish(Status::failed, message);
  }
  size_t entries = 0;
  for (const MarkdownLine* line : markdown.section_lines(*top)) {
    if (line->kind == MarkdownLineKind::list_item && !is_empty_entry(line->content)) ++entries;
  }
  if (entries == 0) {
    const std::string message =
        "the top section \"" + top->text + "\" of " + doc.relative + " has no entries" + note;
    outcome.add("changelog.no-entry", Severity::medium,
                "\"" + top->text + "\" lists no change (only placeholders or nothing)",
                doc.relative, top->line, top->text);
    return outcome.finish(Status::failed, message);
  }
  const std::string count = entries == 1 ? "1 entry" : std::to_string(entries) + " entries";
  return outcome.finish(Status::passed,
                        doc.relative + " has " + count + " under \"" + top->text + "\"" + note);
}

}  // namespace

CheckOutcome check_readme_complete(const CheckContext& context) {
  static const ProseDocRules kRules{"readme",
                                    "module_readme_complete",
                                    "README",
                                    "readme",
                                    {"README.md", "Readme.md", "readme.md", "README.markdown"},
                                    {"Overview", "Installation|Setup|Getting Started", "Usage"},
                                    80};
  return guarded([&] { return check_prose_doc(context, kRules); });
}

CheckOutcome check_integration_guide(const CheckContext& context) {
  static const ProseDocRules kRules{
      "integration_guide",
      "integration_guide_written",
      "integration guide",
      "integration-guide",
      {"INTEGRATION.md", "docs/INTEGRATION.md", "docs/integration.md"},
      {},
      80};
  return guarded([&] { return check_prose_doc(context, kRules); });
}

CheckOutcome check_api_documented(const CheckContext& context) {
  return guarded([&] {
    const json* section = options_for(context, "api");
    const Strings paths =
        string_list(section, "api", "path", {"API.md", "docs/API.md", "docs/api.md"});
    OutcomeBuilder outcome(context, "api_documentation_updated");
    const std::optional<LocatedDoc> doc = locate_doc(context.module_dir, paths);
    if (!doc) {
      const std::string message = not_found(paths, "API doc");
      outcome.add("api.missing", Severity::medium, message, first_candidate(paths), 0, "missing");
      return outcome.finish(Status::failed, message);
    }
    const std::vector<DeclaredRoute> routes = declared_routes(context, section);
    if (routes.empty()) {
      return outcome.finish(Status::passed,
                            "no routes declared in the module; " + doc->relative + " present");
    }
    const RouteMentions mentions(doc->text);
    Strings undocumented;
    size_t path_only = 0;
    for (const auto& route : routes) {
      const RouteCoverage coverage = mentions.coverage(route);
      const std::string label = route_label(route);
      if (coverage == RouteCoverage::missing) {
        undocumented.push_back(label);
        outcome.add("api.undocumented-route", Severity::medium,
                    label + " is not documented in " + doc->relative, route.file, route.line,
                    label);
      } else if (coverage == RouteCoverage::path_only) {
        ++path_only;
        outcome.add(
            "api.method-not-mentioned", Severity::info,
            route.path + " is in " + doc->relative + " but not with its method " + route.method,
            route.file, route.line, label);
      }
    }
    if (!undocumented.empty()) {
      return outcome.finish(Status::failed, std::to_string(undocumented.size()) + " of " +
                                                plural(routes.size(), "route") +
                                                " undocumented in " + doc->relative + ": " +
                                                join_limited(undocumented, 5));
    }
    std::string message =
        "all " + plural(routes.size(), "route") + " documented in " + doc->relative;
    if (path_only > 0) message += " (" + std::to_string(path_only) + " without their HTTP method)";
    return outcome.finish(Status::passed, message);
  });
}

CheckOutcome check_schema_documented(const CheckContext& context) {
  return guarded([&] {
    const json* section = options_for(context, "schema");
    const Strings paths =
        string_list(section, "schema", "path",
                    {"SCHEMA.md", "docs/schema.md", "DATABASE.md", "docs/database.md"});
    const Strings sql = string_list(section, "schema", "sql", {"**/*.sql"});
    const Strings exclude = string_list(section, "schema", "exclude", {});
    OutcomeBuilder outcome(context, "database_schema_documented");

    const Strings files = find_module_files(context.module_dir, sql, exclude);
    SqlTableCollector collector;
    for (const auto& file : files) {
      if (const auto text = read_text_file(context.module_dir / file))
        collector.add_file(*text, file);
    }
    const std::vector<SqlTable> tables = collector.tables();
    if (tables.empty()) {
      return outcome.finish(Status::passed,
                            files.empty()
                                ? "no tables declared (no SQL files found)"
                                : "no tables declared in " + plural(files.size(), "SQL file"));
    }
    const std::optional<LocatedDoc> doc = locate_doc(context.module_dir, paths);
    if (!doc) {
      const std::string message =
          plural(tables.size(), "table") + " declared but " + not_found(paths, "schema doc");
      outcome.add("schema.missing", Severity::medium, message, first_candidate(paths), 0,
                  "missing");
      return outcome.finish(Status::failed, message);
    }
    const std::set<std::string> described = described_tables(MarkdownText(doc->text));
    Strings undocumented;
    for (const auto& table : tables) {
      std::string key = table.name;
      std::transform(key.begin(), key.end(), key.begin(), [](char c) {
        return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      });
      if (described.count(key) > 0) continue;
      undocumented.push_back(table.name);
      outcome.add("schema.undocumented-table", Severity::medium,
                  "table " + table.name + " is not described in " + doc->relative, table.file,
                  table.line, key);
    }
    if (!undocumented.empty()) {
      return outcome.finish(Status::failed, std::to_string(undocumented.size()) + " of " +
                                                plural(tables.size(), "table") +
                                                " undocumented in " + doc->relative + ": " +
                                                join_limited(undocumented, 8));
    }
    return outcome.finish(Status::passed, "all " + plural(tables.size(), "table") +
                                              " documented in " + doc->relative);
  });
}

CheckOutcome check_changelog_entry(const CheckContext& context) {
  return guarded([&] {
    const json* section = options_for(context, "changelog");
    const Strings paths =
        string_list(section, "changelog", "path",
                    {"CHANGELOG.md", "CHANGES.md", "HISTORY.md", "docs/CHANGELOG.md"});
    OutcomeBuilder outcome(context, "breaking_changes_documented");
    const std::optional<LocatedDoc> doc = locate_doc(context.module_dir, paths);
    if (!doc) {
      const std::string message = not_found(paths, "CHANGELOG");
      outcome.add("changelog.missing", Severity::medium, message, first_candidate(paths), 0,
                  "missing");
      return outcome.finish(Status::failed, message);
    }
    if (context.base_ref.empty()) return check_top_section(*doc, outcome, "");

    const std::string& base = context.base_ref;
    if (base.front() == '-') {
      return outcome.finish(Status::error, "invalid base ref \"" + base + "\"");
    }
    const GitAnswer repository =
        run_git(context.module_dir, {"rev-parse", "--is-inside-work-tree"});
    if (repository.exit_code < 0) {
      return outcome.finish(Status::error, repository.error_output);
    }
    if (repository.exit_code != 0) {
      return check_top_section(*doc, outcome,
                               " (not a git repository, base ref " + base + " unused)");
    }
    const GitAnswer known =
        run_git(context.module_dir, {"rev-parse", "--verify", "--quiet", base + "^{commit}"});
    if (known.exit_code != 0) {
      return outcome.finish(Status::error, "base ref " + base +
                                               " not found in the git repository (fetch it, "
                                               "or deepen a shallow clone)");
    }
    const GitAnswer diff =
        run_git(context.module_dir, {"diff", "--quiet", base, "--", doc->relative});
    if (diff.exit_code == 1) {
      return outcome.finish(Status::passed, doc->relative + " changed since " + base);
    }
    if (diff.exit_code != 0) {
      return outcome.finish(Status::error, "git diff against " + base + " failed (exit " +
                                               std::to_string(diff.exit_code) +
                                               "): " + diff.error_output);
    }
    // An untracked new file is invisible to git diff, but did not exist at the base.
    const GitAnswer existed =
        run_git(context.module_dir, {"cat-file", "-e", base + ":./" + doc->relative});
    if (existed.exit_code != 0) {
      return outcome.finish(Status::passed, doc->relative + " is new since " + base);
    }
    const std::string message = doc->relative + " has no changes since " + base;
    outcome.add("changelog.unchanged", Severity::medium,
                message + ": add an entry describing this change", doc->relative, 0, "unchanged");
    return outcome.finish(Status::failed, message);
  });
}

}  // namespace qgate
