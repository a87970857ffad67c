"""The REST contract (docs/architecture.md). Routes parse, call one rule, and answer.

Every route is declared with `operation`, which also feeds the OpenAPI
document, so the document cannot drift from what is served.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

from flask import Blueprint, Response, current_app, request
from flask_limiter.util import get_remote_address
from limits import RateLimitItem
from limits import parse as parse_limit
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter
from pydantic import BaseModel, ValidationError

from . import auth, budgets, idempotency, printing, proxy, queues, schemas, tickets, tls
from .db import Database
from .errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    QodeError,
    RateLimited,
    Unauthorized,
    UnsupportedMediaType,
)

bp = Blueprint("api", __name__)


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    auth: str  # "none", "admin", "host", "optional" (anyone, or a kiosk/host credential)
    body: type[BaseModel] | None
    responses: dict[int, type[BaseModel] | None]
    query: list[dict] = field(default_factory=list)
    idempotent: bool = False


OPERATIONS: list[Operation] = []


def operation(method: str, path: str, summary: str, *, auth: str = "none", body=None,
              responses=None, query=None, idempotent=False) -> Callable:
    def register(view: Callable) -> Callable:
        op = Operation(method, path, summary, auth, body, responses or {200: None}, query or [],
                       idempotent)
        OPERATIONS.append(op)
        rule = path.replace("{", "<").replace("}", ">")
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=view, methods=[method])
        return view

    return register


# ---- helpers ---------------------------------------------------------------

def db() -> Database:
    return current_app.extensions["qode_db"]


def admin_hash() -> str:
    return current_app.config["ADMIN_TOKEN_HASH"]


def public_url() -> str:
    return current_app.config.get("PUBLIC_URL") or request.host_url.rstrip("/")


def print_max_age() -> int:
    return current_app.config["PRINT_JOB_MAX_AGE"]


def hub():
    return current_app.extensions["qode_live"].hub


def answer(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body, separators=(",", ":")), status, mimetype="application/json")


def _explain(err: ValidationError) -> str:
    parts = []
    for item in err.errors()[:3]:
        where = ".".join(str(x) for x in item["loc"]) or "body"
        message = "is not a known field" if item["type"] == "extra_forbidden" else item["msg"]
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def _not_json(name: str):
    raise ValueError(f"{name} is not JSON")  # Python's json would take NaN and Infinity


def body_after_auth(cap: int | None, too_big: QodeError) -> bytes:
    """The body of a request whose view checked its credential first (serving.AUTH_FIRST: the
    logo, the hub's batches): read only now, at most `cap` bytes (`too_big` past them, or before a
    byte is read when its declared length is). Under `qode serve` it comes through
    `qode.read_body`, within QODE_BODY_TIMEOUT (408 past it)."""
    from werkzeug.exceptions import RequestEntityTooLarge

    if cap is not None and (request.content_length or 0) > cap:
        raise too_big
    read_body = request.environ.get("qode.read_body")
    if read_body is not None:
        data = read_body(cap)  # at most cap + 1 bytes
        if cap is not None and len(data) > cap:
            raise too_big
        return data
    request.max_content_length = cap if cap is not None else 2**31
    try:
        return request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise too_big from None


def read_json(raw: bytes | None = None) -> dict:
    """The request body (or `raw`, a body read already) as a JSON object; an empty body counts as {}."""
    raw = request.get_data(cache=True) if raw is None else raw
    data: object = {}
    if raw.strip():
        if not request.is_json:
            raise UnsupportedMediaType("Send the body as JSON (Content-Type: application/json).")
        try:
            data = json.loads(raw, parse_constant=_not_json)
        except (ValueError, UnicodeDecodeError, RecursionError):  # Recursion: nested too deep
            raise QodeError("The body is not valid JSON.", "invalid_json") from None
    if not isinstance(data, dict):
        raise Invalid("The body must be a JSON object.", "invalid_body")
    return data


def parse(model: type[BaseModel], data: dict | None = None) -> BaseModel:
    """The request body (or `data`, already read) as `model`."""
    if data is None:
        data = read_json()
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise Invalid(_explain(err), "invalid_body") from None


def write(principal: auth.Principal | None, action: Callable[[], tuple[int, dict]]) -> Response:
    """Run a write; with an Idempotency-Key and a credential, at most once per key."""
    key = request.headers.get("Idempotency-Key")
    if key is None or principal is None:
        status, body = action()
        return answer(body, status)
    idempotency.check_key(key)
    status, body, replayed = idempotency.run_once(
        db(), principal.credential, key,
        idempotency.fingerprint(request.method, request.path, request.get_data(cache=True)),
        action,
    )
    response = answer(body, status)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def init_limits(app) -> None:
    """The rate limits' counters, when any limit is on: fixed windows in memory (one worker), as
    Flask-Limiter kept them, without its hooks on every request (issue 17: they cost about a tenth
    of a status read, for limits that are all counted by hand, by `spend` and `guarded`)."""
    enabled = any(app.config.get(name) for name in ("JOIN_RATE_LIMIT", "AUTH_RATE_LIMIT", "VOICE_RATE_LIMIT",
                                                     "SMS_PHONE_RATE_LIMIT", "LATE_RATE_LIMIT",
                                                     "LATE_QUEUE_RATE_LIMIT"))
    app.extensions["qode_limiter"] = FixedWindowRateLimiter(MemoryStorage()) if enabled else None


def _limiter() -> FixedWindowRateLimiter:
    return current_app.extensions["qode_limiter"]


@lru_cache(maxsize=16)
def _item(text: str) -> RateLimitItem:
    return parse_limit(text)


def _refuse(item: RateLimitItem, scope: str, key: str) -> RateLimited:
    strategy = _limiter()
    reset = strategy.get_window_stats(item, scope, key).reset_time
    return RateLimited(max(1, math.ceil(reset - time.time())))


def spend(setting: str, scope: str, key: str) -> None:
    """Count one request against the limit `setting` for `key`: 429 once it is used up."""
    text = current_app.config[setting]
    if text is None:
        return
    item = _item(text)
    if not _limiter().hit(item, scope, key):
        raise _refuse(item, scope, key)


def used_up(setting: str, scope: str, key: str) -> bool:
    """Is the limit `setting` for `key` used up (asked without spending any of it)?"""
    text = current_app.config[setting]
    return text is not None and not _limiter().test(_item(text), scope, key)


def guarded(check: Callable[[], auth.Principal | None], anonymous_ok: bool = False) -> auth.Principal | None:
    """Run a credential check; failures count per IP, and past the limit even valid ones wait.

    Only a credential that names nothing (401) is a failure: a 403 comes with a real token asking
    for something outside its role or services, which guesses nothing, and counting it would let a
    staff page that asks about a service it lacks lock the whole desk (and its NAT) out.
    With `anonymous_ok`, a request that brings no credential at all is not a login attempt: a guest
    who shares an address (a venue's NAT) with someone guessing tokens can still join.
    """
    text = current_app.config["AUTH_RATE_LIMIT"]
    if text is None or (anonymous_ok and "Authorization" not in request.headers):
        return check()
    item, ip = _item(text), get_remote_address()
    strategy = _limiter()
    if not strategy.test(item, "failed_auth", ip):
        raise _refuse(item, "failed_auth", ip)
    try:
        return check()
    except Unauthorized:
        strategy.hit(item, "failed_auth", ip)
        raise


def auth_blocked() -> bool:
    """Has this IP used up its failed-credential allowance? (for sockets, which cannot 429)"""
    return used_up("AUTH_RATE_LIMIT", "failed_auth", get_remote_address())


def count_auth_failure() -> None:
    text = current_app.config["AUTH_RATE_LIMIT"]
    if text is not None:
        _limiter().hit(_item(text), "failed_auth", get_remote_address())


REFUSAL_CODES = ("queue_full", "too_many_tickets", "rate_limited")


@contextmanager
def refusals_counted(queue_id: str):
    """Count a join a cap refused (in memory, no write) and let the host channel show it."""
    try:
        yield
    except QodeError as err:
        if err.code in REFUSAL_CODES:
            tickets.refusals(db()).add(queue_id, db().clock.service_day(), err.code)
            current_app.extensions["qode_live"].note_refused(queue_id)
        raise


def host_of_ticket(ticket_id: str) -> auth.Principal:
    auth.bearer_hash()  # no or malformed credential: 401 before the ticket is looked up
    return auth.require_host(db(), admin_hash(), tickets.queue_of(db(), ticket_id))


# ---- routes ----------------------------------------------------------------

@operation("GET", "/healthz", "Liveness and database check",
           responses={200: schemas.Health, 503: schemas.Health})
def healthz():
    """Answers 200 only when the database reads and can take a write; 503 names what is wrong."""
    storage = None
    try:
        with db().read() as conn:
            conn.execute("SELECT 1 FROM queues LIMIT 1").fetchall()
        storage = db().storage()
        state = "ok" if storage["ok"] else "error"
    except Exception:  # noqa: BLE001 - any database fault means "degraded", never a 500
        current_app.logger.exception("health check: database error")
        state = "error"
    body = {"status": "ok" if state == "ok" else "degraded",
            "version": current_app.config["VERSION"], "db": state, "clock": db().clock.trust(),
            "public_url": public_url(), "first_boot": state == "ok" and queues.count(db()) == 0,
            "storage": storage_status(storage)}
    if state == "ok":
        from . import sync

        body["sync"] = sync.of(current_app).status()
    return answer(body, 200 if state == "ok" else 503)


def storage_status(storage: dict | None) -> dict:
    """What /healthz and the host dashboard say about saving: ok, or the reason and its message."""
    from .errors import STORAGE_MESSAGES

    if storage is None:
        return {"ok": False, "reason": "io_error", "message": STORAGE_MESSAGES["io_error"]}
    reason = storage["reason"]
    return {"ok": storage["ok"], "reason": reason, "message": STORAGE_MESSAGES.get(reason) if reason else None,
            "free_bytes": storage["free_bytes"]}


@operation("POST", "/api/clock", "Give the box the tablet's time when its own clock is not set (host)",
           auth="host", body=schemas.ClockSet, responses={200: schemas.ClockOut})
def set_clock():
    from datetime import datetime, timedelta

    from .clock import EARLIEST_TRUSTED_YEAR, iso

    guarded(lambda: auth.require_any_host(db(), admin_hash()))
    req = parse(schemas.ClockSet)
    wall = datetime.fromisoformat(req.now)
    clock = db().clock
    trust = clock.trust()
    applied = not trust["trusted"] or trust["source"] == "host"  # a synchronised clock stays
    if applied:
        with db().read() as conn:  # the newest time recorded by a clock that could have been right
            newest = conn.execute("SELECT MAX(created_at) FROM events WHERE created_at >= ?",
                                  (f"{EARLIEST_TRUSTED_YEAR}",)).fetchone()[0]
        if newest is not None:
            recorded = datetime.fromisoformat(newest.replace("Z", "+00:00"))
            if wall < recorded - timedelta(days=1):
                raise Invalid(f"That time is before what this box already recorded ({newest}); "
                              "check the tablet's date.", "implausible_time")
            if wall > recorded + timedelta(days=400):
                raise Invalid(f"That time is more than a year after the last thing this box recorded "
                              f"({newest}); check the tablet's date.", "implausible_time")
        before = clock.fix
        try:
            with db().write() as conn:  # a worker restart within this boot keeps the correction
                wrong_day = clock.service_day()
                clock.set_from_host(wall)
                boot, mono, fixed = clock.fix
                queues.carry_day(db(), conn, wrong_day, clock.service_day())
                conn.execute(
                    "INSERT INTO clock_fix (id, boot_id, mono, wall, set_at) VALUES (1, ?, ?, ?, ?)"
                    " ON CONFLICT (id) DO UPDATE SET boot_id = excluded.boot_id, mono = excluded.mono,"
                    " wall = excluded.wall, set_at = excluded.set_at", (boot, mono, iso(fixed), iso(fixed)),
                )
        except BaseException:
            clock.fix = before  # nothing was recorded: the clock stays as it was
            raise
    now = clock.now()
    return answer({"applied": applied, "now": iso(now), "service_day": clock.service_day(now),
                   "clock": clock.trust()})


@operation("GET", "/api/openapi.json", "This document", responses={200: None})
def openapi_document():
    from .openapi import document

    return answer(document(OPERATIONS, current_app.config["VERSION"]))


@operation("POST", "/api/queues", "Create a queue (admin)", auth="admin", body=schemas.QueueCreate,
           responses={201: schemas.QueueCreated})
def create_queue():
    guarded(lambda: auth.require_admin(db(), admin_hash()))
    req = parse(schemas.QueueCreate)
    queue, token = queues.create_queue(
        db(), req.name, req.prefix, current_app.config["DEFAULT_CYCLE"],
        {"transfer_placement": req.transfer_placement, "priority_on_join": req.priority_on_join,
         "nearly_up": req.nearly_up},
    )
    host_url = f"{tls.staff_url()}/host/{queue['id']}#token={token}"
    return answer({**queue, "host_token": token, "host_url": host_url}, 201)


@operation("GET", "/api/queues", "Every queue on the box (admin)", auth="admin",
           responses={200: schemas.QueueList})
def list_queues():
    guarded(lambda: auth.require_admin(db(), admin_hash()))
    return answer({"queues": queues.list_all(db())})


@operation("GET", "/api/queues/{queue_id}", "Public state of a queue",
           responses={200: schemas.QueueOut})
def get_queue(queue_id: str):
    return answer(queues.get(db(), queues.parse_id(queue_id, "queue")))


@operation("PATCH", "/api/queues/{queue_id}", "Rename, pause or resume, open or close",
           auth="host", body=schemas.QueuePatch, responses={200: schemas.QueueOut}, idempotent=True)
def patch_queue(queue_id: str):
    queue_id = queues.parse_id(queue_id, "queue")
    principal = guarded(lambda: auth.require_host(db(), admin_hash(), queue_id, "manager"))
    req = parse(schemas.QueuePatch)
    changes = req.model_dump(exclude_none=True)
    if req.back_in_minutes is not None and req.is_paused is not True:
        raise Invalid("back_in_minutes goes with is_paused: true.", "invalid_body")
    if not changes:
        raise Invalid("Send at least one of name, active, is_paused, grace_period, eta_margin, "
                      "transfer_placement, priority_on_join, sort_order or nearly_up.", "invalid_body")
    return write(principal, lambda: (200, queues.update_queue(db(), queue_id, changes)))


@operation("POST", "/api/queues/{queue_id}/rotate-token",
           "Replace the host token (the answer is the only copy)", auth="host",
           body=schemas.EmptyBody, responses={200: schemas.HostToken})
def rotate_token(queue_id: str):
    queue_id = queues.parse_id(queue_id, "queue")
    guarded(lambda: auth.require_host(db(), admin_hash(), queue_id, "manager"))
    parse(schemas.EmptyBody)
    token, token_id = queues.rotate_host_token(db(), queue_id)
    closer = current_app.extensions.get("qode_token_sockets")
    if closer is not None and token_id is not None:
        closer.close(token_id)  # the old token's live host sockets end with it (they carry ticket ids)
    # Not replayed by Idempotency-Key: that would store the token, which is never stored.
    return answer({"host_token": token, "host_url": f"{tls.staff_url()}/host/{queue_id}#token={token}"})


@operation("POST", "/api/queues/{queue_id}/tickets", "Take a ticket", auth="optional",
           body=schemas.JoinRequest, responses={201: schemas.TicketOut, 200: schemas.TicketOut},
           idempotent=True)
def join(queue_id: str):
    queue_id = queues.parse_id(queue_id, "queue")
    principal = guarded(lambda: auth.optional_issuer(db(), admin_hash(), queue_id), anonymous_ok=True)
    req = parse(schemas.JoinRequest)
    created_only = None
    if principal is None:
        if req.device_token is None:
            raise Invalid("device_token: Field required", "invalid_body")
        ip, device = get_remote_address(), req.device_token

        def created_only() -> None:
            """A guest reloading the page gets their ticket back and is never limited for it: the
            join limits are spent inside the write, once it has found no ticket this phone holds
            (issue 17: one lookup, in the write, instead of a read of its own before it as well).
            Creations count; kiosks and hosts issue for many guests from one address and are not."""
            spend("JOIN_RATE_LIMIT", "join_ip", ip)
            spend("JOIN_RATE_LIMIT", "join_device", device)

        if used_up("JOIN_RATE_LIMIT", "join_ip", ip) or used_up("JOIN_RATE_LIMIT", "join_device", device):
            # Used up: a flood is refused here, and a reload answered, without a turn at the writer.
            held = tickets.held_by(db(), queue_id, device)
            if held is not None:
                return answer(held, 200)
            with refusals_counted(queue_id):
                created_only()
            created_only = None  # not refused after all (the window turned meanwhile): paid for
    source = principal.source if principal else "web"
    kiosk_id = principal.device_id if principal and principal.kind == "kiosk" else None
    # Read before the write transaction: finding out may ask timedatectl, which must not hold the writer.
    trusted = db().clock.trust()["trusted"] if kiosk_id else False
    # Kiosks and hosts issue for many guests from one place: only the line's own cap applies to them.
    config = current_app.config
    caps = tickets.Caps(queue=config["QUEUE_MAX_ACTIVE"])
    address = None
    if principal is None:
        caps = tickets.Caps(config["QUEUE_MAX_ACTIVE"], config["MAX_ACTIVE_PER_ADDRESS"],
                            config["MAX_ACTIVE_PER_DEVICE"])
        # The box itself (its own browser, a demo) is no guest's address: budgets.counted_address.
        address = budgets.counted_address(get_remote_address())

    def action() -> tuple[int, dict]:
        with refusals_counted(queue_id):
            ticket, created = tickets.issue_ticket(
                db(), queue_id, req.device_token, source,
                printing.on_issue(db(), kiosk_id) if kiosk_id else None, address=address, caps=caps,
                before_new=created_only,
                # issue 15: a host or a kiosk of the service may issue priority; a guest only where offered
                priority=req.priority, priority_ok=principal is not None)
        job = ticket.pop("print_job", None)
        if job is not None:
            # The kiosk prints from this answer at once; its device channel carries the same job.
            ticket["print_job"] = printing.job_message(db(), job, print_max_age(), public_url(), ticket,
                                                       queues.load_name(db(), queue_id), trusted)
        return (201 if created else 200), ticket

    return write(principal, action)


@operation("POST", "/api/queues/{queue_id}/cancel-waiting",
           "Cancel every waiting ticket, or those of one source joined after a time, in one go (host)",
           auth="host", body=schemas.CancelWaiting, responses={200: schemas.BulkCancelOut}, idempotent=True)
def cancel_waiting(queue_id: str):
    queue_id = queues.parse_id(queue_id, "queue")
    principal = guarded(lambda: auth.require_host(db(), admin_hash(), queue_id, "manager"))
    req = parse(schemas.CancelWaiting)
    after = None
    if req.joined_after is not None:
        from datetime import datetime

        from .clock import iso

        after = iso(datetime.fromisoformat(req.joined_after))  # the stored format: comparable as text
    return write(principal, lambda: (200, tickets.cancel_waiting(db(), queue_id, req.source, after)))


@operation("POST", "/api/queues/{queue_id}/close-and-clear",
           "End of the day: close the line and cancel everyone still waiting, in one go (host)",
           auth="host", body=schemas.EmptyBody, responses={200: schemas.BulkCancelOut}, idempotent=True)
def close_and_clear(queue_id: str):
    queue_id = queues.parse_id(queue_id, "queue")
    principal = guarded(lambda: auth.require_host(db(), admin_hash(), queue_id, "manager"))
    parse(schemas.EmptyBody)
    return write(principal, lambda: (200, tickets.cancel_waiting(db(), queue_id, close=True)))


@operation("GET", "/api/queues/{queue_id}/tickets",
           "The service day's tickets (host), in number order; `order=call`: the waiting ones in call order",
           auth="host", responses={200: schemas.TicketList},
           query=[{"name": "status", "in": "query", "required": False,
                   "schema": {"type": "string", "enum": list(schemas.STATUSES)}},
                  {"name": "order", "in": "query", "required": False,
                   "schema": {"type": "string", "enum": ["number", "call"]}}])
def list_tickets(queue_id: str):
    queue_id = queues.parse_id(queue_id, "queue")
    guarded(lambda: auth.require_host(db(), admin_hash(), queue_id))
    status = request.args.get("status")
    if status is not None and status not in schemas.STATUSES:
        raise Invalid(f"status must be one of {', '.join(schemas.STATUSES)}.", "invalid_query")
    order = request.args.get("order")
    if order is not None and order not in ("number", "call"):
        raise Invalid("order must be number or call.", "invalid_query")
    if order == "call" and status not in (None, "WAITING"):
        raise Invalid("order=call lists the waiting tickets: leave status out (or WAITING).", "invalid_query")
    return answer({"tickets": tickets.list_tickets(db(), queue_id, status, order)})


@operation("POST", "/api/queues/{queue_id}/call-next",
           "Call the next waiting guest; first ends the counter's current ticket (named in `ended`)",
           auth="host", body=schemas.CallNextRequest, responses={200: schemas.CalledTicketOut},
           idempotent=True)
def call_next(queue_id: str):
    queue_id = queues.parse_id(queue_id, "queue")
    principal = guarded(lambda: auth.require_host(db(), admin_hash(), queue_id))
    req = parse(schemas.CallNextRequest)
    if req.counter is not None and req.counter_id is not None:
        raise Invalid("Send counter (a name) or counter_id, not both.", "invalid_body")
    counter_id = None if req.counter_id is None else queues.parse_id(req.counter_id, "counter")
    return write(principal, lambda: (200, tickets.call_next(db(), queue_id, req.counter, counter_id,
                                                            _scope_check(principal))))


@operation("POST", "/api/queues/{queue_id}/counters", "Open or close a counter", auth="host",
           body=schemas.CounterUpdate, responses={200: schemas.QueueOut}, idempotent=True)
def set_counter(queue_id: str):
    queue_id = queues.parse_id(queue_id, "queue")
    principal = guarded(lambda: auth.require_host(db(), admin_hash(), queue_id))
    req = parse(schemas.CounterUpdate)
    if req.back_in_minutes is not None and req.open:
        raise Invalid("back_in_minutes goes with open: false.", "invalid_body")
    return write(principal, lambda: (200, queues.set_counter(db(), queue_id, req.counter, req.open,
                                                             req.back_in_minutes, _scope_check(principal))))


@operation("POST", "/api/queues/{queue_id}/devices",
           "Register a kiosk or display (the answer holds its only token copy)", auth="host",
           body=schemas.DeviceCreate, responses={201: schemas.DeviceCreated})
def add_device(queue_id: str):
    queue_id = queues.parse_id(queue_id, "queue")
    principal = guarded(lambda: auth.require_host(db(), admin_hash(), queue_id, "manager"))
    req = parse(schemas.DeviceCreate)
    return answer(queues.add_device(db(), queue_id, req.kind, req.name, req.services, _scope_check(principal)),
                  201)


@operation("GET", "/api/queues/{queue_id}/devices", "The line's kiosks and displays, with printer status",
           auth="host", responses={200: schemas.DeviceList})
def list_devices(queue_id: str):
    queue_id = queues.parse_id(queue_id, "queue")
    guarded(lambda: auth.require_host(db(), admin_hash(), queue_id))
    queues.get(db(), queue_id)
    return answer({"devices": printing.list_devices(db(), queue_id, hub())})


@operation("PATCH", "/api/queues/{queue_id}/devices/{device_id}",
           "Rename a kiosk or display or change the services it covers; its token stays (manager)",
           auth="host", body=schemas.DeviceUpdate, responses={200: schemas.DeviceOut}, idempotent=True)
def update_device(queue_id: str, device_id: str):
    queue_id = queues.parse_id(queue_id, "queue")
    principal = guarded(lambda: auth.require_host(db(), admin_hash(), queue_id, "manager"))
    device_id = queues.parse_id(device_id, "device")
    req = parse(schemas.DeviceUpdate)

    def change() -> tuple[int, dict]:
        row = queues.update_device(db(), queue_id, device_id, req.name, req.services, _scope_check(principal))
        return 200, printing.with_services(row, queues.device_services(db(), device_id), hub())

    return write(principal, change)


@operation("PUT", "/api/queues/{queue_id}/devices/{device_id}/voice",
           "Turn a display's spoken calls on or off (issue 16; staff or manager); the display hears it at once",
           auth="host", body=schemas.DeviceVoice, responses={200: schemas.DeviceOut})
def set_device_voice(queue_id: str, device_id: str):
    queue_id = queues.parse_id(queue_id, "queue")
    principal = guarded(lambda: auth.require_host(db(), admin_hash(), queue_id))
    device_id = queues.parse_id(device_id, "device")
    req = parse(schemas.DeviceVoice)
    row = queues.set_device_voice(db(), queue_id, device_id, req.on, _scope_check(principal))
    view = printing.with_services(row, queues.device_services(db(), device_id), hub())
    # The display's own channel (docs/live.md, `device`): it follows the switch from its next call.
    # What goes out is the device as committed now, read and sent with nothing in between: two hosts
    # switching one TV at once may wake in either order, and the later message must be the last switch.
    now = printing.device_view(queues.get_device(db(), device_id), True)
    hub().publish(f"device:{queue_id}:{device_id}", {"type": "device", "device": device_message(now)})
    return answer(view)


def device_message(view: dict) -> dict:
    """What a device's own channel says about it (its snapshot's `device`, and `device` messages)."""
    return {"id": view["id"], "kind": view["kind"], "name": view["name"], "voice": view["voice"]}


@operation("POST", "/api/queues/{queue_id}/devices/{device_id}/voice/test",
           "Make a display say the sample announcement now, to test its sound (issue 16; staff or manager)",
           auth="host", responses={202: schemas.VoiceTestSent})
def test_device_voice(queue_id: str, device_id: str):
    queue_id = queues.parse_id(queue_id, "queue")
    principal = guarded(lambda: auth.require_host(db(), admin_hash(), queue_id))
    device_id = queues.parse_id(device_id, "device")
    device = queues.get_device(db(), device_id)
    if device is None or device["queue_id"] != queue_id or device.get("revoked_at"):
        raise NotFound("No device of this line with that id.", "device_not_found")
    if device["kind"] != "display":
        raise Conflict("Only a display speaks the calls; this device is a kiosk.", "not_a_display")
    _scope_check(principal)([s["id"] for s in queues.device_services(db(), device_id)])
    if not current_app.config["VOICE"]:
        raise NotFound("Voice is turned off on this box (QODE_VOICE=off).", "voice_off")
    spend("VOICE_TEST_RATE_LIMIT", "voice_test", device_id)
    channel = f"device:{queue_id}:{device_id}"
    if not hub().count(channel):
        raise Conflict("This display is not connected: open its link (with its token) on the TV, then test.",
                       "display_offline")
    sent = hub().publish(channel, {"type": "voice_test"})
    return answer({"device_id": device_id, "sent": sent}, 202)


@operation("DELETE", "/api/queues/{queue_id}/devices/{device_id}",
           "Revoke a kiosk or display: its token stops working at once and its live sockets close",
           auth="host", responses={200: schemas.DeviceRevoked})
def revoke_device(queue_id: str, device_id: str):
    queue_id = queues.parse_id(queue_id, "queue")
    guarded(lambda: auth.require_host(db(), admin_hash(), queue_id, "manager"))
    queues.get(db(), queue_id)
    device_id = queues.parse_id(device_id, "device")
    revoked = printing.revoke_device(db(), queue_id, device_id)
    hub().close_channel(f"device:{queue_id}:{device_id}")
    return answer(revoked)


def the_device(kinds: tuple[str, ...] = ("kiosk", "display")) -> auth.Principal | None:
    return guarded(lambda: auth.require_device(db(), admin_hash(), kinds))


@operation("GET", "/api/device", "The calling kiosk or display: its id, line and printer status",
           auth="device", responses={200: schemas.DeviceSelf})
def device_self():
    principal = the_device()
    device = queues.get_device(db(), principal.device_id)
    view = printing.device_view(device, bool(hub().count(f"device:{device['queue_id']}:{device['id']}")))
    return answer({**view, "queue_id": device["queue_id"],
                   "queue_name": queues.load_name(db(), device["queue_id"]),
                   "services": queues.device_services(db(), device["id"])})


@operation("POST", "/api/device/status", "A kiosk reports its printer (the host dashboard shows it)",
           auth="device", body=schemas.DeviceStatus, responses={200: schemas.DeviceSelf})
def device_status():
    principal = the_device(("kiosk",))
    req = parse(schemas.DeviceStatus)
    device = queues.get_device(db(), principal.device_id)
    printing.report_status(db(), device, req.printer, req.detail, req.error)
    return device_self()


@operation("POST", "/api/device/jobs/{job_id}", "A kiosk acknowledges a print job: done or failed",
           auth="device", body=schemas.JobAck, responses={200: schemas.PrintJobOut})
def ack_job(job_id: str):
    principal = the_device(("kiosk",))
    job_id = queues.parse_id(job_id, "job")
    req = parse(schemas.JobAck)
    return answer(printing.finish(db(), principal.device_id, job_id, req.result, req.error, print_max_age()))


@operation("GET", "/api/device/jobs/{job_id}",
           "A kiosk's own print job and its printer, for its touch page to tell the guest", auth="device",
           responses={200: schemas.PrintJobState})
def job_state(job_id: str):
    principal = the_device(("kiosk",))
    job_id = queues.parse_id(job_id, "job")
    device = queues.get_device(db(), principal.device_id)
    connected = bool(hub().count(f"device:{device['queue_id']}:{device['id']}"))
    return answer(printing.job_state(db(), device["id"], job_id, print_max_age(), connected))


@operation("POST", "/api/tickets/{ticket_id}/reprint", "Print a ticket again on a kiosk (host)",
           auth="host", body=schemas.ReprintRequest, responses={201: schemas.PrintJobOut}, idempotent=True)
def reprint(ticket_id: str):
    ticket_id = queues.parse_id(ticket_id, "ticket")
    principal = guarded(lambda: host_of_ticket(ticket_id))
    req = parse(schemas.ReprintRequest)
    device_id = None if req.device_id is None else queues.parse_id(req.device_id, "device")
    return write(principal, lambda: (201, printing.reprint(db(), ticket_id, device_id, print_max_age(),
                                                           _scope_check(principal))))


def qr_svg(url: str) -> Response:
    """`url` as a QR code in SVG (rendered on the box: the pages never fetch anything from outside)."""
    return Response(_qr(url), mimetype="image/svg+xml")


def _qr(url: str) -> bytes:
    import io

    import qrcode
    import qrcode.image.svg

    out = io.BytesIO()
    qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, border=2).save(out)
    return out.getvalue()


@operation("GET", "/api/queues/{queue_id}/join-qr.svg", "QR code of the queue's join page (SVG)",
           responses={200: "image/svg+xml"})
def join_qr(queue_id: str):
    queue = queues.get(db(), queues.parse_id(queue_id, "queue"))
    return qr_svg(f"{public_url()}/join/{queue['id']}")


@operation("POST", "/api/qr", "A QR code of a link to this box, as SVG text in JSON (host or admin)",
           auth="host", body=schemas.QrRequest, responses={200: schemas.QrOut})
def link_qr():
    guarded(lambda: auth.require_any_host(db(), admin_hash()))
    req = parse(schemas.QrRequest)
    if not any(req.url.startswith(base + "/") for base in (public_url(), tls.staff_url())):
        # Only links to this box's pages: the box is not a QR service for anything else.
        raise Invalid(f"Only links to this box ({public_url()}/… or {tls.staff_url()}/…) are drawn.",
                      "invalid_body")
    return answer({"svg": _qr(req.url).decode()})


@operation("GET", "/api/tickets/{ticket_id}/qr.svg", "QR code of a ticket's guest page (SVG, holder of the id)",
           responses={200: "image/svg+xml"})
def ticket_qr(ticket_id: str):
    ticket = tickets.get(db(), queues.parse_id(ticket_id, "ticket"))
    return qr_svg(f"{public_url()}/t/{ticket['id']}")


@operation("GET", "/api/tickets/{ticket_id}", "A ticket's status (holder of the id)",
           responses={200: schemas.TicketOut})
def get_ticket(ticket_id: str):
    return answer(tickets.get(db(), queues.parse_id(ticket_id, "ticket")))


@operation("POST", "/api/tickets/{ticket_id}/cancel", "Cancel (holder of the id, or host)",
           auth="holder", body=schemas.EmptyBody, responses={200: schemas.TicketOut},
           idempotent=True)
def cancel_ticket(ticket_id: str):
    ticket_id = queues.parse_id(ticket_id, "ticket")
    principal = None
    if "Authorization" in request.headers:
        principal = guarded(lambda: host_of_ticket(ticket_id))
    parse(schemas.EmptyBody)
    by = "host" if principal else "guest"
    allowed = _scope_check(principal) if principal else None
    return write(principal, lambda: (200, tickets.move(db(), ticket_id, "cancel", by, allowed)))


@operation("POST", "/api/tickets/{ticket_id}/late",
           "I'm running late: a waiting guest moves back a few places (holder of the id; issue 16)",
           auth="holder", body=schemas.LateRequest, responses={200: schemas.TicketOut})
def ticket_late(ticket_id: str):
    ticket_id = queues.parse_id(ticket_id, "ticket")
    req = parse(schemas.LateRequest)
    queue_id = tickets.queue_of(db(), ticket_id)  # 404 before anything is counted
    spend("LATE_RATE_LIMIT", "late_ip", get_remote_address())
    spend("LATE_QUEUE_RATE_LIMIT", "late_queue", queue_id)
    return answer(tickets.running_late(db(), ticket_id, req.use))


def _host_move(name: str, body: type[BaseModel]) -> None:
    def view(ticket_id: str):
        ticket_id = queues.parse_id(ticket_id, "ticket")
        principal = guarded(lambda: host_of_ticket(ticket_id))
        req = parse(body)
        if name == "recall":
            return write(principal, lambda: (200, tickets.recall(db(), ticket_id, req.counter,
                                                                 _scope_check(principal))))
        return write(principal, lambda: (200, tickets.move(db(), ticket_id, name,
                                                           allowed=_scope_check(principal))))

    view.__name__ = view.__qualname__ = f"ticket_{name.replace('-', '_')}"
    # Calling or serving at a counter ends what the counter still held: the answer says so in `ended`.
    at_counter = name in ("recall", "serve")
    summary = f"Lifecycle move: {name}"
    if at_counter:
        summary += "; first ends the counter's other ticket (`ended`)"
    answer = schemas.CalledTicketOut if at_counter else schemas.TicketOut
    operation("POST", f"/api/tickets/{{ticket_id}}/{name}", summary, auth="host", body=body,
              responses={200: answer}, idempotent=True)(view)


for _name in ("serve", "complete", "no-show", "requeue"):
    _host_move(_name, schemas.EmptyBody)
_host_move("recall", schemas.RecallRequest)


# ---- issue 15: calls and transfers (docs/services.md, section 5) ------------------------

@operation("POST", "/api/tickets/{ticket_id}/transfer",
           "Send a waiting, called or serving ticket to another service: same id, number and page (host)",
           auth="host", body=schemas.TransferRequest, responses={200: schemas.TicketOut}, idempotent=True)
def transfer_ticket(ticket_id: str):
    ticket_id = queues.parse_id(ticket_id, "ticket")
    principal = guarded(lambda: host_of_ticket(ticket_id))
    req = parse(schemas.TransferRequest)
    to = queues.parse_id(req.queue_id, "service")
    return write(principal, lambda: (200, tickets.transfer(db(), ticket_id, to, req.placement,
                                                           _scope_check(principal))))


@operation("POST", "/api/counters/{counter_id}/call-next",
           "Call the next guest at a counter by its rule across its services; first ends the counter's ticket",
           auth="host", body=schemas.EmptyBody, responses={200: schemas.CalledTicketOut}, idempotent=True)
def counter_call_next(counter_id: str):
    guarded(lambda: auth.require_any_host(db(), admin_hash()))  # 401/403 before anything is looked up
    parse(schemas.EmptyBody)
    counter_id = queues.parse_id(counter_id, "counter")
    principal = guarded(lambda: host_of_counter(counter_id))
    return write(principal, lambda: (200, tickets.counter_call_next(db(), counter_id, _scope_check(principal))))


def host_of_counter(counter_id: str) -> auth.Principal:
    """A host whose credential covers every service the counter serves (or the admin)."""
    principal = auth.require_any_host(db(), admin_hash())
    with db().read() as conn:
        services = tickets.counter_by_id(conn, counter_id)["services"]
    for queue_id in services:
        principal = auth.require_host(db(), admin_hash(), queue_id)
    return principal


@operation("POST", "/api/tickets/{ticket_id}/priority",
           "Give a waiting ticket priority, or take it away (host)",
           auth="host", body=schemas.PriorityRequest, responses={200: schemas.TicketOut}, idempotent=True)
def ticket_priority(ticket_id: str):
    ticket_id = queues.parse_id(ticket_id, "ticket")
    principal = guarded(lambda: host_of_ticket(ticket_id))
    req = parse(schemas.PriorityRequest)
    return write(principal, lambda: (200, tickets.set_priority(db(), ticket_id, req.priority,
                                                               _scope_check(principal))))


# ---- issue 16: grace (docs/services.md, section 14) ---------------------------------------

def returner_of_ticket(ticket_id: str) -> auth.Principal:
    """Who may put a no-show back: a host (or the admin) whose scope covers the ticket's service,
    or a kiosk serving that service (its scanner read the printed ticket). Anything else: 401/403."""
    token_hash = auth.bearer_hash()  # no or malformed credential: 401 before the ticket is looked up
    principal = auth.identify(db(), admin_hash(), token_hash)
    if principal is None:
        raise Unauthorized("That token is not valid.", "bad_credentials")
    if principal.kind == "kiosk":
        tickets.queue_of(db(), ticket_id)  # 404 for no such ticket; the scope is checked in the write
        return principal
    return auth.require_host(db(), admin_hash(), tickets.queue_of(db(), ticket_id))


def _kiosk_scope(principal: auth.Principal) -> Callable[[list[str]], None]:
    def allowed(service_ids: list[str]) -> None:
        if any(not principal.covers(queue_id) for queue_id in service_ids):
            raise Forbidden("That ticket is for a service this kiosk does not serve; please go to the desk.",
                            "service_not_in_scope")

    return allowed


@operation("POST", "/api/tickets/{ticket_id}/return",
           "Put a no-show back in line, once, within QODE_GRACE_MINUTES (host, or a kiosk of its service "
           "whose scanner read the ticket)", auth="host", body=schemas.EmptyBody,
           responses={200: schemas.TicketOut}, idempotent=True)
def return_ticket(ticket_id: str):
    ticket_id = queues.parse_id(ticket_id, "ticket")
    principal = guarded(lambda: returner_of_ticket(ticket_id))
    parse(schemas.EmptyBody)
    kiosk = principal.kind == "kiosk"
    allowed = _kiosk_scope(principal) if kiosk else _scope_check(principal)
    return write(principal, lambda: (200, tickets.return_ticket(db(), ticket_id, "kiosk" if kiosk else "host",
                                                                allowed)))


# ---- issue 11: tls ------------------------------------------------------------

@operation("GET", "/api/tls", "The staff (https) and guest (http) addresses, and whether a CA is offered",
           responses={200: schemas.TlsInfo})
def tls_info():
    return answer({"staff_url": tls.staff_url(), "public_url": public_url(),
                   "ca_url": "/ca.crt" if tls.ca_pem() is not None else None,
                   "staff_https": current_app.config["STAFF_HTTPS"]})


@operation("GET", "/ca.crt", "The box's CA certificate (PEM), for staff devices to install",
           responses={200: "application/x-x509-ca-cert", 404: None})
def ca_certificate():
    pem = tls.ca_pem()
    if pem is None:
        raise NotFound("This box has no certificate authority yet: install.sh sets up Caddy, which makes "
                       "one on its first start (then it is copied to QODE_TLS_CA_FILE).", "no_ca")
    return Response(pem, mimetype="application/x-x509-ca-cert", headers={
        "Content-Disposition": 'attachment; filename="qode-ca.crt"', "Cache-Control": "no-cache"})


@operation("GET", "/api/tls/ask", "Caddy asks whether to make a certificate for a name (the box's proxy only)",
           query=[{"name": "domain", "in": "query", "required": True, "schema": {"type": "string"}}],
           responses={200: None, 403: None, 404: None})
def tls_ask():
    if not proxy.is_trusted(request.environ.get("qode.peer"), current_app.config["TRUSTED_PROXIES"]):
        raise Forbidden("Only the box's own proxy asks this.")
    domain = request.args.get("domain", "")
    if not tls.may_certify(domain):
        raise NotFound("No certificate for that name: it is not one of this box's addresses.", "unknown_name")
    return answer({"domain": domain.lower()})


# ---- issue 14: brand -----------------------------------------------------------

def _data_dir():
    return current_app.config["DATA_DIR"]


@operation("GET", "/api/venue", "The venue's name, colours, footer, language and logo (anyone)",
           responses={200: schemas.VenueOut})
def get_venue():
    from . import venue

    return answer(venue.public(db(), _data_dir()))


@operation("PATCH", "/api/venue", "Set the venue's name, accent colour, footer or language (admin)",
           auth="admin", body=schemas.VenuePatch, responses={200: schemas.VenueOut})
def patch_venue():
    from . import venue

    guarded(lambda: auth.require_admin(db(), admin_hash()))
    req = parse(schemas.VenuePatch)
    changes = {name: getattr(req, name) for name in req.model_fields_set}
    if not changes:
        raise Invalid("Send at least one of name, accent, footer or language.", "invalid_body")
    return answer(venue.update(db(), changes))


@operation("PUT", "/api/venue/logo", "Upload the venue's logo: the raw PNG, JPEG, WebP or SVG file (admin)",
           auth="admin", body=("image/png", "image/jpeg", "image/webp", "image/svg+xml"),
           responses={200: schemas.VenueOut})
def put_venue_logo():
    from . import venue

    guarded(lambda: auth.require_admin(db(), admin_hash()))
    cap = current_app.config["MAX_LOGO_BYTES"]
    too_big = venue.TooLarge(f"The logo is larger than the {(cap or 0) // 1024} KB the box takes "
                             "(QODE_MAX_LOGO_BYTES). Save it smaller and try again.")
    media_type = (request.mimetype or "").lower()
    if media_type not in venue.LOGO_TYPES:
        venue.check_logo(b"", media_type, None, None)  # raises the 415 with its message
    data = body_after_auth(cap, too_big)
    return answer(venue.store_logo(db(), _data_dir(), data, media_type, cap,
                                   current_app.config["MAX_LOGO_SIDE"]))


@operation("DELETE", "/api/venue/logo", "Remove the venue's logo (admin)", auth="admin",
           responses={200: schemas.VenueOut})
def delete_venue_logo():
    from . import venue

    guarded(lambda: auth.require_admin(db(), admin_hash()))
    return answer(venue.remove_logo(db(), _data_dir()))


# The logo answers as the picture it is, never as a page: nosniff, and for SVG a policy that lets
# no script run and nothing load, even when the file is opened on its own.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


@operation("GET", "/venue/logo/{version}", "The venue's logo (cached for good: a new logo gets a new address)",
           responses={200: "image/*", 404: None})
def venue_logo(version: str):
    from . import venue

    found = venue.logo(db(), _data_dir(), version) if len(version) <= 64 else None
    if found is None:
        raise NotFound("No such logo: the venue has a newer one, or none.", "not_found")
    data, media_type = found
    headers = {"Cache-Control": f"public, max-age={365 * 24 * 3600}, immutable",
               "X-Content-Type-Options": "nosniff", "Content-Disposition": "inline"}
    if media_type == "image/svg+xml":
        headers["Content-Security-Policy"] = SVG_POLICY
    return Response(data, mimetype=media_type, headers=headers)


# ---- issue 15: model — services, counters, host tokens (docs/services.md, section 5) ----------

def _scope_check(principal: auth.Principal) -> Callable[[list[str]], None]:
    """`allowed` for queues' counter functions: every service touched must be in the token's scope."""

    def allowed(service_ids: list[str]) -> None:
        outside = [queue_id for queue_id in service_ids if not principal.covers(queue_id)]
        if outside:
            raise Forbidden("That token does not cover every service this touches.", "service_not_in_scope")

    return allowed


def _chosen(items, what: str = "services") -> list[tuple[str, float]] | None:
    """A counter's services from the body, with the QODE_MAX_COUNTER_SERVICES cap."""
    if items is None:
        return None
    cap = current_app.config["MAX_COUNTER_SERVICES"]
    if cap is not None and len(items) > cap:
        raise Invalid(f"{what}: a counter serves at most {cap} services (QODE_MAX_COUNTER_SERVICES).",
                      "too_many_services")
    return [(item.queue_id, item.weight) for item in items]


def _counter_id(raw: str) -> str:
    return queues.parse_id(raw, "counter")


@operation("GET", "/api/services", "The box's services in display order, with their waits (inactive ones: "
           "admin only)", auth="optional", responses={200: schemas.ServiceList})
def list_services():
    principal = guarded(lambda: auth.optional_principal(db(), admin_hash()), anonymous_ok=True)
    return answer({"services": queues.services(db(), principal is not None and principal.kind == "admin")})


@operation("POST", "/api/counters", "Set up a counter serving one or more services (manager)", auth="host",
           body=schemas.CounterCreate, responses={201: schemas.CounterView})
def create_counter():
    principal = guarded(lambda: auth.require_host_token(db(), admin_hash(), "manager"))
    req = parse(schemas.CounterCreate)
    made = queues.create_counter(db(), req.name, req.rule, _chosen(req.services), _scope_check(principal))
    return answer(made, 201)


@operation("GET", "/api/counters", "The counters serving the token's services (host)", auth="host",
           responses={200: schemas.CounterList})
def list_counters():
    principal = guarded(lambda: auth.require_host_token(db(), admin_hash()))
    return answer({"counters": queues.list_counters(db(), principal.services)})


@operation("PATCH", "/api/counters/{counter_id}", "Rename a counter, change its rule or its services (manager)",
           auth="host", body=schemas.CounterPatch, responses={200: schemas.CounterView}, idempotent=True)
def patch_counter(counter_id: str):
    counter_id = _counter_id(counter_id)
    principal = guarded(lambda: auth.require_host_token(db(), admin_hash(), "manager"))
    req = parse(schemas.CounterPatch)
    changes = {name: getattr(req, name) for name in req.model_fields_set}
    if not changes:
        raise Invalid("Send at least one of name, rule or services.", "invalid_body")
    if any(value is None for value in changes.values()):
        raise Invalid("name, rule and services cannot be null.", "invalid_body")
    if "services" in changes:
        changes["services"] = _chosen(req.services)
    return write(principal, lambda: (200, queues.update_counter(db(), counter_id, changes,
                                                                _scope_check(principal))))


@operation("POST", "/api/counters/{counter_id}/open",
           "Open a counter session: its services for this session and an optional staff name (host)",
           auth="host", body=schemas.CounterOpen, responses={200: schemas.CounterView}, idempotent=True)
def open_counter(counter_id: str):
    counter_id = _counter_id(counter_id)
    principal = guarded(lambda: auth.require_host_token(db(), admin_hash()))
    req = parse(schemas.CounterOpen)
    return write(principal, lambda: (200, queues.open_counter(db(), counter_id, _chosen(req.services), req.rule,
                                                              req.staff, _scope_check(principal))))


@operation("POST", "/api/counters/{counter_id}/close", "Close a counter session, with an optional \"back in\" "
           "(host)", auth="host", body=schemas.CounterClose, responses={200: schemas.CounterView},
           idempotent=True)
def close_counter(counter_id: str):
    counter_id = _counter_id(counter_id)
    principal = guarded(lambda: auth.require_host_token(db(), admin_hash()))
    req = parse(schemas.CounterClose)
    return write(principal, lambda: (200, queues.close_counter(db(), counter_id, req.back_in_minutes,
                                                               _scope_check(principal))))


def _host_link(token: str, service_ids: list[str]) -> str:
    if len(service_ids) == 1:
        return f"{tls.staff_url()}/host/{service_ids[0]}#token={token}"
    return f"{tls.staff_url()}/host#token={token}"


@operation("POST", "/api/host-tokens", "Make a host token: a role and some services or the whole box (admin or "
           "box manager; the answer holds its only copy)", auth="admin", body=schemas.HostTokenCreate,
           responses={201: schemas.HostTokenCreated})
def create_host_token():
    guarded(lambda: auth.require_box_manager(db(), admin_hash()))
    req = parse(schemas.HostTokenCreate)
    if req.scope == "services" and not req.services:
        raise Invalid("services: a token of scope 'services' lists at least one service.", "invalid_body")
    if req.scope == "box" and req.services is not None:
        raise Invalid("services: a token of scope 'box' covers every service; leave services out.",
                      "invalid_body")
    view, token = queues.create_host_token(db(), req.name, req.role, req.scope, req.services or [])
    # Not replayed by Idempotency-Key: that would store the token, which is never stored.
    return answer({**view, "token": token, "host_url": _host_link(token, view["services"])}, 201)


@operation("GET", "/api/host-tokens", "Every host token, without its secret (admin or box manager)",
           auth="admin", responses={200: schemas.HostTokenList})
def list_host_tokens():
    guarded(lambda: auth.require_box_manager(db(), admin_hash()))
    return answer({"tokens": queues.list_host_tokens(db())})


@operation("DELETE", "/api/host-tokens/{token_id}",
           "Revoke a host token: it stops working at once and its live sockets close (admin or box manager)",
           auth="admin", responses={200: schemas.HostTokenOut})
def revoke_host_token(token_id: str):
    guarded(lambda: auth.require_box_manager(db(), admin_hash()))
    token_id = queues.parse_id(token_id, "host_token")
    revoked = queues.revoke_host_token(db(), token_id)
    # Its open host sockets close at once (sockets.py registers each by its token's id).
    closer = current_app.extensions.get("qode_token_sockets")
    if closer is not None:
        closer.close(token_id)
    return answer(revoked)


# ---- issue 15: stats (docs/services.md, section 8) ----------------------------------------

STATS_FORMATS = ("json", "csv")


def stats_day(raw: str | None, today: str) -> str:
    """The `day` query parameter: YYYY-MM-DD, a real date; absent means today's service day."""
    from datetime import datetime

    if raw is None:
        return today
    try:
        if len(raw) != 10 or datetime.strptime(raw, "%Y-%m-%d").date().isoformat() != raw:
            raise ValueError(raw)
    except ValueError:
        raise Invalid("day: a date as YYYY-MM-DD.", "invalid_query") from None
    return raw


def stats_scope(principal: auth.Principal) -> frozenset | None:
    """The services a credential may see figures of: None for every service (the admin, a box-scope token)."""
    if principal.kind == "admin" or not isinstance(principal.services, frozenset):
        return None
    return principal.services


@operation("GET", "/api/stats",
           "A service day's figures per service, counter and staff name (host: its services; admin: all);"
           " `format=csv` for a spreadsheet",
           auth="host", responses={200: (schemas.StatsOut, "text/csv")},
           query=[{"name": "day", "in": "query", "required": False,
                   "schema": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}},
                  {"name": "format", "in": "query", "required": False,
                   "schema": {"type": "string", "enum": list(STATS_FORMATS)}}])
def get_stats():
    from . import stats

    principal = guarded(lambda: auth.require_any_host(db(), admin_hash()))
    day = stats_day(request.args.get("day"), db().clock.service_day())
    fmt = request.args.get("format", "json")
    if fmt not in STATS_FORMATS:
        raise Invalid("format: json or csv.", "invalid_query")
    scope = stats_scope(principal)
    marks = ",".join("?" * len(stats.TYPES))
    with db().read() as conn:
        names = {r["id"]: r["name"] for r in conn.execute("SELECT id, name FROM queues")}
        events = [{**dict(r), "data": json.loads(r["data"])} for r in conn.execute(
            "SELECT seq, queue_id, type, ticket_id, data, service_day, created_at, mono, boot_id FROM events"
            f" WHERE service_day = ? AND type IN ({marks}) ORDER BY seq", (day, *stats.TYPES))]
    rows = [r for r in stats.figures(events, names) if scope is None or r["queue_id"] in scope]
    if fmt == "csv":
        return Response(stats.to_csv(rows), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="qode-stats-{day}.csv"', "Cache-Control": "no-store"})
    return answer({"day": day, "rows": rows, "services": stats.by_service(rows)})


# ---- issue 16: voice (docs/voice.md) --------------------------------------------------------

def the_voice():
    """The box's announcement maker (voice.Voice), made on first use."""
    from . import voice

    found = current_app.extensions.get("qode_voice")
    if found is None:
        found = current_app.extensions["qode_voice"] = voice.Voice(_data_dir(), current_app.config)
    return found


def voice_answer(key: str, path) -> Response:
    """A WAV with caching headers: the same call (seq) always says the same thing, until the venue
    changes its language or clips, which changes the ETag."""
    etag = f'"{key}"'
    headers = {"Cache-Control": "public, max-age=300", "ETag": etag, "X-Content-Type-Options": "nosniff"}
    if etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers=headers)
    try:
        data = path.read_bytes()
    except FileNotFoundError:  # pruned between making and answering (a tiny cache): say so, try again
        from .voice import VoiceError

        raise VoiceError("The announcement was removed from the cache; ask again.") from None
    return Response(data, mimetype="audio/wav", headers=headers)


def venue_language() -> str | None:
    from . import venue

    return venue.public(db()).get("language")


@operation("GET", "/api/queues/{queue_id}/calls/{seq}/voice",
           "A current call's spoken announcement, as WAV (anyone, like the TV's feed: `seq` is a call's from "
           "the public state's `calls`)",
           responses={200: "audio/wav"})
def call_voice(queue_id: str, seq: str):
    from . import voice

    queue_id = queues.parse_id(queue_id, "queue")
    if not current_app.config["VOICE"]:
        raise NotFound("Voice is turned off on this box (QODE_VOICE=off).", "voice_off")
    spend("VOICE_RATE_LIMIT", "voice", get_remote_address())
    number = voice.parse_seq(seq)
    with db().read() as conn:
        queue = queues.as_of(queues.load(conn, queue_id), db().clock.service_day())
        call = voice.current_call(conn, queue, number)
    return voice_answer(*the_voice().announce(call, venue_language()))


@operation("GET", "/api/voice/sample", "A sample announcement (\"A042, counter 2\") in the venue's language, "
           "or `language`, to test the voice: from setup (admin), or on a display the host told to test "
           "(its token)",
           auth="admin", responses={200: "audio/wav"},
           query=[{"name": "language", "in": "query", "required": False,
                   "schema": {"type": "string", "enum": ["en", "de", "fr", "es", "tr", "pl", "uk", "ar"]}}])
def voice_sample():
    from . import voice

    principal = guarded(lambda: auth.require_device(db(), admin_hash(), ("admin", "display")))
    if not current_app.config["VOICE"]:
        raise NotFound("Voice is turned off on this box (QODE_VOICE=off).", "voice_off")
    if principal.kind == "display":  # the sample is cached, but each display's fetches are bounded
        spend("VOICE_TEST_RATE_LIMIT", "voice_sample", principal.device_id)
    language = request.args.get("language")
    if language is not None and language not in voice.LANGUAGES:
        raise Invalid(f"language: one of {', '.join(voice.LANGUAGES)}.", "invalid_query")
    return voice_answer(*the_voice().announce(voice.Call(*voice.SAMPLE), language or venue_language()))


# ---- issue 16: sms (qode.sms) -------------------------------------------------------------------

def _sms():
    from . import sms

    return sms, sms.of(current_app)


def _phone_budget(ticket_id: str) -> None:
    """Numbers left, changed or removed: per address (not the box's own kiosk) and per ticket."""
    address = budgets.counted_address(get_remote_address())
    if address is not None:
        spend("SMS_PHONE_RATE_LIMIT", "sms_phone_ip", address)
    spend("SMS_PHONE_RATE_LIMIT", "sms_phone_ticket", ticket_id)


@operation("GET", "/api/tickets/{ticket_id}/phone",
           "Whether this box can text the guest, and the number kept for the ticket, masked (holder of the id)",
           auth="holder", responses={200: schemas.PhoneOut})
def get_phone(ticket_id: str):
    sms, sender = _sms()
    ticket_id = queues.parse_id(ticket_id, "ticket")
    return answer(sms.view(db(), ticket_id, sender is not None and sender.available))


@operation("PUT", "/api/tickets/{ticket_id}/phone",
           "Leave a phone number for a text when nearly up and when called; deleted when the ticket ends"
           " (holder of the id; 409 `sms_off` without a modem)",
           auth="holder", body=schemas.PhoneRequest, responses={200: schemas.PhoneOut})
def put_phone(ticket_id: str):
    sms, sender = _sms()
    ticket_id = queues.parse_id(ticket_id, "ticket")
    tickets.queue_of(db(), ticket_id)  # 404 before the body is looked at
    phone = sms.normalize_phone(parse(schemas.PhoneRequest).phone)
    if sender is None or not sender.available:
        raise _sms_off()
    _phone_budget(ticket_id)
    return answer(sms.set_phone(db(), ticket_id, phone, True))


def _sms_off():
    from .errors import Conflict

    return Conflict("This box sends no text messages (no modem is connected).", "sms_off")


@operation("DELETE", "/api/tickets/{ticket_id}/phone",
           "Remove the ticket's phone number: no text is sent (holder of the id)",
           auth="holder", responses={200: schemas.PhoneOut})
def delete_phone(ticket_id: str):
    sms, sender = _sms()
    ticket_id = queues.parse_id(ticket_id, "ticket")
    tickets.queue_of(db(), ticket_id)  # 404 before the body is looked at
    if request.get_data(cache=True).strip():
        parse(schemas.EmptyBody)
    _phone_budget(ticket_id)
    return answer(sms.clear_phone(db(), ticket_id, sender is not None and sender.available))


@operation("GET", "/api/sms", "The text modem's health: SIM, signal, sends and failures today (any host)",
           auth="host", responses={200: schemas.SmsStatus})
def sms_status():
    guarded(lambda: auth.require_any_host(db(), admin_hash()))
    _, sender = _sms()
    return answer(sender.status() if sender is not None else {"enabled": False})
