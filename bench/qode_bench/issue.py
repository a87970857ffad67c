"""`qode bench issue`: how fast tickets are issued and read, against a real server.

One run measures, in order:

1. the raw in-process SQLite limit: the transaction `issue_ticket` writes
   (BEGIN IMMEDIATE; UPDATE … RETURNING; INSERT ticket; INSERT event; COMMIT) as
   plain SQL on a fresh database with the server's pragmas, and the rule function
   `tickets.issue_ticket` itself on another fresh database;
2. a real `qode serve` (one gevent worker) on 127.0.0.1 with a temporary data dir:
   bare `GET /healthz`, `POST /api/queues/{id}/tickets` at each concurrency (each
   level into a fresh queue made by `POST /api/queues`, with a distinct device_token
   per request), `GET /api/tickets/{id}` of the tickets issued, and `GET /healthz`
   once more so the status/healthz ratio compares measurements taken close together;
3. the ratios against their targets, each marked PASS or SHORT (the exit status is 0
   either way: a SHORT is a finding, not a failure of the benchmark).

The load comes from separate processes (`python -m qode_bench.issue --load-child`), each
running gevent greenlets over raw keep-alive HTTP/1.1 sockets, one persistent
connection per simulated client, so the generator stays far from the bottleneck;
the CPU it used is printed next to the server worker's. Every loop is bounded by
a count and by time, only 127.0.0.1 is targeted, and the server is stopped by its
process group in a `finally`.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HOST = "127.0.0.1"
HEALTHZ_CONCURRENCY = 32
BARE_CONCURRENCY = 32  # the bare reference endpoint is measured at this level only
STATUS_CONCURRENCY = 32
MAX_RAW_TX = 2_000_000  # per raw measurement, besides the time bound
MAX_REQUESTS = 2_000_000  # per HTTP measurement, split over its clients
IO_TIMEOUT = 30.0  # seconds for any one socket operation of the load generator
IDS_KEPT = 20_000  # issued ticket ids kept per measurement for the status reads
BUSY_WARNING = 0.25  # cores used by other processes above which the run is flagged
QUIET_WAIT = 30.0  # seconds each measurement waits at most for other work to calm down
CHILD_FOR = 64  # from this many clients on, the load is split over two processes

TARGET_ISSUE_RATIO = 0.30  # issuance req/s / raw SQLite tx/s
TARGET_P99_MS = 100.0  # issuance p99 at c=32
TARGET_STATUS_RATIO = 0.60  # status reads req/s / healthz req/s
TARGET_BARE_RATIO = 0.80  # issue 17: issuance req/s / the bare endpoint's, c=32, in the same run
TARGET_CEILING_TIMES = 3.0  # issue 17, Pi profile: issuance req/s / the per-commit ceiling (1 / fsync)
TARGET_PI_P99_MS = 250.0  # issue 17, Pi profile: issuance p99 at c=32

ISSUE_SQL_UPDATE = (
    "UPDATE queues SET last_number_issued = last_number_issued + 1 WHERE id = ? RETURNING last_number_issued"
)
ISSUE_SQL_TICKET = (
    "INSERT INTO tickets (id, queue_id, device_token, position_number, status, source,"
    " service_day, created_at) VALUES (:id, :queue_id, :device_token, :position_number,"
    " :status, :source, :service_day, :created_at)"
)
ISSUE_SQL_EVENT = (
    "INSERT INTO events (queue_id, type, ticket_id, ticket_number, data, service_day,"
    " created_at, mono, boot_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


# ---- figures ---------------------------------------------------------------


def _percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), int(q / 100.0 * len(sorted_values) + 0.999999)))
    return sorted_values[rank - 1]


def _summary(
    name: str,
    concurrency: int,
    count: int,
    elapsed: float,
    latencies_ms: list[float],
    unit: str,
    **extra,
) -> dict:
    latencies_ms.sort()
    return {
        "name": name,
        "concurrency": concurrency,
        "count": count,
        "seconds": round(elapsed, 3),
        "rate": count / elapsed if elapsed > 0 else 0.0,
        "unit": unit,
        "p50_ms": _percentile(latencies_ms, 50),
        "p99_ms": _percentile(latencies_ms, 99),
        **extra,
    }


# ---- 1. the raw SQLite limit ------------------------------------------------


def _fresh_db(folder: Path):
    from qode.clock import Clock
    from qode.db import Database
    from qode.migrations import migrate
    from qode.queues import create_queue

    folder.mkdir(parents=True, exist_ok=True)
    db = Database(folder / "qode.db", 5000, Clock("UTC"))
    migrate(db)
    queue, _ = create_queue(db, "Bench", "A", 300)
    return db, queue


def _timed_loop(step, seconds: float) -> tuple[int, float, list[float], dict]:
    """Run `step(i)` until `seconds` pass or MAX_RAW_TX steps; (count, elapsed, ms each, CPU)."""
    latencies: list[float] = []
    clock = time.perf_counter
    busy0, cpu0 = _system_busy(), time.process_time()
    start = clock()
    deadline = start + seconds
    i = 0
    now = start
    while i < MAX_RAW_TX and now < deadline:
        step(i)
        after = clock()
        latencies.append((after - now) * 1000.0)
        now = after
        i += 1
    elapsed = now - start
    busy1, cpu1 = _system_busy(), time.process_time()
    ours = (cpu1 - cpu0) / elapsed if elapsed > 0 else None
    cpu = {"server_cpu": ours, "other_cpu": _other_cpu(busy0, busy1, ours, elapsed)}
    return i, elapsed, latencies, cpu


def plain_issue(db, queue_id: str, day: str, device_token: str) -> tuple[str, int]:
    """The issuance transaction as plain SQL, through `Database.write()`: (ticket id, number)."""
    from qode.clock import iso

    clock = db.clock
    ticket_id = str(uuid.uuid4())
    with db.write() as conn:
        number = conn.execute(ISSUE_SQL_UPDATE, (queue_id,)).fetchone()[0]
        now = iso(clock.now())
        conn.execute(ISSUE_SQL_TICKET, {
            "id": ticket_id, "queue_id": queue_id, "device_token": device_token,
            "position_number": number, "status": "WAITING", "source": "web",
            "service_day": day, "created_at": now,
        })  # fmt: skip
        conn.execute(
            ISSUE_SQL_EVENT,
            (queue_id, "join", ticket_id, number, '{"source":"web"}', day, now, clock.monotonic(),
             clock.boot_id),
        )  # fmt: skip
    return ticket_id, number


def _raw_loop(name: str, db, step, seconds: float) -> dict:
    """Warm up, time `step` for `seconds`, and summarise it as one in-process row."""
    try:
        for i in range(50):  # warm the statement cache and the file
            step(MAX_RAW_TX + i)
        count, elapsed, lat, cpu = _timed_loop(step, seconds)
        with db.read() as conn:
            total = conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
    finally:
        db.close()
    return _summary(name, 1, count, elapsed, lat, "tx/s", note=f"{total} tickets at end", **cpu)


def raw_sql(folder: Path, seconds: float) -> dict:
    """The issuance transaction as plain SQL, with the server's schema and pragmas."""
    db, queue = _fresh_db(folder)
    queue_id, day = queue["id"], queue["service_day"]
    return _raw_loop("raw SQLite tx (plain SQL)", db,
                     lambda i: plain_issue(db, queue_id, day, f"raw-device-{i:010d}"), seconds)


def raw_rule(folder: Path, seconds: float) -> dict:
    """`tickets.issue_ticket` called directly: the SQL plus the rule's reads and view."""
    from qode.tickets import issue_ticket

    db, queue = _fresh_db(folder)
    queue_id = queue["id"]
    return _raw_loop("raw tickets.issue_ticket()", db,
                     lambda i: issue_ticket(db, queue_id, f"rule-device-{i:010d}", "web"), seconds)


def raw_under(profile, kind: str, folder: Path, seconds: float) -> dict:
    """`raw_sql` or `raw_rule`, here, or under the Pi profile in a child process that has the
    fsync shim and the server's CPU quota (it measures only once it is confined)."""
    if profile is None or not profile.active:
        return (raw_sql if kind == "sql" else raw_rule)(folder, seconds)
    child = subprocess.Popen(
        [sys.executable, "-m", "qode_bench.issue", "--raw-child", kind, str(folder), str(seconds)],
        env={**os.environ, **profile.env()}, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        profile.confine([child.pid], f"raw-{kind}")
        out, _ = child.communicate("go\n", timeout=seconds * 4 + 60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
    if child.returncode != 0:
        raise RuntimeError(f"the raw SQLite measurement under the profile failed ({child.returncode})")
    return json.loads(out.strip().splitlines()[-1])


def _raw_child_main(kind: str, folder: str, seconds: str) -> int:
    """`python -m qode_bench.issue --raw-child sql|rule DIR SECONDS`: wait for a line on stdin (the
    parent has put this process in the profile's cgroup), measure, print the row as JSON."""
    sys.stdin.readline()
    row = (raw_sql if kind == "sql" else raw_rule)(Path(folder), float(seconds))
    print(json.dumps(row), flush=True)
    return 0


# ---- 2. the server under test ----------------------------------------------


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def _http(
    port: int,
    method: str,
    path: str,
    body: dict | None = None,
    headers: dict | None = None,
    timeout: float = 5.0,
) -> tuple[int, dict]:
    import http.client

    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        hdrs = {"Content-Type": "application/json"} if payload is not None else {}
        conn.request(method, path, body=payload, headers={**hdrs, **(headers or {})})
        response = conn.getresponse()
        raw = response.read()
        return response.status, (json.loads(raw) if raw else {})
    finally:
        conn.close()


def _children_of(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(x) for x in text.split()]
    except OSError:
        pass
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _cpu_seconds(pid: int | None) -> float | None:
    """utime + stime of a live process, in seconds (None when it cannot be read)."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _system_busy() -> float | None:
    """CPU seconds all cores spent busy since boot (not idle, not waiting for I/O)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    total = sum(fields[:8])  # guest time is already counted in user
    return (total - idle) / os.sysconf("SC_CLK_TCK")


def _other_cpu(busy0, busy1, ours: float | None, seconds: float) -> float | None:
    """Cores kept busy by everything else on the machine during a measurement."""
    if busy0 is None or busy1 is None or ours is None or seconds <= 0:
        return None
    return max(0.0, (busy1 - busy0) / seconds - ours)


class BenchServer:
    """A real `qode serve` on 127.0.0.1 in its own session, stopped by process group."""

    def __init__(self, data_dir: Path, port: int, admin_token: str, command: list[str] | None = None,
                 profile=None, label: str = "server"):
        self.profile = profile  # issue 17: qode_bench.profile.Profile (None: as the machine is)
        self.label = label
        self.data_dir = data_dir
        self.port = port
        self.admin_token = admin_token
        self.log = data_dir.parent / "server.log"
        self.proc: subprocess.Popen | None = None
        self.worker_pid: int | None = None
        self.command = command or [
            sys.executable, "-m", "qode.cli", "serve",
            "--host", HOST, "--port", str(port), "--data-dir", str(data_dir),
        ]  # fmt: skip

    def start(self, timeout: float = 30.0) -> None:
        env = {
            **os.environ,
            "QODE_ADMIN_TOKEN": self.admin_token,
            "QODE_JOIN_RATE_LIMIT": "off", "QODE_QUEUE_MAX_ACTIVE": "off",
            "QODE_MAX_ACTIVE_PER_ADDRESS": "off", "QODE_MAX_ACTIVE_PER_DEVICE": "off",
            "QODE_AUTH_RATE_LIMIT": "off",
            **(self.profile.env() if self.profile is not None else {}),
        }
        env.pop("QODE_PUBLIC_URL", None)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                self.command,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"qode serve exited early:\n{self._log_tail()}")
            try:
                status, _ = _http(self.port, "GET", "/healthz", timeout=1.0)
                if status == 200:
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError(f"qode serve did not answer in {timeout:.0f}s:\n{self._log_tail()}")
        workers = _children_of(self.proc.pid)
        if not workers:
            # The answer came from some other server on this port, not from ours.
            raise RuntimeError(f"port {self.port} answered, but not from the qode serve started here")
        self.worker_pid = workers[0] if len(workers) == 1 else None
        if self.profile is not None:
            self.profile.confine([self.proc.pid, *workers], self.label)

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return "(no log)"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)


# ---- the bare reference: a minimal Flask endpoint doing only the transaction ----


def bare_app(data_dir: Path):
    """A bare Flask app on the same stack and schema whose issuance is only the transaction.

    The issue's reference point: the same gunicorn/gevent worker, the same SQLite file
    settings and the same SQL as `raw_sql`, with no validation, auth, limits or view.
    """
    from flask import Flask, request

    db, queue = _fresh_db(data_dir)
    queue_id, day = queue["id"], queue["service_day"]
    app = Flask("qode_bare")

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.get("/queue")
    def the_queue():
        return {"id": queue_id}

    @app.post("/api/queues/<qid>/tickets")
    def issue(qid):
        ticket_id, number = plain_issue(db, qid, day, request.get_json()["device_token"])
        return {"id": ticket_id, "position_number": number}, 201

    return app


def _bare_main(port: str, data_dir: str) -> int:
    """`python -m qode_bench.issue --bare-server PORT DIR`: serve `bare_app` like `qode serve` does."""
    from qode.serving import Server

    class Bare(Server):
        def load(self):
            return bare_app(Path(data_dir))

    Bare(HOST, int(port)).run()
    return 0


def measure_bare(base: Path, port: int, seconds: float, warmup: float, level: int, profile=None) -> dict:
    """Issuance through the bare endpoint at `level`, on a server of its own (under `profile`)."""
    data_dir = base / "bare"
    command = [sys.executable, "-m", "qode_bench.issue", "--bare-server", str(port), str(data_dir)]
    server = BenchServer(data_dir, port, "bench-bare-unused-admin-token", command, profile, "bare")
    server.start()
    try:
        _, queue = _http(port, "GET", "/queue")
        row, _ = run_load(
            server, "bare Flask endpoint, same tx", "issue", level, seconds, warmup,
            queue_id=queue["id"], tag=f"bare{level}",
        )  # fmt: skip
        return row
    finally:
        server.stop()


# ---- the load generator (runs in its own processes) -------------------------


class _Conn:
    """One keep-alive HTTP/1.1 connection over a gevent socket; Content-Length bodies."""

    def __init__(self, port: int):
        self.port = port
        self.sock = None
        self.buf = b""

    def connect(self) -> None:
        from gevent import socket as gsocket

        sock = gsocket.create_connection((HOST, self.port), timeout=IO_TIMEOUT)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock, self.buf = sock, b""

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock, self.buf = None, b""

    def request(self, data: bytes) -> tuple[int, bytes]:
        if self.sock is None:
            self.connect()
        sock = self.sock
        sock.sendall(data)
        buf = self.buf
        end = buf.find(b"\r\n\r\n")
        while end < 0:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            buf += chunk
            end = buf.find(b"\r\n\r\n")
            if end < 0 and len(buf) > 65536:
                raise ValueError("response head too long")
        lines = buf[:end].decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = None
        close = False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection":
                close = value.strip().lower() == "close"
            elif name == "transfer-encoding" and "chunked" in value.lower():
                raise ValueError("chunked responses are not expected")
        start = end + 4
        if length is None:
            raise ValueError("response without Content-Length")
        need = start + length
        while len(buf) < need:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection mid-body")
            buf += chunk
        body = buf[start:need]
        self.buf = buf[need:]
        if close:
            self.close()
        return status, body


def _request_maker(spec: dict):
    port, kind, proc_no = spec["port"], spec["kind"], spec["proc"]
    host = f"Host: {HOST}:{port}\r\n".encode()
    if kind == "healthz":
        data = b"GET /healthz HTTP/1.1\r\n" + host + b"Accept: application/json\r\n\r\n"
        return lambda client, n: data
    if kind == "status":
        ids = spec["ids"]
        heads = [
            f"GET /api/tickets/{i} HTTP/1.1\r\n".encode() + host + b"Accept: application/json\r\n\r\n"
            for i in ids
        ]
        count = len(heads)
        return lambda client, n: heads[(client * 7919 + n * 31 + proc_no * 104729) % count]
    if kind == "issue":
        head = (
            f"POST /api/queues/{spec['queue_id']}/tickets HTTP/1.1\r\n".encode()
            + host
            + b"Accept: application/json\r\nContent-Type: application/json\r\n"
        )
        tag = spec["tag"]

        def issue(client: int, n: int) -> bytes:
            body = f'{{"device_token":"bench-{tag}-p{proc_no}-c{client}-n{n:08d}"}}'.encode()
            return head + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body

        return issue
    raise ValueError(f"unknown kind {kind!r}")


def _child_main() -> int:
    """`python -m qode_bench.issue --load-child`: spec on stdin, "ready", go line, JSON result."""
    import gevent

    spec = json.loads(sys.stdin.readline())
    clients = spec["clients"]
    make = _request_maker(spec)
    per_client = max(1, spec["max_requests"] // max(1, clients))
    conns = [_Conn(spec["port"]) for _ in range(clients)]
    connect_errors = 0
    for conn in conns:
        try:
            conn.connect()
        except OSError:
            connect_errors += 1
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    go = json.loads(sys.stdin.readline())
    t_measure = go["measure_at"]
    t_end = go["end_at"]
    collect_ids = spec["kind"] == "issue"
    id_cap = spec.get("id_cap", 0)

    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors: dict[str, int] = {}
    ids: list[str] = []
    done = {"total": 0}
    answered = [0] * clients  # answers inside the window, per connection
    monotonic = time.monotonic

    def client(k: int, conn: _Conn) -> None:
        n = 0
        while n < per_client:
            t0 = monotonic()
            if t0 >= t_end:
                return
            data = make(k, n)
            n += 1
            try:
                status, body = conn.request(data)
            except (OSError, ValueError, ConnectionError) as err:
                t1 = monotonic()
                name = type(err).__name__
                if t_measure <= t1 <= t_end:
                    errors[name] = errors.get(name, 0) + 1
                conn.close()
                gevent.sleep(0.01)
                continue
            t1 = monotonic()
            done["total"] += 1
            if t_measure <= t1 <= t_end:
                answered[k] += 1
                latencies.append((t1 - t0) * 1000.0)
                key = str(status)
                statuses[key] = statuses.get(key, 0) + 1
            if collect_ids and status == 201 and len(ids) < id_cap:
                try:
                    ids.append(json.loads(body)["id"])
                except (ValueError, KeyError):
                    pass

    delay = go["start_at"] - monotonic()
    if delay > 0:
        time.sleep(delay)
    greenlets = [gevent.spawn(client, k, conn) for k, conn in enumerate(conns)]
    gevent.joinall(greenlets, timeout=max(0.0, t_end - monotonic()) + IO_TIMEOUT + 5)
    gevent.killall(greenlets, timeout=5)
    for conn in conns:
        conn.close()
    sys.stdout.write(
        json.dumps(
            {
                "latencies_ms": latencies,
                "statuses": statuses,
                "errors": errors,
                "connect_errors": connect_errors,
                "ids": ids,
                "total": done["total"],
                "answered": answered,
            }
        )
        + "\n"
    )
    sys.stdout.flush()
    return 0


def _read_line(proc: subprocess.Popen, deadline: float) -> bytes:
    """One line from a child's stdout, straight from the fd (communicate() reads the rest)."""
    fd = proc.stdout.fileno()
    out = b""
    while not out.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            raise RuntimeError("load generator did not get ready in time")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            byte = os.read(fd, 1)
            if not byte:
                raise RuntimeError("load generator exited before it was ready")
            out += byte
            if len(out) > 4096:
                raise RuntimeError("load generator said something unexpected")
    return out


def run_load(
    server: BenchServer,
    name: str,
    kind: str,
    concurrency: int,
    seconds: float,
    warmup: float,
    **extra,
) -> tuple[dict, list[str]]:
    """One HTTP measurement: `concurrency` keep-alive clients for warm-up + `seconds`."""
    procs = 2 if concurrency >= CHILD_FOR else 1
    shares = [concurrency // procs + (1 if i < concurrency % procs else 0) for i in range(procs)]
    children: list[subprocess.Popen] = []
    try:
        for i, share in enumerate(shares):
            child = subprocess.Popen(
                [sys.executable, "-m", "qode_bench.issue", "--load-child"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
            children.append(child)
            spec = {
                "port": server.port,
                "kind": kind,
                "clients": share,
                "proc": i,
                "max_requests": MAX_REQUESTS // procs,
                "id_cap": IDS_KEPT // procs,
                **extra,
            }
            child.stdin.write((json.dumps(spec) + "\n").encode())
            child.stdin.flush()
        deadline = time.monotonic() + 60
        for child in children:
            if _read_line(child, deadline).strip() != b"ready":
                raise RuntimeError("load generator said something unexpected")
        start = time.monotonic() + 0.05
        measure_at = start + warmup
        end_at = measure_at + seconds
        go = json.dumps({"start_at": start, "measure_at": measure_at, "end_at": end_at})
        for child in children:
            child.stdin.write((go + "\n").encode())
            child.stdin.flush()
        # CPU used by the server worker and by the load generators inside the window.
        time.sleep(max(0.0, measure_at - time.monotonic()))
        t_a, busy0 = time.monotonic(), _system_busy()
        srv0 = _cpu_seconds(server.worker_pid)
        load0 = [_cpu_seconds(c.pid) for c in children]
        time.sleep(max(0.0, end_at - time.monotonic()))
        t_b, busy1 = time.monotonic(), _system_busy()
        srv1 = _cpu_seconds(server.worker_pid)
        load1 = [_cpu_seconds(c.pid) for c in children]
        results = []
        for child in children:
            out, _ = child.communicate(timeout=IO_TIMEOUT + 30)
            if child.returncode != 0:
                raise RuntimeError(f"load generator failed (exit {child.returncode})")
            results.append(json.loads(out.decode().strip().splitlines()[-1]))
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait(timeout=10)

    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors: dict[str, int] = {}
    ids: list[str] = []
    connect_errors = 0
    per_conn: list[int] = []
    for result in results:
        latencies.extend(result["latencies_ms"])
        for key, value in result["statuses"].items():
            statuses[key] = statuses.get(key, 0) + value
        for key, value in result["errors"].items():
            errors[key] = errors.get(key, 0) + value
        ids.extend(result["ids"])
        connect_errors += result["connect_errors"]
        per_conn.extend(result["answered"])
    window = max(t_b - t_a, 1e-6)
    srv_cpu = (srv1 - srv0) / window if srv0 is not None and srv1 is not None else None
    load_cpu = None
    if all(v is not None for v in load0 + load1):
        load_cpu = sum(b - a for a, b in zip(load0, load1, strict=True)) / window
    ours = None if srv_cpu is None or load_cpu is None else srv_cpu + load_cpu
    summary = _summary(
        name,
        concurrency,
        len(latencies),
        seconds,
        latencies,
        "req/s",
        statuses=statuses,
        errors=errors,
        connect_errors=connect_errors,
        per_conn_min=min(per_conn) if per_conn else 0,
        per_conn_max=max(per_conn) if per_conn else 0,
        server_cpu=srv_cpu,
        load_cpu=load_cpu,
        other_cpu=_other_cpu(busy0, busy1, ours, window),
        load_procs=procs,
    )
    return summary, ids


def measure_server(
    server: BenchServer, levels: list[int], seconds: float, warmup: float, rows: list[dict]
) -> tuple[dict, list[dict], dict | None]:
    """Healthz, issuance at each level, then status reads; each row is appended to `rows`.

    Each level issues into a queue of its own, created by POST /api/queues: issuance reads
    scale with the tickets the queue already holds today, so every level starts from none.
    """
    port = server.port

    def new_queue(name: str) -> str:
        status, queue = _http(
            port,
            "POST",
            "/api/queues",
            {"name": name, "prefix": "B"},
            {"Authorization": f"Bearer {server.admin_token}"},
        )
        if status != 201:
            raise RuntimeError(f"creating a queue answered {status}: {queue}")
        return queue["id"]

    _progress(f"GET /healthz at c={HEALTHZ_CONCURRENCY}")
    healthz, _ = run_load(server, "GET /healthz", "healthz", HEALTHZ_CONCURRENCY, seconds, warmup)
    rows.append(healthz)
    healthz_rows = [healthz]

    issue_rows = []
    ids: list[str] = []
    issued = 0
    for level in levels:
        queue_id = new_queue(f"Bench c={level}")
        _progress(f"POST /api/queues/{{id}}/tickets at c={level}")
        row, new_ids = run_load(
            server,
            "POST /api/queues/{id}/tickets",
            "issue",
            level,
            seconds,
            warmup,
            queue_id=queue_id,
            tag=f"c{level}",
        )
        _, state = _http(port, "GET", f"/api/queues/{queue_id}")
        last = state.get("last_number_issued", 0)
        issued += last
        row["note"] = f"{last} tickets in its queue at end"
        rows.append(row)
        issue_rows.append(row)
        ids.extend(new_ids)
        if not server.alive():
            raise RuntimeError("the server died during the measurement")

    status_row = None
    if ids:
        sample = random.Random(1).sample(ids, min(len(ids), 5000))
        _progress(f"GET /api/tickets/{{id}} at c={STATUS_CONCURRENCY}")
        status_row, _ = run_load(
            server,
            "GET /api/tickets/{id}",
            "status",
            STATUS_CONCURRENCY,
            seconds,
            warmup,
            ids=sample,
        )
        status_row["note"] = f"{len(sample)} ids of {issued} tickets"
        rows.append(status_row)
        if not server.alive():
            raise RuntimeError("the server died during the measurement")
        # Healthz once more, next to the status reads: this VM's CPU speed drifts between
        # measurements, and the ratio should compare like with like (it uses the mean).
        _progress(f"GET /healthz again at c={HEALTHZ_CONCURRENCY}")
        again, _ = run_load(server, "GET /healthz (again)", "healthz", HEALTHZ_CONCURRENCY, seconds, warmup)
        rows.append(again)
        healthz_rows.append(again)
    return healthz_rows, issue_rows, status_row


# ---- the report -------------------------------------------------------------


def _fmt_ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def _fmt_cpu(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def _row_note(row: dict) -> str:
    parts = []
    if row.get("note"):
        parts.append(row["note"])
    statuses = row.get("statuses")
    if statuses:
        parts.append(" ".join(f"{k}x{v}" for k, v in sorted(statuses.items())))
    errors = dict(row.get("errors") or {})
    if row.get("connect_errors"):
        errors["connect"] = row["connect_errors"]
    if errors:
        parts.append("errors: " + " ".join(f"{k}x{v}" for k, v in sorted(errors.items())))
    if row.get("concurrency", 1) > 1 and "per_conn_max" in row:
        parts.append(f"per conn {row['per_conn_min']}..{row['per_conn_max']}")
    if row.get("load_procs", 1) > 1:
        parts.append(f"{row['load_procs']} load procs")
    return "; ".join(parts)


def render_table(rows: list[dict]) -> str:
    header = (
        f"{'measurement':<34} {'conc':>5} {'rate':>10} {'unit':<5} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'srv CPU':>8} {'load CPU':>8} {'other':>6}  notes"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row['name']:<34} {row['concurrency']:>5} {row['rate']:>10.0f} {row['unit']:<5} "
            f"{_fmt_ms(row['p50_ms']):>8} {_fmt_ms(row['p99_ms']):>8} "
            f"{_fmt_cpu(row.get('server_cpu')):>8} {_fmt_cpu(row.get('load_cpu')):>8} "
            f"{_fmt_cpu(row.get('other_cpu')):>6}  "
            f"{_row_note(row)}"
        )
    return "\n".join(lines)


def targets(raw: dict, issue_rows: list[dict], healthz_rows: list[dict], status: dict | None,
            bare: dict | None = None, profile=None) -> list[dict]:
    checks = []
    limit = raw["rate"]
    pi = profile is not None and profile.active
    ours = next((r for r in issue_rows if r["concurrency"] == BARE_CONCURRENCY), None)
    if ours and bare and bare.get("rate"):
        # issue 17: this machine, issuance against the bare endpoint doing only the transaction
        checks.append({"what": f"issuance c={BARE_CONCURRENCY} / bare endpoint",
                       "value": ours["rate"] / bare["rate"], "target": TARGET_BARE_RATIO, "op": ">=",
                       "fmt": "{:.2f}"})
    if pi and ours and profile.fsync_ms > 0:
        ceiling = 1000.0 / profile.fsync_ms
        checks.append({"what": f"issuance c={BARE_CONCURRENCY} / per-commit ceiling ({ceiling:.0f}/s)",
                       "value": ours["rate"] / ceiling, "target": TARGET_CEILING_TIMES, "op": ">=",
                       "fmt": "{:.2f}"})
    for row in issue_rows:
        checks.append(
            {
                "what": f"issuance c={row['concurrency']} / raw SQLite tx",
                "value": row["rate"] / limit if limit else 0.0,
                "target": TARGET_ISSUE_RATIO,
                "op": ">=",
                "fmt": "{:.2f}",
            }
        )
    if issue_rows:
        best = max(issue_rows, key=lambda r: r["rate"])
        checks.append(
            {
                "what": f"issuance best (c={best['concurrency']}) / raw SQLite tx",
                "value": best["rate"] / limit if limit else 0.0,
                "target": TARGET_ISSUE_RATIO,
                "op": ">=",
                "fmt": "{:.2f}",
            }
        )
    for row in issue_rows:
        if row["concurrency"] == 32:
            checks.append(
                {
                    "what": "issuance p99 at c=32 (ms)",
                    "value": row["p99_ms"],
                    "target": TARGET_PI_P99_MS if pi else TARGET_P99_MS,
                    "op": "<=",
                    "fmt": "{:.1f}",
                }
            )
    healthz = sum(r["rate"] for r in healthz_rows) / len(healthz_rows) if healthz_rows else 0.0
    if healthz and status:
        checks.append(
            {
                "what": "status reads / healthz (mean of both)",
                "value": status["rate"] / healthz,
                "target": TARGET_STATUS_RATIO,
                "op": ">=",
                "fmt": "{:.2f}",
            }
        )
    for check in checks:
        value = check["value"]
        if value is None:
            check["verdict"] = "SHORT"
        elif check["op"] == ">=":
            check["verdict"] = "PASS" if value >= check["target"] else "SHORT"
        else:
            check["verdict"] = "PASS" if value <= check["target"] else "SHORT"
    return checks


def render_targets(checks: list[dict], width: int = 50) -> str:
    header = f"{'target':<{width}} {'value':>8}  {'goal':<9} verdict"
    lines = [header, "-" * len(header)]
    for check in checks:
        value = "-" if check["value"] is None else check["fmt"].format(check["value"])
        goal = f"{check['op']} {check['fmt'].format(check['target'])}" if check["op"] else "-"
        lines.append(f"{check['what']:<{width}} {value:>8}  {goal:<9} {check['verdict']}")
    return "\n".join(lines)


def report_background() -> None:
    """Say how busy the machine was for a second before the run."""
    busy0 = _system_busy()
    time.sleep(1.0)
    background = _other_cpu(busy0, _system_busy(), 0.0, 1.0)
    if background is not None:
        print(f"  before the run, other processes kept {background * 100:.0f}% of a core busy", flush=True)


def _progress(message: str) -> None:
    """Say what is measured next, after waiting (boundedly) for other work on the machine to calm."""
    waited = _await_quiet()
    note = f" (waited {waited:.0f} s for other work to calm down)" if waited >= 1 else ""
    print(f"  .. {message}{note}", file=sys.stderr, flush=True)


def _await_quiet(max_wait: float = QUIET_WAIT, step: float = 0.5) -> float:
    """Wait until other processes use under BUSY_WARNING of a core, at most `max_wait` seconds."""
    start = time.monotonic()
    while time.monotonic() - start < max_wait:
        busy0 = _system_busy()
        time.sleep(step)
        other = _other_cpu(busy0, _system_busy(), 0.0, step)
        if other is None or other < BUSY_WARNING:
            break
    return time.monotonic() - start - step


def main(args) -> int:
    seconds = float(args.seconds)
    if not 0 < seconds <= 600:
        print("qode bench: --seconds must be between 0 and 600", file=sys.stderr)
        return 2
    try:
        levels = [int(x) for x in str(args.concurrency).split(",") if x.strip()]
    except ValueError:
        print("qode bench: --concurrency must be comma-separated whole numbers", file=sys.stderr)
        return 2
    if not levels or any(not 1 <= c <= 900 for c in levels):
        print(
            "qode bench: each concurrency must be between 1 and 900 (the worker takes 1000 connections)",
            file=sys.stderr,
        )
        return 2
    if not _port_free(args.port):
        print(
            f"qode bench: port {args.port} on {HOST} is in use; pick another with --port",
            file=sys.stderr,
        )
        return 2
    warmup = min(1.0, seconds / 5)
    import sqlite3

    from qode import __version__

    from .profile import from_cli

    profile = from_cli(args)
    if profile is None:
        return 2

    print(f"Qode {__version__} bench: ticket issuance and status reads", flush=True)
    print(
        f"  {seconds:g} s per measurement after {warmup:g} s warm-up; "
        f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} CPUs; server {HOST}:{args.port}, 1 gunicorn gevent worker",
        flush=True,
    )
    print(f"  server side: {profile.describe()}", flush=True)

    report_background()

    base = Path(tempfile.mkdtemp(prefix="qode-bench-"))
    server: BenchServer | None = None
    rows: list[dict] = []
    try:
        _progress("raw SQLite transaction (plain SQL)")
        raw = raw_under(profile, "sql", base / "raw-sql", seconds)
        rows.append(raw)
        _progress("raw tickets.issue_ticket()")
        rows.append(raw_under(profile, "rule", base / "raw-rule", seconds))

        admin_token = "bench-admin-" + secrets.token_urlsafe(24)
        server = BenchServer(base / "served", args.port, admin_token, profile=profile)
        _progress("starting qode serve")
        server.start()
        healthz_rows, issue_rows, status_row = measure_server(server, levels, seconds, warmup, rows)
        server.stop()
        server = None
        level = BARE_CONCURRENCY
        _progress(f"bare Flask endpoint doing only the transaction, c={level}")
        bare = measure_bare(base, args.port, seconds, warmup, level, profile)
        rows.append(bare)
    except (RuntimeError, OSError, ValueError, subprocess.SubprocessError) as err:
        print(f"qode bench: {err}", file=sys.stderr)
        if rows:
            print(render_table(rows))
        return 1
    finally:
        if server is not None:
            server.stop()
        profile.close()
        shutil.rmtree(base, ignore_errors=True)

    checks = targets(raw, issue_rows, healthz_rows, status_row, bare, profile)
    # Context, not targets: how far the bare stack gets here.
    if bare.get("rate") and raw.get("rate"):
        checks.append({"what": f"bare endpoint c={BARE_CONCURRENCY} / raw SQLite tx", "op": None,
                       "value": bare["rate"] / raw["rate"], "fmt": "{:.2f}", "verdict": "reference"})
    print()
    print(render_table(rows))
    print()
    print(render_targets(checks))
    print()
    print("srv CPU: the gunicorn worker's CPU time / wall time (100% = one core saturated);")
    print("load CPU: the same for the load-generator process(es); raw rows: the bench process itself.")
    print("other: CPU that everything else on the machine used meanwhile (should be near 0%).", flush=True)
    noisy = [r["other_cpu"] for r in rows if r.get("other_cpu") is not None]
    if noisy and max(noisy) > BUSY_WARNING:
        print(
            f"WARNING: other work used up to {max(noisy) * 100:.0f}% of a core during the run; "
            "the figures are lower than on a quiet machine.",
            flush=True,
        )
    out = getattr(args, "json", None)
    if out:
        Path(out).write_text(json.dumps({"rows": rows, "targets": checks}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--load-child"]:
        sys.exit(_child_main())
    if len(sys.argv) == 5 and sys.argv[1] == "--raw-child":
        sys.exit(_raw_child_main(*sys.argv[2:]))
    if len(sys.argv) == 4 and sys.argv[1] == "--bare-server":
        sys.exit(_bare_main(sys.argv[2], sys.argv[3]))
    print(
        "usage: qode bench issue  (this module's own entry point is for its load children)",
        file=sys.stderr,
    )
    sys.exit(2)
