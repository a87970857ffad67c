"""The hub in process: registering boxes, receiving batches (and refusing bad ones whole),
idempotent storage, the sites' state, day statistics and the CSV export.

The events come from a real box app's log, so the hub is fed what boxes really send.
"""

from __future__ import annotations

import json
import os

import pytest

from qode import create_app

from helpers import ADMIN_TOKEN, admin

HUB_ADMIN = "hub-admin-token-0123456789abcdef"


@pytest.fixture
def hub(tmp_path):
    app = create_app({"QODE_DATA_DIR": str(tmp_path / "hub"), "QODE_ADMIN_TOKEN": HUB_ADMIN, "QODE_HUB": "on",
                      "QODE_TIMEZONE": "UTC", "QODE_AUTH_RATE_LIMIT": "off", "QODE_HUB_MAX_BATCH": "100"})
    return app


@pytest.fixture
def hub_client(hub):
    return hub.test_client()


def hub_admin() -> dict:
    return {"Authorization": f"Bearer {HUB_ADMIN}"}


def register(hub_client, device_id: str, name: str = "Site") -> dict:
    response = hub_client.post("/api/hub/sites", json={"device_id": device_id, "name": name},
                               headers=hub_admin())
    assert response.status_code == 201, response.get_json()
    return {**response.get_json(), "headers": {"Authorization": f"Bearer {response.get_json()['key']}"}}


@pytest.fixture
def box_events(client, queue):
    """A small day on a real box: joins, calls, a completion, a no-show, a cancel; its event log."""
    tickets = [client.post(f"/api/queues/{queue['id']}/tickets",
                           json={"device_token": f"device-token-{i:08d}"}).get_json() for i in range(6)]
    first = client.post(f"/api/queues/{queue['id']}/call-next", json={"counter": "1"},
                        headers=queue["headers"]).get_json()
    client.post(f"/api/tickets/{first['id']}/complete", headers=queue["headers"])
    second = client.post(f"/api/queues/{queue['id']}/call-next", headers=queue["headers"]).get_json()
    client.post(f"/api/tickets/{second['id']}/no-show", headers=queue["headers"])
    client.post(f"/api/queues/{queue['id']}/call-next", headers=queue["headers"])
    client.post(f"/api/tickets/{tickets[5]['id']}/cancel", json={})
    db = client.application.extensions["qode_db"]
    with db.read() as conn:
        rows = conn.execute("SELECT seq, queue_id, type, ticket_id, ticket_number, data, service_day,"
                            " created_at, mono, boot_id FROM events ORDER BY seq").fetchall()
    return [{**dict(r), "data": json.loads(r["data"])} for r in rows]


def dump(hub) -> str:
    with hub.extensions["qode_db"].read() as conn:
        return "\n".join(conn.iterdump())


def send(hub_client, site, events, device_id=None, after=None):
    """A batch as a box sends it; it follows the seq before its first event unless `after` says."""
    after = events[0]["seq"] - 1 if after is None else after
    return hub_client.post("/api/sync/batches", headers=site["headers"],
                           json={"device_id": device_id or site["device_id"], "after": after, "events": events})


def test_a_box_log_arrives_once_and_the_site_state_follows_it(hub, hub_client, box_events, queue):
    site = register(hub_client, "townhall-1", "Town hall")
    first = send(hub_client, site, box_events[:5])
    assert first.status_code == 200 and first.get_json() == {"acked_seq": box_events[4]["seq"], "stored": 5}
    # A replayed batch and an overlapping one store nothing twice.
    assert send(hub_client, site, box_events[:5]).get_json()["stored"] == 0
    rest = send(hub_client, site, box_events[3:])
    assert rest.get_json() == {"acked_seq": box_events[-1]["seq"], "stored": len(box_events) - 5}
    stored = hub_client.get("/api/hub/sites/townhall-1/events?after=0&limit=1000",
                            headers=hub_admin()).get_json()
    assert stored["events"] == box_events  # every field, in order, once

    (listed,) = hub_client.get("/api/hub/sites", headers=hub_admin()).get_json()["sites"]
    assert listed["name"] == "Town hall" and listed["events"] == len(box_events)
    (line,) = listed["queues"]
    assert (line["name"], line["now_serving"], line["waiting"]) == ("Front desk", "A003", 2)
    today = listed["today"]
    assert (today["served"], today["no_shows"]) == (1, 1) and today["avg_wait_seconds"] is not None
    assert sum(h["called"] for h in today["waits_per_hour"]) == 3

    csv_text = hub_client.get(f"/api/hub/sites/townhall-1/export.csv?day={today['day']}",
                              headers=hub_admin()).get_data(as_text=True)
    lines = csv_text.strip().splitlines()
    assert lines[0] == "queue,number,status,created_at,called_at,completed_at,wait_seconds"
    assert [row.split(",")[2] for row in lines[1:]] == [
        "COMPLETED", "NO_SHOW", "CALLED", "WAITING", "WAITING", "CANCELLED"]


def test_a_gap_is_refused_with_where_to_resume_and_nothing_stored(hub, hub_client, box_events):
    site = register(hub_client, "b1")
    send(hub_client, site, box_events[:3])
    before = dump(hub)
    gap = send(hub_client, site, box_events[4:])  # it follows event 4, which the hub never got
    assert gap.status_code == 409
    error = gap.get_json()["error"]
    assert error["code"] == "sync_gap" and error["resume_after"] == box_events[2]["seq"]
    assert dump(hub) == before


def test_an_event_that_comes_again_changed_is_refused_whole(hub, hub_client, box_events):
    site = register(hub_client, "b1")
    send(hub_client, site, box_events[:3])
    before = dump(hub)
    changed = [dict(e) for e in box_events[:6]]
    changed[1]["type"] = "cancel"
    answer = send(hub_client, site, changed)
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "seq_conflict"
    assert dump(hub) == before  # the new events of that batch were not stored either


def test_keys_and_ids(hub, hub_client, box_events):
    a, b = register(hub_client, "site-a"), register(hub_client, "site-b")
    before = dump(hub)
    wrong = hub_client.post("/api/sync/batches", json={"device_id": "site-a", "events": box_events[:2]},
                            headers={"Authorization": "Bearer not-a-key-of-any-box-000000"})
    assert wrong.status_code == 401
    none = hub_client.post("/api/sync/batches", json={"device_id": "site-a", "events": box_events[:2]})
    assert none.status_code == 401
    other = send(hub_client, b, box_events[:2], device_id="site-a")  # b's key, a's id
    assert other.status_code == 403
    as_admin = hub_client.get("/api/hub/sites", headers=a["headers"])  # a box's key is no admin
    assert as_admin.status_code == 403
    assert hub_client.get("/api/hub/sites", headers=admin(ADMIN_TOKEN)).status_code == 401  # a box's admin
    assert dump(hub) == before
    again = hub_client.post("/api/hub/sites", json={"device_id": "site-a", "name": "Again"},
                            headers=hub_admin())
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "site_exists"


def event(seq: int, **changes) -> dict:
    base = {"seq": seq, "queue_id": "6f1c2a9e-1111-4222-8333-444455556666", "type": "join",
            "ticket_id": "5a4b0c2e-1111-4222-8333-444455556666", "ticket_number": seq, "data": {},
            "service_day": "2026-11-26", "created_at": "2026-11-26T09:00:00.000Z"}
    return {**base, **changes}


def batch(*events, after=0, **fields) -> dict:
    return {"device_id": "b1", "after": after, "events": list(events), **fields}


BAD_BATCHES = [
    {},
    {"device_id": "b1", "after": 0},
    batch(),
    {"device_id": "b1", "after": 0, "events": "x"},
    {"device_id": "b1", "events": [event(1)]},  # no `after`
    batch(event(1), after=-1),
    batch(event(1), after="0"),
    batch(event(1), after=1.5),
    batch(event(1), extra=1),
    {**batch(event(1)), "device_id": "b 1"},
    batch(event(0)),
    batch(event(3), after=3),  # not after what it says it follows
    batch({**event(1), "seq": "1"}),
    batch(event(1, queue_id="not-a-uuid")),
    batch(event(1, type="DROP TABLE")),
    batch(event(1, ticket_id=5)),
    batch(event(1, ticket_number=-1)),
    batch(event(1, ticket_number=10**30)),
    batch(event(1, data=[1])),
    batch(event(1, data={"x": "y" * 5000})),
    batch(event(1, service_day="26.11.2026")),
    batch(event(1, service_day="2026-13-40")),
    batch(event(1, service_day="２０２６-11-26")),  # full-width digits
    batch(event(1, created_at="yesterday")),
    batch(event(1, created_at="2026-99-99T99:99:99Z")),
    batch(event(1, created_at="2026-11-26T09:00:00.000")),  # no zone
    batch(event(1, surprise=True)),
    batch(event(1), event(1)),  # the same seq twice
    batch(event(2), event(1)),  # not in order
    batch(event(1), "not an event"),
]


@pytest.mark.parametrize("body", BAD_BATCHES, ids=range(len(BAD_BATCHES)))
def test_a_bad_batch_is_refused_whole(hub, hub_client, body):
    site = register(hub_client, "b1")
    before = dump(hub)
    answer = hub_client.post("/api/sync/batches", json=body, headers=site["headers"])
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["error"]["code"]
    assert dump(hub) == before


def test_oversize_and_non_json_batches_are_refused(hub, hub_client):
    site = register(hub_client, "b1")
    before = dump(hub)
    many = hub_client.post("/api/sync/batches", headers=site["headers"],
                           json=batch(*[event(i) for i in range(1, 102)]))
    assert many.status_code == 413 and many.get_json()["error"]["code"] == "batch_too_large"
    huge = hub_client.post("/api/sync/batches", headers=site["headers"], data="x" * 5_000_000,
                           content_type="application/json")
    assert huge.status_code == 413
    nested = '{"device_id": "b1", "after": 0, "events": ' + "[" * 100000 + "]" * 100000 + "}"
    nan = json.dumps(batch(event(1))).replace('"data": {}', '"data": {"x": NaN}')
    assert "NaN" in nan
    for data, kind in (("{not json", "application/json"), ("a=b", "application/x-www-form-urlencoded"),
                       (nested, "application/json"), (nan, "application/json")):
        answer = hub_client.post("/api/sync/batches", headers=site["headers"], data=data, content_type=kind)
        assert answer.status_code in (400, 415), answer.get_json()
    assert dump(hub) == before


def test_site_registration_and_reads_refuse_bad_input(hub, hub_client):
    before = dump(hub)
    for body in ({}, {"device_id": "x"}, {"device_id": "has space", "name": "X"},
                 {"device_id": "x" * 65, "name": "X"},
                 {"device_id": "ok", "name": ""}, {"device_id": "ok", "name": "bell\x07"},
                 {"device_id": "ok", "name": "X", "key": "mine"}):
        answer = hub_client.post("/api/hub/sites", json=body, headers=hub_admin())
        assert answer.status_code == 422, (body, answer.get_json())
    assert dump(hub) == before
    register(hub_client, "b1")
    for url in ("/api/hub/sites/nope/events", "/api/hub/sites/a%20b/events",
                "/api/hub/sites/nope/export.csv?day=2026-11-26"):
        assert hub_client.get(url, headers=hub_admin()).status_code == 404, url
    for url in ("/api/hub/sites/b1/export.csv", "/api/hub/sites/b1/export.csv?day=2026-13-40",
                "/api/hub/sites/b1/events?after=-1", "/api/hub/sites/b1/events?limit=0"):
        answer = hub_client.get(url, headers=hub_admin())
        assert answer.status_code == 422 and answer.get_json()["error"]["code"] == "invalid_query", url
    assert hub_client.get("/api/hub/sites").status_code == 401


def test_a_queue_name_cannot_become_a_spreadsheet_formula(hub, hub_client):
    site = register(hub_client, "b1")
    queue = "6f1c2a9e-1111-4222-8333-444455556666"
    send(hub_client, site, [event(1, type="queue_created", ticket_id=None, ticket_number=None,
                                  data={"name": "=HYPERLINK(\"x\")", "prefix": "=1+"}), event(2)])
    csv_text = hub_client.get("/api/hub/sites/b1/export.csv?day=2026-11-26", headers=hub_admin()).get_data(True)
    row = csv_text.splitlines()[1]
    assert row.startswith("\"'=HYPERLINK") and queue not in csv_text
    assert row.split(",")[1] == "1002"  # the prefix kept only its letters and digits


def test_odd_text_from_a_box_is_stored_cleaned_never_a_500(hub, hub_client):
    site = register(hub_client, "b1")
    body = json.dumps(batch(event(1, type="queue_created", ticket_id=None, ticket_number=None,
                                  data={"name": "PLACEHOLDER", "prefix": "A"}), event(2)))
    body = body.replace("PLACEHOLDER", "Desk \\ud800 one\\u0007")  # a lone surrogate and a bell
    answer = hub_client.post("/api/sync/batches", data=body, content_type="application/json",
                             headers=site["headers"])
    assert answer.status_code == 200, answer.get_json()
    (listed,) = hub_client.get("/api/hub/sites", headers=hub_admin()).get_json()["sites"]
    assert listed["queues"][0]["name"] == "Desk  one"


def test_a_box_that_purged_old_events_resumes_after_its_cursor(hub, hub_client):
    """A new hub (or one restored from an old copy) asks for events the box no longer has."""
    site = register(hub_client, "b1")
    late = [event(seq) for seq in range(500, 505)]
    gap = send(hub_client, site, late, after=499)
    assert gap.status_code == 409 and gap.get_json()["error"]["resume_after"] == 0
    ok = send(hub_client, site, late, after=0)  # the box says: nothing of mine lies between
    assert ok.get_json() == {"acked_seq": 504, "stored": 5}


def test_the_hub_is_backed_up_and_restored_with_its_own_files(hub, hub_client, box_events, tmp_path):
    """`qode backup --hub` / `qode restore --hub`: the hub holds the only copy of old history."""
    import subprocess

    from qode.backup import BOX, HUB, BackupError, check_backup, restore

    from helpers import QODE

    site = register(hub_client, "b1")
    send(hub_client, site, box_events)
    data_dir = hub.config["DATA_DIR"]
    env = {"PATH": "/usr/bin:/bin", "QODE_ADMIN_TOKEN": HUB_ADMIN, "QODE_TIMEZONE": "UTC"}
    if "PYTHONPATH" in os.environ:  # the tree under test (a worktree), as the server processes get it
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    made = subprocess.run([QODE, "backup", "--hub", "--data-dir", str(data_dir)], capture_output=True,
                          text=True, timeout=60, env=env)
    assert made.returncode == 0, made.stderr
    path = tmp_path / made.stdout.strip()
    assert path.name.startswith("hub-") and path.suffix == ".sqlite3"
    check_backup(path, HUB)
    with pytest.raises(BackupError, match="not a Qode box"):
        check_backup(path, BOX)  # a hub's file is never restored over a box
    restore(path, tmp_path / "again", HUB)
    again = create_app({"QODE_DATA_DIR": str(tmp_path / "again"), "QODE_ADMIN_TOKEN": HUB_ADMIN,
                        "QODE_HUB": "on", "QODE_TIMEZONE": "UTC"})
    events = again.test_client().get("/api/hub/sites/b1/events?limit=1000", headers=hub_admin()).get_json()
    assert events["events"] == box_events
    wrong = subprocess.run([QODE, "restore", str(path), "--data-dir", str(tmp_path / "box")],
                           capture_output=True, text=True, timeout=60, env=env)
    assert wrong.returncode == 1 and "not a Qode box" in wrong.stderr  # without --hub: refused


def test_a_guest_page_address_on_the_hub_is_the_plain_app_without_a_traceback(tmp_path):
    """The hub serves the pages too, but keeps no tickets: /t/<id> read the box's tickets table from
    hub.db, failed, and logged a traceback with the ticket's id (a guest's capability) each time."""
    import requests

    from helpers import ServerProcess

    ticket_id = "5d0c3a8e-1f7b-4c2d-9e6a-0b1c2d3e4f50"
    proc = ServerProcess(tmp_path / "hub", env={"QODE_HUB": "on", "QODE_ADMIN_TOKEN": HUB_ADMIN,
                                                "QODE_SCHEDULER": "off"}).start()
    try:
        index = requests.get(f"{proc.url}/hub", timeout=10)
        if index.status_code == 503:
            pytest.skip("the pages are not built (npm run build in frontend/)")
        answer = requests.get(f"{proc.url}/t/{ticket_id}", timeout=10)
        assert answer.status_code == 200 and answer.text == index.text
        assert "qode-first" not in answer.text
    finally:
        proc.stop()
    log = proc.log.read_text()
    assert "Traceback" not in log and ticket_id not in log, log[-2000:]
