#pragma once
// Helpers shared by the tests: a temporary folder per test, file writing, and
// running the real qgate binary.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace qgate::testing {

// A fresh folder for the current test: removed when the test passes, kept
// (and its path printed) when it fails.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // Returns path() / `relative`.
  std::filesystem::path operator/(const std::string& relative) const { return path_ / relative; }

 private:
  std::filesystem::path path_;
};

// Writes `text` to `path`, creating parent folders.
void write_file(const std::filesystem::path& path, const std::string& text);
// Returns the whole content of `path` ("" if it cannot be read).
std::string read_file(const std::filesystem::path& path);

// The outcome of running a command through /bin/sh.
struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
// Runs `command` with /bin/sh -c in `cwd`, capturing stdout and stderr.
CommandResult run_command(const std::string& command, const std::filesystem::path& cwd);

// Returns true if process `pid` exists and is not a zombie.
bool process_alive(int pid);
// Returns true if process `pid` is still alive after waiting up to `seconds`
// for it to end (a killed process takes a moment to become a zombie).
bool process_survives(int pid, double seconds = 2.0);
// Reads a decimal pid from the file at `path`; 0 if there is none.
int read_pid(const std::filesystem::path& path);
// Waits up to `seconds` for `path` to exist; returns whether it does.
bool wait_for_file(const std::filesystem::path& path, double seconds);

// Returns the URL of a new, empty database on the test PostgreSQL server: the
// suite's server when QGATE_TEST_PG_URL is set (scripts/test.sh starts one),
// else one this test process starts (scripts/pg-test-server.sh) and stops at
// exit. Fails the test if no server can be had.
std::string fresh_database_url();
// Runs `sql` with psql against `url`; returns its unaligned, tuples-only output.
std::string psql(const std::string& url, const std::string& sql);

// A private PostgreSQL server in a folder of its own (scripts/pg-test-server.sh),
// stopped at the end: for tests that stop and restart the database.
class PrivateServer {
 public:
  explicit PrivateServer(std::filesystem::path folder) : folder_(std::move(folder)) {}
  ~PrivateServer() { stop(); }
  PrivateServer(const PrivateServer&) = delete;
  PrivateServer& operator=(const PrivateServer&) = delete;

  // Starts the server; returns its URL ("" on failure, with the reason in `problem`).
  std::string start(std::string& problem);
  // Stops the server (fast shutdown: connected clients are cut off).
  int stop();

 private:
  std::filesystem::path folder_;
};

// A qgate process started in the background (posix_spawn), for tests that
// signal it, kill it or run several at once.
struct QgateProcess {
  int pid = -1;
  int exit_code = -1;   // -1 when a signal ended it
  int term_signal = 0;  // the signal that ended it, or 0

  // Starts qgate with `args` in `cwd`, stdout to `out` and stderr to `err`
  // (or to `out` too when `err` is empty), with `extra_env` added.
  void start(const std::vector<std::string>& args, const std::filesystem::path& cwd,
             const std::filesystem::path& out, const std::filesystem::path& err = {},
             const std::vector<std::string>& extra_env = {});
  // Returns true if the process has ended (and reaps it).
  bool ended();
  // Waits for the process to end.
  void wait();

 private:
  void note(int status);
  bool reaped_ = false;  // ended() or wait() saw it end
};

// A module whose single gate (test-coverage, judging unit_tests_passing) has
// a single step.
struct StepModule {
  std::string id{};
  std::string run = "true";     // the step's command (no single quotes)
  std::string step = "step";    // the step's name
  std::string module_fields{};  // more fields of `module:`, e.g. ", registry: ../modules.yaml"
  std::string extra{};          // more YAML after `gates:` (e.g. a `github:` section)
};
// Writes `dir`/integration-requirements.yaml for `module`.
void write_step_module(const std::filesystem::path& dir, const StepModule& module);

// The violations of `document` against JSON Schema `schema` (valijson), one
// per line; "" when it is valid. Both are JSON texts.
std::string schema_violations(const std::string& schema, const std::string& document);

// The path of the qgate binary under test.
std::filesystem::path qgate_binary();
// The source root (for examples/ and schemas/).
std::filesystem::path source_dir();

}  // namespace qgate::testing
