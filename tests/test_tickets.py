"""The ticket rules against a real database: lifecycle, events, numbering and rollover."""

from __future__ import annotations

from datetime import time

import pytest

from qode import queues, tickets
from qode.db import Database
from qode.errors import Conflict
from qode.migrations import migrate

from helpers import FakeClock, utc


@pytest.fixture
def clock():
    return FakeClock(utc(2026, 3, 10, 9, 0), tz="Europe/Berlin", day_starts_at=time(4, 0))


@pytest.fixture
def rdb(tmp_path, clock):
    database = Database(tmp_path / "rules.db", clock=clock)
    migrate(database)
    yield database
    database.close()


@pytest.fixture
def qid(rdb):
    queue, _ = queues.create_queue(rdb, "Clinic", "C")
    return queue["id"]


def issue(rdb, qid, n: int) -> list[dict]:
    return [tickets.issue_ticket(rdb, qid, f"device-token-{i:08d}")[0] for i in range(n)]


def status_of(rdb, ticket_id):
    with rdb.read() as conn:
        return conn.execute("SELECT status FROM tickets WHERE id = ?", (ticket_id,)).fetchone()[0]


def event_types(rdb, qid):
    with rdb.read() as conn:
        return [r[0] for r in conn.execute(
            "SELECT type FROM events WHERE queue_id = ? ORDER BY seq", (qid,))]


def test_numbers_are_sequential_and_events_written(rdb, qid):
    made = issue(rdb, qid, 5)
    assert [t["position_number"] for t in made] == [1, 2, 3, 4, 5]
    assert event_types(rdb, qid) == ["queue_created"] + ["join"] * 5


def test_people_ahead_counts_waiting_tickets_not_number_gaps(rdb, qid):
    first, second, third, fourth = issue(rdb, qid, 4)
    tickets.move(rdb, second["id"], "cancel", "guest")
    tickets.call_next(rdb, qid)  # calls #1
    assert tickets.get(rdb, fourth["id"])["people_ahead"] == 1  # only #3 is waiting ahead
    tickets.move(rdb, third["id"], "cancel", "guest")
    assert tickets.get(rdb, fourth["id"])["people_ahead"] == 0


def test_call_next_takes_lowest_waiting_and_sets_current_position(rdb, qid):
    made = issue(rdb, qid, 3)
    tickets.move(rdb, made[0]["id"], "cancel", "guest")
    called = tickets.call_next(rdb, qid, "4")
    assert called["position_number"] == 2 and called["counter"] == "4"
    with rdb.read() as conn:
        queue = queues.load(conn, qid)
    assert queue["current_position"] == 2


# Every (move, starting status) pair: the legal ones reach their target, the rest are 409.
LEGAL = {
    ("serve", "CALLED"): "SERVING",
    ("complete", "CALLED"): "COMPLETED",
    ("complete", "SERVING"): "COMPLETED",
    ("no-show", "CALLED"): "NO_SHOW",
    ("requeue", "CALLED"): "WAITING",
    ("cancel", "WAITING"): "CANCELLED",
    ("cancel", "CALLED"): "CANCELLED",
    ("recall", "WAITING"): "CALLED",
    ("recall", "CALLED"): "CALLED",
}
PATHS = {  # how to bring a fresh ticket to each status
    "WAITING": [],
    "CALLED": ["call"],
    "SERVING": ["call", "serve"],
    "COMPLETED": ["call", "complete"],
    "NO_SHOW": ["call", "no-show"],
    "CANCELLED": ["cancel"],
}


def _bring(rdb, qid, ticket, status):
    for step in PATHS[status]:
        if step == "call":
            tickets.call_next(rdb, qid)
        else:
            tickets.move(rdb, ticket["id"], step)


@pytest.mark.parametrize("start", list(PATHS))
@pytest.mark.parametrize("move", ["serve", "complete", "no-show", "requeue", "cancel", "recall"])
def test_transition_matrix(rdb, qid, start, move):
    (ticket,) = issue(rdb, qid, 1)
    _bring(rdb, qid, ticket, start)
    def ticket_events():  # a first call also opens its counter: count the ticket's own
        return [t for t in event_types(rdb, qid) if t != "counter_opened"]

    before = len(ticket_events())
    apply = (lambda: tickets.recall(rdb, ticket["id"])) if move == "recall" else (
        lambda: tickets.move(rdb, ticket["id"], move))
    if (move, start) in LEGAL:
        assert apply()["status"] == LEGAL[(move, start)]
        assert len(ticket_events()) == before + 1
    else:
        with pytest.raises(Conflict):
            apply()
        assert status_of(rdb, ticket["id"]) == start
        assert len(ticket_events()) == before


def test_requeue_puts_guest_back_in_number_order(rdb, qid):
    first, second = issue(rdb, qid, 2)
    tickets.call_next(rdb, qid)
    back = tickets.move(rdb, first["id"], "requeue")
    assert back["status"] == "WAITING" and back["counter"] is None
    assert tickets.call_next(rdb, qid)["id"] == first["id"]


def test_issue_refuses_paused_and_closed(rdb, qid):
    queues.update_queue(rdb, qid, {"is_paused": True})
    with pytest.raises(Conflict) as err:
        tickets.issue_ticket(rdb, qid, "device-token-paused01")
    assert err.value.code == "queue_paused"
    queues.update_queue(rdb, qid, {"is_paused": False, "active": False})
    with pytest.raises(Conflict) as err:
        tickets.issue_ticket(rdb, qid, "device-token-closed01")
    assert err.value.code == "queue_closed"
    assert sorted(event_types(rdb, qid)[-2:]) == ["queue_closed", "queue_resumed"]


def test_same_device_gets_same_ticket_until_it_ends(rdb, qid):
    ticket, created = tickets.issue_ticket(rdb, qid, "device-token-same0001")
    again, created_again = tickets.issue_ticket(rdb, qid, "device-token-same0001")
    assert created and not created_again and again["id"] == ticket["id"]
    tickets.call_next(rdb, qid)
    tickets.move(rdb, ticket["id"], "complete")
    new, created_new = tickets.issue_ticket(rdb, qid, "device-token-same0001")
    assert created_new and new["position_number"] == 2


def test_rollover_restarts_numbers_and_closes_leftovers(rdb, qid, clock):
    """With a fake clock: tickets before and after the 04:00 local boundary are numbered 1.. each day."""
    clock.set(utc(2026, 3, 10, 20, 0))  # 21:00 in Berlin, day 2026-03-10
    day1 = issue(rdb, qid, 3)
    tickets.call_next(rdb, qid)  # #1 CALLED, #2 and #3 WAITING
    clock.set(utc(2026, 3, 11, 2, 59))  # 03:59 local: still the same service day
    late = tickets.issue_ticket(rdb, qid, "device-token-late0001")[0]
    assert late["position_number"] == 4 and late["service_day"] == "2026-03-10"
    # Before any write on the new day, a reader already sees the day's outcome.
    clock.set(utc(2026, 3, 11, 3, 1))  # 04:01 local: a new service day
    assert tickets.get(rdb, day1[1]["id"])["status"] == "CANCELLED"
    assert queues.get(rdb, qid)["waiting_count"] == 0
    day2 = issue(rdb, qid, 2)
    assert [t["position_number"] for t in day2] == [1, 2]
    assert all(t["service_day"] == "2026-03-11" for t in day2)
    with rdb.read() as conn:
        rows = {r["id"]: dict(r) for r in conn.execute("SELECT * FROM tickets")}
    for old in [*day1, late]:
        assert rows[old["id"]]["status"] == "CANCELLED"
        assert rows[old["id"]]["reason"] == "day_ended"
    assert "day_started" in event_types(rdb, qid)
    # The same device may take a new ticket on the new day.
    assert tickets.issue_ticket(rdb, qid, "device-token-late0001")[1] is True
    assert tickets.call_next(rdb, qid)["position_number"] == 1


def test_wall_clock_going_back_never_reuses_numbers(rdb, qid, clock):
    clock.set(utc(2026, 3, 11, 10, 0))
    issue(rdb, qid, 2)
    clock.set(utc(2026, 3, 10, 10, 0))  # the clock jumps back a day
    third = tickets.issue_ticket(rdb, qid, "device-token-back0001")[0]
    assert third["position_number"] == 3 and third["service_day"] == "2026-03-11"


def test_write_rolls_back_whole(rdb, qid):
    """A failure inside a write leaves no half-written rows."""
    with pytest.raises(RuntimeError):
        with rdb.write() as conn:
            conn.execute("UPDATE queues SET last_number_issued = 99 WHERE id = ?", (qid,))
            raise RuntimeError("boom")
    assert tickets.issue_ticket(rdb, qid, "device-token-after001")[0]["position_number"] == 1


def test_waiting_count_matches_the_tickets_through_any_sequence(rdb, qid, clock):
    """The trigger-kept waiting_count equals a real count after every rule, across days."""
    import random

    rng = random.Random(20261126)
    other, _ = queues.create_queue(rdb, "Other")
    queue_ids = [qid, other["id"]]
    made: list[str] = []
    for step in range(400):
        queue_id = rng.choice(queue_ids)
        action = rng.choice(["join", "join", "join", "call", "move", "recall", "day"])
        try:
            if action == "join":
                made.append(tickets.issue_ticket(rdb, queue_id, f"device-token-{step:08d}")[0]["id"])
            elif action == "call":
                tickets.call_next(rdb, queue_id)
            elif action == "move" and made:
                tickets.move(rdb, rng.choice(made), rng.choice(list(tickets.MOVES)))
            elif action == "recall" and made:
                tickets.recall(rdb, rng.choice(made))
            elif action == "day" and rng.random() < 0.1:
                clock.advance(hours=24)
        except Conflict:
            pass
        with rdb.read() as conn:
            for queue_id in queue_ids:
                kept = conn.execute("SELECT waiting_count FROM queues WHERE id = ?", (queue_id,)).fetchone()[0]
                real = conn.execute(
                    "SELECT COUNT(*) FROM tickets WHERE queue_id = ? AND status = 'WAITING'", (queue_id,)
                ).fetchone()[0]
                assert kept == real, (step, action)
        for queue_id in queue_ids:
            public = queues.get(rdb, queue_id)["waiting_count"]
            assert public == len(tickets.list_tickets(rdb, queue_id, "WAITING"))
        # people_ahead from the cached, bisected line equals a fresh count, after any write.
        for ticket_id in made[-3:]:
            seen = tickets.get(rdb, ticket_id)
            with rdb.read() as conn:
                row = tickets.load(conn, ticket_id)
                ahead = conn.execute(
                    "SELECT COUNT(*) FROM tickets WHERE queue_id = ? AND service_day = ?"
                    " AND status = 'WAITING' AND position_number < ?",
                    (row["queue_id"], row["service_day"], row["position_number"]),
                ).fetchone()[0]
            assert seen["people_ahead"] == (ahead if seen["status"] == "WAITING" else 0), step
