"""A day's figures (`qode.stats`, docs/services.md section 8) and `GET /api/stats`.

The figures are checked against hand-counted days (transfers, priority, no-shows, a wall-clock
jump and a reboot mid-day, events from before m013) and against random days whose true waits
the generator knows; the endpoint for its scope, its bad input and its CSV.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qode import stats

from helpers import admin

DAY = "2026-12-07"
R, P = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"


class Log:
    """A box's event log as `figures` reads it, with a true clock, a wall clock and boots."""

    def __init__(self):
        self.events: list[dict] = []
        self.true = 0.0                         # seconds since the day began, as it really passed
        self.boot, self.boots = "boot-1", 1
        self.mono_base = 1000.0 - self.true     # mono = true + mono_base within a boot
        self.wall_base = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # wall = wall_base + true (+ jumps)
        self.numbers: dict[str, int] = {}

    def at(self, true: float) -> None:
        assert true >= self.true
        self.true = true

    def jump_wall(self, seconds: float) -> None:
        """The wall clock jumps (NTP after a cold start); the monotonic clock does not."""
        self.wall_base += timedelta(seconds=seconds)

    def reboot(self, down: float) -> None:
        self.true += down
        self.boots += 1
        self.boot = f"boot-{self.boots}"
        self.mono_base = 5.0 - self.true  # a new boot's monotonic clock starts near 0

    def add(self, type_: str, queue: str, ticket: str | None = None, **data) -> dict:
        if ticket is not None and ticket not in self.numbers:
            self.numbers[ticket] = len(self.numbers) + 1
        wall = self.wall_base + timedelta(seconds=self.true)
        event = {"seq": len(self.events) + 1, "queue_id": queue, "type": type_, "ticket_id": ticket,
                 "ticket_number": self.numbers.get(ticket), "data": data, "service_day": DAY,
                 "created_at": wall.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                 "mono": self.true + self.mono_base, "boot_id": self.boot}
        self.events.append(event)
        return event


def keyed(rows: list[dict]) -> dict:
    return {(r["queue_id"], r["counter_id"], r["counter"], r["staff"]): r for r in rows}


def hand_made_day() -> Log:
    log = Log()
    log.add("queue_created", R, name="Reception", prefix="R")
    log.add("queue_created", P, name="Payments", prefix="P")
    log.at(0)
    log.add("join", R, "a", source="web")                 # an event from before m013: no priority field
    log.at(10)
    log.add("join", R, "b", source="kiosk", priority=True)
    log.at(20)
    log.add("join", R, "c", source="web", priority=False)
    log.at(30)
    log.add("join", R, "d", source="web", priority=False)
    log.at(40)
    log.add("counter_opened", R, counter="Desk 1", counter_id="c-1", staff="Ana", services=[R], rule="order")
    log.at(70)
    log.add("call", R, "b", counter="Desk 1", counter_id="c-1", staff="Ana", priority=True, reason="priority")
    log.at(80)
    log.add("serve", R, "b", counter="Desk 1")
    log.at(200)
    log.add("complete", R, "b", counter="Desk 1")
    log.at(250)
    log.add("call", R, "a", counter="Desk 1", counter_id="c-1", staff="Ana", priority=False, reason="order")
    log.at(260)
    log.add("recall", R, "a", counter="Desk 1", counter_id="c-1", staff="Ana", priority=False, reason="chosen")
    log.at(300)
    log.add("no_show", R, "a", counter="Desk 1")
    log.at(320)
    log.add("call", R, "c", counter="Desk 1", counter_id="c-1", staff="Ana", priority=False, reason="order")
    log.at(330)
    log.add("transfer", R, "c", to=P, to_name="Payments", placement="original", from_status="CALLED",
            counter="Desk 1", counter_id="c-1", number=3, prefix="R")
    log.add("transfer_in", P, "c", **{"from": R}, from_name="Reception", placement="original", line_seq=4,
            priority=False, number=3, prefix="R")
    log.at(335)
    log.jump_wall(3600)  # the wall clock is set an hour on; waits within this boot must not see it
    log.at(340)
    log.add("transfer", R, "d", to=P, to_name="Payments", placement="end", from_status="WAITING",
            counter=None, counter_id=None, number=4, prefix="R")
    log.add("transfer_in", P, "d", **{"from": R}, from_name="Reception", placement="end", line_seq=20,
            priority=False, number=4, prefix="R")
    log.at(400)
    log.add("call", P, "c", counter="2")                  # a counter known by name only (older events)
    log.at(460)
    log.add("complete", P, "c", counter="2")
    log.at(480)
    log.reboot(down=60)                                   # back at 540: a new boot, mono from 5
    log.at(600)
    log.add("call", P, "d", counter="2")                  # entered the line in the old boot: the wall clock
    log.at(610)
    log.add("serve", P, "d", counter="2")
    log.at(700)
    log.add("complete", P, "d", counter="2")
    log.at(710)
    log.add("join", P, "e", source="kiosk", priority=True)
    log.at(720)
    log.add("priority_set", P, "e", priority=False)       # a host took priority away
    log.at(730)
    log.add("call", P, "e", counter="Desk 9", counter_id="c-9", staff=None, priority=False, reason="only")
    log.at(800)
    log.add("complete", P, "e", counter="Desk 9")
    log.at(810)
    log.add("join", P, "f", source="web", priority=True)
    log.at(820)
    log.add("cancel", P, "f", by="guest")
    return log


def test_a_hand_counted_day_with_transfers_priority_no_shows_a_clock_jump_and_a_reboot():
    log = hand_made_day()
    rows = keyed(stats.figures(reversed(log.events), {R: "Reception", P: "Payments"}))  # any order in
    assert set(rows) == {(R, "c-1", "Desk 1", "Ana"), (R, None, None, None), (P, None, None, None),
                         (P, None, "2", None), (P, "c-9", "Desk 9", None)}
    desk1 = rows[(R, "c-1", "Desk 1", "Ana")]
    assert desk1["service"] == "Reception" and desk1["service_day"] == DAY
    # b waited 60 s, a 250 s (its recall is no second wait), c 300 s
    assert (desk1["waited_count"], desk1["waited_seconds"], desk1["waited_mean_seconds"]) == (3, 610, 203.3)
    assert (desk1["served"], desk1["priority_served"], desk1["no_shows"]) == (1, 1, 1)
    assert (desk1["served_time_count"], desk1["served_time_seconds"]) == (1, 120)  # serve -> complete
    assert (desk1["transfers_out"], desk1["transfers_in"]) == (1, 0)  # c left from the desk
    assert rows[(R, None, None, None)]["transfers_out"] == 1  # d left while waiting
    assert rows[(P, None, None, None)]["transfers_in"] == 2
    two = rows[(P, None, "2", None)]
    # c: 70 s from its transfer in, on the monotonic clock (the wall clock jumped an hour meanwhile);
    # d: from its transfer in (old boot) to its call (new boot), 260 s on the wall clock
    assert (two["waited_count"], two["waited_seconds"], two["waited_mean_seconds"]) == (2, 330, 165)
    # c: call -> complete 60 s (never "serving"); d: serve -> complete 90 s
    assert (two["served"], two["served_time_seconds"], two["served_time_mean_seconds"]) == (2, 150, 75)
    assert two["priority_served"] == 0
    nine = rows[(P, "c-9", "Desk 9", None)]
    assert (nine["served"], nine["priority_served"], nine["waited_seconds"], nine["served_time_seconds"]) == (
        1, 0, 20, 70)  # e lost its priority before the call

    (reception, payments) = stats.by_service(rows.values())
    assert (reception["queue_id"], reception["served"], reception["no_shows"], reception["transfers_out"],
            reception["transfers_in"], reception["priority_served"]) == (R, 1, 1, 2, 0, 1)
    assert (payments["served"], payments["transfers_in"], payments["waited_count"],
            payments["waited_seconds"]) == (3, 2, 3, 350)
    assert reception["counter"] is None and payments["staff"] is None
    total = stats.totals(rows.values())
    assert (total["served"], total["no_shows"], total["waited_count"], total["waited_mean_seconds"]) == (
        4, 1, 6, 160)


def test_a_day_is_its_service_day_and_the_figures_ignore_other_events():
    log = hand_made_day()
    other = Log()
    other.add("join", R, "z", source="web")
    other.add("call", R, "z", counter="1")
    other.add("complete", R, "z", counter="1")
    for event in other.events:
        event["service_day"] = "2026-12-08"
    events = log.events + [{**e, "seq": 1000 + e["seq"]} for e in other.events]
    days = {r["service_day"] for r in stats.figures(events)}
    assert days == {DAY, "2026-12-08"}
    assert stats.figures([]) == []
    only_noise = [e for e in log.events if e["type"] in ("queue_created", "counter_opened")]
    assert stats.figures(only_noise) == []


def test_a_ticket_whose_join_is_not_in_the_log_counts_without_a_wait():
    log = Log()
    log.add("call", R, "x", counter="1")
    log.at(30)
    log.add("complete", R, "x", counter="1")
    log.add("no_show", R, "y", counter="1")  # never seen called: the counter its event names
    (row,) = stats.figures(log.events)
    assert (row["served"], row["waited_count"], row["served_time_seconds"], row["no_shows"]) == (1, 0, 30, 1)


def test_a_wait_across_a_backwards_wall_clock_is_never_negative():
    log = Log()
    log.add("join", R, "a", source="web")
    log.reboot(down=10)
    log.jump_wall(-3600)
    log.add("call", R, "a", counter="1")
    (row,) = stats.figures(log.events)
    assert row["waited_seconds"] == 0 and row["waited_count"] == 1


def test_csv_has_the_columns_and_no_cell_runs_as_a_formula():
    log = Log()
    for name in ("=HYPERLINK(1)", "+1", "-2", "@SUM(A1)", "\tx", "Plain"):
        ticket = f"t{name}"
        log.add("join", R, ticket, source="web")
        log.add("call", R, ticket, counter=name, counter_id=None, staff=f"={name}")
        log.add("complete", R, ticket)
    rows = stats.figures(log.events, {R: "@Reception"})
    text = stats.to_csv(rows)
    parsed = list(csv.reader(io.StringIO(text)))
    assert tuple(parsed[0]) == stats.COLUMNS
    assert len(parsed) == 1 + len(rows) == 7
    for line in parsed[1:]:
        for cell in line:
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), line
    counters = {line[stats.COLUMNS.index("counter")] for line in parsed[1:]}
    assert counters == {"'=HYPERLINK(1)", "'+1", "'-2", "'@SUM(A1)", "x", "Plain"}  # a control is dropped
    assert {line[stats.COLUMNS.index("service")] for line in parsed[1:]} == {"'@Reception"}
    assert all(line[stats.COLUMNS.index("served")] == "1" for line in parsed[1:])


# ---- random days ------------------------------------------------------------------------------

QUEUES = (R, P)
COUNTERS = (("c-1", "One", "Ana"), ("c-2", "Two", None), (None, "3", None))  # the last: by name only

JOIN = st.tuples(st.just("join"), st.sampled_from(QUEUES), st.sampled_from([None, False, True]))
CALL = st.tuples(st.just("call"), st.integers(0, 2), st.integers(0, 50))
END = st.tuples(st.sampled_from(["complete", "complete", "no_show"]), st.integers(0, 50))
# Weighted so that a day really happens: many joins, calls and ends, fewer of the rest.
ACTIONS = st.lists(st.one_of(
    JOIN, JOIN, CALL, CALL, END, END,
    st.tuples(st.sampled_from(["serve", "requeue", "recall", "cancel"]), st.integers(0, 50)),
    st.tuples(st.just("transfer"), st.integers(0, 50), st.sampled_from(QUEUES)),
    st.tuples(st.just("priority_set"), st.integers(0, 50), st.booleans()),
    st.tuples(st.just("tick"), st.integers(1, 600)),
    st.tuples(st.just("reboot"), st.integers(1, 300)),
), min_size=40, max_size=150)


def simulate(actions) -> tuple[list[dict], dict]:
    """Play `actions` on a small box; returns its log and the true figures, each wait measured on
    the true clock (wall and monotonic agree here: no jumps, so a reboot's wall clock is right)."""
    log = Log()
    truth: dict = {}
    tickets: list[dict] = []

    def row(queue, counter):
        key = (queue, counter[0], counter[1], counter[2]) if counter else (queue, None, None, None)
        return truth.setdefault(key, {"served": 0, "priority_served": 0, "no_shows": 0, "transfers_out": 0,
                                      "transfers_in": 0, "waited_count": 0, "waited_seconds": 0.0,
                                      "served_time_count": 0, "served_time_seconds": 0.0})

    def pick(index, *statuses):
        found = [t for t in tickets if t["status"] in statuses]
        return found[index % len(found)] if found else None

    def call(ticket, counter, type_):
        held = [t for t in tickets if t["counter"] == counter and t["status"] in ("CALLED", "SERVING")
                and t is not ticket]
        for other in held:  # a counter holds one ticket: what it held ends, as the box does
            end(other, "complete" if other["status"] == "SERVING" else "no_show")
        counter_id, name, staff = counter
        if counter_id is None:  # as a call before m013 wrote it: the counter's name, nothing else
            log.add(type_, ticket["queue"], ticket["id"], counter=name)
        else:
            log.add(type_, ticket["queue"], ticket["id"], counter=name, counter_id=counter_id, staff=staff,
                    priority=ticket["priority"])
        if not ticket["waited"]:
            sums = row(ticket["queue"], counter)
            sums["waited_count"] += 1
            sums["waited_seconds"] += log.true - ticket["entered"]
            ticket["waited"] = True
        ticket.update(status="CALLED", counter=counter, start=log.true)

    def end(ticket, type_):
        log.add(type_, ticket["queue"], ticket["id"], counter=ticket["counter"][1])
        sums = row(ticket["queue"], ticket["counter"])
        if type_ == "no_show":
            sums["no_shows"] += 1
        else:
            sums["served"] += 1
            sums["priority_served"] += ticket["priority"]
            sums["served_time_count"] += 1
            sums["served_time_seconds"] += log.true - ticket["start"]
        ticket.update(status="COMPLETED" if type_ == "complete" else "NO_SHOW", counter=None)

    for action in actions:
        kind = action[0]
        if kind == "tick":
            log.at(log.true + action[1])
        elif kind == "reboot":
            log.reboot(action[1])
        elif kind == "join":
            ticket = {"id": f"t{len(tickets)}", "queue": action[1], "priority": bool(action[2]),
                      "status": "WAITING", "counter": None, "entered": log.true, "waited": False}
            tickets.append(ticket)
            data = {"source": "web"} if action[2] is None else {"source": "web", "priority": action[2]}
            log.add("join", ticket["queue"], ticket["id"], **data)
        elif kind == "call" and (ticket := pick(action[2], "WAITING")):
            call(ticket, COUNTERS[action[1]], "call")
        elif kind == "recall" and (ticket := pick(action[1], "WAITING", "CALLED")):
            call(ticket, ticket["counter"] or COUNTERS[action[1] % 3], "recall")
        elif kind == "serve" and (ticket := pick(action[1], "CALLED")):
            log.add("serve", ticket["queue"], ticket["id"], counter=ticket["counter"][1])
            ticket.update(status="SERVING", start=log.true)
        elif kind == "complete" and (ticket := pick(action[1], "CALLED", "SERVING")):
            end(ticket, "complete")
        elif kind == "no_show" and (ticket := pick(action[1], "CALLED")):
            end(ticket, "no_show")
        elif kind == "requeue" and (ticket := pick(action[1], "CALLED")):
            log.add("requeue", ticket["queue"], ticket["id"], counter=ticket["counter"][1])
            ticket.update(status="WAITING", counter=None)
        elif kind == "cancel" and (ticket := pick(action[1], "WAITING", "CALLED")):
            log.add("cancel", ticket["queue"], ticket["id"], by="host")
            ticket.update(status="CANCELLED", counter=None)
        elif kind == "priority_set" and (ticket := pick(action[1], "WAITING")):
            log.add("priority_set", ticket["queue"], ticket["id"], priority=action[2])
            ticket["priority"] = action[2]
        elif kind == "transfer" and (ticket := pick(action[1], "WAITING", "CALLED", "SERVING")):
            target = action[2]
            if target == ticket["queue"]:
                continue  # 409 same_service: nothing written
            counter = ticket["counter"]
            log.add("transfer", ticket["queue"], ticket["id"], to=target, from_status=ticket["status"],
                    counter=counter[1] if counter else None, counter_id=counter[0] if counter else None)
            row(ticket["queue"], counter)["transfers_out"] += 1
            log.add("transfer_in", target, ticket["id"], **{"from": ticket["queue"]},
                    priority=ticket["priority"])
            row(target, None)["transfers_in"] += 1
            ticket.update(queue=target, status="WAITING", counter=None, entered=log.true, waited=False)
    return log.events, truth


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ACTIONS)
def test_random_days_count_what_really_happened(actions):
    events, truth = simulate(actions)
    rows = keyed(stats.figures(events))
    assert set(rows) == set(truth)
    for key, expected in truth.items():
        got = rows[key]
        for name, value in expected.items():
            assert got[name] == pytest.approx(value, abs=0.01), (key, name)
    total = stats.totals(rows.values())
    assert total["served"] == sum(t["served"] for t in truth.values())
    assert total["transfers_out"] == total["transfers_in"]  # each transfer once on each side
    assert sum(r["served"] for r in stats.by_service(rows.values())) == total["served"]


# ---- GET /api/stats ---------------------------------------------------------------------------


def _day_on_the_box(client, queue: dict, joins: int = 3) -> None:
    for i in range(joins):
        assert client.post(f"/api/queues/{queue['id']}/tickets",
                           json={"device_token": f"device-token-{queue['prefix']}{i:07d}"}).status_code == 201
    host = queue["headers"]
    first = client.post(f"/api/queues/{queue['id']}/call-next", json={"counter": "1"}, headers=host)
    assert client.post(f"/api/tickets/{first.get_json()['id']}/complete", headers=host).status_code == 200
    second = client.post(f"/api/queues/{queue['id']}/call-next", json={"counter": "2"}, headers=host)
    assert client.post(f"/api/tickets/{second.get_json()['id']}/no-show", headers=host).status_code == 200


@pytest.fixture
def two_services(client, queue):
    other = client.post("/api/queues", json={"name": "Payments", "prefix": "P"}, headers=admin()).get_json()
    other["headers"] = {"Authorization": f"Bearer {other['host_token']}"}
    _day_on_the_box(client, queue)
    _day_on_the_box(client, other)
    return queue, other


def test_a_host_gets_its_services_figures_and_the_admin_every_service(client, two_services):
    queue, other = two_services
    mine = client.get("/api/stats", headers=queue["headers"])
    assert mine.status_code == 200
    body = mine.get_json()
    day = client.application.extensions["qode_db"].clock.service_day()
    assert body["day"] == day
    assert {r["queue_id"] for r in body["rows"]} == {queue["id"]}
    by_counter = {r["counter"]: r for r in body["rows"]}
    one, two = by_counter["1"], by_counter["2"]
    assert (one["served"], one["waited_count"], one["no_shows"]) == (1, 1, 0)
    assert (two["served"], two["no_shows"]) == (0, 1)
    (service,) = body["services"]
    assert (service["service"], service["served"], service["no_shows"], service["waited_count"]) == (
        "Front desk", 1, 1, 2)
    everything = client.get(f"/api/stats?day={day}", headers=admin()).get_json()
    assert {r["queue_id"] for r in everything["services"]} == {queue["id"], other["id"]}
    theirs = client.get("/api/stats", headers=other["headers"]).get_json()
    assert [r for r in everything["rows"] if r["queue_id"] == other["id"]] == theirs["rows"]
    earlier = client.get("/api/stats?day=2020-01-01", headers=admin()).get_json()
    assert earlier == {"day": "2020-01-01", "rows": [], "services": []}


def test_stats_as_csv_are_the_same_rows(client, two_services):
    queue, _ = two_services
    rows = client.get("/api/stats", headers=admin()).get_json()["rows"]
    response = client.get("/api/stats?format=csv", headers=admin())
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="qode-stats-')
    parsed = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(parsed) == len(rows) == 4
    for line, row in zip(parsed, rows, strict=True):
        assert line == {name: "" if row[name] is None else str(row[name]) for name in stats.COLUMNS}


def test_a_service_name_in_the_stats_csv_is_no_formula(client):
    made = client.post("/api/queues", json={"name": "=cmd|' /C calc'!A0", "prefix": "X"}, headers=admin())
    queue = {**made.get_json(), "headers": {"Authorization": f"Bearer {made.get_json()['host_token']}"}}
    _day_on_the_box(client, queue, joins=2)
    text = client.get("/api/stats?format=csv", headers=queue["headers"]).get_data(as_text=True)
    (first, _) = list(csv.DictReader(io.StringIO(text)))
    assert first["service"] == "'=cmd|' /C calc'!A0"


@pytest.mark.parametrize("query", [
    "day=2026-13-01", "day=2026-02-30", "day=26-12-07", "day=2026-1-07", "day=", "day=today",
    "day=2026-12-07T00:00", "day=%EF%BC%92026-12-07", "day=2026-12-07%00", "format=xml", "format=CSV",
    "format=", "day=2026-12-07&format=pdf",
])
def test_stats_refuse_bad_queries(client, queue, query):
    response = client.get(f"/api/stats?{query}", headers=queue["headers"])
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "invalid_query"


def test_stats_need_a_host_or_the_admin(client, queue):
    assert client.get("/api/stats").status_code == 401
    kiosk = client.post(f"/api/queues/{queue['id']}/devices", json={"name": "K"}, headers=queue["headers"])
    refused = client.get("/api/stats", headers={"Authorization": f"Bearer {kiosk.get_json()['token']}"})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"


def test_a_token_over_several_services_gets_theirs_and_a_box_token_every_one(client, two_services):
    queue, other = two_services
    third = client.post("/api/queues", json={"name": "Archive", "prefix": "Z"}, headers=admin()).get_json()
    third["headers"] = {"Authorization": f"Bearer {third['host_token']}"}
    _day_on_the_box(client, third, joins=2)

    def token(**body):
        made = client.post("/api/host-tokens", json={"name": "Desk", "role": "staff", **body}, headers=admin())
        assert made.status_code == 201, made.get_json()
        return {"Authorization": f"Bearer {made.get_json()['token']}"}

    two = token(scope="services", services=[queue["id"], other["id"]])
    seen = client.get("/api/stats", headers=two).get_json()
    assert {r["queue_id"] for r in seen["services"]} == {queue["id"], other["id"]}
    assert {r["queue_id"] for r in seen["rows"]} == {queue["id"], other["id"]}
    box = token(scope="box")
    everything = client.get("/api/stats", headers=box).get_json()
    assert {r["queue_id"] for r in everything["services"]} == {queue["id"], other["id"], third["id"]}
    assert everything == client.get("/api/stats", headers=admin()).get_json()
