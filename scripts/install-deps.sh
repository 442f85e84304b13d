#!/usr/bin/env bash
# Installs, from Debian 12 packages by name, everything qgate needs to build,
# test and benchmark. Safe to run again; does nothing that needs the network
# beyond apt's own repositories.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libboost-filesystem1.81-dev
  libyaml-cpp-dev nlohmann-json3-dev libvalijson-dev libcli11-dev
  libsqlite3-dev sqlite3 libpugixml-dev libssl-dev
  libpqxx-dev libpq-dev postgresql
  libre2-dev libcpp-httplib-dev libhttp-parser-dev
  clang libclang-rt-14-dev wrk
  python3 shellcheck python3-pytest python3-coverage gcovr lcov
  libgtest-dev libgmock-dev libbenchmark-dev
  hyperfine procps time make curl
)

# The failing example module runs node's test runner; a machine without any
# Node.js gets Debian's.
command -v node >/dev/null 2>&1 || packages+=(nodejs)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
