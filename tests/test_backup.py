"""Backups and restore: online copies that restore row for row, keep-N, refusals that change nothing."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import sqlite3
import stat
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from qode import config
from qode.backup import (
    RUNNING,
    BackupError,
    ServerRunning,
    check_backup,
    hold_server_lock,
    make_backup,
    restore,
)

from helpers import QODE, ServerProcess, admin, free_port, utc

T0 = utc(2024, 5, 6, 7, 8, 9)


def fill(client, queue, tickets: int = 30, start: int = 0) -> None:
    """Issue `tickets` tickets and move some of them on, through the API like the box does."""
    qid = queue["id"]
    for n in range(start, start + tickets):
        made = client.post(f"/api/queues/{qid}/tickets", json={"device_token": f"dev-{n:06d}-abcdefgh"})
        assert made.status_code == 201, made.get_json()
    for n in range(tickets // 3):
        called = client.post(f"/api/queues/{qid}/call-next", headers=queue["headers"])
        assert called.status_code == 200, called.get_json()
        move = "no-show" if n % 4 == 3 else "complete"
        moved = client.post(f"/api/tickets/{called.get_json()['id']}/{move}", headers=queue["headers"])
        assert moved.status_code == 200, moved.get_json()


def digests(path: Path) -> dict:
    """Schema plus (row count, sha256 of the rows in rowid order) of every table in the database."""
    conn = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
    try:
        schema = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").fetchall()
        out: dict = {"(schema)": schema}
        # sqlite_sequence aside: a restore moves the event counter on, on purpose (tested on its own).
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                    " AND name != 'sqlite_sequence' ORDER BY name"):
            try:
                rows = conn.execute(f'SELECT rowid, * FROM "{name}" ORDER BY rowid').fetchall()
            except sqlite3.OperationalError:  # a WITHOUT ROWID table has no rowid to order by
                rows = sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
            out[name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
        return out
    finally:
        conn.close()


def ticket_numbers(path: Path) -> list[int]:
    conn = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute("SELECT position_number FROM tickets ORDER BY position_number")]
    finally:
        conn.close()


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in `folder` with its bytes (the -shm is shared memory, not content: skipped)."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if p.is_file() and not p.name.endswith("-shm")}


def run_qode(*args, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run the `qode` entry point in its own process group, killed whole if it overstays."""
    proc = subprocess.Popen([QODE, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **(env or {})}, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=10)
        pytest.fail(f"qode {' '.join(map(str, args))} still ran after {timeout}s: {out}{err}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


# ---- make_backup and restore ---------------------------------------------------


def test_backup_of_an_open_database_restores_every_row(app, client, queue, tmp_path):
    fill(client, queue)
    data_dir = app.config["DATA_DIR"]
    live = data_dir / "qode.db"
    # The rows are still in the WAL: a plain copy of qode.db would miss them, the backup must not.
    assert (data_dir / "qode.db-wal").stat().st_size > 0
    before = digests(live)
    assert before["tickets"][0] == 30 and before["events"][0] > 30

    path = make_backup(live, tmp_path / "backups", keep=3, now=T0)

    assert path == tmp_path / "backups" / "qode-20240506-070809.sqlite3"
    assert stat.S_IMODE((tmp_path / "backups").stat().st_mode) == 0o700
    assert not Path(f"{path}-wal").exists()  # one self-contained file
    check_backup(path)
    assert digests(path) == before

    fresh = tmp_path / "fresh"
    assert restore(path, fresh) is None  # nothing was there to set aside
    assert digests(fresh / "qode.db") == before
    assert [p.name for p in fresh.iterdir() if p.name.startswith(".qode")] == []

    # The restored folder serves the same queue.
    from qode import create_app

    again = create_app({"QODE_DATA_DIR": str(fresh), "QODE_ADMIN_TOKEN": "x" * 32, "QODE_TIMEZONE": "UTC",
                        "QODE_SCHEDULER": "off"})
    try:
        state = again.test_client().get(f"/api/queues/{queue['id']}").get_json()
        # Its log goes on at fresh numbers: a hub may hold events the lost database wrote after the
        # backup, and a reused number would look like a changed event to it.
        again.test_client().post(f"/api/queues/{queue['id']}/tickets",
                                 json={"device_token": "device-token-restored1"})
        with again.extensions["qode_db"].read() as conn:
            newest = conn.execute("SELECT MAX(seq) FROM events").fetchone()[0]
    finally:
        again.extensions["qode_db"].close()
    assert state["name"] == "Front desk" and state["current_position"] == 10
    assert newest == before["events"][0] + 10_000_000 + 1


def test_restore_sets_a_crashed_database_aside_with_its_wal(app, client, queue, tmp_path):
    fill(client, queue, tickets=12)
    data_dir = app.config["DATA_DIR"]
    # A power cut's leftovers: qode.db plus a WAL holding committed rows nobody checkpointed.
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    for name in ("qode.db", "qode.db-wal"):
        shutil.copyfile(data_dir / name, crashed / name)
    at_crash = digests(data_dir / "qode.db")
    fill(client, queue, tickets=6, start=100)
    backup = make_backup(data_dir / "qode.db", tmp_path / "backups", keep=7, now=T0)
    assert digests(backup) != at_crash

    aside = restore(backup, crashed)

    assert aside is not None and aside.parent == crashed
    assert re.fullmatch(r"qode\.db\.before-restore-\d{8}-\d{6}", aside.name), aside.name
    assert digests(aside) == at_crash  # nothing lost, WAL rows included
    assert digests(crashed / "qode.db") == digests(backup)
    assert not (crashed / "qode.db-wal").exists()  # an old WAL would be replayed into the new file

    # Restoring twice in the same second must not overwrite the first set-aside file.
    second = restore(backup, crashed)
    assert second != aside and aside.exists() and digests(aside) == at_crash


def test_keeps_the_newest_n_backups_and_no_other_files(db, tmp_path):
    dest = tmp_path / "backups"
    dest.mkdir()
    unrelated = {
        "notes.txt": b"keep me",
        "qode-latest.sqlite3": b"not ours",
        "qode-20000101-000000.sqlite3.gz": b"zipped by hand",
        "old-qode-20000101-000000.sqlite3": b"renamed by hand",
        "qode-2000-01-01.sqlite3": b"other pattern",
    }
    for name, content in unrelated.items():
        (dest / name).write_bytes(content)
    made = [make_backup(Path(db.path), dest, keep=3, now=T0 + timedelta(hours=h)) for h in (0, 1, 2, 3, 3)]

    assert made[4].name == "qode-20240506-100809-2.sqlite3"  # same second: a suffix, not an overwrite
    backups = sorted(p.name for p in dest.iterdir() if p.name not in unrelated)
    assert backups == ["qode-20240506-090809.sqlite3", "qode-20240506-100809-2.sqlite3",
                       "qode-20240506-100809.sqlite3"]
    assert {name: (dest / name).read_bytes() for name in unrelated} == unrelated
    for name in backups:
        check_backup(dest / name)

    # A clock that went back (a Pi before NTP) must not make the fresh backup the one deleted.
    early = make_backup(Path(db.path), dest, keep=3, now=T0 - timedelta(days=30))
    assert early.exists()
    assert sorted(p.name for p in dest.iterdir() if p.name not in unrelated) == [
        "qode-20240406-070809.sqlite3", "qode-20240506-100809-2.sqlite3", "qode-20240506-100809.sqlite3"]


def test_backup_of_a_missing_database_is_refused(tmp_path):
    with pytest.raises(BackupError, match="no database at"):
        make_backup(tmp_path / "nothing" / "qode.db", tmp_path / "backups", keep=3)
    assert not (tmp_path / "nothing").exists()  # no empty database was created on the way


def _garbage(backup: Path, target: Path) -> None:
    target.write_bytes(b"this is not a database\n" * 200)


def _empty(backup: Path, target: Path) -> None:
    target.write_bytes(b"")


def _truncated(backup: Path, target: Path) -> None:
    data = backup.read_bytes()
    target.write_bytes(data[: len(data) // 2])


def _scribbled(backup: Path, target: Path) -> None:
    data = bytearray(backup.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for n in range(2, len(data) // page):  # every page but the first: the schema stays readable
        data[n * page + 8: n * page + 200] = b"\xa5" * 192
    target.write_bytes(bytes(data))


def _not_qode(backup: Path, target: Path) -> None:
    conn = sqlite3.connect(target)
    conn.execute("CREATE TABLE tickets (id TEXT)")
    conn.execute("INSERT INTO tickets VALUES ('x')")
    conn.commit()
    conn.close()


def _from_the_future(backup: Path, target: Path) -> None:
    shutil.copyfile(backup, target)
    conn = sqlite3.connect(target)
    conn.execute("INSERT INTO _migrations VALUES ('m999_from_the_future', '2099-01-01T00:00:00Z')")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("make,message", [
    (_garbage, r"is not a SQLite database"),
    (_empty, r"is not a SQLite database"),
    (_truncated, r"is truncated: \d+ bytes of the \d+"),
    (_scribbled, r"is damaged"),
    (_not_qode, r"not a Qode box.s \(no events, queues table\)"),
    (_from_the_future, r"newer Qode .*m999_from_the_future"),
])
def test_restore_refuses_a_bad_file_and_changes_nothing(app, client, queue, tmp_path, make, message):
    fill(client, queue, tickets=30)
    data_dir = app.config["DATA_DIR"]
    backup = make_backup(data_dir / "qode.db", tmp_path / "backups", keep=3, now=T0)
    bad = tmp_path / "bad.sqlite3"
    make(backup, bad)
    before = snapshot(data_dir)
    assert "qode.db" in before

    with pytest.raises(BackupError, match=message) as refused:
        restore(bad, data_dir)

    assert str(bad) in str(refused.value) and "\n" not in str(refused.value)
    assert snapshot(data_dir) == before  # qode.db byte for byte, and nothing added
    with pytest.raises(BackupError, match=message):
        check_backup(bad)


def test_the_server_lock_is_exclusive_and_blocks_restore(db, tmp_path):
    data_dir = tmp_path / "data2"
    data_dir.mkdir()
    backup = make_backup(Path(db.path), tmp_path / "backups", keep=3, now=T0)
    held = hold_server_lock(data_dir)
    try:
        with pytest.raises(ServerRunning, match=re.escape(RUNNING)):
            hold_server_lock(data_dir)
        with pytest.raises(BackupError, match=re.escape(RUNNING)):
            restore(backup, data_dir)
        assert not (data_dir / "qode.db").exists()
    finally:
        held.close()
    # Released with its file: the next taker gets it.
    assert restore(backup, data_dir) is None
    hold_server_lock(data_dir).close()


def test_backup_keep_setting():
    assert config.load(env={})["BACKUP_KEEP"] == 7
    assert config.load(env={"QODE_BACKUP_KEEP": "365"})["BACKUP_KEEP"] == 365
    for value in ("0", "366", "-1", "seven"):
        with pytest.raises(config.SettingError, match="QODE_BACKUP_KEEP"):
            config.load(env={"QODE_BACKUP_KEEP": value})


# ---- the `qode` command --------------------------------------------------------


def test_cli_backup_honours_the_keep_setting(app, client, queue):
    fill(client, queue, tickets=3)
    data_dir = app.config["DATA_DIR"]
    printed = []
    for _ in range(3):
        done = run_qode("backup", "--data-dir", data_dir, env={"QODE_BACKUP_KEEP": "2"})
        assert done.returncode == 0, done.stderr
        printed.append(Path(done.stdout.strip()))
    kept = sorted((data_dir / "backups").glob("qode-*.sqlite3"))
    assert len(kept) == 2 and printed[-1] in kept
    assert digests(printed[-1])["tickets"] == digests(data_dir / "qode.db")["tickets"]


@pytest.mark.parametrize("args,code,message", [
    (["restore"], 2, "FILE"),
    (["restore", "a.sqlite3", "b.sqlite3"], 2, "unrecognized arguments"),
    (["backup", "--bogus"], 2, "--bogus"),
    (["restore", "{tmp}/missing.sqlite3", "--data-dir", "{tmp}/d"], 1, "missing.sqlite3 does not exist"),
    (["restore", "{tmp}", "--data-dir", "{tmp}/d"], 1, "does not exist (or is not a file)"),
    (["backup", "--data-dir", "{tmp}/empty"], 1, "no database at"),
])
def test_bad_cli_arguments_get_a_message_not_a_traceback(tmp_path, args, code, message):
    done = run_qode(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert done.returncode == code, (args, done.stdout, done.stderr)
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    if code == 1:
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.mark.parametrize("value", ["0", "366", "many"])
def test_bad_keep_setting_is_refused_by_the_cli(tmp_path, value):
    done = run_qode("backup", "--data-dir", tmp_path, env={"QODE_BACKUP_KEEP": value})
    assert done.returncode == 2 and "QODE_BACKUP_KEEP" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.server
def test_restore_refused_while_serving_then_round_trip(tmp_path):
    data_dir = tmp_path / "served"
    proc = ServerProcess(data_dir).start()
    try:
        made = requests.post(f"{proc.url}/api/queues", json={"name": "Door", "prefix": "D"},
                             headers=admin(), timeout=5)
        assert made.status_code == 201, made.text
        host = {"Authorization": f"Bearer {made.json()['host_token']}"}
        tickets_url = f"{proc.url}/api/queues/{made.json()['id']}/tickets"

        def join(n: int) -> int:
            body = {"device_token": f"dev-{n:06d}-abcdefgh"}
            return requests.post(tickets_url, json=body, timeout=5).status_code

        assert [join(n) for n in range(5)] == [201] * 5

        # A backup while another client keeps issuing tickets: one consistent snapshot.
        statuses: list[int] = []
        writer = threading.Thread(target=lambda: statuses.extend(join(n) for n in range(5, 15)))
        writer.start()
        done = run_qode("backup", "--data-dir", data_dir)
        writer.join(timeout=60)
        assert not writer.is_alive() and statuses == [201] * 10
        assert done.returncode == 0, done.stderr
        backup = Path(done.stdout.strip())
        assert backup.parent == data_dir / "backups" and backup.exists()
        check_backup(backup)
        in_backup = ticket_numbers(backup)
        assert 5 <= len(in_backup) <= 15 and in_backup == list(range(1, len(in_backup) + 1))

        assert [join(n) for n in (15, 16)] == [201] * 2  # the live database now surely differs
        # Compared by tickets and by file identity: the server's own jobs may write meanwhile.
        live_before = digests(data_dir / "qode.db")["tickets"]
        inode = (data_dir / "qode.db").stat().st_ino
        assert live_before[0] == 17
        refused = run_qode("restore", backup, "--data-dir", data_dir)
        assert refused.returncode == 1, (refused.stdout, refused.stderr)
        assert RUNNING in refused.stderr and "Traceback" not in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
        assert digests(data_dir / "qode.db")["tickets"] == live_before
        assert (data_dir / "qode.db").stat().st_ino == inode
        assert list(data_dir.glob("qode.db.before-restore-*")) == []

        second = run_qode("serve", "--host", "127.0.0.1", "--port", free_port(), "--data-dir", data_dir,
                          env={"QODE_ADMIN_TOKEN": "y" * 32}, timeout=30)
        assert second.returncode == 2, (second.stdout, second.stderr)
        assert "already running" in second.stderr and "Traceback" not in second.stderr
        assert requests.get(proc.url + "/healthz", timeout=5).status_code == 200  # the first one is unharmed
    finally:
        proc.stop()
    assert proc.proc.returncode is not None

    done = run_qode("restore", backup, "--data-dir", data_dir)
    assert done.returncode == 0, done.stderr
    aside = Path(re.search(r"set aside as (\S+)\.$", done.stdout, re.M)[1])
    assert aside.exists() and digests(aside)["tickets"] == live_before
    assert digests(data_dir / "qode.db") == digests(backup)

    proc.start()
    try:
        listing = requests.get(tickets_url, headers=host, timeout=5)
        assert listing.status_code == 200
        assert [t["position_number"] for t in listing.json()["tickets"]] == in_backup
    finally:
        proc.stop()
    assert "Traceback" not in proc.log.read_text()
