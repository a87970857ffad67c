"""The venue's look (issue 14): its name, accent colour, footer line, default language and logo.

One row in the `venue` table; the logo is one file in `<data-dir>/venue/`, named by its
version (a hash of its bytes), so `/venue/logo/<version>` can be cached for good. An upload
is checked in full before anything is written, and the file is written (atomically) before
the row points at it: a refused or failed upload changes nothing.

Colours keep WCAG AA contrast by construction: the text on the accent is white or black,
whichever passes 4.5:1 (one of them always does), and where the accent is used as text on
the page's background it is darkened until it passes 4.5:1 (`accent_ink`).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

from .clock import iso
from .db import Database
from .errors import Invalid, QodeError, UnsupportedMediaType

LANGUAGES = ("en", "de", "fr", "es", "tr", "pl", "uk", "ar")  # the frontend's languages (strings*.js)
DEFAULT_ACCENT = "#1e40af"  # the pages' blue before a venue picks its own (Tailwind blue-800)
PAGE_BACKGROUND = "#fafaf9"  # the phone pages' background (Tailwind stone-50)
WHITE, BLACK = "#ffffff", "#000000"
AA = 4.5
ACCENT = re.compile(r"^#[0-9a-fA-F]{6}$")
LOGO_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP", "image/svg+xml": "SVG"}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/svg+xml": "svg"}
SVG_NS = "http://www.w3.org/2000/svg"
# Elements that run code, embed other documents or change a link into script when animated.
_SVG_FORBIDDEN = {"script", "foreignobject", "iframe", "embed", "object", "handler", "listener"}
_SVG_ANIMATIONS = {"set", "animate", "animatemotion", "animatetransform"}
_SAFE_DATA = re.compile(r"^data:image/(png|jpeg|gif|webp)[;,]", re.I)


class TooLarge(QodeError):
    status = 413
    code = "logo_too_large"


# ---- colour and contrast ---------------------------------------------------------------------

def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of `#rrggbb`."""
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two `#rrggbb` colours (1 to 21)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_on(accent: str) -> str:
    """The text colour on an accent background: white when it passes 4.5:1, else black
    (for any colour one of the two reaches at least 4.58:1)."""
    return WHITE if contrast(accent, WHITE) >= AA else BLACK


def ink(accent: str, background: str = PAGE_BACKGROUND) -> str:
    """`accent` as a text colour on `background`: itself when it passes 4.5:1, else darkened
    (towards black, hue kept) just until it does."""
    r, g, b = (int(accent[i:i + 2], 16) for i in (1, 3, 5))
    for step in range(0, 101):
        keep = 1 - step / 100
        colour = "#{:02x}{:02x}{:02x}".format(*(int(c * keep + 0.5) for c in (r, g, b)))
        if contrast(colour, background) >= AA:
            return colour
    return BLACK


# ---- the stored row --------------------------------------------------------------------------

def _row(db: Database) -> dict:
    with db.read() as conn:
        row = conn.execute("SELECT * FROM venue WHERE id = 1").fetchone()
    return dict(row) if row is not None else {}


def public(db: Database, data_dir: Path | None = None) -> dict:
    """What every page and the kiosk show: GET /api/venue. With `data_dir`, a logo whose file is
    gone (a database restored from a backup without it) is left out instead of showing broken."""
    row = _row(db)
    accent = row.get("accent") or DEFAULT_ACCENT
    version = row.get("logo_version")
    if version and data_dir is not None and (row.get("logo_type") not in EXTENSIONS
                                             or not _file(data_dir, version, row["logo_type"]).is_file()):
        version = None
    return {
        "name": row.get("name") or None,
        "accent": accent,
        "accent_text": text_on(accent),
        "accent_ink": ink(accent),
        "footer": row.get("footer") or None,
        "language": row.get("language") or None,
        "logo_url": f"/venue/logo/{version}" if version else None,
        "logo_type": row.get("logo_type") if version else None,
    }


def update(db: Database, changes: dict) -> dict:
    """Apply PATCH /api/venue's fields (already validated; None clears one) in one write."""
    columns = {"name": "name", "accent": "accent", "footer": "footer", "language": "language"}
    sets, values = [], []
    for field, value in changes.items():
        if field == "accent" and value is not None:
            value = value.lower()
        if isinstance(value, str) and value == "":
            value = None
        sets.append(f"{columns[field]} = ?")
        values.append(value)
    with db.write() as conn:
        conn.execute(f"UPDATE venue SET {', '.join(sets)}, updated_at = ? WHERE id = 1",
                     (*values, iso(db.clock.now())))
    return public(db)


def set_default_name(db: Database, name: str) -> None:
    """Name the venue `name` unless it has one (the `make run` demo)."""
    with db.write() as conn:
        conn.execute("UPDATE venue SET name = ? WHERE id = 1 AND (name IS NULL OR name = '')", (name,))


# ---- the logo ---------------------------------------------------------------------------------

def logo_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "venue"


def check_logo(data: bytes, media_type: str, max_bytes: int | None, max_side: int | None) -> None:
    """Refuse anything but a well-formed image of the declared type within the limits."""
    if max_bytes is not None and len(data) > max_bytes:
        raise TooLarge(f"The logo is {len(data) // 1024} KB; the box takes logos up to {max_bytes // 1024} KB "
                       "(QODE_MAX_LOGO_BYTES). Save it smaller and try again.")
    if media_type not in LOGO_TYPES:
        raise UnsupportedMediaType("Send the logo as PNG, JPEG, WebP or SVG (Content-Type image/png, "
                                   "image/jpeg, image/webp or image/svg+xml).", "unsupported_logo_type")
    if not data:
        raise Invalid("The logo file is empty.", "invalid_image")
    if media_type == "image/svg+xml":
        check_svg(data)
    else:
        _check_raster(data, LOGO_TYPES[media_type], max_side)


# What Pillow may open each declared type as: phone cameras save JPEGs as MPO (a JPEG with a
# second, depth or preview, picture after the first), which browsers show as the JPEG it starts with.
_OPEN_AS = {"JPEG": ("JPEG", "MPO")}


def _check_raster(data: bytes, expected: str, max_side: int | None) -> None:
    """Decode the picture in full, as its declared type only: Pillow's other decoders (DDS, TGA…)
    never see an upload, and whatever a damaged file makes a decoder raise is a 422, not a 500.
    MemoryError is left alone: the size checks keep a logo far below it, and the worker's own
    state is what to trust after one."""
    from PIL import Image

    formats = _OPEN_AS.get(expected, (expected,))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(formats)) as image:
                width, height = image.size
                if max_side is None or max(width, height) <= max_side:
                    image.load()  # decodes every pixel: a truncated or corrupt file fails here
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Invalid("That picture is too large to check (it unpacks into too many pixels).",
                      "logo_too_big_pixels") from None
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - any decoder fault on a client's bytes is the client's file
        found = _sniff(data)
        if found is not None and found not in formats:
            raise Invalid(f"The file is a {found} picture, but it was sent as {expected}.",
                          "logo_type_mismatch") from None
        raise Invalid("That file is not a picture the box can read, or it is damaged or cut short "
                      "(send a PNG, JPEG, WebP or SVG).", "invalid_image") from None
    if max_side is not None and max(width, height) > max_side:
        raise Invalid(f"The picture is {width}×{height} pixels; the box takes logos up to {max_side} pixels "
                      "a side (QODE_MAX_LOGO_SIDE).", "logo_too_big_pixels")
    if width < 1 or height < 1:
        raise Invalid("The picture has no pixels.", "invalid_image")


def _sniff(data: bytes) -> str | None:
    """The logo type a file's first bytes say it is (to name a mismatch), without decoding it."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _local(name: str) -> str:
    """An element's or attribute's name without its namespace (`{ns}href`) or prefix (`xlink:href`)."""
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


# CSS functions that load something: url() only to a #fragment of the picture itself; the
# others (image-set(), src()…) not at all. CSS escapes (`u\72l(`) would hide either.
_CSS_LOADS = re.compile(
    r"(url|src|image-set|-webkit-image-set|-moz-image-rect|cross-fade|element)\s*\(\s*([^)]*)", re.I)


def _outside_load(value: str) -> bool:
    if "\\" in value:
        return True
    for function, argument in _CSS_LOADS.findall(value):
        target = argument.strip().strip("'\"").strip()
        if function.lower() != "url" or not target.startswith("#"):
            return True
    return False


def check_svg(data: bytes) -> None:
    """Refuse an SVG that could run script or load anything: no DTD or entities, only SVG-namespace
    elements and no <style>, script, foreignObject or event handler, links only to `#fragments` or
    embedded pictures, and url() only to `#fragments`."""
    def refuse(why: str):
        raise Invalid(f"The SVG logo was refused: {why}. Export it as plain SVG (or PNG) and try again.",
                      "unsafe_svg")

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        refuse("it is not UTF-8 text")
    lowered = text.lower()
    if "<!doctype" in lowered or "<!entity" in lowered:
        refuse("it has a DOCTYPE or entity declarations")
    if "<?xml-stylesheet" in lowered:
        refuse("it refers to an outside style sheet")
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        raise Invalid("That file is not a picture the box can read: the SVG is not well-formed XML.",
                      "invalid_image") from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise Invalid("That file is not an SVG picture (its root is not <svg> in the SVG namespace).",
                      "invalid_image")
    for element in root.iter():
        if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{SVG_NS}}}"):
            refuse("it contains an element from outside SVG (e.g. HTML)")
        name = _local(element.tag)
        if name in _SVG_FORBIDDEN:
            refuse(f"it contains <{name}>" if name != "foreignobject" else "it contains <foreignObject>")
        if name == "style":
            refuse("it contains a <style> sheet (use presentation attributes instead)")
        for attribute, value in element.attrib.items():
            local = _local(attribute)
            if local.startswith("on"):
                refuse(f"it has an event handler ({local})")
            if local == "href":
                target = value.strip()
                if not (target.startswith("#") or _SAFE_DATA.match(target)):
                    refuse("it links to something outside the picture (only #fragments and embedded "
                           "PNG/JPEG/GIF/WebP data are allowed)")
            if "javascript:" in re.sub(r"\s", "", value).lower():
                refuse("it contains a javascript: address")
            if _outside_load(value):
                refuse(f"its {local} loads something from outside the picture (url() only to #fragments)")
        if name in _SVG_ANIMATIONS:
            target = _local(element.attrib.get("attributeName", ""))
            if target == "href" or target.startswith("on"):
                refuse(f"it animates {target}")


def _write_atomically(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    try:  # the rename itself survives a power cut only once the folder is synced
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def _file(data_dir: Path, version: str, media_type: str) -> Path:
    return logo_dir(data_dir) / f"logo-{version}.{EXTENSIONS[media_type]}"


def store_logo(db: Database, data_dir: Path, data: bytes, media_type: str, max_bytes: int | None,
               max_side: int | None) -> dict:
    """Check and keep a new logo; the old file goes once the row points at the new one."""
    check_logo(data, media_type, max_bytes, max_side)
    version = hashlib.sha256(data).hexdigest()[:16]
    before = _row(db)
    folder = logo_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = _file(data_dir, version, media_type)
    existed = path.exists()
    _write_atomically(path, data)
    try:
        with db.write() as conn:
            conn.execute("UPDATE venue SET logo_version = ?, logo_type = ?, updated_at = ? WHERE id = 1",
                         (version, media_type, iso(db.clock.now())))
    except BaseException:
        if not existed:
            path.unlink(missing_ok=True)
        raise
    _drop_old(data_dir, before, keep=path)
    return public(db)


def remove_logo(db: Database, data_dir: Path) -> dict:
    before = _row(db)
    with db.write() as conn:
        conn.execute("UPDATE venue SET logo_version = NULL, logo_type = NULL, updated_at = ? WHERE id = 1",
                     (iso(db.clock.now()),))
    _drop_old(data_dir, before, keep=None)
    return public(db)


def _drop_old(data_dir: Path, before: dict, keep: Path | None) -> None:
    if before.get("logo_version") and before.get("logo_type") in EXTENSIONS:
        old = _file(data_dir, before["logo_version"], before["logo_type"])
        if old != keep:
            try:
                old.unlink(missing_ok=True)
            except OSError:
                pass  # a stale file costs disk only; the row no longer points at it


def logo(db: Database, data_dir: Path, version: str) -> tuple[bytes, str] | None:
    """The current logo's bytes and type when `version` is the current one, else None."""
    row = _row(db)
    if not row.get("logo_version") or row["logo_version"] != version or row.get("logo_type") not in EXTENSIONS:
        return None
    try:
        return _file(data_dir, version, row["logo_type"]).read_bytes(), row["logo_type"]
    except OSError:
        return None
