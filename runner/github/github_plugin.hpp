#pragma once
// The boundary between qgate and its HTTP plugin (qgate_github.so): cpp-httplib
// and OpenSSL are shared libraries on Debian, and loading them (with zlib,
// brotli and the shared C++ runtime) into every run would slow the start of
// runs that never talk to GitHub. Only plain structs of std::string and
// vectors cross, and no exception does: the plugin reports a failure in
// HttpResponse::error (see runner/store/pg_plugin.hpp for the same boundary).
#include <string>
#include <utility>
#include <vector>

namespace qgate {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// One HTTP request, sent as is (no retries: runner/github/github_client.cpp decides).
struct HttpRequest {
  std::string origin;  // "https://api.github.com" or "http://127.0.0.1:8080"
  std::string method;  // GET, POST, PATCH, PUT, DELETE
  std::string path;    // with the query, e.g. "/api/v3/repos/o/r/pulls?state=open"
  HttpHeaders headers;
  std::string body;
  std::string content_type;  // empty for no body
  int connect_timeout_ms = 10000;
  int read_timeout_ms = 30000;
};

// What came back; status 0 with `error` set when no response arrived.
struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // names as sent by the server
  std::string body;
  std::string error;  // connection refused, timeout, TLS failure, ...
};

// The plugin's functions.
struct HttpApi {
  int version;
  void (*perform)(const HttpRequest& request, HttpResponse& response);
};

// The version of HttpApi above; the loader refuses a plugin of another one.
inline constexpr int kHttpApiVersion = 1;

}  // namespace qgate
