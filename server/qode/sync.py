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
import random
import ssl
import threading
import time
import urllib.error
import urllib.request
import uuid

from .clock import iso
from .db import Database

log = logging.getLogger(__name__)

TIMEOUT = 10.0  # seconds per socket operation: a slow hub delays only the sync greenlet
MAX_DELAY = 300.0
MAX_ANSWER = 65536  # bytes of a hub's answer read at most
BATCHES_PER_RUN = 20  # a long backlog drains over several runs, never in one endless loop
FIELDS = "seq, queue_id, type, ticket_id, ticket_number, data, service_day, created_at"


def pseudonym(secret: str, ticket_id: str | None) -> str | None:
    """The ticket id as the hub sees it: stable per box and ticket, useless as a capability."""
    if ticket_id is None:
        return None
    digest = hmac.new(secret.encode(), ticket_id.encode(), hashlib.sha256).digest()
    return str(uuid.UUID(bytes=digest[:16]))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect would carry the box's key elsewhere (and turn the POST into a GET): refuse it."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise SyncError(f"the hub answered {code} (a redirect to {newurl}); set QODE_SYNC_URL to where it "
                        "points")


class Sync:
    def __init__(self, db: Database, settings: dict):
        self.db = db
        self.url = settings["SYNC_URL"]
        self.device_id = settings["DEVICE_ID"]
        self.key = settings["SYNC_KEY"]
        self.batch = settings["SYNC_BATCH"]
        self.ca_file = settings.get("SYNC_CA_FILE")
        self.on_change = None  # called when the status turns (failing <-> working): the host is told
        self._opener = None
        self._size = self.batch  # halved after a 413
        self._delay = 0.0
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
                    break
                try:
                    answer = self._post(acked, events)
                except SyncError as err:
                    if err.resume_after is not None and 0 <= err.resume_after < acked:
                        # The hub holds less than we thought (restored, or a new hub): go back to there.
                        log.warning("sync: the hub holds up to seq %d; sending from there", err.resume_after)
                        self._rewind(err.resume_after)
                        continue
                    if err.too_large and self._size > 1:
                        self._size = max(self._size // 2, 1)
                    self._failed(str(err))
                    return sent
                new = answer["acked_seq"]
                self._save(max(min(new, events[-1]["seq"]), acked))
                sent += len(events)
            self._delay = 0.0
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

    def _open(self, request: urllib.request.Request):
        if self._opener is None:
            context = ssl.create_default_context(cafile=self.ca_file)
            https = urllib.request.HTTPSHandler(context=context)
            self._opener = urllib.request.build_opener(https, _NoRedirect())
        return self._opener.open(request, timeout=TIMEOUT)

    def _post(self, after: int, events: list[dict]) -> dict:
        body = json.dumps({"device_id": self.device_id, "after": after, "events": events},
                          separators=(",", ":")).encode()
        request = urllib.request.Request(
            f"{self.url}/api/sync/batches", data=body, method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.key}"},
        )
        try:
            with self._open(request) as response:
                answer = json.loads(response.read(MAX_ANSWER))
        except SyncError:
            raise
        except urllib.error.HTTPError as err:
            raise _refusal(err) from None
        except Exception as err:  # noqa: BLE001 - whatever broke on the way, the box carries on
            reason = getattr(err, "reason", None) or err
            raise SyncError(f"the hub cannot be reached: {type(err).__name__}: {reason}") from None
        if not isinstance(answer, dict) or not isinstance(answer.get("acked_seq"), int):
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
        self._delay = min(max(self._delay * 2, 5.0), MAX_DELAY)
        wait = self._delay * random.uniform(0.8, 1.2)
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


def _refusal(err: urllib.error.HTTPError) -> SyncError:
    """The hub's (or a proxy's) error answer as a SyncError, whatever its body holds."""
    try:
        payload = json.loads(err.read(MAX_ANSWER) or b"{}")
    except Exception:  # noqa: BLE001 - a proxy's HTML page, a cut body, a timeout while reading
        payload = {}
    finally:
        err.close()
    error = payload.get("error") if isinstance(payload, dict) else None
    error = error if isinstance(error, dict) else {}
    message = error.get("message") if isinstance(error.get("message"), str) else err.reason
    resume = error.get("resume_after") if error.get("code") == "sync_gap" else None
    return SyncError(f"the hub answered {err.code}: {message}",
                     resume if isinstance(resume, int) and not isinstance(resume, bool) else None,
                     too_large=err.code == 413)


class SyncError(Exception):
    def __init__(self, message: str, resume_after: int | None = None, too_large: bool = False):
        super().__init__(message)
        self.resume_after = resume_after
        self.too_large = too_large


def of(app) -> Sync:
    sync = app.extensions.get("qode_sync")
    if sync is None:
        sync = app.extensions["qode_sync"] = Sync(app.extensions["qode_db"], app.config)
    return sync
