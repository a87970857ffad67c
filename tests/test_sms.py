"""Text messages (issue 16, sms): the rules, on the app's database, without gammu.

The sender is driven here with a fake `Modem` (a unit test); tests/test_sms_e2e.py runs the real
gammu against tests/fakemodem.py on a pty, behind a real `qode serve`.
"""

from __future__ import annotations

import sqlite3

import pytest

from fakemodem import decode_submit
from qode import sms
from qode.errors import Conflict, Invalid, NotFound

from helpers import admin

PHONE = "+447700900123"


@pytest.mark.parametrize("raw,expected", [
    ("+44 7700 900123", "+447700900123"), ("(030) 1234-5678", "03012345678"),
    ("0151.1234.5678", "015112345678"),
    ("+1 202/555 0100", "+12025550100"), ("123456", "123456"), ("+123456789012345", "+123456789012345"),
])
def test_numbers_are_normalized(raw, expected):
    assert sms.normalize_phone(raw) == expected


@pytest.mark.parametrize("raw,said", [
    ("", "empty"), ("   ", "empty"), ("+", "empty"), ("abc", "digits only"), ("12a456", "digits only"),
    ("++447700900123", "digits only"), ("44+7700900123", "digits only"), ("٣٣٣٣٣٣٣", "digits only"),
    ("12345", "6 to 15"), ("+1234567890123456", "6 to 15"), (447700900123, "as a string"),
    (None, "as a string"),
])
def test_bad_numbers_are_refused_without_repeating_them(raw, said):
    with pytest.raises(Invalid) as err:
        sms.normalize_phone(raw)
    assert err.value.code == "invalid_phone" and said in err.value.message
    assert str(raw) not in err.value.message or raw in ("", "+")


def test_mask_and_scrub():
    assert sms.mask(PHONE) == "•••• 0123" and sms.mask(None) is None
    assert sms.scrub(f"sending to {PHONE} failed: error 500", [PHONE]) == "sending to ••• failed: error 500"
    assert "447700900123" not in sms.scrub("to 447700900123 and 015112345678", [])


def test_texts_in_every_language_fit_one_message():
    for language in ("en", "de", "fr", "es", "tr", "pl", "uk", "ar"):
        for kind, ahead in (("nearly", 3), ("nearly", 0), ("called", 0)):
            text = sms.text_for(kind, language, "A042", ahead=ahead, counter="12")
            assert "A042" in text
            assert ("12" in text) == (kind == "called")
            limit = 160 if set(text) <= sms.GSM7 else 70
            assert len(text) <= limit, (language, kind, text)


def test_the_fake_modem_decodes_what_gammu_sends():
    # Captured from gammu 1.42 sending "Hello Ä world" (GSM 7-bit) to +4915112345678.
    pdu = "079194710167000011000D91945111325476F80000FF0DC8329BFD066D41F7B79C4D06"
    got = decode_submit(pdu)
    assert got["number"] == "+4915112345678" and got["text"] == "Hello Ä world"


# ---- on the app's database ----------------------------------------------------------------------

class FakeModem:
    def __init__(self):
        self.sent: list[tuple[str, str]] = []
        self.fail: str | None = None
        self.device = "/dev/null"

    def present(self) -> bool:
        return True

    def send(self, phone: str, text: str) -> None:
        if self.fail:
            raise sms.ModemError(self.fail)
        self.sent.append((phone, text))

    def health(self) -> dict:
        return {"sim": "ready", "signal": 60}


@pytest.fixture
def sender(app, db):
    out = sms.Sender(db, {**app.config, "SMS_DEVICE": "/dev/null", "SMS_PER_TICKET": 2, "SMS_PER_DAY": 5})
    out.modem = FakeModem()
    return out


def join(client, queue, n: int) -> dict:
    return client.post(f"/api/queues/{queue['id']}/tickets",
                       json={"device_token": f"device-token-unit{n:04d}"}).get_json()


def call(client, queue, counter="1"):
    return client.post(f"/api/queues/{queue['id']}/call-next", json={"counter": counter},
                       headers=queue["headers"])


def test_one_nearly_and_one_called_text_whatever_is_recomputed(client, db, queue, sender):
    for n in range(4):
        join(client, queue, n)
    guest = join(client, queue, 4)  # four ahead
    sms.set_phone(db, guest["id"], PHONE, True)
    sender.step()
    assert sender.modem.sent == []
    call(client, queue)  # three ahead
    sender.step()
    sender.step()
    assert sender.modem.sent == [(PHONE, "Ticket A005: 3 ahead of you. Please come back now.")]
    for _ in range(3):
        call(client, queue)
        sender.step()
    assert len(sender.modem.sent) == 1
    assert call(client, queue, "4").get_json()["id"] == guest["id"]
    sender.step()
    client.post(f"/api/tickets/{guest['id']}/recall", json={"counter": "4"}, headers=queue["headers"])
    sender.step()
    assert sender.modem.sent[1:] == [(PHONE, "Ticket A005: it's your turn. Please go to counter 4.")]
    assert sender.status()["sent_today"] == 2



@pytest.mark.parametrize("n", [0, 1])
def test_the_services_nearly_up_sets_when_the_first_text_comes(client, db, queue, sender, n):
    """The service's "nearly up at N ahead" (issue 16, nearly): at 0 only the call is texted."""
    assert client.patch(f"/api/queues/{queue['id']}", json={"nearly_up": n}, headers=admin()).status_code == 200
    for i in range(3):
        join(client, queue, i)
    guest = join(client, queue, 3)  # three ahead
    sms.set_phone(db, guest["id"], PHONE, True)
    sent = []
    for _ in range(3):  # 3, 2, 1 ahead, then 0 after the third call
        sender.step()
        sent.append(len(sender.modem.sent))
        call(client, queue)
    sender.step()
    sent.append(len(sender.modem.sent))
    if n == 0:
        assert sent == [0, 0, 0, 0], sender.modem.sent  # the default 3 would have texted at once
    else:
        assert sent == [0, 0, 1, 1], sender.modem.sent
        assert sender.modem.sent == [(PHONE, "Ticket A004: 1 ahead of you. Please come back now.")]
    assert call(client, queue, "4").get_json()["id"] == guest["id"]
    sender.step()
    assert sender.modem.sent[-1] == (PHONE, "Ticket A004: it's your turn. Please go to counter 4.")

def test_the_number_goes_when_the_ticket_ends_whatever_ends_it(client, db, queue, sender):
    guests = [join(client, queue, n) for n in range(4)]
    for guest in guests:
        sms.set_phone(db, guest["id"], PHONE, True)
    call(client, queue)  # guest 0 called
    client.post(f"/api/tickets/{guests[0]['id']}/complete", json={}, headers=queue["headers"])
    client.post(f"/api/tickets/{guests[1]['id']}/cancel", json={})  # by the guest
    client.post(f"/api/queues/{queue['id']}/cancel-waiting", json={}, headers=queue["headers"])
    with db.read() as conn:
        assert conn.execute("SELECT COUNT(*) FROM sms_phones").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM sms_outbox").fetchone()[0] == 0
        assert conn.execute("SELECT erased FROM sms_erased").fetchone()[0] == 4
        assert PHONE not in "\n".join(conn.iterdump())
        events = [tuple(r) for r in conn.execute("SELECT * FROM events")]
    assert PHONE not in repr(events)
    with pytest.raises(Conflict) as err:
        sms.set_phone(db, guests[0]["id"], PHONE, True)
    assert err.value.code == "ticket_ended"
    with pytest.raises(NotFound):
        sms.set_phone(db, "00000000-0000-4000-8000-000000000000", PHONE, True)


def test_caps_per_ticket_and_per_day(client, db, queue, app, sender):
    sender.per_day = 2
    guests = [join(client, queue, n) for n in range(3)]  # 0, 1 and 2 ahead: all due
    for guest in guests:
        sms.set_phone(db, guest["id"], PHONE, True)
    sender.step()
    assert len(sender.modem.sent) == 2
    assert sender.status()["capped_today"] == 1
    sender.per_day = None
    sender.per_ticket = 1
    call(client, queue)  # guest 0 called: its second text is over the per-ticket cap of 1
    sender.step()
    assert len(sender.modem.sent) == 2


def test_a_modem_failure_is_retried_then_counted_and_shown(client, db, queue, sender, monkeypatch):
    monkeypatch.setattr(sms, "RETRY_SECONDS", 0)
    guest = join(client, queue, 1)
    sms.set_phone(db, guest["id"], PHONE, True)
    sender.modem.fail = "error 500, message reference=-1"
    sender.step()
    status = sender.status()
    assert status["state"] == "error" and status["failed_today"] == 1 and status["pending"] == 1
    assert "500" in status["last_error"]
    sender.step()
    sender.step()
    assert sender.status()["failed_today"] == 3 and sender.status()["pending"] == 0  # given up
    sender.modem.fail = None
    call(client, queue)
    sender.step()
    assert sender.modem.sent == [(PHONE, "Ticket A001: it's your turn. Please go to counter 1.")]
    assert sender.status()["state"] == "ok"


def test_the_dashboard_never_reads_a_state_ahead_of_its_count(client, db, queue, sender, monkeypatch):
    """The host's dashboard reads status() from another thread at any moment. Read just as the
    sender saves a failure (or a text sent), it must not show "error" with 0 failed today, nor
    "ok" again before the text is counted."""
    import contextlib
    seen = []
    write = sender.db.write

    @contextlib.contextmanager
    def write_and_look():
        seen.append(sender.status())  # what a dashboard reading now would get
        with write() as conn:
            yield conn

    monkeypatch.setattr(sender.db, "write", write_and_look)
    guest = join(client, queue, 1)
    sms.set_phone(db, guest["id"], PHONE, True)
    sender.modem.fail = "error 500"
    sender.step()  # plans the "nearly" text (nobody ahead) and fails to send it
    assert seen and all(s["state"] != "error" or s["failed_today"] >= 1 for s in seen)
    assert sender.status()["state"] == "error" and sender.status()["failed_today"] == 1
    seen.clear()
    sender.modem.fail = None
    with write() as conn:
        conn.execute("UPDATE sms_outbox SET retry_at = NULL")
    assert sender.send_pending() == 1
    assert seen and all(s["state"] == "error" for s in seen)  # still the last error, until counted
    assert sender.status()["state"] == "ok" and sender.status()["sent_today"] == 1


def test_a_dashboard_read_racing_the_sender_never_shows_a_state_ahead_of_its_count(client, db, queue, sender):
    """The other side of the race above: the sender saves and shows a failure while a status()
    read is under way (here, as the read asks whether the modem is there)."""
    guest = join(client, queue, 1)
    sms.set_phone(db, guest["id"], PHONE, True)
    sender.modem.fail = "error 500"
    present, stepped = sender.modem.present, []

    def present_while_the_sender_steps():
        if not stepped:
            stepped.append(True)
            sender.step()  # the sender's thread saves the failure and shows it here
        return present()

    sender.modem.present = present_while_the_sender_steps
    read = sender.status()
    assert stepped and sender.status()["state"] == "error"  # the failure did happen during the read
    assert read["state"] != "error" or read["failed_today"] >= 1, read


def test_host_rows_show_the_number_masked(client, db, queue):
    from qode import tickets

    guest = join(client, queue, 1)
    sms.set_phone(db, guest["id"], PHONE, True)
    rows = tickets.host_rows(db, queue["id"])
    assert rows[0]["phone"] == "•••• 0123" and PHONE not in repr(rows)


def test_a_backup_never_holds_a_number(app, client, db, queue, tmp_path):
    from qode.backup import make_backup

    guest = join(client, queue, 1)
    sms.set_phone(db, guest["id"], PHONE, True)
    path = make_backup(app.config["DATA_DIR"] / "qode.db", tmp_path / "backups", keep=3)
    assert PHONE.encode() not in path.read_bytes() and b"7700900123" not in path.read_bytes()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 1
    with db.read() as conn:  # the live database keeps it while the ticket is active
        assert conn.execute("SELECT phone FROM sms_phones").fetchone()[0] == PHONE


def test_phone_endpoints_without_a_modem(client, queue):
    guest = join(client, queue, 1)
    url = f"/api/tickets/{guest['id']}/phone"
    assert client.get(url).get_json() == {"available": False, "phone": None}
    refused = client.put(url, json={"phone": PHONE})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "sms_off"
    assert client.put(url, json={"phone": "12"}).status_code == 422  # the number is checked first
    assert client.delete(url).status_code == 200
    assert client.get("/api/sms", headers=admin()).get_json() == {"enabled": False}
    assert client.get("/api/sms").status_code == 401
