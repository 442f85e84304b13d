// Workspaces from git and the log of queue items, end to end: real git
// repositories in temporary folders (served over HTTP with authentication by
// `git http-backend` behind a local server), the real qgate binary as worker
// and as git's askpass, and a real PostgreSQL.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "runner/queue/git_workspace.hpp"
#include "runner/store/run_queue.hpp"
#include "tests/support/github_stand_in.hpp"
#include "tests/test_support.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using testing::read_file;
using testing::run_command;
using testing::TempDir;
using testing::write_file;

// Made up for the tests; it must never appear in what qgate stores or prints.
constexpr const char* kToken = "qgtest_tok_5f1c9a7e3b2d4068";  // qgate:allow-secret (made up)

std::string sq(const std::string& text) { return "'" + text + "'"; }
std::string qgate() { return sq(testing::qgate_binary().string()); }

// Runs `command` in `cwd`, failing the test if it fails; returns its output.
std::string sh(const std::string& command, const fs::path& cwd) {
  const auto result = run_command(command, cwd);
  EXPECT_EQ(result.exit_code, 0) << command << "\n" << result.output;
  std::string out = result.output;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string commit_all(const fs::path& repo, const std::string& message) {
  sh("git add -A && git -c user.name=Tester -c user.email=t@example.com commit -qm " + sq(message) +
         " && git push -q origin HEAD:main --tags 2>&1",
     repo);
  return sh("git rev-parse HEAD", repo);
}

// A bare repository `dir`/origin.git holding module `id` whose one step
// prints content.txt, with two commits: "first" (tagged v1) and "second" on
// main. Returns the two commit ids; `dir`/src is the clone to commit more in.
std::pair<std::string, std::string> make_origin(const fs::path& dir, const std::string& id,
                                                const std::string& extra_config = "") {
  sh("git init -q --bare -b main origin.git && git init -q -b main src && "
     "git -C src remote add origin " +
         sq((dir / "origin.git").string()),
     dir);
  testing::write_step_module(
      dir / "src", {.id = id, .run = "cat content.txt", .step = "show", .extra = extra_config});
  write_file(dir / "src/.gitignore", ".qgate/\n");
  write_file(dir / "src/content.txt", "content of the first commit\n");
  sh("git add -A && git -c user.name=Tester -c user.email=t@example.com commit -qm first && "
     "git tag -a v1 -m 'version 1' && git push -q origin main --tags 2>&1",
     dir / "src");
  const std::string first = sh("git rev-parse HEAD", dir / "src");
  write_file(dir / "src/content.txt", "content of the second commit\n");
  const std::string second = commit_all(dir / "src", "second");
  return {first, second};
}

// Queues a run of module `id` from `repository` at `ref`; returns the item id.
std::string enqueue_git(const std::string& url, const std::string& id,
                        const std::string& repository, const std::string& ref,
                        const std::string& extra = "") {
  const auto result = run_command(
      qgate() + " queue add --database-url " + sq(url) + " -m " + id + " --repository " +
          sq(repository) + (ref.empty() ? "" : " --ref " + sq(ref)) + " " + extra + " 2>&1",
      "/");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  std::string item = result.output.substr(0, result.output.find('\n'));
  EXPECT_TRUE(is_uuid(item)) << result.output;
  return item;
}

std::string field(const std::string& url, const std::string& item, const std::string& column) {
  return testing::psql(url, "SELECT " + column + " FROM qgate_run_queue WHERE id = '" + item + "'");
}

// The item's whole log, its entries in order.
std::string log_of(const std::string& url, const std::string& item) {
  return testing::psql(url,
                       "SELECT coalesce(string_agg(chunk, '' ORDER BY seq), '') FROM "
                       "qgate_run_logs WHERE item_id = '" +
                           item + "'");
}

// Runs `qgate worker --drain` over the queue at `url` with workspace root
// `root` and the environment assignments `env` ("A=b C=d"); returns its output.
testing::CommandResult drain(const std::string& url, const fs::path& root,
                             const std::string& env = "", const std::string& args = "") {
  return run_command("env " + env + " " + qgate() + " worker --drain --poll 0.1 --database-url " +
                         sq(url) + " --workspace-root " + sq(root.string()) + " " + args,
                     "/");
}

// Waits up to `seconds` for `sql` to print "t".
bool wait_until(const std::string& url, const std::string& sql, double seconds) {
  const auto start = Clock::now();
  while (std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
    if (testing::psql(url, sql) == "t") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

bool empty_folder(const fs::path& path) {
  std::error_code ec;
  return fs::is_directory(path, ec) && fs::directory_iterator(path, ec) == fs::directory_iterator();
}

TEST(GitWorkspace, RunsTheModuleAtABranchATagAndAnOlderCommitFromOneMirror) {
  const std::string url = testing::fresh_database_url();
  TempDir dir;
  const auto [first, second] = make_origin(dir.path(), "ws-001");
  const std::string origin = (dir / "origin.git").string();
  const std::string at_main = enqueue_git(url, "ws-001", origin, "main");
  const std::string at_tag = enqueue_git(url, "ws-001", origin, "v1");
  const std::string at_commit = enqueue_git(url, "ws-001", origin, first.substr(0, 10));
  const std::string at_head = enqueue_git(url, "ws-001", origin, "");
  const fs::path root = dir / "workspaces";
  const auto worker = drain(url, root);
  ASSERT_EQ(worker.exit_code, 0) << worker.output;

  for (const auto& item : {at_main, at_tag, at_commit, at_head}) {
    EXPECT_EQ(field(url, item, "status || ' ' || exit_code"), "finished 0")
        << field(url, item, "message");
    EXPECT_TRUE(is_uuid(field(url, item, "coalesce(run_id::text, '')")));
  }
  // Each run saw its commit's content, as its step's log shows.
  const std::string step = "== test-coverage/show ==\ncontent of the ";
  EXPECT_NE(log_of(url, at_main).find(step + "second commit"), std::string::npos)
      << log_of(url, at_main);
  EXPECT_NE(log_of(url, at_head).find(step + "second commit"), std::string::npos);
  EXPECT_NE(log_of(url, at_tag).find(step + "first commit"), std::string::npos)
      << log_of(url, at_tag);
  EXPECT_NE(log_of(url, at_commit).find(step + "first commit"), std::string::npos);
  EXPECT_NE(log_of(url, at_tag).find("at v1: commit " + first), std::string::npos);
  EXPECT_NE(log_of(url, at_main).find("at main: commit " + second), std::string::npos);
  // The runs were recorded at their commits.
  EXPECT_EQ(testing::psql(url,
                          "SELECT r.commit_sha FROM qgate_runs r JOIN qgate_run_queue q ON "
                          "q.run_id = r.id WHERE q.id = '" +
                              at_tag + "'"),
            first);

  // One mirror, cloned once and fetched into afterwards; no worktree left.
  EXPECT_EQ(count_of(worker.output, "cloned " + origin), 1u) << worker.output;
  EXPECT_EQ(count_of(worker.output, "fetched " + origin), 3u) << worker.output;
  std::vector<fs::path> mirrors;
  for (const auto& entry : fs::directory_iterator(root / "mirrors")) {
    if (entry.path().extension() == ".git") mirrors.push_back(entry.path());
  }
  ASSERT_EQ(mirrors.size(), 1u);
  EXPECT_EQ(mirrors[0].filename().string().size(), 16u + 4u);
  EXPECT_TRUE(empty_folder(root / "runs"));
  EXPECT_EQ(sh("git --git-dir=" + sq(mirrors[0].string()) + " worktree list | wc -l", "/"), "1");

  // A commit pushed since is fetched and run.
  write_file(dir / "src/content.txt", "content of the third commit\n");
  const std::string third = commit_all(dir / "src", "third");
  const std::string later = enqueue_git(url, "ws-001", origin, "main");
  const auto again = drain(url, root);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(field(url, later, "status || ' ' || exit_code"), "finished 0");
  EXPECT_NE(log_of(url, later).find(step + "third commit"), std::string::npos)
      << log_of(url, later);
  EXPECT_NE(log_of(url, later).find("commit " + third), std::string::npos);
  EXPECT_EQ(count_of(again.output, "cloned "), 0u) << again.output;
  EXPECT_EQ(count_of(again.output, "fetched " + origin), 1u) << again.output;
  EXPECT_TRUE(empty_folder(root / "runs"));
}

TEST(GitWorkspace, WorkersOnOneMachineShareTheMirrorCloningItOnce) {
  const std::string url = testing::fresh_database_url();
  TempDir dir;
  make_origin(dir.path(), "ws-002");
  const std::string origin = "file://" + (dir / "origin.git").string();
  std::vector<std::string> items;
  for (int i = 0; i < 6; ++i) items.push_back(enqueue_git(url, "ws-002", origin, "main"));
  const auto workers = drain(url, dir / "workspaces", "", "--workers 3 -j 1");
  ASSERT_EQ(workers.exit_code, 0) << workers.output;
  for (const auto& item : items) {
    EXPECT_EQ(field(url, item, "status || ' ' || exit_code"), "finished 0")
        << field(url, item, "message") << workers.output;
  }
  EXPECT_EQ(testing::psql(url, "SELECT count(DISTINCT worker_pid) FROM qgate_run_queue"), "3");
  // Whoever came first cloned; the others waited for the lock and fetched.
  EXPECT_EQ(count_of(workers.output, "cloned " + origin), 1u) << workers.output;
  EXPECT_EQ(count_of(workers.output, "fetched " + origin), 5u) << workers.output;
  EXPECT_TRUE(empty_folder(dir / "workspaces/runs"));
}

TEST(GitWorkspace, UnknownRefOrRepositoryFinishesTheItemWithExitCodeTwoNamingIt) {
  const std::string url = testing::fresh_database_url();
  TempDir dir;
  make_origin(dir.path(), "ws-003");
  const std::string origin = (dir / "origin.git").string();
  const std::string no_ref = enqueue_git(url, "ws-003", origin, "no-such-branch");
  const std::string no_repo = enqueue_git(url, "ws-003", (dir / "missing.git").string(), "main");
  // The repository holds another module: nothing of it runs.
  const std::string other = enqueue_git(url, "ws-099", origin, "main");
  const auto worker = drain(url, dir / "workspaces");
  ASSERT_EQ(worker.exit_code, 0) << worker.output;

  EXPECT_EQ(field(url, no_ref, "status || ' ' || exit_code || ' ' || attempts"), "finished 2 1");
  EXPECT_EQ(field(url, no_ref, "message"),
            "ref 'no-such-branch' is not a branch, tag or commit of repository " + origin);
  EXPECT_EQ(field(url, no_repo, "status || ' ' || exit_code || ' ' || attempts"), "finished 2 1");
  EXPECT_NE(field(url, no_repo, "message")
                .find("cannot clone repository " + (dir / "missing.git").string() + ": "),
            std::string::npos)
      << field(url, no_repo, "message");
  EXPECT_EQ(field(url, other, "status || ' ' || exit_code"), "finished 2");
  EXPECT_NE(field(url, other, "message").find("configuration of module ws-003, not of ws-099"),
            std::string::npos)
      << field(url, other, "message");
  // The reason is in the item's log too.
  EXPECT_NE(log_of(url, no_ref).find("ref 'no-such-branch' is not a branch"), std::string::npos);
  EXPECT_EQ(testing::psql(url, "SELECT count(*) FROM qgate_runs"), "0");
  EXPECT_TRUE(empty_folder(dir / "workspaces/runs"));
}

TEST(GitWorkspace, AWorkerWaitingForTheMirrorLockKeepsItsLeaseAndCanBeCancelled) {
  const std::string url = testing::fresh_database_url();
  TempDir dir;
  make_origin(dir.path(), "ws-008");
  const std::string origin = (dir / "origin.git").string();
  const std::string item = enqueue_git(url, "ws-008", origin, "main");
  // Another worker of this machine holds the mirror's lock (a long fetch).
  const fs::path root = dir / "workspaces";
  fs::create_directories(root / "mirrors");
  const std::string name = mirror_folder_name(origin);
  const fs::path lock = root / "mirrors" / (name.substr(0, name.size() - 4) + ".lock");
  const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  testing::QgateProcess worker;
  worker.start({"worker", "--lease", "2", "--poll", "0.1", "--database-url", url,
                "--workspace-root", root.string()},
               dir.path(), dir / "worker.out");
  ASSERT_TRUE(wait_until(
      url, "SELECT status = 'running' FROM qgate_run_queue WHERE id = '" + item + "'", 20));
  // Waiting past its 2 s lease, the worker keeps renewing it: its own sweep
  // never takes the item back.
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  EXPECT_EQ(field(url, item, "status || ' ' || attempts || ' ' || worker_pid"),
            "running 1 " + std::to_string(worker.pid));
  const auto asked = Clock::now();
  ASSERT_EQ(
      run_command(qgate() + " queue cancel " + item + " --database-url " + sq(url), "/").exit_code,
      0);
  EXPECT_TRUE(wait_until(
      url, "SELECT status = 'cancelled' FROM qgate_run_queue WHERE id = '" + item + "'", 5));
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - asked).count(), 2.0);
  EXPECT_EQ(field(url, item, "exit_code || ' ' || message"),
            "130 cancelled before qgate check started");
  ::close(fd);
  kill(worker.pid, SIGTERM);
  worker.wait();
  EXPECT_EQ(worker.exit_code, 0) << read_file(dir / "worker.out");
  // It never got to clone.
  EXPECT_FALSE(fs::exists(root / "mirrors" / name));
  EXPECT_EQ(testing::psql(url, "SELECT count(*) FROM qgate_runs"), "0");
}

TEST(GitWorkspace, RepositoriesThatCouldBeOptionsShellOrCarryAPasswordAreRefused) {
  const std::string url = testing::fresh_database_url();
  TempDir dir;
  ASSERT_EQ(run_command(qgate() + " db migrate --database-url " + sq(url), "/").exit_code, 0);
  const std::string base = qgate() + " queue add --database-url " + sq(url) + " -m ws-004 ";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--repository=-uhack", "must not start with '-'"},
      {"--repository " + sq("x; rm -rf /"), "whitespace"},
      {"--repository " + sq("https://bot:hunter22@example.com/a/b.git"), "password"},
      {"--repository " + sq("ssh://git:pw@example.com/a/b.git"), "password"},
      {"--repository " + sq("ext::git-remote-x"), "repository must be"},
      {"--repository " + sq("ftp://example.com/a.git"), "not ftp://"},
      {"--repository " + sq("example.com:a/b.git"), "repository must be"},
      {"--repository " + sq("git@-oProxyCommand=x:a/b.git"), "host"},
      {"--repository " + sq("https://-x/a.git"), "host"},
      {"--repository " + sq("relative/path.git"), "repository must be"},
      {"--repository " + sq("file://host/a.git"), "file:///"},
      {"", "a module folder or a git repository is needed"},
  };
  for (const auto& [arguments, problem] : cases) {
    const auto result = run_command(base + arguments, "/");
    EXPECT_EQ(result.exit_code, 2) << arguments << "\n" << result.output;
    EXPECT_NE(result.output.find(problem), std::string::npos) << arguments << "\n" << result.output;
    EXPECT_EQ(result.output.find("hunter22"), std::string::npos) << result.output;
  }
  // CLI11 itself refuses a value that looks like an option.
  EXPECT_EQ(run_command(base + "--repository -uhack", "/").exit_code, 2);
  EXPECT_EQ(testing::psql(url, "SELECT count(*) FROM qgate_run_queue"), "0");

  for (const std::string good :
       {"/srv/git/a.git", "file:///srv/git/a.git", "https://github.com/acme/shop.git",
        "http://127.0.0.1:8080/a.git", "ssh://git@github.com:22/acme/shop.git",
        "git@github.com:acme/shop.git", "https://x-access-token@github.com/acme/shop"}) {
    EXPECT_EQ(validate_repository(good), "") << good;
  }
}

TEST(GitWorkspace, ValidUtf8ReplacesWhatPostgresCannotHold) {
  EXPECT_EQ(valid_utf8("plain"), "plain");
  EXPECT_EQ(valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  const std::string bad = "\xEF\xBF\xBD";
  EXPECT_EQ(valid_utf8(std::string("a\0b", 3)), "a" + bad + "b");
  EXPECT_EQ(valid_utf8("x\xFFy"), "x" + bad + "y");
  EXPECT_EQ(valid_utf8("\xC0\xAF"), bad + bad);             // overlong '/'
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), bad + bad + bad);   // a surrogate
  EXPECT_EQ(valid_utf8("end\xE2\x82"), "end" + bad + bad);  // cut short
}

TEST(GitWorkspace, AskpassModeAnswersGitsPromptsFromTheEnvironmentOnly) {
  const std::string askpass = "QGATE_GIT_ASKPASS=1 QGATE_GIT_TOKEN=" + std::string(kToken) + " ";
  auto ask = [&](const std::string& env, const std::string& prompt) {
    return run_command("env " + env + " " + qgate() + " " + sq(prompt), "/");
  };
  const auto password = ask(askpass, "Password for 'https://x-access-token@example.com': ");
  EXPECT_EQ(password.exit_code, 0);
  EXPECT_EQ(password.output, std::string(kToken) + "\n");
  const auto user = ask(askpass, "Username for 'https://example.com': ");
  EXPECT_EQ(user.exit_code, 0);
  EXPECT_EQ(user.output, "x-access-token\n");
  EXPECT_EQ(
      ask(askpass + "QGATE_GIT_USERNAME=ci-bot", "Username for 'https://example.com': ").output,
      "ci-bot\n");
  // Nothing but the two prompts is answered, and nothing without a token.
  const auto other = ask(askpass, "Are you sure you want to continue connecting (yes/no)? ");
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_EQ(other.output, "");
  const auto none = ask("-u QGATE_GIT_TOKEN QGATE_GIT_ASKPASS=1", "Password for 'x': ");
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_EQ(none.output, "");
  // Without the mode, the token is never printed: the command line is parsed.
  const auto plain = ask("QGATE_GIT_TOKEN=" + std::string(kToken), "Password for 'x': ");
  EXPECT_NE(plain.exit_code, 0);
  EXPECT_EQ(plain.output.find(kToken), std::string::npos);
}

std::string base64(const std::string& text) {
  static const char* digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 3) {
    unsigned value = static_cast<unsigned char>(text[i]) << 16;
    if (i + 1 < text.size()) value |= static_cast<unsigned char>(text[i + 1]) << 8;
    if (i + 2 < text.size()) value |= static_cast<unsigned char>(text[i + 2]);
    out += digits[(value >> 18) & 63];
    out += digits[(value >> 12) & 63];
    out += i + 1 < text.size() ? digits[(value >> 6) & 63] : '=';
    out += i + 2 < text.size() ? digits[value & 63] : '=';
  }
  return out;
}

// Git's smart HTTP on 127.0.0.1: `git http-backend` (CGI) serving the
// repositories under `root`, behind Basic authentication with `token`.
class GitHttpServer {
 public:
  GitHttpServer(fs::path root, std::string token)
      : root_(std::move(root)), expected_("Basic " + base64("x-access-token:" + token)) {
    auto handler = [this](const httplib::Request& request, httplib::Response& response) {
      serve(request, response);
    };
    server_.Get(R"(/.*)", handler);
    server_.Post(R"(/.*)", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~GitHttpServer() {
    server_.stop();
    thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/" + path;
  }
  // The Authorization headers received, in order ("" for none).
  std::vector<std::string> authorizations() const {
    std::lock_guard lock(mutex_);
    return authorizations_;
  }

 private:
  void serve(const httplib::Request& request, httplib::Response& response) {
    const std::string authorization = request.get_header_value("Authorization");
    {
      std::lock_guard lock(mutex_);
      authorizations_.push_back(authorization);
    }
    if (authorization != expected_) {
      response.status = 401;
      response.set_header("WWW-Authenticate", "Basic realm=\"git\"");
      return;
    }
    std::string query;
    for (const auto& [name, value] : request.params) {
      query += (query.empty() ? "" : "&") + name + "=" + value;
    }
    TempDir scratch;
    write_file(scratch / "body", request.body);
    const bool gzip = request.body.size() > 1 && request.body[0] == '\x1f' &&
                      request.body[1] == static_cast<char>(0x8b);
    const auto cgi =
        run_command("env GIT_PROJECT_ROOT=" + sq(root_.string()) +
                        " GIT_HTTP_EXPORT_ALL=1 REQUEST_METHOD=" + request.method +
                        " PATH_INFO=" + sq(request.path) + " QUERY_STRING=" + sq(query) +
                        " CONTENT_TYPE=" + sq(request.get_header_value("Content-Type")) +
                        (gzip ? " HTTP_CONTENT_ENCODING=gzip" : "") + " git http-backend < " +
                        sq((scratch / "body").string()) + " 2>/dev/null",
                    "/");
    // CGI: headers, an empty line, the body.
    std::size_t split = cgi.output.find("\r\n\r\n");
    std::size_t skip = 4;
    if (split == std::string::npos) {
      split = cgi.output.find("\n\n");
      skip = 2;
    }
    if (split == std::string::npos) {
      response.status = 500;
      return;
    }
    std::string content_type = "text/plain";
    std::size_t at = 0;
    const std::string headers = cgi.output.substr(0, split);
    while (at < headers.size()) {
      auto end = headers.find('\n', at);
      if (end == std::string::npos) end = headers.size();
      std::string line = headers.substr(at, end - at);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      at = end + 1;
      const auto colon = line.find(": ");
      if (colon == std::string::npos) continue;
      const std::string name = line.substr(0, colon);
      const std::string value = line.substr(colon + 2);
      if (name == "Status") {
        response.status = std::stoi(value);
      } else if (name == "Content-Type") {
        content_type = value;
      } else {
        response.set_header(name, value);
      }
    }
    response.set_content(cgi.output.substr(split + skip), content_type);
  }

  fs::path root_;
  std::string expected_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<std::string> authorizations_;
};

// A port on 127.0.0.1 that nothing listens on.
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), size);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

TEST(GitWorkspace, TokenFromTheEnvironmentFetchesOverHttpAndIsNeverStoredOrPrinted) {
  const std::string url = testing::fresh_database_url();
  TempDir dir;
  make_origin(dir.path(), "ws-005");
  GitHttpServer server(dir.path(), kToken);
  const std::string origin = server.url("origin.git");
  const std::string good = enqueue_git(url, "ws-005", origin, "v1");
  const std::string closed = enqueue_git(
      url, "ws-005", "http://127.0.0.1:" + std::to_string(closed_port()) + "/x.git", "main");
  const std::string token_env = "QGATE_GIT_TOKEN=" + std::string(kToken);
  const auto worker = drain(url, dir / "workspaces", token_env);
  ASSERT_EQ(worker.exit_code, 0) << worker.output;

  // Git asked qgate for the credentials and the server got the token.
  EXPECT_EQ(field(url, good, "status || ' ' || exit_code"), "finished 0")
      << field(url, good, "message");
  EXPECT_NE(log_of(url, good).find("content of the first commit"), std::string::npos);
  const auto seen = server.authorizations();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.front(), "");  // the first request goes without, and gets 401
  EXPECT_EQ(seen.back(), "Basic " + base64("x-access-token:" + std::string(kToken)));
  // A remote that is away ends the item at once, exit code 2, its URL named.
  EXPECT_EQ(field(url, closed, "status || ' ' || exit_code || ' ' || attempts"), "finished 2 1");
  EXPECT_NE(field(url, closed, "message").find("cannot clone repository http://127.0.0.1:"),
            std::string::npos)
      << field(url, closed, "message");

  // A wrong token is refused by the server: git says so, naming the URL.
  const std::string refused = enqueue_git(url, "ws-005", origin, "main");
  const auto wrong = drain(url, dir / "other", "QGATE_GIT_TOKEN=not-the-token-at-all");
  EXPECT_EQ(field(url, refused, "status || ' ' || exit_code"), "finished 2");
  EXPECT_NE(field(url, refused, "message").find("Authentication failed"), std::string::npos)
      << field(url, refused, "message");
  EXPECT_EQ(field(url, refused, "message").find("not-the-token-at-all"), std::string::npos);
  // With no token, git does not wait on a prompt: it fails at once.
  const std::string no_token = enqueue_git(url, "ws-005", origin, "main");
  const auto start = Clock::now();
  const auto bare = drain(url, dir / "third", "-u QGATE_GIT_TOKEN");
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 20);
  EXPECT_EQ(field(url, no_token, "status || ' ' || exit_code"), "finished 2");
  EXPECT_NE(field(url, no_token, "message").find("terminal prompts disabled"), std::string::npos)
      << field(url, no_token, "message");

  // The token is nowhere: not in the queue's rows, the logs, the runs or
  // what the workers printed.
  const std::string like = "'%" + std::string(kToken) + "%'";
  EXPECT_EQ(testing::psql(url,
                          "SELECT count(*) FROM qgate_run_queue q WHERE row_to_json(q)::text "
                          "LIKE " +
                              like),
            "0");
  EXPECT_EQ(testing::psql(url, "SELECT count(*) FROM qgate_run_logs WHERE chunk LIKE " + like),
            "0");
  EXPECT_EQ(testing::psql(url,
                          "SELECT count(*) FROM qgate_runs r WHERE row_to_json(r)::text "
                          "LIKE " +
                              like),
            "0");
  for (const auto* output : {&worker.output, &wrong.output, &bare.output}) {
    EXPECT_EQ(output->find(kToken), std::string::npos) << *output;
  }
  // Nor on disk: git kept no credentials with the mirror.
  EXPECT_EQ(run_command("grep -r -l " + sq(kToken) + " " + sq((dir / "workspaces").string()), "/")
                .exit_code,
            1);
}

TEST(GitWorkspace, UserInfoOfTheRepositoryUrlIsLeftOutOfMessages) {
  const std::string url = testing::fresh_database_url();
  TempDir dir;
  const std::string repository =
      "http://deploy-user@127.0.0.1:" + std::to_string(closed_port()) + "/x.git";
  const std::string item = enqueue_git(url, "ws-006", repository, "main");
  const auto worker = drain(url, dir / "workspaces");
  ASSERT_EQ(worker.exit_code, 0) << worker.output;
  EXPECT_EQ(field(url, item, "exit_code"), "2");
  const std::string message = field(url, item, "message");
  EXPECT_NE(message.find("cannot clone repository http://127.0.0.1:"), std::string::npos)
      << message;
  EXPECT_EQ(message.find("deploy-user"), std::string::npos) << message;
  EXPECT_EQ(log_of(url, item).find("deploy-user"), std::string::npos);
}

TEST(GitWorkspace, OpenPrOptionPassesOpenPrToQgateCheck) {
  const std::string url = testing::fresh_database_url();
  TempDir dir;
  testing::GithubStandIn stand_in;
  make_origin(dir.path(), "ws-007", "github:\n  repository: acme/shop\n  developer: Ana Perez\n");
  const std::string origin = (dir / "origin.git").string();
  const std::string plain = enqueue_git(url, "ws-007", origin, "main");
  const auto env = "-u GITHUB_REPOSITORY -u GITHUB_HEAD_REF -u GITHUB_REF_NAME GITHUB_API_URL=" +
                   stand_in.url() + " GITHUB_TOKEN=" + stand_in.token() +
                   " QGATE_GITHUB_WAIT_SCALE=0.1";
  ASSERT_EQ(drain(url, dir / "workspaces", env).exit_code, 0);
  EXPECT_EQ(field(url, plain, "status || ' ' || exit_code"), "finished 0");
  EXPECT_TRUE(stand_in.pulls("acme/shop").empty());

  const std::string with_pr =
      enqueue_git(url, "ws-007", origin, "main", "--options '{\"open_pr\": true}'");
  const auto worker = drain(url, dir / "workspaces", env);
  ASSERT_EQ(worker.exit_code, 0) << worker.output;
  EXPECT_EQ(field(url, with_pr, "status || ' ' || exit_code"), "finished 0")
      << field(url, with_pr, "message") << log_of(url, with_pr);
  const auto pulls = stand_in.pulls("acme/shop");
  ASSERT_EQ(pulls.size(), 1u) << log_of(url, with_pr);
  EXPECT_EQ(pulls[0].at("head").at("label"), "acme:module/ws-007/ana-perez");
  EXPECT_EQ(testing::psql(url,
                          "SELECT r.pr_url FROM qgate_runs r JOIN qgate_run_queue q ON "
                          "q.run_id = r.id WHERE q.id = '" +
                              with_pr + "'"),
            stand_in.url() + "/acme/shop/pull/1");
}

// A module folder `dir` whose single gate has the single step `run`.
void write_module(const fs::path& dir, const std::string& id, const std::string& run) {
  testing::write_step_module(dir, {.id = id, .run = run});
}

TEST(RunLog, RowsAppearWhileTheItemRunsAndStepLogsFollowAtTheEnd) {
  const std::string url = testing::fresh_database_url();
  TempDir dir;
  write_module(dir / "m", "log-001", "echo early line; sleep 2; echo late line");
  const auto added = run_command(qgate() + " queue add --database-url " + sq(url) +
                                     " -m log-001 --path " + sq((dir / "m").string()),
                                 "/");
  ASSERT_EQ(added.exit_code, 0) << added.output;
  const std::string item = added.output.substr(0, added.output.find('\n'));
  testing::QgateProcess worker;
  worker.start({"worker", "--drain", "--poll", "0.1", "--database-url", url, "--workspace-root",
                (dir / "ws").string()},
               dir.path(), dir / "worker.out");
  // While the step sleeps, what `qgate check` printed so far is in the log.
  EXPECT_TRUE(wait_until(url,
                         "SELECT (SELECT status FROM qgate_run_queue WHERE id = '" + item +
                             "') = 'running' AND EXISTS (SELECT 1 FROM qgate_run_logs WHERE "
                             "item_id = '" +
                             item + "' AND chunk LIKE '%module log-001 · run %')",
                         20))
      << read_file(dir / "worker.out");
  worker.wait();
  EXPECT_EQ(worker.exit_code, 0) << read_file(dir / "worker.out");
  EXPECT_EQ(field(url, item, "status || ' ' || exit_code"), "finished 0");
  const std::string log = log_of(url, item);
  EXPECT_NE(log.find("PASSED"), std::string::npos) << log;
  EXPECT_NE(log.find("== test-coverage/step ==\nearly line\nlate line"), std::string::npos) << log;
  // Written in order, seq after seq.
  EXPECT_EQ(testing::psql(url,
                          "SELECT count(*) = max(seq) + 1 AND min(seq) = 0 FROM "
                          "qgate_run_logs WHERE item_id = '" +
                              item + "'"),
            "t");
}

TEST(RunLog, ARetriedAttemptAppendsAfterTheFirstAndALostClaimWritesNothing) {
  const std::string url = testing::fresh_database_url();
  auto queue = open_run_queue(url);
  QueueRequest request;
  request.module_id = "log-003";
  request.repository = "https://example.com/acme/log.git";
  const std::string id = queue->enqueue(request).item.id;
  const auto first = queue->claim({"worker-a", "host-a", 1}, 30);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->log_seq, 0);
  queue->append_log(*first, 0, "one\n");
  queue->append_log(*first, 1, std::string("bad \xFF byte\n"));
  queue->append_log(*first, 1, "written again: ignored\n");
  EXPECT_THROW(queue->append_log(*first, 2, std::string(kLogChunkBytes + 1, 'x')), StoreError);
  // Worker a falls silent; the item is queued again and claimed by b.
  testing::psql(url, "UPDATE qgate_run_queue SET lease_expires_at = NOW() - interval '1 second'");
  EXPECT_EQ(queue->sweep_expired().requeued, 1);
  const auto second = queue->claim({"worker-b", "host-b", 2}, 30);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->log_seq, 2);
  queue->append_log(*first, 2, "from the lost claim\n");
  queue->append_log(*second, 2, "two\n");
  EXPECT_EQ(log_of(url, id), "one\nbad \uFFFD byte\ntwo");
  // Once the item has ended, nothing more is appended.
  EXPECT_TRUE(queue->finish(*second, "finished", "", 0, ""));
  queue->append_log(*second, 3, "after the end\n");
  EXPECT_EQ(testing::psql(url, "SELECT count(*) FROM qgate_run_logs"), "3");
}

TEST(RunLog, ChunksAreSmallValidUtf8AndTheLogIsCappedWithALineSayingSo) {
  const std::string url = testing::fresh_database_url();
  TempDir dir;
  // Bytes PostgreSQL's TEXT refuses, then 6 MB of output.
  write_module(dir / "m", "log-002",
               "printf \"bad \\\\377 and \\\\000 bytes\\\\n\"; head -c 6000000 /dev/zero | tr "
               "\"\\\\000\" x");
  const auto added = run_command(qgate() + " queue add --database-url " + sq(url) +
                                     " -m log-002 --path " + sq((dir / "m").string()),
                                 "/");
  ASSERT_EQ(added.exit_code, 0) << added.output;
  const std::string item = added.output.substr(0, added.output.find('\n'));
  const auto worker = drain(url, dir / "ws");
  ASSERT_EQ(worker.exit_code, 0) << worker.output;
  EXPECT_EQ(field(url, item, "status || ' ' || exit_code"), "finished 0")
      << field(url, item, "message");
  const std::string where = " FROM qgate_run_logs WHERE item_id = '" + item + "'";
  EXPECT_EQ(testing::psql(url, "SELECT max(octet_length(chunk)) <= 65536" + where), "t");
  const long total = std::stol(testing::psql(url, "SELECT sum(octet_length(chunk))" + where));
  EXPECT_GT(total, 4 * 1024 * 1024 - 1000);
  EXPECT_LT(total, 4 * 1024 * 1024 + 1000);
  EXPECT_NE(testing::psql(url, "SELECT chunk" + where + " ORDER BY seq DESC LIMIT 1")
                .find("more bytes of output left out"),
            std::string::npos);
  EXPECT_EQ(testing::psql(url, "SELECT count(*)" + where +
                                   " AND chunk LIKE '%bad \uFFFD and "
                                   "\uFFFD bytes%'"),
            "1");
}

}  // namespace
}  // namespace qgate
