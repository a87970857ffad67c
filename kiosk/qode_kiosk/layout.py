"""The printed ticket: what goes on the paper, for any python-escpos printer.

Every text that reaches the printer is cleaned first: control bytes (ESC, GS, …) and
invisible formatting characters are dropped, so a queue name can never carry printer
commands. The QR code is the printer's own (GS ( k), holding the exact status URL.
"""

from __future__ import annotations

import functools
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
    # issue 14: brand. The venue's name above everything, its footer line at the end, its logo
    # (logo_raster()) at the top, and its default language for the printed words (WORDS).
    venue_name: str | None = None
    footer: str | None = None
    logo: object | None = None  # a PIL image in mode "1", as wide as the paper (logo_raster)
    language: str | None = None
    # issue 15: a priority ticket says so under its number (WORDS "priority"). The service's name
    # is `queue_name` (services are today's queues), in large type above the number.
    priority: bool = False


NEXT = "You're next"

# The ticket's words in the venue's default language (issue 14: brand), one entry for every
# language of the pages (a test checks). English is the fallback for a language not listed here.
# Each line fits 58 mm paper (32 characters) with a 3-digit count; "priority" (issue 15) prints in
# double width, so it fits 14 characters (PRIORITY_CHARS), a space either side.
WORDS = {
    "en": {"next": NEXT, "about": "About {minutes} min", "nobody": "Nobody ahead of you",
           "ahead_one": "1 ahead of you", "ahead_other": "{count} ahead of you",
           "scan": "Scan to follow your turn live", "wifi": "Wi-Fi for this venue:",
           "priority": "Priority"},
    "de": {"next": "Sie sind als Nächstes dran", "about": "Etwa {minutes} Min.",
           "nobody": "Niemand vor Ihnen",
           "ahead_one": "1 Person vor Ihnen", "ahead_other": "{count} Personen vor Ihnen",
           "scan": "Scannen und live verfolgen", "wifi": "WLAN hier:",
           "priority": "Vorrang"},
    # render() picks ahead_one for exactly 1 and ahead_other for more. Polish, Ukrainian and
    # Arabic have several plural forms after a number, so their ahead_other is count-neutral
    # ("Osób przed Tobą: 5"), right for 2, 5 and 22 alike.
    "fr": {"next": "Vous passez juste après", "about": "Environ {minutes} min",
           "nobody": "Personne avant vous",
           "ahead_one": "1 personne avant vous", "ahead_other": "{count} personnes avant vous",
           "scan": "Scannez pour suivre votre tour", "wifi": "Wi-Fi sur place\u00a0:",
           "priority": "Prioritaire"},
    "es": {"next": "Su turno es el siguiente", "about": "Unos {minutes} min",
           "nobody": "Nadie por delante",
           "ahead_one": "1 persona por delante", "ahead_other": "{count} personas por delante",
           "scan": "Escanee para seguir su turno", "wifi": "Wi-Fi del establecimiento:",
           "priority": "Prioridad"},
    "tr": {"next": "Sıradaki sizsiniz", "about": "Yaklaşık {minutes} dk",
           "nobody": "Önünüzde kimse yok",
           "ahead_one": "Önünüzde 1 kişi var", "ahead_other": "Önünüzde {count} kişi var",
           "scan": "Sıranızı takip için okutun", "wifi": "Buranın Wi-Fi ağı:",
           "priority": "Öncelikli"},
    "pl": {"next": "Za chwilę Twoja kolej", "about": "Około {minutes} min",
           "nobody": "Nikogo przed Tobą",
           "ahead_one": "1 osoba przed Tobą", "ahead_other": "Osób przed Tobą: {count}",
           "scan": "Zeskanuj i śledź swoją kolej", "wifi": "Wi-Fi w placówce:",
           "priority": "Priorytet"},
    "uk": {"next": "Ви наступні", "about": "Приблизно {minutes} хв",
           "nobody": "Перед Вами нікого немає",
           "ahead_one": "1 людина перед Вами", "ahead_other": "Людей перед Вами: {count}",
           "scan": "Скануйте, щоб стежити за чергою", "wifi": "Wi-Fi закладу:",
           "priority": "Пріоритет"},
    "ar": {"next": "أنت التالي", "about": "حوالي {minutes} دقيقة",
           "nobody": "لا أحد أمامك",
           "ahead_one": "شخص واحد أمامك", "ahead_other": "عدد الأشخاص أمامك: {count}",
           "scan": "امسح لمتابعة دورك مباشرةً", "wifi": "شبكة Wi-Fi هنا:",
           "priority": "أولوية"},
}


def words_for(language: str | None) -> dict:
    words = WORDS.get(language or "en", WORDS["en"])
    if any(right_to_left(text) for text in words.values()) and _shaping_font(24) is None:
        return WORDS["en"]  # English rather than Arabic letters unjoined and in reverse order
    return words


def right_to_left(text: str) -> bool:
    """True when `text` has Arabic or Hebrew letters. A printer's code page draws them one by one,
    unjoined, left to right: the line reads backwards. Such a line is printed as a picture."""
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


# Fonts with Arabic and Hebrew letters; DejaVu Sans comes with fonts-dejavu-core on Debian.
_SHAPING_FONTS = ("DejaVuSans.ttf", "NotoSansArabic-Regular.ttf", "NotoNaskhArabic-Regular.ttf", "FreeSans.ttf")


@functools.cache
def _shaping_font(size: int):
    """A font that joins Arabic letters and lays them right to left (Pillow with libraqm), or None."""
    from PIL import ImageFont, features

    if not features.check("raqm"):
        return None
    for name in _SHAPING_FONTS:
        try:
            return ImageFont.truetype(name, size, layout_engine=ImageFont.Layout.RAQM)
        except OSError:
            continue
    return None


def text_raster(text: str, paper_mm: int = 80, size: int = 24, bold: bool = False, inverted: bool = False):
    """`text` drawn as the paper would show it (letters joined, right to left), centred on a strip
    as wide as the paper, in mode "1"; smaller until it fits. None without a shaping font.
    `inverted`: white letters on a black band as wide as the text and a margin (a priority mark)."""
    from PIL import Image, ImageDraw

    dots = PAPER_DOTS.get(paper_mm, 576)
    while size >= 12:
        font = _shaping_font(size)
        if font is None:
            return None
        left, top, right, bottom = font.getbbox(text, direction="rtl")
        if right - left + 8 <= dots or size == 12:
            break
        size -= 2
    height = bottom - top + 6
    grey = Image.new("L", (dots, height), 255)
    draw = ImageDraw.Draw(grey)
    x = (dots - (right - left)) // 2 - left
    ink = 0
    if inverted:
        draw.rectangle((max(0, x + left - 12), 0, min(dots - 1, x + right + 12), height - 1), fill=0)
        ink = 255
    for dx in (0, 1) if bold else (0,):
        draw.text((x + dx, 3 - top), text, font=font, fill=ink, direction="rtl")
    return grey.point(lambda v: 0 if v < 128 else 255).convert("1")


def eta_words(seconds: int | None, people_ahead: int, language: str | None = None) -> str:
    words = words_for(language)
    if seconds is None:
        return ""
    if people_ahead == 0 and seconds < 60:
        return words["next"]
    return words["about"].format(minutes=max(1, -(-seconds // 60)))


def number_scale(number: str, paper_mm: int = 80) -> int:
    """How many times font A's width (12 dots) the big number prints at: as large as fits the
    paper's dots on one line (384 at 58 mm, 576 at 80 mm), at most 6 (GS ! allows 8)."""
    return max(1, min(6, WIDTHS.get(paper_mm, 48) // max(1, len(number))))


PAPER_DOTS = {58: 384, 80: 576}  # printable dots across the paper at 203 dpi
PRIORITY_CHARS = 14  # the priority word in double width on 58 mm paper (16 characters), a space either side
LOGO_MAX_HEIGHT = 120  # dots (15 mm): a logo, not a poster; paper is what the venue pays for
LOGO_MAX_PIXELS = 4096 * 4096  # what the server already capped; a kiosk does not trust it blindly


# The logo types the box accepts (MPO: a phone's JPEG); Pillow's other decoders never see the bytes.
LOGO_FORMATS = ["PNG", "JPEG", "MPO", "WEBP"]


def logo_raster(data: bytes, paper_mm: int = 80):
    """The venue's logo (PNG, JPEG or WebP bytes) as the printer draws it: scaled to at most 60%
    of the paper's dots and LOGO_MAX_HEIGHT, flattened on white, dithered to black and white
    (Floyd-Steinberg), centred on a strip as wide as the paper. None when it cannot be read
    (an SVG included: the kiosk has no SVG renderer, so an SVG logo is left off the paper)."""
    import io
    import warnings

    from PIL import Image

    dots = PAPER_DOTS.get(paper_mm, 576)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=LOGO_FORMATS) as image:
                if image.width * image.height > LOGO_MAX_PIXELS:
                    return None
                image.load()
                picture = image.convert("RGBA")
    except Exception:  # noqa: BLE001 - whatever a damaged logo makes a decoder raise (MemoryError too),
        return None     # the ticket prints without it
    flat = Image.new("RGBA", picture.size, (255, 255, 255, 255))
    flat.alpha_composite(picture)
    grey = flat.convert("L")
    grey.thumbnail((int(dots * 0.6), LOGO_MAX_HEIGHT), Image.Resampling.LANCZOS)
    dithered = grey.convert("1")  # Floyd-Steinberg by default
    strip = Image.new("1", (dots, dithered.height), 1)
    strip.paste(dithered, ((dots - dithered.width) // 2, 0))
    return strip


def print_raster(printer, picture) -> None:
    """`picture` (mode "1", width a multiple of 8) as one GS v 0 raster: a set bit is a black dot.

    Through python-escpos's public `image()`, which inverts PIL's "1" (a set bit is white) the
    same way, so the bytes on the paper are `data` below."""
    data = bytearray(b ^ 0xFF for b in picture.tobytes())  # PIL's "1" sets a bit for white
    # Many printers act on real-time commands (DLE EOT, DLE ENQ, DLE DC4) even inside picture data:
    # one dot fewer breaks each such sequence, so a logo can never ask the printer anything.
    for at in range(len(data) - 1):
        if data[at] == 0x10 and data[at + 1] in (0x04, 0x05, 0x14):
            data[at] = 0x00
    from PIL import Image

    safe = Image.frombytes("1", picture.size, bytes(b ^ 0xFF for b in data))
    printer.image(safe, impl="bitImageRaster", fragment_height=max(960, safe.height), center=False)


def render(printer, ticket: Ticket, paper_mm: int = 80) -> None:
    """Lay `ticket` out on `printer` (any python-escpos printer, the Dummy included) and cut.

    It starts with ESC @: a printer left inverted, upside down or in another size by an
    earlier job prints this ticket as laid out here."""
    width = WIDTHS.get(paper_mm, 48)
    qr_size = 8 if paper_mm >= 80 else 6
    printer.hw("INIT")
    if ticket.logo is not None:
        print_raster(printer, ticket.logo)
    def line(text: str, size: int = 24, bold: bool = False) -> None:
        """One line of text; a right-to-left one as a picture, which the printer cannot mirror."""
        picture = text_raster(text, paper_mm, size, bold) if right_to_left(text) else None
        if picture is None:
            printer.text(text + "\n")
        else:
            print_raster(printer, picture)

    if ticket.venue_name:
        printer.set(align="center", bold=True, double_height=True)
        line(clean(ticket.venue_name, width), 40, bold=True)
    printer.set(align="center", bold=True, double_height=True, double_width=True)
    line(clean(ticket.queue_name, width // 2), 48, bold=True)
    number = clean(ticket.display_number, 8)
    scale = number_scale(number, paper_mm)
    printer.set(align="center", bold=True, custom_size=True, width=scale, height=scale)
    printer.text(number + "\n")
    say = words_for(ticket.language)
    if ticket.priority:  # issue 15: white on black under the number, where the guest and the desk look
        word = clean(say["priority"], PRIORITY_CHARS)
        picture = text_raster(word, paper_mm, 40, bold=True, inverted=True) if right_to_left(word) else None
        if picture is None:
            printer.set(align="center", bold=True, double_height=True, double_width=True, invert=True)
            printer.text(f" {word} \n")
            printer.set(invert=False)
        else:
            print_raster(printer, picture)
    printer.set(align="center", normal_textsize=True, bold=False)
    words = eta_words(ticket.eta_seconds, ticket.people_ahead, ticket.language)
    if ticket.people_ahead == 0:
        ahead = words if words == say["next"] else say["nobody"]  # one line, not both
        words = "" if words == say["next"] else words
    else:
        ahead = (say["ahead_other"].format(count=ticket.people_ahead) if ticket.people_ahead > 1
                 else say["ahead_one"])
    line(clean(ahead, width))
    if words:
        line(clean(words, width))
    printer.qr(ticket.status_url, size=qr_size, native=True)  # centred by align="center"
    line(clean(say["scan"], width))
    if ticket.printed_at:
        printer.text(clean(ticket.printed_at, width) + "\n")
    if ticket.wifi:
        line(clean(say["wifi"], width))
        printer.qr(ticket.wifi, size=max(qr_size - 2, 4), native=True)  # centred by align="center"
    if ticket.footer:
        printer.set(align="center", normal_textsize=True, bold=False)
        line(clean(ticket.footer, 120))
    printer.cut()
