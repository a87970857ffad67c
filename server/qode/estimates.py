"""The server side of the ETA: one `eta.Estimator` per queue, fed from the event log.

Each estimator catches up with the committed events of its queue (read through a
separate reader, so an uncommitted or rolled-back change never reaches it) and is
asked for predictions at the clock's monotonic time. Its state is saved in
`eta_state` with the last event it applied, so a restart continues from there and
replays only the events after it, instead of learning the queue again.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections import ChainMap
from copy import copy
from dataclasses import dataclass, field

from . import rules
from .clock import iso
from .eta import TYPES, Estimator, Event, forecast_services

log = logging.getLogger(__name__)


@dataclass
class Prediction:
    tickets: dict[str, int]  # WAITING ticket id -> seconds until it is called
    joiner: int  # seconds for a guest who joins now
    avg_wait_time: int  # what one more guest adds (D / k)
    hints: dict = field(default_factory=dict)  # {"queue": s or None, "counters": {name: s}}

    def for_ticket(self, ticket: dict) -> int | None:
        """`eta_seconds` of a ticket: its prediction while WAITING, 0 once called, None once ended."""
        status = ticket["status"]
        if status == "WAITING":
            # A ticket the estimator has not seen yet (issued in this very transaction) joins last.
            return self.tickets.get(ticket["id"], self.joiner)
        if status in ("CALLED", "SERVING"):
            return 0
        return None


SETTLED = Prediction({}, 0, 0)  # for a ticket that is not WAITING: its ETA needs no estimate

MAX_AGE = 1.0  # s: an HTTP answer may show predictions this old; the live feed asks fresh ones


@dataclass
class _Entry:
    est: Estimator
    seq: int  # the last event applied
    saved_seq: int  # the last event whose effect is saved in eta_state
    version: int = -1  # db.version it caught up at
    cached: tuple | None = None  # (margin, monotonic time made, Prediction, eta.Forecast)
    # issue 17: the open batch's joins walked on from `cached` (Estimates._joins_behind):
    # (db.marks, seq, the `cached` it extends, the last event read, the line walked on, their ETAs)
    batch: tuple | None = None


def _waits(conn, rows) -> dict[int, float]:
    """For each `transfer_in` placed by its original join (its line_seq is an older event's seq):
    how long the ticket has been in line, from that event's monotonic time on the same boot."""
    wanted = {}
    for row in rows:
        if row["type"] == "transfer_in":
            data = json.loads(row["data"]) if row["data"] else {}
            line_seq = data.get("line_seq")
            if isinstance(line_seq, int) and line_seq != row["seq"]:
                wanted[row["seq"]] = (line_seq, row["mono"], row["boot_id"])
    if not wanted:
        return {}
    marks = ",".join("?" * len(wanted))
    entered = {r["seq"]: (r["mono"], r["boot_id"]) for r in conn.execute(
        f"SELECT seq, mono, boot_id FROM events WHERE seq IN ({marks})", [w[0] for w in wanted.values()])}
    waits = {}
    for seq, (line_seq, mono, boot) in wanted.items():
        if line_seq in entered and entered[line_seq][1] == boot and mono >= entered[line_seq][0]:
            waits[seq] = mono - entered[line_seq][0]
    return waits


def _events_after(conn, queue_id: str, seq: int) -> list:
    """The queue's events after `seq`, as the estimator applies them."""
    return conn.execute(
        "SELECT seq, type, ticket_id, ticket_number, data, mono, boot_id FROM events"
        " WHERE queue_id = ? AND seq > ? ORDER BY seq", (queue_id, seq),
    ).fetchall()


def _event(row, queue_id: str | None = None, waits: dict[int, float] | None = None) -> Event:
    data = json.loads(row["data"]) if row["data"] else {}
    hint = data.get("back_in_seconds")
    kind = row["type"]
    if kind == "cancel" and (data.get("reason") == "day_ended" or "bulk" in data):
        kind = "expire"  # the rollover or a host's bulk clear closed it: not a guest giving up
    services = data.get("services")  # issue 15 (docs/services.md): the counter's services, in order
    n = len(services) if isinstance(services, list) and services else None
    if kind == "counter_services" and isinstance(services, list) and queue_id not in services:
        n = 0  # the counter no longer serves this service
    # A ticket's place in its line is its line_seq (docs/services.md, decision 3): the seq of its
    # join, or the one its transfer in names. Numbers belong to the issuing service, so a ticket
    # sent here by its join time would otherwise sort after this service's own tickets.
    number = row["ticket_number"]
    if kind == "join":
        number = row["seq"]
    elif kind == "transfer_in":
        number = data["line_seq"] if isinstance(data.get("line_seq"), int) else row["seq"]
    elif kind == "returned":  # issue 16: its place before the head (`front`) or at the return (`end`)
        number = data["line_seq"] if isinstance(data.get("line_seq"), int) else row["seq"]
        given = data.get("waited")  # `front`: the head's time in line, which it took over
        if isinstance(given, int | float) and not isinstance(given, bool):
            waits = {**(waits or {}), row["seq"]: float(given)}
    if kind == "running_late":  # issue 16: its new place (docs/services.md, section 15)
        line_seq, rank = data.get("line_seq"), data.get("rank")
        valid = isinstance(line_seq, int) and isinstance(rank, int)
        number = line_seq + rank / rules.RANK_SCALE if valid else None
    return Event(kind, row["mono"], row["boot_id"], row["ticket_id"], number,
                 data.get("counter"), float(hint) if isinstance(hint, int | float) else None,
                 replaced="replaced_by" in data, priority=data.get("priority") is True, services=n,
                 waited=(waits or {}).get(row["seq"]))


class Estimates:
    """The estimates cache: the estimator of every queue of one database, in this process.

    Owned by the app (`create_app` attaches it to its database and lists it as
    `app.extensions["qode_estimates"]`); rules reach it with `of(db)`. What it keeps and when
    that is dropped:

    - per queue, the estimator and the last event it applied: caught up with the committed
      events whenever the database's commit counter (`db.version`) moved;
    - per queue, the last prediction: reused for at most MAX_AGE seconds while only joins
      came (each join is added in O(1)); any other event, a new margin, or `invalidate`
      (the live feed, before it sends) makes the next one fresh;
    - `forget()` drops everything (a restored database): estimators reload from `eta_state`.
    """

    def __init__(self, db, settings: dict | None = None):
        self.db = db
        self._lock = threading.RLock()
        self._entries: dict[str, _Entry] = {}
        # issue 15: the call rule's bounds, which the estimators walk (None = off)
        settings = settings or {}
        max_wait = settings.get("MAX_WAIT", 900.0)  # QODE_MAX_WAIT, parsed by config.py (part 2)
        streak = settings.get("PRIORITY_STREAK", 3)  # QODE_PRIORITY_STREAK
        def number(value) -> bool:  # "off" is parsed as None (or anything not a number)
            return isinstance(value, int | float) and not isinstance(value, bool)

        self.max_wait = float(max_wait) if number(max_wait) and max_wait > 0 else None
        self.streak = int(streak) if number(streak) and streak >= 0 else None
        self._joint: dict[str, tuple] = {}  # queue id -> (members' seqs, margin, made at, Prediction)
        self._counters: tuple[int, dict | None] | None = None  # (db.version, counters by name)

    def _load(self, queue: dict) -> _Entry:
        with self.db.read(committed=True) as conn:
            row = conn.execute("SELECT seq, state FROM eta_state WHERE queue_id = ?", (queue["id"],)).fetchone()
        if row is not None:
            try:
                est = Estimator.from_dict(json.loads(row["state"]))
                est.max_wait, est.streak_limit = self.max_wait, self.streak  # today's settings
                return _Entry(est, row["seq"], row["seq"])
            except (KeyError, TypeError, ValueError):
                log.warning("eta: the saved state of queue %s is unreadable; replaying its events", queue["id"])
        return _Entry(Estimator(queue["default_cycle"], max_wait=self.max_wait, streak=self.streak), 0, -1)

    def _caught_up(self, queue: dict) -> _Entry:
        entry = self._entries.get(queue["id"])
        if entry is None:
            entry = self._entries[queue["id"]] = self._load(queue)
        if entry.version != self.db.version:
            version = self.db.version  # read before the snapshot, so never newer than the data
            with self.db.read(committed=True) as conn:  # never an event that may still roll back
                rows = conn.execute(
                    "SELECT seq, type, ticket_id, ticket_number, data, mono, boot_id FROM events"
                    " WHERE queue_id = ? AND seq > ? ORDER BY seq", (queue["id"], entry.seq),
                ).fetchall()
                waits = _waits(conn, rows)
            for row in rows:
                event = _event(row, queue["id"], waits)
                entry.est.apply(event)
                entry.seq = row["seq"]
                if entry.cached is None or event.type not in TYPES:  # (a print job: the line is as it was)
                    continue
                prediction, line = entry.cached[2], entry.cached[3]
                if line is None:
                    entry.cached = None
                elif event.type == "join" and not event.priority and row["ticket_id"] not in prediction.tickets:
                    # Someone joined behind everyone: the others' ETAs stand; add them in O(1).
                    prediction.tickets[row["ticket_id"]] = line.join()
                    prediction.joiner = line.joiner
                else:
                    entry.cached = None  # anything else moves people: the next prediction is fresh
            entry.version = version
        return entry

    def predict(self, queue: dict) -> Prediction:
        """Predictions for `queue` (a queue row) now, at most MAX_AGE old.

        A prediction costs O(waiting), so across a run of joins it is made at most once a
        second per queue for HTTP answers (a ticket that joined since reads as the joiner); any
        other event makes the next one fresh, and so does the live feed (`invalidate`).
        Inside a write (a view answered by the change itself), the change's own events are
        applied to a copy, so the answer already shows it while the estimator stays committed-only.
        """
        with self._lock:
            group = self._group(queue["id"])
            if group is not None:
                return self._predict_group(queue, *group)
            entry = self._caught_up(queue)
            entry.est.margin = float(queue.get("eta_margin") or 0.0)
            entry.est.max_wait, entry.est.streak_limit = self.max_wait, self.streak  # the settings now
            now, boot = self.db.clock.monotonic(), self.db.clock.boot_id
            est = entry.est
            if self.db.in_write():
                with self.db.read() as conn:  # the writer's own view, uncommitted events included
                    # issue 17: in a batch of joins (group commit), the earlier joins are still
                    # uncommitted: each joins behind everyone, so they extend a copy of the line,
                    # kept for the next join of the batch (which then reads only the events since).
                    behind = self._joins_behind(conn, entry, queue["id"], now, boot)
                    if behind is not None:
                        return behind
                    rows = _events_after(conn, queue["id"], entry.seq)
                    waits = _waits(conn, rows)
                if rows:
                    est = Estimator.from_dict(est.to_dict())
                    for row in rows:
                        est.apply(_event(row, queue["id"], waits))
                    return self._prediction(est, now, boot)[0]
            return self._current(entry, now, boot)[0]

    def _current(self, entry: _Entry, now: float, boot: str) -> tuple:
        """The committed line's (prediction, forecast): the cached ones while at most MAX_AGE old
        at this margin, else made now and cached."""
        est, cached = entry.est, entry.cached
        if cached is None or cached[0] != est.margin or not 0 <= now - cached[1] < MAX_AGE:
            cached = entry.cached = (est.margin, now, *self._prediction(est, now, boot))
        return cached[2], cached[3]

    def _joins_behind(self, conn, entry: _Entry, queue_id: str, now: float, boot: str) -> Prediction | None:
        """The prediction once this transaction's own events (not committed) are applied, when they
        are only normal joins of new tickets: the committed line's forecast (cached, as for committed
        joins) walked on by a copy for each, so a join costs O(1), not O(waiting). The walk is kept
        for the batch's next join while nothing of the transaction was rolled back (`db.marks`).
        None when anything else happened: then the caller replays them on a copy of the estimator."""
        prediction, line = self._current(entry, now, boot)  # committed only: fit to keep
        if line is None:
            entry.batch = None
            return None
        mark, kept = self.db.marks, entry.batch
        if kept is not None and kept[0] == mark and kept[1] == entry.seq and kept[2] is entry.cached:
            after, line, added = kept[3], kept[4], kept[5]
        else:
            after, added = entry.seq, {}
            line = copy(line)  # the cached one stays committed-only (this batch may still roll back)
        entry.batch = None
        rows = _events_after(conn, queue_id, after)
        if not rows and not added:
            return prediction
        for row in rows:
            if row["type"] not in TYPES:  # the estimator ignores it (a kiosk's print job): the line stands
                continue
            if row["type"] != "join" or _event(row).priority or row["ticket_id"] in prediction.tickets:
                return None
            added[row["ticket_id"]] = line.join()
        if rows:
            after = rows[-1]["seq"]
        entry.batch = (mark, entry.seq, entry.cached, after, line, added)
        tickets = ChainMap(added, prediction.tickets)  # read at once, before the next join adds
        return Prediction(tickets, line.joiner, prediction.avg_wait_time, prediction.hints)

    # ---- services that share counters (issue 15) ----------------------------------------------

    def _counter_map(self) -> dict[str, rules.Counter] | None:
        """Every counter's services (by name, in its order, with its rule and weights), read from
        m013's tables once per commit; None before m013. A name that two counters share is left
        out (the events name counters, so the walk could not tell them apart)."""
        if self._counters is not None and self._counters[0] == self.db.version:
            return self._counters[1]
        version = self.db.version
        try:
            with self.db.read(committed=True) as conn:
                rows = conn.execute(
                    "SELECT c.id, c.name, c.rule, cs.queue_id, cs.weight FROM counters c"
                    " JOIN counter_services cs ON cs.counter_id = c.id ORDER BY c.name, c.id, cs.position"
                ).fetchall()
        except sqlite3.OperationalError:  # before m013: one counter serves one queue
            rows = None
        counters: dict[str, rules.Counter] | None = None
        if rows is not None:
            specs: dict[str, dict] = {}
            ids: dict[str, set] = {}
            for row in rows:
                ids.setdefault(row["name"], set()).add(row["id"])
                spec = specs.setdefault(row["name"], {"rule": row["rule"], "services": [], "weights": {}})
                spec["services"].append(row["queue_id"])
                spec["weights"][row["queue_id"]] = float(row["weight"])
            counters = {}
            for name, spec in specs.items():
                if len(ids[name]) > 1:
                    continue  # two counters of one name (old queues' "1"): the events cannot tell them apart
                try:
                    counters[name] = rules.Counter(tuple(spec["services"]), spec["rule"], spec["weights"])
                except ValueError:
                    continue
        self._counters = (version, counters)
        return counters

    def _group(self, queue_id: str) -> tuple[list[str], dict[str, rules.Counter]] | None:
        """The services linked to `queue_id` by counters that serve several (it included), and
        the counters; None when it shares no counter (it is predicted alone, as before)."""
        counters = self._counter_map()
        if not counters:
            return None
        group, todo = {queue_id}, [queue_id]
        while todo:
            s = todo.pop()
            for counter in counters.values():
                if s in counter.services and len(counter.services) > 1:
                    for other in counter.services:
                        if other not in group:
                            group.add(other)
                            todo.append(other)
        return (sorted(group), counters) if len(group) > 1 else None

    def _predict_group(self, queue: dict, members: list[str], counters: dict[str, rules.Counter]) -> Prediction:
        """`predict` for a service that shares counters: every linked service's estimator caught
        up, and `eta.forecast_services` walks them together (docs/eta.md, "Several services")."""
        with self.db.read(committed=True) as conn:
            marks = ",".join("?" * len(members))
            rows = {r["id"]: dict(r) for r in conn.execute(
                f"SELECT id, default_cycle, eta_margin FROM queues WHERE id IN ({marks})", members)}
        rows[queue["id"]] = {**rows.get(queue["id"], {}), **queue}
        members = [m for m in members if m in rows]
        entries = {m: self._caught_up(rows[m]) for m in members}
        for m, entry in entries.items():
            entry.est.margin = float(rows[m].get("eta_margin") or 0.0)
        now, boot = self.db.clock.monotonic(), self.db.clock.boot_id
        key = tuple(entries[m].seq for m in members)
        margin = entries[queue["id"]].est.margin
        ests = {m: entry.est for m, entry in entries.items()}
        if self.db.in_write():
            with self.db.read() as conn:  # the writer's own view, uncommitted events included
                for m, entry in entries.items():
                    fresh = conn.execute(
                        "SELECT seq, type, ticket_id, ticket_number, data, mono, boot_id FROM events"
                        " WHERE queue_id = ? AND seq > ? ORDER BY seq", (m, entry.seq)).fetchall()
                    if fresh:
                        waits = _waits(conn, fresh)
                        ests[m] = Estimator.from_dict(entry.est.to_dict())
                        for row in fresh:
                            ests[m].apply(_event(row, m, waits))
                        key = None
        cached = self._joint.get(queue["id"])
        if key is not None and cached is not None and cached[0] == key and cached[1] == margin \
                and 0 <= now - cached[2] < MAX_AGE:
            return cached[3]
        made = forecast_services(ests, counters, now, boot)
        tickets, joiner = made[queue["id"]]
        est = ests[queue["id"]]
        prediction = Prediction(tickets, joiner, est.avg_wait_time(), est.hints(now, boot))
        if key is not None:
            self._joint[queue["id"]] = (key, margin, now, prediction)
        return prediction

    def invalidate(self, queue_id: str | None = None) -> None:
        """Make the next prediction fresh (for one queue, or all)."""
        with self._lock:
            self._joint.clear()
            for key, entry in self._entries.items():
                if queue_id is None or key == queue_id:
                    entry.cached = None

    @staticmethod
    def _prediction(est: Estimator, now: float, boot: str):
        tickets, joiner, line = est.forecast(now, boot)
        return Prediction(tickets, joiner, est.avg_wait_time(), est.hints(now, boot)), line

    def save(self) -> int:
        """Persist every estimator that learned something since its last save, and keep each
        queue's `avg_wait_time` current. Returns how many were saved."""
        with self.db.read() as conn:
            queues = [dict(r) for r in conn.execute("SELECT id, default_cycle, avg_wait_time FROM queues")]
        with self._lock:
            dirty = []
            for queue in queues:
                entry = self._caught_up(queue)
                avg = entry.est.avg_wait_time()
                if entry.seq != entry.saved_seq or avg != queue["avg_wait_time"]:
                    dirty.append((queue["id"], entry, entry.seq, json.dumps(entry.est.to_dict()), avg))
        if not dirty:
            return 0
        now = iso(self.db.clock.now())
        with self.db.write() as conn:
            for queue_id, _, seq, state, avg in dirty:
                conn.execute(
                    "INSERT INTO eta_state (queue_id, seq, state, updated_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (queue_id) DO UPDATE SET seq = excluded.seq, state = excluded.state,"
                    " updated_at = excluded.updated_at", (queue_id, seq, state, now),
                )
                conn.execute("UPDATE queues SET avg_wait_time = ? WHERE id = ? AND avg_wait_time != ?",
                             (avg, queue_id, avg))
        for _, entry, seq, _, _ in dirty:
            entry.saved_seq = seq
        return len(dirty)

    def forget(self) -> None:
        """Drop what is in memory (a restore replaced the database, or a test wants a restart)."""
        with self._lock:
            self._entries.clear()
            self._joint.clear()
            self._counters = None


def for_ticket(db, ticket: dict, queue: dict) -> Prediction:
    """What `render` needs for this ticket: an estimate only while it is WAITING."""
    return of(db).predict(queue) if ticket["status"] == "WAITING" else SETTLED


def attach(db, settings: dict | None = None) -> Estimates:
    """A new, empty estimates cache for `db`, replacing any it had (create_app calls it, with the
    settings: QODE_MAX_WAIT and QODE_PRIORITY_STREAK are the rule's bounds the ETA walks)."""
    db.estimates = Estimates(db, settings)
    return db.estimates


def of(db) -> Estimates:
    """The estimates cache of `db`; one is attached on first use where no app did (tools, tests)."""
    return db.estimates if db.estimates is not None else attach(db)
