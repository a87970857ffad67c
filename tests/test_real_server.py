"""Ticket numbering against a real `qode serve`: concurrent joins and a kill -9 mid-burst.

The load comes from tests/load_client.py run as separate processes (each with
keep-alive sessions on several threads), so the server sees truly parallel
clients. The database file is checked directly once the server is stopped.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from helpers import ServerProcess, admin

# Load tests: the machine to itself (conftest.py, "serial").
pytestmark = [pytest.mark.server, pytest.mark.slow, pytest.mark.xdist_group("serial")]

LOAD_CLIENT = str(Path(__file__).with_name("load_client.py"))

# Day rollover resets numbering; put the service-day boundary ~12 h away so it
# cannot fall inside a test, whatever the wall clock says.
_DAY_START = (datetime.now(UTC) + timedelta(hours=12)).strftime("%H:%M")
SERVER_ENV = {"QODE_TIMEZONE": "UTC", "QODE_DAY_STARTS_AT": _DAY_START}

PROCESSES = 2
THREADS = 16
PER_THREAD = 94  # 16 × 94 = 1,504 per process, 3,008 in all
TOTAL = PROCESSES * THREADS * PER_THREAD


# ---- helpers ----------------------------------------------------------------

def _call(http: requests.Session, method: str, url: str, **kwargs) -> tuple[int, dict]:
    """One request; the response is closed at once so no connection outlives the session
    (an open keep-alive connection would hold up the server's graceful stop)."""
    with http.request(method, url, timeout=10, **kwargs) as response:
        return response.status_code, response.json()


def _create_queue(http: requests.Session, url: str) -> dict:
    status, body = _call(http, "POST", f"{url}/api/queues",
                         json={"name": "Load", "prefix": "L"}, headers=admin())
    assert status == 201, body
    return body


def _start_client(tmp_path: Path, url: str, queue_id: str, tag: str, threads: int,
                  per_thread: int, deadline: float, *extra: str) -> tuple[subprocess.Popen, Path]:
    out = tmp_path / f"client-{tag}.json"
    log = tmp_path / f"client-{tag}.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, LOAD_CLIENT, "--url", url, "--queue", queue_id, "--out", str(out),
             "--tag", tag, "--threads", str(threads), "--per-thread", str(per_thread),
             "--deadline", str(deadline), *extra],
            stdout=fh, stderr=subprocess.STDOUT,
        )
    return proc, out


def _stop_client(proc: subprocess.Popen) -> None:
    """Kill one client we started, by its PID, and reap it."""
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)


def _wait_client(proc: subprocess.Popen, out: Path, timeout: float) -> dict:
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"load client {proc.pid} still running after {timeout}s")
    log = out.with_suffix(".log").read_text()
    assert code == 0, f"load client exited {code}: {log[-2000:]}"
    assert out.exists(), f"load client wrote no results: {log[-2000:]}"
    return json.loads(out.read_text())


def _read_db(data_dir: Path, queue_id: str) -> dict:
    """Everything the assertions need from `<data_dir>/qode.db` (server stopped)."""
    path = data_dir / "qode.db"
    assert path.exists()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        last, day = conn.execute(
            "SELECT last_number_issued, service_day FROM queues WHERE id = ?", (queue_id,)
        ).fetchone()
        tickets = conn.execute(
            "SELECT id, position_number, device_token, service_day FROM tickets"
            " WHERE queue_id = ?", (queue_id,)
        ).fetchall()
        joins = conn.execute(
            "SELECT ticket_id, ticket_number FROM events WHERE queue_id = ? AND type = 'join'",
            (queue_id,),
        ).fetchall()
    return {
        "integrity": integrity,
        "last_number_issued": last,
        "service_day": day,
        "tickets": {tid: (number, token, tday) for tid, number, token, tday in tickets},
        "ticket_rows": len(tickets),
        "joins": joins,
    }


def _assert_numbering(db: dict, expected_count: int) -> None:
    """Numbers 1..N, unique, gap-free; the counter at N; one join event per ticket."""
    numbers = sorted(number for number, _, _ in db["tickets"].values())
    assert db["integrity"] == ["ok"]
    assert db["ticket_rows"] == len(db["tickets"]) == expected_count
    assert {day for _, _, day in db["tickets"].values()} == {db["service_day"]}
    assert numbers == list(range(1, expected_count + 1)), "numbers are not exactly 1..N"
    assert db["last_number_issued"] == expected_count
    join_ids = Counter(ticket_id for ticket_id, _ in db["joins"])
    assert len(db["joins"]) == expected_count
    assert set(join_ids) == set(db["tickets"])
    assert max(join_ids.values()) == 1, "a ticket has more than one join event"
    for ticket_id, number in db["joins"]:
        assert db["tickets"][ticket_id][0] == number


@pytest.fixture(params=["disk as is", "slow SD card"])
def disk(request, tmp_path) -> dict[str, str]:
    """issue 17: each durability test also runs with every fsync 20 ms slower (an LD_PRELOAD shim,
    qode_bench.profile), where group commit puts many joins in one commit."""
    if request.param == "disk as is":
        return {}
    from qode_bench.profile import ProfileError, slow_fsync_env

    folder = tmp_path / "shim"
    folder.mkdir()
    try:
        return slow_fsync_env(folder, 20)
    except ProfileError as err:
        pytest.skip(f"the slow-disk shim cannot be built here: {err}")


@pytest.fixture
def new_server(tmp_path, disk):
    """Start servers on demand; every one started is stopped (by process group) at teardown."""
    started: list[ServerProcess] = []

    def start(data_dir: Path) -> ServerProcess:
        proc = ServerProcess(data_dir, env={**SERVER_ENV, **disk})
        started.append(proc)
        return proc.start()

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture
def clients():
    """Client processes started by a test; each is killed by PID at teardown if still running."""
    started: list[subprocess.Popen] = []
    yield started
    for proc in started:
        _stop_client(proc)


# ---- tests ------------------------------------------------------------------

def test_concurrent_joins_get_unique_gap_free_numbers(tmp_path, new_server, clients):
    data_dir = tmp_path / "served"
    server = new_server(data_dir)
    with requests.Session() as http:
        queue = _create_queue(http, server.url)

    go = tmp_path / "go"
    outs = []
    for i in range(PROCESSES):
        proc, out = _start_client(tmp_path, server.url, queue["id"], f"p{i}", THREADS,
                                  PER_THREAD, 90, "--go", str(go))
        clients.append(proc)
        outs.append(out)

    # Start both processes' requests together.
    deadline = time.monotonic() + 30
    while not all(Path(f"{go}.ready-p{i}").exists() for i in range(PROCESSES)):
        assert time.monotonic() < deadline, "load clients did not get ready"
        assert all(p.poll() is None for p in clients), "a load client died while starting"
        time.sleep(0.02)
    go.touch()

    results = [_wait_client(proc, out, 120) for proc, out in zip(clients, outs, strict=True)]

    created = [ticket for result in results for ticket in result["created"]]
    for result in results:
        assert not result["errors"], result["errors"][:5]
        assert not result["others"], result["others"][:5]
        assert not result["timed_out"]
        assert len(result["created"]) == THREADS * PER_THREAD
    assert len(created) == TOTAL
    assert len({t["id"] for t in created}) == TOTAL
    assert sorted(t["number"] for t in created) == list(range(1, TOTAL + 1))

    with requests.Session() as http:
        _, state = _call(http, "GET", f"{server.url}/api/queues/{queue['id']}")
        host = {"Authorization": f"Bearer {queue['host_token']}"}
        _, listed = _call(http, "GET", f"{server.url}/api/queues/{queue['id']}/tickets",
                          headers=host)
    assert state["last_number_issued"] == TOTAL
    assert state["waiting_count"] == TOTAL
    assert [t["position_number"] for t in listed["tickets"]] == list(range(1, TOTAL + 1))

    server.stop()
    assert server.proc.returncode is not None
    db = _read_db(data_dir, queue["id"])
    _assert_numbering(db, TOTAL)
    for ticket in created:  # what each client was told is what was stored
        number, token, _ = db["tickets"][ticket["id"]]
        assert (number, token) == (ticket["number"], ticket["device_token"])
    assert "Traceback" not in server.log.read_text()


CRASH_ROUNDS = 3  # each kill lands at a random moment; several rounds catch more windows
BURST_THREADS = 8


def test_kill_9_mid_burst_loses_no_issued_ticket(tmp_path, new_server, clients):
    data_dir = tmp_path / "served"
    server = new_server(data_dir)
    with requests.Session() as http:
        queue = _create_queue(http, server.url)
    issued: dict[str, dict] = {}  # every ticket any client got a 201 for, over all rounds
    survived = 0  # last_number_issued as the restarted server reports it

    for round_ in range(CRASH_ROUNDS):
        url = f"{server.url}/api/queues/{queue['id']}"
        proc, out = _start_client(tmp_path, server.url, queue["id"], f"burst{round_}",
                                  BURST_THREADS, 1000, 40, "--tolerate-errors")
        clients.append(proc)

        # Let the burst get going, then cut the power while requests are in flight.
        with requests.Session() as http:
            deadline = time.monotonic() + 30
            while _call(http, "GET", url)[1]["last_number_issued"] < survived + 150:
                assert time.monotonic() < deadline, "the burst did not get going"
                assert proc.poll() is None, "the load client stopped early"
                time.sleep(0.02)
        server.kill()
        assert server.proc.returncode == -9

        burst = _wait_client(proc, out, 60)
        assert burst["errors"], "the kill did not interrupt the burst"
        assert not burst["others"], burst["others"][:5]
        assert not burst["timed_out"]
        assert 100 <= len(burst["created"]) < BURST_THREADS * 1000
        for ticket in burst["created"]:
            assert ticket["id"] not in issued
            issued[ticket["id"]] = ticket
        issued_max = max(t["number"] for t in issued.values())

        # Power back on: the same data dir, a fresh process.
        server = new_server(data_dir)
        url = f"{server.url}/api/queues/{queue['id']}"
        with requests.Session() as http:
            for ticket in issued.values():
                status, body = _call(http, "GET", f"{server.url}/api/tickets/{ticket['id']}")
                assert status == 200, (ticket, body)
                assert body["position_number"] == ticket["number"]
                assert body["status"] == "WAITING"
            _, state = _call(http, "GET", url)
        # It may count joins that committed but whose 201 was lost in the kill.
        assert state["last_number_issued"] >= issued_max
        assert state["last_number_issued"] - issued_max <= BURST_THREADS
        # Every number up to the counter is a live ticket: no number was skipped.
        assert state["waiting_count"] == state["last_number_issued"]
        survived = state["last_number_issued"]

    with requests.Session() as http:
        # A device that got a ticket before a crash gets the same ticket back, not a new one.
        again = next(iter(issued.values()))
        status, body = _call(http, "POST", f"{url}/tickets",
                             json={"device_token": again["device_token"]})
        assert status == 200, body
        assert (body["id"], body["position_number"]) == (again["id"], again["number"])

        # Numbering goes on from the last number issued before the crash.
        after = []
        for n in range(40):
            status, body = _call(http, "POST", f"{url}/tickets",
                                 json={"device_token": f"after_crash_{n:06d}"})
            assert status == 201, body
            after.append(body)
        assert [t["position_number"] for t in after] == list(range(survived + 1, survived + 41))
        assert _call(http, "GET", url)[1]["last_number_issued"] == survived + 40

    server.stop()
    db = _read_db(data_dir, queue["id"])
    _assert_numbering(db, survived + 40)
    for ticket in issued.values():
        assert db["tickets"][ticket["id"]][:2] == (ticket["number"], ticket["device_token"])
    for ticket in after:
        assert db["tickets"][ticket["id"]][0] == ticket["position_number"]
    assert "Traceback" not in server.log.read_text()  # one log, appended by every start
