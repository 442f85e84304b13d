#pragma once
// The JSON form of a run: every field, for machines (the JSON report, the
// spool, the store, the API,
// dashboards). Its shape is described by schemas/report.schema.json.
#include <nlohmann/json.hpp>

#include "runner/core/result.hpp"

namespace qgate {

// The version of the JSON report's shape, written as "schema_version"; raised
// whenever a field changes meaning or disappears.
inline constexpr int kReportSchemaVersion = 1;

// Converts `run` to JSON: every field of the model, statuses and severities by
// name, a "summary" of requirement counts and "schema_version". Numbers JSON
// cannot hold (NaN, infinities) become the strings "NaN", "Infinity" and
// "-Infinity"; invalid UTF-8 becomes U+FFFD.
nlohmann::json run_to_json(const RunResult& run);
// Converts JSON written by run_to_json() back to a run (the summary is derived,
// so it is ignored); throws std::runtime_error naming the offending field when
// `json` does not have that shape.
RunResult run_from_json(const nlohmann::json& json);

}  // namespace qgate
