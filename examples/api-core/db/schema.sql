-- Core tables of the CRM (owned by database-core, used here read-only).
CREATE TABLE humans (
    id INTEGER PRIMARY KEY,
    display_name TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS phone_numbers (
    number TEXT PRIMARY KEY,
    human_id INTEGER REFERENCES humans(id)
);
