"""A fake GSM modem on a pseudo-terminal, speaking the AT commands gammu 1.42 sends.

gammu opens the pty's slave path like a USB modem's /dev/ttyUSB0. This thread answers
on the master side: the identification and status queries gammu makes when it connects
(ATE1, AT+CMEE=1, AT+CSCS, AT+CGMI, AT+CGMM, AT+CGSN, AT+CPIN?, AT+CSQ, AT+CREG?, ...) and
the PDU-mode send (AT+CMGF=0, AT+CMGS=<len>, the PDU, Ctrl-Z). Each SMS-SUBMIT PDU is
decoded (GSM 7-bit or UCS-2, concatenated parts joined) and recorded as (number, text).

It can be told to fail: `fail_send` answers every send with a `+CMS ERROR`, `sim` other
than READY answers AT+CPIN? so (e.g. "SIM PIN"), `signal` is the AT+CSQ reading (99 = none).
Every command line received is kept in `commands` (what gammu really sends).
"""

from __future__ import annotations

import os
import select
import threading
import tty

GSM7 = ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXT = {0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[", 0x3D: "~",
            0x3E: "]", 0x40: "|", 0x65: "€"}


def _septets(data: bytes, count: int, skip_bits: int = 0) -> list[int]:
    bits = int.from_bytes(data, "little")
    return [(bits >> (skip_bits + 7 * i)) & 0x7F for i in range(count)]


def _gsm7_text(codes: list[int]) -> str:
    out, escape = [], False
    for code in codes:
        if escape:
            out.append(GSM7_EXT.get(code, "?"))
            escape = False
        elif code == 0x1B:
            escape = True
        else:
            out.append(GSM7[code])
    return "".join(out)


def decode_submit(pdu_hex: str) -> dict:
    """An SMS-SUBMIT PDU (with its SMSC prefix) as {number, text, part, parts, ref}."""
    pdu = bytes.fromhex(pdu_hex)
    i = 1 + pdu[0]  # the SMSC address
    first = pdu[i]
    i += 2  # first octet, message reference
    digits = pdu[i]
    toa = pdu[i + 1]
    raw = pdu[i + 2:i + 2 + (digits + 1) // 2]
    number = "".join(f"{b & 0x0F:x}{b >> 4:x}" for b in raw)[:digits]
    if toa & 0x70 == 0x10:
        number = "+" + number
    i += 2 + (digits + 1) // 2
    i += 1  # PID
    dcs = pdu[i]
    i += 1
    vpf = (first >> 3) & 0x03
    i += {0: 0, 2: 1}.get(vpf, 7)
    udl = pdu[i]
    ud = pdu[i + 1:]
    part, parts, ref, header = 1, 1, None, 0
    if first & 0x40:  # a user data header: concatenation
        header = ud[0] + 1
        h = ud[1:header]
        j = 0
        while j < len(h):
            iei, length = h[j], h[j + 1]
            if iei == 0x00:
                ref, parts, part = h[j + 2], h[j + 3], h[j + 4]
            elif iei == 0x08:
                ref, parts, part = int.from_bytes(h[j + 2:j + 4], "big"), h[j + 4], h[j + 5]
            j += 2 + length
    if dcs & 0x0C == 0x08:  # UCS-2
        text = ud[header:udl].decode("utf-16-be")
    else:
        skip = (7 - (header * 8) % 7) % 7 if header else 0
        start = (header * 8 + skip) // 7
        text = _gsm7_text(_septets(ud, udl)[start:] if not header else
                          _septets(ud[header:], udl - start, skip))
    return {"number": number, "text": text, "part": part, "parts": parts, "ref": ref}


class FakeModem:
    """A modem on a pty: `path` is what gammu's `device =` names."""

    def __init__(self):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.commands: list[str] = []
        self.sent: list[tuple[str, str]] = []
        self.fail_send: str | None = None  # e.g. "+CMS ERROR: 500"
        self.sim = "READY"
        self.signal = 20
        self._parts: dict = {}
        self._pdu_length: int | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fake-modem", daemon=True)

    def start(self) -> FakeModem:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass

    def texts(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self.sent)

    # ---- the line discipline ----
    def _write(self, text: str) -> None:
        os.write(self.master, text.encode("latin-1"))

    def _run(self) -> None:
        buffer = b""
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if not ready:
                continue
            try:
                buffer += os.read(self.master, 4096)
            except OSError:
                return
            while True:
                if self._pdu_length is not None:
                    end = buffer.find(b"\x1a")
                    escape = buffer.find(b"\x1b")
                    if escape >= 0 and (end < 0 or escape < end):
                        buffer = buffer[escape + 1:]  # gammu gave up on this send
                        self._pdu_length = None
                        self._write("\r\nOK\r\n")
                        continue
                    if end < 0:
                        break
                    pdu, buffer = buffer[:end].strip(), buffer[end + 1:]
                    self._pdu_length = None
                    self._on_pdu(pdu.decode("ascii", "replace"))
                    continue
                cut = [n for n in (buffer.find(b"\r"), buffer.find(b"\x1b")) if n >= 0]
                if not cut:
                    break
                n = min(cut)
                line, buffer = buffer[:n].strip(b"\n "), buffer[n + 1:]
                if line:
                    self._on_command(line.decode("latin-1"))

    def _on_pdu(self, pdu: str) -> None:
        self._write(pdu + "\x1a")  # the echo
        if self.fail_send:
            self._write(f"\r\n{self.fail_send}\r\n")
            return
        try:
            message = decode_submit(pdu)
        except (ValueError, IndexError, UnicodeDecodeError):
            self._write("\r\n+CMS ERROR: 304\r\n")
            return
        with self._lock:
            if message["parts"] == 1:
                self.sent.append((message["number"], message["text"]))
            else:
                key = (message["number"], message["ref"])
                got = self._parts.setdefault(key, {})
                got[message["part"]] = message["text"]
                if len(got) == message["parts"]:
                    del self._parts[key]
                    self.sent.append((message["number"], "".join(got[k] for k in sorted(got))))
        self._write(f"\r\n+CMGS: {len(self.sent) % 256}\r\n\r\nOK\r\n")

    def _on_command(self, line: str) -> None:
        with self._lock:
            self.commands.append(line)
        self._write(line + "\r")  # gammu turns echo on (ATE1) and expects it
        upper = line.upper()
        answers = {
            "AT+CGMI": "Qode Test Modems",
            "AT+CGMM": "FakeModem 1",
            "AT+CGMR": "1.0",
            "AT+CGSN": "490154203237518",
            "AT+CIMI": "262011234567890",
            "AT+CSCS?": '+CSCS: "GSM"',
            "AT+CSCS=?": '+CSCS: ("IRA","GSM","UCS2")',
            "AT+CSCA?": '+CSCA: "+491710760000",145',
            "AT+CMGF=?": "+CMGF: (0,1)",
            "AT+CREG?": "+CREG: 0,1",
            "AT+CREG=?": "+CREG: (0-2)",
            "AT+COPS?": '+COPS: 0,2,"26201"',
            "AT+CGREG?": "+CGREG: 0,1",
        }
        if upper.startswith("AT+CMGS="):
            if self.fail_send and "NOW" in self.fail_send:  # refuse before the PDU
                self._write(f"\r\n{self.fail_send}\r\n")
                return
            self._pdu_length = int(upper.split("=", 1)[1] or 0)
            self._write("\r\n> ")
            return
        if upper == "AT+CPIN?":
            if self.sim == "absent":
                self._write("\r\n+CME ERROR: 10\r\n")
            else:
                self._write(f"\r\n+CPIN: {self.sim}\r\n\r\nOK\r\n")
            return
        if upper == "AT+CSQ":
            self._write(f"\r\n+CSQ: {self.signal},99\r\n\r\nOK\r\n")
            return
        if upper in answers:
            self._write(f"\r\n{answers[upper]}\r\n\r\nOK\r\n")
            return
        if upper in ("AT", "ATE1", "ATE0", "AT+CMEE=1", "AT+CMEE=2", "AT+CFUN=1", "AT+CMGF=0",
                     "AT+CMGF=1") or upper.startswith("AT+CSCS="):
            self._write("\r\nOK\r\n")
            return
        self._write("\r\nERROR\r\n")  # what a modem says to what it does not know (AT+MODE=2, ...)
