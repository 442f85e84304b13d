-- Adds the API keys the authentication layer checks.
CREATE TABLE api_keys (
    key_hash TEXT PRIMARY KEY,
    human_id INTEGER NOT NULL REFERENCES humans(id),
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
