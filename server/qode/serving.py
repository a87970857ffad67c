"""Runs the app under gunicorn: one gevent worker, no control socket.

One worker because the process owns the only database writer and the live hub.
Errors that gunicorn answers itself (a request line or header too long, a
malformed request) are sent in the contract's JSON shape too.
"""

from __future__ import annotations

import json
import socket

import gevent
from gunicorn import util
from gunicorn.app.base import BaseApplication
from gunicorn.workers.ggevent import GeventWorker

from . import watchdog


def _write_json_error(sock, status_int, reason, mesg):
    code = reason.lower().replace(" ", "_") or "bad_request"
    body = json.dumps({"error": {"code": code, "message": mesg or reason}}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    util.write_nonblock(sock, head + body)
    _linger(sock)


def _linger(sock, limit: int = 65536, seconds: float = 0.5) -> None:
    """Half-close and drain what the client still sends, briefly.

    Closing with unread input makes the kernel send a reset, which can destroy
    the error answer before the client reads it (the usual "lingering close").
    """
    try:
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


class Worker(GeventWorker):
    """The gevent worker, answering gunicorn's own request errors as JSON."""

    def init_process(self):
        util.write_error = _write_json_error
        super().init_process()

    def handle_request(self, listener_name, req, sock, addr):
        try:
            return super().handle_request(listener_name, req, sock, addr)
        finally:
            # Take turns: without this, a keep-alive client whose next request is already
            # buffered is served again before anyone else, which stretches everyone's p99.
            gevent.sleep(0)


class Server(BaseApplication):
    def __init__(self, host: str, port: int, options: dict | None = None):
        self.bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self.extra = options or {}
        from .config import load

        self.max_clients = load()["MAX_CLIENTS"]
        # Under systemd: READY=1 and WATCHDOG=1 from a check that the worker answers (watchdog.py).
        self.watchdog = watchdog.from_environ()
        super().__init__()

    def load_config(self):
        settings = {
            "bind": [self.bind],
            "workers": 1,
            "worker_class": "qode.serving.Worker",
            # Every live socket holds a connection: leave HTTP room above the socket cap.
            "worker_connections": self.max_clients + 256,
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
