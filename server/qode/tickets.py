"""Ticket rules: issue, call next, and the lifecycle moves of DESIGN.md.

WAITING → CALLED (call next / recall) · CALLED → SERVING → COMPLETED ·
CALLED → COMPLETED · CALLED → NO_SHOW · CALLED → WAITING (requeue) ·
WAITING/CALLED → CANCELLED. Anything else is a Conflict.
"""

from __future__ import annotations

import sqlite3
import uuid
from bisect import bisect_left

from . import estimates, events, queues
from .clock import iso
from .db import Database
from .errors import Conflict, NotFound
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


def issue_ticket(
    db: Database, queue_id: str, device_token: str | None, source: str = "web", kiosk_id: str | None = None
) -> tuple[dict, bool]:
    """Issue the next number, or return the device's active ticket. Returns (ticket, created).

    A ticket issued by a kiosk that has a printer comes with its print job, made in the same
    transaction, under the key `print_job` (the job's row).
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
            " service_day, created_at) VALUES (:id, :queue_id, :device_token, :position_number,"
            " :status, :source, :service_day, :created_at)",
            ticket,
        )
        events.append(conn, db.clock, queue_id, "join", ticket=ticket, data={"source": source})
        job = None
        if kiosk_id is not None:
            from . import printing

            if printing.has_printer(conn, kiosk_id):
                job = printing.create_job(db, conn, ticket, kiosk_id, "issue")
                ticket["print_status"] = "pending"
        # Everyone waiting is ahead of the newest number: no need to count them.
        queue = {**queue, "last_number_issued": number}
        out = render(ticket, queue, queue["waiting_count"], predicted)
        return ({**out, "print_job": job} if job else out), True


def _use_counter(db: Database, conn: sqlite3.Connection, queue: dict, counter: str | None) -> str:
    """The counter a call comes from; a first call from a new counter opens it."""
    name = counter or DEFAULT_COUNTER
    row = conn.execute(
        "SELECT is_open FROM counters WHERE queue_id = ? AND name = ?", (queue["id"], name)
    ).fetchone()
    if row is None:
        conn.execute(
            "INSERT INTO counters (queue_id, name, is_open, updated_at) VALUES (?, ?, 1, ?)",
            (queue["id"], name, iso(db.clock.now())),
        )
        events.append(
            conn, db.clock, queue["id"], "counter_opened", data={"counter": name},
            service_day=queue["service_day"],
        )
    elif not row["is_open"]:
        raise Conflict(f"Counter {name} is closed. Open it before calling guests.", "counter_closed")
    return name


def _call(db: Database, conn: sqlite3.Connection, queue: dict, ticket: dict, counter: str, type_: str) -> dict:
    now = iso(db.clock.now())
    row = conn.execute(
        "UPDATE tickets SET status = 'CALLED', counter = ?, called_at = ? WHERE id = ? RETURNING *",
        (counter, now, ticket["id"]),
    ).fetchone()
    conn.execute(
        "UPDATE queues SET current_position = ?, updated_at = ? WHERE id = ?",
        (ticket["position_number"], now, queue["id"]),
    )
    events.append(conn, db.clock, queue["id"], type_, ticket=ticket, data={"counter": counter})
    return view(db, conn, dict(row), {**queue, "current_position": ticket["position_number"]})


def call_next(db: Database, queue_id: str, counter: str | None = None) -> dict:
    """Call the lowest WAITING number of the day to `counter`."""
    with db.write() as conn:
        queue = queues.load_for_write(db, conn, queue_id)
        row = conn.execute(
            "SELECT * FROM tickets WHERE queue_id = ? AND service_day = ? AND status = 'WAITING'"
            " ORDER BY position_number LIMIT 1",
            (queue_id, queue["service_day"]),
        ).fetchone()
        if row is None:
            raise Conflict("Nobody is waiting.", "nobody_waiting")
        name = _use_counter(db, conn, queue, counter)
        return _call(db, conn, queue, dict(row), name, "call")


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
            sql = "UPDATE tickets SET status = 'WAITING', counter = NULL, called_at = NULL"
            params: tuple = ()
        else:
            sql = f"UPDATE tickets SET status = ?, {stamp} = ?"
            params = (target, now)
        if name == "cancel":
            sql += ", reason = ?"
            params += (f"cancelled_by_{by}",)
        row = conn.execute(sql + " WHERE id = ? RETURNING *", (*params, ticket_id)).fetchone()
        data = {"counter": ticket["counter"]} if ticket["counter"] else {}
        if name == "cancel" or by != "host":
            data["by"] = by  # who cancelled; "auto" for a no-show the scheduler marked
        events.append(conn, db.clock, queue["id"], type_, ticket=ticket, data=data)
        return view(db, conn, dict(row), queue)


def recall(db: Database, ticket_id: str, counter: str | None = None) -> dict:
    """Call this ticket now: out of turn from WAITING, or again when already CALLED."""
    with db.write() as conn:
        ticket, queue = _load_active(db, conn, ticket_id)
        if ticket["status"] not in ("WAITING", "CALLED"):
            raise _refuse(ticket, "recall")
        name = _use_counter(db, conn, queue, counter or ticket["counter"])
        return _call(db, conn, queue, ticket, name, "recall")


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
