-- Only-new baselines: whether each finding was new or already in the
-- baseline ('' when the gate was not judged in only-new mode), and whether a
-- gate's findings may be the baseline of later runs (its reports were read,
-- and it passed or was judged on every finding; qgate baseline accept|reset
-- set it by hand). Gates recorded before this knew only "passed".
ALTER TABLE findings ADD COLUMN baseline TEXT NOT NULL DEFAULT '';
ALTER TABLE gate_results ADD COLUMN baseline_eligible INTEGER NOT NULL DEFAULT 0;
UPDATE gate_results SET baseline_eligible = 1 WHERE status = 'passed';
