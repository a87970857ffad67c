"""The database: one writer connection owned by the process, short-lived readers.

Every write goes through `Database.write()`, which holds the process-wide
writer lock while its block runs, inside `BEGIN IMMEDIATE … COMMIT`, so a write
never waits for a lock upgrade and never interleaves with another. Nested
`write()` blocks become savepoints.

Group commit (issue 17): a commit is one fsync, milliseconds on an SD card, and
every write used to wait for its own. Now the writes that arrive while a commit
is in flight form the next batch: each runs its block in a savepoint of its own
(its error rolls back only its work), one `COMMIT` makes the whole batch durable,
and only then does each `write()` return. So durability is as before (a write
whose block returned is on disk when `write()` returns), and a burst costs one
fsync per batch instead of one per write. Under gevent the leader's commit runs in
a greenlet of its own, so the requests already read join the batch before it; with
`commit_off_hub`, a COMMIT that takes long (a slow card's fsync) also runs in a real
thread, so the worker serves reads and gathers the next batch meanwhile. A commit
of a database in memory stays in the worker, where its p99 is lower
(docs/benchmarks.md, issue 17). `"auto"` decides from the commits' own recent
durations.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from .clock import Clock

# issue 17: a COMMIT that takes this long on average (a slow SD card's fsync) runs in a thread
# with QODE_COMMIT_OFF_HUB=auto; the average follows each commit by this share.
SLOW_COMMIT_MS = 0.5
COMMIT_AVERAGING = 0.2
READER_POOL = 4  # idle read-only connections kept; one gevent worker rarely needs more than one
MIN_FREE_BYTES = 1024 * 1024  # below this much free space the box reports it cannot save
PROBE_BUSY_MS = 1000  # how long /healthz's probe write waits for a lock another process holds
FAULT_SHOWN_SECONDS = 30  # a failed write with no success since shows on /healthz this long

# SQLite's primary result codes that mean the storage, not the request, is at fault.
STORAGE_FAULTS = {
    13: "disk_full",  # SQLITE_FULL
    8: "read_only",  # SQLITE_READONLY
    3: "read_only",  # SQLITE_PERM
    10: "io_error",  # SQLITE_IOERR
    14: "io_error",  # SQLITE_CANTOPEN
    11: "corrupt",  # SQLITE_CORRUPT
    26: "corrupt",  # SQLITE_NOTADB
    5: "busy",  # SQLITE_BUSY: another process holds the lock past busy_timeout
}


# Faults the check above sees again by itself (free space, a write to the file); others, such as
# an I/O error, show for FAULT_SHOWN_SECONDS after the write that met them.
RECHECKED = {"disk_full", "read_only", "busy"}


def storage_fault(err: BaseException) -> str | None:
    """The storage reason behind a SQLite error (`disk_full`, `read_only`, ...), or None for others."""
    code = getattr(err, "sqlite_errorcode", None)
    if not isinstance(err, sqlite3.Error) or code is None:
        return None
    return STORAGE_FAULTS.get(code & 0xFF)


class StorageFault(Exception):
    """A write or read failed because of the disk or the database file; `reason` says which."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def _configure(conn: sqlite3.Connection, busy_timeout_ms: int) -> None:
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA foreign_keys = ON")
    # FULL: a ticket that was printed must survive a power cut.
    conn.execute("PRAGMA synchronous = FULL")
    # issue 16 (sms): a deleted row (a guest's phone number) is overwritten with zeros, not
    # left readable in a free page of the file.
    conn.execute("PRAGMA secure_delete = ON")


def under_gevent() -> bool:
    """Is `threading` gevent's (the server's worker), so that a real thread must be asked for?"""
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("threading")


def off_loop(fn, *args):
    """`fn(*args)` in a real thread of gevent's pool under gevent (where it may block in C, the GIL
    released: an fsync, SQLite's backup), so the worker serves meanwhile; else directly."""
    if under_gevent():
        import gevent

        return gevent.get_hub().threadpool.apply(fn, args)
    return fn(*args)


class _Batch:
    """Writes committed together (group commit): they run one after the other once `ready` (the
    batch before has committed), the first to finish leads (Database._finish), and `done` lets
    them all return."""

    def __init__(self, ready: threading.Event | None):
        self.ready = ready if ready is not None else _SET
        self.pending = 0  # writes joined that have not finished their block
        self.led = False
        self.written = 0  # blocks that returned (their work is in the transaction)
        self.bodies_done = threading.Event()
        self.done = threading.Event()
        self.error: BaseException | None = None


def _again(err: BaseException) -> BaseException:
    """A batch's error for one more of its writes: its own copy of a StorageFault (each request
    raises and logs its own), else the error itself."""
    if isinstance(err, StorageFault):
        return StorageFault(err.reason, err.detail)
    return err


_SET = threading.Event()
_SET.set()


class Database:
    """Owns the writer connection; hands out readers."""

    def __init__(self, path: Path | str, busy_timeout_ms: int = 5000, clock: Clock | None = None,
                 commit_off_hub: bool | str = False):
        self.path = str(path)
        # issue 17: group commit. The batch writes join (None: the next write opens one), the lock
        # that guards it, and whether COMMIT runs in a thread of gevent's pool (a no-op without gevent).
        self._batch: _Batch | None = None
        self._last_batch: _Batch | None = None
        self._batch_lock = threading.Lock()
        self.commit_off_hub = commit_off_hub  # True, False or "auto"
        self.commit_ms = 0.0  # recent COMMITs' duration (ms, a moving average), for "auto"
        self._open_batch: _Batch | None = None  # the batch whose transaction is open on the connection
        self.batches = 0  # commits made (each of one batch), for the benchmarks
        self.batched = 0  # writes they held
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
        # What layers above keep in memory for this database, declared here so nothing hides in
        # the object: set by their owners (storage imports none of them), read through them.
        self.estimates = None  # estimates.Estimates: the ETA cache (estimates.attach / estimates.of)
        self.refusals = None  # tickets.Refusals: joins the caps refused today (tickets.refusals)
        self.origin_key: bytes | None = None  # the key of address hashes (tickets.origin_of)
        self.call_policy = None  # rules.Policy: QODE_MAX_WAIT and QODE_PRIORITY_STREAK (tickets.policy)
        self.returns = None  # tickets.Returns: QODE_GRACE_MINUTES and QODE_GRACE_PLACE (tickets.returns_of)
        self.late = None  # tickets.Late: QODE_LATE_PLACES and QODE_LATE_USES (tickets.late_settings)
        self.on_commit: list = []  # called after each commit (the live feed's wake-up)
        self.on_fault: list = []  # called when the storage fault shown to the host changes
        # The last storage fault of a write: (reason, monotonic time); None after a success.
        self.fault: tuple[str, float] | None = None
        self._reopen_writer = False
        # Moves whenever the writer's uncommitted work may have lost something: a transaction begun,
        # a block rolled back that had changed rows. A cache of that work (estimates: a batch's joins)
        # is kept for one mark. A block refused before it changed anything (a guest's join over its
        # limit) moves nothing: a flood of refusals must not make the batch's other joins costlier.
        self.marks = 0

    def _fail(self, err: sqlite3.Error) -> StorageFault | None:
        """Record a write's storage fault; the StorageFault to raise instead, or None."""
        reason = storage_fault(err)
        if reason is None:
            return None
        changed = self.fault is None or self.fault[0] != reason
        self.fault = (reason, time.monotonic())
        # SQLite opens a file it cannot write read-only and stays so: reopen once it may be writable.
        self._reopen_writer = reason == "read_only"
        if changed:
            self._tell_fault()
        return StorageFault(reason, str(err))

    def _recovered(self) -> None:
        if self.fault is None:
            return
        if self.fault[0] == "disk_full":
            free = self._free_bytes()
            if free is not None and free < MIN_FREE_BYTES:
                return  # a write still fit, but the disk is as full as before: no flicker on the host
        self.fault = None
        self._tell_fault()

    def _free_bytes(self) -> int | None:
        try:
            stat = os.statvfs(os.path.dirname(os.path.abspath(self.path)))
        except OSError:
            return None
        return stat.f_bavail * stat.f_frsize

    def _tell_fault(self) -> None:
        for callback in self.on_fault:
            try:
                callback()
            except Exception:  # noqa: BLE001 - telling the host must never break a write
                pass

    def _open_writer(self) -> None:
        """Open the writer connection afresh (after the file was read-only)."""
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode = WAL")
        _configure(conn, self.busy_timeout_ms)
        old, self._conn = self._conn, conn
        self.utils = sqlite_utils.Database(conn)
        old.close()
        self._reopen_writer = False

    def _replace_writer(self) -> None:
        """A fresh writer connection now, or at the next write when it cannot be opened now."""
        try:
            self._open_writer()
        except sqlite3.Error:
            self._reopen_writer = True

    def storage(self) -> dict:
        """Can the box save? `{"ok", "reason", "free_bytes"}`, checked now, for /healthz and the host.

        A small write that is rolled back proves the file takes writes; free space on the data
        folder's disk tells a full disk (a rolled-back write never reaches the disk); a write that
        failed since the last success with an I/O error (which cannot be re-checked) still shows
        for a while.
        """
        reason = None
        free = self._free_bytes()
        try:
            with self._idle_writer():
                if self._depth:
                    raise RuntimeError("storage check inside a write transaction")
                if self._reopen_writer:
                    self._open_writer()
                conn = self._conn
                # Short: the watchdog takes a /healthz that hangs for the whole busy timeout for a
                # wedged box; a lock held elsewhere that long is "busy", said at once.
                conn.execute(f"PRAGMA busy_timeout = {PROBE_BUSY_MS}")
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    conn.execute("INSERT INTO _migrations (name, applied_at) VALUES ('(storage probe)', '')")
                finally:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        except sqlite3.Error as err:
            reason = storage_fault(err) or "io_error"
            if reason == "read_only":
                self._reopen_writer = True
        if reason is None and free is not None and free < MIN_FREE_BYTES:
            reason = "disk_full"
        if reason is None and self.fault is not None and self.fault[0] not in RECHECKED:
            if time.monotonic() - self.fault[1] < FAULT_SHOWN_SECONDS:
                reason = self.fault[0]
        if reason is None:
            self._recovered()
        elif self.fault is None or self.fault[0] != reason:
            self.fault = (reason, time.monotonic())
            self._tell_fault()
        return {"ok": reason is None, "reason": reason, "free_bytes": free}

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
        """One write: its block runs in `BEGIN IMMEDIATE` (with others of its batch, each in a
        savepoint of its own), and returns once the COMMIT that holds it has. Nested blocks are
        savepoints. A block that raises rolls back its own work only."""
        if self._depth and self._owner == threading.get_ident():
            with self._lock:
                yield from self._nested()
            return
        batch = self._join()
        try:
            batch.ready.wait()  # the batch before it has committed: one transaction at a time
        except BaseException:
            # Interrupted before its turn (a request's deadline, a kill): it ran nothing, so it
            # must not lead, or its commit could end the transaction of the batch before.
            self._leave(batch)
            raise
        failed = True
        try:
            with self._lock:
                yield from self._body(batch)
            failed = False
        finally:
            # Whatever its own block did, the first to finish commits the batch for all of them.
            if self._finish(batch):
                self._lead(batch)
            if not failed:
                batch.done.wait()
        if batch.error is not None:
            raise _again(batch.error)

    def _lead(self, batch: _Batch) -> None:
        """Commit `batch`. Under gevent in a greenlet of its own, which nothing interrupts: a
        deadline or kill of the leading request can then never leave the batch without its
        commit (its writes waiting forever) or let it return while COMMIT still runs."""
        if under_gevent():
            import gevent

            gevent.spawn(self._commit, batch)
        else:
            self._commit(batch)

    def _leave(self, batch: _Batch) -> None:
        """A write that joined `batch` but never ran: it is no longer waited for."""
        with self._batch_lock:
            batch.pending -= 1
            if batch.pending == 0 and batch.led:
                batch.bodies_done.set()

    def _finish(self, batch: _Batch) -> bool:
        """One write's block is over. The first to finish leads its batch's commit, and the batch
        closes then (later writes form the next one), so no write can join after its commit."""
        with self._batch_lock:
            batch.pending -= 1
            lead, batch.led = not batch.led, True
            if lead and self._batch is batch:
                self._batch = None
            if batch.pending == 0:
                batch.bodies_done.set()
            return lead

    def _nested(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn
        name = f"sp{self._depth}"
        conn.execute(f"SAVEPOINT {name}")
        self._depth += 1
        changes = conn.total_changes
        try:
            yield conn
        except BaseException:
            self._rolled_back(conn, changes)
            if conn.in_transaction:  # a full disk may have rolled back everything already
                conn.execute(f"ROLLBACK TO {name}")
                conn.execute(f"RELEASE {name}")
            raise
        else:
            conn.execute(f"RELEASE {name}")
        finally:
            self._depth -= 1

    def _rolled_back(self, conn: sqlite3.Connection, changes: int) -> None:
        """A block is rolling back: a new mark unless it changed no row (`total_changes` counts
        every INSERT, UPDATE and DELETE, a trigger's too) and its transaction is still whole."""
        if conn.total_changes != changes or not conn.in_transaction:
            self.marks += 1

    def _join(self) -> _Batch:
        """The open batch (a new one when there is none), counted as one more write to come."""
        with self._batch_lock:
            batch = self._batch
            if batch is None:
                previous = self._last_batch
                batch = self._batch = self._last_batch = _Batch(previous.done if previous else None)
            batch.pending += 1
            return batch

    def _body(self, batch: _Batch) -> Iterator[sqlite3.Connection]:
        """Run one write's block in its own savepoint of the batch's transaction."""
        if batch.error is not None:
            raise _again(batch.error)  # the batch's transaction is gone (a full disk): its writes fail
        # A transaction open on the connection that no write of this batch began is a failed
        # one left over (the batch before has committed or failed): a new connection drops it.
        if self._reopen_writer and (not self._conn.in_transaction or self._open_batch is None):
            try:
                self._open_writer()
            except sqlite3.Error as err:
                raise (self._fail(err) or err) from err
        conn = self._conn
        if not conn.in_transaction:
            self.marks += 1
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as err:
                batch.error = self._fail(err) or err
                raise batch.error from err
            self._open_batch = batch
        conn.execute("SAVEPOINT write")
        self._depth, self._owner = 1, threading.get_ident()
        changes = conn.total_changes
        try:
            yield conn
        except BaseException as err:
            self._rolled_back(conn, changes)
            fault = self._fail(err) if isinstance(err, sqlite3.Error) else None
            if conn.in_transaction:
                conn.execute("ROLLBACK TO write")
                conn.execute("RELEASE write")
            else:  # SQLite rolled back the whole transaction (disk full, I/O): the batch is lost
                batch.error = fault or StorageFault("io_error", "the transaction was rolled back")
            if fault is not None:
                raise fault from err
            raise
        else:
            conn.execute("RELEASE write")
            batch.written += 1
        finally:
            self._depth, self._owner = 0, None

    def _commit(self, batch: _Batch) -> None:
        """The batch's leader (its first write to finish): close it, wait for the writes that
        joined it, commit them at once, then let them all return."""
        batch.bodies_done.wait()
        try:
            with self._lock:
                conn = self._conn
                if batch.error is None and batch.written and conn.in_transaction:
                    try:
                        self._run_commit(conn)
                    except sqlite3.Error as err:
                        batch.error = self._fail(err) or err  # the batch fails, whatever follows
                        # A failed COMMIT leaves the transaction open: end it, or every later
                        # BEGIN would fail until a restart. Should even ROLLBACK fail, a new
                        # writer connection replaces this one (closing it drops the transaction).
                        if conn.in_transaction:
                            try:
                                conn.execute("ROLLBACK")
                            except sqlite3.Error:
                                self._replace_writer()
                    else:
                        self._recovered()
                        self.version += 1
                        self.batches += 1
                        self.batched += batch.written
                        for callback in self.on_commit:
                            callback()
                elif conn.in_transaction and self._open_batch is batch:  # every block failed: nothing to keep
                    conn.execute("ROLLBACK")
        finally:
            if self._open_batch is batch:
                self._open_batch = None
            batch.done.set()

    def _run_commit(self, conn: sqlite3.Connection) -> None:
        off_hub = self.commit_off_hub
        if off_hub == "auto":
            off_hub = self.commit_ms >= SLOW_COMMIT_MS
        started = time.monotonic()

        def commit() -> float:
            conn.execute("COMMIT")
            return time.monotonic()

        # Off the hub, the fsync runs in a real thread: the worker goes on serving meanwhile (the
        # writer lock keeps every other write off this connection until it is done). Its duration
        # is measured in the thread: waiting for the worker to take the answer is not the disk's.
        ended = off_loop(commit) if off_hub else commit()
        self.commit_ms += (1000 * (ended - started) - self.commit_ms) * COMMIT_AVERAGING

    @contextmanager
    def _idle_writer(self, wait: float = 30.0) -> Iterator[None]:
        """The writer lock with no batch's transaction open on the connection, for a probe or a
        checkpoint of its own: a batch being gathered commits first (waited for, at most `wait`)."""
        deadline = time.monotonic() + wait
        while True:
            with self._lock:
                if not self._conn.in_transaction or (self._depth and self._owner == threading.get_ident()):
                    yield
                    return
                open_batch = self._open_batch
            if open_batch is None or time.monotonic() > deadline:
                raise RuntimeError("the writer connection stays inside a transaction")
            open_batch.done.wait(max(0.0, deadline - time.monotonic()))

    def in_write(self) -> bool:
        """Is this thread (greenlet) inside a write transaction?"""
        return self._owner == threading.get_ident()

    def checkpoint(self, mode: str = "PASSIVE") -> tuple:
        """Fold the WAL into the database file (between writes, never inside one)."""
        with self._idle_writer():
            if self._depth:
                raise RuntimeError("checkpoint inside a write transaction")
            if mode == "TRUNCATE":
                # issue 16 (sms): also empty the WAL file, where old copies of pages stay (a deleted
                # phone number). It waits for readers, so only briefly: a busy try is simply redone.
                self._conn.execute("PRAGMA busy_timeout = 250")
                try:
                    return tuple(self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone())
                finally:
                    self._conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
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
