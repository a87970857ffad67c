"""Queue rules: create, rename, pause and resume, open and close, counters, tokens, devices."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable

from . import estimates, events
from .auth import hash_token, new_token
from .clock import iso
from .db import Database
from .errors import Conflict, Invalid, NotFound


def parse_id(value: str, what: str) -> str:
    """A canonical UUID string, or NotFound: a malformed id names nothing."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise NotFound(f"No {what} with that id.", f"{what}_not_found") from None


def display_number(prefix: str, number: int) -> str:
    return f"{prefix}{number:03d}"


def load(conn: sqlite3.Connection, queue_id: str) -> dict:
    row = conn.execute("SELECT * FROM queues WHERE id = ?", (queue_id,)).fetchone()
    if row is None:
        raise NotFound("No queue with that id.", "queue_not_found")
    return dict(row)


def as_of(queue: dict, today: str) -> dict:
    """The queue as a reader should see it today, before any rollover was written."""
    if queue["service_day"] >= today:
        return queue
    return {**queue, "service_day": today, "last_number_issued": 0, "current_position": 0,
            "waiting_count": 0}


def _close_leftovers(db: Database, conn: sqlite3.Connection, queue_id: str, before_day: str) -> int:
    """Close a queue's unfinished tickets of days before `before_day`, each with its event."""
    leftovers = conn.execute(
        "UPDATE tickets SET status = CASE status WHEN 'SERVING' THEN 'COMPLETED' ELSE 'CANCELLED' END,"
        " reason = 'day_ended', completed_at = ? WHERE queue_id = ? AND service_day < ?"
        " AND status IN ('WAITING','CALLED','SERVING') RETURNING *",
        (iso(db.clock.now()), queue_id, before_day),
    ).fetchall()
    for ticket in leftovers:
        events.append(
            conn, db.clock, queue_id, "complete" if ticket["status"] == "COMPLETED" else "cancel",
            ticket=dict(ticket),
            data={"reason": "day_ended"},
        )
    return len(leftovers)


def roll_day(db: Database, conn: sqlite3.Connection, queue: dict) -> dict:
    """Start a new service day if the clock has passed into one; call inside a write.

    Numbers restart at 1 and yesterday's unfinished tickets are closed, each
    with its event. The day never moves backwards when the wall clock does.
    """
    today = db.clock.service_day()
    if queue["service_day"] >= today:
        return queue
    closed = _close_leftovers(db, conn, queue["id"], today)
    conn.execute(
        "UPDATE queues SET service_day = ?, last_number_issued = 0, current_position = 0,"
        " updated_at = ? WHERE id = ?",
        (today, iso(db.clock.now()), queue["id"]),
    )
    events.append(
        conn, db.clock, queue["id"], "day_started",
        data={"previous_day": queue["service_day"], "closed": closed}, service_day=today,
    )
    return load(conn, queue["id"])  # the triggers have recounted waiting_count


def carry_day(db: Database, conn: sqlite3.Connection, wrong_day: str, right_day: str) -> int:
    """The wall clock was wrong and is now corrected (call inside the write that records it).

    The tickets a queue issued in this boot, under the wrong clock, are today's line: they
    move to the right day with their numbers, so nobody waiting loses their place and
    numbering goes on. Older unfinished tickets are real leftovers and close as `day_ended`.
    A queue that issued nothing this boot is left to the ordinary rollover. Since the day
    never moves back, a queue may sit on a later day than the wrong clock's: any day from
    `wrong_day` up to `right_day` counts. Returns how many queues were carried.
    """
    if right_day <= wrong_day:
        return 0
    carried = 0
    rows = conn.execute(
        "SELECT id, service_day FROM queues WHERE service_day >= ? AND service_day < ?", (wrong_day, right_day)
    ).fetchall()
    for queue_id, day in rows:
        moved = conn.execute(
            "UPDATE tickets SET service_day = ? WHERE queue_id = ? AND service_day = ?"
            " AND status IN ('WAITING','CALLED','SERVING') AND id IN (SELECT ticket_id FROM events"
            " WHERE queue_id = ? AND type = 'join' AND boot_id = ?)",
            (right_day, queue_id, day, queue_id, db.clock.boot_id),
        ).rowcount
        if not moved:
            continue
        closed = _close_leftovers(db, conn, queue_id, right_day)
        conn.execute("UPDATE queues SET service_day = ?, updated_at = ? WHERE id = ?",
                     (right_day, iso(db.clock.now()), queue_id))
        events.append(conn, db.clock, queue_id, "day_corrected",
                      data={"from": day, "to": right_day, "carried": moved, "closed": closed},
                      service_day=right_day)
        carried += 1
    return carried


def load_for_write(db: Database, conn: sqlite3.Connection, queue_id: str) -> dict:
    return roll_day(db, conn, load(conn, queue_id))


def view(db: Database, conn: sqlite3.Connection, queue: dict, today: str) -> dict:
    """The public state of a queue: what the guest page, display and joiners see."""
    queue = as_of(queue, today)
    counters = counters_of(conn, queue["id"])
    predicted = estimates.of(db).predict(queue)
    back = predicted.hints.get("counters", {})
    calls = current_calls(conn, queue)
    return {
        "id": queue["id"],
        "name": queue["name"],
        "prefix": queue["prefix"],
        "active": bool(queue["active"]),
        "is_paused": bool(queue["is_paused"]),
        "service_day": queue["service_day"],
        "current_position": queue["current_position"],
        "last_number_issued": queue["last_number_issued"],
        "now_serving": (
            display_number(serving_prefix(conn, queue), queue["current_position"])
            if queue["current_position"]
            else None
        ),
        "waiting_count": queue["waiting_count"],
        "avg_wait_time": predicted.avg_wait_time,
        "eta_seconds": predicted.joiner,
        "back_in_seconds": predicted.hints.get("queue"),
        "grace_period": queue["grace_period"],
        "eta_margin": queue["eta_margin"],
        "counters": [
            {"id": c["id"], "name": c["name"], "is_open": bool(c["is_open"]),
             "back_in_seconds": None if c["is_open"] else back.get(c["name"]),
             "services": c["services"], "rule": c["rule"]}
            # never the staff name: this state is public (the TV, every guest's phone); hosts read
            # it from GET /api/counters, and reports from the events
            for c in counters
        ],
        "calls": calls,
        "created_at": queue["created_at"],
        # issue 15: model
        "transfer_placement": queue["transfer_placement"],
        "priority_on_join": bool(queue["priority_on_join"]),
        "sort_order": queue["sort_order"],
        "nearly_up": queue["nearly_up"],  # issue 16: nearly
    }


def serving_prefix(conn: sqlite3.Connection, queue: dict) -> str:
    """The prefix of the number last called here (issue 15): a transferred ticket keeps its issuing
    service's. A few index probes (every status of idx_tickets_day_status), never a scan."""
    if not queue["current_position"]:
        return queue["prefix"]
    row = conn.execute(
        "SELECT issuer.prefix FROM tickets t JOIN queues issuer ON issuer.id = t.issued_queue_id"
        " WHERE t.queue_id = ? AND t.service_day = ? AND t.status IN"
        " ('WAITING', 'CALLED', 'SERVING', 'COMPLETED', 'NO_SHOW', 'CANCELLED') AND t.position_number = ?"
        " AND t.called_at IS NOT NULL ORDER BY t.called_at DESC LIMIT 1",
        (queue["id"], queue["service_day"], queue["current_position"]),
    ).fetchone()
    if row is not None:
        return row[0]
    # The called ticket has been transferred on since (rare): its call event names its prefix.
    call = conn.execute(
        "SELECT data FROM events WHERE queue_id = ? AND seq > 0 AND type IN ('call', 'recall')"
        " AND ticket_number = ? AND service_day = ? ORDER BY seq DESC LIMIT 1",
        (queue["id"], queue["current_position"], queue["service_day"]),
    ).fetchone()
    return json.loads(call[0]).get("prefix", queue["prefix"]) if call is not None else queue["prefix"]


CALLS_SHOWN = 50  # active calls in a public state at most (one per counter is the rule; old data may hold more)


def current_calls(conn: sqlite3.Connection, queue: dict) -> list[dict]:
    """Today's CALLED and SERVING tickets, newest call first, as the TV shows them: the number,
    the counter, the service and the `seq` of the ticket's latest call or recall (the public feed's own event
    position, so a screen can tell which call is the newest). Numbers only, never ticket ids."""
    rows = conn.execute(
        "SELECT t.position_number, t.counter, (SELECT MAX(e.seq) FROM events e WHERE e.ticket_id = t.id"
        " AND e.type IN ('call', 'recall')) AS seq, issuer.prefix FROM tickets t"
        " LEFT JOIN queues issuer ON issuer.id = t.issued_queue_id WHERE t.queue_id = ? AND t.service_day = ?"
        " AND t.status IN ('CALLED', 'SERVING') ORDER BY seq DESC, t.called_at DESC LIMIT ?",
        (queue["id"], queue["service_day"], CALLS_SHOWN),
    ).fetchall()
    # issue 15: a transferred ticket keeps its issuing service's number; each call names its service
    service = {"id": queue["id"], "name": queue["name"], "prefix": queue["prefix"]}
    return [{"number": display_number(queue["prefix"] if r[3] is None else r[3], r[0]), "counter": r[1],
             "seq": r[2] or 0, "service": service} for r in rows]


def get(db: Database, queue_id: str) -> dict:
    with db.read() as conn:
        return view(db, conn, load(conn, queue_id), db.clock.service_day())


def list_all(db: Database) -> list[dict]:
    """Every queue's public state, oldest first (the setup page)."""
    with db.read() as conn:
        today = db.clock.service_day()
        rows = conn.execute("SELECT * FROM queues ORDER BY created_at, id").fetchall()
        return [view(db, conn, dict(row), today) for row in rows]


def create_queue(db: Database, name: str, prefix: str = "", default_cycle: int = 300,
                 options: dict | None = None) -> tuple[dict, str]:
    """Create a queue; return its view and the host token (shown once, stored hashed).

    `options` (issue 15): `transfer_placement`, `priority_on_join`; (issue 16) `nearly_up`."""
    token = new_token()
    queue_id = str(uuid.uuid4())
    now = iso(db.clock.now())
    today = db.clock.service_day()
    with db.write() as conn:
        conn.execute(
            "INSERT INTO queues (id, name, prefix, host_token_hash, avg_wait_time, default_cycle,"
            " service_day, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (queue_id, name, prefix, hash_token(token), default_cycle, default_cycle, today, now, now),
        )
        # issue 15: the service's own host token is a manager token scoped to it (m013).
        conn.execute("UPDATE queues SET sort_order = (SELECT COUNT(*) - 1 FROM queues) WHERE id = ?",
                     (queue_id,))
        add_host_token(conn, hash_token(token), "manager", "services", name, now, [queue_id])
        for field in ("transfer_placement", "priority_on_join", "nearly_up"):  # the last: issue 16
            if (options or {}).get(field) is not None:
                conn.execute(f"UPDATE queues SET {field} = ? WHERE id = ?", (options[field], queue_id))
        events.append(
            conn, db.clock, queue_id, "queue_created", data={"name": name, "prefix": prefix},
            service_day=today,
        )
        return view(db, conn, load(conn, queue_id), today), token


_PATCH_EVENTS = {
    ("active", True): "queue_opened",
    ("active", False): "queue_closed",
    ("is_paused", True): "queue_paused",
    ("is_paused", False): "queue_resumed",
}


def update_queue(db: Database, queue_id: str, changes: dict) -> dict:
    """Rename, open or close, pause or resume, set the no-show grace and the ETA margin.

    Each real change writes its event. A pause may carry the host's "back in N min".
    """
    with db.write() as conn:
        queue = load_for_write(db, conn, queue_id)
        now = iso(db.clock.now())
        back_in = changes.get("back_in_minutes")
        for field in ("name", "active", "is_paused", "grace_period", "eta_margin",
                      "transfer_placement", "priority_on_join", "sort_order",  # these three: issue 15
                      "nearly_up"):  # issue 16: nearly
            if field not in changes:
                continue
            value = changes[field]
            if field == "grace_period" and value == 0:
                value = None  # 0 turns automatic no-shows off
            repeat_pause = field == "is_paused" and value and back_in is not None
            if queue[field] == value and not repeat_pause:  # a new hint on a paused queue is news
                continue
            conn.execute(
                f"UPDATE queues SET {field} = ?, updated_at = ? WHERE id = ?", (value, now, queue_id)
            )
            type_ = _PATCH_EVENTS.get((field, value), "queue_renamed" if field == "name" else "queue_settings")
            data = {field: value}
            if type_ == "queue_paused" and back_in is not None:
                data["back_in_seconds"] = back_in * 60
            events.append(conn, db.clock, queue_id, type_, data=data, service_day=queue["service_day"])
        return view(db, conn, load(conn, queue_id), queue["service_day"])


def rotate_host_token(db: Database, queue_id: str) -> tuple[str, str | None]:
    """Replace the host token; the old one stops working at once. Returns the new token and the id
    of its host_tokens row (the old token's, kept), whose open sockets the caller closes."""
    token = new_token()
    with db.write() as conn:
        queue = load(conn, queue_id)
        old = conn.execute("SELECT id FROM host_tokens WHERE token_hash = ?",
                           (queue["host_token_hash"],)).fetchone()
        now = iso(db.clock.now())
        conn.execute(
            "UPDATE queues SET host_token_hash = ?, updated_at = ? WHERE id = ?",
            (hash_token(token), now, queue_id),
        )
        # issue 15: the same hash in host_tokens (what auth reads; queues keeps it for a backup
        # restored onto an older release). The service's own token is working again after this.
        moved = conn.execute(
            "UPDATE host_tokens SET token_hash = ?, revoked_at = NULL WHERE token_hash = ?",
            (hash_token(token), queue["host_token_hash"]),
        ).rowcount
        if not moved:
            add_host_token(conn, hash_token(token), "manager", "services", queue["name"], now, [queue_id])
        events.append(conn, db.clock, queue_id, "host_token_rotated", service_day=queue["service_day"])
    return token, (old[0] if old is not None else None)


def set_counter(db: Database, queue_id: str, name: str, is_open: bool,
                back_in_minutes: int | None = None, allowed: Allowed | None = None) -> dict:
    """Open or close a counter (a desk that calls guests); unknown counters are created.

    Closing may carry the host's "back in N min"; closing again with a new hint updates it.
    """
    with db.write() as conn:
        queue = load_for_write(db, conn, queue_id)
        now = iso(db.clock.now())
        row = counter_for(conn, queue_id, name)
        rehint = not is_open and back_in_minutes is not None
        if row is None:
            row = new_counter(conn, name, now, [queue_id], is_open=is_open)
            changed = True
        else:
            (allowed or _anyone)(row["services"])  # a shared counter opens and closes for all it serves
            changed = bool(row["is_open"]) != is_open or rehint
            if changed:
                back_mono = db.clock.monotonic() + back_in_minutes * 60 if rehint else None
                conn.execute("UPDATE counters SET is_open = ?, staff_name = CASE WHEN ? THEN staff_name END,"
                             " back_at_mono = ?, back_at_boot = ?, updated_at = ? WHERE id = ?",
                             (is_open, is_open, back_mono, db.clock.boot_id if rehint else None, now,
                              row["id"]))
                if is_open:
                    row = counter_row(conn, row["id"])  # closing: the events name the session that ends
        if changed:
            data = {}
            if rehint:
                data["back_in_seconds"] = back_in_minutes * 60
            counter_events(db, conn, row, "counter_opened" if is_open else "counter_closed", data)
        return view(db, conn, load(conn, queue_id), queue["service_day"])


# ---- issue 15: model — counters are box-wide desks serving a set of services (m013) ----------

def counter_row(conn: sqlite3.Connection, counter_id: str) -> dict | None:
    """A counter with its services' ids in its order (`services`) and their weights (`weights`)."""
    row = conn.execute("SELECT * FROM counters WHERE id = ?", (counter_id,)).fetchone()
    if row is None:
        return None
    links = conn.execute("SELECT queue_id, weight FROM counter_services WHERE counter_id = ? ORDER BY position",
                         (counter_id,)).fetchall()
    return {**dict(row), "services": [link[0] for link in links],
            "weights": {link[0]: link[1] for link in links}}


def counter_for(conn: sqlite3.Connection, queue_id: str, name: str) -> dict | None:
    """The counter called `name` that serves the service `queue_id` (names are unique among the
    counters that share a service), as `counter_row`; None when there is none."""
    row = conn.execute(
        "SELECT c.id FROM counters c JOIN counter_services cs ON cs.counter_id = c.id"
        " WHERE cs.queue_id = ? AND c.name = ?", (queue_id, name),
    ).fetchone()
    return None if row is None else counter_row(conn, row[0])


def counters_of(conn: sqlite3.Connection, queue_id: str) -> list[dict]:
    """The counters serving a service, by name, each as `counter_row`."""
    ids = [row[0] for row in conn.execute(
        "SELECT c.id FROM counters c JOIN counter_services cs ON cs.counter_id = c.id WHERE cs.queue_id = ?"
        " ORDER BY c.name, c.id", (queue_id,))]
    return [counter_row(conn, counter_id) for counter_id in ids]


def new_counter(conn: sqlite3.Connection, name: str, now: str, services: list[str],
                weights: dict[str, float] | None = None, rule: str = "order", is_open: bool = True) -> dict:
    """Insert a counter serving `services` (in that order); the caller checks names and services."""
    counter_id = str(uuid.uuid4())
    conn.execute("INSERT INTO counters (id, name, rule, is_open, created_at, updated_at)"
                 " VALUES (?, ?, ?, ?, ?, ?)",
                 (counter_id, name, rule, is_open, now, now))
    for position, queue_id in enumerate(services):
        conn.execute("INSERT INTO counter_services (counter_id, queue_id, position, weight)"
                     " VALUES (?, ?, ?, ?)",
                     (counter_id, queue_id, position, (weights or {}).get(queue_id, 1.0)))
    return counter_row(conn, counter_id)


def counter_events(db: Database, conn: sqlite3.Connection, counter: dict, type_: str, data: dict | None = None,
                   services: list[str] | None = None) -> list[int]:
    """One `type_` event per service the counter serves (or `services`), each in that service's
    day, with the counter's name, id, staff, services and rule (docs/services.md, section 2)."""
    seqs = []
    for queue_id in services if services is not None else counter["services"]:
        queue = load_for_write(db, conn, queue_id)
        seqs.append(events.append(
            conn, db.clock, queue_id, type_, service_day=queue["service_day"],
            data={"counter": counter["name"], "counter_id": counter["id"], "staff": counter["staff_name"],
                  "services": counter["services"], "rule": counter["rule"], **(data or {})},
        ))
    return seqs


def add_host_token(conn: sqlite3.Connection, token_hash: str, role: str, scope: str, name: str, now: str,
                   services: list[str]) -> str:
    """Store a host token (its hash only) with its role and scope; return its id."""
    token_id = str(uuid.uuid4())
    conn.execute("INSERT INTO host_tokens (id, token_hash, role, scope, name, created_at)"
                 " VALUES (?, ?, ?, ?, ?, ?)",
                 (token_id, token_hash, role, scope, name, now))
    for queue_id in services:
        conn.execute("INSERT INTO host_token_services (token_id, queue_id) VALUES (?, ?)", (token_id, queue_id))
    return token_id


def add_device(db: Database, queue_id: str, kind: str, name: str, services_: list[str] | None = None,
               allowed: Callable[[list[str]], None] | None = None) -> dict:
    """Register a kiosk or display; its token is in the answer only.

    issue 15: it covers its home service `queue_id` and `services_` (ids, in its order; the home
    service first unless listed elsewhere); `allowed` checks the caller's scope over them."""
    token = new_token()
    device_id = str(uuid.uuid4())
    with db.write() as conn:
        queue = load(conn, queue_id)
        covered = check_services(conn, services_ or [])
        if queue_id not in covered:
            covered = [queue_id, *covered]
        if allowed is not None:
            allowed(covered)
        conn.execute(
            "INSERT INTO devices (id, queue_id, kind, name, token_hash, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (device_id, queue_id, kind, name, hash_token(token), iso(db.clock.now())),
        )
        for position, covered_id in enumerate(covered):
            conn.execute("INSERT INTO device_services (device_id, queue_id, position) VALUES (?, ?, ?)",
                         (device_id, covered_id, position))
        events.append(
            conn, db.clock, queue_id, "device_added", data={"device_id": device_id, "kind": kind},
            service_day=queue["service_day"],
        )
    return {"id": device_id, "queue_id": queue_id, "kind": kind, "name": name, "token": token,
            "services": covered}


def count(db: Database) -> int:
    with db.read() as conn:
        return conn.execute("SELECT COUNT(*) FROM queues").fetchone()[0]


def load_name(db: Database, queue_id: str) -> str:
    with db.read() as conn:
        return load(conn, queue_id)["name"]


def get_device(db: Database, device_id: str) -> dict:
    with db.read() as conn:
        row = conn.execute("SELECT * FROM devices WHERE id = ?", (device_id,)).fetchone()
    if row is None:
        raise NotFound("No device with that id.", "device_not_found")
    return dict(row)


# ---- issue 15: model — the services list, counters' set-up and sessions, host tokens -------------
#
# Functions that change what a credential may touch take `allowed(service_ids)`: the caller's scope
# check, run inside the write on the services the change touches, so a change made meanwhile by
# someone else cannot slip a service past it. It raises Forbidden; nothing is written then.

Allowed = Callable[[list[str]], None]


def _anyone(_services: list[str]) -> None:
    return None


def services(db: Database, include_inactive: bool = False) -> list[dict]:
    """The box's services in their display order: name, prefix, how busy, the wait for a new joiner."""
    with db.read() as conn:
        today = db.clock.service_day()
        rows = conn.execute("SELECT * FROM queues ORDER BY sort_order, created_at, id").fetchall()
        out = []
        for row in rows:
            queue = as_of(dict(row), today)
            if not queue["active"] and not include_inactive:
                continue
            out.append({
                "id": queue["id"], "name": queue["name"], "prefix": queue["prefix"],
                "active": bool(queue["active"]), "is_paused": bool(queue["is_paused"]),
                "waiting_count": queue["waiting_count"], "eta_seconds": estimates.of(db).predict(queue).joiner,
                "sort_order": queue["sort_order"], "priority_on_join": bool(queue["priority_on_join"]),
                "transfer_placement": queue["transfer_placement"],
            })
        return out


def service_refs(conn: sqlite3.Connection, ids: list[str]) -> list[dict]:
    """{id, name, prefix} of each service in `ids`, in that order (unknown ids are left out)."""
    if not ids:
        return []
    found = {row["id"]: {"id": row["id"], "name": row["name"], "prefix": row["prefix"]} for row in conn.execute(
        f"SELECT id, name, prefix FROM queues WHERE id IN ({','.join('?' * len(ids))})", ids)}
    return [found[i] for i in ids if i in found]


def check_services(conn: sqlite3.Connection, ids: list[str]) -> list[str]:
    """The ids in canonical form, each naming a service, each once; else Invalid (nothing written)."""
    canonical = []
    for raw in ids:
        try:
            canonical.append(str(uuid.UUID(raw)))
        except (ValueError, AttributeError, TypeError):
            raise Invalid(f"No service with the id {raw!r}.", "unknown_service") from None
    if len(set(canonical)) != len(canonical):
        raise Invalid("services: each service may be listed once.", "invalid_body")
    known = {ref["id"] for ref in service_refs(conn, canonical)}
    missing = [i for i in canonical if i not in known]
    if missing:
        raise Invalid(f"No service with the id {missing[0]}.", "unknown_service")
    return canonical


def load_counter(conn: sqlite3.Connection, counter_id: str) -> dict:
    row = counter_row(conn, counter_id)
    if row is None:
        raise NotFound("No counter with that id.", "counter_not_found")
    return row


def counter_view(db: Database, conn: sqlite3.Connection, counter: dict) -> dict:
    """A counter as the contract shows it: its services with names, prefixes and weights."""
    back = None
    if not counter["is_open"] and counter["back_at_mono"] is not None \
            and counter["back_at_boot"] == db.clock.boot_id:
        back = max(0, int(round(counter["back_at_mono"] - db.clock.monotonic())))
    refs = {ref["id"]: ref for ref in service_refs(conn, counter["services"])}
    return {
        "id": counter["id"], "name": counter["name"], "rule": counter["rule"],
        "is_open": bool(counter["is_open"]),
        "staff": counter["staff_name"], "back_in_seconds": back,
        "services": [{"queue_id": i, "name": refs[i]["name"], "prefix": refs[i]["prefix"],
                      "weight": counter["weights"][i]} for i in counter["services"] if i in refs],
        "created_at": counter["created_at"], "updated_at": counter["updated_at"],
    }


def get_counter(db: Database, counter_id: str) -> dict:
    with db.read() as conn:
        return counter_view(db, conn, load_counter(conn, counter_id))


def list_counters(db: Database, scope) -> list[dict]:
    """Every counter serving at least one service in `scope` (a set of ids, or auth.ALL), by name."""
    with db.read() as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM counters ORDER BY name, id")]
        out = []
        for counter_id in ids:
            counter = counter_row(conn, counter_id)
            if any(queue_id in scope for queue_id in counter["services"]):
                out.append(counter_view(db, conn, counter))
        return out


def _check_name(conn: sqlite3.Connection, name: str, service_ids: list[str], counter_id: str | None) -> None:
    """A counter's name is unique among the counters that share a service with it (the TV's "Counter 2")."""
    taken = conn.execute(
        "SELECT 1 FROM counters c JOIN counter_services cs ON cs.counter_id = c.id WHERE c.name = ?"
        f" AND cs.queue_id IN ({','.join('?' * len(service_ids))}) AND c.id != ? LIMIT 1",
        (name, *service_ids, counter_id or ""),
    ).fetchone()
    if taken:
        raise Conflict(f"A counter called {name!r} already serves one of these services; choose another name.",
                       "counter_name_taken")


def _set_services(conn: sqlite3.Connection, counter_id: str, service_ids: list[str],
                  weights: dict[str, float]) -> None:
    conn.execute("DELETE FROM counter_services WHERE counter_id = ?", (counter_id,))
    for position, queue_id in enumerate(service_ids):
        conn.execute("INSERT INTO counter_services (counter_id, queue_id, position, weight)"
                     " VALUES (?, ?, ?, ?)",
                     (counter_id, queue_id, position, weights.get(queue_id, 1.0)))


def _weights(ids: list[str], chosen: list[tuple[str, float]] | None, counter: dict) -> dict[str, float]:
    """The weights of `chosen` by canonical id, or the counter's own when no new set was chosen."""
    if chosen is None:
        return counter["weights"]
    return {i: weight for i, (_, weight) in zip(ids, chosen, strict=True)}


def create_counter(db: Database, name: str, rule: str, chosen: list[tuple[str, float]],
                   allowed: Allowed = _anyone) -> dict:
    """A new counter serving `chosen` ((service id, weight), in its order); closed until a session opens it."""
    with db.write() as conn:
        ids = check_services(conn, [queue_id for queue_id, _ in chosen])
        allowed(ids)
        _check_name(conn, name, ids, None)
        weights = {i: weight for i, (_, weight) in zip(ids, chosen, strict=True)}
        made = new_counter(conn, name, iso(db.clock.now()), ids, weights, rule, is_open=False)
        return counter_view(db, conn, made)


def _services_changed(db: Database, conn: sqlite3.Connection, before: dict, after: dict) -> None:
    """An open counter's set or rule changed: each service's channels and estimator are told. A service
    it left sees it close, one it joined sees it open, one it kept gets `counter_services`."""
    old, new = before["services"], after["services"]
    data = {"weights": after["weights"], "reason": "services_changed"}
    counter_events(db, conn, after, "counter_closed", data, [i for i in old if i not in new])
    counter_events(db, conn, after, "counter_opened", data, [i for i in new if i not in old])
    counter_events(db, conn, after, "counter_services", data, [i for i in new if i in old])


def update_counter(db: Database, counter_id: str, changes: dict, allowed: Allowed = _anyone) -> dict:
    """A manager's set-up: rename (while closed), change the rule, or the services and their weights."""
    with db.write() as conn:
        counter = load_counter(conn, counter_id)
        chosen = changes.get("services")
        ids = check_services(conn, [i for i, _ in chosen]) if chosen is not None else counter["services"]
        allowed(list(dict.fromkeys([*counter["services"], *ids])))
        name = changes.get("name", counter["name"])
        rule = changes.get("rule", counter["rule"])
        weights = _weights(ids, chosen, counter)
        if name != counter["name"] and counter["is_open"]:
            raise Conflict(f"Counter {counter['name']} is open: close it before renaming it.", "counter_open")
        if name != counter["name"] or ids != counter["services"]:
            _check_name(conn, name, ids, counter_id)
        if (name, rule, ids, weights) == (counter["name"], counter["rule"], counter["services"],
                                          counter["weights"]):
            return counter_view(db, conn, counter)
        conn.execute("UPDATE counters SET name = ?, rule = ?, updated_at = ? WHERE id = ?",
                     (name, rule, iso(db.clock.now()), counter_id))
        if chosen is not None:
            _set_services(conn, counter_id, ids, weights)
        after = counter_row(conn, counter_id)
        if counter["is_open"]:
            _services_changed(db, conn, counter, after)
        return counter_view(db, conn, after)


def open_counter(db: Database, counter_id: str, chosen: list[tuple[str, float]] | None, rule: str | None,
                 staff: str | None, allowed: Allowed = _anyone) -> dict:
    """A host's counter session: open it serving `chosen` (else its own set), with an optional staff
    name. Already open with the same set, rule and staff: nothing changes. Otherwise the session
    before ends (`counter_closed`) and the new one starts (`counter_opened`), one event per service."""
    with db.write() as conn:
        counter = load_counter(conn, counter_id)
        ids = check_services(conn, [i for i, _ in chosen]) if chosen is not None else counter["services"]
        allowed(list(dict.fromkeys([*counter["services"], *ids])))  # the session it ends, and the new one
        weights = _weights(ids, chosen, counter)
        rule = rule or counter["rule"]
        if ids != counter["services"]:
            _check_name(conn, counter["name"], ids, counter_id)
        same = (ids, weights, rule, staff) == (counter["services"], counter["weights"], counter["rule"],
                                                counter["staff_name"])
        if counter["is_open"] and same:
            return counter_view(db, conn, counter)
        if counter["is_open"]:
            counter_events(db, conn, counter, "counter_closed", {"reason": "new_session"})
        conn.execute("UPDATE counters SET is_open = 1, rule = ?, staff_name = ?, back_at_mono = NULL,"
                     " back_at_boot = NULL, updated_at = ? WHERE id = ?",
                     (rule, staff, iso(db.clock.now()), counter_id))
        if ids != counter["services"] or weights != counter["weights"]:
            _set_services(conn, counter_id, ids, weights)
        after = counter_row(conn, counter_id)
        counter_events(db, conn, after, "counter_opened", {"weights": after["weights"]})
        return counter_view(db, conn, after)


def close_counter(db: Database, counter_id: str, back_in_minutes: int | None,
                  allowed: Allowed = _anyone) -> dict:
    """End a counter's session (its staff name is cleared), with an optional "back in N min"; closing a
    closed counter again with a new hint updates the hint."""
    with db.write() as conn:
        counter = load_counter(conn, counter_id)
        allowed(counter["services"])
        if not counter["is_open"] and back_in_minutes is None:
            return counter_view(db, conn, counter)
        back_mono = None if back_in_minutes is None else db.clock.monotonic() + back_in_minutes * 60
        conn.execute("UPDATE counters SET is_open = 0, staff_name = NULL, back_at_mono = ?, back_at_boot = ?,"
                     " updated_at = ? WHERE id = ?",
                     (back_mono, None if back_mono is None else db.clock.boot_id, iso(db.clock.now()),
                      counter_id))
        data = {} if back_in_minutes is None else {"back_in_seconds": back_in_minutes * 60}
        counter_events(db, conn, counter, "counter_closed", data)  # the session that ends, with its staff
        return counter_view(db, conn, counter_row(conn, counter_id))


def token_view(conn: sqlite3.Connection, row: dict) -> dict:
    ids = [r[0] for r in conn.execute("SELECT queue_id FROM host_token_services WHERE token_id = ?",
                                      (row["id"],))]
    order = {ref["id"]: n for n, ref in enumerate(service_refs(conn, ids))}
    return {"id": row["id"], "name": row["name"], "role": row["role"], "scope": row["scope"],
            "services": sorted(ids, key=lambda i: order.get(i, len(order))),
            "created_at": row["created_at"], "revoked_at": row["revoked_at"]}


def create_host_token(db: Database, name: str, role: str, scope: str,
                      service_ids: list[str]) -> tuple[dict, str]:
    """A host token with a role and a scope; returns its view and the token (shown once, stored hashed)."""
    token = new_token()
    with db.write() as conn:
        ids = check_services(conn, service_ids) if scope == "services" else []
        token_id = add_host_token(conn, hash_token(token), role, scope, name, iso(db.clock.now()), ids)
        row = conn.execute("SELECT * FROM host_tokens WHERE id = ?", (token_id,)).fetchone()
        return token_view(conn, dict(row)), token


def list_host_tokens(db: Database) -> list[dict]:
    with db.read() as conn:
        return [token_view(conn, dict(row)) for row in conn.execute(
            "SELECT * FROM host_tokens ORDER BY created_at, id").fetchall()]


def revoke_host_token(db: Database, token_id: str) -> dict:
    """The token stops working at once (the caller closes its sockets); revoked twice: NotFound."""
    with db.write() as conn:
        row = conn.execute("SELECT * FROM host_tokens WHERE id = ? AND revoked_at IS NULL",
                           (token_id,)).fetchone()
        if row is None:
            raise NotFound("No host token with that id (or it is revoked already).", "host_token_not_found")
        conn.execute("UPDATE host_tokens SET revoked_at = ? WHERE id = ?", (iso(db.clock.now()), token_id))
        row = conn.execute("SELECT * FROM host_tokens WHERE id = ?", (token_id,)).fetchone()
        return token_view(conn, dict(row))


def covered_ids(conn: sqlite3.Connection, device_id: str) -> list[str]:
    """The ids of the services a kiosk or display covers, in its order."""
    return [row[0] for row in conn.execute(
        "SELECT queue_id FROM device_services WHERE device_id = ? ORDER BY position", (device_id,))]


def update_device(db: Database, queue_id: str, device_id: str, name: str | None = None,
                  services_: list[str] | None = None, allowed: Allowed = _anyone) -> dict:
    """Rename a kiosk or display, or change the services it covers, keeping its token (a venue
    that adds a service keeps its kiosk's link). Its home service `queue_id` stays covered, first
    unless listed elsewhere, as at registration. `allowed` covers what it covered and what it will.
    One `device_changed` event when anything changed. Returns the device's row."""
    with db.write() as conn:
        row = conn.execute("SELECT * FROM devices WHERE id = ? AND queue_id = ? AND revoked_at IS NULL",
                           (device_id, queue_id)).fetchone()
        if row is None:
            raise NotFound("No device of this line with that id.", "device_not_found")
        queue = load(conn, queue_id)
        before = covered_ids(conn, device_id)
        after = before
        if services_ is not None:
            after = check_services(conn, services_)
            if queue_id not in after:
                after = [queue_id, *after]
        allowed(sorted(set(before) | set(after)))
        renamed = name is not None and name != row["name"]
        if renamed:
            conn.execute("UPDATE devices SET name = ? WHERE id = ?", (name, device_id))
        if after != before:
            conn.execute("DELETE FROM device_services WHERE device_id = ?", (device_id,))
            conn.executemany("INSERT INTO device_services (device_id, queue_id, position) VALUES (?, ?, ?)",
                             [(device_id, covered, position) for position, covered in enumerate(after)])
        if renamed or after != before:
            events.append(conn, db.clock, queue_id, "device_changed", service_day=queue["service_day"], data={
                "device_id": device_id, "kind": row["kind"], "name": name if renamed else row["name"],
                "services": after})
        return dict(conn.execute("SELECT * FROM devices WHERE id = ?", (device_id,)).fetchone())


def set_device_voice(db: Database, queue_id: str, device_id: str, on: bool, allowed: Allowed = _anyone) -> dict:
    """Issue 16: a registered display says its calls (`on`) or only chimes. A kiosk has no voice
    (409 `not_a_display`). One host-only `device_changed` event when it changed. Returns the row."""
    with db.write() as conn:
        row = conn.execute("SELECT * FROM devices WHERE id = ? AND queue_id = ? AND revoked_at IS NULL",
                           (device_id, queue_id)).fetchone()
        if row is None:
            raise NotFound("No device of this line with that id.", "device_not_found")
        if row["kind"] != "display":
            raise Conflict("Only a display speaks the calls; this device is a kiosk.", "not_a_display")
        allowed(covered_ids(conn, device_id))
        if bool(row["voice"]) != on:
            queue = load(conn, queue_id)
            conn.execute("UPDATE devices SET voice = ? WHERE id = ?", (int(on), device_id))
            events.append(conn, db.clock, queue_id, "device_changed", service_day=queue["service_day"], data={
                "device_id": device_id, "kind": row["kind"], "name": row["name"], "voice": on})
        return dict(conn.execute("SELECT * FROM devices WHERE id = ?", (device_id,)).fetchone())


def device_services(db: Database, device_id: str) -> list[dict]:
    """{id, name, prefix} of the services a kiosk or display covers, in its order."""
    with db.read() as conn:
        return service_refs(conn, covered_ids(conn, device_id))
