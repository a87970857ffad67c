"""Print jobs: the tickets a kiosk must put on paper, and what the host sees when it could not.

A kiosk that has reported a printer gets a job with every ticket it issues (a button press
or the touch page), and with every host "reprint". The job travels to the kiosk daemon in
the issuing answer and over its device channel; the daemon acks `done` or `failed`. A job
that is not printed within PRINT_JOB_MAX_AGE seconds is never printed later (no stale
tickets once paper is refilled) and its ticket reads "not printed" for the host.

A job's age is measured on the monotonic clock of the boot that made it, never on the wall
clock, which may jump on a box without a real-time clock.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from zoneinfo import ZoneInfo

from . import events, queues, tickets
from .clock import iso
from .db import Database
from .errors import Conflict, NotFound

PRINTER_STATES = ("ready", "paper_low", "paper_out", "offline", "error", "unchecked")
PRINTABLE = ("ready", "paper_low", "unchecked")  # states in which a kiosk can take a job
ACTIVE = ("WAITING", "CALLED", "SERVING")


def age(db: Database, job: dict) -> float | None:
    """Seconds since the job was made, or None when it was made in an earlier boot."""
    if job["boot_id"] != db.clock.boot_id:
        return None
    return max(db.clock.monotonic() - job["mono"], 0.0)


def expires_in_ms(db: Database, job: dict, max_age: int) -> int:
    """How long the job may still be printed (0: never)."""
    seconds = age(db, job)
    if seconds is None or job["status"] != "pending":
        return 0
    return max(int((max_age - seconds) * 1000), 0)


def job_view(db: Database, job: dict, max_age: int) -> dict:
    return {
        "id": job["id"],
        "ticket_id": job["ticket_id"],
        "device_id": job["device_id"],
        "status": job["status"],
        "reason": job["reason"],
        "error": job["error"],
        "created_at": job["created_at"],
        "expires_in_ms": expires_in_ms(db, job, max_age),
    }


def job_message(db: Database, job: dict, max_age: int, public_url: str, ticket: dict | None = None,
                queue_name: str | None = None, trusted: bool | None = None) -> dict:
    """What the kiosk daemon needs to print a job: the ticket's numbers and its status URL.

    `ticket` (its view), `queue_name` and whether the clock is `trusted` are read when not
    given; inside a write transaction, pass `trusted` (finding out may run timedatectl).
    """
    if ticket is None:
        ticket = tickets.get(db, job["ticket_id"])
    if queue_name is None:
        with db.read() as conn:
            queue_name = queues.load(conn, job["queue_id"])["name"]
    if trusted is None:
        trusted = db.clock.trust()["trusted"]
    return {
        **job_view(db, job, max_age),
        "queue_name": queue_name,
        "url": f"{public_url}/t/{ticket['id']}",
        "display_number": ticket["display_number"],
        "people_ahead": ticket["people_ahead"],
        "eta_seconds": ticket["eta_seconds"],
        # issue 15: a priority ticket prints "Priority" (the ticket's field from m013 on)
        "priority": bool(ticket.get("priority")),
        # Date and time go on paper only when the box's clock can be believed.
        "printed_at": db.clock.now().astimezone(ZoneInfo(db.clock.tz)).strftime("%Y-%m-%d %H:%M")
        if trusted else None,
    }


def create_job(db: Database, conn: sqlite3.Connection, ticket: dict, device_id: str, reason: str) -> dict:
    """A pending job for `ticket` on `device_id`, inside the caller's write transaction."""
    job = {
        "id": str(uuid.uuid4()),
        "queue_id": ticket["queue_id"],
        "device_id": device_id,
        "ticket_id": ticket["id"],
        "reason": reason,
        "status": "pending",
        "error": None,
        "created_at": iso(db.clock.now()),
        "mono": db.clock.monotonic(),
        "boot_id": db.clock.boot_id,
        "finished_at": None,
    }
    conn.execute(
        "INSERT INTO print_jobs (id, queue_id, device_id, ticket_id, reason, status, error, created_at,"
        " mono, boot_id, finished_at) VALUES (:id, :queue_id, :device_id, :ticket_id, :reason, :status,"
        " :error, :created_at, :mono, :boot_id, :finished_at)",
        job,
    )
    conn.execute("UPDATE tickets SET print_status = 'pending' WHERE id = ?", (ticket["id"],))
    events.append(conn, db.clock, ticket["queue_id"], "print_job", ticket=ticket,
                  data={"job_id": job["id"], "device_id": device_id, "reason": reason})
    return job


def on_issue(db: Database, kiosk_id: str):
    """The hook `tickets.issue_ticket` calls in its transaction for a ticket a kiosk issues: a job
    when the kiosk has a printer, else None."""

    def job(conn: sqlite3.Connection, ticket: dict) -> dict | None:
        return create_job(db, conn, ticket, kiosk_id, "issue") if has_printer(conn, kiosk_id) else None

    return job


def has_printer(conn: sqlite3.Connection, device_id: str) -> bool:
    row = conn.execute("SELECT printer FROM devices WHERE id = ? AND kind = 'kiosk'", (device_id,)).fetchone()
    return row is not None and row["printer"] is not None


def _load_job(conn: sqlite3.Connection, job_id: str, device_id: str) -> dict:
    row = conn.execute("SELECT * FROM print_jobs WHERE id = ? AND device_id = ?",
                       (job_id, device_id)).fetchone()
    if row is None:
        raise NotFound("No print job with that id for this kiosk.", "job_not_found")
    return dict(row)


def finish(db: Database, device_id: str, job_id: str, result: str, error: str | None, max_age: int) -> dict:
    """Record the kiosk's ack. `done` always counts (the paper is out); `failed` flags the ticket.

    Repeating an ack is harmless; a `failed` after a `done` is refused.
    """
    with db.write() as conn:
        job = _load_job(conn, job_id, device_id)
        ticket = tickets.load(conn, job["ticket_id"])
        if result == "done":
            if job["status"] == "done":
                return job_view(db, job, max_age)
            changes = {"status": "done", "error": None}
            conn.execute("UPDATE tickets SET print_status = 'printed' WHERE id = ?", (ticket["id"],))
            kind = "print_done"
        else:
            if job["status"] == "done":
                raise Conflict("This job was already reported printed.", "job_finished")
            if job["status"] in ("failed", "expired"):
                return job_view(db, job, max_age)
            changes = {"status": "failed", "error": error or "the printer did not confirm the ticket"}
            conn.execute(
                "UPDATE tickets SET print_status = 'failed' WHERE id = ? AND print_status != 'printed'",
                (ticket["id"],),
            )
            kind = "print_failed"
        job.update(changes, finished_at=iso(db.clock.now()))
        conn.execute(
            "UPDATE print_jobs SET status = ?, error = ?, finished_at = ? WHERE id = ?",
            (job["status"], job["error"], job["finished_at"], job_id),
        )
        events.append(conn, db.clock, ticket["queue_id"], kind, ticket=ticket,
                      data={"job_id": job_id, "device_id": device_id, "error": job["error"]})
        return job_view(db, job, max_age)


def expire(db: Database, max_age: int) -> int:
    """Mark pending jobs past their age as expired and flag their tickets; returns how many."""
    with db.read() as conn:
        rows = [dict(r) for r in conn.execute("SELECT * FROM print_jobs WHERE status = 'pending'")]
    due = [job for job in rows if (age(db, job) is None or age(db, job) >= max_age)]
    if not due:
        return 0
    with db.write() as conn:
        for job in due:
            done = conn.execute(
                "UPDATE print_jobs SET status = 'expired', error = ?, finished_at = ?"
                " WHERE id = ? AND status = 'pending'",
                (f"not printed within {max_age} s", iso(db.clock.now()), job["id"]),
            ).rowcount
            if not done:
                continue  # acked meanwhile
            ticket = tickets.load(conn, job["ticket_id"])
            conn.execute(
                "UPDATE tickets SET print_status = 'failed' WHERE id = ? AND print_status = 'pending'",
                (ticket["id"],),
            )
            events.append(conn, db.clock, job["queue_id"], "print_failed", ticket=ticket,
                          data={"job_id": job["id"], "device_id": job["device_id"], "error": "expired"})
    return len(due)


def job_state(db: Database, device_id: str, job_id: str, max_age: int, connected: bool) -> dict:
    """One of the kiosk's own jobs, with its printer as last reported: what the touch page shows a
    guest ("Printing…", "Take your ticket below", or the printer's trouble)."""
    with db.read() as conn:
        job = _load_job(conn, job_id, device_id)
        device = conn.execute("SELECT printer, printer_detail FROM devices WHERE id = ?",
                              (device_id,)).fetchone()
    return {**job_view(db, job, max_age), "printer": device["printer"] if device else None,
            "printer_detail": device["printer_detail"] if device else None, "connected": connected}


def pending_jobs(db: Database, device_id: str, max_age: int) -> list[dict]:
    """The device's jobs that may still be printed, oldest first."""
    with db.read() as conn:
        rows = [dict(r) for r in conn.execute(
            "SELECT * FROM print_jobs WHERE device_id = ? AND status = 'pending' ORDER BY mono", (device_id,))]
    return [job for job in rows if expires_in_ms(db, job, max_age) > 0]


def get_job(db: Database, job_id: str) -> dict:
    with db.read() as conn:
        row = conn.execute("SELECT * FROM print_jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        raise NotFound("No print job with that id.", "job_not_found")
    return dict(row)


def report_status(db: Database, device: dict, printer: str, detail: str | None,
                  error: str | None = None) -> bool:
    """Store a kiosk's printer state and the error that stops it (None: it runs); an event (for
    the host) only when either changed. Returns changed."""
    with db.write() as conn:
        row = conn.execute("SELECT printer, printer_detail, error FROM devices WHERE id = ?",
                           (device["id"],)).fetchone()
        now = (printer, detail, error)
        changed = row is None or (row["printer"], row["printer_detail"], row["error"]) != now
        conn.execute(
            "UPDATE devices SET printer = ?, printer_detail = ?, error = ?, status_at = ? WHERE id = ?",
            (printer, detail, error, iso(db.clock.now()), device["id"]),
        )
        if changed:
            queue = queues.load(conn, device["queue_id"])
            events.append(conn, db.clock, device["queue_id"], "device_status", service_day=queue["service_day"],
                          data={"device_id": device["id"], "printer": printer})
    return changed


def device_view(row: dict, connected: bool) -> dict:
    # Last seen: the later of its socket coming or going and its last printer report (ISO UTC
    # strings of one format compare as text).
    seen = max((at for at in (row.get("seen_at"), row["status_at"]) if at), default=None)
    return {
        "id": row["id"],
        "kind": row["kind"],
        "name": row["name"],
        "printer": row["printer"],
        "printer_detail": row["printer_detail"],
        "error": row.get("error"),
        "status_at": row["status_at"],
        "last_seen": seen,
        "connected": connected,
        # issue 16: a display says its calls (the host's switch); a kiosk has no voice
        "voice": bool(row.get("voice", 1)) if row["kind"] == "display" else None,
    }


def list_devices(db: Database, queue_id: str, hub=None) -> list[dict]:
    """The queue's kiosks and displays with their printers; `connected` when a socket is open.
    Revoked devices are gone from the list."""
    with db.read() as conn:
        rows = conn.execute("SELECT * FROM devices WHERE queue_id = ? AND revoked_at IS NULL"
                            " ORDER BY created_at, id", (queue_id,)).fetchall()
        covers: dict[str, list[dict]] = {}
        for link in conn.execute(  # every device's services in one query (this runs on each host message)
            "SELECT ds.device_id, q.id, q.name, q.prefix FROM device_services ds"
            " JOIN queues q ON q.id = ds.queue_id JOIN devices d ON d.id = ds.device_id"
            " WHERE d.queue_id = ? AND d.revoked_at IS NULL"
            " ORDER BY ds.device_id, ds.position", (queue_id,)):
            covers.setdefault(link[0], []).append({"id": link[1], "name": link[2], "prefix": link[3]})
    return [with_services(r, covers.get(r["id"], []), hub) for r in rows]


def with_services(row, services: list[dict], hub=None) -> dict:
    """A device's view (`device_view`) with the services it covers, as the device lists show it."""
    connected = bool(hub and hub.count(f"device:{row['queue_id']}:{row['id']}"))
    return {**device_view(dict(row), connected), "services": services}


def mark_seen(db: Database, device_id: str) -> None:
    """The device's live socket came or went: its "last seen" (no event: the host is nudged)."""
    with db.write() as conn:
        conn.execute("UPDATE devices SET seen_at = ? WHERE id = ? AND revoked_at IS NULL",
                     (iso(db.clock.now()), device_id))


def revoke_device(db: Database, queue_id: str, device_id: str) -> dict:
    """Take a kiosk's or display's token away at once: it no longer identifies anything (the row
    stays, for the print jobs that name it), its pending print jobs fail (the host may reprint
    elsewhere), and the host gets a `device_revoked` event. The caller closes its sockets."""
    now = iso(db.clock.now())
    with db.write() as conn:
        row = conn.execute("SELECT * FROM devices WHERE id = ? AND queue_id = ? AND revoked_at IS NULL",
                           (device_id, queue_id)).fetchone()
        if row is None:
            raise NotFound("No device of this line with that id.", "device_not_found")
        device = dict(row)
        queue = queues.load(conn, queue_id)
        # No hash of any token is this text, so the old token stops working on the next request.
        conn.execute("UPDATE devices SET revoked_at = ?, token_hash = ?, printer = NULL WHERE id = ?",
                     (now, f"revoked:{device_id}", device_id))
        jobs = conn.execute("SELECT * FROM print_jobs WHERE device_id = ? AND status = 'pending'",
                            (device_id,)).fetchall()
        for job in jobs:
            conn.execute("UPDATE print_jobs SET status = 'failed', error = 'kiosk removed', finished_at = ?"
                         " WHERE id = ?", (now, job["id"]))
            ticket = tickets.load(conn, job["ticket_id"])
            conn.execute("UPDATE tickets SET print_status = 'failed' WHERE id = ? AND print_status = 'pending'",
                         (ticket["id"],))
            events.append(conn, db.clock, queue_id, "print_failed", ticket=ticket,
                          data={"job_id": job["id"], "device_id": device_id, "error": "kiosk removed"})
        events.append(conn, db.clock, queue_id, "device_revoked", service_day=queue["service_day"],
                      data={"device_id": device_id, "kind": device["kind"], "name": device["name"]})
    return {**device_view({**device, "printer": None}, False), "revoked_at": now}


def reprint(db: Database, ticket_id: str, device_id: str | None, max_age: int,
            allowed: Callable[[list[str]], None] | None = None) -> dict:
    """A new job for a ticket still in play, on the given kiosk or the one best placed to print.
    `allowed` (the caller's scope) must cover the ticket's service as it is in this write."""
    with db.write() as conn:
        ticket = tickets.load(conn, ticket_id)
        if allowed is not None:
            allowed([ticket["queue_id"]])
        if ticket["status"] not in ACTIVE:
            raise Conflict("This ticket has ended; there is nothing to reprint.", "ticket_ended")
        if device_id is not None:
            row = conn.execute(
                "SELECT * FROM devices WHERE id = ? AND queue_id = ? AND kind = 'kiosk' AND revoked_at IS NULL",
                (device_id, ticket["queue_id"]),
            ).fetchone()
            if row is None:
                raise NotFound("No kiosk of this line with that id.", "device_not_found")
            if row["printer"] is None:
                raise Conflict("That kiosk has no printer.", "no_printer")
        else:
            # The kiosk that printed it before, else the one that reported a printer last.
            row = conn.execute(
                "SELECT d.* FROM print_jobs j JOIN devices d ON d.id = j.device_id"
                " WHERE j.ticket_id = ? AND d.printer IS NOT NULL ORDER BY j.mono DESC LIMIT 1",
                (ticket_id,),
            ).fetchone() or conn.execute(
                "SELECT * FROM devices WHERE queue_id = ? AND kind = 'kiosk' AND printer IS NOT NULL"
                " ORDER BY status_at DESC LIMIT 1",
                (ticket["queue_id"],),
            ).fetchone()
            if row is None:
                raise Conflict("No kiosk with a printer is registered for this line.", "no_printer")
        # An earlier job still pending is superseded: one ticket, one paper.
        conn.execute(
            "UPDATE print_jobs SET status = 'failed', error = 'replaced by a reprint', finished_at = ?"
            " WHERE ticket_id = ? AND status = 'pending'",
            (iso(db.clock.now()), ticket_id),
        )
        job = create_job(db, conn, ticket, row["id"], "reprint")
        return job_view(db, job, max_age)
