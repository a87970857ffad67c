"""The `preview` printer: ESC/POS bytes drawn as the paper would come out, saved as a PNG.

It reads the very bytes the layout sends a real printer (python-escpos's Dummy output), so a
demo without hardware shows what the printer would get: text lines with their sizes and
alignment, and each native QR code (GS ( k) drawn from the payload the printer would store.
One pixel is one dot of the paper's width (384 at 58 mm, 576 at 80 mm), and every pixel is black
or white: characters are drawn without antialiasing and enlarged by whole numbers, as the
printer enlarges its own font, so the big number is as crisp in the picture as on paper.
Sequences it does not know are skipped by their length where known, else as two bytes.
"""

from __future__ import annotations

import functools
import os
import re
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import qrcode
from escpos.capabilities import get_profile
from escpos.codepages import CodePages
from PIL import Image, ImageDraw, ImageFont

PAPER_DOTS = {58: 384, 80: 576}  # printable width at 203 dpi
KEEP = 200  # pictures kept in the preview directory; the oldest go first
CELLS = {0: (12, 24), 1: (9, 17)}  # font A and font B character cells, in dots
LINE_GAP = 6  # dots between lines of text
EMPTY_LINE = 30  # a line feed with nothing on the line (1/6 inch)
MAX_HEIGHT = 20000  # dots; a runaway feed stops here
_MARGIN = 16
_QR_EC = {48: qrcode.constants.ERROR_CORRECT_L, 49: qrcode.constants.ERROR_CORRECT_M,
          50: qrcode.constants.ERROR_CORRECT_Q, 51: qrcode.constants.ERROR_CORRECT_H}

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
# Bytes of arguments after ESC x / GS x / FS x, for the commands whose length is fixed.
_ESC_ARGS = {b"@": 0, b"!": 1, b"E": 1, b"G": 1, b"a": 1, b"t": 1, b"-": 1, b"M": 1, b"2": 0, b"3": 1,
             b"J": 1, b"K": 1, b"d": 1, b"e": 1, b"p": 3, b"{": 1, b"V": 1, b"R": 1, b"r": 1, b" ": 1,
             b"$": 2, b"\\": 2, b"=": 1, b"U": 1, b"L": 0, b"S": 0, b"T": 1, b"W": 8, b"c": 2, b"i": 0,
             b"m": 0, b"B": 2, b"%": 1, b"<": 0}
_GS_ARGS = {b"!": 1, b"B": 1, b"b": 1, b"H": 1, b"h": 1, b"w": 1, b"f": 1, b"L": 2, b"W": 2, b"P": 2,
            b"a": 1, b"r": 1, b"I": 1, b"/": 1, b"$": 2, b"\\": 2, b"T": 1, b"^": 3, b":": 0}
_FS_ARGS = {b".": 0, b"&": 0, b"C": 1, b"!": 1, b"-": 1, b"W": 1, b"p": 2}
_ALIGN = {0: "left", 1: "center", 2: "right"}
_SAFE_LABEL = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass
class _Run:
    text: str
    font: int
    width: int
    height: int
    bold: bool
    underline: bool
    invert: bool


@dataclass
class _Paper:
    """The state of an ESC/POS printer as the bytes go by, and what it has put on the paper."""

    dots: int
    blocks: list[tuple[Image.Image, str]] = field(default_factory=list)  # (picture, alignment)
    runs: list[_Run] = field(default_factory=list)
    line_align: str = "left"
    used: int = 0  # dots taken on the current line
    height: int = 0
    codepage: str = "cp437"

    def __post_init__(self):
        self.reset()

    def reset(self) -> None:
        self.align, self.font, self.width, self.height_mul = "left", 0, 1, 1
        self.bold = self.underline = self.invert = False
        self.codepage = "cp437"
        self.qr_module, self.qr_ec, self.qr_data = 3, qrcode.constants.ERROR_CORRECT_L, b""

    # text ------------------------------------------------------------------------------------

    def char(self, ch: str) -> None:
        cell_w = CELLS[self.font][0] * self.width
        if self.used + cell_w > self.dots:
            self.line_feed()  # the printer wraps a line that does not fit
        if not self.runs:
            self.line_align = self.align  # ESC a counts where a line begins
        style = (self.font, self.width, self.height_mul, self.bold, self.underline, self.invert)
        last = self.runs[-1] if self.runs else None
        if last and (last.font, last.width, last.height, last.bold, last.underline, last.invert) == style:
            last.text += ch
        else:
            self.runs.append(_Run(ch, *style))
        self.used += cell_w

    def line_feed(self, empty_height: int = EMPTY_LINE) -> None:
        if not self.runs:
            self.feed(empty_height)
            return
        height = max(CELLS[r.font][1] * r.height for r in self.runs) + LINE_GAP
        line = Image.new("L", (self.used, height), 255)
        x = 0
        for run in self.runs:
            picture = _draw_run(run)
            line.paste(picture, (x, height - LINE_GAP - picture.height))
            x += picture.width
        self.place(line, self.line_align)
        self.runs, self.used = [], 0

    def flush(self) -> None:
        if self.runs:
            self.line_feed()

    # pictures ---------------------------------------------------------------------------------

    def place(self, picture: Image.Image, align: str) -> None:
        if self.height + picture.height <= MAX_HEIGHT:
            self.blocks.append((picture, align))
            self.height += picture.height

    def feed(self, dots: int) -> None:
        if dots > 0:
            self.place(Image.new("L", (1, dots), 255), "left")

    def qr(self) -> None:
        self.flush()
        if not self.qr_data:
            return
        code = qrcode.QRCode(error_correction=self.qr_ec, box_size=self.qr_module, border=0)
        code.add_data(self.qr_data)
        try:
            code.make(fit=True)
        except ValueError:  # more data than a QR code holds: the printer prints nothing either
            return
        symbol = code.get_matrix()
        quiet = 4 * self.qr_module
        side = len(symbol) * self.qr_module
        if side > self.dots:  # a printer skips a symbol wider than its paper; show that it did
            self.place(_text_picture("[QR code too large for the paper]"), self.align)
            return
        picture = Image.new("L", (min(self.dots, side + 2 * quiet), side + 2 * quiet), 255)
        draw = ImageDraw.Draw(picture)
        left = (picture.width - side) // 2
        for y, row in enumerate(symbol):
            for x, dark in enumerate(row):
                if dark:
                    x0, y0 = left + x * self.qr_module, quiet + y * self.qr_module
                    draw.rectangle((x0, y0, x0 + self.qr_module - 1, y0 + self.qr_module - 1), fill=0)
        self.place(picture, self.align)

    def raster(self, width_bytes: int, rows: int, data: bytes, scale: tuple[int, int]) -> None:
        self.flush()
        rows = min(rows, len(data) // width_bytes if width_bytes else 0, MAX_HEIGHT)  # only what came
        if not rows or width_bytes * 8 > 4 * self.dots:
            return
        picture = Image.frombytes("1", (width_bytes * 8, rows), data.ljust(width_bytes * rows, b"\0"))
        picture = Image.eval(picture.convert("L"), lambda v: 255 - v)  # a set bit is a black dot
        picture = picture.resize((picture.width * scale[0], picture.height * scale[1]), Image.NEAREST)
        self.place(picture.crop((0, 0, min(picture.width, self.dots), picture.height)), self.align)

    def cut(self) -> None:
        self.flush()
        picture = Image.new("L", (self.dots, 12), 255)
        draw = ImageDraw.Draw(picture)
        for x in range(0, self.dots, 12):
            draw.line((x, 6, x + 6, 6), fill=0)  # black dashes: the picture holds only dots and paper
        self.place(picture, "left")

    def image(self) -> Image.Image:
        self.flush()
        page = Image.new("L", (self.dots, self.height + 2 * _MARGIN), 255)
        y = _MARGIN
        for picture, align in self.blocks:
            spare = self.dots - picture.width
            x = {"left": 0, "center": spare // 2, "right": spare}[align]
            page.paste(picture, (max(0, x), y))
            y += picture.height
        return page


# A monospace font looks like a printer's; any of these will do, and Pillow's own font is the fallback.
_MONOSPACE = ("DejaVuSansMono.ttf", "LiberationMono-Regular.ttf", "NotoSansMono-Regular.ttf", "FreeMono.ttf")


@functools.cache
def _face(size: int):
    for name in _MONOSPACE:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    try:
        return ImageFont.load_default(size=size)  # Pillow >= 10.1 with FreeType: a scalable font
    except (TypeError, ImportError, OSError):
        return ImageFont.load_default()  # a small bitmap font


def _has_glyph(face, ch: str) -> bool:
    try:
        return bytes(face.getmask(ch)) != bytes(face.getmask("\uffff"))  # same as "no such glyph"
    except (UnicodeEncodeError, ValueError):
        return False


@functools.cache
def _glyph(ch: str, font: int, bold: bool) -> Image.Image:
    """One character in its printer cell, in whole dots: black or white, never grey.

    A printer's dot is on or off, and GS ! enlarges its font by repeating dots, so the glyph is
    drawn without antialiasing and squeezed (a wide W) or enlarged (the big number) only by
    nearest neighbour: the picture is as crisp at 6x as the paper."""
    cell_w, cell_h = CELLS[font]
    face = _face(cell_h - 4)
    if not _has_glyph(face, ch):  # e.g. é in a font without accents: e, rather than a box
        base = unicodedata.normalize("NFKD", ch)[:1]
        ch = base if base.isprintable() and _has_glyph(face, base) else "?"
    scalable = isinstance(face, ImageFont.FreeTypeFont)
    natural = int(face.getlength(ch)) + 2 if scalable else cell_w
    picture = Image.new("L", (max(cell_w, natural), cell_h), 255)
    draw = ImageDraw.Draw(picture)
    draw.fontmode = "1"  # no antialiasing: each pixel is a dot, on or off
    for dx in (0, 1) if bold else (0,):
        if scalable:
            draw.text((picture.width // 2 + dx, cell_h - 5), ch, font=face, fill=0, anchor="ms")
        else:  # Pillow's bitmap font takes no anchor
            draw.text((2 + dx, cell_h // 2 - 6), ch, font=face, fill=0)
    if picture.width > cell_w:  # a wide letter (W, M) is squeezed into its cell, as a printer's font is
        picture = picture.resize((cell_w, cell_h), Image.NEAREST)
    return picture.point(_dot)


def _dot(value: int) -> int:
    """A grey value as a printed dot: black (0) or paper (255)."""
    return 0 if value < 128 else 255


def _text_picture(text: str, font: int = 0, bold: bool = False) -> Image.Image:
    """`text` in fixed character cells like a printer's font, black on white, one size."""
    cell_w, cell_h = CELLS[font]
    picture = Image.new("L", (max(1, cell_w * len(text)), cell_h), 255)
    for i, ch in enumerate(text):
        if not ch.isspace():
            picture.paste(_glyph(ch, font, bold), (i * cell_w, 0))
    return picture


def _draw_run(run: _Run) -> Image.Image:
    picture = _text_picture(run.text, run.font, run.bold)
    if run.underline:
        ImageDraw.Draw(picture).line((0, picture.height - 1, picture.width, picture.height - 1), fill=0)
    if run.invert:
        picture = Image.eval(picture, lambda v: 255 - v)
    if run.width > 1 or run.height > 1:
        picture = picture.resize((picture.width * run.width, picture.height * run.height), Image.NEAREST)
    return picture


def _codec(number: int) -> str:
    name = get_profile().codePages.get(str(number), "CP437")
    codec = CodePages.data.get(name, {}).get("python_encode")
    try:
        "".encode(codec or "")
    except LookupError:
        return "cp437"
    return codec or "cp437"


def _length(data: bytes, at: int, count: int) -> int:
    return int.from_bytes(data[at:at + count].ljust(count, b"\0"), "little")


def _gs_paren(paper: _Paper, data: bytes, i: int) -> int:
    """GS ( X pL pH ...: QR settings and data for `k`; everything else skipped. Returns the next index."""
    size = _length(data, i + 3, 2)
    body = data[i + 5:i + 5 + size]
    if data[i + 2:i + 3] == b"k" and len(body) >= 3 and body[0] == 0x31:  # cn 49: QR code
        fn = body[1]
        if fn == 0x43:  # module size
            paper.qr_module = max(1, min(16, body[2]))
        elif fn == 0x45:  # error correction level
            paper.qr_ec = _QR_EC.get(body[2], paper.qr_ec)
        elif fn == 0x50:  # store the data
            paper.qr_data = body[3:]
        elif fn == 0x51:  # print the stored symbol
            paper.qr()
    return i + 5 + size


def _esc(paper: _Paper, data: bytes, i: int) -> int:
    cmd = data[i + 1:i + 2]
    arg = data[i + 2] if i + 2 < len(data) else 0
    if cmd == b"@":
        paper.flush()
        paper.reset()
    elif cmd == b"!":
        paper.font = arg & 0x01
        paper.bold = bool(arg & 0x08)
        paper.height_mul = 2 if arg & 0x10 else 1
        paper.width = 2 if arg & 0x20 else 1
        paper.underline = bool(arg & 0x80)
    elif cmd in (b"E", b"G"):
        paper.bold = bool(arg & 1)
    elif cmd == b"a":
        paper.align = _ALIGN.get(arg % 48, "left")
    elif cmd == b"t":
        paper.codepage = _codec(arg)
    elif cmd == b"-":
        paper.underline = arg in (1, 2, 49, 50)
    elif cmd == b"M":
        paper.font = 1 if arg in (1, 49) else 0
    elif cmd == b"d":
        paper.flush()
        paper.feed(arg * EMPTY_LINE)
    elif cmd == b"J":
        paper.flush()
        paper.feed(arg)
    elif cmd == b"*":  # column bit image: skipped, by its length
        columns = _length(data, i + 3, 2)
        return i + 5 + columns * (3 if arg in (32, 33) else 1)
    elif cmd == b"D":  # tab positions, up to a NUL
        end = data.find(b"\0", i + 2)
        return len(data) if end < 0 else end + 1
    return i + 2 + _ESC_ARGS.get(cmd, 0)


def _gs(paper: _Paper, data: bytes, i: int) -> int:
    cmd = data[i + 1:i + 2]
    arg = data[i + 2] if i + 2 < len(data) else 0
    if cmd == b"(":
        return _gs_paren(paper, data, i)
    if cmd == b"!":
        paper.width, paper.height_mul = (arg >> 4 & 7) + 1, (arg & 7) + 1
    elif cmd == b"B":
        paper.invert = bool(arg & 1)
    elif cmd == b"V":
        paper.cut()
        return i + 3 + (1 if arg in (65, 66, 97, 98, 103, 104) else 0)
    elif cmd == b"v" and data[i + 2:i + 3] in (b"0", b"\0"):  # raster bit image
        mode = data[i + 3] if i + 3 < len(data) else 0
        width_bytes, rows = _length(data, i + 4, 2), _length(data, i + 6, 2)
        body = data[i + 8:i + 8 + width_bytes * rows]
        paper.raster(width_bytes, rows, body, ((mode & 1) + 1, (mode >> 1 & 1) + 1))
        return i + 8 + width_bytes * rows
    elif cmd == b"k":  # barcode: not drawn, skipped by its length
        if arg <= 6:
            end = data.find(b"\0", i + 3)
            return len(data) if end < 0 else end + 1
        return i + 4 + (data[i + 3] if i + 3 < len(data) else 0)
    elif cmd == b"*":  # downloaded bit image
        return i + 4 + arg * (data[i + 3] if i + 3 < len(data) else 0) * 8
    return i + 2 + _GS_ARGS.get(cmd, 0)


def render_image(data: bytes, paper_mm: int) -> Image.Image:
    """The paper that `data` (ESC/POS bytes) would come out as, as a greyscale picture."""
    paper = _Paper(PAPER_DOTS[paper_mm])
    i, end = 0, len(data)
    while i < end:
        byte = data[i]
        if byte == ESC:
            i = _esc(paper, data, i)
        elif byte == GS:
            i = _gs(paper, data, i)
        elif byte == FS:
            i += 2 + _FS_ARGS.get(data[i + 1:i + 2], 0)
        elif byte == DLE:  # DLE EOT n, DLE ENQ n, DLE DC4 fn m t: real-time commands
            i += {b"\x04": 3, b"\x05": 3, b"\x14": 5}.get(data[i + 1:i + 2], 1)
        elif byte == 0x0A:
            paper.line_feed()
            i += 1
        elif byte == 0x0C:
            paper.flush()
            i += 1
        elif byte == 0x09:
            columns = paper.used // CELLS[paper.font][0]
            for _ in range(8 - columns % 8):
                paper.char(" ")
            i += 1
        elif byte < 0x20:  # CR and the other control bytes print nothing
            i += 1
        else:
            paper.char(bytes([byte]).decode(paper.codepage, "replace"))
            i += 1
    return paper.image()


def render_png(data: bytes, paper_mm: int, path: Path) -> Path:
    """Draw `data` (ESC/POS bytes) on paper `paper_mm` wide and save it at `path`, atomically."""
    path = Path(path)
    picture = render_image(data, paper_mm)
    partial = path.with_name(f".{path.name}.partial")
    picture.save(partial, "PNG", optimize=True)
    os.replace(partial, path)
    return path


def save_ticket(data: bytes, paper_mm: int, directory: Path, label: str) -> Path:
    """Save `data` as `ticket-<time>-<label>.png` in `directory`, keeping the newest KEEP pictures."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    now = time.time_ns()
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now // 10**9)) + f"-{now // 1000 % 10**6:06d}"
    safe = _SAFE_LABEL.sub("", label)[:16] or "ticket"
    path = directory / f"ticket-{stamp}-{safe}.png"
    for n in range(2, 100):
        if not path.exists():
            break
        path = directory / f"ticket-{stamp}-{safe}-{n}.png"
    render_png(data, paper_mm, path)
    prune(directory, KEEP)
    return path


def prune(directory: Path, keep: int = KEEP) -> None:
    """Delete all but the newest `keep` ticket pictures in `directory`."""
    pictures = []
    for path in Path(directory).glob("ticket-*.png"):
        try:
            pictures.append((path.stat().st_mtime_ns, path.name, path))
        except FileNotFoundError:
            continue
    pictures.sort()
    for _, _, path in pictures[:max(0, len(pictures) - keep)]:
        path.unlink(missing_ok=True)


def qr_payloads(data: bytes) -> list[bytes]:
    """The data of every native QR store command (GS ( k pL pH 1 P 0 data) in `data`."""
    found, i = [], 0
    while (i := data.find(b"\x1d(k", i)) >= 0:
        size = _length(data, i + 3, 2)
        body = data[i + 5:i + 5 + size]
        if body[:3] == b"1P0":
            found.append(body[3:])
        i += 5 + size if size else 3
    return found
