"""A GPIO setting that cannot work: one line, on the host's kiosk card too, and exit 78 (no restart loop).

Each case runs the real `qode kiosk` (as qode-kiosk@.service does: settings from the
environment) against a real `qode serve`, and reads the host's view through the API.
The cases this machine can produce for real: no GPIO chip (/dev/gpiochip* does not exist
here), lgpio or gpiozero not installed (the import fails the way a missing package does),
a pin outside the Pi's range, and the button and LED on one pin. A taken pin and a chip
without permission need a real chip: the appliance VM test (gpio-sim) runs those.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys

import pytest
import requests

from qode import __version__

from helpers import QODE, KioskProcess, ServerProcess, admin, wait_until, ws_client_class

pytestmark = [pytest.mark.server]

EX_CONFIG = 78


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    """A server, a queue with a host token and one registered kiosk ("Door")."""
    server = ServerProcess(tmp_path_factory.mktemp("gpio") / "server").start()
    queue = requests.post(f"{server.url}/api/queues", json={"name": "Town hall", "prefix": "T"},
                          headers=admin(), timeout=5).json()
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    device = requests.post(f"{server.url}/api/queues/{queue['id']}/devices", json={"name": "Door"},
                           headers=host, timeout=5).json()
    yield {"server": server, "queue": queue, "host": host, "device": device}
    server.stop()
    log = server.log.read_text()
    assert "Traceback" not in log, log[-3000:]


def door(box) -> dict:
    devices = requests.get(f"{box['server'].url}/api/queues/{box['queue']['id']}/devices",
                           headers=box["host"], timeout=5).json()["devices"]
    return next(d for d in devices if d["id"] == box["device"]["id"])


def kiosk(box, tmp_path, button: str, led: str = "off",
          block: str | None = None) -> subprocess.CompletedProcess:
    """`qode kiosk` as the unit runs it; `block` makes that package's import fail as if not installed."""
    env = {**os.environ, "QODE_KIOSK_SERVER": box["server"].url, "QODE_KIOSK_TOKEN": box["device"]["token"],
           "QODE_KIOSK_PRINTER": "dummy", "QODE_KIOSK_BUTTON": button, "QODE_KIOSK_LED": led,
           "QODE_KIOSK_DATA_DIR": str(tmp_path), "QODE_KIOSK_ADMIN_TOKEN_FILE": str(tmp_path / "none")}
    env.pop("GPIOZERO_PIN_FACTORY", None)
    command = [QODE, "kiosk"]
    if block:  # None in sys.modules: `import lgpio` raises ImportError, exactly as when it is absent
        command = [sys.executable, "-c", f"import sys; sys.modules[{block!r}] = None; from qode.cli "
                   "import main; sys.exit(main())", "kiosk"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def one_line(done: subprocess.CompletedProcess) -> str:
    """The kiosk's whole say: exactly one line on stderr, nothing else, no traceback."""
    assert done.returncode == EX_CONFIG, (done.returncode, done.stdout, done.stderr)
    assert done.stdout == "", done.stdout
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("qode kiosk: "), done.stderr
    return lines[0].removeprefix("qode kiosk: ")


def shown(box, message: str) -> None:
    """The host sees the same line on the kiosk's card (the device list the dashboard reads)."""
    assert door(box)["error"] == message


def test_no_gpio_chip(box, tmp_path):
    if glob.glob("/dev/gpiochip*"):
        pytest.skip("this machine has a GPIO chip: the no-chip case needs a machine without one")
    message = one_line(kiosk(box, tmp_path, "gpio:17"))
    assert message.startswith("QODE_KIOSK_BUTTON=gpio:17: this box has no GPIO chip"), message
    shown(box, message)


@pytest.mark.parametrize("package", ["lgpio", "gpiozero"])
def test_the_kiosk_extra_missing(box, tmp_path, package):
    message = one_line(kiosk(box, tmp_path, "gpio:17", block=package))
    assert f"the Python package {package} is not installed" in message
    assert "install.sh --kiosk" in message  # what to do
    shown(box, message)


def test_a_pin_out_of_range(box, tmp_path):
    message = one_line(kiosk(box, tmp_path, "gpio:99"))
    assert message == "QODE_KIOSK_BUTTON: 'gpio:99': expected gpio:PIN with a BCM pin 0-27"
    shown(box, message)


def test_button_and_led_on_one_pin(box, tmp_path):
    message = one_line(kiosk(box, tmp_path, "gpio:17", led="gpio:17"))
    assert message.startswith("QODE_KIOSK_LED=gpio:17: the button uses GPIO 17 already"), message
    shown(box, message)


def test_the_host_channel_brings_the_line_to_the_dashboard(box, tmp_path):
    """What the dashboard's kiosk card draws from: the live host channel's devices (and the version)."""
    url = box["server"].url.replace("http://", "ws://") + f"/ws/host/{box['queue']['id']}"
    ws = ws_client_class().connect(url)
    try:
        ws.send(json.dumps({"type": "auth", "token": box["queue"]["host_token"]}))
        first = json.loads(ws.receive(timeout=10))
        assert first["type"] == "snapshot" and first["version"] == __version__
        # A line no other test here leaves behind: an unchanged report sends no update.
        message = one_line(kiosk(box, tmp_path, "gpio:16", led="gpio:16"))
        seen = []
        for _ in range(50):  # the first update after the report carries it; bounded
            raw = ws.receive(timeout=10)
            assert raw is not None, seen
            seen.append(json.loads(raw))
            devices = {d["id"]: d for d in seen[-1].get("devices", [])}
            if devices.get(box["device"]["id"], {}).get("error") == message:
                break
        else:
            raise AssertionError(f"no host message carried the kiosk's error: {seen[-3:]}")
    finally:
        ws.close()


def test_a_fixed_kiosk_clears_the_error(box, tmp_path):
    one_line(kiosk(box, tmp_path, "gpio:99"))
    assert door(box)["error"]
    running = KioskProcess(tmp_path / "fixed", box["server"].url, box["device"]["token"], "dummy").start()
    try:
        wait_until(lambda: door(box)["error"] is None and door(box)["printer"] == "ready", timeout=20)
        self_view = requests.get(f"{box['server'].url}/api/device", timeout=5,
                                 headers={"Authorization": f"Bearer {box['device']['token']}"}).json()
        assert self_view["error"] is None
    finally:
        running.stop()
    assert "Traceback" not in running.output()


def test_a_bad_gpio_setting_without_a_token_still_stops_in_one_line(tmp_path):
    env = {**os.environ, "QODE_KIOSK_BUTTON": "gpio:17", "QODE_KIOSK_LED": "gpio:17",
           "QODE_KIOSK_PRINTER": "dummy", "QODE_KIOSK_SERVER": "http://127.0.0.1:9",
           "QODE_KIOSK_DATA_DIR": str(tmp_path)}
    env.pop("QODE_KIOSK_TOKEN", None)
    done = subprocess.run([QODE, "kiosk"], env=env, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert "the button uses GPIO 17 already" in one_line(done)


@pytest.mark.parametrize("error", [
    "x" * 201,  # longer than a detail may be
    "two\nlines",  # not printable
    42,  # not text
    "",  # empty
])
def test_device_status_refuses_a_bad_error(box, error):
    url = f"{box['server'].url}/api/device/status"
    auth = {"Authorization": f"Bearer {box['device']['token']}"}
    before = door(box)
    answer = requests.post(url, json={"printer": "ready", "error": error}, headers=auth, timeout=5)
    assert answer.status_code == 422, answer.text  # invalid_body, as for every body here
    assert set(answer.json()["error"]) >= {"code", "message"}
    after = door(box)
    assert (after["printer"], after["error"], after["status_at"]) == (
        before["printer"], before["error"], before["status_at"])  # nothing half-written


# --- The lines for what needs a real chip (the appliance VM test runs them on gpio-sim) -----------


def test_a_board_gpiozero_does_not_know(tmp_path):
    """This machine is no Pi: with a chip present, gpiozero's lgpio factory refuses the board."""
    from qode_kiosk import gpio

    (tmp_path / "gpiochip0").write_text("")
    with pytest.raises(gpio.GpioProblem) as got:
        gpio.pin_factory("QODE_KIOSK_BUTTON=gpio:17", chips_glob=str(tmp_path / "gpiochip*"))
    assert str(got.value).startswith("QODE_KIOSK_BUTTON=gpio:17: gpiozero cannot use this board's pins (")
    assert str(got.value).endswith("it needs a Raspberry Pi") and "\n" not in str(got.value)


@pytest.mark.parametrize("code, said", [
    (-79, "GPIO 17 is in use by another program (GPIO busy)"),  # lgpio's LG_GPIO_BUSY
    (-11, "GPIO 17 is in use by another program (GPIO already in use)"),
    (-73, "GPIO 17 does not exist on this GPIO chip (bad GPIO number)"),
    (-7, "GPIO 17 cannot be used (GPIO operation not permitted)"),
])
def test_what_lgpio_says_about_a_pin_becomes_one_line(code, said):
    """lgpio's own errors (its error texts, raised as lgpio raises them) for a pin it cannot claim."""
    import lgpio

    from qode_kiosk import gpio

    def claim(pin, pin_factory=None):
        raise lgpio.error(lgpio.error_text(code))

    with pytest.raises(gpio.GpioProblem) as got:
        gpio.open_device("QODE_KIOSK_BUTTON=gpio:17", 17, claim, None)
    assert str(got.value).startswith(f"QODE_KIOSK_BUTTON=gpio:17: {said}"), str(got.value)
    assert len(str(got.value)) <= 200  # fits the server's `error` field whole
