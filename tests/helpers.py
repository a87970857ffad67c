"""Shared test helpers: a fake clock and a real `qode serve` process."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from qode.clock import Clock

ADMIN_TOKEN = "test-admin-token-0123456789abcdef"
# The flood caps (issue 11) are off like the rate limits, except in the tests about them.
NO_CAPS = {"QODE_QUEUE_MAX_ACTIVE": "off", "QODE_MAX_ACTIVE_PER_ADDRESS": "off",
           "QODE_MAX_ACTIVE_PER_DEVICE": "off",
           "QODE_SMS_PHONE_RATE_LIMIT": "off"}  # issue 16: sms (tests/test_sms_e2e.py turns it on)
QODE = str(Path(sys.executable).with_name("qode"))


class FakeClock(Clock):
    """Wall and monotonic time that only move when a test moves them."""

    def __init__(self, start: datetime, tz: str = "UTC", day_starts_at=None):
        from datetime import time as dtime

        super().__init__(tz, day_starts_at or dtime(4, 0), ntp=None)
        self._now = start
        self._mono = 1000.0

    def system_now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, **delta) -> None:
        step = timedelta(**delta)
        self._now += step
        self._mono += step.total_seconds()

    def set(self, moment: datetime) -> None:
        self._now = moment


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """A real `qode serve` on 127.0.0.1, stopped by its process group id."""

    def __init__(self, data_dir: Path, env: dict | None = None, port: int | None = None):
        self.data_dir = Path(data_dir)
        # A port the caller chose, or one a client already knows after the first start, must stay;
        # a port free_port() picked may be swapped for another if someone else took it meanwhile.
        self.port_fixed = port is not None
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "QODE_ADMIN_TOKEN": ADMIN_TOKEN,
            "QODE_JOIN_RATE_LIMIT": "off", **NO_CAPS,
            "QODE_AUTH_RATE_LIMIT": "off",
            **(env or {}),
        }
        self.proc: subprocess.Popen | None = None
        self.extra_args: list[str] = []
        self.command = [QODE]  # or e.g. [sys.executable, "-m", "qode.cli"]
        self.log = self.data_dir / "server.log"

    def start(self, timeout: float = 20.0, healthy: bool = True) -> ServerProcess:
        """Start, and wait until /healthz says 200 (or, not `healthy`, until it answers at all) from
        this process: free_port()'s port is free when picked, but another server (another test, in
        parallel, or another checkout's) can bind it before ours does. Ours then cannot bind, and
        the other one answered /healthz in its place: a test talked to a server with other settings.
        A picked port is then swapped for a fresh one; a fixed port is an error."""
        for _ in range(5):
            taken = self._start_once(timeout, healthy)
            if not taken:
                self.port_fixed = True  # clients know this port now: a restart keeps it
                return self
            if self.port_fixed:
                raise RuntimeError(f"port {self.port} was taken by another process: {taken}")
            self.port = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
        raise RuntimeError(f"no free port kept for qode serve after 5 tries: {taken}")

    def _listening_here(self) -> bool:
        """Whether the socket listening on our port is our process's (gunicorn's master holds it)."""
        inodes = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                rows = Path(table).read_text().splitlines()[1:]
            except OSError:
                continue
            for row in rows:
                fields = row.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == self.port:  # 0A: LISTEN
                    inodes.add(f"socket:[{fields[9]}]")
        try:
            fds = os.listdir(f"/proc/{self.proc.pid}/fd")
        except OSError:
            return False
        for fd in fds:
            try:
                if os.readlink(f"/proc/{self.proc.pid}/fd/{fd}") in inodes:
                    return True
            except OSError:
                continue
        return False

    def _start_once(self, timeout: float, healthy: bool) -> str | None:
        """One start on self.port: None once our server answers, or why the port was not ours."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [*self.command, "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 "--data-dir", str(self.data_dir), *self.extra_args],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                said = self.log.read_text()[-2000:]
                if "Connection in use" in said:  # gunicorn could not bind: someone has the port
                    return f"qode serve could not bind port {self.port}"
                raise RuntimeError(f"qode serve exited: {said}")
            try:
                answered = requests.get(self.url + "/healthz", timeout=1).status_code == 200 or not healthy
            except requests.RequestException:
                answered = False
            if answered:
                if self._listening_here():
                    return None
                self.stop()
                return f"another process answered on port {self.port}"
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"qode serve did not answer in {timeout}s: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL the whole process group: master and worker die at once, like a power cut."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def admin(token: str = ADMIN_TOKEN) -> dict:
    return {"Authorization": f"Bearer {token}"}


# A request that would leave this machine: http(s) or ws(s) to any host but 127.0.0.1 or localhost.
AWAY = re.compile(r"^(?:https?|wss?)://(?!(?:127\.0\.0\.1|localhost)(?:[:/?#]|$))", re.IGNORECASE)


def keep_local(context) -> list[str]:
    """Abort every request of the Playwright `context` that would leave this machine; the list
    returned collects their addresses (a test asserts it stays empty)."""
    strays: list[str] = []

    def refuse(route):
        strays.append(route.request.url)
        route.abort()

    context.route(AWAY, refuse)
    return strays


def ws_client_class():
    """The WebSocket client the tests use: qode_common.websocket.Client (wsproto's public API).

    Frames that arrive with the handshake's 101 (the snapshot, or the close of a refused socket)
    are handed on at once, as a browser does; a refused socket connects, and its `receive()`
    raises ConnectionClosed with the close code.
    """
    from qode_common.websocket import Client

    return Client


class KioskProcess:
    """A real `qode kiosk --button stdin`: each `press()` writes one line to its standard input."""

    def __init__(self, workdir: Path, server: str, token: str | None, printer: str, env: dict | None = None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log = self.workdir / "kiosk.log"
        self.args = [QODE, "kiosk", "--server", server, "--printer", printer, "--button", "stdin",
                     "--data-dir", str(self.workdir)]
        self.env = {**os.environ, "QODE_KIOSK_STATUS_SECONDS": "1",
                    "QODE_KIOSK_ADMIN_TOKEN_FILE": str(self.workdir / "no-admin-token"), **(env or {})}
        if token:
            self.env["QODE_KIOSK_TOKEN"] = token  # not a flag: flags show in `ps`
        self.proc: subprocess.Popen | None = None

    def start(self) -> KioskProcess:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.args, env=self.env, stdin=subprocess.PIPE, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def press(self) -> None:
        assert self.proc is not None and self.proc.poll() is None, self.log.read_text()[-2000:]
        self.proc.stdin.write(b"\n")
        self.proc.stdin.flush()

    def output(self) -> str:
        return self.log.read_text()

    def wait_for_output(self, text: str, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return True
            time.sleep(0.05)
        return False

    def stop(self) -> int | None:
        """End of input stops the kiosk; SIGKILL its group if it does not go."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        try:
            self.proc.stdin.close()
            return self.proc.wait(timeout=10)
        except (subprocess.TimeoutExpired, BrokenPipeError):
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait(timeout=10)


def wait_until(check, timeout: float = 10.0, step: float = 0.05, page=None):
    """Poll `check()` until it returns something truthy (returned), or fail after `timeout`.

    After acting on a Playwright `page` whose context has a route handler (every request guard),
    pass it as `page`: the handler runs in this process only while a Playwright call is in
    progress, so a plain sleep would hold the page's requests until the wait is over."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout} s")
        if page is not None:
            page.wait_for_timeout(step * 1000)
        else:
            time.sleep(step)


def ws_until(ws, predicate, timeout: float = 10.0, what: str = "the expected message") -> dict:
    """The first JSON message on `ws` that `predicate` accepts (the ones before it are skipped); fail
    after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        raw = ws.receive(timeout=max(0.01, deadline - time.monotonic()))
        if raw is None:
            continue
        message = json.loads(raw)
        if predicate(message):
            return message
    raise AssertionError(f"{what} did not come within {timeout} s")


# --- Commands that need root -------------------------------------------------------------------
#
# mount, systemd-nspawn, nsenter, debootstrap, tcpdump, udevadm in a private mount namespace and
# useradd under a scratch root need root. The tests run them as they are when pytest runs as root,
# else through `sudo -n` (`make test` checks first that a developer who is not root has
# passwordless sudo), and never skip for want of root.

SBIN = ("/usr/local/sbin", "/usr/sbin", "/sbin")


def system_tool(name: str) -> str | None:
    """A system tool's path, looked for in the sbin folders too (a user's PATH has none of them)."""
    return shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", os.defpath), *SBIN]))


def privileged(command: list[str], env: dict[str, str] | None = None) -> list[str]:
    """`command` as root: unchanged for root, else through `sudo -n`. `env` are variables the
    command needs (sudo starts it with a clean environment), passed through `env`."""
    if env:
        command = ["env", *(f"{name}={value}" for name, value in env.items()), *command]
    return command if os.geteuid() == 0 else ["sudo", "-n", *command]


def require_root() -> None:
    """Fail (never skip) when the tests can neither act as root nor use passwordless sudo."""
    import pytest

    if os.geteuid() == 0:
        return
    if shutil.which("sudo") is None:
        pytest.fail("this test runs commands as root: run the tests as root, or install sudo and give "
                    "this user passwordless sudo (README, \"The two commands\")")
    done = subprocess.run(["sudo", "-n", "true"], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        pytest.fail(f"this test runs commands as root through `sudo -n`, which refused: {done.stderr.strip()} "
                    "(give this user passwordless sudo, or run the tests as root)")


def signal_group(pgid: int, sig: int) -> None:
    """Signal a process group, through `sudo -n kill` when it runs as root and we do not."""
    if os.geteuid() == 0:
        os.killpg(pgid, sig)
        return
    subprocess.run(["sudo", "-n", "kill", f"-{signal.Signals(sig).name.removeprefix('SIG')}", "--", f"-{pgid}"],
                   capture_output=True, timeout=30)


def remove_as_root(path: Path) -> None:
    """Remove a tree that root made (a scratch root, a copied container); nothing if it is gone."""
    if os.geteuid() == 0:
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        subprocess.run(["sudo", "-n", "rm", "-rf", "--one-file-system", str(path)], capture_output=True,
                       timeout=600)


def done_within(seconds: float, work):
    """`work()`'s result (or its exception), or fail after `seconds`. A deadline only, for a step
    that would otherwise wait out a timeout the test has made far longer: a hang fails it, a slow
    machine does not."""
    outcome: list = []

    def run():
        try:
            outcome.append(("returned", work()))
        except BaseException as err:  # noqa: BLE001 - handed to the test's thread
            outcome.append(("raised", err))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"still waiting after {seconds} s: it waits out the timeout"
    kind, value = outcome[0]
    if kind == "raised":
        raise value
    return value
