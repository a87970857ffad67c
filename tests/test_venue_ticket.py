"""The venue on the printed ticket (issue 14: brand): its name at the top, its footer line at the
end, its logo as a dithered raster as wide as the paper, its language; and the kiosk's cache of
GET /api/venue, which printing never waits for."""

from __future__ import annotations

import io
import struct

import pytest
from escpos.printer import Dummy
from PIL import Image, ImageDraw

from qode_bench.fakeprinter import _text
from qode_kiosk import layout, preview
from qode_kiosk.daemon import ServerError, Unreachable, Venue

URL = "http://192.168.1.20:8000/t/3f2a1c9e-0000-4000-8000-000000000001"


def logo_png(size=(300, 100)) -> bytes:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, size[0] - 10, size[1] - 10), fill=(200, 20, 20, 255))
    draw.rectangle((size[0] // 3, 0, size[0] // 2, size[1]), fill=(20, 20, 120, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def printed(ticket: layout.Ticket, paper_mm: int = 80) -> bytes:
    dummy = Dummy()
    layout.render(dummy, ticket, paper_mm)
    return dummy.output


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_logo_is_a_dithered_strip_as_wide_as_the_paper(paper_mm):
    strip = layout.logo_raster(logo_png(), paper_mm)
    assert strip.mode == "1" and strip.width == layout.PAPER_DOTS[paper_mm]
    assert 0 < strip.height <= layout.LOGO_MAX_HEIGHT
    black = strip.width * strip.height - sum(1 for v in strip.get_flattened_data() if v)
    assert 0 < black < strip.width * strip.height  # something drawn, not a black slab
    assert layout.logo_raster(b"<svg xmlns='http://www.w3.org/2000/svg'/>", paper_mm) is None
    assert layout.logo_raster(b"not a picture", paper_mm) is None


def test_a_damaged_logo_is_left_off_and_a_phone_jpeg_is_printed():
    """Pillow's DDS decoder raises NotImplementedError on an unknown pixel format: it escaped
    logo_raster (which tried every decoder) and would have stopped the ticket printing."""
    dds = (b"DDS " + struct.pack("<7I", 124, 0x1007, 4, 4, 0, 0, 0) + b"\0" * 44
           + struct.pack("<2I", 32, 0x4) + b"XYZW" + b"\0" * 20 + b"\0" * 84)
    assert layout.logo_raster(dds) is None
    ticket = layout.Ticket("Front desk", "A007", URL, 3, 600, logo=layout.logo_raster(dds))
    assert b"A007" in printed(ticket)
    out = io.BytesIO()
    Image.new("RGB", (200, 80), (200, 20, 20)).save(out, "MPO", save_all=True,
                                                    append_images=[Image.new("RGB", (200, 80))])
    strip = layout.logo_raster(out.getvalue())
    assert strip is not None and strip.width == layout.PAPER_DOTS[80]


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_the_ticket_carries_the_venue_name_footer_and_logo(paper_mm, tmp_path):
    logo = layout.logo_raster(logo_png(), paper_mm)
    ticket = layout.Ticket("Front desk", "A007", URL, 3, 600, venue_name="Bürgeramt Mitte",
                           footer="Mon-Fri 8-16 · Ask at the desk", logo=logo)
    data = printed(ticket, paper_mm)
    assert data.startswith(b"\x1b@")
    assert b"\x1dv0\x00" in data  # the logo as one raster picture
    text = _text(data)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines[0] == "Bürgeramt Mitte"  # above everything but the logo
    assert "Ask at the desk" in lines[-1]  # the last words before the cut
    assert "A007" in text and "3 ahead of you" in text
    picture = preview.render_image(data, paper_mm)
    plain = preview.render_image(printed(layout.Ticket("Front desk", "A007", URL, 3, 600), paper_mm), paper_mm)
    assert picture.height > plain.height + 40  # the logo and the two lines take room
    top = picture.crop((0, 0, picture.width, 60))
    assert min(top.get_flattened_data()) < 128  # dark dots at the top: the logo is drawn
    path = preview.render_png(data, paper_mm, tmp_path / "ticket.png")
    assert path.exists() and path.stat().st_size > 0


def test_no_logo_byte_sequence_can_ask_the_printer_anything():
    # Dots whose bytes would read DLE EOT 1 (0x10 0x04 0x01) once inverted for the printer.
    raw = bytes(b ^ 0xFF for b in (0x10, 0x04, 0x01, 0xFF))
    strip = Image.frombytes("1", (16, 2), raw)
    dummy = Dummy()
    layout.print_raster(dummy, strip)
    body = dummy.output[8:]
    assert b"\x10\x04" not in body


def test_the_printed_words_follow_the_venue_language():
    ticket = layout.Ticket("Front desk", "A007", URL, 2, 300, language="de", venue_name="Haus")
    text = _text(printed(ticket))
    assert "2 Personen vor Ihnen" in text and "Etwa 5 Min." in text and "ahead" not in text
    english = _text(printed(layout.Ticket("Front desk", "A007", URL, 2, 300, language="xx")))
    assert "2 ahead of you" in english


class FakeApi:
    def __init__(self, answers):
        self.answers, self.calls = list(answers), 0
        self._client = self

    def call(self, method, path, body=None, key=None, anonymous=False):
        self.calls += 1
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return 200, answer

    def get_bytes(self, path, max_bytes):
        return "image/png", logo_png()


def test_the_kiosk_keeps_the_last_venue_and_never_waits_for_it():
    venue = {"name": "Haus", "footer": "Ask at the desk", "language": "de", "logo_url": "/venue/logo/a",
             "logo_type": "image/png"}
    cache = Venue(FakeApi([venue, Unreachable("down"), ServerError(500, "x", "y"),
                           {**venue, "logo_url": "/venue/logo/b", "logo_type": "image/svg+xml"}]), 58)
    assert cache.for_ticket() == {"venue_name": None, "footer": None, "logo": None, "language": None}
    assert cache.refresh()
    first = cache.for_ticket()
    assert first["venue_name"] == "Haus" and first["footer"] == "Ask at the desk" and first["language"] == "de"
    assert first["logo"].width == 384
    assert not cache.refresh() and not cache.refresh()  # the server is away: what is known stays
    assert cache.for_ticket() == first
    assert cache.refresh()
    assert cache.for_ticket()["logo"] is None  # an SVG logo is left off the paper
