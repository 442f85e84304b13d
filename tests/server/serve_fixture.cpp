#include "tests/server/serve_fixture.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

namespace qgate::testing {

namespace fs = std::filesystem;

void write_quick_module(const fs::path& folder, const std::string& module_id,
                        const std::string& registry, const std::string& message) {
  write_step_module(folder, {.id = module_id,
                             .run = "echo " + message,
                             .step = "unit",
                             .module_fields = ", registry: " + registry});
}

ServeProcess::ServeProcess(ServeSetup setup) {
  database_url_ = setup.database_url.empty() ? fresh_database_url() : setup.database_url;
  const fs::path registry = dir_.path() / "modules.yaml";
  write_file(registry, setup.registry_yaml.empty()
                           ? "modules:\n"
                             "  alpha:\n    id: \"alp-001\"\n    name: \"Alpha\"\n"
                             "    repository: \"\"\n    dependencies: []\n"
                             "  beta:\n    id: \"bet-001\"\n    name: \"Beta\"\n"
                             "    repository: \"\"\n    dependencies: []\n"
                           : setup.registry_yaml);
  write_quick_module(dir_.path() / "modules" / "alpha", "alp-001", "../../modules.yaml",
                     "alpha-says-hello");
  write_quick_module(dir_.path() / "modules" / "beta", "bet-001", "../../modules.yaml",
                     "beta-says-hello");
  const auto created =
      run_command("QGATE_DATABASE_URL='" + database_url_ + "' '" + qgate_binary().string() +
                      "' token create --name " + setup.token_name + " 2>/dev/null",
                  dir_.path());
  EXPECT_EQ(created.exit_code, 0) << created.output;
  token_ = created.output.substr(0, created.output.find('\n'));
  std::vector<std::string> args = {
      "serve",           "--listen",       "127.0.0.1:0",
      "--database-url",  database_url_,    "--registry",
      registry.string(), "--modules-root", (dir_.path() / "modules").string(),
      "--access-log"};
  args.insert(args.end(), setup.extra_args.begin(), setup.extra_args.end());
  process_.start(args, dir_.path(), dir_.path() / "serve.out", {}, setup.extra_env);
  for (int i = 0; i < 300 && url_.empty(); ++i) {
    const std::string out = output();
    const auto at = out.find("listening on ");
    if (at != std::string::npos && out.find(' ', at + 13) != std::string::npos) {
      url_ = out.substr(at + 13, out.find(' ', at + 13) - at - 13);
      break;
    }
    if (process_.ended()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_FALSE(url_.empty()) << output();
}

ServeProcess::~ServeProcess() { stop(); }

httplib::Client ServeProcess::client() const {
  httplib::Client client(url_);
  client.set_read_timeout(20, 0);
  return client;
}

int ServeProcess::stop() {
  if (stopped_ || process_.pid <= 0) return process_.exit_code;
  stopped_ = true;
  if (!process_.ended()) {
    ::kill(process_.pid, SIGTERM);
    process_.wait();
  }
  return process_.exit_code;
}

std::string ServeProcess::output() const { return read_file(dir_.path() / "serve.out"); }

std::string ServeProcess::queue_rows() const {
  return psql(database_url_,
              "SELECT count(*) || ':' || coalesce(string_agg(id::text || status || "
              "cancel_requested::text, ',' ORDER BY id), '') FROM qgate_run_queue");
}

std::string ServeProcess::add_checkout(const std::string& module_id) const {
  return psql(database_url_,
              "INSERT INTO module_checkouts (module_id, checked_out_by, checked_out_by_email, "
              "estimated_completion_date) VALUES ('" +
                  module_id +
                  "', 'Dev', 'dev@example.com', NOW() + interval '7 days') RETURNING id");
}

std::string openapi_violations(const nlohmann::json& document, const std::string& name) {
  const auto openapi = nlohmann::json::parse(read_file(source_dir() / "schemas" / "openapi.json"));
  const nlohmann::json schema = {{"$ref", "#/components/schemas/" + name},
                                 {"components", {{"schemas", openapi["components"]["schemas"]}}}};
  return schema_violations(schema.dump(), document.dump());
}

}  // namespace qgate::testing
