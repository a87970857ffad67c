"""Issue 16, grace, against a real `qode serve`: two returns of one no-show at the same moment (a
host's tap and the kiosk's scanner, real HTTP clients in threads) put it back exactly once (one
200, one 409 `already_returned`, one `returned` event, the line's count right); and a return
reaches the guest's page, the TV's feed and the host live."""

from __future__ import annotations

import threading

import pytest
import requests

from helpers import ServerProcess, admin

pytestmark = [pytest.mark.server]

TICKETS = 20  # no-shows, each returned by two clients at once


def test_two_returns_at_once_put_a_no_show_back_exactly_once(tmp_path):
    server = ServerProcess(tmp_path / "box").start()
    url = server.url
    try:
        queue = requests.post(f"{url}/api/queues", json={"name": "Desk", "prefix": "A"}, headers=admin(),
                              timeout=5).json()
        host = {"Authorization": f"Bearer {queue['host_token']}"}
        kiosk = requests.post(f"{url}/api/queues/{queue['id']}/devices", json={"name": "Door"}, headers=host,
                              timeout=5).json()
        scanner = {"Authorization": f"Bearer {kiosk['token']}"}
        for _ in range(TICKETS + 1):
            assert requests.post(f"{url}/api/queues/{queue['id']}/tickets", json={}, headers=host,
                                 timeout=5).status_code == 201
        missed = []
        for _ in range(TICKETS):
            called = requests.post(f"{url}/api/queues/{queue['id']}/call-next", json={"counter": "1"},
                                   headers=host, timeout=5).json()
            gone = requests.post(f"{url}/api/tickets/{called['id']}/no-show", json={}, headers=host, timeout=5)
            assert gone.status_code == 200
            missed.append(called["id"])
        answers: dict[str, list] = {ticket_id: [] for ticket_id in missed}
        for ticket_id in missed:
            start = threading.Barrier(2)

            def back(headers, ticket_id=ticket_id, start=start):
                session = requests.Session()
                start.wait(timeout=10)
                response = session.post(f"{url}/api/tickets/{ticket_id}/return", json={}, headers=headers,
                                        timeout=10)
                answers[ticket_id].append((response.status_code, response.json()))

            threads = [threading.Thread(target=back, args=(h,)) for h in (host, scanner)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=20)
        for got in answers.values():
            statuses = sorted(status for status, _ in got)
            assert statuses == [200, 409], got
            refused = next(body for status, body in got if status == 409)
            assert refused["error"]["code"] == "already_returned"
        listed = requests.get(f"{url}/api/queues/{queue['id']}/tickets", headers=host,
                              timeout=5).json()["tickets"]
        assert len(listed) == TICKETS + 1  # nothing duplicated
        assert sum(1 for t in listed if t["status"] == "WAITING") == TICKETS + 1
        assert sum(1 for t in listed if t["returned_at"]) == TICKETS
        state = requests.get(f"{url}/api/queues/{queue['id']}", timeout=5).json()
        assert state["waiting_count"] == TICKETS + 1  # kept by the triggers, in the same transaction
        # One `returned` event per ticket in the log (the host channel's feed reads the same log).
        import sqlite3

        conn = sqlite3.connect(tmp_path / "box" / "qode.db")
        try:
            counts = dict(conn.execute("SELECT ticket_id, COUNT(*) FROM events WHERE type = 'returned'"
                                       " GROUP BY ticket_id").fetchall())
        finally:
            conn.close()
        assert counts == dict.fromkeys(missed, 1)
    finally:
        server.stop()
    assert "Traceback" not in server.log.read_text()


def test_a_return_reaches_the_guest_the_tv_and_the_host_live(tmp_path):
    import json

    from helpers import ws_client_class
    from helpers import ws_until as until

    client = ws_client_class()
    server = ServerProcess(tmp_path / "live").start()
    url, ws = server.url, server.url.replace("http://", "ws://")

    try:
        queue = requests.post(f"{url}/api/queues", json={"name": "Live", "prefix": "L"}, headers=admin(),
                              timeout=5).json()
        host = {"Authorization": f"Bearer {queue['host_token']}"}
        first, _second = (requests.post(f"{url}/api/queues/{queue['id']}/tickets",
                                        json={"device_token": f"device-token-grace000{n}"}, timeout=5).json()
                          for n in (1, 2))
        requests.post(f"{url}/api/queues/{queue['id']}/call-next", json={"counter": "1"}, headers=host,
                      timeout=5)
        requests.post(f"{url}/api/tickets/{first['id']}/no-show", json={}, headers=host, timeout=5)
        guest = client.connect(f"{ws}/ws/tickets/{first['id']}")
        display = client.connect(f"{ws}/ws/queues/{queue['id']}")
        dashboard = client.connect(f"{ws}/ws/host/{queue['id']}")
        dashboard.send(json.dumps({"type": "auth", "token": queue["host_token"]}))
        try:
            assert until(guest, lambda m: m["type"] == "snapshot")["ticket"]["status"] == "NO_SHOW"
            until(display, lambda m: m["type"] == "snapshot")
            snap = until(dashboard, lambda m: m["type"] == "snapshot")
            row = next(t for t in snap["tickets"] if t["id"] == first["id"])
            assert row["status"] == "NO_SHOW" and row["return_until"] and row["returned_at"] is None
            assert requests.post(f"{url}/api/tickets/{first['id']}/return", json={}, headers=host,
                                 timeout=5).status_code == 200
            mine = until(guest, lambda m: m["type"] == "update" and m["ticket"]["status"] == "WAITING")
            assert mine["ticket"]["people_ahead"] == 0
            shown = until(display, lambda m: m["type"] == "update" and m["events"])
            assert {"type": "returned", "number": "L001"}.items() <= shown["events"][-1].items()
            assert "ticket_id" not in shown["events"][-1]  # the public feed never names a ticket id
            assert shown["state"]["waiting_count"] == 2
            listed = until(dashboard, lambda m: m["type"] == "update" and m.get("tickets_changed"))
            assert [e["type"] for e in listed["events"]] == ["returned"]
            [changed] = listed["tickets_changed"]
            assert (changed["id"], changed["status"]) == (first["id"], "WAITING") and changed["returned_at"]
        finally:
            for sock in (guest, display, dashboard):
                sock.close()
    finally:
        server.stop()
    assert "Traceback" not in server.log.read_text()
