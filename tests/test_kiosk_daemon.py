"""The kiosk daemon's own rules, in process: settings, stale and repeated jobs, the GPIO button,
and the first-boot setup ticket (against a real server, decoded by zbar).

The printer here is a recording stand-in where the rule under test is the daemon's; the
real printer paths are in test_kiosk_printers.py and test_kiosk_e2e.py.
"""

from __future__ import annotations

import select
import threading
import time

import pytest
import requests

from qode_kiosk import config, daemon, printers

from helpers import ADMIN_TOKEN, KioskProcess, ServerProcess, admin, wait_until

URL = "http://192.168.1.20:8000/t/5a4b0c2e-1111-4222-8333-444455556666"


class RecordingPrinter:
    def __init__(self, state: str = "ready"):
        self.state = state
        self.printed: list = []

    def check(self):
        return self.state, "test"

    def print_ticket(self, ticket):
        if self.state not in printers.PRINTABLE:
            raise printers.PrintError(self.state, "test")
        self.printed.append(ticket)

    def print_setup(self, url):
        self.printed.append(url)


class RecordingApi:
    """The server as far as these tests need it: every call recorded; no tickets unless given."""

    def __init__(self, tickets=None):
        self.calls: list[tuple[str, str, dict | None]] = []
        self.keys: list[str] = []  # the Idempotency-Keys sent
        self.tickets = list(tickets or [])

    def call(self, method, path, body=None, key=None, anonymous=False):
        self.calls.append((method, path, body))
        if key:
            self.keys.append(key)
        if path.endswith("/tickets"):
            if not self.tickets:
                raise AssertionError("a ticket was asked for")
            answer = self.tickets.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return 201, answer
        return 200, {}


def make_kiosk(tmp_path, printer=None, **env) -> daemon.Kiosk:
    settings = config.load(env={"QODE_KIOSK_TOKEN": "kiosk-token-0123456789", "QODE_KIOSK_PRINTER": "dummy",
                                "QODE_KIOSK_DATA_DIR": str(tmp_path), **env})
    said: list[str] = []
    kiosk = daemon.Kiosk(settings, say=said.append, printer=printer or RecordingPrinter())
    kiosk.api = RecordingApi()
    kiosk.said = said
    kiosk.device = {"id": "d", "queue_id": "q", "queue_name": "Clinic", "kind": "kiosk"}
    return kiosk


def job(job_id: str = "job-1", expires_in_ms: int = 120_000) -> dict:
    return {"id": job_id, "expires_in_ms": expires_in_ms, "queue_name": "Clinic", "url": URL,
            "display_number": "A007", "people_ahead": 2, "eta_seconds": 600, "printed_at": None}


def acks(kiosk) -> list[tuple[str, dict]]:
    return list(kiosk._outbox.queue)


def test_a_job_is_printed_once_even_when_it_arrives_twice(tmp_path):
    kiosk = make_kiosk(tmp_path)
    kiosk._print_job(job(), time.monotonic())  # from the issuing answer
    kiosk._print_job(job(), time.monotonic())  # and again over the device channel
    assert [t.status_url for t in kiosk.printer.printed] == [URL]
    assert acks(kiosk) == [("/api/device/jobs/job-1", {"result": "done"})]


def test_a_job_past_its_expiry_is_not_printed_and_is_acked_failed(tmp_path):
    kiosk = make_kiosk(tmp_path)
    received = time.monotonic() - 5.0  # it waited 5 s in the kiosk (printer busy, say)
    kiosk._print_job(job(expires_in_ms=4_000), received)
    assert kiosk.printer.printed == []
    ((path, body),) = acks(kiosk)
    assert path == "/api/device/jobs/job-1" and body["result"] == "failed" and "in time" in body["error"]


def test_a_failed_print_is_acked_failed_and_the_guest_is_told(tmp_path):
    kiosk = make_kiosk(tmp_path, RecordingPrinter("paper_out"))
    kiosk._print_job(job(), time.monotonic())
    ((_, body),) = [a for a in acks(kiosk) if a[0].startswith("/api/device/jobs/")]
    assert body["result"] == "failed" and body["error"].startswith("paper_out")
    assert any("did not print" in line and "A007" in line for line in kiosk.said)


def test_a_job_an_earlier_run_took_is_not_printed_again_but_reported(tmp_path):
    """The kiosk died (or was restarted) after taking a job; the server still lists it."""
    first = make_kiosk(tmp_path)
    first._claim("job-1")  # taken, then the process ended before printing or acking
    again = make_kiosk(tmp_path)
    again._load_claimed()
    again._print_job(job(), time.monotonic())  # from the new run's snapshot
    assert again.printer.printed == []
    ((path, body),) = acks(again)
    assert body == {"result": "failed", "error": "the kiosk restarted while printing it"}
    again._print_job(job(), time.monotonic())  # said once
    assert len(acks(again)) == 1


def test_a_press_that_gives_up_withdraws_a_ticket_made_after_all(tmp_path):
    """The server took the ticket but its answer was lost, for longer than the guest waits."""
    kiosk = make_kiosk(tmp_path, QODE_KIOSK_RETRY_SECONDS="1")
    made = {"id": "t-1", "display_number": "A007", "print_job": job()}
    lost = daemon.Unreachable("the answer was lost")
    kiosk.api = RecordingApi([lost] * 4 + [made])  # lost while the guest waits (1 s), and once more
    kiosk._reported = ("ready", "test")  # the server already knows the printer
    withdrawn = []
    kiosk._withdraw = lambda key, *more, real=kiosk._withdraw: withdrawn.append(key) or real(key, *more)
    assert kiosk.press() is None
    assert any("No ticket was issued" in line for line in kiosk.said)
    wait_until(lambda: ("POST", "/api/tickets/t-1/cancel", {}) in kiosk.api.calls, timeout=15)
    assert len(withdrawn) == 1
    assert len(kiosk.api.keys) == 5 and len(set(kiosk.api.keys)) == 1  # every attempt the same key
    assert kiosk.printer.printed == []  # never printed for a guest who was told "no ticket"
    assert ("/api/device/jobs/job-1", {"result": "failed", "error": (
        "the guest was told no ticket: the server did not answer")}) in acks(kiosk)
    kiosk._print_job(job(), time.monotonic())  # the same job from the device channel: claimed
    assert kiosk.printer.printed == []


def test_background_jobs_never_turn_a_guest_away(tmp_path):
    """The channel's copy of each press's job arrives with the answer; the job loop handles it
    meanwhile. Every press must still be served: a press is refused only while another runs."""
    import threading

    presses = 30
    jobs = [{**job(f"job-{i}"), "display_number": f"A{i:03d}"} for i in range(presses)]
    answers = [{"id": f"t-{i}", "display_number": f"A{i:03d}", "print_job": jobs[i]} for i in range(presses)]
    kiosk = make_kiosk(tmp_path)
    kiosk.api = RecordingApi(answers)
    kiosk._reported = ("ready", "test")  # the server knows the printer
    loop = threading.Thread(target=kiosk._job_loop, daemon=True)
    loop.start()
    try:
        served = 0
        for i in range(presses):
            kiosk._jobs.put((jobs[i], time.monotonic()))
            served += kiosk.press() is not None
    finally:
        kiosk._jobs.put(None)
        loop.join(timeout=5)
    assert served == presses
    assert sorted(t.display_number for t in kiosk.printer.printed) == [f"A{i:03d}" for i in range(presses)]


def test_stopping_still_sends_the_queued_acks(tmp_path):
    kiosk = make_kiosk(tmp_path)
    flaky = RecordingApi()
    answers = [daemon.Unreachable("restarting"), None]

    def call(method, path, body=None, key=None, anonymous=False):
        flaky.calls.append((method, path, body))
        answer = answers.pop(0) if answers else None
        if answer:
            raise answer
        return 200, {}

    kiosk.api.call = call
    kiosk._ack("job-1", "done", None)
    kiosk.stop(drain_seconds=3)  # no threads running: drain by hand, as the loop does
    kiosk._outbox_loop()
    assert flaky.calls[-1] == ("POST", "/api/device/jobs/job-1", {"result": "done"})


def test_a_press_with_no_paper_issues_nothing_and_tells_the_server(tmp_path):
    kiosk = make_kiosk(tmp_path, RecordingPrinter("paper_out"))
    assert kiosk.press() is None
    assert any("No ticket was issued" in line for line in kiosk.said)
    assert kiosk.api.calls == [("POST", "/api/device/status", {"printer": "paper_out", "detail": "test"})]


def test_the_wifi_qr_goes_on_the_ticket_when_configured(tmp_path):
    kiosk = make_kiosk(tmp_path, QODE_KIOSK_WIFI_SSID='Caf;e "Net"', QODE_KIOSK_WIFI_PASSWORD="p:a\\ss")
    kiosk._print_job(job(), time.monotonic())
    assert kiosk.printer.printed[0].wifi == 'WIFI:T:WPA;S:Caf\\;e \\"Net\\";P:p\\:a\\\\ss;;'


@pytest.mark.parametrize("env,fragment", [
    ({"QODE_KIOSK_QUEUE": "not-a-uuid"}, "queue"),
    ({"QODE_KIOSK_TOKEN": "short"}, "token"),
    ({"QODE_KIOSK_TOKEN": "has spaces in the token"}, "token"),
    ({"QODE_KIOSK_PRINTER": "lpt1"}, "printer"),
    ({"QODE_KIOSK_PRINTER": "network:"}, "network"),
    ({"QODE_KIOSK_PAPER": "110"}, "58"),
    ({"QODE_KIOSK_BUTTON": "gpio:99"}, "gpio:PIN"),
    ({"QODE_KIOSK_BUTTON": "mouse"}, "button"),
    ({"QODE_KIOSK_LED": "red"}, "led"),
    ({"QODE_KIOSK_SERVER": "ftp://box"}, "http://"),
    ({"QODE_KIOSK_SERVER": "http://box/path?x"}, "http://"),
    ({"QODE_KIOSK_STATUS_SECONDS": "0"}, "status"),
    ({"QODE_KIOSK_RETRY_SECONDS": "600"}, "retry"),  # past the 2-minute life of a job
    ({"QODE_KIOSK_WIFI_SSID": "x" * 33}, "ssid"),
    ({"QODE_KIOSK_WIFI_PASSWORD": "new\nline"}, "password"),
])
def test_bad_settings_are_refused_with_a_clear_message(env, fragment):
    with pytest.raises(config.KioskSettingError) as err:
        config.load(env=env)
    assert fragment.lower() in str(err.value).lower()


def test_flags_override_the_environment():
    settings = config.load({"QODE_KIOSK_PRINTER": "network:10.0.0.5", "QODE_KIOSK_BUTTON": "gpio:17"},
                           env={"QODE_KIOSK_PRINTER": "dummy", "QODE_KIOSK_PAPER": "58"})
    assert str(settings.printer) == "network:10.0.0.5:9100" and settings.paper_mm == 58
    assert (settings.button, settings.button_pin) == ("gpio", 17)
    assert config.load(env={}).configured is False  # first boot


def test_the_cli_refuses_bad_flags_before_doing_anything(tmp_path):
    import subprocess

    from helpers import QODE

    out = subprocess.run([QODE, "kiosk", "--printer", "usb:zz:01", "--button", "stdin"], capture_output=True,
                         text=True, timeout=30, stdin=subprocess.DEVNULL)
    # 78, EX_CONFIG: the unit does not restart a kiosk whose settings cannot work.
    assert out.returncode == 78 and "qode kiosk:" in out.stderr and "usb:VID:PID" in out.stderr
    assert "Traceback" not in out.stderr


def test_a_gpio_button_press_is_one_press_while_it_is_served(tmp_path):
    """A press on the pin runs one press; more presses while it prints are ignored, not queued
    (an impatient guest gets one ticket). Contact bounce is the pin driver's: gpiozero's mock
    pins do not emulate it, so here it is only checked that the debounce time is set."""
    from gpiozero import Device
    from gpiozero.pins.mock import MockFactory

    factory = MockFactory()
    kiosk = make_kiosk(tmp_path)
    served = []
    release = threading.Event()
    kiosk._press = lambda *_: (served.append(1), release.wait(10))  # served until the presses are all in
    handled = []  # every press the button started, once kiosk.press has returned for it
    press = kiosk.press
    kiosk.press = lambda: handled.append(press())
    button = daemon.gpio_button(kiosk, 17, pin_factory=factory)
    try:
        assert button.pin.bounce == 0.05
        pin = factory.pin(17)
        for _ in range(4):  # pressed four times while the first press is served
            pin.drive_low()
            pin.drive_high()
        wait_until(lambda: len(handled) == 3, timeout=5)  # the three later ones: returned, ignored
        release.set()
        wait_until(lambda: len(handled) == 4, timeout=5)
        assert len(served) == 1
        pin.drive_low()  # once it is done, the next press counts
        pin.drive_high()
        wait_until(lambda: len(handled) == 5, timeout=5)
        assert len(served) == 2
    finally:
        button.close()
        Device.pin_factory = None


def test_first_boot_prints_a_setup_ticket_whose_qr_opens_setup(server, tmp_path):
    """No queue and no token: the kiosk prints the setup link (with the admin token it can read)."""
    decode = pytest.importorskip("pyzbar.pyzbar", reason="needs pip pyzbar and Debian libzbar0").decode
    from PIL import Image

    token_file = tmp_path / "admin_token"
    token_file.write_text(ADMIN_TOKEN + "\n")
    kiosk = KioskProcess(tmp_path / "first", server.url, None, "preview",
                         env={"QODE_KIOSK_ADMIN_TOKEN_FILE": str(token_file)}).start()
    folder = tmp_path / "first" / "preview"
    try:
        assert kiosk.wait_for_output("printed a setup ticket", timeout=15), kiosk.output()
        (png,) = wait_until(lambda: sorted(folder.glob("*.png")), timeout=10)
        (symbol,) = decode(Image.open(png))
        assert symbol.data.decode() == f"{server.url}/setup#token={ADMIN_TOKEN}"
        # Once the box has a queue, a kiosk that is still not set up never prints the admin token.
        requests.post(f"{server.url}/api/queues", json={"name": "Desk"}, headers=admin(), timeout=5)
        kiosk.press()
        pngs = wait_until(lambda: sorted(folder.glob("*.png"))[1:], timeout=10)
        (symbol,) = decode(Image.open(pngs[-1]))
        assert symbol.data.decode() == f"{server.url}/setup"
    finally:
        stopped = kiosk.stop()
    assert stopped == 0, kiosk.output()[-2000:]  # checked after the body, never masking its failure


def test_the_led_is_on_while_printing_and_blinks_for_a_problem():
    from gpiozero import Device
    from gpiozero.pins.mock import MockFactory

    Device.pin_factory = MockFactory()
    try:
        led = daemon.Led(18)
        pin = Device.pin_factory.pin(18)
        led.printing()
        assert pin.state == 1
        led.problem()
        seen = set()
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and len(seen) < 2:
            seen.add(pin.state)
            time.sleep(0.05)
        assert seen == {0, 1}  # blinking
        led.idle()
        assert pin.state == 0
        led.close()
        assert daemon.Led(None).printing() is None  # no LED configured: nothing to do
    finally:
        Device.pin_factory = None


def test_the_key_button_presses_on_any_key_in_a_terminal(server, tmp_path):
    """`--button key` in a real pseudo-terminal: a key is a press, `q` stops the kiosk."""
    import os
    import pty
    import subprocess

    from helpers import QODE

    leader, follower = pty.openpty()
    env = {**os.environ, "QODE_KIOSK_ADMIN_TOKEN_FILE": str(tmp_path / "none"), "QODE_KIOSK_TOKEN": ""}
    folder = tmp_path / "keys"
    args = [QODE, "kiosk", "--server", server.url, "--printer", "preview", "--button", "key",
            "--data-dir", str(folder)]
    proc = subprocess.Popen(args, stdin=follower, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    try:
        wait_until(lambda: len(list((folder / "preview").glob("*.png"))) == 1, timeout=15)  # the setup ticket
        # Only once it asks: a key typed before the terminal was put in cbreak mode is flushed by
        # tty.setcbreak (TCSAFLUSH). On a loaded machine the key once came first and was lost.
        said = b""
        deadline = time.monotonic() + 15
        while b"Press any key" not in said and time.monotonic() < deadline:
            if select.select([leader], [], [], 0.2)[0]:
                said += os.read(leader, 4096)
        assert b"Press any key" in said, said[-500:]
        os.write(leader, b"x")  # no Enter needed: one key is one press
        wait_until(lambda: len(list((folder / "preview").glob("*.png"))) == 2, timeout=10)
        os.write(leader, b"q")
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        os.close(leader)


def test_the_setup_ticket_opens_setup_at_the_staff_https_address(tmp_path):
    """The setup QR carries the admin token: it names the box's https address (GET /api/tls), never
    the plain-http one, whenever the box has one."""
    decode = pytest.importorskip("pyzbar.pyzbar", reason="needs pip pyzbar and Debian libzbar0").decode
    from PIL import Image

    staff = "https://127.0.0.1:9443"
    served = ServerProcess(tmp_path / "served", env={"QODE_STAFF_URL": staff}).start()
    token_file = tmp_path / "admin_token"
    token_file.write_text(ADMIN_TOKEN + "\n")
    kiosk = KioskProcess(tmp_path / "first", served.url, None, "preview",
                         env={"QODE_KIOSK_ADMIN_TOKEN_FILE": str(token_file)}).start()
    try:
        assert kiosk.wait_for_output("printed a setup ticket", timeout=15), kiosk.output()
        (png,) = wait_until(lambda: sorted((tmp_path / "first" / "preview").glob("*.png")), timeout=10)
        (symbol,) = decode(Image.open(png))
        assert symbol.data.decode() == f"{staff}/setup#token={ADMIN_TOKEN}"
    finally:
        stopped = kiosk.stop()
        served.stop()
    assert stopped == 0, kiosk.output()[-2000:]  # checked after the body, never masking its failure


class TokenWatchingApi(daemon.Api):
    """The real HTTP client, noting every call that carried the kiosk's token."""

    def __init__(self, server, token):
        super().__init__(server, token)
        self.with_token: list[str] = []
        self.anonymous: list[str] = []

    def call(self, method, path, body=None, key=None, anonymous=False):
        (self.anonymous if anonymous or not self.token else self.with_token).append(path)
        return super().call(method, path, body, key, anonymous)


def _kiosk_token(served) -> str:
    """A kiosk device made over "https" (127.0.0.1's X-Forwarded-Proto is believed: it is Caddy's)."""
    https = {**admin(), "X-Forwarded-Proto": "https"}
    queue = requests.post(f"{served.url}/api/queues", json={"name": "Door"}, headers=https, timeout=5).json()
    device = requests.post(f"{served.url}/api/queues/{queue['id']}/devices", json={"name": "Door"},
                           headers=https, timeout=5)
    assert device.status_code == 201, device.text
    return device.json()["token"]


def _watched_kiosk(tmp_path, served, token, monkeypatch):
    import threading

    monkeypatch.setattr(daemon, "HTTPS_RETRY_SECONDS", 0.2)
    settings = config.load(env={"QODE_KIOSK_TOKEN": token, "QODE_KIOSK_PRINTER": "dummy",
                                "QODE_KIOSK_SERVER": served.url, "QODE_KIOSK_DATA_DIR": str(tmp_path / "k")})
    said: list[str] = []
    kiosk = daemon.Kiosk(settings, say=said.append, printer=RecordingPrinter())
    kiosk.api = TokenWatchingApi(served.url, token)
    thread = threading.Thread(target=kiosk.start, daemon=True)
    thread.start()
    return kiosk, thread, said


@pytest.mark.server
def test_a_kiosk_on_plain_http_to_a_box_that_wants_https_says_so_and_waits(tmp_path, monkeypatch):
    """QODE_STAFF_HTTPS=all (a kiosk on another box is refused like this in the default `remote`):
    the kiosk names the https address and SSL_CERT_FILE, keeps asking slowly instead of exiting
    into a systemd restart loop, and never sends its token over plain http, not even once."""
    import os
    import signal

    staff = "https://127.0.0.1:9443"
    served = ServerProcess(tmp_path / "served", env={"QODE_STAFF_HTTPS": "all",
                                                     "QODE_STAFF_URL": staff}).start()
    try:
        token = _kiosk_token(served)
        # The real `qode kiosk`, as systemd runs it.
        proc = KioskProcess(tmp_path / "kiosk", served.url, token, "preview").start()
        try:
            assert proc.wait_for_output("refuses this kiosk's token over plain http", timeout=15), proc.output()
            out = proc.output()
            assert f"QODE_KIOSK_SERVER={staff}" in out and "SSL_CERT_FILE" in out and "step 7" in out
            time.sleep(2)
            assert proc.proc.poll() is None, proc.output()  # still there, waiting: no exit, no restart loop
            os.kill(proc.proc.pid, signal.SIGTERM)  # systemd's stop: it ends at once, cleanly
            assert proc.proc.wait(timeout=10) == 0
        finally:
            proc.stop()
            proc.proc.stdin.close()
        assert "Traceback" not in proc.output()

        # In process, every call watched: retried a few times, and the token never went out.
        kiosk, thread, said = _watched_kiosk(tmp_path, served, token, monkeypatch)
        try:
            wait_until(lambda: kiosk.api.anonymous.count("/api/tls") >= 3, timeout=10)
            assert kiosk.api.with_token == []
            assert kiosk.device is None and thread.is_alive()
            assert len([s for s in said if "refuses this kiosk's token" in s]) == 1  # said once, not per retry
        finally:
            kiosk.stopping.set()
            thread.join(timeout=5)
        assert not thread.is_alive()
    finally:
        served.stop()


@pytest.mark.server
def test_a_kiosk_refused_once_over_plain_http_does_not_send_its_token_again(tmp_path, monkeypatch):
    """The kiosk cannot always tell beforehand (here the box trusts no proxy, so even 127.0.0.1 is
    refused in `remote` mode): after one 403 https_required it asks again without the token."""
    served = ServerProcess(tmp_path / "served", env={"QODE_TRUSTED_PROXIES": "off"}).start()
    try:
        token = requests.post(  # no trusted proxy: made the way a test may, with the strict mode off
            f"{served.url}/api/queues", json={"name": "Door"}, headers=admin(), timeout=5)
        assert token.status_code == 403 and token.json()["error"]["code"] == "https_required"
    finally:
        served.stop()
    # The same data folder, staff tokens allowed on plain http to make the device, then refused again.
    loose = ServerProcess(tmp_path / "served", env={"QODE_STAFF_HTTPS": "off"}).start()
    try:
        kiosk_token = _kiosk_token(loose)
    finally:
        loose.stop()
    served = ServerProcess(tmp_path / "served", env={"QODE_TRUSTED_PROXIES": "off"}).start()
    try:
        kiosk, thread, said = _watched_kiosk(tmp_path, served, kiosk_token, monkeypatch)
        try:
            wait_until(lambda: kiosk.api.anonymous.count("/api/tls") >= 3, timeout=10)
            assert kiosk.api.with_token == ["/api/device"]  # the one refusal, then never again
            assert any("refuses this kiosk's token" in s for s in said) and thread.is_alive()
        finally:
            kiosk.stopping.set()
            thread.join(timeout=5)
    finally:
        served.stop()
