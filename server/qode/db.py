"""The database: one writer connection owned by the process, short-lived readers.

Every write goes through `Database.write()`, which holds the process-wide
writer lock and wraps the block in `BEGIN IMMEDIATE … COMMIT`, so a write
never waits for a lock upgrade and never interleaves with another. Nested
`write()` blocks become savepoints.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from .clock import Clock

READER_POOL = 4  # idle read-only connections kept; one gevent worker rarely needs more than one


def _configure(conn: sqlite3.Connection, busy_timeout_ms: int) -> None:
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA foreign_keys = ON")
    # FULL: a ticket that was printed must survive a power cut.
    conn.execute("PRAGMA synchronous = FULL")


class Database:
    """Owns the writer connection; hands out readers."""

    def __init__(self, path: Path | str, busy_timeout_ms: int = 5000, clock: Clock | None = None):
        self.path = str(path)
        self.busy_timeout_ms = busy_timeout_ms
        self.clock = clock or Clock()
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode = WAL")
        _configure(self._conn, busy_timeout_ms)
        self.utils = sqlite_utils.Database(self._conn)
        self._lock = threading.RLock()
        self._depth = 0
        self._owner: int | None = None
        self._idle_readers: list[sqlite3.Connection] = []
        # Counts commits. Read-side caches label entries with it: this process is the only
        # writer, so an entry built at the current version is exactly what a reader would see.
        self.version = 0
        self.memo: dict = {}
        self.on_commit: list = []  # called after each commit (the live feed's wake-up)

    def close(self) -> None:
        with self._lock:
            self._conn.close()
            while self._idle_readers:
                self._idle_readers.pop().close()

    def _reader(self) -> sqlite3.Connection:
        try:
            return self._idle_readers.pop()
        except IndexError:
            conn = sqlite3.connect(
                f"file:{self.path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
            )
            _configure(conn, self.busy_timeout_ms)
            return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (`BEGIN IMMEDIATE`); nested blocks are savepoints."""
        with self._lock:
            conn = self._conn
            if self._depth:
                name = f"sp{self._depth}"
                conn.execute(f"SAVEPOINT {name}")
                self._depth += 1
                try:
                    yield conn
                except BaseException:
                    conn.execute(f"ROLLBACK TO {name}")
                    conn.execute(f"RELEASE {name}")
                    raise
                else:
                    conn.execute(f"RELEASE {name}")
                finally:
                    self._depth -= 1
                return
            conn.execute("BEGIN IMMEDIATE")
            self._depth, self._owner = 1, threading.get_ident()
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:  # SQLite may already have rolled back (disk full, I/O)
                    conn.execute("ROLLBACK")
                raise
            else:
                try:
                    conn.execute("COMMIT")
                except sqlite3.Error:
                    # A failed COMMIT leaves the transaction open: end it, or every later
                    # BEGIN would fail until a restart.
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                self.version += 1
                for callback in self.on_commit:
                    callback()
            finally:
                self._depth, self._owner = 0, None

    def in_write(self) -> bool:
        """Is this thread (greenlet) inside a write transaction?"""
        return self._owner == threading.get_ident()

    def checkpoint(self) -> tuple:
        """Fold the WAL into the database file (between writes, never inside one)."""
        with self._lock:
            if self._depth:
                raise RuntimeError("checkpoint inside a write transaction")
            # PASSIVE never waits for a reader (a `qode backup` may hold one): what it cannot
            # fold now, the next checkpoint will.
            return tuple(self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone())

    @contextmanager
    def read(self, committed: bool = False) -> Iterator[sqlite3.Connection]:
        """A consistent read in a short transaction of its own; inside a write, the writer's view,
        unless `committed` asks for what is committed only (what may never be rolled back).

        Read-only connections are kept for reuse (opening one costs about as much as a
        small query), but no read transaction outlives its block.
        """
        if not committed and self._owner == threading.get_ident():
            yield self._conn
            return
        conn = self._reader()
        try:
            conn.execute("BEGIN")
            yield conn
        except BaseException:
            conn.close()
            raise
        else:
            conn.execute("COMMIT")
            if len(self._idle_readers) < READER_POOL:
                self._idle_readers.append(conn)
            else:
                conn.close()
