#!/usr/bin/env bash
# Times qgate's built-in secret scan (security_scan_clean) on a generated git
# repository of about 1 GB: 10,000 files of 100 KB cut from qgate's own
# sources, with a few planted secrets that must be found. Prints the
# throughput and qgate's peak RSS (GNU time), then removes the repository.
#
#   bench/scan_bench.sh [path/to/qgate] [files]   (defaults: build/qgate, 10000)
#
# The scan reads the files from the page cache (they were just written, and a
# warm-up run precedes the timed ones): the figure is the scanner's, not the disk's.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
qgate="$(realpath "${1:-$root/build/qgate}")"
files="${2:-10000}"
chunk=102400  # bytes per file
variants=20   # distinct file contents (git stores each once)
per_dir=100

work="$(mktemp -d /tmp/qgate-scan-bench-XXXXXX)"
# SCAN_BENCH_KEEP=1 keeps the repository (e.g. to profile the scan on it).
if [ -n "${SCAN_BENCH_KEEP:-}" ]; then
  trap 'echo "kept $work/repo"' EXIT
else
  trap 'rm -rf "$work"' EXIT
fi
repo="$work/repo"
mkdir -p "$repo"

# cut_bytes FILE OFFSET LENGTH: prints LENGTH bytes of FILE from OFFSET.
cut_bytes() { dd if="$1" iflag=skip_bytes,count_bytes skip="$2" count="$3" bs=1M status=none; }

# Source-like text: qgate's own C++ sources, repeated to fill every variant.
(cd "$root" && git ls-files -z -- '*.cpp' '*.hpp' | xargs -0 cat) > "$work/sources"
[ -s "$work/sources" ] || { echo "no sources found under $root" >&2; exit 1; }
while [ "$(stat -c %s "$work/sources")" -lt $((chunk * (variants + 1))) ]; do
  cat "$work/sources" "$work/sources" > "$work/sources.2" && mv "$work/sources.2" "$work/sources"
done
# Variant k starts k * 7919 bytes in; the cycle holds every variant in turn,
# enough times over that any folder's files are one window of it.
for k in $(seq 0 $((variants - 1))); do
  cut_bytes "$work/sources" $((k * 7919)) "$chunk" > "$work/variant$k"
done
for k in $(seq 0 $((variants - 1))); do cat "$work/variant$k"; done > "$work/cycle1"
: > "$work/cycle"
for _ in $(seq 0 $(((per_dir + variants - 1) / variants))); do cat "$work/cycle1" >> "$work/cycle"; done

start_generate=$(date +%s.%N)
dirs=$(((files + per_dir - 1) / per_dir))
for d in $(seq 1 "$dirs"); do
  mkdir -p "$repo/src/d$d"
  n=$((files - (d - 1) * per_dir)); [ "$n" -gt "$per_dir" ] && n=$per_dir
  # Folder d's files are variants d, d+1, ...: one split cuts them from the cycle.
  cut_bytes "$work/cycle" $(((d % variants) * chunk)) $((n * chunk)) |
    split -b "$chunk" -a 3 -d --additional-suffix=.cc - "$repo/src/d$d/f"
done
# Planted secrets, put together here so this script holds none.
gh="gh""p_$(head -c 200 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 36)"
ak="AK""IA$(head -c 200 /dev/urandom | tr -dc 'A-Z0-9' | head -c 16)"
printf 'const char* kToken = "%s";\n' "$gh" >> "$repo/src/d1/f000.cc"
printf 'AWS_ACCESS_KEY_ID=%s\n' "$ak" >> "$repo/src/d$dirs/f000.cc"
printf "integration_requirements:\n  testing: [ {security_scan_clean: true} ]\nmodule: {id: scan-bench}\n" \
  > "$repo/integration-requirements.yaml"
(cd "$repo" && git init -q . && git add -A &&
  git -c user.name=bench -c user.email=bench@example.com commit -q -m tree)
end_generate=$(date +%s.%N)
bytes=$(cd "$repo" && git ls-files -z | xargs -0 stat -c %s | awk '{s += $1} END {print s}')
awk -v f="$files" -v b="$bytes" -v s="$start_generate" -v e="$end_generate" \
  'BEGIN { printf "generated %d files, %.1f MB, in %.1f s\n", f, b / 1048576, e - s }'

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
(cd "$repo" && "$qgate" check --ci > "$work/warmup.txt") || true
if ! grep -q 'security_scan_clean .*failed.*2 secrets found' "$work/warmup.txt"; then
  echo "the scan did not find the 2 planted secrets:" >&2
  cat "$work/warmup.txt" >&2
  exit 1
fi
for run in 1 2 3; do
  (cd "$repo" && /usr/bin/time -f '%e %M %U %S' -o "$work/time$run" "$qgate" check --ci > /dev/null) || true
  # GNU time puts "Command exited with non-zero status 1" first: the scan fails by design.
  read -r seconds rss_kb user system < <(tail -n 1 "$work/time$run")
  awk -v r="$run" -v s="$seconds" -v b="$bytes" -v m="$rss_kb" -v c="$(echo "$user + $system" | bc)" \
    'BEGIN { printf "run %d: %.2f s, %.0f MB/s, peak RSS %d KB, CPU %.2f s (%.0f MB per CPU-second)\n",
             r, s, b / 1048576 / s, m, c, b / 1048576 / c }'
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -o 'scanned [^;]*' "$work/warmup.txt" | head -1
