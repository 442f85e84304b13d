// The qgate-server executable: `qgate serve` and `qgate token`, which the
// qgate executable hands over to it (runner/app/main.cpp), so that the HTTP and
// PostgreSQL libraries are loaded only by the service.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "runner/server/api_db.hpp"
#include "runner/server/api_requests.hpp"
#include "runner/server/server.hpp"
#include "runner/store/run_queue.hpp"

namespace {

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

int serve(CLI::App& app, int argc, char** argv) {
  qgate::ServeOptions options;
  std::string listen = "127.0.0.1:8080";
  options.database_url = environment("QGATE_DATABASE_URL");
  app.add_option("--listen", listen, "host:port to listen on (port 0: any free port)")
      ->capture_default_str();
  app.add_option("--database-url", options.database_url,
                 "PostgreSQL database (default: $QGATE_DATABASE_URL)");
  app.add_option("--registry", options.registry, "The module registry (modules.yaml)")->required();
  app.add_option("--modules-root", options.modules_root,
                 "Run module <key> from <folder>/<key> when it is there, not from its repository");
  app.add_option("--public-url", options.public_url, "Base of the URLs in answers and callbacks");
  app.add_option("--callback-url", options.default_callback_url,
                 "Callback URL of runs that name none");
  std::vector<std::string> callback_allow;
  app.add_option("--callback-allow", callback_allow,
                 "Internal address ranges (CIDR, comma-separated) that callbacks may go to")
      ->delimiter(',');
  app.add_option("--threads", options.threads, "HTTP threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("--max-body", options.max_body_bytes, "Largest request body, in bytes")
      ->capture_default_str()
      ->check(CLI::Range(1024, 16 * 1024 * 1024));
  double header_timeout = 10;
  double body_timeout = 10;
  app.add_option("--header-timeout", header_timeout,
                 "Seconds a request's headers may take to arrive, from their first byte")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 600.0));
  app.add_option("--body-timeout", body_timeout,
                 "Seconds a request's body may take to arrive, after its headers")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 600.0));
  app.add_option("--max-connections-per-client", options.max_connections_per_client,
                 "Open connections one client address may have")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  app.add_option("--replay-window", options.replay_window_seconds,
                 "Seconds a signed request's timestamp may be off")
      ->capture_default_str()
      ->check(CLI::Range(10, 3600));
  app.add_option("--max-attempts", options.max_attempts,
                 "Attempts of a run whose worker died (2: one retry)")
      ->capture_default_str()
      ->check(CLI::Range(1, 10));
  app.add_option("--callback-attempts", options.callback_attempts, "Attempts of each callback")
      ->capture_default_str()
      ->check(CLI::Range(1, 50));
  app.add_option("--callback-first-pause", options.callback_first_pause_seconds,
                 "Seconds before a callback's second attempt (doubling after)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_flag("--access-log", options.access_log, "Print one line per request");
  app.add_option("--workers", options.workers, "Workers run by this server (0: none)")
      ->capture_default_str()
      ->check(CLI::Range(0, 256));
  app.add_option("--lease", options.worker.lease_seconds, "Workers' lease, in seconds")
      ->capture_default_str();
  app.add_option("--workspace-root", options.worker.workspace_root,
                 "Workers' mirrors and worktrees (default: $XDG_CACHE_HOME/qgate)");
  app.add_option("--poll", options.worker.poll_seconds,
                 "Workers' pause between claims while nothing is queued, in seconds")
      ->capture_default_str();
  app.add_option("--stop-timeout", options.worker.stop_seconds,
                 "After SIGTERM, how long running runs may go on")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  for (const auto& text : callback_allow) {
    const auto range = qgate::parse_address_range(text);
    if (!range) {
      std::cerr << "qgate serve: --callback-allow: '" << text
                << "' is not an address range (e.g. 10.0.0.0/8, 127.0.0.1, fd00::/8)\n";
      return 2;
    }
    options.callback_allow.push_back(*range);
  }
  options.header_timeout_ms = static_cast<int>(header_timeout * 1000);
  options.body_timeout_ms = static_cast<int>(body_timeout * 1000);
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    std::cerr << "qgate serve: --listen must be host:port\n";
    return 2;
  }
  options.host = listen.substr(0, colon);
  try {
    options.port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
    options.port = -1;
  }
  if (options.port < 0 || options.port > 65535) {
    std::cerr << "qgate serve: --listen port must be from 0 to 65535\n";
    return 2;
  }
  if (!options.default_callback_url.empty()) {
    if (const auto problem = qgate::callback_url_problem(options.default_callback_url);
        !problem.empty()) {
      std::cerr << "qgate serve: --callback-url " << problem << "\n";
      return 2;
    }
  }
  options.api_secret = environment("QGATE_API_SECRET");
  options.callback_secret = environment("QGATE_CALLBACK_SECRET");
  return qgate::run_server(options, std::cout, std::cerr);
}

int token(CLI::App& app, int argc, char** argv) {
  std::string url = environment("QGATE_DATABASE_URL");
  std::string name;
  std::string which;
  app.require_subcommand(1);
  app.add_option("--database-url", url, "PostgreSQL database (default: $QGATE_DATABASE_URL)");
  auto* create = app.add_subcommand("create",
                                    "Create a token; it is printed once, only its "
                                    "SHA-256 is kept");
  create->add_option("--name", name, "What the token is for (e.g. checkout-server)")->required();
  auto* revoke = app.add_subcommand("revoke", "Revoke a token by id or name");
  revoke->add_option("token", which, "Token id or name")->required();
  auto* list = app.add_subcommand("list", "List tokens (never the tokens themselves)");
  CLI11_PARSE(app, argc, argv);
  if (url.empty()) {
    std::cerr << "qgate token: give --database-url or set QGATE_DATABASE_URL\n";
    return 2;
  }
  try {
    qgate::open_run_queue(url);  // migrates the database
    qgate::ApiDb db(url);
    if (create->parsed()) {
      if (name.empty() || name.size() > 100) {
        std::cerr << "qgate token: --name must be 1 to 100 characters\n";
        return 2;
      }
      const auto [token, id] = db.create_token(name);
      std::cout << token << "\n";
      std::cerr << "token " << id << " (" << name
                << ") created: keep it now, it cannot be shown again\n";
    } else if (revoke->parsed()) {
      if (!db.revoke_token(which)) {
        std::cerr << "qgate token: no active token with id or name '" << which << "'\n";
        return 1;
      }
      std::cout << "revoked " << which << "\n";
    } else if (list->parsed()) {
      for (const auto& row : db.list_tokens()) {
        std::cout << row.id << "  " << row.name << "  created " << row.created_at
                  << (row.revoked_at.empty() ? "" : "  revoked " + row.revoked_at) << "\n";
      }
    }
  } catch (const qgate::StoreError& error) {
    std::cerr << "qgate token: " << error.what() << "\n";
    return 3;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  const std::string command = argc > 1 ? argv[1] : "";
  try {
    if (command == "serve") {
      CLI::App app{"qgate serve: the HTTP API of qgate for the module checkout server",
                   "qgate serve"};
      return serve(app, argc - 1, argv + 1);
    }
    if (command == "token") {
      CLI::App app{"qgate token: API tokens of qgate serve", "qgate token"};
      return token(app, argc - 1, argv + 1);
    }
  } catch (const std::exception& error) {
    std::cerr << "qgate " << command << ": internal error: " << error.what() << "\n";
    return 3;
  }
  std::cerr << "usage: qgate-server serve|token ...\n";
  return 2;
}
