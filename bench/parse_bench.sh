#!/usr/bin/env bash
# Report parsing throughput: generates large Cobertura, SARIF, JUnit and lcov
# reports in a temporary folder (removed at exit), reads each with
# qgate_parse_bench (read_report(), as the gates read reports) three times
# under GNU time, and prints the median MB/s and peak RSS of each.
#
#   bench/parse_bench.sh [path/to/qgate_parse_bench]   (default: build/qgate_parse_bench)
#   QGATE_PARSE_BENCH_MB=100 (size of each generated report)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bench="$(realpath "${1:-$root/build/qgate_parse_bench}")"
target_mb="${QGATE_PARSE_BENCH_MB:-100}"
runs=3
for tool in /usr/bin/time awk sort; do
  command -v "$tool" >/dev/null || { echo "parse_bench: $tool is missing" >&2; exit 2; }
done
[ -x "$bench" ] || { echo "parse_bench: $bench is not built (cmake --build build --target qgate_parse_bench)" >&2; exit 2; }
work="$(mktemp -d /tmp/qgate-parse-bench-XXXXXX)"
trap 'rm -rf "$work"' EXIT
bytes=$((target_mb * 1000 * 1000))

# Each generator writes records until the file holds `bytes`, shaped like
# the real tools' output (tests/fixtures has small real ones).

# gcovr-style Cobertura: files of 1000 lines, one line in 4 a branch.
awk -v bytes="$bytes" 'BEGIN {
  print "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
  print "<coverage line-rate=\"0.75\" branch-rate=\"0.5\" lines-covered=\"1\" lines-valid=\"1\" branches-covered=\"1\" branches-valid=\"1\" complexity=\"0.0\" timestamp=\"1700000000\" version=\"gcovr 7.2\">"
  print "<sources><source>/src</source></sources>"
  print "<packages><package name=\"src\" line-rate=\"0.75\" branch-rate=\"0.5\" complexity=\"0.0\"><classes>"
  n = 0; size = 0
  while (size < bytes) {
    n++
    line = sprintf("<class name=\"file%d_cpp\" filename=\"src/module%d/file%d.cpp\" line-rate=\"0.75\" branch-rate=\"0.5\" complexity=\"0.0\">\n<methods/>\n<lines>", n, n % 50, n)
    print line; size += length(line) + 1
    for (l = 1; l <= 1000; l++) {
      if (l % 4 == 0) line = sprintf("<line number=\"%d\" hits=\"%d\" branch=\"true\" condition-coverage=\"50%% (1/2)\"/>", l, l % 3)
      else line = sprintf("<line number=\"%d\" hits=\"%d\" branch=\"false\"/>", l, (l * 7) % 5)
      print line; size += length(line) + 1
    }
    print "</lines>\n</class>"; size += 18
  }
  print "</classes></package></packages></coverage>"
}' > "$work/coverage.xml"

# SARIF as scanners write it: one result in four with a code flow.
awk -v bytes="$bytes" 'BEGIN {
  print "{\"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\", \"version\": \"2.1.0\", \"runs\": [{"
  print "\"tool\": {\"driver\": {\"name\": \"scanner\", \"version\": \"1.0\", \"rules\": ["
  for (r = 0; r < 50; r++) printf "%s{\"id\": \"rule-%d\", \"shortDescription\": {\"text\": \"Rule %d\"}, \"fullDescription\": {\"text\": \"What rule %d finds and why it matters.\"}, \"defaultConfiguration\": {\"level\": \"warning\"}}\n", (r ? "," : ""), r, r, r
  print "]}},"
  print "\"results\": ["
  n = 0; size = 0
  while (size < bytes) {
    flow = ""
    if (n % 4 == 0) {
      flow = ", \"codeFlows\": [{\"threadFlows\": [{\"locations\": ["
      for (s = 0; s < 5; s++) flow = flow sprintf("%s{\"location\": {\"physicalLocation\": {\"artifactLocation\": {\"uri\": \"src/module%d/file%d.c\"}, \"region\": {\"startLine\": %d}}, \"message\": {\"text\": \"step %d\"}}}", (s ? ", " : ""), n % 50, n % 997, s * 10 + 1, s)
      flow = flow "]}]}]"
    }
    line = sprintf("%s{\"ruleId\": \"rule-%d\", \"ruleIndex\": %d, \"level\": \"warning\", \"message\": {\"text\": \"Possible problem number %d in this function\"}, \"locations\": [{\"physicalLocation\": {\"artifactLocation\": {\"uri\": \"src/module%d/file%d.c\"}, \"region\": {\"startLine\": %d, \"startColumn\": %d}}}], \"partialFingerprints\": {\"primaryLocationLineHash\": \"%08x%08x:1\"}%s}", (n ? "," : ""), n % 50, n % 50, n, n % 50, n % 997, n % 5000 + 1, n % 80 + 1, n, n * 31, flow)
    print line; size += length(line) + 1; n++
  }
  print "]}]}"
}' > "$work/report.sarif"

# JUnit as ctest/gtest write it: suites of 100 cases, one case in 50 failing
# with a stack trace, one in 100 skipped.
awk -v bytes="$bytes" 'BEGIN {
  print "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
  print "<testsuites tests=\"0\" failures=\"0\" errors=\"0\" time=\"1.0\" name=\"AllTests\">"
  n = 0; size = 0; s = 0
  while (size < bytes) {
    s++
    line = sprintf("  <testsuite name=\"Suite%d\" tests=\"100\" failures=\"2\" disabled=\"0\" skipped=\"1\" errors=\"0\" time=\"0.5\" timestamp=\"2026-11-22T02:00:00\">", s)
    print line; size += length(line) + 1
    for (c = 0; c < 100; c++) {
      n++
      if (n % 50 == 0) {
        line = sprintf("    <testcase name=\"Case%d\" status=\"run\" result=\"completed\" time=\"0.003\" classname=\"Suite%d\">\n      <failure message=\"test.cpp:%d&#x0A;Expected equality of these values:&#x0A;  a&#x0A;    Which is: 1\" type=\"\"><![CDATA[test.cpp:%d\nExpected equality of these values:\n  a\n    Which is: 1\n  b\n    Which is: 2\n#0 0x5555 in Suite%d_Case%d_Test::TestBody() test.cpp:%d\n#1 0x5556 in testing::Test::Run() gtest.cc:2682\n#2 0x5557 in testing::TestInfo::Run() gtest.cc:2861\n]]></failure>\n    </testcase>", n, s, n, n, s, n, n)
      } else if (n % 100 == 1) {
        line = sprintf("    <testcase name=\"Case%d\" status=\"run\" result=\"skipped\" time=\"0\" classname=\"Suite%d\">\n      <skipped message=\"needs a GPU\"/>\n    </testcase>", n, s)
      } else {
        line = sprintf("    <testcase name=\"Case%d\" status=\"run\" result=\"completed\" time=\"0.001\" classname=\"Suite%d\"/>", n, s)
      }
      print line; size += length(line) + 1
    }
    print "  </testsuite>"; size += 15
  }
  print "</testsuites>"
}' > "$work/tests.xml"

# lcov as geninfo writes it: files of 1000 lines with function and branch
# records.
awk -v bytes="$bytes" 'BEGIN {
  print "TN:"
  n = 0; size = 0
  while (size < bytes) {
    n++
    line = sprintf("SF:/src/module%d/file%d.cpp", n % 50, n)
    print line; size += length(line) + 1
    for (f = 1; f <= 1000; f += 50) { line = sprintf("FN:%d,function_%d_%d\nFNDA:%d,function_%d_%d", f, n, f, f % 3, n, f); print line; size += length(line) + 1 }
    print "FNF:20\nFNH:13"; size += 12
    for (l = 1; l <= 1000; l++) {
      if (l % 4 == 0) { line = sprintf("BRDA:%d,0,0,%d\nBRDA:%d,0,1,-", l, l % 3, l); print line; size += length(line) + 1 }
      line = sprintf("DA:%d,%d", l, (l * 7) % 5); print line; size += length(line) + 1
    }
    print "BRF:500\nBRH:166\nLF:1000\nLH:800\nend_of_record"; size += 44
  }
}' > "$work/coverage.info"

echo "# qgate_parse_bench, $runs runs each, median; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
# MB/s is over the parse's wall-clock time (as the binary measures it); on a
# loaded machine the CPU time (user + system, from GNU time) tells more.
printf '%-10s %-13s %7s %9s %8s %9s %10s %12s  %s\n' format file MB seconds "MB/s" "cpu s" "MB/cpu-s" "peak RSS MB" "read"
for entry in cobertura:coverage.xml sarif:report.sarif junit:tests.xml lcov:coverage.info; do
  format="${entry%%:*}"
  file="$work/${entry#*:}"
  mb=$(awk -v b="$(stat -c %s "$file")" 'BEGIN { printf "%.1f", b / 1e6 }')
  rows=()
  for _ in $(seq 1 "$runs"); do
    out=$(/usr/bin/time -f 'TIME %e %M %U %S' "$bench" "$file" "$format" 2>&1) || { echo "$out" >&2; exit 1; }
    # One row per run: seconds MB/s cpu-seconds peak-KB what-was-read.
    rows+=("$(awk '/^TIME / { cpu = $4 + $5; rss = $3 } / MB\/s / { s = $3; r = $5; w = ""; for (i = 7; i <= NF; i++) w = w " " $i }
                END { printf "%s %s %.2f %s%s\n", s, r, cpu, rss, w }' <<<"$out")")
  done
  median() { printf '%s\n' "${rows[@]}" | awk -v c="$1" '{ print $c }' | sort -g | sed -n "$(((runs + 1) / 2))p"; }
  seconds=$(median 1)
  mbps=$(median 2)
  cpu=$(median 3)
  rss=$(median 4)
  what=$(printf '%s\n' "${rows[0]}" | cut -d' ' -f5-)
  printf '%-10s %-13s %7s %9s %8s %9s %10.1f %12.1f  %s\n' "$format" "${entry#*:}" "$mb" "$seconds" \
    "$mbps" "$cpu" "$(awk -v m="$mb" -v c="$cpu" 'BEGIN { print (c > 0 ? m / c : 0) }')" \
    "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$what"
done
