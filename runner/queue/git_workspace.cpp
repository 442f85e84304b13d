#include "runner/queue/git_workspace.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "runner/core/sha256.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;

std::string variable_name(const std::string& entry) { return entry.substr(0, entry.find('=')); }

const std::string* find_variable(const std::vector<std::string>& environment,
                                 const std::string& name) {
  for (const auto& entry : environment) {
    if (entry.size() > name.size() && entry[name.size()] == '=' && entry.starts_with(name)) {
      return &entry;
    }
  }
  return nullptr;
}

std::string variable_value(const std::vector<std::string>& environment, const std::string& name) {
  const std::string* entry = find_variable(environment, name);
  return entry == nullptr ? "" : entry->substr(name.size() + 1);
}

// The last `limit` characters of `text`, trimmed, on one line per line of git.
std::string tail_text(const std::string& text, std::size_t limit) {
  std::string out = text.size() > limit ? "..." + text.substr(text.size() - limit) : text;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) {
    out.pop_back();
  }
  std::size_t start = 0;
  while (start < out.size() && (out[start] == '\n' || out[start] == ' ')) ++start;
  return out.substr(start);
}

bool is_hex_id(const std::string& text) {
  return (text.size() == 40 || text.size() == 64) &&
         text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// An exclusive flock on the mirror's lock file, held while the mirror is
// written (clone, fetch, worktree add): workers of one machine share a
// mirror, and git itself does not guard two fetches into one repository.
// The kernel drops it with the process, so a worker killed with -9 never
// leaves the mirror locked.
class MirrorLock {
 public:
  explicit MirrorLock(const fs::path& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  }
  ~MirrorLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  MirrorLock(const MirrorLock&) = delete;
  MirrorLock& operator=(const MirrorLock&) = delete;

  bool opened() const { return fd_ >= 0; }
  // Takes the lock if free; never blocks, so that the worker goes on
  // heartbeating while another worker fetches.
  bool try_take() {
    if (held_) return true;
    held_ = ::flock(fd_, LOCK_EX | LOCK_NB) == 0;
    return held_;
  }

 private:
  int fd_ = -1;
  bool held_ = false;
};

}  // namespace

GitWorkspace::GitWorkspace(GitSettings settings, GitRunner& runner, const SecretMasker& masker)
    : settings_(std::move(settings)), runner_(runner), masker_(masker) {
  env_ = git_environment(settings_.environment, settings_.askpass);
  token_ = !variable_value(settings_.environment, "QGATE_GIT_TOKEN").empty();
}

GitWorkspace::~GitWorkspace() {
  try {
    remove();
  } catch (...) {
    // A destructor must not throw; the next prepare prunes what is left.
  }
}

std::vector<std::string> GitWorkspace::git_argv(
    std::initializer_list<std::string> arguments) const {
  // No hook runs (the user's core.hooksPath included): only git's own code
  // touches the worktree. An automatic gc runs in the foreground, under the
  // lock, instead of as a daemon that the worker would kill as a leftover.
  std::vector<std::string> argv = {settings_.git.string(), "-c", "core.hooksPath=/dev/null", "-c",
                                   "gc.autoDetach=false"};
  // With the token, no credential helper may keep it (credential.helper=store
  // would write it to ~/.git-credentials) or answer instead of it.
  if (token_) argv.insert(argv.end(), {"-c", "credential.helper="});
  argv.insert(argv.end(), arguments);
  return argv;
}

std::string GitWorkspace::shown(std::string_view text) const {
  return masker_.mask(without_url_userinfo(text));
}

GitWorkspace::Outcome GitWorkspace::prepare(const std::string& repository, const std::string& ref,
                                            const std::string& item_id, std::string& problem,
                                            int& exit_code) {
  const std::string where = "repository " + shown(repository);
  auto fail = [&](int code, std::string text) {
    exit_code = code;
    problem = std::move(text);
    return Outcome::failed;
  };
  if (settings_.git.empty()) return fail(3, "git is not installed on this machine (not on PATH)");
  std::error_code ec;
  // Mirrors may hold private code: the root is the worker's user's alone.
  if (!fs::exists(settings_.root, ec)) {
    fs::create_directories(settings_.root, ec);
    fs::permissions(settings_.root, fs::perms::owner_all, ec);
  }
  const fs::path mirrors = settings_.root / "mirrors";
  const fs::path runs = settings_.root / "runs";
  for (const auto& folder : {mirrors, runs}) {
    fs::create_directories(folder, ec);
    if (ec) return fail(3, "cannot create " + folder.string() + ": " + ec.message());
  }
  const std::string name = mirror_folder_name(repository);
  mirror_ = mirrors / name;
  lock_path_ = mirrors / (name.substr(0, name.size() - 4) + ".lock");
  folder_ = runs / item_id;
  const std::string git_dir = "--git-dir=" + mirror_.string();

  MirrorLock lock(lock_path_);
  if (!lock.opened()) {
    return fail(3, "cannot open " + lock_path_.string() + ": " + std::strerror(errno));
  }
  while (!lock.try_take()) {
    if (!runner_.pause()) return Outcome::stopped;
  }

  // A request naming a repository that does not exist, or a remote that
  // cannot be reached now, ends the item with exit code 2 and git's reason:
  // git's messages do not tell an outage from a wrong URL reliably, and
  // queueing the run again is the caller's choice, not a retry loop here.
  if (!fs::exists(mirror_ / "HEAD", ec)) {
    // Cloned beside, then renamed: a clone cut short leaves no half mirror
    // that the next fetch would trip over.
    const fs::path partial = mirrors / (name.substr(0, name.size() - 4) + ".partial");
    fs::remove_all(partial, ec);
    fs::remove_all(mirror_, ec);
    const GitOutcome clone =
        runner_.run(git_argv({"clone", "--mirror", "--quiet", "--", repository, partial.string()}),
                    env_, settings_.root, true);
    if (!clone.ran) {
      fs::remove_all(partial, ec);
      return Outcome::stopped;
    }
    if (clone.exit_code != 0) {
      fs::remove_all(partial, ec);
      return fail(2, "cannot clone " + where + ": " + shown(tail_text(clone.output, 1000)));
    }
    fs::rename(partial, mirror_, ec);
    if (ec) return fail(3, "cannot rename " + partial.string() + ": " + ec.message());
    cloned_ = true;
  } else {
    const GitOutcome fetch = runner_.run(
        git_argv({git_dir, "fetch", "--prune", "--quiet", "origin"}), env_, settings_.root, true);
    if (!fetch.ran) return Outcome::stopped;
    if (fetch.exit_code != 0) {
      return fail(2, "cannot fetch " + where + ": " + shown(tail_text(fetch.output, 1000)));
    }
  }

  // The mirror holds every ref of the remote as is (refs/heads, refs/tags,
  // refs/pull...), so branch names, tags and commit ids all resolve; HEAD is
  // the remote's default branch as of the clone.
  const std::string wanted = ref.empty() ? "HEAD" : ref;
  const GitOutcome resolved = runner_.run(git_argv({git_dir, "rev-parse", "--verify", "--quiet",
                                                    "--end-of-options", wanted + "^{commit}"}),
                                          env_, settings_.root, true);
  if (!resolved.ran) return Outcome::stopped;
  // The commit is the last line; a warning (an ambiguous name) may precede it.
  std::string last = tail_text(resolved.output, 200);
  if (const auto newline = last.rfind('\n'); newline != std::string::npos) {
    last = last.substr(newline + 1);
  }
  if (resolved.exit_code != 0 || !is_hex_id(last)) {
    return fail(2, (ref.empty() ? std::string("HEAD") : "ref '" + ref + "'") +
                       " is not a branch, tag or commit of " + where);
  }
  commit_ = last;

  // What an attempt killed with -9 left behind is cleared first.
  if (fs::exists(folder_, ec)) fs::remove_all(folder_, ec);
  runner_.run(git_argv({git_dir, "worktree", "prune"}), env_, settings_.root, false);
  const GitOutcome added = runner_.run(
      git_argv({git_dir, "worktree", "add", "--detach", "--quiet", folder_.string(), commit_}),
      env_, settings_.root, true);
  // Added or cut short, the worktree may exist: remove() clears it either way.
  added_ = true;
  if (!added.ran) return Outcome::stopped;
  if (added.exit_code != 0) {
    return fail(3, "cannot check out commit " + commit_ + " of " + where + " in " +
                       folder_.string() + ": " + shown(tail_text(added.output, 1000)));
  }
  return Outcome::ready;
}

void GitWorkspace::remove() {
  if (!added_) return;
  added_ = false;
  const std::string git_dir = "--git-dir=" + mirror_.string();
  // Only this worktree's folder and its entry in the mirror are touched, so
  // no lock is needed; the prune after it takes the lock if it is free, and
  // the next prepare prunes under the lock otherwise.
  runner_.run(git_argv({git_dir, "worktree", "remove", "--force", folder_.string()}), env_,
              settings_.root, false);
  std::error_code ec;
  if (fs::exists(folder_, ec)) fs::remove_all(folder_, ec);
  MirrorLock lock(lock_path_);
  if (lock.opened() && lock.try_take()) {
    runner_.run(git_argv({git_dir, "worktree", "prune"}), env_, settings_.root, false);
  }
}

fs::path default_workspace_root() {
  if (const char* cache = std::getenv("XDG_CACHE_HOME"); cache != nullptr && cache[0] == '/') {
    return fs::path(cache) / "qgate";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && home[0] == '/') {
    return fs::path(home) / ".cache" / "qgate";
  }
  std::error_code ec;
  return fs::temp_directory_path(ec) / ("qgate-cache-" + std::to_string(::getuid()));
}

std::string mirror_folder_name(const std::string& repository) {
  return short_sha256(repository) + ".git";
}

std::string without_url_userinfo(std::string_view text) {
  std::string out(text);
  std::size_t from = 0;
  while (true) {
    const auto scheme_end = out.find("://", from);
    if (scheme_end == std::string::npos) break;
    const std::size_t start = scheme_end + 3;
    // The authority ends at the path, the query, or where the URL does in text.
    const auto end = out.find_first_of("/?#'\"<>() \t\r\n", start);
    const auto at = out.rfind('@', end == std::string::npos ? std::string::npos : end - 1);
    if (at != std::string::npos && at >= start && (end == std::string::npos || at < end)) {
      out.erase(start, at + 1 - start);
    }
    from = start;
  }
  return out;
}

std::vector<std::string> git_environment(const std::vector<std::string>& inherited,
                                         const fs::path& askpass) {
  // Variables that would make git work on another repository, prompt, or
  // see the database URL (with its password) are not passed on.
  static const std::vector<std::string> dropped = {"QGATE_DATABASE_URL",
                                                   "QGATE_GIT_ASKPASS",
                                                   "GIT_DIR",
                                                   "GIT_WORK_TREE",
                                                   "GIT_INDEX_FILE",
                                                   "GIT_COMMON_DIR",
                                                   "GIT_OBJECT_DIRECTORY",
                                                   "GIT_ALTERNATE_OBJECT_DIRECTORIES",
                                                   "GIT_NAMESPACE",
                                                   "GIT_TERMINAL_PROMPT",
                                                   "GIT_CONFIG_PARAMETERS"};
  const bool token = !variable_value(inherited, "QGATE_GIT_TOKEN").empty();
  std::vector<std::string> env;
  for (const auto& entry : inherited) {
    const std::string name = variable_name(entry);
    if (std::find(dropped.begin(), dropped.end(), name) != dropped.end()) continue;
    if (token && name == "GIT_ASKPASS") continue;
    env.push_back(entry);
  }
  env.push_back("GIT_TERMINAL_PROMPT=0");
  if (token) {
    env.push_back("GIT_ASKPASS=" + askpass.string());
    env.push_back("QGATE_GIT_ASKPASS=1");
  }
  // ssh must not prompt either (a password, an unknown host key): it would
  // wait on the worker's terminal forever.
  if (find_variable(inherited, "GIT_SSH_COMMAND") == nullptr &&
      find_variable(inherited, "GIT_SSH") == nullptr) {
    env.push_back("GIT_SSH_COMMAND=ssh -o BatchMode=yes -o ConnectTimeout=30");
  }
  // A transfer that stalls for a minute is given up rather than holding the
  // mirror's lock forever.
  if (find_variable(inherited, "GIT_HTTP_LOW_SPEED_LIMIT") == nullptr) {
    env.push_back("GIT_HTTP_LOW_SPEED_LIMIT=1");
    env.push_back("GIT_HTTP_LOW_SPEED_TIME=60");
  }
  // The transports a request may name (ext:: and the like never run).
  if (find_variable(inherited, "GIT_ALLOW_PROTOCOL") == nullptr) {
    env.push_back("GIT_ALLOW_PROTOCOL=file:http:https:ssh");
  }
  return env;
}

std::optional<int> answer_git_askpass(int argc, char** argv) {
  const char* mode = std::getenv("QGATE_GIT_ASKPASS");
  if (mode == nullptr || std::strcmp(mode, "1") != 0) return std::nullopt;
  const std::string prompt = argc > 1 && argv[1] != nullptr ? argv[1] : "";
  const char* token = std::getenv("QGATE_GIT_TOKEN");
  if (token == nullptr || token[0] == '\0') return 1;
  std::string answer;
  if (prompt.starts_with("Username")) {
    const char* user = std::getenv("QGATE_GIT_USERNAME");
    answer = user != nullptr && user[0] != '\0' ? user : "x-access-token";
  } else if (prompt.starts_with("Password")) {
    answer = token;
  } else {
    // Anything else (a host key question) is not ours to answer.
    return 1;
  }
  answer += "\n";
  std::size_t written = 0;
  while (written < answer.size()) {
    const ssize_t n = ::write(1, answer.data() + written, answer.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 1;
    written += static_cast<std::size_t>(n);
  }
  return 0;
}

fs::path find_executable(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string folders = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= folders.size()) {
    const auto colon = folders.find(':', start);
    const std::string folder =
        folders.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (!folder.empty() && folder.front() == '/') {
      const fs::path candidate = fs::path(folder) / name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return {};
}

}  // namespace qgate
