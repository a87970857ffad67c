"""Issue 15, part 1 (model): host tokens with roles and scopes, counters' set-up and sessions, the
services list and device services (docs/services.md, sections 5 and 6). Every new endpoint's bad
input (422/403/404/409, nothing half-written), and a revoked token's socket closing on a real server."""

from __future__ import annotations

import json
import time

import pytest
import requests

from qode import config
from qode_common.websocket import ConnectionClosed

from helpers import ServerProcess, admin, ws_client_class


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def box(client):
    """Three services (Registration, Passports, Payments) with their own manager tokens."""
    made = {}
    for key, name, prefix in (
        ("reg", "Registration", "R"),
        ("pass", "Passports", "P"),
        ("pay", "Payments", "Y"),
    ):
        body = client.post("/api/queues", json={"name": name, "prefix": prefix}, headers=admin()).get_json()
        body["headers"] = bearer(body["host_token"])
        made[key] = body
    return made


def make_token(client, role, scope, services=None, headers=None):
    body = {"name": f"{role} tablet", "role": role, "scope": scope}
    if services is not None:
        body["services"] = services
    response = client.post("/api/host-tokens", json=body, headers=headers or admin())
    assert response.status_code == 201, response.get_json()
    made = response.get_json()
    made["headers"] = bearer(made["token"])
    return made


def table_count(db, table: str) -> int:
    with db.read() as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def events_of(db, type_: str) -> list[dict]:
    with db.read() as conn:
        return [
            {"queue_id": r[0], **json.loads(r[1])}
            for r in conn.execute("SELECT queue_id, data FROM events WHERE type = ? ORDER BY seq", (type_,))
        ]


# ---- GET /api/services -----------------------------------------------------------------------


def test_services_lists_the_active_ones_in_order_and_the_admin_sees_all(client, box):
    closed = client.patch(
        f"/api/queues/{box['pay']['id']}", json={"active": False}, headers=box["pay"]["headers"]
    )
    assert closed.status_code == 200
    client.post(f"/api/queues/{box['pass']['id']}/tickets", json={"device_token": "a-guest-device-00001"})
    public = client.get("/api/services")
    assert public.status_code == 200
    listed = public.get_json()["services"]
    assert [s["name"] for s in listed] == ["Registration", "Passports"]
    assert [s["sort_order"] for s in listed] == [0, 1]
    assert listed[1]["waiting_count"] == 1 and listed[1]["prefix"] == "P" and listed[1]["eta_seconds"] > 0
    assert listed[0]["priority_on_join"] is False and listed[0]["transfer_placement"] == "original"
    assert "host_token" not in listed[0] and "host_token_hash" not in listed[0]
    everything = client.get("/api/services", headers=admin()).get_json()["services"]
    assert [s["name"] for s in everything] == ["Registration", "Passports", "Payments"]
    assert everything[2]["active"] is False
    assert [
        s["name"] for s in client.get("/api/services", headers=box["pay"]["headers"]).get_json()["services"]
    ] == ["Registration", "Passports"]  # inactive ones: admin only
    wrong = client.get("/api/services", headers=bearer("x" * 43))
    assert wrong.status_code == 401


# ---- host tokens -------------------------------------------------------------------------------


def test_a_staff_token_on_one_service_calls_there_and_nowhere_else(client, box):
    staff = make_token(client, "staff", "services", [box["reg"]["id"]])
    assert staff["role"] == "staff" and staff["services"] == [box["reg"]["id"]] and staff["revoked_at"] is None
    assert staff["host_url"].endswith(f"/host/{box['reg']['id']}#token={staff['token']}")
    reg, pas = box["reg"]["id"], box["pass"]["id"]
    for qid in (reg, pas):
        client.post(f"/api/queues/{qid}/tickets", json={"device_token": f"guest-device-{qid[:8]}-1"})
    joined = client.post(f"/api/queues/{reg}/tickets", json={}, headers=staff["headers"])
    assert joined.status_code == 201 and joined.get_json()["source"] == "host"
    called = client.post(f"/api/queues/{reg}/call-next", json={"counter": "2"}, headers=staff["headers"])
    assert called.status_code == 200
    served = client.post(f"/api/tickets/{called.get_json()['id']}/serve", json={}, headers=staff["headers"])
    assert served.status_code == 200
    assert (
        client.post(
            f"/api/queues/{reg}/counters", json={"counter": "2", "open": False}, headers=staff["headers"]
        ).status_code
        == 200
    )  # a counter session is staff work
    assert client.get(f"/api/queues/{reg}/tickets", headers=staff["headers"]).status_code == 200
    assert client.get(f"/api/queues/{reg}/devices", headers=staff["headers"]).status_code == 200
    # another service: 403, and nothing called
    other = client.post(f"/api/queues/{pas}/call-next", json={}, headers=staff["headers"])
    assert other.status_code == 403
    assert client.get(f"/api/queues/{pas}").get_json()["current_position"] == 0
    # a manager's work: 403, nothing changed
    for method, path, body in (
        ("PATCH", f"/api/queues/{reg}", {"name": "Renamed"}),
        ("POST", f"/api/queues/{reg}/rotate-token", {}),
        ("POST", f"/api/queues/{reg}/devices", {"name": "Kiosk"}),
        ("POST", f"/api/queues/{reg}/cancel-waiting", {}),
        ("POST", f"/api/queues/{reg}/close-and-clear", {}),
        ("POST", "/api/counters", {"name": "9", "services": [{"queue_id": reg}]}),
        ("POST", "/api/host-tokens", {"name": "x", "role": "staff", "scope": "box"}),
        ("GET", "/api/host-tokens", None),
    ):
        refused = client.open(path, method=method, json=body, headers=staff["headers"])
        assert refused.status_code == 403, (method, path, refused.get_json())
    state = client.get(f"/api/queues/{reg}").get_json()
    assert state["name"] == "Registration" and state["active"] and state["waiting_count"] == 1
    assert table_count(client.application.extensions["qode_db"], "devices") == 0
    assert table_count(client.application.extensions["qode_db"], "counters") == 1


def test_a_box_manager_covers_every_service_and_makes_tokens(client, box):
    manager = make_token(client, "manager", "box")
    assert manager["services"] == [] and manager["host_url"].endswith(f"/host#token={manager['token']}")
    for key in ("reg", "pass", "pay"):
        patched = client.patch(
            f"/api/queues/{box[key]['id']}", json={"priority_on_join": True}, headers=manager["headers"]
        )
        assert patched.status_code == 200 and patched.get_json()["priority_on_join"] is True
    made = make_token(client, "staff", "services", [box["pay"]["id"], box["reg"]["id"]], manager["headers"])
    assert sorted(made["services"]) == sorted([box["pay"]["id"], box["reg"]["id"]])
    assert made["host_url"].endswith(f"/host#token={made['token']}")
    listed = client.get("/api/host-tokens", headers=manager["headers"])
    assert listed.status_code == 200
    tokens = listed.get_json()["tokens"]
    assert len(tokens) == 5  # three services' own, the box manager, the staff one
    assert all("token" not in t and "token_hash" not in t for t in tokens)
    # a service's own manager token is not a box manager: no tokens
    assert client.get("/api/host-tokens", headers=box["reg"]["headers"]).status_code == 403
    box_staff = make_token(client, "staff", "box")
    assert (
        client.post(
            "/api/host-tokens",
            json={"name": "x", "role": "staff", "scope": "box"},
            headers=box_staff["headers"],
        ).status_code
        == 403
    )
    assert (
        client.patch(
            f"/api/queues/{box['reg']['id']}", json={"name": "x"}, headers=box_staff["headers"]
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/queues/{box['pay']['id']}/call-next", json={}, headers=box_staff["headers"]
        ).get_json()["error"]["code"]
        == "nobody_waiting"
    )


@pytest.mark.parametrize(
    "body, code",
    [
        ({"role": "staff", "scope": "box"}, "invalid_body"),  # no name
        ({"name": "x", "scope": "box"}, "invalid_body"),  # no role
        ({"name": "x", "role": "admin", "scope": "box"}, "invalid_body"),
        ({"name": "x", "role": "staff", "scope": "everything"}, "invalid_body"),
        ({"name": "x", "role": "staff", "scope": "services"}, "invalid_body"),  # no services
        ({"name": "x", "role": "staff", "scope": "services", "services": []}, "invalid_body"),
        ({"name": "x", "role": "staff", "scope": "box", "services": ["REG"]}, "invalid_body"),
        ({"name": "x", "role": "staff", "scope": "services", "services": ["PASS", "PASS"]}, "invalid_body"),
        (
            {
                "name": "x",
                "role": "staff",
                "scope": "services",
                "services": ["00000000-0000-4000-8000-000000000000"],
            },
            "unknown_service",
        ),
        ({"name": "x", "role": "staff", "scope": "services", "services": ["not-a-uuid"]}, "invalid_body"),
        ({"name": "x" * 81, "role": "staff", "scope": "box"}, "invalid_body"),
        ({"name": "a\u202eb", "role": "staff", "scope": "box"}, "invalid_body"),
        ({"name": "x", "role": "staff", "scope": "box", "extra": 1}, "invalid_body"),
    ],
)
def test_host_token_bad_input_is_422_and_writes_nothing(client, box, body, code):
    ids = {"REG": box["reg"]["id"], "PASS": box["pass"]["id"]}
    if "services" in body:
        body = {**body, "services": [ids.get(s, s) for s in body["services"]]}
    before = table_count(client.application.extensions["qode_db"], "host_tokens")
    response = client.post("/api/host-tokens", json=body, headers=admin())
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["code"] == code
    assert table_count(client.application.extensions["qode_db"], "host_tokens") == before


def test_revoking_a_host_token(client, box):
    staff = make_token(client, "staff", "services", [box["reg"]["id"]])
    url = f"/api/queues/{box['reg']['id']}/tickets"
    assert client.get(url, headers=staff["headers"]).status_code == 200
    assert client.delete(f"/api/host-tokens/{staff['id']}", headers=staff["headers"]).status_code == 403
    assert client.delete(f"/api/host-tokens/{staff['id']}", headers=box["reg"]["headers"]).status_code == 403
    gone = client.delete(f"/api/host-tokens/{staff['id']}", headers=admin())
    assert gone.status_code == 200 and gone.get_json()["revoked_at"]
    assert client.get(url, headers=staff["headers"]).status_code == 401
    again = client.delete(f"/api/host-tokens/{staff['id']}", headers=admin())
    assert again.status_code == 404 and again.get_json()["error"]["code"] == "host_token_not_found"
    for bad in ("nope", "00000000-0000-4000-8000-000000000000", "%20"):
        assert client.delete(f"/api/host-tokens/{bad}", headers=admin()).status_code == 404
    assert client.delete(f"/api/host-tokens/{staff['id']}").status_code == 401
    listed = {t["id"]: t for t in client.get("/api/host-tokens", headers=admin()).get_json()["tokens"]}
    assert listed[staff["id"]]["revoked_at"] == gone.get_json()["revoked_at"]
    # a service's own token revoked, then rotated by the admin: a working token again
    own = next(t for t in listed.values() if t["services"] == [box["pay"]["id"]] and t["role"] == "manager")
    assert client.delete(f"/api/host-tokens/{own['id']}", headers=admin()).status_code == 200
    assert (
        client.get(f"/api/queues/{box['pay']['id']}/tickets", headers=box["pay"]["headers"]).status_code == 401
    )
    fresh = client.post(f"/api/queues/{box['pay']['id']}/rotate-token", json={}, headers=admin()).get_json()
    assert (
        client.get(f"/api/queues/{box['pay']['id']}/tickets", headers=bearer(fresh["host_token"])).status_code
        == 200
    )


# ---- counters ----------------------------------------------------------------------------------


def test_counter_set_up_and_sessions_with_their_events(client, box, db):
    manager = make_token(client, "manager", "box")
    reg, pas = box["reg"]["id"], box["pass"]["id"]
    made = client.post(
        "/api/counters",
        json={"name": "2", "rule": "weighted", "services": [{"queue_id": pas, "weight": 2}, {"queue_id": reg}]},
        headers=manager["headers"],
    )
    assert made.status_code == 201, made.get_json()
    counter = made.get_json()
    assert counter["is_open"] is False and counter["staff"] is None and counter["rule"] == "weighted"
    assert [(s["queue_id"], s["name"], s["prefix"], s["weight"]) for s in counter["services"]] == [
        (pas, "Passports", "P", 2.0),
        (reg, "Registration", "R", 1.0),
    ]
    assert events_of(db, "counter_opened") == []  # set up, not open yet
    # the counter shows on both services' public state
    for qid in (reg, pas):
        shown = client.get(f"/api/queues/{qid}").get_json()["counters"]
        assert [(c["id"], c["services"], c["is_open"]) for c in shown] == [(counter["id"], [pas, reg], False)]
    staff = make_token(client, "staff", "services", [reg, pas])
    opened = client.post(f"/api/counters/{counter['id']}/open", json={"staff": "Ana"}, headers=staff["headers"])
    assert opened.status_code == 200 and opened.get_json()["is_open"] and opened.get_json()["staff"] == "Ana"
    # the staff name is for the hosts and the day's figures, never on a guest's phone or the TV
    for path in (f"/api/queues/{pas}", f"/api/queues/{reg}", "/api/services"):
        public = client.get(path)
        assert public.status_code == 200 and "Ana" not in public.get_data(as_text=True), path
    evs = events_of(db, "counter_opened")
    assert [e["queue_id"] for e in evs] == [pas, reg]  # one per service, in the counter's order
    assert all(
        e["counter"] == "2"
        and e["counter_id"] == counter["id"]
        and e["staff"] == "Ana"
        and e["services"] == [pas, reg]
        and e["rule"] == "weighted"
        for e in evs
    )
    # the same session again: nothing new
    same = client.post(f"/api/counters/{counter['id']}/open", json={"staff": "Ana"}, headers=staff["headers"])
    assert same.status_code == 200 and len(events_of(db, "counter_opened")) == 2
    # the old path calls at this counter by name
    client.post(f"/api/queues/{reg}/tickets", json={"device_token": "guest-device-reg-0001"})
    called = client.post(f"/api/queues/{reg}/call-next", json={"counter": "2"}, headers=staff["headers"])
    assert called.status_code == 200
    with db.read() as conn:
        assert (
            conn.execute("SELECT counter_id FROM tickets WHERE id = ?", (called.get_json()["id"],)).fetchone()[
                0
            ]
            == counter["id"]
        )
    closed = client.post(
        f"/api/counters/{counter['id']}/close", json={"back_in_minutes": 10}, headers=staff["headers"]
    )
    assert closed.status_code == 200
    body = closed.get_json()
    assert body["is_open"] is False and body["staff"] is None and 595 <= body["back_in_seconds"] <= 600
    evs = events_of(db, "counter_closed")
    assert [(e["queue_id"], e["staff"], e["back_in_seconds"]) for e in evs] == [
        (pas, "Ana", 600),
        (reg, "Ana", 600),
    ]
    # a new session on Registration only, by a new staff member
    solo = client.post(
        f"/api/counters/{counter['id']}/open",
        json={"staff": "Ben", "services": [{"queue_id": reg}]},
        headers=staff["headers"],
    )
    assert solo.status_code == 200 and [s["queue_id"] for s in solo.get_json()["services"]] == [reg]
    last = events_of(db, "counter_opened")[-1]
    assert (last["queue_id"], last["staff"], last["services"]) == (reg, "Ben", [reg])
    listed = client.get("/api/counters", headers=staff["headers"])
    assert listed.status_code == 200 and [c["id"] for c in listed.get_json()["counters"]] == [counter["id"]]
    assert client.get("/api/counters", headers=box["pay"]["headers"]).get_json() == {"counters": []}


def test_changing_an_open_counters_services_tells_each_service(client, box, db):
    reg, pas, pay = box["reg"]["id"], box["pass"]["id"], box["pay"]["id"]
    counter = client.post(
        "/api/counters", json={"name": "5", "services": [{"queue_id": reg}, {"queue_id": pas}]}, headers=admin()
    ).get_json()
    assert client.post(f"/api/counters/{counter['id']}/open", json={}, headers=admin()).status_code == 200
    changed = client.patch(
        f"/api/counters/{counter['id']}",
        json={"services": [{"queue_id": pas}, {"queue_id": pay}]},
        headers=admin(),
    )
    assert changed.status_code == 200
    assert [e["queue_id"] for e in events_of(db, "counter_closed")] == [reg]
    assert [e["queue_id"] for e in events_of(db, "counter_opened")][-1:] == [pay]
    assert [(e["queue_id"], e["services"]) for e in events_of(db, "counter_services")] == [(pas, [pas, pay])]
    renamed = client.patch(f"/api/counters/{counter['id']}", json={"name": "6"}, headers=admin())
    assert renamed.status_code == 409 and renamed.get_json()["error"]["code"] == "counter_open"
    client.post(f"/api/counters/{counter['id']}/close", json={}, headers=admin())
    renamed = client.patch(
        f"/api/counters/{counter['id']}", json={"name": "6", "rule": "weighted"}, headers=admin()
    )
    assert renamed.status_code == 200 and renamed.get_json()["name"] == "6"


def test_counter_bad_input_scope_and_conflicts_write_nothing(app, client, box, db):
    reg, pas, pay = box["reg"]["id"], box["pass"]["id"], box["pay"]["id"]
    first = client.post("/api/counters", json={"name": "2", "services": [{"queue_id": reg}]}, headers=admin())
    assert first.status_code == 201
    counters_before, links_before = table_count(db, "counters"), table_count(db, "counter_services")
    events_before = table_count(db, "events")
    unknown = "00000000-0000-4000-8000-000000000000"
    app.config["MAX_COUNTER_SERVICES"] = 2
    for body, status, code in (
        ({"name": "2", "services": [{"queue_id": pas}, {"queue_id": reg}]}, 409, "counter_name_taken"),
        ({"name": "3", "services": [{"queue_id": unknown}]}, 422, "unknown_service"),
        (
            {"name": "3", "services": [{"queue_id": reg}, {"queue_id": pas}, {"queue_id": pay}]},
            422,
            "too_many_services",
        ),
        ({"name": "3", "services": []}, 422, "invalid_body"),
        ({"name": "3"}, 422, "invalid_body"),
        ({"name": "3", "services": [{"queue_id": reg}, {"queue_id": reg}]}, 422, "invalid_body"),
        ({"name": "3", "services": [{"queue_id": reg, "weight": 0}]}, 422, "invalid_body"),
        ({"name": "3", "services": [{"queue_id": reg, "weight": 101}]}, 422, "invalid_body"),
        ({"name": "3", "services": [{"queue_id": reg, "weight": "2"}]}, 422, "invalid_body"),
        ({"name": "3", "rule": "random", "services": [{"queue_id": reg}]}, 422, "invalid_body"),
        ({"name": "", "services": [{"queue_id": reg}]}, 422, "invalid_body"),
        ({"name": "x" * 33, "services": [{"queue_id": reg}]}, 422, "invalid_body"),
        ({"name": "3", "services": [{"queue_id": "nope"}]}, 422, "invalid_body"),
        ({"name": "3", "services": [{"queue_id": reg}], "is_open": True}, 422, "invalid_body"),
    ):
        response = client.post("/api/counters", json=body, headers=admin())
        assert (response.status_code, response.get_json()["error"]["code"]) == (status, code), body
    # scope: Registration's manager cannot set up a counter that also serves Passports
    outside = client.post(
        "/api/counters",
        json={"name": "4", "services": [{"queue_id": reg}, {"queue_id": pas}]},
        headers=box["reg"]["headers"],
    )
    assert outside.status_code == 403 and outside.get_json()["error"]["code"] == "service_not_in_scope"
    assert client.post("/api/counters", json={"name": "4", "services": [{"queue_id": reg}]}).status_code == 401
    cid = first.get_json()["id"]
    for method, path, body, status, code in (
        ("PATCH", f"/api/counters/{cid}", {}, 422, "invalid_body"),
        ("PATCH", f"/api/counters/{cid}", {"name": None}, 422, "invalid_body"),
        ("PATCH", f"/api/counters/{cid}", {"services": [{"queue_id": unknown}]}, 422, "unknown_service"),
        ("PATCH", f"/api/counters/{unknown}", {"name": "7"}, 404, "counter_not_found"),
        ("PATCH", "/api/counters/nope", {"name": "7"}, 404, "counter_not_found"),
        ("POST", f"/api/counters/{unknown}/open", {}, 404, "counter_not_found"),
        ("POST", f"/api/counters/{cid}/open", {"staff": ""}, 422, "invalid_body"),
        ("POST", f"/api/counters/{cid}/open", {"staff": "x" * 81}, 422, "invalid_body"),
        ("POST", f"/api/counters/{cid}/open", {"services": [{"queue_id": unknown}]}, 422, "unknown_service"),
        ("POST", f"/api/counters/{cid}/open", {"rule": "fastest"}, 422, "invalid_body"),
        ("POST", f"/api/counters/{cid}/close", {"back_in_minutes": 0}, 422, "invalid_body"),
        ("POST", f"/api/counters/{cid}/close", {"back_in_minutes": 481}, 422, "invalid_body"),
        ("POST", f"/api/counters/{unknown}/close", {}, 404, "counter_not_found"),
    ):
        response = client.open(path, method=method, json=body, headers=admin())
        assert (response.status_code, response.get_json()["error"]["code"]) == (status, code), (path, body)
    # a second counter "2" on Passports is fine; moving counter "2" of Registration there is not
    other = client.post("/api/counters", json={"name": "2", "services": [{"queue_id": pas}]}, headers=admin())
    assert other.status_code == 201
    taken = client.post(
        f"/api/counters/{cid}/open", json={"services": [{"queue_id": reg}, {"queue_id": pas}]}, headers=admin()
    )
    assert taken.status_code == 409 and taken.get_json()["error"]["code"] == "counter_name_taken"
    taken = client.patch(f"/api/counters/{cid}", json={"services": [{"queue_id": pas}]}, headers=admin())
    assert taken.status_code == 409
    # a staff token of Passports only: may not open or close Registration's counter, nor set it up
    staff = make_token(client, "staff", "services", [pas])
    for path in (f"/api/counters/{cid}/open", f"/api/counters/{cid}/close"):
        refused = client.post(path, json={}, headers=staff["headers"])
        assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "service_not_in_scope"
    assert (
        client.patch(f"/api/counters/{cid}", json={"rule": "weighted"}, headers=staff["headers"]).status_code
        == 403
    )
    assert (
        client.patch(
            f"/api/counters/{cid}", json={"rule": "weighted"}, headers=box["pass"]["headers"]
        ).status_code
        == 403
    )  # Passports' manager: not its counter
    assert (table_count(db, "counters"), table_count(db, "counter_services")) == (
        counters_before + 1,
        links_before + 1,
    )
    assert table_count(db, "events") == events_before
    shown = client.get(f"/api/counters/{cid}/open")
    assert shown.status_code == 405


def test_open_is_idempotent_with_a_key(client, box, db):
    reg = box["reg"]["id"]
    counter = client.post(
        "/api/counters", json={"name": "8", "services": [{"queue_id": reg}]}, headers=admin()
    ).get_json()
    headers = {**box["reg"]["headers"], "Idempotency-Key": "open-counter-8-once"}
    first = client.post(f"/api/counters/{counter['id']}/open", json={"staff": "Ana"}, headers=headers)
    client.post(f"/api/counters/{counter['id']}/close", json={}, headers=box["reg"]["headers"])
    replay = client.post(f"/api/counters/{counter['id']}/open", json={"staff": "Ana"}, headers=headers)
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.get_json() == first.get_json()
    assert len(events_of(db, "counter_opened")) == 1


# ---- device services -----------------------------------------------------------------------------


def test_a_kiosk_covering_two_services_issues_for_both_and_says_so(client, box, db):
    reg, pas, pay = box["reg"]["id"], box["pass"]["id"], box["pay"]["id"]
    manager = make_token(client, "manager", "services", [reg, pas])
    made = client.post(
        f"/api/queues/{reg}/devices", json={"name": "Door", "services": [pas]}, headers=manager["headers"]
    )
    assert made.status_code == 201, made.get_json()
    kiosk = made.get_json()
    assert kiosk["services"] == [reg, pas]  # its home service first
    me = client.get("/api/device", headers=bearer(kiosk["token"])).get_json()
    assert me["queue_id"] == reg and me["services"] == [
        {"id": reg, "name": "Registration", "prefix": "R"},
        {"id": pas, "name": "Passports", "prefix": "P"},
    ]
    took = client.post(f"/api/queues/{pas}/tickets", json={}, headers=bearer(kiosk["token"]))
    assert took.status_code == 201 and took.get_json()["source"] == "kiosk"
    refused = client.post(f"/api/queues/{pay}/tickets", json={}, headers=bearer(kiosk["token"]))
    assert refused.status_code == 403
    before = table_count(db, "devices"), table_count(db, "device_services")
    for headers, body, status, code in (
        (manager["headers"], {"name": "X", "services": [pay]}, 403, "service_not_in_scope"),
        (admin(), {"name": "X", "services": ["00000000-0000-4000-8000-000000000000"]}, 422, "unknown_service"),
        (admin(), {"name": "X", "services": [pas, pas]}, 422, "invalid_body"),
        (admin(), {"name": "X", "services": "all"}, 422, "invalid_body"),
        (admin(), {"name": "X", "services": ["nope"]}, 422, "invalid_body"),
    ):
        response = client.post(f"/api/queues/{reg}/devices", json=body, headers=headers)
        assert (response.status_code, response.get_json()["error"]["code"]) == (status, code), body
    assert (table_count(db, "devices"), table_count(db, "device_services")) == before
    # listing its home service again is the same as leaving it out
    same = client.post(
        f"/api/queues/{reg}/devices",
        json={"name": "TV", "kind": "display", "services": [pas, reg]},
        headers=admin(),
    )
    assert same.status_code == 201 and same.get_json()["services"] == [pas, reg]


def snapshot(db) -> str:
    with db.read() as conn:
        return "\n".join(conn.iterdump())


def test_a_kiosks_services_change_after_registration_and_its_token_stays(client, box, db):
    # A venue adds Payments to the door kiosk: same token, the kiosk now issues there, the list
    # and the kiosk itself say so, and the host's log has one device_changed event.
    reg, pas, pay = box["reg"]["id"], box["pass"]["id"], box["pay"]["id"]
    kiosk = client.post(f"/api/queues/{reg}/devices", json={"name": "Door", "services": [pas]},
                        headers=admin()).get_json()
    path = f"/api/queues/{reg}/devices/{kiosk['id']}"
    assert client.post(f"/api/queues/{pay}/tickets", json={}, headers=bearer(kiosk["token"])).status_code == 403
    changed = client.patch(path, json={"services": [pay, pas]}, headers=admin())
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert [s["id"] for s in body["services"]] == [reg, pay, pas]  # its home service first, as at registration
    assert body["name"] == "Door" and "token" not in body and "token_hash" not in body
    me = client.get("/api/device", headers=bearer(kiosk["token"])).get_json()
    assert [s["name"] for s in me["services"]] == ["Registration", "Payments", "Passports"]
    took = client.post(f"/api/queues/{pay}/tickets", json={}, headers=bearer(kiosk["token"]))
    assert took.status_code == 201 and took.get_json()["source"] == "kiosk"
    listed = client.get(f"/api/queues/{reg}/devices", headers=admin()).get_json()["devices"]
    assert [s["id"] for s in listed[0]["services"]] == [reg, pay, pas]
    # dropping Passports and renaming; listing the home service elsewhere puts it there
    again = client.patch(path, json={"name": "Front door", "services": [pay, reg]}, headers=admin())
    assert again.get_json()["name"] == "Front door"
    assert [s["id"] for s in again.get_json()["services"]] == [pay, reg]
    assert client.post(f"/api/queues/{pas}/tickets", json={}, headers=bearer(kiosk["token"])).status_code == 403
    log = events_of(db, "device_changed")
    assert [(e["queue_id"], e["name"], e["services"]) for e in log] == [
        (reg, "Door", [reg, pay, pas]), (reg, "Front door", [pay, reg])]
    # nothing to change: the device as it is, no event
    same = client.patch(path, json={"services": [pay, reg]}, headers=admin())
    assert same.status_code == 200 and len(events_of(db, "device_changed")) == 2
    nothing = client.patch(path, json={}, headers=admin())
    assert nothing.status_code == 200 and nothing.get_json()["name"] == "Front door"


def test_changing_a_device_bad_input_scope_and_role_write_nothing(client, box, db):
    reg, pas, pay = box["reg"]["id"], box["pass"]["id"], box["pay"]["id"]
    kiosk = client.post(f"/api/queues/{reg}/devices", json={"name": "Door", "services": [pas]},
                        headers=admin()).get_json()
    other = client.post(f"/api/queues/{pay}/devices", json={"name": "Elsewhere"}, headers=admin()).get_json()
    gone = client.post(f"/api/queues/{reg}/devices", json={"name": "Old"}, headers=admin()).get_json()
    assert client.delete(f"/api/queues/{reg}/devices/{gone['id']}", headers=admin()).status_code == 200
    manager = make_token(client, "manager", "services", [reg, pas])
    staff = make_token(client, "staff", "box")
    path = f"/api/queues/{reg}/devices/{kiosk['id']}"
    before = snapshot(db)
    for url, headers, body, status, code in (
        (path, manager["headers"], {"services": [pay]}, 403, "service_not_in_scope"),
        (path, staff["headers"], {"name": "X"}, 403, "manager_only"),
        (path, box["pay"]["headers"], {"name": "X"}, 403, "forbidden"),
        (path, admin(), {"services": ["00000000-0000-4000-8000-000000000000"]}, 422, "unknown_service"),
        (path, admin(), {"services": [pas, pas]}, 422, "invalid_body"),
        (path, admin(), {"services": []}, 422, "invalid_body"),
        (path, admin(), {"services": "all"}, 422, "invalid_body"),
        # at most 64 (a kiosk's screen; and the change's event stays within the hub's 4 KiB)
        (path, admin(), {"services": [f"00000000-0000-4000-8000-{i:012d}" for i in range(65)]}, 422,
         "invalid_body"),
        (path, admin(), {"services": None, "name": ""}, 422, "invalid_body"),
        (path, admin(), {"name": "x" * 81}, 422, "invalid_body"),
        (path, admin(), {"name": "Door\u0007\u0000"}, 422, "invalid_body"),  # control characters
        (path, admin(), {"name": 5}, 422, "invalid_body"),
        (path, admin(), {"kind": "display"}, 422, "invalid_body"),
        (path, admin(), [], 422, "invalid_body"),
        (f"/api/queues/{reg}/devices/{other['id']}", admin(), {"name": "X"}, 404, "device_not_found"),
        (f"/api/queues/{reg}/devices/{gone['id']}", admin(), {"name": "X"}, 404, "device_not_found"),
        (f"/api/queues/{reg}/devices/not-an-id", admin(), {"name": "X"}, 404, "device_not_found"),
    ):
        response = client.patch(url, json=body, headers=headers)
        assert (response.status_code, response.get_json()["error"]["code"]) == (status, code), (body, headers)
    assert snapshot(db) == before
    # a manager over both services may; the home service's own token (its manager) may once the
    # kiosk covers nothing beyond it
    assert client.patch(path, json={"name": "Door 2"}, headers=box["reg"]["headers"]).status_code == 403
    fine = client.patch(path, json={"services": [reg]}, headers=manager["headers"])
    assert fine.status_code == 200 and [s["id"] for s in fine.get_json()["services"]] == [reg]
    own = client.patch(path, json={"name": "Door 2"}, headers=box["reg"]["headers"])
    assert own.status_code == 200 and own.get_json()["name"] == "Door 2"


def test_the_max_counter_services_setting():
    names = [s.name for s in config.SETTINGS]
    assert "QODE_MAX_COUNTER_SERVICES" in names
    assert config.load(overrides={"QODE_MAX_COUNTER_SERVICES": "off"})["MAX_COUNTER_SERVICES"] is None
    assert config.load(overrides={"QODE_MAX_COUNTER_SERVICES": "3"})["MAX_COUNTER_SERVICES"] == 3
    assert config.load(overrides={})["MAX_COUNTER_SERVICES"] == 8
    with pytest.raises(config.SettingError):
        config.load(overrides={"QODE_MAX_COUNTER_SERVICES": "0"})


# ---- a revoked token's sockets close (real server) ----------------------------------------------


def test_revoking_a_host_token_closes_its_sockets(tmp_path):
    WsClient = ws_client_class()
    proc = ServerProcess(tmp_path / "served").start()
    try:
        queue = requests.post(
            f"{proc.url}/api/queues", json={"name": "Door"}, headers=admin(), timeout=5
        ).json()
        made = requests.post(
            f"{proc.url}/api/host-tokens",
            json={"name": "Desk tablet", "role": "staff", "scope": "services", "services": [queue["id"]]},
            headers=admin(),
            timeout=5,
        )
        assert made.status_code == 201
        token = made.json()
        url = proc.url.replace("http://", "ws://") + f"/ws/host/{queue['id']}"
        ws = WsClient.connect(url)
        ws.send(json.dumps({"type": "auth", "token": token["token"]}))
        assert json.loads(ws.receive(timeout=5))["type"] == "snapshot"
        keeper = WsClient.connect(url)  # the service's own token: stays open
        keeper.send(json.dumps({"type": "auth", "token": queue["host_token"]}))
        assert json.loads(keeper.receive(timeout=5))["type"] == "snapshot"
        gone = requests.delete(f"{proc.url}/api/host-tokens/{token['id']}", headers=admin(), timeout=5)
        assert gone.status_code == 200
        closed = False
        deadline = time.monotonic() + 5
        try:
            while time.monotonic() < deadline:
                ws.receive(timeout=0.2)
        except ConnectionClosed:
            closed = True
        assert closed, "the revoked token's socket stayed open"
        again = WsClient.connect(url)
        again.send(json.dumps({"type": "auth", "token": token["token"]}))
        with pytest.raises(ConnectionClosed) as refused:
            while True:
                again.receive(timeout=5)
        assert refused.value.reason == 4401
        keeper.send(json.dumps({"type": "ping"}))
        assert json.loads(keeper.receive(timeout=5))["type"] == "pong"
        # Rotating the service's own token ends its open sockets too (they carry ticket ids)
        rotated = requests.post(f"{proc.url}/api/queues/{queue['id']}/rotate-token", json={},
                                headers=bearer(queue["host_token"]), timeout=5)
        assert rotated.status_code == 200
        ended = False
        deadline = time.monotonic() + 5
        try:
            while time.monotonic() < deadline:
                keeper.receive(timeout=0.2)
        except ConnectionClosed:
            ended = True
        assert ended, "the rotated-away token's socket stayed open"
        fresh = WsClient.connect(url)
        fresh.send(json.dumps({"type": "auth", "token": rotated.json()["host_token"]}))
        assert json.loads(fresh.receive(timeout=5))["type"] == "snapshot"
        fresh.close()
    finally:
        proc.stop()
    assert "Traceback" not in proc.log.read_text()


# ---- a shared counter is acted on only by a token covering all it serves (review of issue 15) ----

def test_a_token_for_one_service_cannot_take_over_or_end_another_services_counter(client, box, db):
    """Counter ids are public. A staff token for Registration must not open Passports' counter for
    itself (that would end Passports' session and strand its guest), nor, through the old
    per-service paths, call at or close a counter that also serves Payments: each would end or
    stop another service's work. Every refusal is 403 service_not_in_scope with nothing written."""
    reg, pas, pay = box["reg"]["id"], box["pass"]["id"], box["pay"]["id"]
    made = client.post("/api/counters", json={"name": "Desk", "services": [{"queue_id": pas}]}, headers=admin())
    desk = made.get_json()
    assert client.post(f"/api/counters/{desk['id']}/open", json={"staff": "Ben"},
                       headers=box["pass"]["headers"]).status_code == 200
    shared = client.post("/api/counters", json={"name": "Shared", "services": [
        {"queue_id": reg}, {"queue_id": pay}]}, headers=admin()).get_json()
    assert client.post(f"/api/counters/{shared['id']}/open", json={}, headers=admin()).status_code == 200
    client.post(f"/api/queues/{pay}/tickets", json={"device_token": "guest-device-pay-0001"})
    held = client.post(f"/api/queues/{pay}/call-next", json={"counter_id": shared["id"]}, headers=admin())
    assert held.status_code == 200
    client.post(f"/api/queues/{reg}/tickets", json={"device_token": "guest-device-reg-0001"})
    reg_staff = make_token(client, "staff", "services", [reg])
    held_url = f"/api/tickets/{held.get_json()['id']}"
    before = (table_count(db, "events"), client.get(held_url).get_json()["status"])

    attempts = [
        ("POST", f"/api/counters/{desk['id']}/open", {"services": [{"queue_id": reg}]}),
        ("POST", f"/api/queues/{reg}/call-next", {"counter_id": shared["id"]}),
        ("POST", f"/api/queues/{reg}/call-next", {"counter": "Shared"}),
        ("POST", f"/api/queues/{reg}/counters", {"counter": "Shared", "open": False}),
    ]
    for method, path, body in attempts:
        refused = client.open(path, method=method, json=body, headers=reg_staff["headers"])
        assert refused.status_code == 403, (path, body, refused.get_json())
        assert refused.get_json()["error"]["code"] == "service_not_in_scope", (path, body)
    after = (table_count(db, "events"), client.get(held_url).get_json()["status"])
    assert after == before == (before[0], "CALLED")  # Payments' guest is still called, nothing logged
    mine = client.get("/api/counters", headers=admin()).get_json()["counters"]
    still = next(c for c in mine if c["id"] == desk["id"])
    assert still["is_open"] and still["staff"] == "Ben"
    assert [s["queue_id"] for s in still["services"]] == [pas]
    # a token covering both services may: the counter's own path and the old one
    both = make_token(client, "staff", "services", [reg, pay])
    called = client.post(f"/api/queues/{reg}/call-next", json={"counter_id": shared["id"]},
                         headers=both["headers"])
    assert called.status_code == 200
    assert [e["id"] for e in called.get_json()["ended"]] == [held.get_json()["id"]]
