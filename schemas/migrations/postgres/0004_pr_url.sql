-- The integration pull request a passing run opened or updated
-- (qgate check --open-pr); '' when none.
ALTER TABLE qgate_runs ADD COLUMN pr_url TEXT NOT NULL DEFAULT '';
