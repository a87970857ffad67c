"""`qode bench eta-services`: replay simulated multi-service days through the real ETA estimator.

Issue 15, must-show 5. A venue has two or three services and counters that serve one or several
of them; 10–20% of tickets are priority; a reception service sends some of its guests on to
another service. Each service runs its own `eta.Estimator`, fed the events of that service, as
the server does (one estimator per queue = service), and is scored against the brief's formula
per service, with priority and normal tickets reported separately.

## The events (what the server records; docs/services.md, section 2)

Every event belongs to one service (`queue_id`); `t` is monotonic, `boot` the boot id. The
estimator reads them as `eta.Event(type, t, boot, ticket, number, counter, hint, priority=,
services=)`, where `number` is the ticket's place in its current line (the server's `line_seq`:
a join's own sequence number; a transfer "original" keeps the ticket's join sequence, "end"
takes the transfer's).

| type | service | data |
|---|---|---|
| `day_started` | each service | `{}` |
| `join` | the issuing service | `{priority: bool}` |
| `call` | the ticket's service | `{counter, counter_id, priority, reason}` |
| `serve`, `complete`, `no_show` | the ticket's service | `{counter}` |
| `cancel` | the ticket's service | `{}` (a guest giving up) |
| `transfer` | the service it leaves | `{to, placement, from_status, counter}`: frees the counter when SERVING |
| `transfer_in` | the service it enters | `{from, placement, line_seq, priority}` |
| `counter_opened`, `counter_closed` | **each** service it serves | `{counter, services, back_in_seconds?}` |

## The call rule: `qode.rules`, the server's own

A counter that is free calls what `rules.pick` gives it (its services in its order, the overdue
bound MAX_WAIT = 900 s and the streak STREAK = 3 of docs/services.md, section 10), and the
called ticket's service's streak moves by `rules.next_streak`, as the server's call paths do.

## Scoring

The services that share counters are predicted together (`eta.forecast_services`, given each
desk's services), as the server does; `replay(joint=False)` predicts each alone, for comparison.
As `qode bench eta`: a prediction for each ticket as it enters a line (join or transfer in), and
for every waiting ticket at each 30 s refresh, scored against the true time until that ticket was
called in that service. Guests who cancel are not scored. The baseline is the brief's formula
per service: (the ticket's entry index in today's line of the service - the entry index of the
ticket last called there) × the service's running mean serve→complete time.

Targets (must-show 5): pooled MAE ≤ 0.25 × the baseline's and ≤ 25% of predictions optimistic
by more than 2 min, for priority and normal tickets separately. A SHORT is a finding, not a
failure of the benchmark (exit status 0).
"""

from __future__ import annotations

import argparse
import heapq
import math
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from qode import rules
from qode.eta import Estimator, Event, baseline, forecast_services
from qode_bench.eta import DEFAULT_CYCLE, KINDS, MARGIN_Z, OPTIMISTIC, REFRESH, VARIANTS, Scores, figures

DEFAULT_SEED = 1
HOUR, MINUTE, DAY = 3600.0, 60.0, 86_400.0
OPEN_H, CLOSE_H = 9.0, 17.0
LUNCH_H, LUNCH_WIDTH_H = 12.5, 0.75
MAX_WAIT = 900.0  # s: QODE_MAX_WAIT's default in docs/services.md
STREAK = 3  # QODE_PRIORITY_STREAK's default
POLICY = rules.Policy(MAX_WAIT, STREAK)
EARLY_CANCEL = 0.03
PATIENCE = 3000.0  # s: median patience of a guest who gives up because of the wait
NO_SHOW = 0.05
HINT_CHANCE = 0.5
TARGET_MAE_RATIO = 0.25
TARGET_OPTIMISTIC = 0.25
CLASSES = ("priority", "normal")


@dataclass(frozen=True)
class Service:
    id: str
    rate: float  # arrivals per hour from the door (0: only transfers)
    peak: float  # extra arrivals per hour at the lunch peak
    service: float  # median service time, s (lognormal)
    sigma: float = 0.5
    onward: tuple[tuple[str, float], ...] = ()  # (service, chance) a served guest is sent on to
    placement: str = "original"  # a transfer in keeps its join order ("original") or goes "end"


@dataclass(frozen=True)
class Desk:
    name: str
    services: tuple[str, ...]  # in the counter's order
    lunch: bool = True


@dataclass(frozen=True)
class Venue:
    name: str
    services: tuple[Service, ...]
    desks: tuple[Desk, ...]
    priority: float  # share of tickets issued as priority
    days: int = 20
    short_breaks: float = 0.0  # expected 10–15 min breaks per desk and day, as in `qode bench eta` (0: none)


VENUES = (
    Venue("town hall, shared desk", (
        Service("reg", 10.0, 8.0, 240.0),
        Service("pass", 4.0, 4.0, 420.0, 0.45),
    ), (Desk("1", ("reg",)), Desk("2", ("pass", "reg")), Desk("3", ("pass",))), priority=0.12),
    Venue("clinic, reception sends on", (
        Service("rec", 14.0, 8.0, 100.0, 0.4, onward=(("blood", 0.45), ("doc", 0.35))),
        Service("blood", 2.0, 0.0, 200.0, 0.4, placement="original"),
        Service("doc", 0.0, 0.0, 480.0, 0.5, placement="end"),
    ), (Desk("1", ("rec",)), Desk("2", ("blood", "rec")), Desk("3", ("doc",)), Desk("4", ("doc", "blood"))),
        priority=0.18),
    Venue("pharmacy, all shared", (
        Service("rx", 7.0, 5.0, 300.0),
        Service("pick", 9.0, 7.0, 120.0, 0.4),
    ), (Desk("1", ("rx", "pick")), Desk("2", ("pick", "rx"))), priority=0.15),
)  # fmt: skip


@dataclass
class _Ticket:
    id: str
    priority: bool
    service: str = ""
    line_seq: int = 0  # order in its current line
    entered: float = 0.0  # true time it entered its current line (for the overdue rule)
    joined_seq: int = 0
    arrived: float = 0.0  # true time it came to the door (its patience runs from then)


@dataclass
class _Desk:
    spec: Desk
    is_open: bool = False
    ticket: _Ticket | None = None
    pending: bool = False
    lunch_at: float | None = None
    breaks: list = field(default_factory=list)  # short breaks: [(due, planned s, hint or None)], by due
    done: bool = False
    served_at: float = 0.0  # when its current guest's service began


@dataclass
class Record:
    """One event of one service, at true time `true_t` (the simulator's clock)."""

    true_t: float
    service: str
    event: Event


@dataclass
class Day:
    records: list[Record] = field(default_factory=list)


class Simulator:
    """Plays `days` days of one venue; all randomness comes from `rng`."""

    def __init__(self, venue: Venue, rng: random.Random, slug: str):
        self.v = venue
        self.rng = rng
        self.slug = slug
        self.records: list[Record] = []
        self.refreshes: list[float] = []
        self.by_id = {s.id: s for s in venue.services}
        self.probe: Callable | None = None
        self.after: Callable | None = None

    def run(self, days: int) -> tuple[list[Record], list[float]]:
        for day in range(days):
            self._day(day)
        return self.records, self.refreshes

    # ---- the record ----------------------------------------------------------------------

    def _emit(self, t: float, service: str, type_: str, ticket: _Ticket | None = None,
              counter: str | None = None, hint: float | None = None, services: int | None = None,
              waited: float | None = None) -> None:
        ev = Event(type_, round(t - self.boot_offset, 3), self.boot, ticket.id if ticket else None,
                   ticket.line_seq if ticket else None, counter, hint,
                   priority=bool(ticket and ticket.priority), services=services, waited=waited)
        self.records.append(Record(t, service, ev))

    def _at(self, t: float, action: Callable, *args) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, action, args))

    def _lognormal(self, median: float, sigma: float) -> float:
        return median * math.exp(self.rng.gauss(0.0, sigma))

    def _reaction(self) -> float:
        s = self._lognormal(10.0, 0.7)
        if self.rng.random() < 0.05:
            s += self.rng.uniform(30.0, 180.0)
        return s

    # ---- a day -----------------------------------------------------------------------------

    def _day(self, day: int) -> None:
        rng, v = self.rng, self.v
        base = day * DAY
        self.open_t, self.close_t = base + OPEN_H * HOUR, base + CLOSE_H * HOUR
        self.boot = f"{self.slug}-d{day}"  # the box is off overnight: every day is a new boot
        self.boot_offset = self.open_t - 1800.0
        self.heap: list = []
        self.seq = 0
        self.line_seq = 0
        self.number = 0
        self.day = day
        self.factor = math.exp(rng.gauss(0.0, 0.15))
        self.waiting: dict[str, dict[str, _Ticket]] = {s.id: {} for s in v.services}
        self.streak = {s.id: 0 for s in v.services}
        first = len(self.records)
        for s in v.services:
            self._emit(self.open_t - 900.0, s.id, "day_started")
        self.desks = [_Desk(d) for d in v.desks]
        for i, d in enumerate(self.desks):
            self._at(self.open_t - rng.uniform(0.0, 300.0), self._open, d)
            if d.spec.lunch:
                d.lunch_at = base + 12.75 * HOUR + i * 35 * MINUTE + rng.uniform(0.0, 600.0)
                self._at(d.lunch_at, self._nudge, d)
            if v.short_breaks:  # drawn only when asked, so the default days stay the same
                for _ in range(int(v.short_breaks) + (rng.random() < v.short_breaks % 1)):
                    planned = rng.choice((10, 15)) * MINUTE
                    due = rng.uniform(self.open_t + HOUR, self.close_t - HOUR)
                    d.breaks.append((due, planned, planned if rng.random() < HINT_CHANCE else None))
                    self._at(due, self._nudge, d)
                d.breaks.sort(key=lambda b: b[0])
        for s in v.services:
            if s.rate > 0:
                self._arrivals(s)
        self._at(self.close_t, self._closing)
        self._play()
        last = self.records[-1].true_t
        t = math.ceil(self.records[first].true_t / REFRESH) * REFRESH
        while t <= last:
            self.refreshes.append(t)
            t += REFRESH

    def _play(self, until: Callable[[], bool] | None = None) -> None:
        """Run the day's heap (until `until()` says stop). `probe(sim, t)`, if set, sees the state
        before each step at `t` and `after(sim, first_record)` after it (eta_floor forks there)."""
        while self.heap:
            t, _, action, args = self.heap[0]
            if self.probe is not None:
                self.probe(self, t)
            heapq.heappop(self.heap)
            first = len(self.records)
            action(t, *args)
            if self.after is not None:
                self.after(self, first)
            if until is not None and until():
                return

    def _rate(self, s: Service, hour: float) -> float:
        ramp = 0.6 + 0.4 * min(max(hour - OPEN_H, 0.0), 1.0)
        return self.factor * (s.rate * ramp + s.peak * math.exp(-0.5 * ((hour - LUNCH_H) / LUNCH_WIDTH_H) ** 2))

    def _arrivals(self, s: Service) -> None:
        top = self.factor * (s.rate + s.peak) / HOUR
        t = self.open_t
        while True:
            t += self.rng.expovariate(top)
            if t >= self.close_t:
                return
            if self.rng.random() * top <= self._rate(s, (t % DAY) / HOUR) / HOUR:
                self._at(t, self._arrive, s.id)

    # ---- guests --------------------------------------------------------------------------

    def _arrive(self, t: float, service: str) -> None:
        self.number += 1
        self.line_seq += 1
        ticket = _Ticket(f"{self.slug}-d{self.day}-{self.number}", self.rng.random() < self.v.priority,
                         service, self.line_seq, t, self.line_seq, t)
        self.waiting[service][ticket.id] = ticket
        self._emit(t, service, "join", ticket)
        self._at(t + self._patience(), self._cancel, ticket)
        self._nudge_all(t)

    def _patience(self) -> float:
        """How long a guest waits before giving up, s."""
        if self.rng.random() < EARLY_CANCEL:
            return self.rng.uniform(1.0, 15.0) * MINUTE
        scale = PATIENCE / math.sqrt(math.log(2)) * math.exp(self.rng.gauss(0.0, 0.4))
        return scale * math.sqrt(-math.log(1.0 - self.rng.random()))

    def _cancel(self, t: float, ticket: _Ticket) -> None:
        line = self.waiting[ticket.service]
        if line.pop(ticket.id, None) is not None:
            self._emit(t, ticket.service, "cancel", ticket)

    # ---- the call rule: qode.rules, the server's own ------------------------------------------

    def _pick(self, desk: Desk, t: float) -> _Ticket | None:
        line = [x for s in desk.services for x in self.waiting[s].values()]
        view = [rules.Waiting(x.id, x.service, x.priority, x.line_seq, t - x.entered) for x in line]
        picked = rules.pick(view, rules.Counter(desk.services), self.streak, POLICY)
        if picked is None:
            return None
        called = picked.ticket
        # the service's streak, as the server stores it after the call
        self.streak[called.service] = rules.next_streak(self.streak[called.service], called, view)
        return self.waiting[called.service][called.id]

    # ---- desks ---------------------------------------------------------------------------

    def _nudge(self, t: float, d: _Desk) -> None:
        if d.is_open and d.ticket is None and not d.pending:
            d.pending = True
            self._at(t + self._reaction(), self._act, d)

    def _nudge_all(self, t: float) -> None:
        for d in self.desks:
            self._nudge(t, d)

    def _act(self, t: float, d: _Desk) -> None:
        d.pending = False
        if not d.is_open or d.ticket is not None:
            return
        if d.lunch_at is not None and t >= d.lunch_at and t < self.close_t - HOUR:
            d.lunch_at = None
            planned = 30 * MINUTE
            self._close(t, d, planned if self.rng.random() < HINT_CHANCE else None)
            self._at(t + planned * math.exp(self.rng.gauss(0.1, 0.25)), self._open, d)
            return
        if d.breaks and d.breaks[0][0] <= t and t < self.close_t - HOUR:
            _, planned, hint = d.breaks.pop(0)
            self._close(t, d, hint)
            self._at(t + planned * math.exp(self.rng.gauss(0.1, 0.25)), self._open, d)  # breaks overrun
            return
        if t >= self.close_t and not any(self.waiting[s] for s in d.spec.services):
            self._close(t, d, None)
            d.done = True
            return
        ticket = self._pick(d.spec, t)
        if ticket is None:
            return
        service = ticket.service
        del self.waiting[service][ticket.id]
        d.ticket = ticket
        self._emit(t, service, "call", ticket, d.spec.name)
        if self.rng.random() < NO_SHOW + 0.1 * min((t - ticket.entered) / HOUR, 1.0):
            self._at(t + 90.0 + self.rng.expovariate(1 / 40.0), self._release, d, "no_show")
        else:
            self._at(t + min(self._lognormal(40.0, 0.5), 300.0), self._serve, d)

    def _serve(self, t: float, d: _Desk) -> None:
        ticket = d.ticket
        spec = self.by_id[ticket.service]
        self._emit(t, ticket.service, "serve", ticket, d.spec.name)
        d.served_at = t
        self._at(t + self._service_time(spec), self._done, d)

    def _service_time(self, spec: Service) -> float:
        return min(self._lognormal(spec.service, spec.sigma), HOUR)

    def _done(self, t: float, d: _Desk) -> None:
        ticket = d.ticket
        spec = self.by_id[ticket.service]
        u = self.rng.random()
        for target, chance in spec.onward:
            if u < chance:
                self._transfer(t, d, target)
                return
            u -= chance
        self._release(t, d, "complete")

    def _transfer(self, t: float, d: _Desk, target: str) -> None:
        """The host sends the SERVING guest on: the counter is free, the guest waits in `target`."""
        ticket = d.ticket
        source = ticket.service
        self._emit(t, source, "transfer", ticket, d.spec.name)
        placement = self.by_id[target].placement
        if placement == "end":
            self.line_seq += 1
            ticket.line_seq = self.line_seq
            ticket.entered = t
        else:
            ticket.line_seq = ticket.joined_seq  # by its original join: its join time counts too
        ticket.service = target
        self.waiting[target][ticket.id] = ticket
        waited = round(t - ticket.entered, 3) if t > ticket.entered else None  # by its join time: its wait
        self._emit(t, target, "transfer_in", ticket, waited=waited)
        d.ticket = None
        self._nudge_all(t)

    def _release(self, t: float, d: _Desk, type_: str) -> None:
        self._emit(t, d.ticket.service, type_, d.ticket, d.spec.name)
        d.ticket = None
        self._nudge(t, d)

    def _open(self, t: float, d: _Desk) -> None:
        if d.done or (t >= self.close_t and not any(self.waiting[s] for s in d.spec.services)):
            return
        d.is_open = True
        for s in d.spec.services:
            self._emit(t, s, "counter_opened", counter=d.spec.name, services=len(d.spec.services))
        self._nudge(t, d)

    def _close(self, t: float, d: _Desk, hint: float | None) -> None:
        d.is_open = False
        for s in d.spec.services:
            self._emit(t, s, "counter_closed", counter=d.spec.name, hint=hint, services=len(d.spec.services))

    def _closing(self, t: float) -> None:
        self._nudge_all(t)


# ---- the replay ------------------------------------------------------------------------


def replay(venue: Venue, records: list[Record], refreshes: list[float],
           log: list | None = None, joint: bool = True) -> dict[str, dict[str, Scores]]:
    """Feed each service's events to its estimators and the baseline; scores by kind and class.
    `log`, if given, gets (at_join, ticket, service, true time predicted, actual, predictions,
    priority) for each scored prediction. `joint`: the services are predicted together
    (`eta.forecast_services`, the counters' services known), else each by its own estimator."""
    scores = {kind: {c: Scores() for c in CLASSES} for kind in KINDS}
    est = {s.id: (Estimator(DEFAULT_CYCLE, max_wait=MAX_WAIT, streak=STREAK),
                  Estimator(DEFAULT_CYCLE, MARGIN_Z, MAX_WAIT, STREAK))
           for s in venue.services}
    position: dict[str, int] = {}  # ticket -> its entry index in its current service's line
    entries = {s.id: 0 for s in venue.services}
    current = {s.id: 0 for s in venue.services}
    served = {s.id: [0.0, 0] for s in venue.services}
    serving: dict[str, float] = {}
    waiting: dict[str, dict[str, bool]] = {s.id: {} for s in venue.services}  # ticket -> priority
    pending: dict[str, list] = {}
    boot = {"t": 0.0, "boot": ""}

    def avg(service: str) -> float:
        total, n = served[service]
        return total / n if n else DEFAULT_CYCLE

    counters = {d.name: rules.Counter(d.services) for d in venue.desks}

    def variants(t: float, b: str) -> tuple[dict, dict]:
        if joint:
            return tuple({s: p[0] for s, p in forecast_services({s: e[i] for s, e in est.items()}, counters, t,
                                                                  b).items()} for i in (0, 1))
        return tuple({s: e[i].predict(t, b)[0] for s, e in est.items()} for i in (0, 1))

    def predict(service: str, t: float, b: str, true_t: float, only: str | None = None, at_join=False,
                made=None) -> None:
        plain, margin = made or variants(t, b)
        out, out_m = plain[service], margin[service]
        for ticket in [only] if only else waiting[service]:
            preds = (out[ticket], out_m[ticket], baseline(position[ticket], current[service], avg(service)))
            pending.setdefault(ticket, []).append((at_join, true_t, preds, waiting[service][ticket]))

    r = 0
    for rec in records:
        while r < len(refreshes) and refreshes[r] < rec.true_t:
            if boot["boot"]:
                t = boot["t"] + (refreshes[r] - boot["true"])
                if any(waiting.values()):
                    made = variants(t, boot["boot"])
                    for s in venue.services:
                        if waiting[s.id]:
                            predict(s.id, t, boot["boot"], refreshes[r], made=made)
            r += 1
        ev, s = rec.event, rec.service
        boot.update(t=ev.t, boot=ev.boot, true=rec.true_t)
        for e in est[s]:
            e.apply(ev)
        if ev.type == "day_started":
            waiting[s].clear()
            entries[s] = current[s] = 0
        elif ev.type in ("join", "transfer_in"):
            entries[s] += 1
            position[ev.ticket] = entries[s]
            waiting[s][ev.ticket] = ev.priority
            pending.pop(ev.ticket, None)  # a new line: predictions from the last one were scored
            predict(s, ev.t, ev.boot, rec.true_t, ev.ticket, at_join=True)
        elif ev.type == "call":
            current[s] = position.get(ev.ticket, current[s])
            waiting[s].pop(ev.ticket, None)
            for at_join, when, preds, prio in pending.pop(ev.ticket, ()):
                c = "priority" if prio else "normal"
                if log is not None:
                    log.append((at_join, ev.ticket, s, when, rec.true_t - when, preds, prio))
                scores["all refreshes"][c].add(rec.true_t - when, preds)
                if at_join:
                    scores["at join"][c].add(rec.true_t - when, preds)
        elif ev.type == "cancel":
            waiting[s].pop(ev.ticket, None)
            pending.pop(ev.ticket, None)
        elif ev.type == "serve":
            serving[ev.ticket] = ev.t
        elif ev.type in ("complete", "transfer"):
            start = serving.pop(ev.ticket, None)
            if start is not None and 0 <= ev.t - start <= 12 * HOUR:
                served[s][0] += ev.t - start
                served[s][1] += 1
    return scores


# ---- the report -----------------------------------------------------------------------


HEADER = (f"{'venue':<28} {'class':<9} {'variant':<17} {'n':>7} {'MAE min':>8} {'P90 min':>8} {'within':>7}"
          f" {'bias min':>9} {'opt>2min':>9} {'actual min':>11}")


def run(seed: int, days: int | None, out=None, short_breaks: float = 0.0) -> dict:
    """`short_breaks` > 0 adds that many expected short breaks per desk and day to every venue."""
    out = out or sys.stdout
    rng = random.Random(seed)
    pooled = {kind: {c: Scores() for c in CLASSES} for kind in KINDS}
    per_venue = []
    lines = []
    total = 0
    venues = VENUES if not short_breaks else tuple(replace(v, short_breaks=short_breaks) for v in VENUES)
    for i, venue in enumerate(venues):
        n_days = days if days is not None else venue.days
        records, refreshes = Simulator(venue, random.Random(rng.getrandbits(64)), f"v{i + 1}").run(n_days)
        total += len(records)
        types = [r.event.type for r in records]
        joins = [r.event for r in records if r.event.type == "join"]
        lines.append(f"  {venue.name:<28} {len(venue.services)} services, {len(venue.desks)} counters"
                     f" ({sum(len(d.services) > 1 for d in venue.desks)} shared), {n_days} days,"
                     f" {len(joins)} tickets"
                     f" ({sum(e.priority for e in joins)} priority, {types.count('transfer')} transfers,"
                     f" {types.count('cancel')} cancelled), {len(records)} events")
        scores = replay(venue, records, refreshes)
        per_venue.append((venue.name, scores))
        for kind in KINDS:
            for c in CLASSES:
                pooled[kind][c].extend(scores[kind][c])
    print(f"ETA replay, several services: seed {seed}, {total} events, refresh every {REFRESH:.0f} s"
          + (f", {short_breaks:g} short breaks per desk and day" if short_breaks else ""), file=out)
    print("\n".join(lines), file=out)
    result = {}
    for kind in KINDS:
        print(f"\n{kind}: predicted - actual time until called in that service", HEADER, "-" * len(HEADER),
              sep="\n", file=out)
        for label, scores in [*per_venue, ("pooled", pooled)]:
            for c in CLASSES:
                sc = scores[kind][c]
                mean_actual = math.fsum(sc.actual) / len(sc.actual) if sc.actual else 0.0
                for j, v in enumerate(VARIANTS):
                    f = figures(sc.errors[v], sc.actual)
                    if label == "pooled":
                        result[(kind, c, v)] = f
                    name = label if (c == CLASSES[0] and j == 0) else ""
                    head = f"{name:<28} {c if j == 0 else '':<9} {v:<17}"
                    if not f["n"]:
                        print(f"{head} {0:>7}", file=out)
                        continue
                    print(f"{head} {f['n']:>7} {f['mae'] / MINUTE:>8.2f} {f['p90'] / MINUTE:>8.2f}"
                          f" {f['within']:>7.1%} {f['bias'] / MINUTE:>+9.2f} {f['optimistic']:>9.1%}"
                          f" {mean_actual / MINUTE:>11.2f}", file=out)
    header = f"{'target (must-show 5)':<70} {'value':>7}  {'goal':<8} verdict"
    print("", header, "-" * len(header), sep="\n", file=out)
    for v in ("estimator", "estimator+margin"):
        for kind in KINDS:
            for c in CLASSES:
                est, base = result[(kind, c, v)], result[(kind, c, "baseline")]
                ratio = est["mae"] / base["mae"] if est["n"] and base["mae"] else None
                shown = "-" if ratio is None else f"{ratio:.3f}"
                ok = ratio is not None and ratio <= TARGET_MAE_RATIO
                print(f"{f'pooled MAE {v} / baseline, {c}, {kind}':<70} {shown:>7}  <= {TARGET_MAE_RATIO:<5}"
                      f" {'PASS' if ok else 'SHORT'}", file=out)
    for v in ("estimator", "estimator+margin"):
        for kind in KINDS:
            for c in CLASSES:
                opt = result[(kind, c, v)].get("optimistic")
                shown = "-" if opt is None else f"{opt:.1%}"
                ok = opt is not None and opt <= TARGET_OPTIMISTIC
                print(f"{f'pooled optimistic > {OPTIMISTIC / MINUTE:.0f} min, {v}, {c}, {kind}':<70} {shown:>7}"
                      f"  <= {TARGET_OPTIMISTIC:.0%}   {'PASS' if ok else 'SHORT'}", file=out)
    return result


def main(args: argparse.Namespace) -> int:
    seed = getattr(args, "seed", None)
    seed = DEFAULT_SEED if seed is None else int(seed)
    days = getattr(args, "days", None)
    if days is not None and int(days) < 1:
        print("--days must be at least 1", file=sys.stderr)
        return 2
    started = time.perf_counter()  # only for the duration line
    breaks = float(getattr(args, "short_breaks", 0.0) or 0.0)
    if not 0.0 <= breaks <= 8.0:
        print("--short-breaks must be between 0 and 8", file=sys.stderr)
        return 2
    run(seed, None if days is None else int(days), short_breaks=breaks)
    print(f"\nreplay took {time.perf_counter() - started:.1f} s", flush=True)
    return 0


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m qode_bench.eta_services",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--days", type=int, default=None, help="days per venue (default 20)")
    parser.add_argument("--short-breaks", type=float, default=0.0,
                        help="expected 10-15 min breaks per desk and day, hinted half the time (default 0)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main(_parse(sys.argv[1:])))
