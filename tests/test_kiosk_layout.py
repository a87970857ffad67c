"""The printed ticket on python-escpos's Dummy printer: the number, the exact QR, nothing injected."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from escpos.printer import Dummy

from qode_kiosk import layout, preview
from qode_kiosk.layout import WIDTHS, WORDS, Ticket, clean, render, wifi_qr

URL = "http://192.168.1.20:8000/t/5b0c1f9e-3d7a-4c55-9f1e-2a6b8c0d4e11"


def qr_payloads(output: bytes) -> list[bytes]:
    """The data of every native QR store command: GS ( k pL pH 49 80 48 data."""
    found = []
    for match in re.finditer(rb"\x1d\(k(.)(.)1P0", output, re.S):
        size = match.group(1)[0] + match.group(2)[0] * 256 - 3
        found.append(output[match.end():match.end() + size])
    return found


def printed(ticket: Ticket, paper_mm: int = 80) -> bytes:
    printer = Dummy()
    render(printer, ticket, paper_mm)
    return printer.output


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_the_ticket_holds_the_number_and_a_qr_of_the_exact_status_url(paper_mm):
    out = printed(Ticket("Town hall", "B017", URL, people_ahead=3, eta_seconds=700), paper_mm)
    assert b"B017" in out and b"Town hall" in out
    assert b"3 ahead of you" in out and b"About 12 min" in out
    assert qr_payloads(out) == [URL.encode()]
    assert out.count(b"\x1dV") == 1  # one cut, at the end
    assert out.rstrip().endswith(out[out.rindex(b"\x1dV"):].rstrip())


def test_a_queue_name_full_of_printer_commands_prints_without_them():
    evil = "Clinic\x1bp\x00\x19\xfa\x1dV\x00\x1b@\x10\x04\x01 \u200bdesk\x7f"
    out = printed(Ticket(evil, "A001\x1b!\x30", URL, people_ahead=0, eta_seconds=30))
    assert b"Clinicp" in out and b"desk" in out  # the letters stay, the control bytes go
    assert b"\x1bp\x00" not in out  # no cash-drawer kick
    assert out.count(b"\x1b@") == 1 and out.startswith(b"\x1b@")  # only the ticket's own reset, first
    assert b"\x10\x04" not in out  # no status request
    assert out.count(b"\x1dV") == 1  # no extra cut
    assert b"You're next" in out


def test_wifi_qr_escapes_and_prints_as_a_second_code():
    code = wifi_qr('Caf\u00e9; "Free", wifi:\\', "p;a,s:s")
    assert code == 'WIFI:T:WPA;S:Caf\u00e9\\; \\"Free\\"\\, wifi\\:\\\\;P:p\\;a\\,s\\:s;;'
    assert wifi_qr("Open", security="nopass") == "WIFI:T:nopass;S:Open;;"
    out = printed(Ticket("Desk", "A002", URL, 1, 300, printed_at="26.11.2026 14:05", wifi=code))
    assert qr_payloads(out) == [URL.encode(), code.encode()]
    assert b"26.11.2026 14:05" in out


def test_clean_keeps_text_and_drops_controls():
    assert clean("  Front\tdesk \n") == "Front desk"
    assert clean("a\x00b\x1bc\u200dd\u2028e", 10) == "abcd e"  # a line separator is a space
    assert clean("x" * 100, 12) == "x" * 12


DOTS = {58: 384, 80: 576}  # the print width in dots; font A is 12 dots a character


@pytest.mark.parametrize("paper_mm", [58, 80])
@pytest.mark.parametrize("number", ["001", "A001", "AB001", "ABC001", "ABCD001", "ABCD999"])
def test_the_big_number_is_as_large_as_fits_one_line_of_the_paper(paper_mm, number):
    out = printed(Ticket("Desk", number, URL, 2, 300), paper_mm)
    size = re.search(rb"\x1d!(.)\x1bE\x01\x1ba\x01" + number.encode(), out, re.S)
    assert size, out[:200]
    width, height = (size.group(1)[0] >> 4) + 1, (size.group(1)[0] & 0x0F) + 1
    assert len(number) * 12 * width <= DOTS[paper_mm]  # one line: it never wraps
    assert width == 6 or len(number) * 12 * (width + 1) > DOTS[paper_mm]  # and no smaller than needed
    assert height == width


def test_every_ticket_starts_by_resetting_the_printer():
    out = printed(Ticket("Desk", "A001", URL, 2, 300))
    assert out.startswith(b"\x1b@") and out.count(b"\x1b@") == 1


@pytest.mark.parametrize(("eta", "lines", "not_there"), [
    (30, [b"You're next"], [b"Nobody ahead of you"]),
    (300, [b"Nobody ahead of you", b"About 5 min"], [b"You're next"]),
    (None, [b"Nobody ahead of you"], [b"You're next", b"About"]),
])
def test_no_line_says_what_another_says(eta, lines, not_there):
    out = printed(Ticket("Desk", "A001", URL, 0, eta))
    for line in lines:
        assert out.count(line) == 1
    for line in not_there:
        assert line not in out


# --- the printed words in every language of the pages (issue 14: translations) ---------------

STRINGS_JS = Path(__file__).resolve().parents[1] / "frontend" / "src" / "lib" / "strings.js"


def page_languages() -> set[str]:
    """The languages of the pages: the blocks of strings.js's `base` dictionary."""
    text = STRINGS_JS.read_text(encoding="utf-8")
    base = text[text.index("const base = {"):text.index("\n}\n", text.index("const base = {"))]
    return set(re.findall(r"^  ([a-z]{2,3}): \{$", base, re.M))


class Recorder(Dummy):
    """A Dummy printer that also keeps every text() call: the words as layout sent them."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []

    def text(self, txt):
        self.texts.append(txt)
        super().text(txt)


@pytest.fixture
def said(monkeypatch):
    """said(ticket): every line the ticket says, whether sent as text or drawn as a picture."""
    def say(ticket: Ticket, paper_mm: int = 58) -> list[str]:
        printer = Recorder()
        real = layout.text_raster

        def drawn(text, *args, **kwargs):
            picture = real(text, *args, **kwargs)
            if picture is not None:
                printer.texts.append(text)
            return picture

        monkeypatch.setattr(layout, "text_raster", drawn)
        render(printer, ticket, paper_mm)
        return [line.strip() for line in printer.texts if line.strip()]
    return say


def test_every_language_of_the_pages_has_the_printed_words():
    languages = page_languages()
    assert {"en", "de", "fr", "es", "tr", "pl", "uk", "ar"} <= languages  # the parse found them
    assert set(WORDS) == languages
    for lang, words in WORDS.items():
        assert set(words) == set(WORDS["en"]), lang
        for key, text in words.items():
            params = set(re.findall(r"\{\w+\}", WORDS["en"][key]))
            assert set(re.findall(r"\{\w+\}", text)) == params, (lang, key)
            if lang != "en":
                assert text != WORDS["en"][key], (lang, key)
            line = text.format(count=999, minutes=999)
            assert len(clean(line, 100)) <= WIDTHS[58], (lang, key, line)  # one line on 58 mm paper


@pytest.mark.parametrize("lang", sorted(set(WORDS) - {"en"}))
def test_each_language_prints_its_own_words_whole(lang, said):
    words = WORDS[lang]
    one = said(Ticket("Desk", "A001", URL, 1, 300, language=lang))
    assert words["ahead_one"] in one and words["about"].format(minutes=5) in one
    assert words["scan"] in one
    many = said(Ticket("Desk", "A001", URL, 5, 300, language=lang))
    assert words["ahead_other"].format(count=5) in many
    nobody = said(Ticket("Desk", "A001", URL, 0, 300, language=lang))
    assert words["nobody"] in nobody and words["ahead_one"] not in nobody
    assert said(Ticket("Desk", "A001", URL, 0, 30, language=lang)).count(words["next"]) == 1
    english = set(WORDS["en"].values()) | {WORDS["en"]["about"].format(minutes=5)}
    assert not english & set(one + many + nobody)
    if lang != "ar":  # every letter has a code page the printer knows: no "?" instead of a letter
        out = printed(Ticket("Desk", "A001", URL, 22, 300, language=lang, wifi=wifi_qr("Gäste")), 58)
        assert b"?" not in out


def test_polish_ukrainian_and_arabic_say_more_than_one_without_a_wrong_plural(said):
    # Their plural forms differ for 2, 5 and 22; the printed line names the count after a colon.
    for lang, expected in {"pl": "Osób przed Tobą: {n}", "uk": "Людей перед Вами: {n}",
                           "ar": "عدد الأشخاص أمامك: {n}"}.items():
        for n in (2, 5, 12, 22):
            assert expected.format(n=n) in said(Ticket("Desk", "A001", URL, n, 300, language=lang))


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_right_to_left_lines_print_as_pictures_joined_and_right_to_left(paper_mm):
    # A code page draws Arabic letters one by one, unjoined and left to right: backwards.
    ticket = Ticket("مكتب الاستقبال", "A007", URL, 3, 300, language="ar", venue_name="بلدية الوسط",
                    footer="اسأل عند المكتب")
    printer = Recorder()
    render(printer, ticket, paper_mm)
    sent = "".join(printer.texts)
    assert "A007" in sent and not layout.right_to_left(sent)  # no Arabic letter as code-page text
    assert printer.output.count(b"\x1dv0\x00") == 6  # venue, queue, ahead, about, scan, footer
    assert qr_payloads(printer.output) == [URL.encode()]
    strip = layout.text_raster("عدد الأشخاص أمامك: 3", paper_mm)
    assert strip.mode == "1" and strip.width == layout.PAPER_DOTS[paper_mm] and 20 < strip.height < 60
    # Right to left: the line's first word is drawn at its right end (compared column by column).
    def columns(picture):
        black = [[picture.getpixel((x, y)) == 0 for y in range(picture.height)] for x in range(picture.width)]
        inked = [x for x, column in enumerate(black) if any(column)]
        return [sum(column) for column in black[inked[0]:inked[-1] + 1]]

    line, word = columns(strip), columns(layout.text_raster("عدد", paper_mm))
    assert len(line) > len(word)

    def differs(part):
        return sum(abs(a - b) for a, b in zip(part, word, strict=True))

    assert differs(line[-len(word):]) < differs(line[:len(word)])
    picture = preview.render_image(printer.output, paper_mm)
    assert min(picture.crop((0, 0, picture.width, 40)).get_flattened_data()) < 128  # the venue drawn


def test_without_a_font_that_joins_arabic_the_ticket_speaks_english(monkeypatch):
    monkeypatch.setattr(layout, "_shaping_font", lambda size: None)
    assert layout.words_for("ar") is WORDS["en"]
    assert layout.words_for("uk") is WORDS["uk"]  # Cyrillic has code pages: unaffected
    printer = Recorder()
    render(printer, Ticket("Desk", "A007", URL, 3, 300, language="ar"), 58)
    assert "3 ahead of you" in "".join(printer.texts)
