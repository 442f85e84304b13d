-- Only-new baselines: whether each finding was new or already in the
-- baseline ('' when the gate was not judged in only-new mode), and whether a
-- gate's findings may be the baseline of later runs (its reports were read,
-- and it passed or was judged on every finding; qgate baseline accept|reset
-- set it by hand). Gates recorded before this knew only "passed".
ALTER TABLE qgate_findings ADD COLUMN baseline TEXT NOT NULL DEFAULT '';
ALTER TABLE qgate_gate_results ADD COLUMN baseline_eligible BOOLEAN NOT NULL DEFAULT false;
UPDATE qgate_gate_results SET baseline_eligible = true WHERE status = 'passed';
