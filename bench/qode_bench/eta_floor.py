"""How good can any ETA be on the multi-service days? A hindsight-free floor for must-show 5.

`python -m qode_bench.eta_floor --days 3` plays the days of `qode bench eta-services` (same seed, so
the same days) and, at each moment the replay scores (a ticket entering a line; every
`--every`-th 30 s refresh), forks the simulator `--forks` times: each fork keeps the whole true
state (who waits where, with which priority, how long each has waited, which counter serves whom,
the streaks, the breaks already planned) but draws the future afresh (arrivals, priority, service
times of guests not yet called, no-shows, transfers). The median of a ticket's call time over the
forks is the best prediction of it in mean absolute error that knows the venue's true model and
state. That "oracle" even knows more than a box can: the guests' patience and the service times
of guests already at a counter were drawn before the fork and stay. Its MAE, divided by the
brief's formula's MAE on the same predictions, is a lower bound on the ratio any estimator can
reach on these days; the must-show's 0.25 is reachable only where the bound is below it.
"""

from __future__ import annotations

import argparse
import copy
import heapq
import math
import random
import statistics
import sys
import time

from qode_bench import eta_services as bench

MINUTE = 60.0


class _Floor:
    """Collects, per (at_join, ticket, true time), the oracle's median prediction."""

    fair = False  # also draw again what a box cannot know (see `_redraw`)

    def __init__(self, forks: int, every: int, seed: int, refreshes_from: float):
        self.forks = forks
        self.every = every
        self.rng = random.Random(seed)
        self.oracle: dict[tuple[bool, str, float], float] = {}
        self.next_refresh = math.ceil(refreshes_from / bench.REFRESH) * bench.REFRESH
        self.count = 0

    # hooks of Simulator._play

    def probe(self, sim: bench.Simulator, t: float) -> None:
        """Before the step at `t`: the refreshes passed, with the state the replay predicts on."""
        while self.next_refresh < t:
            if self.count % self.every == 0:
                targets = {x.id: s for s, line in sim.waiting.items() for x in line.values()}
                if targets:
                    self._fork(sim, self.next_refresh, targets, at_join=False)
            self.count += 1
            self.next_refresh += bench.REFRESH

    def after(self, sim: bench.Simulator, first: int) -> None:
        """After a step: a ticket that entered a line gets its at-join oracle."""
        for rec in sim.records[first:]:
            if rec.event.type in ("join", "transfer_in"):
                self._fork(sim, rec.true_t, {rec.event.ticket: rec.service}, at_join=True)

    # the forks

    def _fork(self, sim: bench.Simulator, now: float, targets: dict[str, str], at_join: bool) -> None:
        delays: dict[str, list[float]] = {ticket: [] for ticket in targets}
        for _ in range(self.forks):
            for ticket, called in _future(sim, now, targets, self.rng.getrandbits(64)).items():
                delays[ticket].append(called - now)
        for ticket, got in delays.items():
            if got:
                self.oracle[(at_join, ticket, round(now, 3))] = statistics.median(got)


def _future(sim: bench.Simulator, now: float, targets: dict[str, str], seed: int) -> dict[str, float]:
    """One fresh future of `sim` from `now`: when each target ticket is called in its service."""
    saved = sim.records, sim.refreshes, sim.probe, sim.after
    sim.records, sim.refreshes, sim.probe, sim.after = [], [], None, None
    try:
        fork = copy.deepcopy(sim)
    finally:
        sim.records, sim.refreshes, sim.probe, sim.after = saved
    fork.rng = random.Random(seed)
    if _Floor.fair:
        _redraw(fork, now)
    # the future arrivals are drawn again (the day's were drawn when it began)
    fork.heap = [entry for entry in fork.heap
                 if getattr(entry[2], "__func__", None) is not bench.Simulator._arrive]
    heapq.heapify(fork.heap)
    for s in fork.v.services:
        if s.rate > 0:
            _arrivals_from(fork, s, now)
    called: dict[str, float] = {}
    left = dict(targets)

    def done() -> bool:
        while fork.records:
            rec = fork.records.pop(0)
            ticket = rec.event.ticket
            if ticket in left and rec.service == left[ticket]:
                if rec.event.type == "call":
                    called[ticket] = rec.true_t
                    del left[ticket]
                elif rec.event.type == "cancel":
                    del left[ticket]
        return not left

    fork._play(done)
    return called


def _redraw(sim: bench.Simulator, now: float) -> None:
    """What a box cannot know is drawn again too, given what it can: the patience of each waiting
    guest (given they are still there) and the rest of each service under way (given how long it
    has lasted). Guests called but not yet at the counter keep their walk-up and no-show."""
    entries = []
    for t, seq, action, args in sim.heap:
        func = getattr(action, "__func__", None)
        if func is bench.Simulator._cancel:
            ticket = args[0]
            waited = now - ticket.arrived
            for _ in range(100):
                leave = sim._patience()
                if leave > waited:
                    t = ticket.arrived + leave
                    break
        elif func is bench.Simulator._done:
            desk = args[0]
            spec = sim.by_id[desk.ticket.service]
            lasted = now - desk.served_at
            for _ in range(100):
                took = sim._service_time(spec)
                if took > lasted:
                    t = desk.served_at + took
                    break
        entries.append((t, seq, action, args))
    sim.heap = entries
    heapq.heapify(sim.heap)


def _arrivals_from(sim: bench.Simulator, s: bench.Service, start: float) -> None:
    top = sim.factor * (s.rate + s.peak) / bench.HOUR
    t = start
    while True:
        t += sim.rng.expovariate(top)
        if t >= sim.close_t:
            return
        if sim.rng.random() * top <= sim._rate(s, (t % bench.DAY) / bench.HOUR) / bench.HOUR:
            sim._at(t, sim._arrive, s.id)


def run(seed: int, days: int, forks: int, every: int, out=None) -> dict:
    out = out or sys.stdout
    rng = random.Random(seed)  # the same venue seeds as eta_services.run
    rows = {}
    fair = ", fair (patience and services under way drawn again)" if _Floor.fair else ""
    print(f"ETA floor, several services: seed {seed}, {days} days per venue, {forks} forks, "
          f"every {every}th refresh{fair}", file=out)
    header = (f"{'venue':<28} {'kind':<14} {'class':<9} {'n':>6} {'oracle':>7} {'estim.':>7} {'formula':>8}"
              f" {'oracle/f':>9} {'estim./f':>9}")
    print(header, "-" * len(header), sep="\n", file=out)
    pooled: dict = {}
    for i, venue in enumerate(bench.VENUES):
        sim = bench.Simulator(venue, random.Random(rng.getrandbits(64)), f"v{i + 1}")
        floor = _Floor(forks, every, seed * 1000 + i, 0.0)
        sim.probe, sim.after = floor.probe, floor.after
        records, refreshes = sim.run(days)
        log: list = []
        bench.replay(venue, records, refreshes, log)
        for at_join, ticket, _service, when, actual, preds, prio in log:
            oracle = floor.oracle.get((at_join, ticket, round(when, 3)))
            if oracle is None:
                continue
            key = ("at join" if at_join else "all refreshes", "priority" if prio else "normal")
            for table, k in ((rows, (venue.name, *key)), (pooled, ("pooled", *key))):
                acc = table.setdefault(k, [0, 0.0, 0.0, 0.0])
                acc[0] += 1
                acc[1] += abs(oracle - actual)
                acc[2] += abs(preds[0] - actual)
                acc[3] += abs(preds[2] - actual)
    result = {}
    for k, (n, o, e, b) in [*rows.items(), *pooled.items()]:
        name, kind, cls = k
        result[k] = {"n": n, "oracle": o / n, "estimator": e / n, "baseline": b / n}
        print(f"{name:<28} {kind:<14} {cls:<9} {n:>6} {o / n / MINUTE:>7.2f} {e / n / MINUTE:>7.2f}"
              f" {b / n / MINUTE:>8.2f} {o / b:>9.3f} {e / b:>9.3f}", file=out)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qode_bench.eta_floor", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=bench.DEFAULT_SEED)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--forks", type=int, default=15)
    parser.add_argument("--every", type=int, default=10, help="fork at every Nth refresh")
    parser.add_argument("--fair", action="store_true",
                        help="also draw again the waiting guests' patience and the rest of services under way")
    args = parser.parse_args(argv)
    if args.days < 1 or args.forks < 1 or args.every < 1:
        print("--days, --forks and --every must be at least 1", file=sys.stderr)
        return 2
    _Floor.fair = args.fair
    started = time.perf_counter()  # only for the duration line
    run(args.seed, args.days, args.forks, args.every)
    print(f"\ntook {time.perf_counter() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
