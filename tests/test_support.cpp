#include "tests/test_support.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

extern char** environ;

namespace qgate::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "qgate-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = std::filesystem::canonical(pattern);
}

TempDir::~TempDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const bool failed = info != nullptr && info->result() != nullptr && info->result()->Failed();
  if (failed) {
    std::cerr << "kept temporary folder of failed test: " << path_ << "\n";
    return;
  }
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

CommandResult run_command(const std::string& command, const std::filesystem::path& cwd) {
  const std::string full = "cd '" + cwd.string() + "' && (" + command + ") 2>&1";
  CommandResult result;
  FILE* pipe = popen(full.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

bool process_alive(int pid) {
  if (pid <= 0 || kill(pid, 0) != 0) return false;
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'Z';
}

bool process_survives(int pid, double seconds) {
  for (int i = 0; i < static_cast<int>(seconds * 100); ++i) {
    if (!process_alive(pid)) return false;
    usleep(10'000);
  }
  return process_alive(pid);
}

int read_pid(const std::filesystem::path& path) {
  const std::string text = read_file(path);
  return text.empty() ? 0 : std::atoi(text.c_str());
}

bool wait_for_file(const std::filesystem::path& path, double seconds) {
  for (int i = 0; i < static_cast<int>(seconds * 100); ++i) {
    if (std::filesystem::exists(path)) return true;
    usleep(10'000);
  }
  return std::filesystem::exists(path);
}

namespace {

// The server this test process started, stopped when the process exits.
std::string& own_server_dir() {
  static std::string dir;
  return dir;
}

void stop_own_server() {
  if (own_server_dir().empty()) return;
  run_command("'" + (source_dir() / "scripts/pg-test-server.sh").string() + "' stop '" +
                  own_server_dir() + "'",
              "/");
  std::error_code ignored;
  std::filesystem::remove_all(own_server_dir(), ignored);
}

std::string server_url() {
  static std::string url;
  if (!url.empty()) return url;
  if (const char* shared = std::getenv("QGATE_TEST_PG_URL"); shared != nullptr && *shared) {
    url = shared;
    return url;
  }
  std::string pattern = (std::filesystem::temp_directory_path() / "qgate-pg-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  own_server_dir() = pattern;
  std::atexit(stop_own_server);
  const auto started = run_command(
      "'" + (source_dir() / "scripts/pg-test-server.sh").string() + "' start '" + pattern + "'",
      "/");
  if (started.exit_code != 0) {
    throw std::runtime_error("cannot start the test PostgreSQL server: " + started.output);
  }
  url = started.output.substr(0, started.output.find('\n'));
  return url;
}

}  // namespace

std::string psql(const std::string& url, const std::string& sql) {
  const auto result = run_command(
      "psql -X -q -A -t -v ON_ERROR_STOP=1 '" + url + "' <<'QGATE_SQL'\n" + sql + "\nQGATE_SQL\n",
      "/");
  if (result.exit_code != 0) throw std::runtime_error("psql failed: " + result.output);
  std::string out = result.output;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string fresh_database_url() {
  const std::string base = server_url();
  // The process id alone is not enough: one server outlives many test
  // processes, and process ids are used again.
  static const std::string process = [] {
    std::random_device random;
    return std::to_string(getpid()) + "_" + std::to_string(random() % 1000000000);
  }();
  static int counter = 0;
  const std::string name = "qgate_test_" + process + "_" + std::to_string(++counter);
  psql(base, "CREATE DATABASE " + name);
  const auto slash = base.find("/postgres?");
  if (slash == std::string::npos) throw std::runtime_error("unexpected test server URL " + base);
  return base.substr(0, slash) + "/" + name + base.substr(slash + 9);
}

void QgateProcess::start(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                         const std::filesystem::path& out, const std::filesystem::path& err,
                         const std::vector<std::string>& extra_env) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (err.empty()) {
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
  } else {
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }
  std::vector<std::string> strings = {qgate_binary().string()};
  strings.insert(strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  env_strings.insert(env_strings.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  pid_t child = -1;
  const int spawned = posix_spawn(&child, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ASSERT_EQ(spawned, 0) << "cannot start " << argv[0];
  pid = child;
  reaped_ = false;
}

bool QgateProcess::ended() {
  if (reaped_) return true;
  int status = 0;
  if (waitpid(pid, &status, WNOHANG) != pid) return false;
  note(status);
  return true;
}

void QgateProcess::wait() {
  if (reaped_) return;
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  note(status);
}

void QgateProcess::note(int status) {
  reaped_ = true;
  exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

namespace {
std::string server_command(const char* verb, const std::filesystem::path& folder) {
  return "'" + (source_dir() / "scripts/pg-test-server.sh").string() + "' " + verb + " '" +
         folder.string() + "'";
}
}  // namespace

std::string PrivateServer::start(std::string& problem) {
  // Run as root, the tests start the server as the postgres user, who must
  // be able to reach its folder.
  std::error_code ec;
  std::filesystem::permissions(
      folder_.parent_path(),
      std::filesystem::perms::group_read | std::filesystem::perms::group_exec |
          std::filesystem::perms::others_read | std::filesystem::perms::others_exec,
      std::filesystem::perm_options::add, ec);
  const auto result = run_command(server_command("start", folder_), "/");
  if (result.exit_code != 0) {
    problem = result.output;
    return "";
  }
  return result.output.substr(0, result.output.find('\n'));
}

int PrivateServer::stop() { return run_command(server_command("stop", folder_), "/").exit_code; }

void write_step_module(const std::filesystem::path& dir, const StepModule& module) {
  write_file(dir / "integration-requirements.yaml",
             "integration_requirements:\n"
             "  testing: [ {unit_tests_passing: true} ]\n"
             "module: {id: " +
                 module.id + module.module_fields +
                 "}\n"
                 "gates:\n"
                 "  test-coverage:\n"
                 "    steps:\n"
                 "      - {name: " +
                 module.step + ", run: '" + module.run + "'}\n" + module.extra);
}

std::string schema_violations(const std::string& schema, const std::string& document) {
  const auto schema_document = nlohmann::json::parse(schema);
  const auto target_document = nlohmann::json::parse(document);
  valijson::Schema parsed;
  valijson::SchemaParser parser;
  valijson::adapters::NlohmannJsonAdapter schema_adapter(schema_document);
  parser.populateSchema(schema_adapter, parsed);
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(target_document);
  if (validator.validate(parsed, target, &results)) return "";
  std::string violations;
  valijson::ValidationResults::Error error;
  while (results.popError(error)) {
    for (const auto& part : error.context) violations += part;
    violations += ": " + error.description + "\n";
  }
  return violations.empty() ? "invalid" : violations;
}

std::filesystem::path qgate_binary() { return QGATE_BINARY; }
std::filesystem::path source_dir() { return QGATE_SOURCE_DIR; }

}  // namespace qgate::testing
