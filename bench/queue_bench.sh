#!/usr/bin/env bash
# Run queue benchmarks, against a private PostgreSQL server on a Unix socket
# (scripts/pg-test-server.sh), stopped and removed at the end. One trivial
# module (one gate, one step `true`), N runs each way:
#   Q0: N `qgate check --ci -j 1 --database-url` in a row (no queue): the floor;
#   Q1: N `qgate queue add` in a row (enqueue cost per item);
#   Q2: the N items drained by one `qgate worker --drain -j 1`;
#   Q3: N more items drained by `qgate worker --workers 2 --drain -j 1`.
# Prints the figures; does not edit RESULTS.md.
#
#   bench/queue_bench.sh [BUILD_DIR]      (default: build; QGATE_BENCH_ITEMS, default 200)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(realpath "${1:-$root/build}")"
items="${QGATE_BENCH_ITEMS:-200}"
for binary in "$build/qgate" "$build/qgate_pg.so"; do
  [ -e "$binary" ] || { echo "queue_bench: $binary is missing (build it first)" >&2; exit 2; }
done
qgate="$build/qgate"

work=$(mktemp -d /tmp/qgate-queue-bench-XXXXXX)
chmod 755 "$work"
cleanup() {
  "$root/scripts/pg-test-server.sh" stop "$work/server" || true
  rm -rf "$work"
}
trap cleanup EXIT
server_url=$("$root/scripts/pg-test-server.sh" start "$work/server")
psql -X -q "$server_url" -c "CREATE DATABASE bench_queue"
url=${server_url/\/postgres\?/\/bench_queue?}
"$qgate" db migrate --database-url "$url" >/dev/null

mkdir -p "$work/m"
cat > "$work/m/integration-requirements.yaml" <<'YAML'
integration_requirements:
  testing: [ {unit_tests_passing: true} ]
module: {id: bench-001}
gates:
  test-coverage:
    steps:
      - {name: step, run: 'true'}
YAML

now() { date +%s.%N; }
per_item() { awk -v a="$1" -v b="$2" -v n="$items" 'BEGIN { printf "%.2f s total, %.1f ms per run, %.1f runs/s", b - a, (b - a) * 1000 / n, n / (b - a) }'; }

start=$(now)
for _ in $(seq "$items"); do
  (cd "$work/m" && "$qgate" check --ci -j 1 --database-url "$url" >/dev/null)
done
echo "Q0 $items x qgate check in a row: $(per_item "$start" "$(now)")"

start=$(now)
for _ in $(seq "$items"); do
  "$qgate" queue add --database-url "$url" -m bench-001 --path "$work/m" >/dev/null
done
echo "Q1 $items x qgate queue add: $(per_item "$start" "$(now)")"

start=$(now)
"$qgate" worker --drain -j 1 --database-url "$url" >/dev/null
echo "Q2 $items items drained by 1 worker: $(per_item "$start" "$(now)")"

for _ in $(seq "$items"); do
  "$qgate" queue add --database-url "$url" -m bench-001 --path "$work/m" >/dev/null
done
start=$(now)
"$qgate" worker --workers 2 --drain -j 1 --database-url "$url" >/dev/null
echo "Q3 $items items drained by 2 workers: $(per_item "$start" "$(now)")"

psql -X -q -A -t "$url" -c "SELECT 'queue items: ' || count(*) || ', finished with exit 0: ' || count(*) FILTER (WHERE status = 'finished' AND exit_code = 0) || ', distinct runs: ' || count(DISTINCT run_id) FROM qgate_run_queue"
