#!/usr/bin/env bash
# Slow clients against `qgate serve`, on loopback only: the load test
# ServeFront.TwoHundredSlowConnectionsLeaveANormalClientServed
# (tests/server/serve_front_test.cpp) with a private PostgreSQL server on a
# Unix socket (scripts/pg-test-server.sh), stopped and removed at the end.
# 200 connections from 20 loopback addresses send a request a byte a second
# (reopened whenever the server cuts them) while one normal client asks in
# turn for /healthz, a page of runs and a new run, for QGATE_BENCH_SECONDS
# (default 20). Prints the normal client's requests, failures and
# latencies and the server's memory; does not edit RESULTS.md.
#
#   bench/slow_clients_bench.sh [BUILD_DIR]      (default: build)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(realpath "${1:-$root/build}")"
seconds="${QGATE_BENCH_SECONDS:-20}"
[ -x "$build/qgate_tests" ] || { echo "slow_clients_bench: $build/qgate_tests is missing (build it first)" >&2; exit 2; }

work=$(mktemp -d /tmp/qgate-slow-bench-XXXXXX)
chmod 755 "$work"
cleanup() {
  "$root/scripts/pg-test-server.sh" stop "$work/server" || true
  rm -rf "$work"
}
trap cleanup EXIT
url=$("$root/scripts/pg-test-server.sh" start "$work/server")
QGATE_TEST_PG_URL="$url" QGATE_SLOW_CLIENT_SECONDS="$seconds" \
  "$build/qgate_tests" --gtest_filter=ServeFront.TwoHundredSlowConnectionsLeaveANormalClientServed
