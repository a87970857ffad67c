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
import heapq
import math
from collections import deque
from dataclasses import dataclass

from . import rules

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
# issue 15: shared counters and priority (docs/eta.md, "Several services")
SHARE_TAU = 3600.0  # s of a shared counter's use: how fast what it gave this service fades
SHARE_PRIOR = 2.0  # calls' worth of the prior 1/n share
CLEAN_GAP = 0.25  # a shared counter that calls here again within this × D of finishing went straight back
SHARE_MIN = 0.05  # a shared counter gives a service at least this share of itself
ARRIVAL_TAU = 2 * 3600.0  # s of opening time: how fast the learned arrival rates fade
ARRIVAL_HORIZON = 2 * 3600.0  # s: the walk of shared counters expects arrivals this far ahead at most
ARRIVAL_PRIOR = 1800.0  # s: the opening time the arrival rates are measured against, at first
NEWCOMER = 1 << 62  # the walk's expected newcomers have line_seq above this (behind every real ticket)

#: Event types the estimator understands; others are ignored.
TYPES = {
    "join", "call", "recall", "serve", "complete", "no_show", "requeue", "cancel", "expire",
    "queue_paused", "queue_resumed", "counter_opened", "counter_closed", "day_started",
    "transfer", "transfer_in",  # issue 15: a ticket leaves this service for another / arrives
    "priority_set", "counter_services",  # issue 15: a host changed a ticket's class / a counter's services
    "returned",  # issue 16: a no-show back in line (at its line_seq, with the time in line it was given)
    "running_late",  # issue 16: a waiting guest moved back behind another (docs/services.md, section 15)
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
    priority: bool = False  # also the new class, on `priority_set`
    services: int | None = None  # also on `counter_services`: 0 = it no longer serves this service
    # on `transfer_in` placed by its original join time: the seconds it has already been in line
    # (the anti-starvation bound counts them; docs/services.md section 3, `waited`)
    waited: float | None = None


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
    # issue 15: priority guests to come overtake a normal one (docs/eta.md, "Several services")
    lam: float = 0.0  # priority arrivals per second
    streak_limit: int | None = None  # QODE_PRIORITY_STREAK: at most this many per normal call ahead
    streak: int = 0  # the service's streak now
    max_wait: float | None = None  # QODE_MAX_WAIT: once overdue, nobody overtakes
    normals: int = 0  # normal tickets placed so far
    priorities: int = 0  # priority tickets placed so far

    def _eta(self) -> float:
        run = self.head + _serve_time(self.a * self.D, self.k, self.returns, self.R + self.head)
        return self.R + run * (1.0 + STOP_WEIGHT * self.L)

    def _shown(self, eta: float) -> int:
        if self.z:
            eta += self.z * self.sd * math.sqrt(self.a + 1) / self.k  # the margin is for display only
        return max(int(round(eta)), 0)

    def overtaken(self, eta: float, waited: float) -> float:
        """Seconds a normal guest, called in `eta` s and waiting `waited` s, loses to priority guests
        who arrive meanwhile: arrival rate × the time until it is called or overdue (each overtaker
        holds it up one step more, in which more may come), at most `streak_limit` per normal
        call ahead of it (and of it), less those the streak and the priority tickets ahead used."""
        if self.lam <= 0:
            return 0.0
        window = eta if self.max_wait is None else min(eta, max(self.max_wait - waited, 0.0))
        step = self.D / self.k
        x = self.lam * window / max(1.0 - self.lam * step, 0.2)
        # how many come is about Poisson(x): its median, which the mean absolute error wants
        x = math.floor(x + 1 / 3 - 0.02 / x) if x > 0.1 else 0.0
        if self.streak_limit is not None:
            x = min(x, max(self.streak_limit * (self.normals + 1) - self.streak - self.priorities, 0))
        return x * step

    def join(self, waited: float = 0.0, priority: bool = False) -> int:
        """The ETA of the next guest in line, who has waited `waited` s; they join the line ahead."""
        eta = self._eta()
        shown = self._shown(eta if priority else eta + self.overtaken(eta, waited))
        self.a += math.exp(-0.5 * self.h * ((waited + eta) ** 2 - waited * waited))
        if priority:
            self.priorities += 1
        else:
            self.normals += 1
        return shown

    def next_eta(self) -> float:
        """The unmargined ETA of the next place in line."""
        return self._eta()

    @property
    def joiner(self) -> int:
        eta = self._eta()
        return self._shown(eta + self.overtaken(eta, 0.0))


class _Line:
    """One service's WAITING tickets for the walk, as two queues in line order: normal, priority.

    The rule only ever looks at the front of each. Its head among all of them is the head among
    the two fronts: within a service a lower `line_seq` never has a smaller `waited` (docs/services.md,
    section 3), so the longest-waiting overdue ticket, the first normal and the first priority
    ticket are fronts; and `rules.next_streak` only asks whether a normal ticket waits. So the walk
    asks `qode.rules` about the fronts, O(1) a step, and gets the rule's answer on the whole line.
    """

    def __init__(self, tickets: list[rules.Waiting]):
        self.normal = deque(w for w in tickets if not w.priority)
        self.priority = deque(w for w in tickets if w.priority)

    def __bool__(self) -> bool:
        return bool(self.normal or self.priority)

    def fronts(self) -> list[rules.Waiting]:
        return [q[0] for q in (self.normal, self.priority) if q]

    def take(self, ticket: rules.Waiting) -> None:
        (self.priority if ticket.priority else self.normal).popleft()

    def add(self, ticket: rules.Waiting) -> None:
        """A newcomer, placed by how long it has waited (one sent on by its join time may go ahead)."""
        line = self.priority if ticket.priority else self.normal
        i = len(line)
        while i > 0 and line[i - 1].waited < ticket.waited:
            i -= 1
        line.insert(i, ticket)


class Estimator:
    """The counter-cycle estimator for one queue."""

    def __init__(self, default_cycle: float = 300.0, margin: float = 0.0, max_wait: float | None = None,
                 streak: int | None = None):
        self.default_cycle = float(default_cycle)
        self.margin = float(margin)  # z of the safety margin; 0 = none
        # issue 15: the call rule's bounds (QODE_MAX_WAIT, QODE_PRIORITY_STREAK; docs/services.md,
        # section 3): the forecast walks `qode.rules` with them; None = off
        self.max_wait = max_wait
        self.streak_limit = streak
        self.streak = 0  # the service's streak, as the calls moved it (rules.next_streak)
        # shared counters: counter -> how many services it serves (counter_opened's data.services),
        # and what it gave this service: [its calls here, the seconds it was open while someone waited
        # here or it served a guest of here], both fading; calls per second × D is this service's share
        self.services_of: dict[str, int] = {}
        self.use: dict[str, list] = {}
        self.freed: dict[str, float] = {}  # shared counter -> when it last finished a guest of this service
        # priority guests arriving (joins and transfers in), against the time the line was open: both fade
        self.prio_n = 0.0
        self.arr_n = 0.0  # all guests arriving (joins and transfers in), likewise
        self.arr_w = 0.0  # ... the seconds they had already waited (sent on by their join time), likewise
        self.prio_T = 0.0
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
            "first": sorted(self.first), "U": self.U, "S": self.S,
            "stopped_for": self.stopped_for, "pause_len": self.pause_len,
            "closure_len": self.closure_len, "streak_limit": self.streak_limit, "streak": self.streak,
            "services_of": self.services_of, "use": self.use,
            "freed": self.freed, "prio_n": self.prio_n, "arr_n": self.arr_n, "arr_w": self.arr_w,
            "prio_T": self.prio_T,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, state: dict) -> Estimator:
        """An estimator continuing from `state`; it shares nothing with `state` or its source."""
        state = copy.deepcopy(state)
        est = cls(state["default_cycle"], state.get("margin", 0.0), state.get("max_wait"),
                  state.get("streak_limit"))
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
        est.closure_len = list(state.get("closure_len", est.closure_len))
        # issue 15, saved before shared counters were learned: 1/services until they call
        est.streak = int(state.get("streak", 0))
        est.services_of = {k: int(v) for k, v in state.get("services_of", {}).items()}
        for name, share in state.get("share", {}).items():  # saved before services_of existed
            est.services_of.setdefault(name, max(int(round(1.0 / share)), 1) if share > 0 else 1)
        est.use = {k: [float(x) for x in v] for k, v in state.get("use", {}).items()}
        est.freed = dict(state.get("freed", {}))
        est.prio_n = float(state.get("prio_n", 0.0))
        est.arr_n = float(state.get("arr_n", 0.0))
        est.arr_w = float(state.get("arr_w", 0.0))
        est.prio_T = float(state.get("prio_T", 0.0))
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
            for name, n in self.services_of.items():
                if n > 1 and self.counters.get(name) and (self.waiting or name in self.busy):
                    use = self.use.setdefault(name, [0.0, 0.0])
                    f = math.exp(-dt / SHARE_TAU)
                    use[0] *= f
                    use[1] = use[1] * f + dt
            if self.waiting or self.open_counters() and self.counters:
                f = math.exp(-dt / ARRIVAL_TAU)
                self.prio_n *= f
                self.arr_n *= f
                self.arr_w *= f
                self.prio_T = self.prio_T * f + dt
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
                # by its original join time, it has been in line since then (0..12 h, else now)
                joined = t - _duration(ev.waited) if ev.waited is not None else t
                self.waiting[ev.ticket] = (int(ev.number or 0), joined)
                self.sum_join += joined
                self.arr_n += 1.0
                self.arr_w += t - joined
                if ev.priority:
                    self.first.add(ev.ticket)
                    self.prio_n += 1.0
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
        elif kind == "returned":
            # issue 16: a no-show back in line. Its counter was freed by the no-show; it is no arrival
            # (no newcomer to learn from) and no cancellation: it waits again from its place.
            if ev.ticket is not None and ev.ticket not in self.waiting:
                joined = t - _duration(ev.waited) if ev.waited is not None else t
                self.waiting[ev.ticket] = (int(ev.number or 0), joined)
                self.sum_join += joined
                if ev.priority:
                    self.first.add(ev.ticket)
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
        elif kind == "running_late" and ev.ticket in self.waiting and ev.number is not None:
            self._late(ev)
        elif kind == "priority_set" and ev.ticket in self.waiting:
            if ev.priority:
                self.first.add(ev.ticket)
            else:
                self.first.discard(ev.ticket)
        elif kind == "counter_services" and ev.counter:
            # The counter's set changed while open (services=0: it no longer serves this one, as
            # if closed here); its share here starts again from 1/n.
            if ev.services == 0:
                if self.counters.get(ev.counter):
                    self._counter(Event("counter_closed", ev.t, ev.boot, counter=ev.counter), t)
            else:
                self.services_of[ev.counter] = ev.services if ev.services and ev.services > 1 else 1
                if ev.counter not in self.counters or not self.counters[ev.counter]:
                    self._counter(Event("counter_opened", ev.t, ev.boot, counter=ev.counter,
                                        services=ev.services), t)
            self.use.pop(ev.counter, None)

    def _late(self, ev: Event) -> None:
        """issue 16: the guest takes its new place (`ev.number`: line_seq + rank / RANK_SCALE) right
        behind the ticket one rank before it, whose line time it takes too (the server gives it that
        ticket's: docs/services.md, section 15); those sharing that line_seq from its new rank on move
        one rank back, as the server moves them."""
        new = float(ev.number)
        base, step = math.floor(new), 1.0 / rules.RANK_SCALE
        _, joined = self.waiting[ev.ticket]
        entered = joined
        for other, (number, since) in list(self.waiting.items()):
            if other == ev.ticket or math.floor(number) != base:
                continue
            if number == new - step:
                entered = since  # the one it now stands behind
            elif number >= new:
                self.waiting[other] = (number + step, since)
        self.sum_join += entered - joined
        self.waiting[ev.ticket] = (new, entered)

    def _new_day(self) -> None:
        # A night has passed (hours, many TAU): yesterday's impatience says nothing about today.
        self.C = self.AW = 0.0
        self.waiting, self.sum_join = {}, 0.0
        self.first = set()
        self.streak = 0
        self.freed = {}
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
        if ev.ticket in self.waiting:  # the service's streak moves as the rule moves it
            number, joined = self.waiting[ev.ticket]
            called = rules.Waiting(ev.ticket, "", ev.ticket in self.first, number, 0.0)
            # the rule only asks whether a normal ticket waits besides it: one stands for all
            normal = next((rules.Waiting(other, "", False, n, 0.0) for other, (n, _) in self.waiting.items()
                           if other not in self.first), None) if called.priority else None
            self.streak = rules.next_streak(self.streak, called, [normal] if normal else [])
        self._leave(ev.ticket)
        if counter not in self.counters:
            self.counters[counter] = True  # a counter that calls is open
            self.peak_k = max(self.peak_k, len(self.open_counters()))
        last = self.last_call.get(counter)
        shared = self.services_of.get(counter, 1) > 1
        if shared:
            self.use.setdefault(counter, [0.0, 0.0])[0] += 1.0
        # A cycle of one guest at one counter. A shared counter's gap may hold its other services'
        # guests too: from a shared counter, only a gap in which it came straight back (called here
        # again within CLEAN_GAP D of finishing), and only for a service with no counter of its own.
        clean = not shared or (not self._has_own() and counter in self.freed
                               and t - self.freed[counter] <= CLEAN_GAP * self.D)
        if last is not None and self.release_valid.get(counter) and clean:
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
        self.freed[counter] = t
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

    def _has_own(self) -> bool:
        """Whether a counter serving only this service has opened (or called) here."""
        return any(self.services_of.get(name, 1) <= 1 for name in self.counters) or not self.counters

    def share_of(self, counter: str) -> float:
        """The share of `counter` this service gets: 1 for its own counters; for a shared one, 1/n
        before it has called here, then D × its calls here per second it was open while someone waited
        here or it served a guest of here (what the call rule really gave this service), both fading."""
        n = self.services_of.get(counter, 1)
        if n <= 1:
            return 1.0
        calls, seconds = self.use.get(counter, (0.0, 0.0))
        # the prior: SHARE_PRIOR calls at 1/n of the counter
        rate = (calls + SHARE_PRIOR) / (seconds + SHARE_PRIOR * n * self.D)
        return min(max(self.D * rate, SHARE_MIN), 1.0)

    def priority_rate(self) -> float:
        """Priority guests arriving per second of opening time, learned (0 until any came)."""
        return self.prio_n / (self.prio_T + ARRIVAL_PRIOR)

    def arrival_wait(self) -> float:
        """How long an arriving guest has already waited, on average (transfers by join time)."""
        return self.arr_w / self.arr_n if self.arr_n > 0 else 0.0

    def arrival_rate(self) -> float:
        """Guests arriving per second of opening time, learned (0 until any came)."""
        return self.arr_n / (self.prio_T + ARRIVAL_PRIOR)

    def _rule_view(self, t: float) -> list:
        """The WAITING tickets as `qode.rules` sees them, in line order."""
        return sorted((rules.Waiting(ticket, "", ticket in self.first, number, max(t - joined, 0.0))
                       for ticket, (number, joined) in self.waiting.items()), key=lambda w: (w.line_seq, w.id))

    def _counter(self, ev: Event, t: float) -> None:
        name = ev.counter or DEFAULT_COUNTER
        before = len(self.open_counters())
        if not self.counters and name != DEFAULT_COUNTER and ev.type == "counter_closed":
            self.counters[DEFAULT_COUNTER] = True  # the implicit counter keeps serving
        self.counters[name] = ev.type == "counter_opened"
        if ev.type == "counter_opened":
            self.services_of[name] = ev.services if ev.services and ev.services > 1 else 1
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
                if since is not None:
                    rc = min(max(D - (t - since), RHO * D), D)
                elif self.services_of.get(counter, 1) > 1 and counter in self.freed:
                    # A shared counter that finished a guest here serves its other services' guests
                    # first, about (its cycle here - D) in all.
                    cycle = D / self.share_of(counter)
                    rc = max(cycle - D - (t - self.freed[counter]), 0.0)
                else:
                    rc = 0.0
                r.append(max(rc - R, 0.0))
        head = 0.0 if min(r) == 0 else 1.0 / sum(1.0 / rc for rc in r)
        if opened:
            # A counter shared with other services gives this one its share (issue 15).
            k = max(sum(self.share_of(name) for name in opened), SHARE_MIN)
        # Counters on a break the host announced ("back in N min") join in when they are back:
        # after BREAK_OVERRUN N; overdue, in MIN_REMAINING from now; once away BREAK_GIVE_UP N,
        # not today (a "back in 10 min" at 16:50 must not staff the line until the day ends).
        returns = [] if not opened else sorted(
            max(BREAK_OVERRUN * hint - (t - since), MIN_REMAINING)
            for name, (since, hint) in self.counter_hints.items()
            if not self.counters.get(name, False) and t - since < BREAK_GIVE_UP * hint)
        line = Forecast(R=R, head=head, k=k, returns=returns, h=self.C / (self.AW + AW0), z=self.margin,
                        sd=math.sqrt(self.V), D=D, L=self.stoppage_share(), lam=self.priority_rate(),
                        streak_limit=self.streak_limit, streak=self.streak, max_wait=self.max_wait)
        out: dict[str, int] = {}
        # The call rule (qode.rules), walked forward in time: the service's head at the moment each
        # place in the line will be called (a ticket waiting w s then has waited w + eta, so the
        # overdue test is against max_wait - eta), with the streak moving as the calls move it.
        if not self.first:
            # Only normal tickets: whatever the bounds, the rule's head is always the first in line
            # (the longest-waiting overdue ticket is the first too), as `rules.service_order` says.
            for ticket, (_, joined) in sorted(self.waiting.items(), key=lambda item: (item[1][0], item[0])):
                out[ticket] = line.join(max(t - joined, 0.0))
            return out, line.joiner, line
        rest = _Line(self._rule_view(t))
        streak = self.streak
        while rest:
            shift = line.next_eta()
            bound = None if self.max_wait is None else self.max_wait - shift
            fronts = rest.fronts()
            ticket = rules.service_head(fronts, streak, rules.Policy(bound, self.streak_limit)).ticket
            streak = rules.next_streak(streak, ticket, fronts)
            rest.take(ticket)
            out[ticket.id] = line.join(ticket.waited, ticket.priority)
        return out, line.joiner, line

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
        """What one more guest adds: D / k, in whole seconds (the queue row's avg_wait_time); a
        shared counter counts by its share of this service."""
        opened = self.open_counters()
        k = sum(self.share_of(name) for name in opened) if opened else 1.0
        return int(round(self.D / max(k, SHARE_MIN)))


# ---- several services: counters shared between them (issue 15) ---------------------------------


def _current(est: Estimator, t: float, boot: str) -> Estimator:
    """`est`, or a copy re-based on `boot` at `t` when the box restarted since its last event."""
    if boot != est.boot or est.t_last is None or not 0 <= t - est.t_last <= MAX_GAP:
        est = Estimator.from_dict(est.to_dict())
        est.advance(t, boot)
    return est


def forecast_services(estimators: dict[str, Estimator], counters: dict[str, rules.Counter], t: float,
                      boot: str) -> dict[str, tuple[dict[str, int], int]]:
    """Predictions for every service of a box whose counters may serve several (docs/eta.md,
    "Several services"): {service: (seconds until each WAITING ticket is called, the joiner's)}.

    `estimators` holds each service's estimator (fed that service's events), `counters` each
    counter's services, order and weights by name, as `qode.rules` takes them. A service whose
    open counters serve only it, or that is paused or has every counter closed, gets its own
    `Estimator.predict`. The others are walked together, as the counters will call them: the
    counter free first calls what `rules.pick` gives it (with the waits grown by then, the
    streaks moving), and is busy for that service's cycle D, weighted by the chance the guest is
    still there; priority guests to come and the margin are added per service as in `forecast`.
    """
    ests = {s: _current(est, t, boot) for s, est in estimators.items()}
    out: dict[str, tuple[dict[str, int], int]] = {}
    open_in: dict[str, list[str]] = {}  # counter -> the services it is open for
    for s, est in ests.items():
        for name in est.open_counters():
            open_in.setdefault(name, []).append(s)
    joint = [s for s, est in ests.items()  # in the caller's order: the walk never depends on a set's
             if not est.paused and est.open_counters() and any(
                 len(set(counters[name].services) & set(ests)) > 1 for name in est.open_counters()
                 if name in counters)]
    for s in ests:
        if s not in joint:
            out[s] = ests[s].predict(t, boot)
    if not joint:
        return out
    first = ests[next(iter(joint))]
    max_wait, streak_limit = first.max_wait, first.streak_limit
    # the counters that serve the services walked together: when each is free, and what it serves
    free: list[tuple[float, str]] = []
    serves: dict[str, rules.Counter] = {}
    for name, services in open_in.items():
        spec = counters.get(name) or rules.Counter(tuple(services))
        mine = tuple(s for s in spec.services if s in joint and s in services)
        if not mine:
            continue
        serves[name] = rules.Counter(mine, spec.rule, spec.weights)
        r = 0.0
        for s in spec.services:
            est = ests.get(s)
            since = est.busy.get(name) if est is not None else None
            if since is not None:
                r = max(r, min(max(est.D - (t - since), RHO * est.D), est.D))
        free.append((r, name))
    for s in joint:  # counters back from an announced break
        est = ests[s]
        for name, (since, hint) in est.counter_hints.items():
            if name in counters and name not in serves and t - since < BREAK_GIVE_UP * hint:
                mine = tuple(x for x in counters[name].services if x in joint)
                serves[name] = rules.Counter(mine, counters[name].rule, counters[name].weights)
                free.append((max(BREAK_OVERRUN * hint - (t - since), MIN_REMAINING), name))
    heapq.heapify(free)
    lines: dict[str, Forecast] = {}
    waiting: dict[str, _Line] = {}
    for s in joint:
        est = ests[s]
        k = max(sum(est.share_of(name) for name in est.open_counters()), SHARE_MIN)
        lines[s] = Forecast(R=0.0, head=0.0, k=k, returns=[], h=est.C / (est.AW + AW0), z=est.margin,
                            sd=math.sqrt(est.V), D=est.D, L=est.stoppage_share(), lam=est.priority_rate(),
                            streak_limit=est.streak_limit, streak=est.streak, max_wait=est.max_wait)
        waiting[s] = _Line([rules.Waiting(w.id, s, w.priority, w.line_seq, w.waited)
                            for w in est._rule_view(t)])
    streaks = {s: ests[s].streak for s in joint}
    etas: dict[str, dict[str, int]] = {s: {} for s in joint}
    done: list[tuple[float, str]] = []  # counters with nothing left to call here, and since when
    # Guests still to come take shared counters too (a counter that serves another service first
    # calls that service's newcomers before this one's waiting guests): each service's learned
    # arrivals join its line as normal guests, evenly spaced, up to ARRIVAL_HORIZON ahead.
    spacing = {s: 1.0 / ests[s].arrival_rate() for s in joint if ests[s].arrival_rate() > 0}
    coming = {s: gap / 2 for s, gap in spacing.items()}  # the next one's time from now
    newcomers = 0
    count = dict.fromkeys(joint, 0)
    left = sum(len(line.normal) + len(line.priority) for line in waiting.values())
    while left and free:
        at, name = heapq.heappop(free)
        counter = serves[name]
        for s in counter.services:
            while s in coming and coming[s] <= at and coming[s] <= ARRIVAL_HORIZON:
                newcomers += 1
                est = ests[s]
                share = est.prio_n / est.arr_n if est.arr_n > 0 else 0.0
                count[s] += 1
                priority = math.floor(count[s] * share) > math.floor((count[s] - 1) * share)
                waiting[s].add(rules.Waiting(f"~{newcomers}", s, priority, NEWCOMER + newcomers,
                                             est.arrival_wait() - coming[s]))
                coming[s] += spacing[s]
        # the fronts of its services' lines (see _Line), with their waits grown by `at`
        mine = [rules.Waiting(w.id, w.service, w.priority, w.line_seq, w.waited + at)
                for s in counter.services for w in waiting[s].fronts()]
        picked = rules.pick(mine, counter, streaks, rules.Policy(max_wait, streak_limit))
        if picked is None:
            later = [coming[s] for s in counter.services if s in coming and coming[s] <= ARRIVAL_HORIZON]
            if later:  # idle until the next newcomer of its services
                heapq.heappush(free, (max(min(later), at), name))
            else:
                done.append((at, name))  # nothing of its services waits: it serves none of these guests
            continue
        ticket = picked.ticket
        s = ticket.service
        streaks[s] = rules.next_streak(streaks[s], ticket, mine)
        waiting[s].take(ticket)
        if ticket.line_seq > NEWCOMER:  # a newcomer: it only keeps the counter busy
            heapq.heappush(free, (at + ests[s].D, name))
            continue
        left -= 1
        line = lines[s]
        waited = ticket.waited - at
        eta = at * (1.0 + STOP_WEIGHT * line.L)
        extra = 0.0  # priority newcomers are in the walk
        etas[s][ticket.id] = line._shown(eta + extra)
        stays = math.exp(-0.5 * line.h * ((waited + at) ** 2 - waited * waited))
        line.a += stays
        if ticket.priority:
            line.priorities += 1
        else:
            line.normals += 1
        heapq.heappush(free, (at + ests[s].D * stays, name))
    for s, rest in waiting.items():  # no counter open for them: as the service alone would say
        if rest:
            alone = ests[s].predict(t, boot)[0]
            for w in (*rest.normal, *rest.priority):
                if w.line_seq <= NEWCOMER:
                    etas[s][w.id] = alone.get(w.id, 0)
    for s in joint:  # one more guest: called when a counter of the service is next free
        line = lines[s]
        after = min((at for at, name in free + done if s in serves[name].services), default=0.0)
        eta = after * (1.0 + STOP_WEIGHT * line.L)
        out[s] = (etas[s], line._shown(eta + line.overtaken(eta, 0.0)))
    return out
