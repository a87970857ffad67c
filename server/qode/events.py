"""The append-only event log: live updates, resume, sync and ETA replay read it.

`append` must be called inside the write transaction of the change it records.
"""

from __future__ import annotations

import json
import sqlite3

from .clock import Clock, iso


def append(
    conn: sqlite3.Connection,
    clock: Clock,
    queue_id: str,
    type_: str,
    *,
    ticket: dict | None = None,
    data: dict | None = None,
    service_day: str | None = None,
    at: tuple[str, float] | None = None,
) -> int:
    """Append one event and return its `seq`. `at`: its (created_at, mono), when the caller
    writes the same readings elsewhere (a join's ticket row); else the clock's now."""
    created_at, mono = at if at is not None else (iso(clock.now()), clock.monotonic())
    cur = conn.execute(
        "INSERT INTO events (queue_id, type, ticket_id, ticket_number, data, service_day,"
        " created_at, mono, boot_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            queue_id,
            type_,
            ticket["id"] if ticket else None,
            ticket["position_number"] if ticket else None,
            json.dumps(data or {}, separators=(",", ":")),
            service_day or (ticket["service_day"] if ticket else None),
            created_at,
            mono,
            clock.boot_id,
        ),
    )
    return cur.lastrowid

