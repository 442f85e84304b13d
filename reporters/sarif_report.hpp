#pragma once
// The findings of a run as SARIF 2.1.0, for code-scanning upload: one run of
// the tool "qgate" whose results are the findings of every gate (lint and
// security findings, documentation and report findings alike).
#include <nlohmann/json.hpp>

#include "runner/core/result.hpp"

namespace qgate {

// Returns the SARIF 2.1.0 log of `run`'s findings.
nlohmann::json run_to_sarif(const RunResult& run);

}  // namespace qgate
