"""One HTTP test per endpoint of the contract, plus the error shape and headers."""

from __future__ import annotations

import re

import pytest

from helpers import admin

DEVICE = "device-token-0000001"


def join(client, queue_id, device=DEVICE, **kw):
    return client.post(f"/api/queues/{queue_id}/tickets", json={"device_token": device}, **kw)


def test_error_shape_is_pinned(client):
    """Every API error is {"error": {"code": snake_case, "message": text}} and nothing else."""
    responses = [
        client.get("/api/nowhere"),
        client.delete("/healthz"),
        client.post("/api/queues"),
        client.get("/api/queues/not-a-uuid"),
        client.post("/api/queues", data="{", content_type="application/json", headers=admin()),
    ]
    for response in responses:
        assert response.status_code >= 400
        assert response.mimetype == "application/json"
        body = response.get_json()
        assert set(body) == {"error"}
        assert set(body["error"]) == {"code", "message"}
        assert re.fullmatch(r"[a-z][a-z0-9_]*", body["error"]["code"])
        assert body["error"]["message"]


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["db"] == "ok" and body["version"]


def test_openapi_document_lists_every_route(client, app):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    documented = {
        (method.upper(), path) for path, item in doc["paths"].items() for method in item
    }
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("pages.") or rule.rule.startswith("/ws/"):
            continue  # pages are HTML (tests/test_pages.py); sockets are in docs/live.md, not OpenAPI
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            served.add((method, path))
    assert served == documented


def test_every_path_template_is_declared_as_a_path_parameter(client):
    """OpenAPI 3.1: each {name} in a path is a required `in: path` parameter of every operation under
    it (DELETE /api/queues/{queue_id}/devices/{device_id} lacked device_id)."""
    doc = client.get("/api/openapi.json").get_json()
    missing = []
    for path, item in doc["paths"].items():
        names = set(re.findall(r"{([^}]+)}", path))
        for method, operation in item.items():
            declared = {p["name"] for p in operation.get("parameters", [])
                        if p.get("in") == "path" and p.get("required") is True}
            missing += [f"{method.upper()} {path}: {name}" for name in sorted(names - declared)]
            extra = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"} - names
            missing += [f"{method.upper()} {path}: {name} (not in the path)" for name in sorted(extra)]
    assert missing == []
    assert any("{device_id}" in path for path in doc["paths"])  # the case this was written for


def test_openapi_documents_the_errors_any_path_can_answer(client):
    """A slow client's 408 and a full disk's 503 can meet any path; /healthz's 503 is its own body."""
    doc = client.get("/api/openapi.json").get_json()
    error = {"$ref": "#/components/schemas/Error"}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert op["responses"]["408"]["content"]["application/json"]["schema"] == error, (method, path)
            expected = {"$ref": "#/components/schemas/Health"} if path == "/healthz" else error
            assert op["responses"]["503"]["content"]["application/json"]["schema"] == expected, (method, path)


def test_create_queue(client):
    response = client.post("/api/queues", json={"name": "Town hall", "prefix": "B"}, headers=admin())
    assert response.status_code == 201
    body = response.get_json()
    assert body["name"] == "Town hall" and body["prefix"] == "B"
    assert body["active"] is True and body["is_paused"] is False
    assert len(body["host_token"]) >= 40
    assert body["host_url"].endswith(f"/host/{body['id']}#token={body['host_token']}")


def test_host_token_is_stored_only_as_hash(client, db, queue):
    with db.read() as conn:
        dump = "\n".join(conn.iterdump())
    assert queue["host_token"] not in dump


def test_get_queue_public_state(client, queue):
    join(client, queue["id"])
    body = client.get(f"/api/queues/{queue['id']}").get_json()
    assert body["waiting_count"] == 1
    assert body["now_serving"] is None
    assert "host_token" not in body and "host_token_hash" not in body
    # one guest ahead and an idle counter: that guest goes now, a joiner waits one cycle
    assert body["eta_seconds"] == body["avg_wait_time"] == 300


def test_patch_queue(client, queue):
    url = f"/api/queues/{queue['id']}"
    body = client.patch(url, json={"is_paused": True, "name": "Desk"}, headers=queue["headers"])
    assert body.status_code == 200
    assert body.get_json()["is_paused"] is True and body.get_json()["name"] == "Desk"
    assert join(client, queue["id"]).status_code == 409
    client.patch(url, json={"is_paused": False, "active": False}, headers=queue["headers"])
    refused = join(client, queue["id"])
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "queue_closed"


def test_rotate_token(client, queue):
    url = f"/api/queues/{queue['id']}/rotate-token"
    response = client.post(url, headers=queue["headers"])
    assert response.status_code == 200
    new = response.get_json()["host_token"]
    assert new != queue["host_token"]
    old = client.post(url, headers=queue["headers"])
    assert old.status_code == 401
    assert client.get(f"/api/queues/{queue['id']}/tickets",
                      headers={"Authorization": f"Bearer {new}"}).status_code == 200


def test_join_and_rejoin(client, queue):
    first = join(client, queue["id"])
    assert first.status_code == 201
    ticket = first.get_json()
    assert ticket["position_number"] == 1 and ticket["display_number"] == "A001"
    assert ticket["status"] == "WAITING" and ticket["people_ahead"] == 0
    assert ticket["source"] == "web"
    again = join(client, queue["id"])
    assert again.status_code == 200
    assert again.get_json()["id"] == ticket["id"]


def test_rejoin_beats_pause(client, queue):
    """DESIGN: the device's active ticket is returned before the paused/closed rule."""
    ticket = join(client, queue["id"]).get_json()
    client.patch(f"/api/queues/{queue['id']}", json={"active": False}, headers=queue["headers"])
    again = join(client, queue["id"])
    assert again.status_code == 200 and again.get_json()["id"] == ticket["id"]


def test_get_ticket(client, queue):
    join(client, queue["id"], "device-token-aaaaaaa1")
    second = join(client, queue["id"], "device-token-aaaaaaa2").get_json()
    body = client.get(f"/api/tickets/{second['id']}").get_json()
    assert body["people_ahead"] == 1
    assert body["eta_seconds"] == 300  # the one ahead goes to the idle counter now; then one cycle
    assert client.get("/api/tickets/00000000-0000-4000-8000-000000000000").status_code == 404


def test_cancel_by_holder(client, queue):
    ticket = join(client, queue["id"]).get_json()
    response = client.post(f"/api/tickets/{ticket['id']}/cancel")
    assert response.status_code == 200
    assert response.get_json()["status"] == "CANCELLED"
    assert response.get_json()["reason"] == "cancelled_by_guest"
    again = client.post(f"/api/tickets/{ticket['id']}/cancel")
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "illegal_transition"


def test_cancel_by_host(client, queue):
    ticket = join(client, queue["id"]).get_json()
    response = client.post(f"/api/tickets/{ticket['id']}/cancel", headers=queue["headers"])
    assert response.get_json()["reason"] == "cancelled_by_host"


def test_list_tickets(client, queue):
    for n in range(3):
        join(client, queue["id"], f"device-token-list{n:04d}")
    client.post(f"/api/queues/{queue['id']}/call-next", headers=queue["headers"])
    url = f"/api/queues/{queue['id']}/tickets"
    everything = client.get(url, headers=queue["headers"]).get_json()["tickets"]
    assert [t["position_number"] for t in everything] == [1, 2, 3]
    assert [t["people_ahead"] for t in everything] == [0, 0, 1]
    waiting = client.get(url + "?status=WAITING", headers=queue["headers"]).get_json()["tickets"]
    assert [t["position_number"] for t in waiting] == [2, 3]
    bad = client.get(url + "?status=LOST", headers=queue["headers"])
    assert bad.status_code == 422


def public_counter(counter: dict) -> dict:
    """A counter of a queue's state as before issue 15 (which adds id, services, rule and staff)."""
    return {key: counter[key] for key in ("name", "is_open", "back_in_seconds")}


def test_call_next(client, queue):
    join(client, queue["id"])
    response = client.post(f"/api/queues/{queue['id']}/call-next", json={"counter": "2"},
                           headers=queue["headers"])
    assert response.status_code == 200
    called = response.get_json()
    assert called["status"] == "CALLED" and called["counter"] == "2"
    state = client.get(f"/api/queues/{queue['id']}").get_json()
    assert state["current_position"] == 1 and state["now_serving"] == "A001"
    assert [public_counter(c) for c in state["counters"]] == [
        {"name": "2", "is_open": True, "back_in_seconds": None}]
    empty = client.post(f"/api/queues/{queue['id']}/call-next", headers=queue["headers"])
    assert empty.status_code == 409 and empty.get_json()["error"]["code"] == "nobody_waiting"


def test_counters(client, queue):
    url = f"/api/queues/{queue['id']}/counters"
    body = client.post(url, json={"counter": "3", "open": False}, headers=queue["headers"])
    assert body.status_code == 200
    assert [public_counter(c) for c in body.get_json()["counters"]] == [
        {"name": "3", "is_open": False, "back_in_seconds": None}]
    join(client, queue["id"])
    refused = client.post(f"/api/queues/{queue['id']}/call-next", json={"counter": "3"},
                          headers=queue["headers"])
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "counter_closed"
    client.post(url, json={"counter": "3", "open": True}, headers=queue["headers"])
    ok = client.post(f"/api/queues/{queue['id']}/call-next", json={"counter": "3"},
                     headers=queue["headers"])
    assert ok.status_code == 200


def test_devices_and_kiosk_issuance(client, queue):
    response = client.post(f"/api/queues/{queue['id']}/devices",
                           json={"name": "Door kiosk", "kind": "kiosk"}, headers=queue["headers"])
    assert response.status_code == 201
    kiosk = {"Authorization": f"Bearer {response.get_json()['token']}"}
    first = client.post(f"/api/queues/{queue['id']}/tickets", json={}, headers=kiosk)
    second = client.post(f"/api/queues/{queue['id']}/tickets", json={}, headers=kiosk)
    assert first.status_code == second.status_code == 201
    assert first.get_json()["source"] == "kiosk"
    assert second.get_json()["position_number"] == 2
    # a kiosk token is not a host credential
    assert client.post(f"/api/queues/{queue['id']}/call-next", headers=kiosk).status_code == 403


@pytest.mark.parametrize("move,start,end", [
    ("serve", "CALLED", "SERVING"),
    ("complete", "CALLED", "COMPLETED"),
    ("no-show", "CALLED", "NO_SHOW"),
    ("requeue", "CALLED", "WAITING"),
    ("recall", "WAITING", "CALLED"),
    ("recall", "CALLED", "CALLED"),
])
def test_ticket_moves(client, queue, move, start, end):
    ticket = join(client, queue["id"]).get_json()
    if start == "CALLED":
        client.post(f"/api/queues/{queue['id']}/call-next", headers=queue["headers"])
    response = client.post(f"/api/tickets/{ticket['id']}/{move}", headers=queue["headers"])
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == end


def test_security_headers(client, queue):
    for response in (client.get("/healthz"), client.get(f"/api/queues/{queue['id']}"),
                     client.get("/api/missing")):
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_pause_with_a_hint_reaches_guests_and_the_display(client, queue):
    first = join(client, queue["id"], "device-token-hint0001").get_json()
    assert first["eta_seconds"] == 0  # an idle counter: next
    url = f"/api/queues/{queue['id']}"
    paused = client.patch(url, json={"is_paused": True, "back_in_minutes": 10}, headers=queue["headers"])
    state = paused.get_json()
    assert paused.status_code == 200 and state["is_paused"] is True
    assert 595 <= state["back_in_seconds"] <= 600
    assert 595 <= client.get(f"/api/tickets/{first['id']}").get_json()["eta_seconds"] <= 600
    # a new hint while paused replaces the old one
    again = client.patch(url, json={"is_paused": True, "back_in_minutes": 2}, headers=queue["headers"])
    assert 115 <= again.get_json()["back_in_seconds"] <= 120
    resumed = client.patch(url, json={"is_paused": False}, headers=queue["headers"]).get_json()
    assert resumed["back_in_seconds"] is None
    assert client.get(f"/api/tickets/{first['id']}").get_json()["eta_seconds"] == 0


def test_counter_break_with_a_hint(client, queue):
    url = f"/api/queues/{queue['id']}/counters"
    client.post(url, json={"counter": "1", "open": True}, headers=queue["headers"])
    client.post(url, json={"counter": "2", "open": True}, headers=queue["headers"])
    state = client.post(url, json={"counter": "2", "open": False, "back_in_minutes": 15},
                        headers=queue["headers"]).get_json()
    assert public_counter(state["counters"][0]) == {"name": "1", "is_open": True, "back_in_seconds": None}
    assert state["counters"][1]["name"] == "2" and 895 <= state["counters"][1]["back_in_seconds"] <= 900
    assert state["back_in_seconds"] is None  # the line still moves at counter 1
    # everyone closed, with a hint: the whole line waits for it
    closed = client.post(url, json={"counter": "1", "open": False, "back_in_minutes": 5},
                         headers=queue["headers"]).get_json()
    assert 295 <= closed["back_in_seconds"] <= 300
    reopened = client.post(url, json={"counter": "2", "open": True}, headers=queue["headers"]).get_json()
    assert reopened["back_in_seconds"] is None and reopened["counters"][1]["back_in_seconds"] is None


def test_grace_period_and_eta_margin_settings(client, queue):
    url = f"/api/queues/{queue['id']}"
    for i in range(4):
        join(client, queue["id"], f"device-token-marg{i:04d}")
    plain = client.get(url).get_json()
    assert plain["grace_period"] is None and plain["eta_margin"] == 0  # the fixture turned it off
    set_ = client.patch(url, json={"grace_period": 90, "eta_margin": 0.5}, headers=queue["headers"]).get_json()
    assert set_["grace_period"] == 90 and set_["eta_margin"] == 0.5
    assert set_["eta_seconds"] > plain["eta_seconds"]  # the margin makes the promise later
    off = client.patch(url, json={"grace_period": 0, "eta_margin": 0}, headers=queue["headers"]).get_json()
    assert off["grace_period"] is None and off["eta_seconds"] == plain["eta_seconds"]


def test_a_new_queue_has_the_default_margin(client):
    made = client.post("/api/queues", json={"name": "Fresh"}, headers=admin()).get_json()
    assert made["eta_margin"] == 0.2  # see docs/benchmarks.md, "ETA replay"


def test_qr_codes_are_svg_rendered_on_the_box(client, queue):
    ticket = join(client, queue["id"], "device-token-qrcode01").get_json()
    for url in (f"/api/queues/{queue['id']}/join-qr.svg", f"/api/tickets/{ticket['id']}/qr.svg"):
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert response.data.startswith(b"<?xml") and b"<svg" in response.data and b"<path" in response.data
        assert b"http" not in response.data.split(b"<svg", 1)[1].split(b">", 1)[0].replace(
            b"http://www.w3.org/2000/svg", b"")  # nothing to fetch from elsewhere
    for url in ("/api/queues/not-a-uuid/join-qr.svg", f"/api/tickets/{queue['id']}/qr.svg"):
        missing = client.get(url)
        assert missing.status_code == 404 and "error" in missing.get_json()


def test_list_queues_for_the_admin(client, queue):
    other = client.post("/api/queues", json={"name": "Second desk", "prefix": "B"}, headers=admin()).get_json()
    listed = client.get("/api/queues", headers=admin())
    assert listed.status_code == 200
    names = [(q["id"], q["name"]) for q in listed.get_json()["queues"]]
    assert names == [(queue["id"], "Front desk"), (other["id"], "Second desk")]
    assert all("host_token" not in q and "host_token_hash" not in q for q in listed.get_json()["queues"])
    assert client.get("/api/queues", headers=queue["headers"]).status_code == 403  # a host is not the admin
    assert client.get("/api/queues").status_code == 401


def test_qr_of_a_link_to_this_box(client, queue):
    link = f"http://localhost/host/{queue['id']}#token={queue['host_token']}"
    drawn = client.post("/api/qr", json={"url": link}, headers=queue["headers"])
    assert drawn.status_code == 200 and drawn.get_json()["svg"].startswith("<?xml")
    assert "<path" in drawn.get_json()["svg"]
    assert client.post("/api/qr", json={"url": link}, headers=admin()).status_code == 200
    elsewhere = client.post("/api/qr", json={"url": "https://example.org/"}, headers=queue["headers"])
    assert elsewhere.status_code == 422 and "this box" in elsewhere.get_json()["error"]["message"]
    assert client.post("/api/qr", json={"url": link}).status_code == 401
