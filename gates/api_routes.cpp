#include "gates/api_routes.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace qgate {
namespace {

constexpr std::array<std::string_view, 8> kOpenApiMethods = {"get",     "put",  "post",  "delete",
                                                             "options", "head", "patch", "trace"};
constexpr std::array<std::string_view, 8> kDocMethods = {"GET",    "POST", "PUT",     "PATCH",
                                                         "DELETE", "HEAD", "OPTIONS", "TRACE"};

bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  return out;
}

int line_of_offset(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + static_cast<int>(std::count(text.begin(),
                                         text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

// A parameter segment and a literal one: "{}" carries no meaning of its own.
bool has_literal_segment(std::string_view normalized) {
  size_t start = 1;
  while (start < normalized.size()) {
    size_t slash = normalized.find('/', start);
    if (slash == std::string_view::npos) slash = normalized.size();
    const std::string_view segment = normalized.substr(start, slash - start);
    if (!segment.empty() && segment != "{}") return true;
    start = slash + 1;
  }
  return false;
}

bool path_char(char c) {
  return is_alnum(c) || std::string_view("-_.~/{}:*%+@=$!").find(c) != std::string_view::npos;
}

// Characters that, written just before a '/', make it part of a word ("and/or", "./run").
bool joins_slash(char c) {
  return is_alnum(c) || std::string_view("_.~-").find(c) != std::string_view::npos;
}

// Paths written on one line of an API document: "/users/{id}", "`:id`" forms, URLs.
std::vector<std::string> paths_in_line(std::string_view line) {
  std::vector<std::string> paths;
  size_t i = 0;
  while ((i = line.find('/', i)) != std::string_view::npos) {
    if (i > 0 && joins_slash(line[i - 1])) {
      ++i;
      continue;
    }
    size_t start = i;
    if (line.substr(i, 2) == "//") {  // a URL: the path begins after the host
      const size_t host_end = line.find_first_of("/ \t`'\"<>)]|", i + 2);
      if (host_end == std::string_view::npos || line[host_end] != '/') {
        i = host_end == std::string_view::npos ? line.size() : host_end;
        continue;
      }
      start = host_end;
    }
    size_t end = start;
    while (end < line.size()) {
      if (path_char(line[end])) {
        ++end;
      } else if (line[end] == '<') {  // Flask-style <int:id>
        size_t close = end + 1;
        while (close < line.size() &&
               (is_alnum(line[close]) || line[close] == '_' || line[close] == ':'))
          ++close;
        if (close >= line.size() || line[close] != '>' || close == end + 1) break;
        end = close + 1;
      } else {
        break;
      }
    }
    std::string_view token = line.substr(start, end - start);
    while (token.size() > 1 &&
           std::string_view(".,:;!*=").find(token.back()) != std::string_view::npos)
      token.remove_suffix(1);
    paths.emplace_back(token);
    i = std::max(end, i + 1);
  }
  return paths;
}

std::vector<DeclaredRoute> openapi_from_yaml(const std::string& text, const std::string& file) {
  YAML::Node loaded;
  try {
    loaded = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(file + ":" + std::to_string(e.mark.line + 1) + ":" +
                             std::to_string(e.mark.column + 1) + ": malformed YAML: " + e.msg);
  }
  const YAML::Node& root = loaded;  // const: lookups must never add keys
  if (!root.IsMap() || (!root["openapi"] && !root["swagger"])) return {};
  const YAML::Node paths = root["paths"];
  if (!paths.IsMap()) return {};
  std::vector<DeclaredRoute> routes;
  for (const auto& entry : paths) {
    if (!entry.first.IsScalar()) continue;
    const std::string path = entry.first.Scalar();
    bool any_method = false;
    if (entry.second.IsMap()) {
      for (const auto& operation : entry.second) {
        if (!operation.first.IsScalar()) continue;
        const std::string key = lower(operation.first.Scalar());
        if (std::find(kOpenApiMethods.begin(), kOpenApiMethods.end(), key) == kOpenApiMethods.end())
          continue;
        routes.push_back({upper(key), path, file, operation.first.Mark().line + 1});
        any_method = true;
      }
    }
    if (!any_method) routes.push_back({"", path, file, entry.first.Mark().line + 1});
  }
  return routes;
}

std::vector<DeclaredRoute> openapi_from_json(const std::string& text, const std::string& file) {
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw std::runtime_error(file + ":" + std::to_string(line_of_offset(text, e.byte)) +
                             ": malformed JSON: " + e.what());
  }
  if (!root.is_object() || (!root.contains("openapi") && !root.contains("swagger"))) return {};
  const auto paths = root.find("paths");
  if (paths == root.end() || !paths->is_object()) return {};
  // JSON keeps no positions, so a path's line is where its quoted key first appears.
  const size_t paths_offset = text.find("\"paths\"");
  std::vector<DeclaredRoute> routes;
  for (const auto& [path, item] : paths->items()) {
    const size_t at =
        text.find("\"" + path + "\"", paths_offset == std::string::npos ? 0 : paths_offset);
    const int line = at == std::string::npos ? 0 : line_of_offset(text, at);
    bool any_method = false;
    if (item.is_object()) {
      for (const auto& [key, operation] : item.items()) {
        const std::string method = lower(key);
        if (std::find(kOpenApiMethods.begin(), kOpenApiMethods.end(), method) ==
            kOpenApiMethods.end())
          continue;
        routes.push_back({upper(method), path, file, line});
        any_method = true;
      }
    }
    if (!any_method) routes.push_back({"", path, file, line});
  }
  return routes;
}

}  // namespace

std::string normalize_route_path(std::string_view path) {
  if (const size_t scheme = path.find("://"); scheme != std::string_view::npos) {
    const size_t slash = path.find('/', scheme + 3);
    path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
  }
  if (const size_t query = path.find_first_of("?#"); query != std::string_view::npos)
    path = path.substr(0, query);
  std::string normalized;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    const std::string_view segment = path.substr(start, slash - start);
    start = slash + 1;
    if (segment.empty()) continue;
    normalized += '/';
    if (segment.front() == ':' || segment.front() == '*') {  // Express :id, :id?, *splat
      normalized += "{}";
      continue;
    }
    int depth = 0;
    for (size_t i = 0; i < segment.size(); ++i) {
      const char c = segment[i];
      if (c == '{') {
        if (depth++ == 0) normalized += "{}";
      } else if (c == '}') {
        depth = std::max(0, depth - 1);
      } else if (depth > 0) {
        continue;
      } else if (c == '<') {
        const size_t close = segment.find('>', i);
        if (close == std::string_view::npos) {
          normalized += c;
        } else {
          normalized += "{}";
          i = close;
        }
      } else {
        normalized += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
    }
  }
  return normalized.empty() ? "/" : normalized;
}

void apply_route_mounts(std::vector<DeclaredRoute>& routes, const std::vector<RouteMount>& mounts) {
  if (mounts.empty()) return;
  auto mounted_at = [](const RouteMount& mount, const std::string& file) {
    for (const auto& target : mount.targets) {
      if (file == target ||
          (file.size() > target.size() &&
           file.compare(file.size() - target.size() - 1, target.size() + 1, "/" + target) == 0))
        return true;
    }
    return false;
  };
  std::map<std::string, std::vector<std::string>> memo;
  // The prefixes `file` is reached under; depth bounds cycles such as a router mounting itself.
  std::function<std::vector<std::string>(const std::string&, int)> prefixes_of =
      [&](const std::string& file, int depth) -> std::vector<std::string> {
    if (const auto known = memo.find(file); known != memo.end()) return known->second;
    std::vector<std::string> prefixes;
    if (depth < 8) {
      for (const auto& mount : mounts) {
        if (mount.file == file || !mounted_at(mount, file)) continue;
        for (const auto& outer : prefixes_of(mount.file, depth + 1)) {
          std::string prefix = outer;
          while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
          prefixes.push_back(prefix + mount.prefix);
        }
      }
    }
    if (prefixes.empty()) prefixes.push_back("");
    memo[file] = prefixes;
    return prefixes;
  };
  std::vector<DeclaredRoute> result;
  for (const auto& route : routes) {
    for (const auto& prefix : prefixes_of(route.file, 0)) {
      DeclaredRoute mounted = route;
      if (!prefix.empty()) {
        std::string base = prefix;
        while (!base.empty() && base.back() == '/') base.pop_back();
        mounted.path = route.path == "/" ? (base.empty() ? "/" : base) : base + route.path;
      }
      result.push_back(std::move(mounted));
    }
  }
  routes = std::move(result);
}

std::vector<DeclaredRoute> parse_openapi_routes(const std::string& text, const std::string& file) {
  const std::string name = lower(file);
  if (name.size() >= 5 && name.compare(name.size() - 5, 5, ".json") == 0)
    return openapi_from_json(text, file);
  return openapi_from_yaml(text, file);
}

RouteMentions::RouteMentions(std::string_view text) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    const std::vector<std::string> paths = paths_in_line(line);
    if (paths.empty()) continue;
    std::set<std::string> methods;
    for (std::string_view method : kDocMethods) {
      for (size_t at = line.find(method); at != std::string_view::npos;
           at = line.find(method, at + 1)) {
        const bool word_start = at == 0 || !is_alnum(line[at - 1]);
        const size_t after = at + method.size();
        if (word_start && (after >= line.size() || !is_alnum(line[after]))) {
          methods.emplace(method);
          break;
        }
      }
    }
    for (const auto& path : paths) {
      const std::string normalized = normalize_route_path(path);
      methods_by_path_[normalized].insert(methods.begin(), methods.end());
      // Every shorter tail ("/users" of "/api/v1/users"), for routes mounted under a
      // prefix the code does not show.
      for (size_t slash = normalized.find('/', 1); slash != std::string::npos;
           slash = normalized.find('/', slash + 1)) {
        const std::string tail = normalized.substr(slash);
        if (has_literal_segment(tail))
          methods_by_tail_[tail].insert(methods.begin(), methods.end());
      }
    }
  }
}

RouteCoverage RouteMentions::coverage(const DeclaredRoute& route) const {
  const std::string wanted = normalize_route_path(route.path);
  std::vector<const std::set<std::string>*> matches;
  if (const auto exact = methods_by_path_.find(wanted); exact != methods_by_path_.end())
    matches.push_back(&exact->second);
  if (const auto mounted = methods_by_tail_.find(wanted); mounted != methods_by_tail_.end())
    matches.push_back(&mounted->second);
  // Documented relative to a base path that the document names on its own:
  // "Base path: /api/v1" and "GET /users" document "/api/v1/users".
  for (size_t slash = wanted.find('/', 1); slash != std::string::npos;
       slash = wanted.find('/', slash + 1)) {
    const auto tail = methods_by_path_.find(wanted.substr(slash));
    if (tail != methods_by_path_.end() && has_literal_segment(tail->first) &&
        methods_by_path_.count(wanted.substr(0, slash)) > 0)
      matches.push_back(&tail->second);
  }
  if (matches.empty()) return RouteCoverage::missing;
  if (route.method.empty()) return RouteCoverage::path_and_method;
  for (const auto* methods : matches) {
    if (methods->count(route.method) > 0) return RouteCoverage::path_and_method;
  }
  return RouteCoverage::path_only;
}

}  // namespace qgate
