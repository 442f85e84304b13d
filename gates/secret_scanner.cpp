#include "gates/secret_scanner.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <system_error>
#include <thread>

#include "gates/finding_fingerprints.hpp"
#include "gates/module_files.hpp"
#include "runner/git/git_query.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;

// The inline marker that allows the secret on its line.
constexpr std::string_view kAllowMarker = "qgate:allow-secret";
// A NUL byte this early means the file is not text.
constexpr std::size_t kBinaryProbeBytes = 8192;
// run_git keeps this much of git's output; a listing that fills it is cut short.
constexpr std::size_t kGitOutputCap = 8u << 20;

struct Allowlist {
  std::set<std::string, std::less<>> fingerprints;
  std::vector<std::string> paths;  // globs of files not scanned at all
};

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

bool is_hex_fingerprint(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

// Reads the allowlist `name` (relative to `module_dir`). A missing file is an
// empty list unless it was configured (`required`).
Allowlist read_allowlist(const fs::path& module_dir, const std::string& name, bool required) {
  Allowlist allowlist;
  std::error_code ignored;
  if (fs::is_directory(module_dir / name, ignored)) {
    throw SecretAllowlistError(name + ": the secrets allowlist is a folder, not a file");
  }
  std::ifstream in(module_dir / name, std::ios::binary);
  if (!in) {
    const int problem = errno;
    if (!required && !fs::exists(fs::symlink_status(module_dir / name, ignored))) return allowlist;
    throw SecretAllowlistError(name +
                               ": cannot read the secrets allowlist: " + std::strerror(problem));
  }
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::string_view entry = trim(line);
    // A comment is a whole line, or the rest of one after whitespace.
    if (entry.empty() || entry.front() == '#') continue;
    if (const auto hash = entry.find(" #"); hash != std::string_view::npos) {
      entry = trim(entry.substr(0, hash));
    }
    if (entry.substr(0, 5) == "path:") {
      const std::string_view glob = trim(entry.substr(5));
      if (glob.empty()) {
        throw SecretAllowlistError(name + ":" + std::to_string(number) +
                                   ": path: needs a glob (e.g. path:tests/fixtures/**)");
      }
      allowlist.paths.emplace_back(glob.substr(0, 2) == "./" ? glob.substr(2) : glob);
    } else if (is_hex_fingerprint(entry)) {
      std::string fingerprint(entry);
      std::transform(fingerprint.begin(), fingerprint.end(), fingerprint.begin(),
                     [](char c) { return c >= 'A' && c <= 'F' ? static_cast<char>(c + 32) : c; });
      allowlist.fingerprints.insert(std::move(fingerprint));
    } else {
      // The entry is not echoed: it might be a secret pasted in by mistake.
      throw SecretAllowlistError(
          name + ":" + std::to_string(number) +
          ": expected a finding fingerprint (64 hex digits) or path:GLOB, got " +
          std::to_string(entry.size()) + " other characters");
    }
  }
  if (in.bad()) throw SecretAllowlistError(name + ": read error");
  return allowlist;
}

// Returns true if one of `globs` matches `path` or a folder above it.
bool matches_path_or_folder(const std::vector<std::string>& globs, std::string_view path) {
  for (const auto& glob : globs) {
    if (glob_matches(glob, path)) return true;
    for (auto slash = path.find('/'); slash != std::string_view::npos;
         slash = path.find('/', slash + 1)) {
      if (glob_matches(glob, path.substr(0, slash))) return true;
    }
  }
  return false;
}

bool is_vendored_folder(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kFolders = {
      "node_modules",     "vendor",        "third_party", "third-party",
      "bower_components", "jspm_packages", "Pods",        "Carthage",
      "site-packages",    "__pycache__",   ".venv",       ".yarn"};
  return std::find(kFolders.begin(), kFolders.end(), name) != kFolders.end();
}

bool is_walk_skipped_folder(std::string_view name) {
  return name == ".git" || name == ".qgate" || name == "build" || name.rfind("build-", 0) == 0 ||
         name.rfind("cmake-build-", 0) == 0;
}

// Appends the paths `git ls-files -z <args> -- .` lists under `module_dir`;
// false when it is not in a git work tree (or git is missing). Throws for any
// other git failure.
bool list_git_files(const fs::path& module_dir, std::vector<std::string> args,
                    std::vector<std::string>& files) {
  args.insert(args.begin(), {"ls-files", "-z"});
  args.insert(args.end(), {"--", "."});
  const GitAnswer answer = run_git(module_dir, args, true);
  if (answer.exit_code == -1) return false;  // no git: every file is the module's
  if (answer.exit_code != 0) {
    if (answer.error_output.find("not a git repository") != std::string::npos) return false;
    throw std::runtime_error("git ls-files failed in " + module_dir.string() + ": " +
                             answer.error_output);
  }
  if (answer.output.size() >= kGitOutputCap) {
    throw std::runtime_error("git ls-files listed more than 8 MB of paths in " +
                             module_dir.string() + ": too many files to scan");
  }
  std::string_view rest = answer.output;
  while (!rest.empty()) {
    const auto end = rest.find('\0');
    files.emplace_back(rest.substr(0, end));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return true;
}

// Returns true if a folder of the '/'-separated `relative_path` is tool state
// or build output (a new file there is not the module's own).
bool in_walk_skipped_folder(std::string_view relative_path) {
  std::size_t start = 0;
  for (auto slash = relative_path.find('/'); slash != std::string_view::npos;
       slash = relative_path.find('/', start)) {
    if (is_walk_skipped_folder(relative_path.substr(start, slash - start))) return true;
    start = slash + 1;
  }
  return false;
}

// Lists every file under `module_dir` but tool state and build output;
// vendored folders are counted, not entered.
void walk_files(const fs::path& module_dir, std::vector<std::string>& files,
                SecretScanResult& result) {
  std::error_code error;
  fs::recursive_directory_iterator it(module_dir, error);
  if (error) {
    result.errors.push_back(module_dir.string() + ": cannot list: " + error.message());
    return;
  }
  for (; it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (error) {
      result.errors.push_back(module_relative(module_dir, it->path()) +
                              ": cannot list: " + error.message());
      error.clear();
      continue;
    }
    const std::string name = it->path().filename().string();
    if (it->is_directory(error) && !it->is_symlink(error)) {
      if (is_walk_skipped_folder(name)) {
        it.disable_recursion_pending();
      } else if (is_vendored_folder(name)) {
        it.disable_recursion_pending();
        ++result.skipped_vendored;
      }
      continue;
    }
    if (it->is_regular_file(error) && !it->is_symlink(error)) {
      files.push_back(module_relative(module_dir, it->path()));
    }
  }
  std::sort(files.begin(), files.end());
}

// What happened to one file.
struct FileOutcome {
  enum class Kind { scanned, gone, binary, large, error } kind = Kind::gone;
  std::uintmax_t bytes = 0;
  std::vector<Finding> findings;
  std::size_t allowed = 0;
  std::string error;
};

// Scans files on one thread, reusing one read buffer.
class FileScanner {
 public:
  FileScanner(const fs::path& module_dir, const SecretScanOptions& options,
              const SecretMatcher& matcher, const Allowlist& allowlist)
      : module_dir_(module_dir), options_(options), matcher_(matcher), allowlist_(allowlist) {}

  FileOutcome scan(const std::string& path) {
    FileOutcome outcome;
    // O_NONBLOCK: a FIFO in the work tree must not hang the scan.
    const int fd =
        ::open((module_dir_ / path).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
      // Deleted since it was committed, a symlink, or under a replaced folder.
      if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) return outcome;
      outcome.kind = FileOutcome::Kind::error;
      outcome.error = path + ": cannot read: " + std::strerror(errno);
      return outcome;
    }
    const bool read_ok = read_all(fd, path, outcome);
    ::close(fd);
    if (!read_ok) return outcome;
    const std::string_view text(buffer_.data(), size_);
    if (std::memchr(text.data(), '\0', std::min(size_, kBinaryProbeBytes)) != nullptr) {
      outcome.kind = FileOutcome::Kind::binary;
      return outcome;
    }
    outcome.kind = FileOutcome::Kind::scanned;
    outcome.bytes = size_;
    report(path, text, outcome);
    return outcome;
  }

 private:
  // Reads the open file `fd` into buffer_; false (with `outcome` set) if it
  // is not scanned.
  bool read_all(int fd, const std::string& path, FileOutcome& outcome) {
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) return false;
    const auto limit = options_.max_file_bytes;
    if (static_cast<std::uintmax_t>(info.st_size) > limit) {
      outcome.kind = FileOutcome::Kind::large;
      return false;
    }
    size_ = 0;
    buffer_.resize(std::max<std::size_t>(static_cast<std::size_t>(info.st_size) + 1, 4096));
    while (true) {
      if (size_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
      const ssize_t n = ::read(fd, buffer_.data() + size_, buffer_.size() - size_);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        outcome.kind = FileOutcome::Kind::error;
        outcome.error = path + ": cannot read: " + std::strerror(errno);
        return false;
      }
      if (n == 0) break;
      size_ += static_cast<std::size_t>(n);
      if (size_ > limit) {  // it grew while being read
        outcome.kind = FileOutcome::Kind::large;
        return false;
      }
    }
    return true;
  }

  void report(const std::string& path, std::string_view text, FileOutcome& outcome) {
    std::size_t line = 1;
    std::size_t line_start = 0;
    std::size_t counted = 0;  // newlines before here are in `line`
    for (const SecretMatch& match : matcher_.find(text)) {
      for (; counted < match.begin; ++counted) {
        if (text[counted] == '\n') {
          ++line;
          line_start = counted + 1;
        }
      }
      const std::size_t line_end = std::min(text.find('\n', match.begin), text.size());
      const std::string_view line_text = text.substr(line_start, line_end - line_start);
      const std::string_view secret = text.substr(match.begin, match.end - match.begin);
      Finding finding;
      finding.fingerprint = secret_fingerprint(match.rule, path, secret);
      if (line_text.find(kAllowMarker) != std::string_view::npos ||
          allowlist_.fingerprints.contains(finding.fingerprint)) {
        ++outcome.allowed;
        continue;
      }
      finding.rule = match.rule;
      finding.severity = match.severity;
      finding.message = match.description;
      finding.file = path;
      finding.line = static_cast<int>(line);
      finding.column = static_cast<int>(match.begin - line_start + 1);
      outcome.findings.push_back(std::move(finding));
    }
  }

  const fs::path& module_dir_;
  const SecretScanOptions& options_;
  const SecretMatcher& matcher_;
  const Allowlist& allowlist_;
  std::vector<char> buffer_;
  std::size_t size_ = 0;
};

unsigned worker_count(const SecretScanOptions& options, std::size_t files) {
  unsigned wanted = options.threads;
  if (wanted == 0) wanted = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  return static_cast<unsigned>(std::min<std::size_t>(wanted, files));
}

}  // namespace

bool is_vendored_path(std::string_view relative_path) {
  static constexpr std::array<std::string_view, 18> kLockfiles = {"package-lock.json",
                                                                  "npm-shrinkwrap.json",
                                                                  "yarn.lock",
                                                                  "pnpm-lock.yaml",
                                                                  "bun.lockb",
                                                                  "Cargo.lock",
                                                                  "Gemfile.lock",
                                                                  "poetry.lock",
                                                                  "Pipfile.lock",
                                                                  "composer.lock",
                                                                  "go.sum",
                                                                  "mix.lock",
                                                                  "pubspec.lock",
                                                                  "Podfile.lock",
                                                                  "packages.lock.json",
                                                                  "flake.lock",
                                                                  "uv.lock",
                                                                  "gradle.lockfile"};
  static constexpr std::array<std::string_view, 11> kGeneratedSuffixes = {
      ".min.js", ".min.mjs", ".min.css", ".js.map",      ".css.map", ".pb.go",
      ".pb.cc",  ".pb.h",    "_pb2.py",  "_pb2_grpc.py", ".g.dart"};
  std::size_t start = 0;
  for (auto slash = relative_path.find('/'); slash != std::string_view::npos;
       slash = relative_path.find('/', start)) {
    if (is_vendored_folder(relative_path.substr(start, slash - start))) return true;
    start = slash + 1;
  }
  const std::string_view name = relative_path.substr(start);
  if (std::find(kLockfiles.begin(), kLockfiles.end(), name) != kLockfiles.end()) return true;
  return std::any_of(kGeneratedSuffixes.begin(), kGeneratedSuffixes.end(), [&](auto suffix) {
    return name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
  });
}

std::string secret_fingerprint(std::string_view rule, std::string_view path,
                               std::string_view secret) {
  std::string input;
  input.reserve(rule.size() + path.size() + secret.size() + 2);
  input.append(rule).append(":").append(path).append(":").append(secret);
  std::string hex = sha256_hex(input);
  std::fill(input.begin(), input.end(), '\0');
  return hex;
}

SecretScanResult scan_secrets(const fs::path& module_dir, const SecretScanOptions& options) {
  const bool configured = !options.allowlist.empty();
  const Allowlist allowlist = read_allowlist(
      module_dir, configured ? options.allowlist : std::string(kDefaultSecretAllowlist),
      configured);

  SecretScanResult result;
  std::vector<std::string> listed;
  result.tracked_only = list_git_files(module_dir, {"--cached"}, listed);
  // The untracked files git does not ignore are new code about to be
  // committed: a secret in them is as leaked as in a tracked one.
  std::size_t first_untracked = listed.size();
  if (result.tracked_only) {
    list_git_files(module_dir, {"--others", "--exclude-standard"}, listed);
  } else {
    walk_files(module_dir, listed, result);
    first_untracked = listed.size();
  }

  std::vector<std::string> files;
  std::vector<bool> untracked;
  files.reserve(listed.size());
  for (std::size_t i = 0; i < listed.size(); ++i) {
    auto& path = listed[i];
    if (i >= first_untracked && in_walk_skipped_folder(path)) {
      // qgate's own state and build output that no .gitignore names yet.
      continue;
    }
    if (is_vendored_path(path)) {
      ++result.skipped_vendored;
    } else if (matches_path_or_folder(options.exclude, path)) {
      ++result.skipped_excluded;
    } else if (matches_path_or_folder(allowlist.paths, path)) {
      ++result.skipped_allowlisted;
    } else {
      files.push_back(std::move(path));
      untracked.push_back(i >= first_untracked);
    }
  }

  const SecretMatcher matcher(options.entropy);
  std::vector<FileOutcome> outcomes(files.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    FileScanner scanner(module_dir, options, matcher, allowlist);
    for (std::size_t i = next++; i < files.size(); i = next++) {
      try {
        outcomes[i] = scanner.scan(files[i]);
      } catch (const std::exception& error) {
        outcomes[i].kind = FileOutcome::Kind::error;
        outcomes[i].error = files[i] + ": " + error.what();
      }
    }
  };
  const unsigned workers = worker_count(options, files.size());
  if (workers <= 1) {
    work();
  } else {
    std::vector<std::jthread> pool;
    for (unsigned i = 0; i < workers; ++i) pool.emplace_back(work);
  }  // the pool joins here: no scanning thread outlives the scan

  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    FileOutcome& outcome = outcomes[i];
    switch (outcome.kind) {
      case FileOutcome::Kind::scanned:
        ++result.files_scanned;
        if (untracked[i]) ++result.untracked_scanned;
        result.bytes_scanned += outcome.bytes;
        break;
      case FileOutcome::Kind::binary:
        ++result.skipped_binary;
        break;
      case FileOutcome::Kind::large:
        ++result.skipped_large;
        break;
      case FileOutcome::Kind::error:
        result.errors.push_back(std::move(outcome.error));
        break;
      case FileOutcome::Kind::gone:
        break;
    }
    result.allowed += outcome.allowed;
    for (auto& finding : outcome.findings) result.findings.push_back(std::move(finding));
  }
  return result;
}

}  // namespace qgate
