"""The schema and its migrations apply, in order, to a fresh SQLite database,
and the columns the API reads exist."""
import sqlite3
from pathlib import Path

MODULE = Path(__file__).resolve().parents[2]


def apply_all():
    db = sqlite3.connect(":memory:")
    db.executescript((MODULE / "db" / "schema.sql").read_text())
    for migration in sorted((MODULE / "migrations").glob("*.sql")):
        db.executescript(migration.read_text())
    return db


def test_schema_and_migrations_apply():
    db = apply_all()
    db.execute("SELECT id, display_name FROM humans LIMIT 0")
    db.execute("SELECT number, human_id FROM phone_numbers LIMIT 0")


def test_phone_numbers_reference_humans():
    db = apply_all()
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("INSERT INTO humans (id, display_name) VALUES (1, 'Jane Doe')")
    db.execute("INSERT INTO phone_numbers (number, human_id) VALUES ('+15550100', 1)")
    assert db.execute("SELECT count(*) FROM phone_numbers").fetchone()[0] == 1
