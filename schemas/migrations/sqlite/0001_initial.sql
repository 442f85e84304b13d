-- The first schema of the embedded result store (runner/sqlite_store.cpp).
-- The migration runner applies it once, inside the transaction that records
-- version 1 in schema_migrations. Never edit it once released: add 0002_*.sql.
-- Empty text means "none" except finished_at, which is NULL while running.

-- One row per `qgate check`. The owner_* columns name the process writing
-- the run, so that a run left `running` by a process that died can be told
-- from one in progress; owner_start_ticks (field 22 of /proc/<pid>/stat)
-- keeps a reused pid from passing for the owner.
CREATE TABLE runs (
  id                TEXT    NOT NULL PRIMARY KEY,
  module_id         TEXT    NOT NULL,
  module_name       TEXT    NOT NULL,
  module_path       TEXT    NOT NULL,
  config_path       TEXT    NOT NULL,
  triggered_by      TEXT    NOT NULL,  -- cli | actions | api
  commit_sha        TEXT    NOT NULL,
  ref               TEXT    NOT NULL,
  qgate_version     TEXT    NOT NULL,
  started_at        TEXT    NOT NULL,  -- ISO 8601 UTC, so text order is time order
  finished_at       TEXT,
  duration_s        REAL    NOT NULL,
  status            TEXT    NOT NULL,
  exit_code         INTEGER NOT NULL,
  owner_pid         INTEGER NOT NULL,
  owner_host        TEXT    NOT NULL,
  owner_start_ticks INTEGER NOT NULL
);
-- Lookup by id prefix is a range scan (id >= prefix AND id < successor) on
-- the primary key's index, so it needs no index of its own.
-- `qgate history --module m`: the runs of one module, newest first.
CREATE INDEX runs_by_module ON runs (module_id, started_at);
-- `qgate history`: every run, newest first.
CREATE INDEX runs_by_start ON runs (started_at);
-- reap_interrupted() visits only the few runs still running.
CREATE INDEX runs_running ON runs (owner_host) WHERE status = 'running';

-- The verdict on each line of the integration checklist, in checklist order.
CREATE TABLE requirement_results (
  run_id   TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name     TEXT    NOT NULL,
  category TEXT    NOT NULL,
  gate     TEXT    NOT NULL,
  required INTEGER NOT NULL,
  status   TEXT    NOT NULL,
  message  TEXT    NOT NULL,
  PRIMARY KEY (run_id, position)
);

-- One row per gate of a run; recording a gate again replaces its row's
-- values in place (same id, same position) and its steps, findings, metrics.
CREATE TABLE gate_results (
  id         INTEGER PRIMARY KEY,
  run_id     TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  position   INTEGER NOT NULL,  -- the order in which the run recorded its gates
  name       TEXT    NOT NULL,
  status     TEXT    NOT NULL,
  required   INTEGER NOT NULL,
  duration_s REAL    NOT NULL,
  message    TEXT    NOT NULL,
  UNIQUE (run_id, name)
);

-- The rows below belong to a gate, and through it to a run: deleting either
-- deletes them. Their primary key keeps insertion order and indexes gate_id.
CREATE TABLE step_results (
  gate_id     INTEGER NOT NULL REFERENCES gate_results (id) ON DELETE CASCADE,
  position    INTEGER NOT NULL,
  gate        TEXT    NOT NULL,
  name        TEXT    NOT NULL,
  command     TEXT    NOT NULL,
  status      TEXT    NOT NULL,
  exit_code   INTEGER NOT NULL,
  term_signal INTEGER NOT NULL,
  attempts    INTEGER NOT NULL,
  flaky       INTEGER NOT NULL,
  timed_out   INTEGER NOT NULL,
  duration_s  REAL    NOT NULL,
  log_path    TEXT    NOT NULL,
  tail        TEXT    NOT NULL,
  message     TEXT    NOT NULL,
  PRIMARY KEY (gate_id, position)
);

CREATE TABLE findings (
  gate_id       INTEGER NOT NULL REFERENCES gate_results (id) ON DELETE CASCADE,
  position      INTEGER NOT NULL,
  requirement   TEXT    NOT NULL,
  rule          TEXT    NOT NULL,
  severity      TEXT    NOT NULL,
  message       TEXT    NOT NULL,
  file          TEXT    NOT NULL,
  line_number   INTEGER NOT NULL,  -- 0 if unknown
  column_number INTEGER NOT NULL,  -- 0 if unknown
  fingerprint   TEXT    NOT NULL,
  PRIMARY KEY (gate_id, position)
);

CREATE TABLE metrics (
  gate_id  INTEGER NOT NULL REFERENCES gate_results (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name     TEXT    NOT NULL,
  value    REAL,  -- NULL for NaN, which SQLite cannot store
  unit     TEXT    NOT NULL,
  PRIMARY KEY (gate_id, position)
);
