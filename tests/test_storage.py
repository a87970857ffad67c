"""A full or read-only disk: writes answer 503 with a storage code, /healthz says why, reads work,
and everything comes back once the disk is fixed, with nothing lost.

The real `qode serve` runs on a data folder on a tiny tmpfs (filled with a file) or on a
database file bind-mounted read-only (which holds for root too, unlike a file mode).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from qode.db import Database, StorageFault, storage_fault

from helpers import ServerProcess, admin, done_within, privileged, require_root, ws_client_class, ws_until

# Mounts change the machine for everyone: no other test runs meanwhile (conftest.py, "serial").
pytestmark = [pytest.mark.server, pytest.mark.slow, pytest.mark.xdist_group("serial")]
# A tmpfs the tests' own user can write to (they may run as a developer, mounting through sudo).
OWNED = f"uid={os.geteuid()},gid={os.getegid()},mode=0755"


def _mount(*args: str) -> None:
    subprocess.run(privileged(["mount", *args]), check=True, capture_output=True)


def _umount(*args: str, check: bool = False) -> None:
    subprocess.run(privileged(["umount", *args]), check=check, capture_output=True)


def _can_mount(tmp_path: Path) -> bool:
    probe = tmp_path / "mount-probe"
    probe.mkdir()
    try:
        _mount("-t", "tmpfs", "-o", f"size=64k,{OWNED}", "tmpfs", str(probe))
    except (OSError, subprocess.CalledProcessError):
        return False
    _umount(str(probe))
    return True


@pytest.fixture
def mountable(tmp_path):
    require_root()  # as root, or through sudo: never skipped for want of root
    if not _can_mount(tmp_path):
        pytest.skip("even root cannot mount(2) here (no CAP_SYS_ADMIN, e.g. an unprivileged container): "
                    "a tiny tmpfs and a read-only bind mount are needed")


@pytest.fixture
def small_disk(tmp_path, mountable):
    """A started `qode serve` whose data folder is on a 3 MiB tmpfs; `filler` is where to fill it.
    The server's log is kept off that disk."""
    disk = tmp_path / "disk"
    disk.mkdir()
    _mount("-t", "tmpfs", "-o", f"size=3m,{OWNED}", "tmpfs", str(disk))
    proc = ServerProcess(disk / "data", env={"QODE_SCHEDULER": "off"})
    proc.log = tmp_path / "server.log"  # the log must not share the full disk
    try:
        proc.start()
        yield SimpleNamespace(proc=proc, disk=disk, filler=disk / "filler")
    finally:
        proc.stop()
        _umount("-l", str(disk))
    assert "Traceback" not in proc.log.read_text()


def _queue(url: str) -> tuple[str, dict]:
    answer = requests.post(f"{url}/api/queues", json={"name": "Desk"}, headers=admin(), timeout=5)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    return body["id"], {"Authorization": f"Bearer {body['host_token']}"}


def _fill(path: Path) -> None:
    """Fill the disk `path` is on to the last byte (unbuffered: nothing is left to fail at close)."""
    with open(path, "wb", buffering=0) as out:
        for size in (65536, 512, 1):
            try:
                for _ in range(1_000_000):
                    out.write(b"\0" * size)
            except OSError:
                pass


def _join(url: str, queue_id: str) -> requests.Response:
    return requests.post(f"{url}/api/queues/{queue_id}/tickets",
                         json={"device_token": uuid.uuid4().hex}, timeout=10)


def _health(url: str) -> requests.Response:
    return requests.get(f"{url}/healthz", timeout=10)


def _integrity(path: Path) -> tuple[str, list[int]]:
    conn = sqlite3.connect(path)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        numbers = [r[0] for r in conn.execute("SELECT position_number FROM tickets ORDER BY position_number")]
    finally:
        conn.close()
    return check, numbers


def _assert_storage_refusal(answer: requests.Response, reason: str) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"]["code"] == f"storage_{reason}"
    assert int(answer.headers["Retry-After"]) > 0


def _host_socket(url: str, queue_id: str, token: str):
    ws = ws_client_class()(url.replace("http", "ws") + f"/ws/host/{queue_id}")
    ws.send(json.dumps({"type": "auth", "token": token}))
    first = json.loads(ws.receive(timeout=10))
    assert first["type"] == "snapshot"
    return ws, first


def _wait_storage(ws, ok: bool, timeout: float = 10.0) -> dict:
    said = ws_until(ws, lambda m: m.get("storage", {}).get("ok") is ok, timeout,
                    f"the host socket's storage ok={ok}")
    return said["storage"]


def test_a_full_disk_answers_503_keeps_reads_and_recovers_with_nothing_lost(small_disk):
    proc, filler = small_disk.proc, small_disk.filler
    queue_id, host = _queue(proc.url)
    token = host["Authorization"].split()[1]
    made = []
    for _ in range(5):
        answer = _join(proc.url, queue_id)
        assert answer.status_code == 201
        made.append(answer.json()["id"])
    ws, _ = _host_socket(proc.url, queue_id, token)

    _fill(filler)

    health = _health(proc.url)
    assert health.status_code == 503, health.text
    assert health.json()["storage"]["ok"] is False
    assert health.json()["storage"]["reason"] == "disk_full"

    # Joins go on until SQLite cannot grow its log; then each is a 503 with the storage code.
    statuses = []
    for _ in range(400):
        answer = _join(proc.url, queue_id)
        statuses.append(answer.status_code)
        if answer.status_code == 201:
            made.append(answer.json()["id"])
            continue
        _assert_storage_refusal(answer, "disk_full")
        break
    assert 503 in statuses, f"no join was refused on a full disk: {statuses[-5:]}"
    assert 500 not in statuses
    for _ in range(3):  # it stays refused, never a 500
        _assert_storage_refusal(_join(proc.url, queue_id), "disk_full")
    _assert_storage_refusal(requests.post(f"{proc.url}/api/queues/{queue_id}/call-next", json={},
                                          headers=host, timeout=10), "disk_full")
    storage = _wait_storage(ws, ok=False)  # the dashboard is told at once
    assert storage["reason"] == "disk_full"

    # Reads keep working.
    assert requests.get(f"{proc.url}/api/queues/{queue_id}", timeout=5).status_code == 200
    assert requests.get(f"{proc.url}/api/tickets/{made[0]}", timeout=5).status_code == 200
    listed = requests.get(f"{proc.url}/api/queues/{queue_id}/tickets", headers=host, timeout=5)
    assert listed.status_code == 200 and len(listed.json()["tickets"]) == len(made)

    # Space freed: everything comes back, with nothing lost.
    filler.unlink()
    health = _health(proc.url)
    assert health.status_code == 200, health.text
    assert health.json()["storage"]["ok"] is True
    _wait_storage(ws, ok=True)
    answer = _join(proc.url, queue_id)
    assert answer.status_code == 201, answer.text
    made.append(answer.json()["id"])
    called = requests.post(f"{proc.url}/api/queues/{queue_id}/call-next", json={}, headers=host, timeout=5)
    assert called.status_code == 200
    ws.close()


def test_a_full_disk_loses_no_confirmed_ticket(small_disk):
    """The same fill, then space freed and the server stopped: integrity_check passes, and the
    numbers are exactly the confirmed ones, with no gap."""
    proc, disk, filler = small_disk.proc, small_disk.disk, small_disk.filler
    queue_id, _ = _queue(proc.url)
    confirmed = []
    _fill(filler)
    refused = 0
    for _ in range(400):
        answer = _join(proc.url, queue_id)
        assert answer.status_code in (201, 503), answer.text
        if answer.status_code == 201:
            confirmed.append(answer.json()["position_number"])
        else:
            refused += 1
            if refused >= 5:
                break
    assert refused >= 5
    filler.unlink()
    for _ in range(3):
        answer = _join(proc.url, queue_id)
        assert answer.status_code == 201, answer.text
        confirmed.append(answer.json()["position_number"])
    proc.stop()
    check, numbers = _integrity(disk / "data" / "qode.db")
    assert check == "ok"
    assert numbers == confirmed == list(range(1, len(confirmed) + 1))  # none lost, no gap, no double


def test_a_read_only_database_answers_503_and_recovers_once_writable(tmp_path, mountable):
    data = tmp_path / "data"
    proc = ServerProcess(data, env={"QODE_SCHEDULER": "off"})
    proc.start()
    queue_id, host = _queue(proc.url)
    token = host["Authorization"].split()[1]
    first = _join(proc.url, queue_id).json()
    proc.stop()

    db_file = data / "qode.db"
    _mount("--bind", str(db_file), str(db_file))
    mounted = True
    try:
        _mount("-o", "remount,ro,bind", str(db_file))
        proc.start(timeout=30, healthy=False)  # it starts: a read-only database is reported, not a crash loop
        health = _health(proc.url)
        assert health.status_code == 503, health.text
        assert health.json()["storage"]["reason"] == "read_only"
        _assert_storage_refusal(_join(proc.url, queue_id), "read_only")
        _assert_storage_refusal(requests.post(f"{proc.url}/api/queues/{queue_id}/call-next", json={},
                                              headers=host, timeout=10), "read_only")
        ws, snapshot = _host_socket(proc.url, queue_id, token)
        assert snapshot["storage"]["ok"] is False and snapshot["storage"]["reason"] == "read_only"
        # Reads keep working.
        assert requests.get(f"{proc.url}/api/tickets/{first['id']}", timeout=5).status_code == 200
        assert requests.get(f"{proc.url}/api/queues/{queue_id}", timeout=5).json()["waiting_count"] == 1

        # The file becomes writable again (the server still holds it open): it comes back.
        _umount("-l", str(db_file), check=True)
        mounted = False
        health = _health(proc.url)
        assert health.status_code == 200, health.text
        _wait_storage(ws, ok=True)
        second = _join(proc.url, queue_id)
        assert second.status_code == 201, second.text
        assert second.json()["position_number"] == 2
        ws.close()
    finally:
        proc.stop()
        if mounted:
            _umount("-l", str(db_file))
    check, numbers = _integrity(db_file)
    assert check == "ok" and numbers == [1, 2]
    assert "Traceback" not in proc.log.read_text()


def test_storage_fault_codes_are_told_apart():
    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = 13
    assert storage_fault(full) == "disk_full"
    readonly = sqlite3.OperationalError("attempt to write a readonly database")
    readonly.sqlite_errorcode = 8
    assert storage_fault(readonly) == "read_only"
    ioerr = sqlite3.OperationalError("disk I/O error")
    ioerr.sqlite_errorcode = 10 | (3 << 8)  # an extended code: SQLITE_IOERR_WRITE
    assert storage_fault(ioerr) == "io_error"
    assert storage_fault(sqlite3.IntegrityError("UNIQUE constraint failed")) is None
    assert storage_fault(ValueError("not sqlite")) is None


def test_a_failed_write_is_a_storage_fault_and_a_success_clears_it(tmp_path):
    from qode.migrations import migrate

    db = Database(tmp_path / "q.db")
    migrate(db)
    told = []
    db.on_fault.append(lambda: told.append(db.fault[0] if db.fault else None))
    db._conn.execute("PRAGMA query_only = ON")  # every write now fails as on a read-only file
    with pytest.raises(StorageFault) as caught:
        with db.write() as conn:
            conn.execute("INSERT INTO _migrations (name, applied_at) VALUES ('x', 'y')")
    assert caught.value.reason == "read_only"
    assert db.fault[0] == "read_only" and told == ["read_only"]
    db._reopen_writer = False  # the same connection: lift the switch by hand instead
    db._conn.execute("PRAGMA query_only = OFF")
    with db.write() as conn:
        conn.execute("INSERT INTO _migrations (name, applied_at) VALUES ('x', 'y')")
    assert db.fault is None and told == ["read_only", None]
    assert db.storage()["ok"] is True


def test_the_host_page_says_at_once_that_the_box_cannot_save(small_disk):
    """In Chromium: the host dashboard shows "The box cannot save: disk full" when the disk fills
    (told by the live channel, not on the next refresh), and drops it once space is freed."""
    from playwright.sync_api import expect, sync_playwright

    from test_pages_e2e import ARGS, CHROMIUM, shot

    proc, filler = small_disk.proc, small_disk.filler
    queue_id, host = _queue(proc.url)
    token = host["Authorization"].split()[1]
    _join(proc.url, queue_id)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-US").new_page()
            page.goto(f"{proc.url}/host/{queue_id}#token={token}")
            expect(page.get_by_test_id("line-status")).to_be_visible(timeout=10000)
            banner = page.get_by_role("alert").filter(has_text="The box cannot save")
            expect(banner).to_have_count(0)
            _fill(filler)
            # A guest's join meets the full disk; the host sees it without touching anything.
            for _ in range(400):
                if _join(proc.url, queue_id).status_code == 503:
                    break
            expect(page.get_by_text("The box cannot save: disk full")).to_be_visible(timeout=5000)
            shot(page, "host-disk-full-tablet")  # checked: the viewport's width, not blank
            page.set_viewport_size({"width": 360, "height": 780})
            expect(page.get_by_text("The box cannot save: disk full")).to_be_in_viewport()
            shot(page, "host-disk-full-360")
            filler.unlink()
            assert _health(proc.url).status_code == 200
            expect(page.get_by_text("The box cannot save: disk full")).to_have_count(0, timeout=10000)
        finally:
            browser.close()


def test_the_storage_check_says_busy_at_once_when_another_process_holds_the_lock(tmp_path):
    """/healthz must answer well within the watchdog's time even when it cannot write."""
    from qode.migrations import migrate

    # The writes' busy timeout is 10 minutes here: a probe that waited it out would hang the test.
    db = Database(tmp_path / "q.db", busy_timeout_ms=600_000)
    migrate(db)
    other = sqlite3.connect(tmp_path / "q.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # e.g. a stuck tool holding the write lock
    try:
        state = done_within(60, db.storage)  # the probe's own short wait, not the busy timeout
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert state["ok"] is False and state["reason"] == "busy"
    assert db.storage()["ok"] is True
    assert db._conn.execute("PRAGMA busy_timeout").fetchone()[0] == 600_000  # restored for real writes


def test_a_write_that_still_fits_does_not_clear_a_full_disk(tmp_path, monkeypatch):
    """Below the free-space floor a small write may still succeed: the host's banner must not
    flicker off and on between it and the next /healthz."""
    import qode.db as qdb
    from qode.migrations import migrate

    db = Database(tmp_path / "q.db")
    migrate(db)
    told = []
    db.on_fault.append(lambda: told.append(db.fault[0] if db.fault else None))
    monkeypatch.setattr(qdb, "MIN_FREE_BYTES", 1 << 62)  # every real disk is "full" now
    assert db.storage()["reason"] == "disk_full"
    with db.write() as conn:
        conn.execute("INSERT INTO _migrations (name, applied_at) VALUES ('x', 'y')")
    assert db.fault is not None and db.fault[0] == "disk_full" and told == ["disk_full"]
    monkeypatch.setattr(qdb, "MIN_FREE_BYTES", 1024)  # space freed
    with db.write() as conn:
        conn.execute("INSERT INTO _migrations (name, applied_at) VALUES ('z', 'y')")
    assert db.fault is None and told == ["disk_full", None]


def test_a_storage_fault_is_never_stored_under_an_idempotency_key(tmp_path):
    """The retry after the disk is fixed must act, not replay the 503."""
    from qode import idempotency
    from qode.migrations import migrate

    db = Database(tmp_path / "q.db")
    migrate(db)
    calls = []

    def failing():
        calls.append("fail")
        raise StorageFault("disk_full", "database or disk is full")

    with pytest.raises(StorageFault):
        idempotency.run_once(db, "cred", "key-1", "fp", failing)
    with db.read() as conn:
        assert conn.execute("SELECT COUNT(*) FROM idempotency").fetchone()[0] == 0
    status, body, replayed = idempotency.run_once(db, "cred", "key-1", "fp", lambda: (200, {"ok": True}))
    assert (status, body, replayed) == (200, {"ok": True}, False)
