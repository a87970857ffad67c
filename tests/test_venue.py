"""The venue's look (issue 14: brand): contrast rules, the SVG and picture checks, and the API
against a real `qode serve` (every bad input answered in the contract's shape, nothing changed)."""

from __future__ import annotations

import io
import os
import socket
import struct

import pytest
import requests
from PIL import Image

from qode import venue
from qode.errors import Invalid, UnsupportedMediaType

from helpers import ADMIN_TOKEN, ServerProcess, admin

SVG_OK = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
          b'<defs><linearGradient id="g"><stop offset="0" stop-color="#f00"/></linearGradient></defs>'
          b'<rect width="40" height="20" fill="url(#g)"/><use href="#g"/></svg>')
SVG_SCRIPT = (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script>'
              b'<rect width="1" height="1"/></svg>')
SVG_ONLOAD = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>'
SVG_EXTERNAL = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
                b'<image xlink:href="http://example.com/x.png" width="1" height="1"/></svg>')
SVG_ENTITY = (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "boom">]>'
              b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>')
SVG_FOREIGN = (b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div xmlns="http://www.w3.org/1999/xhtml">'
               b'hi</div></foreignObject></svg>')
SVG_ANIMATE = (b'<svg xmlns="http://www.w3.org/2000/svg"><a>'
               b'<animate attributeName="href" to="javascript:alert(1)"/>'
               b'<rect width="1" height="1"/></a></svg>')

_SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" ' \
       'xmlns:h="http://www.w3.org/1999/xhtml">{}<rect width="1" height="1"/></svg>'
# Outside loads the check let through before (review of issue 14): style sheets, url() in
# attributes and styles, HTML-namespace elements, an animation of a prefixed href.
SVG_OUTSIDE_LOADS = {name: _SVG.format(body).encode() for name, body in {
    "style_import": "<style>@import url(http://x/a.css);</style>",
    "style_cdata_import": "<style><![CDATA[@import url(http://x/a.css);]]></style>",
    "style_plain": "<style>rect { fill: red }</style>",
    "style_attribute_url": '<rect width="1" height="1" style="background:url(http://x/a.png)"/>',
    "style_attribute_quoted": "<rect width=\"1\" height=\"1\" style=\"fill:url('http://x/#g')\"/>",
    "style_attribute_escaped": '<rect width="1" height="1" style="fill:u\\72l(http://x/a.png)"/>',
    "style_attribute_image_set": '<rect width="1" height="1" style="fill:image-set(\'http://x/a.png\' 1x)"/>',
    "fill_url": '<rect width="1" height="1" fill="url(http://x/p.svg#g)"/>',
    "mask_url": '<rect width="1" height="1" mask="url(http://x/m.svg#m)"/>',
    "cursor_url": '<rect width="1" height="1" cursor="url(http://x/c.png), auto"/>',
    "filter_url": '<rect width="1" height="1" filter="url(//x/f.svg#f)"/>',
    "html_img": '<h:img src="http://x/a.png"/>',
    "html_video": '<h:video poster="http://x/a.png"/>',
    "html_meta_refresh": '<h:meta http-equiv="refresh" content="0;url=http://x/"/>',
    "html_form": '<h:form action="http://x/"><h:input type="submit"/></h:form>',
    "no_namespace": '<img xmlns="" src="http://x/a.png"/>',
    "animate_xlink_href": '<a><animate attributeName="xlink:href" to="http://x/"/></a>',
    "animate_fill_to_url": '<rect width="1" height="1"><set attributeName="fill" to="url(http://x/#g)"/></rect>',
}.items()}


def damaged_dds() -> bytes:
    """A DDS header with a pixel format Pillow does not know: its DDS decoder raises
    NotImplementedError (not OSError) on it, so a check that lets every decoder try a
    logo answered 500."""
    header = b"DDS " + struct.pack("<7I", 124, 0x1007, 4, 4, 0, 0, 0) + b"\0" * 44
    pixel_format = struct.pack("<2I", 32, 0x4) + b"XYZW" + b"\0" * 20
    return header + pixel_format + b"\0" * 84


def phone_jpeg() -> bytes:
    """A JPEG as phone cameras save it: MPO, a second picture after the first."""
    out = io.BytesIO()
    first, second = Image.new("RGB", (60, 30), (200, 30, 30)), Image.new("RGB", (60, 30), (0, 0, 0))
    first.save(out, "MPO", save_all=True, append_images=[second])
    return out.getvalue()


def noise_png(side: int = 370) -> bytes:
    """A PNG of random pixels (it does not compress): side 370 makes about 400 KB."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


def picture(kind: str = "PNG", size=(60, 30), colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, kind)
    return out.getvalue()


# ---- rules (no process) ------------------------------------------------------------------------

def test_contrast_matches_wcag_reference_values():
    assert venue.contrast("#ffffff", "#000000") == pytest.approx(21.0)
    assert venue.contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert venue.contrast("#1e40af", "#ffffff") == pytest.approx(8.72, abs=0.05)


@pytest.mark.parametrize("accent", ["#ffff00", "#1e40af", "#777777", "#808080", "#ff8800", "#00ff00", "#000000",
                                    "#ffffff", "#767676", "#5c5c5c", "#e11d48"])
def test_text_on_the_accent_and_the_accent_as_text_always_pass_aa(accent):
    assert venue.contrast(accent, venue.text_on(accent)) >= 4.5
    ink = venue.ink(accent)
    assert venue.contrast(ink, venue.PAGE_BACKGROUND) >= 4.5
    if venue.contrast(accent, venue.PAGE_BACKGROUND) >= 4.5:
        assert ink == accent  # a colour that passes is kept as it is


def test_every_grey_has_a_passing_text_colour():
    for level in range(256):
        grey = f"#{level:02x}{level:02x}{level:02x}"
        assert venue.contrast(grey, venue.text_on(grey)) >= 4.5, grey


@pytest.mark.parametrize("svg", [SVG_SCRIPT, SVG_ONLOAD, SVG_EXTERNAL, SVG_ENTITY, SVG_FOREIGN, SVG_ANIMATE,
                                 *SVG_OUTSIDE_LOADS.values()],
                         ids=["script", "onload", "external", "entity", "foreign", "animate",
                              *SVG_OUTSIDE_LOADS])
def test_unsafe_svgs_are_refused(svg):
    with pytest.raises(Invalid) as err:
        venue.check_svg(svg)
    assert err.value.code == "unsafe_svg"


def test_a_plain_svg_with_local_references_passes():
    venue.check_svg(SVG_OK)
    venue.check_svg(b'<svg xmlns="http://www.w3.org/2000/svg"><image href="data:image/png;base64,AAAA"/></svg>')
    venue.check_svg(_SVG.format(
        '<defs><radialGradient id="r"><stop offset="1" stop-color="#00f"/></radialGradient>'
        '<clipPath id="c"><circle r="1"/></clipPath><g id="x"><circle r="2"/></g></defs>'
        '<rect width="2" height="2" fill="url(#r)" clip-path="url( \'#c\' )"'
        ' style="stroke:url(&quot;#r&quot;)"/>'
        '<use href="#x"/><use xlink:href="#x"/><set attributeName="fill" to="url(#r)"/>').encode())


def test_pictures_are_decoded_and_their_type_checked():
    venue.check_logo(picture("PNG"), "image/png", 10_000, 4096)
    venue.check_logo(picture("JPEG"), "image/jpeg", 10_000, 4096)
    venue.check_logo(picture("WEBP"), "image/webp", 10_000, 4096)
    with pytest.raises(Invalid, match="sent as JPEG") as err:
        venue.check_logo(picture("PNG"), "image/jpeg", 10_000, 4096)
    assert err.value.code == "logo_type_mismatch"
    with pytest.raises(Invalid) as err:
        venue.check_logo(b"not a picture at all", "image/png", 10_000, 4096)
    assert err.value.code == "invalid_image"
    with pytest.raises(Invalid) as err:
        venue.check_logo(picture("PNG")[:60], "image/png", 10_000, 4096)  # cut short
    assert err.value.code == "invalid_image"
    with pytest.raises(UnsupportedMediaType):
        venue.check_logo(picture("GIF"), "image/gif", 10_000, 4096)


def test_only_the_declared_decoder_reads_a_logo_and_a_phone_jpeg_passes():
    with pytest.raises(Invalid) as err:  # NotImplementedError from Pillow's DDS decoder before
        venue.check_logo(damaged_dds(), "image/png", 10_000, 4096)
    assert err.value.code == "invalid_image"
    mpo = phone_jpeg()
    assert Image.open(io.BytesIO(mpo)).format == "MPO"
    venue.check_logo(mpo, "image/jpeg", 10_000, 4096)  # refused as a type mismatch before
    with pytest.raises(Invalid) as err:
        venue.check_logo(mpo, "image/png", 10_000, 4096)
    assert err.value.code == "logo_type_mismatch"


def test_a_small_file_that_unpacks_into_a_huge_picture_is_refused():
    bomb = io.BytesIO()
    Image.new("1", (6000, 6000)).save(bomb, "PNG")
    assert len(bomb.getvalue()) < 60_000
    with pytest.raises(Invalid) as err:
        venue.check_logo(bomb.getvalue(), "image/png", 100_000, 4096)
    assert err.value.code == "logo_too_big_pixels"


# ---- the API on a real server ------------------------------------------------------------------

@pytest.fixture(scope="module")
def box(tmp_path_factory):
    proc = ServerProcess(tmp_path_factory.mktemp("venue") / "served").start()
    yield proc
    proc.stop()
    log = proc.log.read_text()
    assert "Traceback" not in log, log[-3000:]


def put_logo(box, data: bytes, media_type: str, token: str | None = ADMIN_TOKEN):
    headers = {"Content-Type": media_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.put(f"{box.url}/api/venue/logo", data=data, headers=headers, timeout=10)


def venue_now(box) -> dict:
    response = requests.get(f"{box.url}/api/venue", timeout=10)
    assert response.status_code == 200
    return response.json()


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def test_venue_is_set_read_and_served_with_its_logo(box):
    fresh = venue_now(box)
    assert fresh["name"] is None and fresh["logo_url"] is None and fresh["accent"] == venue.DEFAULT_ACCENT
    answer = requests.patch(f"{box.url}/api/venue", headers=admin(), timeout=10, json={
        "name": "  Bürgeramt Mitte ", "accent": "#FFCC00", "footer": "Mon–Fri 8–16 · Ask at the desk",
        "language": "de"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["name"] == "Bürgeramt Mitte" and body["accent"] == "#ffcc00" and body["language"] == "de"
    assert body["accent_text"] == "#000000"  # white on yellow fails 4.5:1
    assert venue.contrast(body["accent_ink"], venue.PAGE_BACKGROUND) >= 4.5
    assert body["footer"] == "Mon–Fri 8–16 · Ask at the desk"

    png = picture("PNG")
    uploaded = put_logo(box, png, "image/png")
    assert uploaded.status_code == 200, uploaded.text
    url = uploaded.json()["logo_url"]
    assert url.startswith("/venue/logo/") and venue_now(box)["logo_url"] == url
    served = requests.get(box.url + url, timeout=10)
    assert served.status_code == 200 and served.content == png
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in served.headers["Cache-Control"]

    svg = put_logo(box, SVG_OK, "image/svg+xml")
    assert svg.status_code == 200, svg.text
    svg_url = svg.json()["logo_url"]
    assert svg_url != url
    served = requests.get(box.url + svg_url, timeout=10)
    assert served.headers["Content-Type"].startswith("image/svg+xml")
    policy = served.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert requests.get(box.url + url, timeout=10).status_code == 404  # the old version is gone
    assert not list((box.data_dir / "venue").glob("logo-*.png"))

    gone = next((box.data_dir / "venue").glob("logo-*.svg"))
    kept = gone.read_bytes()
    gone.unlink()  # e.g. a database restored without the data folder's logo
    assert venue_now(box)["logo_url"] is None
    gone.write_bytes(kept)
    assert venue_now(box)["logo_url"] == svg_url
    removed = requests.delete(f"{box.url}/api/venue/logo", headers=admin(), timeout=10)
    assert removed.status_code == 200 and removed.json()["logo_url"] is None
    assert requests.get(box.url + svg_url, timeout=10).status_code == 404
    cleared = requests.patch(f"{box.url}/api/venue", headers=admin(), json={"footer": "", "accent": None},
                             timeout=10)
    assert cleared.json()["footer"] is None and cleared.json()["accent"] == venue.DEFAULT_ACCENT
    openapi = requests.get(f"{box.url}/api/openapi.json", timeout=10).json()["paths"]
    assert {"get", "patch"} <= set(openapi["/api/venue"])
    assert {"put", "delete"} <= set(openapi["/api/venue/logo"])
    assert "image/png" in openapi["/api/venue/logo"]["put"]["requestBody"]["content"]


BAD_UPLOADS = [
    ("too_big", b"\x89PNG" + b"\0" * (600 * 1024), "image/png", 413, "logo_too_large"),
    ("not_an_image", b"hello, I am text", "image/png", 422, "invalid_image"),
    ("wrong_type", picture("JPEG"), "image/png", 422, "logo_type_mismatch"),
    ("damaged_dds_as_png", damaged_dds(), "image/png", 422, "invalid_image"),
    ("unsupported_type", picture("GIF"), "image/gif", 415, "unsupported_logo_type"),
    ("json", b'{"logo": 1}', "application/json", 415, "unsupported_logo_type"),
    ("svg_script", SVG_SCRIPT, "image/svg+xml", 422, "unsafe_svg"),
    ("svg_onload", SVG_ONLOAD, "image/svg+xml", 422, "unsafe_svg"),
    ("svg_external_href", SVG_EXTERNAL, "image/svg+xml", 422, "unsafe_svg"),
    ("svg_doctype_entity", SVG_ENTITY, "image/svg+xml", 422, "unsafe_svg"),
    ("svg_foreign_object", SVG_FOREIGN, "image/svg+xml", 422, "unsafe_svg"),
    *((f"svg_{name}", svg, "image/svg+xml", 422, "unsafe_svg") for name, svg in SVG_OUTSIDE_LOADS.items()),
    ("svg_broken", b"<svg xmlns='http://www.w3.org/2000/svg'><rect>", "image/svg+xml", 422, "invalid_image"),
    ("empty", b"", "image/png", 422, "invalid_image"),
]


@pytest.mark.parametrize(("label", "data", "media_type", "status", "code"), BAD_UPLOADS,
                         ids=[b[0] for b in BAD_UPLOADS])
def test_a_bad_upload_gets_a_clear_error_and_changes_nothing(box, label, data, media_type, status, code):
    requests.patch(f"{box.url}/api/venue", headers=admin(), json={"name": "Before"}, timeout=10)
    good = put_logo(box, picture("PNG", colour=(1, 2, 3)), "image/png")
    assert good.status_code == 200
    before = venue_now(box)
    files = sorted(p.name for p in (box.data_dir / "venue").iterdir())
    assert_error(put_logo(box, data, media_type), status, code)
    assert venue_now(box) == before
    assert sorted(p.name for p in (box.data_dir / "venue").iterdir()) == files
    assert requests.get(box.url + before["logo_url"], timeout=10).status_code == 200


BAD_PATCHES = [
    ({"name": "x", "colour": "#ffffff"}, "unknown field"),
    ({"accent": "red"}, "bad colour"),
    ({"accent": "#12345"}, "short colour"),
    ({"accent": "#gggggg"}, "not hex"),
    ({"name": ""}, "empty name"),
    ({"name": "a" * 81}, "long name"),
    ({"name": "bad\u0007bell"}, "control character"),
    ({"footer": "x" * 121}, "long footer"),
    ({"footer": "line\nbreak"}, "newline in footer"),
    ({"language": "xx"}, "unknown language"),
    ({"name": 5}, "not a string"),
    ({}, "nothing to change"),
]


@pytest.mark.parametrize(("body", "label"), BAD_PATCHES, ids=[p[1] for p in BAD_PATCHES])
def test_bad_patches_are_refused_and_change_nothing(box, body, label):
    before = venue_now(box)
    assert_error(requests.patch(f"{box.url}/api/venue", headers=admin(), json=body, timeout=10), 422)
    assert venue_now(box) == before


def test_writes_need_the_admin_token(box):
    queue = requests.post(f"{box.url}/api/queues", json={"name": "Desk"}, headers=admin(), timeout=10).json()
    before = venue_now(box)
    for token, status in ((None, 401), ("wrong-token-0123456789", 401), (queue["host_token"], 403)):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        assert_error(requests.patch(f"{box.url}/api/venue", json={"name": "Hijacked"}, headers=headers,
                                    timeout=10), status)
        assert_error(put_logo(box, picture("PNG"), "image/png", token=token), status)
        assert_error(requests.delete(f"{box.url}/api/venue/logo", headers=headers, timeout=10), status)
    assert venue_now(box) == before
    not_json = requests.patch(f"{box.url}/api/venue", data=b"name=x", headers={
        **admin(), "Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert_error(not_json, 415)
    assert_error(requests.get(f"{box.url}/venue/logo/{'f' * 16}", timeout=10), 404)
    assert_error(requests.get(f"{box.url}/venue/logo/{'f' * 300}", timeout=10), 404)


def test_a_phone_jpeg_is_accepted_as_a_logo(box):
    mpo = phone_jpeg()
    uploaded = put_logo(box, mpo, "image/jpeg")
    assert uploaded.status_code == 200, uploaded.text
    served = requests.get(box.url + uploaded.json()["logo_url"], timeout=10)
    assert served.content == mpo and served.headers["Content-Type"] == "image/jpeg"


# ---- the logo's body is read only after the admin token is checked -----------------------------

def _answer(sock: socket.socket, limit: float = 10.0) -> bytes:
    """What the server sends until it closes the connection (EOF or reset) or `limit` seconds."""
    sock.settimeout(limit)
    got = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return got


def _logo_request(port: int, length: int, token: str | None) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    sock.sendall(f"PUT /api/venue/logo HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: image/png\r\n"
                 f"Content-Length: {length}\r\n\r\n".encode())
    return sock


@pytest.mark.parametrize("logo_cap", ["524288", "off"])
def test_the_logo_body_is_not_read_before_the_admin_token_is_checked(tmp_path, logo_cap):
    """400 KB declared, 16 KB sent, no token: the 401 comes while the client still holds the rest
    (before, the server read up to max(QODE_MAX_BODY, QODE_MAX_LOGO_BYTES) first, and with `off`
    all of it, then answered 408 when it never came), and the connection is closed after it. With
    the token the same 400 KB logo is stored; a body that stalls is still cut off with 408."""
    proc = ServerProcess(tmp_path / "served", env={"QODE_MAX_LOGO_BYTES": logo_cap, "QODE_BODY_TIMEOUT": "3",
                                                   "QODE_SCHEDULER": "off"}).start()
    try:
        png = noise_png()
        assert 380_000 < len(png) < 480_000
        sock = _logo_request(proc.port, len(png), None)
        sock.sendall(png[:16384])
        answer = _answer(sock)
        sock.close()
        assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
        assert b"connection: close" in answer.lower()
        assert b'"error"' in answer

        stored = requests.put(f"{proc.url}/api/venue/logo", data=png, timeout=20,
                              headers={**admin(), "Content-Type": "image/png"})
        assert stored.status_code == 200, stored.text
        served = requests.get(proc.url + stored.json()["logo_url"], timeout=10)
        assert served.content == png

        slow = _logo_request(proc.port, len(png), ADMIN_TOKEN)
        slow.sendall(png[:1000])  # and then nothing: the body timeout (3 s) ends it
        answer = _answer(slow, limit=15)
        slow.close()
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"request_timeout" in answer
        assert requests.get(proc.url + stored.json()["logo_url"], timeout=10).content == png
    finally:
        proc.stop()
    assert "Traceback" not in proc.log.read_text()
