"""Sync for real: a box (`qode serve`) and a hub (`qode serve --hub`) as two processes on
loopback. Activity on the box reaches the hub in order and exactly once, through a hub
outage, a box killed while it pushes, and a hub killed in the middle of a batch.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import sqlite3
import threading
import time
import uuid

import pytest
import requests

from helpers import ServerProcess, admin, wait_until

pytestmark = [pytest.mark.server, pytest.mark.slow]

HUB_ADMIN = "hub-admin-token-0123456789abcdef"
FIELDS = "seq, queue_id, type, ticket_id, ticket_number, data, service_day, created_at, mono, boot_id"


def hub_headers() -> dict:
    return {"Authorization": f"Bearer {HUB_ADMIN}"}


@pytest.fixture
def hub(tmp_path):
    proc = ServerProcess(tmp_path / "hub", env={"QODE_ADMIN_TOKEN": HUB_ADMIN})
    proc.extra_args = ["--hub"]
    proc.start()
    yield proc
    proc.stop()
    assert "Traceback" not in proc.log.read_text()


def register(hub, device_id: str) -> str:
    answer = requests.post(f"{hub.url}/api/hub/sites", json={"device_id": device_id, "name": device_id},
                           headers=hub_headers(), timeout=5)
    assert answer.status_code == 201, answer.text
    return answer.json()["key"]


@pytest.fixture
def box(tmp_path, hub):
    key = register(hub, "box-1")
    proc = ServerProcess(tmp_path / "box", env={
        "QODE_SYNC_URL": hub.url, "QODE_DEVICE_ID": "box-1", "QODE_SYNC_KEY": key,
        "QODE_SYNC_SECONDS": "1", "QODE_SYNC_BATCH": "100"}).start()
    proc.key = key
    proc.session = requests.Session()
    queue = proc.session.post(f"{proc.url}/api/queues", json={"name": "Desk", "prefix": "A"}, headers=admin(),
                              timeout=5).json()
    proc.queue = queue
    yield proc
    proc.stop()
    assert "Traceback" not in proc.log.read_text()


def activity(box, tickets: int, start: int = 0) -> list[float]:
    """`tickets` joins; every third one calls the next guest and completes them. Returns join latencies."""
    queue, session = box.queue, box.session
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    latencies = []
    for i in range(start, start + tickets):
        began = time.perf_counter()
        joined = session.post(f"{box.url}/api/queues/{queue['id']}/tickets",
                              json={"device_token": f"device-token-{i:08d}"}, timeout=5)
        latencies.append(time.perf_counter() - began)
        assert joined.status_code == 201, joined.text
        if i % 3 == 2:
            called = session.post(f"{box.url}/api/queues/{queue['id']}/call-next", headers=host,
                                  timeout=5).json()
            session.post(f"{box.url}/api/tickets/{called['id']}/complete", headers=host, timeout=5)
    return latencies


def box_events(box) -> list[dict]:
    """The box's log as the hub must hold it: ticket ids replaced by the box's pseudonyms."""
    from qode.sync import pseudonym

    conn = sqlite3.connect(f"file:{box.data_dir / 'qode.db'}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        secret = conn.execute("SELECT secret FROM sync_state").fetchone()[0]
        return [{**dict(r), "ticket_id": pseudonym(secret, r["ticket_id"]), "data": json.loads(r["data"])}
                for r in conn.execute(f"SELECT {FIELDS} FROM events ORDER BY seq")]
    finally:
        conn.close()


def hub_events(hub, device_id: str) -> list[dict]:
    events, after = [], 0
    for _ in range(1000):  # bounded paging
        page = requests.get(f"{hub.url}/api/hub/sites/{device_id}/events?after={after}&limit=5000",
                            headers=hub_headers(), timeout=10).json()["events"]
        if not page:
            return events
        events += page
        after = page[-1]["seq"]
    raise AssertionError("too many pages")


def sync_state(box) -> dict:
    return requests.get(f"{box.url}/healthz", timeout=5).json()["sync"]


def wait_synced(box, timeout: float = 60.0) -> dict:
    return wait_until(lambda: (s := sync_state(box))["pending"] == 0 and s["acked_seq"] > 0 and s,
                      timeout=timeout)


def test_steady_sync_brings_every_event_once_and_in_order(box, hub):
    activity(box, 500)
    state = wait_synced(box)
    assert state["last_error"] is None and state["last_success"]
    sent = box_events(box)
    assert len(sent) > 600  # 500 joins, their calls and completions, the queue itself
    assert hub_events(hub, "box-1") == sent  # every field of every event, in order, once
    (site,) = requests.get(f"{hub.url}/api/hub/sites", headers=hub_headers(), timeout=5).json()["sites"]
    assert site["last_seq"] == sent[-1]["seq"] and site["events"] == len(sent)
    (line,) = site["queues"]
    assert line["waiting"] == 500 - 500 // 3 and site["today"]["served"] == 500 // 3


class SilentHub:
    """A hub that takes the box's connections on the hub's port and never answers them."""

    def __init__(self, port: int):
        self.listener = socket.create_server(("127.0.0.1", port))
        self.connections: list[socket.socket] = []
        self.hung_up: set[int] = set()  # indexes of the connections the box closed
        self.lock = threading.Lock()
        self.closed = False
        self.accepting = threading.Thread(target=self._accept, daemon=True)
        self.accepting.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                if self.closed:
                    conn.close()
                    return
                self.connections.append(conn)
                index = len(self.connections) - 1
            threading.Thread(target=self._read, args=(index, conn), daemon=True).start()

    def _read(self, index: int, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while conn.recv(65536):
                pass  # the box's request: read, never answered
        self.hung_up.add(index)

    def close(self) -> None:
        with self.lock:
            self.closed = True
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept
        self.listener.close()
        self.accepting.join(timeout=5)
        for conn in self.connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()


@pytest.mark.xdist_group("serial")  # restarts a server on its port: no other test may take it meanwhile
def test_a_hub_outage_slows_nothing_and_the_backlog_drains_once(box, hub):
    activity(box, 60)
    wait_synced(box)
    hub.stop()
    activity(box, 60, start=60)
    state = wait_until(lambda: (s := sync_state(box))["last_error"] and s, timeout=10)  # it noticed
    assert state["pending"] > 0 and "cannot be reached" in state["last_error"], state
    # Issuance does not wait for the hub, shown without a clock: a hub that takes the box's push and
    # never answers it (the box's own timeout is 10 s), and joins answered while that push hangs.
    silent = SilentHub(hub.port)
    try:
        wait_until(lambda: silent.connections, timeout=60)  # the box's next push: held, unanswered
        more = activity(box, 30, start=120)
        assert 0 not in silent.hung_up, "the box gave up its push before the joins were done"
        assert len(more) == 30
        assert sync_state(box)["pending"] > state["pending"]  # pending grows while the hub is away
    finally:
        silent.close()
    hub.start()
    wait_synced(box, timeout=90)
    assert hub_events(hub, "box-1") == box_events(box)


@pytest.mark.xdist_group("serial")  # restarts a server on its port: no other test may take it meanwhile
def test_a_box_killed_while_it_pushes_resumes_from_its_cursor(box, hub):
    box.stop()
    box.env["QODE_SYNC_BATCH"] = "5"  # small batches: the backlog takes a few seconds to drain
    box.start()
    hub.stop()
    activity(box, 300)  # a backlog of some 500 events
    hub.start()
    seen = wait_until(lambda: 0 < (s := sync_state(box))["acked_seq"] and s, timeout=60)
    box.kill()  # mid-drain, like a power cut
    assert seen["acked_seq"] < seen["latest_seq"]  # it was killed with part of the log still to send
    box.start()
    wait_synced(box, timeout=90)
    assert hub_events(hub, "box-1") == box_events(box)
    # A replayed request (the same batch again, as a box does after losing the answer) stores nothing.
    replay = requests.post(f"{hub.url}/api/sync/batches", timeout=10,
                           json={"device_id": "box-1", "after": 0, "events": box_events(box)[:100]},
                           headers={"Authorization": f"Bearer {box.key}"})
    assert replay.status_code == 200 and replay.json()["stored"] == 0
    assert hub_events(hub, "box-1") == box_events(box)


def synthetic(count: int) -> list[dict]:
    queue = str(uuid.uuid4())
    return [{"seq": n, "queue_id": queue, "type": "join", "ticket_id": str(uuid.uuid4()), "ticket_number": n,
             "data": {"source": "web"}, "service_day": "2026-11-26", "created_at": "2026-11-26T09:00:00.000Z"}
            for n in range(1, count + 1)]


@pytest.mark.xdist_group("serial")  # restarts a server on its port: no other test may take it meanwhile
def test_a_hub_killed_mid_batch_keeps_none_of_it_and_a_retry_lands_it_once(hub, tmp_path):
    """The kill provably lands inside the batch's transaction: the hub's fault-injection point
    (QODE_HUB_FAULT_PAUSE_FILE) stops the write with all 1000 events inserted and not committed,
    and says so in a file; only then is the hub killed."""
    key = register(hub, "big")
    events = synthetic(1000)
    body = json.dumps({"device_id": "big", "after": 0, "events": events})
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    paused = tmp_path / "hub-paused-inside-the-transaction"
    hub.stop()
    hub.env["QODE_HUB_FAULT_PAUSE_FILE"] = str(paused)
    hub.start()
    answers: list = []

    def push():
        try:
            answers.append(requests.post(f"{hub.url}/api/sync/batches", data=body, timeout=60, headers=headers))
        except requests.RequestException as err:
            answers.append(err)  # the hub died under it

    pusher = threading.Thread(target=push)
    pusher.start()
    held, in_transaction = wait_until(lambda: paused.exists() and paused.read_text().split(), timeout=30)
    assert (int(held), in_transaction) == (1000, "1")  # every row written, the transaction still open
    assert answers == []  # no answer yet: the batch is not stored
    hub.kill()
    pusher.join(timeout=15)
    assert len(answers) == 1 and isinstance(answers[0], requests.RequestException), answers
    del hub.env["QODE_HUB_FAULT_PAUSE_FILE"]
    hub.start()

    def site() -> dict:
        sites = requests.get(f"{hub.url}/api/hub/sites", headers=hub_headers(), timeout=5).json()["sites"]
        (found,) = [s for s in sites if s["device_id"] == "big"]
        return found

    assert hub_events(hub, "big") == [] and site()["events"] == 0 and site()["last_seq"] == 0  # none of it
    conn = sqlite3.connect(f"file:{hub.data_dir / 'hub.db'}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM site_events").fetchone()[0] == 0
    finally:
        conn.close()
    # The box sends the same batch again (it never got an answer): stored once, and once only.
    for stored in (1000, 0):
        again = requests.post(f"{hub.url}/api/sync/batches", data=body, headers=headers, timeout=30)
        assert again.status_code == 200 and again.json() == {"acked_seq": 1000, "stored": stored}, again.text
    assert [e["seq"] for e in hub_events(hub, "big")] == list(range(1, 1001))
    assert site()["events"] == 1000 and site()["last_seq"] == 1000


def test_a_hub_that_drips_its_answer_is_a_failure_within_the_sync_timeout(tmp_path):
    """A hub that answers 200 and then sends a byte every second keeps each read under the box's
    per-read timeout: the push stalled for minutes while /healthz said all was well (found by a
    probe). QODE_SYNC_TIMEOUT bounds the whole request: a failure, told, and the box serves on."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    sizes = []  # events per request, as the box sent them

    def drip(conn):
        with conn:
            conn.settimeout(2.0)
            with contextlib.suppress(OSError, ValueError):
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, body = data.split(b"\r\n\r\n", 1)
                length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
                while len(body) < length:
                    body += conn.recv(65536)
                sizes.append(len(json.loads(body)["events"]))
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 1000\r\n\r\n")
                for _ in range(120):  # bounded: two minutes at most
                    if stop.wait(1.0):
                        return
                    conn.sendall(b" ")

    def accept():
        listener.settimeout(0.5)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    port = listener.getsockname()[1]
    proc = ServerProcess(tmp_path / "box", env={
        "QODE_SYNC_URL": f"http://127.0.0.1:{port}", "QODE_DEVICE_ID": "box-1", "QODE_SYNC_KEY": "k" * 32,
        "QODE_SYNC_SECONDS": "1", "QODE_SYNC_TIMEOUT": "3", "QODE_SYNC_BATCH": "4"}).start()
    try:
        started = time.monotonic()
        queue = requests.post(f"{proc.url}/api/queues", json={"name": "Desk"}, headers=admin(), timeout=5)
        assert queue.status_code == 201  # events to send: the queue and four joins
        for i in range(4):
            requests.post(f"{proc.url}/api/queues/{queue.json()['id']}/tickets",
                          json={"device_token": f"device-token-drop{i:04d}"}, timeout=5)
        state = wait_until(lambda: (s := sync_state(proc))["last_error"] and s, timeout=30)
        assert "did not answer within 3 s" in state["last_error"], state
        assert time.monotonic() - started < 20
        assert state["last_success"] is None and state["pending"] >= 1
        joined = requests.post(f"{proc.url}/api/queues/{queue.json()['id']}/tickets",
                               json={"device_token": "device-token-drip0001"}, timeout=5)
        assert joined.status_code == 201  # and the box works on
        # The next try (after its back-off) sends half a batch: a thin uplink still moves on.
        wait_until(lambda: len(sizes) >= 2, timeout=30)
        assert sizes[1] <= 2, sizes
    finally:
        stop.set()
        listener.close()
        proc.stop()
    assert "Traceback" not in proc.log.read_text()


def test_the_hub_reads_a_large_body_only_after_the_boxs_key(hub):
    """Found by a probe: the hub read up to QODE_HUB_MAX_BODY (4 MiB) of any request, /healthz
    included, before any credential was checked (36 stalled bodies took its worker from 81 to 278 MB).
    Now only a box's batch may be large, and it is read once its key is known."""
    key = register(hub, "box-big")

    def raw(path: str, key_: str | None, declared: int, sent: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", hub.port), timeout=10) as sock:
            auth = f"Authorization: Bearer {key_}\r\n" if key_ else ""
            sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{auth}"
                         f"Content-Length: {declared}\r\n\r\n".encode() + sent)
            sock.settimeout(5)  # answered without the rest of the body: it was never waited for
            return sock.recv(65536)

    # A wrong key: refused at once, with most of the megabyte never sent.
    assert raw("/api/sync/batches", "x" * 40, 1 << 20, b"{" * 1000).startswith(b"HTTP/1.1 401")
    # Anything else over QODE_MAX_BODY (16 KiB): refused by its declared size, unread.
    assert raw("/api/hub/sites", HUB_ADMIN, 1 << 20, b"{" * 1000).startswith(b"HTTP/1.1 413")
    # A box's batch over QODE_MAX_BODY but under QODE_HUB_MAX_BODY, with its key: taken whole.
    events = [{"seq": i, "queue_id": str(uuid.UUID(int=1)), "type": "queue_renamed", "ticket_id": None,
               "ticket_number": None, "data": {"name": "x" * 200}, "service_day": "2026-12-07",
               "created_at": "2026-12-07T08:00:00.000Z", "mono": 1.0, "boot_id": "boot-1"}
              for i in range(1, 301)]
    answer = requests.post(f"{hub.url}/api/sync/batches", headers={"Authorization": f"Bearer {key}"},
                           json={"device_id": "box-big", "after": 0, "events": events}, timeout=10)
    assert len(answer.request.body) > 16384 and answer.status_code == 200, answer.text
    assert answer.json()["acked_seq"] == 300
