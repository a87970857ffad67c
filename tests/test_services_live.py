"""Issue 15, part 2 on a real `qode serve` with real WebSocket clients: a transferred guest's
socket follows its ticket into the new service, the TV of that service shows the call with its
number, counter and service, and the public feed never tells who has priority."""

from __future__ import annotations

import json

import pytest
import requests

from test_live_server import collect_until, host_socket, receive, until, ws_url

from helpers import admin, ws_client_class

pytestmark = pytest.mark.server

WsClient = ws_client_class()


def keys(value) -> set[str]:
    """Every key anywhere in a JSON value."""
    if isinstance(value, dict):
        return set(value).union(*(keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(keys(v) for v in value))
    return set()


def make_service(server, name: str, prefix: str) -> dict:
    body = requests.post(
        f"{server.url}/api/queues", json={"name": name, "prefix": prefix}, headers=admin(), timeout=5
    ).json()
    body["headers"] = {"Authorization": f"Bearer {body['host_token']}"}
    return body


def test_a_transferred_guest_is_told_live_and_the_tv_calls_it_with_its_service(server):
    reception, payments = make_service(server, "Reception", "R"), make_service(server, "Payments", "Y")
    ticket = requests.post(
        f"{server.url}/api/queues/{reception['id']}/tickets",
        json={"device_token": "device-token-moving0001"},
        timeout=5,
    ).json()
    # Someone in Payments has priority (a host issued it): the TV must never say so.
    requests.post(
        f"{server.url}/api/queues/{payments['id']}/tickets",
        json={"priority": True},
        headers=payments["headers"],
        timeout=5,
    ).raise_for_status()
    guest = WsClient.connect(ws_url(server, f"/ws/tickets/{ticket['id']}"))
    tv = WsClient.connect(ws_url(server, f"/ws/queues/{payments['id']}"))
    desk = host_socket(server, payments)
    old_desk = host_socket(server, reception)
    try:
        first = receive(guest)
        assert first["ticket"]["service"]["name"] == "Reception"
        assert receive(tv)["type"] == "snapshot"
        assert receive(desk)["type"] == "snapshot" and receive(old_desk)["type"] == "snapshot"
        moved = requests.post(
            f"{server.url}/api/tickets/{ticket['id']}/transfer",
            json={"queue_id": payments["id"], "placement": "end"},
            headers=reception["headers"],
            timeout=5,
        )
        assert moved.status_code == 200, moved.text
        # The guest's socket (the same page, the same id) gets the whole ticket and where to go now.
        told = until(guest, lambda m: m["type"] == "update" and "transferred" in m)
        assert told["transferred"] == {"from_name": "Reception", "to_name": "Payments"}
        assert told["ticket"]["id"] == ticket["id"] and told["ticket"]["display_number"] == "R001"
        assert told["ticket"]["service"] == {"id": payments["id"], "name": "Payments", "prefix": "Y"}
        assert told["ticket"]["people_ahead"] == 1 and told["ticket"]["status"] == "WAITING"
        # Both services' host feeds get the transfer's event.
        out = until(
            old_desk, lambda m: m["type"] == "update" and any(e["type"] == "transfer" for e in m["events"])
        )
        assert next(e for e in out["events"] if e["type"] == "transfer")["data"]["to"] == payments["id"]
        into = until(
            desk, lambda m: m["type"] == "update" and any(e["type"] == "transfer_in" for e in m["events"])
        )
        assert [t["id"] for t in into["tickets_changed"]] == [ticket["id"]]
        # Payments calls twice: the priority ticket, then the guest; the guest's socket follows.
        for _ in range(2):
            requests.post(
                f"{server.url}/api/queues/{payments['id']}/call-next",
                json={"counter": "4"},
                headers=payments["headers"],
                timeout=5,
            ).raise_for_status()
        called = until(guest, lambda m: m["type"] == "update" and m["ticket"]["status"] == "CALLED")
        assert called["ticket"]["counter"] == "4" and called["ticket"]["display_number"] == "R001"
        # The TV: the call with its original number, its counter and its service; never priority.
        seen = collect_until(tv, lambda m: any(e.get("number") == "R001" for e in m.get("events", [])))
        call = next(e for e in json.loads(seen[-1])["events"] if e.get("number") == "R001")
        assert call["type"] == "call" and call["counter"] == "4"
        assert call["service"] == {"id": payments["id"], "name": "Payments", "prefix": "Y"}
        assert json.loads(seen[-1])["state"]["calls"][0]["number"] == "R001"
        assert all(
            ticket["id"] not in message and "priority" not in keys(json.loads(message)) for message in seen
        )
    finally:
        for ws in (guest, tv, desk, old_desk):
            ws.close()
    # A new socket on the guest's page after the transfer follows Payments from its snapshot on.
    again = WsClient.connect(ws_url(server, f"/ws/tickets/{ticket['id']}"))
    try:
        assert receive(again)["ticket"]["service"]["id"] == payments["id"]
    finally:
        again.close()


def test_a_kiosk_covering_two_services_gets_the_print_jobs_of_both_live(server):
    """A kiosk whose home is Reception also covers Payments: a Payments ticket it issues from the
    touch page (a print job logged in Payments) reaches its socket at once, not only at its next
    reconnect (its channel is keyed by its home service)."""
    reception, payments = make_service(server, "Reception", "R"), make_service(server, "Payments", "Y")
    kiosk = requests.post(f"{server.url}/api/queues/{reception['id']}/devices",
                          json={"name": "Door", "services": [reception["id"], payments["id"]]},
                          headers=admin(), timeout=5)
    assert kiosk.status_code == 201, kiosk.text
    kiosk = kiosk.json()
    ws = WsClient.connect(ws_url(server, f"/ws/devices/{kiosk['id']}"))
    try:
        ws.send(json.dumps({"type": "auth", "token": kiosk["token"]}))
        assert receive(ws)["type"] == "snapshot"
        bearer = {"Authorization": f"Bearer {kiosk['token']}"}
        assert requests.post(f"{server.url}/api/device/status", json={"printer": "ready"}, headers=bearer,
                             timeout=5).status_code == 200  # a kiosk with a printer: its tickets are print jobs
        issued = requests.post(f"{server.url}/api/queues/{payments['id']}/tickets", json={}, headers=bearer,
                               timeout=5)
        assert issued.status_code == 201, issued.text
        assert issued.json()["display_number"] == "Y001"
        job = until(ws, lambda m: m.get("type") == "print", timeout=5)
        assert job["job"]["display_number"] == "Y001" and job["job"]["queue_name"] == "Payments"
    finally:
        ws.close()
