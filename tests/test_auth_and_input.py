"""The auth matrix and bad input on every endpoint: 4xx JSON, and nothing written."""

from __future__ import annotations

import pytest

from qode.api import OPERATIONS

from helpers import admin

DEVICE = "device-token-0000001"
MISSING = "00000000-0000-4000-8000-000000000000"

# A valid body for each operation that takes one.
VALID_BODIES = {
    "/api/tickets/{ticket_id}/phone": {"phone": "+44 7700 900123"},  # issue 16: sms
    "/api/queues": {"name": "Second desk"},
    "/api/queues/{queue_id}": {"is_paused": True},
    "/api/queues/{queue_id}/tickets": {"device_token": "device-token-fresh001"},
    "/api/queues/{queue_id}/call-next": {"counter": "1"},
    "/api/queues/{queue_id}/counters": {"counter": "2", "open": True},
    "/api/queues/{queue_id}/devices": {"name": "Kiosk", "kind": "kiosk"},
    "/api/clock": {"now": "2026-11-26T10:00:00Z"},
    "/api/qr": {"url": "http://localhost/setup"},
    "/api/device/status": {"printer": "ready"},
    "/api/device/jobs/{job_id}": {"result": "done"},
    "/api/tickets/{ticket_id}/reprint": {},
    # issue 15: model ({queue_id} in a body is the world's queue, as in paths)
    "/api/counters": {"name": "9", "services": [{"queue_id": "{queue_id}"}]},
    "/api/counters/{counter_id}": {"rule": "weighted"},
    "/api/counters/{counter_id}/open": {"staff": "Ana"},
    "/api/counters/{counter_id}/close": {"back_in_minutes": 5},
    "/api/host-tokens": {"name": "Desk", "role": "staff", "scope": "services", "services": ["{queue_id}"]},
    "/api/tickets/{ticket_id}/late": {"use": 1},  # issue 16
}
# Operations for the whole box: any queue's host may use them, so "a token for something else"
# is a display's token there. issue 15: any host may list counters (those of its services) and
# try to set one up (refused for a service outside its scope, which the matrix's body names).
BOX_WIDE = {"/api/clock", "/api/qr", "/api/counters", "/api/stats",  # /api/stats: its own services
            "/api/sms"}  # issue 16: the modem's health, for any host
# issue 15: model. The 403 codes of scopes and roles (docs/services.md, section 6).
FORBIDDEN_CODES = ("forbidden", "service_not_in_scope", "manager_only", "box_manager_only")
# issue 16: grace. A kiosk of the ticket's service may put a no-show back (its scanner read the
# ticket; tests/test_grace.py checks a kiosk of another service gets 403).
KIOSK_TOO = {"/api/tickets/{ticket_id}/return"}


def body_for(op, world) -> dict:
    """VALID_BODIES' body of `op`, with "{queue_id}" replaced by the world's queue."""
    import json

    return json.loads(json.dumps(VALID_BODIES.get(op.path, {})).replace("{queue_id}", world["queue"]["id"]))


def snapshot(db) -> str:
    with db.read() as conn:
        return "\n".join(conn.iterdump())


@pytest.fixture
def world(client, queue):
    """A queue with one called and one waiting ticket, and a second queue."""
    client.post(f"/api/queues/{queue['id']}/tickets", json={"device_token": DEVICE})
    waiting = client.post(f"/api/queues/{queue['id']}/tickets",
                          json={"device_token": "device-token-0000002"}).get_json()
    client.post(f"/api/queues/{queue['id']}/call-next", headers=queue["headers"])
    # issue 15: model. The counter that call made ("1") and a host token to revoke.
    counter = client.get(f"/api/queues/{queue['id']}").get_json()["counters"][0]
    token = client.post("/api/host-tokens", json={"name": "Spare", "role": "staff", "scope": "box"},
                        headers=admin()).get_json()
    other = client.post("/api/queues", json={"name": "Other"}, headers=admin()).get_json()
    display = client.post(f"/api/queues/{queue['id']}/devices", json={"name": "TV", "kind": "display"},
                          headers=queue["headers"]).get_json()
    # A kiosk with a printer, and the print job of a ticket it issued.
    kiosk = client.post(f"/api/queues/{queue['id']}/devices", json={"name": "Door"},
                        headers=queue["headers"]).get_json()
    kiosk["headers"] = {"Authorization": f"Bearer {kiosk['token']}"}
    reported = client.post("/api/device/status", json={"printer": "ready"}, headers=kiosk["headers"])
    assert reported.status_code == 200
    job = client.post(f"/api/queues/{queue['id']}/tickets", json={},
                      headers=kiosk["headers"]).get_json()["print_job"]
    return {"queue": queue, "ticket": waiting, "other": other, "display": display, "kiosk": kiosk, "job": job,
            "counter": counter, "token": token}


def url_for(op, world, queue_id=None, ticket_id=None) -> str:
    return op.path.replace("{queue_id}", queue_id or world["queue"]["id"]).replace(
        "{ticket_id}", ticket_id or world["ticket"]["id"]).replace("{job_id}", world["job"]["id"]).replace(
        "{counter_id}", world["counter"]["id"]).replace("{token_id}", world["token"]["id"]).replace(
        "{device_id}", world["display"]["id"])


def protected():
    return [op for op in OPERATIONS if op.auth in ("admin", "host", "device")]


@pytest.mark.parametrize("op", protected(), ids=lambda op: f"{op.method} {op.path}")
@pytest.mark.parametrize("credential,status", [
    (None, 401),
    ("Basic dXNlcjpwYXNz", 401),
    ("Bearer", 401),
    ("Bearer short", 401),
    ("Bearer has spaces in the token value", 401),
    ("Bearer wrong-token-0123456789abcdefghij", 401),
    ("other-queue", 403),
])
def test_auth_matrix(client, db, world, op, credential, status):
    headers = {}
    if credential == "other-queue":
        wrong = world["display"]["token"] if op.path in BOX_WIDE else world["other"]["host_token"]
        if op.auth == "device":
            wrong = world["queue"]["host_token"]  # a host is not a kiosk
        headers["Authorization"] = f"Bearer {wrong}"
    elif credential is not None:
        headers["Authorization"] = credential
    before = snapshot(db)
    response = client.open(url_for(op, world), method=op.method,
                           json=body_for(op, world) if op.method != "GET" else None,
                           headers=headers)
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["code"] in ("unauthorized", "bad_credentials", *FORBIDDEN_CODES)
    assert snapshot(db) == before


def test_kiosk_token_is_not_a_host_token(client, db, world):
    queue = world["queue"]
    kiosk = client.post(f"/api/queues/{queue['id']}/devices", json={"name": "K"},
                        headers=queue["headers"]).get_json()["token"]
    before = snapshot(db)
    for op in protected():
        if op.auth == "device" or op.path in KIOSK_TOO:
            continue  # its own routes; or a host route a kiosk of the service may use too
        response = client.open(url_for(op, world), method=op.method,
                               json=body_for(op, world) if op.method != "GET" else None,
                               headers={"Authorization": f"Bearer {kiosk}"})
        assert response.status_code == 403, (op.path, response.get_json())
    assert snapshot(db) == before


def test_kiosk_of_another_queue_cannot_issue(client, db, world):
    other = world["other"]
    kiosk = client.post(f"/api/queues/{other['id']}/devices", json={"name": "K"},
                        headers={"Authorization": f"Bearer {other['host_token']}"}).get_json()
    before = snapshot(db)
    response = client.post(f"/api/queues/{world['queue']['id']}/tickets", json={},
                           headers={"Authorization": f"Bearer {kiosk['token']}"})
    assert response.status_code == 403
    assert snapshot(db) == before


def body_ops():
    return [op for op in OPERATIONS if isinstance(op.body, type)]  # JSON bodies (the logo's: test_venue.py)


BAD_BODIES = {
    "not an object": ([1, 2], 422),
    "a string": ("name", 422),
    "null": (None, 422),
    "unknown field": ({"surprise": 1}, 422),
}


def headers_for(op, world):
    if op.auth == "admin":
        return admin()
    if op.auth == "host":
        return world["queue"]["headers"]
    if op.auth == "device":
        return world["kiosk"]["headers"]
    return {}


@pytest.mark.parametrize("op", body_ops(), ids=lambda op: f"{op.method} {op.path}")
def test_bad_bodies(client, db, world, op):
    headers = headers_for(op, world)
    url = url_for(op, world)
    before = snapshot(db)
    cases = [
        (dict(data="{not json", content_type="application/json"), 400),
        (dict(data=b"\xff\xfe\x00", content_type="application/json"), 400),
        (dict(data="name=x", content_type="application/x-www-form-urlencoded"), 415),
        (dict(data="<xml/>", content_type="text/xml"), 415),
        (dict(json=[1, 2]), 422),
        (dict(json="just a string"), 422),
        (dict(json={**body_for(op, world), "unknown_field": 1}), 422),
        (dict(data="x" * 20000, content_type="application/json"), 413),
    ]
    for kwargs, status in cases:
        response = client.open(url, method=op.method, headers=headers, **kwargs)
        assert response.status_code == status, (kwargs, response.get_json())
        assert "error" in response.get_json()
    assert snapshot(db) == before


FIELD_CASES = {
    "/api/queues": [
        {},  # name missing
        {"name": ""}, {"name": "   "}, {"name": "x" * 81}, {"name": 5}, {"name": None},
        {"name": "bell\x07"}, {"name": "new\nline"}, {"name": "esc\x1b[2J"}, {"name": "zw\u200b"},
        {"name": "ok", "prefix": "TOOLONG"}, {"name": "ok", "prefix": "A-"}, {"name": ["x"]},
    ],
    "/api/queues/{queue_id}": [
        {}, {"name": ""}, {"name": "x" * 81}, {"active": "yes"}, {"is_paused": 1},
        {"is_paused": "true"}, {"name": "tab\there"},
        {"back_in_minutes": 10}, {"is_paused": False, "back_in_minutes": 10},  # a hint goes with a pause
        {"is_paused": True, "back_in_minutes": 0}, {"is_paused": True, "back_in_minutes": 481},
        {"is_paused": True, "back_in_minutes": "10"}, {"is_paused": True, "back_in_minutes": 1.5},
        {"grace_period": -1}, {"grace_period": 3601}, {"grace_period": "60"}, {"grace_period": 2.5},
        {"eta_margin": -0.1}, {"eta_margin": 2.5}, {"eta_margin": "0.5"}, {"eta_margin": True},
    ],
    "/api/queues/{queue_id}/tickets": [
        {}, {"device_token": "short"}, {"device_token": "x" * 129},
        {"device_token": "has space in token!"}, {"device_token": 1234567890123456789},
        {"device_token": "ctrl\x00char-token-x"},
    ],
    "/api/queues/{queue_id}/call-next": [
        {"counter": ""}, {"counter": "x" * 33}, {"counter": 2}, {"counter": "c\x7f"},
    ],
    "/api/queues/{queue_id}/counters": [
        {}, {"counter": "1"}, {"open": True}, {"counter": "1", "open": "yes"},
        {"counter": "x" * 33, "open": True}, {"counter": "\n", "open": False},
        {"counter": "2", "open": True, "back_in_minutes": 5},  # a hint goes with closing
        {"counter": "2", "open": False, "back_in_minutes": 0},
        {"counter": "2", "open": False, "back_in_minutes": -5},
        {"counter": "2", "open": False, "back_in_minutes": "5"},
    ],
    "/api/queues/{queue_id}/devices": [
        {}, {"name": ""}, {"name": "k", "kind": "printer"}, {"name": "x" * 81},
    ],
    "/api/clock": [
        {}, {"now": None}, {"now": "now"}, {"now": "2026-11-26"}, {"now": "2026-11-26T10:00:00"},
        {"now": "2024-12-31T23:59:59Z"}, {"now": "2026-13-01T10:00:00Z"}, {"now": "2026-04-31T10:00:00Z"},
        {"now": "2026-11-26T10:00:00Z", "tz": "UTC"}, {"now": ["2026-11-26T10:00:00Z"]},
    ],
    "/api/qr": [
        {}, {"url": ""}, {"url": 5}, {"url": "javascript:alert(1)"}, {"url": "http://localhost/" + "x" * 600},
        {"url": "http://elsewhere.example/join/x"}, {"url": "http://localhost/has space"},
        {"url": "http://localhost/x\n"}, {"url": "http://localhost/x", "size": 3},
    ],
    "/api/tickets/{ticket_id}/recall": [{"counter": ""}, {"counter": 3}],
    "/api/tickets/{ticket_id}/serve": [{"counter": "1"}],
    "/api/tickets/{ticket_id}/cancel": [{"reason": "x"}],
    "/api/tickets/{ticket_id}/late": [{}, {"use": 0}, {"use": 11}, {"use": "1"}, {"use": 1.5}, {"use": None},
                                      {"use": 1, "places": 9}, {"use": [1]}],  # issue 16
    "/api/device/status": [
        {}, {"printer": "on fire"}, {"printer": None}, {"printer": 1}, {"printer": "READY"},
        {"printer": "ready", "detail": ""}, {"printer": "ready", "detail": "x" * 201},
        {"printer": "ready", "detail": "esc\x1b@"}, {"printer": "ready", "detail": 5},
    ],
    "/api/device/jobs/{job_id}": [
        {}, {"result": "ok"}, {"result": True}, {"result": "failed", "error": "\x1d V"},
        {"result": "failed", "error": "x" * 201}, {"result": "done", "job": "x"},
    ],
    "/api/tickets/{ticket_id}/reprint": [
        {"device_id": "kiosk"}, {"device_id": 5}, {"device_id": "00000000-0000-4000-8000-00000000000"},
    ],
}


@pytest.mark.parametrize("path", list(FIELD_CASES))
def test_bad_fields(client, db, world, path):
    op = next(op for op in OPERATIONS if op.path == path and op.body is not None)
    before = snapshot(db)
    for body in FIELD_CASES[path]:
        response = client.open(url_for(op, world), method=op.method,
                               headers=headers_for(op, world), json=body)
        assert response.status_code == 422, (body, response.get_json())
        assert response.get_json()["error"]["code"] == "invalid_body"
    assert snapshot(db) == before


@pytest.mark.parametrize("op", [op for op in OPERATIONS if "{" in op.path],
                         ids=lambda op: f"{op.method} {op.path}")
def test_unknown_and_malformed_ids(client, db, world, op):
    before = snapshot(db)
    headers = world["kiosk"]["headers"] if op.auth == "device" else admin()
    for bad in (MISSING, "not-a-uuid", "1", "%00", "' OR 1=1 --", "x" * 300):
        url = op.path.replace("{queue_id}", bad).replace("{ticket_id}", bad).replace("{job_id}", bad).replace(
            "{counter_id}", bad).replace("{token_id}", bad)
        response = client.open(url, method=op.method, headers=headers,
                               json=body_for(op, world) if op.method != "GET" else None)
        assert response.status_code == 404, (url, response.get_json())
        assert response.get_json()["error"]["code"].endswith("not_found")
    assert snapshot(db) == before


def test_huge_headers(client, db, world):
    before = snapshot(db)
    url = f"/api/queues/{world['queue']['id']}/tickets"
    response = client.post(url, json={"device_token": "device-token-huge0001"},
                           headers={"X-Padding": "p" * 9000})
    assert response.status_code == 431
    assert response.get_json()["error"]["code"] == "headers_too_large"
    assert snapshot(db) == before


def test_wrong_methods(client, world):
    for method, url in [("DELETE", f"/api/queues/{world['queue']['id']}"),
                        ("PUT", "/api/queues"), ("GET", f"/api/queues/{world['queue']['id']}/call-next")]:
        response = client.open(url, method=method, headers=admin())
        assert response.status_code == 405
        assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_bad_idempotency_key(client, db, world):
    queue = world["queue"]
    before = snapshot(db)
    for key in ("", "x" * 129, "has space", "ünïcode"):
        response = client.post(f"/api/queues/{queue['id']}/call-next",
                               headers={**queue["headers"], "Idempotency-Key": key})
        assert response.status_code == 422, key
        assert response.get_json()["error"]["code"] == "bad_idempotency_key"
    assert snapshot(db) == before


@pytest.mark.parametrize("header, message", [
    # a well-formed header with a wrong token: the token is refused, the header is not blamed
    ("Bearer wrong", "That token is not valid."),
    ("Bearer wrong-but-long-enough-token-0123456789", "That token is not valid."),
    ("bearer short!", "That token is not valid."),
    # a malformed header: its shape is what is wrong
    ("Basic dXNlcjpwYXNz", "The Authorization header must be 'Bearer <token>'."),
    ("Bearer", "The Authorization header must be 'Bearer <token>'."),
    ("Bearer two words", "The Authorization header must be 'Bearer <token>'."),
])
def test_wrong_token_and_malformed_header_get_their_own_message(client, queue, header, message):
    for method, path, body in [("GET", "/api/queues", None),
                               ("POST", f"/api/queues/{queue['id']}/call-next", {"counter": "1"})]:
        response = client.open(path, method=method, json=body, headers={"Authorization": header})
        assert response.status_code == 401, response.get_json()
        assert response.get_json()["error"] == {"code": "bad_credentials", "message": message}
