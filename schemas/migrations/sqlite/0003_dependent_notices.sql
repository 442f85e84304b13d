-- Completion notices for the modules that depend on a run's module
-- (dependent_modules_notified). The embedded store has no checkouts, so a
-- notice names the dependent module; the PostgreSQL store writes rows of the
-- checkout system's checkout_notifications instead.
CREATE TABLE dependent_notices (
  run_id     TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  module_id  TEXT NOT NULL,  -- the dependent module notified
  message    TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (run_id, module_id)
);
