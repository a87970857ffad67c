"""WebSocket connections on wsproto's public API: the server side, made from a WSGI request
under gunicorn, and the client side (the kiosk, the tests, the benchmarks).

wsproto turns events into bytes and bytes into events; this module owns the socket. What it
promises, on both sides:

- every send is one complete `sendall` under the connection's lock, so a frame is never cut
  or interleaved with another (simple-websocket's `send` used `socket.send`, which can cut a
  large frame under gevent: its issue #45);
- `send_frame` sends a frame made once by `frame_encoder()` and shared by many sockets (the
  live hub frames a broadcast once), and `send_now` tries it without waiting: one
  non-blocking write to the socket's file descriptor; what the kernel does not take goes
  out, under the lock, before anything else;
- pings every `ping_interval` seconds; a peer whose pong has not come back by the next ping
  is closed (1008);
- an inbound message (all its fragments together) over `max_message_size` is closed with 1009;
- a close is a close handshake: the side that closes sends its code and reason, waits a
  moment for the other side's close, then drops the TCP connection;
- no extension is negotiated (permessage-deflate included): every server frame is plain, so
  one frame serves every socket, and no socket carries a compressor's memory.

The server side reads in the request's own greenlet (`receive`); the client side reads in a
thread of its own, so pings are answered while the caller does something else.
"""

from __future__ import annotations

import base64
import os
import select
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Event,
    Ping,
    Pong,
    RejectConnection,
    Request,
    TextMessage,
)
from wsproto.utilities import LocalProtocolError, RemoteProtocolError

__all__ = ["SOCKET_TAKEN", "Client", "ConnectionClosed", "HandshakeError", "RemoteProtocolError",
           "ServerWebSocket", "WebSocket", "frame_encoder", "open_server_connection", "server_handshake"]

NORMAL, POLICY_VIOLATION, TOO_BIG = 1000, 1008, 1009
NO_STATUS, ABNORMAL = 1005, 1006
RECEIVE_BYTES = 65536
PONG_READS = 4  # reads of what waits, before a ping finds the last pong missing
CLOSE_WAIT = 1.0  # how long a closing side waits for the other side's close


class ConnectionClosed(ConnectionError):
    """The connection is closed: `reason` is the close code (1005: none given, 1006: the
    connection was lost), `message` the close reason."""

    def __init__(self, reason: int = NO_STATUS, message: str | None = None):
        super().__init__(f"websocket closed ({reason}{': ' + message if message else ''})")
        self.reason = reason
        self.message = message


class HandshakeError(ConnectionError):
    """The server did not accept the upgrade: `status` is its HTTP status (0: no answer)."""

    def __init__(self, status: int, detail: str = ""):
        super().__init__(f"websocket handshake refused: {status} {detail}".strip())
        self.status = status


class WebSocket:
    """One open connection over `sock`, driven by a `WSConnection` past its handshake."""

    def __init__(self, sock, conn: WSConnection, ping_interval: float | None = None,
                 max_message_size: int | None = None):
        self.socket = sock
        self.conn = conn
        self.ping_interval = ping_interval or None
        self.max_message_size = max_message_size or None
        self.connected = True  # messages may be sent and received (no close sent or received)
        self.close_reason = NO_STATUS
        self.close_message: str | None = None
        self.ended = False  # the close handshake is over, or the connection was lost
        self.close_received: int | None = None  # the code of the peer's close frame, once it came
        self.send_lock = threading.Lock()  # socket writes, and the frames' order
        self.state_lock = threading.Lock()  # the wsproto connection, between reader and senders
        self.unsent = b""  # what a non-blocking write left over: it goes out first
        self.close_sent = False
        self.messages: deque = deque()
        self.parts: list = []
        self.part_size = 0
        self.pong_due = False
        self.next_ping = time.monotonic() + self.ping_interval if self.ping_interval else None
        self.poller = select.poll()  # gevent's cooperative poll under gevent; no FD_SETSIZE limit
        self.poller.register(sock.fileno(), select.POLLIN)
        # The fast path writes to the descriptor directly: only for a plain socket whose
        # descriptor is non-blocking (gevent's always are), never through TLS.
        self.writes_now = not isinstance(sock, ssl.SSLSocket) and not hasattr(sock, "do_handshake") \
            and not os.get_blocking(sock.fileno())

    # ---- sending ---------------------------------------------------------------------

    def send(self, data: str | bytes) -> None:
        """Send one text (str) or binary (bytes) message."""
        event = TextMessage(data=data) if isinstance(data, str) else BytesMessage(data=bytes(data))
        self.send_event(event)

    def send_event(self, event: Event) -> None:
        with self.send_lock:
            if self.close_sent or (not self.connected and not isinstance(event, CloseConnection)):
                raise ConnectionClosed(self.close_reason, self.close_message)
            with self.state_lock:
                try:
                    out = self.conn.send(event)
                except LocalProtocolError as err:
                    raise ConnectionClosed(self.close_reason, self.close_message) from err
            if isinstance(event, CloseConnection):
                self.close_sent = True
            self.write(out)

    def send_frame(self, frame: bytes) -> int:
        """Send a frame made by `frame_encoder()`: a complete sendall, after anything left over."""
        with self.send_lock:
            if self.close_sent:
                raise ConnectionClosed(self.close_reason, self.close_message)
            self.write(frame)
        return len(frame)

    def send_now(self, frame: bytes) -> int | None:
        """Write a frame without waiting: how many bytes are left for the next send to flush, or
        None when nothing was tried (no fast path, something already waiting, a send under way)."""
        if not self.writes_now or self.unsent or not self.send_lock.acquire(blocking=False):
            return None
        try:
            if self.close_sent:
                raise ConnectionClosed(self.close_reason, self.close_message)
            fd = self.socket.fileno()
            if fd < 0:
                raise ConnectionClosed(ABNORMAL, "the socket is closed")
            try:
                sent = os.write(fd, frame)
            except (BlockingIOError, InterruptedError):
                sent = 0
            self.unsent = frame[sent:]
            return len(self.unsent)
        finally:
            self.send_lock.release()

    def write(self, data: bytes) -> None:
        """Under `send_lock`: what the fast path left, then `data`, each as one sendall."""
        if self.unsent:
            self.socket.sendall(self.unsent)
            self.unsent = b""
        if data:
            self.socket.sendall(data)

    # ---- receiving -------------------------------------------------------------------

    def receive(self, timeout: float | None = None) -> str | bytes | None:
        """The next message (str for text, bytes for binary), None if none came within `timeout`
        seconds; ConnectionClosed once the connection is closed and every message was taken."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self.messages:
                return self.messages.popleft()
            if not self.connected or self.ended:
                raise ConnectionClosed(self.close_reason, self.close_message)
            if deadline is not None and time.monotonic() >= deadline:
                return None
            self.step(deadline)

    def step(self, deadline: float | None) -> None:
        """Wait for bytes until `deadline` or the next ping, whichever is first; handle what came."""
        now = time.monotonic()
        wait = None if deadline is None else deadline - now
        if self.next_ping is not None and self.connected:  # no pings once closing
            if self.next_ping <= now:
                # This reader may have been away a whole interval (a long send, a stalled worker),
                # with the pong waiting unread: read what is there (a bounded few reads, so a peer
                # that only talks cannot put its judgement off) before judging the peer silent.
                for _ in range(PONG_READS):
                    if not (self.pong_due and self.connected and self.readable(0)):
                        break
                    self.read_once()
                if self.connected:
                    self.ping()
                return
            wait = self.next_ping - now if wait is None else min(wait, self.next_ping - now)
        elif wait is not None and wait <= 0:
            return
        if self.readable(wait):
            self.read_once()

    def read_once(self) -> None:
        """One `recv` (the socket is readable), its events handled."""
        try:
            data = self.socket.recv(RECEIVE_BYTES)
        except (BlockingIOError, InterruptedError, TimeoutError, ssl.SSLWantReadError):
            return  # nothing whole yet (e.g. part of a TLS record)
        except OSError:
            data = b""
        with self.state_lock:
            try:
                self.conn.receive_data(data or None)
                events = list(self.conn.events())
            except (LocalProtocolError, RemoteProtocolError):
                events = [CloseConnection(code=ABNORMAL)]
        self.handle(events)

    def readable(self, wait: float | None) -> bool:
        if getattr(self.socket, "pending", None) is not None and self.socket.pending():
            return True  # TLS: decrypted bytes already buffered
        timeout = None if wait is None else max(int(wait * 1000) + 1, 0)
        try:
            return bool(self.poller.poll(timeout))
        except OSError:
            return True  # the socket went away: recv says how

    def handle(self, events: Iterable[Event]) -> None:
        for event in events:
            if isinstance(event, (TextMessage, BytesMessage)):
                if not self.connected:
                    continue  # a message after our close: dropped
                # In bytes, as the limit is written: a text fragment is counted as its UTF-8.
                data = event.data
                self.part_size += len(data.encode()) if isinstance(data, str) else len(data)
                if self.max_message_size is not None and self.part_size > self.max_message_size:
                    self.parts, self.part_size = [], 0
                    self.fail(TOO_BIG, "Message is too big", end=False)  # the peer's close is awaited
                    continue
                self.parts.append(event.data)
                if event.message_finished:
                    joiner = "" if isinstance(event, TextMessage) else b""
                    message = self.parts[0] if len(self.parts) == 1 else joiner.join(self.parts)
                    if isinstance(message, bytearray):
                        message = bytes(message)
                    self.parts, self.part_size = [], 0
                    self.messages.append(message)
                    self.arrived()
            elif isinstance(event, Ping):
                self.reply(event.response())
            elif isinstance(event, Pong):
                self.pong_due = False
            elif isinstance(event, CloseConnection):
                if event.code != ABNORMAL:
                    self.close_received = event.code
                if self.connected:
                    self.close_reason, self.close_message = event.code, event.reason or None
                self.connected = False
                if not self.close_sent and event.code != ABNORMAL:
                    self.reply(event.response())  # the other half of the close handshake
                self.ended = True
                self.arrived()
                return

    def reply(self, event: Event) -> None:
        try:
            self.send_event(event)
        except OSError:  # ConnectionClosed included: the peer is gone; recv will say so
            pass

    def arrived(self) -> None:
        """A message arrived or the connection ended (the client side wakes its reader)."""

    # ---- pings and closing -----------------------------------------------------------

    def ping(self) -> None:
        if self.pong_due:
            self.fail(POLICY_VIOLATION, "Ping/Pong timeout")
            return
        self.pong_due = True
        self.next_ping = max(self.next_ping, time.monotonic()) + self.ping_interval
        self.reply(Ping())

    def fail(self, code: int, reason: str, end: bool = True) -> None:
        """Close from inside the reader: send the close frame; `end` gives up on the peer's (a
        peer that misses its pong is gone)."""
        if self.connected:
            self.close_reason, self.close_message = code, reason
        self.connected = False
        if not self.close_sent:
            self.reply(CloseConnection(code=code, reason=reason))
        if end:
            self.ended = True
        self.arrived()

    def close(self, reason: int = NORMAL, message: str | None = None, wait: float = CLOSE_WAIT) -> None:
        """Send a close frame (code `reason`, text `message`) and wait up to `wait` seconds for the
        peer's; safe to repeat. Raises nothing: a peer that is gone is closed already."""
        if not self.close_sent and not self.ended:
            if self.connected:
                self.close_reason, self.close_message = reason, message
            self.connected = False
            self.reply(CloseConnection(code=reason, reason=message))
        self.linger(wait)

    def linger(self, wait: float) -> None:
        deadline = time.monotonic() + wait
        while not self.ended and time.monotonic() < deadline:
            self.step(deadline)

    def abort(self) -> None:
        """Wake whatever waits on this socket (a slow client being dropped): it reads the end."""
        try:
            self.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


# ---- the server side ---------------------------------------------------------------------

#: What a WSGI app returns for a request whose socket it took over (gunicorn.socket): the server
#: must write no answer and close the connection (qode.serving.Worker.is_already_handled).
class _SocketTaken:
    """An empty WSGI body that tells our gunicorn worker the connection was taken over."""

    def __iter__(self):
        return iter(())

    def __repr__(self) -> str:
        return "SOCKET_TAKEN"


SOCKET_TAKEN = _SocketTaken()

def handshake_request(environ: dict) -> bytes:
    """The upgrade request as it came, rebuilt from a WSGI environ (request line and headers)."""
    target = environ.get("RAW_URI") or environ.get("PATH_INFO", "/")
    if not environ.get("RAW_URI") and environ.get("QUERY_STRING"):
        target += "?" + environ["QUERY_STRING"]
    lines = [f"{environ.get('REQUEST_METHOD', 'GET')} {target} HTTP/1.1"]
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            lines.append(f"{key[5:].replace('_', '-')}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def server_handshake(environ: dict) -> tuple[WSConnection, Request]:
    """A server connection that has read the upgrade request; RemoteProtocolError for a request
    that is not a valid WebSocket upgrade (its `event_hint` is the HTTP answer wsproto suggests)."""
    conn = WSConnection(ConnectionType.SERVER)
    conn.receive_data(handshake_request(environ))
    for event in conn.events():
        if isinstance(event, Request):
            return conn, event
    raise RemoteProtocolError("not a WebSocket upgrade request", event_hint=RejectConnection(status_code=400))


class ServerWebSocket(WebSocket):
    """The server side of one socket: accept it with `accept(environ)`."""

    @classmethod
    def accept(cls, environ: dict, conn: WSConnection | None = None, ping_interval: float | None = None,
               max_message_size: int | None = None) -> ServerWebSocket:
        """Answer the upgrade (101) on the request's socket, `gunicorn.socket` in the environ."""
        sock = environ.get("gunicorn.socket")
        if sock is None:
            raise RuntimeError("live sockets need `qode serve` (gunicorn): no gunicorn.socket in the environ")
        if conn is None:
            conn, _ = server_handshake(environ)
        sock.sendall(conn.send(AcceptConnection()))
        return cls(sock, conn, ping_interval, max_message_size)


def open_server_connection() -> WSConnection:
    """A server `WSConnection` past a handshake of its own (no peer): its `send()` frames what
    any server connection of this module would send, so it can frame for all of them."""
    key = base64.b64encode(os.urandom(16)).decode()
    conn = WSConnection(ConnectionType.SERVER)
    conn.receive_data((f"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    for _ in conn.events():
        pass
    conn.send(AcceptConnection())
    return conn


def frame_encoder() -> Callable[[str], bytes]:
    """A function that frames a text as one server-to-client frame: the bytes every server
    connection of this module sends for it (unmasked, no extension), so a broadcast is framed
    once and the same bytes go to every socket (`WebSocket.send_frame`). The framing is a
    wsproto connection's `send()` (wsproto's public API)."""
    conn = open_server_connection()
    lock = threading.Lock()

    def encode(text: str) -> bytes:
        with lock:
            return conn.send(TextMessage(data=text))

    return encode


# ---- the client side ---------------------------------------------------------------------

class Client(WebSocket):
    """A client connection to a ws:// or wss:// URL, read by a thread of its own.

    Frames that arrive with the handshake's 101 (the server's first message, or its close)
    are handed on at once. wss:// uses `ssl_context`, by default the system's, which honours
    SSL_CERT_FILE.
    """

    def __init__(self, url: str, ssl_context: ssl.SSLContext | None = None, ping_interval: float | None = None,
                 max_message_size: int | None = None, headers: list[tuple[str, str]] | None = None,
                 timeout: float = 10.0):
        parts = urlsplit(url)
        if parts.scheme not in ("ws", "wss", "http", "https") or not parts.hostname:
            raise ValueError(f"not a ws:// or wss:// URL: {url!r}")
        secure = parts.scheme in ("wss", "https")
        host, port = parts.hostname, parts.port or (443 if secure else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        sock = socket.create_connection((host, port), timeout=timeout)
        try:
            if secure:
                context = ssl_context or ssl.create_default_context()
                sock = context.wrap_socket(sock, server_hostname=host)
            conn = WSConnection(ConnectionType.CLIENT)
            netloc = parts.netloc.rsplit("@", 1)[-1]
            sock.sendall(conn.send(Request(host=netloc, target=target, extra_headers=headers or [])))
            after = self.read_handshake(sock, conn)
            sock.settimeout(None)
        except BaseException:
            sock.close()
            raise
        self.arrival = threading.Condition()
        super().__init__(sock, conn, ping_interval, max_message_size)
        self.handle(after)
        self.thread = threading.Thread(target=self.run, name="qode-websocket-client", daemon=True)
        self.thread.start()

    @classmethod
    def connect(cls, url: str, **options) -> Client:
        return cls(url, **options)

    @staticmethod
    def read_handshake(sock, conn: WSConnection) -> list[Event]:
        """Read until the server's answer; the events that came after the 101, in order."""
        while True:
            data = sock.recv(RECEIVE_BYTES)
            if not data:
                raise HandshakeError(0, "the server closed the connection")
            conn.receive_data(data)
            events = list(conn.events())
            for n, event in enumerate(events):
                if isinstance(event, RejectConnection):
                    raise HandshakeError(event.status_code)
                if isinstance(event, AcceptConnection):
                    return events[n + 1:]

    def run(self) -> None:
        try:
            while not self.ended:
                self.step(None)
        finally:
            self.ended = True
            self.connected = False
            self.arrived()
            try:
                self.socket.close()
            except OSError:
                pass

    def arrived(self) -> None:
        with self.arrival:
            self.arrival.notify_all()

    def receive(self, timeout: float | None = None) -> str | bytes | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.arrival:
            while not self.messages:
                if not self.connected or self.ended:
                    raise ConnectionClosed(self.close_reason, self.close_message)
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return None
                self.arrival.wait(left)
            return self.messages.popleft()

    def close(self, reason: int = NORMAL, message: str | None = None, wait: float = CLOSE_WAIT) -> None:
        """Send a close frame and wait up to `wait` seconds for the server's; then the reader ends."""
        if not self.close_sent and not self.ended:
            if self.connected:
                self.close_reason, self.close_message = reason, message
            self.connected = False
            self.reply(CloseConnection(code=reason, reason=message))
        if threading.current_thread() is not self.thread:
            self.thread.join(wait)
            if self.thread.is_alive():
                self.abort()
                self.thread.join(wait)
