#!/usr/bin/env bash
# Times judging a lint report of 10,097 real shellcheck findings (checkstyle,
# from a generated 10,000-line script) in `qgate check`, for two qgate
# binaries in one run: what fingerprinting every finding costs. Also counts
# the instructions of a trivial run (one step of `true`) of each, the
# start-up figure the project keeps.
#
#   bench/judge_bench.sh BEFORE_QGATE AFTER_QGATE
set -euo pipefail
before="$(realpath "$1")"
after="$(realpath "$2")"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

mkdir "$out/big"
cd "$out/big"
{
  echo '#!/bin/sh'
  for i in $(seq 0 9999); do echo "echo \$v$((i % 97))   # line $i"; done
} > big.sh
shellcheck -f checkstyle big.sh > big.xml || test $? -eq 1
# The step touches the report: qgate judges only reports its run wrote.
printf 'integration_requirements:\n  code_quality: [ {linting_rules_followed: true} ]\ngates:\n  lint:\n    steps: [ {name: touch, run: "touch big.xml"} ]\n    reports: [big.xml]\n    fail_on: critical\n' \
  > integration-requirements.yaml
echo "findings: $(grep -c '<error' big.xml)"
# Each run records into a fresh store, so neither binary meets the other's runs.
hyperfine -N --warmup 2 --runs 15 --prepare "rm -rf $out/big/.qgate" \
  -n before "$before check --ci" -n after "$after check --ci"

for qgate in "$before" "$after"; do
  # A fresh folder each; the second run in it is the one counted.
  rm -rf "$out/trivial" && mkdir "$out/trivial" && cd "$out/trivial"
  printf 'integration_requirements: {}\ngates:\n  lint:\n    steps:\n      - {name: s1, run: "true"}\n' \
    > integration-requirements.yaml
  "$qgate" check --ci > /dev/null
  echo "$qgate: $(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$qgate" check --ci 2>&1 >/dev/null | grep Collected)"
done
