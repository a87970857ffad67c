"""Must-show 4 (issue 15): two hosts at counters that share a service press "Call next" together
1,000 times on a real `qode serve` while guests keep joining: no ticket is called twice (in the
answers, the event log and the rows), and every service's numbers stay gap-free."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from helpers import ADMIN_TOKEN, admin

pytestmark = [pytest.mark.server, pytest.mark.slow]

CALLS = 1000  # in total, half by each host
JOINS = 1100  # concurrent with the calls, over the three services
WORKERS = 16


def test_two_hosts_at_shared_counters_never_call_a_ticket_twice_and_numbers_stay_gap_free(server):
    base = server.url
    services = {}
    for name, prefix in (("Passports", "P"), ("Payments", "Y"), ("Registration", "R")):
        made = requests.post(
            f"{base}/api/queues", json={"name": name, "prefix": prefix}, headers=admin(), timeout=10
        )
        assert made.status_code == 201
        services[prefix] = made.json()["id"]
    # Counter 1 serves Passports and Payments in order; counter 2 Payments (weight 2) and
    # Registration, by the longest effective wait: Payments is shared.
    counters = {}
    for name, rule, served in (
        ("1", "order", [("P", 1.0), ("Y", 1.0)]),
        ("2", "weighted", [("Y", 2.0), ("R", 1.0)]),
    ):
        made = requests.post(
            f"{base}/api/counters",
            json={
                "name": name,
                "rule": rule,
                "services": [{"queue_id": services[p], "weight": w} for p, w in served],
            },
            headers=admin(),
            timeout=10,
        )
        assert made.status_code == 201, made.text
        counters[name] = (made.json()["id"], {services[p] for p, _ in served})
    # Two hosts, each a staff token covering its counter's services.
    hosts = {}
    for name, (_, scope) in counters.items():
        token = requests.post(
            f"{base}/api/host-tokens",
            json={"name": f"Desk {name}", "role": "staff", "scope": "services", "services": sorted(scope)},
            headers=admin(),
            timeout=10,
        )
        assert token.status_code == 201, token.text
        hosts[name] = {"Authorization": f"Bearer {token.json()['token']}"}
    for name, (counter_id, _) in counters.items():  # each host opens its counter session
        opened = requests.post(
            f"{base}/api/counters/{counter_id}/open",
            json={"staff": f"Clerk {name}"},
            headers=hosts[name],
            timeout=10,
        )
        assert opened.status_code == 200 and opened.json()["is_open"], opened.text
    for prefix in ("P", "Y", "R"):  # a line to start from
        for n in range(40):
            requests.post(
                f"{base}/api/queues/{services[prefix]}/tickets",
                json={"device_token": f"device-token-start-{prefix}{n:04d}"},
                timeout=10,
            ).raise_for_status()

    local = threading.local()

    def session() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return local.session

    def call(n: int) -> tuple[str, int, dict]:
        name = "1" if n % 2 else "2"
        response = session().post(
            f"{base}/api/counters/{counters[name][0]}/call-next", json={}, headers=hosts[name], timeout=60
        )
        return name, response.status_code, response.json()

    def join(n: int) -> tuple[str, int, dict]:
        prefix = "PYR"[n % 3]
        response = session().post(
            f"{base}/api/queues/{services[prefix]}/tickets",
            json={"device_token": f"device-token-join-{n:06d}", "priority": n % 7 == 0},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"} if n % 7 == 0 else {},
            timeout=60,
        )
        return prefix, response.status_code, response.json()

    work = [("call", n) for n in range(CALLS)] + [("join", n) for n in range(JOINS)]
    work.sort(
        key=lambda item: (item[1] * 1000 // (CALLS if item[0] == "call" else JOINS), item[0])
    )  # interleaved
    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(lambda item: (item[0], *(call if item[0] == "call" else join)(item[1])), work))

    calls = [(name, status, body) for kind, name, status, body in results if kind == "call"]
    joins = [(prefix, status, body) for kind, prefix, status, body in results if kind == "join"]
    assert len(calls) == CALLS and len(joins) == JOINS
    # Every press got an answer: a called ticket, or 409 nobody_waiting; never anything else.
    assert {status for _, status, _ in calls} <= {200, 409}
    refused = Counter(body["error"]["code"] for _, status, body in calls if status == 409)
    assert set(refused) <= {"nobody_waiting"}, refused
    called = [(name, body) for name, status, body in calls if status == 200]
    assert len(called) > CALLS * 0.9, "most presses found someone waiting"
    # No ticket called twice, in the answers ...
    ids = Counter(body["id"] for _, body in called)
    assert max(ids.values()) == 1, [t for t, c in ids.items() if c > 1][:5]
    # ... and each counter only called its own services, with the rule's reason.
    for name, body in called:
        assert body["queue_id"] in counters[name][1] and body["counter_id"] == counters[name][0]
        assert body["reason"] in ("overdue", "streak", "priority", "order", "weighted", "only")
    assert {name for name, _ in called} == {"1", "2"}
    shared = services["Y"]
    assert {name for name, body in called if body["queue_id"] == shared} == {"1", "2"}, (
        "both called the shared one"
    )
    assert {status for _, status, _ in joins} == {201}
    reasons = dict(Counter(body["reason"] for _, body in called))
    print(f"{len(called)} called, refused {dict(refused)}, by reason {reasons}")  # shown with -s

    # The stored day says the same: the event log and the rows (read through a copy of the file).
    import sqlite3

    with sqlite3.connect(f"file:{server.data_dir / 'qode.db'}?mode=ro", uri=True) as conn:
        logged = Counter(
            row[0] for row in conn.execute("SELECT ticket_id FROM events WHERE type IN ('call', 'recall')")
        )
        assert sum(logged.values()) == len(called) and max(logged.values()) == 1
        assert set(logged) == set(ids)
        rows = dict(conn.execute("SELECT id, called_at FROM tickets WHERE called_at IS NOT NULL").fetchall())
        assert set(rows) == set(ids)
        states = Counter(
            row[0]
            for row in conn.execute(
                "SELECT status FROM tickets WHERE id IN (SELECT ticket_id FROM events WHERE type = 'call')"
            )
        )
        # A counter holds one ticket: all but the last call at each counter ended as a no-show.
        assert states["CALLED"] == 2 and states["NO_SHOW"] == len(called) - 2
        # Numbers per issuing service are 1..n with no gap and no repeat, n = every join that service took.
        took = Counter(prefix for prefix, _, _ in joins)
        for prefix, queue_id in services.items():
            numbers = [
                row[0]
                for row in conn.execute(
                    "SELECT position_number FROM tickets WHERE issued_queue_id = ? ORDER BY position_number",
                    (queue_id,),
                )
            ]
            assert numbers == list(range(1, 40 + took[prefix] + 1)), prefix
        waiting = dict(conn.execute("SELECT id, waiting_count FROM queues").fetchall())
        for queue_id in services.values():
            assert (
                waiting[queue_id]
                == conn.execute(
                    "SELECT COUNT(*) FROM tickets WHERE queue_id = ? AND status = 'WAITING'", (queue_id,)
                ).fetchone()[0]
            )
