"""Per-address budgets: open HTTP connections and live sockets no single address can exhaust.

One process, one gevent worker: the counts are plain dicts, changed only between
I/O waits, so no lock is needed (and the scheduler's threads never touch them).

Two places count:
- the worker (serving.py) at accept, before a byte is read, with the peer's address:
  `open_http` / `close_http`; a refused connection is closed at once;
- the socket routes (sockets.py) once a live socket is admitted, with
  `request.remote_addr` (behind the TLS proxy that is the forwarded address): the
  connection then stops counting as HTTP and counts as a socket instead.

`counted_address` decides which addresses are budgeted; it is the one place to
change if a proxy's forwarded address should be counted for its connections too.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import time

log = logging.getLogger(__name__)

# The box's own peers: its kiosk and display services and the TLS proxy connect from
# here. They are not one "address" to cap: a proxy carries every staff device.
LOCAL_PEERS = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})

# Live sockets kept for host and device sockets: anonymous ones stop this many short of
# QODE_MAX_CLIENTS, so a flood from many addresses still leaves room for the staff.
STAFF_SOCKETS_MAX = 50


def counted_address(address: str | None) -> str | None:
    """The key an address is budgeted under, or None when it is not budgeted."""
    if not address or address in LOCAL_PEERS:
        return None
    return address


class Budgets:
    def __init__(self, http_per_address: int | None, sockets_per_address: int | None,
                 max_clients: int):
        self.http_per_address = http_per_address
        self.sockets_per_address = sockets_per_address
        self.max_clients = max_clients
        self.staff_sockets = min(STAFF_SOCKETS_MAX, max_clients // 20)
        self.http: dict[str, int] = {}
        self.sockets: dict[str, int] = {}
        self.open_sockets = 0  # every admitted live socket, local and staff ones included
        self.refused_http = 0
        self.refused_sockets = 0
        self.trimmer = MemoryTrimmer()

    # HTTP connections, counted by the worker at accept.
    def open_http(self, address: str | None) -> bool:
        key = counted_address(address)
        if key is None:
            return True
        held = self.http.get(key, 0)
        if self.http_per_address is not None and held >= self.http_per_address:
            self.refused_http += 1
            return False
        self.http[key] = held + 1
        return True

    def close_http(self, address: str | None) -> None:
        _down(self.http, counted_address(address))

    # Live sockets, counted by the socket routes once admitted.
    def open_socket(self, address: str | None, staff: bool) -> str | None:
        """Admit a live socket: None, or why not ("full" or "address")."""
        limit = self.max_clients if staff else self.max_clients - self.staff_sockets
        if self.open_sockets >= limit:
            self.refused_sockets += 1
            return "full"
        key = None if staff else counted_address(address)
        if key is not None:
            held = self.sockets.get(key, 0)
            if self.sockets_per_address is not None and held >= self.sockets_per_address:
                self.refused_sockets += 1
                return "address"
            self.sockets[key] = held + 1
        self.open_sockets += 1
        self.trimmer.opened(self.open_sockets)
        return None

    def close_socket(self, address: str | None, staff: bool) -> None:
        if not staff:
            _down(self.sockets, counted_address(address))
        self.open_sockets = max(0, self.open_sockets - 1)
        self.trimmer.closed(self.open_sockets)


class Connection:
    """One accepted connection, known to the greenlet that serves it (see `current`).

    `http` is whether it still counts against its address's HTTP budget; `partial`
    whether bytes of a request not yet parsed have arrived (a stalled request, as
    opposed to an idle keep-alive connection); `requests` how many were read on it.
    """

    __slots__ = ("budgets", "peer", "http", "partial", "requests")

    def __init__(self, budgets: Budgets, peer: str | None):
        self.budgets, self.peer = budgets, peer
        self.http = False
        self.partial = False
        self.requests = 0

    def enter(self) -> bool:
        self.http = self.budgets.open_http(self.peer)
        return self.http

    def leave_http(self) -> None:
        """Stop counting against the HTTP budget (closed, or become a live socket)."""
        if self.http:
            self.http = False
            self.budgets.close_http(self.peer)


def current() -> Connection | None:
    """The connection the running greenlet serves, under `qode serve`; else None."""
    try:
        import gevent
    except ImportError:  # pragma: no cover - gevent is a dependency
        return None
    return getattr(gevent.getcurrent(), "qode_connection", None)


def _down(counts: dict[str, int], key: str | None) -> None:
    if key is None or key not in counts:
        return
    if counts[key] <= 1:
        del counts[key]
    else:
        counts[key] -= 1


class MemoryTrimmer:
    """Give the heap back to the system once many live sockets have closed.

    Each socket's greenlet, buffers and frames come from malloc; after a flood closes,
    their objects wait in reference cycles for the oldest GC generation, and glibc keeps
    freed memory in its heap, so the worker's RSS stays at the peak. A full collection
    and `malloc_trim(0)` return it. It runs shortly after the count has fallen by
    `drop` from its peak, at most once per `every` seconds (it takes a few ms).
    """

    def __init__(self, drop: int = 100, every: float = 10.0, delay: float = 1.0):
        self.drop, self.every, self.delay = drop, every, delay
        self.peak = self.current = 0
        self.last = float("-inf")
        self.pending = False
        self.trims = 0
        self._trim = _malloc_trim()

    def opened(self, count: int) -> None:
        self.current = count
        self.peak = max(self.peak, count)

    def closed(self, count: int) -> None:
        self.current = count
        if self._trim is None or self.pending or self.peak - count < self.drop:
            return
        self.pending = True
        wait = max(self.delay, self.last + self.every - time.monotonic())
        try:
            import gevent

            gevent.spawn_later(wait, self.run)
        except Exception:  # no gevent hub (a unit test's app): nothing to wait on, trim now
            self.run()

    def run(self) -> None:
        self.pending = False
        self.last = time.monotonic()
        self.trims += 1
        self.peak = self.current
        try:
            # A closed socket's objects sit in reference cycles (greenlet, wsproto, request)
            # until the oldest generation is collected, which may be long after: collect
            # them now, then give the freed pages back.
            gc.collect()
            self._trim(0)
        except Exception:  # never let housekeeping break a socket's close
            log.exception("malloc_trim failed")


def _malloc_trim():
    """glibc's malloc_trim, or None (another libc, or none found)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim
