"""Idempotency-Key replays and the protective rate limits."""

from __future__ import annotations

import pytest

from qode import create_app

from helpers import ADMIN_TOKEN, admin


def test_same_call_next_five_times_calls_exactly_one(client, db, queue):
    for n in range(3):
        client.post(f"/api/queues/{queue['id']}/tickets", json={"device_token": f"device-token-idem{n:04d}"})
    headers = {**queue["headers"], "Idempotency-Key": "call-7f3a"}
    answers = [client.post(f"/api/queues/{queue['id']}/call-next", json={"counter": "1"},
                           headers=headers) for _ in range(5)]
    assert {a.status_code for a in answers} == {200}
    assert len({a.get_json()["id"] for a in answers}) == 1
    assert [a.headers.get("Idempotent-Replayed") for a in answers] == [None] + ["true"] * 4
    with db.read() as conn:
        called = conn.execute("SELECT COUNT(*) FROM tickets WHERE status = 'CALLED'").fetchone()[0]
        calls = conn.execute("SELECT COUNT(*) FROM events WHERE type = 'call'").fetchone()[0]
    assert called == 1 and calls == 1
    # A new key is a new request.
    fresh = client.post(f"/api/queues/{queue['id']}/call-next", json={"counter": "1"},
                        headers={**queue["headers"], "Idempotency-Key": "call-other"})
    assert fresh.get_json()["position_number"] == 2


def test_error_answers_are_replayed_too(client, queue):
    headers = {**queue["headers"], "Idempotency-Key": "empty-call"}
    first = client.post(f"/api/queues/{queue['id']}/call-next", headers=headers)
    assert first.status_code == 409
    client.post(f"/api/queues/{queue['id']}/tickets", json={"device_token": "device-token-late0001"})
    again = client.post(f"/api/queues/{queue['id']}/call-next", headers=headers)
    assert again.status_code == 409 and again.headers["Idempotent-Replayed"] == "true"


def test_key_reused_for_another_request_is_refused(client, queue):
    headers = {**queue["headers"], "Idempotency-Key": "reused"}
    client.patch(f"/api/queues/{queue['id']}", json={"is_paused": True}, headers=headers)
    response = client.patch(f"/api/queues/{queue['id']}", json={"is_paused": False}, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "idempotency_key_reused"


def test_keys_are_per_credential(client, queue):
    for n in range(2):
        client.post(f"/api/queues/{queue['id']}/tickets", json={"device_token": f"device-token-cred{n:04d}"})
    as_host = client.post(f"/api/queues/{queue['id']}/call-next",
                          headers={**queue["headers"], "Idempotency-Key": "k"})
    as_admin = client.post(f"/api/queues/{queue['id']}/call-next",
                           headers={**admin(), "Idempotency-Key": "k"})
    assert as_host.get_json()["id"] != as_admin.get_json()["id"]


def test_kiosk_issuance_is_idempotent(client, db, queue):
    kiosk = client.post(f"/api/queues/{queue['id']}/devices", json={"name": "Door"},
                        headers=queue["headers"]).get_json()["token"]
    headers = {"Authorization": f"Bearer {kiosk}", "Idempotency-Key": "press-0001"}
    answers = [client.post(f"/api/queues/{queue['id']}/tickets", json={}, headers=headers)
               for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert len({a.get_json()["id"] for a in answers}) == 1
    with db.read() as conn:
        assert conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 1


def test_replays_expire_after_a_day(client, db, queue):
    from helpers import FakeClock

    clock = FakeClock(db.clock.now(), tz=db.clock.tz, day_starts_at=db.clock.day_starts_at)
    db.clock = clock
    headers = {**queue["headers"], "Idempotency-Key": "old"}
    client.patch(f"/api/queues/{queue['id']}", json={"is_paused": True}, headers=headers)
    clock.advance(hours=25)
    with db.read() as conn:
        assert conn.execute("SELECT COUNT(*) FROM idempotency").fetchone()[0] == 1
    response = client.patch(f"/api/queues/{queue['id']}", json={"is_paused": False}, headers=headers)
    assert response.status_code == 200 and "Idempotent-Replayed" not in response.headers
    assert response.get_json()["is_paused"] is False


@pytest.fixture
def limited(tmp_path):
    return create_app({
        "QODE_DATA_DIR": str(tmp_path / "limited"),
        "QODE_ADMIN_TOKEN": ADMIN_TOKEN,
        "QODE_JOIN_RATE_LIMIT": "3/minute",
        "QODE_AUTH_RATE_LIMIT": "2/minute",
        "QODE_SCHEDULER": "off",
    }).test_client()


def test_join_rate_limit_counts_creations_not_rejoins(limited):
    queue = limited.post("/api/queues", json={"name": "Q"}, headers=admin()).get_json()
    url = f"/api/queues/{queue['id']}/tickets"
    device = {"device_token": "device-token-flood001"}
    # A guest reloading the page always gets their ticket back.
    codes = [limited.post(url, json=device).status_code for _ in range(6)]
    assert codes == [201] + [200] * 5
    # Creations count: cancel and take a new number, three times in all, then 429.
    created = []
    for _ in range(3):
        ticket = limited.post(url, json=device).get_json()
        created.append(ticket["id"])
        limited.post(f"/api/tickets/{ticket['id']}/cancel")
    assert len(set(created)) == 3
    blocked = limited.post(url, json=device)
    assert blocked.status_code == 429
    assert blocked.get_json()["error"]["code"] == "rate_limited"
    assert int(blocked.headers["Retry-After"]) > 0
    # The limit is spent inside the join's write (issue 17): the refusal took no number and wrote nothing.
    state = limited.get(f"/api/queues/{queue['id']}").get_json()
    assert state["last_number_issued"] == 3 and state["waiting_count"] == 0  # numbers 1-3, all cancelled


def test_a_reload_is_answered_once_the_limit_is_used_up_and_a_new_phone_is_refused(limited):
    """Used up, the join is settled before the writer: the phone holding a ticket gets it back (200),
    a phone without one is refused (429), and the refusal takes no number."""
    queue = limited.post("/api/queues", json={"name": "Q"}, headers=admin()).get_json()
    url = f"/api/queues/{queue['id']}/tickets"
    first = limited.post(url, json={"device_token": "device-token-usedup01"}).get_json()
    for n in (2, 3):
        assert limited.post(url, json={"device_token": f"device-token-usedup0{n}"}).status_code == 201
    again = limited.post(url, json={"device_token": "device-token-usedup01"})
    assert again.status_code == 200 and again.get_json()["id"] == first["id"]
    refused = limited.post(url, json={"device_token": "device-token-usedup04"})
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "rate_limited"
    state = limited.get(f"/api/queues/{queue['id']}").get_json()
    assert state["last_number_issued"] == 3 and state["waiting_count"] == 3


def test_join_rate_limit_per_ip(limited):
    queue = limited.post("/api/queues", json={"name": "Q"}, headers=admin()).get_json()
    url = f"/api/queues/{queue['id']}/tickets"
    codes = [limited.post(url, json={"device_token": f"device-token-many{n:04d}"}).status_code
             for n in range(4)]
    assert codes == [201, 201, 201, 429]


def test_kiosk_is_exempt_from_join_limit(limited):
    queue = limited.post("/api/queues", json={"name": "Q"}, headers=admin()).get_json()
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    kiosk = limited.post(f"/api/queues/{queue['id']}/devices", json={"name": "K"}, headers=host)
    headers = {"Authorization": f"Bearer {kiosk.get_json()['token']}"}
    codes = [limited.post(f"/api/queues/{queue['id']}/tickets", json={}, headers=headers).status_code
             for _ in range(6)]
    assert codes == [201] * 6


def test_failed_auth_rate_limit(limited):
    queue = limited.post("/api/queues", json={"name": "Q"}, headers=admin()).get_json()
    url = f"/api/queues/{queue['id']}/tickets"
    bad = {"Authorization": "Bearer wrong-token-0123456789abcdef"}
    codes = [limited.get(url, headers=bad).status_code for _ in range(3)]
    assert codes == [401, 401, 429]
    blocked = limited.get(url, headers={"Authorization": f"Bearer {queue['host_token']}"})
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers


def test_guessing_tokens_does_not_lock_out_guests_behind_the_same_address(limited):
    """A venue's guests often share one address (NAT); someone guessing tokens there must not stop
    them joining. A join that brings a token is a login attempt and waits like any other."""
    queue = limited.post("/api/queues", json={"name": "Q"}, headers=admin()).get_json()
    url = f"/api/queues/{queue['id']}/tickets"
    bad = {"Authorization": "Bearer wrong-token-0123456789abcdef"}
    assert [limited.get(url, headers=bad).status_code for _ in range(3)] == [401, 401, 429]
    guest = limited.post(url, json={"device_token": "device-token-natguest1"})
    assert guest.status_code == 201, guest.get_json()
    assert limited.post(url, json={}, headers=bad).status_code == 429
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    assert limited.post(url, json={}, headers=host).status_code == 429


def test_a_real_token_refused_for_its_scope_does_not_count(limited):
    """A 403 comes with a real token (a staff page asking about a service it lacks): it guesses
    nothing, so it must not use up the address's allowance and lock the desk out."""
    one = limited.post("/api/queues", json={"name": "One"}, headers=admin()).get_json()
    other = limited.post("/api/queues", json={"name": "Other"}, headers=admin()).get_json()
    host = {"Authorization": f"Bearer {one['host_token']}"}
    codes = [limited.get(f"/api/queues/{other['id']}/tickets", headers=host).status_code for _ in range(5)]
    assert codes == [403] * 5
    assert limited.get(f"/api/queues/{one['id']}/tickets", headers=host).status_code == 200
    bad = {"Authorization": "Bearer wrong-token-0123456789abcdef"}  # a guess still counts
    assert [limited.get(f"/api/queues/{one['id']}/tickets", headers=bad).status_code
            for _ in range(3)] == [401, 401, 429]


def test_successful_auth_does_not_count(limited):
    queue = limited.post("/api/queues", json={"name": "Q"}, headers=admin()).get_json()
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    codes = [limited.get(f"/api/queues/{queue['id']}/tickets", headers=host).status_code
             for _ in range(5)]
    assert codes == [200] * 5


def test_body_limit_setting(tmp_path):
    small = create_app({"QODE_DATA_DIR": str(tmp_path / "s"), "QODE_ADMIN_TOKEN": ADMIN_TOKEN,
                        "QODE_MAX_BODY": "64", "QODE_SCHEDULER": "off"}).test_client()
    response = small.post("/api/queues", json={"name": "x" * 70}, headers=admin())
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "body_too_large"


def test_display_token_is_a_credential_for_something_else(client, queue):
    display = client.post(f"/api/queues/{queue['id']}/devices", json={"name": "TV", "kind": "display"},
                          headers=queue["headers"]).get_json()["token"]
    headers = {"Authorization": f"Bearer {display}"}
    assert client.post(f"/api/queues/{queue['id']}/tickets", json={}, headers=headers).status_code == 403
    assert client.post(f"/api/queues/{queue['id']}/call-next", headers=headers).status_code == 403
