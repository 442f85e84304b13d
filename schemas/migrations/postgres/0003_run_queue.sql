-- The run queue: runs asked for (by `qgate queue add` now, by the HTTP API
-- later) and claimed by `qgate worker` processes on any machine sharing the
-- database. A claimed item holds a lease that its worker renews; an item
-- whose lease ran out is queued again (attempts < max_attempts) or marked
-- interrupted by whichever worker notices first.
CREATE TABLE qgate_run_queue (
    id UUID PRIMARY KEY,
    module_id VARCHAR(20) NOT NULL,
    checkout_id UUID REFERENCES module_checkouts(id),
    ref TEXT NOT NULL DEFAULT '',
    module_path TEXT NOT NULL DEFAULT '',
    repository TEXT NOT NULL DEFAULT '',
    options JSONB NOT NULL DEFAULT '{}'::jsonb,
    status VARCHAR(20) NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'running', 'finished', 'interrupted', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 2 CHECK (max_attempts >= 1),
    worker_id TEXT NOT NULL DEFAULT '',
    worker_host TEXT NOT NULL DEFAULT '',
    worker_pid INTEGER NOT NULL DEFAULT 0,
    -- Names one claim, so that a claim whose commit was lost with the
    -- connection is found again instead of taking a second item.
    claim_token UUID,
    lease_expires_at TIMESTAMPTZ,
    cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
    idempotency_key TEXT UNIQUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    -- No foreign key: a run kept in a spool while the database was away is
    -- recorded in qgate_runs later than its queue item is finished.
    run_id UUID,
    exit_code INTEGER,
    message TEXT NOT NULL DEFAULT ''
);
-- Claiming takes the oldest queued item.
CREATE INDEX qgate_run_queue_claim ON qgate_run_queue(created_at, id) WHERE status = 'queued';
-- Sweeping finds the running items whose lease ran out.
CREATE INDEX qgate_run_queue_lease ON qgate_run_queue(lease_expires_at) WHERE status = 'running';
CREATE INDEX qgate_run_queue_module ON qgate_run_queue(module_id, created_at DESC);
CREATE INDEX qgate_run_queue_checkout ON qgate_run_queue(checkout_id, created_at DESC);
CREATE INDEX qgate_run_queue_status ON qgate_run_queue(status, created_at DESC);
