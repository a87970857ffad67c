"""The REST contract of DESIGN.md. Routes parse, call one rule, and answer.

Every route is declared with `operation`, which also feeds the OpenAPI
document, so the document cannot drift from what is served.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Blueprint, Response, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from pydantic import BaseModel, ValidationError

from . import auth, idempotency, queues, schemas, tickets
from .db import Database
from .errors import Invalid, QodeError, UnsupportedMediaType

bp = Blueprint("api", __name__)
limiter = Limiter(key_func=get_remote_address, storage_uri="memory://", headers_enabled=True)


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
    conflicts: bool = False


OPERATIONS: list[Operation] = []


def operation(method: str, path: str, summary: str, *, auth: str = "none", body=None,
              responses=None, query=None, idempotent=False, conflicts=False) -> Callable:
    def register(view: Callable) -> Callable:
        op = Operation(method, path, summary, auth, body, responses or {200: None}, query or [],
                       idempotent, conflicts)
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


def answer(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body, separators=(",", ":")), status, mimetype="application/json")


def _explain(err: ValidationError) -> str:
    parts = []
    for item in err.errors()[:3]:
        where = ".".join(str(x) for x in item["loc"]) or "body"
        message = "is not a known field" if item["type"] == "extra_forbidden" else item["msg"]
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def parse(model: type[BaseModel]) -> BaseModel:
    """The request body as `model`; an empty body counts as {}."""
    raw = request.get_data(cache=True)
    data: object = {}
    if raw.strip():
        if not request.is_json:
            raise UnsupportedMediaType("Send the body as JSON (Content-Type: application/json).")
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):  # Recursion: nested too deep
            raise QodeError("The body is not valid JSON.", "invalid_json") from None
    if not isinstance(data, dict):
        raise Invalid("The body must be a JSON object.", "invalid_body")
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


def _auth_limit() -> str:
    return current_app.config["AUTH_RATE_LIMIT"] or "1000000/second"


def _join_limit() -> str:
    return current_app.config["JOIN_RATE_LIMIT"] or "1000000/second"


def _auth_limit_off() -> bool:
    return current_app.config["AUTH_RATE_LIMIT"] is None


def _join_limit_exempt() -> bool:
    # Kiosks and hosts issue for many guests from one address; their tokens are checked instead.
    return current_app.config["JOIN_RATE_LIMIT"] is None or "Authorization" in request.headers


def _device_key() -> str:
    try:
        data = request.get_json(silent=True, cache=True)
    except RecursionError:  # nested too deep: `silent` covers only ValueError; parse() says 400
        data = None
    token = data.get("device_token") if isinstance(data, dict) else None
    return f"device:{token}" if isinstance(token, str) else f"ip:{get_remote_address()}"


failed_auth_limit = limiter.shared_limit(
    _auth_limit, scope="failed_auth", exempt_when=_auth_limit_off,
    deduct_when=lambda response: response.status_code in (401, 403),
)


# ---- routes ----------------------------------------------------------------

@operation("GET", "/healthz", "Liveness and database check",
           responses={200: schemas.Health, 503: schemas.Health})
def healthz():
    try:
        with db().read() as conn:
            conn.execute("SELECT 1 FROM queues LIMIT 1").fetchall()
        state = "ok"
    except Exception:  # noqa: BLE001 - any database fault means "degraded", never a 500
        current_app.logger.exception("health check: database error")
        state = "error"
    body = {"status": "ok" if state == "ok" else "degraded",
            "version": current_app.config["VERSION"], "db": state}
    return answer(body, 200 if state == "ok" else 503)


@operation("GET", "/api/openapi.json", "This document", responses={200: None})
def openapi_document():
    from .openapi import document

    return answer(document(OPERATIONS))


@operation("POST", "/api/queues", "Create a queue (admin)", auth="admin", body=schemas.QueueCreate,
           responses={201: schemas.QueueCreated})
@failed_auth_limit
def create_queue():
    auth.require_admin(db(), admin_hash())
    req = parse(schemas.QueueCreate)
    queue, token = queues.create_queue(
        db(), req.name, req.prefix, current_app.config["DEFAULT_CYCLE"]
    )
    host_url = f"{public_url()}/host/{queue['id']}#token={token}"
    return answer({**queue, "host_token": token, "host_url": host_url}, 201)


@operation("GET", "/api/queues/{queue_id}", "Public state of a queue",
           responses={200: schemas.QueueOut})
def get_queue(queue_id: str):
    return answer(queues.get(db(), queues.parse_id(queue_id, "queue")))


@operation("PATCH", "/api/queues/{queue_id}", "Rename, pause or resume, open or close",
           auth="host", body=schemas.QueuePatch, responses={200: schemas.QueueOut}, idempotent=True)
@failed_auth_limit
def patch_queue(queue_id: str):
    queue_id = queues.parse_id(queue_id, "queue")
    principal = auth.require_host(db(), admin_hash(), queue_id)
    req = parse(schemas.QueuePatch)
    changes = req.model_dump(exclude_none=True)
    if not changes:
        raise Invalid("Send at least one of name, active or is_paused.", "invalid_body")
    return write(principal, lambda: (200, queues.update_queue(db(), queue_id, changes)))


@operation("POST", "/api/queues/{queue_id}/rotate-token",
           "Replace the host token (the answer is the only copy)", auth="host",
           body=schemas.EmptyBody, responses={200: schemas.HostToken})
@failed_auth_limit
def rotate_token(queue_id: str):
    queue_id = queues.parse_id(queue_id, "queue")
    auth.require_host(db(), admin_hash(), queue_id)
    parse(schemas.EmptyBody)
    token = queues.rotate_host_token(db(), queue_id)
    # Not replayed by Idempotency-Key: that would store the token, which is never stored.
    return answer({"host_token": token, "host_url": f"{public_url()}/host/{queue_id}#token={token}"})


@operation("POST", "/api/queues/{queue_id}/tickets", "Take a ticket", auth="optional",
           body=schemas.JoinRequest, responses={201: schemas.TicketOut, 200: schemas.TicketOut},
           idempotent=True, conflicts=True)
@failed_auth_limit
@limiter.limit(_join_limit, key_func=get_remote_address, exempt_when=_join_limit_exempt,
               scope="join_ip")
@limiter.limit(_join_limit, key_func=_device_key, exempt_when=_join_limit_exempt,
               scope="join_device")
def join(queue_id: str):
    queue_id = queues.parse_id(queue_id, "queue")
    principal = auth.optional_issuer(db(), admin_hash(), queue_id)
    req = parse(schemas.JoinRequest)
    if principal is None and req.device_token is None:
        raise Invalid("device_token: Field required", "invalid_body")
    source = principal.source if principal else "web"

    def action() -> tuple[int, dict]:
        ticket, created = tickets.issue_ticket(db(), queue_id, req.device_token, source)
        return (201 if created else 200), ticket

    return write(principal, action)


@operation("GET", "/api/queues/{queue_id}/tickets", "The service day's tickets (host)",
           auth="host", responses={200: schemas.TicketList},
           query=[{"name": "status", "in": "query", "required": False,
                   "schema": {"type": "string", "enum": list(schemas.STATUSES)}}])
@failed_auth_limit
def list_tickets(queue_id: str):
    queue_id = queues.parse_id(queue_id, "queue")
    auth.require_host(db(), admin_hash(), queue_id)
    status = request.args.get("status")
    if status is not None and status not in schemas.STATUSES:
        raise Invalid(f"status must be one of {', '.join(schemas.STATUSES)}.", "invalid_query")
    return answer({"tickets": tickets.list_tickets(db(), queue_id, status)})


@operation("POST", "/api/queues/{queue_id}/call-next", "Call the next waiting guest",
           auth="host", body=schemas.CallNextRequest, responses={200: schemas.TicketOut},
           idempotent=True, conflicts=True)
@failed_auth_limit
def call_next(queue_id: str):
    queue_id = queues.parse_id(queue_id, "queue")
    principal = auth.require_host(db(), admin_hash(), queue_id)
    req = parse(schemas.CallNextRequest)
    return write(principal, lambda: (200, tickets.call_next(db(), queue_id, req.counter)))


@operation("POST", "/api/queues/{queue_id}/counters", "Open or close a counter", auth="host",
           body=schemas.CounterUpdate, responses={200: schemas.QueueOut}, idempotent=True)
@failed_auth_limit
def set_counter(queue_id: str):
    queue_id = queues.parse_id(queue_id, "queue")
    principal = auth.require_host(db(), admin_hash(), queue_id)
    req = parse(schemas.CounterUpdate)
    return write(principal, lambda: (200, queues.set_counter(db(), queue_id, req.counter, req.open)))


@operation("POST", "/api/queues/{queue_id}/devices",
           "Register a kiosk or display (the answer holds its only token copy)", auth="host",
           body=schemas.DeviceCreate, responses={201: schemas.DeviceCreated})
@failed_auth_limit
def add_device(queue_id: str):
    queue_id = queues.parse_id(queue_id, "queue")
    auth.require_host(db(), admin_hash(), queue_id)
    req = parse(schemas.DeviceCreate)
    return answer(queues.add_device(db(), queue_id, req.kind, req.name), 201)


@operation("GET", "/api/tickets/{ticket_id}", "A ticket's status (holder of the id)",
           responses={200: schemas.TicketOut})
def get_ticket(ticket_id: str):
    return answer(tickets.get(db(), queues.parse_id(ticket_id, "ticket")))


@operation("POST", "/api/tickets/{ticket_id}/cancel", "Cancel (holder of the id, or host)",
           auth="holder", body=schemas.EmptyBody, responses={200: schemas.TicketOut},
           idempotent=True, conflicts=True)
@failed_auth_limit
def cancel_ticket(ticket_id: str):
    ticket_id = queues.parse_id(ticket_id, "ticket")
    principal = None
    if "Authorization" in request.headers:
        principal = auth.require_host(db(), admin_hash(), tickets.queue_of(db(), ticket_id))
    parse(schemas.EmptyBody)
    by = "host" if principal else "guest"
    return write(principal, lambda: (200, tickets.move(db(), ticket_id, "cancel", by)))


def _host_move(name: str, body: type[BaseModel]) -> None:
    def view(ticket_id: str):
        ticket_id = queues.parse_id(ticket_id, "ticket")
        auth.bearer_hash()  # no or malformed credential: 401 before anything is looked up
        principal = auth.require_host(db(), admin_hash(), tickets.queue_of(db(), ticket_id))
        req = parse(body)
        if name == "recall":
            return write(principal, lambda: (200, tickets.recall(db(), ticket_id, req.counter)))
        return write(principal, lambda: (200, tickets.move(db(), ticket_id, name)))

    view.__name__ = view.__qualname__ = f"ticket_{name.replace('-', '_')}"
    operation("POST", f"/api/tickets/{{ticket_id}}/{name}", f"Lifecycle move: {name}",
              auth="host", body=body, responses={200: schemas.TicketOut}, idempotent=True,
              conflicts=True)(failed_auth_limit(view))


for _name in ("serve", "complete", "no-show", "requeue"):
    _host_move(_name, schemas.EmptyBody)
_host_move("recall", schemas.RecallRequest)
