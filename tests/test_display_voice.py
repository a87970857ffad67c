"""A display's voice, switched and tested by the host (issue 16: "the host can turn voice on or
off per display, and test it from setup").

`PUT /api/queues/{id}/devices/{device_id}/voice` and `POST …/voice/test`: in-process tests for
the rules and every bad input, then a real `qode serve` with the display's real device socket,
which must hear the switch and the test at once.
"""

from __future__ import annotations

import json
import shutil

import pytest
import requests

from helpers import ServerProcess, admin, ws_client_class, ws_until

NOWHERE = "00000000-0000-4000-8000-000000000000"


def error_of(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.data[:300]
    assert response.mimetype == "application/json"
    body = response.get_json()["error"]
    if code is not None:
        assert body["code"] == code, body
    assert body["message"]
    return body


@pytest.fixture
def box(client, queue):
    made = {"client": client, "queue": queue}
    for name, kind in (("Door", "kiosk"), ("TV", "display")):
        device = client.post(f"/api/queues/{queue['id']}/devices", json={"name": name, "kind": kind},
                             headers=queue["headers"]).get_json()
        device["headers"] = {"Authorization": f"Bearer {device['token']}"}
        made[kind] = device
    return made


def voice_url(box, device_id: str | None = None, queue_id: str | None = None) -> str:
    return (f"/api/queues/{queue_id or box['queue']['id']}/devices/"
            f"{device_id or box['display']['id']}/voice")


def listed(box, device_id: str) -> dict:
    devices = box["client"].get(f"/api/queues/{box['queue']['id']}/devices",
                                headers=box["queue"]["headers"]).get_json()["devices"]
    return next(d for d in devices if d["id"] == device_id)


def device_events(db) -> list[dict]:
    with db.read() as conn:
        rows = conn.execute("SELECT data FROM events WHERE type = 'device_changed' ORDER BY seq").fetchall()
    return [json.loads(r[0]) for r in rows]


def test_a_display_speaks_by_default_and_a_kiosk_has_no_voice(box):
    assert listed(box, box["display"]["id"])["voice"] is True
    assert listed(box, box["kiosk"]["id"])["voice"] is None
    me = box["client"].get("/api/device", headers=box["display"]["headers"]).get_json()
    assert me["voice"] is True


def test_the_host_turns_a_display_off_and_on_and_each_change_is_one_event(box, db):
    client, queue = box["client"], box["queue"]
    off = client.put(voice_url(box), json={"on": False}, headers=queue["headers"])
    assert off.status_code == 200, off.data
    assert off.get_json()["voice"] is False and off.get_json()["id"] == box["display"]["id"]
    assert listed(box, box["display"]["id"])["voice"] is False
    assert client.get("/api/device", headers=box["display"]["headers"]).get_json()["voice"] is False
    # the same again changes nothing and writes nothing
    assert client.put(voice_url(box), json={"on": False}, headers=queue["headers"]).status_code == 200
    assert [e["voice"] for e in device_events(db)] == [False]
    assert client.put(voice_url(box), json={"on": True}, headers=queue["headers"]).get_json()["voice"] is True
    changes = device_events(db)
    assert [e["voice"] for e in changes] == [False, True]
    assert changes[0]["device_id"] == box["display"]["id"] and changes[0]["kind"] == "display"


def test_a_staff_host_may_switch_it_and_the_admin_too(box, client, queue):
    staff = client.post("/api/host-tokens", json={"name": "Desk", "role": "staff", "scope": "services",
                                                  "services": [queue["id"]]}, headers=admin())
    assert staff.status_code == 201, staff.data
    headers = {"Authorization": f"Bearer {staff.get_json()['token']}"}
    assert client.put(voice_url(box), json={"on": False}, headers=headers).status_code == 200
    assert client.put(voice_url(box), json={"on": True}, headers=admin()).status_code == 200


def test_who_may_not_switch_it(box, client):
    other = client.post("/api/queues", json={"name": "Other", "prefix": "B"}, headers=admin()).get_json()
    other_host = {"Authorization": f"Bearer {other['host_token']}"}
    error_of(client.put(voice_url(box), json={"on": False}), 401)
    error_of(client.put(voice_url(box), json={"on": False}, headers={"Authorization": "Bearer nope-nope-nope"}),
             401)
    error_of(client.put(voice_url(box), json={"on": False}, headers=other_host), 403)
    # the devices themselves may not switch voices
    error_of(client.put(voice_url(box), json={"on": False}, headers=box["display"]["headers"]), 403)
    error_of(client.put(voice_url(box), json={"on": False}, headers=box["kiosk"]["headers"]), 403)
    assert listed(box, box["display"]["id"])["voice"] is True


def test_bad_bodies_and_paths_are_clear_errors_and_change_nothing(box, client, queue, db):
    url = voice_url(box)
    for body in ({}, {"on": "false"}, {"on": 0}, {"on": None}, {"on": True, "extra": 1}, [], "on"):
        error_of(client.put(url, json=body, headers=queue["headers"]), 422)
    error_of(client.put(url, data="{not json", content_type="application/json", headers=queue["headers"]), 400,
             "invalid_json")
    response = client.put(url, data="on=false", content_type="application/x-www-form-urlencoded",
                          headers=queue["headers"])
    assert response.status_code in (415, 422) and response.get_json()["error"]["code"]
    error_of(client.put(voice_url(box, device_id=NOWHERE), json={"on": False}, headers=queue["headers"]), 404,
             "device_not_found")
    error_of(client.put(voice_url(box, device_id="not-a-uuid"), json={"on": False}, headers=queue["headers"]),
             404, "device_not_found")
    error_of(client.put(voice_url(box, queue_id=NOWHERE), json={"on": False}, headers=admin()), 404)
    error_of(client.put(voice_url(box, device_id=box["kiosk"]["id"]), json={"on": False},
                        headers=queue["headers"]), 409, "not_a_display")
    # another line's display is not found through this line
    other = client.post("/api/queues", json={"name": "Other", "prefix": "B"}, headers=admin()).get_json()
    tv = client.post(f"/api/queues/{other['id']}/devices", json={"name": "TV 2", "kind": "display"},
                     headers=admin()).get_json()
    error_of(client.put(voice_url(box, device_id=tv["id"]), json={"on": False}, headers=admin()), 404,
             "device_not_found")
    # a revoked display is gone
    assert client.delete(f"/api/queues/{queue['id']}/devices/{box['display']['id']}",
                         headers=queue["headers"]).status_code == 200
    error_of(client.put(url, json={"on": False}, headers=queue["headers"]), 404, "device_not_found")
    assert device_events(db) == []
    assert client.get(url, headers=queue["headers"]).status_code == 405


def test_two_hosts_switching_at_once_leave_the_tv_on_the_last_switch(box, app, monkeypatch):
    """Host A's switch is committed, then host B's whole switch (commit and message) runs before A's
    message goes out, as when two waits for the disk wake in the other order. The TV must end on
    B's switch, the one the box keeps: every message says the device as committed when it is sent."""
    from qode import queues

    hub = app.extensions["qode_live"].hub
    sent = []
    real_publish = hub.publish

    def publish(channel, message, news=False):
        if message.get("type") == "device":
            sent.append(message)
        return real_publish(channel, message, news)

    monkeypatch.setattr(hub, "publish", publish)
    real_switch = queues.set_device_voice
    client, headers = box["client"], box["queue"]["headers"]

    def switch_then_b(db, queue_id, device_id, on, allowed=queues._anyone):
        row = real_switch(db, queue_id, device_id, on, allowed)
        if on is False:  # A (off) is committed; B (on) runs whole before A's message
            assert client.put(voice_url(box), json={"on": True}, headers=headers).status_code == 200
        return row

    monkeypatch.setattr(queues, "set_device_voice", switch_then_b)
    response = client.put(voice_url(box), json={"on": False}, headers=headers)
    assert response.status_code == 200
    assert listed(box, box["display"]["id"])["voice"] is True  # B's switch is the one kept
    assert [m["device"]["voice"] for m in sent][-1] is True  # and the TV's last message says so


def test_a_test_needs_the_display_on_line(box, client, queue):
    test = f"{voice_url(box)}/test"
    error_of(client.post(test, headers=queue["headers"]), 409, "display_offline")
    error_of(client.post(test), 401)
    error_of(client.post(test, headers=box["display"]["headers"]), 403)
    error_of(client.post(f"{voice_url(box, device_id=box['kiosk']['id'])}/test", headers=queue["headers"]), 409,
             "not_a_display")
    error_of(client.post(f"{voice_url(box, device_id=NOWHERE)}/test", headers=queue["headers"]), 404,
             "device_not_found")
    error_of(client.post(f"{voice_url(box, device_id='x')}/test", headers=queue["headers"]), 404,
             "device_not_found")


def test_the_sample_is_for_the_admin_and_displays_only(box, client):
    error_of(client.get("/api/voice/sample", headers=box["kiosk"]["headers"]), 403)
    error_of(client.get("/api/voice/sample", headers=box["queue"]["headers"]), 403)
    error_of(client.get("/api/voice/sample"), 401)
    error_of(client.get("/api/voice/sample", headers={"Authorization": "Bearer not-a-token-at-all"}), 401)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng (Debian) makes the sample")
def test_a_display_gets_the_sample(box, client):
    sample = client.get("/api/voice/sample", headers=box["display"]["headers"])
    assert sample.status_code == 200 and sample.mimetype == "audio/wav" and sample.data[:4] == b"RIFF"


def test_a_staff_link_must_cover_every_service_the_display_shows(box, client, queue):
    other = client.post("/api/queues", json={"name": "Payments", "prefix": "P"}, headers=admin()).get_json()
    tv = client.post(f"/api/queues/{queue['id']}/devices", json={"name": "Hall", "kind": "display",
                                                               "services": [other["id"]]},
                     headers=admin()).get_json()
    staff = client.post("/api/host-tokens", json={"name": "Desk", "role": "staff", "scope": "services",
                                                  "services": [queue["id"]]}, headers=admin()).get_json()
    headers = {"Authorization": f"Bearer {staff['token']}"}
    error_of(client.put(voice_url(box, device_id=tv["id"]), json={"on": False}, headers=headers), 403,
             "service_not_in_scope")
    error_of(client.post(f"{voice_url(box, device_id=tv['id'])}/test", headers=headers), 403,
             "service_not_in_scope")
    assert listed(box, tv["id"])["voice"] is True
    # its own service's display it may switch
    assert client.put(voice_url(box), json={"on": False}, headers=headers).status_code == 200


def test_a_display_fetching_samples_in_a_loop_is_capped(tmp_path):
    from qode import create_app

    from helpers import ADMIN_TOKEN, NO_CAPS

    app = create_app({"QODE_DATA_DIR": str(tmp_path / "data"), "QODE_ADMIN_TOKEN": ADMIN_TOKEN,
                      "QODE_TIMEZONE": "UTC", "QODE_SCHEDULER": "off", "QODE_AUTH_RATE_LIMIT": "off", **NO_CAPS,
                      "QODE_VOICE_TEST_RATE_LIMIT": "3/minute", "QODE_VOICE_COMMAND": "/bin/false"})
    client = app.test_client()
    queue = client.post("/api/queues", json={"name": "Front", "prefix": "A"}, headers=admin()).get_json()
    tv = client.post(f"/api/queues/{queue['id']}/devices", json={"name": "TV", "kind": "display"},
                     headers=admin()).get_json()
    headers = {"Authorization": f"Bearer {tv['token']}"}
    # /bin/false makes no audio (503), but each fetch is counted before any work is done
    statuses = [client.get("/api/voice/sample", headers=headers).status_code for _ in range(5)]
    assert statuses[:3] == [503, 503, 503] and statuses[3:] == [429, 429]
    # the admin's own tests in setup are not this display's budget
    assert client.get("/api/voice/sample", headers=admin()).status_code == 503


# ---- a real server and the display's real device socket ----------------------------------------

def receive_until(ws, wanted: str, timeout: float = 5.0) -> dict:
    """The next message of type `wanted` on the socket (public updates in between are skipped)."""
    return ws_until(ws, lambda m: m.get("type") == wanted, timeout, f"a {wanted!r} message")


@pytest.mark.server
def test_the_display_hears_the_switch_and_the_test_on_its_own_socket(tmp_path):
    WsClient = ws_client_class()
    proc = ServerProcess(tmp_path / "served", env={"QODE_VOICE_TEST_RATE_LIMIT": "2/minute"}).start()
    try:
        queue = requests.post(f"{proc.url}/api/queues", json={"name": "Front", "prefix": "A"}, headers=admin(),
                              timeout=5).json()
        host = {"Authorization": f"Bearer {queue['host_token']}"}
        devices = f"{proc.url}/api/queues/{queue['id']}/devices"
        tv = requests.post(devices, json={"name": "TV", "kind": "display"}, headers=host, timeout=5).json()
        other = requests.post(devices, json={"name": "TV 2", "kind": "display"}, headers=host, timeout=5).json()
        base = proc.url.replace("http://", "ws://")
        sockets = {}
        for device in (tv, other):
            ws = WsClient.connect(f"{base}/ws/devices/{device['id']}")
            ws.send(json.dumps({"type": "auth", "token": device["token"]}))
            snapshot = receive_until(ws, "snapshot")
            assert snapshot["device"] == {"id": device["id"], "kind": "display", "name": device["name"],
                                          "voice": True}
            sockets[device["id"]] = ws

        off = requests.put(f"{devices}/{tv['id']}/voice", json={"on": False}, headers=host, timeout=5)
        assert off.status_code == 200, off.text
        heard = receive_until(sockets[tv["id"]], "device")
        assert heard["device"] == {"id": tv["id"], "kind": "display", "name": "TV", "voice": False}

        sent = requests.post(f"{devices}/{tv['id']}/voice/test", headers=host, timeout=5)
        assert sent.status_code == 202, sent.text
        assert sent.json() == {"device_id": tv["id"], "sent": 1}
        assert receive_until(sockets[tv["id"]], "voice_test") == {"type": "voice_test"}
        # the other display heard neither: it gets only its own messages
        for kind in ("device", "voice_test"):
            with pytest.raises(AssertionError):
                receive_until(sockets[other["id"]], kind, timeout=0.5)
        # a display reconnecting learns its switch from its snapshot
        sockets[tv["id"]].close()
        again = WsClient.connect(f"{base}/ws/devices/{tv['id']}")
        again.send(json.dumps({"type": "auth", "token": tv["token"]}))
        assert receive_until(again, "snapshot")["device"]["voice"] is False
        sockets[tv["id"]] = again
        # tests are budgeted per display (QODE_VOICE_TEST_RATE_LIMIT)
        second = requests.post(f"{devices}/{tv['id']}/voice/test", headers=host, timeout=5)
        assert second.status_code == 202
        refused = requests.post(f"{devices}/{tv['id']}/voice/test", headers=host, timeout=5)
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
        assert requests.post(f"{devices}/{other['id']}/voice/test", headers=host, timeout=5).status_code == 202
        for ws in sockets.values():
            ws.close()
    finally:
        proc.stop()
    assert "Traceback" not in proc.log.read_text()
