"""The kiosk's printers: specs, status over a real socket to a fake printer, and preview pictures
whose QR codes a real decoder reads back to the exact URL."""

from __future__ import annotations

import array
import contextlib
import os
import shutil
import socket
import subprocess
import threading
import time
import tty

import pytest
from escpos.printer import Usb
from PIL import Image

from qode_bench.fakeprinter import FakePrinter
from qode_kiosk import preview, printers
from qode_kiosk.layout import Ticket, wifi_qr
from qode_kiosk.printers import (
    DEFAULT_BAUD,
    ERROR,
    OFFLINE,
    PAPER_LOW,
    PAPER_OUT,
    READY,
    TIMEOUT,
    UNCHECKED,
    Printer,
    PrintError,
    PrinterSpec,
    PrinterSpecError,
    parse_paper,
    parse_spec,
)

from helpers import done_within, wait_until

URL = "http://192.168.1.20:8000/t/5b0c1f9e-3d7a-4c55-9f1e-2a6b8c0d4e11"
SETUP_URL = "http://192.168.1.20:8000/setup#token=0f1e2d3c4b5a69788796a5b4c3d2e1f0"
WIFI = wifi_qr('Town \\hall; "guests", 5:GHz', 'pa\\ss;wo,rd"x:1')
TICKET = Ticket("Town hall", "B017", URL, people_ahead=3, eta_seconds=700)


def decode_qr(path) -> list[str]:
    """Every QR code a real decoder (zbar) finds in the picture at `path`."""
    try:
        from pyzbar.pyzbar import ZBarSymbol, decode
    except ImportError:  # no pyzbar, or no libzbar0 under it
        decode = None
    if decode is not None:
        with Image.open(path) as picture:
            return sorted(s.data.decode() for s in decode(picture, symbols=[ZBarSymbol.QRCODE]))
    if shutil.which("zbarimg"):
        done = subprocess.run(["zbarimg", "--raw", "-q", "-Sdisable", "-Sqrcode.enable", str(path)],
                              capture_output=True, timeout=30)
        return sorted(done.stdout.decode().splitlines())
    pytest.skip("no QR decoder: needs pip pyzbar with Debian libzbar0, or Debian zbar-tools (zbarimg)")


@pytest.fixture
def fake():
    printer = FakePrinter().start()
    yield printer
    printer.stop()


@pytest.fixture
def printer(fake):
    return Printer(parse_spec(f"network:127.0.0.1:{fake.port}"), paper_mm=80)


# -- specs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "spec"), [
    ("usb:04b8:0e15", PrinterSpec("usb", vendor_id=0x04B8, product_id=0x0E15)),
    ("USB:04B8:E15", PrinterSpec("usb", vendor_id=0x04B8, product_id=0x0E15)),
    ("serial:/dev/ttyUSB0", PrinterSpec("serial", address="/dev/ttyUSB0", baud=DEFAULT_BAUD)),
    ("serial:/dev/serial/by-id/usb-Printer_1-if00:115200",
     PrinterSpec("serial", address="/dev/serial/by-id/usb-Printer_1-if00", baud=115200)),
    ("network:192.168.1.50", PrinterSpec("network", address="192.168.1.50", port=9100)),
    ("network:printer.local:9101", PrinterSpec("network", address="printer.local", port=9101)),
    (" network:epson-tm-t20 ", PrinterSpec("network", address="epson-tm-t20", port=9100)),
    ("file:/dev/usb/lp0", PrinterSpec("file", address="/dev/usb/lp0")),
    ("dummy", PrinterSpec("dummy")),
    ("preview", PrinterSpec("preview")),
])
def test_good_specs_parse(text, spec):
    assert parse_spec(text) == spec
    assert parse_spec(str(spec)) == spec  # the canonical form reads back the same


@pytest.mark.parametrize("text", [
    "", "   ", "usb", "usb:", "usb:04b8", "usb:04b8:0e15:01", "usb:xyz1:0e15", "usb:04b8:12345",
    "usb:0000:0e15", "usb:04b8:0000", "usb:0x04b8:0e15", "serial:", "serial:ttyUSB0", "serial:dev/ttyS0",
    "serial:/dev/ttyUSB0:fast", "serial:/dev/ttyUSB0:9601", "serial:/dev/ttyUSB0:", "serial:/dev/../etc/passwd",
    "serial:/dev/tty USB0", "network:", "network::9100", "network:host:", "network:host:0",
    "network:host:65536",
    "network:host:99999999", "network:host:-1", "network:host:91OO", "network:999.1.1.1", "network:-bad-.lan",
    "network:a_b.lan", "network:[::1]:9100", "network:fe80::1", "file:", "file:lp0", "file:/dev/usb/lp0/",
    "file:/dev/usb/lp0\n", "file:/dev/usb/lp0\x00", "dummy:1", "preview:x", "printer", "lp:/dev/usb/lp0",
    "network:host\n:9100", "network:h\u00f6st", "cups:TM-T20", "http://192.168.1.50",
])
def test_bad_specs_say_what_would_work(text):
    with pytest.raises(PrinterSpecError) as caught:
        parse_spec(text)
    message = str(caught.value)
    assert "usb:VID:PID" in message and "network:HOST[:PORT]" in message and "preview" in message
    assert "\n" not in message.replace("\\n", "")  # one readable line, even for a spec with a line break


def test_paper_is_58_or_80():
    assert parse_paper(58) == 58 and parse_paper("80") == 80 and parse_paper("58mm") == 58
    for bad in (57, "100", "", "eighty", None, "80\n0"):
        with pytest.raises(PrinterSpecError, match="58 or 80"):
            parse_paper(bad)
    with pytest.raises(PrinterSpecError, match="58 or 80"):
        Printer("dummy", paper_mm=76)


def test_which_links_can_answer():
    assert [Printer(s, data_dir="/tmp").two_way for s in (
        "network:10.0.0.9", "serial:/dev/ttyS0", "usb:04b8:0e15", "file:/dev/usb/lp0", "dummy", "preview")
    ] == [True, True, True, False, False, False]


# -- a network printer (the fake) ---------------------------------------------------------------


def test_a_ready_printer_prints_the_ticket_with_the_exact_url(fake, printer):
    assert printer.check() == (READY, "ready")
    assert printer.print_ticket(TICKET) is None
    assert fake.wait_for_tickets(1, 2)
    [ticket] = fake.tickets
    assert ticket.qr == [URL]
    assert "B017" in ticket.text and "Town hall" in ticket.text and "3 ahead of you" in ticket.text
    assert ticket.data.endswith(b"\x1dV\x00")
    assert fake.connections == 2  # one per call: a power-cycled printer is simply reconnected to
    assert fake.status_queries == 6  # DLE EOT 1 and 4: for the check, before the ticket, after it
    assert fake.dropped == 0


def test_a_wifi_ticket_carries_both_codes(fake, printer):
    printer.print_ticket(Ticket("Desk", "A002", URL, 1, 300, wifi=WIFI))
    assert fake.wait_for_tickets(1, 2)
    assert fake.tickets[0].qr == [URL, WIFI]


def test_low_paper_still_prints(fake, printer):
    fake.mode = "paper_low"
    state, detail = printer.check()
    assert state == PAPER_LOW and "low" in detail
    printer.print_ticket(TICKET)
    assert fake.wait_for_tickets(1, 2)


@pytest.mark.parametrize(("mode", "state", "words"), [
    ("paper_out", PAPER_OUT, "paper"),
    ("offline", OFFLINE, "cover is open"),
    ("error", ERROR, "cutter"),
])
def test_a_printer_that_cannot_print_gets_no_ticket(fake, printer, mode, state, words):
    fake.mode = mode
    assert printer.check()[0] == state
    with pytest.raises(PrintError) as caught:
        printer.print_ticket(TICKET)
    assert caught.value.state == state and words in caught.value.detail
    assert fake.wait_idle(timeout=10)  # every connection closed and what it carried accounted for
    assert fake.connections >= 1 and fake.tickets == [] and fake.dropped == 0


def test_a_silent_printer_is_offline_after_the_short_timeout(fake, printer):
    fake.mode = "silent"
    started = time.monotonic()
    state, detail = printer.check()
    assert state == OFFLINE and "no answer" in detail
    assert TIMEOUT - 0.2 < time.monotonic() - started < TIMEOUT + 5  # never python-escpos's 60 s


def test_a_printer_that_stops_answering_during_a_ticket_is_not_believed(fake, printer):
    fake.mode = "hang"  # answers the check before the ticket, then takes the ticket and goes quiet
    started = time.monotonic()
    with pytest.raises(PrintError) as caught:
        printer.print_ticket(TICKET)
    assert caught.value.state == OFFLINE and "did not confirm" in caught.value.detail
    assert time.monotonic() - started < TIMEOUT + 5
    wait_until(lambda: fake.dropped == 1, timeout=5)
    assert fake.status_queries == 2 and fake.tickets == []  # taken, never printed


@pytest.mark.parametrize("mode", ["refuse", "closed"])
def test_a_printer_that_hangs_up_or_is_not_there_is_offline_at_once(fake, printer, mode, monkeypatch):
    monkeypatch.setattr(printers, "TIMEOUT", 600.0)  # waiting it out would hang the test, not slow it
    if mode == "closed":
        fake.stop()
    else:
        fake.mode = mode
    state, detail = done_within(30, printer.check)
    assert state == OFFLINE and str(fake.port) in detail
    with pytest.raises(PrintError) as caught:
        done_within(30, lambda: printer.print_ticket(TICKET))
    assert caught.value.state == OFFLINE
    assert fake.tickets == []


@pytest.fixture
def not_a_printer():
    """Something on a TCP port that is not a printer: `reply` bytes to whatever comes, or b"" to hang up."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(5)
    server = {"reply": b"", "port": listener.getsockname()[1]}

    def serve():
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                conn.recv(100)
                if server["reply"]:
                    conn.sendall(server["reply"])
                    conn.recv(100)  # until the client goes

    thread = threading.Thread(target=serve, daemon=True)
    server["start"] = thread.start
    yield server
    listener.close()
    thread.join(5)


def test_a_link_closed_politely_is_offline_not_fine(not_a_printer):
    # python-escpos's paper_status() reads an empty answer as "plenty of paper"; Qode must not.
    not_a_printer["start"]()
    state, detail = Printer(f"network:127.0.0.1:{not_a_printer['port']}").check()
    assert state == OFFLINE and "closed the connection" in detail


def test_something_that_is_not_a_printer_is_an_error(not_a_printer):
    not_a_printer["reply"] = b"HTTP/1.1 400 Bad Request\r\n\r\n"
    not_a_printer["start"]()
    state, detail = Printer(f"network:127.0.0.1:{not_a_printer['port']}").check()
    assert state == ERROR and "not an ESC/POS status" in detail


def test_a_connection_dropped_mid_ticket_is_an_error_not_a_ticket(fake, printer):
    fake.mode = "drop"
    assert printer.check()[0] == READY  # status answers still come
    with pytest.raises(PrintError) as caught:
        printer.print_ticket(TICKET)
    assert caught.value.state == OFFLINE
    wait_until(lambda: fake.dropped == 1, timeout=5)
    assert fake.tickets == []
    fake.mode = "ok"  # and it recovers by itself on the next call
    printer.print_ticket(TICKET)
    assert fake.wait_for_tickets(1, 2) and fake.tickets[0].qr == [URL]


def test_the_setup_ticket(fake, printer):
    printer.print_setup(SETUP_URL)
    assert fake.wait_for_tickets(1, 2)
    [ticket] = fake.tickets
    assert ticket.qr == [SETUP_URL]
    assert "Set up Qode" in ticket.text
    assert SETUP_URL in ticket.text.replace("\n", "")  # also as text, wrapped, for typing in by hand
    assert printer.last_output.startswith(b"\x1b@")  # a reset first, as every ticket


def test_the_fake_records_when_each_cut_arrived(fake, printer):
    before = time.monotonic()
    printer.print_ticket(TICKET)
    printer.print_ticket(Ticket("Town hall", "B018", URL, 4, 800))
    assert fake.wait_for_tickets(2, 2)
    first, second = fake.tickets
    assert before <= first.last_byte_at <= second.last_byte_at <= time.monotonic()
    assert "B018" in second.text


# -- other links --------------------------------------------------------------------------------


def test_a_device_file_prints_one_way_and_is_never_created(tmp_path):
    device = tmp_path / "lp0"
    missing = Printer(f"file:{device}")
    assert missing.check()[0] == OFFLINE
    with pytest.raises(PrintError):
        missing.print_ticket(TICKET)
    assert not device.exists()  # an unplugged /dev/usb/lp0 must not become a file that eats tickets
    device.write_bytes(b"")
    assert missing.check()[0] == UNCHECKED
    missing.print_ticket(TICKET)
    missing.print_ticket(TICKET)
    assert preview.qr_payloads(device.read_bytes()) == [URL.encode()] * 2


def test_a_serial_printer_on_a_pseudo_terminal(tmp_path, monkeypatch):
    pytest.importorskip("serial", reason="pyserial (python-escpos[serial]) is not installed")
    master, slave = os.openpty()
    tty.setraw(slave)
    received = bytearray()

    def answer_like_a_printer():  # every DLE EOT n gets "online, paper fine"; the rest is the ticket
        answered = 0
        with contextlib.suppress(OSError):
            while chunk := os.read(master, 4096):
                received.extend(chunk)
                queries = received.count(b"\x10\x04")
                os.write(master, b"\x12" * (queries - answered))
                answered = queries

    threading.Thread(target=answer_like_a_printer, daemon=True).start()
    try:
        printer = Printer(f"serial:{os.ttyname(slave)}:115200", paper_mm=58)
        # Each answer is read as it comes, not after waiting out the timeout for 16 bytes: with the
        # timeout at 10 minutes, a 16-byte read would hang here.
        monkeypatch.setattr(printers, "TIMEOUT", 600.0)
        assert done_within(30, printer.check) == (READY, "ready")
        done_within(30, lambda: printer.print_ticket(TICKET))
        assert preview.qr_payloads(bytes(received)) == [URL.encode()]
    finally:
        os.close(slave)
        os.close(master)


def test_a_silent_serial_printer_is_offline_after_the_timeout(monkeypatch):
    pytest.importorskip("serial", reason="pyserial (python-escpos[serial]) is not installed")
    master, slave = os.openpty()
    tty.setraw(slave)
    try:
        monkeypatch.setattr(printers, "TIMEOUT", 0.5)
        state, detail = done_within(30, Printer(f"serial:{os.ttyname(slave)}").check)
        assert state == OFFLINE and "said nothing in 0.5 s" in detail
        assert os.read(master, 100) == b"\x10\x04\x01"  # it asked, once, and got no answer
    finally:
        os.close(slave)
        os.close(master)


class FakeEndpoint:
    """An endpoint descriptor as pyusb shows one: its address and attributes (2 = bulk, 3 = interrupt)."""

    def __init__(self, address: int, attributes: int = 2):
        self.bEndpointAddress = address
        self.bmAttributes = attributes


class FakeUsbPrinter:
    """A USB device with the public shape of pyusb's Device: a configuration whose interface (0, 0)
    lists `endpoints`; a status byte answered on the IN endpoint to each DLE EOT written."""

    def __init__(self, endpoints, status: int = 0x12, configured: bool = True, take=None):
        self.endpoints = endpoints
        self.status = status
        self.configured = configured
        self.take = take  # the most bytes one write takes (all when None)
        self.writes: list[tuple[int, bytes, int]] = []
        self.reads: list[tuple[int, int]] = []
        self.pending = 0
        self.calls: list[str] = []

    def is_kernel_driver_active(self, interface):
        self.calls.append(f"is_kernel_driver_active({interface})")
        return True  # usblp has it, as on a Pi

    def detach_kernel_driver(self, interface):
        self.calls.append(f"detach_kernel_driver({interface})")

    def get_active_configuration(self):
        import usb.core

        if not self.configured:
            raise usb.core.USBError("Configuration not set")
        return {(0, 0): self.endpoints}

    def set_configuration(self):
        self.calls.append("set_configuration()")
        self.configured = True

    def reset(self):
        self.calls.append("reset()")

    def write(self, endpoint, data, timeout=None):
        data = bytes(data)
        self.writes.append((endpoint, data, timeout))
        self.pending += data.count(b"\x10\x04")
        return len(data) if self.take is None else min(len(data), self.take)

    def read(self, endpoint, size, timeout=None):
        import usb.core

        self.reads.append((endpoint, timeout))
        if not self.pending:
            raise usb.core.USBTimeoutError("Operation timed out", errno=110)
        self.pending -= 1
        return array.array("B", [self.status])


@pytest.fixture
def usb_bus(monkeypatch):
    """pyusb's find() and dispose_resources() (its public calls), on a bus holding what the test puts."""
    usb_core = pytest.importorskip("usb.core", reason="pyusb is not installed")
    import usb.util

    bus = {"device": None, "found": [], "disposed": []}

    def find(**match):
        bus["found"].append(match)
        if isinstance(bus["device"], Exception):
            raise bus["device"]
        return bus["device"]

    monkeypatch.setattr(usb_core, "find", find)
    monkeypatch.setattr(usb.util, "dispose_resources", lambda device: bus["disposed"].append(device))
    return bus


def test_a_usb_printer_uses_its_own_bulk_endpoints_and_is_never_reset(usb_bus):
    device = usb_bus["device"] = FakeUsbPrinter(
        [FakeEndpoint(0x83, attributes=3), FakeEndpoint(0x02), FakeEndpoint(0x81)], configured=False)
    printer = Printer("usb:04b8:0e15")
    assert printer.check() == (READY, "ready")
    assert usb_bus["found"] == [{"idVendor": 0x04B8, "idProduct": 0x0E15}]
    assert device.calls == ["is_kernel_driver_active(0)", "detach_kernel_driver(0)", "set_configuration()"]
    assert [data for _, data, _ in device.writes] == [b"\x10\x04\x01", b"\x10\x04\x04"]
    device.writes.clear()
    printer.print_ticket(TICKET)
    assert "reset()" not in device.calls
    assert {endpoint for endpoint, _, _ in device.writes} == {0x02}  # the bulk OUT, not python-escpos's 0x01
    assert {endpoint for endpoint, _ in device.reads} == {0x81}  # the bulk IN, not the interrupt one
    assert {timeout for _, _, timeout in device.writes} == {int(TIMEOUT * 1000)}
    written = [data for _, data, _ in device.writes]
    # asked (online, paper), the ticket in one write, asked again: the second answer is the receipt
    assert written[:2] == [b"\x10\x04\x01", b"\x10\x04\x04"] and written[3:] == written[:2]
    assert preview.qr_payloads(written[2]) == [URL.encode()]
    assert usb_bus["disposed"] == [device, device]  # closed after each call


def test_a_usb_printer_without_an_in_endpoint_is_one_way(usb_bus):
    device = usb_bus["device"] = FakeUsbPrinter([FakeEndpoint(0x01)])
    printer = Printer("usb:04b8:0e15")
    state, detail = printer.check()
    assert state == UNCHECKED and "one way" in detail
    printer.print_ticket(TICKET)
    [(endpoint, data, _)] = device.writes  # the ticket and nothing else: no status question
    assert endpoint == 0x01 and preview.qr_payloads(data) == [URL.encode()]
    assert device.reads == []


def test_a_usb_printer_that_stops_answering_or_takes_part_of_a_ticket_is_offline(usb_bus):
    device = usb_bus["device"] = FakeUsbPrinter([FakeEndpoint(0x01), FakeEndpoint(0x82)])
    device.write = lambda endpoint, data, timeout=None: len(data)  # takes the question, never answers
    state, detail = Printer("usb:04b8:0e15").check()
    assert state == OFFLINE and f"no answer within {TIMEOUT:g} s" in detail
    usb_bus["device"] = FakeUsbPrinter([FakeEndpoint(0x01), FakeEndpoint(0x82)], take=100)
    with pytest.raises(PrintError) as caught:  # the questions go whole, the ticket is cut short
        Printer("usb:04b8:0e15").print_ticket(TICKET)
    assert caught.value.state == OFFLINE and "did not reach the printer" in caught.value.detail
    assert "took 100 of" in caught.value.detail


@pytest.mark.parametrize("trouble, state, words", [
    (None, OFFLINE, "no USB printer 04b8:0e15 found"),
    ("access", ERROR, "no permission to use the USB printer 04b8:0e15"),
    ("busy", OFFLINE, "cannot reach the USB printer 04b8:0e15: resource busy"),
    ("backend", ERROR, "libusb-1.0"),
])
def test_usb_open_failures_say_what_is_wrong(usb_bus, trouble, state, words):
    import usb.core

    if trouble == "backend":
        usb_bus["device"] = usb.core.NoBackendError("No backend available")
    elif trouble is not None:
        device = usb_bus["device"] = FakeUsbPrinter([FakeEndpoint(0x01), FakeEndpoint(0x82)], configured=False)
        error = {"access": (13, "Access denied (insufficient permissions)"),
                 "busy": (16, "Resource busy")}[trouble]

        def set_configuration():
            raise usb.core.USBError(error[1], errno=error[0])

        device.set_configuration = set_configuration
    checked, detail = Printer("usb:04b8:0e15").check()
    assert checked == state and words in detail
    with pytest.raises(PrintError) as caught:
        Printer("usb:04b8:0e15").print_ticket(TICKET)
    assert caught.value.state == state
    if trouble in ("access", "busy"):
        assert usb_bus["disposed"] == [device, device]  # released even though the open failed


def test_missing_serial_and_usb_printers_are_offline_not_a_traceback():
    state, detail = Printer("serial:/dev/ttyQODE-none").check()
    assert (state, "/dev/ttyQODE-none" in detail) == (OFFLINE, True) or (state, "pyserial" in detail) == (
        ERROR, True)
    state, detail = Printer("usb:04b8:0e15").check()
    if Usb.is_usable():
        assert (state == OFFLINE and "04b8:0e15" in detail) or (state == ERROR and "libusb" in detail)
    else:
        assert state == ERROR and "pyusb" in detail
    with pytest.raises(PrintError):
        Printer("usb:04b8:0e15").print_ticket(TICKET)


def test_dummy_is_always_ready_and_keeps_what_it_was_given():
    dummy = Printer("dummy", paper_mm=58)
    assert dummy.check()[0] == READY
    assert dummy.print_ticket(TICKET) is None
    assert preview.qr_payloads(dummy.last_output) == [URL.encode()]


# -- preview ------------------------------------------------------------------------------------


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_a_preview_picture_holds_a_qr_that_decodes_to_the_exact_url(tmp_path, paper_mm):
    printer = Printer("preview", paper_mm=paper_mm, data_dir=tmp_path)
    assert printer.check()[0] == READY
    path = printer.print_ticket(TICKET)
    assert path.parent == tmp_path / "preview" and path.suffix == ".png" and "B017" in path.name
    with Image.open(path) as picture:
        assert picture.width == preview.PAPER_DOTS[paper_mm] == {58: 384, 80: 576}[paper_mm]
        assert picture.height > picture.width
    assert decode_qr(path) == [URL]


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_a_preview_wifi_code_decodes_to_the_escaped_join_string(tmp_path, paper_mm):
    assert WIFI == 'WIFI:T:WPA;S:Town \\\\hall\\; \\"guests\\"\\, 5\\:GHz;P:pa\\\\ss\\;wo\\,rd\\"x\\:1;;'
    path = Printer("preview", paper_mm, tmp_path).print_ticket(Ticket("Desk", "A002", URL, 1, 300, wifi=WIFI))
    assert decode_qr(path) == sorted([URL, WIFI])


def test_the_preview_setup_ticket_decodes(tmp_path):
    path = Printer("preview", 58, tmp_path).print_setup(SETUP_URL)
    assert decode_qr(path) == [SETUP_URL]


def test_the_preview_keeps_only_the_newest_pictures(tmp_path, monkeypatch):
    monkeypatch.setattr(preview, "KEEP", 3)
    printer = Printer("preview", 58, tmp_path)
    paths = [printer.print_ticket(Ticket("Desk", f"A{n:03d}", URL, 0, None)) for n in range(5)]
    assert sorted((tmp_path / "preview").iterdir()) == sorted(paths[-3:])


def test_the_preview_draws_sizes_and_alignment_and_survives_junk():
    big = preview.render_image(b"\x1b@\x1ba\x01\x1d!\x55B017\n", 80)
    small = preview.render_image(b"\x1b@\x1ba\x01B017\n", 80)
    left = preview.render_image(b"\x1b@B017\n", 80)

    def ink(picture):
        return picture.point(lambda v: 255 if v < 128 else 0).getbbox()

    assert (ink(big)[3] - ink(big)[1]) > 4 * (ink(small)[3] - ink(small)[1])  # six times as tall
    assert ink(small)[0] > 200 and ink(left)[0] < 20  # centred versus left
    junk = bytes(range(256)) * 4 + b"\x1d(k\xff\xff1P0" + b"\x1b" + b"\x1dv0\x00\xff\xff"
    assert preview.render_image(junk, 58).width == 384  # unknown or cut-short sequences: skipped, no crash
