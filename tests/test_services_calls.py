"""Issue 15, part 2 through the HTTP contract: priority joins, calls by the rule, transfer and
priority moves, the host's list in call order, and every bad input of the new endpoints
(docs/services.md, section 5)."""

from __future__ import annotations

import json

import pytest

from qode import create_app

from helpers import ADMIN_TOKEN, NO_CAPS, admin


@pytest.fixture
def app(tmp_path):
    return create_app(
        {
            "QODE_DATA_DIR": str(tmp_path / "data"),
            "QODE_ADMIN_TOKEN": ADMIN_TOKEN,
            "QODE_TIMEZONE": "UTC",
            "QODE_JOIN_RATE_LIMIT": "off",
            **NO_CAPS,
            "QODE_AUTH_RATE_LIMIT": "off",
            "QODE_SCHEDULER": "off",
            "QODE_PRIORITY_STREAK": "2",
        }
    )


def make_service(client, name: str, prefix: str) -> dict:
    response = client.post("/api/queues", json={"name": name, "prefix": prefix}, headers=admin())
    assert response.status_code == 201
    body = response.get_json()
    body["headers"] = {"Authorization": f"Bearer {body['host_token']}"}
    return body


@pytest.fixture
def box(app, client):
    db = app.extensions["qode_db"]
    return db, client, make_service(client, "Reception", "R"), make_service(client, "Payments", "Y")


def join(client, service, n: int = 1, priority: bool | None = None, headers=None, tag: str = "g") -> list[dict]:
    out = []
    for i in range(n):
        body: dict = {} if headers else {"device_token": f"device-token-{tag}{service['prefix']}{i:04d}"}
        if priority is not None:
            body["priority"] = priority
        response = client.post(f"/api/queues/{service['id']}/tickets", json=body, headers=headers or {})
        assert response.status_code == 201, response.get_json()
        out.append(response.get_json())
    return out


def call(client, service, counter: str = "1") -> dict:
    response = client.post(
        f"/api/queues/{service['id']}/call-next", json={"counter": counter}, headers=service["headers"]
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def post(client, path: str, body, headers) -> tuple[int, dict]:
    response = client.post(path, data=json.dumps(body), content_type="application/json", headers=headers)
    return response.status_code, response.get_json()


def events_of(db, ticket_id: str) -> list[tuple[str, str, dict]]:
    with db.read() as conn:
        return [
            (r[0], r[1], json.loads(r[2]))
            for r in conn.execute(
                "SELECT type, queue_id, data FROM events WHERE ticket_id = ? ORDER BY seq", (ticket_id,)
            )
        ]


# ---- priority at the door ---------------------------------------------------------------


def test_priority_joins_by_host_kiosk_or_where_the_join_page_offers_it(box):
    db, client, reception, _ = box
    # A host issues a priority ticket; the answer and the join event say so.
    first = join(client, reception, priority=True, headers=reception["headers"])[0]
    assert first["priority"] is True and first["issued_queue_id"] == reception["id"]
    assert first["service"] == {"id": reception["id"], "name": "Reception", "prefix": "R"}
    assert first["transfers"] == 0
    assert events_of(db, first["id"])[0][2] == {"source": "host", "priority": True}
    # A kiosk of the service too.
    kiosk = client.post(
        f"/api/queues/{reception['id']}/devices",
        json={"name": "Door", "kind": "kiosk"},
        headers=reception["headers"],
    ).get_json()
    second = join(client, reception, priority=True, headers={"Authorization": f"Bearer {kiosk['token']}"})[0]
    assert second["priority"] is True and second["source"] == "kiosk"
    # A guest on the join page: refused, nothing written ...
    with db.read() as conn:
        before = conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
    status, body = post(
        client,
        f"/api/queues/{reception['id']}/tickets",
        {"device_token": "device-token-anonymous01", "priority": True},
        {},
    )
    assert (status, body["error"]["code"]) == (403, "priority_not_allowed")
    with db.read() as conn:
        assert conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == before
    # ... unless the service offers priority on its join page.
    with db.write() as conn:
        conn.execute("UPDATE queues SET priority_on_join = 1 WHERE id = ?", (reception["id"],))
    status, body = post(
        client,
        f"/api/queues/{reception['id']}/tickets",
        {"device_token": "device-token-anonymous01", "priority": True},
        {},
    )
    assert status == 201 and body["priority"] is True
    # A normal guest's join event says priority: false (always present from m013 on).
    normal = join(client, reception, tag="n")[0]
    assert normal["priority"] is False and events_of(db, normal["id"])[0][2]["priority"] is False


@pytest.mark.parametrize(
    "body",
    [
        {"device_token": "device-token-anonymous01", "priority": "yes"},
        {"device_token": "device-token-anonymous01", "priority": 1},
        {"device_token": "device-token-anonymous01", "priority": None},
    ],
)
def test_a_join_with_a_priority_that_is_not_a_boolean_is_422(box, body):
    _, client, reception, _ = box
    status, answer = post(client, f"/api/queues/{reception['id']}/tickets", body, {})
    assert (status, answer["error"]["code"]) == (422, "invalid_body")


def test_priority_goes_first_and_the_streak_lets_a_normal_ticket_through(box):
    db, client, reception, _ = box
    normal = join(client, reception, tag="n")[0]
    prio = join(client, reception, 3, priority=True, headers=reception["headers"])
    # People ahead counts the priority tickets that really go first: the normal ticket is told 2
    # (QODE_PRIORITY_STREAK=2 here: two priority calls, then it).
    assert client.get(f"/api/tickets/{normal['id']}").get_json()["people_ahead"] == 2
    assert [t["people_ahead"] for t in (client.get(f"/api/tickets/{p['id']}").get_json() for p in prio)] == [
        0,
        1,
        3,
    ]
    # The host's list in call order says the same.
    listed = client.get(f"/api/queues/{reception['id']}/tickets?order=call", headers=reception["headers"])
    assert [(t["display_number"], t["people_ahead"], t["priority"]) for t in listed.get_json()["tickets"]] == [
        ("R002", 0, True),
        ("R003", 1, True),
        ("R001", 2, False),
        ("R004", 3, True),
    ]
    got = [call(client, reception, "1") for _ in range(4)]
    assert [(t["display_number"], t["reason"]) for t in got] == [
        ("R002", "priority"),
        ("R003", "priority"),
        ("R001", "streak"),
        ("R004", "priority"),
    ]
    # The call events carry the counter, priority and the reason; the streak is stored per service.
    call_event = next(e for e in events_of(db, got[0]["id"]) if e[0] == "call")[2]
    assert (
        call_event["priority"] is True and call_event["reason"] == "priority" and call_event["counter"] == "1"
    )
    assert call_event["counter_id"] and "staff" in call_event
    with db.read() as conn:
        assert (
            conn.execute("SELECT priority_streak FROM queues WHERE id = ?", (reception["id"],)).fetchone()[0]
            == 0
        )


def test_a_host_calling_one_out_of_turn_moves_the_streak_with_reason_chosen(box):
    db, client, reception, _ = box
    join(client, reception, tag="n")
    prio = join(client, reception, 2, priority=True, headers=reception["headers"])
    status, body = post(client, f"/api/tickets/{prio[1]['id']}/recall", {"counter": "2"}, reception["headers"])
    assert status == 200 and body["reason"] == "chosen"
    with db.read() as conn:
        assert (
            conn.execute("SELECT priority_streak FROM queues WHERE id = ?", (reception["id"],)).fetchone()[0]
            == 1
        )


# ---- call next by counter id ---------------------------------------------------------------


def test_call_next_by_counter_id_and_its_bad_inputs(box):
    db, client, reception, payments = box
    join(client, reception, 3)
    first = call(client, reception, "Desk A")
    counter_id = first["counter_id"]
    status, body = post(
        client, f"/api/queues/{reception['id']}/call-next", {"counter_id": counter_id}, reception["headers"]
    )
    assert status == 200 and body["counter"] == "Desk A" and body["counter_id"] == counter_id
    assert [e["display_number"] for e in body["ended"]] == ["R001"]
    join(client, payments, 1)
    for payload, code, status_ in (
        ({"counter_id": "not-a-uuid"}, "invalid_body", 422),
        ({"counter_id": counter_id, "counter": "Desk A"}, "invalid_body", 422),
        ({"counter_id": "00000000-0000-4000-8000-000000000000"}, "counter_not_found", 404),
    ):
        got_status, got = post(
            client, f"/api/queues/{reception['id']}/call-next", payload, reception["headers"]
        )
        assert (got_status, got["error"]["code"]) == (status_, code), payload
    # A counter that does not serve the service cannot call in it.
    status, body = post(
        client, f"/api/queues/{payments['id']}/call-next", {"counter_id": counter_id}, payments["headers"]
    )
    assert (status, body["error"]["code"]) == (409, "counter_not_in_service")


# ---- transfer ---------------------------------------------------------------------------


def test_a_transfer_keeps_the_ticket_and_places_it_by_its_original_join(box):
    db, client, reception, payments = box
    early = join(client, reception, tag="e")[0]  # R001: joined before anyone in Payments
    join(client, payments, 2)  # Y001, Y002
    called = call(client, reception, "1")
    assert called["id"] == early["id"]
    status, moved = post(
        client, f"/api/tickets/{early['id']}/transfer", {"queue_id": payments["id"]}, reception["headers"]
    )
    assert status == 200
    assert (moved["id"], moved["display_number"], moved["position_number"]) == (early["id"], "R001", 1)
    assert moved["queue_id"] == payments["id"] and moved["service"]["name"] == "Payments"
    assert moved["issued_queue_id"] == reception["id"] and moved["transfers"] == 1
    assert moved["status"] == "WAITING" and moved["counter"] is None and moved["counter_id"] is None
    assert moved["people_ahead"] == 0  # by its original join: before Y001 and Y002
    # The guest's page (same id) shows the new service; the events say where from and where to.
    assert client.get(f"/api/tickets/{early['id']}").get_json()["service"]["id"] == payments["id"]
    kinds = events_of(db, early["id"])
    out, into = kinds[-2], kinds[-1]
    assert out[0] == "transfer" and out[1] == reception["id"]
    assert out[2] == {
        "to": payments["id"],
        "to_name": "Payments",
        "placement": "original",
        "from_status": "CALLED",
        "counter": "1",
        "counter_id": called["counter_id"],
        "number": 1,
        "prefix": "R",
    }
    assert into[0] == "transfer_in" and into[1] == payments["id"]
    assert (
        into[2]["from"] == reception["id"] and into[2]["placement"] == "original" and into[2]["prefix"] == "R"
    )
    # Nobody was ended: the counter is free, with no no-show; the waiting counts moved.
    assert [e[0] for e in kinds].count("no_show") == 0
    states = {
        s["id"]: s for s in (client.get(f"/api/queues/{q['id']}").get_json() for q in (reception, payments))
    }
    assert states[reception["id"]]["waiting_count"] == 0 and states[payments["id"]]["waiting_count"] == 3
    # Payments calls it first, under its own number; the TV's call names the service.
    again = call(client, payments, "P1")
    assert again["display_number"] == "R001" and again["id"] == early["id"]
    shown = client.get(f"/api/queues/{payments['id']}").get_json()["calls"][0]
    assert shown["number"] == "R001" and shown["service"]["name"] == "Payments"
    # "Now serving" says the number as it was issued, for the TV and for every guest of Payments.
    assert client.get(f"/api/queues/{payments['id']}").get_json()["now_serving"] == "R001"
    assert client.get(f"/api/tickets/{early['id']}").get_json()["now_serving"] == "R001"
    waiting_guest = client.get(
        f"/api/queues/{payments['id']}/tickets?status=WAITING", headers=payments["headers"]
    )
    assert {t["now_serving"] for t in waiting_guest.get_json()["tickets"]} == {"R001"}
    # Sent on again from Payments' counter: Payments' last call was still R001, never "Y001"
    status, _ = post(client, f"/api/tickets/{early['id']}/transfer", {"queue_id": reception["id"]},
                     payments["headers"])
    assert status == 200
    assert client.get(f"/api/queues/{payments['id']}").get_json()["now_serving"] == "R001"


def test_a_transfer_at_the_end_and_by_the_target_default(box):
    db, client, reception, payments = box
    ticket = join(client, reception, tag="e")[0]
    join(client, payments, 2)
    status, moved = post(
        client,
        f"/api/tickets/{ticket['id']}/transfer",
        {"queue_id": payments["id"], "placement": "end"},
        reception["headers"],
    )
    assert status == 200 and moved["people_ahead"] == 2
    # Back, with the target's default (set to "end" here), from a WAITING ticket.
    with db.write() as conn:
        conn.execute("UPDATE queues SET transfer_placement = 'end' WHERE id = ?", (reception["id"],))
    join(client, reception, tag="x")
    status, back = post(
        client, f"/api/tickets/{ticket['id']}/transfer", {"queue_id": reception["id"]}, payments["headers"]
    )
    assert status == 200 and back["people_ahead"] == 1 and back["transfers"] == 2
    assert events_of(db, ticket["id"])[-1][2]["placement"] == "end"
    assert back["display_number"] == "R001"


def test_transfer_bad_inputs_answer_and_write_nothing(box):
    db, client, reception, payments = box
    ticket = join(client, reception)[0]
    path = f"/api/tickets/{ticket['id']}/transfer"
    with db.read() as conn:
        before = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    cases = [
        ({}, reception["headers"], 422, "invalid_body"),
        ({"queue_id": "nope"}, reception["headers"], 422, "invalid_body"),
        ({"queue_id": payments["id"], "placement": "middle"}, reception["headers"], 422, "invalid_body"),
        ({"queue_id": payments["id"], "extra": 1}, reception["headers"], 422, "invalid_body"),
        ({"queue_id": "00000000-0000-4000-8000-000000000000"}, reception["headers"], 404, "service_not_found"),
        ({"queue_id": reception["id"]}, reception["headers"], 409, "same_service"),
        ({"queue_id": payments["id"]}, {}, 401, "unauthorized"),
        (
            {"queue_id": payments["id"]},
            payments["headers"],
            403,
            "forbidden",
        ),  # not this ticket's service's host
    ]
    for body, headers, status, code in cases:
        got_status, got = post(client, path, body, headers)
        assert (got_status, got["error"]["code"]) == (status, code), body
    status, body = post(
        client, "/api/tickets/not-an-id/transfer", {"queue_id": payments["id"]}, reception["headers"]
    )
    assert (status, body["error"]["code"]) == (404, "ticket_not_found")
    # A closed target takes no transfer; a finished ticket cannot be transferred.
    client.patch(f"/api/queues/{payments['id']}", json={"active": False}, headers=payments["headers"])
    with db.read() as conn:
        before = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    status, body = post(client, path, {"queue_id": payments["id"]}, reception["headers"])
    assert (status, body["error"]["code"]) == (409, "queue_closed")
    client.patch(f"/api/queues/{payments['id']}", json={"active": True}, headers=payments["headers"])
    called = call(client, reception)
    client.post(f"/api/tickets/{called['id']}/complete", headers=reception["headers"])
    with db.read() as conn:
        before = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    status, body = post(client, path, {"queue_id": payments["id"]}, reception["headers"])
    assert (status, body["error"]["code"]) == (409, "illegal_transition")
    with db.read() as conn:
        assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == before
        assert conn.execute("SELECT queue_id, transfers FROM tickets WHERE id = ?", (ticket["id"],)).fetchone()[
            :
        ] == (reception["id"], 0)


# ---- priority by the host ---------------------------------------------------------------


def test_the_host_sets_and_clears_priority_on_a_waiting_ticket(box):
    db, client, reception, payments = box
    first, second = join(client, reception, 2)
    status, body = post(
        client, f"/api/tickets/{second['id']}/priority", {"priority": True}, reception["headers"]
    )
    assert status == 200 and body["priority"] is True and body["people_ahead"] == 0
    assert client.get(f"/api/tickets/{first['id']}").get_json()["people_ahead"] == 1
    assert events_of(db, second["id"])[-1] == ("priority_set", reception["id"], {"priority": True})
    # Setting what it already is writes nothing.
    post(client, f"/api/tickets/{second['id']}/priority", {"priority": True}, reception["headers"])
    assert [e[0] for e in events_of(db, second["id"])].count("priority_set") == 1
    status, body = post(
        client, f"/api/tickets/{second['id']}/priority", {"priority": False}, reception["headers"]
    )
    assert status == 200 and body["priority"] is False and body["people_ahead"] == 1
    # Bad input.
    for payload, headers, code_status, code in (
        ({}, reception["headers"], 422, "invalid_body"),
        ({"priority": "true"}, reception["headers"], 422, "invalid_body"),
        ({"priority": True}, {}, 401, "unauthorized"),
        ({"priority": True}, payments["headers"], 403, "forbidden"),
    ):
        got_status, got = post(client, f"/api/tickets/{first['id']}/priority", payload, headers)
        assert (got_status, got["error"]["code"]) == (code_status, code), payload
    called = call(client, reception)
    status, body = post(
        client, f"/api/tickets/{called['id']}/priority", {"priority": True}, reception["headers"]
    )
    assert (status, body["error"]["code"]) == (409, "illegal_transition")


def test_the_host_list_order_query_is_checked(box):
    _, client, reception, _ = box
    for query in ("order=random", "order=call&status=CALLED"):
        response = client.get(f"/api/queues/{reception['id']}/tickets?{query}", headers=reception["headers"])
        assert response.status_code == 422 and response.get_json()["error"]["code"] == "invalid_query"


# ---- call next at a counter across its services (milestone B) -------------------------------


def make_counter(client, name: str, services: list[tuple[dict, float]], rule: str = "order") -> dict:
    made = client.post(
        "/api/counters",
        json={
            "name": name,
            "rule": rule,
            "services": [{"queue_id": s["id"], "weight": w} for s, w in services],
        },
        headers=admin(),
    )
    assert made.status_code == 201, made.get_json()
    opened = client.post(f"/api/counters/{made.get_json()['id']}/open", json={}, headers=admin())
    assert opened.status_code == 200, opened.get_json()
    return opened.get_json()


def test_a_counter_calls_across_its_services_by_its_rule(box):
    db, client, reception, payments = box
    desk = make_counter(client, "2", [(reception, 1.0), (payments, 1.0)])
    path = f"/api/counters/{desk['id']}/call-next"
    status, body = post(client, path, {}, admin())
    assert (status, body["error"]["code"]) == (409, "nobody_waiting")
    join(client, payments, 1)
    status, body = post(client, path, {}, admin())
    assert status == 200 and body["display_number"] == "Y001" and body["reason"] == "only"
    assert body["counter"] == "2" and body["counter_id"] == desk["id"]
    join(client, reception, 1)
    join(client, payments, 1, tag="m")
    # Strict order: Reception first; the call ended the counter's Y001 (a no-show), in Payments.
    status, body = post(client, path, {}, admin())
    assert status == 200 and (body["display_number"], body["reason"]) == ("R001", "order")
    assert [(e["display_number"], e["status"]) for e in body["ended"]] == [("Y001", "NO_SHOW")]
    # A priority head goes before a normal one at the counter, whatever the counter's order.
    join(client, reception, 1, tag="x")
    join(client, payments, 1, priority=True, headers=payments["headers"])
    status, body = post(client, path, {}, admin())
    assert status == 200 and (body["display_number"], body["reason"]) == ("Y003", "priority")
    call_event = events_of(db, body["id"])[-1]
    assert call_event[0] == "call" and call_event[1] == payments["id"] and call_event[2]["reason"] == "priority"


def test_counter_call_next_bad_inputs(box):
    db, client, reception, payments = box
    desk = make_counter(client, "5", [(reception, 1.0), (payments, 1.0)])
    join(client, reception, 1)
    path = f"/api/counters/{desk['id']}/call-next"
    with db.read() as conn:
        before = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    for target, body, headers, status, code in (
        (path, {"counter": "1"}, admin(), 422, "invalid_body"),
        (path, {}, {}, 401, "unauthorized"),
        (path, {}, reception["headers"], 403, "forbidden"),  # a host of only one of its services
        ("/api/counters/not-an-id/call-next", {}, admin(), 404, "counter_not_found"),
        ("/api/counters/00000000-0000-4000-8000-000000000000/call-next", {}, admin(), 404, "counter_not_found"),
    ):
        got_status, got = post(client, target, body, headers)
        assert (got_status, got["error"]["code"]) == (status, code), (target, body)
    with db.read() as conn:
        assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == before
    closed = client.post(f"/api/counters/{desk['id']}/close", json={}, headers=admin())
    assert closed.status_code == 200
    status, body = post(client, path, {}, admin())
    assert (status, body["error"]["code"]) == (409, "counter_closed")


# ---- the token's scope is decided inside the write ------------------------------------------


@pytest.mark.parametrize(
    "path, body",
    [
        ("no-show", {}),
        ("complete", {}),
        ("serve", {}),
        ("requeue", {}),
        ("cancel", {}),
        ("transfer", "reception"),
        ("priority", {"priority": True}),
        ("reprint", {}),
    ],
)
def test_a_ticket_moved_to_another_service_after_the_check_is_refused_in_the_write(box, monkeypatch, path,
                                                                                   body):
    # A Reception host's request is checked against the ticket's service (Reception); before its
    # write runs, a Payments host has transferred the ticket (a gevent switch between the two can do
    # that). The write must see Payments, refuse with 403, and leave the ticket and the log as they were.
    import qode.tickets

    db, client, reception, payments = box
    ticket = join(client, reception)[0]
    if path in ("no-show", "complete", "serve", "requeue"):
        assert call(client, reception, "1")["id"] == ticket["id"]
    status, _ = post(client, f"/api/tickets/{ticket['id']}/transfer", {"queue_id": payments["id"]},
                     reception["headers"])
    assert status == 200
    if path in ("no-show", "complete", "serve", "requeue"):
        assert call(client, payments, "9")["id"] == ticket["id"]
    before = (client.get(f"/api/tickets/{ticket['id']}").get_json(), events_of(db, ticket["id"]))
    real = qode.tickets.queue_of
    monkeypatch.setattr(qode.tickets, "queue_of", lambda _db, _id: reception["id"])  # the stale look
    if body == "reception":
        body = {"queue_id": reception["id"]}
    status, answer = post(client, f"/api/tickets/{ticket['id']}/{path}", body, reception["headers"])
    monkeypatch.setattr(qode.tickets, "queue_of", real)
    assert status == 403, answer
    assert answer["error"]["code"] == "service_not_in_scope"
    assert (client.get(f"/api/tickets/{ticket['id']}").get_json(), events_of(db, ticket["id"])) == before
    # Payments' own host still can (a reprint then finds no kiosk with a printer on this box: 409).
    if path != "transfer":
        status, _ = post(client, f"/api/tickets/{ticket['id']}/{path}", body, payments["headers"])
        assert status == (409 if path == "reprint" else 200)


def test_a_counter_given_another_service_after_the_check_is_refused_in_the_write(box, monkeypatch):
    # The host's scope was checked on the counter's services as they were (Reception only); by the
    # time the call's write runs, the counter also serves Payments. The write must refuse, call nobody.
    import qode.api
    from qode import auth

    db, client, reception, payments = box
    both = [{"queue_id": reception["id"]}, {"queue_id": payments["id"]}]
    counter = client.post("/api/counters", json={"name": "Desk 7", "services": both}, headers=admin())
    counter = counter.get_json()
    assert client.post(f"/api/counters/{counter['id']}/open", json={}, headers=admin()).status_code == 200
    waiting = [join(client, payments)[0], join(client, reception, tag="r")[0]]
    before = [events_of(db, t["id"]) for t in waiting]
    monkeypatch.setattr(qode.api, "host_of_counter",  # the stale look: the counter as it was
                        lambda _id: auth.require_host(qode.api.db(), qode.api.admin_hash(), reception["id"]))
    status, answer = post(client, f"/api/counters/{counter['id']}/call-next", {}, reception["headers"])
    assert status == 403 and answer["error"]["code"] == "service_not_in_scope", answer
    assert [events_of(db, t["id"]) for t in waiting] == before
    assert {client.get(f"/api/tickets/{t['id']}").get_json()["status"] for t in waiting} == {"WAITING"}


def test_serving_at_a_shared_counter_needs_every_service_of_the_counter(box):
    # "Serve" ends the counter's other ticket, which may be of the other service: as call next
    # and recall at a shared counter, it needs a token covering the counter's every service.
    db, client, reception, payments = box
    both = [{"queue_id": reception["id"]}, {"queue_id": payments["id"]}]
    counter = client.post("/api/counters", json={"name": "Desk 5", "services": both}, headers=admin())
    assert counter.status_code == 201, counter.get_json()
    counter = counter.get_json()
    assert client.post(f"/api/counters/{counter['id']}/open", json={}, headers=admin()).status_code == 200
    ticket = join(client, reception)[0]
    status, called = post(client, f"/api/counters/{counter['id']}/call-next", {}, admin())
    assert status == 200 and called["id"] == ticket["id"]
    before = events_of(db, ticket["id"])
    status, answer = post(client, f"/api/tickets/{ticket['id']}/serve", {}, reception["headers"])
    assert status == 403 and answer["error"]["code"] == "service_not_in_scope"
    assert events_of(db, ticket["id"]) == before
    status, served = post(client, f"/api/tickets/{ticket['id']}/serve", {}, admin())
    assert status == 200 and served["status"] == "SERVING"
