"""The preview printer's picture is as crisp as the paper: dots 1:1, black or white, the big
number on one line, and QR codes a real decoder reads (issue 14), at 58 and 80 mm with 0- to
4-character prefixes."""

from __future__ import annotations

import pytest
from PIL import Image

from qode_kiosk import layout, preview
from qode_kiosk.layout import Ticket
from qode_kiosk.printers import Printer

URL = "http://192.168.1.20:8000/t/5b0c1f9e-3d7a-4c55-9f1e-2a6b8c0d4e11"
NUMBERS = ["007", "A007", "AB007", "ABC007", "ABCD007", "ABCD1234"]  # prefixes of 0 to 4; a long day


def decode_qr(picture: Image.Image) -> list[str]:
    try:
        from pyzbar.pyzbar import ZBarSymbol, decode
    except ImportError:
        pytest.skip("no QR decoder: needs pip pyzbar (the test extra) with Debian's libzbar0")
    return sorted(s.data.decode() for s in decode(picture, symbols=[ZBarSymbol.QRCODE]))


def bands(picture: Image.Image) -> list[tuple[int, int, int, int]]:
    """The picture's lines of ink, top to bottom: (left, top, right, bottom) of each run of rows
    holding any black, separated by white rows."""
    width, height = picture.size
    pixels = picture.load()
    inked = [any(pixels[x, y] == 0 for x in range(width)) for y in range(height)]
    found, top = [], None
    for y, ink in enumerate([*inked, False]):
        if ink and top is None:
            top = y
        elif not ink and top is not None:
            box = picture.crop((0, top, width, y)).point(lambda v: 255 - v).getbbox()
            found.append((box[0], top, box[2], y))
            top = None
    return found


@pytest.mark.parametrize("paper_mm", [58, 80])
@pytest.mark.parametrize("number", NUMBERS)
def test_the_preview_is_black_and_white_with_the_number_on_one_line(tmp_path, paper_mm, number):
    path = Printer("preview", paper_mm, tmp_path).print_ticket(Ticket("Town hall", number, URL, 3, 700))
    with Image.open(path) as picture:
        picture.load()
    assert picture.width == preview.PAPER_DOTS[paper_mm]  # one pixel per dot of the paper
    colours = {value for _, value in picture.convert("L").getcolors(256)}
    assert colours == {0, 255}, f"grey pixels: {sorted(colours)}"  # no smoothing, no blur
    assert decode_qr(picture) == [URL]

    scale = layout.number_scale(number, paper_mm)
    lines = bands(picture.convert("L"))
    # A line of the number: glyphs 24 dots tall at 1x (digits take about 15 of them), times the
    # scale. Exactly one such line: a number wrapped over two would make two; the QR code is taller.
    (big,) = [line for line in lines if 12 * scale <= line[3] - line[1] <= 24 * scale]
    left, top, right, bottom = big
    assert 0 < left and right < picture.width  # inside the paper, nothing cut off at its edge
    assert right - left > (len(number) - 1) * 12 * scale  # every character of it is there


def test_a_big_character_is_the_small_one_repeated_dot_for_dot():
    """GS ! enlarges a character by repeating its dots: the 4x picture is the 1x one scaled by
    whole numbers, pixel for pixel."""
    small = preview.render_image(b"\x1b@8\n", 80)
    big = preview.render_image(b"\x1b@\x1d!\x338\n", 80)

    def ink(picture):
        return picture.crop(picture.point(lambda v: 255 - v).getbbox())

    one, four = ink(small), ink(big)
    assert four.size == (one.width * 4, one.height * 4)
    assert four.tobytes() == one.resize(four.size, Image.NEAREST).tobytes()
