"""The server's estimates: fed from committed events only, and cheap across a run of joins."""

from __future__ import annotations

import pytest

from qode import create_app, estimates

from helpers import ADMIN_TOKEN, NO_CAPS, FakeClock, admin, utc


@pytest.fixture
def box(tmp_path):
    app = create_app({"QODE_DATA_DIR": str(tmp_path / "e"), "QODE_ADMIN_TOKEN": ADMIN_TOKEN,
                      "QODE_TIMEZONE": "UTC", "QODE_SCHEDULER": "off", "QODE_JOIN_RATE_LIMIT": "off", **NO_CAPS,
                      "QODE_AUTH_RATE_LIMIT": "off"})
    db = app.extensions["qode_db"]
    db.clock = FakeClock(utc(2026, 3, 10, 9, 0))
    client = app.test_client()
    queue = client.post("/api/queues", json={"name": "Desk"}, headers=admin()).get_json()
    return db, client, queue, {"Authorization": f"Bearer {queue['host_token']}"}


def row(db, queue_id):
    with db.read() as conn:
        return dict(conn.execute("SELECT * FROM queues WHERE id = ?", (queue_id,)).fetchone())


def test_joins_extend_the_prediction_exactly(box):
    db, client, queue, host = box
    for i in range(3):
        client.post(f"/api/queues/{queue['id']}/tickets", json={"device_token": f"device-token-{i:08d}"})
    client.post(f"/api/queues/{queue['id']}/call-next", headers=host)  # a busy counter: non-trivial ETAs
    db.clock.advance(seconds=40)
    service = estimates.of(db)
    service.predict(row(db, queue["id"]))  # cached now; the joins below extend it
    url = f"/api/queues/{queue['id']}/tickets"
    answers = [client.post(url, json={"device_token": f"device-token-x{i:07d}"}).get_json() for i in range(25)]
    incremental = service.predict(row(db, queue["id"]))
    service.invalidate(queue["id"])
    fresh = service.predict(row(db, queue["id"]))
    assert incremental.tickets == fresh.tickets and incremental.joiner == fresh.joiner
    # each join's answer is the ETA a joiner had at that moment: the line before them
    assert [a["eta_seconds"] for a in answers] == [fresh.tickets[a["id"]] for a in answers]
    assert len({a["eta_seconds"] for a in answers}) == 25


def test_other_events_make_the_next_prediction_fresh(box):
    db, client, queue, host = box
    first = client.post(f"/api/queues/{queue['id']}/tickets", json={"device_token": "device-token-00000001"})
    second = client.post(f"/api/queues/{queue['id']}/tickets", json={"device_token": "device-token-00000002"})
    status = f"/api/tickets/{second.get_json()['id']}"
    # one cycle behind the first guest, plus the default margin 0.2 x sqrt(V) x sqrt(2)
    assert client.get(status).get_json()["eta_seconds"] == round(300 + 0.2 * 240 * 2 ** 0.5)
    client.post(f"/api/tickets/{first.get_json()['id']}/cancel")
    assert client.get(status).get_json()["eta_seconds"] == round(0.2 * 240)  # next: at once, plus the margin


def test_a_rolled_back_write_never_reaches_the_estimator(box):
    db, client, queue, host = box
    client.post(f"/api/queues/{queue['id']}/tickets", json={"device_token": "device-token-00000001"})
    service = estimates.of(db)
    before = service.predict(row(db, queue["id"]))

    class Boom(Exception):
        pass

    from qode import events

    with pytest.raises(Boom), db.write() as conn:
        events.append(conn, db.clock, queue["id"], "queue_paused", data={"back_in_seconds": 600})
        inside = service.predict(row(db, queue["id"]))  # the write's own view sees its event
        assert inside.hints["queue"] == 600
        raise Boom
    service.invalidate()
    after = service.predict(row(db, queue["id"]))
    assert after.hints["queue"] is None and after.tickets == before.tickets


def a_busy_line(box, waiting: int):
    """`waiting` guests, the first called 40 s ago (ETAs that are not trivial); the prediction, now cached."""
    db, client, queue, host = box
    for i in range(waiting):
        client.post(f"/api/queues/{queue['id']}/tickets", json={"device_token": f"device-token-{i:08d}"})
    client.post(f"/api/queues/{queue['id']}/call-next", headers=host)
    db.clock.advance(seconds=40)
    return estimates.of(db).predict(row(db, queue["id"]))


@pytest.fixture
def replays(monkeypatch):
    """Each full replay of a queue's estimator (a copy made to apply uncommitted events), counted."""
    calls: list[int] = []
    replay = estimates.Estimator.from_dict
    counted = staticmethod(lambda data: calls.append(1) or replay(data))
    monkeypatch.setattr(estimates.Estimator, "from_dict", counted)
    return calls


def test_joins_gathered_in_one_transaction_are_predicted_as_if_each_had_committed(box, replays):
    """issue 17, group commit: the joins of a batch share one transaction, so each later join sees
    the earlier ones uncommitted. Their ETAs extend a copy of the cached line, and must equal what
    the estimator says once they are committed; a batch that rolls back leaves no trace in it."""
    from qode import tickets

    db, client, queue, host = box
    before = a_busy_line(box, 3)
    replays.clear()  # the call above replayed its own event: count from here
    service = estimates.of(db)
    with db.write():
        answers = [tickets.issue_ticket(db, queue["id"], f"device-token-b{i:07d}")[0] for i in range(6)]
    assert replays == []  # no copy of the whole estimator per join: O(joins), not O(waiting)
    service.invalidate(queue["id"])
    fresh = service.predict(row(db, queue["id"]))
    assert [a["eta_seconds"] for a in answers] == [fresh.tickets[a["id"]] for a in answers]
    assert len({a["eta_seconds"] for a in answers}) == 6

    class Boom(Exception):
        pass

    with pytest.raises(Boom), db.write():
        lost = [tickets.issue_ticket(db, queue["id"], f"device-token-r{i:07d}")[0]["id"] for i in range(3)]
        raise Boom
    cached = service.predict(row(db, queue["id"]))
    assert not set(lost) & set(cached.tickets) and cached.tickets == fresh.tickets
    assert cached.joiner == fresh.joiner  # the cached line itself was walked on a copy only
    assert set(fresh.tickets) > set(before.tickets)


def test_each_join_of_a_batch_reads_only_the_events_since_the_one_before(box, replays, monkeypatch):
    """The batch's walk is kept from one join to the next: each reads the one join after it, not
    the whole batch again (O(1) a join, not O(batch)). A join whose block rolls back (its event
    gone) starts the walk again from the committed line, and leaves no trace in the ETAs."""
    from qode import tickets

    read: list[int] = []
    events_after = estimates._events_after

    def counted(*args):
        rows = events_after(*args)
        read.append(len(rows))
        return rows

    monkeypatch.setattr(estimates, "_events_after", counted)
    db, client, queue, host = box
    a_busy_line(box, 3)
    read.clear()
    replays.clear()  # the line's own writes read and replayed theirs: count from here

    class Boom(Exception):
        pass

    with db.write():
        answers = [tickets.issue_ticket(db, queue["id"], f"device-token-k{i:07d}")[0] for i in range(4)]
        assert read == [0, 1, 1, 1]
        read.clear()
        with pytest.raises(Boom), db.write():  # one request's block of the batch fails after its join
            lost = tickets.issue_ticket(db, queue["id"], "device-token-lost0001")[0]["id"]
            raise Boom
        answers += [tickets.issue_ticket(db, queue["id"], f"device-token-m{i:07d}")[0] for i in range(2)]
    assert read == [1, 4, 1]  # the lost join's read one; after its rollback, the batch's 4 again
    assert replays == []
    service = estimates.of(db)
    service.invalidate(queue["id"])
    fresh = service.predict(row(db, queue["id"]))
    assert lost not in fresh.tickets
    assert [a["eta_seconds"] for a in answers] == [fresh.tickets[a["id"]] for a in answers]


def test_a_kiosks_print_jobs_keep_the_batch_walk(box, replays):
    """A kiosk's join writes a `print_job` event after its join; the estimator ignores it, so the
    batch's next joins still walk on in O(1) (no full replay) and the committed line's cached
    prediction stays, with the same ETAs a fresh one gives."""
    from qode import events, tickets

    db, client, queue, host = box
    a_busy_line(box, 3)

    def print_job(conn, ticket):
        events.append(conn, db.clock, ticket["queue_id"], "print_job", ticket=ticket,
                      data={"job_id": f"job-{ticket['position_number']}", "device_id": "kiosk-1",
                            "reason": "issue"})
        return None

    service = estimates.of(db)
    service.predict(row(db, queue["id"]))
    replays.clear()
    with db.write():
        answers = [tickets.issue_ticket(db, queue["id"], None, "kiosk", print_job)[0] for i in range(4)]
    assert replays == []  # walked on, not replayed
    cached = service.predict(row(db, queue["id"]))  # caught up with the batch: the cache extended
    assert service._entries[queue["id"]].cached is not None and replays == []
    service.invalidate(queue["id"])
    fresh = service.predict(row(db, queue["id"]))
    assert [a["eta_seconds"] for a in answers] == [fresh.tickets[a["id"]] for a in answers]
    assert cached.tickets == fresh.tickets and len({a["eta_seconds"] for a in answers}) == 4


def test_a_join_refused_before_it_writes_keeps_the_batch_walk(box, monkeypatch):
    """A block that rolls back having changed no row (a guest's join over its limit, refused inside
    the write) moves no mark: the batch's next join still reads only the one event since the last."""
    from qode import tickets

    read: list[int] = []
    events_after = estimates._events_after
    monkeypatch.setattr(estimates, "_events_after", lambda *args: read.append(len(rows := events_after(*args)))
                        or rows)
    db, client, queue, host = box
    a_busy_line(box, 3)
    read.clear()

    class Refused(Exception):
        pass

    def refuse() -> None:
        raise Refused

    with db.read() as conn:
        events_before = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    with db.write():
        answers = [tickets.issue_ticket(db, queue["id"], f"device-token-r{i:07d}")[0] for i in range(2)]
        marks = db.marks
        with pytest.raises(Refused):
            tickets.issue_ticket(db, queue["id"], "device-token-refused01", before_new=refuse)
        assert db.marks == marks
        answers.append(tickets.issue_ticket(db, queue["id"], "device-token-r0000002")[0])
        with pytest.raises(Refused), db.write():  # a block that wrote, then failed: a new mark
            tickets.issue_ticket(db, queue["id"], "device-token-lost0002")
            raise Refused
        assert db.marks == marks + 1
    assert read == [0, 1, 1, 1]  # the refused join read nothing; each after it, one event
    with db.read() as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == events_before + 3
        assert conn.execute("SELECT count(*) FROM tickets WHERE device_token IN"
                            " ('device-token-refused01', 'device-token-lost0002')").fetchone()[0] == 0
    service = estimates.of(db)
    service.invalidate(queue["id"])
    fresh = service.predict(row(db, queue["id"]))
    assert [a["eta_seconds"] for a in answers] == [fresh.tickets[a["id"]] for a in answers]


def test_a_priority_join_in_a_batch_is_replayed_in_full(box, replays):
    """A priority ticket joins ahead of normal ones, not behind: after one in the batch, the next
    join's ETA comes from a full replay (as before issue 17), and equals the committed figure."""
    from qode import tickets

    db, client, queue, host = box
    a_busy_line(box, 4)
    with db.write():
        normal = tickets.issue_ticket(db, queue["id"], "device-token-n0000001")[0]
        vip = tickets.issue_ticket(db, queue["id"], "device-token-p0000001", priority=True)[0]
        replays.clear()
        after = tickets.issue_ticket(db, queue["id"], "device-token-n0000002")[0]
    assert replays == [1]
    service = estimates.of(db)
    service.invalidate(queue["id"])
    fresh = service.predict(row(db, queue["id"]))
    assert after["eta_seconds"] == fresh.tickets[after["id"]]
    assert vip["eta_seconds"] == fresh.tickets[vip["id"]]  # its own answer: its place, in the batch too
    assert fresh.tickets[vip["id"]] < fresh.tickets[normal["id"]]  # the priority ticket overtook


def test_a_priority_joins_own_answer_shows_its_place_not_the_end_of_the_line(box):
    """A priority ticket goes ahead of the normal ones waiting, so its join answer's ETA is its own
    place's (the figure its status read shows next), not a normal joiner's at the end of the line."""
    db, client, queue, host = box
    a_busy_line(box, 6)
    url = f"/api/queues/{queue['id']}/tickets"
    normal = client.post(url, json={"device_token": "device-token-n0000001"}).get_json()
    vip = client.post(url, json={"device_token": "device-token-p0000001", "priority": True},
                      headers=host).get_json()
    assert vip["priority"] is True and vip["people_ahead"] == 0
    status = client.get(f"/api/tickets/{vip['id']}").get_json()
    assert vip["eta_seconds"] == status["eta_seconds"]
    assert vip["eta_seconds"] < normal["eta_seconds"]
    # and the next normal joiner's answer is still the end of the line, behind the priority guest
    after = client.post(url, json={"device_token": "device-token-n0000002"}).get_json()
    assert after["eta_seconds"] == client.get(f"/api/tickets/{after['id']}").get_json()["eta_seconds"]


def test_the_day_rollover_is_not_taken_for_guests_giving_up(box):
    db, client, queue, host = box
    for i in range(30):
        client.post(f"/api/queues/{queue['id']}/tickets", json={"device_token": f"device-token-{i:08d}"})
    db.clock.advance(days=1)
    client.post(f"/api/queues/{queue['id']}/tickets", json={"device_token": "device-token-new00001"})
    service = estimates.of(db)
    service.predict(row(db, queue["id"]))
    est = service._entries[queue["id"]].est
    assert est.C == 0 and list(est.waiting) != [] and len(est.waiting) == 1


def test_a_hosts_bulk_clear_is_not_taken_for_guests_giving_up(box):
    """Issue 11: clearing a flood of fake tickets must not teach the estimator that guests leave."""
    db, client, queue, host = box
    for i in range(30):
        client.post(f"/api/queues/{queue['id']}/tickets", json={"device_token": f"device-token-{i:08d}"})
    assert client.post(f"/api/queues/{queue['id']}/cancel-waiting", json={}, headers=host).status_code == 200
    client.post(f"/api/queues/{queue['id']}/tickets", json={"device_token": "device-token-new00001"})
    service = estimates.of(db)
    service.predict(row(db, queue["id"]))
    est = service._entries[queue["id"]].est
    assert est.C == 0 and len(est.waiting) == 1


def test_the_app_owns_one_explicit_estimates_cache(box):
    """Issue 13: the cache is an `Estimates` the app attaches and lists, not a hidden attribute."""
    db, client, queue, host = box
    app_cache = client.application.extensions["qode_estimates"]
    assert isinstance(app_cache, estimates.Estimates)
    assert estimates.of(db) is app_cache is db.estimates
    fresh = estimates.attach(db)  # e.g. after a restore: a new, empty cache replaces it
    assert estimates.of(db) is fresh is not app_cache and fresh._entries == {}


def test_the_estimates_cache_reuses_and_drops_predictions_as_documented(box):
    db, client, queue, host = box
    for i in range(3):
        client.post(f"/api/queues/{queue['id']}/tickets", json={"device_token": f"device-token-{i:08d}"})
    cache = estimates.of(db)
    first = cache.predict(row(db, queue["id"]))
    assert cache.predict(row(db, queue["id"])) is first  # nothing happened: the same prediction
    cache.invalidate(queue["id"])
    second = cache.predict(row(db, queue["id"]))
    assert second is not first and second.tickets == first.tickets  # fresh, and equal: nothing moved
    db.clock.advance(seconds=estimates.MAX_AGE + 1)
    assert cache.predict(row(db, queue["id"])) is not second  # older than MAX_AGE: made again
    third = cache.predict(row(db, queue["id"]))
    client.post(f"/api/queues/{queue['id']}/call-next", headers=host)  # not a join: people moved
    after_call = cache.predict(row(db, queue["id"]))
    assert after_call is not third and len(after_call.tickets) == 2
    # forget() drops the estimators too; they come back from eta_state and the events after it
    assert cache.save() == 1
    cache.forget()
    assert cache._entries == {}
    assert cache.predict(row(db, queue["id"])).tickets == after_call.tickets


# ---- issue 15: the rule's bounds, line order, services sharing counters ------------------------


def test_the_estimators_walk_the_call_rules_bounds_from_the_settings(box):
    db, client, queue, host = box
    client.post(f"/api/queues/{queue['id']}/tickets", json={"device_token": "device-token-00000001"})
    assert (estimates.of(db).max_wait, estimates.of(db).streak) == (900.0, 3)  # the design's defaults
    est = estimates.of(db)._caught_up(row(db, queue["id"])).est
    assert (est.max_wait, est.streak_limit) == (900.0, 3)
    estimates.of(db).save()
    service = estimates.attach(db, {"MAX_WAIT": None, "PRIORITY_STREAK": 2})  # "off", and 2
    est = service._caught_up(row(db, queue["id"])).est  # loaded from the saved state: today's settings win
    assert (est.max_wait, est.streak_limit) == (None, 2)


def _row(kind, seq, data=None, number=7):
    import json

    return {"seq": seq, "type": kind, "ticket_id": "t", "ticket_number": number,
            "data": json.dumps(data or {}), "mono": 1.0, "boot_id": "b"}


def test_a_tickets_place_in_its_line_is_its_line_seq():
    # a join: its own seq; a transfer in: the line_seq it names (by join time: the old join's seq)
    assert estimates._event(_row("join", 40, {"priority": True})).number == 40
    ev = estimates._event(_row("transfer_in", 90, {"line_seq": 12, "priority": False, "placement": "original"}))
    assert ev.number == 12 and ev.priority is False
    assert estimates._event(_row("transfer_in", 90, {"placement": "end"})).number == 90
    # by its join time, it brings its wait: from its join event's monotonic time, on the same boot
    import sqlite3

    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    conn.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, mono REAL, boot_id TEXT)")
    conn.executemany("INSERT INTO events VALUES (?, ?, ?)", [(12, 100.0, "b"), (13, 100.0, "old-boot")])
    moved = [{**_row("transfer_in", 90, {"line_seq": 12}), "mono": 700.0},
             {**_row("transfer_in", 91, {"line_seq": 13}), "mono": 700.0},
             _row("transfer_in", 92, {"placement": "end"})]
    waits = estimates._waits(conn, moved)
    assert waits == {90: 600.0}  # another boot's reading says nothing
    assert estimates._event(moved[0], waits=waits).waited == 600.0
    assert estimates._event(moved[1], waits=waits).waited is None
    # a counter's services changed: how many it serves now, or 0 when this service is no longer one
    changed = _row("counter_services", 95, {"counter": "2", "services": ["q1", "q2"]})
    assert estimates._event(changed, "q1").services == 2
    assert estimates._event(changed, "q3").services == 0


def test_services_sharing_a_counter_are_predicted_together(box):
    db, client, queue, host = box
    with db.read() as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "counter_services" not in tables:
        pytest.skip("needs migration m013 (counters serving several services): milestone model-A")
    other = client.post("/api/queues", json={"name": "Payments"}, headers=admin()).get_json()
    now = "2026-03-10T09:00:00Z"
    with db.write() as conn:
        conn.execute("INSERT INTO counters (id, name, rule, is_open, created_at, updated_at)"
                     " VALUES ('c-shared', 'Shared', 'order', 1, ?, ?)", (now, now))
        for position, q in enumerate((queue["id"], other["id"])):
            conn.execute("INSERT INTO counter_services (counter_id, queue_id, position, weight)"
                         " VALUES ('c-shared', ?, ?, 1.0)", (q, position))
    with db.write() as conn:  # two counters named "Twin" (as two old queues' "1"): left out
        conn.execute("INSERT INTO counters (id, name, rule, is_open, created_at, updated_at)"
                     " VALUES ('c-twin', 'Twin', 'order', 1, ?, ?)", (now, now))
        conn.execute("INSERT INTO counters (id, name, rule, is_open, created_at, updated_at)"
                     " VALUES ('c-twin2', 'Twin', 'order', 1, ?, ?)", (now, now))
        conn.execute("INSERT INTO counter_services (counter_id, queue_id, position, weight)"
                     " VALUES ('c-twin', ?, 0, 1.0), ('c-twin2', ?, 0, 1.0)", (queue["id"], other["id"]))
    service = estimates.of(db)
    assert "Twin" not in service._counter_map()
    assert service._group(other["id"]) == ([*sorted((queue["id"], other["id"]))], service._counter_map())
    assert service._group(other["id"])[1]["Shared"].services == (queue["id"], other["id"])
    # the shared desk opens for both, two guests join the first service, then one the second
    from qode import events

    with db.write() as conn:
        for q in (queue["id"], other["id"]):
            events.append(conn, db.clock, q, "counter_opened", service_day="2026-03-10",
                          data={"counter": "Shared", "counter_id": "c-shared",
                                "services": [queue["id"], other["id"]]})
    first = [client.post(f"/api/queues/{queue['id']}/tickets",
                         json={"device_token": f"device-token-a{i:07d}"}).get_json() for i in range(2)]
    late = client.post(f"/api/queues/{other['id']}/tickets", json={"device_token": "device-token-b0000001"})
    late = late.get_json()
    for q in (queue, other):  # no margin: the walk's own figures
        client.patch(f"/api/queues/{q['id']}", json={"eta_margin": 0}, headers=admin())
    service.invalidate()
    mine = service.predict(row(db, other["id"]))
    theirs = service.predict(row(db, queue["id"]))
    # the desk serves the first service first: the late guest waits for both of its guests
    assert [theirs.tickets[t["id"]] for t in first] == [0, 300]
    spacing = 1 / service._entries[queue["id"]].est.arrival_rate()  # and for a guest of the first
    assert spacing / 2 <= 600  # service expected to come (two joined at once: 4 an hour), before it
    assert mine.tickets[late["id"]] == 900
    alone = estimates.Estimates(db)  # what the second service's estimator alone says: an idle desk
    alone._counter_map = lambda: None
    assert alone.predict(row(db, other["id"])).tickets[late["id"]] < 600
    # a priority guest of the first service: its own answer is its place in the joint walk
    vip = client.post(f"/api/queues/{queue['id']}/tickets", headers=host,
                      json={"device_token": "device-token-p0000001", "priority": True}).get_json()
    service.invalidate()
    joint = service.predict(row(db, queue["id"]))
    assert vip["eta_seconds"] == joint.tickets[vip["id"]] < joint.tickets[first[1]["id"]]
