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


def test_a_failed_commit_whose_rollback_fails_too_fails_its_write_and_leaves_nothing_open(fresh):
    """issue 17: the batch fails whatever the ROLLBACK after its failed COMMIT does; when that
    fails too, a new writer connection drops the transaction, so the next write starts clean."""
    migrate(fresh)
    with fresh.write() as conn:
        conn.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        conn.execute("CREATE TABLE child (p INTEGER REFERENCES parent(id))")

    class RollbackFails:
        def __init__(self, real):
            self.real = real

        def __getattr__(self, name):
            return getattr(self.real, name)

        def execute(self, sql, *args):
            if sql == "ROLLBACK":
                raise sqlite3.OperationalError("disk I/O error")
            return self.real.execute(sql, *args)

    fresh._conn = RollbackFails(fresh._conn)
    with pytest.raises(sqlite3.IntegrityError):
        with fresh.write() as conn:
            conn.execute("PRAGMA defer_foreign_keys = ON")
            conn.execute("INSERT INTO child VALUES (42)")  # checked only at COMMIT, which fails
    assert not isinstance(fresh._conn, RollbackFails)  # replaced: its transaction is gone
    with fresh.write() as conn:
        conn.execute("INSERT INTO parent VALUES (1)")
    with fresh.read() as conn:
        assert conn.execute("SELECT COUNT(*) FROM child").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM parent").fetchone()[0] == 1


# ---- issue 17: group commit -------------------------------------------------------------------

def _table(db: Database) -> None:
    with db.write() as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS gc (n INTEGER PRIMARY KEY, who TEXT)")


def _committed(db: Database) -> set[int]:
    """What another connection sees: only what is committed."""
    other = sqlite3.connect(db.path)
    try:
        return {row[0] for row in other.execute("SELECT n FROM gc")}
    finally:
        other.close()


def _wait_for(check, seconds: float = 5.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


def test_writes_that_arrive_together_commit_together_and_each_error_is_its_own(fresh):
    db = fresh
    _table(db)
    first_in, go = threading.Event(), threading.Event()
    outcome: dict[int, object] = {}

    def write(n: int, fail: bool = False) -> None:
        try:
            with db.write() as conn:
                conn.execute("INSERT INTO gc (n, who) VALUES (?, 'w')", (n,))
                if n == 1:
                    first_in.set()
                    assert go.wait(5)
                if fail:
                    raise ValueError("this write's own mistake")
            outcome[n] = _committed(db)  # what is on disk when this write returns
        except ValueError as err:
            outcome[n] = err

    batches = db.batches
    threads = [threading.Thread(target=write, args=(1,))]
    threads[0].start()
    assert first_in.wait(5)
    for n, fail in ((2, False), (3, True), (4, False)):
        threads.append(threading.Thread(target=write, args=(n, fail)))
        threads[-1].start()
    _wait_for(lambda: db._batch is not None and db._batch.pending == 4)  # all four joined one batch
    go.set()
    for thread in threads:
        thread.join(10)
    assert db.batches == batches + 1  # one COMMIT for the batch
    assert isinstance(outcome[3], ValueError)  # its own error, its own work rolled back
    for n in (1, 2, 4):
        assert {1, 2, 4} <= outcome[n], f"write {n} returned before its batch was committed"
    assert _committed(db) == {1, 2, 4}


def test_a_burst_of_writes_needs_far_fewer_commits_than_writes(fresh):
    import time

    db = fresh
    _table(db)
    db.on_commit.append(lambda: time.sleep(0.01))  # a slow disk: writes pile up behind each commit
    batches = db.batches
    counter = iter(range(1, 1_000_000))
    lock = threading.Lock()

    def writer() -> None:
        for _ in range(10):
            with lock:
                n = next(counter)
            with db.write() as conn:
                conn.execute("INSERT INTO gc (n, who) VALUES (?, 'burst')", (n,))

    threads = [threading.Thread(target=writer) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert _committed(db) == set(range(1, 161))
    commits = db.batches - batches
    assert commits < 160 / 3, f"{commits} commits for 160 writes"


def test_the_storage_probe_and_a_checkpoint_wait_for_a_batch_being_gathered(fresh):
    db = fresh
    migrate(db)  # the probe writes (and rolls back) a row of _migrations
    _table(db)
    inside, go = threading.Event(), threading.Event()

    def slow_write() -> None:
        with db.write() as conn:
            conn.execute("INSERT INTO gc (n, who) VALUES (1, 'slow')")
            inside.set()
            assert go.wait(5)

    thread = threading.Thread(target=slow_write)
    thread.start()
    assert inside.wait(5)
    answers = []
    probe = threading.Thread(target=lambda: answers.append((db.storage()["ok"], _committed(db))))
    probe.start()
    go.set()
    thread.join(10)
    probe.join(10)
    assert answers == [(True, {1})]  # it waited for the batch: the probe saw the row committed
    assert db.checkpoint()[0] == 0
