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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from . import estimates, events, queues, rules
from .clock import iso
from .db import Database
from .errors import Conflict, Forbidden, NotFound, TooManyTickets
from .schemas import ACTIVE_STATUSES, NEARLY_UP_DEFAULT

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


def render(ticket: dict, queue: dict, people_ahead: int, predicted: estimates.Prediction,
           issuer: dict | None = None) -> dict:
    """What a ticket holder sees: status, people ahead, ETA and now serving.

    `queue` is the service the ticket is in now; `issuer` the one that numbered it (its prefix
    makes the display number for ever, docs/services.md decision 2), `queue` when it is the same.
    """
    current = queue["current_position"]
    issuer = issuer or queue
    return {
        "id": ticket["id"],
        "queue_id": ticket["queue_id"],
        "position_number": ticket["position_number"],
        "display_number": queues.display_number(issuer["prefix"], ticket["position_number"]),
        "status": ticket["status"],
        "source": ticket["source"],
        "counter": ticket["counter"],
        "reason": ticket["reason"],
        "people_ahead": people_ahead if ticket["status"] == "WAITING" else 0,
        "eta_seconds": predicted.for_ticket(ticket),
        # (`serving_prefix`: set by callers that looked up the prefix of the number last called)
        "now_serving": queues.display_number(queue.get("serving_prefix", queue["prefix"]), current)
        if current else None,
        "service_day": ticket["service_day"],
        "created_at": ticket["created_at"],
        "called_at": ticket["called_at"],
        "serving_at": ticket["serving_at"],
        "completed_at": ticket["completed_at"],
        "print_status": ticket.get("print_status"),
        # issue 15: services (docs/services.md, section 2)
        "priority": bool(ticket.get("priority")),
        "issued_queue_id": ticket.get("issued_queue_id") or ticket["queue_id"],
        "service": {"id": queue["id"], "name": queue["name"], "prefix": queue["prefix"]},
        "transfers": ticket.get("transfers") or 0,
        "counter_id": ticket.get("counter_id"),
        # issue 16: nearly. The guest's page alerts once this many or fewer are ahead.
        "nearly_up": queue.get("nearly_up", NEARLY_UP_DEFAULT),
        # issue 16: grace (a no-show put back once; `return_until`: set by callers that know the window)
        "returned_at": ticket.get("returned_at"),
        "return_until": ticket.get("return_until"),
        # issue 16: how many times it moved back with "I'm running late" (docs/services.md, section 15)
        "late_uses": ticket.get("late_uses") or 0,
    }


def issuer_of(conn: sqlite3.Connection, ticket: dict, queue: dict) -> dict:
    """The service that numbered `ticket` (`queue`, the one it is in now, unless it was transferred)."""
    issued = ticket.get("issued_queue_id")
    if not issued or issued == queue["id"]:
        return queue
    return queues.load(conn, issued)


# ---- issue 15: the call rule on stored data (docs/services.md, sections 3 and 4) ---------

DEFAULT_POLICY = rules.Policy()


def policy(db: Database) -> rules.Policy:
    """The anti-starvation bounds the app set from QODE_MAX_WAIT and QODE_PRIORITY_STREAK."""
    return db.call_policy if db.call_policy is not None else DEFAULT_POLICY


_WAITING_SQL = (
    "SELECT t.id, t.queue_id, t.priority, t.line_seq, t.line_rank, t.line_mono, t.line_boot, t.position_number,"
    " t.created_at, e.created_at AS line_at FROM tickets t LEFT JOIN events e ON e.seq = t.line_seq"
    " WHERE t.queue_id = ? AND t.service_day = ? AND t.status = 'WAITING'"
)


def _waited(db: Database, row) -> float:
    """Seconds in its current line: by the monotonic clock within this boot, else by the wall
    clock from the line-entry event (a reboot mid-day), clamped at 0."""
    clock = db.clock
    if row["line_mono"] is not None and row["line_boot"] == clock.boot_id:
        return max(clock.monotonic() - row["line_mono"], 0.0)
    at = row["line_at"] or row["created_at"]
    entered = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return max((clock.now() - entered).total_seconds(), 0.0)


# issue 16: tickets sharing one line_seq (a ticket that moved back stands right behind the one whose
# line_seq it took) are ordered by `line_rank`; the rule sees one number, line_seq + rank / RANK_SCALE.
RANK_SCALE = rules.RANK_SCALE


def line_key(line_seq: int, rank: int | None) -> float | int:
    """A ticket's place in its line as the rule compares it (docs/services.md, section 15)."""
    return line_seq + rank / RANK_SCALE if rank else line_seq


def waiting_in(db: Database, conn: sqlite3.Connection, queue_id: str, day: str) -> list[rules.Waiting]:
    """One service's WAITING tickets of `day`, as the rule sees them."""
    return [
        rules.Waiting(
            row["id"], row["queue_id"], bool(row["priority"]),
            # a ticket of older data with no line_seq stands before every live seq, in number order
            line_key(row["line_seq"], row["line_rank"]) if row["line_seq"] is not None
            else row["position_number"] - 1_000_000_000,
            _waited(db, row),
        )
        for row in conn.execute(_WAITING_SQL, (queue_id, day))
    ]


def ahead_in(db: Database, conn: sqlite3.Connection, queue: dict, version: int | None = None) -> dict[str, int]:
    """People ahead of every WAITING ticket of the service (`rules.ahead_of_each`: the service's
    call order with its streak, the clock stopped).

    With `version` (`db.version` read before `conn`'s snapshot was taken; reads only, never inside
    a write) the answer is kept until the next commit, so a status read is a dict lookup.
    """
    key = ("order", queue["id"], queue["service_day"])
    if version is not None:
        hit = db.memo.get(key)
        if hit is not None and hit[0] == db.version:
            return hit[1]
    ahead = rules.ahead_of_each(waiting_in(db, conn, queue["id"], queue["service_day"]),
                                queue.get("priority_streak") or 0, policy(db))
    if version is not None:
        if len(db.memo) > 256:  # one entry per queue and day; old days need no keeping
            db.memo.clear()
        db.memo[key] = (version, ahead)
    return ahead


def view(db: Database, conn: sqlite3.Connection, ticket: dict, queue: dict) -> dict:
    """`render` with people ahead counted by the call rule (docs/services.md, section 4)."""
    people_ahead, behind = 0, 0
    if ticket["status"] == "WAITING":
        ahead = ahead_in(db, conn, queue)
        people_ahead = ahead.get(ticket["id"], 0)
        behind = max(len(ahead) - 1 - people_ahead, 0)
    queue = {**queue, "serving_prefix": queues.serving_prefix(conn, queue)}
    ticket = returnable(db, ticket)
    return with_late(db, render(ticket, queue, people_ahead, estimates.for_ticket(db, ticket, queue),
                                issuer_of(conn, ticket, queue)), behind)


def get(db: Database, ticket_id: str) -> dict:
    """A ticket's current status. A leftover from a day that has ended reads as closed."""
    version = db.version  # before the read's snapshot: see ahead_in
    with db.read() as conn:
        ticket = load(conn, ticket_id)
        queue = queues.load(conn, ticket["queue_id"])
        today = db.clock.service_day()
        if ticket["service_day"] < today and ticket["status"] in ACTIVE_STATUSES:
            # The rollover has not been written yet (no write since midnight); show its outcome.
            ended = "COMPLETED" if ticket["status"] == "SERVING" else "CANCELLED"
            ticket = {**ticket, "status": ended, "reason": "day_ended"}
        ahead, behind = 0, 0
        if ticket["status"] == "WAITING":
            line = ahead_in(db, conn, queue, version)
            ahead = line.get(ticket["id"], 0)
            behind = max(len(line) - 1 - ahead, 0)
        issuer = issuer_of(conn, ticket, queue)
        queue = queues.as_of(queue, today)
        queue = {**queue, "serving_prefix": queues.serving_prefix(conn, queue)}
        if ticket["service_day"] == today:  # a no-show of an earlier day never comes back
            ticket = returnable(db, ticket)
        out = render(ticket, queue, ahead, estimates.for_ticket(db, ticket, queue), issuer)
        return with_late(db, out, behind)


def held_by(db: Database, queue_id: str, device_token: str) -> dict | None:
    """The device's active ticket in the queue's current service day, if it holds one, read
    outside the writer (a guest's join once its limits are used up; `issue_ticket` looks inside)."""
    with db.read() as conn:
        queue = queues.as_of(queues.load(conn, queue_id), db.clock.service_day())
        row = _held_row(conn, queue_id, queue["service_day"], device_token)
        return view(db, conn, dict(row), queue) if row is not None else None


def _held_row(conn: sqlite3.Connection, queue_id: str, day: str, device_token: str):
    """The device's active ticket row in the queue on `day`, or None."""
    return conn.execute(
        "SELECT * FROM tickets WHERE queue_id = ? AND service_day = ? AND device_token = ?"
        " AND status IN ('WAITING','CALLED','SERVING') LIMIT 1",
        (queue_id, day, device_token),
    ).fetchone()


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
    *, address: str | None = None, caps: Caps = NO_CAPS, priority: bool = False, priority_ok: bool = True,
    before_new: Callable[[], None] | None = None,
) -> tuple[dict, bool]:
    """Issue the next number, or return the device's active ticket. Returns (ticket, created).

    `print_job` (a kiosk's issue: `printing.on_issue`) is called inside the same transaction
    with the new ticket; the job it makes, if any, comes back under the key `print_job` (the
    job's row). Print jobs build on tickets, so this module never imports `printing`.
    `address` (web joins only) is the client's, for the per-address cap; `caps` are checked
    in the same transaction. `priority` (issue 15) is refused unless `priority_ok` (a host or a
    kiosk issues) or the service offers priority on its join page. `before_new` (a guest's join
    limits) runs once no held ticket was found, before anything is written; it may raise.
    """
    with db.write() as conn:
        queue = queues.load_for_write(db, conn, queue_id)
        day = queue["service_day"]
        if device_token is not None:
            row = _held_row(conn, queue_id, day, device_token)
            if row is not None:
                return view(db, conn, dict(row), queue), False
        if before_new is not None:
            before_new()
        if not queue["active"]:
            raise Conflict("This line is closed and is not taking new tickets.", "queue_closed")
        if queue["is_paused"]:
            raise Conflict(
                "This line is paused for a moment. Please try again shortly.", "queue_paused"
            )
        if priority and not priority_ok and not queue["priority_on_join"]:
            raise Forbidden("This service does not offer priority tickets on its join page; "
                            "ask at the desk or use the kiosk.", "priority_not_allowed")
        origin = origin_of(db, conn, address) if address is not None else None
        _check_caps(db, conn, queue, device_token if source == "web" else None, origin, caps)
        # Before this join's event: what a new joiner waits (after the joins of its batch, not committed yet).
        # A priority ticket goes ahead of normal ones, so its own place is predicted after it joined.
        predicted = None if priority else estimates.of(db).predict(queue)
        # The counter and the row it numbers are written in one IMMEDIATE transaction;
        # the RETURNING row is read before commit.
        number = conn.execute(
            "UPDATE queues SET last_number_issued = last_number_issued + 1 WHERE id = ?"
            " RETURNING last_number_issued",
            (queue_id,),
        ).fetchone()[0]
        created_at, mono = iso(db.clock.now()), db.clock.monotonic()
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
            "created_at": created_at,
            "called_at": None,
            "serving_at": None,
            "completed_at": None,
            "print_status": None,
            "priority": int(priority),
            "issued_queue_id": queue_id,
            "transfers": 0,
            "counter_id": None,
        }
        # The join's event first: the row then takes its place in line (`_enter_line`'s columns)
        # as it is inserted, with the event's own readings, instead of an UPDATE after it.
        seq = events.append(conn, db.clock, queue_id, "join", ticket=ticket,
                            data={"source": source, "priority": bool(priority)}, at=(created_at, mono))
        conn.execute(
            "INSERT INTO tickets (id, queue_id, device_token, position_number, status, source,"
            " service_day, created_at, origin, issued_queue_id, priority, line_seq, line_mono, line_boot)"
            " VALUES (:id, :queue_id, :device_token, :position_number, :status, :source, :service_day,"
            " :created_at, :origin, :issued_queue_id, :priority, :line_seq, :line_mono, :line_boot)",
            {**ticket, "origin": origin, "line_seq": seq, "line_mono": mono, "line_boot": db.clock.boot_id},
        )
        job = None
        if print_job is not None:
            job = print_job(conn, ticket)
            if job is not None:
                ticket["print_status"] = "pending"
        queue = {**queue, "last_number_issued": number}
        ahead = queue["waiting_count"]  # a normal ticket joins behind everyone ...
        if priority or conn.execute(  # ... unless a priority ticket waits: then the rule counts
                "SELECT 1 FROM tickets INDEXED BY idx_tickets_waiting_priority WHERE queue_id = ?"
                " AND service_day = ? AND status = 'WAITING' AND priority != 0 LIMIT 1",
                (queue_id, day)).fetchone():
            ahead = ahead_in(db, conn, queue).get(ticket["id"], ahead)
        if predicted is None:  # the uncommitted join replayed on a copy: its ETA where it stands
            predicted = estimates.of(db).predict(queue)
        out = render(ticket, {**queue, "serving_prefix": queues.serving_prefix(conn, queue)}, ahead, predicted)
        return ({**out, "print_job": job} if job else out), True


def _enter_line(conn: sqlite3.Connection, ticket_id: str, seq: int) -> None:
    """Place a ticket in its line at the event `seq` (a transfer "at the end"; a join's row is
    inserted with them): `line_seq` and the event's monotonic reading and boot, so `waited` and
    `line_seq` agree."""
    conn.execute(
        "UPDATE tickets SET (line_seq, line_mono, line_boot) = (SELECT seq, mono, boot_id FROM events"
        " WHERE seq = ?), line_rank = 0 WHERE id = ?", (seq, ticket_id),
    )


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


def counter_by_id(conn: sqlite3.Connection, counter_id: str, queue_id: str | None = None) -> dict:
    """A counter by id (serving `queue_id`, when given); NotFound / Conflict otherwise."""
    row = queues.counter_row(conn, counter_id)
    if row is None:
        raise NotFound("No counter with that id.", "counter_not_found")
    if queue_id is not None and queue_id not in row["services"]:
        raise Conflict(f"Counter {row['name']} does not serve this service.", "counter_not_in_service")
    return row


def _open_counter(row: dict) -> dict:
    if not row["is_open"]:
        raise Conflict(f"Counter {row['name']} is closed. Open it before calling guests.", "counter_closed")
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


def _free_counter(db: Database, conn: sqlite3.Connection, queue: dict, counter: dict,
                  keep: dict) -> list[dict]:
    """End every ticket still active at `counter` but `keep` (the ticket taking it), each with its
    own event in its own service; returns what was ended ({id, position_number, display_number,
    status}), by number.

    `counter` is a counter row (`queues.counter_row`, or `{"id": None, "name": ...}` for a ticket
    whose counter has no row): its tickets are those called there by id (in any of its services,
    each in its service's current day), and, in this service, those of its name with no counter
    id (older data)."""
    name, counter_id = counter["name"], counter.get("id")
    rows = conn.execute(
        "SELECT t.* FROM tickets t JOIN queues q ON q.id = t.queue_id AND q.service_day = t.service_day"
        " WHERE t.status IN ('CALLED','SERVING') AND t.id != ? AND ((? IS NOT NULL AND t.counter_id = ?)"
        " OR (t.queue_id = ? AND t.counter_id IS NULL AND COALESCE(t.counter, ?) = ?))"
        " ORDER BY t.position_number",
        (keep["id"], counter_id, counter_id, queue["id"], DEFAULT_COUNTER, name),
    ).fetchall()
    ended = []
    now = iso(db.clock.now())
    services = {queue["id"]: queue}
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
        if row["queue_id"] not in services:
            services[row["queue_id"]] = queues.load(conn, row["queue_id"])
        issuer = issuer_of(conn, dict(row), services[row["queue_id"]])
        ended.append({"id": row["id"], "position_number": row["position_number"],
                      "display_number": queues.display_number(issuer["prefix"], row["position_number"]),
                      "status": status})
    return ended


def _call(db: Database, conn: sqlite3.Connection, queue: dict, ticket: dict, counter: dict, type_: str,
          reason: str, waiting: list[rules.Waiting] | None = None) -> dict:
    """Call `ticket` to `counter`, ending what the counter held. A call from the line (`waiting`:
    the service's WAITING tickets just before it) moves the service's streak (`rules.next_streak`)
    in the same transaction."""
    ended = _free_counter(db, conn, queue, counter, ticket)
    now = iso(db.clock.now())
    row = conn.execute(
        "UPDATE tickets SET status = 'CALLED', counter = ?, counter_id = ?, called_at = ? WHERE id = ?"
        " RETURNING *",
        (counter["name"], counter.get("id"), now, ticket["id"]),
    ).fetchone()
    streak = queue.get("priority_streak") or 0
    if waiting is not None:
        called = next((t for t in waiting if t.id == ticket["id"]), None)
        if called is not None:
            streak = rules.next_streak(streak, called, waiting)
    conn.execute(
        "UPDATE queues SET current_position = ?, priority_streak = ?, updated_at = ? WHERE id = ?",
        (ticket["position_number"], streak, now, queue["id"]),
    )
    issuer = issuer_of(conn, ticket, queue)
    data = {"counter": counter["name"], "counter_id": counter.get("id"), "staff": counter.get("staff_name"),
            "priority": bool(ticket.get("priority")), "reason": reason}
    if issuer is not queue:
        data["prefix"] = issuer["prefix"]  # a transferred ticket keeps its number: the TV shows it so
    events.append(conn, db.clock, queue["id"], type_, ticket=ticket, data=data)
    queue = {**queue, "current_position": ticket["position_number"], "priority_streak": streak}
    out = view(db, conn, dict(row), queue)
    return {**out, "ended": ended, "reason": reason}


def call_next(db: Database, queue_id: str, counter: str | None = None, counter_id: str | None = None,
              allowed: Callable[[list[str]], None] | None = None) -> dict:
    """Call the service's next ticket by the call rule (`rules.service_head`: overdue, the
    streak, priority, then line order) to `counter` (by name) or `counter_id`, ending what the
    counter held.

    The answer is the called ticket with `ended` (the tickets this call ended, usually none or one)
    and `reason` (why the rule picked it). Nobody waiting: a Conflict, and the counter keeps its ticket.
    `allowed` (the caller's scope) must cover every service the counter serves: the call ends what
    the counter holds, which may be another service's guest. Checked in the write, with the counter
    as it is now.
    """
    with db.write() as conn:
        queue = queues.load_for_write(db, conn, queue_id)
        waiting = waiting_in(db, conn, queue_id, queue["service_day"])
        head = rules.service_head(waiting, queue["priority_streak"], policy(db))
        if head is None:
            raise Conflict("Nobody is waiting.", "nobody_waiting")
        if counter_id is not None:
            desk = _open_counter(counter_by_id(conn, counter_id, queue_id))
        else:
            desk = _use_counter(db, conn, queue, counter)
        if allowed is not None:
            allowed(desk["services"])
        return _call(db, conn, queue, load(conn, head.ticket.id), desk, "call", head.reason, waiting)


def counter_call_next(db: Database, counter_id: str,
                      allowed: Callable[[list[str]], None] | None = None) -> dict:
    """Call the next ticket at a counter across its services by its rule (`rules.pick`: an overdue
    head first, then a priority head, then the counter's order or effective wait), in one
    transaction that also moves the called service's streak. The answer is the ticket with `ended`
    and `reason`; 409 `counter_closed`, or `nobody_waiting` in every one of its services.
    `allowed` (the caller's scope) must cover the counter's services as they are in this write
    (a manager may have added one since the caller was checked)."""
    with db.write() as conn:
        counter = _open_counter(counter_by_id(conn, counter_id))
        if allowed is not None:
            allowed(counter["services"])
        lines = {queue_id: queues.load_for_write(db, conn, queue_id) for queue_id in counter["services"]}
        waiting = [ticket for queue_id, line in lines.items()
                   for ticket in waiting_in(db, conn, queue_id, line["service_day"])]
        rule = rules.Counter(tuple(lines), counter["rule"], counter["weights"])
        streaks = {queue_id: line["priority_streak"] for queue_id, line in lines.items()}
        chosen = rules.pick(waiting, rule, streaks, policy(db))
        if chosen is None:
            raise Conflict("Nobody is waiting in this counter's services.", "nobody_waiting")
        queue = lines[chosen.ticket.service]
        line = [t for t in waiting if t.service == queue["id"]]
        return _call(db, conn, queue, load(conn, chosen.ticket.id), counter, "call", chosen.reason, line)


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


def move(db: Database, ticket_id: str, name: str, by: str = "host",
         allowed: Callable[[list[str]], None] | None = None) -> dict:
    """Apply one lifecycle move (see MOVES) or raise Conflict.

    `allowed` (the caller's scope) is checked inside the write, on the service the ticket is in
    then (a transfer may have moved it since the caller looked), and for "serve" on every service
    of the counter whose other ticket it ends."""
    statuses, target, stamp, type_ = MOVES[name]
    with db.write() as conn:
        ticket, queue = _load_active(db, conn, ticket_id)
        if allowed is not None:
            allowed([queue["id"]])
        if ticket["status"] not in statuses:
            raise _refuse(ticket, name)
        now = iso(db.clock.now())
        if target == "WAITING":  # back to its own place in the line (line_seq stays)
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
            desk = _counter_of(conn, queue, ticket)
            if allowed is not None:
                allowed(desk.get("services") or [])
            ended = _free_counter(db, conn, queue, desk, ticket)
        row = conn.execute(sql + " WHERE id = ? RETURNING *", (*params, ticket_id)).fetchone()
        data = {"counter": ticket["counter"]} if ticket["counter"] else {}
        if ticket.get("counter_id"):
            data["counter_id"] = ticket["counter_id"]
        if name == "cancel" or by != "host":
            data["by"] = by  # who cancelled; "auto" for a no-show the scheduler marked
        events.append(conn, db.clock, queue["id"], type_, ticket=ticket, data=data)
        out = view(db, conn, dict(row), queue)
        return out if ended is None else {**out, "ended": ended}


def _counter_of(conn: sqlite3.Connection, queue: dict, ticket: dict) -> dict:
    """The counter a CALLED or SERVING ticket is at: its row by `counter_id`, else by name (older
    data: no row, or DEFAULT_COUNTER when it has no counter at all)."""
    if ticket.get("counter_id"):
        row = queues.counter_row(conn, ticket["counter_id"])
        if row is not None:
            return row
    name = ticket["counter"] or DEFAULT_COUNTER
    return queues.counter_for(conn, queue["id"], name) or {"id": None, "name": name}


def recall(db: Database, ticket_id: str, counter: str | None = None,
           allowed: Callable[[list[str]], None] | None = None) -> dict:
    """Call this ticket now: out of turn from WAITING (a host's "call this one": reason `chosen`,
    and the service's streak moves as for any call from the line), or again when already CALLED
    (to `counter`, or its own). Like call next, it first ends what that counter holds; the answer
    says so in `ended`."""
    with db.write() as conn:
        ticket, queue = _load_active(db, conn, ticket_id)
        if ticket["status"] not in ("WAITING", "CALLED"):
            raise _refuse(ticket, "recall")
        if counter is None and ticket.get("counter_id"):
            desk = _open_counter(_counter_of(conn, queue, ticket))
        else:
            desk = _use_counter(db, conn, queue, counter or ticket["counter"])
        if allowed is not None:  # the ticket's service now, and every service of the counter it ends
            allowed([queue["id"], *desk["services"]])
        waiting = None  # a call again (already CALLED) is no call from the line: the streak stays
        if ticket["status"] == "WAITING":
            waiting = waiting_in(db, conn, queue["id"], queue["service_day"])
        return _call(db, conn, queue, ticket, desk, "recall", "chosen", waiting)


def _issuers(conn: sqlite3.Connection, queue: dict) -> Callable[[dict], dict]:
    """`issuer_of` for many rows of one service, each other service loaded once."""
    known = {queue["id"]: queue}

    def issuer(ticket: dict) -> dict:
        issued = ticket.get("issued_queue_id") or queue["id"]
        if issued not in known:
            known[issued] = queues.load(conn, issued)
        return known[issued]

    return issuer


def list_tickets(db: Database, queue_id: str, status: str | None = None,
                 order: str | None = None) -> list[dict]:
    """Every ticket of the queue's current service day, in number order; with `order="call"`, the
    WAITING ones in the service's call order (docs/services.md, section 4), each with its people ahead."""
    with db.read() as conn:
        queue = queues.as_of(queues.load(conn, queue_id), db.clock.service_day())
        sql = "SELECT * FROM tickets WHERE queue_id = ? AND service_day = ?"
        params: list = [queue_id, queue["service_day"]]
        if order == "call":
            status = "WAITING"
        if status:
            sql += " AND status = ?"
            params.append(status)
        rows = [dict(row) for row in conn.execute(sql + " ORDER BY position_number", params)]
        ahead = ahead_in(db, conn, queue) if any(row["status"] == "WAITING" for row in rows) else {}
        if order == "call":
            rows.sort(key=lambda row: ahead.get(row["id"], len(ahead)))
        predicted = estimates.of(db).predict(queue)
        queue = {**queue, "serving_prefix": queues.serving_prefix(conn, queue)}
        issuer = _issuers(conn, queue)
        out = []
        for row in rows:
            shown = render(returnable(db, row), queue, ahead.get(row["id"], 0), predicted, issuer(row))
            shown["line_seq"] = row.get("line_seq")
            shown["line_rank"] = row.get("line_rank") or 0
            out.append(shown)
        return out


# ---- issue 15: transfer and priority (docs/services.md, section 5) ----------------------

PLACEMENTS = ("original", "end")


def transfer(db: Database, ticket_id: str, to_queue_id: str, placement: str | None = None,
             allowed: Callable[[list[str]], None] | None = None) -> dict:
    """Send a WAITING, CALLED or SERVING ticket to another service, in one transaction.

    It keeps its id, device token, number, issuing service and priority; a CALLED or SERVING
    ticket leaves its counter (no no-show, no completion) and waits again. `placement`: by its
    original join (`original`: its line_seq stays) or at the end (`end`: the transfer_in event
    places it), default the target's `transfer_placement`. Events: `transfer` in the service it
    leaves, then `transfer_in` in the one it enters. The target's flood caps do not apply.
    `allowed` (the caller's scope) must cover the service the ticket is in when the write runs;
    any service may receive it (reception sends guests on).
    """
    with db.write() as conn:
        ticket, queue = _load_active(db, conn, ticket_id)
        if allowed is not None:
            allowed([queue["id"]])
        if ticket["status"] not in ACTIVE_STATUSES:
            raise _refuse(ticket, "transfer")
        try:
            target = queues.load(conn, to_queue_id)
        except NotFound:
            raise NotFound("No service with that id.", "service_not_found") from None
        if target["id"] == queue["id"]:
            raise Conflict(f"Ticket {ticket['position_number']} is already in {queue['name']}.", "same_service")
        target = queues.roll_day(db, conn, target)
        if not target["active"]:
            raise Conflict(f"{target['name']} is closed and takes no tickets.", "queue_closed")
        if target["service_day"] != ticket["service_day"]:
            raise Conflict("That ticket belongs to another service day.", "illegal_transition")
        placement = placement or target["transfer_placement"]
        issuer = issuer_of(conn, ticket, queue)
        row = conn.execute(
            "UPDATE tickets SET queue_id = ?, status = 'WAITING', counter = NULL, counter_id = NULL,"
            " called_at = NULL, serving_at = NULL, transfers = transfers + 1, line_rank = 0"
            " WHERE id = ? RETURNING *",
            (target["id"], ticket["id"]),
        ).fetchone()
        events.append(conn, db.clock, queue["id"], "transfer", ticket=ticket, data={
            "to": target["id"], "to_name": target["name"], "placement": placement,
            "from_status": ticket["status"], "counter": ticket["counter"],
            "counter_id": ticket.get("counter_id"),
            "number": ticket["position_number"], "prefix": issuer["prefix"]})
        seq = events.append(conn, db.clock, target["id"], "transfer_in", ticket=ticket, data={
            "from": queue["id"], "from_name": queue["name"], "placement": placement,
            "line_seq": ticket["line_seq"], "priority": bool(ticket["priority"]),
            "number": ticket["position_number"], "prefix": issuer["prefix"]})
        if placement == "end":
            _enter_line(conn, ticket["id"], seq)
            conn.execute("UPDATE events SET data = json_set(data, '$.line_seq', ?) WHERE seq = ?", (seq, seq))
            row = conn.execute("SELECT * FROM tickets WHERE id = ?", (ticket["id"],)).fetchone()
        return view(db, conn, dict(row), queues.load(conn, target["id"]))


def set_priority(db: Database, ticket_id: str, priority: bool,
                 allowed: Callable[[list[str]], None] | None = None) -> dict:
    """A host changes a WAITING ticket's class (event `priority_set`; none when it already was).
    `allowed` (the caller's scope) must cover the ticket's service when the write runs."""
    with db.write() as conn:
        ticket, queue = _load_active(db, conn, ticket_id)
        if allowed is not None:
            allowed([queue["id"]])
        if ticket["status"] != "WAITING":
            raise _refuse(ticket, "change priority")
        if bool(ticket["priority"]) != priority:
            ticket = dict(conn.execute("UPDATE tickets SET priority = ? WHERE id = ? RETURNING *",
                                       (int(priority), ticket_id)).fetchone())
            events.append(conn, db.clock, queue["id"], "priority_set", ticket=ticket,
                          data={"priority": priority})
        return view(db, conn, ticket, queue)


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


def host_row(ticket: dict, queue: dict, issuer: dict | None = None) -> dict:
    out = render(ticket, queue, 0, estimates.SETTLED, issuer)
    for key in HOST_ROW_OMITS:
        out.pop(key)
    out["line_seq"] = ticket.get("line_seq")
    out["line_rank"] = ticket.get("line_rank") or 0
    return out


def line_mates(db: Database, queue_id: str, line_seqs: list[int]) -> list[str]:
    """issue 16: the WAITING tickets of the queue's day at these line_seqs (a move back may have
    moved them one rank back: the host's rows of them change too)."""
    if not line_seqs:
        return []
    with db.read() as conn:
        marks = ",".join("?" * len(line_seqs))
        return [r[0] for r in conn.execute(
            f"SELECT t.id FROM tickets t JOIN queues q ON q.id = t.queue_id AND q.service_day = t.service_day"
            f" WHERE t.queue_id = ? AND t.status = 'WAITING' AND t.line_seq IN ({marks})",
            [queue_id, *line_seqs])]


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
        issuer = _issuers(conn, queue)
        out = [host_row(returnable(db, dict(row)), queue, issuer(dict(row))) for row in rows]
        # issue 16: sms. A guest who left a number for texts: the host sees its last four digits only.
        phones = {r["ticket_id"]: r["phone"] for r in conn.execute(
            "SELECT p.ticket_id, p.phone FROM sms_phones p JOIN tickets t ON t.id = p.ticket_id"
            " WHERE t.queue_id = ? AND t.service_day = ?", (queue_id, queue["service_day"]))}
        for row in out:
            if row["id"] in phones:
                row["phone"] = "•••• " + phones[row["id"]][-4:]
        return out


# ---- issue 16: grace (a no-show back within a window; docs/services.md, section 14) ------

PLACES = ("front", "end")


@dataclass(frozen=True)
class Returns:
    """QODE_GRACE_MINUTES (None: off) and QODE_GRACE_PLACE."""

    minutes: int | None = 10
    place: str = "front"

    def __post_init__(self):
        if self.place not in PLACES:
            raise ValueError(f"unknown place {self.place!r}")


DEFAULT_RETURNS = Returns()


def returns_of(db: Database) -> Returns:
    """The return window and place the app set from its settings (the defaults otherwise)."""
    return db.returns if db.returns is not None else DEFAULT_RETURNS


def returnable(db: Database, ticket: dict) -> dict:
    """`ticket` with `return_until` (UTC ISO): until when a NO_SHOW ticket that never came back
    may return, by the wall clock of its no-show (the write checks on the monotonic clock)."""
    minutes = returns_of(db).minutes
    if (ticket["status"] != "NO_SHOW" or ticket.get("returned_at") or minutes is None
            or not ticket.get("completed_at")):
        return ticket
    ended = datetime.fromisoformat(ticket["completed_at"].replace("Z", "+00:00"))
    return {**ticket, "return_until": iso(ended + timedelta(minutes=minutes))}


def _since_no_show(db: Database, conn: sqlite3.Connection, ticket: dict) -> float:
    """Seconds since the ticket's last `no_show` event: by the monotonic clock within this boot,
    else by the wall clock (its `completed_at` when the event is gone), never below 0."""
    row = conn.execute("SELECT mono, boot_id, created_at FROM events WHERE ticket_id = ? AND type = 'no_show'"
                       " ORDER BY seq DESC LIMIT 1", (ticket["id"],)).fetchone()
    clock = db.clock
    if row is not None and row["mono"] is not None and row["boot_id"] == clock.boot_id:
        return max(clock.monotonic() - row["mono"], 0.0)
    at = row["created_at"] if row is not None else ticket["completed_at"]
    ended = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return max((clock.now() - ended).total_seconds(), 0.0)


def return_ticket(db: Database, ticket_id: str, by: str = "host",
                  allowed: Callable[[list[str]], None] | None = None) -> dict:
    """Put a NO_SHOW ticket back in its service's line, once, within QODE_GRACE_MINUTES of its
    no-show, in one transaction. It keeps its id, number, page and QR; event `returned`.

    Where it goes (QODE_GRACE_PLACE): `front` gives it a line position before every WAITING ticket
    of its service (`line_seq` one below the lowest) and that ticket's time in line, so the call
    rule takes it next unless a priority or an overdue ticket goes first (docs/services.md,
    section 14); `end` places it at the return event, like a join. `by`: "host" or "kiosk".
    `allowed` (the caller's scope) must cover the ticket's service when the write runs.
    Conflicts: `returns_off`, `already_returned`, `not_no_show`, `window_passed`.
    """
    returns = returns_of(db)
    with db.write() as conn:
        ticket, queue = _load_active(db, conn, ticket_id)
        if allowed is not None:
            allowed([queue["id"]])
        shown = queues.display_number(issuer_of(conn, ticket, queue)["prefix"], ticket["position_number"])
        if returns.minutes is None:
            raise Conflict("Putting a no-show back in line is turned off on this box (QODE_GRACE_MINUTES).",
                           "returns_off")
        if ticket.get("returned_at"):
            raise Conflict(f"Ticket {shown} already came back once after a no-show; a ticket comes back "
                           "only once. Please take a new ticket.", "already_returned")
        if ticket["status"] != "NO_SHOW":
            raise Conflict(f"Ticket {shown} is {_STATUS_WORDS[ticket['status']]}, not a no-show: there is "
                           "nothing to put back.", "not_no_show")
        if ticket["service_day"] != queue["service_day"]:
            raise Conflict(f"Ticket {shown} was missed on an earlier day. Please take a new ticket.",
                           "window_passed")
        since = _since_no_show(db, conn, ticket)
        if since > returns.minutes * 60:
            raise Conflict(f"Ticket {shown} was missed {int(since // 60)} minutes ago; a guest may come back "
                           f"within {returns.minutes} minutes only. Please take a new ticket.", "window_passed")
        now = iso(db.clock.now())
        place = returns.place
        waiting = waiting_in(db, conn, queue["id"], queue["service_day"]) if place == "front" else []
        head = min(waiting, key=lambda t: (t.line_seq, t.id)) if waiting else None
        data = {"by": by, "place": place, "priority": bool(ticket["priority"]), "counter": ticket["counter"],
                "counter_id": ticket.get("counter_id"), "missed_seconds": round(since, 1)}
        if head is not None:
            # Before the head, with the head's time in line: within a service a lower line_seq never
            # has a smaller wait (rules, eta._Line), and the rule takes it next among its class.
            # The head's key may carry a "running late" rank (line_seq + rank / RANK_SCALE): the
            # whole line_seq below it, at rank 0, is before it either way.
            line_seq = int(head.line_seq // 1) - 1
            data.update(line_seq=line_seq, waited=round(head.waited, 3))
        conn.execute(
            "UPDATE tickets SET status = 'WAITING', counter = NULL, counter_id = NULL, called_at = NULL,"
            " serving_at = NULL, completed_at = NULL, reason = NULL, returned_at = ? WHERE id = ?",
            (now, ticket_id),
        )
        seq = events.append(conn, db.clock, queue["id"], "returned", ticket=ticket, data=data)
        if head is None:  # at the end (or the line is empty): its place is the return itself
            _enter_line(conn, ticket_id, seq)
            conn.execute("UPDATE events SET data = json_set(data, '$.line_seq', ?) WHERE seq = ?", (seq, seq))
        else:
            conn.execute(
                "UPDATE tickets SET line_seq = ?, line_rank = 0, (line_mono, line_boot) = (SELECT line_mono,"
                " line_boot FROM tickets WHERE id = ?) WHERE id = ?", (line_seq, head.id, ticket_id))
        row = conn.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        return view(db, conn, dict(row), queue)


# ---- issue 16: "I'm running late" (docs/services.md, section 15) -------------------------

@dataclass(frozen=True)
class Late:
    """QODE_LATE_PLACES (None: the button is off) and QODE_LATE_USES."""

    places: int | None = 3
    uses: int = 1


def late_settings(db: Database) -> Late:
    return db.late if db.late is not None else Late()


def with_late(db: Database, out: dict, behind: int) -> dict:
    """A guest's ticket with what "I'm running late" offers it now (`late`: null when it cannot):
    `places` one press moves it (QODE_LATE_PLACES, fewer with fewer guests behind: 0 when last)."""
    late = late_settings(db)
    offer = None
    if late.places is not None and out["status"] == "WAITING":
        offer = {"places": min(late.places, behind), "most": late.places, "uses": late.uses,
                 "uses_left": max(late.uses - out["late_uses"], 0)}
    out["late"] = offer
    return out


def running_late(db: Database, ticket_id: str, use: int) -> dict:
    """A WAITING guest moves back: right behind the ticket min(places, behind) places behind it in
    the service's call order (`rules.service_order`), in one write transaction. Everyone between
    moves up by exactly one and nobody else's order changes; a move that the rule could not give
    exactly (a priority ticket and the streak owed to normal ones interleave) is tried with fewer
    places, and refused (`cannot_move_back`) when none works.

    The ticket takes the place-in-line of the one it now stands behind (its line_seq, with a
    `line_rank` one above, and its monotonic line time, so the overdue rule sees the same wait:
    it cannot jump forward again by being overdue). Event `running_late` {places, asked, line_seq,
    rank, uses}: the ticket it stands behind is the one at rank - 1 of that line_seq, and those from
    `rank` on moved one rank back (no ticket ids in the log: they are capabilities, and it syncs).
    `use` is the press the guest means (1 = its first): a press already applied (`use` ≤ the
    ticket's `late_uses`) answers the ticket as it is (a retried request moves nobody twice).
    """
    late = late_settings(db)
    if late.places is None:
        raise Conflict("Moving back is not offered here.", "late_off")
    with db.write() as conn:
        ticket, queue = _load_active(db, conn, ticket_id)
        if ticket["status"] != "WAITING":
            raise Conflict(f"Ticket {ticket['position_number']} is {_STATUS_WORDS[ticket['status']]}; "
                           "only a waiting ticket can move back.", "not_waiting")
        used = ticket.get("late_uses") or 0
        if use <= used:  # this press was applied already
            return view(db, conn, ticket, queue)
        if used >= late.uses:
            raise Conflict("This ticket has used every move back it may.", "no_uses_left")
        waiting = waiting_in(db, conn, queue["id"], queue["service_day"])
        streak, rule = queue.get("priority_streak") or 0, policy(db)
        order = rules.service_order(waiting, streak, rule)
        ids = [t.id for t in order]
        at = ids.index(ticket_id)
        behind = len(ids) - 1 - at
        if behind == 0:
            raise Conflict("You are already the last in line: nobody is behind you to let go first.",
                           "already_last")
        mine = order[at]
        rows = {row["id"]: row for row in conn.execute(
            "SELECT id, line_seq, line_rank, line_mono, line_boot FROM tickets WHERE queue_id = ?"
            " AND service_day = ? AND status = 'WAITING'", (queue["id"], queue["service_day"]))}
        others = [t for t in order if t.id != ticket_id]
        for places in range(min(late.places, behind), 0, -1):
            anchor = order[at + places]
            row = rows[anchor.id]
            if row["line_seq"] is None:
                continue  # older data: no place to share
            # Right behind the anchor: between it and anything sharing its line_seq with a higher rank.
            moved = rules.Waiting(mine.id, mine.service, mine.priority,
                                  anchor.line_seq + 0.5 / RANK_SCALE, anchor.waited)
            wanted = [*ids[:at], *ids[at + 1:at + places + 1], ticket_id, *ids[at + places + 1:]]
            if [t.id for t in rules.service_order([*others, moved], streak, rule)] != wanted:
                continue
            rank = row["line_rank"] + 1
            conn.execute("UPDATE tickets SET line_rank = line_rank + 1 WHERE queue_id = ? AND service_day = ?"
                         " AND status = 'WAITING' AND line_seq = ? AND line_rank >= ? AND id != ?",
                         (queue["id"], queue["service_day"], row["line_seq"], rank, ticket_id))
            updated = conn.execute(
                "UPDATE tickets SET line_seq = ?, line_rank = ?, line_mono = ?, line_boot = ?,"
                " late_uses = late_uses + 1 WHERE id = ? RETURNING *",
                (row["line_seq"], rank, row["line_mono"], row["line_boot"], ticket_id)).fetchone()
            # No ticket ids in the data: they are the guests' capabilities, and the log goes to the hub.
            events.append(conn, db.clock, queue["id"], "running_late", ticket=ticket, data={
                "places": places, "asked": late.places, "line_seq": row["line_seq"], "rank": rank,
                "uses": used + 1})
            return view(db, conn, dict(updated), queue)
        raise Conflict("The line cannot let you move back right now without moving someone else "
                       "(priority guests are interleaved behind you). Try again after the next call.",
                       "cannot_move_back")
