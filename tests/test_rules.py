"""The call rule of issue 15 (qode.rules, docs/services.md sections 3-4) over random days.

Must-show 1's properties that the pure rule can show: no ticket is called twice; a counter only
calls its own services; priority goes first within its service, but no call passes over an
overdue ticket and no more than K priority calls in a row overtake a waiting normal ticket;
people-ahead equals the true call order when nothing else changes; a transfer keeps the ticket.

A day is a random list of steps (joins with or without priority, the clock moving, calls at
random counters, transfers by original join time or at the end) played against a small model
of the box's WAITING tickets; every call asks `rules.pick` and is checked by facts the test
computes itself (not by the rule's own reasons).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qode import rules
from qode.rules import Counter, Policy, Waiting

SERVICES = ("reg", "pass", "pay")

counters_st = st.lists(
    st.builds(
        lambda services, rule, weights: Counter(tuple(services), rule,
                                                dict(zip(services, weights, strict=False))),
        st.lists(st.sampled_from(SERVICES), min_size=1, max_size=3, unique=True),
        st.sampled_from(rules.RULES),
        st.lists(st.floats(0.25, 4.0), min_size=3, max_size=3),
    ),
    min_size=1, max_size=3,
)
policy_st = st.builds(
    Policy,
    st.one_of(st.none(), st.floats(60.0, 1800.0)),
    st.one_of(st.none(), st.integers(0, 4)),
)
step_st = st.one_of(
    st.tuples(st.just("join"), st.sampled_from(SERVICES), st.booleans()),
    st.tuples(st.just("tick"), st.floats(0.0, 200.0)),
    st.tuples(st.just("call"), st.integers(0, 2)),
    st.tuples(st.just("transfer"), st.integers(0, 1000), st.sampled_from(SERVICES),
              st.sampled_from(("original", "end"))),
)
days_st = st.lists(step_st, min_size=1, max_size=120)


class Box:
    """The WAITING tickets of a box, with line entry times, the streaks and what was called."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.now = 0.0
        self.seq = 0
        self.entered: dict[str, float] = {}  # ticket id -> when it entered its current line
        self.tickets: dict[str, Waiting] = {}  # WAITING, waited filled in by waiting()
        self.streaks: dict[str, int] = {}
        self.called: list[tuple[str, str]] = []  # (ticket id, service) in call order
        self.ever: set[str] = set()
        self.overtakes: dict[str, int] = {}  # the test's own count of priority overtakes in a row
        self.most_overtakes: dict[str, int] = {}

    def waiting(self) -> list[Waiting]:
        return [replace(t, waited=self.now - self.entered[t.id]) for t in self.tickets.values()]

    def join(self, service: str, priority: bool) -> str:
        self.seq += 1
        ticket_id = f"t{self.seq}"
        self.tickets[ticket_id] = Waiting(ticket_id, service, priority, self.seq, 0.0)
        self.entered[ticket_id] = self.now
        self.ever.add(ticket_id)
        return ticket_id

    def transfer(self, ticket_id: str, service: str, placement: str) -> None:
        self.seq += 1
        ticket = self.tickets[ticket_id]
        if placement == "end":
            ticket = replace(ticket, service=service, line_seq=self.seq)
            self.entered[ticket_id] = self.now
        else:
            ticket = replace(ticket, service=service)
        self.tickets[ticket_id] = ticket

    def call(self, counter: Counter) -> rules.Pick | None:
        before = self.waiting()
        chosen = rules.pick(before, counter, self.streaks, self.policy)
        if chosen is None:
            assert not [t for t in before if t.service in counter.services]
            return None
        t = chosen.ticket
        # no ticket is called twice: it was WAITING and has not been called before
        assert t.id in self.tickets and t.id not in {c[0] for c in self.called}
        # a counter only calls its own services
        assert t.service in counter.services
        mine = [u for u in before if u.service in counter.services]
        same = [u for u in before if u.service == t.service and u.id != t.id]
        max_wait = self.policy.max_wait
        # the time bound: a call never passes over an overdue ticket for one that waited less
        if max_wait is not None and any(u.waited >= max_wait for u in mine):
            assert t.waited >= max_wait
            assert t.waited >= max(u.waited for u in mine)
        # priority first within the service, unless the time bound or the streak bound says otherwise
        if not t.priority and any(u.priority for u in same):
            streak_due = self.policy.streak is not None and self.streaks.get(t.service, 0) >= self.policy.streak
            overdue = max_wait is not None and t.waited >= max_wait
            assert streak_due or overdue
        # within a priority class, the line's order (overdue tickets aside)
        if max_wait is None or t.waited < max_wait:
            assert all(u.line_seq > t.line_seq for u in same if u.priority == t.priority)
        # the K bound, counted by the test: priority calls in a row that overtook an earlier normal
        overtook = t.priority and any(not u.priority and u.line_seq < t.line_seq for u in same)
        run = self.overtakes.get(t.service, 0) + 1 if overtook else 0
        if self.policy.streak is not None:
            assert run <= self.policy.streak
        self.overtakes[t.service] = run
        self.most_overtakes[t.service] = max(run, self.most_overtakes.get(t.service, 0))
        self.streaks[t.service] = rules.next_streak(self.streaks.get(t.service, 0), t, before)
        self.called.append((t.id, t.service))
        del self.tickets[t.id]
        return chosen


def play(box: Box, counters: list[Counter], day) -> None:
    for step in day:
        if step[0] == "join":
            box.join(step[1], step[2])
        elif step[0] == "tick":
            box.now += step[1]
        elif step[0] == "call":
            box.call(counters[step[1] % len(counters)])
        elif box.tickets:
            ids = sorted(box.tickets, key=lambda i: int(i[1:]))
            ticket_id = ids[step[1] % len(ids)]
            if box.tickets[ticket_id].service != step[2]:
                box.transfer(ticket_id, step[2], step[3])
                # a transfer keeps the ticket: same id, same priority, still waiting, now in the target
                assert box.tickets[ticket_id].id == ticket_id
                assert box.tickets[ticket_id].service == step[2]


RANDOM_DAYS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@RANDOM_DAYS
@given(counters=counters_st, policy=policy_st, day=days_st)
def test_random_days_keep_every_call_rule(counters, policy, day):
    box = Box(policy)
    play(box, counters, day)
    # the calls drain what the counters can reach; nothing called twice, nothing invented
    served = {s for c in counters for s in c.services}
    while box.call(counters[0]) or any(box.call(c) for c in counters):
        pass
    assert not [t for t in box.waiting() if t.service in served]
    ids = [c[0] for c in box.called]
    assert len(ids) == len(set(ids)) and set(ids) <= box.ever


# Busy days: joins three times as likely as calls, in two services, with short ticks, so lines
# build up and priority tickets pile up behind normal ones (where the streak bound matters).
_busy_join = st.tuples(st.just("join"), st.sampled_from(SERVICES[:2]), st.booleans())
busy_day_st = st.lists(st.one_of(
    _busy_join, _busy_join, _busy_join,
    st.tuples(st.just("tick"), st.floats(0.0, 60.0)),
    st.tuples(st.just("call"), st.integers(0, 2)),
), min_size=1, max_size=120)


@RANDOM_DAYS
@given(counters=counters_st, streak=st.integers(1, 4), max_wait=st.one_of(st.none(), st.floats(300.0, 900.0)),
       day=busy_day_st)
def test_priority_overtakes_a_normal_ticket_at_most_k_times_in_a_row(counters, streak, max_wait, day):
    """Busy days in two services (short ticks, many priority joins), where overtaking happens
    often: Box.call fails on the (K+1)th overtake in a row, or on a normal ticket called before a
    priority one without the streak or the time bound asking for it."""
    box = Box(Policy(max_wait, streak))
    play(box, counters, day)
    for counter in counters:
        while box.call(counter):
            pass
    assert max(box.most_overtakes.values(), default=0) <= streak


@RANDOM_DAYS
@given(rules_=st.tuples(st.sampled_from(rules.RULES), st.sampled_from(rules.RULES)),
       weights=st.tuples(st.floats(0.25, 4.0), st.floats(0.25, 4.0)),
       max_wait=st.floats(60.0, 300.0), streak=st.one_of(st.none(), st.integers(0, 3)), day=busy_day_st)
def test_no_call_passes_over_an_overdue_ticket_at_shared_counters(rules_, weights, max_wait, streak, day):
    """Two counters sharing both services in opposite orders, with a short time bound: Box.call
    fails when a counter calls a ticket that waited less than an overdue one of its services."""
    shared = dict(zip(SERVICES[:2], weights, strict=True))
    counters = [Counter(SERVICES[:2], rules_[0], shared), Counter(SERVICES[1::-1], rules_[1], shared)]
    box = Box(Policy(max_wait, streak))
    play(box, counters, day)
    for counter in counters:
        while box.call(counter):
            pass
    assert not box.tickets


state_st = st.tuples(
    st.lists(st.tuples(st.sampled_from(SERVICES), st.booleans(), st.floats(0.0, 300.0)), max_size=30),
    st.lists(st.integers(0, 5), min_size=3, max_size=3),
    st.floats(0.0, 600.0),
)


@RANDOM_DAYS
@given(counters=counters_st, policy=policy_st, state=state_st, order=st.lists(st.integers(0, 2), max_size=40))
def test_every_call_from_any_waiting_state_keeps_the_rules(counters, policy, state, order):
    """Any line-up of WAITING tickets (any ages, services, classes and streaks), not only those a
    day's steps reach: each call Box.call makes is checked, until the counters have drained it."""
    tickets, streaks, last_tick = state
    box = Box(policy)
    for service, priority, gap in tickets:
        box.now += gap
        box.join(service, priority)
    box.now += last_tick
    box.streaks = dict(zip(SERVICES, streaks, strict=True))
    for i in order:
        box.call(counters[i % len(counters)])
    for counter in counters:
        while box.call(counter):
            pass


@RANDOM_DAYS
@given(counters=counters_st, policy=policy_st, day=st.one_of(days_st, busy_day_st),
       order=st.lists(st.integers(0, 2), max_size=200))
def test_people_ahead_is_the_true_call_order_when_nothing_else_changes(counters, policy, day, order):
    box = Box(policy)
    play(box, counters, day)
    waiting = box.waiting()
    ahead = {t.id: rules.people_ahead(t.id, waiting, box.streaks, policy) for t in waiting}
    # from here nobody joins or leaves and the clock stands still; counters call in any order
    start = len(box.called)
    for i in order:
        box.call(counters[i % len(counters)])
    for counter in counters:
        while box.call(counter):
            pass
    calls = box.called[start:]
    for service in SERVICES:
        from_service = [ticket_id for ticket_id, s in calls if s == service]
        for place, ticket_id in enumerate(from_service):
            assert ahead[ticket_id] == place, (service, ticket_id)


@RANDOM_DAYS
@given(policy=policy_st, day=days_st)
def test_service_order_is_the_head_again_and_again(policy, day):
    box = Box(policy)
    play(box, [Counter(SERVICES)], day)
    for service in SERVICES:
        tickets = [t for t in box.waiting() if t.service == service]
        streak = box.streaks.get(service, 0)
        naive = []
        while tickets:
            head = rules.service_head(tickets, streak, policy)
            streak = rules.next_streak(streak, head.ticket, tickets)
            naive.append(head.ticket)
            tickets.remove(head.ticket)
        assert rules.service_order([t for t in box.waiting() if t.service == service],
                                   box.streaks.get(service, 0), policy) == naive


def t(id_, service="pass", priority=False, seq=0, waited=0.0):
    return Waiting(id_, service, priority, seq, waited)


def test_priority_goes_first_then_the_streak_lets_a_normal_ticket_through():
    policy = Policy(max_wait=None, streak=2)
    waiting = [t("n1", seq=1, waited=50), t("p1", priority=True, seq=2, waited=40),
               t("p2", priority=True, seq=3, waited=30), t("p3", priority=True, seq=4, waited=20)]
    order = rules.service_order(waiting, 0, policy)
    assert [w.id for w in order] == ["p1", "p2", "n1", "p3"]
    assert rules.people_ahead("n1", waiting, {}, policy) == 2
    assert rules.people_ahead("p3", waiting, {}, policy) == 3


def test_an_overdue_normal_ticket_goes_before_priority_at_any_counter():
    policy = Policy(max_wait=600, streak=None)
    waiting = [t("n1", "pay", seq=1, waited=601), t("p1", "pass", priority=True, seq=2, waited=10)]
    chosen = rules.pick(waiting, Counter(("pass", "pay")), {}, policy)
    assert (chosen.ticket.id, chosen.reason) == ("n1", rules.OVERDUE)


def test_strict_order_and_weighted_longest_effective_wait():
    waiting = [t("a", "pass", seq=2, waited=100), t("b", "pay", seq=1, waited=300)]
    policy = Policy(max_wait=None, streak=None)
    assert rules.pick(waiting, Counter(("pass", "pay")), {}, policy).ticket.id == "a"
    weighted = Counter(("pass", "pay"), rules.WEIGHTED, {"pass": 4.0})  # 400 > 300
    assert rules.pick(waiting, weighted, {}, policy).ticket.id == "a"
    weighted = Counter(("pass", "pay"), rules.WEIGHTED, {"pass": 2.0})  # 200 < 300
    chosen = rules.pick(waiting, weighted, {}, policy)
    assert (chosen.ticket.id, chosen.reason) == ("b", rules.WEIGHTED)


def test_a_counter_with_nobody_in_its_services_picks_nobody():
    assert rules.pick([t("a", "reg")], Counter(("pass",)), {}, Policy()) is None
    with pytest.raises(KeyError):
        rules.people_ahead("zz", [t("a")], {}, Policy())


def test_bad_counters_are_refused():
    with pytest.raises(ValueError):
        Counter(("pass",), "random")
    with pytest.raises(ValueError):
        Counter(("pass", "pass"))
    with pytest.raises(ValueError):
        Counter(("pass",), rules.WEIGHTED, {"pass": 0.0})
