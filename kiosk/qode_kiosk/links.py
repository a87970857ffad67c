"""The kiosk's links to a printer: the ticket's bytes out, a status answer back.

python-escpos draws the ticket (on its Dummy, see printers.py); these carry it, each built only
on the public API of what it uses: a TCP socket, a device file, pyserial, pyusb. Each link is
opened by its constructor and has `write(data)` (every byte, or an OSError), `read_status()`
(the answer to a DLE EOT request just written: b"" when the printer said nothing) and `close()`.
`two_way` says whether it can carry an answer at all.

The exceptions are the libraries' own (OSError and its kinds, pyserial's SerialException, pyusb's
USBError and NoBackendError), so printers.py can say what went wrong; plus NotFound, for a USB
printer that is not on the bus, and Unavailable, for a kind of link whose package is missing.
"""

from __future__ import annotations

import errno
import logging
import os
import socket

log = logging.getLogger(__name__)

USB_DEFAULT_OUT_ENDPOINT = 0x01  # python-escpos's default, for a printer that names no bulk OUT
STATUS_SIZE = 16  # more than any answer to one DLE EOT request


class NotFound(Exception):
    """No such printer is connected (a USB printer that is not on the bus)."""


class Unavailable(Exception):
    """This kind of link cannot work here: the package it needs is not installed."""


class NetworkLink:
    """A raw TCP connection (port 9100 and the like)."""

    two_way = True

    def __init__(self, host: str, port: int, timeout: float):
        self._socket = socket.create_connection((host, port), timeout=timeout)  # closes it on failure
        try:
            # A status query right after the ticket must leave at once: with Nagle it would wait for
            # the ticket's ACK, which the printer may delay by 40 ms or more.
            self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            self._socket.close()
            raise

    def write(self, data: bytes) -> None:
        self._socket.sendall(data)

    def read_status(self) -> bytes:
        """Up to 16 bytes as soon as some come; b"" when the printer closed the connection."""
        return self._socket.recv(STATUS_SIZE)

    def close(self) -> None:
        try:
            self._socket.shutdown(socket.SHUT_RDWR)
        except OSError:  # already gone
            pass
        self._socket.close()


class FileLink:
    """A printer's device file (/dev/usb/lp0): one way, and never created when it is missing,
    so an unplugged printer does not turn into a regular file that swallows every later ticket."""

    two_way = False

    def __init__(self, path: str):
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOCTTY)

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            if written <= 0:
                raise OSError(errno.EIO, "the printer device took no more bytes")
            view = view[written:]

    def read_status(self) -> bytes:
        raise OSError(errno.EOPNOTSUPP, "a printer device file carries no answers")

    def close(self) -> None:
        os.close(self._fd)


class SerialLink:
    """A serial port (pyserial), 8N1 with DSR/DTR flow control as python-escpos opened it."""

    two_way = True

    def __init__(self, path: str, baud: int, timeout: float, write_timeout: float):
        try:
            import serial
        except ImportError:
            raise Unavailable("serial printing needs the pyserial package (python-escpos[serial])") from None
        self._port = serial.Serial(
            port=path, baudrate=baud, bytesize=serial.EIGHTBITS, parity=serial.PARITY_NONE,
            stopbits=serial.STOPBITS_ONE, xonxoff=False, dsrdtr=True,
            timeout=timeout,  # for a status answer
            write_timeout=write_timeout,  # pyserial blocks for ever otherwise
        )
        try:
            self._port.reset_input_buffer()  # nothing stale may pass for a status answer
        except Exception:
            self._port.close()
            raise

    def write(self, data: bytes) -> None:
        self._port.write(data)  # every byte, or SerialTimeoutException after write_timeout

    def read_status(self) -> bytes:
        """The answer as soon as its first byte comes (with whatever followed it), without
        waiting out the timeout for 16 bytes; b"" when nothing came within the timeout."""
        first = self._port.read(1)
        return first + self._port.read(self._port.in_waiting) if first else first

    def close(self) -> None:
        self._port.close()


class UsbLink:
    """A USB printer (pyusb), on its own bulk endpoints of interface 0, without the USB reset
    python-escpos does on every open. A printer with no bulk IN endpoint is one way."""

    def __init__(self, vendor_id: int, product_id: int, timeout: float):
        try:
            import usb.core
            import usb.util
        except ImportError:
            raise Unavailable("USB printing needs pyusb (python-escpos[usb]) and libusb") from None
        self._timeout_ms = int(timeout * 1000)
        device = usb.core.find(idVendor=vendor_id, idProduct=product_id)  # NoBackendError without libusb
        if device is None:
            raise NotFound(f"no USB device {vendor_id:04x}:{product_id:04x}")
        self._usb_device = device
        try:
            self._claim(usb)
        except Exception:
            self.close()
            raise

    def _claim(self, usb) -> None:
        device = self._usb_device
        try:
            if device.is_kernel_driver_active(0):  # usblp holds it: the printer is ours while we print
                try:
                    device.detach_kernel_driver(0)
                except usb.core.USBError as exc:  # as python-escpos: carry on, the write will tell
                    log.error("could not detach the kernel driver: %s", exc)
        except NotImplementedError:  # a backend or system with no kernel drivers to detach
            pass
        try:
            config = device.get_active_configuration()
        except usb.core.USBError:  # not configured yet
            device.set_configuration()
            config = device.get_active_configuration()
        interface = config[(0, 0)]

        def bulk(direction):
            return usb.util.find_descriptor(
                interface,
                custom_match=lambda e: usb.util.endpoint_direction(e.bEndpointAddress) == direction
                and usb.util.endpoint_type(e.bmAttributes) == usb.util.ENDPOINT_TYPE_BULK,
            )

        out_ep, in_ep = bulk(usb.util.ENDPOINT_OUT), bulk(usb.util.ENDPOINT_IN)
        self._out = out_ep.bEndpointAddress if out_ep is not None else USB_DEFAULT_OUT_ENDPOINT
        self._in = in_ep.bEndpointAddress if in_ep is not None else None
        self.two_way = self._in is not None

    def write(self, data: bytes) -> None:
        written = self._usb_device.write(self._out, data, self._timeout_ms)
        if written != len(data):
            raise OSError(errno.EIO, f"the printer took {written} of {len(data)} bytes")

    def read_status(self) -> bytes:
        if self._in is None:
            raise OSError(errno.EOPNOTSUPP, "this USB printer has no way to answer")
        return bytes(self._usb_device.read(self._in, STATUS_SIZE, self._timeout_ms))

    def close(self) -> None:
        import usb.util

        usb.util.dispose_resources(self._usb_device)
