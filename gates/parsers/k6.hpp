#pragma once
// k6's end-of-test summary as JSON, in both shapes k6 writes: the flat one of
// `k6 run --summary-export=FILE` and the one handleSummary() receives (each
// metric's figures under "values", with its "type" and "contains"), which
// scripts write with `'summary.json': JSON.stringify(data)`.
#include <filesystem>
#include <string_view>

#include "gates/parsers/report.hpp"

namespace qgate {

// Returns true if `head`, the first bytes of a file, looks like a k6 summary.
bool looks_like_k6(std::string_view head);

// Reads a k6 summary: one result per trend, rate and counter metric (tagged
// sub-metrics such as "http_req_duration{expected_response:true}" included;
// gauges such as vus, which describe the load generator, left out unless k6
// failed a threshold on them), sorted by name.
//  - trend: its statistics into metrics in ms ("avg_ms", "med_ms", "min_ms",
//    "max_ms", "p90_ms", "p95_ms", "p99.9_ms", ... as summaryTrendStats
//    chose), and mean/median/min/max in ns; a handleSummary trend that does
//    not contain time keeps its figures without unit ("avg", "p95");
//  - rate: "rate", "count" (samples) and "nonzero" (samples that were true:
//    failed requests for http_req_failed, passed checks for checks);
//    http_req_failed and its sub-metrics also give "error_rate";
//  - counter: "count" and "rate" (per second).
// The thresholds k6 evaluated are kept as k6 judged them: a result with a
// failed threshold is errored, its message naming each failed threshold and
// the figure it tested. (--summary-export writes `true` for a failed
// threshold, handleSummary `{"ok": false}`.) Throws ReportError if the file
// is malformed, truncated or not a k6 summary.
BenchmarkReport parse_k6(const std::filesystem::path& file);

}  // namespace qgate
