#!/usr/bin/env bash
# Runs the runner-core workloads W1..W5 against qgate (embedded store on) and
# `make -j` in one run, and writes bench/RESULTS.md. Figures on a shared
# 2-core machine are noisy: compare the ratios of one run, not absolute times.
#
#   bench/run.sh [path/to/qgate]        (default: build/qgate)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
qgate="$(realpath "${1:-$root/build/qgate}")"
out="$root/bench/out"
runs="${QGATE_BENCH_RUNS:-30}"
rm -rf "$out"
mkdir -p "$out"

for tool in hyperfine make /usr/bin/time awk; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (scripts/install-deps.sh installs it)" >&2; exit 2; }
done

# make_workload NAME COUNT COMMAND: a module folder whose lint gate has COUNT
# steps running COMMAND, and a Makefile with the same COUNT recipes.
make_workload() {
  local name=$1 count=$2 command=$3 dir="$out/$1"
  mkdir -p "$dir"
  {
    echo "integration_requirements: {}"
    echo "gates:"
    echo "  lint:"
    echo "    steps:"
    for i in $(seq 1 "$count"); do
      printf "      - {name: s%d, run: '%s'}\n" "$i" "${command//\'/\'\'}"
    done
  } > "$dir/integration-requirements.yaml"
  {
    printf "all:"
    for i in $(seq 1 "$count"); do printf " s%d" "$i"; done
    printf "\n.PHONY: all"
    for i in $(seq 1 "$count"); do printf " s%d" "$i"; done
    printf "\n"
    for i in $(seq 1 "$count"); do printf "s%d:\n\t@%s\n" "$i" "$command"; done
  } > "$dir/Makefile"
  # Warm the store and the validated-config stamp, as a developer's second run.
  (cd "$dir" && "$qgate" check --ci >/dev/null)
}

cpu_loop="awk 'BEGIN{for(i=0;i<6000000;i++)s+=i}'"
make_workload W1 8 "sleep 0.3"
make_workload W2 50 "true"
make_workload W3 4 "$cpu_loop"
make_workload W4 1 "yes a-line-of-output-for-the-benchmark | head -c 209715200"
make_workload W5 1 "true"

# bench_pair NAME RUNS STEPS: times qgate and make -j on workload NAME; prints
# "qgate_median make_median" in seconds. make -j runs every recipe at once, so
# qgate gets -j STEPS too (its default is the number of cores). make's output
# goes to a pipe that hyperfine drains, as qgate's goes to its log file.
bench_pair() {
  local name=$1 n=$2 steps=$3 dir="$out/$1"
  (cd "$dir" && hyperfine -N --warmup 2 --runs "$n" --output=pipe \
      --export-csv "$out/$name.csv" --export-json "$out/$name.json" \
      -n qgate "$qgate check --ci -j $steps" -n "make -j" "make -s -j" >"$out/$name.txt" 2>&1)
  awk -F, 'NR>1 {print $4}' "$out/$name.csv" | paste -sd' '
}

peak_rss_kb() {  # peak RSS of qgate (KB) over 5 runs of workload $1
  local dir="$out/$1" max=0 kb
  for _ in 1 2 3 4 5; do
    kb=$(cd "$dir" && /usr/bin/time -f "%M" "$qgate" check --ci 2>&1 >/dev/null | tail -1)
    [ "$kb" -gt "$max" ] && max=$kb
  done
  echo "$max"
}

ideal_w3() {  # one CPU step alone; 4 of them on $(nproc) cores
  local one
  one=$(cd "$out" && hyperfine -N --runs 5 --export-csv "$out/W3-one.csv" "sh -c \"$cpu_loop\"" >/dev/null 2>&1 && awk -F, 'NR==2 {print $4}' "$out/W3-one.csv")
  awk -v one="$one" -v cores="$(nproc)" 'BEGIN { w = 4 / cores; if (w < 1) w = 1; printf "%.3f %.3f", one, one * (w == int(w) ? w : int(w) + 1) }'
}

read -r w1_q w1_m <<<"$(bench_pair W1 10 8)"
read -r w2_q w2_m <<<"$(bench_pair W2 "$runs" 50)"
read -r w3_q w3_m <<<"$(bench_pair W3 10 4)"
read -r w4_q w4_m <<<"$(bench_pair W4 10 1)"
read -r w5_q w5_m <<<"$(bench_pair W5 "$((runs * 3))" 1)"
read -r w3_one w3_ideal <<<"$(ideal_w3)"
# W4 again with make writing its output to a new file, as qgate writes a new log.
(cd "$out/W4" && hyperfine --warmup 2 --runs 10 --export-csv "$out/W4-file.csv" \
    -n "make -j > file" 'make -s -j > make.$$.log' >"$out/W4-file.txt" 2>&1)
w4_mf=$(awk -F, 'NR==2 {print $4}' "$out/W4-file.csv")
w4_rss=$(peak_rss_kb W4)

ms() { awk -v s="$1" 'BEGIN { printf "%.1f ms", s * 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f×", a / b }'; }
check() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t) ? "met" : "missed" }'; }

{
  echo "# Runner-core benchmarks"
  echo
  echo "Produced by \`bench/run.sh\` on $(date -u +%Y-%m-%d) ($(nproc) cores, $(uname -r), qgate $("$qgate" --version | awk '{print $2}'), medians of hyperfine runs; \`qgate check --ci -j N\` with N steps, as \`make -j\` runs them all at once; make's output piped like qgate's)."
  echo "Figures on this shared machine are noisy: read the ratios within this table."
  echo
  echo "| workload | qgate | make -j | qgate / make | target | verdict |"
  echo "|---|---|---|---|---|---|"
  echo "| W1: 8 steps of \`sleep 0.3\` | $(ms "$w1_q") | $(ms "$w1_m") | $(ratio "$w1_q" "$w1_m") | ≤ 1.03 × 0.3 s ideal = 309 ms | $(check "$w1_q" 0.309) ($(ratio "$w1_q" 0.3) ideal) |"
  echo "| W2: 50 steps of \`true\` | $(ms "$w2_q") | $(ms "$w2_m") | $(ratio "$w2_q" "$w2_m") | ≤ 30 ms | $(check "$w2_q" 0.030) |"
  echo "| W3: 4 CPU-bound steps (one alone: $(ms "$w3_one")) | $(ms "$w3_q") | $(ms "$w3_m") | $(ratio "$w3_q" "$w3_m") | ideal on $(nproc) cores: $(ms "$w3_ideal") | $(ratio "$w3_q" "$w3_ideal") ideal |"
  echo "| W4: one step writing 200 MB | $(ms "$w4_q") | $(ms "$w4_m") | $(ratio "$w4_q" "$w4_m") | ≤ 1.3 × make | $(awk -v q="$w4_q" -v m="$w4_m" 'BEGIN { print (q <= 1.3 * m) ? "met" : "missed" }') |"
  echo "| W4, make writing to a file instead | $(ms "$w4_q") | $(ms "$w4_mf") | $(ratio "$w4_q" "$w4_mf") | (for comparison) | |"
  echo "| W4: peak RSS of qgate | $((w4_rss / 1024)) MB ($w4_rss KB) | | | ≤ 16 MB | $(check "$w4_rss" 16384) |"
  echo "| W5: one step of \`true\` | $(ms "$w5_q") | $(ms "$w5_m") | $(ratio "$w5_q" "$w5_m") | ≤ 5 ms | $(check "$w5_q" 0.005) |"
  echo
  echo "Raw hyperfine output of this run: \`bench/out/W*.txt\` (not committed)."
} > "$out/RESULTS.part.md"
# Keep the hand-written notes below the marker of the committed RESULTS.md.
results="$root/bench/RESULTS.md"
marker="<!-- notes: kept by bench/run.sh -->"
notes=""
[ -f "$results" ] && notes=$(awk -v m="$marker" 'found || $0 == m { found = 1; print }' "$results")
{ cat "$out/RESULTS.part.md"
# The W4 logs take gigabytes.
rm -rf "$out/W4/.qgate/runs" "$out"/W4/make.*.log; echo; if [ -n "$notes" ]; then echo "$notes"; else echo "$marker"; fi; } > "$results"
cat "$out/RESULTS.part.md"
# The W4 logs take gigabytes.
rm -rf "$out/W4/.qgate/runs" "$out"/W4/make.*.log
