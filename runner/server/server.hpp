#pragma once
// `qgate serve`: the HTTP API the module checkout server calls (cpp-httplib),
// over the run queue in PostgreSQL. Routes, authentication and answers are
// in server.cpp; the request rules in api_requests.*, the SQL in api_db.*,
// callbacks in callbacks.*, /metrics in metrics.*. schemas/openapi.json
// describes the API.
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "runner/queue/worker.hpp"
#include "runner/server/callback_address.hpp"

namespace qgate {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (the one taken is printed)
  std::string database_url;
  // The checkout system's modules.yaml: which modules exist, and the
  // repository each is fetched from.
  std::filesystem::path registry;
  // If set, module <key> is run from <modules_root>/<key> when that folder
  // holds integration-requirements.yaml, instead of from its repository.
  std::filesystem::path modules_root;
  std::string public_url;            // base of the URLs in answers; default http://host:port
  std::string default_callback_url;  // for requests that name none
  // Internal address ranges callbacks may go to all the same (--callback-allow;
  // runner/server/callback_address.hpp).
  std::vector<AddressRange> callback_allow;
  int threads = 8;  // HTTP threads (each keeps a database connection)
  std::size_t max_body_bytes = 64 * 1024;
  // Each request's headers, then its body, must arrive within these, from
  // their first byte (runner/server/http_front.hpp).
  int header_timeout_ms = 10'000;
  int body_timeout_ms = 10'000;
  int max_connections_per_client = 32;  // open connections of one client address
  int replay_window_seconds = 300;
  int max_attempts = 2;         // of each queued run: 2 = one retry after a worker died
  std::string api_secret;       // QGATE_API_SECRET: HMAC key of signed requests ("" = none)
  std::string callback_secret;  // QGATE_CALLBACK_SECRET (else the API secret)
  int callback_attempts = 6;
  double callback_first_pause_seconds = 1.0;
  bool access_log = false;  // one line per request on stdout
  // Workers run by the server: `workers` > 0 starts `qgate worker --workers
  // N` (runner/queue/worker.hpp) as a child process, started again if it dies;
  // `worker` gives its lease, poll, stop timeout and workspace root.
  int workers = 0;
  WorkerOptions worker;
};

// Serves until SIGTERM or SIGINT; returns the exit code.
int run_server(const ServeOptions& options, std::ostream& out, std::ostream& err);

}  // namespace qgate
