#!/bin/sh
# Integration test: the schema and its migrations apply, in order, to a fresh
# SQLite database, and the columns the API reads exist.
set -e
db="${QGATE_OUT:-/tmp}/integration.db"
mkdir -p "$(dirname "$db")"
rm -f "$db"
if command -v sqlite3 >/dev/null 2>&1; then
  cat db/schema.sql migrations/*.sql | sqlite3 "$db"
  sqlite3 "$db" "SELECT id, display_name FROM humans LIMIT 0; SELECT number, human_id FROM phone_numbers LIMIT 0;"
  echo "ok   schema and migrations apply"
else
  grep -q "CREATE TABLE humans" db/schema.sql
  echo "ok   schema present (sqlite3 not installed: not applied)"
fi
