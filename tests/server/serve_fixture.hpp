#pragma once
// A real `qgate serve` for tests: started on a free port of 127.0.0.1 with a
// fresh PostgreSQL database and a registry in a temporary folder, stopped
// with SIGTERM at the end. Requests go through cpp-httplib's client.
#include <httplib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/test_support.hpp"

namespace qgate::testing {

struct ServeSetup {
  std::vector<std::string> extra_args;  // e.g. {"--workers", "1"}
  std::vector<std::string> extra_env;   // e.g. {"QGATE_API_SECRET=..."}
  std::string registry_yaml;            // "" for a registry of two modules with local folders
  std::string database_url;             // "" for a fresh database
  std::string token_name = "tests";     // of the token made for the tests
};

class ServeProcess {
 public:
  explicit ServeProcess(ServeSetup setup = {});
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  const std::string& url() const { return url_; }  // "http://127.0.0.1:PORT"
  int pid() const { return process_.pid; }
  const std::string& database_url() const { return database_url_; }
  const std::string& token() const { return token_; }
  const std::filesystem::path& folder() const { return dir_.path(); }
  httplib::Client client() const;
  // Headers with the bearer token.
  httplib::Headers auth() const { return {{"Authorization", "Bearer " + token_}}; }
  // Stops the server (SIGTERM) and waits for it; returns its exit code.
  int stop();
  // What the server printed (stdout and stderr).
  std::string output() const;
  // Rows of the queue table, for "nothing changed" checks.
  std::string queue_rows() const;
  // Makes an active checkout of `module_id`; returns its id.
  std::string add_checkout(const std::string& module_id) const;

 private:
  TempDir dir_;
  std::string database_url_;
  std::string token_;
  std::string url_;
  QgateProcess process_;
  bool stopped_ = false;
};

// A module folder that passes quickly: one step printing `message`.
void write_quick_module(const std::filesystem::path& folder, const std::string& module_id,
                        const std::string& registry, const std::string& message);

// The schema violations of `document` against component `name` of
// schemas/openapi.json, one per line; "" when it is valid.
std::string openapi_violations(const nlohmann::json& document, const std::string& name);

}  // namespace qgate::testing
