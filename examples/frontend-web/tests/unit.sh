#!/bin/sh
# A unit test that fails: the formatter rounds the wrong way.
got=$(printf '%.0f' 2.5)
echo "format(2.5) = $got, want 3"
[ "$got" = "3" ]
