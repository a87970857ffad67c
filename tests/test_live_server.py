"""Live sockets against a real `qode serve`, with real WebSocket clients."""

from __future__ import annotations

import json
import time

import pytest
import requests

from qode_common.websocket import ConnectionClosed

from helpers import admin, ws_client_class, ws_until

pytestmark = pytest.mark.server

WsClient = ws_client_class()


def ws_url(server, path: str) -> str:
    return server.url.replace("http://", "ws://") + path


def receive(ws, timeout: float = 5.0) -> dict:
    message = ws.receive(timeout=timeout)
    assert message is not None, "no message in time"
    return json.loads(message)


until = ws_until


def collect_until(ws, predicate, timeout: float = 10.0) -> list[str]:
    """Every message up to and including the first that `predicate` accepts: a later message on the
    same socket, so everything sent to it before that one is in the list."""
    got: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = ws.receive(timeout=max(0.01, deadline - time.monotonic()))
        if message is not None:
            got.append(message)
            if predicate(json.loads(message)):
                return got
    raise AssertionError(f"the expected message did not come; got {got[-3:]}")


def closed_with(ws, timeout: float = 6.0) -> int | None:
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ws.receive(timeout=0.2)
    except ConnectionClosed as closed:
        return closed.reason
    return None


@pytest.fixture
def setup(server):
    queue = requests.post(f"{server.url}/api/queues", json={"name": "Live", "prefix": "L"},
                          headers=admin(), timeout=5).json()
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    return server, queue, host


def host_socket(server, queue):
    ws = WsClient.connect(ws_url(server, f"/ws/host/{queue['id']}"))
    ws.send(json.dumps({"type": "auth", "token": queue["host_token"]}))
    return ws


def test_guest_display_and_host_see_a_call(setup):
    server, queue, host = setup
    ticket = requests.post(f"{server.url}/api/queues/{queue['id']}/tickets",
                           json={"device_token": "device-token-live0001"}, timeout=5).json()
    guest = WsClient.connect(ws_url(server, f"/ws/tickets/{ticket['id']}"))
    display = WsClient.connect(ws_url(server, f"/ws/queues/{queue['id']}"))
    dashboard = host_socket(server, queue)
    try:
        assert receive(guest)["ticket"]["status"] == "WAITING"
        assert receive(display)["type"] == "snapshot"
        first = receive(dashboard)
        assert first["type"] == "snapshot" and [t["id"] for t in first["tickets"]] == [ticket["id"]]
        requests.post(f"{server.url}/api/queues/{queue['id']}/call-next", json={"counter": "2"},
                      headers=host, timeout=5)
        called = until(guest, lambda m: m["type"] == "update" and m["ticket"]["status"] == "CALLED")
        assert called["ticket"]["counter"] == "2"
        shown = until(display, lambda m: m["type"] == "update" and m["state"]["now_serving"])
        assert shown["state"]["now_serving"] == "L001"
        assert {"type": "call", "number": "L001", "counter": "2"}.items() <= shown["events"][-1].items()
        listed = until(dashboard, lambda m: m["type"] == "update")
        # The host's update carries the one ticket that changed, never the list (issue 11).
        assert "tickets" not in listed
        assert [(t["id"], t["status"]) for t in listed["tickets_changed"]] == [(ticket["id"], "CALLED")]
    finally:
        for ws in (guest, display, dashboard):
            ws.close()


def test_resume_with_since_ends_like_a_fresh_client(setup):
    server, queue, host = setup
    for n in range(5):
        requests.post(f"{server.url}/api/queues/{queue['id']}/tickets",
                      json={"device_token": f"device-token-resume{n:03d}"}, timeout=5)
    ws = WsClient.connect(ws_url(server, f"/ws/queues/{queue['id']}"))
    seq = receive(ws)["seq"]
    ws.close()
    for _ in range(3):
        requests.post(f"{server.url}/api/queues/{queue['id']}/call-next", headers=host, timeout=5)
    again = WsClient.connect(ws_url(server, f"/ws/queues/{queue['id']}?since={seq}"))
    fresh = WsClient.connect(ws_url(server, f"/ws/queues/{queue['id']}"))
    try:
        resumed, new = receive(again), receive(fresh)
        assert resumed["type"] == "update"
        calls = [e for e in resumed["events"] if e["type"] == "call"]
        assert [e["number"] for e in calls] == ["L001", "L002", "L003"]
        assert [e["seq"] for e in resumed["events"]] == sorted(e["seq"] for e in resumed["events"])
        assert all(e["seq"] > seq for e in resumed["events"])
        assert resumed["state"] == new["state"] and resumed["seq"] == new["seq"]
    finally:
        again.close()
        fresh.close()


def test_public_channel_never_carries_ids_or_tokens(setup):
    server, queue, host = setup
    display = WsClient.connect(ws_url(server, f"/ws/queues/{queue['id']}"))
    secrets = {queue["host_token"]}
    try:
        messages = [display.receive(timeout=5)]
        assert messages[0] is not None, "no snapshot in time"
        for n in range(6):
            device = f"device-token-private{n:02d}"
            secrets.add(device)
            ticket = requests.post(f"{server.url}/api/queues/{queue['id']}/tickets",
                                   json={"device_token": device}, timeout=5).json()
            secrets.add(ticket["id"])
        kiosk = requests.post(f"{server.url}/api/queues/{queue['id']}/devices", json={"name": "K"},
                              headers=host, timeout=5).json()
        secrets.update({kiosk["token"], kiosk["id"]})
        base, q = server.url, queue["id"]
        called = [requests.post(f"{base}/api/queues/{q}/call-next", json={"counter": c}, headers=host,
                                timeout=5).json()["id"] for c in ("1", "2", "3", "4")]  # one active each
        # A scripted day: every lifecycle move, counters, pause and close.
        for ticket_id, move in zip(called, ("serve", "no-show", "requeue", "recall"), strict=True):
            requests.post(f"{base}/api/tickets/{ticket_id}/{move}", headers=host, timeout=5)
        requests.post(f"{base}/api/tickets/{called[0]}/complete", headers=host, timeout=5)
        requests.post(f"{base}/api/queues/{q}/counters", json={"counter": "2", "open": False},
                      headers=host, timeout=5)
        waiting = requests.get(f"{base}/api/queues/{q}/tickets?status=WAITING", headers=host,
                               timeout=5).json()["tickets"]
        requests.post(f"{base}/api/tickets/{waiting[-1]['id']}/cancel", timeout=5)
        for change in ({"is_paused": True}, {"is_paused": False}, {"active": False}):
            requests.patch(f"{base}/api/queues/{q}", json=change, headers=host, timeout=5)
        rotated = requests.post(f"{base}/api/queues/{q}/rotate-token", headers=host, timeout=5).json()
        secrets.add(rotated["host_token"])
        # A last public event after everything: once the display has it, it has all sent before it.
        requests.patch(f"{base}/api/queues/{q}", json={"active": True}, timeout=5,
                       headers={"Authorization": f"Bearer {rotated['host_token']}"}).raise_for_status()
        messages += collect_until(display, lambda m: "queue_opened" in {e["type"] for e in m.get("events", [])})
        assert len(messages) >= 2
        seen = {e["type"] for m in messages for e in json.loads(m).get("events", [])}
        assert {"join", "call", "serve", "no_show", "requeue", "recall", "complete", "cancel",
                "counter_closed", "queue_paused", "queue_closed"} <= seen
        for message in messages:
            for secret in secrets:
                assert secret not in message
    finally:
        display.close()


@pytest.mark.parametrize("path,code", [
    ("/ws/queues/00000000-0000-4000-8000-000000000000", 4404),
    ("/ws/queues/not-a-uuid", 4404),
    ("/ws/tickets/00000000-0000-4000-8000-000000000000", 4404),
    ("/ws/queues/{queue}?since=abc", 4400),
    ("/ws/queues/{queue}?since=-1", 4400),
    ("/ws/host/{queue}?token={token}", 4400),
])
def test_bad_socket_requests_get_a_defined_close(setup, path, code):
    server, queue, _ = setup
    ws = WsClient.connect(ws_url(server, path.format(queue=queue["id"], token=queue["host_token"])))
    assert closed_with(ws) == code


@pytest.mark.parametrize("first,code", [
    (None, 4401),  # nothing sent: closed after the 5 s auth window
    ("not json", 4401),
    (json.dumps({"type": "auth", "token": "wrong-token-0123456789abcdef"}), 4401),
    (json.dumps({"type": "auth"}), 4401),
    ("[" * 30000 + "]" * 30000, 4401),  # nested too deep for Python's json: still just not an auth
])
def test_host_socket_auth(setup, first, code):
    server, queue, _ = setup
    ws = WsClient.connect(ws_url(server, f"/ws/host/{queue['id']}"))
    if first is not None:
        ws.send(first)
    assert closed_with(ws, timeout=15) == code  # the server closed it: the 5 s auth window at the latest


def test_host_socket_with_another_queues_token_is_403(setup):
    server, queue, _ = setup
    other = requests.post(f"{server.url}/api/queues", json={"name": "Other"}, headers=admin(),
                          timeout=5).json()
    ws = host_socket(server, {"id": queue["id"], "host_token": other["host_token"]})
    assert closed_with(ws) == 4403


def test_inbound_messages(setup):
    server, queue, _ = setup
    ws = WsClient.connect(ws_url(server, f"/ws/queues/{queue['id']}"))
    try:
        receive(ws)
        ws.send(json.dumps({"type": "ping"}))
        assert receive(ws)["type"] == "pong"
        ws.send("{garbage")
        assert receive(ws)["error"]["code"] == "bad_message"
        ws.send("[" * 30000 + "]" * 30000)  # nested too deep for Python's json (under the size limit)
        assert receive(ws)["error"]["code"] == "bad_message"
        ws.send(b"\x00binary")
        assert closed_with(ws) == 1003
    finally:
        ws.close() if ws.connected else None
    big = WsClient.connect(ws_url(server, f"/ws/queues/{queue['id']}"))
    receive(big)
    big.send("x" * 70000)
    assert closed_with(big) == 1009


def test_socket_cap_refuses_cleanly_and_http_keeps_working(tmp_path):
    from helpers import ServerProcess

    proc = ServerProcess(tmp_path / "capped", env={"QODE_MAX_CLIENTS": "5"}).start()
    sockets = []
    try:
        queue = requests.post(f"{proc.url}/api/queues", json={"name": "Cap"}, headers=admin(),
                              timeout=5).json()
        for _ in range(5):
            ws = WsClient.connect(ws_url(proc, f"/ws/queues/{queue['id']}"))
            receive(ws)
            sockets.append(ws)
        extra = WsClient.connect(ws_url(proc, f"/ws/queues/{queue['id']}"))
        assert closed_with(extra) == 1013
        assert requests.get(f"{proc.url}/healthz", timeout=5).status_code == 200  # HTTP still answers
        sockets.pop().close()
        deadline = time.monotonic() + 15  # the server notices the close when its worker gets to it
        while True:  # the freed place is taken by the next socket
            again = WsClient.connect(ws_url(proc, f"/ws/queues/{queue['id']}"))
            try:
                receive(again, timeout=1)
                sockets.append(again)
                break
            except (ConnectionClosed, AssertionError):
                assert time.monotonic() < deadline, "a freed place was never reused"
                time.sleep(0.1)
    finally:
        for ws in sockets:
            ws.close()
        proc.stop()
    assert "Traceback" not in proc.log.read_text()


def test_device_socket(setup):
    server, queue, host = setup
    kiosk = requests.post(f"{server.url}/api/queues/{queue['id']}/devices",
                          json={"name": "Door", "kind": "kiosk"}, headers=host, timeout=5).json()
    other = requests.post(f"{server.url}/api/queues/{queue['id']}/devices",
                          json={"name": "TV", "kind": "display"}, headers=host, timeout=5).json()
    url = ws_url(server, f"/ws/devices/{kiosk['id']}")
    ws = WsClient.connect(url)
    try:
        ws.send(json.dumps({"type": "auth", "token": kiosk["token"]}))
        first = receive(ws)
        assert first["type"] == "snapshot" and first["device"]["kind"] == "kiosk"
        requests.post(f"{server.url}/api/queues/{queue['id']}/tickets", json={},
                      headers={"Authorization": f"Bearer {kiosk['token']}"}, timeout=5)
        update = until(ws, lambda m: m["type"] == "update")
        assert update["state"]["waiting_count"] == 1
    finally:
        ws.close()
    for token, code in [(other["token"], 4403), ("wrong-token-0123456789abcdef", 4401)]:
        bad = WsClient.connect(url)
        bad.send(json.dumps({"type": "auth", "token": token}))
        assert closed_with(bad) == code
    in_url = WsClient.connect(url + f"?token={kiosk['token']}")
    assert closed_with(in_url) == 4400
    unknown = WsClient.connect(ws_url(server, "/ws/devices/00000000-0000-4000-8000-000000000000"))
    assert closed_with(unknown) == 4404


@pytest.mark.parametrize("token, codes, then", [
    # a token that names nothing is a guess: the third try, and then HTTP, are refused
    ("wrong", [4401, 4401, 4429], 429),
    # a real token for another line (4403) guesses nothing: the address keeps its allowance
    ("other", [4403, 4403, 4403], 200),
], ids=["a guess counts", "a real token refused does not"])
def test_failed_socket_auth_counts_toward_the_limit(tmp_path, token, codes, then):
    from helpers import ServerProcess

    proc = ServerProcess(tmp_path / "limited", env={"QODE_AUTH_RATE_LIMIT": "2/minute"}).start()
    try:
        queue, other = (requests.post(f"{proc.url}/api/queues", json={"name": name}, headers=admin(),
                                      timeout=5).json() for name in ("L", "M"))
        sent = other["host_token"] if token == "other" else "wrong-token-0123456789abcdef"
        seen = []
        for _ in range(3):
            ws = WsClient.connect(ws_url(proc, f"/ws/host/{queue['id']}"))
            try:
                ws.send(json.dumps({"type": "auth", "token": sent}))
            except (ConnectionClosed, OSError):
                pass  # a limited address is closed at once, sometimes before our auth is sent
            seen.append(closed_with(ws))
        assert seen == codes
        after = requests.get(f"{proc.url}/api/queues/{queue['id']}/tickets", timeout=5,
                             headers={"Authorization": f"Bearer {queue['host_token']}"})
        assert after.status_code == then
    finally:
        proc.stop()
    assert "Traceback" not in proc.log.read_text()


def test_a_client_that_never_reads_is_dropped_and_the_others_keep_up(tmp_path):
    """A host socket that never reads beside 50 healthy public sockets, through ~600 joins."""
    import base64
    import os
    import socket as sk

    from helpers import ServerProcess

    proc = ServerProcess(tmp_path / "slow", env={"QODE_LIVE_WINDOW_MS": "1"}).start()
    healthy, slow = [], None
    try:
        queue = requests.post(f"{proc.url}/api/queues", json={"name": "Slow"}, headers=admin(),
                              timeout=5).json()
        # Host updates no longer carry the day's list (issue 11), so a few hundred of them fit in the
        # kernel's buffers; the line's devices (in every host update) make each one big enough again.
        for n in range(150):
            requests.post(f"{proc.url}/api/queues/{queue['id']}/devices", json={"name": f"Kiosk {n:03d}"},
                          headers={"Authorization": f"Bearer {queue['host_token']}"}, timeout=5)
        slow = sk.socket()
        slow.setsockopt(sk.SOL_SOCKET, sk.SO_RCVBUF, 4096)  # fills fast, then stays full
        slow.connect(("127.0.0.1", proc.port))
        key = base64.b64encode(os.urandom(16)).decode()
        slow.sendall((f"GET /ws/host/{queue['id']} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                      ).encode())
        slow.settimeout(5)
        assert slow.recv(4096).startswith(b"HTTP/1.1 101")  # a real client waits for this too
        # One masked text frame with the auth message, then never read again.
        payload = json.dumps({"type": "auth", "token": queue["host_token"]}).encode()
        mask = os.urandom(4)
        slow.sendall(bytes([0x81, 0x80 | len(payload)]) + mask
                     + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
        for _ in range(50):
            ws = WsClient.connect(ws_url(proc, f"/ws/queues/{queue['id']}"))
            receive(ws)
            healthy.append(ws)
        session = requests.Session()
        deadline = time.monotonic() + 60
        joins = 0
        while joins < 600 and time.monotonic() < deadline:
            session.post(f"{proc.url}/api/queues/{queue['id']}/tickets",
                         json={"device_token": f"device-token-slow{joins:05d}"}, timeout=5)
            joins += 1
        session.close()
        for ws in healthy:
            last = until(ws, lambda m: m.get("state", {}).get("waiting_count") == joins, timeout=10)
            assert last["state"]["waiting_count"] == joins
        deadline = time.monotonic() + 10
        while "dropping a slow client" not in proc.log.read_text():
            assert time.monotonic() < deadline, "the slow client was never dropped"
            time.sleep(0.1)
    finally:
        for ws in healthy:
            ws.close()
        if slow is not None:
            slow.close()
        proc.stop()
    assert "Traceback" not in proc.log.read_text()


def test_print_jobs_reach_their_own_kiosk_only(server):
    """A print job names its ticket (the guest's capability): it goes to the kiosk that prints
    it, and to no public socket, display or other kiosk."""
    queue = requests.post(f"{server.url}/api/queues", json={"name": "Print"}, headers=admin(), timeout=5).json()
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    devices = f"{server.url}/api/queues/{queue['id']}/devices"
    door, side = (requests.post(devices, json={"name": name}, headers=host, timeout=5).json()
                  for name in ("Door", "Side"))
    tv = requests.post(devices, json={"name": "TV", "kind": "display"}, headers=host, timeout=5).json()
    for kiosk in (door, side):
        requests.post(f"{server.url}/api/device/status", json={"printer": "ready"}, timeout=5,
                      headers={"Authorization": f"Bearer {kiosk['token']}"}).raise_for_status()

    def device_socket(device):
        ws = WsClient.connect(ws_url(server, f"/ws/devices/{device['id']}"))
        ws.send(json.dumps({"type": "auth", "token": device["token"]}))
        first = receive(ws)
        assert first["type"] == "snapshot" and first["jobs"] == []
        return ws

    public = WsClient.connect(ws_url(server, f"/ws/queues/{queue['id']}"))
    assert receive(public)["type"] == "snapshot"
    watchers = {"public": public, "tv": device_socket(tv), "side": device_socket(side)}
    own = device_socket(door)
    try:
        ticket = requests.post(f"{server.url}/api/queues/{queue['id']}/tickets", json={}, timeout=5,
                               headers={"Authorization": f"Bearer {door['token']}"}).json()
        job = until(own, lambda m: m["type"] == "print")["job"]
        assert job["id"] == ticket["print_job"]["id"] and job["url"].endswith(f"/t/{ticket['id']}")
        reprint = requests.post(f"{server.url}/api/tickets/{ticket['id']}/reprint", json={}, headers=host,
                                timeout=5).json()
        assert until(own, lambda m: m["type"] == "print")["job"]["id"] == reprint["id"]
        # A later message every watcher gets (a guest's join, in a later flush than the reprint, which
        # the kiosk already has): whatever was sent to a watcher before it is read by then.
        requests.post(f"{server.url}/api/queues/{queue['id']}/tickets", timeout=5,
                      json={"device_token": "device-token-marker01"}).raise_for_status()
        seen = {name: collect_until(ws, lambda m: m.get("state", {}).get("waiting_count") == 2)
                for name, ws in watchers.items()}
        for name, messages in seen.items():
            for message in messages:
                assert ticket["id"] not in message and door["token"] not in message, (name, message)
                assert json.loads(message)["type"] != "print", (name, message)
    finally:
        for ws in (*watchers.values(), own):
            ws.close()
