"""Must-show 1 on stored data (issue 15, docs/services.md section 11): the call rule's properties,
checked on a real `Database` driven through `qode.tickets` (joins with priority, calls at
random counters, transfers, requeues, priority changes, the clock moving) by a hypothesis state
machine. tests/test_rules.py checks the pure rule; this checks that the stored day keeps it.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from qode import queues, rules, tickets
from qode.db import Database
from qode.errors import Conflict
from qode.migrations import migrate

from helpers import FakeClock, utc

MAX_WAIT = 600.0
STREAK = 2
SERVICES = (("Reception", "R"), ("Passports", "P"), ("Payments", "Y"))
COUNTERS = ("1", "2", "3")
RETURN_MINUTES = 30  # issue 16: a no-show may come back this long (the clock moves up to 700 s a step)


class ServicesDay(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="qode-services-"))
        self.clock = FakeClock(utc(2026, 3, 10, 9, 0))
        self.db = Database(self.folder / "day.db", clock=self.clock)
        migrate(self.db)
        self.db.call_policy = rules.Policy(max_wait=MAX_WAIT, streak=STREAK)
        self.db.returns = tickets.Returns(RETURN_MINUTES, "front")  # issue 16: grace
        self.services = [queues.create_queue(self.db, name, prefix)[0]["id"] for name, prefix in SERVICES]
        self.prefix = dict(zip(self.services, (p for _, p in SERVICES), strict=True))
        self.issued: dict[str, tuple[str, int, str]] = {}  # ticket -> (issuing service, number, display)
        self.last_number = dict.fromkeys(self.services, 0)
        self.entered_waiting: dict[str, int] = {}  # ticket -> times it (re)entered WAITING
        self.called: dict[str, int] = {}  # ticket -> call events seen from the line
        self.run = dict.fromkeys(self.services, 0)  # priority calls in a row that overtook a normal one
        # Counters shared between services (docs/services.md section 2's tables): one in strict order,
        # one weighted. Part 1's endpoints make these; here the rows are written as the schema says.
        self.counters = {}
        with self.db.write() as conn:
            for name, rule_, served in (
                ("Desk 2", "order", ((0, 1.0), (1, 1.0))),
                ("Desk 3", "weighted", ((1, 1.0), (2, 3.0))),
            ):
                counter_id = str(uuid.uuid4())
                conn.execute(
                    "INSERT INTO counters (id, name, rule, is_open, created_at, updated_at)"
                    " VALUES (?, ?, ?, 1, '2026-03-10T09:00:00.000Z', '2026-03-10T09:00:00.000Z')",
                    (counter_id, name, rule_),
                )
                for position, (index, weight) in enumerate(served):
                    conn.execute(
                        "INSERT INTO counter_services (counter_id, queue_id, position, weight)"
                        " VALUES (?, ?, ?, ?)",
                        (counter_id, self.services[index], position, weight),
                    )
                self.counters[counter_id] = [self.services[index] for index, _ in served]

    def teardown(self):
        self.db.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # ---- reading the stored day ------------------------------------------------------------

    def rows(self, status: str | None = None, service: str | None = None) -> list[dict]:
        sql, params = "SELECT * FROM tickets WHERE 1", []
        if status:
            sql, params = sql + " AND status = ?", [*params, status]
        if service:
            sql, params = sql + " AND queue_id = ?", [*params, service]
        with self.db.read() as conn:
            return [dict(r) for r in conn.execute(sql + " ORDER BY line_seq", params)]

    def ahead(self, service: str) -> dict[str, int]:
        """What each waiting guest of `service` is told (GET /api/tickets/{id}'s people_ahead)."""
        return {
            row["id"]: tickets.get(self.db, row["id"])["people_ahead"] for row in self.rows("WAITING", service)
        }

    def waited(self, row: dict) -> float:
        return self.clock.monotonic() - row["line_mono"]

    # ---- what a day does ---------------------------------------------------------------

    @rule(service=st.integers(0, 2), priority=st.booleans())
    def join(self, service, priority):
        sid = self.services[service]
        ticket, created = tickets.issue_ticket(self.db, sid, None, "host", priority=priority)
        assert created and ticket["priority"] is priority
        # numbers per issuing service are gap-free, and the display number is the service's prefix
        self.last_number[sid] += 1
        assert ticket["position_number"] == self.last_number[sid]
        assert ticket["display_number"] == f"{self.prefix[sid]}{self.last_number[sid]:03d}"
        self.issued[ticket["id"]] = (sid, ticket["position_number"], ticket["display_number"])
        self.entered_waiting[ticket["id"]] = 1

    def _check_call(self, sid: str, before: list[dict], called: dict) -> None:
        """The properties of one call from `sid`'s line, given its WAITING rows just before."""
        ids = {row["id"]: row for row in before}
        assert called["id"] in ids, "a call took a ticket that was not waiting in that service"
        assert called["queue_id"] == sid and called["service"]["id"] == sid  # a counter calls its own service
        self.called[called["id"]] = self.called.get(called["id"], 0) + 1
        assert self.called[called["id"]] <= self.entered_waiting[called["id"]], "a ticket was called twice"
        mine = ids[called["id"]]
        overdue = [row for row in before if self.waited(row) >= MAX_WAIT]
        if overdue:  # nobody passes over an overdue ticket: the longest wait goes first
            assert self.waited(mine) == max(self.waited(row) for row in overdue)
            assert called["reason"] == "overdue"
        elif mine["priority"]:
            # priority first: the first priority ticket in line order
            assert mine["line_seq"] == min(r["line_seq"] for r in before if r["priority"])
        else:
            normals = [r for r in before if not r["priority"]]
            assert mine["line_seq"] == min(r["line_seq"] for r in normals)
            # a normal ticket before a waiting priority one only by the streak bound
            if any(r["priority"] for r in before):
                assert called["reason"] == "streak"
        self._count_run(sid, before, mine)
        assert self.run[sid] <= STREAK, "more priority calls in a row overtook a normal ticket than the bound"

    def _count_run(self, sid: str, before: list[dict], mine: dict, chosen: bool = False) -> None:
        """Priority calls in a row that overtook a normal ticket waiting with a lower line_seq: a
        normal call, or a call with no normal ticket waiting, ends the run; a host's own choice does
        not add to it (the rule's stored streak still counts it, so the bound holds conservatively)."""
        normals = [r for r in before if not r["priority"] and r["id"] != mine["id"]]
        if not mine["priority"] or not normals:
            self.run[sid] = 0
        elif not chosen and any(r["line_seq"] < mine["line_seq"] for r in normals):
            self.run[sid] += 1

    @rule(service=st.integers(0, 2), counter=st.sampled_from(COUNTERS), calls=st.integers(1, 4))
    def call_in_a_row(self, service, counter, calls):
        """Several calls with nothing else happening: they come exactly in the order people_ahead
        told each guest before the first one (people ahead is the true call order)."""
        sid = self.services[service]
        told = self.ahead(sid)
        assert sorted(told.values()) == list(range(len(told))), "people ahead is not one place per guest"
        for n in range(calls):
            before = self.rows("WAITING", sid)
            if not before:
                try:
                    tickets.call_next(self.db, sid, counter)
                except Conflict as err:
                    assert err.code == "nobody_waiting"
                else:
                    raise AssertionError("a call with nobody waiting")
                return
            called = tickets.call_next(self.db, sid, counter)
            assert told[called["id"]] == n, "the call order differs from what people_ahead said"
            self._check_call(sid, before, called)

    @rule(which=st.integers(0, 1))
    def call_at_a_shared_counter(self, which):
        """A counter serving two services calls by its rule: only its own services, only a
        service's head (so every service-level property holds), an overdue head first."""
        counter_id = list(self.counters)[which]
        served = self.counters[counter_id]
        before = {sid: self.rows("WAITING", sid) for sid in served}
        told = {sid: self.ahead(sid) for sid in served}
        if not any(before.values()):
            try:
                tickets.counter_call_next(self.db, counter_id)
            except Conflict as err:
                assert err.code == "nobody_waiting"
            else:
                raise AssertionError("a call with nobody waiting")
            return
        called = tickets.counter_call_next(self.db, counter_id)
        sid = called["queue_id"]
        assert sid in served, "a counter called a service it does not serve"
        assert called["counter_id"] == counter_id
        assert told[sid][called["id"]] == 0, "the counter did not call its service's head"
        overdue = [r for rows in before.values() for r in rows if self.waited(r) >= MAX_WAIT]
        if overdue:  # across the counter's services, no call passes over an overdue ticket
            mine = next(r for r in before[sid] if r["id"] == called["id"])
            assert self.waited(mine) == max(self.waited(r) for r in overdue)
        self._check_call(sid, before[sid], called)

    @precondition(lambda self: self.rows("WAITING"))
    @rule(data=st.data())
    def call_this_one(self, data):
        row = data.draw(st.sampled_from(self.rows("WAITING")))
        before = self.rows("WAITING", row["queue_id"])
        called = tickets.recall(self.db, row["id"], data.draw(st.sampled_from(COUNTERS)))
        assert called["reason"] == "chosen" and called["status"] == "CALLED"
        self.called[row["id"]] = self.called.get(row["id"], 0) + 1
        assert self.called[row["id"]] <= self.entered_waiting[row["id"]]
        self._count_run(row["queue_id"], before, row, chosen=True)

    @precondition(lambda self: self.rows("CALLED"))
    @rule(data=st.data())
    def requeue(self, data):
        row = data.draw(st.sampled_from(self.rows("CALLED")))
        assert tickets.move(self.db, row["id"], "requeue")["status"] == "WAITING"
        self.entered_waiting[row["id"]] += 1

    @precondition(lambda self: self.rows("CALLED"))
    @rule(data=st.data())
    def serve_and_complete(self, data):
        row = data.draw(st.sampled_from(self.rows("CALLED")))
        tickets.move(self.db, row["id"], "serve")
        tickets.move(self.db, row["id"], "complete")

    @precondition(lambda self: self.rows("WAITING") or self.rows("CALLED") or self.rows("SERVING"))
    @rule(data=st.data(), placement=st.sampled_from(("original", "end", None)))
    def transfer(self, data, placement):
        active = [r for r in self.rows() if r["status"] in ("WAITING", "CALLED", "SERVING")]
        row = data.draw(st.sampled_from(active))
        target = data.draw(st.sampled_from([s for s in self.services if s != row["queue_id"]]))
        before = tickets.get(self.db, row["id"])
        moved = tickets.transfer(self.db, row["id"], target, placement)
        # a transfer keeps the ticket: id, number, prefix (the issuing service's), priority
        issuer, number, shown = self.issued[row["id"]]
        assert moved["id"] == row["id"] == before["id"]
        assert (
            (moved["position_number"], moved["display_number"])
            == (number, shown)
            == (before["position_number"], before["display_number"])
        )
        assert moved["issued_queue_id"] == issuer and moved["priority"] == bool(row["priority"])
        assert moved["queue_id"] == target and moved["status"] == "WAITING"
        assert moved["transfers"] == row["transfers"] + 1
        stored = self.rows(service=target)
        again = next(r for r in stored if r["id"] == row["id"])
        if placement in ("original", None):  # a service's default placement is 'original'
            assert again["line_seq"] == row["line_seq"]
        else:  # at the end: after everyone in that line
            assert all(again["line_seq"] > r["line_seq"] for r in stored if r["id"] != row["id"])
        if row["status"] != "WAITING":
            self.entered_waiting[row["id"]] += 1

    @precondition(lambda self: self.rows("CALLED"))
    @rule(data=st.data())
    def no_show(self, data):
        row = data.draw(st.sampled_from(self.rows("CALLED")))
        assert tickets.move(self.db, row["id"], "no-show")["status"] == "NO_SHOW"

    def missed(self) -> list[dict]:
        return [row for row in self.rows("NO_SHOW") if not row["returned_at"]]

    @precondition(lambda self: self.missed())
    @rule(data=st.data())
    def comes_back(self, data):
        """issue 16, grace (docs/services.md section 14): a no-show back at the front of its service,
        before the head in line order and with its time in line, so the rule keeps its promises."""
        row = data.draw(st.sampled_from(self.missed()))
        sid = row["queue_id"]
        before = self.rows("WAITING", sid)
        try:
            back = tickets.return_ticket(self.db, row["id"])
        except Conflict as err:
            assert err.code == "window_passed"
            return
        assert (back["id"], back["position_number"]) == (row["id"], row["position_number"])
        assert back["status"] == "WAITING"
        self.entered_waiting[row["id"]] += 1
        again = next(r for r in self.rows("WAITING", sid) if r["id"] == row["id"])
        if not before:
            return
        head = min(before, key=lambda r: (r["line_seq"], r["id"]))
        assert again["line_seq"] < min(r["line_seq"] for r in before)
        assert self.waited(again) == self.waited(head)
        overdue = any(self.waited(r) >= MAX_WAIT for r in before)
        if not row["priority"] and not overdue and not any(r["priority"] for r in before):
            assert back["people_ahead"] == 0  # next to be called in its service
        if row["priority"] and not overdue:
            assert back["people_ahead"] <= sum(1 for r in before if not r["priority"])  # first priority

    @precondition(lambda self: self.rows("WAITING"))
    @rule(data=st.data(), priority=st.booleans())
    def change_priority(self, data, priority):
        row = data.draw(st.sampled_from(self.rows("WAITING")))
        assert tickets.set_priority(self.db, row["id"], priority)["priority"] is priority

    @rule(service=st.integers(0, 2), pattern=st.lists(st.booleans(), min_size=2, max_size=6))
    def join_several(self, service, pattern):
        """A burst of joins (True: priority), so lines long enough for the streak to matter are common."""
        for priority in pattern:
            self.join(service, priority)

    @rule(seconds=st.sampled_from((0, 10, 60, 200, 700)))
    def time_passes(self, seconds):
        self.clock.advance(seconds=seconds)

    # ---- what must always hold ---------------------------------------------------------

    @invariant()
    def waiting_counts_and_numbers_hold(self):
        with self.db.read() as conn:
            for sid in self.services:
                stored = conn.execute("SELECT waiting_count FROM queues WHERE id = ?", (sid,)).fetchone()[0]
                assert stored == len(self.rows("WAITING", sid))
            # every ticket is where its id says, with its issuing service's number, once
            for ticket_id, (issuer, number, _) in self.issued.items():
                row = conn.execute(
                    "SELECT issued_queue_id, position_number FROM tickets WHERE id = ?", (ticket_id,)
                ).fetchone()
                assert (row[0], row[1]) == (issuer, number)
            # call events from the line: never a ticket more often than it entered the line
            for ticket_id, count in conn.execute(
                "SELECT ticket_id, COUNT(*) FROM events WHERE type IN ('call', 'recall')"
                " AND json_extract(data, '$.reason') IS NOT NULL GROUP BY ticket_id"
            ):
                # (this machine never calls a CALLED ticket again, so every call is one from the line)
                assert count <= self.entered_waiting[ticket_id], "a ticket was called twice"
            # issue 16: a ticket comes back once at most
            assert conn.execute("SELECT COUNT(*) FROM events WHERE type = 'returned' GROUP BY ticket_id"
                                " HAVING COUNT(*) > 1").fetchall() == []


ServicesDay.TestCase.settings = settings(
    max_examples=80, stateful_step_count=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_a_stored_day_keeps_every_call_rule = ServicesDay.TestCase
