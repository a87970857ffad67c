"""`qode bench hub`: 100 simulated boxes push a day's history each to a real hub, all at once.

A real `qode serve --hub` (one gevent worker, `synchronous=FULL`, WAL) on 127.0.0.1 with a
temporary data dir. 100 sites are registered with `POST /api/hub/sites`; each gets a day
of 1,500 events generated the way a busy box writes them (two queues, counters opening,
joins from web, kiosk and host, the kiosk's print jobs, calls, recalls, serves, completes,
no-shows and cancels, in time order, seq 1..1500). Every request body is encoded before
the clock starts.

1. **Day ingest** (the target): 100 pusher threads, one keep-alive connection each, send
   their day in batches of 500 (the box's QODE_SYNC_BATCH), each waiting for the hub's
   answer before the next, as a box does. Measured: the wall time from the common start to
   the last answer, events/s, each batch's latency, the hub worker's CPU.
2. **Steady sync** (for the capacity estimate): the same pushers then send 20 small
   batches of 3 events each, back to back: what a box syncing every 5 s during opening
   hours sends. Measured: requests/s and latency.
3. **Check**: `GET /api/hub/sites` must show every site at last_seq 1560 with 1560
   events, and the hub's database must hold each (device_id, seq) once, 1..1560.

Baselines in the same run, in-process on fresh databases with the hub's schema and
pragmas, the same batches in the same order: plain `INSERT`s of the rows into
`site_events` (one transaction per batch), `hub.ingest()` itself (the inserts plus the
per-event state updates), and the request parsing alone (`json.loads`, `SyncBatch`
validation, `model_dump`). Every loop is bounded by a count and a time; only 127.0.0.1 is
contacted; the server is stopped and the temp dir removed in a `finally`.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import secrets
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .issue import (
    BUSY_WARNING,
    HOST,
    BenchServer,
    _await_quiet,
    _cpu_seconds,
    _http,
    _percentile,
    _port_free,
    _system_busy,
)

SITES = 100
DAY_EVENTS = 1500  # a busy site's day
BATCH = 500  # the box's default QODE_SYNC_BATCH
STEADY_BATCHES = 20  # per site, after the day
STEADY_EVENTS = 3  # per steady batch: what 5 s of a busy opening hour brings
TARGET_SECONDS = 60.0
BOX_TIMEOUT = 10.0  # sync.TIMEOUT: a box gives up on a request after this
REQUEST_TIMEOUT = 120.0  # the bench's own limit per request
PHASE_LIMIT = 600.0  # seconds any phase may take in all
OPEN_SECONDS = 10 * 3600  # opening hours, 08:00-18:00
SYNC_SECONDS = 5.0  # QODE_SYNC_SECONDS: a box sends at most one request per this
HEADROOM = 0.5  # plan to use at most half of what was measured
PEAK_EVENTS_PER_SITE = 5.0  # events/s of one site in a burst
INSERT_SQL = (
    "INSERT INTO site_events (device_id, seq, queue_id, type, ticket_id, ticket_number, data,"
    " service_day, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


# ---- the simulated days ------------------------------------------------------------------


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def site_day(index: int, day: str, count: int) -> list[dict]:
    """`count` events of one busy site's day, in time order, seq 1..count, as a box stores them."""
    rng = random.Random(index)
    midnight = datetime.fromisoformat(day).replace(tzinfo=UTC)
    timeline: list[tuple[float, int, str, str, str | None, int | None, dict]] = []
    order = 0

    def add(at: float, queue_id: str, kind: str, ticket: str | None, number: int | None, data: dict) -> None:
        nonlocal order
        order += 1
        timeline.append((at, order, queue_id, kind, ticket, number, data))

    queues = [(_uuid(rng), "Service", "A"), (_uuid(rng), "Pharmacy", "P")]
    numbers = {q[0]: 0 for q in queues}
    kiosk = _uuid(rng)
    opening = 8 * 3600.0
    for queue_id, name, prefix in queues:
        add(opening - 600, queue_id, "queue_created", None, None, {"name": name, "prefix": prefix})
        for counter in ("1", "2"):
            add(opening - 300, queue_id, "counter_opened", None, None, {"counter": counter})
    mean_gap = OPEN_SECONDS / (count * 1.05 / 4.5)  # about 4.5 events per ticket
    at = opening
    for _ in range(count):  # bounded: never more tickets than events wanted
        if len(timeline) >= count and at > opening + OPEN_SECONDS:
            break
        at += rng.expovariate(1 / mean_gap)
        queue_id = rng.choice(queues)[0]
        numbers[queue_id] += 1
        ticket, number = _uuid(rng), numbers[queue_id]
        source = rng.choices(["web", "kiosk", "host"], [6, 3, 1])[0]
        add(at, queue_id, "join", ticket, number, {"source": source})
        if source == "kiosk":
            job = _uuid(rng)
            add(at + 0.05, queue_id, "print_job", ticket, number, {"job_id": job, "device_id": kiosk,
                                                                   "reason": "join"})
            add(at + 1.5, queue_id, "print_done", ticket, number, {"job_id": job, "device_id": kiosk,
                                                                    "error": None})
        fate, counter = rng.random(), rng.choice(["1", "2"])
        called = at + rng.uniform(60, 1800)
        if fate < 0.08:
            add(at + rng.uniform(60, 900), queue_id, "cancel", ticket, number, {"by": "guest"})
        elif fate < 0.15:
            add(called, queue_id, "call", ticket, number, {"counter": counter})
            add(called + 60, queue_id, "recall", ticket, number, {"counter": counter})
            add(called + 180, queue_id, "no_show", ticket, number, {"counter": counter, "by": "auto"})
        else:
            add(called, queue_id, "call", ticket, number, {"counter": counter})
            if rng.random() < 0.05:
                called += 30
                add(called, queue_id, "recall", ticket, number, {"counter": counter})
            served = called + rng.uniform(10, 60)
            add(served, queue_id, "serve", ticket, number, {"counter": counter})
            add(served + rng.uniform(120, 600), queue_id, "complete", ticket, number, {"counter": counter})
    timeline.sort()
    events = []
    for seq, (at, _, queue_id, kind, ticket, number, data) in enumerate(timeline[:count], start=1):
        moment = midnight + timedelta(seconds=at)
        events.append({
            "seq": seq, "queue_id": queue_id, "type": kind, "ticket_id": ticket, "ticket_number": number,
            "data": data, "service_day": day,
            "created_at": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        })  # fmt: skip
    if len(events) != count:
        raise RuntimeError(f"site {index}: generated {len(events)} events, wanted {count}")
    return events


def _chunks(events: list[dict], size: int) -> list[list[dict]]:
    return [events[i : i + size] for i in range(0, len(events), size)]


def _body(device_id: str, events: list[dict]) -> bytes:
    after = events[0]["seq"] - 1  # the box's cursor: the batch follows what the hub already has
    body = {"device_id": device_id, "after": after, "events": events}
    return json.dumps(body, separators=(",", ":")).encode()


# ---- baselines: in-process, same schema and pragmas ----------------------------------------


def _hub_db(folder: Path, device_ids: list[str]):
    from qode.auth import hash_token
    from qode.clock import Clock, iso
    from qode.db import Database
    from qode.hub import migrate_hub

    folder.mkdir(parents=True, exist_ok=True)
    db = Database(folder / "hub.db", 5000, Clock("UTC"))
    migrate_hub(db)
    with db.write() as conn:
        now = iso(db.clock.now())
        conn.executemany(
            "INSERT INTO sites (device_id, name, key_hash, created_at) VALUES (?, ?, ?, ?)",
            [(d, d, hash_token(secrets.token_urlsafe(16)), now) for d in device_ids],
        )
    return db


def raw_insert(folder: Path, device_ids: list[str], rounds: list[list[tuple[str, list[dict]]]]) -> float:
    """Seconds to INSERT every row, one transaction per batch."""
    from qode.hub import _row

    db = _hub_db(folder, device_ids)
    try:
        rows = [[(d, *_row(e)) for e in batch] for round_ in rounds for d, batch in round_]
        start = time.perf_counter()
        for batch_rows in rows:
            with db.write() as conn:
                conn.executemany(INSERT_SQL, batch_rows)
        return time.perf_counter() - start
    finally:
        db.close()


def raw_ingest(folder: Path, device_ids: list[str], rounds: list[list[tuple[str, list[dict]]]]) -> float:
    """Seconds for `hub.ingest()` on every batch: the inserts plus the sites' state."""
    from qode.hub import ingest

    db = _hub_db(folder, device_ids)
    try:
        start = time.perf_counter()
        for round_ in rounds:
            for device_id, batch in round_:
                ingest(db, device_id, batch, batch[0]["seq"] - 1)
        return time.perf_counter() - start
    finally:
        db.close()


def raw_parse(bodies: list[bytes]) -> float:
    """Seconds to parse and validate every body as the hub's route does, and dump its events."""
    from qode.hub import SyncBatch

    start = time.perf_counter()
    for body in bodies:
        batch = SyncBatch.model_validate(json.loads(body))
        [e.model_dump() for e in batch.events]
    return time.perf_counter() - start


# ---- the pushers ---------------------------------------------------------------------------


class Pusher(threading.Thread):
    """One box: its bodies in order over one keep-alive connection, each after the last answer."""

    def __init__(self, port: int, key: str, bodies: list[tuple[bytes, int, int]], start_gate: threading.Event):
        super().__init__(daemon=True)
        self.port = port
        self.headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
        self.bodies = bodies  # (body, its last seq, its event count)
        self.gate = start_gate
        self.latencies: list[float] = []  # ms
        self.error: str | None = None
        self.done_at: float | None = None

    def run(self) -> None:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
        try:
            conn.connect()
            self.gate.wait(PHASE_LIMIT)
            for body, last_seq, count in self.bodies:
                start = time.perf_counter()
                conn.request("POST", "/api/sync/batches", body=body, headers=self.headers)
                response = conn.getresponse()
                raw = response.read()
                self.latencies.append((time.perf_counter() - start) * 1000.0)
                answer = json.loads(raw) if raw else {}
                good = answer.get("acked_seq") == last_seq and answer.get("stored") == count
                if response.status != 200 or not good:
                    self.error = f"HTTP {response.status}: {raw[:300]!r}"
                    return
            self.done_at = time.perf_counter()
        except (OSError, ValueError, http.client.HTTPException) as err:
            self.error = f"{type(err).__name__}: {err}"
        finally:
            conn.close()


def push_all(port: int, keys: list[str], work: list[list[tuple[bytes, int, int]]], worker_pid: int | None
             ) -> dict:
    """Start one pusher per site at the same moment; wall time, latencies and CPU."""
    gate = threading.Event()
    pushers = [Pusher(port, key, bodies, gate) for key, bodies in zip(keys, work, strict=True)]
    for pusher in pushers:
        pusher.start()
    time.sleep(0.5)  # let every connection open before the clock starts
    cpu0, busy0, own0 = _cpu_seconds(worker_pid), _system_busy(), time.process_time()
    start = time.perf_counter()
    gate.set()
    deadline = start + PHASE_LIMIT
    for pusher in pushers:
        pusher.join(max(0.0, deadline - time.perf_counter()))
    end = time.perf_counter()
    cpu1, busy1, own1 = _cpu_seconds(worker_pid), _system_busy(), time.process_time()
    errors = [p.error for p in pushers if p.error]
    if any(p.is_alive() for p in pushers):
        errors.append(f"some pushers were still running after {PHASE_LIMIT:.0f} s")
    if errors:
        raise RuntimeError(f"{len(errors)} pushers failed; the first: {errors[0]}")
    wall = max(p.done_at for p in pushers) - start
    worker = (cpu1 - cpu0) if cpu0 is not None and cpu1 is not None else None
    busy = (busy1 - busy0) if busy0 is not None and busy1 is not None else None
    latencies = sorted(ms for p in pushers for ms in p.latencies)
    return {
        "seconds": wall,
        "requests": len(latencies),
        "events": sum(c for bodies in work for _, _, c in bodies),
        "p50_ms": _percentile(latencies, 50),
        "p99_ms": _percentile(latencies, 99),
        "max_ms": latencies[-1],
        "over_box_timeout": sum(1 for ms in latencies if ms > BOX_TIMEOUT * 1000),
        "worker_cpu": worker,
        "client_cpu": own1 - own0,
        "other_cpu": None if busy is None else max(0.0, busy - (worker or 0) - (own1 - own0)),
        "elapsed": end - start,
    }


# ---- checks and the report --------------------------------------------------------------------


def check_hub(port: int, admin: str, db_path: Path, device_ids: list[str], total: int) -> float:
    """Every site holds seq 1..total exactly once; returns the ms `GET /api/hub/sites` took."""
    start = time.perf_counter()
    status, body = _http(port, "GET", "/api/hub/sites", headers={"Authorization": f"Bearer {admin}"},
                         timeout=REQUEST_TIMEOUT)
    took = (time.perf_counter() - start) * 1000.0
    if status != 200:
        raise RuntimeError(f"GET /api/hub/sites answered {status}")
    seen = {s["device_id"]: (s["events"], s["last_seq"]) for s in body["sites"]}
    wrong = [d for d in device_ids if seen.get(d) != (total, total)]
    if wrong or len(seen) != len(device_ids):
        raise RuntimeError(f"the hub's counters are off for {len(wrong)} sites, e.g. {wrong[:1]}: "
                           f"{seen.get(wrong[0]) if wrong else len(seen)}")
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT device_id, COUNT(*), COUNT(DISTINCT seq), MIN(seq), MAX(seq) FROM site_events"
            " GROUP BY device_id"
        ).fetchall()
    finally:
        conn.close()
    held = {r[0]: r[1:] for r in rows}
    bad = [d for d in device_ids if held.get(d) != (total, total, 1, total)]
    if bad or len(held) != len(device_ids):
        raise RuntimeError(f"the hub's site_events are off for {len(bad)} sites, e.g. {bad[:1]}")
    return took


def _pct(value: float | None) -> str:
    return "   n/a" if value is None else f"{value * 100:5.0f}%"


def capacity(day: dict, steady: dict) -> list[str]:
    """Sites one hub carries, from a per-request and a per-event cost fitted to the two phases."""
    per_bulk = day["seconds"] / day["requests"]  # the worker serves one request at a time
    per_small = steady["seconds"] / steady["requests"]
    bulk_size, small_size = day["events"] / day["requests"], steady["events"] / steady["requests"]
    per_event = max((per_bulk - per_small) / (bulk_size - small_size), 0.0)
    per_request = max(per_small - small_size * per_event, 0.0)
    average = DAY_EVENTS / OPEN_SECONDS  # events/s of a busy site over its opening hours
    requests = 1 / SYNC_SECONDS  # a box with something new sends once per interval
    catch_up = 1000 * DAY_EVENTS * day["seconds"] / day["events"]

    def sites(events_per_site: float) -> float:
        return HEADROOM / (requests * per_request + events_per_site * per_event)

    return [
        f"    fitted cost per request {per_request * 1000:.2f} ms + per event {per_event * 1e6:.0f} us "
        f"(from {bulk_size:.0f}- and {small_size:.0f}-event batches)",
        f"    busy sites ({DAY_EVENTS} events in {OPEN_SECONDS // 3600} h = {average:.3f}/s each, a request "
        f"per {SYNC_SECONDS:.0f} s), hub at {HEADROOM * 100:.0f}%: ~{sites(average):,.0f} sites",
        f"    the same with every site in a {PEAK_EVENTS_PER_SITE:g} events/s burst at once: "
        f"~{sites(PEAK_EVENTS_PER_SITE):,.0f} sites",
        f"    catch-up of a whole day, per 1,000 sites: {catch_up / 60:.1f} min;"
        f" boxes sending a {bulk_size:.0f}-event batch at once before the last waits past"
        f" {BOX_TIMEOUT:.0f} s: ~{BOX_TIMEOUT / per_bulk:.0f}",
    ]


def _print_report(day: dict, steady: dict, raw: dict, sites_ms: float, gen_s: float) -> None:
    rate = day["events"] / day["seconds"]
    print()
    print(f"  day ingest: {SITES} sites x {DAY_EVENTS} events, batches of {BATCH}, all at once")
    print(f"    wall time                      {day['seconds']:9.2f} s   ({day['requests']} requests)")
    print(f"    ingest rate                    {rate:9,.0f} events/s")
    print(f"    batch latency p50 / p99 / max  {day['p50_ms'] / 1000:6.2f} / {day['p99_ms'] / 1000:.2f} / "
          f"{day['max_ms'] / 1000:.2f} s")
    print(f"    batches over the box's {BOX_TIMEOUT:.0f} s timeout {day['over_box_timeout']:6d}")
    print(f"    hub worker CPU / wall          {_pct(day['worker_cpu'] and day['worker_cpu'] / day['seconds'])}"
          f"   (bench process {_pct(day['client_cpu'] / day['seconds'])}, "
          f"other {_pct(day['other_cpu'] and day['other_cpu'] / day['seconds'])})")
    srate = steady["requests"] / steady["seconds"]
    print(f"  steady sync: {SITES} sites x {STEADY_BATCHES} batches of {STEADY_EVENTS} events, back to back")
    print(f"    requests                       {srate:9,.0f} req/s   "
          f"({steady['events'] / steady['seconds']:,.0f} events/s)")
    print(f"    latency p50 / p99 / max        {steady['p50_ms']:6.0f} / {steady['p99_ms']:.0f} / "
          f"{steady['max_ms']:.0f} ms")
    print(f"    hub worker CPU / wall          "
          f"{_pct(steady['worker_cpu'] and steady['worker_cpu'] / steady['seconds'])}"
          f"   (bench process {_pct(steady['client_cpu'] / steady['seconds'])}, "
          f"other {_pct(steady['other_cpu'] and steady['other_cpu'] / steady['seconds'])})")
    print("  baselines in-process, same batches, same schema and pragmas (WAL, synchronous=FULL):")
    for name, key in (("raw SQLite INSERTs", "insert"), ("hub.ingest() (inserts + state)", "ingest"),
                      ("parse + validate (json, pydantic)", "parse")):
        print(f"    {name:<34} {day['events'] / raw[key]:9,.0f} events/s  ({raw[key]:.2f} s)")
    print(f"    hub / raw SQLite INSERTs       {rate / (day['events'] / raw['insert']):9.3f}")
    print(f"    hub / (ingest + parse)         {rate / (day['events'] / (raw['ingest'] + raw['parse'])):9.3f}")
    verdict = "PASS" if day["seconds"] < TARGET_SECONDS else "SHORT"
    print(f"  target: {SITES * DAY_EVENTS:,} events in < {TARGET_SECONDS:.0f} s: "
          f"{day['seconds']:.1f} s ({verdict})")
    print(f"  check: every site holds seq 1..{DAY_EVENTS + STEADY_BATCHES * STEADY_EVENTS} once; "
          f"GET /api/hub/sites with {SITES} sites took {sites_ms:.0f} ms")
    print("  capacity (one hub, this machine):")
    for line in capacity(day, steady):
        print(line)
    print(f"  (generating and encoding the days took {gen_s:.1f} s, before the clock)", flush=True)
    noisy = [r["other_cpu"] / r["seconds"] for r in (day, steady) if r["other_cpu"] is not None]
    if noisy and max(noisy) > BUSY_WARNING:
        print(f"WARNING: other work used up to {max(noisy) * 100:.0f}% of a core during the run; "
              "the figures are lower than on a quiet machine.", flush=True)


def _progress(message: str) -> None:
    """Say what is measured next, after waiting (boundedly) for other work on the machine to calm."""
    waited = _await_quiet()
    note = f" (waited {waited:.0f} s for other work to calm down)" if waited >= 1 else ""
    print(f"  .. {message}{note}", file=sys.stderr, flush=True)


class _Env:
    """Settings for the hub under test, put back afterwards."""

    def __init__(self, **values: str):
        self.values = values
        self.saved: dict[str, str | None] = {}

    def __enter__(self):
        for name, value in self.values.items():
            self.saved[name] = os.environ.get(name)
            os.environ[name] = value

    def __exit__(self, *exc):
        for name, value in self.saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def main(args) -> int:
    port = getattr(args, "port", 8765)
    if not _port_free(port):
        print(f"qode bench hub: port {port} on {HOST} is in use; pick another with --port", file=sys.stderr)
        return 2
    import sqlite3 as _sqlite

    from qode import __version__

    print(f"Qode {__version__} bench hub: {SITES} boxes push a day each, all at once", flush=True)
    print(f"  Python {sys.version.split()[0]}, SQLite {_sqlite.sqlite_version}, {os.cpu_count()} CPUs; "
          f"hub {HOST}:{port}, 1 gunicorn gevent worker", flush=True)
    t0 = time.perf_counter()
    day = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    total = DAY_EVENTS + STEADY_BATCHES * STEADY_EVENTS
    device_ids = [f"bench-site-{i:03d}" for i in range(SITES)]
    logs = {d: site_day(i, day, total) for i, d in enumerate(device_ids)}
    day_batches = {d: _chunks(logs[d][:DAY_EVENTS], BATCH) for d in device_ids}
    steady_batches = {d: _chunks(logs[d][DAY_EVENTS:], STEADY_EVENTS) for d in device_ids}
    day_bodies = {d: [(_body(d, b), b[-1]["seq"], len(b)) for b in day_batches[d]] for d in device_ids}
    steady_bodies = {d: [(_body(d, b), b[-1]["seq"], len(b)) for b in steady_batches[d]] for d in device_ids}
    gen_s = time.perf_counter() - t0
    rounds = [[(d, day_batches[d][k]) for d in device_ids] for k in range(DAY_EVENTS // BATCH)]

    base = Path(tempfile.mkdtemp(prefix="qode-bench-hub-"))
    server: BenchServer | None = None
    raw: dict = {}
    try:
        _progress("baseline: raw SQLite INSERTs")
        raw["insert"] = raw_insert(base / "raw-insert", device_ids, rounds)
        _progress("baseline: hub.ingest() in-process")
        raw["ingest"] = raw_ingest(base / "raw-ingest", device_ids, rounds)
        _progress("baseline: parse and validate")
        raw["parse"] = raw_parse([body for d in device_ids for body, _, _ in day_bodies[d]])

        admin = "bench-admin-" + secrets.token_urlsafe(24)
        data_dir = base / "hub"
        command = [sys.executable, "-m", "qode.cli", "serve", "--hub", "--host", HOST, "--port", str(port),
                   "--data-dir", str(data_dir)]
        server = BenchServer(data_dir, port, admin, command)
        _progress("starting qode serve --hub")
        with _Env(QODE_TIMEZONE="UTC", QODE_AUTH_RATE_LIMIT="off", QODE_HUB_MAX_BATCH="1000"):
            server.start()
        keys = []
        for device_id in device_ids:
            status, body = _http(port, "POST", "/api/hub/sites", {"device_id": device_id, "name": device_id},
                                 {"Authorization": f"Bearer {admin}"})
            if status != 201:
                raise RuntimeError(f"registering {device_id} answered {status}: {body}")
            keys.append(body["key"])
        _progress(f"day ingest: {SITES} pushers, {SITES * DAY_EVENTS:,} events")
        day_result = push_all(port, keys, [day_bodies[d] for d in device_ids], server.worker_pid)
        _progress(f"steady sync: {SITES} pushers x {STEADY_BATCHES} small batches")
        steady_result = push_all(port, keys, [steady_bodies[d] for d in device_ids], server.worker_pid)
        _progress("checking what the hub holds")
        sites_ms = check_hub(port, admin, data_dir / "hub.db", device_ids, total)
    except (RuntimeError, OSError, ValueError) as err:
        print(f"qode bench hub: {err}", file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(base, ignore_errors=True)
    _print_report(day_result, steady_result, raw, sites_ms, gen_s)
    return 0
