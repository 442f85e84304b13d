-- The module checkout a run is recorded against (qgate check --checkout ID);
-- the checkout tables themselves live in the PostgreSQL store only.
ALTER TABLE runs ADD COLUMN checkout_id TEXT;
