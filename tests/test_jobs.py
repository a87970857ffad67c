"""The scheduled jobs, driven by a fake clock: auto no-show, rollover, purge, backup, the ETA
refresh and the estimator's persistence, and the scheduler's single-instance lock."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from datetime import time as dtime

import pytest

from qode import create_app, estimates, jobs
from qode.backup import check_backup

from helpers import ADMIN_TOKEN, NO_CAPS, FakeClock, admin, utc, wait_until


def make_app(data_dir, scheduler: str = "off", **settings):
    return create_app({"QODE_DATA_DIR": str(data_dir), "QODE_ADMIN_TOKEN": ADMIN_TOKEN, "QODE_TIMEZONE": "UTC",
                       "QODE_JOIN_RATE_LIMIT": "off", **NO_CAPS, "QODE_AUTH_RATE_LIMIT": "off",
                       "QODE_SCHEDULER": scheduler, **settings})


@pytest.fixture
def box(tmp_path):
    """An app on a fake clock, a queue, its host headers and the Jobs."""
    app = make_app(tmp_path / "box")
    db = app.extensions["qode_db"]
    clock = FakeClock(utc(2026, 3, 10, 9, 0), tz="UTC", day_starts_at=dtime(4, 0))
    db.clock = clock
    client = app.test_client()
    queue = client.post("/api/queues", json={"name": "Desk", "prefix": "A"}, headers=admin()).get_json()
    headers = {"Authorization": f"Bearer {queue['host_token']}"}
    client.patch(f"/api/queues/{queue['id']}", json={"eta_margin": 0}, headers=headers)  # plain arithmetic
    return {"app": app, "db": db, "clock": clock, "client": client, "queue": queue, "headers": headers,
            "jobs": jobs.Jobs(db, app.config, app.extensions["qode_live"])}


def join(box, n: int, start: int = 0) -> list[dict]:
    url = f"/api/queues/{box['queue']['id']}/tickets"
    return [box["client"].post(url, json={"device_token": f"device-token-{start + i:08d}"}).get_json()
            for i in range(n)]


def status(box, ticket_id: str) -> str:
    return box["client"].get(f"/api/tickets/{ticket_id}").get_json()["status"]


def test_auto_no_show_fires_after_the_grace_period_and_not_before(box):
    client, q = box["client"], box["queue"]
    assert client.patch(f"/api/queues/{q['id']}", json={"grace_period": 120},
                        headers=box["headers"]).get_json()["grace_period"] == 120
    first, second = join(box, 2)
    client.post(f"/api/queues/{q['id']}/call-next", headers=box["headers"])
    box["clock"].advance(seconds=119)
    assert box["jobs"].auto_no_show() == []
    assert status(box, first["id"]) == "CALLED"
    box["clock"].advance(seconds=2)
    assert box["jobs"].auto_no_show() == [first["id"]]
    assert status(box, first["id"]) == "NO_SHOW" and status(box, second["id"]) == "WAITING"
    with box["db"].read() as conn:
        data = conn.execute("SELECT data FROM events WHERE type = 'no_show'").fetchone()[0]
    assert '"by":"auto"' in data
    # a recall restarts the grace: the guest was called again
    client.post(f"/api/queues/{q['id']}/call-next", headers=box["headers"])
    box["clock"].advance(seconds=100)
    client.post(f"/api/tickets/{second['id']}/recall", headers=box["headers"])
    box["clock"].advance(seconds=100)
    assert box["jobs"].auto_no_show() == []
    box["clock"].advance(seconds=21)
    assert box["jobs"].auto_no_show() == [second["id"]]


def test_auto_no_show_off_and_after_a_reboot(box, monkeypatch):
    client, q = box["client"], box["queue"]
    (ticket,) = join(box, 1)
    client.post(f"/api/queues/{q['id']}/call-next", headers=box["headers"])
    box["clock"].advance(hours=2)
    assert box["jobs"].auto_no_show() == []  # no grace period set: off
    client.patch(f"/api/queues/{q['id']}", json={"grace_period": 60}, headers=box["headers"])
    assert client.patch(f"/api/queues/{q['id']}", json={"grace_period": 0},
                        headers=box["headers"]).get_json()["grace_period"] is None  # 0 turns it off
    assert box["jobs"].auto_no_show() == []
    client.patch(f"/api/queues/{q['id']}", json={"grace_period": 60}, headers=box["headers"])
    # After a reboot the call's monotonic reading means nothing: the grace counts from now.
    monkeypatch.setattr(type(box["clock"]), "boot_id", "another-boot")
    assert box["jobs"].auto_no_show() == []
    box["clock"].advance(seconds=59)
    assert box["jobs"].auto_no_show() == []
    box["clock"].advance(seconds=2)
    assert box["jobs"].auto_no_show() == [ticket["id"]]


def test_rollover_job_starts_the_new_day(box):
    waiting = join(box, 3)
    assert box["jobs"].rollover() == 0
    box["clock"].advance(days=1)
    assert box["jobs"].rollover() == 1
    assert box["jobs"].rollover() == 0
    with box["db"].read() as conn:
        day = conn.execute("SELECT service_day FROM queues").fetchone()[0]
    assert day == "2026-03-11"
    assert {status(box, t["id"]) for t in waiting} == {"CANCELLED"}
    # the estimator saw the day end: nobody is ahead of a new joiner
    assert box["client"].get(f"/api/queues/{box['queue']['id']}").get_json()["eta_seconds"] == 0


def table_digest(path) -> dict:
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'sqlite_sequence'"
            " ORDER BY name")]  # a restore moves the event counter on, on purpose
        out = {}
        for name in names:
            rows = conn.execute(f'SELECT * FROM "{name}" ORDER BY rowid').fetchall()
            out[name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
        return out
    finally:
        conn.close()


def test_purge_keeps_what_the_hub_has_not_acknowledged(box):
    db, client, q = box["db"], box["client"], box["queue"]
    old = join(box, 3)
    # One of them a kiosk's, with its print job: the job goes with its ticket.
    kiosk = client.post(f"/api/queues/{q['id']}/devices", json={"name": "Door"},
                        headers=box["headers"]).get_json()
    kiosk_auth = {"Authorization": f"Bearer {kiosk['token']}"}
    client.post("/api/device/status", json={"printer": "ready"}, headers=kiosk_auth)
    old.append(client.post(f"/api/queues/{q['id']}/tickets", json={}, headers=kiosk_auth).get_json())
    assert old[-1]["print_job"]["status"] == "pending"
    for _ in range(2):
        called = client.post(f"/api/queues/{q['id']}/call-next", headers=box["headers"]).get_json()
        client.post(f"/api/tickets/{called['id']}/complete", headers=box["headers"])
    with db.read() as conn:
        old_seqs = [r[0] for r in conn.execute("SELECT seq FROM events ORDER BY seq")]
    acked = old_seqs[len(old_seqs) // 2]
    with db.write() as conn:
        conn.execute("UPDATE sync_state SET acked_seq = ?", (acked,))
    box["clock"].advance(days=120)
    fresh = join(box, 2, start=100)  # today's: rolls the day, closes the old leftovers
    syncing = jobs.Jobs(db, {**box["app"].config, "SYNC_URL": "https://hub.example.org"})  # a hub is set
    removed = syncing.purge()
    with db.read() as conn:
        seqs = [r[0] for r in conn.execute("SELECT seq FROM events ORDER BY seq")]
        ticket_ids = {r[0] for r in conn.execute("SELECT id FROM tickets")}
    assert removed["events"] == len([s for s in old_seqs if s <= acked])
    assert min(seqs) == acked + 1  # nothing the hub has not acknowledged was deleted
    assert set(old_seqs[len(old_seqs) // 2 + 1:]) <= set(seqs)
    assert removed["tickets"] == 4 and not ({t["id"] for t in old} & ticket_ids)
    assert removed["print_jobs"] == 1
    assert {t["id"] for t in fresh} <= ticket_ids
    assert syncing.purge() == {"print_jobs": 0, "tickets": 0, "events": 0, "idempotency": 0}
    # With no hub set there is nothing to wait for: old events go by age alone.
    assert box["jobs"].purge()["events"] >= len([s for s in old_seqs if s > acked])
    with db.read() as conn:
        days = {r[0] for r in conn.execute("SELECT service_day FROM events")}
    assert old[0]["service_day"] not in days


def test_backup_job_restores_to_an_identical_database(box, tmp_path):
    from qode.backup import restore

    join(box, 5)
    box["client"].post(f"/api/queues/{box['queue']['id']}/call-next", headers=box["headers"])
    path = box["jobs"].backup()
    check_backup(path)
    assert path.parent == box["app"].config["DATA_DIR"] / "backups"
    target = tmp_path / "restored"
    restore(path, target)
    assert table_digest(target / "qode.db") == table_digest(box["db"].path)
    assert box["jobs"].checkpoint()[0] == 0  # not busy: the WAL was folded back


def test_eta_refresh_sends_only_news(box):
    """A guest whose counted-down ETA still holds gets nothing; one whose ETA moved gets it."""
    feed, hub, q = box["app"].extensions["qode_live"], box["app"].extensions["qode_live"].hub, box["queue"]
    first, second = join(box, 2)
    got: dict[str, list] = {first["id"]: [], second["id"]: []}
    for ticket in (first, second):
        channel = f"ticket:{ticket['id']}"
        first_message = feed.snapshot("ticket", q["id"], ticket["id"])
        hub.join(channel, got[ticket["id"]].append).floor = first_message["seq"]  # as sockets do
    # An idle counter: the first guest is next (0 s, stays 0); the second one waits a cycle (300 s),
    # which does not count down while nobody is called, so the guest's countdown drifts away.
    box["clock"].advance(seconds=20)
    assert box["jobs"].eta_refresh() == 0
    box["clock"].advance(seconds=15)  # 35 s counted down on the phone, 0 s in the prediction
    assert box["jobs"].eta_refresh() == 1
    limit = time.monotonic() + 5  # the hub delivers on its own senders
    while not got[second["id"]] and time.monotonic() < limit:
        time.sleep(0.01)
    assert got[first["id"]] == []
    assert len(got[second["id"]]) == 1 and b'"eta_seconds":300' in got[second["id"]][0]  # a ready frame
    assert box["jobs"].eta_refresh() == 0  # just sent: no news again


def test_a_restart_continues_what_the_estimator_learned(tmp_path):
    app = make_app(tmp_path / "learn")
    db = app.extensions["qode_db"]
    clock = FakeClock(utc(2026, 3, 10, 9, 0))
    db.clock = clock
    client = app.test_client()
    q = client.post("/api/queues", json={"name": "Desk"}, headers=admin()).get_json()
    headers = {"Authorization": f"Bearer {q['host_token']}"}
    for i in range(12):
        client.post(f"/api/queues/{q['id']}/tickets", json={"device_token": f"device-token-{i:08d}"})
    for _ in range(10):  # 120 s per guest, with someone always waiting
        called = client.post(f"/api/queues/{q['id']}/call-next", headers=headers).get_json()
        clock.advance(seconds=120)
        client.post(f"/api/tickets/{called['id']}/complete", headers=headers)
    learned = client.get(f"/api/queues/{q['id']}").get_json()["avg_wait_time"]
    assert learned < 250  # it learned, away from the 300 s default
    assert estimates.of(db).save() == 1
    with db.read() as conn:
        assert conn.execute("SELECT avg_wait_time FROM queues").fetchone()[0] == learned  # the row too
        (saved,) = conn.execute("SELECT COUNT(*) FROM eta_state").fetchone()
    assert saved == 1
    # The events are gone (purged), so only the saved state can carry what was learned.
    with db.write() as conn:
        conn.execute("DELETE FROM events")
    again = make_app(tmp_path / "learn")
    again.extensions["qode_db"].clock = clock
    assert again.test_client().get(f"/api/queues/{q['id']}").get_json()["avg_wait_time"] == learned


def test_only_one_scheduler_runs_per_data_folder(tmp_path):
    first = make_app(tmp_path / "shared", scheduler="on")
    second = make_app(tmp_path / "shared", scheduler="on")
    try:
        running = first.extensions["qode_scheduler"]
        assert running.running
        assert {job.id for job in running.get_jobs()} == {
            "eta_refresh", "auto_no_show", "print_expiry", "rollover", "checkpoint", "backup", "purge"}
        assert "qode_scheduler" not in second.extensions
        assert jobs.take_lock(tmp_path / "shared") is None  # nobody else can take it either
    finally:
        jobs.stop(first)
    lock = jobs.take_lock(tmp_path / "shared")  # released with the scheduler
    assert lock is not None
    lock.close()


def _paused_scheduler():
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.start(paused=True)
    scheduler.add_job(lambda: None, "interval", seconds=30, id="tick")
    scheduler.add_job(lambda: None, "cron", hour=4, id="nightly")
    far = datetime.now(UTC) + timedelta(days=365)  # as if the clock had jumped back a year
    for job in scheduler.get_jobs():
        job.modify(next_run_time=far)
    return scheduler


def _rearmed(scheduler) -> bool:
    now = datetime.now(UTC)
    tick, nightly = scheduler.get_job("tick"), scheduler.get_job("nightly")
    return (timedelta(seconds=25) < tick.next_run_time - now <= timedelta(seconds=30)
            and timedelta(0) < nightly.next_run_time - now <= timedelta(days=1))


def test_a_wall_clock_jump_rearms_the_jobs():
    scheduler = _paused_scheduler()
    try:
        assert not _rearmed(scheduler)
        jobs.rearm(scheduler)
        assert _rearmed(scheduler)
    finally:
        scheduler.shutdown(wait=False)


def test_a_paused_job_stays_paused_through_a_rearm():
    scheduler = _paused_scheduler()
    try:
        scheduler.get_job("nightly").pause()
        jobs.rearm(scheduler)
        assert scheduler.get_job("nightly").next_run_time is None
        assert scheduler.get_job("tick").next_run_time is not None
    finally:
        scheduler.shutdown(wait=False)


def test_the_clock_watch_rearms_only_on_a_jump_beyond_its_tolerance():
    wall = [1_000_000.0]
    scheduler = _paused_scheduler()
    try:
        watch = jobs.ClockWatch(scheduler, tolerance=2.0, wall=lambda: wall[0], mono=lambda: 50.0)
        wall[0] += 1.5  # drift within the tolerance: nothing moves
        assert watch.check() is None and not _rearmed(scheduler)
        wall[0] -= 3600  # set back an hour
        assert watch.check() == pytest.approx(-3600)
        assert _rearmed(scheduler)
        assert watch.check() is None  # measured from the new offset, not again
    finally:
        scheduler.shutdown(wait=False)


def test_the_clock_watch_thread_sees_a_jump_by_itself():
    wall = [1_000_000.0]
    scheduler = _paused_scheduler()
    watch = jobs.ClockWatch(scheduler, every=0.02, wall=lambda: wall[0], mono=lambda: 50.0).start()
    try:
        wall[0] += 7200
        wait_until(lambda: _rearmed(scheduler), timeout=10)
    finally:
        watch.stop()
        scheduler.shutdown(wait=False)


def test_a_second_tab_does_not_hide_an_unsent_call_from_the_first(box):
    """The host calls a guest; before the feed flushes, a second tab opens the same ticket.
    The first tab must still be sent the call."""
    feed, hub, q = box["app"].extensions["qode_live"], box["app"].extensions["qode_live"].hub, box["queue"]
    first, _ = join(box, 2)
    channel = f"ticket:{first['id']}"
    got: list = []
    hub.join(channel, got.append).floor = feed.snapshot("ticket", q["id"], first["id"])["seq"]
    feed.flush()  # everything so far is sent
    got.clear()
    box["client"].post(f"/api/queues/{q['id']}/call-next", headers=box["headers"])
    second_tab = feed.snapshot("ticket", q["id"], first["id"])
    assert second_tab["ticket"]["status"] == "CALLED"
    hub.join(channel, [].append).floor = second_tab["seq"]
    feed.flush()
    limit = time.monotonic() + 5
    while not got and time.monotonic() < limit:
        time.sleep(0.01)
    assert got and b'"status":"CALLED"' in got[-1]
