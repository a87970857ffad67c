"""The live hub: one per process, fanning messages out to WebSocket clients.

`publish` serialises a message once and hands it to every client without
waiting. When a client has nothing in flight and its socket can take the frame
at once (`send_now`, one non-blocking write to the kernel), the frame goes
straight out; that saves a hand-off and a greenlet switch per socket per
message. Otherwise the frame joins the client's bounded backlog, drained by the
client's own sender (a greenlet under gevent, started on demand and ended when
the backlog is empty). A client whose backlog fills is dropped, so a slow or
dead client never stalls the others. Whatever the kernel did not take of a
frame stays with the socket and goes out before anything else, so frames never
interleave or reorder.
"""

from __future__ import annotations

import _thread
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from . import estimates, printing

log = logging.getLogger(__name__)


class Client:
    """One connected socket: a bounded backlog, and a sender that drains it while it is not empty.

    An idle client costs no greenlet: the sender is started when a frame has to wait (the
    socket's buffer is full, or there is no fast path) and ends when the backlog is empty.
    """

    def __init__(self, hub: Hub, channel: str, send: Callable, limit: int,
                 on_close: Callable[[], None] | None = None, send_now: Callable | None = None):
        self.hub = hub
        self.channel = channel
        self._send = send
        self._send_now = send_now  # (data) -> bytes left over, or None when it would have to wait
        self._on_close = on_close
        self.floor = -1  # messages at or below this seq are already in the client's snapshot
        self._limit = limit
        self._backlog: deque = deque()
        self._lock = threading.Lock()
        self._draining = False  # a sender is running; it owns the socket until the backlog is empty
        self.closed = threading.Event()

    def offer(self, data, seq: int | None = None) -> bool:
        """Send or queue `data` without waiting; a client whose backlog is full is dropped."""
        if self.closed.is_set() or (seq is not None and seq <= self.floor):
            return False
        problem = None
        with self._lock:
            if not self._draining and self._send_now is not None:
                try:
                    left = self._send_now(data)
                except OSError:
                    left, problem = None, "send failed on %s; closing"
                if left == 0:
                    return True
                if left:  # the kernel took part; the socket holds the rest, an empty send flushes it
                    data = b""
            if problem is None and len(self._backlog) < self._limit:
                self._backlog.append(data)
                if not self._draining:
                    self._draining = True
                    _thread.start_new_thread(self._drain, ())  # a greenlet under gevent; never waits
                return True
        log.warning("live: " + (problem or "dropping a slow client on %s"), self.channel)
        self.close()
        return False

    def close(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        self.hub.leave(self)
        if self._on_close is not None:
            self._on_close()  # e.g. shut the socket, so a sender stuck in a send wakes up

    def _drain(self) -> None:
        while not self.closed.is_set():
            with self._lock:
                if not self._backlog:
                    self._draining = False
                    return
                data = self._backlog.popleft()
            try:
                self._send(data)
            except OSError:  # the peer went away: a socket fault must not spread
                log.info("live: send failed on %s; closing", self.channel)
                self.close()
        with self._lock:
            self._backlog.clear()
            self._draining = False


class Hub:
    """Channels of clients, guarded by one lock; unregistering is always safe to repeat.

    `encode` turns a message's JSON text into what the clients' `send` takes (the sockets use
    qode_common.websocket.frame_encoder(): one frame per broadcast, shared by every socket).
    """

    def __init__(self, queue_limit: int = 64, encode: Callable[[str], object] = lambda text: text):
        self.queue_limit = queue_limit
        self.encode = encode
        self._lock = threading.Lock()
        self._channels: dict[str, set[Client]] = {}

    def join(self, channel: str, send: Callable, on_close: Callable[[], None] | None = None,
             send_now: Callable | None = None) -> Client:
        client = Client(self, channel, send, self.queue_limit, on_close, send_now)
        with self._lock:
            self._channels.setdefault(channel, set()).add(client)
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

    def publish(self, channel: str, message: dict, news: bool = False) -> int:
        """Send `message` to every client of `channel`; return how many took it.

        A client skips a message whose `seq` its snapshot already covers, unless `news` says it
        carries something no event does (an ETA refresh keeps the log position it was made at).
        """
        data = self.encode(json.dumps(message, separators=(",", ":")))
        with self._lock:
            members = list(self._channels.get(channel, ()))
        seq = None if news else message.get("seq")
        return sum(client.offer(data, seq) for client in members)

    def close_channel(self, channel: str) -> int:
        """Close every socket of `channel` (a revoked device's); returns how many."""
        with self._lock:
            members = list(self._channels.get(channel, ()))
        for client in members:
            client.close()
        return len(members)

    def channels(self, prefix: str) -> list[str]:
        with self._lock:
            return [name for name in self._channels if name.startswith(prefix)]


# ---- what each channel sees ------------------------------------------------

PUBLIC_EVENT_TYPES = {
    "join", "call", "recall", "serve", "complete", "no_show", "requeue", "cancel",
    "queue_opened", "queue_closed", "queue_paused", "queue_resumed", "queue_renamed",
    "counter_opened", "counter_closed", "day_started",
    "returned",  # issue 16: a no-show back in line (its number, like a join)
}


HOST_ONLY_EVENT_TYPES = {"print_job", "print_done", "print_failed", "device_status", "device_added",
                         "device_revoked", "device_changed"}


def public_event(event: dict, prefix: str, service: dict | None = None) -> dict:
    """An event as the public channel may show it: numbers and counters, never ids, tokens or
    priority (docs/services.md, decision 9). A call names its service (`{id, name, prefix}`), and a
    transferred ticket keeps the number its issuing service gave it (the call's `data.prefix`)."""
    number = event["ticket_number"]
    prefix = event["data"].get("prefix", prefix)
    shown = {
        "seq": event["seq"],
        "type": event["type"],
        "number": None if number is None else f"{prefix}{number:03d}",
        "counter": event["data"].get("counter"),
    }
    if service is not None and event["type"] in ("call", "recall"):
        shown["service"] = service
    return shown


def service_of(state: dict) -> dict:
    """A service as public calls name it."""
    return {"id": state["id"], "name": state["name"], "prefix": state["prefix"]}


def host_event(event: dict) -> dict:
    return {key: event[key] for key in ("seq", "type", "ticket_id", "ticket_number", "data", "created_at")}


def storage_view(fault: tuple[str, float] | None) -> dict:
    """Whether the box can save, as the host dashboard shows it (the last write's outcome)."""
    from .errors import STORAGE_MESSAGES

    reason = fault[0] if fault else None
    return {"ok": reason is None, "reason": reason, "message": STORAGE_MESSAGES.get(reason) if reason else None}
def in_bulk(event: dict) -> bool:
    """A ticket's own event of a bulk action: its `waiting_cleared` event stands for all of them."""
    return "bulk" in event["data"]


def is_public(event: dict) -> bool:
    return event["type"] in PUBLIC_EVENT_TYPES and not in_bulk(event)


# Events after which the host's list is sent whole again: a new day (or a corrected one) is a new list.
HOST_RESYNC_TYPES = {"day_started", "day_corrected"}
HOST_CHUNK = 8  # events per host update at most, so a burst of joins never makes one big message


def host_delta(events: list[dict]) -> dict:
    """What a run of events changes on the host's list: the events shown, the tickets they touched
    (ids, in order) and the bulk cancellations, each as its filter."""
    shown = [e for e in events if not in_bulk(e)]
    ids = list(dict.fromkeys(e["ticket_id"] for e in shown if e["ticket_id"]))
    bulk = [e["data"] for e in shown if e["type"] == "waiting_cleared"]
    return {"events": shown, "ids": ids, "bulk": bulk}


def eta_is_news(sent: int | None, sent_at: float, fresh: int | None, now: float) -> bool:
    """Whether a fresh `eta_seconds` differs from the one sent, counted down since, by more than
    max(30 s, 10 %) (ETA.md): a prediction that only confirms the countdown is not news."""
    if sent is None or fresh is None:
        return sent != fresh
    counted = max(sent - max(now - sent_at, 0.0), 0.0)
    return abs(fresh - counted) > max(30.0, 0.1 * fresh)


class Feed:
    """Turns committed events into channel messages, at most once per window per queue.

    One loop per process wakes on every commit; it reads the new events once, and for
    every queue that has listeners sends one coalesced update per channel, then rests for
    the window. A burst of joins therefore costs one message per socket per window.
    """

    HISTORY = 500  # a resume that missed more than this gets a fresh snapshot

    def __init__(self, db, hub: Hub, window: float):
        self.db = db
        self.hub = hub
        self.window = window
        self._started = False
        self._lock = threading.Lock()
        self._seen_version = -1
        self._wake = threading.Event()
        db.on_commit.append(self._wake.set)
        self.last_seq = self.latest_seq()
        self.public_url = "http://127.0.0.1:8000"  # set by the app from QODE_PUBLIC_URL
        self.version = ""  # the running Qode's, set by the app (the app layer owns it: no import up)
        self.print_max_age = 120
        self.sync = None  # the app's sync.Sync: its status goes to the host
        self.sms = None  # issue 16: the app's sms.Sender (a modem is configured): its health goes to the host
        # ticket channel -> (its view without eta_seconds, the eta_seconds sent, monotonic time sent)
        self._ticket_views: dict[str, tuple[str, int | None, float]] = {}
        # issue 15: a guest's channel is keyed by ticket id (`ticket:{id}`); the service it is in now,
        # moved by each transfer_in, says which service's updates it follows
        self._ticket_queue: dict[str, str] = {}
        self._joiner_etas: dict[str, tuple[int, float]] = {}  # queue channel -> (eta sent, when)
        self._refused_news: set[str] = set()  # queues whose refusal count the host has not been sent

    def latest_seq(self) -> int:
        with self.db.read() as conn:
            return conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._run, name="live-feed", daemon=True).start()

    def _run(self) -> None:
        # Leading edge, then a pause: the first change after a quiet spell goes out at once,
        # and whatever follows within the window is merged into the next flush.
        while True:
            self._wake.wait(timeout=5.0)  # the timeout only guards against a missed wake-up
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # noqa: BLE001 - the feed must outlive any one bad flush
                log.exception("live: flush failed")
            time.sleep(self.window)

    def flush(self) -> None:
        with self._lock:
            refused, self._refused_news = self._refused_news, set()
        for queue_id in refused:  # at most one per queue per window, however many joins were refused
            self.nudge_host(queue_id)
        if self.db.version == self._seen_version:
            return
        self._seen_version = self.db.version
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT 10000", (self.last_seq,)
            ).fetchall()
        if not rows:
            return
        self.last_seq = rows[-1]["seq"]
        by_queue: dict[str, list[dict]] = {}
        transferred: dict[str, dict] = {}
        for row in rows:
            event = {**dict(row), "data": json.loads(row["data"])}
            by_queue.setdefault(row["queue_id"], []).append(event)
            if event["type"] == "transfer_in" and event["ticket_id"]:
                # The guest follows its ticket into the new service before anything is sent.
                if event["ticket_id"] in self._ticket_queue:
                    self._ticket_queue[event["ticket_id"]] = event["queue_id"]
                transferred[event["ticket_id"]] = {"from_name": event["data"].get("from_name"),
                                                   "to_name": None, "queue_id": event["queue_id"]}
        for queue_id, evs in by_queue.items():
            self.publish_queue(queue_id, evs, transferred)

    def ticket_channels(self, queue_id: str) -> list[str]:
        """The guests' channels of the tickets now in `queue_id`."""
        return [channel for channel in self.hub.channels("ticket:")
                if self._ticket_queue.get(channel.split(":", 1)[1]) == queue_id]

    def publish_queue(self, queue_id: str, evs: list[dict], transferred: dict | None = None) -> None:
        from . import queues

        seq = evs[-1]["seq"]
        public, host = f"queue:{queue_id}", f"host:{queue_id}"
        ticket_channels = self.ticket_channels(queue_id)
        device_channels = self.hub.channels(f"device:{queue_id}:")
        # A print job goes to its kiosk's socket, which is keyed by the kiosk's home service: a
        # kiosk covering several services prints for each of them (issue 15).
        job_channels = self._job_channels(evs)
        if not (self.hub.count(public) or self.hub.count(host) or ticket_channels or device_channels
                or job_channels):
            return
        estimates.of(self.db).invalidate(queue_id)  # what goes out on a change is computed fresh
        state = queues.get(self.db, queue_id)
        # Printing and device news concern the host (and the kiosk) only: no guest's view moved.
        public_news = any(e["type"] not in HOST_ONLY_EVENT_TYPES for e in evs)
        if public_news and (self.hub.count(public) or device_channels):
            shown = [public_event(e, state["prefix"], service_of(state)) for e in evs if is_public(e)]
            update = {"type": "update", "seq": seq, "events": shown, "state": state}
            self._joiner_etas[public] = (state["eta_seconds"], self.db.clock.monotonic())
            for channel in (public, *device_channels):  # kiosks and displays see the public view
                self.hub.publish(channel, update)
        if self.hub.count(host):
            self._send_host(queue_id, evs, state)
        self._send_jobs(evs, job_channels)
        if public_news:
            moved = {ticket_id: {"from_name": t["from_name"], "to_name": state["name"]}
                     for ticket_id, t in (transferred or {}).items() if t["queue_id"] == queue_id}
            self._send_tickets(ticket_channels, seq, transferred=moved)

    def _job_channels(self, evs: list[dict]) -> dict[str, str]:
        """device id -> its open socket's channel, for the kiosks these events give print jobs."""
        wanted = {e["data"].get("device_id") for e in evs if e["type"] == "print_job"}
        if not wanted:
            return {}
        found = {}
        for channel in self.hub.channels("device:"):
            device_id = channel.rsplit(":", 1)[1]
            if device_id in wanted:
                found[device_id] = channel
        return found

    def _send_jobs(self, evs: list[dict], job_channels: dict[str, str]) -> None:
        """Each new print job to its kiosk's channel only (it names the ticket: never public)."""
        for event in evs:
            if event["type"] != "print_job":
                continue
            channel = job_channels.get(event["data"].get("device_id"))
            if channel is None:
                continue  # the kiosk gets it in its snapshot when it connects
            try:
                job = printing.get_job(self.db, event["data"]["job_id"])
                if job["status"] != "pending":
                    continue
                message = printing.job_message(self.db, job, self.print_max_age, self.public_url)
            except Exception:  # noqa: BLE001 - e.g. purged meanwhile
                log.exception("live: cannot read print job %s", event["data"].get("job_id"))
                continue
            self.hub.publish(channel, {"type": "print", "seq": event["seq"], "job": message})

    def nudge_host(self, queue_id: str) -> None:
        """A host update with no events: a kiosk's socket came or went, or the disk stopped or started
        taking writes (nothing was written)."""
        from . import queues

        host = f"host:{queue_id}"
        if self.hub.count(host):
            # The feed's own position: a later update with the events after it must not look old.
            # It is news to every host, even one whose snapshot is as new: no event carries it.
            self.hub.publish(host, {"type": "update", "seq": self.last_seq, "events": [],
                                    "state": queues.get(self.db, queue_id), **self.host_extras(queue_id)},
                             news=True)

    def nudge_hosts(self) -> None:
        """`nudge_host` for every queue a host watches."""
        for channel in self.hub.channels("host:"):
            self.nudge_host(channel.split(":", 1)[1])

    def host_extras(self, queue_id: str) -> dict:
        """What every host message carries beside the state, none of it growing with the line:
        the clock, the devices, the sync status, the joins refused today and the version."""
        from . import tickets

        extras = {"clock": self.db.clock.trust(),  # the host is told when the box's time is not set
                  "devices": printing.list_devices(self.db, queue_id, self.hub),
                  "refused": tickets.refusals(self.db).of(queue_id, self.db.clock.service_day())}
        if self.sync is not None:
            extras["sync"] = self.sync.status()
        extras["storage"] = storage_view(self.db.fault)
        if self.sms is not None:
            extras["sms"] = self.sms.status()  # issue 16: the modem's health, like the printers'
        extras["version"] = self.version  # the running Qode, shown small on the dashboard (after an update)
        return extras

    def _send_host(self, queue_id: str, evs: list[dict], state: dict) -> None:
        """The host's updates for `evs`: per chunk of events, the rows of the tickets they touched
        (`tickets_changed`) and the bulk cancellations; never the list. A new day sends a snapshot."""
        from . import tickets

        host = f"host:{queue_id}"
        extras = self.host_extras(queue_id)
        if any(e["type"] in HOST_RESYNC_TYPES for e in evs):
            self.hub.publish(host, {"type": "snapshot", "seq": evs[-1]["seq"], "state": state,
                                    "tickets": tickets.host_rows(self.db, queue_id), **extras}, news=True)
            return
        chunk: list[dict] = []
        shown = 0
        for n, event in enumerate(evs):
            chunk.append(event)
            shown += not in_bulk(event)
            if shown < HOST_CHUNK and n < len(evs) - 1:
                continue
            delta = host_delta(chunk)
            # issue 16: a move back may move the tickets sharing its line_seq one rank back: their rows too
            lates = [e["data"]["line_seq"] for e in delta["events"]
                     if e["type"] == "running_late" and isinstance(e["data"].get("line_seq"), int)]
            if lates:
                mates = tickets.line_mates(self.db, queue_id, lates)
                delta["ids"] += [i for i in mates if i not in delta["ids"]]
            update = {"type": "update", "seq": chunk[-1]["seq"],
                      "events": [host_event(e) for e in delta["events"]],
                      "tickets_changed": tickets.host_rows(self.db, queue_id, delta["ids"]), "state": state,
                      **extras}
            if delta["bulk"]:
                update["bulk"] = delta["bulk"]
            self.hub.publish(host, update)
            chunk, shown = [], 0

    def note_refused(self, queue_id: str) -> None:
        """A cap refused a join (nothing was written): the host's count goes out with the next flush."""
        with self._lock:
            self._refused_news.add(queue_id)
        self._wake.set()

    def _send_tickets(self, channels: list[str], seq: int, news: bool = False,
                      transferred: dict[str, dict] | None = None) -> int:
        """Each guest's own view, only to those whose numbers changed; returns how many got one.
        A ticket just transferred (`transferred`: id -> {from_name, to_name}) gets its whole view
        with `transferred`, so its page can say where to go now."""
        from . import tickets

        now = self.db.clock.monotonic()
        sent = 0
        for n, channel in enumerate(channels):
            if news and n % 50 == 49:
                time.sleep(0)  # a refresh of thousands of guests lets requests in between
            try:
                ticket = tickets.get(self.db, channel.rsplit(":", 1)[1])
            except Exception:  # noqa: BLE001 - e.g. purged meanwhile: that guest keeps its last view
                log.exception("live: cannot read %s", channel)
                continue
            rest = json.dumps({**ticket, "eta_seconds": None}, sort_keys=True)
            before = self._ticket_views.get(channel)
            fresh = ticket["eta_seconds"]
            moved = (transferred or {}).get(ticket["id"])
            if moved or before is None or before[0] != rest or eta_is_news(before[1], before[2], fresh, now):
                self._ticket_views[channel] = (rest, ticket["eta_seconds"], now)
                message = {"type": "update", "seq": seq, "ticket": ticket}
                if moved:
                    message["transferred"] = moved
                sent += self.hub.publish(channel, message, news)
        return sent

    def refresh(self) -> int:
        """The periodic ETA refresh: send fresh estimates only where they are news.

        Clients count `eta_seconds` down with their own clock, so a refresh that merely
        confirms the countdown sends nothing (ETA.md). Returns the number of messages sent.
        """
        from . import queues

        seq = self.latest_seq()  # never behind a snapshot a client already holds
        sent = 0
        estimates.of(self.db).invalidate()
        now = self.db.clock.monotonic()
        for public in self.hub.channels("queue:"):
            queue_id = public.split(":", 1)[1]
            try:
                state = queues.get(self.db, queue_id)
            except Exception:  # noqa: BLE001
                log.exception("live: cannot read queue %s", queue_id)
                continue
            before = self._joiner_etas.get(public)
            if before is not None and not eta_is_news(before[0], before[1], state["eta_seconds"], now):
                continue
            self._joiner_etas[public] = (state["eta_seconds"], now)
            update = {"type": "update", "seq": seq, "events": [], "state": state}
            for channel in (public, *self.hub.channels(f"device:{queue_id}:")):
                sent += self.hub.publish(channel, update, news=True)
        return sent + self._send_tickets(self.hub.channels("ticket:"), seq, news=True)

    def forget(self, channel: str) -> None:
        if not self.hub.count(channel):
            self._ticket_views.pop(channel, None)
            self._joiner_etas.pop(channel, None)
            if channel.startswith("ticket:"):
                self._ticket_queue.pop(channel.split(":", 1)[1], None)

    def snapshot(self, channel_kind: str, queue_id: str, ticket_id: str | None = None) -> dict:
        """What a fresh client of a channel sees, labelled with the log position it reflects."""
        from . import queues, tickets

        seq = self.latest_seq()
        now = self.db.clock.monotonic()
        if channel_kind == "ticket":
            ticket = tickets.get(self.db, ticket_id)
            rest = json.dumps({**ticket, "eta_seconds": None}, sort_keys=True)
            # The baseline later updates and refreshes are measured against. It belongs to the
            # channel: when other sockets already watch it, theirs stands (a change they have not
            # been sent yet must still go out; the newcomer just gets it twice).
            self._ticket_views.setdefault(f"ticket:{ticket_id}", (rest, ticket["eta_seconds"], now))
            self._ticket_queue[ticket_id] = ticket["queue_id"]
            return {"type": "snapshot", "seq": seq, "ticket": ticket}
        if channel_kind == "device":
            channel_kind = "queue"  # a kiosk or display sees what the public channel shows
        state = queues.get(self.db, queue_id)
        message = {"type": "snapshot", "seq": seq, "state": state}
        self._joiner_etas.setdefault(f"queue:{queue_id}", (state["eta_seconds"], now))
        if channel_kind == "host":
            message.update(self.host_extras(queue_id))
            message["tickets"] = tickets.host_rows(self.db, queue_id)
        else:
            message["recent"] = self.recent_calls(queue_id, state["prefix"], service_of(state))
        return message

    def recent_calls(self, queue_id: str, prefix: str, service: dict | None = None,
                     limit: int = 5) -> list[dict]:
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT * FROM events WHERE queue_id = ? AND type IN ('call', 'recall')"
                " ORDER BY seq DESC LIMIT ?", (queue_id, limit),
            ).fetchall()
        return [public_event({**dict(r), "data": json.loads(r["data"])}, prefix, service) for r in rows]

    def replay(self, channel_kind: str, queue_id: str, since: int) -> dict | None:
        """The updates after `since` as one message, or None when a snapshot is due instead."""
        from . import queues

        with self.db.read() as conn:
            rows = conn.execute(
                # A bulk action's own cancel events are never shown (its summary is): they do not
                # count against the history either, so a resume after clearing a flood stays small.
                "SELECT * FROM events WHERE queue_id = ? AND seq > ?"
                " AND (type != 'cancel' OR json_extract(data, '$.bulk') IS NULL) ORDER BY seq LIMIT ?",
                (queue_id, since, self.HISTORY + 1),
            ).fetchall()
            oldest = conn.execute("SELECT COALESCE(MIN(seq), 1) FROM events").fetchone()[0]
        latest = self.latest_seq()
        if len(rows) > self.HISTORY or since > latest or since < oldest - 1:
            return None
        evs = [{**dict(r), "data": json.loads(r["data"])} for r in rows]
        state = queues.get(self.db, queue_id)
        if channel_kind == "host":
            if any(e["type"] in HOST_RESYNC_TYPES for e in evs):
                return None  # another day's list: a snapshot
            from . import tickets

            delta = host_delta(evs)
            update = {"type": "update", "seq": max(latest, since),
                      "events": [host_event(e) for e in delta["events"]],
                      "tickets_changed": tickets.host_rows(self.db, queue_id, delta["ids"]), "state": state,
                      **self.host_extras(queue_id)}
            if delta["bulk"]:
                update["bulk"] = delta["bulk"]
            return update
        shown = [public_event(e, state["prefix"], service_of(state)) for e in evs if is_public(e)]
        return {"type": "update", "seq": max(latest, since), "events": shown, "state": state}
