#!/usr/bin/env bash
# The first command of the README: installs what qgate needs (Debian packages),
# builds it, and runs `qgate check` on the bundled example module, which
# records its run in the embedded store under examples/api-core/.qgate/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
echo
echo "== qgate check on examples/api-core =="
cd examples/api-core
../../build/qgate check
