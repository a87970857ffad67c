"""Issue 16 (nearly): the per-service "nearly up at N ahead" setting, `queues.nearly_up`.

A manager sets it with PATCH /api/queues/{id} (0 to 20; 0 = only when called), or when the service
is created; it is in the service's state and in every ticket's JSON (GET /api/tickets/{id}, the
ticket socket's snapshot and updates, the first state in /t/{id}). Bad values are 422 and write
nothing. The guest page's alerts are proven in tests/test_nearly_up_e2e.py.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
import requests

from qode.migrations import MIGRATIONS

from helpers import admin, ws_client_class


def join(client, queue, n: int) -> dict:
    answer = client.post(f"/api/queues/{queue['id']}/tickets",
                         json={"device_token": f"device-token-nearly{n:04d}"})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_a_new_service_says_3_and_its_tickets_carry_it(client, queue):
    assert queue["nearly_up"] == 3
    ticket = join(client, queue, 1)
    assert ticket["nearly_up"] == 3
    assert client.get(f"/api/tickets/{ticket['id']}").get_json()["nearly_up"] == 3


def test_a_manager_sets_it_and_every_ticket_follows(client, queue, db):
    ticket = join(client, queue, 1)
    for value in (0, 7, 20):
        answer = client.patch(f"/api/queues/{queue['id']}", json={"nearly_up": value}, headers=queue["headers"])
        assert answer.status_code == 200, answer.get_json()
        assert answer.get_json()["nearly_up"] == value
        assert client.get(f"/api/tickets/{ticket['id']}").get_json()["nearly_up"] == value
    with db.read() as conn:
        logged = [json.loads(r[0]) for r in conn.execute(
            "SELECT data FROM events WHERE type = 'queue_settings' AND queue_id = ? ORDER BY seq",
            (queue["id"],))]
    assert {"nearly_up": 20} in logged and {"nearly_up": 7} in logged


def test_it_can_be_given_when_the_service_is_made(client):
    answer = client.post("/api/queues", json={"name": "Passports", "prefix": "P", "nearly_up": 5},
                         headers=admin())
    assert answer.status_code == 201 and answer.get_json()["nearly_up"] == 5
    bad = client.post("/api/queues", json={"name": "Bad", "prefix": "B", "nearly_up": 99}, headers=admin())
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "invalid_body"
    names = [q["name"] for q in client.get("/api/queues", headers=admin()).get_json()["queues"]]
    assert names == ["Passports"]  # nothing half-written


@pytest.mark.parametrize("value", [-1, 21, 1000, "3", 3.0, True, None, [3], {"n": 3}])
def test_bad_values_are_422_and_write_nothing(client, queue, value):
    answer = client.patch(f"/api/queues/{queue['id']}", json={"nearly_up": value}, headers=queue["headers"])
    assert answer.status_code == 422, (value, answer.get_json())
    error = answer.get_json()["error"]
    assert error["code"] == "invalid_body" and error["message"]
    assert client.get(f"/api/queues/{queue['id']}").get_json()["nearly_up"] == 3


def test_only_a_manager_of_the_service_may_change_it(client, queue):
    other = client.post("/api/queues", json={"name": "Other", "prefix": "O"}, headers=admin()).get_json()
    stranger = {"Authorization": f"Bearer {other['host_token']}"}
    by_stranger = client.patch(f"/api/queues/{queue['id']}", json={"nearly_up": 1}, headers=stranger)
    assert by_stranger.status_code == 403
    assert client.patch(f"/api/queues/{queue['id']}", json={"nearly_up": 1}).status_code == 401
    staff = client.post("/api/host-tokens", json={"name": "Desk", "role": "staff", "scope": "box"},
                        headers=admin()).get_json()
    by_staff = client.patch(f"/api/queues/{queue['id']}", json={"nearly_up": 1},
                            headers={"Authorization": f"Bearer {staff['token']}"})
    assert by_staff.status_code == 403
    assert client.get(f"/api/queues/{queue['id']}").get_json()["nearly_up"] == 3


def test_the_column_is_bounded_in_the_database_too(db, queue):
    assert "m016_nearly_up" in [name for name, _ in MIGRATIONS]
    with pytest.raises(sqlite3.IntegrityError), db.write() as conn:
        conn.execute("UPDATE queues SET nearly_up = 21 WHERE id = ?", (queue["id"],))


def test_the_openapi_document_names_it(client):
    spec = client.get("/api/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    assert schemas["QueuePatch"]["properties"]["nearly_up"]["anyOf"][0]["maximum"] == 20
    assert "nearly_up" in schemas["TicketOut"]["properties"]
    assert "nearly_up" in schemas["QueueOut"]["required"]


@pytest.mark.server
def test_the_socket_snapshot_update_and_first_state_carry_it(server):
    """A real `qode serve`: the guest's socket gets nearly_up in its snapshot, and an update when a
    manager changes it; /t/{id}'s first state has it."""
    queue = requests.post(f"{server.url}/api/queues", json={"name": "Live", "prefix": "L"}, headers=admin(),
                          timeout=5).json()
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    ticket = requests.post(f"{server.url}/api/queues/{queue['id']}/tickets",
                           json={"device_token": "device-token-nearly-ws01"}, timeout=5).json()
    page = requests.get(f"{server.url}/t/{ticket['id']}", timeout=5).text
    first = page.split('id="qode-first">', 1)[1].split("</script>", 1)[0]
    assert json.loads(first)["ticket"]["nearly_up"] == 3
    guest = ws_client_class().connect(server.url.replace("http://", "ws://") + f"/ws/tickets/{ticket['id']}")
    try:
        snapshot = json.loads(guest.receive(timeout=5))
        assert snapshot["type"] == "snapshot" and snapshot["ticket"]["nearly_up"] == 3
        answer = requests.patch(f"{server.url}/api/queues/{queue['id']}", json={"nearly_up": 6}, headers=host,
                                timeout=5)
        assert answer.status_code == 200
        seen = []
        for _ in range(50):  # bounded: each receive waits at most 0.2 s
            message = guest.receive(timeout=0.2)
            if message and json.loads(message).get("type") == "update":
                seen.append(json.loads(message)["ticket"]["nearly_up"])
                if seen[-1] == 6:
                    break
        assert seen and seen[-1] == 6, seen
    finally:
        guest.close()
