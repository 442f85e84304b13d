#!/usr/bin/env bash
# Peak memory of `qgate check` on hostile or huge report files: a JUnit report
# whose one failure message is a single attribute of SIZE_MB (under the report
# size limit), the same of 1 GiB (over it), a SARIF log whose one message is
# SIZE_MB, a link to /dev/zero, and a report of 100,000 ordinary test cases. Prints, for each, the exit code, the wall
# time and the peak RSS from GNU time.
#
#   bench/big_report_memory.sh [build/qgate] [SIZE_MB]
set -euo pipefail
qgate=$(realpath "${1:-build/qgate}")
size_mb=${2:-200}
work=$(mktemp -d /tmp/qgate-big-report-XXXXXX)
trap 'rm -rf "$work"' EXIT

module() {  # module DIR REPORT-LIST-ENTRY
  mkdir -p "$1"
  cat >"$1/integration-requirements.yaml" <<EOF
integration_requirements:
  testing: [ {unit_tests_passing: true} ]
gates:
  test-coverage:
    steps: [ {name: unit, run: 'true'} ]
    reports: [ {path: $2, fresh: false} ]
EOF
}

# One <testcase> whose <failure message="..."> holds `bytes` bytes.
one_attribute() {  # one_attribute FILE BYTES
  {
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites tests="1" failures="1">\n'
    printf '<testsuite name="Big" tests="1" failures="1">\n<testcase name="huge" classname="Big">'
    printf '<failure message="'
    head -c "$2" /dev/zero | tr '\0' 'a'
    printf '"/></testcase>\n</testsuite>\n</testsuites>\n'
  } >"$1"
}

# One SARIF result whose message text holds `bytes` bytes.
one_message() {  # one_message FILE BYTES
  {
    printf '{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"big"}},"results":['
    printf '{"ruleId":"r1","level":"error","message":{"text":"'
    head -c "$2" /dev/zero | tr '\0' 'a'
    printf '"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.c"},'
    printf '"region":{"startLine":1}}}]}]}]}\n'
  } >"$1"
}

many_cases() {  # many_cases FILE COUNT
  {
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n<testsuite name="Many" tests="%d">\n' "$2"
    seq 1 "$2" | sed 's|.*|<testcase name="case_&" classname="Many" time="0.001"/>|'
    printf '</testsuite>\n</testsuites>\n'
  } >"$1"
}

measure() {  # measure NAME DIR
  local out="$work/$1.out"
  set +e
  /usr/bin/time -f '%e %M' -o "$work/$1.time" timeout -s KILL 300 "$qgate" check --ci \
    >"$out" 2>&1
  local code=$?
  set -e
  read -r wall rss < <(tail -n 1 "$work/$1.time") || true
  printf '%-28s exit %-3s %6s s  peak RSS %8s KB  %s\n' "$1" "$code" "$wall" "$rss" \
    "$(grep -m1 -o '\(junit.xml\|log.sarif\): [^;]*' "$out" | cut -c1-90)"
}

module "$work/attr" junit.xml
one_attribute "$work/attr/junit.xml" $((size_mb * 1024 * 1024))
(cd "$work/attr" && measure "attribute-${size_mb}MB" .)
rm -f "$work/attr/junit.xml"

module "$work/giant" junit.xml
one_attribute "$work/giant/junit.xml" $((1024 * 1024 * 1024))
(cd "$work/giant" && measure "attribute-1GiB" .)
rm -f "$work/giant/junit.xml"

mkdir -p "$work/sarif"
sed 's/testing:/code_quality:/; s/unit_tests_passing/linting_rules_followed/; s/test-coverage/lint/; s/junit.xml/log.sarif/' \
  "$work/attr/integration-requirements.yaml" >"$work/sarif/integration-requirements.yaml"
one_message "$work/sarif/log.sarif" $((size_mb * 1024 * 1024))
(cd "$work/sarif" && measure "sarif-message-${size_mb}MB" .)
rm -f "$work/sarif/log.sarif"

module "$work/zero" junit.xml
ln -s /dev/zero "$work/zero/junit.xml"
(cd "$work/zero" && measure "link-to-dev-zero" .)

module "$work/many" junit.xml
many_cases "$work/many/junit.xml" 100000
(cd "$work/many" && measure "100000-cases-$(($(stat -c %s "$work/many/junit.xml") / 1048576))MB" .)
