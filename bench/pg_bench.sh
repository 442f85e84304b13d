#!/usr/bin/env bash
# PostgreSQL store benchmarks, against a private server on a Unix socket
# (scripts/pg-test-server.sh, no TCP port), stopped and removed at the end:
#   P1: recording one run with 10,000 findings (bench/record_bench.cpp:
#       begin_run + record_gate + finish_run through the plugin), median of RUNS;
#   P2: 20 `qgate check --ci --database-url` runs recording at once, each on
#       its own small module (3 gates of 2 steps, one requirement each).
# Prints the figures; does not edit RESULTS.md.
#
#   bench/pg_bench.sh [BUILD_DIR]      (default: build; needs qgate, qgate_pg.so, qgate_record_bench)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(realpath "${1:-$root/build}")"
runs="${QGATE_BENCH_RUNS:-11}"
concurrent="${QGATE_BENCH_CONCURRENT:-20}"
for binary in "$build/qgate" "$build/qgate_pg.so" "$build/qgate_record_bench"; do
  [ -e "$binary" ] || { echo "pg_bench: $binary is missing (build it first)" >&2; exit 2; }
done

work=$(mktemp -d /tmp/qgate-pg-bench-XXXXXX)
chmod 755 "$work"
cleanup() {
  "$root/scripts/pg-test-server.sh" stop "$work/server" || true
  rm -rf "$work"
}
trap cleanup EXIT
server_url=$("$root/scripts/pg-test-server.sh" start "$work/server")
psql -X -q "$server_url" -c "CREATE DATABASE bench_record" -c "CREATE DATABASE bench_concurrent"
record_url=${server_url/\/postgres\?/\/bench_record?}
concurrent_url=${server_url/\/postgres\?/\/bench_concurrent?}
"$build/qgate" db migrate --database-url "$record_url" >/dev/null
"$build/qgate" db migrate --database-url "$concurrent_url" >/dev/null

echo "P1: qgate_record_bench URL $runs 10000"
"$build/qgate_record_bench" "$record_url" "$runs" 10000

# P2: one module folder per process, so that each has its own .qgate.
for i in $(seq 1 "$concurrent"); do
  mkdir -p "$work/m$i"
  cat > "$work/m$i/integration-requirements.yaml" <<'EOF'
integration_requirements:
  testing: [ {unit_tests_passing: true}, {security_scan_clean: true} ]
  code_quality: [ {linting_rules_followed: true} ]
module: {id: bench-002}
gates:
  test-coverage:
    steps: [ {name: a, run: 'true'}, {name: b, run: 'true'} ]
  lint:
    steps: [ {name: a, run: 'true'}, {name: b, run: 'true'} ]
  security:
    steps: [ {name: a, run: 'true'}, {name: b, run: 'true'} ]
EOF
done
# One run alone first (for comparison, and so no run pays the migration).
alone_start=$(date +%s%N)
(cd "$work/m1" && "$build/qgate" check --ci --database-url "$concurrent_url" >/dev/null)
alone_ms=$(( ($(date +%s%N) - alone_start) / 1000000 ))

echo "P2: $concurrent x qgate check --ci --database-url URL at once"
start=$(date +%s%N)
for i in $(seq 1 "$concurrent"); do
  (
    s=$(date +%s%N)
    cd "$work/m$i"
    code=0
    "$build/qgate" check --ci --database-url "$concurrent_url" >"$work/out$i.txt" 2>&1 || code=$?
    echo "$(( ($(date +%s%N) - s) / 1000000 )) $code" > "$work/time$i.txt"
  ) &
done
wait
total_ms=$(( ($(date +%s%N) - start) / 1000000 ))
failures=$(cat "$work"/time*.txt | awk '$2 != 0' | wc -l)
median_ms=$(cat "$work"/time*.txt | awk '{print $1}' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
max_ms=$(cat "$work"/time*.txt | awk '{print $1}' | sort -n | tail -1)
recorded=$(psql -X -q -A -t "$concurrent_url" -c "SELECT count(*) FROM qgate_runs WHERE status = 'passed'")
gates=$(psql -X -q -A -t "$concurrent_url" -c "SELECT count(*) FROM qgate_gate_results")
echo "one run alone: $alone_ms ms"
echo "$concurrent runs at once: total wall $total_ms ms, per-run median $median_ms ms, max $max_ms ms, $failures failed"
echo "recorded: $recorded passed runs, $gates gate rows (expected $((concurrent + 1)) and $(( (concurrent + 1) * 3 )))"
if [ "$failures" -ne 0 ] || [ "$recorded" -ne $((concurrent + 1)) ]; then
  cat "$work"/out*.txt >&2
  exit 1
fi
