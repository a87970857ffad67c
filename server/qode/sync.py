"""Store and forward: the box's event log, pushed to the hub in `seq` order.

The events table is the outbox. A scheduler job sends the events after the acknowledged
cursor (`sync_state.acked_seq`) in batches; only the hub's answer moves the cursor, in
a short write of its own. Nothing else waits for the hub: the push runs in the scheduler
(a greenlet under gevent, so its network wait yields), holds no transaction while it talks,
and after a failure waits longer each time (doubling up to five minutes, with jitter). A
dead, slow or unknown hub, a TLS failure or a wrong key only show as `last_error`.

Delivery is at least once; the hub stores (device_id, seq) once, so it is exactly once in
effect. The retention purge never deletes an event above the cursor.
"""

from __future__ import annotations

import json
import logging
import random
import ssl
import threading
import time
import urllib.error
import urllib.request

from .clock import iso
from .db import Database

log = logging.getLogger(__name__)

TIMEOUT = 10.0  # seconds for one request: a slow hub delays only the sync greenlet
MAX_DELAY = 300.0
BATCHES_PER_RUN = 20  # a long backlog drains over several runs, never in one endless loop


class Sync:
    def __init__(self, db: Database, settings: dict):
        self.db = db
        self.url = settings["SYNC_URL"]
        self.device_id = settings["DEVICE_ID"]
        self.key = settings["SYNC_KEY"]
        self.batch = settings["SYNC_BATCH"]
        self.context = ssl.create_default_context(cafile=settings.get("SYNC_CA_FILE"))
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
        pending = max(latest - row["acked_seq"], 0)  # the log has no holes above the cursor
        return {
            "enabled": self.enabled,
            "acked_seq": row["acked_seq"],
            "latest_seq": latest,
            "pending": pending,
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
                    answer = self._post(events)
                except SyncError as err:
                    if err.resume_after is not None and err.resume_after < acked:
                        # The hub holds less than we thought (it was restored): send again from there.
                        self._save(err.resume_after)
                        continue
                    self._failed(str(err))
                    return sent
                new = int(answer["acked_seq"])
                self._save(max(min(new, events[-1]["seq"]), acked))
                sent += max(new - acked, 0)
            self._delay = 0.0
            return sent
        finally:
            self._lock.release()

    def _next_batch(self) -> tuple[list[dict], int]:
        with self.db.read() as conn:
            acked = conn.execute("SELECT acked_seq FROM sync_state WHERE id = 1").fetchone()[0]
            rows = conn.execute(
                "SELECT seq, queue_id, type, ticket_id, ticket_number, data, service_day, created_at"
                " FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                (acked, self.batch),
            ).fetchall()
        return [{**dict(r), "data": json.loads(r["data"])} for r in rows], acked

    def _post(self, events: list[dict]) -> dict:
        body = json.dumps({"device_id": self.device_id, "events": events}, separators=(",", ":")).encode()
        request = urllib.request.Request(
            f"{self.url}/api/sync/batches", data=body, method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.key}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT, context=self.context) as response:
                answer = json.loads(response.read())
            if not isinstance(answer, dict) or not isinstance(answer.get("acked_seq"), int):
                raise SyncError(f"{self.url} answered, but not as a Qode hub does (no acked_seq)")
            return answer
        except urllib.error.HTTPError as err:
            try:
                error = json.loads(err.read() or b"{}").get("error", {})
            except (ValueError, AttributeError):
                error = {}
            finally:
                err.close()
            resume = error.get("resume_after") if error.get("code") == "sync_gap" else None
            raise SyncError(f"the hub answered {err.code}: {error.get('message', err.reason)}",
                            resume if isinstance(resume, int) else None) from None
        except (urllib.error.URLError, OSError, ValueError) as err:
            raise SyncError(f"the hub cannot be reached: {getattr(err, 'reason', err)}") from None

    def _save(self, acked: int) -> None:
        with self.db.write() as conn:
            conn.execute(
                "UPDATE sync_state SET acked_seq = ?, last_success = ?, last_error = NULL WHERE id = 1",
                (acked, iso(self.db.clock.now())),
            )

    def _failed(self, error: str) -> None:
        self._delay = min(max(self._delay * 2, 5.0), MAX_DELAY)
        wait = self._delay * random.uniform(0.8, 1.2)
        self._next_try = time.monotonic() + wait
        log.warning("sync: %s; next try in %.0f s", error, wait)
        with self.db.write() as conn:
            conn.execute("UPDATE sync_state SET last_error = ? WHERE id = 1", (error[:300],))


class SyncError(Exception):
    def __init__(self, message: str, resume_after: int | None = None):
        super().__init__(message)
        self.resume_after = resume_after


def of(app) -> Sync:
    sync = app.extensions.get("qode_sync")
    if sync is None:
        sync = app.extensions["qode_sync"] = Sync(app.extensions["qode_db"], app.config)
    return sync
