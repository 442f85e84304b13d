// Times recording one run with many findings in the PostgreSQL store:
// begin_run + record_gate (one gate, one step, N findings) + finish_run, as
// `qgate check` does them, through the same plugin.
//
//   qgate_record_bench URL [RUNS=11] [FINDINGS=10000]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "runner/core/result.hpp"
#include "runner/store/store.hpp"

namespace qgate {
namespace {

// One gate like a lint report's: one step and `count` findings with distinct
// files, lines and fingerprints.
GateResult gate_with_findings(int count) {
  GateResult gate;
  gate.name = "lint";
  gate.status = Status::failed;
  gate.required = true;
  gate.duration_s = 1.5;
  gate.message = std::to_string(count) + " findings";
  StepResult step;
  step.gate = "lint";
  step.name = "eslint";
  step.command = "npx eslint -f sarif -o $QGATE_OUT/eslint.sarif src";
  step.status = Status::failed;
  step.exit_code = 1;
  step.attempts = 1;
  step.duration_s = 1.5;
  step.log_path = ".qgate/runs/bench/lint/eslint.log";
  step.tail = "✖ " + std::to_string(count) + " problems";
  step.message = "exit code 1";
  gate.steps.push_back(step);
  gate.findings.reserve(count);
  for (int i = 0; i < count; ++i) {
    Finding finding;
    finding.requirement = "linting_rules_followed";
    finding.rule = "no-unused-vars";
    finding.severity = i % 10 == 0 ? Severity::high : Severity::medium;
    finding.message = "'value" + std::to_string(i) + "' is assigned a value but never used";
    finding.file = "src/component" + std::to_string(i / 50) + ".js";
    finding.line = 1 + i % 50;
    finding.column = 7;
    finding.fingerprint = "fp-" + std::to_string(i * 2654435761u);
    gate.findings.push_back(std::move(finding));
  }
  return gate;
}

// How long each part of recording one run took, in milliseconds.
struct RunTimes {
  double begin_ms = 0;
  double gate_ms = 0;
  double finish_ms = 0;
  double total() const { return begin_ms + gate_ms + finish_ms; }
};

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// Records one whole run, timing each part.
RunTimes record_one_run(Store& store, const GateResult& gate) {
  RunTimes times;
  RunResult run;
  run.id = new_run_id();
  run.module_id = "bench-001";
  run.module_name = "Benchmark module";
  run.qgate_version = "bench";
  run.started_at = utc_now_iso8601();
  run.status = Status::running;
  auto start = std::chrono::steady_clock::now();
  store.begin_run(run);
  times.begin_ms = ms_since(start);
  start = std::chrono::steady_clock::now();
  store.record_gate(run.id, gate);
  times.gate_ms = ms_since(start);
  RequirementResult requirement;
  requirement.name = "linting_rules_followed";
  requirement.category = "code_quality";
  requirement.gate = "lint";
  requirement.status = Status::failed;
  requirement.message = gate.message;
  run.requirements.push_back(requirement);
  run.gates.push_back(gate);
  run.status = Status::failed;
  run.exit_code = 1;
  run.finished_at = utc_now_iso8601();
  start = std::chrono::steady_clock::now();
  store.finish_run(run);
  times.finish_ms = ms_since(start);
  return times;
}

int run_bench(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s URL [RUNS=11] [FINDINGS=10000]\n", argv[0]);
    return 2;
  }
  const std::string url = argv[1];
  const int runs = std::max(1, argc > 2 ? std::atoi(argv[2]) : 11);
  const int findings = argc > 3 ? std::atoi(argv[3]) : 10000;
  try {
    auto store = open_postgres_store(url);
    const GateResult gate = gate_with_findings(findings);
    record_one_run(*store, gate);  // warm-up: connection, prepared catalog lookups
    std::vector<RunTimes> times;
    for (int i = 0; i < runs; ++i) times.push_back(record_one_run(*store, gate));
    std::sort(times.begin(), times.end(),
              [](const RunTimes& a, const RunTimes& b) { return a.total() < b.total(); });
    const RunTimes& mid = times[times.size() / 2];
    std::printf(
        "record a run with %d findings: median %.1f ms (begin %.1f + gate %.1f + finish %.1f), "
        "min %.1f ms, max %.1f ms (%d runs)\n",
        findings, mid.total(), mid.begin_ms, mid.gate_ms, mid.finish_ms, times.front().total(),
        times.back().total(), runs);
  } catch (const StoreError& error) {
    std::fprintf(stderr, "record_bench: %s\n", error.what());
    return 3;
  }
  return 0;
}

}  // namespace
}  // namespace qgate

int main(int argc, char** argv) { return qgate::run_bench(argc, argv); }
