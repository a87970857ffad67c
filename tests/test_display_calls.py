"""The TV's data: every counter's current call in the public state, and leavers leaving it (issue 14, tv).

Against a real `qode serve` with a real WebSocket client on the public feed, which carries
numbers and counters only, never a ticket id.
"""

from __future__ import annotations

import json

import pytest
import requests

from helpers import admin, ws_client_class, ws_until

pytestmark = pytest.mark.server

WsClient = ws_client_class()


def latest_state(ws, predicate, timeout: float = 10.0) -> dict:
    """The first public message whose state `predicate` accepts."""
    return ws_until(ws, lambda m: "state" in m and predicate(m["state"]), timeout, "the expected state")


def shown(state: dict) -> list[tuple[str, str]]:
    return [(c["number"], c["counter"]) for c in state["calls"]]


def test_the_public_feed_carries_every_current_call_and_drops_leavers(server):
    queue = requests.post(f"{server.url}/api/queues", json={"name": "TV", "prefix": "MELD"},
                          headers=admin(), timeout=5).json()
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    base = f"{server.url}/api/queues/{queue['id']}"
    tickets = [requests.post(f"{base}/tickets", json={"device_token": f"device-token-tv{i:05d}"},
                             timeout=5).json() for i in range(5)]
    display = WsClient.connect(server.url.replace("http://", "ws://") + f"/ws/queues/{queue['id']}")
    try:
        first = json.loads(display.receive(timeout=5))
        assert first["type"] == "snapshot" and first["state"]["calls"] == []
        for counter in ("1", "2", "3"):
            assert requests.post(f"{base}/call-next", json={"counter": counter}, headers=host, timeout=5).ok
        message = latest_state(display, lambda s: len(s["calls"]) == 3)
        assert shown(message["state"]) == [("MELD003", "3"), ("MELD002", "2"), ("MELD001", "1")]  # newest first
        seqs = [c["seq"] for c in message["state"]["calls"]]
        assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == 3
        # The calls' seqs are the feed's own call events' seqs, so a screen can match them.
        events = {e["number"]: e["seq"] for e in message["events"] if e["type"] == "call"}
        for call in message["state"]["calls"]:
            if call["number"] in events:
                assert events[call["number"]] == call["seq"]
        assert not any(t["id"] in json.dumps(message) for t in tickets)  # numbers only, never ids

        # The guest at counter 2 leaves: the feed says so, with the number, and the state drops it.
        assert requests.post(f"{server.url}/api/tickets/{tickets[1]['id']}/cancel", timeout=5).ok
        left = latest_state(display, lambda s: ("MELD002", "2") not in shown(s))
        assert shown(left["state"]) == [("MELD003", "3"), ("MELD001", "1")]
        assert any(e["type"] == "cancel" and e["number"] == "MELD002" for e in left["events"])

        # Counter 1 is done, counter 3's guest did not come: both leave the screen.
        ticket_url = f"{server.url}/api/tickets"
        assert requests.post(f"{ticket_url}/{tickets[0]['id']}/complete", headers=host, timeout=5).ok
        assert requests.post(f"{ticket_url}/{tickets[2]['id']}/no-show", headers=host, timeout=5).ok
        gone = latest_state(display, lambda s: s["calls"] == [])
        assert gone["state"]["calls"] == []

        # A recall makes an older call the newest again; serving keeps it on the screen.
        assert requests.post(f"{base}/call-next", json={"counter": "1"}, headers=host, timeout=5).ok
        assert requests.post(f"{base}/call-next", json={"counter": "2"}, headers=host, timeout=5).ok
        latest_state(display, lambda s: len(s["calls"]) == 2)
        assert requests.post(f"{server.url}/api/tickets/{tickets[3]['id']}/recall", headers=host, timeout=5).ok
        again = latest_state(display, lambda s: s["calls"] and s["calls"][0]["number"] == "MELD004")
        assert shown(again["state"]) == [("MELD004", "1"), ("MELD005", "2")]
        assert requests.post(f"{server.url}/api/tickets/{tickets[3]['id']}/serve", headers=host, timeout=5).ok
    finally:
        display.close()

    # The REST state (the TV's fallback while its socket is down) says the same.
    state = requests.get(base, timeout=5).json()
    assert shown(state) == [("MELD004", "1"), ("MELD005", "2")]
    # Numbers, counters and the service (issue 15), never ticket ids or priority.
    assert set(state["calls"][0]) == {"number", "counter", "seq", "service"}
    assert state["calls"][0]["service"] == {"id": queue["id"], "name": queue["name"], "prefix": queue["prefix"]}
