"""Revoking a kiosk or display (issue 14): DELETE /api/queues/{id}/devices/{device_id}.

In-process tests for the rule and its bad inputs; one test against a real `qode serve` for the
open socket that must close at once and the token that must fail over real HTTP.
"""

from __future__ import annotations

import json
import time

import pytest
import requests

from qode_common.websocket import ConnectionClosed

from helpers import FakeClock, ServerProcess, admin, utc, ws_client_class


@pytest.fixture
def box(app, client, queue):
    db = app.extensions["qode_db"]
    db.clock = FakeClock(utc(2026, 11, 26, 9, 0))
    made = {}
    for name, kind in (("Door", "kiosk"), ("TV", "display")):
        device = client.post(f"/api/queues/{queue['id']}/devices", json={"name": name, "kind": kind},
                             headers=queue["headers"]).get_json()
        device["headers"] = {"Authorization": f"Bearer {device['token']}"}
        made[kind] = device
    return {"db": db, "client": client, "queue": queue, **made}


def listed(box) -> list[dict]:
    answer = box["client"].get(f"/api/queues/{box['queue']['id']}/devices", headers=box["queue"]["headers"])
    assert answer.status_code == 200
    return answer.get_json()["devices"]


def revoke(box, device_id: str, headers=None, queue_id=None):
    return box["client"].delete(f"/api/queues/{queue_id or box['queue']['id']}/devices/{device_id}",
                                headers=box["queue"]["headers"] if headers is None else headers)


def test_a_revoked_kiosk_token_stops_working_at_once_and_the_host_is_told(box):
    kiosk = box["kiosk"]
    assert box["client"].get("/api/device", headers=kiosk["headers"]).status_code == 200
    answer = revoke(box, kiosk["id"])
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["id"] == kiosk["id"] and body["name"] == "Door" and body["revoked_at"]
    # Every use of the token now fails as a wrong token does.
    assert box["client"].get("/api/device", headers=kiosk["headers"]).status_code == 401
    took = box["client"].post(f"/api/queues/{box['queue']['id']}/tickets", json={}, headers=kiosk["headers"])
    assert took.status_code == 401
    assert box["client"].post("/api/device/status", json={"printer": "ready"},
                              headers=kiosk["headers"]).status_code == 401
    # Gone from the list; the display is untouched and still works.
    assert [d["name"] for d in listed(box)] == ["TV"]
    assert box["client"].get("/api/device", headers=box["display"]["headers"]).status_code == 200
    with box["db"].read() as conn:
        rows = conn.execute("SELECT data FROM events WHERE type = 'device_revoked'").fetchall()
    assert [json.loads(r[0]) for r in rows] == [{"device_id": kiosk["id"], "kind": "kiosk", "name": "Door"}]


def test_revoking_fails_the_kiosks_pending_print_jobs(box):
    kiosk = box["kiosk"]
    assert box["client"].post("/api/device/status", json={"printer": "ready"},
                              headers=kiosk["headers"]).status_code == 200
    ticket = box["client"].post(f"/api/queues/{box['queue']['id']}/tickets", json={},
                                headers=kiosk["headers"]).get_json()
    assert ticket["print_status"] == "pending"
    assert revoke(box, kiosk["id"]).status_code == 200
    rows = box["client"].get(f"/api/queues/{box['queue']['id']}/tickets", headers=box["queue"]["headers"])
    assert [t["print_status"] for t in rows.get_json()["tickets"]] == ["failed"]
    # No kiosk with a printer is left: a reprint says so instead of queueing on the revoked one.
    again = box["client"].post(f"/api/tickets/{ticket['id']}/reprint", json={}, headers=box["queue"]["headers"])
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "no_printer"


def test_the_admin_may_revoke_too(box):
    assert revoke(box, box["display"]["id"], headers=admin()).status_code == 200
    assert [d["name"] for d in listed(box)] == ["Door"]


def test_last_seen_follows_the_printer_report(box):
    assert [d["last_seen"] for d in listed(box)] == [None, None]
    box["client"].post("/api/device/status", json={"printer": "ready"}, headers=box["kiosk"]["headers"])
    kiosk = next(d for d in listed(box) if d["name"] == "Door")
    assert kiosk["last_seen"] == kiosk["status_at"] and kiosk["last_seen"].startswith("2026-11-26T09:00")


@pytest.mark.parametrize(
    "device_id, code",
    [
        ("not-a-uuid", "device_not_found"),
        ("00000000-0000-4000-8000-000000000000", "device_not_found"),
        ("'; DROP TABLE devices; --", "device_not_found"),
    ],
)
def test_bad_device_ids_are_404_never_500(box, device_id, code):
    answer = revoke(box, device_id)
    assert answer.status_code == 404
    assert answer.get_json()["error"]["code"] == code


def test_twice_is_404_and_another_lines_device_is_404(box, client):
    assert revoke(box, box["kiosk"]["id"]).status_code == 200
    second = revoke(box, box["kiosk"]["id"])
    assert second.status_code == 404 and second.get_json()["error"]["code"] == "device_not_found"
    other = client.post("/api/queues", json={"name": "Other"}, headers=admin()).get_json()
    # The other line's host may not touch this line; this line's device is not the other line's.
    theirs = {"Authorization": f"Bearer {other['host_token']}"}
    assert revoke(box, box["display"]["id"], headers=theirs).status_code == 403
    wrong_line = revoke(box, box["display"]["id"], headers=admin(), queue_id=other["id"])
    assert wrong_line.status_code == 404
    assert [d["name"] for d in listed(box)] == ["TV"]  # nothing half-done


@pytest.mark.parametrize(
    "headers, status",
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong-token-0123456789abcdef"}, 401),
        ({"Authorization": "Basic abc"}, 401),
    ],
)
def test_wrong_credentials_change_nothing(box, headers, status):
    answer = revoke(box, box["kiosk"]["id"], headers=headers)
    assert answer.status_code == status
    assert answer.get_json()["error"]["code"]
    assert len(listed(box)) == 2


def test_a_device_token_cannot_revoke(box):
    # A kiosk must not remove the TV (nor itself).
    answer = revoke(box, box["display"]["id"], headers=box["kiosk"]["headers"])
    assert answer.status_code == 403
    assert len(listed(box)) == 2


def test_unknown_queue_is_404(box):
    answer = revoke(box, box["kiosk"]["id"], headers=admin(), queue_id="00000000-0000-4000-8000-000000000000")
    assert answer.status_code == 404


@pytest.mark.server
def test_revoke_closes_the_kiosks_socket_and_its_token_fails_over_http(tmp_path):
    WsClient = ws_client_class()
    proc = ServerProcess(tmp_path / "served").start()
    try:
        queue = requests.post(f"{proc.url}/api/queues", json={"name": "Door"}, headers=admin(),
                              timeout=5).json()
        host = {"Authorization": f"Bearer {queue['host_token']}"}
        kiosk = requests.post(f"{proc.url}/api/queues/{queue['id']}/devices", json={"name": "Door kiosk"},
                              headers=host, timeout=5).json()
        bearer = {"Authorization": f"Bearer {kiosk['token']}"}
        url = proc.url.replace("http://", "ws://") + f"/ws/devices/{kiosk['id']}"
        ws = WsClient.connect(url)
        ws.send(json.dumps({"type": "auth", "token": kiosk["token"]}))
        assert json.loads(ws.receive(timeout=5))["type"] == "snapshot"
        seen = requests.get(f"{proc.url}/api/queues/{queue['id']}/devices", headers=host, timeout=5).json()
        assert seen["devices"][0]["connected"] is True and seen["devices"][0]["last_seen"]
        assert requests.get(f"{proc.url}/api/device", headers=bearer, timeout=5).status_code == 200

        gone = requests.delete(f"{proc.url}/api/queues/{queue['id']}/devices/{kiosk['id']}", headers=host,
                               timeout=5)
        assert gone.status_code == 200, gone.text

        closed = False
        deadline = time.monotonic() + 5
        try:
            while time.monotonic() < deadline:
                ws.receive(timeout=0.2)
        except ConnectionClosed:
            closed = True
        assert closed, "the revoked kiosk's socket stayed open"
        assert requests.get(f"{proc.url}/api/device", headers=bearer, timeout=5).status_code == 401
        took = requests.post(f"{proc.url}/api/queues/{queue['id']}/tickets", json={}, headers=bearer, timeout=5)
        assert took.status_code == 401
        again = WsClient.connect(url)
        again.send(json.dumps({"type": "auth", "token": kiosk["token"]}))
        with pytest.raises(ConnectionClosed) as refused:
            while True:
                again.receive(timeout=5)
        assert refused.value.reason == 4401
        assert requests.get(f"{proc.url}/api/queues/{queue['id']}/devices", headers=host,
                            timeout=5).json() == {"devices": []}
    finally:
        proc.stop()
    assert "Traceback" not in proc.log.read_text()
