"""Issue 16, must-show 5: "I'm running late" on a real `Database` (docs/services.md, section 15).

The hypothesis state machine of issue 15 (tests/test_services_rules_db.py: joins with priority,
calls at random counters, transfers, requeues, priority changes, the clock moving past the
overdue bound) gets one more rule: a random waiting guest presses "I'm running late". Each press
is checked against the service's call order read before and after it (GET /api/tickets/{id}'s
people_ahead for every guest, which the inherited `call_in_a_row` rule checks against the real
calls): every other guest keeps their relative order, everyone passed moves up exactly one, the
guest moves back exactly the places the event says, which is min(K, behind) whenever the line
holds one class, and never past the use limit.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import event as note
from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule

from qode import rules, tickets
from qode.errors import Conflict
from test_services_rules_db import MAX_WAIT, ServicesDay

from helpers import FakeClock, admin, utc

PLACES = 3
USES = 2


def call_order(machine: ServicesDay, service: str) -> list[str]:
    """The service's waiting guests in the order their people_ahead says (one place each), read
    fresh (GET /api/queues/{id}/tickets?order=call): a status read's memo lives until the next
    commit, and the clock may have made someone overdue since (issue 15's people ahead, "the clock
    stopped"); the inherited `call_in_a_row` checks the reads against the real calls."""
    rows = tickets.list_tickets(machine.db, service, order="call")
    assert [t["people_ahead"] for t in rows] == list(range(len(rows))), "people ahead: not one place each"
    return [t["id"] for t in rows]


class LateDay(ServicesDay):
    def __init__(self):
        super().__init__()
        self.db.late = tickets.Late(places=PLACES, uses=USES)
        self.late_presses: dict[str, int] = {}
        self.moved_exact = 0  # presses that moved min(K, behind) places (the machine's own count)

    @precondition(lambda self: self.rows("WAITING"))
    @rule(data=st.data())
    def running_late(self, data):
        row = data.draw(st.sampled_from(self.rows("WAITING")))
        sid = row["queue_id"]
        before = call_order(self, sid)
        at = before.index(row["id"])
        behind = len(before) - 1 - at
        used = row["late_uses"]
        try:
            out = tickets.running_late(self.db, row["id"], used + 1)
        except Conflict as err:
            note(f"late refused: {err.code}")
            after = call_order(self, sid)
            assert after == before, "a refused press changed the line"
            if used >= USES:
                assert err.code == "no_uses_left"
            elif behind == 0:
                assert err.code == "already_last"
            else:
                # refused only when the line mixes classes (the streak interleaves them)
                assert err.code == "cannot_move_back"
                classes = {bool(r["priority"]) for r in self.rows("WAITING", sid)}
                assert len(classes) == 2, "a one-class line refused a move back"
            return
        note(f"late moved {min(PLACES, behind)} asked")
        assert used < USES, "a ticket moved back more often than QODE_LATE_USES"
        assert behind > 0
        # the same ticket: id, number, status
        assert out["id"] == row["id"] and out["position_number"] == row["position_number"]
        assert out["status"] == "WAITING" and out["late_uses"] == used + 1
        self.late_presses[row["id"]] = used + 1
        with self.db.read() as conn:
            event = conn.execute("SELECT * FROM events WHERE type = 'running_late' ORDER BY seq DESC LIMIT 1"
                                 ).fetchone()
        places = json.loads(event["data"])["places"]
        assert event["ticket_id"] == row["id"] and 1 <= places <= min(PLACES, behind)
        after = call_order(self, sid)
        # everyone else keeps their relative order; the guest stands `places` further back
        assert [t for t in after if t != row["id"]] == [t for t in before if t != row["id"]]
        assert after.index(row["id"]) == at + places
        assert out["people_ahead"] == at + places
        # right behind the ticket that was `places` behind it: the ones between moved up exactly one
        assert after[at + places - 1] == before[at + places]
        if len({bool(r["priority"]) for r in self.rows("WAITING", sid)}) == 1:
            assert places == min(PLACES, behind), "a one-class line moved by other than min(K, behind)"
            self.moved_exact += 1

    @rule(data=st.data())
    def press_again_same_use(self, data):
        """A retried request (the same `use`) moves nobody twice."""
        pressed = [t for t, n in self.late_presses.items()
                   if any(r["id"] == t for r in self.rows("WAITING"))]
        if not pressed:
            return
        ticket_id = data.draw(st.sampled_from(pressed))
        sid = next(r["queue_id"] for r in self.rows("WAITING") if r["id"] == ticket_id)
        before = call_order(self, sid)
        out = tickets.running_late(self.db, ticket_id, self.late_presses[ticket_id])
        assert out["late_uses"] == self.late_presses[ticket_id]
        assert call_order(self, sid) == before

    @invariant()
    def uses_never_pass_the_limit(self):
        for row in self.rows():
            assert 0 <= row["late_uses"] <= USES


LateDay.TestCase.settings = settings(
    max_examples=60, stateful_step_count=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_running_late_keeps_every_other_guests_order = LateDay.TestCase


# ---- worked examples (the same function, by hand) -----------------------------------------

@pytest.fixture()
def day(tmp_path):
    from qode import queues
    from qode.db import Database
    from qode.migrations import migrate

    clock = FakeClock(utc(2026, 3, 10, 9, 0))
    db = Database(tmp_path / "day.db", clock=clock)
    migrate(db)
    db.call_policy = rules.Policy(max_wait=MAX_WAIT, streak=2)
    db.late = tickets.Late(places=3, uses=1)
    queue = queues.create_queue(db, "Reception", "R")[0]["id"]
    yield db, clock, queue
    db.close()


def _join(db, queue, n, priority=False):
    return [tickets.issue_ticket(db, queue, None, "host", priority=priority)[0]["id"] for _ in range(n)]


def _order(db, queue):
    return [t["id"] for t in tickets.list_tickets(db, queue, order="call")]


def test_moves_behind_the_third_one_and_the_calls_follow(day):
    db, _, queue = day
    a, b, c, d, e = _join(db, queue, 5)
    out = tickets.running_late(db, a, 1)
    assert out["people_ahead"] == 3 and out["late_uses"] == 1
    assert _order(db, queue) == [b, c, d, a, e]
    assert [tickets.call_next(db, queue)["id"] for _ in range(5)] == [b, c, d, a, e]


def test_near_the_end_moves_to_the_end_and_the_last_cannot(day):
    db, _, queue = day
    a, b = _join(db, queue, 2)
    assert tickets.running_late(db, a, 1)["people_ahead"] == 1
    assert _order(db, queue) == [b, a]
    db.late = tickets.Late(places=3, uses=2)
    with pytest.raises(Conflict) as err:
        tickets.running_late(db, a, 2)
    assert err.value.code == "already_last"


def test_the_use_limit_and_a_retried_press(day):
    db, _, queue = day
    a, b, c, d, e, f = _join(db, queue, 6)
    tickets.running_late(db, a, 1)
    assert tickets.running_late(db, a, 1)["people_ahead"] == 3  # the same press again: no move
    with pytest.raises(Conflict) as err:
        tickets.running_late(db, a, 2)
    assert err.value.code == "no_uses_left"
    assert _order(db, queue) == [b, c, d, a, e, f]


def test_two_guests_behind_the_same_one_keep_the_order_they_asked_in(day):
    db, _, queue = day
    a, b, c, d, e = _join(db, queue, 5)
    tickets.running_late(db, b, 1)  # b behind e: a c d e b
    assert _order(db, queue) == [a, c, d, e, b]
    tickets.running_late(db, a, 1)  # a behind e (3 behind a: c d e): c d e a b
    assert _order(db, queue) == [c, d, e, a, b]


def test_a_late_ticket_is_not_overdue_before_the_one_it_stands_behind(day):
    """The overdue rule: the guest takes the line time of the ticket it now stands behind, so it
    cannot jump forward again by having waited long (docs/services.md, section 15)."""
    db, clock, queue = day
    a = _join(db, queue, 1)[0]
    clock.advance(seconds=MAX_WAIT - 100)
    b, c, d = _join(db, queue, 3)
    tickets.running_late(db, a, 1)
    clock.advance(seconds=150)  # a's own join is past max_wait now; b, c, d's are not
    assert _order(db, queue) == [b, c, d, a]
    assert tickets.call_next(db, queue)["reason"] != "overdue"


def test_a_priority_guest_moves_back_among_priority_guests(day):
    db, _, queue = day
    p1, p2 = _join(db, queue, 2, priority=True)
    n1, n2 = _join(db, queue, 2)
    # streak 2: p1 p2 n1 n2; p1 moving back 3 would land among the normal ones: it moves what the
    # rule can give exactly (behind p2), and the normal guests keep their places.
    out = tickets.running_late(db, p1, 1)
    assert _order(db, queue) == [p2, p1, n1, n2] and out["people_ahead"] == 1


def test_the_eta_follows_the_new_order(day):
    """The estimator replays `running_late` (qode.eta): after the move, ETAs rise along the call
    order, the guest who moved back waits longer and those it let pass wait less."""
    db, clock, queue = day
    first, *line = _join(db, queue, 6)
    tickets.call_next(db, queue, "1")  # counter 1 opens and calls the first guest
    clock.advance(seconds=60)
    before = {t["id"]: t["eta_seconds"] for t in tickets.list_tickets(db, queue, order="call")}
    a, b, c, d, e = line
    tickets.running_late(db, a, 1)
    after = tickets.list_tickets(db, queue, order="call")
    assert [t["id"] for t in after] == [b, c, d, a, e]
    etas = [t["eta_seconds"] for t in after]
    assert etas == sorted(etas) and len(set(etas)) == len(etas), etas
    eta = {t["id"]: t["eta_seconds"] for t in after}
    assert eta[a] > before[a] and eta[a] == before[d]
    assert eta[b] < before[b] and eta[d] == before[c]
    assert eta[e] == before[e]
    assert tickets.get(db, a)["eta_seconds"] == eta[a]


# ---- the endpoint: POST /api/tickets/{id}/late ------------------------------------------------

def _late_app(tmp_path, **settings):
    from qode import create_app

    from helpers import ADMIN_TOKEN

    return create_app({
        "QODE_DATA_DIR": str(tmp_path / "data"), "QODE_ADMIN_TOKEN": ADMIN_TOKEN, "QODE_TIMEZONE": "UTC",
        "QODE_JOIN_RATE_LIMIT": "off", "QODE_AUTH_RATE_LIMIT": "off", "QODE_SCHEDULER": "off",
        "QODE_QUEUE_MAX_ACTIVE": "off", "QODE_MAX_ACTIVE_PER_ADDRESS": "off",
        "QODE_MAX_ACTIVE_PER_DEVICE": "off",
        **settings,
    })


def _guests(client, queue, n):
    url = f"/api/queues/{queue['id']}/tickets"
    return [client.post(url, json={"device_token": f"device-token-late-{i:04d}"}).get_json()["id"]
            for i in range(n)]


def _dump(app):
    with app.extensions["qode_db"].read() as conn:
        return "\n".join(conn.iterdump())


def _error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"]["code"] == code and body["error"]["message"]


def test_the_endpoint_moves_a_guest_and_says_what_is_left(client, queue):
    a, b, c, d = _guests(client, queue, 4)
    shown = client.get(f"/api/tickets/{a}").get_json()
    assert shown["late"] == {"places": 3, "most": 3, "uses": 1, "uses_left": 1} and shown["late_uses"] == 0
    assert client.get(f"/api/tickets/{d}").get_json()["late"]["places"] == 0  # last: nobody behind
    moved = client.post(f"/api/tickets/{a}/late", json={"use": 1})
    assert moved.status_code == 200, moved.get_data(as_text=True)
    out = moved.get_json()
    assert (out["id"], out["position_number"], out["status"]) == (a, 1, "WAITING")
    assert out["people_ahead"] == 3 and out["late_uses"] == 1 and out["late"]["uses_left"] == 0
    assert client.get(f"/api/tickets/{b}").get_json()["people_ahead"] == 0
    # the retried request (same use) answers the ticket and moves nobody
    again = client.post(f"/api/tickets/{a}/late", json={"use": 1})
    assert again.status_code == 200 and again.get_json()["people_ahead"] == 3
    rows = client.get(f"/api/queues/{queue['id']}/tickets?order=call", headers=queue["headers"]).get_json()
    assert [t["id"] for t in rows["tickets"]] == [b, c, d, a]
    assert [t["late_uses"] for t in rows["tickets"]] == [0, 0, 0, 1]
    # the event log carries it (the hub's sync and the live feed read the log)
    with client.application.extensions["qode_db"].read() as conn:
        events = conn.execute("SELECT type, ticket_id, data FROM events WHERE type = 'running_late'").fetchall()
    assert len(events) == 1 and events[0]["ticket_id"] == a
    assert json.loads(events[0]["data"])["places"] == 3


def test_bad_presses_are_clear_errors_and_write_nothing(client, queue):
    a, b, c = _guests(client, queue, 3)
    app = client.application
    before = _dump(app)
    _error(client.post("/api/tickets/00000000-0000-4000-8000-000000000000/late", json={"use": 1}), 404,
           "ticket_not_found")
    _error(client.post("/api/tickets/not-a-ticket/late", json={"use": 1}), 404, "ticket_not_found")
    for body in ({}, {"use": 0}, {"use": 11}, {"use": "1"}, {"use": True}, {"use": 1, "extra": 1}, [1]):
        _error(client.post(f"/api/tickets/{a}/late", json=body), 422, "invalid_body")
    _error(client.post(f"/api/tickets/{c}/late", json={"use": 1}), 409, "already_last")
    assert _dump(app) == before, "a refused press wrote something"
    called = client.post(f"/api/queues/{queue['id']}/call-next", json={"counter": "1"},
                         headers=queue["headers"])
    assert called.get_json()["id"] == a
    before = _dump(app)
    _error(client.post(f"/api/tickets/{a}/late", json={"use": 1}), 409, "not_waiting")
    client.post(f"/api/tickets/{b}/late", json={"use": 1})
    before = _dump(app)
    _error(client.post(f"/api/tickets/{b}/late", json={"use": 2}), 409, "no_uses_left")
    assert _dump(app) == before


def test_off_and_the_rate_limits(tmp_path):
    app = _late_app(tmp_path / "off", QODE_LATE_PLACES="off")
    client = app.test_client()
    queue = client.post("/api/queues", json={"name": "Desk", "prefix": "A"}, headers=admin()).get_json()
    a, _ = _guests(client, queue, 2)
    assert client.get(f"/api/tickets/{a}").get_json()["late"] is None
    _error(client.post(f"/api/tickets/{a}/late", json={"use": 1}), 409, "late_off")

    app = _late_app(tmp_path / "ip", QODE_LATE_RATE_LIMIT="2/minute", QODE_LATE_USES="5")
    client = app.test_client()
    queue = client.post("/api/queues", json={"name": "Desk", "prefix": "A"}, headers=admin()).get_json()
    ids = _guests(client, queue, 6)
    assert client.post(f"/api/tickets/{ids[0]}/late", json={"use": 1}).status_code == 200
    assert client.post(f"/api/tickets/{ids[1]}/late", json={"use": 1}).status_code == 200
    before = _dump(app)
    limited = client.post(f"/api/tickets/{ids[2]}/late", json={"use": 1})
    _error(limited, 429, "rate_limited")
    assert int(limited.headers["Retry-After"]) >= 1
    assert _dump(app) == before
    # another address still may, up to the service's own budget
    other = client.post(f"/api/tickets/{ids[2]}/late", json={"use": 1},
                        environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200

    app = _late_app(tmp_path / "queue", QODE_LATE_QUEUE_RATE_LIMIT="2/minute", QODE_LATE_USES="5")
    client = app.test_client()
    queue = client.post("/api/queues", json={"name": "Desk", "prefix": "A"}, headers=admin()).get_json()
    ids = _guests(client, queue, 6)
    for n, ticket in enumerate(ids[:3]):
        answer = client.post(f"/api/tickets/{ticket}/late", json={"use": 1},
                             environ_base={"REMOTE_ADDR": f"10.0.0.{n + 1}"})
        assert answer.status_code == (200 if n < 2 else 429), answer.get_data(as_text=True)
