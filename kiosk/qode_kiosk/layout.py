"""The printed ticket: what goes on the paper, for any python-escpos printer.

Every text that reaches the printer is cleaned first: control bytes (ESC, GS, …) and
invisible formatting characters are dropped, so a queue name can never carry printer
commands. The QR code is the printer's own (GS ( k), holding the exact status URL.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

WIDTHS = {58: 32, 80: 48}  # paper width (mm) -> characters per line in font A
_SPACE = re.compile(r"\s+")


def clean(text: str, limit: int = 48) -> str:
    """`text` as safe printable characters: no control bytes, no invisible formatting."""
    kept = "".join(ch for ch in str(text) if unicodedata.category(ch)[0] != "C" or ch in " \t\n")
    return _SPACE.sub(" ", kept).strip()[:limit]


def _wifi_escape(value: str) -> str:
    return re.sub(r'([\\;,":])', r"\\\1", value)


def wifi_qr(ssid: str, password: str = "", security: str = "WPA") -> str:
    """The Wi-Fi join string phones understand (`WIFI:T:WPA;S:…;P:…;;`), with `\\ ; , " :` escaped."""
    security = security if security in ("WPA", "WEP", "nopass") else "WPA"
    password_part = f"P:{_wifi_escape(password)};" if security != "nopass" else ""
    return f"WIFI:T:{security};S:{_wifi_escape(ssid)};{password_part};"


@dataclass(frozen=True)
class Ticket:
    queue_name: str
    display_number: str
    status_url: str  # http://<box address>/t/<ticket id>: an IP address, not a .local name
    people_ahead: int
    eta_seconds: int | None
    printed_at: str | None = None  # only when the box's clock is trusted
    wifi: str | None = None  # a wifi_qr() string, printed as a second QR


NEXT = "You're next"


def eta_words(seconds: int | None, people_ahead: int) -> str:
    if seconds is None:
        return ""
    if people_ahead == 0 and seconds < 60:
        return NEXT
    return f"About {max(1, -(-seconds // 60))} min"


def number_scale(number: str, paper_mm: int = 80) -> int:
    """How many times font A's width (12 dots) the big number prints at: as large as fits the
    paper's dots on one line (384 at 58 mm, 576 at 80 mm), at most 6 (GS ! allows 8)."""
    return max(1, min(6, WIDTHS.get(paper_mm, 48) // max(1, len(number))))


def render(printer, ticket: Ticket, paper_mm: int = 80) -> None:
    """Lay `ticket` out on `printer` (any python-escpos printer, the Dummy included) and cut.

    It starts with ESC @: a printer left inverted, upside down or in another size by an
    earlier job prints this ticket as laid out here."""
    width = WIDTHS.get(paper_mm, 48)
    qr_size = 8 if paper_mm >= 80 else 6
    printer.hw("INIT")
    printer.set(align="center", bold=True, double_height=True, double_width=True)
    printer.text(clean(ticket.queue_name, width // 2) + "\n")
    number = clean(ticket.display_number, 8)
    scale = number_scale(number, paper_mm)
    printer.set(align="center", bold=True, custom_size=True, width=scale, height=scale)
    printer.text(number + "\n")
    printer.set(align="center", normal_textsize=True, bold=False)
    words = eta_words(ticket.eta_seconds, ticket.people_ahead)
    if ticket.people_ahead == 0:
        ahead = words if words == NEXT else "Nobody ahead of you"  # one line, not both
        words = "" if words == NEXT else words
    else:
        ahead = f"{ticket.people_ahead} ahead of you" if ticket.people_ahead > 1 else "1 ahead of you"
    printer.text(clean(ahead, width) + "\n")
    if words:
        printer.text(clean(words, width) + "\n")
    printer.qr(ticket.status_url, size=qr_size, native=True)  # centred by align="center"
    printer.text(clean("Scan to follow your turn live", width) + "\n")
    if ticket.printed_at:
        printer.text(clean(ticket.printed_at, width) + "\n")
    if ticket.wifi:
        printer.text(clean("Wi-Fi for this venue:", width) + "\n")
        printer.qr(ticket.wifi, size=max(qr_size - 2, 4), native=True)  # centred by align="center"
    printer.cut()
