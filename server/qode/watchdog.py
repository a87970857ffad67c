"""systemd's watchdog: READY=1 once the worker answers HTTP, WATCHDOG=1 only while it does.

qode.service is Type=notify with WatchdogSec=, so systemd hands the server NOTIFY_SOCKET
and WATCHDOG_USEC. A plain thread in the gunicorn master (the master is never
gevent-patched) asks the worker for GET /healthz over loopback every WatchdogSec/3 and
pings systemd only when a complete HTTP answer came back. Any status counts: /healthz
answers 503 when the disk is full, and a restart would not empty the disk, so it must
not cause a restart loop. No answer in time means the worker is wedged (frozen, stuck in
a loop, out of connection slots); after WatchdogSec without a ping systemd kills the
service and Restart= starts it again. A thread that is merely alive proves nothing.

Without NOTIFY_SOCKET (development, tests) nothing here runs.
"""

from __future__ import annotations

import math
import os
import socket
import threading
import time

# gunicorn's own worker timeout when there is no watchdog (its default).
GUNICORN_TIMEOUT = 30
# The longest a check waits for the answer; shorter when WatchdogSec is small.
CHECK_TIMEOUT = 5.0
# Before the first answer, how often to look whether the worker serves yet.
STARTUP_POLL = 0.5
# An answer bigger than this is not /healthz's: treated as an answer all the same.
MAX_ANSWER = 65536


def notify(address: str, state: str) -> bool:
    """Send `state` (e.g. "READY=1") to systemd's NOTIFY_SOCKET; '@' names are abstract sockets.

    gunicorn's own sd_notify reads NOTIFY_SOCKET from the environment, which `from_environ`
    removes so that gunicorn's early READY=1 (before any worker serves) is never sent.
    """
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(state.encode(), address)
        return True
    except OSError:
        return False


def check_address(host: str, port: int) -> tuple[str, int]:
    """Where to reach a server bound to host:port from the box itself (loopback for a wildcard)."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1", port
    if host == "::":
        return "::1", port
    return host, port


def answers(host: str, port: int, timeout: float) -> int | None:
    """The status of a complete answer to GET /healthz within `timeout` s, or None if none came."""
    deadline = time.monotonic() + timeout
    request = (f"GET /healthz HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: qode-watchdog\r\n"
               "Connection: close\r\n\r\n").encode()
    data = b""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        # A numeric address, connected directly: no getaddrinfo() (and its C library locks)
        # in a thread of a process that forks.
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect((host, port))
            sock.sendall(request)
            while len(data) < MAX_ANSWER:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                sock.settimeout(left)
                chunk = sock.recv(8192)
                if not chunk:
                    break
                data += chunk
                status = _complete(data)
                if status is not None:
                    return status
    except OSError:  # refused, reset, timed out
        return None
    return _complete(data, closed=True)


def _complete(data: bytes, closed: bool = False) -> int | None:
    """The status of `data` if it holds a whole HTTP answer (the server closing ends a body
    without a length), else None."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        return None
    headers = dict(line.lower().split(":", 1) for line in lines[1:] if ":" in line)
    length = headers.get("content-length", "").strip()
    if length.isdigit():
        return int(parts[1]) if len(body) >= int(length) else None
    if "chunked" in headers.get("transfer-encoding", ""):
        return int(parts[1]) if body.endswith(b"0\r\n\r\n") else None
    return int(parts[1]) if closed or len(data) >= MAX_ANSWER else None


class Watchdog:
    """Decides what the master tells systemd. `interval` is None when systemd wants no pings."""

    def __init__(self, address: str | None, period: float | None):
        self.address = address
        self.period = period
        self.interval = period / 3 if period else None
        self.timeout = min(CHECK_TIMEOUT, self.interval) if self.interval else CHECK_TIMEOUT
        self.thread: threading.Thread | None = None

    def settings(self) -> dict:
        """gunicorn settings: the hook that starts the checks, and a worker timeout that leaves
        the wedged worker to systemd.

        gunicorn's timeout only sees the gevent hub stop (its heartbeat greenlet), so it misses
        a worker that runs but cannot answer; the HTTP check sees both. Set to twice
        WatchdogSec, systemd always acts first, so a frozen worker is not killed twice by two
        supervisors racing, and the restart is logged ("Watchdog timeout"), counted by the
        unit's start limit, and renews the master too. Without a watchdog gunicorn keeps its 30 s.
        """
        if not self.address:
            return {}
        found = {"when_ready": self.start}
        if self.period:
            found["timeout"] = max(GUNICORN_TIMEOUT, math.ceil(2 * self.period))
        return found

    def start(self, arbiter) -> None:
        """gunicorn's when_ready hook (in the master, before the worker is forked)."""
        if self.thread is not None:
            return
        host, port = arbiter.LISTENERS[0].sock.getsockname()[:2]  # numeric, the real port
        target = check_address(host, port)
        self.thread = threading.Thread(target=self.run, args=(target, arbiter), name="qode-watchdog",
                                       daemon=True)
        self.thread.start()

    def run(self, target: tuple[str, int], arbiter) -> None:
        """Check the worker forever: READY=1 on the first answer, then WATCHDOG=1 after each one."""
        log = arbiter.log
        ready = failing = False
        while not arbiter.WORKERS:  # stay quiet while the master forks its first worker
            time.sleep(0.05)
        while True:
            began = time.monotonic()
            status = answers(*target, self.timeout)
            if status is None:
                if ready and not failing:
                    log.error("watchdog: the worker did not answer GET /healthz on %s:%s within %.1f s "
                              "(after %.0f s without an answer, systemd restarts the server)",
                              *target, self.timeout, self.period or 0)
                failing = True
            else:
                if not ready:
                    notify(self.address, f"READY=1\nSTATUS=Serving on port {target[1]}")
                    log.info("watchdog: the worker answers; told systemd READY=1%s",
                             f", pinging every {self.interval:.1f} s" if self.interval else "")
                    ready = True
                    if not self.interval:
                        return  # Type=notify without WatchdogSec: nothing more to say
                elif failing:
                    log.info("watchdog: the worker answers again (HTTP %s)", status)
                failing = False
                notify(self.address, "WATCHDOG=1")
            pause = self.interval if ready else STARTUP_POLL
            time.sleep(max(0.0, pause - (time.monotonic() - began)))


def from_environ(environ=os.environ) -> Watchdog:
    """What systemd asked for, taken out of the environment so that neither gunicorn (whose
    READY=1 would come before the worker serves) nor the worker can notify."""
    address = environ.pop("NOTIFY_SOCKET", None) or None
    usec = environ.pop("WATCHDOG_USEC", "")
    pid = environ.pop("WATCHDOG_PID", "")
    period = None
    if usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid())):
        period = int(usec) / 1_000_000
    return Watchdog(address, period)
