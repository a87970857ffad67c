"""The multi-service ETA replay (issue 15, must-show 5): a lawful stream per service, both classes scored."""

from __future__ import annotations

import io
import random
from collections import Counter, defaultdict

from qode_bench import eta_services as bench


def _sim(venue_index: int, days: int, seed: int = 7):
    venue = bench.VENUES[venue_index]
    return venue, *bench.Simulator(venue, random.Random(seed), f"t{venue_index}").run(days)


def test_each_service_gets_a_stream_the_server_could_record():
    for i in range(len(bench.VENUES)):
        venue, records, _ = _sim(i, 3)
        waiting: dict[str, set] = defaultdict(set)
        active: dict[str, set] = defaultdict(set)  # service -> called, not yet ended
        serves = {s.id for s in venue.services}
        desks = {d.name: set(d.services) for d in venue.desks}
        last_t = None
        for rec in records:
            ev, s = rec.event, rec.service
            assert s in serves
            if last_t is not None and ev.type != "day_started":
                assert rec.true_t >= last_t  # log order
            last_t = rec.true_t
            if ev.type == "day_started":
                waiting[s].clear()
                active[s].clear()
            elif ev.type in ("join", "transfer_in"):
                assert ev.ticket not in waiting[s]
                waiting[s].add(ev.ticket)
            elif ev.type == "call":
                assert ev.ticket in waiting[s] and s in desks[ev.counter]  # a counter calls its own services
                waiting[s].discard(ev.ticket)
                active[s].add(ev.ticket)
            elif ev.type == "cancel":
                waiting[s].remove(ev.ticket)
            elif ev.type in ("complete", "no_show", "transfer"):
                active[s].remove(ev.ticket)
            elif ev.type in ("counter_opened", "counter_closed"):
                assert s in desks[ev.counter] and ev.services == len(desks[ev.counter])


def test_the_days_have_priority_transfers_and_shared_counters():
    venue, records, _ = _sim(1, 10)  # the clinic: reception sends guests on
    joins = [r.event for r in records if r.event.type == "join"]
    share = sum(e.priority for e in joins) / len(joins)
    assert 0.10 <= share <= 0.25
    types = Counter(r.event.type for r in records)
    assert types["transfer"] == types["transfer_in"] > 50
    sources = {r.service for r in records if r.event.type == "transfer"}
    assert sources == {"rec"}
    assert all(2 <= len(v.services) <= 3 for v in bench.VENUES)
    assert any(len(d.services) > 1 for v in bench.VENUES for d in v.desks)
    assert any(len(d.services) == 1 for v in bench.VENUES for d in v.desks)


def test_the_report_scores_priority_and_normal_tickets_separately():
    out = io.StringIO()
    result = bench.run(3, 2, out)
    text = out.getvalue()
    for cls in bench.CLASSES:
        for kind in ("at join", "all refreshes"):
            assert result[(kind, cls, "estimator")]["n"] > 0
            assert result[(kind, cls, "baseline")]["n"] == result[(kind, cls, "estimator")]["n"]
            assert f"pooled MAE estimator / baseline, {cls}, {kind}" in text
    again = io.StringIO()
    bench.run(3, 2, again)
    assert again.getvalue() == text  # the same seed, the same tables


def test_the_simulator_calls_as_qode_rules_does():
    """Every call in the simulated days is what `rules.pick` gives that counter on the state the
    records show (the waits, priority, line order and the services' streaks): one rule, not two."""
    from qode import rules

    calls = 0
    for i in range(len(bench.VENUES)):
        venue, records, _ = _sim(i, 2, seed=11)
        desks = {d.name: rules.Counter(d.services) for d in venue.desks}
        waiting: dict[str, dict[str, tuple]] = defaultdict(dict)  # service -> id -> (priority, seq, entered)
        streaks: dict[str, int] = defaultdict(int)
        for rec in records:
            ev, s = rec.event, rec.service
            if ev.type == "day_started":
                waiting[s].clear()
                streaks[s] = 0
            elif ev.type in ("join", "transfer_in"):
                waiting[s][ev.ticket] = (ev.priority, ev.number, rec.true_t - (ev.waited or 0.0))
            elif ev.type == "cancel":
                del waiting[s][ev.ticket]
            elif ev.type == "call":
                view = [rules.Waiting(tid, svc, p, seq, rec.true_t - entered)
                        for svc in desks[ev.counter].services
                        for tid, (p, seq, entered) in waiting[svc].items()]
                picked = rules.pick(view, desks[ev.counter], streaks, bench.POLICY)
                assert picked.ticket.id == ev.ticket
                streaks[s] = rules.next_streak(streaks[s], picked.ticket, view)
                del waiting[s][ev.ticket]
                calls += 1
    assert calls > 500


def test_predicting_the_services_together_beats_each_alone_where_counters_are_shared():
    venue, records, refreshes = _sim(2, 3)  # the pharmacy: both counters serve both services
    together = bench.replay(venue, records, refreshes)
    alone = bench.replay(venue, records, refreshes, joint=False)
    for c in bench.CLASSES:
        a = together["all refreshes"][c].errors["estimator"]
        b = alone["all refreshes"][c].errors["estimator"]
        assert len(a) == len(b) > 100
        assert sum(map(abs, a)) < 0.9 * sum(map(abs, b))


def test_the_floors_forks_leave_the_day_as_it_was_and_know_more_than_the_estimator():
    from qode_bench import eta_floor

    venue = bench.VENUES[0]
    plain = bench.Simulator(venue, random.Random(5), "f").run(1)[0]
    sim = bench.Simulator(venue, random.Random(5), "f")
    floor = eta_floor._Floor(forks=3, every=40, seed=1, refreshes_from=0.0)
    sim.probe, sim.after = floor.probe, floor.after
    forked = sim.run(1)[0]
    assert [(r.true_t, r.service, r.event) for r in forked] == [(r.true_t, r.service, r.event) for r in plain]
    assert len(floor.oracle) > 50
    out = io.StringIO()
    result = eta_floor.run(2, 1, 5, 40, out)
    pooled = result[("pooled", "at join", "normal")]
    assert pooled["n"] > 100 and pooled["oracle"] < pooled["estimator"] < pooled["baseline"]


def test_short_breaks_close_desks_and_no_closed_desk_calls():
    """`--short-breaks` (ETA.md's breaks on the multi-service days): more closures, none of them calling."""
    from dataclasses import replace

    for i, venue in enumerate(bench.VENUES):
        closed_counts = []
        for breaks in (0.0, 2.0):
            v = replace(venue, short_breaks=breaks)
            records, _ = bench.Simulator(v, random.Random(11), f"b{i}").run(3)
            closed: set[str] = set()
            n_closed = 0
            for rec in records:
                ev = rec.event
                if ev.type == "counter_closed":
                    if ev.counter not in closed:
                        n_closed += 1
                    closed.add(ev.counter)
                elif ev.type == "counter_opened":
                    closed.discard(ev.counter)
                elif ev.type == "call":
                    assert ev.counter not in closed, (venue.name, breaks, ev)
            closed_counts.append(n_closed)
        assert closed_counts[1] > closed_counts[0], (venue.name, closed_counts)


def test_the_report_says_when_short_breaks_were_added():
    out = io.StringIO()
    bench.run(3, 1, out, short_breaks=1.0)
    assert "1 short breaks per desk and day" in out.getvalue()
    plain = io.StringIO()
    bench.run(3, 1, plain)
    assert "short breaks" not in plain.getvalue()
