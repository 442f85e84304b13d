#!/usr/bin/env bash
# Configures and builds qgate and its tests into build/ (or $QGATE_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${QGATE_BUILD_DIR:-build}"
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE="${QGATE_BUILD_TYPE:-RelWithDebInfo}"
fi
cmake --build "$build_dir" --parallel "$(nproc)"
