#!/bin/sh
# Unit tests of src/slug.sh.
. "$(dirname "$0")/../src/slug.sh"
failures=0
check() {
  got=$(slugify "$1")
  if [ "$got" = "$2" ]; then echo "ok   slugify '$1'"; else echo "FAIL slugify '$1': got '$got', want '$2'"; failures=$((failures + 1)); fi
}
check "Hello World" "hello-world"
check "  Jane  Doe " "jane-doe"
check "API v2.0!" "api-v2-0"
[ "$failures" -eq 0 ]
