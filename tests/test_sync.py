"""The box's sync job in process, against small stand-in hubs on 127.0.0.1: what it survives
(no hub, a slow hub, an unknown name, a wrong key, a certificate it cannot verify) and that
only the hub's ack moves the cursor. Two real processes are in test_sync_e2e.py.
"""

from __future__ import annotations

import contextlib
import json
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from qode import create_app, sync

from helpers import ADMIN_TOKEN, NO_CAPS, admin, free_port

KEY = "box-key-0123456789abcdefghij"


class FakeHub(BaseHTTPRequestHandler):
    """Answers like a hub: acks everything it is sent, or what `server.answer` says."""

    def do_POST(self):  # noqa: N802 - the http.server name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.received.append((self.headers.get("Authorization"), body))
        if self.server.delay:
            time.sleep(self.server.delay)
        status, answer = self.server.answer or (200, {"acked_seq": body["events"][-1]["seq"], "stored": 1})
        data = json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the box gave up waiting (the slow hub case)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_hub():
    servers = []

    def start(context: ssl.SSLContext | None = None, answer=None, delay: float = 0.0):
        server = ThreadingHTTPServer(("127.0.0.1", 0), FakeHub)
        server.received, server.answer, server.delay = [], answer, delay
        if context is not None:
            server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def box(tmp_path, url: str, **settings):
    app = create_app({"QODE_DATA_DIR": str(tmp_path / "box"), "QODE_ADMIN_TOKEN": ADMIN_TOKEN,
                      "QODE_TIMEZONE": "UTC", "QODE_SCHEDULER": "off", "QODE_JOIN_RATE_LIMIT": "off", **NO_CAPS,
                      "QODE_SYNC_URL": url, "QODE_DEVICE_ID": "box-1", "QODE_SYNC_KEY": KEY,
                      "QODE_SYNC_BATCH": "10", **settings})
    client = app.test_client()
    queue = client.post("/api/queues", json={"name": "Desk"}, headers=admin()).get_json()
    for i in range(25):
        client.post(f"/api/queues/{queue['id']}/tickets", json={"device_token": f"device-token-{i:08d}"})
    return app, sync.of(app)


def test_pushes_in_batches_in_order_and_the_ack_moves_the_cursor(tmp_path, fake_hub):
    hub = fake_hub()
    app, pusher = box(tmp_path, f"http://127.0.0.1:{hub.server_port}")
    total = pusher.status()["latest_seq"]
    assert pusher.status()["pending"] == total == 26  # the queue and 25 joins
    assert pusher.push() == total
    seqs = [e["seq"] for _, body in hub.received for e in body["events"]]
    assert seqs == list(range(1, total + 1)) and all(len(b["events"]) <= 10 for _, b in hub.received)
    assert {auth for auth, _ in hub.received} == {f"Bearer {KEY}"}
    assert {b["device_id"] for _, b in hub.received} == {"box-1"}
    state = pusher.status()
    assert state["pending"] == 0 and state["acked_seq"] == total and state["last_error"] is None
    health = app.test_client().get("/healthz").get_json()["sync"]
    assert health["enabled"] and health["pending"] == 0 and health["last_success"]


def test_a_hub_that_acks_less_moves_the_cursor_only_that_far(tmp_path, fake_hub):
    hub = fake_hub(answer=(200, {"acked_seq": 3, "stored": 3}))
    _, pusher = box(tmp_path, f"http://127.0.0.1:{hub.server_port}")
    pusher.push()
    assert pusher.status()["acked_seq"] == 3


def test_a_hub_that_acks_nothing_of_the_batch_is_a_failure_not_a_success(tmp_path, fake_hub):
    """An ack below the batch (found by a probe: acked_seq -5) moved nothing, yet counted as a success,
    so the box sent its 20 batches every run without backing off and /healthz said all was well."""
    hub = fake_hub(answer=(200, {"acked_seq": -5, "stored": 0}))
    _, pusher = box(tmp_path, f"http://127.0.0.1:{hub.server_port}")
    assert pusher.push() == 0
    assert len(hub.received) == 1  # one try, not the run's every batch
    state = pusher.status()
    assert state["acked_seq"] == 0 and state["last_success"] is None
    assert "acknowledged none of the batch" in state["last_error"]
    assert pusher.push() == 0 and len(hub.received) == 1  # backing off


def test_a_413_keeps_the_hubs_limit_and_a_timeout_shrinks_only_until_caught_up(tmp_path, fake_hub, monkeypatch):
    """A 413 is the hub's own limit: later batches stay under it. A timeout is a slow moment: the
    batches are halved until the box has caught up, then whole again (from the review: they stayed
    halved for good, so a few passing timeouts left a box sending one event at a time)."""
    hub = fake_hub()
    app, pusher = box(tmp_path, f"http://127.0.0.1:{hub.server_port}")  # 26 events, batches of 10
    slow = [1]

    @contextlib.contextmanager
    def within(seconds):
        if slow:
            slow.pop()
            raise sync._TooSlow()
        yield

    monkeypatch.setattr(sync, "_within", within)
    assert pusher.push() == 0 and "did not answer within" in pusher.status()["last_error"]
    pusher._next_try = 0.0  # past the back-off
    assert pusher.push() == 26
    assert [len(b["events"]) for _, b in hub.received] == [5] * 5 + [1]
    client = app.test_client()
    queue = client.get("/api/queues", headers=admin()).get_json()["queues"][0]
    for i in range(12):
        client.post(f"/api/queues/{queue['id']}/tickets", json={"device_token": f"device-token-more{i:04d}"})
    hub.received.clear()
    assert pusher.push() == 12
    assert [len(b["events"]) for _, b in hub.received] == [10, 2]  # whole again

    hub.answer = (413, {"error": {"code": "batch_too_large", "message": "too large"}})
    for i in range(12):
        client.post(f"/api/queues/{queue['id']}/tickets", json={"device_token": f"device-token-last{i:04d}"})
    hub.received.clear()
    assert pusher.push() == 0
    hub.answer, pusher._next_try = None, 0.0
    assert pusher.push() == 12
    assert pusher.push() == 0  # caught up ...
    for i in range(6):
        client.post(f"/api/queues/{queue['id']}/tickets", json={"device_token": f"device-token-tail{i:04d}"})
    assert pusher.push() == 6
    assert [len(b["events"]) for _, b in hub.received] == [10, 5, 5, 2, 5, 1]  # ... and still under it


def test_a_hubs_words_are_logged_as_one_printable_line(tmp_path, fake_hub, caplog):
    """A hub's error message with a line break (a forged log line) and a lone surrogate (UTF-8 cannot
    write it: the job crashed and /healthz kept saying all was well)."""
    words = "Nope\ud800\n[2026-12-07 10:00:00 +0000] [1] [CRITICAL] forged line"
    hub = fake_hub(answer=(400, {"error": {"code": "bad", "message": words}}))
    _, pusher = box(tmp_path, f"http://127.0.0.1:{hub.server_port}")
    with caplog.at_level("WARNING", logger="qode.sync"):
        assert pusher.push() == 0
    error = pusher.status()["last_error"]
    assert error.startswith("the hub answered 400: Nope[2026-12-07") and error.isprintable()
    assert all(record.getMessage().isprintable() for record in caplog.records)
    error.encode("utf-8")  # no lone surrogate left


def test_a_gap_answer_resumes_where_the_hub_says(tmp_path, fake_hub):
    hub = fake_hub()
    _, pusher = box(tmp_path, f"http://127.0.0.1:{hub.server_port}")
    pusher.push()
    hub.answer = (409, {"error": {"code": "sync_gap", "message": "from 5", "resume_after": 4}})
    hub.received.clear()
    with pusher.db.write() as conn:  # one more event to send
        conn.execute("INSERT INTO events (queue_id, type, data, created_at, mono, boot_id)"
                     " SELECT queue_id, 'queue_settings', '{}', created_at, mono, boot_id FROM events LIMIT 1")
    pusher.push()
    first = [(body["after"], body["events"][0]["seq"]) for _, body in hub.received]
    assert first[:2] == [(26, 27), (4, 5)]  # refused, then sent again from the hub's position
    assert pusher.status()["acked_seq"] == 4 and pusher.status()["last_error"]


def test_the_hub_gets_pseudonyms_not_ticket_ids(tmp_path, fake_hub):
    hub = fake_hub()
    app, pusher = box(tmp_path, f"http://127.0.0.1:{hub.server_port}")
    pusher.push()
    sent = [e for _, body in hub.received for e in body["events"] if e["ticket_id"]]
    with app.extensions["qode_db"].read() as conn:
        real = {r[0] for r in conn.execute("SELECT id FROM tickets")}
        secret = conn.execute("SELECT secret FROM sync_state").fetchone()[0]
    assert len(sent) == 25 and not ({e["ticket_id"] for e in sent} & real)  # no capability leaves the box
    assert {e["ticket_id"] for e in sent} == {sync.pseudonym(secret, t) for t in real}  # stable per ticket
    assert len(secret) == 64


class Redirecting(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        self.server.received.append(self.headers.get("Authorization"))
        self.send_response(302)
        self.send_header("Location", self.server.target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST  # noqa: N815

    def log_message(self, *args):
        pass


class NotHttp(BaseHTTPRequestHandler):
    def handle(self):
        self.request.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")


class ProxyError(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        page = b"<html><body>502 Bad Gateway</body></html>"
        self.send_response(502)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, *args):
        pass


def serve(handler):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize("handler,words", [(NotHttp, "cannot be reached"), (ProxyError, "502")])
def test_what_is_not_a_hub_is_an_error_and_a_back_off(tmp_path, handler, words):
    server = serve(handler)
    try:
        _, pusher = box(tmp_path, f"http://127.0.0.1:{server.server_port}")
        assert pusher.push() == 0
        assert words in pusher.status()["last_error"]
        assert pusher.push() == 0 and pusher._next_try > time.monotonic()  # backing off
    finally:
        server.shutdown()
        server.server_close()


def test_a_redirect_is_refused_and_the_key_goes_nowhere_else(tmp_path):
    elsewhere = serve(Redirecting)
    hub = serve(Redirecting)
    hub.target = f"http://127.0.0.1:{elsewhere.server_port}/steal"
    try:
        _, pusher = box(tmp_path, f"http://127.0.0.1:{hub.server_port}")
        assert pusher.push() == 0
        assert "302" in pusher.status()["last_error"] and "redirect" in pusher.status()["last_error"]
        assert hub.received == [f"Bearer {KEY}"] and elsewhere.received == []
    finally:
        for server in (hub, elsewhere):
            server.shutdown()
            server.server_close()


def test_the_host_is_told_when_the_hub_is_lost_and_found(tmp_path, fake_hub):
    hub = fake_hub(answer=(503, {"error": {"code": "busy", "message": "down for a moment"}}))
    _, pusher = box(tmp_path, f"http://127.0.0.1:{hub.server_port}")
    told = []
    pusher.on_change = lambda: told.append(pusher.status()["last_error"])
    pusher.push()
    pusher._next_try = 0  # the back-off, skipped for the test
    pusher.push()  # failing again: no news
    hub.answer = None
    pusher._next_try = 0
    pusher.push()
    assert len(told) == 2 and "down for a moment" in told[0] and told[1] is None


@pytest.mark.parametrize("settings,words", [
    ({"QODE_SYNC_URL": "https://user:secret@hub.example.org"}, "no user or password"),
    ({"QODE_SYNC_URL": "ftp://hub.example.org"}, "http(s)://"),
    ({"QODE_SYNC_URL": "https://hub.example.org", "QODE_DEVICE_ID": ""}, "QODE_DEVICE_ID"),
    ({"QODE_SYNC_URL": "https://hub.example.org", "QODE_DEVICE_ID": "has space"}, "QODE_DEVICE_ID"),
    ({"QODE_SYNC_URL": "https://hub.example.org", "QODE_SYNC_KEY": "short"}, "QODE_SYNC_KEY"),
    ({"QODE_SYNC_CA_FILE": "/nonexistent/ca.pem"}, "QODE_SYNC_CA_FILE"),
    ({"QODE_SYNC_CA_FILE": __file__}, "not a readable PEM"),
    ({"QODE_SYNC_BATCH": "0"}, "QODE_SYNC_BATCH"),
    ({"QODE_SYNC_BATCH": "5000"}, "QODE_SYNC_BATCH"),
    ({"QODE_HUB": "maybe"}, "QODE_HUB"),
])
def test_bad_sync_settings_stop_the_start_with_a_clear_message(settings, words):
    from qode import config

    env = {"QODE_SYNC_URL": "", "QODE_DEVICE_ID": "box-1", "QODE_SYNC_KEY": KEY, **settings}
    with pytest.raises(config.SettingError) as err:
        config.load(env)
    assert words in str(err.value)


@pytest.mark.parametrize("case", ["refused", "unknown name", "wrong key", "slow", "not a hub"])
def test_the_box_survives_a_hub_it_cannot_use(tmp_path, fake_hub, case):
    if case == "refused":
        url = f"http://127.0.0.1:{free_port()}"
    elif case == "unknown name":
        url = "http://qode-hub.invalid"
    elif case == "wrong key":
        refusal = {"error": {"code": "bad_credentials", "message": "That key is not known."}}
        hub = fake_hub(answer=(401, refusal))
        url = f"http://127.0.0.1:{hub.server_port}"
    elif case == "slow":
        hub = fake_hub(delay=2.5)
        url = f"http://127.0.0.1:{hub.server_port}"
        sync.TIMEOUT, saved = 1.0, sync.TIMEOUT
    else:
        hub = fake_hub(answer=(200, {"hello": "world"}))
        url = f"http://127.0.0.1:{hub.server_port}"
    try:
        app, pusher = box(tmp_path, url)
        started = time.monotonic()
        assert pusher.push() == 0
        assert time.monotonic() - started < 30  # the timeout (or the resolver's), never longer
    finally:
        if case == "slow":
            sync.TIMEOUT = saved
    state = pusher.status()
    assert state["acked_seq"] == 0 and state["pending"] == 26 and state["last_error"], state
    if case == "wrong key":
        assert "401" in state["last_error"] and "not known" in state["last_error"]
    assert pusher.push() == 0  # backing off: no second try at once
    client = app.test_client()  # and the box works on
    assert client.get("/healthz").status_code == 200
    queue_id = client.get("/api/queues", headers=admin()).get_json()["queues"][0]["id"]
    joined = client.post(f"/api/queues/{queue_id}/tickets", json={"device_token": "device-token-after001"})
    assert joined.status_code == 201


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")],
                   check=True, capture_output=True, timeout=60)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return folder / "cert.pem", context


def test_https_certificates_are_verified_and_a_pinned_ca_is_honoured(tmp_path, fake_hub, certificate):
    cert, context = certificate
    hub = fake_hub(context=context)
    url = f"https://127.0.0.1:{hub.server_port}"
    _, unverified = box(tmp_path / "plain", url)
    assert unverified.push() == 0
    assert "CERTIFICATE_VERIFY_FAILED" in unverified.status()["last_error"]
    assert hub.received == []  # nothing was sent over a connection it could not trust
    _, pinned = box(tmp_path / "pinned", url, QODE_SYNC_CA_FILE=str(cert))
    assert pinned.push() == 26 and pinned.status()["pending"] == 0
