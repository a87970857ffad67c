"""The ETA replay benchmark: a lawful event stream, honest scoring, the same tables for the same seed."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from qode.eta import Estimator, Event
from qode_bench import eta as bench_eta
from qode_bench.eta import LATE_PLACES, SCENARIOS, Scores, Simulation, figures, replay, simulate

ROOT = Path(__file__).resolve().parents[1]
TYPES = {
    "join", "call", "serve", "complete", "no_show", "cancel", "queue_paused", "queue_resumed",
    "counter_opened", "counter_closed", "day_started", "running_late",
}  # fmt: skip
RUN_TIMEOUT = 120  # s; a two-day run takes about a second


def run_module(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qode_bench.eta", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False,
    )


def tables(stdout: str) -> list[str]:
    """The output without its run-time line, the one line allowed to differ."""
    return [line for line in stdout.splitlines() if not line.startswith("replay took")]


def test_the_module_runs_and_prints_tables_and_targets():
    first = run_module("--days", "2")
    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert "ETA replay: seed 1, days 2," in out
    assert "at join: predicted - actual" in out and "all refreshes: predicted - actual" in out
    for scenario in SCENARIOS:
        assert scenario.name in out
    rows = [line.split() for line in out.splitlines()]
    for variant in ("estimator", "estimator+margin", "baseline"):
        # one row per scenario and pooled, in each of the two tables
        table_rows = [row for row in rows if variant in row and row[row.index(variant) + 1].isdigit()]
        assert len(table_rows) == 2 * (len(SCENARIOS) + 1), variant
    assert sum(row[:2] == ["pooled", "estimator"] for row in rows) == 2
    assert "pooled MAE estimator / baseline, at join" in out
    assert "pooled MAE estimator / baseline, all refreshes" in out
    assert "pooled share optimistic by > 2 min, estimator+margin, all refreshes" in out
    verdicts = [line.split()[-1] for line in out.splitlines() if line.startswith("pooled ") and "<=" in line]
    assert len(verdicts) == 8 and set(verdicts) <= {"PASS", "SHORT"}
    assert out.splitlines()[-1].startswith("replay took ")

    second = run_module("--days", "2", "--seed", "1")
    assert second.returncode == 0, second.stderr
    assert tables(second.stdout) == tables(out)

    other = run_module("--days", "2", "--seed", "2")
    assert other.returncode == 0, other.stderr
    assert tables(other.stdout) != tables(out)


def test_main_takes_a_namespace_without_the_options(capsys):
    assert bench_eta.main(argparse.Namespace(days=1)) == 0
    out = capsys.readouterr().out
    assert "seed 1, days 1," in out
    assert bench_eta.main(argparse.Namespace(days=0)) == 2


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_the_simulated_stream_is_one_the_server_could_record(scenario):
    sim = simulate(scenario, days=3, seed=7)
    events = [ev for _, ev in sim.events]
    assert events and all(ev.type in TYPES for ev in events)

    last_t: dict[str, float] = {}
    true_times = [true_t for true_t, _ in sim.events]
    assert true_times == sorted(true_times)
    for ev in events:
        assert ev.t >= last_t.get(ev.boot, float("-inf")), ev
        last_t[ev.boot] = ev.t

    assert events[0].type == "day_started"
    assert sum(ev.type == "day_started" for ev in events) == 3
    joined: set[str] = set()
    status: dict[str, str] = {}
    counts: dict[str, int] = defaultdict(int)
    for ev in events:
        counts[ev.type] += 1
        if ev.type == "day_started":
            assert all(s in ("done", "cancelled") for s in status.values()), "a day left tickets open"
            status.clear()
        elif ev.type == "join":
            assert ev.ticket not in joined and ev.number is not None
            joined.add(ev.ticket)
            status[ev.ticket] = "waiting"
        elif ev.type in ("call", "serve", "complete", "no_show", "cancel"):
            assert ev.ticket in joined, ev
            before = status[ev.ticket]
            allowed = {"call": "waiting", "serve": "called", "complete": "serving", "no_show": "called",
                       "cancel": "waiting"}[ev.type]
            assert before == allowed, (ev, before)
            after = {"call": "called", "serve": "serving", "cancel": "cancelled"}
            status[ev.ticket] = after.get(ev.type, "done")
            if ev.type != "cancel":
                assert ev.counter is not None
        elif ev.type in ("counter_opened", "counter_closed"):
            assert ev.counter is not None
    assert all(s in ("done", "cancelled") for s in status.values()), "the last day left tickets open"
    assert counts["join"] > 20 and counts["call"] > 0 and counts["counter_opened"] >= 3
    assert counts["complete"] + counts["no_show"] == counts["call"]

    # Within a day guests are called in line order: by number, except that "I'm running late"
    # (issue 16) moves a guest right behind the one LATE_PLACES places back (or to the end).
    line: list[str] = []
    for ev in events:
        if ev.type == "day_started":
            line = []
        elif ev.type == "join":
            line.append(ev.ticket)
        elif ev.type == "cancel":
            line.remove(ev.ticket)
        elif ev.type == "running_late":
            at = line.index(ev.ticket)
            assert len(line) - 1 - at > 0, "the last in line moved back"
            line.insert(at + min(LATE_PLACES, len(line) - 1 - at), line.pop(at))
        elif ev.type == "call":
            assert line and ev.ticket == line[0], "a call out of line order"
            line.pop(0)


def test_the_replay_includes_guests_running_late():
    """issue 16: a small share of guests press "I'm running late"; the replay feeds the event to
    the real estimator, which reorders its line (its ETAs follow the new order), and every
    scenario still scores; `late_share=0` gives the days without it."""
    from qode_bench.eta import LATE_SHARE

    assert 0 < LATE_SHARE <= 0.05
    sims = [simulate(sc, days=4, seed=3) for sc in SCENARIOS]
    late = [ev for sim in sims for _, ev in sim.events if ev.type == "running_late"]
    assert len(late) >= 5 and all(ev.number is not None for ev in late)
    assert not [ev for sc in SCENARIOS for _, ev in simulate(sc, days=4, seed=3, late_share=0.0).events
                if ev.type == "running_late"]
    sim = next(sim for sim in sims if any(ev.type == "running_late" for _, ev in sim.events))
    est = Estimator(300.0)
    checked = 0
    line: list[str] = []  # the simulator's line order, moved as the stream says
    for _, ev in sim.events:
        est.apply(ev)
        if ev.type == "day_started":
            line = []
        elif ev.type == "join":
            line.append(ev.ticket)
        elif ev.type in ("call", "cancel"):
            line.remove(ev.ticket)
        elif ev.type == "running_late":
            at = line.index(ev.ticket)
            to = at + min(LATE_PLACES, len(line) - 1 - at)
            line.insert(to, line.pop(at))
            # the estimator's line is the simulator's: the guest right behind the one it let pass
            assert sorted(est.waiting, key=lambda t: (est.waiting[t][0], t)) == line
            ahead_of_me = line[to - 1]
            assert est.waiting[ev.ticket][1] == est.waiting[ahead_of_me][1]  # its line time
            etas, _ = est.predict(ev.t, ev.boot)
            assert etas[ev.ticket] >= etas[ahead_of_me]
            checked += 1
    assert checked >= 1
    scores = replay(sim)
    assert scores["all refreshes"].actual and scores["at join"].actual


def test_the_runs_exercise_hints_closures_pauses_and_reboots():
    sims = {sc.name: simulate(sc, days=4, seed=3) for sc in SCENARIOS}
    events = [ev for sim in sims.values() for _, ev in sim.events]
    assert any(ev.type == "counter_closed" and ev.hint for ev in events)
    assert any(ev.type == "counter_closed" and ev.hint is None for ev in events)
    assert any(ev.type == "queue_paused" and ev.hint for ev in events)
    assert any(ev.type == "queue_paused" and ev.hint is None for ev in events)

    # the mid-day reboot: the boot changes between two events of one day, and the clock restarts small
    rebooted = sims["3 counters with breaks"].events
    changes = [
        (a, b) for (_, a), (_, b) in zip(rebooted, rebooted[1:], strict=False)
        if a.boot != b.boot and b.type != "day_started"
    ]
    assert len(changes) == 1
    before, after = changes[0]
    assert after.t < 120 < before.t


def test_scoring_uses_true_times_and_the_brief_formula():
    boot = "b"
    events = [
        (0.0, Event("day_started", 0.0, boot)),
        (0.0, Event("counter_opened", 0.0, boot, counter="1")),
        (10.0, Event("join", 10.0, boot, "a", 1)),
        (20.0, Event("join", 20.0, boot, "b", 2)),
        (40.0, Event("call", 40.0, boot, "a", 1, "1")),
        (60.0, Event("serve", 60.0, boot, "a", 1, "1")),
        (360.0, Event("complete", 360.0, boot, "a", 1, "1")),
        (400.0, Event("call", 400.0, boot, "b", 2, "1")),
    ]
    scores = replay(Simulation(events, [(30.0, 30.0, boot)]))
    at_join, everything = scores["at join"], scores["all refreshes"]
    assert list(at_join.actual) == [30.0, 380.0]
    # baseline: (number - last called) x 300 s, the default before any service was timed
    assert list(at_join.errors["baseline"]) == [300 - 30, 600 - 380]
    # the estimator: an idle open counter calls the first guest at once
    assert at_join.errors["estimator"][0] == -30
    assert sorted(everything.actual) == [10.0, 30.0, 370.0, 380.0]
    assert len(everything.errors["estimator+margin"]) == 4


def test_a_cancelled_ticket_is_not_scored():
    boot = "b"
    events = [
        (0.0, Event("day_started", 0.0, boot)),
        (0.0, Event("join", 0.0, boot, "a", 1)),
        (5.0, Event("cancel", 5.0, boot, "a", 1)),
    ]
    scores = replay(Simulation(events, [(3.0, 3.0, boot)]))
    assert len(scores["at join"].actual) == 0 and len(scores["all refreshes"].actual) == 0


def test_figures():
    s = Scores()
    for err in (-180, 0, 60, 300):
        s.add(600.0, (600 + err, 0, 0))
    f = figures(s.errors["estimator"], s.actual)
    assert f["n"] == 4
    assert f["mae"] == pytest.approx((180 + 0 + 60 + 300) / 4)
    assert f["median"] == 60 and f["p90"] == 300
    assert f["within"] == pytest.approx(2 / 4)  # |err| <= max(120, 120)
    assert f["bias"] == pytest.approx((-180 + 60 + 300) / 4)
    assert f["optimistic"] == pytest.approx(1 / 4)
