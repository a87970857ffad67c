"""A box whose wall clock is not set: detected, reported, corrected by the host; ETAs unaffected."""

from __future__ import annotations

from datetime import time as dtime

import pytest

from qode import _restore_clock_fix, create_app
from qode.clock import Clock

from helpers import ADMIN_TOKEN, NO_CAPS, FakeClock, admin, utc


@pytest.fixture
def box(tmp_path):
    """An app whose wall clock says 1 January 1970 (a Pi before NTP), in Europe/Berlin."""
    app = create_app({"QODE_DATA_DIR": str(tmp_path / "box"), "QODE_ADMIN_TOKEN": ADMIN_TOKEN,
                      "QODE_TIMEZONE": "Europe/Berlin", "QODE_SCHEDULER": "off",
                      "QODE_JOIN_RATE_LIMIT": "off", **NO_CAPS, "QODE_AUTH_RATE_LIMIT": "off"})
    db = app.extensions["qode_db"]
    clock = FakeClock(utc(1970, 1, 1, 0, 0, 42), tz="Europe/Berlin", day_starts_at=dtime(4, 0))
    db.clock = clock
    client = app.test_client()
    queue = client.post("/api/queues", json={"name": "Desk", "prefix": "A"}, headers=admin()).get_json()
    return {"app": app, "db": db, "clock": clock, "client": client, "queue": queue,
            "headers": {"Authorization": f"Bearer {queue['host_token']}"}}


def etas(box) -> list:
    client, q = box["client"], box["queue"]
    tickets = client.get(f"/api/queues/{q['id']}/tickets", headers=box["headers"]).get_json()["tickets"]
    joiner = client.get(f"/api/queues/{q['id']}").get_json()["eta_seconds"]
    return [t["eta_seconds"] for t in tickets] + [joiner]


def test_an_unset_clock_is_reported_then_corrected_by_the_host(box):
    client, q, clock = box["client"], box["queue"], box["clock"]
    health = client.get("/healthz").get_json()
    assert health["status"] == "ok"
    assert health["clock"]["trusted"] is False and "1970" in health["clock"]["reason"]
    assert q["service_day"] == "1969-12-31"  # 01:00 in Berlin, before the 04:00 day start
    for i in range(3):
        client.post(f"/api/queues/{q['id']}/tickets", json={"device_token": f"device-token-{i:08d}"})
    client.post(f"/api/queues/{q['id']}/call-next", headers=box["headers"])
    clock.advance(seconds=40)
    before = etas(box)

    answer = client.post("/api/clock", json={"now": "2026-11-26T10:15:00+01:00"}, headers=box["headers"])
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["applied"] is True and body["now"].startswith("2026-11-26T09:15:00")
    assert body["service_day"] == "2026-11-26" and body["clock"]["source"] == "host"
    assert client.get("/healthz").get_json()["clock"] == {"trusted": True, "source": "host", "reason": None}
    assert etas(box) == before  # durations are monotonic: the jump of 56 years changes no ETA
    # The line built under the wrong day is today's line: nobody lost their place.
    listed = client.get(f"/api/queues/{q['id']}/tickets", headers=box["headers"]).get_json()["tickets"]
    assert [(t["position_number"], t["status"], t["service_day"]) for t in listed] == [
        (1, "CALLED", "2026-11-26"), (2, "WAITING", "2026-11-26"), (3, "WAITING", "2026-11-26")]

    # Corrected wall time keeps running with the monotonic clock, for display and the service day.
    clock.advance(minutes=30)
    fresh = client.post(f"/api/queues/{q['id']}/tickets", json={"device_token": "device-token-new00001"})
    ticket = fresh.get_json()
    assert ticket["created_at"].startswith("2026-11-26T09:45:00")
    assert ticket["service_day"] == "2026-11-26" and ticket["position_number"] == 4  # numbering goes on
    clock.advance(hours=18)  # 03:45 UTC next day = 04:45 in Berlin: past the 04:00 day start
    state = client.get(f"/api/queues/{q['id']}").get_json()
    assert state["service_day"] == "2026-11-27"


def test_the_correction_survives_a_restart_within_the_boot_only(box):
    client = box["client"]
    client.post("/api/clock", json={"now": "2026-11-26T10:15:00Z"}, headers=box["headers"])
    db = box["db"]
    later = FakeClock(utc(1970, 1, 1, 0, 5), tz="Europe/Berlin")
    later._mono = box["clock"].monotonic() + 60  # the same boot, a minute later
    db.clock = later
    _restore_clock_fix(db)
    assert db.clock.now() == utc(2026, 11, 26, 10, 16)
    other_boot = FakeClock(utc(1970, 1, 1, 0, 5), tz="Europe/Berlin")
    other_boot.boot_id = "a-new-boot"
    db.clock = other_boot
    _restore_clock_fix(db)  # a reboot: the tablet's time no longer holds
    assert db.clock.now().year == 1970 and db.clock.trust()["trusted"] is False


def test_a_set_clock_is_kept(tmp_path):
    app = create_app({"QODE_DATA_DIR": str(tmp_path / "ok"), "QODE_ADMIN_TOKEN": ADMIN_TOKEN,
                      "QODE_TIMEZONE": "UTC", "QODE_SCHEDULER": "off"})
    db = app.extensions["qode_db"]
    db.clock = FakeClock(utc(2026, 11, 26, 9, 0))
    client = app.test_client()
    answer = client.post("/api/clock", json={"now": "2026-11-26T12:00:00Z"}, headers=admin()).get_json()
    assert answer["applied"] is False and answer["now"].startswith("2026-11-26T09:00:00")
    assert answer["clock"] == {"trusted": True, "source": "system", "reason": None}


def test_ntp_not_synchronised_is_untrusted():
    clock = Clock("UTC", ntp=lambda: False)
    assert clock.trust()["trusted"] is False and "time server" in clock.trust()["reason"]
    assert Clock("UTC", ntp=lambda: None).trust()["trusted"] is True  # cannot tell: the year decides
    assert Clock("UTC", ntp=lambda: True).trust()["trusted"] is True


@pytest.mark.parametrize("body", [
    {},
    {"now": ""},
    {"now": "yesterday"},
    {"now": "2026-11-26T10:15:00"},  # no offset
    {"now": "1999-11-26T10:15:00Z"},
    {"now": "2026-02-30T10:15:00Z"},
    {"now": "2026-11-26T10:15:00Z", "extra": 1},
    {"now": 1764150000},
    {"now": "2026-11-26T10:15:00Z" + " " * 100},
])
def test_bad_clock_bodies_are_refused_and_change_nothing(box, body):
    client = box["client"]
    answer = client.post("/api/clock", json=body, headers=box["headers"])
    assert answer.status_code == 422 and answer.get_json()["error"]["code"] == "invalid_body"
    assert client.get("/healthz").get_json()["clock"]["trusted"] is False
    with box["db"].read() as conn:
        assert conn.execute("SELECT COUNT(*) FROM clock_fix").fetchone()[0] == 0


def test_a_line_started_under_a_wrong_clock_keeps_its_place_after_the_correction(tmp_path):
    """Yesterday was a normal day. This morning the box boots with its clock in 1970; the queue
    stays on yesterday (the day never moves back), so this morning's tickets are filed under
    yesterday. The host's time moves this boot's tickets to today and closes yesterday's."""
    app = create_app({"QODE_DATA_DIR": str(tmp_path / "y"), "QODE_ADMIN_TOKEN": ADMIN_TOKEN,
                      "QODE_TIMEZONE": "UTC", "QODE_SCHEDULER": "off", "QODE_JOIN_RATE_LIMIT": "off",
                      **NO_CAPS})
    db, client = app.extensions["qode_db"], app.test_client()
    yesterday = FakeClock(utc(2026, 11, 25, 16, 0))
    yesterday.boot_id = "boot-yesterday"
    db.clock = yesterday
    q = client.post("/api/queues", json={"name": "Desk"}, headers=admin()).get_json()
    host = {"Authorization": f"Bearer {q['host_token']}"}
    url = f"/api/queues/{q['id']}/tickets"
    left = client.post(url, json={"device_token": "device-token-yesterday"}).get_json()
    morning = FakeClock(utc(1970, 1, 1, 0, 1))
    morning.boot_id = "boot-today"
    db.clock = morning
    today = [client.post(url, json={"device_token": f"device-token-today{i:04d}"}).get_json() for i in range(3)]
    assert {t["service_day"] for t in today} == {"2026-11-25"}
    assert [t["position_number"] for t in today] == [2, 3, 4]

    too_early = client.post("/api/clock", json={"now": "2026-11-20T09:00:00Z"}, headers=host)
    too_late = client.post("/api/clock", json={"now": "2028-01-20T09:00:00Z"}, headers=host)
    for refused in (too_early, too_late):
        assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "implausible_time"
    assert db.clock.trust()["trusted"] is False  # nothing was applied

    assert client.post("/api/clock", json={"now": "2026-11-26T09:00:00Z"}, headers=host).status_code == 200
    listed = client.get(f"/api/queues/{q['id']}/tickets", headers=host).get_json()["tickets"]
    assert [(t["position_number"], t["status"]) for t in listed] == [(n, "WAITING") for n in (2, 3, 4)]
    assert client.get(f"/api/tickets/{left['id']}").get_json()["status"] == "CANCELLED"  # a real leftover
    fresh = client.post(url, json={"device_token": "device-token-after0001"})
    assert fresh.get_json()["position_number"] == 5 and fresh.get_json()["service_day"] == "2026-11-26"


def test_a_failed_correction_leaves_the_clock_as_it_was(box, monkeypatch):
    import sqlite3

    from qode import queues

    def broken(*args):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(queues, "carry_day", broken)
    answer = box["client"].post("/api/clock", json={"now": "2026-11-26T10:15:00Z"}, headers=box["headers"])
    assert answer.status_code >= 500 and "error" in answer.get_json()
    assert box["clock"].fix is None and box["clock"].now().year == 1970
    with box["db"].read() as conn:
        assert conn.execute("SELECT COUNT(*) FROM clock_fix").fetchone()[0] == 0
