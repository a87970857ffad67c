"""The call rule of issue 15 (docs/services.md, sections 3 and 4): pure, no I/O.

Two levels: a counter picks one of its services, and the service picks its ticket (its *head*).
A counter only ever calls a service's head, so the order in which one service's tickets are
called does not depend on which counter calls or on what the other services hold; that is what
makes `people_ahead` exact within the service.

The call paths load plain data inside their write transaction, ask `pick`, write its answer and
store `next_streak` for the called ticket's service.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

ORDER = "order"
WEIGHTED = "weighted"
RULES = (ORDER, WEIGHTED)

# Why a ticket was picked (the `reason` of a call event and of the call-next answer).
OVERDUE = "overdue"  # it has waited max_wait or more: the longest such wait goes first
STREAK = "streak"  # K priority calls in a row overtook a waiting normal ticket: a normal one now
PRIORITY = "priority"  # the service's first priority ticket
ONLY = "only"  # one of the counter's services had a ticket (and none of the above applied)


# issue 16 (docs/services.md, section 15): a ticket that moved back ("I'm running late") shares the
# line_seq of the ticket it stands behind, ordered after it by a rank; the rule compares one number,
# line_seq + rank / RANK_SCALE (ranks stay far below it).
RANK_SCALE = 1 << 20


@dataclass(frozen=True)
class Waiting:
    """A WAITING ticket, as the rule sees it."""

    id: str
    service: str  # the service (queue id) it is in now
    priority: bool
    line_seq: int | float  # its place in its current line: the seq of its join, or of a transfer "at the
    # end" (+ rank / RANK_SCALE for one that moved back)
    waited: float  # seconds in its current line


@dataclass(frozen=True)
class Counter:
    """A counter: its services in its order, its rule and (for `weighted`) the services' weights."""

    services: tuple[str, ...]
    rule: str = ORDER
    weights: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self):
        if self.rule not in RULES:
            raise ValueError(f"unknown rule {self.rule!r}")
        if len(set(self.services)) != len(self.services):
            raise ValueError("a counter lists each service once")
        if any(not w > 0 for w in self.weights.values()):
            raise ValueError("weights are positive")

    def weight(self, service: str) -> float:
        return float(self.weights.get(service, 1.0))


@dataclass(frozen=True)
class Policy:
    """The anti-starvation bounds: QODE_MAX_WAIT (seconds) and QODE_PRIORITY_STREAK; None = off."""

    max_wait: float | None = 900.0
    streak: int | None = 3


@dataclass(frozen=True)
class Pick:
    ticket: Waiting
    reason: str


def _first(tickets: Iterable[Waiting]) -> Waiting:
    return min(tickets, key=lambda t: (t.line_seq, t.id))


def _longest(tickets: Iterable[Waiting]) -> Waiting:
    return min(tickets, key=lambda t: (-t.waited, t.line_seq, t.id))


def is_overdue(ticket: Waiting, policy: Policy) -> bool:
    return policy.max_wait is not None and ticket.waited >= policy.max_wait


def service_head(tickets: Iterable[Waiting], streak: int, policy: Policy) -> Pick | None:
    """The ticket one service gives next, from its WAITING tickets, and why (None: nobody waits).

    1. overdue: the ticket that has waited longest among those at max_wait or more;
    2. streak: after `policy.streak` priority calls in a row with a normal ticket waiting, the
       first normal ticket;
    3. priority: the first priority ticket;
    4. order: the first normal ticket.
    """
    tickets = list(tickets)
    if not tickets:
        return None
    overdue = [t for t in tickets if is_overdue(t, policy)]
    if overdue:
        return Pick(_longest(overdue), OVERDUE)
    normals = [t for t in tickets if not t.priority]
    priorities = [t for t in tickets if t.priority]
    if priorities and normals and policy.streak is not None and streak >= policy.streak:
        return Pick(_first(normals), STREAK)
    if priorities:
        return Pick(_first(priorities), PRIORITY)
    return Pick(_first(normals), ORDER)


def pick(waiting: Iterable[Waiting], counter: Counter, streaks: Mapping[str, int],
         policy: Policy) -> Pick | None:
    """The ticket `counter` calls next, from the WAITING tickets (any service: others are ignored).

    Among the heads of the counter's services: an overdue head first (the longest wait, ties in
    the counter's order); else a priority head (`order`: the first in the counter's order;
    `weighted`: the largest waited × weight); else the same choice among the normal heads.
    """
    by_service: dict[str, list[Waiting]] = {s: [] for s in counter.services}
    for ticket in waiting:
        if ticket.service in by_service:
            by_service[ticket.service].append(ticket)
    heads = []  # (place in the counter's order, head)
    for place, service in enumerate(counter.services):
        head = service_head(by_service[service], streaks.get(service, 0), policy)
        if head is not None:
            heads.append((place, head))
    if not heads:
        return None
    overdue = [(place, h) for place, h in heads if h.reason == OVERDUE]
    if overdue:
        return min(overdue, key=lambda ph: (-ph[1].ticket.waited, ph[0]))[1]
    group = [(place, h) for place, h in heads if h.reason == PRIORITY] or heads
    if counter.rule == WEIGHTED:
        def effective(ph):  # the longest effective wait (waited × weight) first, then the counter's order
            return (-ph[1].ticket.waited * counter.weight(ph[1].ticket.service), ph[0])

        head = min(group, key=effective)[1]
    else:
        head = min(group, key=lambda ph: ph[0])[1]
    if head.reason in (PRIORITY, STREAK):
        return head
    return Pick(head.ticket, ONLY if len(heads) == 1 else counter.rule)


def next_streak(streak: int, called: Waiting, waiting_before: Iterable[Waiting]) -> int:
    """The called ticket's service's streak after the call: one more for a priority ticket called
    while a normal ticket of its service was waiting, else 0."""
    if called.priority and any(
        not t.priority and t.service == called.service and t.id != called.id for t in waiting_before
    ):
        return streak + 1
    return 0


def service_order(tickets: Iterable[Waiting], streak: int, policy: Policy) -> list[Waiting]:
    """One service's WAITING tickets in the order the service will give them, if nobody joins or
    leaves and the clock stands still: `service_head` applied again and again, with the streak
    moving as `next_streak` moves it. O(n log n)."""
    tickets = list(tickets)
    overdue = sorted((t for t in tickets if is_overdue(t, policy)), key=lambda t: (-t.waited, t.line_seq, t.id))
    rest = sorted((t for t in tickets if not is_overdue(t, policy)), key=lambda t: (t.line_seq, t.id))
    normals = deque(t for t in rest if not t.priority)
    priorities = deque(t for t in rest if t.priority)
    normals_left = sum(1 for t in tickets if not t.priority)
    order = []
    for ticket in overdue:  # the clock stands still: nobody else becomes overdue
        order.append(ticket)
        if ticket.priority:
            streak = streak + 1 if normals_left else 0
        else:
            normals_left -= 1
            streak = 0
    while normals or priorities:
        take_normal = not priorities or (
            normals and policy.streak is not None and streak >= policy.streak
        )
        if take_normal:
            order.append(normals.popleft())
            streak = 0
        else:
            order.append(priorities.popleft())
            streak = streak + 1 if normals else 0
    return order


def ahead_of_each(tickets: Iterable[Waiting], streak: int, policy: Policy) -> dict[str, int]:
    """People ahead of every WAITING ticket of one service: its index in `service_order`."""
    return {t.id: i for i, t in enumerate(service_order(tickets, streak, policy))}


def people_ahead(ticket_id: str, waiting: Iterable[Waiting], streaks: Mapping[str, int], policy: Policy) -> int:
    """How many tickets of the ticket's own service will be called before it (docs/services.md,
    section 4). Tickets of other services are not counted, even at shared counters: they delay
    it (the ETA's business) but are not ahead of it in its line. KeyError: not WAITING."""
    waiting = list(waiting)
    mine = next((t for t in waiting if t.id == ticket_id), None)
    if mine is None:
        raise KeyError(ticket_id)
    same = [t for t in waiting if t.service == mine.service]
    return ahead_of_each(same, streaks.get(mine.service, 0), policy)[ticket_id]
