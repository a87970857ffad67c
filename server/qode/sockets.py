"""The WebSocket routes: /ws/queues/{id} (public), /ws/tickets/{id} (holder), /ws/host/{id}
and /ws/devices/{id} (kiosks and displays). The protocol is in docs/live.md.

The transport is qode_common.websocket (wsproto's public API, our own socket handling): every
frame goes out as one complete `sendall` under a per-socket lock, pings included. The registry
and the fan-out are `live.Hub`. `route` below turns a view into a socket route: it answers the
upgrade, runs the view, and ends the request so that gunicorn writes no HTTP answer after it and
closes the connection (serving.Worker.is_already_handled).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import sqlite3
import threading
from collections.abc import Callable

from flask import Blueprint, Response, current_app, request

from qode_common import websocket
from qode_common.websocket import ConnectionClosed

from . import api, auth, budgets, printing, queues, tickets, tls
from .errors import NotFound, QodeError

log = logging.getLogger(__name__)

bp = Blueprint("sockets", __name__)

# Close codes (4000-4999 are the application's own).
BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, TOO_MANY = 4400, 4401, 4403, 4404, 4429
UNSUPPORTED, TRY_AGAIN_LATER = 1003, 1013
HTTPS_REQUIRED = 4426  # a staff socket over plain http (QODE_STAFF_HTTPS)
INTERNAL_ERROR = 1011  # the view failed after the handshake (a storage fault, a bug)
AUTH_TIMEOUT = 5.0
PING_SECONDS = 25  # the server pings each socket this often; a pong missing by the next ping closes it


class NotWebSocket(QodeError):
    status = 400
    code = "websocket_required"


class NoSocketServer(QodeError):
    status = 501
    code = "live_sockets_unavailable"


class SocketEnded(Response):
    """What a socket route returns once its socket has ended: called as a WSGI answer, it gives
    `websocket.SOCKET_TAKEN`, on which our gunicorn worker closes the connection and writes
    nothing more (serving.Worker.is_already_handled)."""

    def __call__(self, environ, start_response):
        return websocket.SOCKET_TAKEN


def route(rule: str):
    """`view(ws, **url_values)` as the WebSocket route `rule` on the blueprint.

    A request that is not a WebSocket upgrade gets 400 (JSON) and never reaches the view.
    """
    def decorator(view: Callable) -> Callable:
        @bp.route(rule, endpoint=view.__name__, websocket=True)  # werkzeug: upgrade requests only
        @functools.wraps(view)
        def endpoint(**values):
            try:
                conn, _ = websocket.server_handshake(request.environ)
            except websocket.RemoteProtocolError:
                raise NotWebSocket("this address is a WebSocket: open it with a WebSocket upgrade "
                                   "(docs/live.md)") from None
            if "gunicorn.socket" not in request.environ:
                raise NoSocketServer("live sockets need `qode serve`")
            ws = websocket.ServerWebSocket.accept(request.environ, conn, ping_interval=PING_SECONDS,
                                                  max_message_size=current_app.config["WS_MAX_MESSAGE"])
            try:
                view(ws, **values)
            except OSError:  # ConnectionClosed included: the peer went away; nothing to answer
                pass
            except Exception:  # noqa: BLE001 - past the 101 no HTTP answer may follow: close with 1011
                log.exception("live: socket %s failed", request.path)
                ws.close(INTERNAL_ERROR, "the server met an error; try again shortly")
            finally:
                ws.close()  # the close handshake, unless the view or the peer closed already
            return SocketEnded()

        return endpoint

    return decorator


def _message(text: object) -> object:
    """A client's text frame as JSON, or None when it is not JSON (nested too deep included)."""
    try:
        return json.loads(text) if isinstance(text, str) else None
    except (ValueError, RecursionError):  # Recursion: nested too deep for the reader
        return None


def _close(ws, code: int, reason: str) -> None:
    if code == UNAUTHORIZED:
        api.count_auth_failure()  # failed credentials count the same as over HTTP (a 403's token is real)
    ws.close(code, reason)


def _live():
    return current_app.extensions["qode_live"]


def _since() -> int | None:
    raw = request.args.get("since")
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise ValueError("since must be a whole number")
    return int(raw)


def _serve(ws, channel: str, first: dict, on_change: Callable[[], None] | None = None) -> None:
    """Register the socket, send its first message, then read until it goes away.

    `on_change` runs once the socket is registered and again once it is gone.
    """
    live = _live()
    client = live.hub.join(channel, ws.send_frame, on_close=ws.abort, send_now=ws.send_now)
    client.floor = first["seq"]
    if on_change:
        on_change()
    try:
        ws.send(json.dumps(first, separators=(",", ":")))
        while True:
            message = ws.receive()
            if isinstance(message, bytes):
                _close(ws, UNSUPPORTED, "binary frames are not accepted")
                return
            data = _message(message)
            if isinstance(data, dict) and data.get("type") == "ping":
                client.offer(live.hub.encode(json.dumps({"type": "pong", "seq": live.last_seq})))
            else:
                client.offer(live.hub.encode(json.dumps({"type": "error", "seq": live.last_seq, "error": {
                    "code": "bad_message", "message": 'Send {"type": "ping"} or nothing.'}})))
    except ConnectionClosed:
        pass
    finally:
        client.close()
        live.forget(channel)
        if on_change:
            on_change()


def _run(ws, kind: str, queue_id: str, channel: str, ticket_id: str | None = None,
         extra: Callable[[], dict] | None = None, on_change: Callable[[], None] | None = None) -> None:
    """Admit the socket (caps, `since`), then serve it its first message and the updates."""
    # Host and device sockets have shown a valid token by now: they do not count against
    # their address, and may use the places kept for staff; so may the box's own screens
    # (the TV's display page on the box follows the public feed, with no token).
    address = request.remote_addr
    staff = kind in ("host", "device") or budgets.counted_address(address) is None
    budget = current_app.extensions["qode_budgets"]
    refused = budget.open_socket(address, staff)
    if refused == "address":
        _close(ws, TOO_MANY, "too many live connections from this address; close one and try again")
        return
    if refused or _live().hub.count() >= current_app.config["MAX_CLIENTS"]:
        if not refused:
            budget.close_socket(address, staff)
        _close(ws, TRY_AGAIN_LATER, "too many live connections; try again shortly")
        return
    conn = budgets.current()
    if conn is not None:
        conn.leave_http()  # a live socket from here on, not an HTTP request
        ws.socket.settimeout(None)  # its idle limit is the ping, not QODE_RESPONSE_TIMEOUT
    try:
        first = _first(ws, kind, queue_id, ticket_id)
        if first is not None:
            _serve(ws, channel, {**first, **(extra() if extra else {})}, on_change)
    finally:
        budget.close_socket(address, staff)


def _first(ws, kind: str, queue_id: str, ticket_id: str | None = None) -> dict | None:
    live = _live()
    live.start()
    try:
        since = _since()
    except ValueError as err:
        _close(ws, BAD_REQUEST, str(err))
        return None
    first = None
    # A device always starts from a snapshot: it carries the kiosk's pending print jobs.
    if since is not None and kind not in ("ticket", "device"):
        first = live.replay(kind, queue_id, since)
    return first or live.snapshot(kind, queue_id, ticket_id)


def _find(ws, what: str, raw_id: str, load):
    """`load(db, id)` for a well-formed id; None (socket closed with 4404) when nothing matches."""
    try:
        return load(current_app.extensions["qode_db"], queues.parse_id(raw_id, what))
    except NotFound:
        _close(ws, NOT_FOUND, f"no {what} with that id")
        return None


@route("/ws/queues/<queue_id>")
def queue_feed(ws, queue_id):
    queue = _find(ws, "queue", queue_id, queues.get)
    if queue is not None:
        _run(ws, "queue", queue["id"], f"queue:{queue['id']}")


@route("/ws/tickets/<ticket_id>")
def ticket_feed(ws, ticket_id):
    ticket = _find(ws, "ticket", ticket_id, tickets.get)
    if ticket is not None:
        # Keyed by the ticket alone (issue 15): a transfer moves it to another service's updates.
        _run(ws, "ticket", ticket["queue_id"], f"ticket:{ticket['id']}", ticket["id"])


def _first_message_token(ws) -> str | None:
    """The token of an {"type": "auth", "token": ...} first message, within AUTH_TIMEOUT."""
    if api.auth_blocked():
        _close(ws, TOO_MANY, "too many failed credentials from this address; wait a minute")
        return None
    if "token" in request.args or "Authorization" in request.headers:
        # Tokens in URLs end up in logs and histories; the first message carries it.
        _close(ws, BAD_REQUEST, 'send {"type": "auth", "token": ...} as the first message')
        return None
    if not tls.staff_channel_ok():
        # Closed before the auth message is read: the token is not taken over plain http.
        _close(ws, HTTPS_REQUIRED, f"staff use https: {tls.staff_url()}"[:120])
        return None
    data = _message(ws.receive(timeout=AUTH_TIMEOUT))
    token = data.get("token") if isinstance(data, dict) and data.get("type") == "auth" else None
    if not isinstance(token, str) or not auth.TOKEN_RE.match(token):
        _close(ws, UNAUTHORIZED, "no valid auth message")
        return None
    return token


@route("/ws/host/<queue_id>")
def host_feed(ws, queue_id):
    db = current_app.extensions["qode_db"]
    queue = _find(ws, "queue", queue_id, queues.get)
    if queue is None:
        return
    queue_id = queue["id"]
    token = _first_message_token(ws)
    if token is None:
        return
    principal = auth.identify(db, current_app.config["ADMIN_TOKEN_HASH"], auth.hash_token(token))
    if principal is None:
        _close(ws, UNAUTHORIZED, "that token is not valid")
        return
    if not (principal.kind == "admin" or (principal.kind == "host" and principal.covers(queue_id))):
        _close(ws, FORBIDDEN, "that token is not this queue's host")
        return
    with token_sockets(current_app).holding(principal.token_id, ws):
        _run(ws, "host", queue_id, f"host:{queue_id}")


# ---- issue 15: model — a revoked host token's sockets close at once ---------------------------

class TokenSockets:
    """The open host sockets of each host token (by its id), so that revoking the token
    (DELETE /api/host-tokens/{id}) closes them as revoking a device closes its channel."""

    def __init__(self):
        self._lock = threading.Lock()
        self._sockets: dict[str, set] = {}

    @contextlib.contextmanager
    def holding(self, token_id: str | None, ws):
        if token_id is None:  # the admin token: never revoked
            yield
            return
        with self._lock:
            self._sockets.setdefault(token_id, set()).add(ws)
        try:
            yield
        finally:
            with self._lock:
                held = self._sockets.get(token_id)
                if held is not None:
                    held.discard(ws)
                    if not held:
                        del self._sockets[token_id]

    def close(self, token_id: str) -> int:
        """Abort every open socket of the token (its view's read loop ends); returns how many."""
        with self._lock:
            held = list(self._sockets.get(token_id, ()))
        for ws in held:
            ws.abort()
        return len(held)


def token_sockets(app) -> TokenSockets:
    """The app's registry (`app.extensions["qode_token_sockets"]`), made on first use."""
    registry = app.extensions.get("qode_token_sockets")
    if registry is None:
        registry = app.extensions.setdefault("qode_token_sockets", TokenSockets())
    return registry


@route("/ws/devices/<device_id>")
def device_feed(ws, device_id):
    db = current_app.extensions["qode_db"]
    device = _find(ws, "device", device_id, queues.get_device)
    if device is None:
        return
    device_id = device["id"]
    token = _first_message_token(ws)
    if token is None:
        return
    if not auth.same_hash(auth.hash_token(token), device["token_hash"]):
        known = auth.identify(db, current_app.config["ADMIN_TOKEN_HASH"], auth.hash_token(token))
        _close(ws, FORBIDDEN if known else UNAUTHORIZED, "that token is not this device's")
        return
    queue_id = device["queue_id"]
    live = _live()

    def extra() -> dict:
        # A kiosk's pending print jobs come with its first message (none are broadcast to it
        # while it is away), each with how long it may still be printed.
        jobs = [printing.job_message(db, job, live.print_max_age, api.public_url())
                for job in printing.pending_jobs(db, device_id, live.print_max_age)]
        # The device as it is now (issue 16: a display's voice switch may have changed meanwhile).
        now = printing.device_view(queues.get_device(db, device_id), True)
        return {"device": api.device_message(now), "jobs": jobs}

    def changed() -> None:
        try:
            printing.mark_seen(db, device_id)  # its "last seen" on the host's and setup's lists
        except (QodeError, sqlite3.Error):  # a full disk must not stop the kiosk's feed
            log.warning("live: could not note that device %s came or went", device_id)
        live.nudge_host(queue_id)  # the host sees the kiosk come and go

    _run(ws, "device", queue_id, f"device:{queue_id}:{device_id}", extra=extra, on_change=changed)
