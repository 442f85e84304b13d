-- What `qgate serve` keeps: API tokens (only their SHA-256), the request
-- signatures seen within the replay window, the log of each queued run, and
-- the completion callback of each queue item with every delivery attempt.

-- Bearer tokens of the API (`qgate token create|revoke`). The token itself is
-- shown once and never stored.
CREATE TABLE qgate_api_tokens (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    token_sha256 CHAR(64) NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    revoked_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX qgate_api_tokens_active_name ON qgate_api_tokens(name) WHERE revoked_at IS NULL;

-- HMAC-signed requests already accepted, by the SHA-256 of their signature:
-- the same signature within the replay window is refused. Rows older than
-- the window are deleted by the server.
CREATE TABLE qgate_api_signatures (
    signature_sha256 CHAR(64) PRIMARY KEY,
    seen_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX qgate_api_signatures_seen ON qgate_api_signatures(seen_at);

-- The output of a queued run (`qgate check` and then its step logs), in the
-- order the worker appended it; `GET /v1/runs/{id}/log` streams it.
CREATE TABLE qgate_run_logs (
    item_id UUID NOT NULL REFERENCES qgate_run_queue(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    chunk TEXT NOT NULL,
    PRIMARY KEY (item_id, seq)
);

-- The completion callback: 'none' when the item has no callback_url in its
-- options, 'pending' once it has ended (until delivered or given up).
ALTER TABLE qgate_run_queue
    ADD COLUMN callback_state VARCHAR(20) NOT NULL DEFAULT 'none'
        CHECK (callback_state IN ('none', 'pending', 'delivered', 'failed')),
    ADD COLUMN callback_attempts INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN callback_next_at TIMESTAMPTZ;
CREATE INDEX qgate_run_queue_callback ON qgate_run_queue(callback_next_at)
    WHERE callback_state = 'pending';

-- Every delivery attempt of a callback, kept.
CREATE TABLE qgate_callback_attempts (
    item_id UUID NOT NULL REFERENCES qgate_run_queue(id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    url TEXT NOT NULL,
    attempted_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    status_code INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    duration_ms DOUBLE PRECISION NOT NULL DEFAULT 0,
    PRIMARY KEY (item_id, attempt)
);

-- Whatever ends an item (a worker finishing or cancelling it, a sweep
-- marking it interrupted, a cancel of a queued item) makes its callback
-- due, in the same transaction.
CREATE FUNCTION qgate_run_queue_callback_due() RETURNS trigger AS $$
BEGIN
    IF NEW.status IN ('finished', 'interrupted', 'cancelled')
       AND OLD.status NOT IN ('finished', 'interrupted', 'cancelled')
       AND coalesce(NEW.options ->> 'callback_url', '') <> ''
       AND NEW.callback_state = 'none' THEN
        NEW.callback_state := 'pending';
        NEW.callback_next_at := NOW();
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER qgate_run_queue_callback_due BEFORE UPDATE OF status ON qgate_run_queue
    FOR EACH ROW EXECUTE FUNCTION qgate_run_queue_callback_due();
