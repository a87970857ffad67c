"""Connection budgets (issue 11) against a real `qode serve`: read deadlines, per-address caps
on HTTP connections and live sockets, HTTP slots sockets cannot take, memory after a flood.

Attackers and guests are told apart by source address: client sockets bind to addresses in
127.0.0.0/8 other than 127.0.0.1 (which, like ::1, the server never counts: the box's own
services and its TLS proxy connect from there).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import resource
import selectors
import socket
import struct
import time

import pytest
import requests

from qode import config

from helpers import ADMIN_TOKEN, ServerProcess, admin, wait_until

# Memory and open-file counts, socket floods: the machine to itself (conftest.py, "serial").
pytestmark = [pytest.mark.server, pytest.mark.xdist_group("serial")]


# --- small tools -------------------------------------------------------------------------------

def raise_fd_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.skip(f"needs {wanted} open files; the hard limit here is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def worker_pid(server: ServerProcess) -> int:
    def child():
        path = f"/proc/{server.proc.pid}/task/{server.proc.pid}/children"
        with open(path) as file:
            pids = file.read().split()
        return int(pids[0]) if pids else None
    return wait_until(child, timeout=10)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as file:
        for line in file:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def settled_fds(pid: int, still: float = 0.5, timeout: float = 10.0) -> int:
    """The worker's open files once the count has not moved for `still` seconds: the connections
    of requests just answered close on the server's side a moment after the client's."""
    deadline = time.monotonic() + timeout
    count, since = open_fds(pid), time.monotonic()
    while time.monotonic() - since < still and time.monotonic() < deadline:
        time.sleep(0.05)
        now = open_fds(pid)
        if now != count:
            count, since = now, time.monotonic()
    return count


def connect_from(source: str, port: int, timeout: float = 10.0) -> socket.socket:
    sock = socket.socket()
    sock.bind((source, 0))
    sock.settimeout(timeout)
    sock.connect(("127.0.0.1", port))
    return sock


def call(port: int, source: str, method: str, path: str, body=None, headers=None, timeout=10.0):
    """One HTTP request from `source`: (status, decoded JSON or None, seconds taken)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    started = time.monotonic()
    try:
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, path, body=data, headers={
            **({"Content-Type": "application/json"} if data is not None else {}), **(headers or {})})
        response = conn.getresponse()
        raw = response.read()
        return response.status, (json.loads(raw) if raw else None), time.monotonic() - started
    finally:
        conn.close()


def ws_text_frame(text: str) -> bytes:
    """A masked client text frame."""
    payload = text.encode()
    mask = os.urandom(4)
    head = bytes([0x81])
    if len(payload) < 126:
        head += bytes([0x80 | len(payload)])
    else:
        head += bytes([0x80 | 126]) + struct.pack(">H", len(payload))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def open_ws(port: int, path: str, source: str, token: str | None = None, timeout: float = 10.0):
    """Open a live socket over a raw TCP socket (no thread per socket, unlike the ws clients).

    Returns (socket, first message as dict) when admitted, or (None, close code) when refused.
    """
    sock = connect_from(source, port, timeout)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                  ).encode())
    buf = b""

    def need(n: int) -> bytes:
        nonlocal buf
        while len(buf) < n:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed before a whole frame")
            buf += chunk
        out, buf = buf[:n], buf[n:]
        return out

    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        assert chunk, "closed during the handshake"
        buf += chunk
    head, buf = buf.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 101"), head
    if token is not None:
        sock.sendall(ws_text_frame(json.dumps({"type": "auth", "token": token})))
    while True:
        b0, b1 = need(2)
        length = b1 & 0x7F
        if length == 126:
            length = struct.unpack(">H", need(2))[0]
        elif length == 127:
            length = struct.unpack(">Q", need(8))[0]
        payload = need(length)
        if b0 & 0x0F == 1:
            return sock, json.loads(payload)
        if b0 & 0x0F == 8:
            sock.close()
            return None, struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005


def close_all(socks) -> None:
    for sock in socks:
        try:
            sock.close()
        except OSError:
            pass


def drain_until_closed(socks, deadline: float) -> dict:
    """Read every socket until the server closes it (EOF or reset) or `deadline` (monotonic).

    Returns {socket: (bytes received, monotonic time closed or None)}.
    """
    sel = selectors.DefaultSelector()
    got = {}
    for sock in socks:
        sock.setblocking(False)
        sel.register(sock, selectors.EVENT_READ)
        got[sock] = [b"", None]
    open_count = len(socks)
    while open_count and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.2):
            sock = key.fileobj
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data:
                got[sock][0] += data
            else:
                got[sock][1] = time.monotonic()
                sel.unregister(sock)
                open_count -= 1
    sel.close()
    return {sock: tuple(value) for sock, value in got.items()}


def make_queue(url: str) -> dict:
    queue = requests.post(f"{url}/api/queues", json={"name": "Budgets", "prefix": "B"}, headers=admin(),
                          timeout=10).json()
    queue["headers"] = {"Authorization": f"Bearer {queue['host_token']}"}
    return queue


# --- settings ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "value"), [
    ("QODE_HEADER_TIMEOUT", "0"), ("QODE_HEADER_TIMEOUT", "ten"), ("QODE_HEADER_TIMEOUT", "3601"),
    ("QODE_BODY_TIMEOUT", "-1"), ("QODE_BODY_TIMEOUT", "1.5"),
    ("QODE_RESPONSE_TIMEOUT", "0"), ("QODE_RESPONSE_TIMEOUT", "a minute"),
    ("QODE_HTTP_CONNECTIONS", "off"), ("QODE_HTTP_CONNECTIONS", "8"), ("QODE_HTTP_CONNECTIONS", "70000"),
    ("QODE_MAX_REQUESTS_PER_ADDRESS", "0"), ("QODE_MAX_REQUESTS_PER_ADDRESS", "many"),
    ("QODE_MAX_SOCKETS_PER_ADDRESS", "-4"), ("QODE_MAX_SOCKETS_PER_ADDRESS", ""),
])
def test_bad_budget_settings_are_refused_clearly(name, value):
    with pytest.raises(config.SettingError, match=name):
        config.load(env={name: value})


def test_budget_settings_defaults_and_off():
    settings = config.load(env={})
    assert (settings["HEADER_TIMEOUT"], settings["BODY_TIMEOUT"], settings["HTTP_CONNECTIONS"],
            settings["MAX_REQUESTS_PER_ADDRESS"], settings["MAX_SOCKETS_PER_ADDRESS"]) == (10, 30, 512, 12, 4)
    off = config.load(env={"QODE_HEADER_TIMEOUT": "off", "QODE_BODY_TIMEOUT": "OFF",
                           "QODE_MAX_REQUESTS_PER_ADDRESS": "off", "QODE_MAX_SOCKETS_PER_ADDRESS": "off"})
    assert off["HEADER_TIMEOUT"] is off["BODY_TIMEOUT"] is None
    assert off["MAX_REQUESTS_PER_ADDRESS"] is off["MAX_SOCKETS_PER_ADDRESS"] is None


def test_a_bad_budget_setting_stops_qode_serve_with_its_name(tmp_path):
    proc = ServerProcess(tmp_path / "bad", env={"QODE_BODY_TIMEOUT": "soon"})
    with pytest.raises(RuntimeError, match="QODE_BODY_TIMEOUT"):
        proc.start(timeout=15)
    proc.stop()


# --- the accounting itself --------------------------------------------------------------------

def test_budgets_count_per_address_and_never_the_box_itself():
    from qode.budgets import Budgets

    budgets = Budgets(http_per_address=2, sockets_per_address=2, max_clients=100)
    assert budgets.staff_sockets == 5
    assert budgets.open_http("10.0.0.7") and budgets.open_http("10.0.0.7")
    assert not budgets.open_http("10.0.0.7")
    assert budgets.open_http("10.0.0.8")  # another address has its own budget
    assert all(budgets.open_http(local) for local in ["127.0.0.1", "::1"] * 10)
    budgets.close_http("10.0.0.7")
    assert budgets.open_http("10.0.0.7")
    for local in ["127.0.0.1", "::1"] * 10:
        budgets.close_http(local)  # never counted, never goes negative
    assert budgets.http == {"10.0.0.7": 2, "10.0.0.8": 1}

    assert budgets.open_socket("10.0.0.7", staff=False) is None
    assert budgets.open_socket("10.0.0.7", staff=False) is None
    assert budgets.open_socket("10.0.0.7", staff=False) == "address"
    assert budgets.open_socket("10.0.0.7", staff=True) is None  # the host tablet on that address
    budgets.close_socket("10.0.0.7", staff=False)
    assert budgets.open_socket("10.0.0.7", staff=False) is None
    # Anonymous sockets stop 5 short of 100; host and device sockets may use those 5.
    others = [budgets.open_socket(f"10.1.0.{n}", staff=False) for n in range(200)]
    assert budgets.open_sockets == 95 and others.count("full") == 200 - 92
    assert [budgets.open_socket("10.2.0.1", staff=True) for _ in range(6)] == [None] * 5 + ["full"]


def test_budgets_off_counts_nothing_against_an_address():
    from qode.budgets import Budgets

    budgets = Budgets(http_per_address=None, sockets_per_address=None, max_clients=10)
    assert all(budgets.open_http("10.0.0.7") for _ in range(100))
    assert [budgets.open_socket("10.0.0.7", staff=False) for _ in range(11)] == [None] * 10 + ["full"]


# --- read deadlines ----------------------------------------------------------------------------

def test_stalled_headers_and_bodies_get_408_and_are_closed_but_idle_sockets_live_on(tmp_path):
    proc = ServerProcess(tmp_path / "deadlines", env={
        # The body's deadline leaves the slow client (1.6 s of pauses) 4 s for the harness's own stalls.
        "QODE_HEADER_TIMEOUT": "2", "QODE_BODY_TIMEOUT": "6", "QODE_RESPONSE_TIMEOUT": "2",
        "QODE_SCHEDULER": "off"}).start()
    socks = []
    try:
        queue = make_queue(proc.url)
        live, first = open_ws(proc.port, f"/ws/queues/{queue['id']}", "127.0.0.5")
        assert live is not None and first["type"] == "snapshot"
        socks.append(live)
        started = time.monotonic()
        partial = connect_from("127.0.0.2", proc.port)
        partial.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        idle = connect_from("127.0.0.3", proc.port)
        body = connect_from("127.0.0.4", proc.port)
        body.sendall(f"POST /api/queues/{queue['id']}/tickets HTTP/1.1\r\nHost: x\r\n"
                     "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"device".encode())
        # A slow but complete body within the deadline is served as usual.
        slow = connect_from("127.0.0.6", proc.port)
        payload = json.dumps({"device_token": "device-token-slow00001"}).encode()
        slow.sendall(f"POST /api/queues/{queue['id']}/tickets HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                     f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n".encode())
        socks += [partial, idle, body, slow]
        for piece in (payload[:10], payload[10:]):
            time.sleep(0.8)
            slow.sendall(piece)
        got = drain_until_closed([partial, idle, body, slow], time.monotonic() + 20)
        assert got[slow][0].startswith(b"HTTP/1.1 201"), got[slow][0][:200]
        assert got[partial][0].startswith(b"HTTP/1.1 408"), got[partial][0][:200]
        assert b'"code": "request_timeout"' in got[partial][0]
        assert got[idle][0] == b""  # sent nothing: closed without an answer
        assert got[body][0].startswith(b"HTTP/1.1 408") and b"body did not arrive" in got[body][0]
        for sock, deadline in ((partial, 2), (idle, 2), (body, 6)):
            closed = got[sock][1]  # at its deadline, give or take a loaded machine's delays
            assert closed is not None and deadline - 0.5 <= closed - started <= deadline + 6, closed - started
        # The stalled body wrote nothing.
        listed = requests.get(f"{proc.url}/api/queues/{queue['id']}/tickets", headers=queue["headers"],
                              timeout=10).json()
        assert len(listed["tickets"]) == 1
        # The live socket opened before all this is idle past every deadline and still answers a ping.
        live.settimeout(5)
        live.sendall(ws_text_frame('{"type": "ping"}'))
        received = b""
        while b'"pong"' not in received:  # after the join's update
            chunk = live.recv(65536)
            assert chunk, "the idle live socket was closed"
            received += chunk
    finally:
        close_all(socks)
        proc.stop()
    assert "Traceback" not in proc.log.read_text()


def test_a_client_that_stops_reading_its_answers_is_cut_off(tmp_path):
    """Pipelined requests for the page's script, never read: once the buffers are full the server's
    writes wait, and QODE_RESPONSE_TIMEOUT ends the connection instead of letting it hold a slot."""
    import re

    proc = ServerProcess(tmp_path / "reader", env={"QODE_RESPONSE_TIMEOUT": "2",
                                                   "QODE_SCHEDULER": "off"}).start()
    try:
        html = requests.get(proc.url + "/", timeout=10).text
        asset = re.search(r'src="(/assets/[^"]+\.js)"', html).group(1)
        size = len(requests.get(proc.url + asset, timeout=10).content)
        worker = worker_pid(proc)
        # Counted once the two requests' connections above are closed on the server's side too
        # (taken while they still were, the new connection's file never showed above it).
        before = settled_fds(worker)
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.bind(("127.0.0.2", 0))
            sock.connect(("127.0.0.1", proc.port))
            # More than the socket buffers hold (4 MB here): each answer waits for the one before it.
            count = max(40, (8 << 20) // size + 1)
            sock.sendall(f"GET {asset} HTTP/1.1\r\nHost: x\r\n\r\n".encode() * count)
            wait_until(lambda: open_fds(worker) > before, timeout=10)
            started = time.monotonic()
            wait_until(lambda: open_fds(worker) <= before, timeout=20, step=0.2)  # the server let go
            held = time.monotonic() - started
            received = 0
            sock.settimeout(5)
            try:
                while chunk := sock.recv(65536):
                    received += len(chunk)
            except OSError:
                pass  # a reset: the server gave up on the rest
        assert received < count * size, (received, count * size)
        assert held < 10, held
        # Everyone else is served as usual.
        assert requests.get(proc.url + "/healthz", timeout=10).status_code == 200
    finally:
        proc.stop()
    assert "Traceback" not in proc.log.read_text()


def test_bodies_read_ahead_of_the_app_still_arrive_whole(tmp_path):
    """Chunked bodies, `Expect: 100-continue`, and a declared body over QODE_MAX_BODY (413 unread)."""
    proc = ServerProcess(tmp_path / "bodies", env={"QODE_BODY_TIMEOUT": "5", "QODE_SCHEDULER": "off"}).start()
    socks = []
    try:
        queue = make_queue(proc.url)
        path = f"/api/queues/{queue['id']}/tickets"
        payload = json.dumps({"device_token": "device-token-chunked01"}).encode()
        chunked = connect_from("127.0.0.2", proc.port)
        socks.append(chunked)
        chunked.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: "
                        "application/json\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
        for piece in (payload[:7], payload[7:]):
            chunked.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        chunked.sendall(b"0\r\n\r\n")
        assert drain_until_closed([chunked], time.monotonic() + 10)[chunked][0].startswith(b"HTTP/1.1 201")

        expect = connect_from("127.0.0.3", proc.port)
        socks.append(expect)
        payload = json.dumps({"device_token": "device-token-expect001"}).encode()
        expect.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: "
                       f"application/json\r\nExpect: 100-continue\r\nContent-Length: {len(payload)}\r\n\r\n"
                       .encode())
        assert expect.recv(100).startswith(b"HTTP/1.1 100 Continue")
        expect.sendall(payload)
        answer = drain_until_closed([expect], time.monotonic() + 10)[expect][0]
        assert answer.startswith(b"HTTP/1.1 201") and b"100 Continue" not in answer

        big = connect_from("127.0.0.4", proc.port)
        socks.append(big)
        big.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: "
                    "application/json\r\nContent-Length: 1000000\r\n\r\n{".encode())
        big.settimeout(10)
        assert big.recv(100).startswith(b"HTTP/1.1 413")
        listed = requests.get(f"{proc.url}{path}", headers=queue["headers"], timeout=10).json()
        assert len(listed["tickets"]) == 2
    finally:
        close_all(socks)
        proc.stop()
    assert "Traceback" not in proc.log.read_text()


@pytest.mark.parametrize("body_timeout", ["default", "off"])
def test_a_body_over_the_limit_is_a_413_the_client_reads_chunked_or_declared(tmp_path, body_timeout):
    """Over QODE_MAX_BODY (16 KiB by default) is a 413 `body_too_large`, never a body cut to the limit
    and served: a chunked body shows its size only as it comes. The client reads the 413 even when it
    sent the whole body before reading (the server drains briefly before it closes), and nothing is
    written. With QODE_BODY_TIMEOUT=off too (a review found a chunked body then read to its end)."""
    timeout = {} if body_timeout == "default" else {"QODE_BODY_TIMEOUT": body_timeout}
    proc = ServerProcess(tmp_path / "limit", env={"QODE_SCHEDULER": "off", **timeout}).start()
    socks = []
    try:
        queue = make_queue(proc.url)
        path = f"/api/queues/{queue['id']}/tickets"
        padded = json.dumps({"device_token": "device-token-chunked02"}).encode() + b" " * 30000
        head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n").encode()

        def answer_of(sock) -> bytes:
            data = drain_until_closed([sock], time.monotonic() + 10)[sock][0]
            assert data.startswith(b"HTTP/1.1 413"), data[:200]
            assert b"connection: close" in data.lower().split(b"\r\n\r\n")[0]
            assert json.loads(data.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "body_too_large"
            return data

        chunked = connect_from("127.0.0.2", proc.port)
        socks.append(chunked)
        chunked.sendall(head + b"Transfer-Encoding: chunked\r\n\r\n")
        for k in range(0, len(padded), 4096):
            piece = padded[k:k + 4096]
            chunked.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        chunked.sendall(b"0\r\n\r\n")
        answer_of(chunked)

        for source, close in (("127.0.0.3", b"Connection: close\r\n"), ("127.0.0.4", b"")):
            declared = connect_from(source, proc.port)
            socks.append(declared)
            declared.sendall(head + close + f"Content-Length: {len(padded)}\r\n\r\n".encode())
            time.sleep(0.3)  # the server answers by the declared length; the body comes after, in
            for k in range(0, len(padded), 2048):  # pieces, all sent before the answer is read
                declared.sendall(padded[k:k + 2048])  # (it once met a closed socket: a broken pipe)
                time.sleep(0.01)
            answer_of(declared)

        # A body its view reads after the credential (the logo), past its cap: 413, and closed too.
        logo = connect_from("127.0.0.5", proc.port)
        socks.append(logo)
        logo.sendall(f"PUT /api/venue/logo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n"
                     "Content-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
        piece = b"\x89PNG" + b"\0" * 65532
        for _ in range(10):  # 640 KiB, over QODE_MAX_LOGO_BYTES (512 KiB)
            logo.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        logo.sendall(b"0\r\n\r\n")
        data = drain_until_closed([logo], time.monotonic() + 10)[logo][0]
        assert data.startswith(b"HTTP/1.1 413") and b"connection: close" in data.lower().split(b"\r\n\r\n")[0]

        listed = requests.get(f"{proc.url}{path}", headers=queue["headers"], timeout=10).json()
        assert listed["tickets"] == []
    finally:
        close_all(socks)
        proc.stop()
    assert "Traceback" not in proc.log.read_text()


def test_off_means_no_deadline(tmp_path):
    proc = ServerProcess(tmp_path / "off", env={
        "QODE_HEADER_TIMEOUT": "off", "QODE_BODY_TIMEOUT": "off", "QODE_SCHEDULER": "off"}).start()
    try:
        sock = connect_from("127.0.0.2", proc.port)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        sock.settimeout(7)  # beyond gunicorn's own 5 s keep-alive wait, which no longer applies
        with pytest.raises(TimeoutError):
            sock.recv(100)
        sock.sendall(b"Connection: close\r\n\r\n")
        sock.settimeout(10)
        assert sock.recv(100).startswith(b"HTTP/1.1 200")
        sock.close()
    finally:
        proc.stop()


# --- Must show 1: stalled requests -------------------------------------------------------------

@pytest.mark.slow
def test_thousands_of_stalled_requests_from_a_few_addresses_do_not_stop_the_host(tmp_path):
    """2,400 connections from 8 addresses stall their headers or bodies; the host answers."""
    attackers = [f"127.0.0.{n}" for n in range(2, 10)]
    per_address = 300
    raise_fd_limit(len(attackers) * per_address + 1024)
    proc = ServerProcess(tmp_path / "stall", env={
        "QODE_HEADER_TIMEOUT": "5", "QODE_BODY_TIMEOUT": "5", "QODE_SCHEDULER": "off"}).start()
    attack = []
    try:
        queue = make_queue(proc.url)
        worker = worker_pid(proc)
        fds_before = open_fds(worker)
        stalled_body = (f"POST /api/queues/{queue['id']}/tickets HTTP/1.1\r\nHost: x\r\n"
                        "Content-Type: application/json\r\nContent-Length: 400\r\n\r\n{\"device_token\": "
                        ).encode()
        stalled_head = b"POST /api/queues HTTP/1.1\r\nHost: x\r\nContent-Type: appl"
        started = time.monotonic()
        refused_at_once = 0
        for n in range(per_address):
            for i, source in enumerate(attackers):
                sock = connect_from(source, proc.port)
                try:
                    sock.sendall(stalled_body if (n + i) % 2 else stalled_head)
                except OSError:
                    refused_at_once += 1  # already refused and closed by the server
                attack.append(sock)
        opened = time.monotonic() - started
        # The host (with its token) and /healthz, from an address of their own, keep answering.
        host_source = "127.0.0.20"
        timings = []
        for _ in range(5):
            status, body, took = call(proc.port, host_source, "GET", "/healthz")
            assert status == 200 and body["status"] == "ok"
            timings.append(took)
            status, body, took = call(proc.port, host_source, "GET", f"/api/queues/{queue['id']}/tickets",
                                      headers=queue["headers"])
            assert status == 200
            timings.append(took)
            status, body, took = call(proc.port, host_source, "POST", f"/api/queues/{queue['id']}/tickets",
                                      body={}, headers=queue["headers"])
            assert status == 201, body
            timings.append(took)
        held_fds = open_fds(worker)
        # Every attack connection is closed by the server within the deadline (plus slack).
        got = drain_until_closed(attack, started + opened + 5 + 10)
        still_open = [s for s, (_, closed) in got.items() if closed is None]
        answers = [data[:12] for data, _ in got.values()]
        print(f"\n{len(attack)} stalled connections from {len(attackers)} addresses opened in {opened:.1f} s; "
              f"{answers.count(b'HTTP/1.1 429')} answered 429 at accept (+{refused_at_once} reset before "
              f"sending), {answers.count(b'HTTP/1.1 408')} answered 408 at the deadline, the last closed "
              f"{max((c or 0) for _, c in got.values()) - started:.1f} s after the first opened; worker fds "
              f"{fds_before} before, {held_fds} during; host and /healthz answered {len(timings)} requests, "
              f"slowest {max(timings) * 1000:.0f} ms")
        assert not still_open, f"{len(still_open)} attack connections still open"
        last_closed = max(closed for _, closed in got.values())
        assert last_closed - started <= opened + 5 + 5  # the 5 s deadline, plus slack for a busy machine
        assert answers.count(b"HTTP/1.1 408") >= 1  # the held ones met the deadline
        assert max(timings) < 5.0  # generous: they answered, not queued behind the attack
        # The server holds no more connections than before (its fds come back).
        wait_until(lambda: open_fds(worker) <= fds_before + 2, timeout=10)
        assert held_fds - fds_before <= len(attackers) * 12 + 20  # at most the per-address budget held
        assert requests.get(f"{proc.url}/healthz", timeout=10).status_code == 200
    finally:
        close_all(attack)
        proc.stop()
    assert "Traceback" not in proc.log.read_text()


@pytest.mark.slow
def test_the_deadline_alone_frees_two_thousand_stalled_connections(tmp_path):
    """With the per-address cap off, the header and body deadlines alone clear the attack."""
    count = 2000
    # Long enough for a loaded machine to open all of them before the first one's deadline passes
    # (each starts at its accept): they are all held at once, then the deadline frees them.
    deadline = 10
    raise_fd_limit(count + 1024)
    proc = ServerProcess(tmp_path / "nocap", env={
        "QODE_HEADER_TIMEOUT": str(deadline), "QODE_BODY_TIMEOUT": str(deadline),
        "QODE_MAX_REQUESTS_PER_ADDRESS": "off", "QODE_SCHEDULER": "off"}).start()
    attack = []
    try:
        worker = worker_pid(proc)
        fds_before = open_fds(worker)
        started = time.monotonic()
        for n in range(count):
            sock = connect_from(f"127.0.0.{2 + n % 4}", proc.port)
            sock.sendall(b"POST /api/queues HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{" if n % 2
                         else b"GET /healthz HTTP/1.1\r\nHo")
            attack.append(sock)
        opened = time.monotonic() - started
        # Really held (no cap), so it is the deadline that frees them: seen before the first one's
        # deadline (none accepted before `started`) could have let any go.
        held = wait_until(lambda: (open_fds(worker) - fds_before >= count * 0.95)
                          and open_fds(worker) - fds_before, timeout=started + deadline - time.monotonic())
        status, _, took = call(proc.port, "127.0.0.20", "GET", "/healthz")
        assert status == 200
        got = drain_until_closed(attack, started + opened + deadline + 10)
        closed = [c for _, c in got.values() if c is not None]
        print(f"\n{count} stalled connections opened in {opened:.1f} s, {held} held by the worker; /healthz "
              f"meanwhile in {took * 1000:.0f} ms; all closed {max(closed) - started:.1f} s after the first")
        assert len(closed) == count
        assert max(closed) - started <= opened + deadline + 5  # the deadline, plus slack for a busy machine
        wait_until(lambda: open_fds(worker) <= fds_before + 2, timeout=10)
    finally:
        close_all(attack)
        proc.stop()
    assert "Traceback" not in proc.log.read_text()


def test_one_address_over_its_http_budget_is_refused_at_accept(tmp_path):
    proc = ServerProcess(tmp_path / "cap", env={"QODE_MAX_REQUESTS_PER_ADDRESS": "3",
                                                "QODE_SCHEDULER": "off"}).start()
    socks = []
    try:
        socks = [connect_from("127.0.0.2", proc.port) for _ in range(3)]  # held, sending nothing
        extra = connect_from("127.0.0.2", proc.port)
        extra.settimeout(5)
        answer = extra.recv(4096)  # refused before it sent a byte
        assert answer.startswith(b"HTTP/1.1 429") and b'"code": "too_many_connections"' in answer
        assert b"Retry-After: 1" in answer
        extra.close()
        # Other addresses and the box itself are not affected.
        assert call(proc.port, "127.0.0.3", "GET", "/healthz")[0] == 200
        assert requests.get(f"{proc.url}/healthz", timeout=5).status_code == 200
        # A freed place is usable again.
        socks.pop().close()
        wait_until(lambda: call(proc.port, "127.0.0.2", "GET", "/healthz")[0] == 200, timeout=10)
    finally:
        close_all(socks)
        proc.stop()
    assert "Traceback" not in proc.log.read_text()


def test_many_addresses_holding_the_http_slots_are_shed_oldest_first(tmp_path):
    """20 addresses within their budget fill every HTTP slot; the worker sheds the oldest waits."""
    proc = ServerProcess(tmp_path / "shed", env={
        "QODE_MAX_CLIENTS": "10", "QODE_HTTP_CONNECTIONS": "16", "QODE_MAX_REQUESTS_PER_ADDRESS": "2",
        "QODE_HEADER_TIMEOUT": "60", "QODE_SCHEDULER": "off"}).start()
    attack = []
    try:
        started = time.monotonic()
        for n in range(40):
            sock = connect_from(f"127.0.0.{2 + n // 2}", proc.port)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            attack.append(sock)
        status, _, took = call(proc.port, "127.0.0.30", "GET", "/healthz", timeout=30)
        assert status == 200
        assert took < 15, took  # well before the 60 s header deadline
        got = drain_until_closed(attack, time.monotonic() + 15)
        shed = [data for data, closed in got.values()
                if closed is not None and data.startswith(b"HTTP/1.1 408")]
        print(f"\n/healthz answered in {took:.1f} s with 26 slots held by 20 addresses; {len(shed)} shed (408)")
        assert shed and all(b"short of connections" in data for data in shed)
        assert time.monotonic() - started < 45
    finally:
        close_all(attack)
        proc.stop()
    assert "Traceback" not in proc.log.read_text()


def test_the_box_itself_is_not_one_capped_address(tmp_path):
    """127.0.0.1 (kiosk, display and TLS proxy on the box) is not held to one address's budget."""
    proc = ServerProcess(tmp_path / "local", env={"QODE_MAX_REQUESTS_PER_ADDRESS": "2",
                                                  "QODE_MAX_SOCKETS_PER_ADDRESS": "1",
                                                  "QODE_SCHEDULER": "off"}).start()
    socks = []
    try:
        queue = make_queue(proc.url)
        socks = [connect_from("127.0.0.1", proc.port) for _ in range(6)]  # idle HTTP connections
        assert call(proc.port, "127.0.0.1", "GET", "/healthz")[0] == 200
        for _ in range(3):
            sock, first = open_ws(proc.port, f"/ws/queues/{queue['id']}", "127.0.0.1")
            assert sock is not None, first
            socks.append(sock)
        # Another address gets 1 socket, then 4429.
        sock, first = open_ws(proc.port, f"/ws/queues/{queue['id']}", "127.0.0.2")
        assert sock is not None
        socks.append(sock)
        assert open_ws(proc.port, f"/ws/queues/{queue['id']}", "127.0.0.2") == (None, 4429)
    finally:
        close_all(socks)
        proc.stop()
    assert "Traceback" not in proc.log.read_text()


# --- Must show 2: socket flood -----------------------------------------------------------------

@pytest.mark.slow
def test_socket_flood_gets_its_cap_staff_and_guests_connect_and_memory_returns(tmp_path):
    raise_fd_limit(2000 + 1024)
    proc = ServerProcess(tmp_path / "flood").start()  # default budgets: 2000 sockets, 4 per address
    flood, keep = [], []
    try:
        queue = make_queue(proc.url)
        qid = queue["id"]
        tv = requests.post(f"{proc.url}/api/queues/{qid}/devices", json={"name": "TV", "kind": "display"},
                           headers=queue["headers"], timeout=10).json()
        ticket = requests.post(f"{proc.url}/api/queues/{qid}/tickets",
                               json={"device_token": "device-token-guest0001"}, timeout=10).json()
        worker = worker_pid(proc)

        def everyone_connects(tag: str) -> None:
            """Host, TV (device feed and public queue feed) and a guest, each from its own address."""
            for path, source, token, check in (
                (f"/ws/host/{qid}", "127.0.0.3", queue["host_token"], lambda m: m["type"] == "snapshot"),
                (f"/ws/devices/{tv['id']}", "127.0.0.4", tv["token"],
                 lambda m: m["type"] == "snapshot" and m["device"]["kind"] == "display"),
                (f"/ws/queues/{qid}", "127.0.0.5", None, lambda m: m["type"] == "snapshot"),
                (f"/ws/tickets/{ticket['id']}", "127.0.0.6", None, lambda m: m["type"] == "snapshot"),
            ):
                sock, first = open_ws(proc.port, path, source, token)
                assert sock is not None, f"{tag}: {path} refused with {first}"
                assert check(first), (tag, path, first)
                keep.append(sock)

        # Warm up (first sockets of each kind load their code), then measure idle.
        everyone_connects("warm-up")
        close_all(keep)
        keep.clear()
        time.sleep(2)
        idle = rss_mb(worker)

        # One address opens sockets in a loop: it gets its cap, the rest are refused with 4429.
        accepted, refused = [], []
        for _ in range(200):
            sock, first = open_ws(proc.port, f"/ws/queues/{qid}", "127.0.0.2")
            (accepted if sock is not None else refused).append(sock or first)
        flood += accepted
        assert len(accepted) == 4 and set(refused) == {4429} and len(refused) == 196
        everyone_connects("one address flooding")
        # A host tablet that shares the flooding address still gets in: its token, not its address.
        sock, first = open_ws(proc.port, f"/ws/host/{qid}", "127.0.0.2", queue["host_token"])
        assert sock is not None and first["type"] == "snapshot", first
        keep.append(sock)

        # A flood spread over many addresses (4 each) takes every anonymous place...
        source = 0
        spread_refused = None
        while spread_refused is None and source < 1000:
            for _ in range(4):
                sock, first = open_ws(proc.port, f"/ws/queues/{qid}",
                                      f"127.1.{source // 250}.{1 + source % 250}")
                if sock is None:
                    spread_refused = first
                    break
                flood.append(sock)
            source += 1
        peak = rss_mb(worker)
        assert spread_refused == 1013, spread_refused
        # ...and still the host, the TV's device socket and a display page on the box itself (the
        # public feed, from 127.0.0.1, no token) get in: those places are kept for them.
        for path, src, token in ((f"/ws/host/{qid}", "127.0.0.7", queue["host_token"]),
                                 (f"/ws/devices/{tv['id']}", "127.0.0.8", tv["token"]),
                                 (f"/ws/queues/{qid}", "127.0.0.1", None)):
            sock, first = open_ws(proc.port, path, src, token)
            assert sock is not None and first["type"] == "snapshot", first
            keep.append(sock)
        anonymous_open = len(flood) + 2  # + the public feed and guest of everyone_connects
        assert requests.get(f"{proc.url}/healthz", timeout=10).status_code == 200

        # The flood leaves; the worker's memory comes back to within 20% of idle.
        close_all(flood)
        flood.clear()
        close_all(keep)
        keep.clear()
        try:
            wait_until(lambda: rss_mb(worker) <= idle * 1.2, timeout=30, step=0.5)
        finally:
            print(f"\none address: {len(accepted)} accepted, {len(refused)} refused (4429); spread flood: "
                  f"{anonymous_open} anonymous sockets open before 1013; worker RSS idle {idle:.0f} MB, "
                  f"peak {peak:.0f} MB, after {rss_mb(worker):.0f} MB")
        everyone_connects("after the flood")
    finally:
        close_all(flood + keep)
        proc.stop()
    assert "Traceback" not in proc.log.read_text()
