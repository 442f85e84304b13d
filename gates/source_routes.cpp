// Route declarations in source files, found line by line with RE2, whose
// matching takes time linear in the line and memory bounded whatever the
// line holds (a minified bundle, a 400 KB string literal). The patterns cover
// the common frameworks' spellings; a cheap substring test runs first so the
// patterns only see lines that can declare a route.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <re2/re2.h>

#include "gates/api_routes.hpp"

namespace qgate {
namespace {

using Prefixes = std::map<std::string, std::string>;

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

std::string_view trim_left(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  return text;
}

// True if `line` calls a method named one of `names` (".name(" or ".name ("): a
// cheap test that spares the patterns almost every line.
bool calls_any(std::string_view line, std::initializer_list<std::string_view> names) {
  for (size_t dot = line.find('.'); dot != std::string_view::npos; dot = line.find('.', dot + 1)) {
    size_t end = dot + 1;
    while (end < line.size() &&
           (std::isalnum(static_cast<unsigned char>(line[end])) != 0 || line[end] == '_'))
      ++end;
    size_t paren = end;
    while (paren < line.size() && line[paren] == ' ') ++paren;
    if (end == dot + 1 || paren >= line.size() || line[paren] != '(') continue;
    const std::string_view name = line.substr(dot + 1, end - dot - 1);
    if (std::find(names.begin(), names.end(), name) != names.end()) return true;
  }
  return false;
}

RE2::Options quiet_options() {
  RE2::Options options;
  options.set_log_errors(false);
  return options;
}

// A route pattern, compiled once; one that does not compile is a bug of this
// file, which its tests find.
class Pattern {
 public:
  explicit Pattern(const char* pattern) : re_(pattern, quiet_options()) {
    if (!re_.ok())
      throw std::logic_error("bad route pattern " + re_.pattern() + ": " + re_.error());
  }
  const RE2& re() const { return re_; }

 private:
  RE2 re_;
};

// One match of a pattern in a line: its groups as views into the line.
class Match {
 public:
  // Returns whether group `group` took part in the match.
  bool matched(size_t group) const {
    return group < groups_.size() && groups_[group].data() != nullptr;
  }
  // Returns the text of group `group`; empty if it did not take part.
  std::string str(size_t group) const {
    return matched(group) ? std::string(groups_[group].data(), groups_[group].size())
                          : std::string();
  }
  // Returns the offset just past the whole match in the searched text.
  size_t end() const { return end_; }
  // Returns the searched text after the whole match.
  std::string_view suffix() const { return text_.substr(end_); }

 private:
  friend bool search(const Pattern& pattern, std::string_view text, Match& match, size_t from,
                     RE2::Anchor anchor);
  std::vector<re2::StringPiece> groups_;
  std::string_view text_;
  size_t end_ = 0;
};

// Finds the first match of `re` in `text` from offset `from` (ANCHOR_START:
// only one that starts there).
bool search(const Pattern& pattern, std::string_view text, Match& match, size_t from = 0,
            RE2::Anchor anchor = RE2::UNANCHORED) {
  const RE2& re = pattern.re();
  match.groups_.assign(static_cast<size_t>(re.NumberOfCapturingGroups()) + 1, {});
  match.text_ = text;
  if (from > text.size() ||
      !re.Match(re2::StringPiece(text.data(), text.size()), from, text.size(), anchor,
                match.groups_.data(), static_cast<int>(match.groups_.size())))
    return false;
  match.end_ = static_cast<size_t>(match.groups_[0].data() - text.data()) + match.groups_[0].size();
  return true;
}

// Finds a match of `re` that starts at the beginning of `text`.
bool search_at_start(const Pattern& pattern, std::string_view text, Match& match) {
  return search(pattern, text, match, 0, RE2::ANCHOR_START);
}

// Returns group `group` of every match of `re` in `text`, left to right.
std::vector<std::string> all_matches(const Pattern& pattern, std::string_view text, size_t group) {
  std::vector<std::string> found;
  Match match;
  size_t from = 0;
  while (search(pattern, text, match, from)) {
    found.push_back(match.str(group));
    // An empty match moves on by a byte, so that the loop ends.
    from = std::max(match.end(), from + 1);
  }
  return found;
}

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  return text;
}

std::string extension(const std::string& file) {
  const size_t dot = file.rfind('.');
  const size_t slash = file.rfind('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  std::string ext = file.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  return ext;
}

// The first capture that took part among `groups` (alternatives of one quoted string).
std::string first_capture(const Match& match, std::initializer_list<size_t> groups) {
  for (size_t group : groups) {
    if (match.matched(group)) return match.str(group);
  }
  return "";
}

std::string join_paths(const std::string& prefix, const std::string& path) {
  std::string base = prefix;
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (path.empty()) return base.empty() ? "/" : base;
  if (path.front() == '/') return base + path;
  return base + "/" + path;
}

// The text of a call from its '(' at lines[line][open] to the matching ')',
// across at most a few lines, joined with spaces: decorators are often wrapped.
std::string call_text(const std::vector<std::string_view>& lines, size_t line, size_t open) {
  std::string text;
  int depth = 0;
  char quote = 0;
  for (size_t i = line; i < lines.size() && i < line + 12; ++i) {
    const std::string_view part = i == line ? lines[i].substr(open) : lines[i];
    for (size_t k = 0; k < part.size(); ++k) {
      const char c = part[k];
      text += c;
      if (quote != 0) {
        if (c == '\\') {
          if (k + 1 < part.size()) text += part[++k];
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '"' || c == '\'' || c == '`') {
        quote = c;
      } else if (c == '(') {
        ++depth;
      } else if (c == ')' && --depth == 0) {
        return text;
      }
    }
    text += ' ';
  }
  return text;
}

// The quoted method names inside a `methods=[...]` or `.Methods(...)` list.
std::vector<std::string> quoted_methods(const std::string& list) {
  static const Pattern kQuoted(R"re(["']([A-Za-z]+)["'])re");
  std::vector<std::string> methods;
  for (const std::string& method : all_matches(kQuoted, list, 1)) methods.push_back(upper(method));
  return methods;
}

void add_routes(std::vector<DeclaredRoute>& routes, const std::vector<std::string>& methods,
                const std::string& path, const std::string& file, size_t line_index) {
  for (const auto& method : methods) {
    routes.push_back({method, path, file, static_cast<int>(line_index + 1)});
  }
}

std::vector<DeclaredRoute> python_routes(const std::vector<std::string_view>& lines,
                                         const std::string& file) {
  // router = APIRouter(prefix="/users") / bp = Blueprint("users", __name__, url_prefix="/users")
  static const Pattern kRouter(
      R"re(^\s*([A-Za-z_]\w*)\s*(?::[^=]*)?=\s*(?:[\w.]+\.)?(?:APIRouter|Blueprint)\s*\()re");
  static const Pattern kPrefix(R"re(\b(?:url_)?prefix\s*=\s*[rRuU]?(?:"([^"]*)"|'([^']*)'))re");
  // @app.get("/x"), @router.post('/x'), @app.route("/x", methods=[...]), @bp.route(...)
  static const Pattern kDecorator(
      R"re(^\s*@\s*([A-Za-z_][\w.]*)\.(get|post|put|patch|delete|head|options|trace|route|api_route|websocket)\s*\()re");
  // app.add_url_rule("/x", ...), app.add_api_route("/x", ...), Route("/x", ...)
  static const Pattern kCall(
      R"re((?:\b([A-Za-z_][\w.]*)\.(add_url_rule|add_api_route)|(?:^|[\s\[(,])(Route))\s*\()re");
  static const Pattern kFirstPath(
      R"re(^\(\s*(?:(?:path|rule)\s*=\s*)?[rRuU]?(?:"([^"]*)"|'([^']*)'))re");
  static const Pattern kMethodsList(R"re(\bmethods\s*=\s*[\[\(\{]([^\]\)\}]*))re");

  Prefixes prefixes;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    Match match;
    if (line.find("APIRouter") == std::string::npos && line.find("Blueprint") == std::string::npos)
      continue;
    if (!search(kRouter, line, match)) continue;
    const std::string args = call_text(lines, i, match.end() - 1);
    Match prefix;
    if (search(kPrefix, args, prefix)) prefixes[match.str(1)] = first_capture(prefix, {1, 2});
  }

  std::vector<DeclaredRoute> routes;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (trim_left(line).substr(0, 1) == "#" || line.find('(') == std::string::npos) continue;
    Match match;
    std::string receiver;
    std::string kind;
    if (trim_left(line).substr(0, 1) == "@" && search_at_start(kDecorator, line, match)) {
      receiver = match.str(1);
      kind = match.str(2);
    } else if ((calls_any(line, {"add_url_rule", "add_api_route"}) ||
                line.find("Route") != std::string::npos) &&
               search(kCall, line, match)) {
      receiver = match.str(1);
      kind = match.matched(2) ? match.str(2) : "route";
    } else {
      continue;
    }
    const std::string call = call_text(lines, i, match.end() - 1);
    Match path_match;
    if (!search(kFirstPath, call, path_match)) continue;
    const std::string path = first_capture(path_match, {1, 2});
    const auto prefix = prefixes.find(receiver);
    if ((path.empty() || path.front() != '/') && prefix == prefixes.end()) continue;
    const std::string full = join_paths(prefix == prefixes.end() ? "" : prefix->second, path);

    std::vector<std::string> methods;
    if (kind == "websocket") {
      methods = {""};
    } else if (kind == "route" || kind == "api_route" || kind == "add_url_rule" ||
               kind == "add_api_route") {
      Match list;
      if (search(kMethodsList, call, list)) methods = quoted_methods(list.str(1));
      if (methods.empty()) methods = {"GET"};  // Flask's and FastAPI's default
    } else {
      methods = {upper(kind)};
    }
    add_routes(routes, methods, full, file, i);
  }
  return routes;
}

std::vector<DeclaredRoute> javascript_routes(const std::vector<std::string_view>& lines,
                                             const std::string& file) {
  // app.get('/x', handler), router.delete("/x", ...): a statement of its own, so that
  // client calls such as `await api.get('/x')` are not taken for declarations.
  static const Pattern kExpress(
      R"re(^\s*(?:[\w$]+\.)*([A-Za-z_$][\w$]*)\.(get|post|put|patch|delete|del|head|options|all)\s*\(\s*(?:"(/[^"]*)"|'(/[^']*)'|`(/[^`$]*)`)\s*(?:,|$))re");
  static const Pattern kRouteChain(
      R"re(^\s*(?:[\w$]+\.)*([A-Za-z_$][\w$]*)?\.route\s*\(\s*(?:"(/[^"]*)"|'(/[^']*)'|`(/[^`$]*)`)\s*\))re");
  static const Pattern kChainedMethod(R"re(\.(get|post|put|patch|delete|all)\s*\()re");
  static const Pattern kController(R"re(@Controller\s*\(\s*(?:"([^"]*)"|'([^']*)'|`([^`]*)`)?)re");
  static const Pattern kNestMethod(
      R"re(^\s*@(Get|Post|Put|Patch|Delete|Head|Options|All)\s*\(\s*(?:"([^"]*)"|'([^']*)'|`([^`]*)`)?\s*\))re");
  static const std::set<std::string> kClients = {
      "axios", "http",  "https", "client",    "httpClient", "request", "superagent", "got",   "ky",
      "fetch", "agent", "$http", "supertest", "needle",     "cache",   "map",        "params"};

  std::vector<DeclaredRoute> routes;
  std::string controller_prefix;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    const std::string_view start = trim_left(line);
    if (start.substr(0, 2) == "//" || start.substr(0, 1) == "*" ||
        line.find('(') == std::string::npos)
      continue;
    Match match;
    if (start.substr(0, 1) == "@") {
      if (search(kController, line, match)) {
        controller_prefix = first_capture(match, {1, 2, 3});
        continue;
      }
      if (search_at_start(kNestMethod, line, match)) {
        const std::string sub = first_capture(match, {2, 3, 4});
        const std::string full = join_paths("/" + controller_prefix, sub);
        const std::string method = match.str(1) == "All" ? "" : upper(match.str(1));
        add_routes(routes, {method}, full, file, i);
        continue;
      }
    }
    if (calls_any(line,
                  {"get", "post", "put", "patch", "delete", "del", "head", "options", "all"}) &&
        search_at_start(kExpress, line, match)) {
      if (kClients.count(match.str(1)) > 0) continue;
      std::string method = upper(match.str(2));
      if (method == "DEL") method = "DELETE";
      if (method == "ALL") method.clear();
      add_routes(routes, {method}, first_capture(match, {3, 4, 5}), file, i);
    } else if (calls_any(line, {"route"}) && search_at_start(kRouteChain, line, match)) {
      const std::string path = first_capture(match, {2, 3, 4});
      // router.route('/x').get(...).post(...), possibly one method per following line.
      std::string chain = std::string(match.suffix());
      for (size_t k = i + 1;
           k < lines.size() && k < i + 40 && trim_left(lines[k]).substr(0, 1) == "."; ++k)
        chain += std::string(lines[k]);
      std::vector<std::string> methods;
      for (const std::string& name : all_matches(kChainedMethod, chain, 1)) {
        const std::string method = upper(name);
        methods.push_back(method == "ALL" ? "" : method);
      }
      if (methods.empty()) methods = {""};
      add_routes(routes, methods, path, file, i);
    }
  }
  return routes;
}

std::vector<DeclaredRoute> go_routes(const std::vector<std::string_view>& lines,
                                     const std::string& file) {
  // http.HandleFunc("/x", h), mux.Handle("GET /x/{id}", h), r.HandleFunc("/x", h).Methods("GET")
  static const Pattern kHandle(R"re(\b([A-Za-z_]\w*)\.(?:HandleFunc|Handle)\s*\(\s*"([^"]*)")re");
  static const Pattern kMethods(R"re(\.Methods\s*\(([^)]*)\))re");
  // gin/echo r.GET("/x", h); chi/fiber r.Get("/x", h)
  static const Pattern kShortcut(
      R"re(\b([A-Za-z_]\w*)\.(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|Any|Get|Post|Put|Patch|Delete|Head|Options|All)\s*\(\s*"([^"]*)")re");
  // v1 := r.Group("/v1")
  static const Pattern kGroup(
      R"re(\b([A-Za-z_]\w*)\s*:?=\s*([A-Za-z_]\w*)\.Group\s*\(\s*"([^"]*)")re");
  static const std::set<std::string> kClients = {"http", "client", "resp", "req", "os", "c", "ctx"};

  Prefixes prefixes;
  std::vector<DeclaredRoute> routes;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (trim_left(line).substr(0, 2) == "//" || line.find("(\"") == std::string::npos) continue;
    Match match;
    if (calls_any(line, {"Group"}) && search(kGroup, line, match)) {
      const auto parent = prefixes.find(match.str(2));
      prefixes[match.str(1)] =
          join_paths(parent == prefixes.end() ? "" : parent->second, match.str(3));
      continue;
    }
    if (calls_any(line, {"HandleFunc", "Handle"}) && search(kHandle, line, match)) {
      std::string pattern = match.str(2);
      std::vector<std::string> methods = {""};
      // Go 1.22 patterns carry their method: "GET /users/{id}".
      if (const size_t space = pattern.find(' '); space != std::string::npos) {
        methods = {upper(pattern.substr(0, space))};
        pattern = std::string(trim_left(std::string_view(pattern).substr(space + 1)));
      }
      const size_t slash = pattern.find('/');
      if (slash == std::string::npos) continue;
      pattern = pattern.substr(slash);  // a host-specific pattern: "example.com/x"
      Match list;
      const std::string rest = std::string(match.suffix());
      if (search(kMethods, rest, list)) {
        auto listed = quoted_methods(list.str(1));
        if (!listed.empty()) methods = listed;
      }
      add_routes(routes, methods, pattern, file, i);
    } else if (calls_any(line,
                         {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "Any", "Get",
                          "Post", "Put", "Patch", "Delete", "Head", "Options", "All"}) &&
               search(kShortcut, line, match)) {
      const std::string receiver = match.str(1);
      if (kClients.count(receiver) > 0) continue;
      const auto prefix = prefixes.find(receiver);
      const std::string path = match.str(3);
      if ((path.empty() || path.front() != '/') && prefix == prefixes.end()) continue;
      std::string method = upper(match.str(2));
      if (method == "ANY" || method == "ALL") method.clear();
      add_routes(routes, {method}, join_paths(prefix == prefixes.end() ? "" : prefix->second, path),
                 file, i);
    }
  }
  return routes;
}

std::string dirname(const std::string& file) {
  const size_t slash = file.rfind('/');
  return slash == std::string::npos ? "" : file.substr(0, slash);
}

// A relative import `spec` from `file` as candidate module files; nothing for
// packages, which are not the module's own files.
std::vector<std::string> javascript_import_targets(const std::string& file,
                                                   const std::string& spec) {
  if (spec.empty() || spec.front() != '.') return {};
  const std::string dir = dirname(file);
  const std::string base =
      (dir.empty() ? std::filesystem::path(spec) : std::filesystem::path(dir) / spec)
          .lexically_normal()
          .generic_string();
  if (base.rfind("..", 0) == 0) return {};
  return {base,          base + ".js",       base + ".ts",      base + ".mjs",
          base + ".cjs", base + "/index.js", base + "/index.ts"};
}

std::vector<RouteMount> javascript_mounts(const std::vector<std::string_view>& lines,
                                          const std::string& file) {
  static const Pattern kRequire(
      R"re(\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*require\s*\(\s*["'`]([^"'`]+)["'`])re");
  static const Pattern kDefaultImport(
      R"re(^\s*import\s+(?:\*\s+as\s+)?([A-Za-z_$][\w$]*)\s+from\s+["'`]([^"'`]+)["'`])re");
  static const Pattern kNamedImport(R"re(^\s*import\s*\{([^}]*)\}\s*from\s+["'`]([^"'`]+)["'`])re");
  static const Pattern kIdentifier(R"re([A-Za-z_$][\w$]*)re");
  static const Pattern kUse(
      R"re(^\s*(?:[\w$]+\.)*[A-Za-z_$][\w$]*\.use\s*\(\s*(?:"(/[^"]*)"|'(/[^']*)'|`(/[^`$]*)`)\s*,(.*))re");
  static const Pattern kInlineRequire(R"re(require\s*\(\s*["'`]([^"'`]+)["'`]\s*\))re");

  std::map<std::string, std::string> imports;  // local name -> import specifier
  for (const std::string_view line : lines) {
    if (line.find("require") == std::string::npos && line.find("import") == std::string::npos)
      continue;
    Match match;
    if (search(kRequire, line, match)) imports[match.str(1)] = match.str(2);
    if (search_at_start(kDefaultImport, line, match)) imports[match.str(1)] = match.str(2);
    if (search_at_start(kNamedImport, line, match)) {
      // `{ router as usersRouter }`: the last name of each entry is the local one.
      const std::string names = match.str(1);
      const std::string spec = match.str(2);
      size_t start = 0;
      while (start <= names.size()) {
        size_t comma = names.find(',', start);
        if (comma == std::string::npos) comma = names.size();
        const std::string entry = names.substr(start, comma - start);
        std::string local;
        for (const std::string& name : all_matches(kIdentifier, entry, 0)) local = name;
        if (!local.empty()) imports[local] = spec;
        start = comma + 1;
      }
    }
  }

  std::vector<RouteMount> mounts;
  for (const std::string_view line : lines) {
    Match match;
    if (!calls_any(line, {"use"}) || !search_at_start(kUse, line, match)) continue;
    const std::string prefix = first_capture(match, {1, 2, 3});
    const std::string rest = match.str(4);
    Match inline_require;
    std::string spec;
    if (search(kInlineRequire, rest, inline_require)) {
      spec = inline_require.str(1);
    } else {
      // Middleware may come first: the router is the last imported name.
      for (const std::string& name : all_matches(kIdentifier, rest, 0)) {
        if (const auto imported = imports.find(name); imported != imports.end())
          spec = imported->second;
      }
    }
    auto targets = javascript_import_targets(file, spec);
    if (!targets.empty()) mounts.push_back({prefix, std::move(targets), file});
  }
  return mounts;
}

// A Python module path as candidate files: relative imports resolve from `file`,
// absolute ones match any file path that ends with them.
std::vector<std::string> python_module_targets(const std::string& file, const std::string& module) {
  size_t dots = 0;
  while (dots < module.size() && module[dots] == '.') ++dots;
  std::string path = module.substr(dots);
  std::replace(path.begin(), path.end(), '.', '/');
  if (dots > 0) {
    std::string dir = dirname(file);
    for (size_t up = 1; up < dots; ++up) dir = dirname(dir);
    path = dir.empty() ? path : (path.empty() ? dir : dir + "/" + path);
  }
  if (path.empty()) return {};
  return {path + ".py", path + "/__init__.py"};
}

std::vector<RouteMount> python_mounts(const std::vector<std::string_view>& lines,
                                      const std::string& file) {
  static const Pattern kFromImport(R"re(^\s*from\s+(\.*[\w.]*)\s+import\s+\(?([^)#]*))re");
  static const Pattern kImportAs(R"re(^\s*import\s+([\w.]+)\s+as\s+(\w+))re");
  static const Pattern kMount(
      R"re(\b[A-Za-z_][\w.]*\.(?:include_router|register_blueprint)\s*\()re");
  static const Pattern kFirstArgument(
      R"re(^\(\s*(?:router\s*=\s*|blueprint\s*=\s*)?([A-Za-z_]\w*))re");
  static const Pattern kPrefix(R"re(\b(?:url_)?prefix\s*=\s*[rRuU]?(?:"([^"]*)"|'([^']*)'))re");

  std::map<std::string, std::vector<std::string>> modules;  // local name -> module candidates
  for (const std::string_view line : lines) {
    if (line.find("import") == std::string::npos) continue;
    Match match;
    if (search_at_start(kFromImport, line, match)) {
      const std::string from = match.str(1);
      const std::string names = match.str(2);
      size_t start = 0;
      while (start < names.size()) {
        size_t comma = names.find(',', start);
        if (comma == std::string::npos) comma = names.size();
        std::istringstream entry(names.substr(start, comma - start));
        std::string name, as, local;
        entry >> name >> as >> local;
        if (as != "as") local = name;
        // `from app.routers import users` names a module; `from .users import router`
        // names an attribute of one. Either may be meant.
        const std::string sep = from.empty() || from.back() == '.' ? "" : ".";
        if (!name.empty()) modules[local] = {from + sep + name, from};
        start = comma + 1;
      }
    } else if (search_at_start(kImportAs, line, match)) {
      modules[match.str(2)] = {match.str(1)};
    }
  }

  std::vector<RouteMount> mounts;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    Match match;
    if (!calls_any(line, {"include_router", "register_blueprint"}) || !search(kMount, line, match))
      continue;
    const std::string call = call_text(lines, i, match.end() - 1);
    Match argument;
    Match prefix;
    if (!search(kFirstArgument, call, argument) || !search(kPrefix, call, prefix)) continue;
    const auto module = modules.find(argument.str(1));
    if (module == modules.end()) continue;
    RouteMount mount{first_capture(prefix, {1, 2}), {}, file};
    for (const auto& candidate : module->second) {
      for (auto& target : python_module_targets(file, candidate))
        mount.targets.push_back(std::move(target));
    }
    if (!mount.targets.empty()) mounts.push_back(std::move(mount));
  }
  return mounts;
}

bool is_javascript(const std::string& ext) {
  return ext == "js" || ext == "mjs" || ext == "cjs" || ext == "ts" || ext == "jsx" ||
         ext == "tsx" || ext == "mts" || ext == "cts";
}

}  // namespace

std::vector<RouteMount> scan_route_mounts(std::string_view text, const std::string& file) {
  const std::string ext = extension(file);
  if (ext == "py") return python_mounts(split_lines(text), file);
  if (is_javascript(ext)) return javascript_mounts(split_lines(text), file);
  return {};
}

std::vector<DeclaredRoute> scan_source_routes(std::string_view text, const std::string& file) {
  const std::string ext = extension(file);
  if (ext == "py") return python_routes(split_lines(text), file);
  if (is_javascript(ext)) return javascript_routes(split_lines(text), file);
  if (ext == "go") return go_routes(split_lines(text), file);
  return {};
}

}  // namespace qgate
