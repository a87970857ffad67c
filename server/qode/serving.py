"""Runs the app under gunicorn: one gevent worker, no control socket.

One worker because the process owns the only database writer and the live hub.
Errors that gunicorn answers itself (a request line or header too long, a
malformed request) are sent in the contract's JSON shape too.

Budgets (issue 11): every connection is counted against its address as it is
accepted (budgets.py; over `QODE_MAX_REQUESTS_PER_ADDRESS` it is refused before a
byte is read), its request line and headers must arrive within
`QODE_HEADER_TIMEOUT`, and each request's body within `QODE_BODY_TIMEOUT` (read
here, before the app runs, so a stalled body never reaches a view). A connection
that becomes a live socket leaves the HTTP budget (sockets.py) and is never
subject to these deadlines: its idle limit is the WebSocket ping.
"""

from __future__ import annotations

import gc
import io
import json
import resource
import socket
import time

import gevent
from gunicorn import util
from gunicorn.app.base import BaseApplication
from gunicorn.http.unreader import SocketUnreader
from gunicorn.workers.ggevent import GeventWorker

from qode_common.websocket import SOCKET_TAKEN

from . import budgets as budgets_mod
from . import watchdog
from .errors import QodeError


def _write_json_error(sock, status_int, reason, mesg):
    code = reason.lower().replace(" ", "_") or "bad_request"
    body = json.dumps({"error": {"code": code, "message": mesg or reason}}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    util.write_nonblock(sock, head + body)
    _linger(sock)


def _linger(sock, limit: int = 65536, seconds: float = 0.5, total: float | None = None) -> None:
    """Half-close and drain what the client still sends, briefly (each read waits `seconds`,
    all of them together `total`), discarding it.

    Closing with unread input makes the kernel send a reset, which can destroy
    the error answer before the client reads it (the usual "lingering close").
    """
    try:
        with gevent.Timeout(total, False):
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(seconds)
            drained = 0
            while drained < limit:
                chunk = sock.recv(8192)
                if not chunk:
                    break
                drained += len(chunk)
    except OSError:
        pass


# An answer sent before its body was read (the logo's 401 or 413) drains at most this much of
# what the client still sends, for at most LINGER_SECONDS, so a client that sends its whole
# upload before reading can still read the answer; the bytes are discarded, never kept.
LINGER_BYTES = 1024 * 1024
LINGER_SECONDS = 5.0


class RequestTimeout(Exception):
    """A request's headers or body did not arrive within its deadline."""


class BodyTimeout(RequestTimeout):
    """The body did not: there is always a request to answer."""


class BodyTooSlow(QodeError):
    """A body read by a view itself (the logo's) did not arrive within QODE_BODY_TIMEOUT."""
    status = 408
    code = "request_timeout"


LOGO_PATH = "/api/venue/logo"  # issue 14: its body is read only after the admin token is checked
SYNC_PATH = "/api/sync/batches"  # the hub's: a box's batch, read only after the box's key is checked
AUTH_FIRST = (LOGO_PATH, SYNC_PATH)  # views that read their larger body themselves (api.body_after_auth)


def _read_within(environ, body_timeout: float | None, largest: int | None) -> bytes:
    """Up to `largest` + 1 bytes of the body (all of it when None), within `body_timeout`."""
    sock = environ["gunicorn.socket"]
    previous = sock.gettimeout()
    sock.settimeout(None)  # the body's deadline is the whole read's, not each chunk's
    try:
        with gevent.Timeout(body_timeout, BodyTimeout("the request body did not arrive in time")):
            return environ["wsgi.input"].read(-1 if largest is None else largest + 1)
    finally:
        sock.settimeout(previous)


def _close_after_answer() -> None:
    """The request being served leaves a body unread: its answer goes out with `Connection:
    close`, and `handle_request` then drains what the client still sends (briefly) before closing,
    so the client reads the answer instead of a reset."""
    me = gevent.getcurrent()
    req = getattr(me, "qode_request", None)
    if req is not None:
        req.must_close = True
        me.qode_linger = True


def _note_received() -> None:
    """Mark the serving connection `partial` whenever bytes arrive between requests.

    A header deadline that passes on a connection that sent nothing (an idle keep-alive
    or a browser's preconnect) closes it quietly; one that got part of a request
    answers 408 first.
    """
    original = SocketUnreader.chunk
    if getattr(original, "qode_counting", False):
        return

    def chunk(self, size_hint=None):
        data = original(self, size_hint)
        if data:
            conn = budgets_mod.current()
            if conn is not None:
                conn.partial = True
        return data

    chunk.qode_counting = True
    SocketUnreader.chunk = chunk


def _refuse(sock) -> None:
    """Answer 429 to a connection over its address's budget, without reading, and close it."""
    body = json.dumps({"error": {"code": "too_many_connections", "message":
                       "too many open connections from this address; try again shortly"}}).encode()
    head = ("HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nRetry-After: 1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode("latin-1")
    try:
        util.write_nonblock(sock, head + body)
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    util.close(sock)


class _HeaderWait:
    """gunicorn reads a request line and headers inside this: their deadline, and meanwhile a
    place in the worker's list of connections that are only waiting (shed first when the
    worker runs short of connections)."""

    def __init__(self, worker: Worker, seconds: float | None):
        self.worker, self.seconds = worker, seconds
        self.greenlet = None
        self.since = 0.0

    def __enter__(self):
        self.timer = gevent.Timeout(self.seconds, RequestTimeout("the request headers did not arrive in time"))
        self.timer.start()
        self.greenlet = gevent.getcurrent()
        self.since = time.monotonic()
        self.worker.waiting[self] = None
        return self

    def __exit__(self, *exc):
        self.timer.close()
        self.worker.waiting.pop(self, None)
        return False

    def shed(self) -> None:
        """End the wait now, as if its deadline had passed (from the hub: the same way a
        deadline does, and only while the connection is still waiting)."""
        def fire():
            if self in self.worker.waiting:
                self.worker.waiting.pop(self, None)
                self.greenlet.throw(RequestTimeout("the server is short of connections"))

        gevent.get_hub().loop.run_callback(fire)


class Worker(GeventWorker):
    """The gevent worker: gunicorn's own request errors as JSON, read deadlines, address budgets.

    When fewer than `shed_margin` connections are left, connections that have been waiting
    for a request line or headers for over SHED_AFTER seconds (a stalled request or an idle
    keep-alive) are closed, oldest first, so many addresses together cannot hold the HTTP
    slots until their deadlines either.
    """

    SHED_AFTER = 1.0

    def init_process(self):
        util.write_error = _write_json_error
        _note_received()
        self.waiting: dict[_HeaderWait, None] = {}  # in the order they started waiting
        self.active = 0
        self.shed_margin = max(8, (self.worker_connections - self._max_clients()) // 8)
        self.shed_count = 0
        super().init_process()

    def run(self):
        # issue 17: what the worker loaded to serve (Flask, the app, gevent, its caches) lives as long
        # as the worker: out of the cyclic GC's reach, so a full collection walks only what requests
        # and sockets made since (at 1,000 sockets on one Pi-class core it walked twice as much).
        gc.collect()
        gc.freeze()
        gevent.spawn(self._watch_slots)
        super().run()

    def handle_quit(self, sig, frame):
        """Quit once. Ctrl-C reaches the worker twice: the terminal's SIGINT to the whole process
        group, then the master's SIGQUIT. gunicorn's handler ends with sys.exit(0) in a greenlet each
        time; the second one ran while the interpreter was already shutting down, and gevent printed
        it as a `SystemExit: 0` traceback."""
        if getattr(self, "_quitting", False):
            return
        self._quitting = True
        super().handle_quit(sig, frame)

    def _watch_slots(self) -> None:
        """Shed also while nothing new is accepted (a full pool stops accepting)."""
        while self.alive:
            gevent.sleep(0.5)
            if self.active >= self.worker_connections - self.shed_margin:
                self._shed()

    def _max_clients(self) -> int:
        from .config import load

        return load()["MAX_CLIENTS"]

    def _shed(self) -> None:
        now = time.monotonic()
        victims = []
        for wait in self.waiting:
            if now - wait.since < self.SHED_AFTER or len(victims) >= self.shed_margin:
                break
            victims.append(wait)
        for wait in victims:
            wait.shed()
        self.shed_count += len(victims)

    def load_wsgi(self):
        """The app, behind `_body_first` (each request's body read before the app runs)."""
        super().load_wsgi()
        self.qode_app = self.wsgi
        self.wsgi = self._body_first

    def _body_first(self, environ, start_response):
        """Read the request's body before the app runs, within QODE_BODY_TIMEOUT.

        Only bodies the app may accept (up to its largest body, QODE_MAX_BODY) are read here; a
        longer one is refused by the app with 413, unread: by its declared length, or (a chunked
        body, whose size shows only as it comes) once more than the largest came, never cut to it.
        Either closes the connection after a brief lingering drain, so the client reads the 413
        even if it sent the whole body first. gunicorn has answered an `Expect: 100-continue` by
        now. The bytes read replace `wsgi.input`, so the app reads them as if from the socket.

        The larger bodies (the venue's logo; on the hub, a box's batch) are never read before the
        credential is checked: their views read them through `api.body_after_auth`, under the same
        deadline (AUTH_FIRST).
        """
        _, _, body_timeout, largest, _ = self._settings()
        if environ.get("PATH_INFO") in AUTH_FIRST:
            return self._auth_first(environ, start_response, body_timeout)
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        length = environ.get("CONTENT_LENGTH") or ""
        declared = int(length) if length.isdigit() else 0
        too_long = largest is not None and declared > largest
        if too_long:
            _close_after_answer()
        if not chunked and (body_timeout is None or declared == 0 or too_long):
            return self.qode_app(environ, start_response)
        # A chunked body is read here even with QODE_BODY_TIMEOUT=off (then without a deadline):
        # only here is it held to the largest body (the app would take it whole, past the limit).
        body = _read_within(environ, body_timeout, largest)
        if largest is not None and len(body) > largest:  # more came than the largest body
            environ["CONTENT_LENGTH"] = str(len(body))  # the app's 413 reads it as declared
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            _close_after_answer()
        environ["wsgi.input"] = io.BytesIO(body)
        return self.qode_app(environ, start_response)

    def _auth_first(self, environ, start_response, body_timeout):
        """The logo's (or a hub's batch's) view, with `qode.read_body(limit)` to read its body once
        authenticated. An
        answer that left a body unread (a 401, a 413 by its declared length) closes the
        connection, after a brief lingering drain, instead of gunicorn reading the rest."""
        read = []

        def read_body(limit: int | None) -> bytes:
            read.append(True)
            try:
                data = _read_within(environ, body_timeout, limit)
            except BodyTimeout as exc:
                _close_after_answer()  # the rest of a stalled body is never waited for
                raise BodyTooSlow(str(exc)) from None
            if limit is not None and len(data) > limit:
                _close_after_answer()  # its view answers 413; the rest is drained briefly, not read
            return data

        environ["qode.read_body"] = read_body
        answer = self.qode_app(environ, start_response)
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not read and (chunked or (environ.get("CONTENT_LENGTH") or "0") != "0"):
            _close_after_answer()
        return answer

    def _settings(self):
        """(budgets, header timeout, body timeout, largest body, response timeout) from the loaded app."""
        cached = getattr(self, "_qode_settings", None)
        if cached is None:
            app = self.qode_app
            config = getattr(app, "config", {})
            budgets = getattr(app, "extensions", {}).get("qode_budgets")
            cached = self._qode_settings = (budgets, config.get("HEADER_TIMEOUT"), config.get("BODY_TIMEOUT"),
                                            config.get("MAX_CONTENT_LENGTH"), config.get("RESPONSE_TIMEOUT"))
        return cached

    def handle(self, listener, client, addr):
        self.active += 1
        try:
            if self.active >= self.worker_connections - self.shed_margin:
                self._shed()
            budgets = self._settings()[0]
            if budgets is None:
                return super().handle(listener, client, addr)
            peer = addr[0] if isinstance(addr, tuple) and addr else None
            conn = budgets_mod.Connection(budgets, peer)
            if not conn.enter():
                _refuse(client)
                return None
            gevent.getcurrent().qode_connection = conn
            try:
                return super().handle(listener, client, addr)
            finally:
                conn.leave_http()
        finally:
            self.active -= 1

    def timeout_ctx(self):
        """The deadline for the next request line and headers (gunicorn reads them under it)."""
        conn = budgets_mod.current()
        header_timeout = self._settings()[1]
        if conn is None or conn.requests == 0:
            seconds = header_timeout
        else:  # a kept-alive connection: the keep-alive wait, never longer than a first request's
            seconds = self.cfg.keepalive if header_timeout is None else min(self.cfg.keepalive, header_timeout)
        return _HeaderWait(self, seconds)

    def handle_request(self, listener_name, req, sock, addr):
        conn = budgets_mod.current()
        if conn is not None:
            conn.requests += 1
            conn.partial = False
        me = gevent.getcurrent()
        me.qode_request, me.qode_linger = req, False
        try:
            return self._handle_timed(listener_name, req, sock, addr)
        except StopIteration:
            if me.qode_linger:  # an answer sent before its body was read: let the client read it
                _linger(sock, LINGER_BYTES, total=LINGER_SECONDS)
            raise
        finally:
            me.qode_request = None
            if conn is not None:
                conn.partial = False  # bytes from here on belong to a next request
            # Take turns: without this, a keep-alive client whose next request is already
            # buffered is served again before anyone else, which stretches everyone's p99.
            gevent.sleep(0)

    def _handle_timed(self, listener_name, req, sock, addr):
        response_timeout = self._settings()[4]
        if response_timeout is None:
            return super().handle_request(listener_name, req, sock, addr)
        # The body is in: the socket's timeout now bounds only the answer's writes (a client that
        # stops reading cannot hold the connection). A live socket drops it once admitted.
        sock.settimeout(response_timeout)
        try:
            return super().handle_request(listener_name, req, sock, addr)
        except TimeoutError:
            raise StopIteration("the client did not take the answer in time") from None
        finally:
            try:
                sock.settimeout(None)
            except OSError:
                pass

    def is_already_handled(self, respiter):
        """gunicorn's hook for an app that took the connection over: a live socket's request ends
        with SOCKET_TAKEN (sockets.route); no HTTP answer follows and the connection is closed."""
        if respiter is SOCKET_TAKEN:
            raise StopIteration("a live socket ended")
        return super().is_already_handled(respiter)

    def handle_error(self, req, client, addr, exc):
        if isinstance(exc, RequestTimeout):
            conn = budgets_mod.current()
            if isinstance(exc, BodyTimeout) or conn is None or conn.partial:
                _write_json_error(client, 408, "Request Timeout", str(exc))
            return
        super().handle_error(req, client, addr, exc)


class Server(BaseApplication):
    def __init__(self, host: str, port: int, options: dict | None = None):
        self.bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self.extra = options or {}
        from .config import load

        settings = load()
        self.max_clients = settings["MAX_CLIENTS"]
        self.http_connections = settings["HTTP_CONNECTIONS"]
        _raise_open_files(self.max_clients + self.http_connections + 256)
        # Under systemd: READY=1 and WATCHDOG=1 from a check that the worker answers (watchdog.py).
        self.watchdog = watchdog.from_environ()
        super().__init__()

    def load_config(self):
        settings = {
            "bind": [self.bind],
            "workers": 1,
            "worker_class": "qode.serving.Worker",
            # Every live socket holds a connection; sockets stop at max_clients (sockets.py), so
            # http_connections slots are always left for plain HTTP.
            "worker_connections": self.max_clients + self.http_connections,
            "control_socket_disable": True,
            "graceful_timeout": 5,
            "keepalive": 5,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "info",
            **self.watchdog.settings(),
            **self.extra,
        }
        for key, value in settings.items():
            self.cfg.set(key, value)

    def load(self):
        from . import create_app

        return create_app()


def _raise_open_files(wanted: int) -> None:
    """Raise the soft open-files limit toward `wanted` (a service's default of 1024 is
    below what the connection budget holds; accept() would fail with EMFILE first)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass
