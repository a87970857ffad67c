"""Storage: pragmas, append-only migrations and the writer's transactions."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from qode.db import Database
from qode.migrations import MIGRATIONS, migrate


@pytest.fixture
def fresh(tmp_path):
    database = Database(tmp_path / "t.db")
    yield database
    database.close()


def test_pragmas(fresh):
    migrate(fresh)
    with fresh.write() as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    with fresh.read() as conn:
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2


def test_migrations_apply_once_in_order(fresh):
    assert migrate(fresh) == [name for name, _ in MIGRATIONS]
    assert migrate(fresh) == []
    with fresh.read() as conn:
        recorded = [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]
    assert recorded == [name for name, _ in MIGRATIONS]


def test_an_older_database_is_upgraded(fresh):
    first_name, first = MIGRATIONS[0]
    with fresh.write() as conn:
        conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        first(conn)
        conn.execute("INSERT INTO _migrations VALUES (?, 'x')", (first_name,))
    assert migrate(fresh) == [name for name, _ in MIGRATIONS[1:]]


def test_schema_indexes(fresh):
    migrate(fresh)
    with fresh.read() as conn:
        indexes = {r["name"]: r["sql"] for r in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tickets'")}
    assert "idx_tickets_queue_id" in indexes
    assert "idx_tickets_device_token" in indexes
    assert "idx_tickets_status" in indexes
    assert "UNIQUE" in indexes["idx_tickets_number"]


def test_nested_write_is_a_savepoint(fresh):
    migrate(fresh)
    with fresh.write() as conn:
        conn.execute("CREATE TABLE t (x)")
    with fresh.write() as conn:
        conn.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(ValueError):
            with fresh.write() as inner:
                inner.execute("INSERT INTO t VALUES (2)")
                raise ValueError
        conn.execute("INSERT INTO t VALUES (3)")
    with fresh.read() as conn:
        assert [r[0] for r in conn.execute("SELECT x FROM t ORDER BY x")] == [1, 3]


def test_reader_does_not_see_uncommitted_writes(fresh):
    migrate(fresh)
    with fresh.write() as conn:
        conn.execute("CREATE TABLE t (x)")
    seen = []

    def count():
        with fresh.read() as reader:
            seen.append(reader.execute("SELECT COUNT(*) FROM t").fetchone()[0])

    with fresh.write() as conn:
        conn.execute("INSERT INTO t VALUES (1)")
        # Another thread reads through its own short-lived connection: the last commit.
        thread = threading.Thread(target=count)
        thread.start()
        thread.join(5)
    count()
    assert seen == [0, 1]


def test_a_failed_commit_does_not_block_later_writes(fresh):
    migrate(fresh)
    with fresh.write() as conn:
        conn.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        conn.execute("CREATE TABLE child (p INTEGER REFERENCES parent(id))")
    with pytest.raises(sqlite3.IntegrityError):
        with fresh.write() as conn:
            conn.execute("PRAGMA defer_foreign_keys = ON")
            conn.execute("INSERT INTO child VALUES (42)")  # checked only at COMMIT
    with fresh.write() as conn:
        conn.execute("INSERT INTO parent VALUES (1)")
    with fresh.read() as conn:
        assert conn.execute("SELECT COUNT(*) FROM child").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM parent").fetchone()[0] == 1
