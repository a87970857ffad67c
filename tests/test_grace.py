"""Issue 16, grace: a no-show guest back within QODE_GRACE_MINUTES is put back in line, once.

In process, on a clock the test moves: the host path and every bad input (409 not a no-show,
window passed, already returned, turned off; 403 wrong service; 401, 404, 422), the two places
(`front`: before the current head, so the call rule takes it next; `end`: like a join), how
`front` meets priority and overdue tickets, the ETA and the day's figures. The concurrent returns
against a real server are in tests/test_grace_server.py, the kiosk's scanner in
tests/test_grace_e2e.py.
"""

from __future__ import annotations

import json
import uuid

import pytest

from qode import create_app, estimates, stats

from helpers import ADMIN_TOKEN, NO_CAPS, FakeClock, admin, utc


def make_box(tmp_path, **settings):
    app = create_app({"QODE_DATA_DIR": str(tmp_path / "d"), "QODE_ADMIN_TOKEN": ADMIN_TOKEN,
                      "QODE_TIMEZONE": "UTC", "QODE_SCHEDULER": "off", "QODE_JOIN_RATE_LIMIT": "off",
                      **NO_CAPS, "QODE_AUTH_RATE_LIMIT": "off", **settings})
    db = app.extensions["qode_db"]
    db.clock = FakeClock(utc(2026, 3, 10, 9, 0))
    client = app.test_client()
    queue = client.post("/api/queues", json={"name": "Desk", "prefix": "A"}, headers=admin()).get_json()
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    assert client.patch(f"/api/queues/{queue['id']}", json={"eta_margin": 0}, headers=host).status_code == 200
    return db, client, queue, host


@pytest.fixture
def box(tmp_path):
    return make_box(tmp_path)


def join(client, queue, n, headers=None, **body):
    url = f"/api/queues/{queue['id']}/tickets"
    out = []
    for _ in range(n):
        response = client.post(url, json={"device_token": f"device-token-{uuid.uuid4().hex[:12]}", **body},
                               headers=headers or {})
        assert response.status_code == 201, response.get_json()
        out.append(response.get_json())
    return out


def call(client, queue, host, counter="1"):
    response = client.post(f"/api/queues/{queue['id']}/call-next", json={"counter": counter}, headers=host)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def move(client, host, ticket_id, name, status=200):
    response = client.post(f"/api/tickets/{ticket_id}/{name}", json={}, headers=host)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def back(client, headers, ticket_id, status=200, code=None):
    response = client.post(f"/api/tickets/{ticket_id}/return", json={}, headers=headers)
    body = response.get_json()
    assert response.status_code == status, body
    if code is not None:
        assert body["error"]["code"] == code, body
        assert body["error"]["message"]
    return body


def missed(client, queue, host):
    """Call the head and mark it a no-show: the ticket."""
    called = call(client, queue, host)
    return move(client, host, called["id"], "no-show")


def call_order(client, queue, host) -> list[str]:
    listed = client.get(f"/api/queues/{queue['id']}/tickets?order=call", headers=host).get_json()["tickets"]
    return [t["display_number"] for t in listed]


def events_of(db, ticket_id, type_=None):
    with db.read() as conn:
        rows = conn.execute("SELECT * FROM events WHERE ticket_id = ? ORDER BY seq", (ticket_id,)).fetchall()
    rows = [{**dict(r), "data": json.loads(r["data"])} for r in rows]
    return [r for r in rows if type_ is None or r["type"] == type_]


def snapshot(db) -> str:
    with db.read() as conn:
        return "\n".join(conn.iterdump())


# ---- the host path -------------------------------------------------------------------------------

def test_a_no_show_back_goes_to_the_front_keeps_its_id_and_number_and_is_called_next(box):
    db, client, queue, host = box
    join(client, queue, 4)
    gone = missed(client, queue, host)
    assert gone["display_number"] == "A001" and gone["status"] == "NO_SHOW"
    assert gone["return_until"] is not None and gone["returned_at"] is None
    db.clock.advance(minutes=3)
    assert call_order(client, queue, host) == ["A002", "A003", "A004"]

    body = back(client, host, gone["id"])
    assert (body["id"], body["display_number"], body["status"]) == (gone["id"], "A001", "WAITING")
    assert body["people_ahead"] == 0 and body["returned_at"] is not None and body["return_until"] is None
    assert body["counter"] is None and body["called_at"] is None and body["completed_at"] is None
    assert call_order(client, queue, host) == ["A001", "A002", "A003", "A004"]
    state = client.get(f"/api/queues/{queue['id']}").get_json()
    assert state["waiting_count"] == 4
    # the guest's page (the printed QR's address) reads the same ticket, back in line
    assert client.get(f"/api/tickets/{gone['id']}").get_json()["people_ahead"] == 0
    assert client.get(f"/api/tickets/{gone['id']}/qr.svg").status_code == 200
    # one `returned` event, in the same service, that says how and where
    [event] = events_of(db, gone["id"], "returned")
    assert event["queue_id"] == queue["id"] and event["ticket_number"] == 1
    assert event["data"]["by"] == "host" and event["data"]["place"] == "front"
    assert 179 <= event["data"]["missed_seconds"] <= 181
    # the next call takes it (the rule's line order), and the others follow as before
    assert call(client, queue, host)["display_number"] == "A001"
    assert call(client, queue, host, "2")["display_number"] == "A002"


def test_the_ticket_list_offers_a_return_only_while_the_window_is_open(box):
    db, client, queue, host = box
    join(client, queue, 2)
    gone = missed(client, queue, host)
    answer = client.get(f"/api/queues/{queue['id']}/tickets", headers=host).get_json()
    listed = {t["id"]: t for t in answer["tickets"]}
    assert listed[gone["id"]]["return_until"] == "2026-03-10T09:10:00.000Z"


def test_place_end_puts_it_behind_everyone(tmp_path):
    db, client, queue, host = make_box(tmp_path, QODE_GRACE_PLACE="end")
    join(client, queue, 4)
    gone = missed(client, queue, host)
    body = back(client, host, gone["id"])
    assert body["people_ahead"] == 3
    assert call_order(client, queue, host) == ["A002", "A003", "A004", "A001"]
    [event] = events_of(db, gone["id"], "returned")
    assert event["data"]["place"] == "end" and event["data"]["line_seq"] == event["seq"]


def test_front_into_an_empty_line(box):
    db, client, queue, host = box
    join(client, queue, 1)
    gone = missed(client, queue, host)
    assert back(client, host, gone["id"])["people_ahead"] == 0
    assert call_order(client, queue, host) == ["A001"]


def test_it_works_once_per_ticket(box):
    db, client, queue, host = box
    join(client, queue, 3)
    gone = missed(client, queue, host)
    back(client, host, gone["id"])
    before = snapshot(db)
    refused = back(client, host, gone["id"], 409, "already_returned")
    assert "A001" in refused["error"]["message"] and "once" in refused["error"]["message"]
    assert snapshot(db) == before
    # called again and missed again: still only once
    assert call(client, queue, host)["id"] == gone["id"]
    move(client, host, gone["id"], "no-show")
    back(client, host, gone["id"], 409, "already_returned")
    assert len(events_of(db, gone["id"], "returned")) == 1


def test_only_a_no_show_comes_back(box):
    db, client, queue, host = box
    first, second, third = join(client, queue, 3)
    before = snapshot(db)
    back(client, host, second["id"], 409, "not_no_show")  # waiting
    called = call(client, queue, host)
    back(client, host, called["id"], 409, "not_no_show")  # called
    assert snapshot(db) != before  # (the call)
    move(client, host, called["id"], "serve")
    back(client, host, called["id"], 409, "not_no_show")  # being served
    move(client, host, called["id"], "complete")
    back(client, host, called["id"], 409, "not_no_show")  # completed
    move(client, host, third["id"], "cancel")
    refused = back(client, host, third["id"], 409, "not_no_show")  # cancelled
    assert "cancelled" in refused["error"]["message"]
    assert not events_of(db, called["id"], "returned")


def test_the_window_is_measured_from_the_no_show(box):
    db, client, queue, host = box
    join(client, queue, 3)
    early = missed(client, queue, host)
    late = missed(client, queue, host)
    db.clock.advance(minutes=9, seconds=59)
    back(client, host, early["id"])
    db.clock.advance(seconds=2)
    before = snapshot(db)
    refused = back(client, host, late["id"], 409, "window_passed")
    assert "10 minutes" in refused["error"]["message"]
    assert snapshot(db) == before
    assert client.get(f"/api/tickets/{late['id']}").get_json()["status"] == "NO_SHOW"


def test_a_no_show_of_an_earlier_day_never_comes_back(box):
    db, client, queue, host = box
    join(client, queue, 2)
    gone = missed(client, queue, host)
    db.clock.set(utc(2026, 3, 11, 4, 1))  # the next service day, by the wall clock (a reboot)
    db.clock.boot_id = "another-boot"
    back(client, host, gone["id"], 409, "window_passed")


def test_the_window_after_a_reboot_is_measured_on_the_wall_clock(box):
    db, client, queue, host = box
    join(client, queue, 2)
    gone = missed(client, queue, host)
    db.clock.boot_id = "another-boot"
    db.clock.set(utc(2026, 3, 10, 9, 11))
    back(client, host, gone["id"], 409, "window_passed")
    db.clock.set(utc(2026, 3, 10, 9, 5))
    back(client, host, gone["id"])


def test_off_turns_returns_off(tmp_path):
    db, client, queue, host = make_box(tmp_path, QODE_GRACE_MINUTES="off")
    join(client, queue, 2)
    gone = missed(client, queue, host)
    assert gone["return_until"] is None
    before = snapshot(db)
    back(client, host, gone["id"], 409, "returns_off")
    assert snapshot(db) == before


@pytest.mark.parametrize("settings", [{"QODE_GRACE_MINUTES": "0"}, {"QODE_GRACE_MINUTES": "ten"},
                                      {"QODE_GRACE_MINUTES": "1441"}, {"QODE_GRACE_PLACE": "middle"}])
def test_bad_settings_are_refused_at_start(tmp_path, settings):
    from qode.config import SettingError

    with pytest.raises(SettingError):
        make_box(tmp_path, **settings)


# ---- who may: hosts of the service, kiosks of the service ----------------------------------------

def test_credentials_and_bad_input(box):
    db, client, queue, host = box
    join(client, queue, 2)
    gone = missed(client, queue, host)
    other = client.post("/api/queues", json={"name": "Other", "prefix": "B"}, headers=admin()).get_json()
    other_host = {"Authorization": f"Bearer {other['host_token']}"}
    other_kiosk = client.post(f"/api/queues/{other['id']}/devices", json={"name": "Door B"},
                              headers=other_host).get_json()
    display = client.post(f"/api/queues/{queue['id']}/devices", json={"name": "TV", "kind": "display"},
                          headers=host).get_json()
    staff = client.post("/api/host-tokens", json={"name": "B desk", "role": "staff", "scope": "services",
                                                  "services": [other["id"]]}, headers=admin()).get_json()
    before = snapshot(db)
    back(client, {}, gone["id"], 401, "unauthorized")
    wrong = {"Authorization": "Bearer wrong-token-0123456789abcdefghij"}
    back(client, wrong, gone["id"], 401, "bad_credentials")
    back(client, other_host, gone["id"], 403)
    back(client, {"Authorization": f"Bearer {staff['token']}"}, gone["id"], 403)
    back(client, {"Authorization": f"Bearer {display['token']}"}, gone["id"], 403)
    refused = back(client, {"Authorization": f"Bearer {other_kiosk['token']}"}, gone["id"], 403,
                   "service_not_in_scope")
    assert "kiosk" in refused["error"]["message"]
    back(client, host, "00000000-0000-4000-8000-000000000000", 404, "ticket_not_found")
    assert client.post("/api/tickets/not-a-ticket/return", json={}, headers=host).status_code in (404, 422)
    for body in ('{"surprise": 1}', "[1]", '"x"', "null", "1"):
        response = client.post(f"/api/tickets/{gone['id']}/return", data=body, content_type="application/json",
                               headers=host)
        assert response.status_code == 422, (body, response.get_json())
    response = client.post(f"/api/tickets/{gone['id']}/return", data="{", content_type="application/json",
                           headers=host)
    assert response.status_code == 400
    response = client.get(f"/api/tickets/{gone['id']}/return", headers=host)
    assert response.status_code == 405
    assert snapshot(db) == before
    assert client.get(f"/api/tickets/{gone['id']}").get_json()["status"] == "NO_SHOW"


def test_a_kiosk_of_the_service_may_return_its_tickets(box):
    db, client, queue, host = box
    kiosk = client.post(f"/api/queues/{queue['id']}/devices", json={"name": "Door"}, headers=host).get_json()
    join(client, queue, 2)
    gone = missed(client, queue, host)
    body = back(client, {"Authorization": f"Bearer {kiosk['token']}"}, gone["id"])
    assert body["status"] == "WAITING"
    [event] = events_of(db, gone["id"], "returned")
    assert event["data"]["by"] == "kiosk"


def test_a_kiosk_covering_two_services_returns_either(box):
    db, client, queue, host = box
    other = client.post("/api/queues", json={"name": "Other", "prefix": "B"}, headers=admin()).get_json()
    kiosk = client.post(f"/api/queues/{queue['id']}/devices", json={"name": "Door", "services": [other["id"]]},
                        headers=admin()).get_json()
    other_host = {"Authorization": f"Bearer {other['host_token']}"}
    join(client, other, 2)
    gone = missed(client, other, other_host)
    assert back(client, {"Authorization": f"Bearer {kiosk['token']}"}, gone["id"])["display_number"] == "B001"


def test_a_retried_return_with_the_same_key_is_answered_the_same(box):
    db, client, queue, host = box
    join(client, queue, 2)
    gone = missed(client, queue, host)
    headers = {**host, "Idempotency-Key": "return-once-1"}
    first = client.post(f"/api/tickets/{gone['id']}/return", json={}, headers=headers)
    again = client.post(f"/api/tickets/{gone['id']}/return", json={}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(events_of(db, gone["id"], "returned")) == 1


# ---- "front" and the call rule (docs/services.md, section 14) -----------------------------------

def test_front_goes_before_normal_tickets_but_priority_still_goes_first(box):
    db, client, queue, host = box
    join(client, queue, 3)
    gone = missed(client, queue, host)  # A001
    join(client, queue, 1, host, priority=True)  # A004, priority (a host's issue)
    back(client, host, gone["id"])
    assert call_order(client, queue, host) == ["A004", "A001", "A002", "A003"]
    assert call(client, queue, host)["display_number"] == "A004"
    assert call(client, queue, host, "2")["display_number"] == "A001"


def test_front_takes_the_heads_time_in_line_so_an_overdue_head_does_not_pass_it(box):
    db, client, queue, host = box
    join(client, queue, 3)
    gone = missed(client, queue, host)  # A001
    db.clock.advance(minutes=9)
    back(client, host, gone["id"])
    db.clock.advance(minutes=8)  # A002 has waited 17 min (overdue at 15): so has A001, from its place
    with db.read() as conn:
        from qode import tickets

        waiting = {w.id: w for w in tickets.waiting_in(db, conn, queue["id"], "2026-03-10")}
    assert waiting[gone["id"]].waited == pytest.approx(17 * 60, abs=1)
    assert waiting[gone["id"]].line_seq < min(w.line_seq for i, w in waiting.items() if i != gone["id"])
    called = call(client, queue, host)
    assert (called["display_number"], called["reason"]) == ("A001", "overdue")


# ---- ETA, figures, hub ---------------------------------------------------------------------------

def test_the_eta_counts_it_first_and_nobody_behind_it_gets_sooner(box):
    db, client, queue, host = box
    join(client, queue, 4)
    for _ in range(3):  # a few served guests teach the estimator a cycle
        called = call(client, queue, host)
        db.clock.advance(minutes=2)
        move(client, host, called["id"], "complete")
    join(client, queue, 3)
    gone = missed(client, queue, host)
    before = {t["display_number"]: t["eta_seconds"] for t in
              client.get(f"/api/queues/{queue['id']}/tickets?order=call", headers=host).get_json()["tickets"]}
    back(client, host, gone["id"])
    after = client.get(f"/api/queues/{queue['id']}/tickets?order=call", headers=host).get_json()["tickets"]
    etas = {t["display_number"]: t["eta_seconds"] for t in after}
    assert after[0]["display_number"] == gone["display_number"]
    assert etas[gone["display_number"]] <= min(etas.values())
    for number, eta in before.items():
        assert etas[number] >= eta  # one more ahead of each: never sooner
    # the estimator replayed from the log agrees with the one that followed along
    queue_row = {**client.get(f"/api/queues/{queue['id']}").get_json(), "default_cycle": 300}
    live = estimates.of(db).predict({**_row(db, queue["id"])})
    fresh = estimates.Estimates(db, {}).predict({**_row(db, queue["id"])})
    assert live.tickets == fresh.tickets
    assert queue_row["waiting_count"] == len(live.tickets)


def _row(db, queue_id):
    with db.read() as conn:
        return dict(conn.execute("SELECT * FROM queues WHERE id = ?", (queue_id,)).fetchone())


def test_the_days_figures_count_a_returned_guest_once(box):
    db, client, queue, host = box
    join(client, queue, 2)
    gone = missed(client, queue, host)
    figures = client.get("/api/stats", headers=admin()).get_json()
    assert sum(r["no_shows"] for r in figures["rows"]) == 1
    back(client, host, gone["id"])
    called = call(client, queue, host)
    assert called["id"] == gone["id"]
    db.clock.advance(minutes=1)
    move(client, host, gone["id"], "complete")
    rows = client.get("/api/stats", headers=admin()).get_json()["rows"]
    assert sum(r["no_shows"] for r in rows) == 0
    assert sum(r["served"] for r in rows) == 1
    assert sum(r["waited_count"] for r in rows) == 1  # A001's first wait, once
    # the pure function over the log says the same (the hub runs it on the synced events)
    with db.read() as conn:
        events = [{**dict(r), "data": json.loads(r["data"])} for r in conn.execute("SELECT * FROM events")]
    total = stats.totals(stats.figures(events))
    assert total["no_shows"] == 0 and total["served"] == 1


def test_the_hub_keeps_the_ticket_waiting_again(tmp_path):
    from qode import hub
    from qode.db import Database
    from qode.migrations import HUB_MIGRATIONS, migrate

    hub_db = Database(tmp_path / "hub.db")
    migrate(hub_db, HUB_MIGRATIONS)
    ticket, queue = str(uuid.uuid4()), str(uuid.uuid4())

    def event(seq, type_, at):
        return {"seq": seq, "queue_id": queue, "type": type_, "ticket_id": ticket, "ticket_number": 1,
                "data": {}, "service_day": "2026-03-10", "created_at": at, "mono": float(seq), "boot_id": "b"}

    with hub_db.write() as conn:
        for seq, type_ in enumerate(("join", "call", "no_show", "returned"), 1):
            hub._apply(conn, "box-1", event(seq, type_, f"2026-03-10T09:0{seq}:00.000Z"))
        row = conn.execute("SELECT status, completed_at FROM site_tickets WHERE ticket_id = ?",
                           (ticket,)).fetchone()
    assert tuple(row) == ("WAITING", None)
    hub_db.close()


def test_front_before_a_head_that_moved_back_with_running_late(tmp_path):
    """Issue 16's two line moves together: the head is a guest who pressed "I'm running late" (its
    place is another ticket's line_seq with a rank), and a no-show comes back to the front. It goes
    first, at a whole line_seq of rank 0 (the column holds integers, not the head's key minus one)."""
    db, client, queue, host = make_box(tmp_path, QODE_LATE_PLACES="1", QODE_LATE_RATE_LIMIT="off",
                                       QODE_LATE_QUEUE_RATE_LIMIT="off")
    first, *_ = join(client, queue, 4)  # A001-A004
    gone = missed(client, queue, host)  # A001, no-show
    assert gone["id"] == first["id"]
    a2 = client.get(f"/api/queues/{queue['id']}/tickets?order=call", headers=host).get_json()["tickets"][0]
    moved = client.post(f"/api/tickets/{a2['id']}/late", json={"use": 1})
    assert moved.status_code == 200, moved.get_json()
    assert call_order(client, queue, host) == ["A003", "A002", "A004"]
    assert call(client, queue, host)["display_number"] == "A003"  # the head is now A002, with a rank
    back(client, host, gone["id"])
    assert call_order(client, queue, host) == ["A001", "A002", "A004"]
    with db.read() as conn:
        kind, rank = conn.execute("SELECT typeof(line_seq), line_rank FROM tickets WHERE id = ?",
                                  (gone["id"],)).fetchone()
    assert (kind, rank) == ("integer", 0)
    assert call(client, queue, host, "2")["display_number"] == "A001"
