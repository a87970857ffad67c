"""`qode bench fanout`: live fan-out latency, server memory per socket, and a join burst.

One run measures, against real servers on 127.0.0.1:

1. **Fan-out latency.** Idle WebSocket clients on the public channel `/ws/queues/{id}`
   (100, then 1,000, then 3,000 of them, held by one separate client process) and a
   host calling `POST /api/queues/{id}/call-next`: the time from sending the POST until
   the LAST client has received an update whose `state.now_serving` shows that call.
   Measured on a `qode serve` at the default `QODE_LIVE_WINDOW_MS` and on a second start
   with the window set low, so the window's share of the delay is visible.
2. **A bare reference**: the same gunicorn/gevent worker serving a minimal Flask app on the
   same WebSocket transport (qode_common.websocket) with no hub: one route keeping its sockets
   in a set, one POST that frames and sends a message to each of them directly; measured the
   same way, for the ratio qode / bare.
3. **Server memory**: the worker's VmRSS with no sockets, and per socket at each level.
4. **A join burst**: with 1,000 clients on a fresh queue, 100 joins/s for 10 s from a
   separate HTTP load process (distinct device tokens): issuance latency, and the time from
   the last join's answer until every client holds a state with the final waiting_count.

The WebSocket clients are one gevent process (`python -m qode_bench.live --ws-clients`):
handshakes on gevent sockets (a bounded pool of greenlets), then every socket is read by one
greenlet that waits on an epoll fd and drains whatever is ready with a minimal frame parser
and no JSON decoding: the fields needed are found in the message bytes (the server writes
compact JSON). A greenlet per socket cost as much CPU per message as the server's send.
Receive times are `time.monotonic()`, the same clock in every process. Every loop
is bounded by count and time; every process started here is stopped by PID or process group
in a `finally`.
"""

from __future__ import annotations

import base64
import json
import os
import random
import resource
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .issue import (
    BUSY_WARNING,
    HOST,
    BenchServer,
    _await_quiet,
    _children_of,
    _cpu_seconds,
    _http,
    _other_cpu,
    _percentile,
    _port_free,
    _system_busy,
    report_background,
)

LEVELS = (100, 1000, 3000)
CALLS = 25  # measured call-next per level (the brief asks for >= 20)
WARM_CALLS = 2  # per level, not counted
MAX_CLIENTS = 5000  # QODE_MAX_CLIENTS for the servers under test
LOW_WINDOW_MS = 5
BURST_CLIENTS = 1000
BURST_RATE = 100  # joins per second
BURST_SECONDS = 10.0
BURST_CONNS = 32  # keep-alive connections of the join load process
CONNECT_CONCURRENCY = 100  # handshakes in flight at once in the client process
WAIT_TIMEOUT = 10.0  # seconds to wait for every client to see one change
CONNECT_TIMEOUT = 120.0  # seconds for one batch of clients to connect and get their snapshot
CHILD_TIMEOUT = 30.0  # seconds for any other answer of a child process

TARGET_RATIO = 1.3  # fan-out qode / bare
TARGET_IDLE_MIB = 100.0
TARGET_PER_SOCKET_KIB = 48.0  # issue 17 (it was 60)
TARGET_BURST_P99_MS = 250.0
TARGET_BURST_SETTLE_MS = 500.0


def _raise_nofile() -> int:
    """Raise the soft open-files limit up to the hard one; return the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        want = 1 << 20 if hard == resource.RLIM_INFINITY else hard
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
            soft = want
        except (ValueError, OSError):
            pass
    return soft


_pending: dict[int, bytes] = {}  # bytes read past a line's end, per child pid


def _read_line(proc: subprocess.Popen, deadline: float, limit: int = 1 << 24) -> bytes:
    """One line from a child's stdout, by select() and os.read, bounded by time and size."""
    fd = proc.stdout.fileno()
    buf = _pending.pop(proc.pid, b"")
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise RuntimeError("a child process did not answer in time")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise RuntimeError(f"a child process exited (status {proc.poll()})")
            buf += chunk
            if len(buf) > limit:
                raise RuntimeError("a child process said too much")
    line, rest = buf.split(b"\n", 1)
    if rest:
        _pending[proc.pid] = rest
    return line + b"\n"


def _rss_kib(pid: int | None) -> int | None:
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


# ---- the WebSocket client process -------------------------------------------

_SERVING = b'"now_serving":'
_WAITING = b'"waiting_count":'
_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _serving_number(text: bytes) -> int | None:
    """The number in the first `"now_serving":"F012"` of a message (0 for null, None if absent)."""
    at = text.find(_SERVING)
    if at < 0:
        return None
    at += len(_SERVING)
    if text[at:at + 1] != b'"':
        return 0
    end = text.find(b'"', at + 1)
    try:
        return int(text[at + 1:end].lstrip(_LETTERS))
    except ValueError:
        return None


def _waiting_count(text: bytes) -> int | None:
    at = text.find(_WAITING)
    if at < 0:
        return None
    at += len(_WAITING)
    end = at
    while end < len(text) and 48 <= text[end] <= 57:
        end += 1
    return int(text[at:end]) if end > at else None


class _Clients:
    """Every socket's last seen values and when they changed, and the current target."""

    def __init__(self, port: int):
        self.port = port
        self.socks: list = []
        self.greenlets: list = []
        self.pos: list[int] = []
        self.t_pos: list[float] = []
        self.wc: list[int] = []
        self.t_wc: list[float] = []
        self.alive: list[bool] = []
        self.ready: list[bool] = []
        self.messages = 0
        self.dropped = 0
        self.failed = 0
        self.field: str | None = None
        self.target = 0
        self.done: list[bool] = []
        self.count = 0
        self.first = 0.0
        self.last = 0.0
        self.event = None
        self.n_alive = 0  # kept by hand: summing `alive` per message made the client O(N^2)
        self.epoll = None
        self.reader = None
        self.by_fd: dict[int, list] = {}

    # the target: "pos" (now_serving >= target) or "wc" (waiting_count == target)
    def _meets(self, i: int) -> bool:
        if self.field == "pos":
            return self.pos[i] >= self.target
        return self.wc[i] == self.target

    def arm(self, field: str, target: int) -> int:
        from gevent.event import Event

        self.field, self.target = field, target
        self.event = Event()
        self.count, self.first, self.last = 0, 0.0, 0.0
        self.done = [False] * len(self.alive)
        times = self.t_pos if field == "pos" else self.t_wc
        for i, alive in enumerate(self.alive):
            if alive and self._meets(i):
                self.done[i] = True
                self.count += 1
                self.last = max(self.last, times[i])
        self._check()
        return self.count

    def _check(self) -> None:
        if self.event is not None and self.count >= self.n_alive:
            self.event.set()

    def _seen(self, i: int, now: float, pos: int | None, wc: int | None) -> None:
        if pos is not None and pos != self.pos[i]:
            self.pos[i], self.t_pos[i] = pos, now
        if wc is not None and wc != self.wc[i]:
            self.wc[i], self.t_wc[i] = wc, now
        if self.field is not None and not self.done[i] and self._meets(i):
            self.done[i] = True
            self.count += 1
            self.first = self.first or now
            self.last = max(self.last, now)
            self._check()

    def add(self, path: str, n: int, pool) -> None:
        for _ in range(n):
            i = len(self.alive)
            self.socks.append(None)
            self.pos.append(-1)
            self.t_pos.append(0.0)
            self.wc.append(-1)
            self.t_wc.append(0.0)
            self.alive.append(False)
            self.ready.append(False)
            self.done.append(True)  # not counted for a target armed before it connected
            self.greenlets.append(pool.spawn(self._connect, i, path))

    def _connect(self, i: int, path: str) -> None:
        """Handshake (inside the pool's bound), then hand the socket to its reader greenlet."""
        from gevent import socket as gsocket

        sock = None
        try:
            sock = gsocket.create_connection((HOST, self.port), timeout=CONNECT_TIMEOUT / 2)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            key = base64.b64encode(os.urandom(16)).decode()
            sock.sendall(
                f"GET {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                .encode()
            )
            buf = b""
            while b"\r\n\r\n" not in buf:
                chunk = sock.recv(65536)
                if not chunk or len(buf) > 65536:
                    raise ConnectionError("handshake failed")
                buf += chunk
            head, _, rest = buf.partition(b"\r\n\r\n")
            if b" 101 " not in head.split(b"\r\n", 1)[0]:
                raise ConnectionError("no 101 Switching Protocols")
        except (OSError, ConnectionError):
            self.failed += 1
            if sock is not None:
                sock.close()
            return
        # From here on the socket is a plain non-blocking one, read by the epoll loop.
        raw = socket.socket(fileno=sock.detach())
        raw.setblocking(False)
        fd = raw.fileno()
        self.socks[i] = raw
        self.alive[i] = True
        self.n_alive += 1
        self.by_fd[fd] = [i, raw, b"", []]
        self._start_reader()
        self.epoll.register(fd, select.EPOLLIN)
        if rest:
            self._parse(fd, rest, time.monotonic())

    def _start_reader(self) -> None:
        import gevent

        if self.epoll is None:
            self.epoll = select.epoll()
            self.reader = gevent.spawn(self._reader)

    def _reader(self) -> None:
        """One greenlet for every socket: wait until the epoll fd is readable, then drain."""
        from gevent.socket import wait_read

        epoll = self.epoll
        monotonic = time.monotonic
        while self.epoll is epoll:
            wait_read(epoll.fileno())
            for fd, _ in epoll.poll(0):
                entry = self.by_fd.get(fd)
                if entry is None:
                    continue
                try:
                    data = entry[1].recv(262144)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    self._gone(fd)
                    continue
                self._parse(fd, entry[2] + data if entry[2] else data, monotonic())

    def _parse(self, fd: int, buf: bytes, now: float) -> None:
        """Take every complete frame off `buf`: text frames are matched, pings answered."""
        entry = self.by_fd[fd]
        i, raw, parts = entry[0], entry[1], entry[3]
        while len(buf) >= 2:
            b0, b1 = buf[0], buf[1]
            length = b1 & 0x7F
            at = 2
            if length == 126:
                if len(buf) < 4:
                    break
                length, at = int.from_bytes(buf[2:4], "big"), 4
            elif length == 127:
                if len(buf) < 10:
                    break
                length, at = int.from_bytes(buf[2:10], "big"), 10
            if b1 & 0x80:
                at += 4  # servers never mask, but skip a key if one came
            if len(buf) < at + length:
                break
            payload = buf[at:at + length]
            buf = buf[at + length:]
            opcode = b0 & 0x0F
            if opcode == 9:  # ping: answer with a pong (masked with a zero key)
                try:
                    raw.send(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
                except OSError:
                    pass
            elif opcode == 8:  # close
                self._gone(fd)
                return
            elif opcode in (0, 1, 2):
                parts.append(payload)
                if b0 & 0x80:
                    text = parts[0] if len(parts) == 1 else b"".join(parts)
                    parts.clear()
                    self.messages += 1
                    self.ready[i] = True
                    self._seen(i, now, _serving_number(text), _waiting_count(text))
        entry[2] = buf

    def _gone(self, fd: int) -> None:
        entry = self.by_fd.pop(fd, None)
        if entry is None:
            return
        i, raw = entry[0], entry[1]
        try:
            self.epoll.unregister(fd)
        except (OSError, ValueError):
            pass
        raw.close()
        if self.alive[i]:
            self.alive[i] = False
            self.n_alive -= 1
            self.dropped += 1
            self._check()

    def close_all(self) -> None:
        import gevent

        gevent.killall([g for g in self.greenlets if g is not None], timeout=10)  # handshakes
        for i in range(len(self.alive)):
            self.alive[i] = False  # a close asked for here is not a drop
        for fd in list(self.by_fd):
            self._gone(fd)
        if self.epoll is not None:
            epoll, self.epoll = self.epoll, None
            if self.reader is not None:
                self.reader.kill(timeout=5)
            epoll.close()
        self.__init__(self.port)


def _ws_clients_main() -> int:
    """`python -m qode_bench.live --ws-clients PORT`: commands on stdin, one JSON answer each."""
    import gevent
    from gevent.pool import Pool
    from gevent.socket import wait_read

    _raise_nofile()
    clients = _Clients(int(sys.argv[2]))
    pool = Pool(CONNECT_CONCURRENCY)
    fd = sys.stdin.fileno()
    pending = b""

    def reply(obj: dict) -> None:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    for _ in range(100_000):  # commands; the orchestrator sends a few hundred at most
        while b"\n" not in pending:
            wait_read(fd)
            data = os.read(fd, 65536)
            if not data:
                clients.close_all()
                return 0
            pending += data
        line, pending = pending.split(b"\n", 1)
        cmd = json.loads(line)
        what = cmd["cmd"]
        if what == "connect":
            start = time.monotonic()
            before = len(clients.alive)
            clients.add(cmd["path"], cmd["n"], pool)
            deadline = start + CONNECT_TIMEOUT
            new = range(before, len(clients.alive))
            while time.monotonic() < deadline:
                pool.join(timeout=max(0.0, deadline - time.monotonic()))
                if all(clients.ready[i] or not clients.alive[i] for i in new):
                    break
                gevent.sleep(0.02)
            reply({"alive": sum(clients.alive), "ready": sum(clients.ready), "failed": clients.failed,
                   "dropped": clients.dropped, "seconds": time.monotonic() - start})
        elif what == "arm":
            already = clients.arm(cmd["field"], cmd["target"])
            reply({"armed": True, "already": already})
        elif what == "wait":
            clients.event.wait(timeout=cmd["timeout"])
            reply({"count": clients.count, "alive": sum(clients.alive), "last": clients.last,
                   "first": clients.first,
                   "dropped": clients.dropped, "messages": clients.messages})
            clients.field = None
        elif what == "close":
            clients.close_all()
            reply({"closed": True})
        elif what == "exit":
            clients.close_all()
            reply({"bye": True})
            return 0
    return 0


class ClientProcess:
    """The orchestrator's handle on the WebSocket client process."""

    def __init__(self, port: int):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "qode_bench.live", "--ws-clients", str(port)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True,
        )  # fmt: skip

    def ask(self, cmd: dict, timeout: float = CHILD_TIMEOUT) -> dict:
        try:
            self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            time.sleep(0.5)
            raise RuntimeError(f"the WebSocket client process is gone (status {self.proc.poll()})") from None
        line = _read_line(self.proc, time.monotonic() + timeout)
        return json.loads(line)

    def cpu(self) -> float | None:
        return _cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.ask({"cmd": "exit"}, timeout=15)
                self.proc.wait(timeout=5)
            except (OSError, RuntimeError, ValueError, subprocess.TimeoutExpired):
                pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)


# ---- the join load process ----------------------------------------------------


def _join_load_main() -> int:
    """`python -m qode_bench.live --join-load`: spec on stdin, "ready", go line, JSON result.

    Open loop: join k is due at start + k / rate whatever happened to earlier ones, and its
    latency counts from that due time (a wait for a free connection is included).
    """
    import gevent
    from gevent.queue import Empty, Queue

    from .issue import _Conn

    _raise_nofile()
    spec = json.loads(sys.stdin.readline())
    port, queue_id, tag = spec["port"], spec["queue_id"], spec["tag"]
    total = int(spec["rate"] * spec["seconds"])
    free: Queue = Queue()
    connect_errors = 0
    for _ in range(spec["conns"]):
        conn = _Conn(port)
        try:
            conn.connect()
        except OSError:
            connect_errors += 1
        free.put(conn)
    head = (
        f"POST /api/queues/{queue_id}/tickets HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        "Accept: application/json\r\nContent-Type: application/json\r\n"
    ).encode()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    go = json.loads(sys.stdin.readline())
    start = go["start_at"]
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors: dict[str, int] = {}
    last_done = {"t": 0.0}
    timeline: list[tuple[float, float]] = []  # (due, from the start; latency ms): where the slow ones fall

    def join(k: int, due: float) -> None:
        try:
            conn = free.get(timeout=30)
        except Empty:
            errors["no_connection"] = errors.get("no_connection", 0) + 1
            return
        body = f'{{"device_token":"burst-{tag}-{k:06d}-{secrets.token_hex(4)}"}}'.encode()
        try:
            status, _ = conn.request(head + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        except (OSError, ValueError, ConnectionError) as err:
            errors[type(err).__name__] = errors.get(type(err).__name__, 0) + 1
            conn.close()
            return
        finally:
            free.put(conn)
        done = time.monotonic()
        latencies.append((done - due) * 1000.0)
        timeline.append((round(due - start, 3), round((done - due) * 1000.0, 1)))
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        if status == 201:
            last_done["t"] = max(last_done["t"], done)

    greenlets = []
    for k in range(total):
        due = start + k / spec["rate"]
        wait = due - time.monotonic()
        if wait > 0:
            gevent.sleep(wait)
        greenlets.append(gevent.spawn(join, k, due))
    gevent.joinall(greenlets, timeout=60)
    gevent.killall(greenlets, timeout=5)
    sys.stdout.write(json.dumps({
        "latencies_ms": latencies, "statuses": statuses, "errors": errors,
        "connect_errors": connect_errors, "last_done": last_done["t"],
        "sent_for": time.monotonic() - start, "timeline": sorted(timeline),
    }) + "\n")  # fmt: skip
    sys.stdout.flush()
    return 0


def run_burst(port: int, queue_id: str, tag: str) -> dict:
    child = subprocess.Popen(
        [sys.executable, "-m", "qode_bench.live", "--join-load"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    try:
        spec = {"port": port, "queue_id": queue_id, "tag": tag, "rate": BURST_RATE,
                "seconds": BURST_SECONDS, "conns": BURST_CONNS}
        child.stdin.write((json.dumps(spec) + "\n").encode())
        child.stdin.flush()
        if _read_line(child, time.monotonic() + CHILD_TIMEOUT).strip() != b"ready":
            raise RuntimeError("join load said something unexpected")
        child.stdin.write((json.dumps({"start_at": time.monotonic() + 0.1}) + "\n").encode())
        child.stdin.flush()
        line = _read_line(child, time.monotonic() + BURST_SECONDS + 90)
        child.wait(timeout=10)
        return json.loads(line)
    finally:
        if child.poll() is None:
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            child.wait(timeout=10)


# ---- the bare broadcast reference (same transport, no hub) ----------------------------------


def bare_app():
    """A minimal app on the same transport as qode (qode_common.websocket), with no hub: sockets
    kept in a set, a POST that frames and sends the message to each socket directly.

    Its message copies the shape and size of qode's public update (`state.now_serving`
    carries the call), so both are parsed the same way by the clients.
    """
    from flask import Flask, request

    from qode.sockets import SocketEnded
    from qode_common.websocket import ConnectionClosed, ServerWebSocket

    app = Flask("qode_bare_live")
    sockets: set = set()
    state = {
        "id": "00000000-0000-4000-8000-000000000000", "name": "Bare", "prefix": "F",
        "active": True, "is_paused": False, "service_day": "2024-01-01", "current_position": 0,
        "last_number_issued": 200, "now_serving": None, "waiting_count": 200,
        "avg_wait_time": 300, "eta_seconds": 60000, "counters": [],
        "created_at": "2024-01-01T00:00:00.000000+00:00",
    }  # fmt: skip
    seq = {"n": 0}

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.route("/ws/feed", websocket=True)
    def feed():
        ws = ServerWebSocket.accept(request.environ, ping_interval=25, max_message_size=65536)
        try:
            ws.send(json.dumps({"type": "snapshot", "seq": seq["n"], "state": state}, separators=(",", ":")))
            sockets.add(ws)
            while True:
                ws.receive()
        except ConnectionClosed:
            pass
        finally:
            sockets.discard(ws)
            ws.close()
        return SocketEnded()

    @app.post("/broadcast")
    def broadcast():
        seq["n"] += 1
        number = seq["n"]
        state["current_position"] = number
        state["now_serving"] = f"F{number:03d}"
        state["waiting_count"] -= 1
        event = {"seq": number, "type": "call", "number": state["now_serving"], "counter": None}
        text = json.dumps({"type": "update", "seq": number, "events": [event], "state": state},
                          separators=(",", ":"))
        sent = 0
        for ws in list(sockets):
            try:
                ws.send(text)
                sent += 1
            except (ConnectionClosed, OSError):
                sockets.discard(ws)
        return {"sent": sent, "now_serving": state["now_serving"]}

    return app


def _bare_main(port: str) -> int:
    """`python -m qode_bench.live --bare-server PORT`: serve `bare_app` like `qode serve` does."""
    from qode.serving import Server

    class Bare(Server):
        def load(self):
            return bare_app()

    Bare(HOST, int(port)).run()
    return 0


# ---- the orchestration ------------------------------------------------------------


def _start(server: BenchServer, env: dict) -> None:
    """Start `server` with `env` added to this process's environment (restored after)."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        server.start()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if server.worker_pid is None:
        workers = _children_of(server.proc.pid)
        server.worker_pid = workers[0] if workers else None


_last_used: dict[int, float] = {}


def _fresh(conn) -> None:
    """Reconnect a keep-alive connection idle for over 2 s (gunicorn closes them after 5 s)."""
    now = time.monotonic()
    if now - _last_used.get(id(conn), now) > 2.0:
        conn.close()  # http.client opens a new connection on the next request
    _last_used[id(conn)] = now


def _settled_rss(pid: int | None, seconds: float = 1.0) -> int | None:
    time.sleep(seconds)
    return _rss_kib(pid)


def measure_fanout(server: BenchServer, clients: ClientProcess, name: str, path: str,
                   call, first_number: int) -> tuple[list[dict], dict]:
    """Connect up to each level, read RSS, then time WARM_CALLS + CALLS calls at the level.

    `call()` sends the call (POST) and returns when the HTTP answer is in; the number it
    shows is `first_number`, then one more per call.
    """
    rows = []
    rss = {"idle": _settled_rss(server.worker_pid)}
    number = first_number
    have = 0
    for level in LEVELS:
        got = clients.ask({"cmd": "connect", "path": path, "n": level - have}, timeout=CONNECT_TIMEOUT + 30)
        have = level
        if got["alive"] < level or got["ready"] < level:
            print(f"  !! {name}: only {got['alive']} of {level} clients connected "
                  f"({got['ready']} with a first message, {got['failed']} failed)", file=sys.stderr, flush=True)
        rss[level] = _settled_rss(server.worker_pid)
        waited = _await_quiet()
        latencies: list[float] = []
        firsts: list[float] = []
        http_ms: list[float] = []
        missed = 0
        srv0, cli0 = _cpu_seconds(server.worker_pid), clients.cpu()
        busy0, t_a = _system_busy(), time.monotonic()
        for k in range(WARM_CALLS + CALLS):
            clients.ask({"cmd": "arm", "field": "pos", "target": number})
            t0 = time.monotonic()
            call()
            t1 = time.monotonic()
            res = clients.ask({"cmd": "wait", "timeout": WAIT_TIMEOUT}, timeout=WAIT_TIMEOUT + CHILD_TIMEOUT)
            number += 1
            if k >= WARM_CALLS:
                http_ms.append((t1 - t0) * 1000.0)
                if res["count"] >= res["alive"] and res["alive"] > 0:
                    latencies.append((res["last"] - t0) * 1000.0)
                    if res["first"]:
                        firsts.append((res["first"] - t0) * 1000.0)
                else:
                    missed += 1
            # Calls a host makes are seconds apart; leave more than the 100 ms window between
            # them (random phase) so each call meets a rested feed, as at a real counter.
            time.sleep(random.uniform(0.15, 0.25))
        t_b = time.monotonic()
        srv1, cli1 = _cpu_seconds(server.worker_pid), clients.cpu()
        busy1 = _system_busy()
        latencies.sort()
        firsts.sort()
        http_ms.sort()
        n_calls = WARM_CALLS + CALLS
        srv = (srv1 - srv0) if srv0 is not None and srv1 is not None else None
        cli = (cli1 - cli0) if cli0 is not None and cli1 is not None else None
        ours = None if srv is None or cli is None else (srv + cli) / (t_b - t_a)
        rows.append({
            "name": name, "clients": level, "alive": res["alive"], "calls": len(latencies), "missed": missed,
            "p50_ms": _percentile(latencies, 50), "p99_ms": _percentile(latencies, 99),
            "max_ms": latencies[-1] if latencies else None, "http_p50_ms": _percentile(http_ms, 50),
            "first_p50_ms": _percentile(firsts, 50),
            "srv_cpu_ms": None if srv is None else srv * 1000 / n_calls,
            "cli_cpu_ms": None if cli is None else cli * 1000 / n_calls,
            "other_cpu": _other_cpu(busy0, busy1, ours, t_b - t_a), "dropped": res["dropped"],
            "waited": waited,
        })  # fmt: skip
        print(f"  .. {name}, {level} clients: p50 {_fmt(rows[-1]['p50_ms'])} ms, "
              f"p99 {_fmt(rows[-1]['p99_ms'])} ms", file=sys.stderr, flush=True)
    return rows, rss


def _qode_run(base: Path, port: int, window_ms: int | None, label: str, do_burst: bool, profile=None):
    """One qode server start: fan-out at every level, RSS, and (optionally) the burst."""
    admin = "bench-admin-" + secrets.token_urlsafe(24)
    server = BenchServer(base / f"qode-{label}", port, admin, profile=profile, label=label)
    env = {"QODE_MAX_CLIENTS": str(MAX_CLIENTS)}
    if window_ms is not None:
        env["QODE_LIVE_WINDOW_MS"] = str(window_ms)
    clients = None
    try:
        _start(server, env)
        idle_start = _settled_rss(server.worker_pid)
        auth = {"Authorization": f"Bearer {admin}"}

        def new_queue(name: str) -> tuple[str, str]:
            status, queue = _http(port, "POST", "/api/queues", {"name": name, "prefix": "F"}, auth)
            if status != 201:
                raise RuntimeError(f"creating a queue answered {status}: {queue}")
            return queue["id"], queue["host_token"]

        queue_id, host_token = new_queue("Fan-out")
        needed = len(LEVELS) * (WARM_CALLS + CALLS) + 5
        for k in range(needed):
            status, _ = _http(port, "POST", f"/api/queues/{queue_id}/tickets",
                              {"device_token": f"fanout-device-{k:06d}"})
            if status != 201:
                raise RuntimeError(f"a join answered {status}")
        burst_queue = new_queue("Burst")[0] if do_burst else None

        import http.client

        conn = http.client.HTTPConnection(HOST, port, timeout=WAIT_TIMEOUT)
        host = {"Authorization": f"Bearer {host_token}", "Content-Type": "application/json"}

        def call() -> None:
            _fresh(conn)
            conn.request("POST", f"/api/queues/{queue_id}/call-next", body=b"{}", headers=host)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"call-next answered {response.status}")

        clients = ClientProcess(port)
        name = f"qode, window {window_ms or 100} ms"
        rows, rss = measure_fanout(server, clients, name, f"/ws/queues/{queue_id}", call, 1)
        rss["idle_at_start"] = idle_start
        conn.close()
        burst = None
        if do_burst:
            clients.ask({"cmd": "close"})
            time.sleep(1.0)
            print(f"  .. burst: {BURST_CLIENTS} clients, {BURST_RATE} joins/s for {BURST_SECONDS:g} s "
                  f"({name})", file=sys.stderr, flush=True)
            got = clients.ask({"cmd": "connect", "path": f"/ws/queues/{burst_queue}", "n": BURST_CLIENTS},
                              timeout=CONNECT_TIMEOUT + 30)
            time.sleep(0.5)
            waited = _await_quiet()
            srv0, busy0, cli0 = _cpu_seconds(server.worker_pid), _system_busy(), clients.cpu()
            kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)  # the join load, once reaped
            t_a = time.monotonic()
            result = run_burst(port, burst_queue, label)
            srv1, busy1, cli1 = _cpu_seconds(server.worker_pid), _system_busy(), clients.cpu()
            kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t_b = time.monotonic()
            _, state = _http(port, "GET", f"/api/queues/{burst_queue}")
            final = state["waiting_count"]
            clients.ask({"cmd": "arm", "field": "wc", "target": final})
            res = clients.ask({"cmd": "wait", "timeout": WAIT_TIMEOUT}, timeout=WAIT_TIMEOUT + CHILD_TIMEOUT)
            lat = sorted(result["latencies_ms"])
            settled = None
            if res["count"] >= res["alive"] > 0 and result["last_done"]:
                settled = (res["last"] - result["last_done"]) * 1000.0
            burst = {
                "name": name, "clients": got["alive"], "alive": res["alive"], "final_waiting": final,
                "joins": len(lat), "statuses": result["statuses"], "errors": result["errors"],
                "p50_ms": _percentile(lat, 50), "p99_ms": _percentile(lat, 99),
                "max_ms": lat[-1] if lat else None, "settle_ms": settled,
                "got_final": res["count"], "dropped": res["dropped"],
                "srv_cpu": None if srv0 is None or srv1 is None else (srv1 - srv0) / (t_b - t_a),
                "waited": waited,
            }  # fmt: skip
            if None not in (srv0, srv1, cli0, cli1):
                load = (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)
                ours = (srv1 - srv0 + cli1 - cli0 + load) / (t_b - t_a)
                burst["other_cpu"] = _other_cpu(busy0, busy1, ours, t_b - t_a)
        if not server.alive():
            raise RuntimeError("the qode server died during the measurement")
        return rows, rss, burst
    finally:
        if clients is not None:
            clients.stop()
        server.stop()


def _bare_run(base: Path, port: int, profile=None):
    data_dir = base / "bare"
    command = [sys.executable, "-m", "qode_bench.live", "--bare-server", str(port)]
    # serving.Server reads the QODE_* settings, so the token must look valid though unused.
    server = BenchServer(data_dir, port, "bare-unused-" + secrets.token_urlsafe(16), command,
                         profile=profile, label="bare")
    clients = None
    try:
        _start(server, {"QODE_MAX_CLIENTS": str(MAX_CLIENTS)})
        import http.client

        conn = http.client.HTTPConnection(HOST, port, timeout=WAIT_TIMEOUT)

        def call() -> None:
            _fresh(conn)
            conn.request("POST", "/broadcast", body=b"{}", headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"broadcast answered {response.status}")

        clients = ClientProcess(port)
        rows, rss = measure_fanout(server, clients, "bare broadcast", "/ws/feed", call, 1)
        conn.close()
        return rows, rss
    finally:
        if clients is not None:
            clients.stop()
        server.stop()


# ---- the report -------------------------------------------------------------------


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def render_fanout(rows: list[dict]) -> str:
    header = (f"{'fan-out: call -> last client has it':<30} {'clients':>7} {'calls':>5} {'p50 ms':>7} "
              f"{'p99 ms':>7} {'max ms':>7} {'POST ms':>7} {'1st p50':>7} {'srv CPU':>8} {'cli CPU':>8} "
              f"{'other':>6}  notes")
    lines = [header, "-" * len(header)]
    for r in rows:
        notes = []
        if r["missed"]:
            notes.append(f"{r['missed']} calls not seen by all in {WAIT_TIMEOUT:g} s")
        if r["alive"] < r["clients"]:
            notes.append(f"{r['alive']} alive")
        if r["dropped"]:
            notes.append(f"{r['dropped']} dropped")
        if r["waited"] >= 1:
            notes.append(f"waited {r['waited']:.0f} s for quiet")
        other = "-" if r["other_cpu"] is None else f"{r['other_cpu'] * 100:.0f}%"
        lines.append(
            f"{r['name']:<30} {r['clients']:>7} {r['calls']:>5} {_fmt(r['p50_ms']):>7} {_fmt(r['p99_ms']):>7} "
            f"{_fmt(r['max_ms']):>7} {_fmt(r['http_p50_ms']):>7} {_fmt(r['first_p50_ms']):>7} "
            f"{_fmt(r['srv_cpu_ms']):>5} ms "
            f"{_fmt(r['cli_cpu_ms']):>5} ms {other:>6}  {'; '.join(notes)}"
        )
    return "\n".join(lines)


def render_rss(rsses: list[tuple[str, dict]]) -> str:
    header = f"{'server RSS (worker VmRSS)':<30} {'at start':>9} {'idle':>9}" + "".join(
        f" {f'{n} sockets':>17}" for n in LEVELS)
    lines = [header, "-" * len(header)]
    for name, rss in rsses:
        cells = []
        for n in LEVELS:
            per = _per_socket(rss, n)
            cells.append(f"{_mib(rss.get(n))} ({_fmt(per)} KiB)" if per is not None else "-")
        start = rss.get("idle_at_start")
        lines.append(f"{name:<30} {_mib(start) if start else '-':>9} {_mib(rss.get('idle')):>9}"
                     + "".join(f" {c:>17}" for c in cells))
    lines.append("(idle: after setup, before the first socket; per socket: (RSS at N - idle) / N)")
    return "\n".join(lines)


def _mib(kib: int | None) -> str:
    return "-" if kib is None else f"{kib / 1024:.1f}M"


def _per_socket(rss: dict, n: int) -> float | None:
    if rss.get(n) is None or rss.get("idle") is None:
        return None
    return (rss[n] - rss["idle"]) / n


def render_burst(bursts: list[dict]) -> str:
    header = (f"{'burst: 100 joins/s for 10 s':<30} {'clients':>7} {'joins':>5} {'p50 ms':>7} {'p99 ms':>7} "
              f"{'max ms':>7} {'settle ms':>9} {'srv CPU':>8}  notes")
    lines = [header, "-" * len(header)]
    for b in bursts:
        notes = [" ".join(f"{k}x{v}" for k, v in sorted(b["statuses"].items())),
                 f"final waiting_count {b['final_waiting']}, {b['got_final']}/{b['alive']} clients have it"]
        if b["errors"]:
            notes.append("errors: " + " ".join(f"{k}x{v}" for k, v in sorted(b["errors"].items())))
        if b["dropped"]:
            notes.append(f"{b['dropped']} dropped")
        if b["waited"] >= 1:
            notes.append(f"waited {b['waited']:.0f} s for quiet")
        cpu = "-" if b["srv_cpu"] is None else f"{b['srv_cpu'] * 100:.0f}%"
        lines.append(f"{b['name']:<30} {b['clients']:>7} {b['joins']:>5} {_fmt(b['p50_ms']):>7} "
                     f"{_fmt(b['p99_ms']):>7} {_fmt(b['max_ms']):>7} {_fmt(b['settle_ms']):>9} {cpu:>8}  "
                     + "; ".join(notes))
    return "\n".join(lines)


def targets(qode_rows: dict[str, list[dict]], bare_rows: list[dict], rss: dict,
            burst: dict | None) -> list[dict]:
    checks = []
    bare = {r["clients"]: r for r in bare_rows}
    for label, rows in qode_rows.items():
        for r in rows:
            b = bare.get(r["clients"])
            for stat in ("p50_ms", "p99_ms"):
                value = r[stat] / b[stat] if b and b[stat] and r[stat] is not None else None
                checks.append({"what": f"fan-out {stat[:3]} qode/bare, {label}, N={r['clients']}",
                               "value": value, "target": TARGET_RATIO, "op": "<=", "fmt": "{:.2f}"})
    idle = rss.get("idle")
    checks.append({"what": "worker RSS idle (MiB)", "value": None if idle is None else idle / 1024,
                   "target": TARGET_IDLE_MIB, "op": "<=", "fmt": "{:.1f}"})
    for n in LEVELS:
        checks.append({"what": f"worker RSS per socket at N={n} (KiB)", "value": _per_socket(rss, n),
                       "target": TARGET_PER_SOCKET_KIB, "op": "<=", "fmt": "{:.1f}"})
    if burst is not None:
        checks.append({"what": "burst issuance p99 (ms)", "value": burst["p99_ms"],
                       "target": TARGET_BURST_P99_MS, "op": "<=", "fmt": "{:.1f}"})
        checks.append({"what": "burst last join -> all have final count (ms)", "value": burst["settle_ms"],
                       "target": TARGET_BURST_SETTLE_MS, "op": "<=", "fmt": "{:.1f}"})
    for check in checks:
        value = check["value"]
        check["verdict"] = "PASS" if value is not None and value <= check["target"] else "SHORT"
    return checks


def render_targets(checks: list[dict]) -> str:
    from .issue import render_targets as render

    return render(checks, width=50)


def main(args) -> int:
    port = args.port
    if not _port_free(port):
        print(f"qode bench: port {port} on {HOST} is in use; pick another with --port", file=sys.stderr)
        return 2
    nofile = _raise_nofile()  # inherited by the servers and the client processes
    if nofile < max(LEVELS) + 500:
        print(f"qode bench: the open-files limit is {nofile}; {max(LEVELS) + 500} are needed", file=sys.stderr)
        return 2
    import sqlite3

    from qode import __version__

    from .profile import from_cli

    # issue 17: `--profile pi` runs every server here (qode's and the bare one) on one core's
    # quota with a slow SD card's fsync; the clients and the join load stay as they are.
    profile = from_cli(args)
    if profile is None:
        return 2

    print(f"Qode {__version__} bench: live fan-out, server memory and a join burst", flush=True)
    print(f"  profile: {profile.describe()}", flush=True)
    print(f"  Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs; "
          f"servers on {HOST}:{port}, 1 gunicorn gevent worker, QODE_MAX_CLIENTS={MAX_CLIENTS}, "
          f"rate limits off; {CALLS} calls per level after {WARM_CALLS} warm-up; open files {nofile}",
          flush=True)
    report_background()
    base = Path(tempfile.mkdtemp(prefix="qode-bench-live-"))
    try:
        print("  .. qode serve at the default window", file=sys.stderr, flush=True)
        rows_default, rss_default, burst = _qode_run(base, port, None, "default", True, profile)
        print(f"  .. qode serve with QODE_LIVE_WINDOW_MS={LOW_WINDOW_MS}", file=sys.stderr, flush=True)
        rows_low, rss_low, burst_low = _qode_run(base, port, LOW_WINDOW_MS, "low", True, profile)
        print("  .. bare broadcast app (same transport, no hub)", file=sys.stderr, flush=True)
        rows_bare, rss_bare = _bare_run(base, port, profile)
    except (RuntimeError, OSError, ValueError, subprocess.SubprocessError) as err:
        print(f"qode bench: {err}", file=sys.stderr)
        return 1
    finally:
        profile.close()
        shutil.rmtree(base, ignore_errors=True)

    checks = targets({"window 100 ms": rows_default, f"window {LOW_WINDOW_MS} ms": rows_low},
                     rows_bare, rss_default, burst)
    print()
    print(render_fanout(rows_default + rows_low + rows_bare))
    print()
    print(render_rss([("qode, window 100 ms", rss_default), (f"qode, window {LOW_WINDOW_MS} ms", rss_low),
                      ("bare broadcast", rss_bare)]))
    print()
    print(render_burst([b for b in (burst, burst_low) if b is not None]))
    print()
    print(render_targets(checks))
    print()
    print("fan-out: from sending POST call-next until the last client has a message whose state.now_serving")
    print("shows that call (bare: POST /broadcast); POST ms: the HTTP answer (p50); 1st p50: until the FIRST")
    print("client has it; srv/cli CPU: worker / client")
    print("process CPU per call; other: CPU used by everything else meanwhile. settle: from the last join's")
    print("201 until every client has a state with the final waiting_count. Targets use the default window.",
          flush=True)
    noisy = [r["other_cpu"] for r in rows_default + rows_low + rows_bare if r.get("other_cpu") is not None]
    noisy += [b["other_cpu"] for b in (burst, burst_low) if b and b.get("other_cpu") is not None]
    if noisy and max(noisy) > BUSY_WARNING:
        print(f"WARNING: other work used up to {max(noisy) * 100:.0f}% of a core during the run; "
              "the figures are worse than on a quiet machine.", flush=True)
    out = getattr(args, "json", None)
    if out:
        report = {"fanout": rows_default + rows_low + rows_bare,
                  "rss": {"default": rss_default, "low": rss_low, "bare": rss_bare},
                  "burst": [burst, burst_low], "targets": checks}
        Path(out).write_text(json.dumps(report, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--ws-clients":
        sys.exit(_ws_clients_main())
    if sys.argv[1:] == ["--join-load"]:
        sys.exit(_join_load_main())
    if len(sys.argv) == 3 and sys.argv[1] == "--bare-server":
        sys.exit(_bare_main(sys.argv[2]))
    print("usage: qode bench fanout  (this module's own entry point is for its child processes)",
          file=sys.stderr)
    sys.exit(2)
