"""Ticket rules: issue, call next, and the lifecycle moves (docs/architecture.md).

WAITING → CALLED (call next / recall) · CALLED → SERVING → COMPLETED ·
CALLED → COMPLETED · CALLED → NO_SHOW · CALLED → WAITING (requeue) ·
WAITING/CALLED → CANCELLED. Anything else is a Conflict.
A counter holds at most one CALLED or SERVING ticket: a call or serve there first ends the
one it held (`_free_counter`).
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import threading
import uuid
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass

from . import estimates, events, queues
from .clock import iso
from .db import Database
from .errors import Conflict, NotFound, TooManyTickets
from .schemas import ACTIVE_STATUSES

DEFAULT_COUNTER = "1"


def load(conn: sqlite3.Connection, ticket_id: str) -> dict:
    row = conn.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
    if row is None:
        raise NotFound("No ticket with that id.", "ticket_not_found")
    return dict(row)


def queue_of(db: Database, ticket_id: str) -> str:
    """The queue a ticket belongs to (for checking a host's credential)."""
    with db.read() as conn:
        return load(conn, ticket_id)["queue_id"]


def render(ticket: dict, queue: dict, people_ahead: int, predicted: estimates.Prediction) -> dict:
    """What a ticket holder sees: status, people ahead, ETA and now serving."""
    current = queue["current_position"]
    return {
        "id": ticket["id"],
        "queue_id": ticket["queue_id"],
        "position_number": ticket["position_number"],
        "display_number": queues.display_number(queue["prefix"], ticket["position_number"]),
        "status": ticket["status"],
        "source": ticket["source"],
        "counter": ticket["counter"],
        "reason": ticket["reason"],
        "people_ahead": people_ahead if ticket["status"] == "WAITING" else 0,
        "eta_seconds": predicted.for_ticket(ticket),
        "now_serving": queues.display_number(queue["prefix"], current) if current else None,
        "service_day": ticket["service_day"],
        "created_at": ticket["created_at"],
        "called_at": ticket["called_at"],
        "serving_at": ticket["serving_at"],
        "completed_at": ticket["completed_at"],
        "print_status": ticket.get("print_status"),
    }


def view(db: Database, conn: sqlite3.Connection, ticket: dict, queue: dict) -> dict:
    """`render` with people ahead counted: WAITING tickets with a lower number."""
    people_ahead = 0
    if ticket["status"] == "WAITING":
        people_ahead = conn.execute(
            "SELECT COUNT(*) FROM tickets WHERE queue_id = ? AND service_day = ?"
            " AND status = 'WAITING' AND position_number < ?",
            (ticket["queue_id"], ticket["service_day"], ticket["position_number"]),
        ).fetchone()[0]
    return render(ticket, queue, people_ahead, estimates.for_ticket(db, ticket, queue))


def waiting_numbers(db: Database, conn: sqlite3.Connection, queue_id: str, day: str, version: int) -> list[int]:
    """The day's WAITING numbers in order, cached until the next commit.

    `version` is `db.version` read before `conn`'s snapshot was taken, so an entry is never
    labelled newer than its data. Status reads then bisect instead of counting the line.
    """
    key = ("waiting", queue_id, day)
    hit = db.memo.get(key)
    if hit is not None and hit[0] == db.version:
        return hit[1]
    numbers = [row[0] for row in conn.execute(
        "SELECT position_number FROM tickets WHERE queue_id = ? AND service_day = ?"
        " AND status = 'WAITING' ORDER BY position_number",
        (queue_id, day),
    )]
    if len(db.memo) > 256:  # one entry per queue and day; old days need no keeping
        db.memo.clear()
    db.memo[key] = (version, numbers)
    return numbers


def get(db: Database, ticket_id: str) -> dict:
    """A ticket's current status. A leftover from a day that has ended reads as closed."""
    version = db.version  # before the read's snapshot: see waiting_numbers
    with db.read() as conn:
        ticket = load(conn, ticket_id)
        queue = queues.load(conn, ticket["queue_id"])
        today = db.clock.service_day()
        if ticket["service_day"] < today and ticket["status"] in ACTIVE_STATUSES:
            # The rollover has not been written yet (no write since midnight); show its outcome.
            ended = "COMPLETED" if ticket["status"] == "SERVING" else "CANCELLED"
            ticket = {**ticket, "status": ended, "reason": "day_ended"}
        ahead = 0
        if ticket["status"] == "WAITING":
            numbers = waiting_numbers(db, conn, ticket["queue_id"], ticket["service_day"], version)
            ahead = bisect_left(numbers, ticket["position_number"])
        queue = queues.as_of(queue, today)
        return render(ticket, queue, ahead, estimates.for_ticket(db, ticket, queue))


def held_by(db: Database, queue_id: str, device_token: str) -> dict | None:
    """The device's active ticket in the queue's current service day, if it holds one."""
    with db.read() as conn:
        queue = queues.as_of(queues.load(conn, queue_id), db.clock.service_day())
        row = conn.execute(
            "SELECT * FROM tickets WHERE queue_id = ? AND service_day = ? AND device_token = ?"
            " AND status IN ('WAITING','CALLED','SERVING') LIMIT 1",
            (queue_id, queue["service_day"], device_token),
        ).fetchone()
        return view(db, conn, dict(row), queue) if row is not None else None


@dataclass(frozen=True)
class Caps:
    """The flood caps a join must pass (None: off). See README, "Flood caps"."""

    queue: int | None = None  # active tickets in the line, whoever issued them
    per_address: int | None = None  # active tickets of one client address in the line (web joins)
    per_device: int | None = None  # active tickets of one device token across the box (web joins)


NO_CAPS = Caps()
RETRY_AFTER_TICKETS = 60  # a cap on held tickets frees when one is served: a polite re-check interval


class Refusals:
    """Joins a cap refused, per queue and service day. In memory: a refusal costs no write."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], dict[str, int]] = {}

    def add(self, queue_id: str, day: str, code: str) -> None:
        with self._lock:
            if len(self._counts) > 1024:  # old days need no keeping
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= day}
            counts = self._counts.setdefault((queue_id, day), {})
            counts[code] = counts.get(code, 0) + 1

    def of(self, queue_id: str, day: str) -> dict:
        """{"total": n, "queue_full": n, "too_many_tickets": n, "rate_limited": n} for that day."""
        with self._lock:
            counts = dict(self._counts.get((queue_id, day), {}))
        out = {code: counts.get(code, 0) for code in ("queue_full", "too_many_tickets", "rate_limited")}
        return {"total": sum(out.values()), **out}


def refusals(db: Database) -> Refusals:
    """The process's refusal counts for `db` (`db.refusals`), made on first use."""
    if db.refusals is None:
        db.refusals = Refusals()
    return db.refusals


def origin_of(db: Database, conn: sqlite3.Connection, address: str) -> str:
    """A keyed hash of a client address: enough to count a guest's tickets, never the address."""
    if db.origin_key is None:
        row = conn.execute("SELECT secret FROM sync_state WHERE id = 1").fetchone()
        db.origin_key = (row[0] if row and row[0] else "qode").encode()
    key = db.origin_key
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]


def _check_caps(db: Database, conn: sqlite3.Connection, queue: dict, device_token: str | None,
                origin: str | None, caps: Caps) -> None:
    """Refuse a join that would pass a cap; runs inside the issuing write, so no join races past."""
    day = queue["service_day"]
    if caps.queue is not None:
        busy = conn.execute(
            "SELECT COUNT(*) FROM tickets WHERE queue_id = ? AND service_day = ?"
            " AND status IN ('CALLED','SERVING')",
            (queue["id"], day),
        ).fetchone()[0]
        if queue["waiting_count"] + busy >= caps.queue:
            raise Conflict("This line is full right now. Please try again when it has moved on.", "queue_full")
    if origin is not None and caps.per_address is not None:
        held = conn.execute(
            "SELECT COUNT(*) FROM tickets WHERE queue_id = ? AND service_day = ? AND origin = ?"
            " AND status IN ('WAITING','CALLED','SERVING')",
            (queue["id"], day, origin),
        ).fetchone()[0]
        if held >= caps.per_address:
            raise TooManyTickets("This network connection already holds as many tickets for this line as "
                                 "one guest may. Try again once one of them has been served.",
                                 headers={"Retry-After": str(RETRY_AFTER_TICKETS)})
    if device_token is not None and caps.per_device is not None:
        # Every line's own day: a ticket of a day that has ended is no longer active.
        held = conn.execute(
            "SELECT COUNT(*) FROM tickets t JOIN queues q ON q.id = t.queue_id WHERE t.device_token = ?"
            " AND t.service_day = q.service_day AND t.status IN ('WAITING','CALLED','SERVING')",
            (device_token,),
        ).fetchone()[0]
        if held >= caps.per_device:
            raise TooManyTickets("This phone already holds as many tickets as one guest may. "
                                 "Try again once one of them has been served.",
                                 headers={"Retry-After": str(RETRY_AFTER_TICKETS)})


def issue_ticket(
    db: Database, queue_id: str, device_token: str | None, source: str = "web",
    print_job: Callable[[sqlite3.Connection, dict], dict | None] | None = None,
    *, address: str | None = None, caps: Caps = NO_CAPS,
) -> tuple[dict, bool]:
    """Issue the next number, or return the device's active ticket. Returns (ticket, created).

    `print_job` (a kiosk's issue: `printing.on_issue`) is called inside the same transaction
    with the new ticket; the job it makes, if any, comes back under the key `print_job` (the
    job's row). Print jobs build on tickets, so this module never imports `printing`.
    `address` (web joins only) is the client's, for the per-address cap; `caps` are checked
    in the same transaction.
    """
    with db.write() as conn:
        queue = queues.load_for_write(db, conn, queue_id)
        day = queue["service_day"]
        if device_token is not None:
            row = conn.execute(
                "SELECT * FROM tickets WHERE queue_id = ? AND service_day = ? AND device_token = ?"
                " AND status IN ('WAITING','CALLED','SERVING') LIMIT 1",
                (queue_id, day, device_token),
            ).fetchone()
            if row is not None:
                return view(db, conn, dict(row), queue), False
        if not queue["active"]:
            raise Conflict("This line is closed and is not taking new tickets.", "queue_closed")
        if queue["is_paused"]:
            raise Conflict(
                "This line is paused for a moment. Please try again shortly.", "queue_paused"
            )
        origin = origin_of(db, conn, address) if address is not None else None
        _check_caps(db, conn, queue, device_token if source == "web" else None, origin, caps)
        # Before this join's event: what a new joiner waits (and no uncommitted event to replay).
        predicted = estimates.of(db).predict(queue)
        # The counter and the row it numbers are written in one IMMEDIATE transaction;
        # the RETURNING row is read before commit.
        number = conn.execute(
            "UPDATE queues SET last_number_issued = last_number_issued + 1 WHERE id = ?"
            " RETURNING last_number_issued",
            (queue_id,),
        ).fetchone()[0]
        ticket = {
            "id": str(uuid.uuid4()),
            "queue_id": queue_id,
            "device_token": device_token,
            "position_number": number,
            "status": "WAITING",
            "source": source,
            "counter": None,
            "reason": None,
            "service_day": day,
            "created_at": iso(db.clock.now()),
            "called_at": None,
            "serving_at": None,
            "completed_at": None,
            "print_status": None,
        }
        conn.execute(
            "INSERT INTO tickets (id, queue_id, device_token, position_number, status, source,"
            " service_day, created_at, origin, issued_queue_id) VALUES (:id, :queue_id, :device_token,"
            " :position_number, :status, :source, :service_day, :created_at, :origin, :queue_id)",
            {**ticket, "origin": origin},
        )
        seq = events.append(conn, db.clock, queue_id, "join", ticket=ticket, data={"source": source})
        # issue 15 (m013): the ticket's place in its line is its join's seq (docs/services.md, decision 3).
        conn.execute("UPDATE tickets SET line_seq = ?, line_mono = ?, line_boot = ? WHERE id = ?",
                     (seq, db.clock.monotonic(), db.clock.boot_id, ticket["id"]))
        job = None
        if print_job is not None:
            job = print_job(conn, ticket)
            if job is not None:
                ticket["print_status"] = "pending"
        # Everyone waiting is ahead of the newest number: no need to count them.
        queue = {**queue, "last_number_issued": number}
        out = render(ticket, queue, queue["waiting_count"], predicted)
        return ({**out, "print_job": job} if job else out), True


def _use_counter(db: Database, conn: sqlite3.Connection, queue: dict, counter: str | None) -> dict:
    """The counter a call comes from (`queues.counter_row`): the one of that name serving this
    service; a first call from a new counter opens it, serving this service only."""
    name = counter or DEFAULT_COUNTER
    row = queues.counter_for(conn, queue["id"], name)
    if row is None:
        row = queues.new_counter(conn, name, iso(db.clock.now()), [queue["id"]])
        queues.counter_events(db, conn, row, "counter_opened")
    elif not row["is_open"]:
        raise Conflict(f"Counter {name} is closed. Open it before calling guests.", "counter_closed")
    return row


# ---- issue 14: one active ticket per counter -------------------------------------------
#
# A counter holds at most one CALLED or SERVING ticket. Every move that puts a ticket CALLED or
# SERVING at a counter (call next, call this one, serve) first ends what the counter still holds,
# in the same transaction: SERVING becomes COMPLETED (its service ends now), CALLED becomes
# NO_SHOW (as the grace period would have made it; a guest who came is served with "Serve").
# A ticket with no counter (older data) belongs to DEFAULT_COUNTER, where a call without a
# counter goes. Old data with several active tickets at one counter: all of them end.

# status a call ends -> (the status it ends in, the event it writes)
ENDS = {"SERVING": ("COMPLETED", "complete"), "CALLED": ("NO_SHOW", "no_show")}


def _free_counter(db: Database, conn: sqlite3.Connection, queue: dict, counter: dict | str,
                  keep: dict) -> list[dict]:
    """End every ticket still active at `counter` but `keep` (the ticket taking it), each with its
    own event; returns what was ended ({id, position_number, display_number, status}), by number.

    `counter` is a counter row (`queues.counter_row`): its tickets are those called there by id
    (in any of its services, each in its service's current day), and, in this service, those of
    its name with no counter id (older data). A name alone (a ticket whose counter has no row)
    matches by name within this service."""
    if isinstance(counter, dict):
        name, counter_id = counter["name"], counter["id"]
    else:
        name, counter_id = counter, None
    rows = conn.execute(
        "SELECT t.* FROM tickets t JOIN queues q ON q.id = t.queue_id AND q.service_day = t.service_day"
        " WHERE t.status IN ('CALLED','SERVING') AND t.id != ? AND ((? IS NOT NULL AND t.counter_id = ?)"
        " OR (t.queue_id = ? AND t.counter_id IS NULL AND COALESCE(t.counter, ?) = ?))"
        " ORDER BY t.position_number",
        (keep["id"], counter_id, counter_id, queue["id"], DEFAULT_COUNTER, name),
    ).fetchall()
    ended = []
    now = iso(db.clock.now())
    for row in rows:
        status, type_ = ENDS[row["status"]]
        conn.execute("UPDATE tickets SET status = ?, completed_at = ? WHERE id = ?", (status, now, row["id"]))
        # `replaced_by`: ended by the move that gave the counter to that number. The estimator
        # reads it (docs/eta.md): such a no-show is no cycle, such a completion one only if the
        # line never ran dry since its call.
        data = {"counter": name, "replaced_by": keep["position_number"]}
        if counter_id is not None:
            data["counter_id"] = counter_id
        events.append(conn, db.clock, row["queue_id"], type_, ticket=dict(row), data=data)
        prefix = queue["prefix"] if row["issued_queue_id"] in (None, queue["id"]) else \
            queues.load(conn, row["issued_queue_id"])["prefix"]
        ended.append({"id": row["id"], "position_number": row["position_number"],
                      "display_number": queues.display_number(prefix, row["position_number"]),
                      "status": status})
    return ended


def _call(db: Database, conn: sqlite3.Connection, queue: dict, ticket: dict, counter: dict, type_: str) -> dict:
    ended = _free_counter(db, conn, queue, counter, ticket)
    now = iso(db.clock.now())
    row = conn.execute(
        "UPDATE tickets SET status = 'CALLED', counter = ?, counter_id = ?, called_at = ?"
        " WHERE id = ? RETURNING *",
        (counter["name"], counter["id"], now, ticket["id"]),
    ).fetchone()
    conn.execute(
        "UPDATE queues SET current_position = ?, updated_at = ? WHERE id = ?",
        (ticket["position_number"], now, queue["id"]),
    )
    events.append(conn, db.clock, queue["id"], type_, ticket=ticket, data={
        "counter": counter["name"], "counter_id": counter["id"], "staff": counter["staff_name"]})
    out = view(db, conn, dict(row), {**queue, "current_position": ticket["position_number"]})
    return {**out, "ended": ended}


def call_next(db: Database, queue_id: str, counter: str | None = None) -> dict:
    """Call the lowest WAITING number of the day to `counter`, ending what the counter held.

    The answer is the called ticket with `ended`: the tickets this call ended (usually none or one).
    Nobody waiting: a Conflict, and the counter keeps its ticket.
    """
    with db.write() as conn:
        queue = queues.load_for_write(db, conn, queue_id)
        row = conn.execute(
            "SELECT * FROM tickets WHERE queue_id = ? AND service_day = ? AND status = 'WAITING'"
            " ORDER BY position_number LIMIT 1",
            (queue_id, queue["service_day"]),
        ).fetchone()
        if row is None:
            raise Conflict("Nobody is waiting.", "nobody_waiting")
        desk = _use_counter(db, conn, queue, counter)
        return _call(db, conn, queue, dict(row), desk, "call")


# move name → (statuses it may start from, status it ends in, timestamp column, event type)
MOVES = {
    "serve": (("CALLED",), "SERVING", "serving_at", "serve"),
    "complete": (("CALLED", "SERVING"), "COMPLETED", "completed_at", "complete"),
    "no-show": (("CALLED",), "NO_SHOW", "completed_at", "no_show"),
    "requeue": (("CALLED",), "WAITING", None, "requeue"),
    "cancel": (("WAITING", "CALLED"), "CANCELLED", "completed_at", "cancel"),
}

_STATUS_WORDS = {
    "WAITING": "waiting",
    "CALLED": "called",
    "SERVING": "being served",
    "COMPLETED": "completed",
    "NO_SHOW": "marked as a no-show",
    "CANCELLED": "cancelled",
}


def _load_active(db: Database, conn: sqlite3.Connection, ticket_id: str) -> tuple[dict, dict]:
    ticket = load(conn, ticket_id)
    queue = queues.load_for_write(db, conn, ticket["queue_id"])
    if ticket["service_day"] != queue["service_day"]:
        ticket = load(conn, ticket_id)  # the rollover may just have closed it
    return ticket, queue


def _refuse(ticket: dict, move: str) -> Conflict:
    return Conflict(
        f"Ticket {ticket['position_number']} is {_STATUS_WORDS[ticket['status']]}; "
        f"it cannot {move.replace('-', ' ')} now.",
        "illegal_transition",
    )


def move(db: Database, ticket_id: str, name: str, by: str = "host") -> dict:
    """Apply one lifecycle move (see MOVES) or raise Conflict."""
    allowed, target, stamp, type_ = MOVES[name]
    with db.write() as conn:
        ticket, queue = _load_active(db, conn, ticket_id)
        if ticket["status"] not in allowed:
            raise _refuse(ticket, name)
        now = iso(db.clock.now())
        if target == "WAITING":
            sql = "UPDATE tickets SET status = 'WAITING', counter = NULL, counter_id = NULL, called_at = NULL"
            params: tuple = ()
        else:
            sql = f"UPDATE tickets SET status = ?, {stamp} = ?"
            params = (target, now)
        if name == "cancel":
            sql += ", reason = ?"
            params += (f"cancelled_by_{by}",)
        ended = None
        if name == "serve":  # the counter serves this guest: anyone else it still holds ends
            at = ticket["counter"] or DEFAULT_COUNTER  # the counter of that name serving this service
            ended = _free_counter(db, conn, queue, queues.counter_for(conn, queue["id"], at) or at, ticket)
        row = conn.execute(sql + " WHERE id = ? RETURNING *", (*params, ticket_id)).fetchone()
        data = {"counter": ticket["counter"]} if ticket["counter"] else {}
        if name == "cancel" or by != "host":
            data["by"] = by  # who cancelled; "auto" for a no-show the scheduler marked
        events.append(conn, db.clock, queue["id"], type_, ticket=ticket, data=data)
        out = view(db, conn, dict(row), queue)
        return out if ended is None else {**out, "ended": ended}


def recall(db: Database, ticket_id: str, counter: str | None = None) -> dict:
    """Call this ticket now: out of turn from WAITING, or again when already CALLED (to `counter`,
    or its own). Like call next, it first ends what that counter holds; the answer says so in `ended`."""
    with db.write() as conn:
        ticket, queue = _load_active(db, conn, ticket_id)
        if ticket["status"] not in ("WAITING", "CALLED"):
            raise _refuse(ticket, "recall")
        desk = _use_counter(db, conn, queue, counter or ticket["counter"])
        return _call(db, conn, queue, ticket, desk, "recall")


def list_tickets(db: Database, queue_id: str, status: str | None = None) -> list[dict]:
    """Every ticket of the queue's current service day, in number order."""
    with db.read() as conn:
        queue = queues.as_of(queues.load(conn, queue_id), db.clock.service_day())
        sql = "SELECT * FROM tickets WHERE queue_id = ? AND service_day = ?"
        params: list = [queue_id, queue["service_day"]]
        if status:
            sql += " AND status = ?"
            params.append(status)
        rows = conn.execute(sql + " ORDER BY position_number", params).fetchall()
        out = []
        waiting_before = 0
        predicted = estimates.of(db).predict(queue)
        for row in rows:
            out.append(render(dict(row), queue, waiting_before, predicted))
            waiting_before += row["status"] == "WAITING"
        return out


# ---- issue 11: the host's bulk actions and the host channel's rows ---------------------

BULK_REASONS = {False: "cancelled_by_host", True: "line_closed"}


def cancel_waiting(db: Database, queue_id: str, source: str | None = None, joined_after: str | None = None,
                   close: bool = False) -> dict:
    """Cancel every WAITING ticket of the day (only `source`'s, only those joined after
    `joined_after`), and with `close` close the line first: one transaction, all or nothing.

    The log gets one `waiting_cleared` event with the filter (the host channel sends that instead
    of a row per ticket), then each ticket's own `cancel` event marked with it (sync, ETA, guests).
    Returns {"cancelled": n, "queue": the queue's state}.
    """
    reason = BULK_REASONS[close]
    with db.write() as conn:
        queue = queues.load_for_write(db, conn, queue_id)
        day = queue["service_day"]
        if close and queue["active"]:
            conn.execute("UPDATE queues SET active = 0, updated_at = ? WHERE id = ?",
                         (iso(db.clock.now()), queue_id))
            events.append(conn, db.clock, queue_id, "queue_closed", data={"active": False}, service_day=day)
        sql = ("UPDATE tickets SET status = 'CANCELLED', reason = ?, completed_at = ?"
               " WHERE queue_id = ? AND service_day = ? AND status = 'WAITING'")
        at = iso(db.clock.now())
        params: list = [reason, at, queue_id, day]
        if source is not None:
            sql += " AND source = ?"
            params.append(source)
        if joined_after is not None:
            sql += " AND created_at > ?"
            params.append(joined_after)
        rows = conn.execute(sql + " RETURNING *", params).fetchall()
        if rows:
            summary = events.append(
                conn, db.clock, queue_id, "waiting_cleared", service_day=day,
                data={"count": len(rows), "reason": reason, "source": source, "joined_after": joined_after,
                      "up_to": queue["last_number_issued"], "at": at},
            )
            for row in rows:
                events.append(conn, db.clock, queue_id, "cancel", ticket=dict(row),
                              data={"by": "host", "reason": reason, "bulk": summary})
        return {"cancelled": len(rows), "queue": queues.view(db, conn, queues.load(conn, queue_id), day)}


# Host channel rows leave out what moves for every guest when one guest moves (people ahead,
# ETA, now serving: the state has the last two): a row changes only when its own ticket does,
# so a delta is one row, not the line.
HOST_ROW_OMITS = ("people_ahead", "eta_seconds", "now_serving")


def host_row(ticket: dict, queue: dict) -> dict:
    out = render(ticket, queue, 0, estimates.SETTLED)
    for key in HOST_ROW_OMITS:
        out.pop(key)
    return out


def host_rows(db: Database, queue_id: str, ticket_ids: list[str] | None = None) -> list[dict]:
    """The host channel's rows of the queue's current day: all of them (a snapshot), or those of
    `ticket_ids` (a delta; tickets of other days are left out), in number order."""
    with db.read() as conn:
        queue = queues.as_of(queues.load(conn, queue_id), db.clock.service_day())
        sql = "SELECT * FROM tickets WHERE queue_id = ? AND service_day = ?"
        params: list = [queue_id, queue["service_day"]]
        if ticket_ids is not None:
            if not ticket_ids:
                return []
            sql += f" AND id IN ({','.join('?' * len(ticket_ids))})"
            params += ticket_ids
        rows = conn.execute(sql + " ORDER BY position_number", params).fetchall()
        return [host_row(dict(row), queue) for row in rows]
