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
]

DEFAULTS = {s.name: s.default for s in SETTINGS}
_GPIO = re.compile(r"^gpio:(\d{1,2})$")


class KioskSettingError(ValueError):
    pass


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
        led_pin=_pin("led", raw["QODE_KIOSK_LED"], allow_off=True),
        wifi_ssid=ssid,
        wifi_password=password,
        data_dir=Path(raw["QODE_KIOSK_DATA_DIR"]),
        admin_token_file=Path(raw["QODE_KIOSK_ADMIN_TOKEN_FILE"]),
        status_seconds=_seconds("status seconds", raw["QODE_KIOSK_STATUS_SECONDS"], 3600),
        retry_seconds=_seconds("retry seconds", raw["QODE_KIOSK_RETRY_SECONDS"], 110),
    )
