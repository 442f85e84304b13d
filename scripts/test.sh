#!/usr/bin/env bash
# The second command of the README: builds qgate and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build_dir="${QGATE_BUILD_DIR:-build}"

# One throwaway PostgreSQL server (Unix socket only) for the whole suite.
pg_dir=$(mktemp -d /tmp/qgate-suite-pg-XXXXXX)
chmod 755 "$pg_dir"
trap 'scripts/pg-test-server.sh stop "$pg_dir/server"; rm -rf "$pg_dir"' EXIT
QGATE_TEST_PG_URL=$(scripts/pg-test-server.sh start "$pg_dir/server")
export QGATE_TEST_PG_URL

ctest --test-dir "$build_dir" --output-on-failure --parallel "$(nproc)" --timeout 300
