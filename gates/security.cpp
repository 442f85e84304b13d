#include "gates/security.hpp"

#include <cstdio>

#include "gates/secret_scanner.hpp"

namespace qgate {
namespace {

// "1.2 MB", "340 KB", "12 B".
std::string human_bytes(std::uintmax_t bytes) {
  char buffer[32];
  if (bytes >= 1024 * 1024) {
    std::snprintf(buffer, sizeof buffer, "%.1f MB", static_cast<double>(bytes) / (1024.0 * 1024));
  } else if (bytes >= 1024) {
    std::snprintf(buffer, sizeof buffer, "%.1f KB", static_cast<double>(bytes) / 1024.0);
  } else {
    std::snprintf(buffer, sizeof buffer, "%ju B", bytes);
  }
  return buffer;
}

std::string count(std::size_t n, const char* singular, const char* plural) {
  return std::to_string(n) + " " + (n == 1 ? singular : plural);
}

SecretScanOptions scan_options_of(const nlohmann::json& secrets) {
  SecretScanOptions options;
  if (!secrets.is_object()) return options;
  if (auto it = secrets.find("allowlist"); it != secrets.end() && it->is_string()) {
    options.allowlist = it->get<std::string>();
  }
  if (auto it = secrets.find("exclude"); it != secrets.end()) {
    if (it->is_string()) options.exclude.push_back(it->get<std::string>());
    if (it->is_array()) {
      for (const auto& glob : *it) {
        if (glob.is_string()) options.exclude.push_back(glob.get<std::string>());
      }
    }
  }
  if (auto it = secrets.find("entropy"); it != secrets.end() && it->is_boolean()) {
    options.entropy = it->get<bool>() ? EntropyCheck::on : EntropyCheck::off;
  }
  if (auto it = secrets.find("max_file_bytes");
      it != secrets.end() && it->is_number_integer() && it->get<long long>() > 0) {
    options.max_file_bytes = it->get<std::uintmax_t>();
  }
  return options;
}

// What was scanned and passed over, for the requirement's message.
std::string scan_summary(const SecretScanResult& result, const SecretScanOptions& options) {
  std::string text;
  if (!result.tracked_only) {
    text = "scanned " + count(result.files_scanned, "file", "files");
  } else {
    const std::size_t tracked = result.files_scanned - result.untracked_scanned;
    text = "scanned " + count(tracked, "tracked file", "tracked files");
    if (result.untracked_scanned > 0) {
      text += " and " + count(result.untracked_scanned, "untracked file", "untracked files");
    }
  }
  text += " (" + human_bytes(result.bytes_scanned) + ")";
  std::string skipped;
  const auto add = [&](std::size_t n, const std::string& what) {
    if (n > 0) skipped += (skipped.empty() ? "" : ", ") + std::to_string(n) + " " + what;
  };
  add(result.skipped_binary, "binary");
  add(result.skipped_vendored, "vendored or generated");
  add(result.skipped_large, "over " + human_bytes(options.max_file_bytes));
  add(result.skipped_excluded, "excluded");
  add(result.skipped_allowlisted, "allowlisted");
  if (!skipped.empty()) text += ", skipped " + skipped;
  return text;
}

}  // namespace

CheckOutcome check_security_scan(const CheckContext& context) {
  CheckOutcome outcome;
  const nlohmann::json secrets = context.options.is_object()
                                     ? context.options.value("secrets", nlohmann::json::object())
                                     : nlohmann::json::object();
  if (secrets.is_object() && secrets.value("enabled", true) == false) {
    // Turned off on purpose, and said so where the verdict is read, with the
    // line to change back.
    std::string where = context.config_file.empty() ? "the config" : context.config_file;
    if (const auto line = context.option_lines.find("/secrets/enabled");
        line != context.option_lines.end() && !context.config_file.empty()) {
      where += ":" + std::to_string(line->second);
    }
    outcome.status = Status::skipped;
    outcome.message =
        "secret scan turned off by " + where + " (gates.security.secrets.enabled: false)";
    return outcome;
  }
  Severity fail_on = Severity::low;
  if (context.options.is_object() && context.options.contains("fail_on") &&
      context.options.at("fail_on").is_string()) {
    fail_on =
        severity_from_string(context.options.at("fail_on").get<std::string>()).value_or(fail_on);
  }
  const SecretScanOptions options = scan_options_of(secrets);
  SecretScanResult result;
  try {
    result = scan_secrets(context.module_dir, options);
  } catch (const SecretAllowlistError& error) {
    outcome.status = Status::error;
    outcome.message = error.what();
    return outcome;
  }

  std::size_t blocking = 0;
  for (auto& finding : result.findings) {
    finding.requirement = context.requirement;
    if (finding.severity >= fail_on) ++blocking;
  }
  std::string message = scan_summary(result, options) + "; " +
                        count(result.findings.size(), "secret found", "secrets found");
  if (result.allowed > 0) message += ", " + std::to_string(result.allowed) + " allowed";
  if (blocking > 0) {
    outcome.status = Status::failed;
    message += ", " + std::to_string(blocking) + " at or above " + std::string(to_string(fail_on));
  }
  if (!result.errors.empty()) {
    if (blocking == 0) outcome.status = Status::error;
    message += "; " + result.errors.front();
    if (result.errors.size() > 1) {
      message += " (and " + std::to_string(result.errors.size() - 1) + " more)";
    }
  }
  outcome.message = std::move(message);
  outcome.findings = std::move(result.findings);
  return outcome;
}

}  // namespace qgate
