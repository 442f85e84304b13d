// The built-in secret scan on real git repositories made here. Every secret is
// put together at run time from pieces, so that this file holds none that a
// scanner (qgate's own included) would find.
#include "gates/secret_scanner.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <regex>
#include <tuple>

#include "gates/builtin_check.hpp"
#include "gates/security.hpp"
#include "tests/test_support.hpp"

namespace qgate {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::run_command;
using testing::TempDir;
using testing::write_file;

constexpr std::string_view kUpperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr std::string_view kAlnum =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::string_view kDigits = "0123456789";

// `n` characters drawn from `alphabet`, the same for the same `seed`.
std::string random_chars(std::size_t n, std::string_view alphabet, unsigned seed) {
  std::mt19937 engine(seed);
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(alphabet[pick(engine)]);
  return out;
}

// Real-looking secrets of each kind, in the formats the providers issue.
struct Secrets {
  std::string github = std::string("gh") + "p_" + random_chars(36, kAlnum, 1);
  std::string github_pat = std::string("github") + "_pat_" + random_chars(22, kAlnum, 2) + "_" +
                           random_chars(59, kAlnum, 3);
  std::string gitlab = std::string("gl") + "pat-" + random_chars(20, kAlnum, 4);
  std::string slack = std::string("xo") + "xb-" + random_chars(12, kDigits, 5) + "-" +
                      random_chars(13, kDigits, 6) + "-" + random_chars(24, kAlnum, 7);
  std::string slack_webhook =
      std::string("https://hooks.") + "slack.com/services/T" + random_chars(8, kUpperDigits, 8) +
      "/B" + random_chars(10, kUpperDigits, 9) + "/" + random_chars(24, kAlnum, 10);
  std::string stripe = std::string("sk") + "_live_" + random_chars(24, kAlnum, 11);
  std::string google = std::string("AI") + "za" + random_chars(35, kAlnum, 12);
  std::string npm = std::string("np") + "m_" + random_chars(36, kAlnum, 13);
  std::string aws_id = std::string("AK") + "IA" + random_chars(16, kUpperDigits, 14);
  std::string aws_secret = random_chars(40, kAlnum, 15);
  std::string jwt = std::string("ey") + "J" + random_chars(30, kAlnum, 16) + ".ey" + "J" +
                    random_chars(60, kAlnum, 17) + "." + random_chars(43, kAlnum, 18);
  std::string db_password = random_chars(18, kAlnum, 19);
  std::string api_key = random_chars(32, kAlnum, 20);
  std::string key_body;  // the base64 lines of a private key

  Secrets() {
    for (unsigned line = 0; line < 8; ++line)
      key_body += random_chars(64, kAlnum, 30 + line) + "\n";
  }
  std::string private_key(const std::string& kind) const {
    return "-----BEGIN " + kind + "PRIVATE" + " KEY-----\n" + key_body + "-----END " + kind +
           "PRIVATE" + " KEY-----\n";
  }
  // Every secret, to check that none leaks anywhere.
  std::vector<std::string> all() const {
    return {github,
            github_pat,
            gitlab,
            slack,
            slack_webhook.substr(24),
            stripe,
            google,
            npm,
            aws_id,
            aws_secret,
            jwt,
            db_password,
            api_key,
            key_body.substr(0, 64)};
  }
};

void git(const fs::path& dir, const std::string& command) {
  const auto result = run_command(
      "git -c user.name=t -c user.email=t@example.com -c init.defaultBranch=main " + command, dir);
  ASSERT_EQ(result.exit_code, 0) << command << ": " << result.output;
}

// Turns `dir` into a repository with every file in it committed.
void commit_all(const fs::path& dir) {
  if (!fs::exists(dir / ".git")) git(dir, "init -q .");
  git(dir, "add -A");
  git(dir, "commit -q -m files");
}

using Place = std::tuple<std::string, std::string, int, int>;  // rule, file, line, column

std::vector<Place> places(const std::vector<Finding>& findings) {
  std::vector<Place> out;
  for (const auto& f : findings) out.emplace_back(f.rule, f.file, f.line, f.column);
  return out;
}

SecretScanOptions one_thread() {
  SecretScanOptions options;
  options.threads = 1;
  return options;
}

// A module with one secret of each kind, at known lines and columns.
void write_leaky_module(const fs::path& dir, const Secrets& s) {
  write_file(dir / "config/settings.py",
             "# settings\n"
             "GITHUB = '" +
                 s.github + "'\n" +                      // line 2
                 "gl = \"" + s.gitlab + "\"\n" +         // line 3
                 "SLACK_BOT = \"" + s.slack + "\"\n" +   // line 4
                 "hook = '" + s.slack_webhook + "'\n" +  // line 5
                 "stripe.api = '" + s.stripe + "'\n" +   // line 6
                 "maps = '" + s.google + "'\n" +         // line 7
                 "DATABASE = 'postgres" + "ql://app:" + s.db_password + "@db.internal:5432/app'\n" +
                 "api_key = \"" + s.api_key + "\"\n");  // line 9
  write_file(dir / ".npmrc", "//registry.npmjs.org/:_auth" + std::string("Token=") + s.npm + "\n");
  write_file(dir / "deploy/aws.env",
             "AWS_ACCESS_KEY_ID=" + s.aws_id + "\nAWS_SECRET_ACCESS_KEY=" + s.aws_secret + "\n");
  write_file(dir / "keys/id_rsa", s.private_key("RSA "));
  write_file(dir / "keys/ci.pem", "some text\n" + s.private_key("OPENSSH "));
  write_file(dir / "src/client.ts", "const auth = `Bearer ${token}`;\nconst jwt = \"" + s.jwt +
                                        "\";\nconst fine = \"" + s.github_pat + "\";\n");
}

const std::vector<Place> kLeakyFindings = {
    {"secret.npm-token", ".npmrc", 1, 34},
    {"secret.github-token", "config/settings.py", 2, 11},
    {"secret.gitlab-token", "config/settings.py", 3, 7},
    {"secret.slack-token", "config/settings.py", 4, 14},
    {"secret.slack-webhook", "config/settings.py", 5, 9},
    {"secret.stripe-live-key", "config/settings.py", 6, 15},
    {"secret.google-api-key", "config/settings.py", 7, 9},
    {"secret.database-url-password", "config/settings.py", 8, 30},
    {"secret.generic-secret", "config/settings.py", 9, 12},
    {"secret.aws-access-key-id", "deploy/aws.env", 1, 19},
    {"secret.aws-secret-access-key", "deploy/aws.env", 2, 23},
    {"secret.private-key", "keys/ci.pem", 2, 1},
    {"secret.private-key", "keys/id_rsa", 1, 1},
    {"secret.jwt", "src/client.ts", 2, 14},
    {"secret.github-token", "src/client.ts", 3, 15},
};

TEST(SecretScanner, FindsEachKindOfSecretInTrackedFiles) {
  TempDir dir;
  const Secrets s;
  write_leaky_module(dir.path(), s);
  commit_all(dir.path());
  const SecretScanResult result = scan_secrets(dir.path(), one_thread());
  EXPECT_TRUE(result.tracked_only);
  EXPECT_TRUE(result.errors.empty());
  EXPECT_EQ(places(result.findings), kLeakyFindings);
  EXPECT_EQ(result.files_scanned, 6u);
  for (const auto& finding : result.findings) {
    EXPECT_EQ(finding.severity,
              finding.rule == "secret.private-key" ? Severity::critical : Severity::high);
  }
}

TEST(SecretScanner, MessagesShowKindAndMaskedFormButNeverTheSecret) {
  TempDir dir;
  const Secrets s;
  write_leaky_module(dir.path(), s);
  commit_all(dir.path());
  const SecretScanResult result = scan_secrets(dir.path(), one_thread());
  ASSERT_EQ(result.findings.size(), kLeakyFindings.size());
  for (const auto& finding : result.findings) {
    for (const auto& secret : s.all()) {
      EXPECT_EQ(finding.message.find(secret.substr(secret.size() / 2)), std::string::npos)
          << finding.rule << ": " << finding.message;
    }
  }
  EXPECT_EQ(result.findings[1].message, "GitHub token ghp_\u2026(40 chars)");
  EXPECT_EQ(result.findings[6].message, "Google API key AIza\u2026(39 chars)");
  EXPECT_EQ(result.findings[7].message, "password in a postgresql:// URL \u2026(18 chars)");
  EXPECT_EQ(result.findings[8].message, "high-entropy value assigned to api_key \u2026(32 chars)");
  EXPECT_EQ(result.findings[11].message, "OPENSSH private key");
  EXPECT_EQ(result.findings[14].message, "GitHub fine-grained token github_pat_\u2026(93 chars)");
}

TEST(SecretScanner, FingerprintIsSha256OfRulePathAndSecret) {
  TempDir dir;
  const Secrets s;
  write_file(dir / "a.txt", "token " + s.github + "\n");
  commit_all(dir.path());
  const SecretScanResult result = scan_secrets(dir.path(), one_thread());
  ASSERT_EQ(result.findings.size(), 1u);
  write_file(dir / "input", "secret.github-token:a.txt:" + s.github);
  const auto sum = run_command("sha256sum input | cut -c1-64", dir.path());
  ASSERT_EQ(sum.exit_code, 0);
  EXPECT_EQ(result.findings[0].fingerprint + "\n", sum.output);
  fs::remove(dir / "input");  // a new file holding the secret would be scanned too
  // Moving the secret to another line keeps its fingerprint.
  write_file(dir / "a.txt", "\n\nsee " + s.github + "\n");
  const SecretScanResult moved = scan_secrets(dir.path(), one_thread());
  ASSERT_EQ(moved.findings.size(), 1u);
  EXPECT_EQ(moved.findings[0].line, 3);
  EXPECT_EQ(moved.findings[0].fingerprint, result.findings[0].fingerprint);
}

TEST(SecretScanner, NewFilesGitDoesNotIgnoreAreScannedIgnoredOnesAreNot) {
  TempDir dir;
  const Secrets s;
  write_file(dir / "tracked.txt", "nothing here\n");
  write_file(dir / ".gitignore", "*.log\n");
  commit_all(dir.path());
  // A new file, never added: about to be committed, so its secret counts.
  write_file(dir / "config.py", "AWS_ACCESS_KEY_ID = \"" + s.aws_id +
                                    "\"\nAWS_SECRET_ACCESS_KEY = \"" + s.aws_secret + "\"\n");
  write_file(dir / "debug.log", s.stripe + "\n");
  // qgate's own state is never the module's code, ignored or not.
  write_file(dir / ".qgate/runs/r1/lint/step.log", s.github + "\n");
  const SecretScanResult result = scan_secrets(dir.path(), one_thread());
  EXPECT_EQ(places(result.findings),
            (std::vector<Place>{{"secret.aws-access-key-id", "config.py", 1, 22},
                                {"secret.aws-secret-access-key", "config.py", 2, 26}}));
  EXPECT_EQ(result.files_scanned, 3u);
  EXPECT_EQ(result.untracked_scanned, 1u);
}

TEST(SecretScanner, NewFileInANewFolderOfASubfolderModuleIsScanned) {
  TempDir dir;
  const Secrets s;
  write_file(dir / "service/app.py", "print('hi')\n");
  commit_all(dir.path());
  write_file(dir / "service/settings/config.py", "token = '" + s.github + "'\n");
  write_file(dir / "other/new.py", "token = '" + s.npm + "'\n");
  const SecretScanResult result = scan_secrets(dir / "service", one_thread());
  EXPECT_EQ(places(result.findings),
            (std::vector<Place>{{"secret.github-token", "settings/config.py", 1, 10}}));
}

TEST(SecretScanner, ModuleInASubfolderScansOnlyItsOwnFiles) {
  TempDir dir;
  const Secrets s;
  write_file(dir / "other/leak.txt", s.github + "\n");
  write_file(dir / "service/src/leak.txt", "x = " + s.npm + "\n");
  commit_all(dir.path());
  const SecretScanResult result = scan_secrets(dir / "service", one_thread());
  EXPECT_EQ(places(result.findings),
            (std::vector<Place>{{"secret.npm-token", "src/leak.txt", 1, 5}}));
}

TEST(SecretScanner, SkipsBinaryVendoredOversizedAndExcludedFiles) {
  TempDir dir;
  const Secrets s;
  std::string binary = "\x89PNG\r\n";
  binary.push_back('\0');
  binary += s.github + "\n";
  write_file(dir / "img/logo.png", binary);
  write_file(dir / "node_modules/lib/index.js", s.github + "\n");
  write_file(dir / "third_party/x/key.txt", s.github + "\n");
  write_file(dir / "web/app.min.js", s.github + "\n");
  write_file(dir / "package-lock.json", s.github + "\n");
  write_file(dir / "data/big.txt", std::string(2000, 'a') + "\n" + s.github + "\n");
  write_file(dir / "docs/examples/leak.md", s.github + "\n");
  write_file(dir / "src/ok.txt", "all clear\n");
  commit_all(dir.path());
  SecretScanOptions options = one_thread();
  options.max_file_bytes = 1000;
  options.exclude = {"docs/examples"};
  const SecretScanResult result = scan_secrets(dir.path(), options);
  EXPECT_TRUE(result.findings.empty()) << result.findings.front().file;
  EXPECT_EQ(result.files_scanned, 1u);
  EXPECT_EQ(result.skipped_binary, 1u);
  EXPECT_EQ(result.skipped_vendored, 4u);
  EXPECT_EQ(result.skipped_large, 1u);
  EXPECT_EQ(result.skipped_excluded, 1u);
  // With the limits lifted the same files do report (the skips are what hid them).
  options.max_file_bytes = 10 * 1024 * 1024;
  options.exclude.clear();
  EXPECT_EQ(scan_secrets(dir.path(), options).findings.size(), 2u);
}

TEST(SecretScanner, AllowlistByFingerprintPathGlobOrInlineMarker) {
  TempDir dir;
  const Secrets s;
  write_file(dir / "a.txt", s.github + "\n" + s.stripe + "\n");
  write_file(dir / "b.txt",
             "x = '" + s.google + "'  # test key qgate:allow-secret\n" + s.npm + "\n");
  write_file(dir / "tests/fixtures/leak.txt", s.gitlab + "\n");
  commit_all(dir.path());
  const SecretScanResult before = scan_secrets(dir.path(), one_thread());
  ASSERT_EQ(places(before.findings),
            (std::vector<Place>{{"secret.github-token", "a.txt", 1, 1},
                                {"secret.stripe-live-key", "a.txt", 2, 1},
                                {"secret.npm-token", "b.txt", 2, 1},
                                {"secret.gitlab-token", "tests/fixtures/leak.txt", 1, 1}}));
  EXPECT_EQ(before.allowed, 1u);  // the inline marker
  std::string upper = before.findings[1].fingerprint;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  write_file(dir / ".qgate-secrets-allow",
             "# fixtures of the scanner's own tests\n"
             "path: tests/fixtures/**\n\n" +
                 before.findings[0].fingerprint + "   # rotated on 2026-11-01\n" + upper + "\n");
  const SecretScanResult after = scan_secrets(dir.path(), one_thread());
  EXPECT_EQ(places(after.findings), (std::vector<Place>{{"secret.npm-token", "b.txt", 2, 1}}));
  EXPECT_EQ(after.allowed, 3u);
  EXPECT_EQ(after.skipped_allowlisted, 1u);
  // A configured allowlist replaces the default one.
  write_file(dir / "ci/secrets.allow", "path:*.txt\n");
  SecretScanOptions options = one_thread();
  options.allowlist = "ci/secrets.allow";
  EXPECT_EQ(places(scan_secrets(dir.path(), options).findings),
            (std::vector<Place>{{"secret.gitlab-token", "tests/fixtures/leak.txt", 1, 1}}));
}

TEST(SecretScanner, MalformedOrMissingAllowlistIsAnErrorNamingTheFile) {
  TempDir dir;
  const Secrets s;
  write_file(dir / "a.txt", "fine\n");
  write_file(dir / ".qgate-secrets-allow", "# ok\npath:src/**\n" + s.stripe + "\n");
  commit_all(dir.path());
  try {
    scan_secrets(dir.path(), one_thread());
    FAIL() << "a malformed allowlist was accepted";
  } catch (const SecretAllowlistError& error) {
    const std::string what = error.what();
    EXPECT_EQ(what,
              ".qgate-secrets-allow:3: expected a finding fingerprint (64 hex digits) or "
              "path:GLOB, got 32 other characters");
    EXPECT_EQ(what.find(s.stripe), std::string::npos);  // a pasted secret is not echoed
  }
  write_file(dir / ".qgate-secrets-allow", "path:\n");
  EXPECT_THROW(
      {
        try {
          scan_secrets(dir.path(), one_thread());
        } catch (const SecretAllowlistError& error) {
          EXPECT_STREQ(error.what(),
                       ".qgate-secrets-allow:1: path: needs a glob (e.g. path:tests/fixtures/**)");
          throw;
        }
      },
      SecretAllowlistError);
  SecretScanOptions options = one_thread();
  options.allowlist = "secrets.allowlist";
  try {
    scan_secrets(dir.path(), options);
    FAIL() << "a configured allowlist that does not exist was ignored";
  } catch (const SecretAllowlistError& error) {
    EXPECT_STREQ(error.what(),
                 "secrets.allowlist: cannot read the secrets allowlist: No such file or directory");
  }
}

TEST(SecretScanner, EntropyCheckTurnsGenericAssignmentsOnAndOff) {
  TempDir dir;
  const Secrets s;
  write_file(dir / "app.yaml",
             "password: \"correct-horse-battery\"\n"  // words: low entropy
             "client_secret: \"" +
                 s.api_key + "\"\n" +  // random: reported
                 "token_url: \"" + s.api_key.substr(0, 20) +
                 "\"\n" +                              // names a place, not a secret
                 "db_password = \"${DB_PASSWORD}\"\n"  // a reference
                 "secret_key = '" +
                 s.github + "'\n");  // a GitHub token, reported once
  commit_all(dir.path());
  SecretScanOptions options = one_thread();
  EXPECT_EQ(places(scan_secrets(dir.path(), options).findings),
            (std::vector<Place>{{"secret.generic-secret", "app.yaml", 2, 17},
                                {"secret.github-token", "app.yaml", 5, 15}}));
  options.entropy = EntropyCheck::off;
  EXPECT_EQ(places(scan_secrets(dir.path(), options).findings),
            (std::vector<Place>{{"secret.github-token", "app.yaml", 5, 15}}));
  EXPECT_LT(shannon_entropy("correct-horse-battery"), 3.5);
  EXPECT_GT(shannon_entropy(s.api_key), 3.5);
}

TEST(SecretScanner, PlaceholdersPatternsAndReferencesAreNotSecrets) {
  TempDir dir;
  write_file(dir / "README.md",
             "Set GITHUB_TOKEN to a token like gh"
             "p_" +
                 std::string(36, 'x') + ".\n" +
                 "AWS documents the key id AK"
                 "IAIOSFODNN7EXAMPLE.\n"
                 "Keys start with -----BEGIN "
                 "RSA PRIVATE"
                 " KEY----- and end with a footer.\n"
                 "DATABASE_URL=postgres://app:${DB_PASSWORD}@db/app\n"
                 "mysql://root:password@localhost/test\n");
  write_file(dir / "scan.py", "PATTERN = r'gh[pousr]_[A-Za-z0-9]{36}'\n");
  commit_all(dir.path());
  const SecretScanResult result = scan_secrets(dir.path(), one_thread());
  EXPECT_TRUE(result.findings.empty()) << result.findings.front().rule;
  EXPECT_EQ(result.files_scanned, 2u);
}

TEST(SecretScanner, PgpEncryptedAndDsaKeyBlocksAreFound) {
  TempDir dir;
  const Secrets s;
  const std::string begin = "-----BEGIN ";
  const std::string end = "-----END ";
  write_file(dir / "keys/pgp.asc", begin + "PGP PRIVATE" +
                                       " KEY BLOCK-----\nVersion: GnuPG v2\n\n" + s.key_body +
                                       "=AbCd\n" + end + "PGP PRIVATE KEY BLOCK-----\n");
  write_file(dir / "keys/enc.pem", begin + "ENCRYPTED PRIVATE" + " KEY-----\n" + s.key_body + end +
                                       "ENCRYPTED PRIVATE KEY-----\n");
  write_file(dir / "keys/legacy.pem", begin + "RSA PRIVATE" +
                                          " KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: "
                                          "AES-128-CBC,0123456789ABCDEF0123456789ABCDEF\n\n" +
                                          s.key_body + end + "RSA PRIVATE KEY-----\n");
  write_file(dir / "keys/dsa.pem", s.private_key("DSA "));
  commit_all(dir.path());
  const SecretScanResult result = scan_secrets(dir.path(), one_thread());
  std::vector<std::string> messages;
  for (const auto& f : result.findings) messages.push_back(f.file + ": " + f.message);
  EXPECT_EQ(messages,
            (std::vector<std::string>{
                "keys/dsa.pem: DSA private key", "keys/enc.pem: encrypted private key",
                "keys/legacy.pem: RSA private key", "keys/pgp.asc: PGP private key block"}));
  for (const auto& f : result.findings) EXPECT_EQ(f.severity, Severity::critical);
}

TEST(SecretScanner, PrivateKeyInAStringLiteralIsFound) {
  TempDir dir;
  const Secrets s;
  std::string escaped = s.key_body;
  for (std::size_t at = escaped.find('\n'); at != std::string::npos; at = escaped.find('\n', at)) {
    escaped.replace(at, 1, "\\n");
  }
  write_file(dir / "sa.json",
             "{\n  \"type\": \"service_account\",\n  \"private_key\": \"-----BEGIN " +
                 std::string("PRIVATE") + " KEY-----\\n" + escaped + "-----END PRIVATE" +
                 " KEY-----\\n\"\n}\n");
  commit_all(dir.path());
  const SecretScanResult result = scan_secrets(dir.path(), one_thread());
  EXPECT_EQ(places(result.findings),
            (std::vector<Place>{{"secret.private-key", "sa.json", 3, 19}}));
}

TEST(SecretScanner, DatabaseUrlsWithAndWithoutAUserName) {
  TempDir dir;
  const Secrets s;
  write_file(dir / "compose.yaml", "CACHE: redis://:" + s.db_password + "@cache:6379/0\n" +
                                       "DB: mongodb+srv://svc:" + s.api_key +
                                       "@cluster0.example.net/app\n" +
                                       "PLAIN: postgres://db.internal:5432/app\n");
  commit_all(dir.path());
  EXPECT_EQ(places(scan_secrets(dir.path(), one_thread()).findings),
            (std::vector<Place>{{"secret.database-url-password", "compose.yaml", 1, 17},
                                {"secret.database-url-password", "compose.yaml", 2, 23}}));
}

TEST(SecretScanner, SymlinksAndSpecialFilesInTheWorkTreeAreNotRead) {
  TempDir outside;
  TempDir dir;
  const Secrets s;
  write_file(outside / "credentials", s.github + "\n");
  write_file(dir / "src/ok.txt", "fine\n");
  write_file(dir / "src/pipe", "was a file when committed\n");
  fs::create_symlink(outside / "credentials", dir / "linked");
  commit_all(dir.path());
  // A tracked file replaced by a FIFO must not hang the scan.
  fs::remove(dir / "src/pipe");
  ASSERT_EQ(run_command("mkfifo src/pipe", dir.path()).exit_code, 0);
  const SecretScanResult result = scan_secrets(dir.path(), one_thread());
  EXPECT_TRUE(result.findings.empty());
  EXPECT_TRUE(result.errors.empty());
  EXPECT_EQ(result.files_scanned, 1u);
}

TEST(SecretScanner, SecretsNearTheScannersBlockBoundariesAreFound) {
  TempDir dir;
  const Secrets s;
  // 81 lines of 100 bytes end at 8,100: the next line crosses 8 KB.
  std::string text;
  for (int i = 0; i < 81; ++i) text += std::string(99, '.') + "\n";
  text += std::string(80, ' ') + s.github + "\n";  // line 82
  text += std::string(20000, 'x') + " " + s.stripe + " " + std::string(9000, 'y') + "\n";
  text += std::string(8000, '-') + "\n" + s.private_key("");  // line 85
  write_file(dir / "long.txt", text);
  commit_all(dir.path());
  EXPECT_EQ(places(scan_secrets(dir.path(), one_thread()).findings),
            (std::vector<Place>{{"secret.github-token", "long.txt", 82, 81},
                                {"secret.stripe-live-key", "long.txt", 83, 20002},
                                {"secret.private-key", "long.txt", 85, 1}}));
}

TEST(SecretScanner, WalksAFolderOutsideGitButNotToolStateOrBuildOutput) {
  TempDir dir;
  const Secrets s;
  write_file(dir / "src/leak.txt", s.github + "\n");
  write_file(dir / ".qgate/runs/x/log", s.github + "\n");
  write_file(dir / "build/out.txt", s.github + "\n");
  write_file(dir / "node_modules/a/b.js", s.github + "\n");
  ASSERT_NE(run_command("git rev-parse --is-inside-work-tree", dir.path()).exit_code, 0);
  const SecretScanResult result = scan_secrets(dir.path(), one_thread());
  EXPECT_FALSE(result.tracked_only);
  EXPECT_EQ(places(result.findings),
            (std::vector<Place>{{"secret.github-token", "src/leak.txt", 1, 1}}));
  EXPECT_EQ(result.skipped_vendored, 1u);
}

TEST(SecretScanner, SeveralThreadsFindWhatOneFinds) {
  TempDir dir;
  const Secrets s;
  std::string filler;
  for (int i = 0; i < 200; ++i)
    filler += "int value_" + std::to_string(i) + " = compute(" + std::to_string(i) + ");\n";
  for (int i = 0; i < 300; ++i) {
    std::string text = filler;
    if (i % 37 == 0) text += "const char* k = \"" + s.stripe + "\";\n";
    write_file(dir / ("src/f" + std::to_string(i) + ".cc"), text);
  }
  commit_all(dir.path());
  const SecretScanResult one = scan_secrets(dir.path(), one_thread());
  SecretScanOptions options;
  options.threads = 4;
  const SecretScanResult four = scan_secrets(dir.path(), options);
  EXPECT_EQ(one.findings.size(), 9u);
  EXPECT_EQ(places(four.findings), places(one.findings));
  EXPECT_EQ(four.bytes_scanned, one.bytes_scanned);
  EXPECT_EQ(four.files_scanned, 300u);
}

TEST(SecretScanner, QgatesOwnRepositoryIsClean) {
  const fs::path source = testing::source_dir();
  if (run_command("git rev-parse --is-inside-work-tree", source).exit_code != 0) {
    GTEST_SKIP() << "the source tree is not a git checkout";
  }
  const SecretScanResult result = scan_secrets(source, {});
  EXPECT_TRUE(result.tracked_only);
  EXPECT_GT(result.files_scanned, 100u);
  EXPECT_TRUE(result.errors.empty());
  for (const auto& f : result.findings) {
    ADD_FAILURE() << f.file << ":" << f.line << ": " << f.rule << " " << f.message
                  << "\nIf it is a made-up test value, put qgate:allow-secret on its line or add "
                  << f.fingerprint << " with a comment saying why to .qgate-secrets-allow";
  }
}

// ---- the security_scan_clean check ----------------------------------------

TEST(SecurityScanCheck, IsTheBuiltinCheckOfSecurityScanClean) {
  EXPECT_EQ(find_builtin_check("security_scan_clean"), &check_security_scan);
}

TEST(SecurityScanCheck, FailsOnFindingsAtOrAboveFailOn) {
  TempDir dir;
  const Secrets s;
  write_file(dir / "a.txt", s.github + "\n");
  write_file(dir / "key.pem", s.private_key("EC "));
  write_file(dir / "logo.png", std::string("\0\0\0", 3));
  commit_all(dir.path());
  CheckContext context;
  context.module_dir = dir.path();
  context.requirement = "security_scan_clean";
  CheckOutcome outcome = check_security_scan(context);
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_EQ(
      outcome.message,
      "scanned 2 tracked files (621 B), skipped 1 binary; 2 secrets found, 2 at or above low");
  ASSERT_EQ(outcome.findings.size(), 2u);
  EXPECT_EQ(outcome.findings[0].requirement, "security_scan_clean");
  context.options = nlohmann::json::parse(R"({"fail_on": "critical"})");
  outcome = check_security_scan(context);
  EXPECT_EQ(outcome.status, Status::failed);
  EXPECT_NE(outcome.message.find("1 at or above critical"), std::string::npos);
  context.options = nlohmann::json::parse(
      R"({"fail_on": "critical", "secrets": {"exclude": ["*.pem"], "max_file_bytes": 100}})");
  outcome = check_security_scan(context);
  EXPECT_EQ(outcome.status, Status::passed) << outcome.message;
  EXPECT_EQ(outcome.message,
            "scanned 1 tracked file (41 B), skipped 1 binary, 1 excluded; 1 secret found");
  context.options = nlohmann::json::parse(R"({"secrets": {"enabled": false}})");
  outcome = check_security_scan(context);
  EXPECT_EQ(outcome.status, Status::skipped);
  EXPECT_TRUE(outcome.findings.empty());
}

TEST(SecurityScanCheck, BadAllowlistIsAnErrorNamingTheFile) {
  TempDir dir;
  write_file(dir / "a.txt", "fine\n");
  write_file(dir / "allow.txt", "not a fingerprint\n");
  commit_all(dir.path());
  CheckContext context;
  context.module_dir = dir.path();
  context.options = nlohmann::json::parse(R"({"secrets": {"allowlist": "allow.txt"}})");
  const CheckOutcome outcome = check_security_scan(context);
  EXPECT_EQ(outcome.status, Status::error);
  EXPECT_EQ(outcome.message,
            "allow.txt:1: expected a finding fingerprint (64 hex digits) or path:GLOB, got 17 "
            "other characters");
}

// ---- end to end: the real qgate binary ------------------------------------

std::string qgate() { return "'" + testing::qgate_binary().string() + "'"; }

constexpr const char* kSecurityConfig =
    "integration_requirements:\n"
    "  testing: [ {security_scan_clean: true} ]\n"
    "module: {id: scan-001, name: scanned}\n";

// Every byte qgate wrote under .qgate (the SQLite database, its journal, logs).
std::string state_bytes(const fs::path& module) {
  std::string all;
  for (const auto& entry : fs::recursive_directory_iterator(module / ".qgate")) {
    if (entry.is_regular_file()) all += read_file(entry.path());
  }
  return all;
}

TEST(SecurityScanCli, LeakedTokenFailsTheRunAndIsNeverWrittenAnywhere) {
  TempDir dir;
  const Secrets s;
  write_file(dir / "integration-requirements.yaml", kSecurityConfig);
  write_file(dir / "src/app.py", "import os\n\nGH = \"" + s.github + "\"\n");
  commit_all(dir.path());
  const auto result = run_command(
      qgate() + " check --ci --report json=report.json --report sarif=report.sarif", dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(
      std::regex_search(result.output, std::regex("security_scan_clean +security +yes +failed")))
      << result.output;
  EXPECT_NE(result.output.find("ghp_\u2026(40 chars)"), std::string::npos) << result.output;
  const std::string report = read_file(dir / "report.json");
  ASSERT_FALSE(report.empty());
  const auto json = nlohmann::json::parse(report);
  bool found = false;
  for (const auto& gate : json.at("gates")) {
    for (const auto& finding : gate.value("findings", nlohmann::json::array())) {
      if (finding.value("rule", "") == "secret.github-token") {
        found = true;
        EXPECT_EQ(finding.value("file", ""), "src/app.py");
        EXPECT_EQ(finding.value("line", 0), 3);
      }
    }
  }
  EXPECT_TRUE(found) << report;
  const std::string state = state_bytes(dir.path());
  ASSERT_NE(state.find("secret.github-token"), std::string::npos);  // the finding was recorded
  for (const std::string& where : {result.output, report, read_file(dir / "report.sarif"), state}) {
    EXPECT_EQ(where.find(s.github), std::string::npos);
    EXPECT_EQ(where.find(s.github.substr(4)), std::string::npos);
  }
}

TEST(SecurityScanCli, CleanModulePasses) {
  TempDir dir;
  write_file(dir / "integration-requirements.yaml", kSecurityConfig);
  write_file(dir / "src/app.py", "import os\n\nGH = os.environ[\"GITHUB_TOKEN\"]\n");
  commit_all(dir.path());
  const auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(
      std::regex_search(result.output, std::regex("security_scan_clean +security +yes +passed")))
      << result.output;
  EXPECT_NE(result.output.find("scanned 2 tracked files"), std::string::npos) << result.output;
}

// A security gate whose step names security_scan_clean, as a bandit or
// semgrep step does; `secrets` is the gate's `secrets:` value.
std::string scanner_step_config(const std::string& secrets) {
  return std::string(kSecurityConfig) +
         "gates:\n"
         "  security:\n"
         "    secrets: " +
         secrets +
         "\n"
         "    steps:\n"
         "      - {name: bandit, run: 'true', requirements: [security_scan_clean]}\n";
}

TEST(SecurityScanCli, AStepNamingSecurityScanCleanAddsToTheBuiltInScan) {
  TempDir dir;
  const Secrets s;
  write_file(dir / "integration-requirements.yaml", scanner_step_config("{enabled: true}"));
  write_file(dir / "config.py", "AWS_ACCESS_KEY_ID = \"" + s.aws_id +
                                    "\"\nAWS_SECRET_ACCESS_KEY = \"" + s.aws_secret + "\"\n");
  commit_all(dir.path());
  const auto result = run_command(qgate() + " check --ci --report json=report.json", dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(
      std::regex_search(result.output, std::regex("security_scan_clean +security +yes +failed")))
      << result.output;
  const auto json = nlohmann::json::parse(read_file(dir / "report.json"));
  std::vector<std::string> rules;
  for (const auto& gate : json.at("gates")) {
    for (const auto& finding : gate.at("findings")) rules.push_back(finding.at("rule"));
  }
  std::sort(rules.begin(), rules.end());
  EXPECT_EQ(rules,
            (std::vector<std::string>{"secret.aws-access-key-id", "secret.aws-secret-access-key"}));
  for (const auto& requirement : json.at("requirements")) {
    if (requirement.at("name") != "security_scan_clean") continue;
    const std::string message = requirement.at("message");
    EXPECT_NE(message.find("2 secrets found"), std::string::npos) << message;
  }
}

TEST(SecurityScanCli, OnlyEnabledFalseTurnsTheScanOffAndTheVerdictNamesTheLine) {
  TempDir dir;
  const Secrets s;
  write_file(dir / "integration-requirements.yaml", scanner_step_config("{enabled: false}"));
  write_file(dir / "config.py", "AWS_SECRET_ACCESS_KEY = \"" + s.aws_secret + "\"\n");
  commit_all(dir.path());
  auto result = run_command(qgate() + " check --ci --report json=report.json", dir.path());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  // Line 6 of the config holds `secrets: {enabled: false}`.
  const std::string said =
      "secret scan turned off by integration-requirements.yaml:6 "
      "(gates.security.secrets.enabled: false)";
  const auto json = nlohmann::json::parse(read_file(dir / "report.json"));
  for (const auto& requirement : json.at("requirements")) {
    if (requirement.at("name") != "security_scan_clean") continue;
    EXPECT_EQ(requirement.at("message"), "step 'bandit' passed; " + said);
  }
  EXPECT_NE(result.output.find("secret scan turned off by integration-requirements.yaml:6"),
            std::string::npos)
      << result.output;
  // The same config without the step: still off, still said.
  write_file(dir / "integration-requirements.yaml", std::string(kSecurityConfig) +
                                                        "gates:\n  security:\n    secrets:\n"
                                                        "      enabled: false\n");
  result = run_command(qgate() + " check --ci --report json=report.json", dir.path());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("secret scan turned off by integration-requirements.yaml:7"),
            std::string::npos)
      << result.output;
}

TEST(SecurityScanCli, ANewUncommittedFileWithASecretFailsTheRun) {
  TempDir dir;
  const Secrets s;
  write_file(dir / "integration-requirements.yaml", kSecurityConfig);
  write_file(dir / ".gitignore", ".qgate/\n");
  commit_all(dir.path());
  write_file(dir / "config.py", "AWS_SECRET_ACCESS_KEY = \"" + s.aws_secret + "\"\n");
  const auto result = run_command(qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("scanned 2 tracked files and 1 untracked file"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("config.py:1"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find(s.aws_secret), std::string::npos);
}

TEST(SecurityScanCli, UnreadableFileIsAnErrorNamingIt) {
  TempDir dir;
  write_file(dir / "integration-requirements.yaml", kSecurityConfig);
  write_file(dir / "src/app.py", "print('hello')\n");
  write_file(dir / "src/private.txt", "not for everyone\n");
  commit_all(dir.path());
  fs::permissions(dir / "src/private.txt", fs::perms::none);
  // root reads everything: run qgate as an ordinary user that owns the module.
  std::string prefix;
  if (::geteuid() == 0) {
    ASSERT_EQ(run_command("chown -R 65534:65534 . && chmod 755 .", dir.path()).exit_code, 0);
    prefix = "HOME=" + dir.path().string() + " setpriv --reuid=65534 --regid=65534 --clear-groups ";
  }
  const auto result = run_command(prefix + qgate() + " check --ci", dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(
      std::regex_search(result.output, std::regex("security_scan_clean +security +yes +error")))
      << result.output;
  EXPECT_NE(result.output.find("src/private.txt: cannot read: Permission denied"),
            std::string::npos)
      << result.output;
}

}  // namespace
}  // namespace qgate
