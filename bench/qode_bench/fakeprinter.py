"""A fake ESC/POS network printer on 127.0.0.1, for tests, benchmarks and demos without hardware.

It answers the real-time status queries (DLE EOT 1-4) the way a printer does, for whatever
`mode` it is in right now, and records each ticket once its cut (GS V) has arrived. It keeps
its own small parser on purpose: the product's parser (preview.py) must not grade itself.

    python -m qode_bench.fakeprinter --port 9100 --mode ok
"""

from __future__ import annotations

import argparse
import socket
import struct
import threading
import time
from dataclasses import dataclass, field

# ok, paper_low, paper_out, offline (cover open), error (cutter jammed): what the status answers say.
# drop: answers, but resets the connection (RST) at the first byte of a ticket; the ticket is lost.
# hang: answers until a ticket's first byte, then takes everything in silence and prints nothing.
# silent: connects, never answers a status query. refuse: resets each connection as it is accepted.
MODES = ("ok", "paper_low", "paper_out", "offline", "error", "drop", "hang", "silent", "refuse")

# Status bytes: bits 1 and 4 are always set in every DLE EOT answer.
_BASE = 0x12
_OFFLINE = 0x08  # n=1: offline
_COVER_OPEN, _PAPER_END_STOP, _ERROR = 0x04, 0x20, 0x40  # n=2: why offline
_CUTTER_ERROR = 0x08  # n=3
_NEAR_END, _PAPER_END = 0x0C, 0x60  # n=4: roll near-end and end sensors

# Arguments after ESC x and GS x, so that text() can drop them: the fake's own small table.
_ESC_ARGS = {0x40: 0, 0x21: 1, 0x45: 1, 0x47: 1, 0x61: 1, 0x74: 1, 0x2D: 1, 0x4D: 1, 0x64: 1, 0x4A: 1,
             0x32: 0, 0x33: 1, 0x70: 3, 0x7B: 1}
_GS_ARGS = {0x21: 1, 0x42: 1, 0x62: 1, 0x48: 1, 0x68: 1, 0x77: 1, 0x66: 1}
_CUT_WITH_FEED = (65, 66, 97, 98, 103, 104)  # GS V m n; the others are GS V m


@dataclass
class FakeTicket:
    data: bytes  # everything between the previous cut (or the connection's start) and this cut, queries aside
    qr: list[str] = field(default_factory=list)  # payloads of the QR store commands, in order
    text: str = ""  # the printable text, one line per LF
    last_byte_at: float = 0.0  # time.monotonic() when the cut's last byte arrived


def _answer(mode: str, n: int) -> int:
    if n == 1:
        return _BASE | (_OFFLINE if mode in ("paper_out", "offline", "error") else 0)
    if n == 2:
        return _BASE | {"offline": _COVER_OPEN, "paper_out": _PAPER_END_STOP, "error": _ERROR}.get(mode, 0)
    if n == 3:
        return _BASE | (_CUTTER_ERROR if mode == "error" else 0)
    return _BASE | {"paper_low": _NEAR_END, "paper_out": _NEAR_END | _PAPER_END}.get(mode, 0)


def _qr_payloads(data: bytes) -> list[str]:
    found, i = [], 0
    while (i := data.find(b"\x1d(k", i)) >= 0:
        size = int.from_bytes(data[i + 3:i + 5], "little")
        body = data[i + 5:i + 5 + size]
        if body.startswith(b"1P0"):
            found.append(body[3:].decode("utf-8", "replace"))
        i += 5 + max(size, 0) if len(data) >= i + 5 else len(data)
    return found


def _text(data: bytes) -> str:
    out, i = bytearray(), 0
    while i < len(data):
        byte = data[i]
        if byte == 0x1B:
            i += 2 + _ESC_ARGS.get(data[i + 1] if i + 1 < len(data) else 0, 0)
        elif byte == 0x1D:
            cmd = data[i + 1] if i + 1 < len(data) else 0
            if cmd == 0x28:  # GS ( X pL pH data
                i += 5 + int.from_bytes(data[i + 3:i + 5], "little")
            elif cmd == 0x76:  # GS v 0 m xL xH yL yH data: a raster picture (a venue's logo)
                i = _raster_end(data, i) or len(data)
            elif cmd == 0x56:
                i += 4 if i + 2 < len(data) and data[i + 2] in _CUT_WITH_FEED else 3
            else:
                i += 2 + _GS_ARGS.get(cmd, 0)
        else:
            if byte == 0x0A or byte >= 0x20:
                out.append(byte)
            i += 1
    return out.decode("cp437")


def _raster_end(data: bytes, i: int) -> int | None:
    """Where GS v 0 m xL xH yL yH d1..dk at `i` ends (k = x * y bytes), or None before it all came."""
    if len(data) - i < 8:
        return None
    end = i + 8 + int.from_bytes(data[i + 4:i + 6], "little") * int.from_bytes(data[i + 6:i + 8], "little")
    return end if end <= len(data) else None


def _gs_end(data: bytes, i: int) -> int | None:
    """Where the GS command at `i` ends, or None if it has not all arrived (only GS ( and GS V matter)."""
    if len(data) - i < 2:
        return None
    if data[i + 1] == 0x28:
        if len(data) - i < 5:
            return None
        end = i + 5 + int.from_bytes(data[i + 3:i + 5], "little")
    elif data[i + 1] == 0x56:
        if len(data) - i < 3:
            return None
        end = i + (4 if data[i + 2] in _CUT_WITH_FEED else 3)
    elif data[i + 1] == 0x76:  # GS v 0: its picture's bytes are data, never commands
        return _raster_end(data, i)
    else:
        end = i + 1
    return end if end <= len(data) else None


class _Connection:
    """One client's byte stream: status queries answered, ticket bytes collected up to each cut."""

    def __init__(self, fake: FakePrinter, sock: socket.socket):
        self.fake, self.sock = fake, sock
        self.pending = b""  # bytes that may be the start of a command still arriving
        self.ticket = bytearray()
        self.hung = False  # the `hang` mode took ticket bytes: no more answers, no more printing

    def feed(self, chunk: bytes, now: float) -> bool:
        """Take `chunk`; False when the connection must end (the `drop` mode)."""
        data, i = self.pending + chunk, 0
        self.pending = b""
        while i < len(data):
            byte, end, cut = data[i], i + 1, False
            if byte == 0x10:  # DLE EOT n
                if len(data) - i < 3:
                    self.pending = data[i:]
                    return True
                if data[i + 1] == 0x04 and 1 <= data[i + 2] <= 4:
                    if not self.hung:
                        self.fake._status_query(self.sock, data[i + 2])
                    i += 3
                    continue
            elif byte == 0x1D:
                gs_end = _gs_end(data, i)
                if gs_end is None:  # the rest of this command has not arrived yet
                    self.pending = data[i:]
                    return True
                if data[i + 1] in (0x28, 0x56, 0x76):  # GS ( X pL pH data, GS V: the cut, GS v 0 picture
                    end, cut = gs_end, data[i + 1] == 0x56
            self.ticket += data[i:end]
            i = end
            mode = self.fake.mode
            if mode == "drop":
                return False  # mid-ticket: hang up on the sender
            if mode == "hang" or self.hung:
                self.hung = True
            elif cut:
                self.fake._record(bytes(self.ticket), now)
                self.ticket.clear()
        return True

    @property
    def lost_a_ticket(self) -> bool:
        return self.hung or bool(self.ticket)


class FakePrinter:
    """A thread-based ESC/POS printer on a TCP port; set `mode` at any time (see MODES)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, mode: str = "ok"):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        self.host, self.port, self.mode = host, port, mode
        self.tickets: list[FakeTicket] = []
        self.dropped = 0
        self.connections = 0
        self.status_queries = 0
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._socks: set[socket.socket] = set()

    def start(self) -> FakePrinter:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.host, self.port))
            listener.listen(64)
            listener.settimeout(0.05)
        except OSError:
            listener.close()
            raise
        self._listener, self.port = listener, listener.getsockname()[1]
        self._spawn(self._accept_loop, "fakeprinter-accept")
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Close the listener and every connection; wait (bounded) for the threads."""
        self._stop.set()  # each thread sees this within 50 ms and closes its own socket
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            leftovers, self._socks = list(self._socks), set()
        for sock in leftovers:  # only if a thread did not finish in time
            _hang_up(sock)
        if self._listener is not None:
            self._listener.close()

    def __enter__(self) -> FakePrinter:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def wait_for_tickets(self, n: int, timeout: float) -> bool:
        """True once at least `n` tickets are recorded, False after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.tickets) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
            return True

    def wait_idle(self, timeout: float) -> bool:
        """True once every connection taken so far is closed and what it carried is recorded (a
        ticket, a drop): a test's "nothing was printed" then holds for all it sent. False after
        `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._socks:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
            return True

    # -- the threads -------------------------------------------------------------------------------

    def _spawn(self, target, name: str, *args) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
            if self.mode == "refuse":
                _hang_up(sock)
                continue
            with self._lock:
                self._socks.add(sock)
            self._spawn(self._serve, "fakeprinter-conn", sock)

    def _serve(self, sock: socket.socket) -> None:
        connection = _Connection(self, sock)
        sock.settimeout(0.05)
        try:
            while not self._stop.is_set():
                try:
                    chunk = sock.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not chunk:
                    break
                if not connection.feed(chunk, time.monotonic()):
                    break
        finally:
            _hang_up(sock)
            if connection.lost_a_ticket:
                with self._lock:
                    self.dropped += 1
            with self._changed:
                self._socks.discard(sock)
                self._changed.notify_all()

    def _status_query(self, sock: socket.socket, n: int) -> None:
        with self._lock:
            self.status_queries += 1
        if self.mode == "silent":
            return
        try:
            sock.sendall(bytes([_answer(self.mode, n)]))
        except OSError:
            pass  # the client has gone; its reader will see that too

    def _record(self, data: bytes, at: float) -> None:
        ticket = FakeTicket(data, _qr_payloads(data), _text(data), at)
        with self._changed:
            self.tickets.append(ticket)
            self._changed.notify_all()


def _hang_up(sock: socket.socket) -> None:
    """Close abruptly: SO_LINGER 0 sends RST, as a printer that lost power or crashed would."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--mode", choices=MODES, default="ok")
    args = parser.parse_args(argv)
    fake = FakePrinter(args.host, args.port, args.mode).start()
    print(f"fake ESC/POS printer on {args.host}:{fake.port}, mode {args.mode}; Ctrl-C stops it", flush=True)
    seen = 0
    try:
        while True:
            fake.wait_for_tickets(seen + 1, 1.0)
            for ticket in fake.tickets[seen:]:
                codes = "".join(f"\n[QR] {payload}" for payload in ticket.qr)
                print(f"--- ticket ---\n{ticket.text.strip()}{codes}", flush=True)
            seen = len(fake.tickets)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
