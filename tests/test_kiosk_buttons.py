"""Issue 15, part 5: one kiosk button per service and a priority button, in process.

The settings (QODE_KIOSK_BUTTONS, QODE_KIOSK_PRIORITY_BUTTON, QODE_KIOSK_PRIORITY_SECONDS), the
mapping of each pin to one of the kiosk's services, and the priority press (armed, taken by the
next service press, forgotten after its seconds) are driven through gpiozero's mock pins, with a
recording stand-in for the server. The same kiosk against a real `qode serve` and a fake ESC/POS
printer is tests/test_kiosk_services.py (must-show 3); the printed words are checked here on
python-escpos's Dummy printer, as in test_kiosk_layout.py.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time

import pytest
from escpos.printer import Dummy

from qode_kiosk import config, daemon, layout
from test_kiosk_daemon import RecordingApi, RecordingPrinter

from helpers import QODE, wait_until

PASSPORTS = "5a4b0c2e-1111-4222-8333-444455556666"
PAYMENTS = "6b5c1d3f-2222-4333-8444-555566667777"
RECEPTION = "7c6d2e40-3333-4444-8555-666677778888"
SERVICES = [{"id": PASSPORTS, "name": "Passports", "prefix": "P"},
            {"id": PAYMENTS, "name": "Payments", "prefix": "Y"},
            {"id": RECEPTION, "name": "Reception", "prefix": ""}]
URL = "http://192.168.1.20:8000/t/5a4b0c2e-1111-4222-8333-444455556666"


def load(**env) -> config.KioskConfig:
    return config.load(env={"QODE_KIOSK_TOKEN": "kiosk-token-0123456789", "QODE_KIOSK_PRINTER": "dummy", **env})


# --- settings -------------------------------------------------------------------------------


def test_service_buttons_and_a_priority_button_are_read():
    settings = load(QODE_KIOSK_BUTTONS=f" gpio:17=P, gpio:27=y ,gpio:5={PAYMENTS.upper()}",
                    QODE_KIOSK_PRIORITY_BUTTON="gpio:22", QODE_KIOSK_LED="gpio:18")
    assert settings.buttons == (config.ServiceButton(17, "P"), config.ServiceButton(27, "y"),
                                config.ServiceButton(5, PAYMENTS))  # an id in one letter case
    assert (settings.priority_pin, settings.priority_seconds, settings.led_pin) == (22, 10, 18)
    assert settings.button == "stdin"  # left unset: not read while service buttons are set
    assert load(QODE_KIOSK_BUTTONS="gpio:17=P", QODE_KIOSK_BUTTON="none").buttons  # none goes too
    assert load(QODE_KIOSK_PRIORITY_SECONDS="off").priority_seconds is None  # until the next press
    assert load(QODE_KIOSK_PRIORITY_SECONDS="300").priority_seconds == 300
    plain = load()
    assert (plain.buttons, plain.priority_pin, plain.priority_seconds) == ((), None, 10)  # the defaults


@pytest.mark.parametrize("env, said", [
    ({"QODE_KIOSK_BUTTONS": "gpio:17=P,gpio:17=Y"}, "QODE_KIOSK_BUTTONS: GPIO 17 is used twice"),
    ({"QODE_KIOSK_BUTTONS": "gpio:17=P", "QODE_KIOSK_BUTTON": "gpio:4"},
     "QODE_KIOSK_BUTTONS and QODE_KIOSK_BUTTON=gpio:4 both set"),
    ({"QODE_KIOSK_BUTTONS": "gpio:17=P", "QODE_KIOSK_BUTTON": "key"},
     "QODE_KIOSK_BUTTONS and QODE_KIOSK_BUTTON=key both set"),
    ({"QODE_KIOSK_BUTTONS": ",".join(f"gpio:{pin}=P" for pin in range(2, 11))},
     "QODE_KIOSK_BUTTONS: 9 buttons; at most 8"),
    ({"QODE_KIOSK_BUTTONS": "gpio:28=P"}, "QODE_KIOSK_BUTTONS: 'gpio:28=P': expected gpio:PIN=SERVICE"),
    ({"QODE_KIOSK_BUTTONS": "17=P"}, "QODE_KIOSK_BUTTONS: '17=P': expected gpio:PIN=SERVICE"),
    ({"QODE_KIOSK_BUTTONS": "gpio:17"}, "QODE_KIOSK_BUTTONS: 'gpio:17': expected gpio:PIN=SERVICE"),
    ({"QODE_KIOSK_BUTTONS": "gpio:17=P,"}, "QODE_KIOSK_BUTTONS: '': expected gpio:PIN=SERVICE"),
    ({"QODE_KIOSK_BUTTONS": "gpio:17=PASSP"}, "SERVICE is a service's id (a UUID) or its prefix"),
    ({"QODE_KIOSK_BUTTONS": "gpio:17=P\x1b"}, "SERVICE is a service's id (a UUID) or its prefix"),
    ({"QODE_KIOSK_BUTTONS": "gpio:17=P", "QODE_KIOSK_PRIORITY_BUTTON": "gpio:17"},
     "QODE_KIOSK_PRIORITY_BUTTON=gpio:17: QODE_KIOSK_BUTTONS (gpio:17=P) uses GPIO 17 already"),
    ({"QODE_KIOSK_BUTTON": "gpio:17", "QODE_KIOSK_PRIORITY_BUTTON": "gpio:17"},
     "QODE_KIOSK_PRIORITY_BUTTON=gpio:17: QODE_KIOSK_BUTTON uses GPIO 17 already"),
    ({"QODE_KIOSK_BUTTONS": "gpio:17=P", "QODE_KIOSK_LED": "gpio:17"},
     "QODE_KIOSK_LED=gpio:17: QODE_KIOSK_BUTTONS (gpio:17=P) uses GPIO 17 already"),
    ({"QODE_KIOSK_PRIORITY_BUTTON": "gpio:22", "QODE_KIOSK_LED": "gpio:22"},
     "QODE_KIOSK_LED=gpio:22: QODE_KIOSK_PRIORITY_BUTTON uses GPIO 22 already"),
    ({"QODE_KIOSK_PRIORITY_BUTTON": "gpio:99"}, "QODE_KIOSK_PRIORITY_BUTTON: 'gpio:99': expected gpio:PIN"),
    ({"QODE_KIOSK_PRIORITY_BUTTON": "on"}, "QODE_KIOSK_PRIORITY_BUTTON: 'on': expected gpio:PIN"),
])
def test_bad_button_settings_say_which_and_why(env, said):
    with pytest.raises(config.KioskSettingError) as err:
        load(**env)
    assert said in str(err.value) and str(err.value).startswith("QODE_KIOSK_"), str(err.value)
    assert str(err.value).isprintable()  # one line, whatever the setting held
    assert err.value.pins  # a GPIO setting: the kiosk still knows its server and tells the host


@pytest.mark.parametrize("value", ["0", "301", "ten", "-1", ""])
def test_bad_priority_seconds_are_refused(value):
    with pytest.raises(config.KioskSettingError, match="priority seconds"):
        load(QODE_KIOSK_PRIORITY_SECONDS=value)


@pytest.mark.parametrize("env, said", [
    ({"QODE_KIOSK_BUTTONS": "gpio:17=P,gpio:27=Y,gpio:17=R"}, "QODE_KIOSK_BUTTONS: GPIO 17 is used twice"),
    ({"QODE_KIOSK_BUTTONS": "gpio:17=P", "QODE_KIOSK_BUTTON": "gpio:4"}, "QODE_KIOSK_BUTTONS and "),
])
def test_the_cli_stops_with_exit_78_and_one_line(tmp_path, env, said):
    """As qode-kiosk@.service runs it: settings from the environment; 78 is not restarted."""
    run_env = {**os.environ, "QODE_KIOSK_PRINTER": "dummy", "QODE_KIOSK_SERVER": "http://127.0.0.1:9",
               "QODE_KIOSK_DATA_DIR": str(tmp_path), **env}
    run_env.pop("QODE_KIOSK_TOKEN", None)
    done = subprocess.run([QODE, "kiosk"], env=run_env, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 78, (done.returncode, done.stderr)
    assert done.stdout == "" and len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith(f"qode kiosk: {said}"), done.stderr


# --- the buttons' services --------------------------------------------------------------------


def test_each_pin_finds_its_service_by_prefix_or_id():
    buttons = load(QODE_KIOSK_BUTTONS=f"gpio:17=p,gpio:27=Y,gpio:5={RECEPTION}").buttons
    found = daemon.resolve_buttons(buttons, SERVICES)
    assert {pin: service["name"] for pin, service in found.items()} == {
        17: "Passports", 27: "Payments", 5: "Reception"}  # an empty prefix: by its id


@pytest.mark.parametrize("setting, services, said", [
    ("gpio:17=Q", SERVICES, "QODE_KIOSK_BUTTONS: gpio:17=Q: no service with that prefix among this "
                            "kiosk's (P Passports, Y Payments, (no prefix) Reception)"),
    (f"gpio:17={'0' * 8}-1111-4222-8333-444455556666", SERVICES, "QODE_KIOSK_BUTTONS: gpio:17=00000000-"),
    ("gpio:17=P", [*SERVICES, {"id": "8d7e3f51-4444-4555-8666-777788889999", "name": "Post", "prefix": "p"}],
     "QODE_KIOSK_BUTTONS: gpio:17=P: that prefix names 2 of this kiosk's services; give the service's id"),
])
def test_a_button_for_a_service_that_is_not_the_kiosks_stops_it(setting, services, said):
    with pytest.raises(config.KioskSettingError) as err:
        daemon.resolve_buttons(load(QODE_KIOSK_BUTTONS=setting).buttons, services)
    assert str(err.value).startswith(said) and err.value.pins, str(err.value)
    assert len(str(err.value)) <= 200  # fits the server's `error` field (the host's kiosk card)


def test_a_box_from_before_services_lists_the_kiosks_line_only():
    old = {"id": "d", "queue_id": PASSPORTS.upper(), "queue_name": "Passports", "kind": "kiosk"}
    assert daemon.device_services(old) == [{"id": PASSPORTS, "name": "Passports", "prefix": None}]
    buttons = load(QODE_KIOSK_BUTTONS=f"gpio:17={PASSPORTS}").buttons
    assert daemon.resolve_buttons(buttons, daemon.device_services(old))[17]["id"] == PASSPORTS
    with pytest.raises(config.KioskSettingError, match="no service with that prefix"):
        daemon.resolve_buttons(load(QODE_KIOSK_BUTTONS="gpio:17=P").buttons, daemon.device_services(old))
    listed = {**old, "services": SERVICES}
    assert daemon.device_services(listed) == SERVICES


# --- the kiosk on mock pins --------------------------------------------------------------------


def ticket(number: str, service: dict, priority: bool) -> dict:
    job = {"id": f"job-{number}", "expires_in_ms": 120_000, "queue_name": service["name"], "url": URL,
           "display_number": number, "people_ahead": 0, "eta_seconds": None, "printed_at": None,
           "priority": priority}
    return {"id": f"t-{number}", "display_number": number, "priority": priority, "print_job": job}


class Server(RecordingApi):
    """Answers each join as the box would: the service's next number, `priority` as asked."""

    def __init__(self):
        super().__init__()
        self.numbers: dict[str, int] = {}

    def call(self, method, path, body=None, key=None, anonymous=False):
        if path.endswith("/tickets"):
            self.calls.append((method, path, body))
            service = next(s for s in SERVICES if path == f"/api/queues/{s['id']}/tickets")
            self.numbers[service["id"]] = self.numbers.get(service["id"], 0) + 1
            return 201, ticket(f"{service['prefix']}{self.numbers[service['id']]:03d}", service,
                               bool((body or {}).get("priority")))
        return super().call(method, path, body, key, anonymous)


@pytest.fixture
def mock_pins(monkeypatch):
    """gpiozero's mock pins, chosen as a venue would choose a pin factory (GPIOZERO_PIN_FACTORY)."""
    from gpiozero import Device

    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "mock")
    Device.pin_factory = None
    yield lambda pin: Device.pin_factory.pin(pin)
    if Device.pin_factory is not None:
        Device.pin_factory.close()
    Device.pin_factory = None


def kiosk_on_pins(tmp_path, **env):
    """A kiosk with its pins opened and attached exactly as `daemon.run` does, after a start that
    learnt the device's services (the recording server stands in for GET /api/device)."""
    settings = load(QODE_KIOSK_DATA_DIR=str(tmp_path), **env)
    pins = daemon.open_pins(settings)
    said: list[str] = []
    kiosk = daemon.Kiosk(settings, say=said.append, printer=RecordingPrinter(),
                         led=daemon.Led(settings.led_pin, pins.led) if pins.led is not None else None)
    kiosk.api = Server()
    kiosk.said = said
    kiosk._reported = ("ready", "test")  # the server knows the printer
    kiosk.device = {"id": "d", "queue_id": PASSPORTS, "queue_name": "Passports", "kind": "kiosk",
                    "services": SERVICES}
    kiosk.services = daemon.device_services(kiosk.device)
    kiosk.buttons = daemon.resolve_buttons(settings.buttons, kiosk.services)
    for pin, button in pins.services.items():
        daemon.attach_service_button(kiosk, pin, button)
    if pins.priority is not None:
        daemon.attach_priority_button(kiosk, pins.priority)
    if pins.button is not None:
        daemon.attach_button(kiosk, pins.button)
    return kiosk, pins


def push(pin) -> None:
    pin.drive_low()
    time.sleep(0.02)
    pin.drive_high()


def joins(kiosk) -> list[tuple[str, dict]]:
    return [(path, body) for method, path, body in kiosk.api.calls if path.endswith("/tickets")]


def printed(kiosk, n: int) -> list[layout.Ticket]:
    wait_until(lambda: len(kiosk.printer.printed) >= n, timeout=10)
    time.sleep(0.1)  # nothing more comes
    return kiosk.printer.printed


def test_each_service_button_issues_for_its_service_and_prints_its_name(tmp_path, mock_pins):
    kiosk, pins = kiosk_on_pins(tmp_path, QODE_KIOSK_BUTTONS=f"gpio:17=P,gpio:27=Y,gpio:5={RECEPTION}")
    try:
        for pin in (17, 27, 17, 5):
            done = len(kiosk.printer.printed)
            push(mock_pins(pin))
            printed(kiosk, done + 1)
        assert joins(kiosk) == [(f"/api/queues/{service}/tickets", {})
                                for service in (PASSPORTS, PAYMENTS, PASSPORTS, RECEPTION)]
        assert [(t.queue_name, t.display_number, t.priority) for t in kiosk.printer.printed] == [
            ("Passports", "P001", False), ("Payments", "Y001", False), ("Passports", "P002", False),
            ("Reception", "001", False)]
    finally:
        pins.close()


def test_a_priority_press_arms_the_next_service_press_only(tmp_path, mock_pins):
    kiosk, pins = kiosk_on_pins(tmp_path, QODE_KIOSK_BUTTONS="gpio:17=P,gpio:27=Y",
                                QODE_KIOSK_PRIORITY_BUTTON="gpio:22")
    try:
        push(mock_pins(22))
        wait_until(lambda: kiosk.priority.is_armed(), timeout=5)
        assert joins(kiosk) == []  # two services: nothing issued until the guest chooses one
        push(mock_pins(27))
        printed(kiosk, 1)
        assert not kiosk.priority.is_armed()  # taken
        push(mock_pins(27))
        printed(kiosk, 2)
        assert joins(kiosk) == [(f"/api/queues/{PAYMENTS}/tickets", {"priority": True}),
                                (f"/api/queues/{PAYMENTS}/tickets", {})]
        assert [(t.queue_name, t.display_number, t.priority) for t in kiosk.printer.printed] == [
            ("Payments", "Y001", True), ("Payments", "Y002", False)]
        assert any("Priority" in line for line in kiosk.said)
    finally:
        pins.close()


@pytest.mark.parametrize("env", [{}, {"QODE_KIOSK_BUTTONS": "gpio:17=P"}, {"QODE_KIOSK_BUTTON": "gpio:17"}],
                         ids=["the kiosk's line", "one service button", "the single button"])
def test_with_one_service_the_priority_button_prints_at_once(tmp_path, mock_pins, env):
    kiosk, pins = kiosk_on_pins(tmp_path, QODE_KIOSK_PRIORITY_BUTTON="gpio:22", **env)
    try:
        push(mock_pins(22))
        (first,) = printed(kiosk, 1)
        assert (first.queue_name, first.display_number, first.priority) == ("Passports", "P001", True)
        assert joins(kiosk) == [(f"/api/queues/{PASSPORTS}/tickets", {"priority": True})]
        assert not kiosk.priority.is_armed()  # nothing left over for the next guest
        if env:
            push(mock_pins(17))
            assert printed(kiosk, 2)[1].priority is False
    finally:
        pins.close()


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_priority_is_forgotten_after_its_seconds(tmp_path):
    clock = Clock()
    armed = daemon.Priority(10, daemon.Led(None), clock=clock)
    armed.arm()
    clock.now += 9.9
    assert armed.is_armed() and armed.take()
    assert not armed.take()  # once
    armed.arm()
    clock.now += 10
    assert not armed.is_armed() and not armed.take()  # the next guest's press is a normal one
    armed.arm()
    clock.now += 5
    armed.arm()  # pressed again: ten seconds from the second press
    clock.now += 9
    assert armed.take()
    forever = daemon.Priority(None, daemon.Led(None), clock=clock)
    forever.arm()
    clock.now += 86_400
    assert forever.take() and not forever.take()  # `off`: until the next service press, then gone
    armed.close()


def test_an_expired_priority_makes_the_next_press_normal(tmp_path, mock_pins):
    kiosk, pins = kiosk_on_pins(tmp_path, QODE_KIOSK_BUTTONS="gpio:17=P,gpio:27=Y",
                                QODE_KIOSK_PRIORITY_BUTTON="gpio:22")
    clock = Clock()
    kiosk.priority.clock = clock
    try:
        push(mock_pins(22))
        wait_until(lambda: kiosk.priority.is_armed(), timeout=5)
        clock.now += 11
        push(mock_pins(17))
        assert printed(kiosk, 1)[0].priority is False
        assert joins(kiosk) == [(f"/api/queues/{PASSPORTS}/tickets", {})]
    finally:
        pins.close()


def test_a_press_ignored_while_another_is_served_leaves_priority_armed(tmp_path, mock_pins):
    kiosk, pins = kiosk_on_pins(tmp_path, QODE_KIOSK_BUTTONS="gpio:17=P,gpio:27=Y")
    kiosk.priority.arm()
    assert kiosk._press_lock.acquire(blocking=False)  # a press is being served
    try:
        assert kiosk.press_pin(27) is None
        assert kiosk.priority.is_armed() and joins(kiosk) == []
    finally:
        kiosk._press_lock.release()
    assert kiosk.press_pin(27)["priority"] is True
    kiosk.priority.close()
    pins.close()


def blink_intervals(pin, count: int, timeout: float = 15) -> list[float]:
    """The next `count` whole on/off periods of `pin` (seconds each), from the times the mock pin
    records with every change; a slow machine makes them come later, not go uncounted."""
    pin.clear_states()
    # states[0] is the state when cleared, states[1] ends a period begun before: neither is whole
    wait_until(lambda: len(pin.states) >= count + 2, timeout=timeout)
    return [state.timestamp for state in pin.states[2:count + 2]]


def quick_blink(pin) -> float:
    """The median period of the LED's blink: 0.1 s while priority is armed, 0.3 s for a problem."""
    return statistics.median(blink_intervals(pin, 8))


def stays_off(pin, seconds: float = 0.4) -> bool:
    """Whether the LED is off and does not change for `seconds` (a blink of 0.1 or 0.3 s would)."""
    pin.clear_states()
    time.sleep(seconds)
    return pin.state == 0 and len(pin.states) == 1


def test_the_led_blinks_quickly_while_priority_is_armed_then_goes_back(tmp_path, mock_pins):
    kiosk, pins = kiosk_on_pins(tmp_path, QODE_KIOSK_BUTTONS="gpio:17=P,gpio:27=Y",
                                QODE_KIOSK_PRIORITY_BUTTON="gpio:22", QODE_KIOSK_LED="gpio:18")
    led = mock_pins(18)
    try:
        assert stays_off(led, 0.3)  # off while idle
        # Long enough never to end while it is watched (the periods are waited for, up to 15 s each);
        # its end is watched below with a short one.
        kiosk.priority.seconds = 60.0
        push(mock_pins(22))
        wait_until(lambda: kiosk.priority.is_armed(), timeout=5)
        # 0.1 s on, 0.1 s off (the trouble blink is 0.3 s): a loaded machine only stretches a period
        assert 0.05 <= quick_blink(led) < 0.2
        kiosk.led.idle()  # the status loop's "printer fine" does not stop the armed blink
        assert 0.05 <= quick_blink(led) < 0.2
        kiosk.priority.seconds = 0.5
        push(mock_pins(22))  # pressed again: forgotten half a second after this press
        wait_until(lambda: stays_off(led), timeout=10)  # forgotten: off again (fails if it blinks on)
        assert not kiosk.priority.is_armed()
        kiosk.led.problem()  # the printer needs attention: the slow blink
        assert quick_blink(led) >= 0.25
        kiosk.priority.seconds = 60.0
        push(mock_pins(22))
        wait_until(lambda: kiosk.priority.is_armed(), timeout=5)
        assert 0.05 <= quick_blink(led) < 0.2  # armed shows over it
        push(mock_pins(17))  # taken by a press
        printed(kiosk, 1)
        wait_until(lambda: stays_off(led), timeout=10)  # printed fine: idle
    finally:
        kiosk.priority.close()  # a failed check may leave it armed: its 60 s timer must not outlive the pins
        pins.close()


def test_the_run_loop_does_not_read_stdin_with_service_buttons(tmp_path, mock_pins, monkeypatch):
    """With QODE_KIOSK_BUTTONS the unit's stdin (/dev/null: at once at its end) must not stop it."""
    settings = load(QODE_KIOSK_DATA_DIR=str(tmp_path), QODE_KIOSK_BUTTONS="gpio:17=P,gpio:27=Y")
    started = threading.Event()
    monkeypatch.setattr(daemon.Kiosk, "start", lambda self: (setattr(self, "device", {
        "id": "d", "queue_id": PASSPORTS, "queue_name": "Passports", "kind": "kiosk", "services": SERVICES}),
        setattr(self, "buttons", daemon.resolve_buttons(settings.buttons, SERVICES)), started.set()))
    read = []
    monkeypatch.setattr(daemon, "run_stdin", lambda kiosk: read.append(kiosk))
    handlers = []  # run() is not on the main thread here: its SIGTERM handler is kept, and called
    monkeypatch.setattr(daemon.signal, "signal", lambda signum, handler: handlers.append((signum, handler)))
    outcome = []
    runner = threading.Thread(target=lambda: outcome.append(daemon.run(settings)), daemon=True)
    runner.start()
    assert started.wait(10)
    time.sleep(0.5)
    assert runner.is_alive() and outcome == [] and read == [], (outcome, read)  # waiting for its buttons
    ((signum, handler),) = handlers
    assert signum == daemon.signal.SIGTERM
    handler(signum, None)  # as systemd stops it
    runner.join(15)
    assert outcome == [0] and read == [], (outcome, read)


# --- the printed ticket -----------------------------------------------------------------------


def render(ticket: layout.Ticket, paper_mm: int) -> bytes:
    printer = Dummy()
    layout.render(printer, ticket, paper_mm)
    return printer.output


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_a_priority_ticket_says_priority_white_on_black_under_the_number(paper_mm):
    out = render(layout.Ticket("Passports", "P001", URL, 2, 300, priority=True), paper_mm)
    number, name, word = out.index(b"P001"), out.index(b"Passports"), out.index(b" Priority \n")
    assert name < number < word  # the service above the number, the priority mark under it
    assert out.rindex(b"\x1dB\x01", 0, word) > number  # inverted (GS B 1) for the word only
    assert out.index(b"\x1dB\x00", word) < out.index(b"2 ahead of you")
    assert out.count(b"\x1dB\x01") == 1
    normal = render(layout.Ticket("Passports", "P001", URL, 2, 300), paper_mm)
    assert b"Priority" not in normal and b"\x1dB" not in normal


def test_the_service_name_prints_large_above_the_number():
    out = render(layout.Ticket("Passports", "P001", URL, 2, 300), 58)
    name = out.index(b"Passports")
    assert out.rindex(b"\x1b!\x30", 0, name) < name  # ESC ! double width and height (python-escpos "2x")
    assert out.index(b"P001") > name


@pytest.mark.parametrize("lang", sorted(layout.WORDS))
def test_the_priority_word_fits_58_mm_in_every_language(lang):
    word = layout.WORDS[lang]["priority"]
    assert word and len(word) <= layout.PRIORITY_CHARS  # " word " in double width: 16 characters at most
    assert (len(word) + 2) * 24 <= layout.PAPER_DOTS[58]
    printer = Dummy()
    layout.render(printer, layout.Ticket("Desk", "A001", URL, 1, 300, language=lang, priority=True), 58)
    if layout.right_to_left(word):  # drawn, joined and right to left: one more picture than without
        plain = Dummy()
        layout.render(plain, layout.Ticket("Desk", "A001", URL, 1, 300, language=lang), 58)
        assert printer.output.count(b"\x1dv0\x00") == plain.output.count(b"\x1dv0\x00") + 1
    else:
        assert b"?" not in printer.output  # every letter is in a code page the printer knows
        if word.isascii():
            assert f" {word} \n".encode() in printer.output


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_an_arabic_priority_mark_is_a_white_on_black_band_as_wide_as_the_paper(paper_mm):
    strip = layout.text_raster(layout.WORDS["ar"]["priority"], paper_mm, 40, bold=True, inverted=True)
    assert strip is not None and strip.width == layout.PAPER_DOTS[paper_mm]
    black = sum(1 for x in range(strip.width) for y in range(strip.height) if strip.getpixel((x, y)) == 0)
    assert black > strip.width * strip.height * 0.15  # a band, not just letters
    left_edge = [strip.getpixel((0, y)) for y in range(strip.height)]
    assert set(left_edge) == {255}  # centred: white at the paper's edges
