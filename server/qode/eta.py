"""Wait-time estimates: the counter-cycle estimator (docs/eta.md), and the brief's `baseline`.

`Estimator` is a pure component. It is fed events with explicit monotonic times
(`Event`), and asked for predictions at an explicit time. It reads no clock and
no database, so the server, the tests and the replay benchmark drive the same
code, and the same events always give the same predictions.

Times are monotonic seconds within one boot, labelled with the boot id. When the
boot id changes (the box restarted), the learned averages stay (D, V, C, AW), the
per-counter cycle starts are forgotten, busy counters count as just called, and a
guest's wait before the reboot is carried over only when it was 0..12 h.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

ALPHA = 0.05  # the slowest learning rate, once enough cycles were seen
N0 = 2  # prior weight of the default cycle, in cycles
WINSOR = 3  # a cycle counts as at most WINSOR * D
RHO = 0.3  # a busy counter is never predicted to free up sooner than RHO * D
TAU = 3600.0  # s: cancellations older than about this fade out
AW0 = 2.16e6  # s²: prior waiting exposure for the cancellation rate
PAUSE_DEFAULT = 300.0  # s: a pause without a hint is expected to last this long
CLOSURE_DEFAULT = 900.0  # s: likewise for all counters closed
MIN_REMAINING = 60.0  # s: an overdue pause or closure still adds at least this
MAX_GAP = 12 * 3600.0  # s: any longer (or negative) duration is a clock fault, not data
DEFAULT_COUNTER = "1"  # a queue that never named a counter has this one
BREAK_OVERRUN = 1.1  # a counter "back in N min" is counted back after 1.1 N: breaks run over
OVERDUE_SHARE = 0.25  # an overdue pause or closure still has this share of its planned length to go
# The line's future waits carry this much of the learned stoppage share (seconds paused or closed per
# second of service). Stoppages are rare and lumpy: most guests meet none, so the full mean (1.0)
# makes too many ETAs late; the replay bench's pooled MAE ratio then went over 0.2 (docs/eta.md).
STOP_WEIGHT = 0.5
STOP_RATE = 0.2  # the slowest learning rate of the typical unannounced pause and closure
STOP_TAU = 8 * 3600.0  # s of someone waiting: how fast the learned share of stoppages fades (~a day)
STOP_PRIOR = 3600.0  # s: running time the stoppage share is measured against before any is seen
STOP_CAP = 3600.0  # s: one pause or closure counts towards that share for at most this long
BREAK_GIVE_UP = 2.0  # ...and not at all once it has been away 2 N: it is not coming back today

#: Event types the estimator understands; others are ignored.
TYPES = {
    "join", "call", "recall", "serve", "complete", "no_show", "requeue", "cancel", "expire",
    "queue_paused", "queue_resumed", "counter_opened", "counter_closed", "day_started",
    "transfer", "transfer_in",  # issue 15: a ticket leaves this service for another / arrives
}


@dataclass(frozen=True)
class Event:
    """One thing that happened, at monotonic time `t` of boot `boot`."""

    type: str
    t: float
    boot: str
    ticket: str | None = None  # the ticket id
    number: int | None = None  # the ticket's number (the order guests are called in)
    counter: str | None = None
    hint: float | None = None  # "back in N s", on a pause or a counter closure
    # A `complete` or `no_show` written by the call (or serve) that gave its counter to another
    # ticket (issue 14: a counter holds one active ticket), not by the host pressing it.
    replaced: bool = False
    # issue 15 (docs/services.md): a priority ticket goes before every normal one (on `join` and
    # `transfer_in`); on `counter_opened`, how many services the counter serves (None: one).
    priority: bool = False
    services: int | None = None


def baseline(position: int, current_position: int, avg_wait_time: float) -> int:
    """The brief's formula, `(YourPosition - CurrentPosition) * AvgWaitTime`, never negative."""
    return int(max(position - current_position, 0) * avg_wait_time)


def _duration(value: float) -> float:
    """A measured duration, or 0 when it is negative or absurd (a clock fault)."""
    return value if 0.0 <= value <= MAX_GAP else 0.0


def _serve_time(work: float, k: float, returns: list[float], start: float) -> float:
    """Seconds, from `start`, for `k` counters (plus one more at each time in `returns`, in
    seconds from now, sorted) to get through `work` counter-seconds. Without returns: work / k."""
    at, capacity = start, k
    for back in returns:
        if back <= at:
            capacity += 1
            continue
        if capacity * (back - at) >= work:
            break
        work -= capacity * (back - at)
        at, capacity = back, capacity + 1
    return at + work / capacity - start


@dataclass
class Forecast:
    """The line ahead as ETA.md's prediction loop walks it: guests are added at the back."""

    R: float  # the rest of a pause or closure
    head: float  # until the first counter is free
    k: float  # open counters, each counted by its share of this service
    returns: list[float]  # counters back from a break, seconds from now
    h: float  # the cancellation hazard's slope
    z: float  # the margin
    sd: float  # sqrt(V)
    D: float
    L: float = 0.0  # stoppages to come: seconds paused or closed per second of service, learned
    a: float = 0.0  # guests ahead, each weighted by the chance they are still there

    def _eta(self) -> float:
        run = self.head + _serve_time(self.a * self.D, self.k, self.returns, self.R + self.head)
        return self.R + run * (1.0 + STOP_WEIGHT * self.L)

    def _shown(self, eta: float) -> int:
        if self.z:
            eta += self.z * self.sd * math.sqrt(self.a + 1) / self.k  # the margin is for display only
        return max(int(round(eta)), 0)

    def join(self, waited: float = 0.0) -> int:
        """The ETA of the next guest in line, who has waited `waited` s; they join the line ahead."""
        eta = self._eta()
        shown = self._shown(eta)
        self.a += math.exp(-0.5 * self.h * ((waited + eta) ** 2 - waited * waited))
        return shown

    def next_eta(self) -> float:
        """The unmargined ETA of the next place in line."""
        return self._eta()

    @property
    def joiner(self) -> int:
        return self._shown(self._eta())


class Estimator:
    """The counter-cycle estimator for one queue."""

    def __init__(self, default_cycle: float = 300.0, margin: float = 0.0, max_wait: float | None = None):
        self.default_cycle = float(default_cycle)
        self.margin = float(margin)  # z of the safety margin; 0 = none
        # issue 15: the anti-starvation bound (QODE_MAX_WAIT, docs/services.md): a normal ticket that
        # will have waited this long when a call comes goes before the priority tickets; None = off
        self.max_wait = max_wait
        # learned, kept across reboots and days
        self.D = self.default_cycle
        self.V = (0.8 * self.D) ** 2
        self.n = 0
        self.C = 0.0
        self.AW = 0.0
        # stoppages: of the time someone waited (U, s), how much the line stood still (S, s) because
        # it was paused or every counter was closed; both fade with STOP_TAU of waiting time
        self.U = 0.0
        self.S = 0.0
        self.stopped_for = 0.0  # how long the current stoppage has counted so far (up to STOP_CAP)
        # how long a pause, and a closure of every counter, lasts when the host gives no "back in":
        # [seconds, how many seen]; the defaults count as one
        self.pause_len = [PAUSE_DEFAULT, 0]
        self.closure_len = [CLOSURE_DEFAULT, 0]
        # the current boot
        self.boot: str | None = None
        self.t_last: float | None = None
        # the current day
        self.waiting: dict[str, tuple[int, float]] = {}  # ticket -> (number, joined)
        self.first: set[str] = set()  # WAITING priority tickets: they go before every normal one
        self.share: dict[str, float] = {}  # counter -> the share of it this service gets (1/services)
        self.sum_join = 0.0
        self.counters: dict[str, bool] = {}  # name -> open; empty = one implicit counter
        self.busy: dict[str, float] = {}  # counter -> when it called its current guest
        self.last_call: dict[str, float] = {}
        self.release_valid: dict[str, bool] = {}
        self.called: dict[str, str] = {}  # ticket -> counter, while CALLED or SERVING
        # busy counter -> someone waited, undisturbed, all the time since its call (a cycle that a
        # call ends by replacing the counter's ticket then holds no idle time)
        self.steady: dict[str, bool] = {}
        self.paused_at: float | None = None
        self.pause_hint: float | None = None
        self.closed_at: float | None = None
        self.close_hint: float | None = None
        self.counter_hints: dict[str, list[float]] = {}  # closed counter -> [closed at, back in]
        self.last_k = 1
        self.peak_k = 0  # the most counters open at once this day: who comes back after a closure

    # ---- state ------------------------------------------------------------------

    def open_counters(self) -> list[str]:
        if not self.counters:
            return [DEFAULT_COUNTER]
        return sorted(name for name, is_open in self.counters.items() if is_open)

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    def to_dict(self) -> dict:
        """Everything needed to continue, as JSON-ready values."""
        return {
            "default_cycle": self.default_cycle, "margin": self.margin, "max_wait": self.max_wait,
            "D": self.D, "V": self.V,
            "n": self.n, "C": self.C, "AW": self.AW, "boot": self.boot, "t_last": self.t_last,
            "waiting": {k: list(v) for k, v in self.waiting.items()}, "counters": self.counters,
            "busy": self.busy, "last_call": self.last_call, "release_valid": self.release_valid,
            "called": self.called, "paused_at": self.paused_at, "pause_hint": self.pause_hint,
            "closed_at": self.closed_at, "close_hint": self.close_hint, "last_k": self.last_k,
            "counter_hints": self.counter_hints, "peak_k": self.peak_k, "steady": self.steady,
            "first": sorted(self.first), "share": self.share, "U": self.U, "S": self.S,
            "stopped_for": self.stopped_for, "pause_len": self.pause_len,
            "closure_len": self.closure_len,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, state: dict) -> Estimator:
        """An estimator continuing from `state`; it shares nothing with `state` or its source."""
        state = copy.deepcopy(state)
        est = cls(state["default_cycle"], state.get("margin", 0.0), state.get("max_wait"))
        for key in ("D", "V", "n", "C", "AW", "boot", "t_last", "counters", "busy", "last_call",
                    "release_valid", "called", "paused_at", "pause_hint", "closed_at", "close_hint",
                    "last_k", "counter_hints"):
            setattr(est, key, state[key])
        est.peak_k = state.get("peak_k", est.last_k)  # states saved before peak_k existed
        est.steady = state.get("steady", {})  # states saved before issue 14: no cycle is known steady
        for key in ("U", "S", "stopped_for"):  # states saved before issue 15: no stoppage seen
            setattr(est, key, float(state.get(key, 0.0)))
        est.pause_len = list(state.get("pause_len", est.pause_len))
        est.first = set(state.get("first", ()))
        est.share = dict(state.get("share", {}))
        est.closure_len = list(state.get("closure_len", est.closure_len))
        est.waiting = {k: (int(v[0]), float(v[1])) for k, v in state["waiting"].items()}
        est.sum_join = sum(joined for _, joined in est.waiting.values())
        return est

    # ---- updates ----------------------------------------------------------------

    def _fade(self, gap: float) -> None:
        """Let the cancellation model forget `gap` seconds' worth (its time constant is TAU)."""
        f = math.exp(-min(max(gap, 0.0), MAX_GAP) / TAU)
        self.C *= f
        self.AW *= f

    def _new_boot(self, boot: str, t: float) -> None:
        """The box restarted: keep what was learned, re-base every duration on this boot.

        The cancellation model fades by at least the time the new boot has been up (`t`, a
        monotonic reading counts from power-on): the box was off at least that long since the
        last event, so the guests of the old boot are at least that far in the past."""
        if self.boot is not None and self.t_last is not None:
            self._fade(t)
            carried = {}
            for ticket, (number, joined) in self.waiting.items():
                carried[ticket] = (number, t - _duration(self.t_last - joined))
            self.waiting = carried
            self.sum_join = sum(joined for _, joined in carried.values())
            self.last_call = {}
            self.release_valid = {}
            self.steady = {}
            self.busy = {counter: t for counter in self.busy}  # busy counters: as if just called
            if self.paused_at is not None:
                self.paused_at = t - _duration(self.t_last - self.paused_at)
            if self.closed_at is not None:
                self.closed_at = t - _duration(self.t_last - self.closed_at)
            for hint in self.counter_hints.values():
                hint[0] = t - _duration(self.t_last - hint[0])
        self.boot = boot
        self.t_last = t

    def advance(self, t: float, boot: str) -> float:
        """Move the clock to `t` (of boot `boot`); returns the time actually used."""
        if boot != self.boot:
            self._new_boot(boot, t)
            return t
        dt = t - self.t_last
        if dt > MAX_GAP or dt < 0:
            # Not a real gap: a clock fault. Re-base as after a reboot, learn nothing from it.
            # Forward by more than MAX_GAP (a night, or longer, on one boot): the cancellations
            # are at least 12 TAU old, faded out.
            self._new_boot(boot, t)
            if dt > MAX_GAP:
                self.C = self.AW = 0.0
            return t
        if dt > 0:
            self._stoppage(dt)
            f = math.exp(-dt / TAU)
            q = len(self.waiting)
            self.AW = self.AW * f + 0.5 * ((q * self.t_last - self.sum_join) + (q * t - self.sum_join)) * dt
            self.C *= f
            self.t_last = t
        return t

    def _stoppage(self, dt: float) -> None:
        """Count `dt` seconds of the line's time: only while someone waits, and as stopped while the
        line is paused or every counter is closed (one stoppage counts for STOP_CAP at most, so a
        counter left closed with guests waiting until the day's end does not stop every day after).
        """
        if not self.waiting:
            return
        stopped = self.paused or not self.open_counters()
        f = math.exp(-dt / STOP_TAU)
        self.U = self.U * f + dt
        self.S *= f
        if stopped:
            counted = min(dt, max(STOP_CAP - self.stopped_for, 0.0))
            self.S += counted
            self.stopped_for += dt
        else:
            self.stopped_for = 0.0

    def stoppage_share(self) -> float:
        """Seconds the line stands still (paused, every counter closed) per second it moves."""
        return self.S / max(self.U - self.S, STOP_PRIOR)

    def apply(self, ev: Event) -> None:
        """Feed one event, in log order."""
        if ev.type not in TYPES:
            return
        t = self.advance(ev.t, ev.boot)
        kind = ev.type
        if kind == "day_started":
            self._new_day()
        elif kind in ("join", "transfer_in"):  # a transfer in is a guest joining this line
            if ev.ticket is not None and ev.ticket not in self.waiting:
                self.waiting[ev.ticket] = (int(ev.number or 0), t)
                self.sum_join += t
                if ev.priority:
                    self.first.add(ev.ticket)
        elif kind == "cancel":
            if self._leave(ev.ticket):
                self.C += 1
            else:
                self._release(ev.ticket, t)
        elif kind in ("expire", "transfer"):  # closed by the day's end or sent on: not giving up
            if not self._leave(ev.ticket):
                self._release(ev.ticket, t)
        elif kind == "call" or (kind == "recall" and ev.ticket in self.waiting):
            self._call(ev, t)  # a recall from WAITING calls out of turn; a repeated call changes nothing
        elif kind == "recall" and ev.counter and self.called.get(ev.ticket, ev.counter) != ev.counter:
            self._move(ev, t)  # called again, to another counter
        elif kind in ("complete", "no_show"):
            self._release(ev.ticket, t, ev.replaced and kind)
        elif kind == "requeue":
            self._release(ev.ticket, t)
            if ev.ticket is not None and ev.ticket not in self.waiting:
                self.waiting[ev.ticket] = (int(ev.number or 0), t)
                self.sum_join += t
        elif kind == "queue_paused":
            self.paused_at = t
            self.pause_hint = ev.hint
            self._invalidate()
        elif kind == "queue_resumed":
            if self.paused_at is not None and self.pause_hint is None:
                self._learn_length(self.pause_len, t - self.paused_at)
            self.paused_at = self.pause_hint = None
            self._invalidate()
        elif kind in ("counter_opened", "counter_closed"):
            self._counter(ev, t)

    def _new_day(self) -> None:
        # A night has passed (hours, many TAU): yesterday's impatience says nothing about today.
        self.C = self.AW = 0.0
        self.waiting, self.sum_join = {}, 0.0
        self.first = set()
        self.busy, self.last_call, self.release_valid, self.called = {}, {}, {}, {}
        self.steady = {}
        self.paused_at = self.pause_hint = self.closed_at = self.close_hint = None
        self.counter_hints = {}
        # Counters kept open from the day before are today's staffing too: a full closure brings
        # them back (counting from 0 undercounted them once they had closed one by one).
        self.peak_k = len(self.open_counters()) if self.counters else 0

    def _leave(self, ticket: str | None) -> bool:
        """Take a ticket out of the waiting line; False if it was not waiting."""
        entry = self.waiting.pop(ticket, None) if ticket is not None else None
        if entry is None:
            return False
        self.first.discard(ticket)
        self.sum_join -= entry[1]
        if not self.waiting:
            self.sum_join = 0.0  # no float drift once the line is empty
            self.steady = dict.fromkeys(self.steady, False)  # a counter that finished now would idle
        return True

    def _call(self, ev: Event, t: float) -> None:
        counter = ev.counter or DEFAULT_COUNTER
        self._leave(ev.ticket)
        if counter not in self.counters:
            self.counters[counter] = True  # a counter that calls is open
            self.peak_k = max(self.peak_k, len(self.open_counters()))
        last = self.last_call.get(counter)
        if last is not None and self.release_valid.get(counter):
            x = min(_duration(t - last), WINSOR * self.D)
            if x > 0:
                self.n += 1
                w = max(ALPHA, 1.0 / (self.n + N0))
                d = x - self.D
                self.D += w * d
                self.V = (1 - w) * (self.V + w * d * d)
        self.last_call[counter] = t
        self.release_valid[counter] = False
        self.busy[counter] = t
        self.steady[counter] = bool(self.waiting) and not self.paused
        if ev.ticket is not None:
            self.called[ev.ticket] = counter
        if self.closed_at is not None and self.open_counters():
            self._closure_ends(t)

    def _move(self, ev: Event, t: float) -> None:
        """A called ticket is called again to another counter: that one is busy from now on, and
        neither gap (the old counter's or the new one's) is a cycle."""
        old = self.called[ev.ticket]
        self.busy.pop(old, None)
        self.steady.pop(old, None)
        self.release_valid[old] = False
        self.called[ev.ticket] = ev.counter
        self.busy[ev.counter] = self.last_call[ev.counter] = t
        self.release_valid[ev.counter] = False
        self.steady[ev.counter] = False
        if ev.counter not in self.counters:
            self.counters[ev.counter] = True  # a counter that calls is open
            self.peak_k = max(self.peak_k, len(self.open_counters()))

    def _release(self, ticket: str | None, t: float, replaced: str | bool = False) -> None:
        """The counter of `ticket` is free. `replaced` ("complete" or "no_show"): the call that
        follows at once ended it, so when the counter really finished is not known."""
        counter = self.called.pop(ticket, None) if ticket is not None else None
        if counter is None:
            return
        self.busy.pop(counter, None)
        steady = self.steady.pop(counter, False)
        valid = bool(self.waiting) and not self.paused and counter in self.open_counters()
        if replaced == "no_show":
            # Nobody was served: the time since the call is how long the host waited before calling
            # over them (a second tablet's call may do it within a second), not what a guest costs.
            valid = False
        elif replaced:
            # Served until this very call: one cycle, if no idle time can hide in it (the line never
            # ran dry, no pause, no counter opened or closed since the call).
            valid = valid and steady
        self.release_valid[counter] = valid

    def _invalidate(self) -> None:
        self.release_valid = {counter: False for counter in self.release_valid}
        self.steady = dict.fromkeys(self.steady, False)

    def _counter(self, ev: Event, t: float) -> None:
        name = ev.counter or DEFAULT_COUNTER
        before = len(self.open_counters())
        if not self.counters and name != DEFAULT_COUNTER and ev.type == "counter_closed":
            self.counters[DEFAULT_COUNTER] = True  # the implicit counter keeps serving
        self.counters[name] = ev.type == "counter_opened"
        if ev.type == "counter_opened":
            self.share[name] = 1.0 / ev.services if ev.services and ev.services > 1 else 1.0
        self.counter_hints.pop(name, None)
        if ev.type == "counter_closed":
            self.busy.pop(name, None)
            if ev.hint is not None:
                self.counter_hints[name] = [t, ev.hint]
        self._invalidate()
        k = len(self.open_counters())
        self.peak_k = max(self.peak_k, k)
        if k == 0 and before > 0:
            self.last_k = before
            self.closed_at, self.close_hint = t, ev.hint
        elif k == 0 and ev.hint is not None and self.closed_at is not None:
            self.close_hint = ev.hint + (t - self.closed_at)  # a new "back in" during a closure
        elif k > 0:
            self.last_k = k
            self._closure_ends(t)

    def _closure_ends(self, t: float) -> None:
        if self.closed_at is not None and self.close_hint is None:
            self._learn_length(self.closure_len, t - self.closed_at)
        self.closed_at = self.close_hint = None

    @staticmethod
    def _learn_length(learned: list, seconds: float) -> None:
        """Blend one unannounced pause's or closure's length into the typical one."""
        seconds = _duration(seconds)
        if seconds <= 0:
            return
        learned[1] += 1
        w = max(STOP_RATE, 1.0 / (learned[1] + 1))
        learned[0] += w * (min(seconds, STOP_CAP) - learned[0])

    # ---- predictions ------------------------------------------------------------

    def predict(self, t: float, boot: str) -> tuple[dict[str, int], int]:
        """Seconds until each WAITING ticket is called, and for a guest who joins now.

        Does not change what was learned; `t` may be any time at or after the last event.
        """
        out, joiner, _ = self.forecast(t, boot)
        return out, joiner

    def forecast(self, t: float, boot: str) -> tuple[dict[str, int], int, Forecast]:
        """`predict`, plus the line's `Forecast`, which can take further joiners in O(1)."""
        if boot != self.boot or self.t_last is None or not 0 <= t - self.t_last <= MAX_GAP:
            probe = Estimator.from_dict(self.to_dict())  # a reboot since the last event
            probe.advance(t, boot)
            return probe.forecast(t, boot)
        D = self.D
        opened = self.open_counters()
        k = len(opened)
        R = 0.0
        if k == 0:
            closed_for = t - (self.closed_at if self.closed_at is not None else t)
            R = self._remaining(self.close_hint, self.closure_len[0], closed_for)
            # ETA.md restarts at the last k > 0, which is 1 when counters close one by one;
            # the day's busiest staffing is the better guess for who comes back.
            k = max(self.peak_k, self.last_k, 1)
            r = [0.0] * k
        else:
            if self.paused:
                R = self._remaining(self.pause_hint, self.pause_len[0], t - self.paused_at)
            r = []
            for counter in opened:
                since = self.busy.get(counter)
                rc = 0.0 if since is None else min(max(D - (t - since), RHO * D), D)
                r.append(max(rc - R, 0.0))
        head = 0.0 if min(r) == 0 else 1.0 / sum(1.0 / rc for rc in r)
        if opened:
            # A counter shared with other services gives this one its share (issue 15: 1/services).
            k = max(sum(self.share.get(name, 1.0) for name in opened), 1e-9)
        # Counters on a break the host announced ("back in N min") join in when they are back:
        # after BREAK_OVERRUN N; overdue, in MIN_REMAINING from now; once away BREAK_GIVE_UP N,
        # not today (a "back in 10 min" at 16:50 must not staff the line until the day ends).
        returns = [] if not opened else sorted(
            max(BREAK_OVERRUN * hint - (t - since), MIN_REMAINING)
            for name, (since, hint) in self.counter_hints.items()
            if not self.counters.get(name, False) and t - since < BREAK_GIVE_UP * hint)
        line = Forecast(R=R, head=head, k=k, returns=returns, h=self.C / (self.AW + AW0), z=self.margin,
                        sd=math.sqrt(self.V), D=D, L=self.stoppage_share())
        out: dict[str, int] = {}
        order = sorted(self.waiting.items(), key=self._line_key)
        prio = [(ticket, joined) for ticket, (_, joined) in order if ticket in self.first]
        normal = [(ticket, joined) for ticket, (_, joined) in order if ticket not in self.first]
        i = j = 0
        while i < len(normal) or j < len(prio):
            # The call rule, walked: priority first, unless the first normal ticket will be overdue
            # by the time this place in the line is called.
            take_normal = j >= len(prio) or (
                i < len(normal) and self.max_wait is not None
                and t - normal[i][1] + line.next_eta() >= self.max_wait)
            if take_normal:
                ticket, joined = normal[i]
                i += 1
            else:
                ticket, joined = prio[j]
                j += 1
            out[ticket] = line.join(max(t - joined, 0.0))
        return out, line.joiner, line

    def _line_key(self, item: tuple[str, tuple[int, float]]) -> tuple:
        """Where a waiting ticket stands in the call order: priority tickets first, then by number
        (issue 15; the anti-starvation bound and the streak are not modelled yet)."""
        ticket, (number, _) = item
        return (ticket not in self.first, number)

    def hints(self, t: float, boot: str) -> dict:
        """The hosts' "back in N min" still running at `t`, in seconds: the queue's, and each counter's."""
        if boot != self.boot or self.t_last is None or not 0 <= t - self.t_last <= MAX_GAP:
            probe = Estimator.from_dict(self.to_dict())  # re-based on this boot, as `predict` does
            probe.advance(t, boot)
            return probe.hints(t, boot)

        def left(since: float, planned: float) -> int | None:
            remaining = planned - max(t - since, 0.0)
            return int(math.ceil(remaining)) if remaining > 0 else None

        queue = None
        if self.paused and self.pause_hint is not None:
            queue = left(self.paused_at, self.pause_hint)
        elif not self.open_counters() and self.close_hint is not None and self.closed_at is not None:
            queue = left(self.closed_at, self.close_hint)
        counters = {name: left(*hint) for name, hint in self.counter_hints.items()}
        return {"queue": queue, "counters": {k: v for k, v in counters.items() if v is not None}}

    @staticmethod
    def _remaining(hint: float | None, default: float, elapsed: float) -> float:
        planned = hint if hint is not None else default
        return max(planned - max(elapsed, 0.0), MIN_REMAINING, OVERDUE_SHARE * planned)

    def avg_wait_time(self) -> int:
        """What one more guest adds: D / k, in whole seconds (the queue row's avg_wait_time)."""
        return int(round(self.D / max(len(self.open_counters()), 1)))
