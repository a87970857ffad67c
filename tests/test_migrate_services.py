"""Issue 15, must-show 6: a box's database made by the release before it (m001-m012, by the release's
own REST calls: tests/data/make_release_db.py) migrates through m013 and serves on.

Every ticket and event row is kept as it was (m013 only adds columns); each old (queue, name)
counter is one counter serving that queue; each device gets its one service; each queue's host
token hash is a manager token scoped to that queue; the old host token and the kiosk token work
and the rotated-away and revoked ones still do not; and the box joins and calls on, in process and
as a real `qode serve`. A ticket taken before the upgrade can be transferred, keeping its id and
number, and a priority ticket joins and goes first.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests

from qode import auth, queues, tickets
from qode.db import Database
from qode.migrations import MIGRATIONS, migrate

from helpers import ADMIN_TOKEN, FakeClock, ServerProcess

DATA = Path(__file__).parent / "data"
RELEASE = json.loads((DATA / "release_m012.json").read_text())
REG, PAY, PASS = (RELEASE["queues"][key] for key in ("reg", "pay", "pass"))
DEVICES = RELEASE["devices"]


def release_file(path: Path) -> Path:
    """The release's database as a file (the SQL of tests/data loaded into a fresh SQLite file)."""
    conn = sqlite3.connect(path)
    conn.executescript((DATA / "release_m012.sql").read_text())
    conn.close()
    return path


def rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def columns(path: Path, table: str) -> list[str]:
    return [r[1] for r in rows(path, f"PRAGMA table_info({table})")]


@pytest.fixture
def before(tmp_path):
    return release_file(tmp_path / "release.db")


@pytest.fixture
def clock():
    # The release's clock left off at day 2, 08:21 (UTC); the box comes back up a few minutes later,
    # after a reboot into the new release (another boot id: the release's monotonic readings are old).
    start = datetime.fromisoformat(RELEASE["clock_at"]) + timedelta(minutes=5)
    return FakeClock(start, tz="UTC")


@pytest.fixture
def migrated(tmp_path, before, clock):
    path = tmp_path / "qode.db"
    shutil.copy(before, path)
    database = Database(path, clock=clock)
    applied = migrate(database)
    # the release had every migration before it; later issues' migrations follow (issue 16: m014-m018)
    assert applied[0] == "m013_services" and all(name > "m013" for name in applied)
    yield database
    database.close()


def test_the_fixture_is_a_release_database(before):
    applied = [r[0] for r in rows(before, "SELECT name FROM _migrations ORDER BY rowid")]
    assert applied == RELEASE["migrations"] == [name for name, _ in MIGRATIONS][:12]
    for table, count in RELEASE["counts"].items():
        assert rows(before, f"SELECT COUNT(*) FROM {table}")[0][0] == count
    assert "host_tokens" not in {r[0] for r in rows(before, "SELECT name FROM sqlite_master")}


def test_every_row_is_kept_as_it_was(before, migrated):
    """Tickets, events, devices, queues, print jobs: the same rows, the old columns unchanged."""
    after = migrated.path
    for table, key in (("tickets", "id"), ("events", "seq"), ("devices", "id"), ("queues", "id"),
                       ("print_jobs", "id"), ("idempotency", "key")):
        old = columns(before, table)
        assert set(old) <= set(columns(after, table))
        listed = ", ".join(old)
        kept = rows(after, f"SELECT {listed} FROM {table} ORDER BY {key}")
        assert kept == rows(before, f"SELECT {listed} FROM {table} ORDER BY {key}"), table
        assert len(kept) == RELEASE["counts"].get(table, len(kept))
    assert len(rows(after, "SELECT seq FROM events")) == 96 and len(rows(after, "SELECT id FROM tickets")) == 37


def test_tickets_gain_their_issuing_service_place_in_line_and_counter(before, migrated):
    after = migrated.path
    tickets_ = rows(after, "SELECT id, queue_id, issued_queue_id, line_seq, line_mono, line_boot, priority,"
                           " transfers, counter, counter_id FROM tickets")
    joins = {r[0]: r[1:] for r in rows(after, "SELECT ticket_id, seq, mono, boot_id FROM events"
                                              " WHERE type = 'join'")}
    with_counter = 0
    for tid, queue_id, issued, line_seq, mono, boot, priority, transfers, counter, counter_id in tickets_:
        assert issued == queue_id and priority == 0 and transfers == 0
        assert (line_seq, mono, boot) == joins[tid]  # every ticket's join is in the log
        assert boot == RELEASE["boot_id"]
        if counter is not None:
            with_counter += 1
            name, = rows(after, f"SELECT name FROM counters WHERE id = '{counter_id}'")[0]
            serves = rows(after, f"SELECT queue_id FROM counter_services WHERE counter_id = '{counter_id}'")
            assert name == counter and serves == [(queue_id,)]
        else:
            assert counter_id is None
    assert with_counter >= 10  # calls at counters "1", "2", "3", "Desk A" on two days
    # In each line, number order is line order (no transfers yet)
    for queue_id in (REG["id"], PAY["id"]):
        seqs = rows(after, f"SELECT line_seq FROM tickets WHERE queue_id = '{queue_id}'"
                           " ORDER BY service_day, position_number")
        assert seqs == sorted(seqs)


def test_each_old_counter_is_one_counter_on_its_service(before, migrated):
    old = sorted(rows(before, "SELECT queue_id, name, is_open, updated_at FROM counters"))
    new = sorted(rows(migrated.path, "SELECT cs.queue_id, c.name, c.is_open, c.updated_at FROM counters c"
                                     " JOIN counter_services cs ON cs.counter_id = c.id"))
    assert new == old and len(old) == 6
    assert rows(migrated.path, "SELECT COUNT(*), COUNT(DISTINCT id) FROM counters") == [(6, 6)]
    assert rows(migrated.path, "SELECT DISTINCT rule, position, weight, staff_name FROM counters c"
                               " JOIN counter_services cs ON cs.counter_id = c.id") == [("order", 0, 1.0, None)]
    assert "counters_m012" not in {r[0] for r in rows(migrated.path, "SELECT name FROM sqlite_master")}
    # Counter "2" of Registration and counter "2" of Payments are two counters, as they were two rows.
    twos = rows(migrated.path, "SELECT id FROM counters WHERE name = '2'")
    assert len(twos) == 2


def test_devices_and_host_tokens_map_to_their_services(before, migrated):
    after = migrated.path
    assert sorted(rows(after, "SELECT device_id, queue_id, position FROM device_services")) == sorted(
        (device_id, queue_id, 0) for device_id, queue_id in rows(before, "SELECT id, queue_id FROM devices"))
    tokens = rows(after, "SELECT t.token_hash, t.role, t.scope, t.name, t.revoked_at, s.queue_id"
                         " FROM host_tokens t JOIN host_token_services s ON s.token_id = t.id"
                         " ORDER BY s.queue_id")
    assert tokens == sorted(((h, "manager", "services", name, None, qid) for qid, h, name in rows(
        before, "SELECT id, host_token_hash, name FROM queues")), key=lambda t: t[5])
    assert rows(after, "SELECT COUNT(*) FROM host_tokens") == [(3,)]
    # the services keep their order of creation
    order = [r[0] for r in rows(after, "SELECT id FROM queues ORDER BY sort_order")]
    assert order == [REG["id"], PAY["id"], PASS["id"]]
    assert rows(after, "SELECT DISTINCT transfer_placement, priority_on_join, priority_streak FROM queues") == [
        ("original", 0, 0)]


def test_waiting_counts_and_the_new_number_index_hold(migrated):
    after = migrated.path
    for queue_id, stored in rows(after, "SELECT id, waiting_count FROM queues"):
        assert stored == rows(after, f"SELECT COUNT(*) FROM tickets WHERE queue_id = '{queue_id}'"
                                     " AND status = 'WAITING'")[0][0]
    conn = sqlite3.connect(after)
    try:
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO tickets (id, queue_id, issued_queue_id, position_number, status, source,"
                         " service_day, created_at) SELECT 'dup', queue_id, issued_queue_id, position_number,"
                         " 'WAITING', 'web', service_day, created_at FROM tickets LIMIT 1")
        conn.rollback()
        # a WAITING ticket that changes service moves its count (m013's trigger)
        tid, = conn.execute("SELECT id FROM tickets WHERE queue_id = ? AND status = 'WAITING' LIMIT 1",
                            (REG["id"],)).fetchone()
        counts = dict(conn.execute("SELECT id, waiting_count FROM queues").fetchall())
        conn.execute("UPDATE tickets SET queue_id = ? WHERE id = ?", (PAY["id"], tid))
        moved = dict(conn.execute("SELECT id, waiting_count FROM queues").fetchall())
        assert (moved[REG["id"]], moved[PAY["id"]]) == (counts[REG["id"]] - 1, counts[PAY["id"]] + 1)
        conn.rollback()
    finally:
        conn.close()


def test_old_credentials_identify_as_before(migrated):
    def who(token):
        return auth.identify(migrated, auth.hash_token(ADMIN_TOKEN), auth.hash_token(token))

    for q in (REG, PAY, PASS):
        host = who(q["token"])
        assert (host.kind, host.queue_id, host.role, host.services) == ("host", q["id"], "manager",
                                                                        frozenset({q["id"]}))
    assert who(REG["old_tokens"][0]) is None  # rotated away before the upgrade: still dead
    kiosk = who(DEVICES["kiosk"]["token"])
    assert (kiosk.kind, kiosk.device_id, kiosk.queue_id, kiosk.services) == (
        "kiosk", DEVICES["kiosk"]["id"], REG["id"], frozenset({REG["id"]}))
    assert who(DEVICES["display"]["token"]).kind == "display"
    assert who(DEVICES["revoked_kiosk"]["token"]) is None  # revoked before the upgrade: still revoked


def test_the_migrated_box_serves_on_in_the_same_day(migrated, clock):
    """Same service day as the release left: the waiting line is called in number order at the
    migrated counters, numbering goes on, and a counter closed before the upgrade is still closed."""
    with migrated.read() as conn:
        waiting = [r[0] for r in conn.execute(
            "SELECT position_number FROM tickets WHERE queue_id = ? AND status = 'WAITING'"
            " ORDER BY position_number", (REG["id"],))]
        two = queues.counter_for(conn, REG["id"], "2")
        last = conn.execute("SELECT last_number_issued FROM queues WHERE id = ?", (REG["id"],)).fetchone()[0]
    assert len(waiting) >= 5
    called = tickets.call_next(migrated, REG["id"], "2")
    assert called["position_number"] == waiting[0] and called["counter"] == "2"
    assert [e["status"] for e in called["ended"]] == ["NO_SHOW"]  # what counter 2 held before the upgrade
    with migrated.read() as conn:
        stored = conn.execute("SELECT counter_id FROM tickets WHERE id = ?", (called["id"],)).fetchone()[0]
        assert stored == two["id"]
        event = conn.execute("SELECT data FROM events WHERE ticket_id = ? AND type = 'call'",
                             (called["id"],)).fetchone()[0]
    assert json.loads(event)["counter_id"] == two["id"]
    ticket, created = tickets.issue_ticket(migrated, REG["id"], "a-guest-after-the-upgrade-01")
    assert created and ticket["position_number"] == last + 1
    assert ticket["people_ahead"] == len(waiting) - 1
    with pytest.raises(Exception) as closed:
        tickets.call_next(migrated, REG["id"], "3")
    assert getattr(closed.value, "code", None) == "counter_closed"
    state = queues.set_counter(migrated, REG["id"], "3", True)
    assert [c["name"] for c in state["counters"] if c["is_open"]] == ["1", "2", "3"]
    assert tickets.call_next(migrated, REG["id"], "3")["position_number"] == waiting[1]
    # A new counter on Payments; Payments' counter "2" is not Registration's
    paid = tickets.call_next(migrated, PAY["id"], "2")
    assert paid["counter"] == "2"
    with migrated.read() as conn:
        stored = conn.execute("SELECT counter_id FROM tickets WHERE id = ?", (paid["id"],)).fetchone()[0]
        assert stored != two["id"]


def test_a_ticket_from_before_the_upgrade_transfers_and_priority_goes_first(migrated):
    """Issue 15's moves on the release's own tickets: a Registration ticket issued before the
    upgrade goes to Payments by its original join, keeps id, number and prefix, and is called there
    under its old number; a priority ticket that joins after it goes first in Payments."""
    with migrated.read() as conn:
        old = dict(conn.execute(
            "SELECT t.id, t.position_number, q.prefix FROM tickets t JOIN queues q ON q.id = t.queue_id"
            " WHERE t.queue_id = ? AND t.status = 'WAITING' ORDER BY t.position_number LIMIT 1",
            (REG["id"],)).fetchone())
        pay_waiting = conn.execute("SELECT COUNT(*) FROM tickets WHERE queue_id = ? AND status = 'WAITING'",
                                   (PAY["id"],)).fetchone()[0]
    moved = tickets.transfer(migrated, old["id"], PAY["id"], "original")
    assert moved["id"] == old["id"] and moved["status"] == "WAITING"
    assert moved["display_number"] == f"{old['prefix']}{old['position_number']:03d}"
    assert moved["service"]["id"] == PAY["id"] and moved["transfers"] == 1
    with migrated.read() as conn:
        types = [r[0] for r in conn.execute(
            "SELECT type FROM events WHERE ticket_id = ? ORDER BY seq DESC LIMIT 2", (old["id"],))]
        counts = conn.execute("SELECT waiting_count FROM queues WHERE id = ?", (PAY["id"],)).fetchone()[0]
    assert types == ["transfer_in", "transfer"] and counts == pay_waiting + 1
    first, created = tickets.issue_ticket(migrated, PAY["id"], "a-priority-guest-after-upgrade", priority=True)
    assert created and first["priority"] and first["people_ahead"] < pay_waiting + 1
    # Only tickets past QODE_MAX_WAIT (the release's morning line has waited long) go before it
    before_it = []
    for _ in range(first["people_ahead"] + 1):
        called = tickets.call_next(migrated, PAY["id"], "1")
        if called["id"] == first["id"]:
            break
        before_it.append(called["reason"])
    assert called["id"] == first["id"] and called["reason"] == "priority"
    assert before_it == ["overdue"] * first["people_ahead"]


def test_a_real_server_on_the_release_database_serves_on(tmp_path, before):
    """`qode serve` on a data folder holding the release's database: it migrates at start, the old
    host and kiosk tokens work over HTTP, and guests join and get called (on the real clock: the
    release's day is over, so its leftovers close as day_ended and numbering restarts)."""
    data_dir = tmp_path / "served"
    data_dir.mkdir()
    shutil.copy(before, data_dir / "qode.db")
    server = ServerProcess(data_dir).start()
    try:
        url = server.url

        def bearer(token):
            return {"Authorization": f"Bearer {token}"}

        reg = requests.get(f"{url}/api/queues/{REG['id']}", timeout=10)
        assert reg.status_code == 200 and reg.json()["name"] == "Registration"
        assert {c["name"] for c in reg.json()["counters"]} == {"1", "2", "3"}
        listed = requests.get(f"{url}/api/queues/{REG['id']}/tickets", headers=bearer(REG["token"]), timeout=10)
        assert listed.status_code == 200
        old = requests.get(f"{url}/api/queues/{REG['id']}/tickets", headers=bearer(REG["old_tokens"][0]),
                           timeout=10)
        assert old.status_code == 401
        other = requests.get(f"{url}/api/queues/{REG['id']}/tickets", headers=bearer(PAY["token"]), timeout=10)
        assert other.status_code == 403  # Payments' host is still not Registration's
        device = requests.get(f"{url}/api/device", headers=bearer(DEVICES["kiosk"]["token"]), timeout=10)
        assert device.status_code == 200 and device.json()["queue_id"] == REG["id"]
        revoked = requests.get(f"{url}/api/device", headers=bearer(DEVICES["revoked_kiosk"]["token"]),
                               timeout=10)
        assert revoked.status_code == 401
        printed = requests.post(f"{url}/api/queues/{REG['id']}/tickets", json={},
                                headers=bearer(DEVICES["kiosk"]["token"]), timeout=10)
        assert printed.status_code == 201 and printed.json()["source"] == "kiosk"
        assert printed.json()["position_number"] == 1  # a new day
        web = requests.post(f"{url}/api/queues/{REG['id']}/tickets",
                            json={"device_token": "a-guest-after-the-upgrade-02"}, timeout=10)
        assert web.status_code == 201 and web.json()["people_ahead"] == 1
        called = requests.post(f"{url}/api/queues/{REG['id']}/call-next", json={"counter": "2"},
                               headers=bearer(REG["token"]), timeout=10)
        assert called.status_code == 200 and called.json()["id"] == printed.json()["id"]
        assert called.json()["counter"] == "2"
        shut = requests.post(f"{url}/api/queues/{REG['id']}/call-next", json={"counter": "3"},
                             headers=bearer(REG["token"]), timeout=10)
        assert shut.status_code == 409 and shut.json()["error"]["code"] == "counter_closed"
        closed = requests.post(f"{url}/api/queues/{PASS['id']}/tickets",
                               json={"device_token": "a-guest-after-the-upgrade-03"}, timeout=10)
        assert closed.status_code == 409 and closed.json()["error"]["code"] == "queue_closed"
        rotated = requests.post(f"{url}/api/queues/{PAY['id']}/rotate-token", json={},
                                headers=bearer(PAY["token"]), timeout=10)
        assert rotated.status_code == 200
        fresh = rotated.json()["host_token"]
        assert requests.get(f"{url}/api/queues/{PAY['id']}/tickets", headers=bearer(fresh),
                            timeout=10).status_code == 200
        assert requests.get(f"{url}/api/queues/{PAY['id']}/tickets", headers=bearer(PAY["token"]),
                            timeout=10).status_code == 401
    finally:
        server.stop()
    assert "Traceback" not in server.log.read_text()
    after = data_dir / "qode.db"
    applied = [r[0] for r in rows(after, "SELECT name FROM _migrations ORDER BY rowid")]
    # m013 is applied, and only later issues' migrations after it (issue 16: m014-m018)
    assert all(name > "m013" for name in applied[applied.index("m013_services") + 1:])
    # every release ticket and event is still there (the day's rollover added its own events)
    ids = "SELECT id FROM tickets"
    assert {r[0] for r in rows(before, ids)} <= {r[0] for r in rows(after, ids)}
    kept = rows(after, "SELECT seq, type, ticket_id, data FROM events WHERE seq <= 96 ORDER BY seq")
    assert kept == rows(before, "SELECT seq, type, ticket_id, data FROM events ORDER BY seq")
    # both hashes of the rotated token agree (a backup restored onto the release still has a working token)
    assert rows(after, f"SELECT host_token_hash FROM queues WHERE id = '{PAY['id']}'") == rows(
        after, f"SELECT t.token_hash FROM host_tokens t JOIN host_token_services s ON s.token_id = t.id"
               f" WHERE s.queue_id = '{PAY['id']}'")
