#pragma once
// HTTP routes a module declares (OpenAPI documents, route decorators and calls
// in Python, JavaScript/TypeScript and Go) and the routes an API document
// mentions, compared with path parameters spelled any way.
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace qgate {

// One route a module declares.
struct DeclaredRoute {
  std::string method;  // "GET", "POST", ...; empty when the declaration does not say
  std::string path;    // as declared, router prefix applied: "/users/{id}"
  std::string file;    // relative to the module folder
  int line = 0;        // 1-based
};

// Returns `path` so that equivalent spellings compare equal: lower case, every
// parameter ({id}, :id, <int:id>, *rest) as "{}", no query, no trailing slash.
std::string normalize_route_path(std::string_view path);

// Returns the routes declared in the source `text` of `file`, chosen by its
// extension (.py, .js/.mjs/.cjs/.ts/.jsx/.tsx, .go); empty for other files.
std::vector<DeclaredRoute> scan_source_routes(std::string_view text, const std::string& file);

// A router that one file mounts under a path prefix, declared in another file:
// Express `app.use('/users', usersRouter)`, FastAPI `include_router(users.router,
// prefix="/users")`, Flask `register_blueprint(bp, url_prefix="/users")`.
struct RouteMount {
  std::string prefix;                // "/users"
  std::vector<std::string> targets;  // the file(s) the router may live in, relative to the
                                     // module; a route file matches one, or ends with "/" + one
  std::string file;                  // the mounting file
};

// Returns the mounts that the source `text` of `file` declares, for imports it can resolve.
std::vector<RouteMount> scan_route_mounts(std::string_view text, const std::string& file);

// Prepends to each route in `routes` the prefixes its file is mounted under,
// following mounts of mounting files too; a file mounted twice yields both routes.
void apply_route_mounts(std::vector<DeclaredRoute>& routes, const std::vector<RouteMount>& mounts);

// Returns the operations of the OpenAPI/Swagger document `text` read from `file`
// (YAML, or JSON for .json); empty if it is not one. Throws std::runtime_error
// naming file:line when the YAML or JSON is malformed.
std::vector<DeclaredRoute> parse_openapi_routes(const std::string& text, const std::string& file);

// How well an API document covers one route.
enum class RouteCoverage { missing, path_only, path_and_method };

// The routes an API document mentions: every path written in it, with the
// HTTP methods named on the same lines.
class RouteMentions {
 public:
  // Reads the document `text`.
  explicit RouteMentions(std::string_view text);
  // Returns whether the document mentions `route`'s path, and its method too. A
  // path mentioned with a mount prefix ("/api/v1/users" for "/users"), or
  // without one that the document names elsewhere, counts.
  RouteCoverage coverage(const DeclaredRoute& route) const;

 private:
  std::map<std::string, std::set<std::string>> methods_by_path_;  // normalized path -> methods
  std::map<std::string, std::set<std::string>> methods_by_tail_;  // proper tails of those paths
};

}  // namespace qgate
