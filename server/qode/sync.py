"""Store and forward: the box's event log, pushed to the hub in `seq` order.

The events table is the outbox. A scheduler job sends the events after the acknowledged
cursor (`sync_state.acked_seq`) in batches; only the hub's answer moves the cursor, in
a short write of its own. Nothing else waits for the hub: the push runs in the scheduler
(a greenlet under gevent, so its network wait yields), holds no transaction while it talks,
and after a failure waits longer each time (doubling up to five minutes, with jitter).
Whatever goes wrong on the way (no hub, a slow or unknown one, TLS, a wrong key, a proxy's
error page, a redirect) only shows as `last_error`.

Each batch says which position it follows (`after`, the cursor): the hub refuses a batch
that follows something it does not hold (a gap) and says where to resume. Events the box
no longer has (purged after an earlier hub acknowledged them) are simply not sent.

Delivery is at least once; the hub stores (device_id, seq) once, so it is exactly once in
effect. Ticket ids are the guests' capabilities, so the hub gets a keyed pseudonym of each
(the same for every event of one ticket), never the id itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import uuid
from contextlib import contextmanager

from qode_common import http
from qode_common.patterns import printable

from .clock import iso
from .db import Database, under_gevent

log = logging.getLogger(__name__)

TIMEOUT = 10.0  # seconds per socket operation: a slow hub delays only the sync greenlet
MAX_DELAY = 300.0
MAX_ANSWER = 65536  # bytes of a hub's answer read at most
BATCHES_PER_RUN = 20  # a long backlog drains over several runs, never in one endless loop
# mono and boot_id (issue 15): the hub's figures measure waits on them within one boot, as the box's do.
FIELDS = "seq, queue_id, type, ticket_id, ticket_number, data, service_day, created_at, mono, boot_id"


def pseudonym(secret: str, ticket_id: str | None) -> str | None:
    """The ticket id as the hub sees it: stable per box and ticket, useless as a capability."""
    if ticket_id is None:
        return None
    digest = hmac.new(secret.encode(), ticket_id.encode(), hashlib.sha256).digest()
    return str(uuid.UUID(bytes=digest[:16]))


class Sync:
    def __init__(self, db: Database, settings: dict):
        self.db = db
        self.url = settings["SYNC_URL"]
        self.device_id = settings["DEVICE_ID"]
        self.key = settings["SYNC_KEY"]
        self.batch = settings["SYNC_BATCH"]
        self.ca_file = settings.get("SYNC_CA_FILE")
        self.deadline = settings["SYNC_TIMEOUT"]  # one request, answer included
        self.on_change = None  # called when the status turns (failing <-> working): the host is told
        self._client = None
        self._ceiling = self.batch  # halved after a 413: the hub's own limit, kept
        self._size = self.batch  # halved after a 413 or a timeout; a timeout's lasts until caught up
        # After a failure the next run waits 5 s, doubling up to five minutes, +-20 % jitter.
        self._backoff = http.Backoff(5.0, MAX_DELAY, jitter=(0.8, 1.2))
        self._next_try = 0.0  # monotonic
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    def status(self) -> dict:
        """For /healthz and the host: how far the hub has the log, and how the last try went."""
        with self.db.read() as conn:
            row = conn.execute("SELECT * FROM sync_state WHERE id = 1").fetchone()
            latest = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
        return {
            "enabled": self.enabled,
            "acked_seq": row["acked_seq"],
            "latest_seq": latest,
            "pending": max(latest - row["acked_seq"], 0),  # the log has no holes above the cursor
            "last_success": row["last_success"],
            "last_error": row["last_error"],
        }

    def push(self) -> int:
        """Send what is new (a few batches at most); returns how many events the hub acknowledged."""
        if not self.enabled or time.monotonic() < self._next_try or not self._lock.acquire(blocking=False):
            return 0
        try:
            sent = 0
            for _ in range(BATCHES_PER_RUN):
                events, acked = self._next_batch()
                if not events:
                    self._size = self._ceiling  # caught up: a slow moment's smaller batches are over
                    break
                try:
                    answer = self._post(acked, events)
                except SyncError as err:
                    if err.resume_after is not None and 0 <= err.resume_after < acked:
                        # The hub holds less than we thought (restored, or a new hub): go back to there.
                        log.warning("sync: the hub holds up to seq %d; sending from there", err.resume_after)
                        self._rewind(err.resume_after)
                        continue
                    if err.too_large:
                        self._ceiling = max(min(self._ceiling, len(events)) // 2, 1)
                    if err.too_large or err.too_slow:
                        self._size = max(len(events) // 2, 1)
                    self._failed(str(err))
                    return sent
                new = answer["acked_seq"]
                if new < events[0]["seq"]:  # nothing of the batch taken: no progress, so no success
                    self._failed(f"the hub acknowledged none of the batch (acked_seq {new}, the batch "
                                 f"starts at {events[0]['seq']})")
                    return sent
                self._save(min(new, events[-1]["seq"]))
                sent += len(events)
            self._backoff.reset()
            return sent
        finally:
            self._lock.release()

    def _next_batch(self) -> tuple[list[dict], int]:
        with self.db.read() as conn:
            row = conn.execute("SELECT acked_seq, secret FROM sync_state WHERE id = 1").fetchone()
            rows = conn.execute(f"SELECT {FIELDS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                                (row["acked_seq"], self._size)).fetchall()
        secret = row["secret"]
        events = [{**dict(r), "ticket_id": pseudonym(secret, r["ticket_id"]), "data": json.loads(r["data"])}
                  for r in rows]
        return events, row["acked_seq"]

    def _post(self, after: int, events: list[dict]) -> dict:
        if self._client is None:
            # No redirects: one would carry the box's key elsewhere (and turn the POST into a GET).
            self._client = http.Client(self.url, timeout=TIMEOUT, cafile=self.ca_file, follow_redirects=False,
                                       max_answer=MAX_ANSWER)
        try:
            with _within(self.deadline):
                body = {"device_id": self.device_id, "after": after, "events": events}
                _, answer = self._client.call("POST", "/api/sync/batches", body,
                                              headers={"Authorization": f"Bearer {self.key}"}, timeout=TIMEOUT)
        except http.HttpError as err:
            raise _refusal(err) from None
        except http.Unreachable as err:  # whatever broke on the way, the box carries on
            raise SyncError(f"the hub cannot be reached: {err.kind}: {printable(err, 200)}") from None
        except _TooSlow:
            # Maybe a slow uplink: the next batches are half as large until the box has caught up,
            # so a box on a thin line still moves on instead of sending one batch past its deadline.
            raise SyncError(f"the hub did not answer within {self.deadline:g} s (QODE_SYNC_TIMEOUT)",
                            too_slow=True) from None
        acked = answer.get("acked_seq") if isinstance(answer, dict) else None
        if not isinstance(acked, int) or isinstance(acked, bool):
            raise SyncError(f"{self.url} answered, but not as a Qode hub does (no acked_seq)")
        return answer

    def _save(self, acked: int) -> None:
        with self.db.write() as conn:
            was = conn.execute("SELECT last_error FROM sync_state WHERE id = 1").fetchone()[0]
            conn.execute(
                "UPDATE sync_state SET acked_seq = ?, last_success = ?, last_error = NULL WHERE id = 1",
                (acked, iso(self.db.clock.now())),
            )
        if was is not None:
            self._changed()

    def _rewind(self, acked: int) -> None:
        with self.db.write() as conn:
            conn.execute("UPDATE sync_state SET acked_seq = ? WHERE id = 1", (acked,))

    def _failed(self, error: str) -> None:
        wait = self._backoff.next()
        self._next_try = time.monotonic() + wait
        log.warning("sync: %s; next try in %.0f s", error, wait)
        with self.db.write() as conn:
            was = conn.execute("SELECT last_error FROM sync_state WHERE id = 1").fetchone()[0]
            conn.execute("UPDATE sync_state SET last_error = ? WHERE id = 1", (error[:300],))
        if was is None:
            self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            try:
                self.on_change()
            except Exception:  # noqa: BLE001 - telling the host must not break the sync
                log.exception("sync: telling the host")


def _refusal(err: http.HttpError) -> SyncError:
    """The hub's (or a proxy's) error answer as a SyncError, whatever its body holds."""
    if 300 <= err.status < 400:
        return SyncError(f"the hub answered {err.status} (a redirect to {printable(err.location, 200)}); "
                         "set QODE_SYNC_URL to where it points")
    error = err.error
    message = error.get("message") if isinstance(error.get("message"), str) else err.reason
    resume = error.get("resume_after") if error.get("code") == "sync_gap" else None
    return SyncError(f"the hub answered {err.status}: {printable(message, 200)}",
                     resume if isinstance(resume, int) and not isinstance(resume, bool) else None,
                     too_large=err.status == 413)


class _TooSlow(Exception):
    pass


@contextmanager
def _within(seconds: float):
    """Under `qode serve` (gevent), the whole request, answer included, within `seconds`: a hub
    that drips its answer a byte at a time keeps each read under TIMEOUT, never the push forever.
    Elsewhere (a unit test's app, no gevent) only TIMEOUT per socket operation bounds it."""
    if not under_gevent():
        yield
        return
    import gevent

    timer = gevent.Timeout(seconds)  # a BaseException: no `except Exception` on the way takes it
    timer.start()
    try:
        yield
    except gevent.Timeout as exc:
        if exc is not timer:
            raise
        raise _TooSlow() from None
    finally:
        timer.close()


class SyncError(Exception):
    def __init__(self, message: str, resume_after: int | None = None, too_large: bool = False,
                 too_slow: bool = False):
        super().__init__(message)
        self.resume_after = resume_after
        self.too_large = too_large  # the hub's 413: its limit, kept
        self.too_slow = too_slow  # past QODE_SYNC_TIMEOUT: smaller until caught up


def of(app) -> Sync:
    sync = app.extensions.get("qode_sync")
    if sync is None:
        sync = app.extensions["qode_sync"] = Sync(app.extensions["qode_db"], app.config)
    return sync
