#include "gates/secret_rules.hpp"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>
#include <map>
#include <mutex>
#include <stdexcept>

namespace qgate {
namespace {

// What is checked on a match before it counts as a secret.
enum class Check {
  token,         // a fixed prefix and a random part: not a placeholder
  private_key,   // a PEM/PGP header followed by a key body
  url_password,  // the password part of a URL: not a template or a stand-in word
  assignment,    // a secret-looking name given a high-entropy literal
};

struct Rule {
  std::string_view kind;   // the rule is "secret.<kind>"
  std::string_view label;  // for messages
  // What the one pass over a file looks for: a short necessary part of
  // `pattern`, so that the combined automaton stays small and compiles fast.
  std::string_view candidate;
  std::string_view pattern;  // the exact form, run only on files with a candidate
  int group;                 // the capture group holding the secret (0: the whole match)
  std::size_t shown;         // leading characters of the secret that are a public prefix
  Severity severity;
  Check check;
};

// In order of precedence where matches overlap: the specific token formats
// first, the generic assignment last. Every pattern is ASCII and matched as
// Latin-1, so any byte sequence is valid input and the DFA works on bytes.
// None matches across a newline (blanks are `[ \t]`, classes exclude `\s`).
constexpr std::array<Rule, 15> kRules{{
    {"private-key", "private key", R"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY)",
     R"(-----BEGIN ([A-Z0-9 ]{0,30})PRIVATE KEY( BLOCK)?-----)", 0, 0, Severity::critical,
     Check::private_key},
    {"github-token", "GitHub token", R"(\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{8})",
     R"(\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36})\b)", 1, 4, Severity::high, Check::token},
    {"github-token", "GitHub fine-grained token", R"(\bgithub_pat_[A-Za-z0-9_]{8})",
     R"(\b(github_pat_[A-Za-z0-9_]{82})\b)", 1, 11, Severity::high, Check::token},
    {"gitlab-token", "GitLab token", R"(\bglpat-[A-Za-z0-9_\-]{8})",
     R"(\b(glpat-[A-Za-z0-9_\-]{20,}))", 1, 6, Severity::high, Check::token},
    {"slack-webhook", "Slack webhook URL", R"(https://hooks\.slack\.com/)",
     R"((https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/]{20,}))", 1, 24,
     Severity::high, Check::token},
    {"slack-token", "Slack token", R"(\bxox[abposr]-[0-9])",
     R"(\b(xox[abposr]-[0-9]{6,}-[A-Za-z0-9\-]{8,}))", 1, 5, Severity::high, Check::token},
    {"stripe-live-key", "Stripe live key", R"(\b(?:sk|rk)_live_)",
     R"(\b((?:sk|rk)_live_[A-Za-z0-9]{20,}))", 1, 8, Severity::high, Check::token},
    {"google-api-key", "Google API key", R"(\bAIza[A-Za-z0-9_\-]{8})",
     R"(\b(AIza[A-Za-z0-9_\-]{35})(?:[^A-Za-z0-9_\-]|$))", 1, 4, Severity::high, Check::token},
    {"npm-token", "npm token", R"(\bnpm_[A-Za-z0-9]{8})", R"(\b(npm_[A-Za-z0-9]{36})\b)", 1, 4,
     Severity::high, Check::token},
    {"npm-token", "npm auth token", R"(_authToken[ \t]*=)",
     R"(_authToken[ \t]*=[ \t]*["']?([A-Za-z0-9_\-.+/=]{20,}))", 1, 0, Severity::high,
     Check::token},
    {"aws-access-key-id", "AWS access key id", R"(\b(?:AKIA|ASIA)[A-Z0-9]{8})",
     R"(\b((?:AKIA|ASIA)[A-Z0-9]{16})\b)", 1, 4, Severity::high, Check::token},
    {"aws-secret-access-key", "AWS secret access key",
     R"((?i)(?:aws_?secret_?(?:access_?)?key|secret_?access_?key))",
     R"((?i)(?:aws_?secret_?(?:access_?)?key|secret_?access_?key)["']?[ \t]*(?::=|=>|[:=])[ \t]*["']?([a-z0-9/+]{40})(?:[^a-z0-9/+=]|$))",
     1, 0, Severity::high, Check::token},
    {"jwt", "JSON web token", R"(\beyJ[A-Za-z0-9_\-]{8,}\.eyJ)",
     R"(\b(eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{16,}))", 1, 3,
     Severity::high, Check::token},
    {"database-url-password", "password",
     R"((?i)(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver)://[^\s:/@"'<>]*:[^\s@"'<>/]+@)",
     R"((?i)\b((?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver)://)[^\s:/@"'<>]*:([^\s@"'<>/]+)@[a-z0-9_.\-\[\]]+)",
     2, 0, Severity::high, Check::url_password},
    {"generic-secret", "high-entropy value",
     R"((?i)(?:password|passwd|pwd|secret|token|api_?key|apikey|access_?key|auth_?key|private_?key|credential)[a-z0-9_\-]*["'\]]?[ \t]*(?::=|=>|==|[:=])[ \t]*@?["'`][^"'`\s]{12})",
     R"((?i)([a-z0-9_.\-]*(?:password|passwd|pwd|secret|token|api_?key|apikey|access_?key|auth_?key|private_?key|credentials?)[a-z0-9_\-]*)["'\]]?[ \t]*(?::=|=>|==|[:=])[ \t]*@?["'`]([^"'`\s]{12,})["'`])",
     2, 0, Severity::high, Check::assignment},
}};

constexpr std::string_view kGenericKind = "generic-secret";
// Bits per byte a literal needs to count as random: English words and
// identifiers stay below, keys and tokens of 12+ characters rise above.
constexpr double kMinEntropy = 3.5;
// The longest secret worth reporting; beyond it a literal is data.
constexpr std::size_t kMaxSecretBytes = 1024;
// How far past a private key header its body is looked for.
constexpr std::size_t kMaxKeyBlockBytes = 64 * 1024;

bool is_base64(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/' || c == '=';
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Stand-ins in documentation: "ghp_xxxxxxxx…", "AKIA…EXAMPLE", "0000000000".
bool looks_like_placeholder(std::string_view random_part) {
  if (random_part.find("EXAMPLE") != std::string_view::npos) return true;
  std::size_t run = 1;
  for (std::size_t i = 1; i < random_part.size(); ++i) {
    run = random_part[i] == random_part[i - 1] ? run + 1 : 1;
    if (run >= 8) return true;
  }
  return false;
}

// The end of a private key block that starts at `header_end`, or npos when no
// key body follows (a header quoted in prose or in a pattern is no key). The
// body may sit in a string literal with "\n" escapes and quotes.
std::size_t private_key_end(std::string_view text, std::size_t header_end) {
  const std::string_view rest = text.substr(header_end, kMaxKeyBlockBytes);
  const std::size_t footer = rest.find("-----END ");
  const std::string_view body = rest.substr(0, footer);
  std::size_t run = 0;
  std::size_t longest = 0;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"' || c == '\'') continue;
    if (c == '\\' && i + 1 < body.size() && (body[i + 1] == 'n' || body[i + 1] == 'r')) {
      ++i;
      continue;
    }
    run = is_base64(c) ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  if (longest < 64) return std::string_view::npos;
  if (footer == std::string_view::npos) return header_end + body.size();
  const std::size_t close = rest.find("-----", footer + 9);
  return header_end + (close == std::string_view::npos ? rest.size() : close + 5);
}

bool is_url_password_placeholder(std::string_view password) {
  static constexpr std::array<std::string_view, 9> kWords = {
      "password", "pass", "passwd", "pwd", "secret", "xxx", "***", "changeit", "redacted"};
  const char first = password.front();
  if (first == '$' || first == '{' || first == '<' || first == '%' || first == '*' ||
      first == '[') {
    return true;
  }
  const std::string word = lower(password);
  return std::find(kWords.begin(), kWords.end(), word) != kWords.end() ||
         looks_like_placeholder(password);
}

// Names such as `token_url` or `password_field` say where a secret is, not what it is.
bool names_a_secret(std::string_view name) {
  static constexpr std::array<std::string_view, 14> kNotSecrets = {
      "name", "type",   "field", "url",    "uri", "path", "file",
      "id",   "header", "label", "prefix", "env", "var",  "length"};
  const std::string word = lower(name);
  for (std::string_view suffix : kNotSecrets) {
    if (ends_with(word, suffix)) return false;
  }
  return true;
}

bool is_random_literal(std::string_view value) {
  if (value.size() > kMaxSecretBytes) return false;
  const char first = value.front();
  if (first == '$' || first == '%' || first == '{' || first == '<' || first == '/' ||
      first == '.') {
    return false;
  }
  if (value.find("://") != std::string_view::npos || value.find("${") != std::string_view::npos ||
      value.find("{{") != std::string_view::npos) {
    return false;
  }
  return !looks_like_placeholder(value) && shannon_entropy(value) >= kMinEntropy;
}

// "RSA private key", "PGP private key block", "private key".
std::string private_key_label(std::string_view words, bool block) {
  std::string label(words);
  if (label.find("ENCRYPTED") != std::string::npos) label = "encrypted ";
  return label + "private key" + (block ? " block" : "");
}

RE2::Options scan_options() {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);
  options.set_log_errors(false);
  // Room for the DFA of all rules at once, so that one pass over a file
  // never falls back to the slow NFA.
  options.set_max_mem(64 << 20);
  return options;
}

}  // namespace

struct SecretMatcher::Compiled {
  std::vector<const Rule*> rules;
  std::unique_ptr<RE2::Set> set;  // the candidates of `rules`, in the same order
  // The exact patterns, compiled when a file first has a candidate of the
  // rule: most scans never need most of them.
  std::vector<std::unique_ptr<RE2>> patterns;
  std::unique_ptr<std::once_flag[]> compiled;

  const RE2& pattern(std::size_t index) {
    std::call_once(compiled[index], [&] {
      const std::string_view text = rules[index]->pattern;
      auto re = std::make_unique<RE2>(re2::StringPiece(text.data(), text.size()), scan_options());
      if (!re->ok()) {
        throw std::logic_error("secret rule " + std::string(rules[index]->kind) +
                               " does not compile: " + re->error());
      }
      patterns[index] = std::move(re);
    });
    return *patterns[index];
  }
};

SecretMatcher::SecretMatcher(EntropyCheck entropy) : compiled_(std::make_unique<Compiled>()) {
  compiled_->set = std::make_unique<RE2::Set>(scan_options(), RE2::UNANCHORED);
  for (const Rule& rule : kRules) {
    if (rule.kind == kGenericKind && entropy == EntropyCheck::off) continue;
    std::string error;
    if (compiled_->set->Add(re2::StringPiece(rule.candidate.data(), rule.candidate.size()),
                            &error) < 0) {
      throw std::logic_error("secret rule " + std::string(rule.kind) +
                             " does not compile: " + error);
    }
    compiled_->rules.push_back(&rule);
  }
  if (!compiled_->set->Compile()) throw std::logic_error("secret rules do not compile as a set");
  compiled_->patterns.resize(compiled_->rules.size());
  compiled_->compiled = std::make_unique<std::once_flag[]>(compiled_->rules.size());
}

SecretMatcher::~SecretMatcher() = default;

namespace {

// A match and the precedence of its rule (lower wins).
struct Ranked {
  std::size_t rank;
  SecretMatch match;
};

// The one pass runs over blocks of about this many bytes, cut after a newline:
// only the blocks where it sees a candidate are searched again with the exact
// patterns, so a large file with one candidate costs one pass, not two.
// Every pattern stays within a line, so no match straddles two blocks.
constexpr std::size_t kBlockBytes = 8 * 1024;

// Adds the matches of `rule` (exact `pattern`) in text[from, to) to `found`.
void locate(const Rule& rule, const RE2& pattern, std::string_view text, std::size_t from,
            std::size_t to, std::vector<Ranked>& found) {
  const re2::StringPiece input(text.data(), text.size());
  std::array<re2::StringPiece, 3> groups;
  const int wanted = std::min(3, 1 + pattern.NumberOfCapturingGroups());
  std::size_t position = from;
  while (position < to &&
         pattern.Match(input, position, to, RE2::UNANCHORED, groups.data(), wanted)) {
    const re2::StringPiece whole = groups[0];
    const re2::StringPiece secret = groups[static_cast<std::size_t>(rule.group)];
    position = static_cast<std::size_t>(whole.data() - text.data()) +
               std::max<std::size_t>(whole.size(), 1);
    if (secret.data() == nullptr || secret.empty()) continue;
    SecretMatch match;
    match.rule = "secret." + std::string(rule.kind);
    match.severity = rule.severity;
    match.begin = static_cast<std::size_t>(secret.data() - text.data());
    match.end = match.begin + secret.size();
    const std::string_view value(secret.data(), secret.size());
    switch (rule.check) {
      case Check::token:
        if (looks_like_placeholder(value.substr(rule.shown))) continue;
        match.description = std::string(rule.label) + " " + mask_secret(value, rule.shown);
        break;
      case Check::private_key: {
        // The body runs on past the header's line (and block).
        const std::size_t key_end = private_key_end(text, match.end);
        if (key_end == std::string_view::npos) continue;
        match.end = key_end;
        match.description = private_key_label(std::string_view(groups[1].data(), groups[1].size()),
                                              !groups[2].empty());
        break;
      }
      case Check::url_password:
        if (is_url_password_placeholder(value)) continue;
        match.description = "password in a " +
                            lower(std::string_view(groups[1].data(), groups[1].size())) + " URL " +
                            mask_secret(value, 0);
        break;
      case Check::assignment: {
        const std::string_view name(groups[1].data(), groups[1].size());
        if (!names_a_secret(name) || !is_random_literal(value)) continue;
        match.description = std::string(rule.label) + " assigned to " +
                            (name.size() <= 40 ? std::string(name) : "a secret-looking name") +
                            " " + mask_secret(value, 0);
        break;
      }
    }
    found.push_back({static_cast<std::size_t>(&rule - kRules.data()), std::move(match)});
  }
}

}  // namespace

std::vector<SecretMatch> SecretMatcher::find(std::string_view text) const {
  std::vector<Ranked> found;
  std::vector<int> candidates;
  for (std::size_t from = 0; from < text.size();) {
    std::size_t to = std::min(text.size(), from + kBlockBytes);
    if (to < text.size()) {
      const std::size_t newline = text.find('\n', to);
      to = newline == std::string_view::npos ? text.size() : newline + 1;
    }
    candidates.clear();
    RE2::Set::ErrorInfo error{};
    if (!compiled_->set->Match(re2::StringPiece(text.data() + from, to - from), &candidates,
                               &error) &&
        error.kind != RE2::Set::kNoError) {
      // The DFA ran out of memory on this text: try every rule on its own.
      for (std::size_t i = 0; i < compiled_->rules.size(); ++i) {
        candidates.push_back(static_cast<int>(i));
      }
    }
    for (const int index : candidates) {
      const auto rule = static_cast<std::size_t>(index);
      locate(*compiled_->rules[rule], compiled_->pattern(rule), text, from, to, found);
    }
    from = to;
  }

  // Keep the most specific rule where matches overlap (a GitHub token
  // assigned to `token = "…"` is one GitHub token, not also a generic secret).
  std::sort(found.begin(), found.end(), [](const Ranked& a, const Ranked& b) {
    return a.rank != b.rank ? a.rank < b.rank : a.match.begin < b.match.begin;
  });
  std::map<std::size_t, SecretMatch> kept;  // by begin; kept matches never overlap
  for (auto& candidate : found) {
    const SecretMatch& match = candidate.match;
    auto next = kept.lower_bound(match.begin);
    if (next != kept.end() && next->second.begin < match.end) continue;
    if (next != kept.begin() && std::prev(next)->second.end > match.begin) continue;
    kept.emplace(match.begin, std::move(candidate.match));
  }
  std::vector<SecretMatch> ordered;
  ordered.reserve(kept.size());
  for (auto& [begin, match] : kept) ordered.push_back(std::move(match));
  return ordered;
}

double shannon_entropy(std::string_view text) {
  if (text.empty()) return 0;
  std::array<std::size_t, 256> counts{};
  for (const char c : text) ++counts[static_cast<unsigned char>(c)];
  double bits = 0;
  const double total = static_cast<double>(text.size());
  for (const std::size_t count : counts) {
    if (count == 0) continue;
    const double p = static_cast<double>(count) / total;
    bits -= p * std::log2(p);
  }
  return bits;
}

std::string mask_secret(std::string_view secret, std::size_t shown) {
  const std::size_t prefix = std::min(shown, secret.size());
  return std::string(secret.substr(0, prefix)) + "\u2026(" + std::to_string(secret.size()) +
         " chars)";
}

}  // namespace qgate
