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

pytestmark = pytest.mark.server

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

        threads = [threading.Thread(target=worker, args=(ADDRESSES[i::25],)) for i in range(25)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        flood_seconds = time.monotonic() - started
        assert len(results) == 250

        statuses = Counter(status for answers in results.values() for status, _, _ in answers)
        created_per_address = {a: sum(s == 201 for s, _, _ in answers) for a, answers in results.items()}
        assert max(created_per_address.values()) <= PER_ADDRESS  # each address gets at most its cap
        assert statuses[201] == QUEUE_CAP  # the line filled up to its cap, not one ticket more
        assert set(statuses) <= {201, 409, 429}, statuses  # never a 500
        codes = Counter(body["error"]["code"] for answers in results.values() for s, body, _ in answers if s != 201)
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
    print(f"flood: {sum(statuses.values())} joins in {flood_seconds:.1f}s, {statuses}; host socket: "
          f"{len(updates)} updates, {events} events, largest {largest} B, total {total} B")
    assert all("tickets" not in m for _, m in updates)
    assert largest < 8 * 1024  # the old list at 500 waiting was ~300 KB per message
    assert total < events * 1024 + len(updates) * 3 * 1024
    # The messages at the end of the flood (500 waiting) are no bigger than those at its start.
    during = [(size, m) for size, m in updates if m["events"]]
    early = [size for size, m in during if m["state"]["waiting_count"] < 100]
    late = [size for size, m in during if m["state"]["waiting_count"] >= 400]
    assert early and late and max(late) < 2 * max(early) + 1024
