#!/usr/bin/env bash
# Configures and builds qgate and its tests into build/ (or $QGATE_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${QGATE_BUILD_DIR:-build}"
# ccache keyed on paths relative to the checkout, so that a clone in another
# folder (CI's, a second work tree) reuses what this one compiled.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE="${QGATE_BUILD_TYPE:-RelWithDebInfo}"
fi
cmake --build "$build_dir" --parallel "$(nproc)"
