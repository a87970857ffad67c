"""Issue 15, must-show 7: priority joins and transfers reach the hub exactly once, and the hub's
figures per service are the box's.

A real box (`qode serve`) syncs to a real hub (`qode serve --hub`) on loopback; its batches are
then pushed again (a replayed batch, an overlapping one) as a box does after a lost answer.
Both answer a day's figures from `qode.stats.figures`: the box over its `events`, the hub over
the `site_events` it stored. A log with the transfer and priority events of docs/services.md
(section 2) is also pushed as a box pushes it, twice, to the real hub. The hub's in-process
routes (bad input, credentials) are checked here too.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import uuid

import pytest
import requests

from qode import create_app, stats
from test_stats import DAY, P, R, hand_made_day

from helpers import ServerProcess, admin, wait_until

HUB_ADMIN = "hub-admin-token-0123456789abcdef"
FIELDS = "seq, queue_id, type, ticket_id, ticket_number, data, service_day, created_at, mono, boot_id"


def hub_admin() -> dict:
    return {"Authorization": f"Bearer {HUB_ADMIN}"}


@pytest.fixture
def hub(tmp_path):
    proc = ServerProcess(tmp_path / "hub", env={"QODE_ADMIN_TOKEN": HUB_ADMIN, "QODE_TIMEZONE": "UTC"})
    proc.extra_args = ["--hub"]
    proc.start()
    yield proc
    proc.stop()
    assert "Traceback" not in proc.log.read_text()


def register(hub_url: str, device_id: str) -> str:
    answer = requests.post(f"{hub_url}/api/hub/sites", json={"device_id": device_id, "name": device_id},
                           headers=hub_admin(), timeout=5)
    assert answer.status_code == 201, answer.text
    return answer.json()["key"]


@pytest.fixture
def box(tmp_path, hub):
    key = register(hub.url, "box-1")
    proc = ServerProcess(tmp_path / "box", env={
        "QODE_SYNC_URL": hub.url, "QODE_DEVICE_ID": "box-1", "QODE_SYNC_KEY": key, "QODE_TIMEZONE": "UTC",
        "QODE_SYNC_SECONDS": "1", "QODE_SYNC_BATCH": "7"}).start()  # small batches: many of them
    proc.key = key
    proc.session = requests.Session()
    services = {}
    for name, prefix in (("Reception", "R"), ("Payments", "P")):
        made = proc.session.post(f"{proc.url}/api/queues", json={"name": name, "prefix": prefix},
                                 headers=admin(), timeout=5)
        assert made.status_code == 201, made.text
        services[name] = {**made.json(), "headers": {"Authorization": f"Bearer {made.json()['host_token']}"}}
    proc.services = services
    yield proc
    proc.stop()
    assert "Traceback" not in proc.log.read_text()


def box_log(box) -> list[dict]:
    """The box's log as it pushes it: ticket ids replaced by its pseudonyms, mono and boot id kept."""
    from qode.sync import pseudonym

    conn = sqlite3.connect(f"file:{box.data_dir / 'qode.db'}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        secret = conn.execute("SELECT secret FROM sync_state").fetchone()[0]
        return [{**dict(r), "ticket_id": pseudonym(secret, r["ticket_id"]), "data": json.loads(r["data"])}
                for r in conn.execute(f"SELECT {FIELDS} FROM events ORDER BY seq")]
    finally:
        conn.close()


def hub_log(hub_url: str, device_id: str) -> list[dict]:
    events, after = [], 0
    for _ in range(100):  # bounded paging
        page = requests.get(f"{hub_url}/api/hub/sites/{device_id}/events?after={after}&limit=5000",
                            headers=hub_admin(), timeout=10).json()["events"]
        if not page:
            return events
        events += page
        after = page[-1]["seq"]
    raise AssertionError("too many pages")


def wait_synced(box) -> dict:
    def synced():
        state = requests.get(f"{box.url}/healthz", timeout=5).json()["sync"]
        return state["pending"] == 0 and state["acked_seq"] > 0 and state

    return wait_until(synced, timeout=60)


def push(hub_url: str, key: str, device_id: str, events: list[dict], after: int) -> dict:
    answer = requests.post(f"{hub_url}/api/sync/batches", timeout=10,
                           headers={"Authorization": f"Bearer {key}"},
                           json={"device_id": device_id, "after": after, "events": events})
    assert answer.status_code == 200, answer.text
    return answer.json()


def site_tickets(hub) -> dict:
    conn = sqlite3.connect(f"file:{hub.data_dir / 'hub.db'}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return {r["ticket_id"]: dict(r) for r in conn.execute("SELECT * FROM site_tickets")}
    finally:
        conn.close()


def figures_on_both(box, hub, day: str) -> tuple[dict, dict, str, str]:
    on_box = box.session.get(f"{box.url}/api/stats?day={day}", headers=admin(), timeout=10)
    on_hub = requests.get(f"{hub.url}/api/hub/sites/box-1/stats?day={day}", headers=hub_admin(), timeout=10)
    assert on_box.status_code == 200 and on_hub.status_code == 200, (on_box.text, on_hub.text)
    box_csv = box.session.get(f"{box.url}/api/stats?day={day}&format=csv", headers=admin(), timeout=10).text
    hub_csv = requests.get(f"{hub.url}/api/hub/sites/box-1/stats?day={day}&format=csv", headers=hub_admin(),
                           timeout=10).text
    return on_box.json(), on_hub.json(), box_csv, hub_csv


def replay(box, hub) -> list[dict]:
    """Push the whole log again from the start, then an overlapping part: the hub stores nothing."""
    log = box_log(box)
    assert push(hub.url, box.key, "box-1", log, after=0)["stored"] == 0
    middle = len(log) // 3
    assert push(hub.url, box.key, "box-1", log[middle:], after=log[middle - 1]["seq"])["stored"] == 0
    assert hub_log(hub.url, "box-1") == log  # every event once, in order, mono and boot id kept
    return log


@pytest.mark.server
@pytest.mark.slow
def test_a_real_boxs_day_reaches_the_hub_once_and_the_figures_are_equal(box, hub):
    session, reception, payments = box.session, box.services["Reception"], box.services["Payments"]

    def join(service, n):
        made = session.post(f"{box.url}/api/queues/{service['id']}/tickets",
                            json={"device_token": f"device-token-{service['prefix']}{n:07d}"}, timeout=5)
        assert made.status_code == 201, made.text
        return made.json()

    def call(service, counter):
        called = session.post(f"{box.url}/api/queues/{service['id']}/call-next", json={"counter": counter},
                              headers=service["headers"], timeout=5)
        assert called.status_code == 200, called.text
        return called.json()

    def move(service, ticket, name):
        moved = session.post(f"{box.url}/api/tickets/{ticket['id']}/{name}", headers=service["headers"],
                             timeout=5)
        assert moved.status_code == 200, moved.text

    for n in range(6):
        join(reception, n)
    for n in range(4):
        join(payments, n)
    move(reception, call(reception, "1"), "complete")       # R1 served at 1
    second = call(reception, "2")                            # R2 at 2: serve, then complete
    move(reception, second, "serve")
    move(reception, second, "complete")
    move(reception, call(reception, "1"), "no-show")         # R3 a no-show at 1
    move(reception, call(reception, "1"), "requeue")         # R4 back in line, then called again
    move(reception, call(reception, "2"), "complete")        # R4 again: its wait counted once
    move(payments, call(payments, "1"), "complete")          # P1 served at Payments' 1
    call(payments, "1")                                      # P2 at 1; calling P3 ends it as a no-show
    move(payments, call(payments, "1"), "complete")
    wait_synced(box)
    log = replay(box, hub)
    assert len(log) > 30

    day = session.get(f"{box.url}/api/stats", headers=admin(), timeout=5).json()["day"]
    on_box, on_hub, box_csv, hub_csv = figures_on_both(box, hub, day)
    assert on_hub == on_box and hub_csv == box_csv
    assert hub_csv.splitlines()[0] == ",".join(stats.COLUMNS)
    by_service = {r["service"]: r for r in on_box["services"]}
    assert (by_service["Reception"]["served"], by_service["Reception"]["no_shows"],
            by_service["Reception"]["waited_count"]) == (3, 1, 4)
    assert (by_service["Payments"]["served"], by_service["Payments"]["no_shows"]) == (2, 1)

    (site,) = requests.get(f"{hub.url}/api/hub/sites", headers=hub_admin(), timeout=5).json()["sites"]
    today = site["today"]
    assert today["day"] == day and (today["served"], today["no_shows"]) == (5, 2)
    assert today["services"] == on_box["services"]  # the sites page's per-service rows: the box's


def synthetic_log() -> list[dict]:
    """A day with priority joins and transfers, in section 2's shapes, as a box pushes it (the
    ticket ids are a box's pseudonyms: UUIDs)."""
    events = hand_made_day().events
    return [{**e, "ticket_id": str(uuid.uuid5(uuid.NAMESPACE_URL, e["ticket_id"])) if e["ticket_id"] else None}
            for e in events]


def pseudonym_of(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


@pytest.mark.server
@pytest.mark.slow
def test_priority_joins_and_transfers_pushed_twice_reach_the_hub_once(hub):
    key = register(hub.url, "clinic")
    log = synthetic_log()
    stored = 0
    for start in range(0, len(log), 4):  # batches of four, each after the last
        stored += push(hub.url, key, "clinic", log[start:start + 4], after=start)["stored"]
    assert stored == len(log)
    assert push(hub.url, key, "clinic", log, after=0) == {"acked_seq": len(log), "stored": 0}  # replayed
    assert push(hub.url, key, "clinic", log[5:17], after=5)["stored"] == 0  # overlapping
    assert hub_log(hub.url, "clinic") == log

    tickets = site_tickets(hub)
    transferred = {name: tickets[pseudonym_of(name)] for name in "abcdef"}
    assert {name: t["transfers"] for name, t in transferred.items()} == {
        "a": 0, "b": 0, "c": 1, "d": 1, "e": 0, "f": 0}  # one each, from the `transfer` rows only
    assert {name: t["priority"] for name, t in transferred.items()} == {
        "a": 0, "b": 1, "c": 0, "d": 0, "e": 0, "f": 1}  # from the joins; e's taken away by the host
    assert (transferred["c"]["queue_id"], transferred["c"]["issued_queue_id"]) == (P, R)  # moved by transfer_in
    assert transferred["d"]["status"] == "COMPLETED" and transferred["f"]["status"] == "CANCELLED"

    answer = requests.get(f"{hub.url}/api/hub/sites/clinic/stats?day={DAY}", headers=hub_admin(), timeout=10)
    assert answer.status_code == 200
    body = answer.json()
    names = {R: "Reception", P: "Payments"}
    assert body["rows"] == stats.figures(log, names)  # the box's own function over the box's own log
    services = {r["service"]: r for r in body["services"]}
    assert (services["Reception"]["transfers_out"], services["Reception"]["transfers_in"],
            services["Reception"]["priority_served"], services["Reception"]["served"]) == (2, 0, 1, 1)
    assert (services["Payments"]["transfers_out"], services["Payments"]["transfers_in"],
            services["Payments"]["served"], services["Payments"]["waited_seconds"]) == (0, 2, 3, 350)

    tickets_csv = requests.get(f"{hub.url}/api/hub/sites/clinic/export.csv?day={DAY}", headers=hub_admin(),
                               timeout=10).text
    numbers = {(line["queue"], line["number"]) for line in csv.DictReader(io.StringIO(tickets_csv))}
    assert ("Payments", "R003") in numbers and ("Payments", "R004") in numbers  # the number they were given


@pytest.mark.server
@pytest.mark.slow
def test_a_real_boxs_priority_joins_and_transfers_reach_the_hub_once(box, hub):
    """The same over a real box's own transfer and priority join (part 2, milestone calls-A)."""
    paths = box.session.get(f"{box.url}/api/openapi.json", timeout=5).json()["paths"]
    if "/api/tickets/{ticket_id}/transfer" not in paths:
        pytest.skip("this box has no POST /api/tickets/{id}/transfer or priority join yet (part 2, calls-A)")
    session, reception, payments = box.session, box.services["Reception"], box.services["Payments"]
    host = reception["headers"]

    def join(service, n, priority):
        made = session.post(f"{box.url}/api/queues/{service['id']}/tickets", headers=service["headers"],
                            json={"device_token": f"device-token-{service['prefix']}{n:07d}",
                                  "priority": priority}, timeout=5)
        assert made.status_code == 201, made.text
        assert made.json()["priority"] is priority
        return made.json()

    def transfer(ticket, placement):
        moved = session.post(f"{box.url}/api/tickets/{ticket['id']}/transfer", headers=host, timeout=5,
                             json={"queue_id": payments["id"], "placement": placement})
        assert moved.status_code == 200, moved.text
        assert moved.json()["id"] == ticket["id"] and moved.json()["transfers"] == 1
        return moved.json()

    normal = [join(reception, n, False) for n in range(3)]
    urgent = join(reception, 3, True)
    join(payments, 0, True)
    called = session.post(f"{box.url}/api/queues/{reception['id']}/call-next", json={"counter": "1"},
                          headers=host, timeout=5).json()
    assert called["id"] == urgent["id"]  # priority first
    assert session.post(f"{box.url}/api/tickets/{called['id']}/complete", headers=host, timeout=5).ok
    transfer(normal[0], "end")  # waiting
    called = session.post(f"{box.url}/api/queues/{reception['id']}/call-next", json={"counter": "1"},
                          headers=host, timeout=5).json()
    transfer(called, "original")  # called at a counter
    for _ in range(3):
        called = session.post(f"{box.url}/api/queues/{payments['id']}/call-next", json={"counter": "1"},
                              headers=payments["headers"], timeout=5)
        assert called.status_code == 200, called.text
        session.post(f"{box.url}/api/tickets/{called.json()['id']}/complete", headers=payments["headers"],
                     timeout=5)
    wait_synced(box)
    replay(box, hub)

    day = session.get(f"{box.url}/api/stats", headers=admin(), timeout=5).json()["day"]
    on_box, on_hub, box_csv, hub_csv = figures_on_both(box, hub, day)
    assert on_hub == on_box and hub_csv == box_csv
    services = {r["service"]: r for r in on_box["services"]}
    assert (services["Reception"]["transfers_out"], services["Reception"]["priority_served"],
            services["Reception"]["served"]) == (2, 1, 1)
    assert (services["Payments"]["transfers_in"], services["Payments"]["served"],
            services["Payments"]["priority_served"]) == (2, 3, 1)
    transfers = sorted(t["transfers"] for t in site_tickets(hub).values())
    assert transfers == [0, 0, 0, 1, 1]  # three normal and two priority tickets


# ---- the hub's routes, in process ---------------------------------------------------------------


@pytest.fixture
def hub_app(tmp_path):
    return create_app({"QODE_DATA_DIR": str(tmp_path / "hub"), "QODE_ADMIN_TOKEN": HUB_ADMIN, "QODE_HUB": "on",
                       "QODE_TIMEZONE": "UTC", "QODE_AUTH_RATE_LIMIT": "off"})


def test_hub_stats_refuse_bad_input_and_wrong_credentials(hub_app):
    client = hub_app.test_client()
    made = client.post("/api/hub/sites", json={"device_id": "s1", "name": "S"}, headers=hub_admin()).get_json()
    box_key = {"Authorization": f"Bearer {made['key']}"}
    log = synthetic_log()
    assert client.post("/api/sync/batches", headers=box_key,
                       json={"device_id": "s1", "after": 0, "events": log}).get_json()["stored"] == len(log)
    for query in ("day=2026-13-01", "day=2026-02-30", "day=x", "day=", "format=xml", f"day={DAY}&format=CSV"):
        answer = client.get(f"/api/hub/sites/s1/stats?{query}", headers=hub_admin())
        assert answer.status_code == 422 and answer.get_json()["error"]["code"] == "invalid_query", query
    assert client.get(f"/api/hub/sites/nope/stats?day={DAY}", headers=hub_admin()).status_code == 404
    assert client.get(f"/api/hub/sites/s1/stats?day={DAY}").status_code == 401
    assert client.get(f"/api/hub/sites/s1/stats?day={DAY}", headers=box_key).status_code == 403
    empty = client.get("/api/hub/sites/s1/stats?day=2020-01-01", headers=hub_admin()).get_json()
    assert empty == {"day": "2020-01-01", "rows": [], "services": []}
    text = client.get(f"/api/hub/sites/s1/stats?day={DAY}&format=csv", headers=hub_admin()).get_data(
        as_text=True)
    assert text == stats.to_csv(stats.figures(log, {R: "Reception", P: "Payments"}))


@pytest.mark.parametrize("field,value", [
    ("mono", "12.5"), ("mono", True), ("mono", 1e13), ("boot_id", "has space"), ("boot_id", "x" * 65),
    ("boot_id", 7),
])
def test_a_batch_with_a_bad_mono_or_boot_id_is_refused_whole(hub_app, field, value):
    client = hub_app.test_client()
    made = client.post("/api/hub/sites", json={"device_id": "s1", "name": "S"}, headers=hub_admin()).get_json()
    log = synthetic_log()
    log[3] = {**log[3], field: value}
    answer = client.post("/api/sync/batches", headers={"Authorization": f"Bearer {made['key']}"},
                         json={"device_id": "s1", "after": 0, "events": log})
    assert answer.status_code == 422, answer.get_json()
    assert client.get("/api/hub/sites/s1/events?after=0", headers=hub_admin()).get_json()["events"] == []


def test_a_batch_from_a_box_before_issue_15_is_still_taken(hub_app):
    """Older boxes send no mono or boot id: the hub stores the events and measures on the wall clock."""
    client = hub_app.test_client()
    made = client.post("/api/hub/sites", json={"device_id": "s1", "name": "S"}, headers=hub_admin()).get_json()
    old = [{k: v for k, v in e.items() if k not in ("mono", "boot_id")} for e in synthetic_log()]
    answer = client.post("/api/sync/batches", headers={"Authorization": f"Bearer {made['key']}"},
                         json={"device_id": "s1", "after": 0, "events": old})
    assert answer.status_code == 200 and answer.get_json()["stored"] == len(old)
    rows = client.get(f"/api/hub/sites/s1/stats?day={DAY}", headers=hub_admin()).get_json()["rows"]
    assert rows == stats.figures(old, {R: "Reception", P: "Payments"})
    two = next(r for r in rows if r["counter"] == "2")
    assert two["waited_seconds"] == 3670 + 260  # c's wait across the wall clock's jump: no mono to say better


def test_the_sites_page_follows_a_transferred_ticket_by_the_number_its_guest_holds(hub_app):
    client = hub_app.test_client()
    made = client.post("/api/hub/sites", json={"device_id": "s1", "name": "S"}, headers=hub_admin()).get_json()
    log = synthetic_log()
    upto = next(i for i, e in enumerate(log) if e["type"] == "call" and e["queue_id"] == P)  # Payments calls c
    answer = client.post("/api/sync/batches", headers={"Authorization": f"Bearer {made['key']}"},
                         json={"device_id": "s1", "after": 0, "events": log[:upto + 1]})
    assert answer.status_code == 200
    hub_app.extensions["qode_db"].clock.service_day = lambda *_: DAY  # the log's day is the hub's today
    (site,) = client.get("/api/hub/sites", headers=hub_admin()).get_json()["sites"]
    lines = {q["name"]: q for q in site["queues"]}
    assert (lines["Payments"]["now_serving"], lines["Payments"]["waiting"]) == ("R003", 1)  # d waits there
    assert (lines["Reception"]["now_serving"], lines["Reception"]["waiting"]) == ("R003", 0)
    services = {s["service"]: s for s in site["today"]["services"]}
    assert (services["Reception"]["transfers_out"], services["Payments"]["transfers_in"]) == (2, 2)


def test_one_boxs_odd_log_breaks_no_read_of_the_hub(hub_app):
    """Found by a black-box probe: what one box may send must not make the hub's reads answer 500.
    A join stamped in year 1 (a box's clock far off) on today's list; a counter and staff name with a
    formula, a line break and a lone surrogate (JSON-escaped, as a box's JSON may carry it) in the CSV;
    query values in non-ASCII digits; headers over QODE_MAX_HEADERS."""
    client = hub_app.test_client()
    made = client.post("/api/hub/sites", json={"device_id": "s1", "name": "S"}, headers=hub_admin()).get_json()
    today = hub_app.extensions["qode_db"].clock.service_day()
    log = [{**e, "service_day": today} for e in synthetic_log()]
    first_call = next(e for e in log if e["type"] == "call")
    joined = next(e for e in log if e["type"] == "join" and e["ticket_id"] == first_call["ticket_id"])
    joined["created_at"] = "0001-01-01T00:00:00+01:00"
    for event in log:  # Desk 1, and its staff, as the box names them
        if event["data"].get("counter") == "Desk 1":
            event["data"] = {**event["data"], "counter": "\n=1+2"}
        if event["data"].get("staff") == "Ana":
            event["data"] = {**event["data"], "staff": "Ana\ud83d"}
    stored = client.post("/api/sync/batches", headers={"Authorization": f"Bearer {made['key']}"},
                         json={"device_id": "s1", "after": 0, "events": log})
    assert stored.status_code == 200, stored.get_json()

    sites = client.get("/api/hub/sites", headers=hub_admin())
    assert sites.status_code == 200, sites.get_data(as_text=True)[:300]
    assert sites.get_json()["sites"][0]["today"]["served"] >= 1
    csv_text = client.get(f"/api/hub/sites/s1/stats?day={today}&format=csv", headers=hub_admin())
    assert csv_text.status_code == 200
    text = csv_text.get_data(as_text=True)
    assert "'=1+2" in text and "Ana," in text and "\ud83d" not in text

    for query in ("events?after=%C2%B2", "events?limit=%D9%A2", "export.csv?day=%D9%A2%D9%A0%D9%A2%D9%A6-12-07",
                  "export.csv?day=2026-1-1", "export.csv"):
        answer = client.get(f"/api/hub/sites/s1/{query}", headers=hub_admin())
        assert answer.status_code == 422 and answer.get_json()["error"]["code"] == "invalid_query", query

    big = {f"X-Junk-{i}": "x" * 4000 for i in range(40)}
    answer = client.get("/api/hub/sites", headers={**hub_admin(), **big})
    assert answer.status_code == 431 and answer.get_json()["error"]["code"]
