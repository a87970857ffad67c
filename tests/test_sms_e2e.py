"""Text messages for real (issue 16, must-show 3): a `qode serve` drives Debian's gammu, which
talks AT commands to a fake modem on a pseudo-terminal (tests/fakemodem.py). A second process
is the hub the box syncs to. The guest's number must reach the modem and nowhere else: not the
event log, not the hub, not a log line, and not the database file once the ticket has ended.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
import requests

from fakemodem import FakeModem

from helpers import ServerProcess, admin, wait_until, ws_client_class

pytestmark = [pytest.mark.server, pytest.mark.slow]

HUB_ADMIN = "hub-admin-token-0123456789abcdef"
PHONE_TYPED = "+44 7700 900123"
PHONE = "+447700900123"
# Every way the number could sit in a file: as typed, normalized, without the +, the local part.
FORMS = [PHONE_TYPED, PHONE, PHONE[1:], "7700900123", "7700 900123"]
WsClient = ws_client_class()


def gammu_ok():
    from helpers import system_tool

    return system_tool("gammu") is not None


needs_gammu = pytest.mark.skipif(not gammu_ok(), reason="Debian's gammu is not installed (apt install gammu)")


@pytest.fixture
def modem():
    fake = FakeModem().start()
    yield fake
    fake.stop()


@pytest.fixture
def hub(tmp_path):
    proc = ServerProcess(tmp_path / "hub", env={"QODE_ADMIN_TOKEN": HUB_ADMIN})
    proc.extra_args = ["--hub"]
    proc.start()
    yield proc
    proc.stop()


def start_box(tmp_path: Path, modem_path: str, **env) -> ServerProcess:
    return ServerProcess(tmp_path / "box", env={"QODE_SMS_DEVICE": modem_path,
                                                "QODE_SMS_HEALTH_SECONDS": "3600", **env}).start()


def new_queue(box) -> tuple[dict, dict]:
    queue = requests.post(f"{box.url}/api/queues", json={"name": "Desk", "prefix": "A"}, headers=admin(),
                          timeout=5).json()
    return queue, {"Authorization": f"Bearer {queue['host_token']}"}


def join(box, queue, n: int) -> dict:
    answer = requests.post(f"{box.url}/api/queues/{queue['id']}/tickets",
                           json={"device_token": f"device-token-sms{n:06d}"}, timeout=5)
    assert answer.status_code == 201, answer.text
    return answer.json()


def call_next(box, queue, host, counter: str = "1") -> dict:
    answer = requests.post(f"{box.url}/api/queues/{queue['id']}/call-next", json={"counter": counter},
                           headers=host, timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()


def status(box) -> dict:
    return requests.get(f"{box.url}/api/sms", headers=admin(), timeout=5).json()


def settled(box) -> bool:
    """The sender has had its first round (health checked) and nothing waits to go."""
    now = status(box)
    return now["checked_at"] is not None and now["pending"] == 0


def file_bytes(*paths: Path) -> bytes:
    return b"".join(p.read_bytes() for p in paths if p.exists())


def holds_number(data: bytes) -> list[str]:
    return [form for form in FORMS if form.encode() in data]


@needs_gammu
def test_a_guest_gets_one_nearly_text_and_one_called_text_and_the_number_goes_nowhere_else(
        tmp_path, modem, hub):
    key = requests.post(f"{hub.url}/api/hub/sites", json={"device_id": "box-1", "name": "box-1"},
                        headers={"Authorization": f"Bearer {HUB_ADMIN}"}, timeout=5).json()["key"]
    box = start_box(tmp_path, modem.path, QODE_SYNC_URL=hub.url, QODE_DEVICE_ID="box-1", QODE_SYNC_KEY=key,
                    QODE_SYNC_SECONDS="1")
    try:
        queue, host = new_queue(box)
        for n in range(5):
            join(box, queue, n)
        guest = join(box, queue, 5)  # A006, five ahead
        assert guest["display_number"] == "A006" and guest["people_ahead"] == 5
        phone_url = f"{box.url}/api/tickets/{guest['id']}/phone"
        assert requests.get(phone_url, timeout=5).json() == {"available": True, "phone": None}
        left = requests.put(phone_url, json={"phone": PHONE_TYPED}, timeout=5)
        assert left.status_code == 200, left.text
        assert left.json() == {"available": True, "phone": "•••• 0123"}  # masked, even to its guest

        # Five, then four ahead: no text yet.
        wait_until(lambda: settled(box), timeout=60)
        call_next(box, queue, host)
        wait_until(lambda: settled(box), timeout=30)
        assert modem.texts() == []
        # Three ahead: exactly one text, with the ticket's number.
        call_next(box, queue, host)
        wait_until(lambda: modem.texts(), timeout=60)
        assert modem.texts() == [(PHONE, "Ticket A006: 3 ahead of you. Please come back now.")]
        # Two, one, none ahead: the "nearly" text is not sent again.
        for _ in range(3):
            call_next(box, queue, host)
        wait_until(lambda: settled(box), timeout=30)
        assert len(modem.texts()) == 1
        # Called at counter 2: one text naming the counter.
        called = call_next(box, queue, host, counter="2")
        assert called["id"] == guest["id"]
        wait_until(lambda: len(modem.texts()) == 2, timeout=60)
        assert modem.texts()[1] == (PHONE, "Ticket A006: it's your turn. Please go to counter 2.")
        # A recall, a requeue and a new call, the host's view refreshed: still two texts.
        assert requests.post(f"{box.url}/api/tickets/{guest['id']}/recall", json={"counter": "2"},
                             headers=host, timeout=5).status_code == 200
        assert requests.post(f"{box.url}/api/tickets/{guest['id']}/requeue", json={}, headers=host,
                             timeout=5).status_code == 200
        call_next(box, queue, host, counter="2")
        time.sleep(2)  # a round of the sender has run (it wakes on every commit)
        wait_until(lambda: settled(box), timeout=30)
        assert len(modem.texts()) == 2
        assert any(c.startswith("AT+CMGS=") for c in modem.commands)  # gammu really sent PDUs

        # The host sees the number masked only, and the modem's health.
        rows = requests.get(f"{box.url}/api/queues/{queue['id']}/tickets", headers=host, timeout=5).text
        assert not holds_number(rows.encode())
        health = status(box)
        assert health["state"] == "ok" and health["sim"] == "ready" and health["sent_today"] == 2
        assert health["signal"] == 60  # the fake's +CSQ: 20 -> gammu's "Network level" percent

        # While the ticket is active the number is in its own table; the moment it ends, it is not.
        db_path = box.data_dir / "qode.db"
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
            assert conn.execute("SELECT phone FROM sms_phones").fetchall() == [(PHONE,)]
        assert requests.post(f"{box.url}/api/tickets/{guest['id']}/complete", json={}, headers=host,
                             timeout=5).status_code == 200
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
            assert conn.execute("SELECT COUNT(*) FROM sms_phones").fetchone()[0] == 0
            assert conn.execute("SELECT COUNT(*) FROM sms_outbox").fetchone()[0] == 0
            events = json.dumps([list(r) for r in conn.execute("SELECT * FROM events")])
        assert not holds_number(events.encode())
        # ... nor anywhere in the database's files, once the sender wiped the WAL.
        files = [db_path, db_path.with_name("qode.db-wal")]
        wait_until(lambda: not holds_number(file_bytes(*files)), timeout=30)
        assert requests.get(phone_url, timeout=5).json() == {"available": True, "phone": None}
        after = requests.put(phone_url, json={"phone": PHONE_TYPED}, timeout=5)
        assert after.status_code == 409 and after.json()["error"]["code"] == "ticket_ended"

        # The hub has the whole log, and not the number.
        wait_until(lambda: requests.get(f"{box.url}/healthz", timeout=5).json().get("sync", {})
                   .get("pending") == 0, timeout=60)
        hub_db = hub.data_dir / "hub.db"
        assert file_bytes(hub_db).startswith(b"SQLite format 3")
        assert not holds_number(file_bytes(hub_db, hub_db.with_name("hub.db-wal")))
    finally:
        box.stop()
    hub.stop()
    # Nor any log line of either process (gunicorn's access log included).
    assert not holds_number(box.log.read_bytes())
    assert not holds_number(hub.log.read_bytes())
    assert "Traceback" not in box.log.read_text()
    # The modem did get it: the test is not blind.
    assert modem.texts()[0][0] == PHONE


@needs_gammu
def test_a_modem_error_shows_on_the_host_dashboard(tmp_path, modem):
    box = start_box(tmp_path, modem.path)
    try:
        queue, host = new_queue(box)
        wait_until(lambda: status(box)["checked_at"] is not None, timeout=60)
        ws = WsClient.connect(box.url.replace("http://", "ws://") + f"/ws/host/{queue['id']}")
        ws.send(json.dumps({"type": "auth", "token": queue["host_token"]}))
        snapshot = json.loads(ws.receive(timeout=10))
        assert snapshot["type"] == "snapshot" and snapshot["sms"]["state"] == "ok"

        modem.fail_send = "+CMS ERROR: 500"
        guest = join(box, queue, 1)  # nobody ahead: the "nearly" text is due at once
        assert requests.put(f"{box.url}/api/tickets/{guest['id']}/phone", json={"phone": "+4915112345678"},
                            timeout=5).status_code == 200
        wait_until(lambda: status(box)["state"] == "error", timeout=60)
        health = status(box)
        assert health["failed_today"] >= 1 and health["sent_today"] == 0
        assert "500" in health["last_error"] and "15112345678" not in health["last_error"]
        assert modem.texts() == []

        # The dashboard's socket is told without asking.
        def error_on_socket():
            message = json.loads(ws.receive(timeout=5) or "{}")
            return message.get("sms", {}).get("state") == "error"
        wait_until(error_on_socket, timeout=30)
        ws.close()
    finally:
        box.stop()
    assert "15112345678" not in box.log.read_text()
    assert "Traceback" not in box.log.read_text()


@needs_gammu
def test_bad_numbers_floods_and_caps_get_clear_errors(tmp_path, modem):
    box = start_box(tmp_path, modem.path, QODE_SMS_PER_DAY="2", QODE_SMS_PHONE_RATE_LIMIT="3/hour")
    try:
        queue, host = new_queue(box)
        guests = [join(box, queue, n) for n in range(4)]
        url = f"{box.url}/api/tickets/{guests[0]['id']}/phone"
        bad = {"abc": "digits only", "12345": "6 to 15 digits", "+1234567890123456": "6 to 15 digits",
               "": "empty", "++44123456": "digits only", "٣٣٣٣٣٣٣": "digits only"}
        for number, said in bad.items():
            answer = requests.put(url, json={"phone": number}, timeout=5)
            assert answer.status_code == 422, number
            error = answer.json()["error"]
            assert error["code"] == "invalid_phone" and said in error["message"]
        for body in ({"phone": 4477009001}, {}, {"phone": "+447700900123", "name": "x"}, {"phone": "9" * 41}):
            answer = requests.put(url, json=body, timeout=5)
            assert answer.status_code == 422 and "phone" in answer.json()["error"]["message"] + json.dumps(body)
        assert requests.put(url, data="+447700900123", timeout=5).status_code == 415
        assert requests.put(f"{box.url}/api/tickets/not-a-ticket/phone", json={"phone": PHONE},
                            timeout=5).status_code in (404, 422)
        missing = requests.put(f"{box.url}/api/tickets/00000000-0000-4000-8000-000000000000/phone",
                               json={"phone": PHONE}, timeout=5)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "ticket_not_found"

        # A flood from one address: three changes an hour, then 429 with Retry-After.
        flood = {"X-Forwarded-For": "10.1.2.3"}
        for n in range(3):
            left = requests.put(f"{box.url}/api/tickets/{guests[n]['id']}/phone",
                                json={"phone": f"+4477009001{n:02d}"}, headers=flood, timeout=5)
            assert left.status_code == 200
        refused = requests.put(f"{box.url}/api/tickets/{guests[3]['id']}/phone",
                               json={"phone": "+447700900199"}, headers=flood, timeout=5)
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
        assert int(refused.headers["Retry-After"]) > 0
        # ... and per ticket, from any number of addresses.
        for n in range(3):
            requests.delete(f"{box.url}/api/tickets/{guests[3]['id']}/phone",
                            headers={"X-Forwarded-For": f"10.9.0.{n}"}, timeout=5)
        again = requests.put(f"{box.url}/api/tickets/{guests[3]['id']}/phone",
                             json={"phone": "+447700900199"}, headers={"X-Forwarded-For": "10.9.0.99"},
                             timeout=5)
        assert again.status_code == 429

        # Three guests opted in, all within three of the front: the day's cap of 2 sends two texts.
        wait_until(lambda: status(box)["sent_today"] == 2 and status(box)["capped_today"] == 1, timeout=90)
        time.sleep(2)
        assert len(modem.texts()) == 2 and status(box)["pending"] == 0
    finally:
        box.stop()
    assert "Traceback" not in box.log.read_text()


def test_without_a_modem_the_feature_is_off(tmp_path):
    box = ServerProcess(tmp_path / "box", env={"QODE_SMS_DEVICE": str(tmp_path / "no-such-tty")}).start()
    try:
        queue, _ = new_queue(box)
        guest = join(box, queue, 1)
        url = f"{box.url}/api/tickets/{guest['id']}/phone"
        assert requests.get(url, timeout=5).json() == {"available": False, "phone": None}
        refused = requests.put(url, json={"phone": PHONE}, timeout=5)
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "sms_off"
        assert status(box)["state"] == "missing"
    finally:
        box.stop()
    plain = ServerProcess(tmp_path / "plain").start()  # no QODE_SMS_DEVICE at all
    try:
        queue, _ = new_queue(plain)
        guest = join(plain, queue, 1)
        assert requests.get(f"{plain.url}/api/tickets/{guest['id']}/phone", timeout=5).json() == {
            "available": False, "phone": None}
        assert requests.put(f"{plain.url}/api/tickets/{guest['id']}/phone", json={"phone": PHONE},
                            timeout=5).status_code == 409
        assert status(plain) == {"enabled": False}
    finally:
        plain.stop()


@needs_gammu
def test_guest_page_and_host_dashboard_in_chromium(tmp_path, modem, browser):
    """Chromium: a guest leaves a number on /t/{id} (the form is there only with a modem) and sees it
    masked; the host's dashboard shows the number masked, then the modem's send error."""
    from urllib.parse import urlparse

    from a11y import axe_violations, keyboard_problems, overflow_problems, text_at_200_percent

    box = start_box(tmp_path, modem.path)
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="en-US")
    strays: list[str] = []

    def guard(route):
        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            strays.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    try:
        queue, host = new_queue(box)
        for n in range(4):
            join(box, queue, n)
        guest = join(box, queue, 9)  # four ahead: nothing is due yet
        wait_until(lambda: status(box)["checked_at"] is not None, timeout=60)
        page = context.new_page()
        page.goto(f"{box.url}/t/{guest['id']}")
        form = page.get_by_test_id("phone-opt-in")
        form.wait_for(timeout=15000)
        assert "deleted when your ticket ends" in form.inner_text()
        assert axe_violations(page) == []
        assert overflow_problems(page) == []
        assert keyboard_problems(page) == []
        with text_at_200_percent(page):
            assert overflow_problems(page) == []
        page.get_by_label("Mobile number").fill("12345")
        page.get_by_role("button", name="Text me").click()
        page.get_by_role("alert").wait_for(timeout=10000)
        assert "6 to 15 digits" in page.get_by_role("alert").inner_text()
        page.get_by_label("Mobile number").fill(PHONE_TYPED)
        page.get_by_label("Mobile number").press("Enter")  # the keyboard's Go key submits
        page.get_by_test_id("phone-saved").wait_for(timeout=10000)
        assert "•••• 0123" in page.get_by_test_id("phone-saved").inner_text()
        assert axe_violations(page) == []

        dashboard = context.new_page()
        dashboard.set_viewport_size({"width": 1280, "height": 900})
        dashboard.goto(f"{box.url}/host/{queue['id']}#token={queue['host_token']}")
        dashboard.get_by_test_id("sms-status").get_by_text("Modem ready").wait_for(timeout=15000)
        assert dashboard.get_by_test_id("ticket-phone").inner_text() == "Texts to •••• 0123".replace(
            "•••• 0123", "\u2066•••• 0123\u2069")
        assert PHONE not in dashboard.content() and "900123" not in dashboard.content()
        modem.fail_send = "+CMS ERROR: 500"
        call_next(box, queue, host)  # three ahead: the text is due, and the modem refuses it
        dashboard.get_by_test_id("sms-status").get_by_text("The modem could not send").wait_for(timeout=60000)
        assert dashboard.get_by_test_id("sms-status").get_attribute("data-state") == "error"
        assert axe_violations(dashboard) == []
    finally:
        context.close()
        box.stop()
    assert strays == []
    assert not holds_number(box.log.read_bytes())


@needs_gammu
def test_touch_kiosk_keypad_leaves_a_number_and_the_guest_gets_the_text(tmp_path, modem, browser):
    """Chromium on the touch kiosk (no system keyboard): after "Take a ticket", the keypad takes a
    number; the guest, with nobody ahead, gets the "you are next" text on the fake modem."""
    from a11y import axe_violations

    box = start_box(tmp_path, modem.path)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    try:
        queue, host = new_queue(box)
        kiosk = requests.post(f"{box.url}/api/queues/{queue['id']}/devices", json={"name": "Touch"},
                              headers=host, timeout=5).json()
        wait_until(lambda: status(box)["checked_at"] is not None, timeout=60)
        page = context.new_page()
        page.goto(f"{box.url}/kiosk/{queue['id']}#token={kiosk['token']}")
        page.get_by_role("button", name="Take a ticket").click()
        page.get_by_test_id("kiosk-phone-open").click()
        dialog = page.get_by_role("dialog")
        assert "deleted when your ticket ends" in dialog.inner_text()
        assert axe_violations(page) == []
        for key in "+447700900123":
            dialog.get_by_role("button", name=key, exact=True).click()
        assert dialog.get_by_test_id("kiosk-phone-digits").inner_text() == PHONE
        dialog.get_by_role("button", name="Text me").click()
        page.get_by_test_id("kiosk-phone-saved").wait_for(timeout=10000)
        assert "•••• 0123" in page.get_by_test_id("kiosk-phone-saved").inner_text()
        wait_until(lambda: modem.texts(), timeout=60)
        assert modem.texts() == [(PHONE, "Ticket A001: you are next. Please come back now.")]
        page.get_by_role("button", name="Done").first.click()
        page.get_by_role("button", name="Take a ticket").wait_for(timeout=20000)  # back to the start
    finally:
        context.close()
        box.stop()
    assert not holds_number(box.log.read_bytes())
