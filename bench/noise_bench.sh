#!/usr/bin/env bash
# Benchmark regressions on a loaded machine: does `qgate check` fail an
# unchanged program by chance, and does it catch a real slow-down?
#
# Builds bench/noise_workload.cpp (Google Benchmark, one CPU-bound
# benchmark), records BASELINE passing runs of a module whose performance
# gate runs it (10 repetitions of at least 10 ms) on the machine as it is,
# then starts one busy loop per core and, under that load, runs the
# unchanged program RUNS times and the program doing 1.5 times the work
# (QGATE_BENCH_SLOWDOWN=1.5) RUNS times. Prints how many runs failed.
#
#   bench/noise_bench.sh [QGATE] [RUNS] [BASELINE] [REGRESSION_YAML]
#
# QGATE defaults to build/qgate; REGRESSION_YAML (default empty) is put in
# the gate's `regression:` mapping, e.g. "metric: mean_ns".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
qgate="$(realpath "${1:-$here/../build/qgate}")"
runs="${2:-30}"
baseline="${3:-5}"
regression="${4:-}"
out="$(mktemp -d)"
load_pids=()
stop_load() {
  for pid in "${load_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${load_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  load_pids=()
}
trap 'stop_load; rm -rf "$out"' EXIT

g++ -O2 -o "$out/workload" "$here/noise_workload.cpp" -lbenchmark -lpthread
mkdir "$out/module"
cd "$out/module"
cat > integration-requirements.yaml <<YAML
integration_requirements:
  testing: [ {performance_benchmarks_met: true} ]
gates:
  performance:
    steps:
      - name: bench
        run: $out/workload --benchmark_repetitions=10 --benchmark_min_time=0.01 --benchmark_out=bench.json --benchmark_out_format=json
    reports: [bench.json]
    regression: {${regression}}
YAML

# Runs `qgate check` COUNT times; prints how many exited 1 (a failed gate)
# and the regression part of the last verdict; any other exit is an error.
judge() {
  local count="$1" failed=0 code
  for _ in $(seq "$count"); do
    code=0
    "$qgate" check --ci --no-color --report json=report.json > check.log 2>&1 || code=$?
    case "$code" in
      0) ;;
      1) failed=$((failed + 1)); cp check.log failed.log ;;
      *) cat check.log; echo "qgate exited $code" >&2; exit 1 ;;
    esac
  done
  echo "$failed of $count failed"
  jq -r '.gates[] | select(.name == "performance") | .findings[]?.message' report.json | head -1
}

started=$(date +%s)
echo "qgate: $qgate; regression: {${regression}}"
echo "baseline, machine as it is: $(judge "$baseline" | head -1)"
for _ in $(seq "$(nproc)"); do
  # Bounded: a busy loop that ends by itself should this script be killed.
  timeout 900 sh -c 'while :; do :; done' &
  load_pids+=("$!")
done
echo "unchanged, under load ($(nproc) busy loops): $(judge "$runs" | tr '\n' ' ')"
if [ -f failed.log ]; then grep -m1 'regression' failed.log || true; rm -f failed.log; fi
export QGATE_BENCH_SLOWDOWN=1.5
echo "1.5x the work, under load: $(judge "$runs" | tr '\n' ' ')"
stop_load
echo "elapsed: $(( $(date +%s) - started )) s"
