"""Housekeeping the box runs by itself, and the scheduler that runs it.

Each job is a plain method of `Jobs`, tested by calling it with a fake clock.
`start()` runs them under APScheduler 3 in the server process, guarded by a file
lock so that only one scheduler ever runs per data folder. APScheduler times jobs
by wall clock; `ClockWatch` re-arms every job when the wall clock jumps (a Pi
without an RTC, NTP arriving late), so intervals follow the monotonic clock.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from . import estimates, printing, queues, tickets
from .db import off_loop
from .errors import QodeError

log = logging.getLogger(__name__)

CHECKPOINT_SECONDS = 600
HOUSEKEEPING_SECONDS = 60  # the day rollover
NO_SHOW_SECONDS = 5  # a no-show is marked at most this late
PRINT_EXPIRY_SECONDS = 2  # an unprinted ticket is flagged for the host at most this late
PURGE_BATCH = 2000  # rows per transaction: each stays a few milliseconds


class Jobs:
    """The scheduled work, each job a short call that returns what it did."""

    def __init__(self, db, settings: dict, feed=None):
        self.db = db
        self.settings = settings
        self.feed = feed
        self._first_seen: dict[str, float] = {}  # CALLED ticket -> when this boot first saw it

    def eta_refresh(self) -> int:
        """Save what the estimators learned, then push fresh ETAs where they are news."""
        estimates.of(self.db).save()
        return self.feed.refresh() if self.feed is not None else 0

    def auto_no_show(self) -> list[str]:
        """Mark NO_SHOW every CALLED ticket whose call is older than its queue's grace period.

        Time since the call is monotonic, from the call's event. After a reboot that reading
        is gone; the grace then counts from when this boot first saw the ticket called.
        """
        now, boot = self.db.clock.monotonic(), self.db.clock.boot_id
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT t.id, q.grace_period,"
                " (SELECT e.mono || ' ' || e.boot_id FROM events e WHERE e.ticket_id = t.id"
                "  AND e.type IN ('call', 'recall') ORDER BY e.seq DESC LIMIT 1) AS called"
                " FROM tickets t JOIN queues q ON q.id = t.queue_id"
                " WHERE t.status = 'CALLED' AND q.grace_period IS NOT NULL AND t.service_day = q.service_day"
            ).fetchall()
        due, seen = [], {}
        for row in rows:
            mono, _, call_boot = (row["called"] or "").partition(" ")
            since = float(mono) if call_boot == boot and mono else self._first_seen.get(row["id"], now)
            seen[row["id"]] = since
            if 0 <= now - since and now - since >= row["grace_period"]:
                due.append(row["id"])
        self._first_seen = seen
        done = []
        for ticket_id in due:
            try:
                tickets.move(self.db, ticket_id, "no-show", by="auto")
                done.append(ticket_id)
            except QodeError:
                pass  # the host moved it meanwhile: nothing to do
        if done:
            log.info("auto no-show: %d ticket(s)", len(done))
        return done

    def print_expiry(self) -> int:
        """Flag the tickets whose print job ran out of time: the host sees "not printed"."""
        return printing.expire(self.db, self.settings["PRINT_JOB_MAX_AGE"])

    def rollover(self) -> int:
        """Write the new service day for every queue whose day has ended."""
        today = self.db.clock.service_day()
        with self.db.read() as conn:
            stale = [r[0] for r in conn.execute("SELECT id FROM queues WHERE service_day < ?", (today,))]
        for queue_id in stale:
            with self.db.write() as conn:
                queues.load_for_write(self.db, conn, queue_id)
        return len(stale)

    def purge(self) -> dict:
        """Delete ended tickets and events older than QODE_RETENTION_DAYS service days.

        With a hub (QODE_SYNC_URL), an event it has not acknowledged (`sync_state.acked_seq`)
        is never deleted.
        """
        days = self.settings["RETENTION_DAYS"]
        today = datetime.fromisoformat(self.db.clock.service_day())
        cutoff_day = (today - timedelta(days=days)).date().isoformat()
        now = self.db.clock.now()
        cutoff_time = (now - timedelta(days=days + 1)).strftime("%Y-%m-%dT%H:%M:%S")
        stale_keys = (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S")  # they expire after 24 h
        statements = {
            # A ticket's print jobs go with it (and first: they refer to it).
            "print_jobs": ("DELETE FROM print_jobs WHERE rowid IN (SELECT j.rowid FROM print_jobs j"
                           " JOIN tickets t ON t.id = j.ticket_id WHERE t.service_day < ?"
                           " AND t.status NOT IN ('WAITING','CALLED','SERVING') LIMIT ?)", (cutoff_day,)),
            "tickets": ("DELETE FROM tickets WHERE rowid IN (SELECT rowid FROM tickets WHERE service_day < ?"
                        " AND status NOT IN ('WAITING','CALLED','SERVING') LIMIT ?)", (cutoff_day,)),
            # With a hub, never an event it has not acknowledged; without one, by age alone.
            "events": ("DELETE FROM events WHERE seq IN (SELECT seq FROM events"
                       " WHERE (seq <= (SELECT acked_seq FROM sync_state WHERE id = 1) OR ?)"
                       " AND COALESCE(service_day < ?, created_at < ?) LIMIT ?)",
                       (not self.settings["SYNC_URL"], cutoff_day, cutoff_time)),
            "idempotency": ("DELETE FROM idempotency WHERE rowid IN (SELECT rowid FROM idempotency"
                            " WHERE created_at < ? LIMIT ?)", (stale_keys,)),
        }  # fmt: skip
        removed = dict.fromkeys(statements, 0)
        for table, (sql, params) in statements.items():
            while True:
                with self.db.write() as conn:
                    count = conn.execute(sql, (*params, PURGE_BATCH)).rowcount
                removed[table] += count
                if count < PURGE_BATCH:
                    break
                time.sleep(0)  # let requests in between batches
        if any(removed.values()):
            log.info("retention purge: %s", removed)
        return removed

    def checkpoint(self) -> tuple:
        """Fold the WAL back into the database file, so it cannot grow without bound."""
        return self.db.checkpoint()

    def backup(self) -> Path:
        """The nightly backup, copied in a worker thread: the event loop keeps serving meanwhile."""
        from .backup import make_backup

        folder = Path(self.settings["DATA_DIR"]) / "backups"
        path = off_loop(make_backup, Path(self.db.path), folder, self.settings["BACKUP_KEEP"])
        log.info("backup written: %s", path)
        return path


# ---- the scheduler ---------------------------------------------------------------


def take_lock(data_dir: Path):
    """The scheduler's file lock, or None when another scheduler holds it."""
    path = Path(data_dir) / "scheduler.lock"
    handle = open(path, "a+")  # noqa: SIM115 - held for the process's lifetime
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def rearm(scheduler) -> None:
    """Every job of `scheduler` due again from now: interval jobs one interval on, the others
    (the nightly ones) at their next time. `Job.modify` wakes the scheduler (public API only)."""
    from apscheduler.triggers.interval import IntervalTrigger

    now = datetime.now(scheduler.timezone)
    for job in scheduler.get_jobs():
        if job.next_run_time is None:
            continue  # paused: modifying its next run would resume it
        if isinstance(job.trigger, IntervalTrigger):
            when = now + job.trigger.interval
        else:
            when = job.trigger.get_next_fire_time(None, now)
        job.modify(next_run_time=when)


class ClockWatch:
    """Re-arms a scheduler's jobs when the wall clock moves against the monotonic clock by more
    than `tolerance` seconds (a Pi without an RTC, NTP arriving late, a hand-set clock).

    APScheduler 3 times jobs by wall clock and has no hook for a jump, so this watches from
    outside on its own thread (a greenlet under gevent), waking every `every` seconds by the
    monotonic clock, and uses only the scheduler's public API.
    """

    def __init__(self, scheduler, every: float = 1.0, tolerance: float = 2.0,
                 wall=time.time, mono=time.monotonic):
        self.scheduler = scheduler
        self.every = every
        self.tolerance = tolerance
        self._wall, self._mono = wall, mono
        self._offset = wall() - mono()
        self._stop = threading.Event()

    def check(self) -> float | None:
        """The jump in seconds if the clock jumped since the last check (jobs re-armed), else None."""
        offset = self._wall() - self._mono()
        jump, self._offset = offset - self._offset, offset
        if abs(jump) <= self.tolerance:
            return None
        log.warning("scheduler: the wall clock jumped by %.0f s; re-arming jobs", jump)
        rearm(self.scheduler)
        return jump

    def run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.check()
            except Exception:  # noqa: BLE001 - a watch fault must not end the watch
                log.exception("scheduler: the clock watch failed")

    def start(self) -> ClockWatch:
        threading.Thread(target=self.run, name="qode-clock-watch", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()


def _storage_guarded(fn):
    """`fn`, logging a storage fault (full disk, read-only file) as one line instead of a traceback:
    the host dashboard and /healthz already say it, and the job simply runs again later."""
    from functools import wraps

    from .db import StorageFault

    @wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except StorageFault as err:
            log.warning("job %s: the box cannot save (%s); it runs again later", fn.__name__, err.reason)
            return None

    return run


def start(app) -> object | None:
    """Start the scheduler for `app` if this process wins the lock; returns it, or None."""
    settings = app.config
    lock = take_lock(settings["DATA_DIR"])
    if lock is None:
        log.info("scheduler: another process runs the jobs for %s", settings["DATA_DIR"])
        return None
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger

    jobs = Jobs(app.extensions["qode_db"], settings, app.extensions["qode_live"])
    scheduler = BackgroundScheduler(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1,
                                                                "misfire_grace_time": None})

    def add(fn, *args, **kwargs):
        scheduler.add_job(_storage_guarded(fn), *args, **kwargs)

    every = settings["ETA_REFRESH_SECONDS"]
    add(jobs.eta_refresh, "interval", seconds=every, id="eta_refresh")
    add(jobs.auto_no_show, "interval", seconds=NO_SHOW_SECONDS, id="auto_no_show")
    add(jobs.print_expiry, "interval", seconds=PRINT_EXPIRY_SECONDS, id="print_expiry")
    if settings["SYNC_URL"]:
        from . import sync

        add(sync.of(app).push, "interval", seconds=settings["SYNC_SECONDS"], id="sync")
    add(jobs.rollover, "interval", seconds=HOUSEKEEPING_SECONDS, id="rollover")
    add(jobs.checkpoint, "interval", seconds=CHECKPOINT_SECONDS, id="checkpoint")
    day = settings["DAY_STARTS_AT"]
    later = (datetime.combine(datetime(2000, 1, 1), day) + timedelta(minutes=15)).time()
    # Nightly, at the venue's day start: the quietest moment, and the day just ended is whole;
    # the purge 15 minutes after the backup.
    add(jobs.backup, CronTrigger(hour=day.hour, minute=day.minute, timezone=settings["TIMEZONE"]),
                      id="backup")
    add(jobs.purge, CronTrigger(hour=later.hour, minute=later.minute,
                                              timezone=settings["TIMEZONE"]), id="purge")
    scheduler.start()
    sender = app.extensions.get("qode_sms")
    if sender is not None:
        sender.start()  # issue 16: texts are planned and sent by this process only (it holds the lock)
    app.extensions["qode_clock_watch"] = ClockWatch(scheduler).start()
    app.extensions["qode_jobs"] = jobs
    app.extensions["qode_scheduler"] = scheduler
    app.extensions["qode_scheduler_lock"] = lock  # kept open: closing it would release the lock
    return scheduler


def stop(app) -> None:
    """Stop the scheduler and release its lock (a test, or an orderly shutdown)."""
    watch = app.extensions.pop("qode_clock_watch", None)
    if watch is not None:
        watch.stop()
    scheduler = app.extensions.pop("qode_scheduler", None)
    if scheduler is not None:
        scheduler.shutdown(wait=False)
    lock = app.extensions.pop("qode_scheduler_lock", None)
    if lock is not None:
        lock.close()
