"""Issue 14, must-show 4: a counter never holds two active (CALLED or SERVING) tickets.

"Call next", "call this one" (recall) and "serve" at a counter first end what the counter still
holds, in the same transaction: SERVING becomes COMPLETED, CALLED becomes NO_SHOW, each with its
own event. The answer names them in `ended`. The ETA learns a cycle from a ticket completed that
way, never from one no-showed that way. Under concurrent presses from several tablets (real HTTP
clients against a real `qode serve`), a replay of the event log never finds a counter holding two.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections import Counter, defaultdict

import pytest
import requests

from qode import create_app
from qode.eta import Estimator, Event

from helpers import ADMIN_TOKEN, NO_CAPS, FakeClock, admin, utc

ACTIVE = ("CALLED", "SERVING")
STATUS_AFTER = {"join": "WAITING", "call": "CALLED", "recall": "CALLED", "serve": "SERVING",
                "complete": "COMPLETED", "no_show": "NO_SHOW", "requeue": "WAITING", "cancel": "CANCELLED"}


# ---- in process, on a clock the test moves ------------------------------------------------------

@pytest.fixture
def box(tmp_path):
    app = create_app({"QODE_DATA_DIR": str(tmp_path / "d"), "QODE_ADMIN_TOKEN": ADMIN_TOKEN,
                      "QODE_TIMEZONE": "UTC", "QODE_SCHEDULER": "off", "QODE_JOIN_RATE_LIMIT": "off",
                      **NO_CAPS, "QODE_AUTH_RATE_LIMIT": "off"})
    db = app.extensions["qode_db"]
    db.clock = FakeClock(utc(2026, 3, 10, 9, 0))
    client = app.test_client()
    queue = client.post("/api/queues", json={"name": "Desk", "prefix": "A"}, headers=admin()).get_json()
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    assert client.patch(f"/api/queues/{queue['id']}", json={"eta_margin": 0}, headers=host).status_code == 200
    return db, client, queue, host


def join(client, queue, n):
    url = f"/api/queues/{queue['id']}/tickets"
    return [client.post(url, json={"device_token": f"device-token-{uuid.uuid4().hex[:12]}"}).get_json()
            for _ in range(n)]


def call(client, queue, host, counter="1", **headers):
    response = client.post(f"/api/queues/{queue['id']}/call-next", json={"counter": counter},
                           headers={**host, **headers})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def move(client, host, ticket, name, body=None):
    response = client.post(f"/api/tickets/{ticket['id']}/{name}", json=body or {}, headers=host)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def status(client, ticket):
    return client.get(f"/api/tickets/{ticket['id']}").get_json()


def log(db, queue):
    with db.read() as conn:
        return [{**dict(r)} for r in conn.execute(
            "SELECT seq, type, ticket_id, ticket_number, data, mono FROM events WHERE queue_id = ?"
            " ORDER BY seq", (queue["id"],))]


def active_at(client, queue, host):
    rows = client.get(f"/api/queues/{queue['id']}/tickets", headers=host).get_json()["tickets"]
    held = defaultdict(list)
    for row in rows:
        if row["status"] in ACTIVE:
            held[row["counter"] or "1"].append(row["display_number"])
    return dict(held)


def test_a_call_ends_the_called_ticket_as_a_no_show_with_its_event(box):
    db, client, queue, host = box
    first, second, third = join(client, queue, 3)
    one = call(client, queue, host)
    assert one["display_number"] == "A001" and one["ended"] == []
    db.clock.advance(seconds=90)
    before = log(db, queue)[-1]["seq"]
    two = call(client, queue, host)
    assert two["display_number"] == "A002" and two["status"] == "CALLED"
    assert two["ended"] == [{"id": first["id"], "position_number": 1, "display_number": "A001",
                             "status": "NO_SHOW"}]
    ended = status(client, first)
    assert ended["status"] == "NO_SHOW" and ended["serving_at"] is None  # nobody was served
    assert ended["completed_at"] == two["called_at"]  # ended at the very moment of the call
    # Its own event first, then the call: one transaction, nothing in between.
    new = log(db, queue)[-2:]
    assert [(e["seq"] - before, e["type"], e["ticket_id"]) for e in new] == [
        (1, "no_show", first["id"]), (2, "call", second["id"])]
    assert '"replaced_by":2' in new[0]["data"] and '"counter":"1"' in new[0]["data"]
    assert active_at(client, queue, host) == {"1": ["A002"]}


def test_a_call_completes_the_ticket_being_served(box):
    db, client, queue, host = box
    first, second = join(client, queue, 2)
    call(client, queue, host)
    db.clock.advance(seconds=20)
    serving = move(client, host, first, "serve")
    assert serving["ended"] == []
    db.clock.advance(seconds=200)
    two = call(client, queue, host)
    assert two["ended"] == [{"id": first["id"], "position_number": 1, "display_number": "A001",
                             "status": "COMPLETED"}]
    done = status(client, first)
    assert done["status"] == "COMPLETED" and done["completed_at"] == two["called_at"]
    assert done["serving_at"] is not None  # served from then until this call: a real service time
    assert [e["type"] for e in log(db, queue)[-2:]] == ["complete", "call"]


def test_other_counters_keep_their_tickets(box):
    db, client, queue, host = box
    join(client, queue, 4)
    call(client, queue, host, "1")
    assert call(client, queue, host, "2")["ended"] == []
    assert call(client, queue, host, "Desk B")["ended"] == []
    assert active_at(client, queue, host) == {"1": ["A001"], "2": ["A002"], "Desk B": ["A003"]}
    assert [e["display_number"] for e in call(client, queue, host, "2")["ended"]] == ["A002"]
    assert active_at(client, queue, host) == {"1": ["A001"], "2": ["A004"], "Desk B": ["A003"]}


def test_old_data_with_several_active_tickets_at_one_counter_ends_them_all(box):
    """Tickets called before this rule (or with no counter at all: they belong to counter 1,
    where a call without a counter goes) all end at the next call there."""
    db, client, queue, host = box
    made = join(client, queue, 5)
    with db.write() as conn:  # what the issue saw: several guests called to one counter at once
        old = [("CALLED", "1"), ("SERVING", "1"), ("CALLED", None)]
        for ticket, (state, counter) in zip(made[:3], old, strict=True):
            conn.execute("UPDATE tickets SET status = ?, counter = ?, called_at = '2026-03-10T09:00:00Z'"
                         " WHERE id = ?", (state, counter, ticket["id"]))
    answer = call(client, queue, host)  # no counter: counter 1
    assert answer["display_number"] == "A004"
    assert [(e["display_number"], e["status"]) for e in answer["ended"]] == [
        ("A001", "NO_SHOW"), ("A002", "COMPLETED"), ("A003", "NO_SHOW")]
    assert [e["type"] for e in log(db, queue)[-4:]] == ["no_show", "complete", "no_show", "call"]
    assert active_at(client, queue, host) == {"1": ["A004"]}


def test_calling_a_ticket_out_of_turn_and_serving_also_free_the_counter(box):
    db, client, queue, host = box
    made = join(client, queue, 5)
    call(client, queue, host, "1")  # A001 at 1
    call(client, queue, host, "2")  # A002 at 2
    # "Call now" on A005, at counter 1: A001 ends.
    out_of_turn = move(client, host, made[4], "recall", {"counter": "1"})
    assert out_of_turn["counter"] == "1" and [e["display_number"] for e in out_of_turn["ended"]] == ["A001"]
    # "Call again" on A005 at its own counter ends nothing (it is the counter's ticket).
    again = move(client, host, made[4], "recall")
    assert again["status"] == "CALLED" and again["ended"] == []
    # A005 called again to counter 2: A002 ends there, counter 1 is free.
    moved = move(client, host, made[4], "recall", {"counter": "2"})
    assert [(e["display_number"], e["status"]) for e in moved["ended"]] == [("A002", "NO_SHOW")]
    assert active_at(client, queue, host) == {"2": ["A005"]}
    # Serving a ticket at a counter that (old data) also holds another ends the other.
    third = call(client, queue, host, "1")
    with db.write() as conn:
        # old data: a counter by name only, without the counter id m013 added
        conn.execute("UPDATE tickets SET counter = '2', counter_id = NULL WHERE id = ?", (third["id"],))
    served = move(client, host, third, "serve")
    assert [(e["display_number"], e["status"]) for e in served["ended"]] == [("A005", "NO_SHOW")]
    assert active_at(client, queue, host) == {"2": ["A003"]}


def test_a_refused_call_ends_nothing(box):
    db, client, queue, host = box
    (only,) = join(client, queue, 1)
    call(client, queue, host)
    before = log(db, queue)
    empty = client.post(f"/api/queues/{queue['id']}/call-next", json={"counter": "1"}, headers=host)
    assert empty.status_code == 409 and empty.get_json()["error"]["code"] == "nobody_waiting"
    assert log(db, queue) == before and status(client, only)["status"] == "CALLED"
    join(client, queue, 1)
    closed = client.post(f"/api/queues/{queue['id']}/counters", json={"counter": "1", "open": False},
                         headers=host)
    assert closed.status_code == 200
    before = log(db, queue)
    refused = client.post(f"/api/queues/{queue['id']}/call-next", json={"counter": "1"}, headers=host)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "counter_closed"
    assert log(db, queue) == before and status(client, only)["status"] == "CALLED"


@pytest.mark.parametrize("body", [{"counter": "x" * 33}, {"counter": "1\x00"}, {"counter": "Desk\nB"},
                                  {"counter": "\u202e1"}, {"counter": ""}, {"counter": 1}, {"desk": "1"}])
def test_bad_counters_are_refused_clearly_and_end_nothing(box, body):
    db, client, queue, host = box
    first, _ = join(client, queue, 2)
    call(client, queue, host)
    before = log(db, queue)
    for url in (f"/api/queues/{queue['id']}/call-next", f"/api/tickets/{first['id']}/recall"):
        response = client.post(url, json=body, headers=host)
        assert response.status_code == 422, (url, body)
        assert response.get_json()["error"]["code"] == "invalid_body"
        assert response.get_json()["error"]["message"]
    assert log(db, queue) == before and status(client, first)["status"] == "CALLED"


def test_a_replayed_call_gives_the_first_answer_and_ends_nothing_more(box):
    db, client, queue, host = box
    join(client, queue, 4)
    call(client, queue, host)
    key = {"Idempotency-Key": "tablet-1-press-2"}
    first = client.post(f"/api/queues/{queue['id']}/call-next", json={"counter": "1"}, headers={**host, **key})
    again = [client.post(f"/api/queues/{queue['id']}/call-next", json={"counter": "1"}, headers={**host, **key})
             for _ in range(3)]
    assert [a.get_json() for a in again] == [first.get_json()] * 3
    assert {a.headers["Idempotent-Replayed"] for a in again} == {"true"}
    assert [e["display_number"] for e in first.get_json()["ended"]] == ["A001"]
    assert Counter(e["type"] for e in log(db, queue))["no_show"] == 1
    assert active_at(client, queue, host) == {"1": ["A002"]}


def test_the_openapi_document_names_what_a_call_ended(box):
    _, client, _, _ = box
    doc = client.get("/api/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    for path in ("/api/queues/{queue_id}/call-next", "/api/tickets/{ticket_id}/recall",
                 "/api/tickets/{ticket_id}/serve"):
        ok = doc["paths"][path]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": "#/components/schemas/CalledTicketOut"}, path
    called = schemas["CalledTicketOut"]
    assert "ended" in called["required"]
    assert called["properties"]["ended"]["items"] == {"$ref": "#/components/schemas/EndedTicket"}
    assert schemas["EndedTicket"]["properties"]["status"]["enum"] == ["COMPLETED", "NO_SHOW"]
    complete = doc["paths"]["/api/tickets/{ticket_id}/complete"]["post"]["responses"]["200"]
    assert complete["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/TicketOut"}


# ---- the ETA --------------------------------------------------------------------------------

def avg(client, queue):
    return client.get(f"/api/queues/{queue['id']}").get_json()["avg_wait_time"]  # D / k, k = 1 here


def test_eta_learns_a_cycle_from_a_ticket_a_call_completed(box):
    db, client, queue, host = box
    first, _, _, _ = join(client, queue, 4)
    call(client, queue, host)
    assert avg(client, queue) == 300  # the default cycle
    db.clock.advance(seconds=30)
    move(client, host, first, "serve")
    db.clock.advance(seconds=90)
    call(client, queue, host)  # A001 COMPLETED by this call: a 120 s cycle
    assert avg(client, queue) == 300 + (120 - 300) // 3  # the first cycle has weight 1/(1 + 2): 240


def test_eta_never_learns_from_a_ticket_a_call_no_showed(box):
    db, client, queue, host = box
    join(client, queue, 6)
    call(client, queue, host)
    for wait in (2, 45, 400):  # a second tablet's call within 2 s, a host giving up, a long gap
        db.clock.advance(seconds=wait)
        assert call(client, queue, host)["ended"][0]["status"] == "NO_SHOW"
        assert avg(client, queue) == 300
    # ...nor is the next one, served and completed by a call, counted from a no-show's call.
    db.clock.advance(seconds=60)
    url = f"/api/queues/{queue['id']}/tickets?status=CALLED"
    current = client.get(url, headers=host).get_json()["tickets"][0]
    move(client, host, current, "serve")
    db.clock.advance(seconds=60)
    call(client, queue, host)
    assert avg(client, queue) == 300 + (120 - 300) // 3  # 120 s since its own call; weight 1/3: 240


def test_eta_learns_nothing_when_the_line_ran_dry_meanwhile(box):
    """A ticket ended by the next call does not say when its counter really finished: if the line
    was empty in between, the counter may have idled, and the gap is not a cycle."""
    db, client, queue, host = box
    first, second = join(client, queue, 2)
    call(client, queue, host)
    move(client, host, first, "serve")
    assert client.post(f"/api/tickets/{second['id']}/cancel", json={}).status_code == 200  # nobody waits
    db.clock.advance(seconds=600)
    join(client, queue, 1)
    call(client, queue, host)  # A001 COMPLETED now, though it may have finished long ago
    assert avg(client, queue) == 300


def test_the_explicit_done_then_call_still_learns_as_before(box):
    db, client, queue, host = box
    first, _, _ = join(client, queue, 3)
    call(client, queue, host)
    db.clock.advance(seconds=100)
    move(client, host, first, "complete")
    db.clock.advance(seconds=20)
    assert call(client, queue, host)["ended"] == []
    assert avg(client, queue) == 300 + (120 - 300) // 3


def test_estimator_replaced_events_directly():
    """The pure estimator: the same sequence with `replaced` completes learns, with no-shows not."""
    def run(end: str) -> float:
        est = Estimator(300.0)
        for n in range(1, 6):
            est.apply(Event("join", 0.0, "b", f"t{n}", n))
        t = 0.0
        for n in range(1, 5):
            if n > 1:
                est.apply(Event(end, t, "b", f"t{n - 1}", n - 1, "1", replaced=True))
            est.apply(Event("call", t, "b", f"t{n}", n, "1"))
            t += 100.0
        return est.D

    assert run("no_show") == 300.0
    learned = run("complete")
    assert learned < 200.0  # three 100 s cycles
    # A ticket called again to another counter moves it; neither counter's gap is a cycle.
    est = Estimator(300.0)
    for n in (1, 2, 3):
        est.apply(Event("join", 0.0, "b", f"t{n}", n))
    est.apply(Event("call", 0.0, "b", "t1", 1, "1"))
    est.apply(Event("recall", 50.0, "b", "t1", 1, "2"))
    est.apply(Event("complete", 100.0, "b", "t1", 1, "2", replaced=True))
    est.apply(Event("call", 100.0, "b", "t2", 2, "2"))
    assert est.D == 300.0 and est.called == {"t2": "2"} and "1" not in est.busy
    assert Estimator.from_dict(est.to_dict()).steady == est.steady


# ---- against a real `qode serve`: several tablets pressing at once ----------------------------------

ROUNDS = 30  # presses per tablet; bounded
TIMEOUT = 30


def make_line(base: str, n: int) -> tuple[dict, dict]:
    queue = requests.post(f"{base}/api/queues", json={"name": "Busy desk", "prefix": "B"}, headers=admin(),
                          timeout=TIMEOUT).json()
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    with requests.Session() as session:
        for _ in range(n):  # the host's own issuing: printed tickets, no device
            assert session.post(f"{base}/api/queues/{queue['id']}/tickets", json={}, headers=host,
                                timeout=TIMEOUT).status_code == 201
    return queue, host


def tablets(base: str, queue: dict, host: dict, counters: list[str], serve_every: int = 3) -> list[dict]:
    """One thread per entry of `counters` (a tablet at that counter, its own connection), all pressing
    "Call next" at the same moment each round; now and then a tablet serves the guest it just called
    (which another tablet's call may already have ended: a 409 then). Returns every answer."""
    barrier = threading.Barrier(len(counters))
    answers: list[dict] = []
    lock = threading.Lock()
    failures: list[BaseException] = []

    def tablet(index: int, counter: str) -> None:
        try:
            with requests.Session() as session:
                for round_ in range(ROUNDS):
                    barrier.wait(timeout=TIMEOUT)
                    response = session.post(f"{base}/api/queues/{queue['id']}/call-next",
                                            json={"counter": counter}, timeout=TIMEOUT,
                                            headers={**host, "Idempotency-Key": uuid.uuid4().hex})
                    record = {"tablet": index, "counter": counter, "kind": "call",
                              "status": response.status_code, "body": response.json()}
                    with lock:
                        answers.append(record)
                    if response.status_code == 200 and (round_ + index) % serve_every == 0:
                        served = session.post(f"{base}/api/tickets/{record['body']['id']}/serve", json={},
                                              headers={**host, "Idempotency-Key": uuid.uuid4().hex},
                                              timeout=TIMEOUT)
                        with lock:
                            answers.append({"tablet": index, "counter": counter, "kind": "serve",
                                            "status": served.status_code, "body": served.json()})
        except BaseException as err:  # noqa: BLE001 - handed to the test's thread
            failures.append(err)
            barrier.abort()

    threads = [threading.Thread(target=tablet, args=(i, c)) for i, c in enumerate(counters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=ROUNDS * TIMEOUT)
    assert not failures, failures
    assert not any(thread.is_alive() for thread in threads)
    return answers


def replay(server, queue: dict) -> tuple[list[dict], dict[str, str]]:
    """The queue's event log, read from the server's database, replayed event by event: the counter
    never holds two active tickets after ANY event, every move is a legal one. Returns (log, statuses)."""
    conn = sqlite3.connect(f"file:{server.data_dir / 'qode.db'}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        rows = [dict(r) for r in conn.execute("SELECT seq, type, ticket_id, data FROM events WHERE queue_id = ?"
                                              " ORDER BY seq", (queue["id"],))]
        final = dict(conn.execute("SELECT id, status FROM tickets WHERE queue_id = ?",
                                  (queue["id"],)).fetchall())
    finally:
        conn.close()
    import json

    state: dict[str, str] = {}
    where: dict[str, str] = {}
    legal = {"call": {"WAITING"}, "recall": {"WAITING", "CALLED"}, "serve": {"CALLED"},
             "complete": {"CALLED", "SERVING"}, "no_show": {"CALLED"}}
    worst = 0
    for row in rows:
        kind, ticket = row["type"], row["ticket_id"]
        if kind not in STATUS_AFTER or ticket is None:
            continue
        data = json.loads(row["data"])
        if kind == "join":
            state[ticket] = "WAITING"
            continue
        assert state.get(ticket) in legal[kind], (row, state.get(ticket))
        state[ticket] = STATUS_AFTER[kind]
        if kind in ("call", "recall"):
            where[ticket] = data["counter"]
        held = Counter(where[t] for t, s in state.items() if s in ACTIVE)
        worst = max(worst, max(held.values(), default=0))
        assert all(n <= 1 for n in held.values()), (row, held)
    assert worst == 1
    assert state == final  # the log replays to exactly what the database holds
    return rows, state


def check_answers(answers: list[dict], rows: list[dict], statuses: dict[str, str]) -> None:
    calls = [a for a in answers if a["kind"] == "call"]
    assert {a["status"] for a in calls} == {200}, [a["body"] for a in calls if a["status"] != 200][:3]
    called = [a["body"]["id"] for a in calls]
    assert len(set(called)) == len(called)  # nobody called twice
    for served in (a for a in answers if a["kind"] == "serve"):
        # Either it was still this tablet's guest, or another tablet's call had ended it already.
        assert served["status"] == 200 or served["body"]["error"]["code"] == "illegal_transition", served
    # Every ticket an answer says it ended really ended in the log, its event right before the call
    # that ended it (the same transaction), and exactly once; the others are still active.
    seq_of = {(r["type"], r["ticket_id"]): r["seq"] for r in rows}
    by_seq = {r["seq"]: r for r in rows}
    ended = Counter()
    for answer in (a for a in answers if a["status"] == 200):
        body = answer["body"]
        event = seq_of[("call" if answer["kind"] == "call" else "serve", body["id"])]
        for offset, gone in enumerate(reversed(body["ended"]), start=1):
            row = by_seq[event - offset]
            assert row["ticket_id"] == gone["id"], (answer, row)
            assert row["type"] == {"NO_SHOW": "no_show", "COMPLETED": "complete"}[gone["status"]]
            assert statuses[gone["id"]] == gone["status"]
            ended[gone["id"]] += 1
    assert set(ended.values()) <= {1}
    still = {ticket for ticket in called if statuses[ticket] in ACTIVE}
    assert set(called) == set(ended) | still


def day_list(base: str, queue: dict, host: dict) -> list[dict]:
    url = f"{base}/api/queues/{queue['id']}/tickets"
    return requests.get(url, headers=host, timeout=TIMEOUT).json()["tickets"]


@pytest.mark.xdist_group("serial")
def test_two_tablets_pressing_call_next_at_once_never_leave_two_active(server):
    base = server.url
    queue, host = make_line(base, 2 * ROUNDS + 40)  # a long line: nobody_waiting never answers
    answers = tablets(base, queue, host, ["1", "1"])
    rows, statuses = replay(server, queue)
    check_answers(answers, rows, statuses)
    final = day_list(base, queue, host)
    held = [t for t in final if t["status"] in ACTIVE]
    assert len(held) == 1 and held[0]["counter"] == "1"
    counts = Counter(t["status"] for t in final)
    assert counts["WAITING"] == 40 and counts["NO_SHOW"] + counts["COMPLETED"] == 2 * ROUNDS - 1
    print(f"two tablets, one counter: {2 * ROUNDS} calls, {counts['NO_SHOW']} no-shows, "
          f"{counts['COMPLETED']} completed, {len(rows)} events replayed, at most 1 active throughout")


@pytest.mark.xdist_group("serial")
def test_tablets_at_two_counters_pressing_at_once_keep_one_each(server):
    base = server.url
    queue, host = make_line(base, 4 * ROUNDS + 40)
    answers = tablets(base, queue, host, ["1", "Desk 2", "1", "Desk 2"], serve_every=2)
    rows, statuses = replay(server, queue)
    check_answers(answers, rows, statuses)
    final = day_list(base, queue, host)
    held = Counter(t["counter"] for t in final if t["status"] in ACTIVE)
    assert held == {"1": 1, "Desk 2": 1}
    # A call at one counter never ended the other counter's ticket.
    for answer in (a for a in answers if a["status"] == 200):
        for gone in answer["body"]["ended"]:
            assert next(t for t in final if t["id"] == gone["id"])["counter"] == answer["counter"]
    print(f"four tablets, two counters: {len([a for a in answers if a['kind'] == 'call'])} calls, "
          f"{len(rows)} events replayed, at most 1 active per counter throughout")


def test_a_real_server_answers_ends_and_learns(server):
    """The whole path on a real server: answers, the host's list, bad input, and the ETA (the real
    clock runs: a call right after a serve is a cycle of well under the 300 s default)."""
    base = server.url
    queue, host = make_line(base, 8)
    url = f"{base}/api/queues/{queue['id']}/call-next"
    with requests.Session() as s:
        def press(counter="1"):
            response = s.post(url, json={"counter": counter}, headers=host, timeout=TIMEOUT)
            assert response.status_code == 200, response.text
            return response.json()

        def average():
            return s.get(f"{base}/api/queues/{queue['id']}", timeout=TIMEOUT).json()["avg_wait_time"]

        first = press()
        assert first["ended"] == []
        second = press()  # nobody pressed Serve: A001 did not come
        assert [(e["display_number"], e["status"]) for e in second["ended"]] == [("B001", "NO_SHOW")]
        assert average() == 300  # a no-show ended by a call taught nothing
        for bad in ({"counter": "x" * 33}, {"counter": "Desk\x07"}):
            refused = s.post(url, json=bad, headers=host, timeout=TIMEOUT)
            assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_body"
        assert s.post(f"{base}/api/tickets/{second['id']}/serve", json={}, headers=host,
                      timeout=TIMEOUT).json()["ended"] == []
        third = press()
        assert [(e["display_number"], e["status"]) for e in third["ended"]] == [("B002", "COMPLETED")]
        assert average() < 300  # a served guest completed by the call: one (short) cycle learned
        rows = s.get(f"{base}/api/queues/{queue['id']}/tickets", headers=host,
                     timeout=TIMEOUT).json()["tickets"]
        assert [(t["display_number"], t["status"]) for t in rows[:3]] == [
            ("B001", "NO_SHOW"), ("B002", "COMPLETED"), ("B003", "CALLED")]
