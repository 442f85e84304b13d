// The HTTP plugin (qgate_github.so): the one place of qgate itself that uses
// cpp-httplib and OpenSSL. It sends one request and reports what came back;
// retries, rate limits and JSON are the client's business
// (runner/github/github_client.cpp). Nothing throws across the boundary.
#include <httplib.h>

#include <exception>

#include "runner/github/github_plugin.hpp"

namespace qgate {
namespace {

void perform(const HttpRequest& request, HttpResponse& response) {
  response = HttpResponse{};
  try {
    httplib::Client client(request.origin);
    if (!client.is_valid()) {
      response.error = "unsupported URL " + request.origin;
      return;
    }
    client.set_connection_timeout(std::chrono::milliseconds(request.connect_timeout_ms));
    client.set_read_timeout(std::chrono::milliseconds(request.read_timeout_ms));
    client.set_write_timeout(std::chrono::milliseconds(request.read_timeout_ms));
    // A redirect would carry the Authorization header to wherever it points.
    client.set_follow_location(false);
    httplib::Request req;
    req.method = request.method;
    req.path = request.path;
    for (const auto& [name, value] : request.headers) req.headers.emplace(name, value);
    if (!request.content_type.empty()) {
      req.headers.emplace("Content-Type", request.content_type);
      req.body = request.body;
    }
    httplib::Response res;
    httplib::Error error = httplib::Error::Success;
    if (!client.send(req, res, error)) {
      response.error = httplib::to_string(error);
      if (error == httplib::Error::SSLServerVerification) {
        response.error += " (the server's certificate was not accepted)";
      }
      return;
    }
    response.status = res.status;
    for (const auto& [name, value] : res.headers) response.headers.emplace_back(name, value);
    response.body = std::move(res.body);
  } catch (const std::exception& e) {
    response = HttpResponse{};
    response.error = e.what();
  } catch (...) {
    response = HttpResponse{};
    response.error = "unknown failure in the HTTP plugin";
  }
}

constexpr HttpApi kApi{kHttpApiVersion, &perform};

}  // namespace
}  // namespace qgate

extern "C" __attribute__((visibility("default"))) const qgate::HttpApi* qgate_http_api() {
  return &qgate::kApi;
}
