"""The kiosk's printer: which one (a spec string), is it ready, and print a ticket on it.

A printer is opened for each call and closed after it, so one that was unplugged, power-cycled
or rebooted comes back by itself. Two-way links (network, serial, USB) are asked for their
status with DLE EOT before a ticket, and again after it on the same connection: only the answer
to that second question proves the printer took the whole ticket, because a network send
"succeeds" into the kernel's buffer even when the printer has gone.

python-escpos draws the ticket (on its Dummy, so a bad ticket never half-prints); the links in
links.py carry it and the status questions, on public APIs only.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import re
import socket
import textwrap
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from escpos.constants import RT_STATUS_ONLINE, RT_STATUS_PAPER
from escpos.printer import Dummy

from qode_kiosk import layout, links, preview

log = logging.getLogger(__name__)

READY = "ready"
PAPER_LOW = "paper_low"
PAPER_OUT = "paper_out"
OFFLINE = "offline"
ERROR = "error"
UNCHECKED = "unchecked"  # a one-way link (file:) that cannot answer a status query
STATES = (READY, PAPER_LOW, PAPER_OUT, OFFLINE, ERROR, UNCHECKED)
PRINTABLE = (READY, PAPER_LOW, UNCHECKED)

PAPER_WIDTHS = (58, 80)
DEFAULT_NETWORK_PORT = 9100
DEFAULT_BAUD = 9600  # what most ESC/POS serial printers and python-escpos start at
BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400)
TIMEOUT = 3.0  # seconds for a connection or a status answer; python-escpos's network default is 60
SERIAL_WRITE_TIMEOUT = 10.0  # a long ticket at 9600 baud takes about 2 s
BUSY_TIMEOUT = 30.0  # how long check() waits for a print in progress before saying so

SPEC_FORMS = (
    "usb:VID:PID (hex, e.g. usb:04b8:0e15), serial:/dev/ttyUSB0[:BAUD], network:HOST[:PORT] "
    "(port 9100 by default), file:/dev/usb/lp0, dummy or preview"
)

# DLE EOT answers: bits 1 and 4 are always 1, bits 0 and 7 always 0 (ESC/POS reference).
_FIXED_MASK, _FIXED_BITS = 0x93, 0x12
_OFFLINE_BIT = 0x08  # DLE EOT 1
_COVER_OPEN, _FEED_BUTTON, _PAPER_END_STOP, _ERROR_BIT = 0x04, 0x08, 0x20, 0x40  # DLE EOT 2
_CUTTER_ERROR, _UNRECOVERABLE, _AUTO_RECOVERABLE = 0x08, 0x20, 0x40  # DLE EOT 3
_NEAR_END, _PAPER_END = 0x0C, 0x60  # DLE EOT 4: roll near-end sensor, roll end sensor
_RT_STATUS_OFFLINE_CAUSE = b"\x10\x04\x02"
_RT_STATUS_ERROR_CAUSE = b"\x10\x04\x03"

_HEX_ID = re.compile(r"[0-9a-fA-F]{1,4}")
_DEVICE_PATH = re.compile(r"/[A-Za-z0-9_.+@/-]*")
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


class PrinterSpecError(ValueError):
    """A printer spec or paper width that Qode cannot use; the message says what would work."""


class PrintError(Exception):
    """A ticket that did not (provably) reach the printer; `state` is one of STATES."""

    def __init__(self, state: str, detail: str):
        super().__init__(f"{state}: {detail}")
        self.state = state
        self.detail = detail


@dataclass(frozen=True)
class PrinterSpec:
    kind: str  # usb, serial, network, file, dummy or preview
    address: str = ""  # network host, or the device path for serial and file
    port: int | None = None  # network only
    baud: int | None = None  # serial only
    vendor_id: int | None = None  # usb only
    product_id: int | None = None  # usb only

    def __str__(self) -> str:
        if self.kind == "usb":
            return f"usb:{self.vendor_id:04x}:{self.product_id:04x}"
        if self.kind == "serial":
            return f"serial:{self.address}:{self.baud}"
        if self.kind == "network":
            return f"network:{self.address}:{self.port}"
        if self.kind == "file":
            return f"file:{self.address}"
        return self.kind

    @property
    def two_way(self) -> bool:
        """Whether the link can carry the printer's answers to a status query."""
        return self.kind in ("usb", "serial", "network")

    def describe(self) -> str:
        """The printer in words, for a status detail."""
        return {
            "usb": f"USB printer {self.vendor_id or 0:04x}:{self.product_id or 0:04x}",
            "serial": f"serial printer on {self.address}",
            "network": f"network printer at {self.address}:{self.port}",
            "file": f"printer device {self.address}",
        }.get(self.kind, f"{self.kind} printer")


def _bad(text: str, why: str) -> PrinterSpecError:
    return PrinterSpecError(f"Printer {text!r} is not usable: {why}. Use one of: {SPEC_FORMS}.")


def _device_path(text: str, value: str, what: str) -> str:
    if not value.startswith("/"):
        raise _bad(text, f"the {what} must be an absolute path such as /dev/ttyUSB0")
    if not _DEVICE_PATH.fullmatch(value) or "//" in value or "/../" in value + "/" or value.endswith("/"):
        raise _bad(text, f"{value!r} is not a plain device path")
    return value


def _host(text: str, value: str) -> str:
    labels = value.split(".")
    if all(label.isdigit() for label in labels):
        try:
            return str(ipaddress.IPv4Address(value))
        except ValueError:
            raise _bad(text, f"{value!r} is not an IPv4 address") from None
    if len(value) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise _bad(text, f"{value!r} is not a host name or IPv4 address")
    return value


def _number(text: str, value: str, what: str) -> int:
    if not value.isascii() or not value.isdigit() or len(value) > 6:
        raise _bad(text, f"the {what} {value!r} is not a number")
    return int(value)


def parse_spec(text: str) -> PrinterSpec:
    """The printer named by `text` (e.g. `usb:04b8:0e15`), or PrinterSpecError saying what is wrong."""
    if not isinstance(text, str):
        raise PrinterSpecError(f"A printer spec must be text. Use one of: {SPEC_FORMS}.")
    raw = text
    text = text.strip(" ")
    if not text:
        raise PrinterSpecError(f"No printer given. Use one of: {SPEC_FORMS}.")
    if len(text) > 300 or not text.isascii() or not text.isprintable() or any(c.isspace() for c in text):
        raise _bad(raw[:60], "it contains spaces, line breaks or other characters a spec never has")
    kind, _, rest = text.partition(":")
    kind = kind.lower()
    if kind in ("dummy", "preview"):
        if rest or text.endswith(":"):
            raise _bad(text, f"{kind} takes nothing after it")
        return PrinterSpec(kind)
    if kind == "usb":
        ids = rest.split(":")
        if len(ids) != 2 or not all(_HEX_ID.fullmatch(part) for part in ids):
            raise _bad(text, "a USB printer is usb:VID:PID with two hex numbers, as lsusb shows them")
        vendor_id, product_id = (int(part, 16) for part in ids)
        if not vendor_id or not product_id:
            # python-escpos ignores a zero id and would grab whichever USB device comes first
            raise _bad(text, "a USB vendor or product id of 0000 is not a real device")
        return PrinterSpec("usb", vendor_id=vendor_id, product_id=product_id)
    if kind == "serial":
        path, sep, baud_text = rest.partition(":")
        path = _device_path(text, path, "serial port")
        baud = _number(text, baud_text, "baud rate") if sep else DEFAULT_BAUD
        if baud not in BAUD_RATES:
            raise _bad(text, f"{baud} is not a standard baud rate ({', '.join(map(str, BAUD_RATES))})")
        return PrinterSpec("serial", address=path, baud=baud)
    if kind == "network":
        if rest.startswith("[") or rest.count(":") > 1:
            # kept simple: a printer on a venue's network has an IPv4 address
            raise _bad(text, "IPv6 addresses are not supported; use the printer's IPv4 address or name")
        host, has_port, port_text = rest.partition(":")
        if not host:
            raise _bad(text, "a network printer needs a host, e.g. network:192.168.1.50")
        host = _host(text, host)
        port = _number(text, port_text, "port") if has_port else DEFAULT_NETWORK_PORT
        if not 1 <= port <= 65535:
            raise _bad(text, f"port {port} is outside 1-65535")
        return PrinterSpec("network", address=host, port=port)
    if kind == "file":
        return PrinterSpec("file", address=_device_path(text, rest, "printer device"))
    raise _bad(text, f"{kind!r} is not a kind of printer Qode knows")


def parse_paper(value: int | str) -> int:
    """The paper width in mm (58 or 80) from a setting such as `80` or `"58mm"`."""
    text = str(value).strip().lower().removesuffix("mm").strip()
    if text.isascii() and text.isdigit() and int(text) in PAPER_WIDTHS:
        return int(text)
    raise PrinterSpecError(f"Paper width {str(value)[:20]!r} is not supported: use 58 or 80 (mm).")


def render_setup(printer, url: str, paper_mm: int = 80) -> None:
    """Lay out the first-boot setup ticket: a title, what to do, the setup URL as a QR and as text."""
    width = layout.WIDTHS.get(paper_mm, 48)
    printer.hw("INIT")  # as every ticket: whatever an earlier job left set is reset
    printer.set(align="center", bold=True, double_height=True, double_width=True)
    printer.text(layout.clean("Set up Qode", width // 2) + "\n")
    printer.set(align="center", normal_textsize=True, bold=False)
    words = layout.clean("Scan this code with a phone on the same network to finish setting up", 200)
    for line in textwrap.wrap(words, width):
        printer.text(line + "\n")
    printer.qr(url, size=8 if paper_mm >= 80 else 6, native=True)
    for line in textwrap.wrap(layout.clean(url, 400), width, break_on_hyphens=False):
        printer.text(line + "\n")
    printer.cut()


def _reason(exc: BaseException) -> str:
    """A short, one-line reason for an open or I/O failure."""
    if isinstance(exc, TimeoutError) or getattr(exc, "errno", None) == errno.ETIMEDOUT:
        return f"no answer within {TIMEOUT:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is it switched on, and is this its port?)"
    if isinstance(exc, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
        return "the printer closed the connection"
    if isinstance(exc, FileNotFoundError) or getattr(exc, "errno", None) in (errno.ENOENT, errno.ENODEV):
        return "no such device (unplugged or switched off?)"
    if isinstance(exc, socket.gaierror):
        return f"unknown host ({exc.strerror})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def _is_permission(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, PermissionError) or "access denied" in text or "permission denied" in text


class _Unreachable(Exception):
    def __init__(self, state: str, detail: str):
        super().__init__(detail)
        self.state = state
        self.detail = detail


class Printer:
    """The kiosk's printer: `check()` its state, `print_ticket()`, `print_setup()`.

    Thread-safe: calls take turns, each on its own connection.
    """

    def __init__(self, spec: PrinterSpec | str, paper_mm: int | str = 80, data_dir: Path | str | None = None):
        self.spec = spec if isinstance(spec, PrinterSpec) else parse_spec(spec)
        self.paper_mm = parse_paper(paper_mm)
        self.data_dir = Path(data_dir) if data_dir is not None else None
        if self.spec.kind == "preview" and self.data_dir is None:
            raise PrinterSpecError("The preview printer needs a data directory to put its pictures in.")
        self.last_output = b""  # what the dummy printer was last given
        self._lock = threading.Lock()

    @property
    def two_way(self) -> bool:
        return self.spec.two_way

    @property
    def preview_dir(self) -> Path | None:
        return self.data_dir / "preview" if self.data_dir is not None else None

    def __repr__(self) -> str:
        return f"Printer({str(self.spec)!r}, paper_mm={self.paper_mm})"

    # -- public ---------------------------------------------------------------------------------

    def check(self) -> tuple[str, str]:
        """(state, detail) right now; never raises. Opens the printer, asks, closes."""
        if self.spec.kind == "dummy":
            return READY, "dummy printer: tickets go nowhere"
        if self.spec.kind == "preview":
            return READY, f"preview: tickets are saved as pictures in {self.preview_dir}"
        if not self._lock.acquire(timeout=BUSY_TIMEOUT):
            return ERROR, f"the {self.spec.describe()} has been busy printing for over {BUSY_TIMEOUT:g} s"
        try:
            link = self._open()
            try:
                if not link.two_way:
                    return UNCHECKED, f"the {self.spec.describe()} is connected one way: no status to read"
                return self._status(link)
            finally:
                self._close(link)
        except _Unreachable as exc:
            return exc.state, exc.detail
        except Exception as exc:  # a status check must never take the daemon down
            log.exception("printer check failed")
            return ERROR, f"unexpected problem with the {self.spec.describe()}: {_reason(exc)}"
        finally:
            self._lock.release()

    def print_ticket(self, ticket: layout.Ticket) -> Path | None:
        """Print `ticket`, or raise PrintError. Returns the picture's path for `preview`."""
        return self._job(lambda p: layout.render(p, ticket, self.paper_mm), ticket.display_number)

    def print_setup(self, url: str) -> Path | None:
        """Print the first-boot setup ticket with `url` as a QR, or raise PrintError."""
        if not url:
            raise ValueError("a setup ticket needs a URL")
        return self._job(lambda p: render_setup(p, url, self.paper_mm), "setup")

    # -- internals ------------------------------------------------------------------------------

    def _job(self, draw: Callable[[object], None], label: str) -> Path | None:
        # Laid out in memory first: the printer gets the ticket in one write, and a layout
        # problem shows up before a single byte (and half a ticket) has gone out.
        dummy = Dummy()
        draw(dummy)
        data = self.last_output = dummy.output
        if self.spec.kind == "dummy":
            return None
        if self.spec.kind == "preview":
            try:
                return preview.save_ticket(data, self.paper_mm, self.preview_dir, label)
            except OSError as exc:
                raise PrintError(ERROR, f"cannot save the preview picture: {_reason(exc)}") from exc
        with self._lock:
            try:
                link = self._open()
            except _Unreachable as exc:
                raise PrintError(exc.state, exc.detail) from None
            try:
                if link.two_way:
                    state, detail = self._status(link)
                    if state not in PRINTABLE:
                        raise PrintError(state, detail)
                try:
                    link.write(data)
                except OSError as exc:
                    raise PrintError(OFFLINE, f"the ticket did not reach the printer: {_reason(exc)}") from exc
                if link.two_way:
                    # The answer comes after every byte of the ticket on the same link: proof of receipt.
                    state, detail = self._status(link)
                    if state not in PRINTABLE:
                        raise PrintError(state, f"the printer did not confirm the ticket: {detail}")
                return None
            finally:
                self._close(link)

    def _connect(self):
        """A new link to the printer (TIMEOUT and SERIAL_WRITE_TIMEOUT as they are now)."""
        spec = self.spec
        if spec.kind == "network":
            return links.NetworkLink(spec.address, spec.port, TIMEOUT)
        if spec.kind == "file":
            return links.FileLink(spec.address)
        if spec.kind == "serial":
            return links.SerialLink(spec.address, spec.baud, TIMEOUT, SERIAL_WRITE_TIMEOUT)
        if spec.kind == "usb":
            return links.UsbLink(spec.vendor_id, spec.product_id, TIMEOUT)
        raise _Unreachable(ERROR, f"{spec.kind} is not a device")

    def _open(self):
        """The printer's link, open; or _Unreachable with the state and a readable detail."""
        where = self.spec.describe()
        try:
            return self._connect()
        except _Unreachable:
            raise
        except links.Unavailable as exc:
            raise _Unreachable(ERROR, str(exc)) from None
        except links.NotFound as exc:
            raise _Unreachable(OFFLINE, f"no {where} found (unplugged or switched off?)") from exc
        except Exception as exc:  # pyusb and pyserial raise their own kinds as well as OSError
            if _is_permission(exc):
                raise _Unreachable(ERROR, f"no permission to use the {where} (is the service user in the "
                                          "lp/dialout group, or a udev rule missing?)") from exc
            if type(exc).__name__ == "NoBackendError":  # pyusb's, when libusb is missing
                raise _Unreachable(ERROR, "USB printing needs libusb-1.0 (Debian: libusb-1.0-0)") from exc
            if isinstance(exc, OSError | ValueError):
                raise _Unreachable(OFFLINE, f"cannot reach the {where}: {_reason(exc)}") from exc
            log.exception("opening the printer failed")
            raise _Unreachable(ERROR, f"unexpected problem opening the {where}: {_reason(exc)}") from exc

    @staticmethod
    def _close(link) -> None:
        try:
            link.close()
        except Exception as exc:  # closing a dead link can fail in many ways; it is gone either way
            log.debug("closing the printer: %s", exc)

    def _query(self, link, request: bytes) -> int:
        """The status byte the printer answers to DLE EOT n; raises _Unreachable when there is none."""
        where = self.spec.describe()
        try:
            link.write(request)
            answer = link.read_status()
        except OSError as exc:
            raise _Unreachable(OFFLINE, f"the {where} did not answer: {_reason(exc)}") from exc
        if not answer:
            why = "closed the connection" if self.spec.kind == "network" else f"said nothing in {TIMEOUT:g} s"
            raise _Unreachable(OFFLINE, f"the {where} {why} instead of answering a status query")
        status = answer[-1]  # the latest byte, should a late answer to an earlier query come first
        if status & _FIXED_MASK != _FIXED_BITS:
            raise _Unreachable(ERROR, f"the {where} answered 0x{status:02x} to a status query, which is "
                                      "not an ESC/POS status (is this the printer's port?)")
        return status

    def _status(self, link) -> tuple[str, str]:
        """(state, detail) from DLE EOT 1 and 4, and 2 and 3 for why it is offline."""
        try:
            online = self._query(link, RT_STATUS_ONLINE)
            paper = self._query(link, RT_STATUS_PAPER)
            if paper & _PAPER_END:
                return PAPER_OUT, "out of paper: put in a new roll"
            if online & _OFFLINE_BIT:
                cause = self._query(link, _RT_STATUS_OFFLINE_CAUSE)
                if cause & _COVER_OPEN:
                    return OFFLINE, "the printer's cover is open"
                if cause & _PAPER_END_STOP:
                    return PAPER_OUT, "out of paper: put in a new roll"
                if cause & _ERROR_BIT:
                    error = self._query(link, _RT_STATUS_ERROR_CAUSE)
                    if error & _CUTTER_ERROR:
                        return ERROR, "the paper cutter is jammed: open the cover and clear it"
                    if error & _UNRECOVERABLE:
                        return ERROR, "the printer has an error it cannot recover from: switch it off and on"
                    if error & _AUTO_RECOVERABLE:
                        return OFFLINE, "the print head is too hot; it will carry on when it cools down"
                    return ERROR, "the printer reports an error"
                if cause & _FEED_BUTTON:
                    return OFFLINE, "paper is being fed with the button"
                return OFFLINE, "the printer says it is offline"
            if paper & _NEAR_END:
                return PAPER_LOW, "paper is running low: have a new roll ready"
            return READY, "ready"
        except _Unreachable as exc:
            return exc.state, exc.detail
