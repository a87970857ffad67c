"""Print jobs on the server: kiosk status, jobs with kiosk tickets, acks, expiry and reprint.

In-process (Flask's test client, a fake clock). The kiosk daemon, a real server and a fake
ESC/POS printer meet in tests/test_kiosk_e2e.py.
"""

from __future__ import annotations

import pytest

from qode import jobs

from helpers import FakeClock, admin, utc


@pytest.fixture
def box(app, client, queue):
    db = app.extensions["qode_db"]
    db.clock = FakeClock(utc(2026, 11, 26, 9, 0))
    kiosk = client.post(f"/api/queues/{queue['id']}/devices", json={"name": "Door"},
                        headers=queue["headers"]).get_json()
    kiosk["headers"] = {"Authorization": f"Bearer {kiosk['token']}"}
    return {"app": app, "db": db, "client": client, "queue": queue, "kiosk": kiosk}


def report(box, printer: str, detail: str | None = None, headers=None):
    body = {"printer": printer, **({"detail": detail} if detail else {})}
    return box["client"].post("/api/device/status", json=body, headers=headers or box["kiosk"]["headers"])


def press(box) -> dict:
    response = box["client"].post(f"/api/queues/{box['queue']['id']}/tickets", json={},
                                  headers=box["kiosk"]["headers"])
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def host_ticket(box, ticket_id: str) -> dict:
    listed = box["client"].get(f"/api/queues/{box['queue']['id']}/tickets", headers=box["queue"]["headers"])
    return next(t for t in listed.get_json()["tickets"] if t["id"] == ticket_id)


def ack(box, job_id: str, result: str, error: str | None = None):
    body = {"result": result, **({"error": error} if error else {})}
    return box["client"].post(f"/api/device/jobs/{job_id}", json=body, headers=box["kiosk"]["headers"])


def events_of(db, kind: str) -> list[str]:
    with db.read() as conn:
        return [r[0] for r in conn.execute("SELECT data FROM events WHERE type = ? ORDER BY seq", (kind,))]


def test_a_kiosk_without_a_printer_gets_no_job(box):
    ticket = press(box)
    assert ticket["print_status"] is None and "print_job" not in ticket
    with box["db"].read() as conn:
        assert conn.execute("SELECT COUNT(*) FROM print_jobs").fetchone()[0] == 0


def test_a_kiosk_ticket_comes_with_its_job_and_a_done_ack_marks_it_printed(box):
    assert report(box, "ready").status_code == 200
    ticket = press(box)
    job = ticket["print_job"]
    assert ticket["print_status"] == "pending"
    assert job["url"] == f"http://localhost/t/{ticket['id']}"  # the exact status URL for the QR
    assert job["display_number"] == ticket["display_number"] == "A001"
    assert job["queue_name"] == "Front desk" and job["reason"] == "issue"
    assert job["expires_in_ms"] == 120_000
    assert job["printed_at"] == "2026-11-26 09:00"  # a trusted clock: date and time go on paper
    assert host_ticket(box, ticket["id"])["print_status"] == "pending"

    done = ack(box, job["id"], "done")
    assert done.status_code == 200 and done.get_json()["status"] == "done"
    assert host_ticket(box, ticket["id"])["print_status"] == "printed"
    assert ack(box, job["id"], "done").status_code == 200  # a retried ack is harmless
    late = ack(box, job["id"], "failed", "paper jam")
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "job_finished"
    assert host_ticket(box, ticket["id"])["print_status"] == "printed"
    assert len(events_of(box["db"], "print_done")) == 1


def test_a_failed_print_flags_the_ticket_and_reprint_sends_a_new_job(box):
    report(box, "ready")
    ticket = press(box)
    failed = ack(box, ticket["print_job"]["id"], "failed", "printer dropped the connection")
    assert failed.get_json()["error"] == "printer dropped the connection"
    assert host_ticket(box, ticket["id"])["print_status"] == "failed"

    reprint = box["client"].post(f"/api/tickets/{ticket['id']}/reprint", json={},
                                 headers={**box["queue"]["headers"], "Idempotency-Key": "reprint-1"})
    assert reprint.status_code == 201
    job = reprint.get_json()
    assert job["reason"] == "reprint" and job["device_id"] == box["kiosk"]["id"]
    assert host_ticket(box, ticket["id"])["print_status"] == "pending"
    again = box["client"].post(f"/api/tickets/{ticket['id']}/reprint", json={},
                               headers={**box["queue"]["headers"], "Idempotency-Key": "reprint-1"})
    assert again.get_json()["id"] == job["id"]  # a retried tap prints once
    assert ack(box, job["id"], "done").status_code == 200
    assert host_ticket(box, ticket["id"])["print_status"] == "printed"


def test_reprint_refuses_what_cannot_be_printed(box, client):
    queue, host = box["queue"], box["queue"]["headers"]
    guest = client.post(f"/api/queues/{queue['id']}/tickets", json={"device_token": "device-token-00000001"})
    guest_id = guest.get_json()["id"]
    none = client.post(f"/api/tickets/{guest_id}/reprint", json={}, headers=host)
    assert none.status_code == 409 and none.get_json()["error"]["code"] == "no_printer"
    report(box, "ready")
    other = client.post("/api/queues", json={"name": "Other"}, headers=admin()).get_json()
    foreign = client.post(f"/api/queues/{other['id']}/devices", json={"name": "K2"},
                          headers={"Authorization": f"Bearer {other['host_token']}"}).get_json()
    wrong = client.post(f"/api/tickets/{guest_id}/reprint", json={"device_id": foreign["id"]}, headers=host)
    assert wrong.status_code == 404 and wrong.get_json()["error"]["code"] == "device_not_found"
    # A guest's ticket may be printed for them at the kiosk (a phone that died, say).
    assert client.post(f"/api/tickets/{guest_id}/reprint", json={}, headers=host).status_code == 201
    client.post(f"/api/tickets/{guest_id}/cancel", json={})
    ended = client.post(f"/api/tickets/{guest_id}/reprint", json={}, headers=host)
    assert ended.status_code == 409 and ended.get_json()["error"]["code"] == "ticket_ended"
    kiosk = client.post(f"/api/tickets/{guest_id}/reprint", json={}, headers=box["kiosk"]["headers"])
    assert kiosk.status_code == 403  # only a host asks for reprints


def test_a_job_past_its_age_is_never_printed_and_the_ticket_reads_not_printed(box):
    report(box, "ready")
    ticket = press(box)
    job_id = ticket["print_job"]["id"]
    runner = jobs.Jobs(box["db"], box["app"].config, box["app"].extensions["qode_live"])
    box["db"].clock.advance(seconds=119)
    assert runner.print_expiry() == 0
    box["db"].clock.advance(seconds=2)
    assert runner.print_expiry() == 1
    assert host_ticket(box, ticket["id"])["print_status"] == "failed"
    from qode import printing

    assert printing.pending_jobs(box["db"], box["kiosk"]["id"], 120) == []
    assert runner.print_expiry() == 0
    # A kiosk that did print it after all (it confirms late) is believed: the paper is out.
    assert ack(box, job_id, "done").status_code == 200
    assert host_ticket(box, ticket["id"])["print_status"] == "printed"


def test_a_job_from_an_earlier_boot_has_expired(box):
    report(box, "ready")
    press(box)
    from qode import printing

    with box["db"].write() as conn:
        conn.execute("UPDATE print_jobs SET boot_id = 'an-earlier-boot'")
    assert printing.pending_jobs(box["db"], box["kiosk"]["id"], 120) == []
    assert printing.expire(box["db"], 120) == 1


def test_printer_status_is_stored_and_an_event_only_when_it_changes(box, client):
    for state in ("ready", "ready", "paper_out", "paper_out", "ready"):
        assert report(box, state).status_code == 200
    assert len(events_of(box["db"], "device_status")) == 3
    answer = report(box, "paper_low", "paper near end").get_json()
    assert answer["printer"] == "paper_low" and answer["printer_detail"] == "paper near end"
    assert answer["queue_name"] == "Front desk" and answer["connected"] is False
    listed = client.get(f"/api/queues/{box['queue']['id']}/devices", headers=box["queue"]["headers"]).get_json()
    assert [(d["name"], d["printer"]) for d in listed["devices"]] == [("Door", "paper_low")]
    me = client.get("/api/device", headers=box["kiosk"]["headers"]).get_json()
    assert me["id"] == box["kiosk"]["id"] and me["queue_id"] == box["queue"]["id"]


def test_only_the_kiosk_itself_reports_and_acks(box, client):
    report(box, "ready")
    job_id = press(box)["print_job"]["id"]
    display = client.post(f"/api/queues/{box['queue']['id']}/devices", json={"name": "TV", "kind": "display"},
                          headers=box["queue"]["headers"]).get_json()
    other = client.post(f"/api/queues/{box['queue']['id']}/devices", json={"name": "Side"},
                        headers=box["queue"]["headers"]).get_json()
    as_display = {"Authorization": f"Bearer {display['token']}"}
    assert report(box, "ready", headers=as_display).status_code == 403
    assert client.get("/api/device", headers=as_display).status_code == 200  # a display may ask who it is
    stranger = client.post(f"/api/device/jobs/{job_id}", json={"result": "done"},
                           headers={"Authorization": f"Bearer {other['token']}"})
    assert stranger.status_code == 404  # another kiosk's job is not even named
    assert client.post(f"/api/device/jobs/{job_id}", json={"result": "done"},
                       headers=box["queue"]["headers"]).status_code == 403
    assert host_ticket(box, press(box)["id"])["print_status"] == "pending"


def job_state(box, job_id: str, headers=None):
    return box["client"].get(f"/api/device/jobs/{job_id}", headers=headers or box["kiosk"]["headers"])


def test_the_touch_page_follows_its_job_and_the_printer(box, client):
    """GET /api/device/jobs/{id} (issue 14): the kiosk's own job with its printer, so the touch
    page can say "Printing…", "Take your ticket below" or what is wrong with the printer."""
    assert report(box, "ready").status_code == 200
    job = press(box)["print_job"]
    state = job_state(box, job["id"])
    assert state.status_code == 200, state.get_json()
    body = state.get_json()
    assert (body["status"], body["printer"], body["error"]) == ("pending", "ready", None)
    assert body["connected"] is False  # no kiosk daemon holds its device channel here
    assert body["expires_in_ms"] == 120_000 and body["ticket_id"] == job["ticket_id"]

    assert report(box, "paper_out", "out of paper: put in a new roll").status_code == 200
    assert ack(box, job["id"], "failed", "paper_out: out of paper: put in a new roll").status_code == 200
    body = job_state(box, job["id"]).get_json()
    assert (body["status"], body["printer"]) == ("failed", "paper_out")
    assert body["printer_detail"] == "out of paper: put in a new roll" and body["expires_in_ms"] == 0

    assert report(box, "ready").status_code == 200
    printed = press(box)["print_job"]
    assert ack(box, printed["id"], "done").status_code == 200
    assert job_state(box, printed["id"]).get_json()["status"] == "done"


def test_only_the_kiosk_itself_follows_its_jobs(box, client, db):
    assert report(box, "ready").status_code == 200
    job = press(box)["print_job"]
    queue = box["queue"]
    display = client.post(f"/api/queues/{queue['id']}/devices", json={"name": "TV", "kind": "display"},
                          headers=queue["headers"]).get_json()
    other = client.post(f"/api/queues/{queue['id']}/devices", json={"name": "Side"},
                        headers=queue["headers"]).get_json()
    with db.read() as conn:
        before = "\n".join(conn.iterdump())
    for headers, status, code in [
        ({}, 401, "unauthorized"),
        ({"Authorization": "Bearer not-a-token-at-all-0123456789"}, 401, "bad_credentials"),
        ({"Authorization": f"Bearer {display['token']}"}, 403, "forbidden"),  # a display prints nothing
        (queue["headers"], 403, "forbidden"),  # a host is not a kiosk
        ({"Authorization": f"Bearer {other['token']}"}, 404, "job_not_found"),  # another kiosk's job
    ]:
        answer = client.get(f"/api/device/jobs/{job['id']}", headers=headers)
        assert answer.status_code == status, (headers, answer.get_json())
        assert answer.get_json()["error"]["code"] == code
    for bad in ("not-a-uuid", "00000000-0000-4000-8000-000000000000", job["ticket_id"], "%00", "x" * 300):
        answer = job_state(box, bad)
        assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "job_not_found", bad
    with db.read() as conn:
        assert "\n".join(conn.iterdump()) == before  # following a job writes nothing
