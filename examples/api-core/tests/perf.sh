#!/bin/sh
# slugify must handle 200 names in under 5 seconds on a CI machine.
. "$(dirname "$0")/../src/slug.sh"
start=$(date +%s)
i=0
while [ $i -lt 200 ]; do slugify "Name Number $i" >/dev/null; i=$((i + 1)); done
elapsed=$(( $(date +%s) - start ))
echo "200 slugs in ${elapsed}s (limit 5s)"
[ "$elapsed" -lt 5 ]
