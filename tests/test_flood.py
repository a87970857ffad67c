"""Issue 11, must show 4: a join flood from 250 addresses against a real `qode serve`.

The caps under test keep their venue defaults (500 active per line, 4 per address, 3 per
device); only the join rate limit is raised, explicitly, so the load reaches the caps at all.
"""

from __future__ import annotations

import http.client
import json
import sqlite3
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime

import pytest
import requests

from helpers import ServerProcess, admin, ws_client_class

# A flood from 250 addresses: the machine to itself (conftest.py, "serial").
pytestmark = [pytest.mark.server, pytest.mark.xdist_group("serial")]

WsClient = ws_client_class()
ADDRESSES = [f"127.0.{n // 250 + 1}.{n % 250 + 1}" for n in range(250)]
TRIES_PER_ADDRESS = 6  # more than the per-address cap (4); 250 x 4 is more than the line's cap (500)
QUEUE_CAP, PER_ADDRESS = 500, 4


class HostRecorder(threading.Thread):
    """A host socket that records every message it gets (its size in bytes and the JSON)."""

    def __init__(self, url: str, token: str):
        super().__init__(daemon=True)
        self.ws = WsClient.connect(url)
        self.ws.send(json.dumps({"type": "auth", "token": token}))
        self.messages: list[tuple[int, dict]] = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                raw = self.ws.receive(timeout=0.2)
            except Exception:  # noqa: BLE001 - closed at the end of the test
                return
            if raw is not None:
                self.messages.append((len(raw.encode()), json.loads(raw)))

    def wait_for(self, predicate, timeout: float = 15.0) -> dict:
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            for _, message in self.messages[seen:]:
                if predicate(message):
                    return message
            seen = len(self.messages)
            time.sleep(0.05)
        raise AssertionError("the host socket never showed it")


def join_from(port: int, address: str, queue_id: str, tries: int) -> list[tuple[int, dict]]:
    """`tries` joins from `address` (a bound client socket), each with a new device token."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(address, 0))
    answers = []
    try:
        for _ in range(tries):
            body = json.dumps({"device_token": f"flood-{uuid.uuid4().hex}"})
            conn.request("POST", f"/api/queues/{queue_id}/tickets", body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            answers.append((response.status, json.loads(response.read()), response.getheader("Retry-After")))
    finally:
        conn.close()
    return answers


def test_join_flood_from_250_addresses(tmp_path):
    proc = ServerProcess(tmp_path / "flood", env={
        "QODE_JOIN_RATE_LIMIT": "1000/minute",  # raised for the load: the caps are what is under test
        "QODE_QUEUE_MAX_ACTIVE": str(QUEUE_CAP), "QODE_MAX_ACTIVE_PER_ADDRESS": str(PER_ADDRESS),
        "QODE_MAX_ACTIVE_PER_DEVICE": "3", "QODE_SCHEDULER": "off",
    }).start()
    recorder = None
    try:
        queue = requests.post(f"{proc.url}/api/queues", json={"name": "Flood", "prefix": "A"}, headers=admin(),
                              timeout=5).json()
        host = {"Authorization": f"Bearer {queue['host_token']}"}
        recorder = HostRecorder(proc.url.replace("http://", "ws://") + f"/ws/host/{queue['id']}",
                                queue["host_token"])
        recorder.start()
        recorder.wait_for(lambda m: m["type"] == "snapshot")
        flood_started = datetime.now(UTC).isoformat()
        time.sleep(0.01)

        results: dict[str, list] = {}

        def worker(addresses):
            for address in addresses:
                results[address] = join_from(proc.port, address, queue["id"], TRIES_PER_ADDRESS)

        # While the flood runs, the database is read every 20 ms: the line never passes its cap.
        counts: list[int] = []
        flooding = threading.Event()

        def sample():
            with sqlite3.connect(f"file:{tmp_path / 'flood' / 'qode.db'}?mode=ro", uri=True) as conn:
                while flooding.is_set():
                    counts.append(conn.execute("SELECT COUNT(*) FROM tickets WHERE queue_id = ? AND status IN"
                                               " ('WAITING','CALLED','SERVING')", (queue["id"],)).fetchone()[0])
                    time.sleep(0.02)

        flooding.set()
        sampler = threading.Thread(target=sample)
        sampler.start()
        threads = [threading.Thread(target=worker, args=(ADDRESSES[i::25],)) for i in range(25)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        flood_seconds = time.monotonic() - started
        flooding.clear()
        sampler.join(timeout=10)
        assert len(counts) > 5 and max(counts) <= QUEUE_CAP
        assert len(results) == 250

        statuses = Counter(status for answers in results.values() for status, _, _ in answers)
        created_per_address = {a: sum(s == 201 for s, _, _ in answers) for a, answers in results.items()}
        assert max(created_per_address.values()) <= PER_ADDRESS  # each address gets at most its cap
        assert statuses[201] == QUEUE_CAP  # the line filled up to its cap, not one ticket more
        assert set(statuses) <= {201, 409, 429}, statuses  # never a 500
        codes = Counter(body["error"]["code"] for answers in results.values()
                        for s, body, _ in answers if s != 201)
        assert set(codes) == {"queue_full", "too_many_tickets"}, codes
        retry = {after for answers in results.values() for s, _, after in answers if s == 429}
        assert retry == {"60"}

        # The database agrees: never more active tickets than the cap, none numbered past it.
        with sqlite3.connect(tmp_path / "flood" / "qode.db") as conn:
            active = conn.execute("SELECT COUNT(*) FROM tickets WHERE queue_id = ? AND status IN"
                                  " ('WAITING','CALLED','SERVING')", (queue["id"],)).fetchone()[0]
            numbers = conn.execute("SELECT MAX(position_number), COUNT(*) FROM tickets WHERE queue_id = ?",
                                   (queue["id"],)).fetchone()
            per_origin = conn.execute("SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM tickets WHERE queue_id = ?"
                                      " GROUP BY origin)", (queue["id"],)).fetchone()[0]
        assert active == QUEUE_CAP and numbers == (QUEUE_CAP, QUEUE_CAP) and per_origin <= PER_ADDRESS

        # What every host update carried before issue 11: the whole day's list.
        day_list = requests.get(f"{proc.url}/api/queues/{queue['id']}/tickets", headers=host, timeout=10)
        list_bytes = len(day_list.content)

        # A real guest now: the line is full, and the join page is told so.
        guest = join_from(proc.port, "127.0.9.9", queue["id"], 1)[0]
        assert guest[0] == 409 and guest[1]["error"]["code"] == "queue_full"

        # The host sees how many joins were refused (in the channel's state), counted in memory.
        refused = len([1 for answers in results.values() for s, _, _ in answers if s != 201]) + 1
        shown = recorder.wait_for(lambda m: m.get("refused", {}).get("total") == refused)
        assert shown["refused"]["queue_full"] == codes["queue_full"] + 1

        # One action clears the flood: the web tickets joined since it started.
        cleared = requests.post(f"{proc.url}/api/queues/{queue['id']}/cancel-waiting",
                                json={"source": "web", "joined_after": flood_started}, headers=host, timeout=30)
        assert cleared.status_code == 200 and cleared.json()["cancelled"] == QUEUE_CAP
        assert cleared.json()["queue"]["waiting_count"] == 0
        bulk = recorder.wait_for(lambda m: m.get("bulk") and m["state"]["waiting_count"] == 0)
        assert bulk["bulk"][0]["count"] == QUEUE_CAP and bulk["bulk"][0]["source"] == "web"

        # The next real guest gets a sane place: nobody ahead, an ETA of one guest.
        guest = join_from(proc.port, "127.0.9.9", queue["id"], 1)[0]
        assert guest[0] == 201, guest
        assert guest[1]["people_ahead"] == 0 and 0 <= guest[1]["eta_seconds"] <= 600
        recorder.wait_for(lambda m: any(t["id"] == guest[1]["id"] for t in m.get("tickets_changed", [])))
    finally:
        if recorder is not None:
            recorder.stop.set()
            recorder.join(timeout=5)
            recorder.ws.close()
        proc.stop()
    assert "Traceback" not in proc.log.read_text()

    # O(1) bytes per event on the host socket, however long the line grew.
    updates = [(size, m) for size, m in recorder.messages if m["type"] == "update"]
    sizes = [size for size, _ in updates]
    events = sum(len(m["events"]) for _, m in updates)
    largest, total = max(sizes), sum(sizes)
    print(f"flood: {sum(statuses.values())} joins in {flood_seconds:.1f}s, {statuses}, {len(counts)} DB "
          f"samples, most active {max(counts)}; host socket: {len(updates)} updates, {events} events, "
          f"largest {largest} B, total {total} B; the day's list (once in each update) {list_bytes} B")
    assert all("tickets" not in m for _, m in updates)
    assert largest < 8 * 1024 and largest * 20 < list_bytes
    assert total < events * 1024 + len(updates) * 3 * 1024
    # The messages at the end of the flood (500 waiting) are no bigger than those at its start.
    during = [(size, m) for size, m in updates if m["events"]]
    early = [size for size, m in during if m["state"]["waiting_count"] < 100]
    late = [size for size, m in during if m["state"]["waiting_count"] >= 400]
    assert early and late and max(late) < 2 * max(early) + 1024


# ---- the caps, the bulk actions and the host deltas, over HTTP and in the rules ---------------

from qode import config, create_app, tickets  # noqa: E402

from helpers import ADMIN_TOKEN  # noqa: E402


def capped_app(tmp_path, **caps):
    settings = {"QODE_DATA_DIR": str(tmp_path / "capped"), "QODE_ADMIN_TOKEN": ADMIN_TOKEN,
                "QODE_TIMEZONE": "UTC", "QODE_JOIN_RATE_LIMIT": "off", "QODE_AUTH_RATE_LIMIT": "off",
                "QODE_SCHEDULER": "off"}
    settings.update({f"QODE_{name.upper()}": str(value) for name, value in caps.items()})
    return create_app(settings)


def new_queue(client, name="Q"):
    queue = client.post("/api/queues", json={"name": name, "prefix": "A"}, headers=admin()).get_json()
    queue["headers"] = {"Authorization": f"Bearer {queue['host_token']}"}
    return queue


def join(client, queue, token=None, address="10.0.0.1", headers=None):
    body = {"device_token": token or f"device-{uuid.uuid4().hex}"} if headers is None else {}
    # A kiosk or host on the Wi-Fi reaches the box over https (through its proxy), a guest over http.
    return client.post(f"/api/queues/{queue['id']}/tickets", json=body, headers=headers or {},
                       environ_base={"REMOTE_ADDR": address}, base_url="https://localhost" if headers else None)


def log_size(db) -> tuple[int, int, int]:
    with db.read() as conn:
        return (conn.execute("SELECT COUNT(*) FROM events").fetchone()[0],
                conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0],
                conn.execute("SELECT COALESCE(SUM(last_number_issued), 0) FROM queues").fetchone()[0])


def test_defaults_and_off():
    defaults = config.load({})
    assert defaults["JOIN_RATE_LIMIT"] == "5/minute"
    names = ("QUEUE_MAX_ACTIVE", "MAX_ACTIVE_PER_ADDRESS", "MAX_ACTIVE_PER_DEVICE")
    assert tuple(defaults[name] for name in names) == (500, 4, 3)
    off = config.load({"QODE_QUEUE_MAX_ACTIVE": "off", "QODE_MAX_ACTIVE_PER_ADDRESS": "off",
                       "QODE_MAX_ACTIVE_PER_DEVICE": "off"})
    assert (off["QUEUE_MAX_ACTIVE"], off["MAX_ACTIVE_PER_ADDRESS"], off["MAX_ACTIVE_PER_DEVICE"]) == (None,) * 3
    for bad in ("0", "-1", "many"):
        with pytest.raises(config.SettingError):
            config.load({"QODE_MAX_ACTIVE_PER_ADDRESS": bad})


def test_per_address_cap_counts_active_tickets_and_exempts_kiosks_and_hosts(tmp_path):
    app = capped_app(tmp_path, max_active_per_address=3, max_active_per_device="off")
    client, db = app.test_client(), app.extensions["qode_db"]
    queue = new_queue(client)
    held = [join(client, queue, address="10.0.0.7") for _ in range(3)]
    assert [r.status_code for r in held] == [201] * 3
    before = log_size(db)
    refused = join(client, queue, address="10.0.0.7")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert refused.get_json()["error"]["code"] == "too_many_tickets"
    assert log_size(db) == before  # nothing half-written: no number, no ticket, no event
    # A device holding a ticket still gets it back (the contract), at the cap too.
    token = "device-token-family-0001"
    again = client.post(f"/api/queues/{queue['id']}/tickets", json={"device_token": token},
                        environ_base={"REMOTE_ADDR": "10.0.0.8"})
    assert again.status_code == 201
    for _ in range(2):
        join(client, queue, address="10.0.0.8")
    same = join(client, queue, token=token, address="10.0.0.8")
    assert same.status_code == 200 and same.get_json()["id"] == again.get_json()["id"]
    # Another address is not affected; a served ticket frees a place.
    assert join(client, queue, address="10.0.0.9").status_code == 201
    client.post(f"/api/tickets/{held[0].get_json()['id']}/cancel")
    assert join(client, queue, address="10.0.0.7").status_code == 201
    # Kiosks (their token) and hosts issue for many guests from one address.
    kiosk = client.post(f"/api/queues/{queue['id']}/devices", json={"name": "Door"}, headers=queue["headers"])
    kiosk_headers = {"Authorization": f"Bearer {kiosk.get_json()['token']}"}
    assert [join(client, queue, address="10.0.0.7", headers=kiosk_headers).status_code
            for _ in range(5)] == [201] * 5
    assert [join(client, queue, address="10.0.0.7", headers=queue["headers"]).status_code
            for _ in range(5)] == [201] * 5
    assert tickets.refusals(db).of(queue["id"], db.clock.service_day())["too_many_tickets"] == 1


def test_queue_cap_applies_to_everyone(tmp_path):
    app = capped_app(tmp_path, queue_max_active=3)
    client, db = app.test_client(), app.extensions["qode_db"]
    queue = new_queue(client)
    other = new_queue(client, "Other")
    assert [join(client, queue, address=f"10.0.1.{n}").status_code for n in range(3)] == [201] * 3
    before = log_size(db)
    for headers in (None, queue["headers"]):
        full = join(client, queue, address="10.0.1.99", headers=headers)
        assert full.status_code == 409 and full.get_json()["error"]["code"] == "queue_full"
    assert log_size(db) == before
    assert join(client, other, address="10.0.1.99").status_code == 201  # per line
    # Called and served guests still count; a completed one frees the place.
    called = client.post(f"/api/queues/{queue['id']}/call-next", json={}, headers=queue["headers"]).get_json()
    assert join(client, queue).status_code == 409
    client.post(f"/api/tickets/{called['id']}/complete", headers=queue["headers"])
    assert join(client, queue).status_code == 201
    counts = tickets.refusals(db).of(queue["id"], db.clock.service_day())
    assert counts == {"total": 3, "queue_full": 3, "too_many_tickets": 0, "rate_limited": 0}


def test_per_device_cap_counts_across_lines(tmp_path):
    app = capped_app(tmp_path, max_active_per_device=2)
    client = app.test_client()
    lines = [new_queue(client, f"Line {n}") for n in range(3)]
    token = "device-token-greedy-0001"
    assert [join(client, q, token=token).status_code for q in lines[:2]] == [201, 201]
    third = join(client, lines[2], token=token)
    assert third.status_code == 429 and third.get_json()["error"]["code"] == "too_many_tickets"
    assert join(client, lines[0], token=token).status_code == 200  # its own ticket back, as ever


def test_rate_limited_joins_are_counted_for_the_host(tmp_path):
    app = create_app({"QODE_DATA_DIR": str(tmp_path / "r"), "QODE_ADMIN_TOKEN": ADMIN_TOKEN,
                      "QODE_JOIN_RATE_LIMIT": "2/minute", "QODE_SCHEDULER": "off"})
    client, db = app.test_client(), app.extensions["qode_db"]
    queue = new_queue(client)
    codes = [join(client, queue, address="10.0.2.1").status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    assert tickets.refusals(db).of(queue["id"], db.clock.service_day())["rate_limited"] == 1


def bulk(client, queue, path="cancel-waiting", body=None, headers=None, **kw):
    return client.post(f"/api/queues/{queue['id']}/{path}", json=body if body is not None else {},
                       headers=queue["headers"] if headers is None else headers, **kw)


def test_cancel_waiting_by_source_and_time_in_one_transaction(client, queue, db):
    kiosk = client.post(f"/api/queues/{queue['id']}/devices", json={"name": "Door"}, headers=queue["headers"])
    kiosk_headers = {"Authorization": f"Bearer {kiosk.get_json()['token']}"}
    early = [join(client, queue).get_json() for _ in range(2)]
    time.sleep(0.005)
    cutoff = datetime.now(UTC).isoformat()
    time.sleep(0.005)
    late = [join(client, queue).get_json() for _ in range(3)]
    printed = join(client, queue, headers=kiosk_headers).get_json()
    called = client.post(f"/api/tickets/{late[0]['id']}/recall", json={"counter": "1"},
                         headers=queue["headers"])
    assert called.status_code == 200
    events_before = log_size(db)[0]
    answer = bulk(client, queue, body={"source": "web", "joined_after": cutoff})
    assert answer.status_code == 200
    assert answer.get_json()["cancelled"] == 2 and answer.get_json()["queue"]["waiting_count"] == 3
    status = {t["id"]: (t["status"], t["reason"]) for t in client.get(
        f"/api/queues/{queue['id']}/tickets", headers=queue["headers"]).get_json()["tickets"]}
    assert [status[t["id"]] for t in late[1:]] == [("CANCELLED", "cancelled_by_host")] * 2
    assert all(status[t["id"]] == ("WAITING", None) for t in early)
    assert status[printed["id"]] == ("WAITING", None) and status[late[0]["id"]][0] == "CALLED"
    with db.read() as conn:
        new = [dict(r) for r in conn.execute(
            "SELECT type, ticket_id, data FROM events WHERE seq > ? ORDER BY seq", (events_before,))]
    assert [e["type"] for e in new] == ["waiting_cleared", "cancel", "cancel"]
    summary = json.loads(new[0]["data"])
    assert summary["count"] == 2 and summary["source"] == "web" and summary["reason"] == "cancelled_by_host"
    # The guest's page says why.
    guest = client.get(f"/api/tickets/{late[1]['id']}").get_json()
    assert guest["status"] == "CANCELLED" and guest["reason"] == "cancelled_by_host"
    # Nothing left to cancel: an honest zero, and no event.
    again = bulk(client, queue, body={"source": "web", "joined_after": cutoff})
    assert again.get_json()["cancelled"] == 0 and log_size(db)[0] == events_before + 3


def test_close_and_clear(client, queue):
    waiting = [join(client, queue).get_json() for _ in range(3)]
    answer = bulk(client, queue, "close-and-clear")
    assert answer.status_code == 200 and answer.get_json()["cancelled"] == 3
    assert answer.get_json()["queue"]["active"] is False and answer.get_json()["queue"]["waiting_count"] == 0
    guest = client.get(f"/api/tickets/{waiting[0]['id']}").get_json()
    assert guest["status"] == "CANCELLED" and guest["reason"] == "line_closed"
    assert join(client, queue).get_json()["error"]["code"] == "queue_closed"
    assert bulk(client, queue, "close-and-clear").get_json()["cancelled"] == 0  # closed already: fine


def test_bulk_actions_are_idempotent_with_a_key(client, queue):
    join(client, queue)
    headers = {**queue["headers"], "Idempotency-Key": "bulk-key-0001"}
    first = bulk(client, queue, headers=headers)
    join(client, queue)  # a guest who joins after the action is not cancelled by a retry
    second = bulk(client, queue, headers=headers)
    assert second.headers.get("Idempotent-Replayed") == "true" and second.get_json() == first.get_json()
    assert client.get(f"/api/queues/{queue['id']}").get_json()["waiting_count"] == 1
    other = bulk(client, queue, headers={**headers, "Idempotency-Key": "bulk-key-0002"}, body={"source": "web"})
    assert other.status_code == 200 and other.get_json()["cancelled"] == 1
    reused = bulk(client, queue, headers=headers, body={"source": "kiosk"})  # same key, other body
    assert reused.status_code == 422


@pytest.mark.parametrize("body", [
    {"source": 5}, {"source": "phone"}, {"source": None, "extra": 1}, {"joined_after": 123},
    {"joined_after": "yesterday"}, {"joined_after": "2026-13-01T10:00:00Z"},
    {"joined_after": "2026-11-26T10:00:00"}, {"joined_after": "2026-11-26T25:00:00Z"},
    {"joined_after": ["2026-11-26T10:00:00Z"]}, {"unknown": True},
])
def test_cancel_waiting_rejects_bad_input(client, queue, db, body):
    join(client, queue)
    before = log_size(db)
    answer = bulk(client, queue, body=body)
    assert answer.status_code == 422 and answer.get_json()["error"]["code"] == "invalid_body"
    assert log_size(db) == before


@pytest.mark.parametrize("path", ["cancel-waiting", "close-and-clear"])
def test_bulk_actions_need_this_queues_host(client, queue, db, path):
    join(client, queue)
    other = new_queue(client, "Other")
    before = log_size(db)
    assert bulk(client, queue, path, headers={}).status_code == 401
    wrong = {"Authorization": "Bearer wrong-token-0123456789abcdef"}
    assert bulk(client, queue, path, headers=wrong).status_code == 401
    assert bulk(client, queue, path, headers=other["headers"]).status_code == 403
    assert bulk(client, queue, path, body={"x": 1}).status_code == 422
    not_json = client.post(f"/api/queues/{queue['id']}/{path}", data="source=web", headers=queue["headers"],
                           content_type="text/plain")
    assert not_json.status_code == 415
    missing = client.post(f"/api/queues/{uuid.uuid4()}/{path}", json={}, headers=admin())
    assert missing.status_code == 404
    assert log_size(db) == before
    assert client.get(f"/api/queues/{queue['id']}").get_json()["active"] is True



def merge_host(rows: dict, message: dict) -> dict:
    """What the host page does with a host message (docs/live.md): a snapshot replaces the list;
    an update applies its bulk cancellations, then its changed rows."""
    if message["type"] == "snapshot":
        return {t["id"]: t for t in message["tickets"]}
    rows = dict(rows)
    for cleared in message.get("bulk", []):
        for ticket_id, t in rows.items():
            if (t["status"] == "WAITING" and t["position_number"] <= cleared["up_to"]
                    and cleared["source"] in (None, t["source"])
                    and (cleared["joined_after"] is None or t["created_at"] > cleared["joined_after"])):
                rows[ticket_id] = {**t, "status": "CANCELLED", "reason": cleared["reason"],
                                   "completed_at": cleared["at"]}
    for t in message.get("tickets_changed", []):
        rows[t["id"]] = t
    return rows


def test_host_deltas_and_resume_end_like_a_fresh_client(server):
    base = server.url
    queue = requests.post(f"{base}/api/queues", json={"name": "Delta", "prefix": "D"}, headers=admin(),
                          timeout=5).json()
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    url = base.replace("http://", "ws://") + f"/ws/host/{queue['id']}"
    tickets_url = f"{base}/api/queues/{queue['id']}/tickets"
    for n in range(4):
        requests.post(tickets_url, json={"device_token": f"device-token-delta{n:04d}"}, timeout=5)
    live = HostRecorder(url, queue["host_token"])
    live.start()
    first = live.wait_for(lambda m: m["type"] == "snapshot")
    since = first["seq"]
    kiosk = requests.post(f"{base}/api/queues/{queue['id']}/devices", json={"name": "Door"}, headers=host,
                          timeout=5).json()
    kiosk_headers = {"Authorization": f"Bearer {kiosk['token']}"}
    try:
        # Every kind of change: calls, serve, complete, no-show, requeue, cancels, joins, a bulk action.
        call = f"{base}/api/queues/{queue['id']}/call-next"
        one = requests.post(call, json={"counter": "1"}, headers=host, timeout=5).json()
        two = requests.post(call, json={"counter": "2"}, headers=host, timeout=5).json()
        requests.post(f"{base}/api/tickets/{one['id']}/serve", headers=host, timeout=5)
        requests.post(f"{base}/api/tickets/{one['id']}/complete", headers=host, timeout=5)
        requests.post(f"{base}/api/tickets/{two['id']}/requeue", headers=host, timeout=5)
        requests.post(tickets_url, json={}, headers=kiosk_headers, timeout=5)
        cutoff = datetime.now(UTC).isoformat()
        time.sleep(0.01)
        for n in range(5):
            requests.post(tickets_url, json={"device_token": f"device-token-later{n:04d}"}, timeout=5)
        cleared = requests.post(f"{base}/api/queues/{queue['id']}/cancel-waiting",
                                json={"source": "web", "joined_after": cutoff}, headers=host, timeout=5).json()
        assert cleared["cancelled"] == 5
        requests.post(tickets_url, json={"device_token": "device-token-after00001"}, timeout=5)
        three = requests.post(call, json={}, headers=host, timeout=5).json()
        requests.post(f"{base}/api/tickets/{three['id']}/no-show", headers=host, timeout=5)
        latest = requests.get(tickets_url, headers=host, timeout=5).json()["tickets"]
        guest = [t for t in latest if t["status"] == "WAITING" and t["source"] == "web"][0]
        requests.post(f"{base}/api/tickets/{guest['id']}/cancel", timeout=5)

        fresh = WsClient.connect(url)
        fresh.send(json.dumps({"type": "auth", "token": queue["host_token"]}))
        truth = json.loads(fresh.receive(timeout=5))
        fresh.close()
        assert truth["type"] == "snapshot"

        resumed = WsClient.connect(f"{url}?since={since}")
        resumed.send(json.dumps({"type": "auth", "token": queue["host_token"]}))
        replay = json.loads(resumed.receive(timeout=5))
        resumed.close()
        assert replay["type"] == "update" and "tickets" not in replay and replay["bulk"][0]["count"] == 5
        expected = {t["id"]: t for t in truth["tickets"]}
        assert merge_host({t["id"]: t for t in first["tickets"]}, replay) == expected
        assert replay["state"] == truth["state"] and replay["seq"] == truth["seq"]

        # The socket that stayed connected, merging each delta as it came, ends the same way.
        live.wait_for(lambda m: m["seq"] >= truth["seq"])
        rows: dict = {}
        for _, message in live.messages:
            rows = merge_host(rows, message)
        assert rows == expected
        assert all("tickets" not in m for _, m in live.messages[1:])
    finally:
        live.stop.set()
        live.join(timeout=5)
        live.ws.close()


def test_host_channel_in_process_new_day_snapshot_bulk_and_refusals(tmp_path):
    """The feed's host messages: a new service day is a snapshot of the new list; a bulk clear of
    300 is one small update; refused joins reach the host without any write."""
    from datetime import time as dtime

    from helpers import FakeClock, utc

    app = capped_app(tmp_path, queue_max_active=301)
    db, client = app.extensions["qode_db"], app.test_client()
    db.clock = FakeClock(utc(2026, 3, 10, 9, 0), tz="UTC", day_starts_at=dtime(4, 0))
    queue = new_queue(client)
    feed = app.extensions["qode_live"]
    got: list[dict] = []
    def unframe(data: bytes) -> dict:  # the hub hands each socket a finished WebSocket frame
        size = data[1] & 0x7F
        return json.loads(data[{126: 4, 127: 10}.get(size, 2):])

    host = feed.hub.join(f"host:{queue['id']}", lambda data: got.append(unframe(data)))
    host.floor = feed.snapshot("host", queue["id"])["seq"]

    def flushed() -> list[dict]:
        feed._seen_version = -1
        feed.flush()
        # The client's sender thread hands the messages over: wait until it has handed over its
        # whole backlog and stopped (it stops only with the backlog empty), not for a quiet 100 ms,
        # which a descheduled sender also gives.
        deadline = time.monotonic() + 10
        while True:
            with host._lock:
                sending = host._draining or bool(host._backlog)
            if not sending or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        assert not sending and not host.closed.is_set(), "the host's sender never caught up"
        out = list(got)
        got.clear()
        return out

    for n in range(300):
        join(client, queue, address=f"10.1.{n // 200}.{n % 200}")
    joins = flushed()
    assert all(len(m["events"]) <= 8 and "tickets" not in m for m in joins)
    assert sum(len(m["tickets_changed"]) for m in joins) == 300

    join(client, queue, headers=queue["headers"])
    assert join(client, queue).status_code == 409  # full: nothing written
    news = flushed()
    assert news[0]["events"] == [] and news[0]["refused"]["queue_full"] == 1

    since = feed.latest_seq()
    assert bulk(client, queue, body={"source": "web"}).get_json()["cancelled"] == 300
    cleared = flushed()
    # A host resuming across the clear gets one small update, not a snapshot: the 300 cancel
    # events it stands for do not count against the history (here cut to 50 to show it).
    feed.HISTORY = 50
    resumed = feed.replay("host", queue["id"], since)
    assert resumed["type"] == "update" and resumed["bulk"][0]["count"] == 300
    assert len(json.dumps(resumed)) < 8192
    assert [m["bulk"][0]["count"] for m in cleared if m.get("bulk")] == [300]
    assert all(len(json.dumps(m)) < 8192 for m in cleared)
    # The filter says it: no row per cancelled ticket.
    assert not any(t["status"] == "CANCELLED" for m in cleared for t in m["tickets_changed"])

    db.clock.advance(days=1)
    join(client, queue, address="10.9.9.9")
    fresh = flushed()
    assert fresh[0]["type"] == "snapshot" and [t["display_number"] for t in fresh[0]["tickets"]] == ["A001"]
