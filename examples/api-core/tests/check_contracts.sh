#!/bin/sh
# Every route handler in src/routes.py declares the type of each parameter.
set -e
untyped=$(grep -nE '^def [a-z_]+\(([a-z_]+(, *)?)+\)' src/routes.py || true)
if [ -n "$untyped" ]; then echo "untyped handler parameters:"; echo "$untyped"; exit 1; fi
echo "ok   all handler parameters typed"
