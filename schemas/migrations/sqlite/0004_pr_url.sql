-- The integration pull request a passing run opened or updated
-- (qgate check --open-pr); NULL when none.
ALTER TABLE runs ADD COLUMN pr_url TEXT;
