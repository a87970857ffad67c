"""The hub (`qode serve --hub`): receives the event logs of registered boxes and shows every site.

A box pushes its events in `seq` order (`POST /api/sync/batches`, its own key). A batch is
validated whole before anything is stored, and stored in one transaction: a hub killed
mid-batch keeps all of it or none. Storage is idempotent on (device_id, seq): a replayed or
overlapping batch stores nothing twice, and an event that comes again with other content
is refused (409). A batch that starts past what the hub holds is a gap (409 `sync_gap`),
with `resume_after` telling the box where to continue.

From the events the hub keeps each site's state (its queues, now serving, tickets by
status) for the sites page, day statistics and a CSV export per site and day. A day's figures
per service, counter and staff name are `qode.stats.figures` over the site's events of that
day: the same function the box uses, so the hub's figures equal the box's (issue 15).
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import sqlite3
from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, request
from pydantic import AfterValidator, Field, StringConstraints

from qode_common import patterns

from . import auth, schemas, stats
from .api import answer, body_after_auth, guarded, parse, read_json, stats_day
from .clock import iso
from .db import Database
from .errors import Conflict, Forbidden, Invalid, NotFound, QodeError, Unauthorized
from .migrations import HUB_MIGRATIONS, migrate

bp = Blueprint("hub", __name__)

DEVICE_ID = patterns.DEVICE_ID
_DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
STATUS_OF = {  # event type -> the ticket's status after it
    "join": "WAITING",
    "call": "CALLED",
    "recall": "CALLED",
    "serve": "SERVING",
    "complete": "COMPLETED",
    "no_show": "NO_SHOW",
    "requeue": "WAITING",
    "cancel": "CANCELLED",
    # issue 15: a transferred ticket waits again, in the service it enters (`transfer_in` moves it)
    "transfer": "WAITING",
    "transfer_in": "WAITING",
    # issue 16: a no-show back in line waits again (its no-show's completed_at is cleared)
    "returned": "WAITING",
}
class TooLarge(QodeError):
    status = 413


# A fault-injection point for the tests only (tests/test_sync_e2e.py), read once at hub start:
# when set, a batch's write stops inside its transaction, after its events are inserted, writes
# to this file how many rows the transaction holds (and 1: it is open), then waits for ever, so a
# test can kill the hub with the transaction provably open. Unset (always, in use), it costs one
# comparison per batch.
FAULT_PAUSE_FILE = os.environ.get("QODE_HUB_FAULT_PAUSE_FILE") or None


def _pause_inside_the_transaction(conn: sqlite3.Connection, device_id: str) -> None:
    import time
    from pathlib import Path

    held = conn.execute("SELECT COUNT(*) FROM site_events WHERE device_id = ?", (device_id,)).fetchone()[0]
    marker = Path(FAULT_PAUSE_FILE)
    marker.with_suffix(".tmp").write_text(f"{held} {int(conn.in_transaction)}\n")
    marker.with_suffix(".tmp").replace(marker)  # whole, or not there
    while True:
        time.sleep(3600)


# ---- storage ---------------------------------------------------------------------------


def migrate_hub(db: Database) -> None:
    if FAULT_PAUSE_FILE:
        import logging

        logging.getLogger(__name__).warning(
            "QODE_HUB_FAULT_PAUSE_FILE is set: every sync batch stops inside its transaction and waits "
            "for ever. It is for tests only; unset it.")
    migrate(db, HUB_MIGRATIONS)


# ---- request models ----------------------------------------------------------------------

DeviceId = Annotated[str, StringConstraints(pattern=DEVICE_ID)]
EventType = Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,40}$")]
def _real_day(value: str) -> str:
    datetime.strptime(value, "%Y-%m-%d")  # a ValueError for 2026-13-40
    return value


def _real_moment(value: str) -> str:
    datetime.fromisoformat(value.replace("Z", "+00:00"))  # a ValueError for 99:99
    return value


Day = Annotated[str, StringConstraints(pattern=_DAY), AfterValidator(_real_day)]
Moment = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$"),
    AfterValidator(_real_moment),
]


def _small(value: dict) -> dict:
    if len(json.dumps(value, allow_nan=False)) > 4096:  # NaN and Infinity are not JSON either
        raise ValueError("event data is larger than 4096 bytes")
    return value


class SyncEvent(schemas.Body):
    seq: int = Field(ge=1, le=2**62)
    queue_id: schemas.Uuid
    type: EventType
    ticket_id: schemas.Uuid | None = None
    ticket_number: int | None = Field(None, ge=0, le=10**9)
    data: Annotated[dict[str, Any], AfterValidator(_small)]
    service_day: Day | None = None
    created_at: Moment
    # issue 15: the box's monotonic reading and boot id (absent from older boxes' batches)
    mono: float | None = Field(None, ge=-1e12, le=1e12, allow_inf_nan=False)
    boot_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")] | None = None


class SyncBatch(schemas.Body):
    device_id: DeviceId
    after: int = Field(ge=0, le=2**62, description="The seq the batch follows: the box's acknowledged cursor")
    events: list[SyncEvent] = Field(min_length=1)


class SiteCreate(schemas.Body):
    device_id: DeviceId
    name: schemas.Name


EVENT_FIELDS = ("seq", "queue_id", "type", "ticket_id", "ticket_number", "data", "service_day", "created_at",
                "mono", "boot_id")


# ---- ingest ----------------------------------------------------------------------------


def _row(event: dict) -> tuple:
    return (
        event["seq"],
        event["queue_id"],
        event["type"],
        event["ticket_id"],
        event["ticket_number"],
        json.dumps(event["data"], sort_keys=True, separators=(",", ":")),
        event["service_day"],
        event["created_at"],
    )


def ingest(db: Database, device_id: str, events: list[dict], after: int) -> dict:
    """Store a validated batch in one transaction; returns {"acked_seq", "stored"}.

    `after` is the position the box says the batch follows. Past what the hub holds, that is
    a gap (409 `sync_gap` with `resume_after`). Between `after` and the first event there may
    be nothing to send (events the box purged after an earlier hub acknowledged them).
    """
    seqs = [e["seq"] for e in events]
    if any(b <= a for a, b in zip(seqs, seqs[1:], strict=False)) or seqs[0] <= after:
        raise Invalid("Events must come after `after`, in rising seq order, each once.", "invalid_batch")
    with db.write() as conn:
        site = conn.execute("SELECT last_seq, events FROM sites WHERE device_id = ?", (device_id,)).fetchone()
        last = site["last_seq"]
        if after > last:
            err = Conflict(
                f"This hub holds this box's events up to seq {last}, not {after}. Send again from there.",
                "sync_gap",
            )
            err.extra = {"resume_after": last}
            raise err
        held = {
            row[0]: tuple(row)
            for row in conn.execute(
                "SELECT seq, queue_id, type, ticket_id, ticket_number, data, service_day, created_at"
                " FROM site_events WHERE device_id = ? AND seq BETWEEN ? AND ?",
                (device_id, seqs[0], seqs[-1]),
            )
        }
        for event in events:
            have = held.get(event["seq"])
            if have is not None and have != _row(event):
                raise Conflict(
                    f"Event seq {event['seq']} differs from the one this hub already holds "
                    "(was the box replaced, or its database restored from an old copy?).",
                    "seq_conflict",
                )
        fresh = [e for e in events if e["seq"] not in held]
        # An event is compared on the fields above (what it says happened); its mono and boot_id
        # are stored with it the first time it comes.
        conn.executemany(
            "INSERT INTO site_events (device_id, seq, queue_id, type, ticket_id, ticket_number, data,"
            " service_day, created_at, mono, boot_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(device_id, *_row(e), e.get("mono"), e.get("boot_id")) for e in fresh],
        )
        if FAULT_PAUSE_FILE is not None:
            _pause_inside_the_transaction(conn, device_id)
        for event in fresh:
            _apply(conn, device_id, event)
        acked = max(last, seqs[-1])
        conn.execute(
            "UPDATE sites SET last_seq = ?, events = events + ?, last_seen = ? WHERE device_id = ?",
            (acked, len(fresh), iso(db.clock.now()), device_id),
        )
    return {"acked_seq": acked, "stored": len(fresh)}


def _apply(conn: sqlite3.Connection, device_id: str, event: dict) -> None:
    """Keep the site's queues and tickets as the event leaves them."""
    kind, data, queue_id, day = event["type"], event["data"], event["queue_id"], event["service_day"]
    conn.execute("INSERT OR IGNORE INTO site_queues (device_id, queue_id) VALUES (?, ?)", (device_id, queue_id))
    if kind == "queue_created":
        prefix = "".join(ch for ch in str(data.get("prefix", "")) if ch.isascii() and ch.isalnum())[:4]
        conn.execute("UPDATE site_queues SET name = ?, prefix = ? WHERE device_id = ? AND queue_id = ?",
                     (patterns.printable(data.get("name", ""), 80), prefix, device_id, queue_id))
    elif kind == "queue_renamed" and "name" in data:
        conn.execute("UPDATE site_queues SET name = ? WHERE device_id = ? AND queue_id = ?",
                     (patterns.printable(data["name"], 80), device_id, queue_id))
    if kind in ("call", "recall") and event["ticket_number"] is not None:
        # The number as the guest holds it: with the prefix of the service that issued the ticket.
        issued = conn.execute(
            "SELECT sq.prefix FROM site_tickets st JOIN site_queues sq ON sq.device_id = st.device_id"
            " AND sq.queue_id = st.issued_queue_id WHERE st.device_id = ? AND st.ticket_id = ?",
            (device_id, event["ticket_id"]),
        ).fetchone()
        conn.execute(
            "UPDATE site_queues SET now_serving = ?, now_serving_prefix = ?, service_day = ?"
            " WHERE device_id = ? AND queue_id = ?",
            (event["ticket_number"], issued[0] if issued else None, day, device_id, queue_id),
        )
    elif day:  # a new service day (its first event, `day_started` included) starts with nobody served
        conn.execute(
            "UPDATE site_queues SET service_day = ?, now_serving = NULL, now_serving_prefix = NULL"
            " WHERE device_id = ? AND queue_id = ?"
            " AND (service_day IS NULL OR service_day < ?)",
            (day, device_id, queue_id, day),
        )
    counter_id, counter = data.get("counter_id"), data.get("counter")
    if isinstance(counter_id, str) and counter_id and isinstance(counter, str):  # issue 15: counters by id
        conn.execute(
            "INSERT INTO site_counters (device_id, counter_id, name) VALUES (?, ?, ?)"
            " ON CONFLICT (device_id, counter_id) DO UPDATE SET name = excluded.name",
            (device_id, patterns.printable(counter_id, 64), patterns.printable(counter, 32)),
        )
    if event["ticket_id"] is None or event["ticket_number"] is None:
        return
    if kind == "priority_set":
        conn.execute("UPDATE site_tickets SET priority = ? WHERE device_id = ? AND ticket_id = ?",
                     (int(bool(data.get("priority"))), device_id, event["ticket_id"]))
        return
    if kind not in STATUS_OF:
        return
    status, at = STATUS_OF[kind], event["created_at"]
    if kind == "join":
        conn.execute(
            "INSERT OR IGNORE INTO site_tickets (device_id, ticket_id, queue_id, issued_queue_id, number,"
            " status, service_day, created_at, priority) VALUES (?, ?, ?, ?, ?, 'WAITING', ?, ?, ?)",
            (device_id, event["ticket_id"], queue_id, queue_id, event["ticket_number"], day or at[:10], at,
             int(bool(data.get("priority")))),
        )
        return
    if kind == "transfer":  # counted here only: `transfer_in` is the same move seen from the target
        conn.execute("UPDATE site_tickets SET transfers = transfers + 1 WHERE device_id = ? AND ticket_id = ?",
                     (device_id, event["ticket_id"]))
    elif kind == "transfer_in":
        conn.execute("UPDATE site_tickets SET queue_id = ? WHERE device_id = ? AND ticket_id = ?",
                     (queue_id, device_id, event["ticket_id"]))
    conn.execute(
        "UPDATE site_tickets SET status = ?,"
        " called_at = CASE WHEN ? THEN COALESCE(called_at, ?) ELSE called_at END,"
        " completed_at = CASE WHEN ? THEN ? WHEN ? THEN NULL ELSE completed_at END"
        " WHERE device_id = ? AND ticket_id = ?",
        (status, kind == "call", at, status in ("COMPLETED", "NO_SHOW", "CANCELLED"), at, kind == "returned",
         device_id, event["ticket_id"]),
    )


# ---- reading ---------------------------------------------------------------------------


def _local(moment: str, tz: ZoneInfo) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(tz)


def day_figures(conn: sqlite3.Connection, device_id: str, day: str) -> list[dict]:
    """`qode.stats.figures` over the site's events of `day`: the box's own figures, row for row."""
    names = {q["queue_id"]: q["name"] for q in conn.execute(
        "SELECT queue_id, name FROM site_queues WHERE device_id = ?", (device_id,))}
    marks = ",".join("?" * len(stats.TYPES))
    events = [{**dict(r), "data": json.loads(r["data"])} for r in conn.execute(
        "SELECT seq, queue_id, type, ticket_id, data, service_day, created_at, mono, boot_id FROM site_events"
        f" WHERE device_id = ? AND service_day = ? AND type IN ({marks}) ORDER BY seq",
        (device_id, day, *stats.TYPES))]
    return stats.figures(events, names)


def day_stats(conn: sqlite3.Connection, device_id: str, day: str, tz: ZoneInfo) -> dict:
    figures = day_figures(conn, device_id, day)
    total = stats.totals(figures)
    rows = conn.execute(
        "SELECT status, created_at, called_at FROM site_tickets WHERE device_id = ? AND service_day = ?",
        (device_id, day),
    ).fetchall()
    waits, hours = [], {}
    for row in rows:
        if row["called_at"]:
            try:
                called, created = _local(row["called_at"], tz), _local(row["created_at"], tz)
            except (OverflowError, ValueError):  # a box's clock far off (year 1 or 9999): no wait to tell
                continue
            wait = max((called - created).total_seconds(), 0)
            waits.append(wait)
            hours.setdefault(called.hour, []).append(wait)
    mean = total["waited_mean_seconds"]
    return {
        "day": day,
        "served": total["served"],
        "no_shows": total["no_shows"],
        "avg_wait_seconds": round(mean) if mean is not None else None,
        "services": stats.by_service(figures),  # issue 15: the box's per-service figures
        "waits_per_hour": [
            {"hour": h, "called": len(w), "avg_wait_seconds": round(sum(w) / len(w))}
            for h, w in sorted(hours.items())
        ],
    }


def list_sites(db: Database) -> list[dict]:
    tz = ZoneInfo(db.clock.tz)
    today = db.clock.service_day()
    yesterday = (datetime.fromisoformat(today) - timedelta(days=1)).date().isoformat()
    out = []
    with db.read() as conn:
        for site in conn.execute("SELECT * FROM sites ORDER BY name, device_id").fetchall():
            device_id = site["device_id"]
            queues = []
            for q in conn.execute(
                "SELECT * FROM site_queues WHERE device_id = ? ORDER BY name, queue_id", (device_id,)
            ):
                waiting = conn.execute(
                    "SELECT COUNT(*) FROM site_tickets WHERE device_id = ? AND queue_id = ? AND service_day = ?"
                    " AND status = 'WAITING'",
                    (device_id, q["queue_id"], q["service_day"] or ""),
                ).fetchone()[0]
                serving = q["now_serving"]
                prefix = q["prefix"] if q["now_serving_prefix"] is None else q["now_serving_prefix"]
                queues.append(
                    {
                        "queue_id": q["queue_id"],
                        "name": q["name"],
                        "prefix": q["prefix"],
                        "now_serving": f"{prefix}{serving:03d}" if serving else None,
                        "waiting": waiting,
                    }
                )
            out.append(
                {
                    "device_id": device_id,
                    "name": site["name"],
                    "last_seen": site["last_seen"],
                    "last_seq": site["last_seq"],
                    "events": site["events"],
                    "queues": queues,
                    "today": day_stats(conn, device_id, today, tz),
                    "yesterday": day_stats(conn, device_id, yesterday, tz),
                }
            )
    return out


def export_csv(db: Database, device_id: str, day: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["queue", "number", "status", "created_at", "called_at", "completed_at", "wait_seconds"])
    with db.read() as conn:
        names = {
            q["queue_id"]: (q["name"], q["prefix"])
            for q in conn.execute(
                "SELECT queue_id, name, prefix FROM site_queues WHERE device_id = ?", (device_id,)
            )
        }
        prefixes = {queue_id: prefix for queue_id, (_, prefix) in names.items()}
        for row in conn.execute(
            "SELECT * FROM site_tickets WHERE device_id = ? AND service_day = ? ORDER BY queue_id, number",
            (device_id, day),
        ):
            name, _ = names.get(row["queue_id"], ("", ""))
            # A transferred ticket keeps the number its first service gave it (P001 stays P001).
            prefix = prefixes.get(row["issued_queue_id"] or row["queue_id"], "")
            wait = ""
            if row["called_at"]:
                wait = round(
                    (
                        datetime.fromisoformat(row["called_at"].replace("Z", "+00:00"))
                        - datetime.fromisoformat(row["created_at"].replace("Z", "+00:00"))
                    ).total_seconds()
                )
            writer.writerow(
                [
                    stats.csv_cell(name),
                    stats.csv_cell(f"{prefix}{row['number']:03d}"),
                    row["status"],
                    row["created_at"],
                    row["called_at"] or "",
                    row["completed_at"] or "",
                    wait,
                ]
            )
    return buffer.getvalue()


# ---- routes ----------------------------------------------------------------------------


def _db() -> Database:
    return current_app.extensions["qode_db"]


def _admin() -> None:
    def check():
        token_hash = auth.bearer_hash()
        if auth.same_hash(token_hash, current_app.config["ADMIN_TOKEN_HASH"]):
            return None
        with _db().read() as conn:
            is_site = conn.execute("SELECT 1 FROM sites WHERE key_hash = ?", (token_hash,)).fetchone()
        if is_site:
            raise Forbidden("This needs the hub's admin token, not a box's key.")
        raise Unauthorized("That token is not valid.", "bad_credentials")

    guarded(check)


def _site_of_key() -> str:
    def check():
        token_hash = auth.bearer_hash()
        with _db().read() as conn:
            row = conn.execute("SELECT device_id FROM sites WHERE key_hash = ?", (token_hash,)).fetchone()
        if row is None:
            raise Unauthorized("That key is not a registered box's.", "bad_credentials")
        return row["device_id"]

    return guarded(check)


def _device_id(raw: str) -> str:
    if not patterns.is_device_id(raw):
        raise NotFound("No site with that id.", "site_not_found")
    with _db().read() as conn:
        if conn.execute("SELECT 1 FROM sites WHERE device_id = ?", (raw,)).fetchone() is None:
            raise NotFound("No site with that id.", "site_not_found")
    return raw


@bp.get("/healthz")
def healthz():
    with _db().read() as conn:
        conn.execute("SELECT 1 FROM sites LIMIT 1").fetchall()
    return answer({"status": "ok", "version": current_app.config["VERSION"], "db": "ok", "hub": True})


@bp.post("/api/sync/batches")
def receive_batch():
    device_id = _site_of_key()
    # The one large body (QODE_HUB_MAX_BODY), read only once the key is known (serving.AUTH_FIRST):
    # every other request, and this one before its key is checked, is held to QODE_MAX_BODY.
    cap = current_app.config["HUB_MAX_BODY"]
    too_big = TooLarge(f"A sync request is at most {cap} bytes (QODE_HUB_MAX_BODY).", "body_too_large")
    raw = read_json(body_after_auth(cap, too_big))  # decoded once: counted, then validated
    limit = current_app.config["HUB_MAX_BATCH"]
    if isinstance(raw.get("events"), list) and len(raw["events"]) > limit:
        raise TooLarge(f"At most {limit} events per batch.", "batch_too_large")
    batch = parse(SyncBatch, raw)
    if batch.device_id != device_id:
        raise Forbidden("A box can only send its own events.")
    return answer(ingest(_db(), device_id, [e.model_dump() for e in batch.events], batch.after))


@bp.post("/api/hub/sites")
def create_site():
    _admin()
    req = parse(SiteCreate)
    key = secrets.token_urlsafe(32)
    with _db().write() as conn:
        if conn.execute("SELECT 1 FROM sites WHERE device_id = ?", (req.device_id,)).fetchone():
            raise Conflict("A site with that device id exists already.", "site_exists")
        conn.execute(
            "INSERT INTO sites (device_id, name, key_hash, created_at) VALUES (?, ?, ?, ?)",
            (req.device_id, req.name, auth.hash_token(key), iso(_db().clock.now())),
        )
    return answer({"device_id": req.device_id, "name": req.name, "key": key}, 201)


@bp.get("/api/hub/sites")
def sites():
    _admin()
    return answer({"sites": list_sites(_db())})


@bp.get("/api/hub/sites/<device_id>/events")
def site_events(device_id: str):
    _admin()
    device_id = _device_id(device_id)
    after, limit = request.args.get("after", "0"), request.args.get("limit", "1000")
    if not (after.isascii() and after.isdigit() and limit.isascii() and limit.isdigit()  # not "²" or "٢"
            and 1 <= int(limit) <= 10000 and len(after) <= 18):
        raise Invalid("after: a whole number; limit: 1 to 10000.", "invalid_query")
    with _db().read() as conn:
        rows = conn.execute(
            "SELECT * FROM site_events WHERE device_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (device_id, int(after), int(limit)),
        ).fetchall()
    return answer(
        {"events": [{**{k: r[k] for k in EVENT_FIELDS}, "data": json.loads(r["data"])} for r in rows]}
    )


@bp.get("/api/hub/sites/<device_id>/export.csv")
def site_csv(device_id: str):
    _admin()
    device_id = _device_id(device_id)
    day = stats_day(request.args.get("day", ""), "")  # YYYY-MM-DD in ASCII digits, a real date
    response = Response(export_csv(_db(), device_id, day), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="qode-{device_id}-{day}.csv"'
    return response


@bp.get("/api/hub/sites/<device_id>/stats")
def site_stats(device_id: str):
    """Issue 15: a day's figures per service, counter and staff, as the box's GET /api/stats."""
    _admin()
    device_id = _device_id(device_id)
    day = stats_day(request.args.get("day"), _db().clock.service_day())
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise Invalid("format: json or csv.", "invalid_query")
    with _db().read() as conn:
        rows = day_figures(conn, device_id, day)
    if fmt == "csv":
        response = Response(stats.to_csv(rows), mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="qode-{device_id}-stats-{day}.csv"'
        return response
    return answer({"day": day, "rows": rows, "services": stats.by_service(rows)})
