#include "runner/core/result.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <utility>

namespace qgate {
namespace {

constexpr std::array<std::pair<Status, std::string_view>, 9> kStatusNames{{
    {Status::pending, "pending"},
    {Status::running, "running"},
    {Status::passed, "passed"},
    {Status::failed, "failed"},
    {Status::error, "error"},
    {Status::skipped, "skipped"},
    {Status::cancelled, "cancelled"},
    {Status::not_configured, "not_configured"},
    {Status::interrupted, "interrupted"},
}};

constexpr std::array<std::pair<Severity, std::string_view>, 5> kSeverityNames{{
    {Severity::info, "info"},
    {Severity::low, "low"},
    {Severity::medium, "medium"},
    {Severity::high, "high"},
    {Severity::critical, "critical"},
}};

}  // namespace

std::string_view to_string(Status status) {
  for (const auto& [value, name] : kStatusNames) {
    if (value == status) return name;
  }
  return "unknown";
}

std::optional<Status> status_from_string(std::string_view name) {
  for (const auto& [value, text] : kStatusNames) {
    if (text == name) return value;
  }
  return std::nullopt;
}

bool is_failure(Status status) {
  return status == Status::failed || status == Status::error || status == Status::cancelled ||
         status == Status::not_configured || status == Status::interrupted;
}

std::string_view to_string(Severity severity) {
  for (const auto& [value, name] : kSeverityNames) {
    if (value == severity) return name;
  }
  return "unknown";
}

std::optional<Severity> severity_from_string(std::string_view name) {
  for (const auto& [value, text] : kSeverityNames) {
    if (text == name) return value;
  }
  return std::nullopt;
}

std::string utc_now_iso8601() {
  const auto now = std::chrono::system_clock::now();
  const auto seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis));
  return buffer;
}

std::string new_run_id() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  const std::uint64_t high = engine();
  const std::uint64_t low = engine();
  // Version 4, variant 1 (RFC 4122).
  const std::uint64_t h = (high & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  const std::uint64_t l = (low & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(h >> 32), static_cast<unsigned>((h >> 16) & 0xffff),
                static_cast<unsigned>(h & 0xffff), static_cast<unsigned>(l >> 48),
                static_cast<unsigned long long>(l & 0xffffffffffffULL));
  return buffer;
}

}  // namespace qgate

namespace qgate {

std::optional<GateBaseline> baseline_of(const std::optional<RunResult>& run,
                                        const std::string& gate) {
  if (!run) return std::nullopt;
  for (const GateResult& result : run->gates) {
    if (result.name != gate) continue;
    return GateBaseline{run->id,        run->started_at, result.findings,
                        result.metrics, run->commit_sha, "run " + run->id.substr(0, 8)};
  }
  return std::nullopt;
}

FindingCounts count_findings(const std::vector<Finding>& findings) {
  FindingCounts counts;
  for (const Finding& finding : findings) {
    ++counts.by_severity[static_cast<std::size_t>(finding.severity)];
    ++counts.total;
    if (finding.baseline == "new") ++counts.new_findings;
    if (finding.baseline == "existing") ++counts.existing_findings;
  }
  return counts;
}

}  // namespace qgate
