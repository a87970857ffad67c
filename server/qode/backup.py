"""Backups and restore of `<data-dir>/qode.db`, and the lock that says a server owns the folder.

Backups use SQLite's online backup API, so they can be taken while the server
runs and writes: the copy is one consistent snapshot, WAL content included.
Restore only runs while nobody holds the server lock, and never deletes the
database it replaces: that file is set aside as `qode.db.before-restore-<UTC time>`.
"""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

DB_NAME = "qode.db"
LOCK_NAME = "qode.lock"
CORE_TABLES = frozenset({"queues", "tickets", "events"})
BACKUP_RE = re.compile(r"^(qode|hub)-(\d{8})-(\d{6})(?:-(\d+))?\.sqlite3$")


@dataclass(frozen=True)
class Kind:
    """Which database: a venue box's (`qode.db`) or a hub's (`hub.db`, `qode serve --hub`)."""

    db_name: str
    prefix: str  # of the backup files' names
    tables: frozenset
    hub: bool = False

    def migrations(self) -> list:
        from .migrations import HUB_MIGRATIONS, MIGRATIONS

        return HUB_MIGRATIONS if self.hub else MIGRATIONS


BOX = Kind(DB_NAME, "qode", CORE_TABLES)
HUB = Kind("hub.db", "hub", frozenset({"sites", "site_events"}), hub=True)
SQLITE_MAGIC = b"SQLite format 3\x00"
RUNNING = "Qode is running on this data folder; stop it first (sudo systemctl stop qode)"


class BackupError(Exception):
    """A backup or restore that cannot be done safely; the message says why, in one line."""


class ServerRunning(BackupError):
    """Another process holds `<data-dir>/qode.lock`."""


def hold_server_lock(data_dir: Path) -> IO:
    """Take the data folder's exclusive lock and return the open file: the lock lasts as long as it.

    Raises ServerRunning when another process (or another open file) holds it.
    """
    path = Path(data_dir) / LOCK_NAME
    fh = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o600), "r+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise ServerRunning(RUNNING) from None
    return fh


def _stamp(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%d-%H%M%S")


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    # A rename is only durable once the directory entry is on disk too.
    _fsync_file(path)


def _ro_uri(path: Path) -> str:
    # immutable: checking or copying a backup must not create -wal/-shm files next to it.
    return Path(path).resolve().as_uri() + "?mode=ro&immutable=1"


def _integrity_problem(conn: sqlite3.Connection) -> str | None:
    rows = [row[0] for row in conn.execute("PRAGMA integrity_check(5)")]
    return None if rows == ["ok"] else "; ".join(str(r) for r in rows)


def _copy_database(source: sqlite3.Connection, target: Path) -> None:
    """Copy `source` into the file `target` as one snapshot, leaving a single self-contained file."""
    dest = sqlite3.connect(target, isolation_level=None)
    try:
        source.backup(dest)
        # issue 16 (sms): a guest's phone number stays in the live database only, never in a copy
        # that may go to a USB stick (secure_delete: zeroed, not left in a free page).
        dest.execute("PRAGMA secure_delete = ON")
        if dest.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sms_phones'").fetchone():
            dest.execute("DELETE FROM sms_phones")
        # The copy inherits WAL mode from the page header: switch it back so the file
        # stands alone, with no -wal to lose on the way to a USB stick.
        dest.execute("PRAGMA journal_mode = DELETE")
    finally:
        dest.close()
    _fsync_file(target)


def _link_unique(tmp: Path, directory: Path, stem: str, suffix: str) -> Path:
    """Give `tmp` the first free name `stem[-N]suffix` in `directory`, atomically, and return it."""
    for n in range(1, 1000):
        final = directory / (f"{stem}{suffix}" if n == 1 else f"{stem}-{n}{suffix}")
        try:
            # link() fails when the name exists, unlike rename(): two backups in the same
            # second cannot overwrite each other.
            os.link(tmp, final)
        except FileExistsError:
            continue
        except OSError:
            # Filesystems without hard links (FAT/exFAT sticks): check, then rename.
            if final.exists():
                continue
            os.replace(tmp, final)
            return final
        tmp.unlink()
        return final
    raise BackupError(f"no free backup name for {stem} in {directory}")


def _backup_key(path: Path) -> tuple[str, str, int]:
    _, date, clock, n = BACKUP_RE.match(path.name).groups()
    return date, clock, int(n or 1)


def _prune(dest_dir: Path, keep: int, made: Path, kind: Kind) -> None:
    backups = sorted((p for p in dest_dir.iterdir()
                      if (m := BACKUP_RE.match(p.name)) and m[1] == kind.prefix and p.is_file()),
                     key=_backup_key, reverse=True)
    # The backup just made always stays: a box whose clock went back (a Pi has no RTC
    # before NTP answers) would otherwise delete its freshest copy as the "oldest".
    others = [p for p in backups if p != made]
    for old in others[keep - 1:]:
        old.unlink()


def make_backup(db_path: Path, dest_dir: Path, keep: int, now: datetime | None = None,
                kind: Kind = BOX) -> Path:
    """Copy the live database to `dest_dir/qode-YYYYmmdd-HHMMSS.sqlite3` (UTC; `hub-…` for a hub's),
    keep the newest `keep` of its kind.

    Safe while the server runs and writes. The copy is integrity-checked and fsynced
    before it gets its name; files not named like a backup are never touched.
    """
    if keep < 1:
        raise ValueError("keep must be at least 1")
    db_path, dest_dir = Path(db_path), Path(dest_dir)
    if not db_path.is_file():
        raise BackupError(f"no database at {db_path}")
    if not dest_dir.exists():
        dest_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(dest_dir, 0o700)
    stamp = _stamp(now)
    fd, name = tempfile.mkstemp(prefix=".qode-backup-", suffix=".tmp", dir=dest_dir)
    os.close(fd)
    tmp = Path(name)
    try:
        # mode=rw: a missing database is an error, never a new empty file.
        source = sqlite3.connect(db_path.resolve().as_uri() + "?mode=rw", uri=True, isolation_level=None)
        try:
            source.execute("PRAGMA busy_timeout = 5000")
            _copy_database(source, tmp)
        finally:
            source.close()
        problem = _diagnose(tmp, kind)
        if problem:
            raise BackupError(f"the copy of {db_path} {problem}; no backup was made")
        final = _link_unique(tmp, dest_dir, f"{kind.prefix}-{stamp}", ".sqlite3")
    except sqlite3.Error as err:
        raise BackupError(f"cannot back up {db_path}: {err}") from None
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(dest_dir)
    _prune(dest_dir, keep, final, kind)
    return final


def _diagnose(path: Path, kind: Kind = BOX) -> str | None:
    """What is wrong with `path` as a Qode backup, as a phrase following its name; None if nothing."""
    if not path.is_file():
        return "does not exist (or is not a file)"
    size = path.stat().st_size
    with open(path, "rb") as fh:
        header = fh.read(100)
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        return "is not a SQLite database"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The header's page count is trustworthy when its "valid-for" counter matches the change counter.
    if header[24:28] == header[92:96] and pages and size < pages * page_size:
        return f"is truncated: {size} bytes of the {pages * page_size} it should have"
    try:
        conn = sqlite3.connect(_ro_uri(path), uri=True)
        try:
            problem = _integrity_problem(conn)
            if problem:
                return f"is damaged (integrity check: {problem})"
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            missing = kind.tables - tables
            if missing:
                what = "a Qode hub's" if kind.hub else "a Qode box's"
                return f"is a SQLite database but not {what} (no {', '.join(sorted(missing))} table)"
            applied = set()
            if "_migrations" in tables:
                applied = {row[0] for row in conn.execute("SELECT name FROM _migrations")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as err:
        return f"is damaged or not a SQLite database ({err})"
    unknown = applied - {name for name, _ in kind.migrations()}
    if unknown:
        return (f"was made by a newer Qode (unknown migrations: {', '.join(sorted(unknown))}); "
                "upgrade Qode before restoring it")
    return None


def check_backup(path: Path, kind: Kind = BOX) -> None:
    """Raise BackupError unless `path` is an intact SQLite file holding a Qode database of `kind`."""
    problem = _diagnose(Path(path), kind)
    if problem:
        raise BackupError(f"{path} {problem}")


def _checkpoint(db_path: Path) -> None:
    """Fold the WAL into the database file, so the file set aside stands alone. Best effort."""
    try:
        conn = sqlite3.connect(db_path.resolve().as_uri() + "?mode=rw", uri=True, isolation_level=None)
    except sqlite3.Error:
        return
    try:
        conn.execute("PRAGMA busy_timeout = 1000")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error:
        pass  # a damaged database is set aside as it is, -wal and -shm included
    finally:
        conn.close()


def _set_aside(db_path: Path, stamp: str) -> Path | None:
    if not db_path.exists():
        return None
    for n in range(1, 1000):
        aside = db_path.with_name(f"{db_path.name}.before-restore-{stamp}" + ("" if n == 1 else f"-{n}"))
        if not any(Path(f"{aside}{ext}").exists() for ext in ("", "-wal", "-shm")):
            break
    else:
        raise BackupError(f"no free name to set {db_path} aside")
    os.rename(db_path, aside)
    # The -wal belongs to the file set aside; left here it would be replayed into the restored one.
    for ext in ("-wal", "-shm"):
        side = Path(f"{db_path}{ext}")
        if side.exists():
            os.rename(side, Path(f"{aside}{ext}"))
    return aside


def _match_owner(path: Path, data_dir: Path) -> None:
    # `sudo qode restore` must not leave a root-owned database the service user cannot write.
    if os.geteuid() == 0:
        owner = data_dir.stat()
        os.chown(path, owner.st_uid, owner.st_gid)


RESTORE_SEQ_GAP = 10_000_000


def _new_seq_block(path: Path) -> None:
    """A restored log continues at fresh event numbers, far above the backup's.

    Between the backup and the restore the lost database may have written events (and a hub
    may hold them); reusing their numbers would make the hub refuse every batch as changed.
    """
    conn = sqlite3.connect(path)
    try:
        with conn:
            updated = conn.execute("UPDATE sqlite_sequence SET seq = seq + ? WHERE name = 'events'",
                                   (RESTORE_SEQ_GAP,)).rowcount
            if not updated:
                conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('events', ?)", (RESTORE_SEQ_GAP,))
    finally:
        conn.close()


def restore(path: Path, data_dir: Path, kind: Kind = BOX) -> Path | None:
    """Replace `<data_dir>/qode.db` (a hub's `hub.db`) with the backup at `path`; the server must be
    stopped.

    Returns where the previous database was set aside (None if there was none).
    Raises BackupError, touching nothing, if Qode runs here or the backup is unusable.
    """
    path, data_dir = Path(path), Path(data_dir)
    check_backup(path, kind)
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = hold_server_lock(data_dir)  # held throughout: no server can start mid-restore
    try:
        db_path = data_dir / kind.db_name
        fd, name = tempfile.mkstemp(prefix=".qode-restore-", suffix=".tmp", dir=data_dir)
        os.close(fd)
        tmp = Path(name)
        try:
            try:
                source = sqlite3.connect(_ro_uri(path), uri=True)
                try:
                    _copy_database(source, tmp)
                finally:
                    source.close()
            except sqlite3.Error as err:
                raise BackupError(f"cannot read {path}: {err}") from None
            problem = _diagnose(tmp, kind)
            if problem:
                raise BackupError(f"the copy of {path} {problem}; nothing was changed")
            if not kind.hub:
                _new_seq_block(tmp)
            _match_owner(tmp, data_dir)
            _checkpoint(db_path)
            aside = _set_aside(db_path, _stamp(None))
            os.rename(tmp, db_path)
        finally:
            tmp.unlink(missing_ok=True)
        _fsync_dir(data_dir)
        return aside
    finally:
        lock.close()
