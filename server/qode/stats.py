"""A day's figures from the event log: per service, per counter and per staff name.

`figures(events)` is pure: it reads event dicts (the box's `events` rows, or the hub's
`site_events`, with `data` decoded) and nothing else, so the box's figures (`GET /api/stats`)
and the hub's are the same function over the same log, equal by construction
(docs/services.md, section 8).

One row per (`service_day`, `queue_id`, counter, `staff`), the counter by `counter_id` when
the events carry one (from m013 on), else by its name (`counter`, older events). What each
column counts:

- `served`: `complete` events, at the counter that last called the ticket; `priority_served`
  those of priority tickets (the `join`'s `data.priority`, changed by `priority_set`,
  `transfer_in` and the `call`'s `data.priority`; older events have none: normal).
- `waited_*`: seconds from the ticket's entry into the line of the service that calls it (its
  `join`, or its latest `transfer_in`) to its first call from that line (`call`, or `recall` of
  a waiting ticket), counted on the calling counter's row: `waited_count` such waits, their sum
  and mean. Measured on the monotonic clock (`mono`) when both events are of one boot, else on
  the wall clock (`created_at`), never below 0.
- `served_time_*`: `serve` → `complete` (or the call → `complete` when the ticket was never
  marked as being served), on the same counter's row.
- `no_shows`: `no_show` events, at the counter that called the ticket, less those whose guest
  came back (issue 16: a `returned` event takes its no-show off that same row; the ticket's
  first wait stays counted once, and it is `served` when it is completed after all).
- `transfers_out`: `transfer` events, in the service left (at the counter that held the ticket
  when it was CALLED or SERVING); `transfers_in`: `transfer_in` events, in the service entered,
  no counter.

Days are the events' `service_day` (the wall date of `created_at` where an event has none).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from qode_common.patterns import printable

# The columns of a figures row, in the order of the CSV and the JSON rows.
KEY = ("service_day", "queue_id", "service", "counter_id", "counter", "staff")
COUNTS = ("served", "priority_served", "no_shows", "transfers_out", "transfers_in",
          "waited_count", "waited_seconds", "waited_mean_seconds",
          "served_time_count", "served_time_seconds", "served_time_mean_seconds")
COLUMNS = KEY + COUNTS

# The event types the figures read (the callers may load only these).
TYPES = ("join", "call", "recall", "serve", "complete", "no_show", "requeue", "cancel",
         "transfer", "transfer_in", "priority_set", "counter_opened", "counter_closed", "counter_services",
         "returned")


@dataclass
class _Sums:
    served: int = 0
    priority_served: int = 0
    no_shows: int = 0
    transfers_out: int = 0
    transfers_in: int = 0
    waited_count: int = 0
    waited_seconds: float = 0.0
    served_time_count: int = 0
    served_time_seconds: float = 0.0

    def add(self, other: _Sums) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Ticket:
    priority: bool = False
    entry: tuple | None = None        # (mono, boot_id, created_at) of its entry into the current line
    waited: bool = False              # its wait in the current line is counted
    counter: tuple | None = None      # (counter_id, counter name) that holds it, while CALLED or SERVING
    staff: str | None = None
    called: tuple | None = None       # moment of its last call
    serving: tuple | None = None      # moment it was marked as being served, after that call
    no_show: tuple | None = None      # the row key its last no-show was counted on (issue 16: grace)


def _moment(event: dict) -> tuple:
    return (event.get("mono"), event.get("boot_id"), event["created_at"])


def _wall(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def seconds_between(start: tuple, end: tuple) -> float:
    """`end - start` in seconds: monotonic within one boot, else wall clock; never below 0."""
    (mono_a, boot_a, wall_a), (mono_b, boot_b, wall_b) = start, end
    if mono_a is not None and mono_b is not None and boot_a is not None and boot_a == boot_b:
        return max(float(mono_b) - float(mono_a), 0.0)
    return max((_wall(wall_b) - _wall(wall_a)).total_seconds(), 0.0)


def _counter_of(data: dict) -> tuple | None:
    counter_id, name = data.get("counter_id"), data.get("counter")
    if not isinstance(counter_id, str) or not counter_id:
        counter_id = None
    if not isinstance(name, str) or not name:
        name = None
    return None if counter_id is None and name is None else (counter_id, name)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def figures(events: Iterable[dict], names: dict[str, str] | None = None) -> list[dict]:
    """The figures rows of `events` (any order; read in `seq` order), sorted by their key.

    `names` maps queue ids to service names for the `service` column (empty where unknown).
    """
    rows: dict[tuple, _Sums] = {}
    counter_names: dict[str, str] = {}
    tickets: dict[str, _Ticket] = {}

    def row(day: str, queue_id: str, counter: tuple | None, staff: str | None) -> _Sums:
        counter_id, name = counter if counter else (None, None)
        key = (day, queue_id, counter_id or "", "" if counter_id else (name or ""), staff or "")
        return rows.setdefault(key, _Sums())

    for event in sorted(events, key=lambda e: e["seq"]):
        kind = event["type"]
        data = event.get("data") or {}
        if not isinstance(data, dict):
            data = {}
        counter = _counter_of(data)
        if counter and counter[0] and counter[1]:
            counter_names[counter[0]] = counter[1]  # the latest name a counter went by
        ticket_id = event.get("ticket_id")
        if ticket_id is None or kind not in TYPES:
            continue
        day = event.get("service_day") or event["created_at"][:10]
        queue_id = event["queue_id"]
        at = _moment(event)
        ticket = tickets.get(ticket_id)
        if kind == "join" or ticket is None:
            # A ticket first seen after its join (the join was purged, or is of another day)
            # counts from here, without a wait.
            ticket = tickets[ticket_id] = _Ticket()
            if kind == "join":
                ticket.priority = bool(data.get("priority"))
                ticket.entry = at
                continue
        if kind in ("call", "recall"):
            if "priority" in data:
                ticket.priority = bool(data["priority"])
            ticket.counter = counter
            ticket.staff = _text(data.get("staff"))
            if ticket.entry is not None and not ticket.waited:
                sums = row(day, queue_id, counter, ticket.staff)
                sums.waited_count += 1
                sums.waited_seconds += seconds_between(ticket.entry, at)
                ticket.waited = True
            ticket.called, ticket.serving = at, None
        elif kind == "serve":
            ticket.serving = at
        elif kind in ("complete", "no_show"):
            held = ticket.counter or counter
            sums = row(day, queue_id, held, ticket.staff if ticket.counter else None)
            if kind == "no_show":
                sums.no_shows += 1
                ticket.no_show = (day, queue_id, held, ticket.staff if ticket.counter else None)
            else:
                sums.served += 1
                sums.priority_served += ticket.priority
                start = ticket.serving or ticket.called
                if start is not None:
                    sums.served_time_count += 1
                    sums.served_time_seconds += seconds_between(start, at)
            ticket.counter, ticket.called, ticket.serving = None, None, None
        elif kind == "requeue":
            ticket.counter, ticket.called, ticket.serving = None, None, None
        elif kind == "transfer":
            held = ticket.counter if ticket.counter else (
                counter if data.get("from_status") in ("CALLED", "SERVING") else None)
            row(day, queue_id, held, ticket.staff if ticket.counter else None).transfers_out += 1
            ticket.counter, ticket.called, ticket.serving = None, None, None
        elif kind == "transfer_in":
            row(day, queue_id, None, None).transfers_in += 1
            if "priority" in data:
                ticket.priority = bool(data["priority"])
            ticket.entry, ticket.waited = at, False
            ticket.counter, ticket.called, ticket.serving = None, None, None
        elif kind == "priority_set":
            ticket.priority = bool(data.get("priority"))
        elif kind == "returned":  # issue 16: the guest came back: that no-show is taken back, once
            if ticket.no_show is not None:
                row(*ticket.no_show).no_shows -= 1
                ticket.no_show = None
            ticket.counter, ticket.called, ticket.serving = None, None, None

    names = names or {}
    out = []
    for key in sorted(rows):
        day, queue_id, counter_id, name, staff = key
        out.append(_render(rows[key], {
            "service_day": day, "queue_id": queue_id, "service": names.get(queue_id, ""),
            "counter_id": counter_id or None,
            "counter": counter_names.get(counter_id, "") if counter_id else (name or None),
            "staff": staff or None,
        }))
    return out


def _render(sums: _Sums, key: dict) -> dict:
    return {
        **key,
        "served": sums.served,
        "priority_served": sums.priority_served,
        "no_shows": sums.no_shows,
        "transfers_out": sums.transfers_out,
        "transfers_in": sums.transfers_in,
        "waited_count": sums.waited_count,
        "waited_seconds": round(sums.waited_seconds, 3),
        "waited_mean_seconds": round(sums.waited_seconds / sums.waited_count, 1) if sums.waited_count else None,
        "served_time_count": sums.served_time_count,
        "served_time_seconds": round(sums.served_time_seconds, 3),
        "served_time_mean_seconds": (round(sums.served_time_seconds / sums.served_time_count, 1)
                                     if sums.served_time_count else None),
    }


def _sums_of(row: dict) -> _Sums:
    return _Sums(**{name: row[name] for name in _Sums.__dataclass_fields__})


def by_service(rows: Iterable[dict]) -> list[dict]:
    """`figures` rows summed per (service_day, queue_id): counter and staff left empty."""
    merged: dict[tuple, tuple[_Sums, str]] = {}
    for row in rows:
        key = (row["service_day"], row["queue_id"])
        sums, _ = merged.setdefault(key, (_Sums(), row["service"]))
        sums.add(_sums_of(row))
    return [_render(sums, {"service_day": day, "queue_id": queue_id, "service": service,
                           "counter_id": None, "counter": None, "staff": None})
            for (day, queue_id), (sums, service) in sorted(merged.items())]


def totals(rows: Iterable[dict]) -> dict:
    """Every row summed: {served, no_shows, ..., waited_mean_seconds, ...} (no key columns)."""
    sums = _Sums()
    for row in rows:
        sums.add(_sums_of(row))
    rendered = _render(sums, {})
    return {name: rendered[name] for name in COUNTS}


def csv_cell(value: object) -> object:
    """A cell of a CSV export. Text keeps its printable characters only: no line breaks or
    controls that a box or a host typed, and no lone surrogates, which UTF-8 cannot write (a
    box's JSON may carry them). A spreadsheet must not run it as a formula (CSV injection)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return value
    text = printable(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def to_csv(rows: Iterable[dict]) -> str:
    """`figures` rows as CSV: a header row of COLUMNS, then one line per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([csv_cell(row[name]) for name in COLUMNS])
    return buffer.getvalue()
