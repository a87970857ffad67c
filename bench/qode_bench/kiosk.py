"""`qode bench kiosk`: from a button press to the last byte of the ticket at the printer.

A real `qode serve`, a real `qode kiosk --button stdin` and the fake ESC/POS network printer,
all on 127.0.0.1. A press is a line written to the kiosk's standard input; the time runs
until the fake printer has received the ticket's cut (its last byte). Presses go one at a
time, as guests do.

The baseline, measured in the same run, is the same work with nothing in between: one
process that asks the printer's status, issues the ticket over HTTP with the kiosk token,
and sends the same ESC/POS bytes with a status check after them. The ratio says what the
daemon itself (stdin, threads, its checks) adds on top of the protocol.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from .issue import HOST, BenchServer, _http, _percentile

PRESSES = 200
WARMUP = 10
TARGET_P99_MS = 150.0
STATUS_QUERY = b"\x10\x04\x01\x10\x04\x04"  # DLE EOT 1 (online) and 4 (paper), as the kiosk asks


def _stats(values: list[float]) -> dict:
    ordered = sorted(values)
    return {q: _percentile(ordered, q * 100) for q in (0.5, 0.9, 0.99, 1.0)}


def _row(name: str, stats: dict) -> str:
    return (f"  {name:<34} {stats[0.5]:>7.1f} {stats[0.9]:>7.1f} {stats[0.99]:>7.1f} {stats[1.0]:>7.1f}")


def _wait_ready(port: int, queue_id: str, host_token: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, body = _http(port, "GET", f"/api/queues/{queue_id}/devices",
                        headers={"Authorization": f"Bearer {host_token}"})
        if any(d["printer"] == "ready" and d["connected"] for d in body.get("devices", [])):
            return
        time.sleep(0.1)
    raise RuntimeError("the kiosk did not come up")


def measure_kiosk(kiosk: subprocess.Popen, printer, presses: int) -> list[float]:
    latencies = []
    for _ in range(presses):
        before = len(printer.tickets)
        start = time.monotonic()
        kiosk.stdin.write(b"\n")
        kiosk.stdin.flush()
        if not printer.wait_for_tickets(before + 1, timeout=10):
            raise RuntimeError("a press printed nothing within 10 s")
        latencies.append((printer.tickets[before].last_byte_at - start) * 1000)
    return latencies


def _status(sock: socket.socket) -> None:
    sock.sendall(STATUS_QUERY)
    got = b""
    while len(got) < 2:
        chunk = sock.recv(16)
        if not chunk:
            raise RuntimeError("the printer closed the connection")
        got += chunk


def measure_direct(port: int, queue_id: str, token: str, printer, presses: int) -> list[float]:
    """The protocol's own cost: status, issue, bytes, status; no daemon."""
    from escpos.printer import Dummy

    from qode_kiosk import layout

    latencies = []
    for _ in range(presses):
        before = len(printer.tickets)
        start = time.monotonic()
        with socket.create_connection((HOST, printer.port), timeout=3) as sock:
            _status(sock)
            request = urllib.request.Request(
                f"http://{HOST}:{port}/api/queues/{queue_id}/tickets", data=b"{}", method="POST",
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}",
                         "Idempotency-Key": f"direct-{uuid.uuid4()}"})
            with urllib.request.urlopen(request, timeout=5) as response:
                ticket = json.loads(response.read())
            job = ticket.get("print_job") or {}
            paper = Dummy()
            printed = layout.Ticket(job.get("queue_name", ""), ticket["display_number"], job.get("url", ""),
                                    ticket["people_ahead"], ticket["eta_seconds"])
            layout.render(paper, printed)
            sock.sendall(paper.output)
            _status(sock)
        if not printer.wait_for_tickets(before + 1, timeout=10):
            raise RuntimeError("a direct ticket never arrived")
        latencies.append((printer.tickets[before].last_byte_at - start) * 1000)
    return latencies


def main(args) -> int:
    from qode_bench.fakeprinter import FakePrinter

    from .profile import from_cli

    port = getattr(args, "port", 8765)
    presses = PRESSES
    # issue 17: `--profile pi`: the server and the kiosk daemon each on one core's quota (a Pi
    # runs both), and every fsync of theirs slower, as on an SD card.
    profile = from_cli(args)
    if profile is None:
        return 2
    admin = "bench-admin-" + secrets.token_urlsafe(24)
    base = Path(tempfile.mkdtemp(prefix="qode-bench-kiosk-"))
    server = BenchServer(base / "server", port, admin, profile=profile)
    printer = FakePrinter().start()
    kiosk = None
    try:
        server.start()
        _, queue = _http(port, "POST", "/api/queues", {"name": "Bench", "prefix": "K"},
                         {"Authorization": f"Bearer {admin}"})
        host = {"Authorization": f"Bearer {queue['host_token']}"}
        _, device = _http(port, "POST", f"/api/queues/{queue['id']}/devices", {"name": "Bench kiosk"}, host)
        env = {**os.environ, "QODE_KIOSK_TOKEN": device["token"], **profile.env()}
        with open(base / "kiosk.log", "wb") as log:
            kiosk = subprocess.Popen(
                [sys.executable, "-m", "qode.cli", "kiosk", "--server", f"http://{HOST}:{port}",
                 "--printer", f"network:{HOST}:{printer.port}", "--button", "stdin",
                 "--data-dir", str(base / "kiosk")],
                env=env, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        profile.confine([kiosk.pid], "kiosk")
        _wait_ready(port, queue["id"], queue["host_token"])
        print(f"kiosk: press -> last byte at the printer, {presses} presses one at a time, all on loopback")
        print(f"  profile: {profile.describe()}")
        measure_kiosk(kiosk, printer, WARMUP)
        daemon = measure_kiosk(kiosk, printer, presses)
        measure_direct(port, queue["id"], device["token"], printer, WARMUP)
        direct = measure_direct(port, queue["id"], device["token"], printer, presses)
    finally:
        if kiosk is not None:
            kiosk.stdin.close()
            try:
                kiosk.wait(timeout=10)
            except subprocess.TimeoutExpired:
                kiosk.kill()
        server.stop()
        printer.stop()
        profile.close()
        shutil.rmtree(base, ignore_errors=True)
    ours, bare = _stats(daemon), _stats(direct)
    print(f"  {'(ms)':<34} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>7}")
    print(_row("qode kiosk (press -> cut)", ours))
    print(_row("baseline: status+issue+bytes", bare))
    print(f"  ratio qode/baseline: p50 {ours[0.5] / bare[0.5]:.2f}x, p99 {ours[0.99] / bare[0.99]:.2f}x")
    verdict = "PASS" if ours[0.99] <= TARGET_P99_MS else "SHORT"
    print(f"  target p99 <= {TARGET_P99_MS:.0f} ms: {ours[0.99]:.1f} ms ({verdict})")
    return 0
