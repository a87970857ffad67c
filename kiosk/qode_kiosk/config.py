"""The kiosk daemon's settings: every `QODE_KIOSK_*` variable with its default and help.

`qode kiosk` flags override them. The README's kiosk settings table is checked against
this list by a test, like the server's.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from qode_common.patterns import Setting, is_off, is_token, is_uuid

from . import printers

SETTINGS: list[Setting] = [
    Setting("QODE_KIOSK_SERVER", "http://127.0.0.1:8000",
            "The Qode server the kiosk talks to (HTTP and its device channel); it may be another box."),
    Setting("QODE_KIOSK_QUEUE", "", "The line this kiosk issues for (a queue id). Optional: the token names "
            "its line; when set, a token of another line is refused at start."),
    Setting("QODE_KIOSK_TOKEN", "", "The kiosk's device token, from \"Add kiosk\" on the setup page or "
            "`POST /api/queues/{id}/devices`. Empty on first boot: the kiosk then prints a setup ticket."),
    Setting("QODE_KIOSK_PRINTER", "preview", "`usb:VID:PID`, `serial:/dev/ttyUSB0[:baud]`, "
            "`network:HOST[:PORT]`, `file:/dev/usb/lp0`, `dummy`, or `preview` (PNG files, no hardware)."),
    Setting("QODE_KIOSK_PAPER", "80", "Paper width in mm: 58 or 80."),
    Setting("QODE_KIOSK_BUTTON", "stdin", "`gpio:PIN` (BCM numbering, pressed to ground), `key` (any key in "
            "a terminal), `stdin` (each line is a press), or `none` (touch page and reprints only)."),
    Setting("QODE_KIOSK_LED", "off", "`gpio:PIN` of an LED: on while printing, blinking while the printer "
            "needs attention."),
    Setting("QODE_KIOSK_WIFI_SSID", "", "When set, tickets carry a second QR code to join this Wi-Fi."),
    Setting("QODE_KIOSK_WIFI_PASSWORD", "", "The Wi-Fi password for that QR code (empty: an open network)."),
    Setting("QODE_KIOSK_DATA_DIR", "./instance/kiosk", "Where the `preview` printer writes its PNG tickets."),
    Setting("QODE_KIOSK_ADMIN_TOKEN_FILE", "/var/lib/qode/admin_token",
            "On first boot, the setup ticket's link carries this admin token when the file is readable."),
    Setting("QODE_KIOSK_STATUS_SECONDS", "15",
            "How often an idle kiosk checks its printer and tells the server."),
    Setting("QODE_KIOSK_RETRY_SECONDS", "20", "How long a press keeps retrying an unreachable server "
            "(\"one moment\") before it gives up without a ticket."),
    # issue 15: kiosk
    Setting("QODE_KIOSK_BUTTONS", "", "One button per service: `gpio:PIN=SERVICE[,gpio:PIN=SERVICE…]` "
            "(up to 8, each pin once), SERVICE a service id or prefix among the kiosk's services (checked at "
            "start). Instead of QODE_KIOSK_BUTTON, which then stays `stdin` or `none`."),
    Setting("QODE_KIOSK_PRIORITY_BUTTON", "off", "`gpio:PIN` of a priority button, or off. A press arms "
            "priority for the next service press (the LED blinks quickly while armed); on a kiosk with one "
            "service it prints a priority ticket at once."),
    Setting("QODE_KIOSK_PRIORITY_SECONDS", "10", "How long a priority press stays armed, in seconds (1-300); "
            "`off`: until the next service press."),
]

DEFAULTS = {s.name: s.default for s in SETTINGS}
_GPIO = re.compile(r"^gpio:(\d{1,2})$")


MAX_BUTTONS = 8  # service buttons on one kiosk
_SERVICE_BUTTON = re.compile(r"^gpio:(\d{1,2})=(\S+)$")
_PREFIX = re.compile(r"^[A-Za-z0-9]{1,4}$")  # a service's prefix, as the server allows it (not empty)
# The pin settings: when one of them is wrong the rest is still known (see `qode kiosk`).
NO_PINS = {"QODE_KIOSK_BUTTON": "none", "QODE_KIOSK_LED": "off", "QODE_KIOSK_BUTTONS": "",
           "QODE_KIOSK_PRIORITY_BUTTON": "off"}


class KioskSettingError(ValueError):
    """A setting that cannot work. `pins`: it is one of the GPIO settings (NO_PINS), whose message
    already names it; the kiosk then still knows its server and token and can tell the host."""

    def __init__(self, message: str, pins: bool = False):
        super().__init__(message)
        self.pins = pins


@dataclass(frozen=True)
class ServiceButton:
    """One service button: a pin and the service it issues for, as written in the setting (a
    service id or prefix); the kiosk finds the service among its own at start."""

    pin: int
    service: str


@dataclass(frozen=True)
class KioskConfig:
    server: str
    queue: str | None
    token: str | None
    printer: printers.PrinterSpec
    paper_mm: int
    button: str  # "stdin", "key", "none" or "gpio"
    button_pin: int | None
    led_pin: int | None
    wifi_ssid: str
    wifi_password: str
    data_dir: Path
    admin_token_file: Path
    status_seconds: int
    retry_seconds: int
    # issue 15: kiosk
    buttons: tuple[ServiceButton, ...] = ()
    priority_pin: int | None = None
    priority_seconds: int | None = 10  # None: armed until the next service press

    @property
    def configured(self) -> bool:
        return bool(self.token)


def _server(value: str) -> str:
    value = value.strip().rstrip("/")
    if not re.fullmatch(r"https?://[A-Za-z0-9.\-\[\]:]+(:\d{1,5})?", value):
        raise KioskSettingError(f"server {value!r}: expected http://HOST[:PORT], e.g. http://192.168.1.20:8000")
    return value


def _pin(name: str, value: str, allow_off: bool) -> int | None:
    if allow_off and (not value.strip() or is_off(value)):
        return None
    match = _GPIO.fullmatch(value.strip())
    if not match or int(match[1]) > 27:
        raise KioskSettingError(f"{name} {value!r}: expected gpio:PIN with a BCM pin 0-27"
                                + (" or off" if allow_off else ""))
    return int(match[1])


def _seconds(name: str, value: str, maximum: int) -> int:
    if not value.strip().isdigit() or not 1 <= int(value) <= maximum:
        raise KioskSettingError(f"{name} {value!r}: expected whole seconds from 1 to {maximum}")
    return int(value)


def _buttons(value: str, button: str) -> tuple[ServiceButton, ...]:
    name = "QODE_KIOSK_BUTTONS"
    if not value.strip():
        return ()
    if button not in ("stdin", "none"):
        raise KioskSettingError(f"{name} and QODE_KIOSK_BUTTON={button} both set: with one button per service, "
                                "leave QODE_KIOSK_BUTTON unset (stdin) or none", pins=True)
    found: list[ServiceButton] = []
    for item in value.split(","):
        item = item.strip()
        match = _SERVICE_BUTTON.fullmatch(item)
        if not match or int(match[1]) > 27:
            raise KioskSettingError(f"{name}: {item!r}: expected gpio:PIN=SERVICE with a BCM pin 0-27, e.g. "
                                    "gpio:17=P,gpio:27=R", pins=True)
        pin, service = int(match[1]), match[2]
        if not (is_uuid(service) or _PREFIX.fullmatch(service)):
            raise KioskSettingError(f"{name}: {item!r}: SERVICE is a service's id (a UUID) or its prefix "
                                    "(1-4 letters or digits)", pins=True)
        if any(b.pin == pin for b in found):
            raise KioskSettingError(f"{name}: GPIO {pin} is used twice; give each button its own pin",
                                    pins=True)
        found.append(ServiceButton(pin, service.lower() if is_uuid(service) else service))
    if len(found) > MAX_BUTTONS:
        raise KioskSettingError(f"{name}: {len(found)} buttons; at most {MAX_BUTTONS}", pins=True)
    return tuple(found)


def _priority_seconds(value: str) -> int | None:
    if is_off(value):
        return None
    if not value.strip().isdigit() or not 1 <= int(value) <= 300:
        raise KioskSettingError(f"priority seconds {value!r}: expected whole seconds from 1 to 300, or off")
    return int(value)


def _pins_apart(button_pin: int | None, led_pin: int | None, buttons: tuple[ServiceButton, ...],
                priority_pin: int | None) -> None:
    """Each GPIO pin for one purpose. (The single button and the LED on one pin is GPIO's own
    message, from before issue 15: see daemon.open_pins.)"""
    taken = {b.pin: f"QODE_KIOSK_BUTTONS (gpio:{b.pin}={b.service})" for b in buttons}
    if button_pin is not None:
        taken[button_pin] = "QODE_KIOSK_BUTTON"
    if priority_pin is not None:
        if priority_pin in taken:
            raise KioskSettingError(f"QODE_KIOSK_PRIORITY_BUTTON=gpio:{priority_pin}: {taken[priority_pin]} "
                                    f"uses GPIO {priority_pin} already; give the priority button another pin",
                                    pins=True)
        taken[priority_pin] = "QODE_KIOSK_PRIORITY_BUTTON"
    if led_pin is not None and led_pin in taken and taken[led_pin] != "QODE_KIOSK_BUTTON":
        raise KioskSettingError(f"QODE_KIOSK_LED=gpio:{led_pin}: {taken[led_pin]} uses GPIO {led_pin} "
                                "already; give the LED another pin", pins=True)


def load(flags: dict[str, str | None] | None = None, env: dict[str, str] | None = None) -> KioskConfig:
    """The settings from the environment, with `flags` (by setting name) taking precedence."""
    env = dict(os.environ if env is None else env)
    raw = {name: env.get(name, default) for name, default in DEFAULTS.items()}
    raw.update({k: v for k, v in (flags or {}).items() if v is not None})
    queue = raw["QODE_KIOSK_QUEUE"].strip() or None
    if queue is not None and not is_uuid(queue):
        raise KioskSettingError(f"queue {queue!r}: expected the queue's id (a UUID)")
    token = raw["QODE_KIOSK_TOKEN"].strip() or None
    if token is not None and not is_token(token):
        raise KioskSettingError("token: expected the kiosk's device token (16-256 letters, digits, - and _)")
    try:
        spec = printers.parse_spec(raw["QODE_KIOSK_PRINTER"])
        paper = printers.parse_paper(raw["QODE_KIOSK_PAPER"])
    except printers.PrinterSpecError as err:
        raise KioskSettingError(str(err)) from None
    button = raw["QODE_KIOSK_BUTTON"].strip()
    pin = None
    if button.startswith("gpio"):
        pin = _pin("button", button, allow_off=False)
        button = "gpio"
    elif button not in ("stdin", "key", "none"):
        raise KioskSettingError(f"button {button!r}: expected gpio:PIN, key, stdin or none")
    ssid = raw["QODE_KIOSK_WIFI_SSID"]
    if len(ssid) > 32 or not ssid.isprintable():
        raise KioskSettingError("wifi ssid: at most 32 printable characters")
    # issue 15: kiosk
    buttons = _buttons(raw["QODE_KIOSK_BUTTONS"],
                       raw["QODE_KIOSK_BUTTON"].strip() if pin is not None else button)
    try:
        priority_pin = _pin("priority button", raw["QODE_KIOSK_PRIORITY_BUTTON"], allow_off=True)
    except KioskSettingError as err:
        raise KioskSettingError(f"QODE_KIOSK_PRIORITY_BUTTON: {str(err).split(' ', 2)[2]}", pins=True) from None
    led_pin = _pin("led", raw["QODE_KIOSK_LED"], allow_off=True)
    _pins_apart(pin, led_pin, buttons, priority_pin)
    password = raw["QODE_KIOSK_WIFI_PASSWORD"]
    if len(password) > 63 or not password.isprintable():
        raise KioskSettingError("wifi password: at most 63 printable characters")
    return KioskConfig(
        server=_server(raw["QODE_KIOSK_SERVER"]),
        queue=queue.lower() if queue else None,
        token=token,
        printer=spec,
        paper_mm=paper,
        button=button,
        button_pin=pin,
        led_pin=led_pin,
        wifi_ssid=ssid,
        wifi_password=password,
        data_dir=Path(raw["QODE_KIOSK_DATA_DIR"]),
        admin_token_file=Path(raw["QODE_KIOSK_ADMIN_TOKEN_FILE"]),
        status_seconds=_seconds("status seconds", raw["QODE_KIOSK_STATUS_SECONDS"], 3600),
        retry_seconds=_seconds("retry seconds", raw["QODE_KIOSK_RETRY_SECONDS"], 110),
        buttons=buttons,
        priority_pin=priority_pin,
        priority_seconds=_priority_seconds(raw["QODE_KIOSK_PRIORITY_SECONDS"]),
    )
