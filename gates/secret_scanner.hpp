#pragma once
// The built-in secret scan of a module: the files git tracks in the module
// folder and the untracked ones it does not ignore (every file, when the folder
// is not in a git work tree), searched for
// tokens, keys and passwords. Findings name the kind and a masked form; the
// secret itself never leaves the scanner except as part of a SHA-256 hash.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gates/secret_rules.hpp"
#include "runner/core/result.hpp"

namespace qgate {

// The allowlist read when none is configured, if the module has one.
inline constexpr std::string_view kDefaultSecretAllowlist = ".qgate-secrets-allow";

// How to scan (the keys of `gates.security.secrets`).
struct SecretScanOptions {
  std::vector<std::string> exclude;  // globs relative to the module folder
  EntropyCheck entropy = EntropyCheck::on;
  std::uintmax_t max_file_bytes = 10 * 1024 * 1024;
  std::string
      allowlist;         // relative to the module folder; empty: kDefaultSecretAllowlist if present
  unsigned threads = 0;  // 0: one per core, at most 8
};

// What a scan found and what it passed over.
struct SecretScanResult {
  std::vector<Finding> findings;  // ordered by file, line, column
  std::size_t files_scanned = 0;
  std::size_t untracked_scanned = 0;  // of files_scanned: new files git does not ignore
  std::uintmax_t bytes_scanned = 0;
  std::size_t skipped_binary = 0;       // a NUL byte in the first 8 KB
  std::size_t skipped_vendored = 0;     // dependencies, lockfiles, minified or generated code
  std::size_t skipped_large = 0;        // above max_file_bytes
  std::size_t skipped_excluded = 0;     // matched an `exclude` glob
  std::size_t skipped_allowlisted = 0;  // matched a `path:` line of the allowlist
  std::size_t allowed = 0;    // findings allowed by fingerprint or a qgate:allow-secret marker
  bool tracked_only = false;  // the files came from git: tracked ones and untracked ones
                              // that git does not ignore, not a walk of the folder
  std::vector<std::string> errors;  // "FILE: problem" for what could not be read
};

// Thrown for an allowlist that cannot be read or parsed; what() names the
// file and line.
struct SecretAllowlistError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Scans the module in `module_dir` (absolute). Files that cannot be read are
// listed in SecretScanResult::errors; the rest are still scanned. Throws
// SecretAllowlistError for a bad allowlist. Worker threads are joined before
// it returns.
SecretScanResult scan_secrets(const std::filesystem::path& module_dir,
                              const SecretScanOptions& options);

// Returns the hex SHA-256 of "`rule`:`path`:`secret`": the fingerprint that
// names one secret in the allowlist.
std::string secret_fingerprint(std::string_view rule, std::string_view path,
                               std::string_view secret);

// Returns true if the '/'-separated `relative_path` holds dependencies,
// lockfiles, minified or generated code rather than the module's own sources.
bool is_vendored_path(std::string_view relative_path);

}  // namespace qgate
