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
import threading
from dataclasses import dataclass, field

from .clock import iso
from .eta import Estimator, Event

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


def _event(row) -> Event:
    data = json.loads(row["data"]) if row["data"] else {}
    hint = data.get("back_in_seconds")
    kind = row["type"]
    if kind == "cancel" and (data.get("reason") == "day_ended" or "bulk" in data):
        kind = "expire"  # the rollover or a host's bulk clear closed it: not a guest giving up
    services = data.get("services")  # issue 15 (docs/services.md): the counter's services, in order
    return Event(kind, row["mono"], row["boot_id"], row["ticket_id"], row["ticket_number"],
                 data.get("counter"), float(hint) if isinstance(hint, int | float) else None,
                 replaced="replaced_by" in data, priority=data.get("priority") is True,
                 services=len(services) if isinstance(services, list) and services else None)


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

    def __init__(self, db):
        self.db = db
        self._lock = threading.RLock()
        self._entries: dict[str, _Entry] = {}

    def _load(self, queue: dict) -> _Entry:
        with self.db.read(committed=True) as conn:
            row = conn.execute("SELECT seq, state FROM eta_state WHERE queue_id = ?", (queue["id"],)).fetchone()
        if row is not None:
            try:
                return _Entry(Estimator.from_dict(json.loads(row["state"])), row["seq"], row["seq"])
            except (KeyError, TypeError, ValueError):
                log.warning("eta: the saved state of queue %s is unreadable; replaying its events", queue["id"])
        return _Entry(Estimator(queue["default_cycle"], max_wait=self._max_wait()), 0, -1)

    def _max_wait(self) -> float | None:
        """QODE_MAX_WAIT as the app set it (`db.call_policy`, a rules.Policy), else the rule's default."""
        from .rules import Policy

        policy = self.db.call_policy if self.db.call_policy is not None else Policy()
        return policy.max_wait

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
            for row in rows:
                entry.est.apply(_event(row))
                entry.seq = row["seq"]
                if entry.cached is None:
                    continue
                prediction, line = entry.cached[2], entry.cached[3]
                if row["type"] == "join" and row["ticket_id"] not in prediction.tickets:
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
            entry = self._caught_up(queue)
            entry.est.margin = float(queue.get("eta_margin") or 0.0)
            entry.est.max_wait = self._max_wait()  # the setting now, not the one a saved state had
            now, boot = self.db.clock.monotonic(), self.db.clock.boot_id
            est = entry.est
            if self.db.in_write():
                with self.db.read() as conn:  # the writer's own view, uncommitted events included
                    rows = conn.execute(
                        "SELECT seq, type, ticket_id, ticket_number, data, mono, boot_id FROM events"
                        " WHERE queue_id = ? AND seq > ? ORDER BY seq", (queue["id"], entry.seq),
                    ).fetchall()
                if rows:
                    est = Estimator.from_dict(est.to_dict())
                    for row in rows:
                        est.apply(_event(row))
                    return self._prediction(est, now, boot)[0]
            cached = entry.cached
            if cached is not None and cached[0] == est.margin and 0 <= now - cached[1] < MAX_AGE:
                return cached[2]
            prediction, line = self._prediction(est, now, boot)
            entry.cached = (est.margin, now, prediction, line)
            return prediction

    def invalidate(self, queue_id: str | None = None) -> None:
        """Make the next prediction fresh (for one queue, or all)."""
        with self._lock:
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


def for_ticket(db, ticket: dict, queue: dict) -> Prediction:
    """What `render` needs for this ticket: an estimate only while it is WAITING."""
    return of(db).predict(queue) if ticket["status"] == "WAITING" else SETTLED


def attach(db) -> Estimates:
    """A new, empty estimates cache for `db`, replacing any it had (create_app calls it)."""
    db.estimates = Estimates(db)
    return db.estimates


def of(db) -> Estimates:
    """The estimates cache of `db`; one is attached on first use where no app did (tools, tests)."""
    return db.estimates if db.estimates is not None else attach(db)
