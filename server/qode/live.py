"""The live hub: one per process, fanning messages out to WebSocket clients.

Work in progress for the live-sync issue: the registry and the per-client
queues are here; the sockets, channels and protocol come next.

Each client has a bounded outbound queue drained by its own sender (a greenlet
under gevent, whose monkey patching turns these threads and queues
cooperative). `publish` only serialises the message once and offers it to each
queue without waiting, so a slow or dead client is dropped and never stalls
the others.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

_STOP = object()


class Client:
    """One connected socket: a bounded queue and the sender that drains it."""

    def __init__(self, hub: Hub, channel: str, send: Callable[[str], None], limit: int):
        self.hub = hub
        self.channel = channel
        self._send = send
        self._queue: queue.Queue = queue.Queue(maxsize=limit)
        self.closed = threading.Event()
        self._sender = threading.Thread(target=self._drain, name=f"live-{channel}", daemon=True)

    def start(self) -> None:
        self._sender.start()

    def offer(self, text: str) -> bool:
        """Queue `text` without waiting; a client whose queue is full is dropped."""
        if self.closed.is_set():
            return False
        try:
            self._queue.put_nowait(text)
            return True
        except queue.Full:
            log.info("live: dropping a slow client on %s", self.channel)
            self.close()
            return False

    def close(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        self.hub.leave(self)
        try:
            self._queue.put_nowait(_STOP)
        except queue.Full:
            pass  # the sender checks `closed` after every send

    def _drain(self) -> None:
        while not self.closed.is_set():
            text = self._queue.get()
            if text is _STOP or self.closed.is_set():
                break
            try:
                self._send(text)
            except OSError:  # the peer went away: a socket fault must not spread
                log.info("live: send failed on %s; closing", self.channel)
                self.close()


class Hub:
    """Channels of clients, guarded by one lock; unregistering is always safe to repeat."""

    def __init__(self, queue_limit: int = 64):
        self.queue_limit = queue_limit
        self._lock = threading.Lock()
        self._channels: dict[str, set[Client]] = {}

    def join(self, channel: str, send: Callable[[str], None]) -> Client:
        client = Client(self, channel, send, self.queue_limit)
        with self._lock:
            self._channels.setdefault(channel, set()).add(client)
        client.start()
        return client

    def leave(self, client: Client) -> None:
        with self._lock:
            members = self._channels.get(client.channel)
            if members is not None:
                members.discard(client)
                if not members:
                    del self._channels[client.channel]

    def count(self, channel: str | None = None) -> int:
        with self._lock:
            if channel is not None:
                return len(self._channels.get(channel, ()))
            return sum(len(members) for members in self._channels.values())

    def publish(self, channel: str, message: dict) -> int:
        """Send `message` to every client of `channel`; return how many took it."""
        text = json.dumps(message, separators=(",", ":"))
        with self._lock:
            members = list(self._channels.get(channel, ()))
        return sum(client.offer(text) for client in members)
