#!/usr/bin/env bash
# Loopback load test of `qgate serve` with wrk: a private PostgreSQL server on
# a Unix socket (scripts/pg-test-server.sh) and qgate serve on 127.0.0.1,
# both stopped and removed at the end; each wrk run stops by itself after
# QGATE_BENCH_SECONDS (default 10). Nothing leaves 127.0.0.1.
#   S1: GET /v1/runs/{id} of a finished run (its view is kept in memory);
#   S2: GET /v1/runs/{id} of a queued run (read from the database each time);
#   S3: GET /v1/runs?limit=20 (a page of summaries from the database);
#   S4: POST /v1/runs, each with its own Idempotency-Key (a new queue item).
# wrk: 2 threads and 8 connections for the GETs, 1 thread and 4 connections
# for the POSTs; the server has 8 HTTP threads. Prints wrk's figures; does
# not edit RESULTS.md.
#
#   bench/serve_bench.sh [BUILD_DIR]      (default: build)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(realpath "${1:-$root/build}")"
seconds="${QGATE_BENCH_SECONDS:-10}"
command -v wrk >/dev/null || { echo "serve_bench: wrk is missing (apt-get install wrk)" >&2; exit 2; }
for binary in "$build/qgate" "$build/qgate-server" "$build/qgate_pg.so"; do
  [ -e "$binary" ] || { echo "serve_bench: $binary is missing (build it first)" >&2; exit 2; }
done
qgate="$build/qgate"

work=$(mktemp -d /tmp/qgate-serve-bench-XXXXXX)
chmod 755 "$work"
serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  "$root/scripts/pg-test-server.sh" stop "$work/server" || true
  rm -rf "$work"
}
trap cleanup EXIT
url=$("$root/scripts/pg-test-server.sh" start "$work/server")
export QGATE_DATABASE_URL="$url"
"$qgate" db migrate >/dev/null
token=$("$qgate" token create --name bench 2>/dev/null)

mkdir -p "$work/modules/bench"
cat > "$work/modules.yaml" <<'YAML'
modules:
  bench:
    id: "bench-001"
    name: "Bench"
    repository: ""
    dependencies: []
YAML
cat > "$work/modules/bench/integration-requirements.yaml" <<'YAML'
integration_requirements:
  testing: [ {unit_tests_passing: true} ]
module: {id: bench-001, registry: ../../modules.yaml}
gates:
  test-coverage:
    steps:
      - {name: unit, run: 'true'}
YAML

"$qgate" serve --listen 127.0.0.1:0 --registry "$work/modules.yaml" \
  --modules-root "$work/modules" --threads 8 >"$work/serve.out" 2>&1 &
serve_pid=$!
for _ in $(seq 100); do
  grep -q "listening on" "$work/serve.out" && break
  sleep 0.1
done
base=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$work/serve.out")
[ -n "$base" ] || { cat "$work/serve.out" >&2; exit 1; }

post() {
  curl -s -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"module_id": "bench-001"}' "$base/v1/runs" | sed -n 's/.*"id":"\([0-9a-f-]*\)".*/\1/p'
}
finished=$(post)
"$qgate" worker --once --poll 0.1 >/dev/null 2>&1
queued=$(post)
curl -s -H "Authorization: Bearer $token" "$base/v1/runs/$finished" | grep -q '"status":"finished"' \
  || { echo "serve_bench: the run did not finish" >&2; exit 1; }

cat > "$work/get.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
LUA
cat > "$work/post.lua" <<LUA
local counter = 0
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"module_id": "bench-001", "ref": "main", "options": {"fail_fast": true}}'
request = function()
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = "bench-" .. tostring(math.random(1, 1000000000)) .. "-" .. counter
  return wrk.format()
end
LUA

run() {
  local name=$1; shift
  echo "== $name"
  wrk --latency --timeout 2s -d "${seconds}s" "$@" | sed -n '/Latency Distribution/,$p'
}
run "S1 GET /v1/runs/{id}, finished run" -t2 -c8 -s "$work/get.lua" "$base/v1/runs/$finished"
run "S2 GET /v1/runs/{id}, queued run" -t2 -c8 -s "$work/get.lua" "$base/v1/runs/$queued"
run "S3 GET /v1/runs?limit=20" -t2 -c8 -s "$work/get.lua" "$base/v1/runs?limit=20"
run "S4 POST /v1/runs" -t1 -c4 -s "$work/post.lua" "$base/v1/runs"
echo "== queue items made: $(psql -X -Atq "$url" -c 'SELECT count(*) FROM qgate_run_queue')"
echo "== server errors:"
grep -v "listening on" "$work/serve.out" || echo "(none)"
