-- qgate's own record: runs (each against a checkout when there is one), gate
-- results with their steps, findings and metrics, and requirement verdicts.
CREATE TABLE qgate_runs (
    id UUID PRIMARY KEY,
    checkout_id UUID REFERENCES module_checkouts(id),
    module_id VARCHAR(20) NOT NULL,
    module_name TEXT NOT NULL DEFAULT '',
    module_path TEXT NOT NULL DEFAULT '',
    config_path TEXT NOT NULL DEFAULT '',
    triggered_by VARCHAR(20) NOT NULL DEFAULT 'cli',
    commit_sha VARCHAR(64) NOT NULL DEFAULT '',
    ref TEXT NOT NULL DEFAULT '',
    qgate_version VARCHAR(40) NOT NULL DEFAULT '',
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    duration_s DOUBLE PRECISION NOT NULL DEFAULT 0,
    status VARCHAR(20) NOT NULL,
    exit_code INTEGER NOT NULL DEFAULT -1,
    owner_host TEXT NOT NULL DEFAULT '',
    owner_pid INTEGER NOT NULL DEFAULT 0,
    owner_start_ticks BIGINT NOT NULL DEFAULT 0,
    heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX qgate_runs_module_started ON qgate_runs(module_id, started_at DESC);
CREATE INDEX qgate_runs_checkout_started ON qgate_runs(checkout_id, started_at DESC);
CREATE INDEX qgate_runs_started ON qgate_runs(started_at DESC);
CREATE INDEX qgate_runs_running ON qgate_runs(heartbeat_at) WHERE status = 'running';

CREATE TABLE qgate_gate_results (
    id BIGSERIAL PRIMARY KEY,
    run_id UUID NOT NULL REFERENCES qgate_runs(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name VARCHAR(40) NOT NULL,
    status VARCHAR(20) NOT NULL,
    required BOOLEAN NOT NULL,
    duration_s DOUBLE PRECISION NOT NULL,
    message TEXT NOT NULL,
    UNIQUE (run_id, name)
);

CREATE TABLE qgate_step_results (
    gate_id BIGINT NOT NULL REFERENCES qgate_gate_results(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    gate VARCHAR(40) NOT NULL,
    name TEXT NOT NULL,
    command TEXT NOT NULL,
    status VARCHAR(20) NOT NULL,
    exit_code INTEGER NOT NULL,
    term_signal INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    flaky BOOLEAN NOT NULL,
    timed_out BOOLEAN NOT NULL,
    duration_s DOUBLE PRECISION NOT NULL,
    log_path TEXT NOT NULL,
    tail TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (gate_id, position)
);

CREATE TABLE qgate_findings (
    gate_id BIGINT NOT NULL REFERENCES qgate_gate_results(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    module_id VARCHAR(20) NOT NULL,
    requirement VARCHAR(60) NOT NULL,
    rule TEXT NOT NULL,
    severity VARCHAR(10) NOT NULL,
    message TEXT NOT NULL,
    file TEXT NOT NULL,
    line INTEGER NOT NULL,
    column_number INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    PRIMARY KEY (gate_id, position)
);
-- The lint baseline: findings of a module by fingerprint.
CREATE INDEX qgate_findings_baseline ON qgate_findings(module_id, fingerprint);

CREATE TABLE qgate_metrics (
    gate_id BIGINT NOT NULL REFERENCES qgate_gate_results(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    module_id VARCHAR(20) NOT NULL,
    name TEXT NOT NULL,
    value DOUBLE PRECISION,
    unit TEXT NOT NULL,
    PRIMARY KEY (gate_id, position)
);
-- Performance history: a metric of a module over time.
CREATE INDEX qgate_metrics_history ON qgate_metrics(module_id, name);

CREATE TABLE qgate_requirement_results (
    run_id UUID NOT NULL REFERENCES qgate_runs(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name VARCHAR(60) NOT NULL,
    category VARCHAR(20) NOT NULL,
    gate VARCHAR(40) NOT NULL,
    required BOOLEAN NOT NULL,
    status VARCHAR(20) NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (run_id, position)
);
