"""The built pages as Flask serves them: the app for every page route, cached assets, no leaks."""

from __future__ import annotations

import pytest

from qode import create_app

from helpers import ADMIN_TOKEN

INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-1a2b3c.js"></script></head></html>'


@pytest.fixture
def built(tmp_path):
    pages = tmp_path / "static"
    (pages / "assets").mkdir(parents=True)
    (pages / "index.html").write_text(INDEX)
    (pages / "assets" / "app-1a2b3c.js").write_text("console.log('qode')")
    (tmp_path / "secret.txt").write_text("not for the web")
    app = create_app({"QODE_DATA_DIR": str(tmp_path / "data"), "QODE_ADMIN_TOKEN": ADMIN_TOKEN,
                      "QODE_SCHEDULER": "off"})
    app.config["PAGES_DIR"] = str(pages)
    return app.test_client()


@pytest.mark.parametrize("path", ["/", "/t/8f0e6f5e-4a4b-4d8e-9c6e-0a1b2c3d4e5f", "/join/abc", "/host/abc",
                                  "/display/abc", "/kiosk/abc", "/setup", "/host", "/join", "/kiosk",
                                  "/display"])
def test_every_page_route_serves_the_app_uncached(built, path):
    response = built.get(path)
    assert response.status_code == 200 and response.data.decode() == INDEX
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.mimetype == "text/html"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_hashed_assets_are_cached_for_a_year(built):
    with built.get("/assets/app-1a2b3c.js") as response:
        assert response.status_code == 200 and response.data == b"console.log('qode')"
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("path", ["/assets/missing.js", "/assets/../secret.txt", "/assets/%2e%2e/secret.txt",
                                  "/assets/..%2fsecret.txt", "/static/index.html", "/nothing-here", "/t/",
                                  "/index.html/../secret.txt", "/assets/" + "x" * 300,
                                  "/assets/app-1a2b3c.js" + "x" * 300])
def test_nothing_else_is_served(built, path):
    response = built.get(path)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] in ("not_found",)
    assert b"not for the web" not in response.data


def test_an_asset_whose_compressed_name_would_be_too_long_is_served_plain(built, tmp_path):
    """A file name the file system takes, whose `.br`/`.gz` sibling's name it would refuse as too
    long: the plain file, not a 500."""
    name = "a" * 250 + ".js"
    (tmp_path / "static" / "assets" / name).write_text("console.log('long')")
    with built.get(f"/assets/{name}", headers={"Accept-Encoding": "gzip, br"}) as response:
        assert response.status_code == 200 and response.data == b"console.log('long')"
        assert "Content-Encoding" not in response.headers


def test_pages_not_built_is_a_clear_503(tmp_path):
    app = create_app({"QODE_DATA_DIR": str(tmp_path / "data"), "QODE_ADMIN_TOKEN": ADMIN_TOKEN,
                      "QODE_SCHEDULER": "off"})
    app.config["PAGES_DIR"] = str(tmp_path / "nothing")
    response = app.test_client().get("/join/abc")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "pages_not_built"


def test_page_routes_take_get_only(built):
    response = built.post("/setup", json={})
    assert response.status_code == 405 and "error" in response.get_json()


def test_the_budget_script_counts_what_the_guest_page_loads(tmp_path):
    from qode_bench.pages import guest_assets, weight

    static = tmp_path / "static"
    (static / "assets").mkdir(parents=True)
    (static / "index.html").write_text('<script type="module" src="/assets/index-1.js"></script>'
                                       '<link rel="stylesheet" href="/assets/index-2.css">')
    entry = 'import{a}from"./shared-3.js";const h=()=>import("./Host-4.js");'
    (static / "assets" / "index-1.js").write_text(entry)
    (static / "assets" / "shared-3.js").write_text("export const a=1;" * 50)
    (static / "assets" / "Host-4.js").write_text("x" * 5000)  # lazy: the guest page never loads it
    (static / "assets" / "index-2.css").write_text("body{}")
    names = [p.name for p in guest_assets(static)]
    assert names == ["index-1.js", "index-2.css", "shared-3.js"]
    sizes = weight(guest_assets(static))
    assert all(0 < gz <= raw + 30 for _, raw, gz in sizes)


def test_the_budget_script_says_what_is_missing(tmp_path, monkeypatch, capsys):
    import argparse

    from qode_bench import pages as bench_pages

    monkeypatch.setattr(bench_pages, "STATIC", tmp_path / "not-built")
    assert bench_pages.main(argparse.Namespace(port=8799)) == 2
    assert "not built" in capsys.readouterr().err
    (tmp_path / "built").mkdir()
    (tmp_path / "built" / "index.html").write_text("<html></html>")
    monkeypatch.setattr(bench_pages, "STATIC", tmp_path / "built")
    monkeypatch.setattr(bench_pages, "CHROMIUM", str(tmp_path / "no-chromium"))
    assert bench_pages.main(argparse.Namespace(port=8799)) == 2
    assert "apt-get install chromium" in capsys.readouterr().err


@pytest.fixture
def compressed(tmp_path):
    """Built pages with the copies the build makes (frontend/scripts/compress.mjs)."""
    import gzip

    pages = tmp_path / "static"
    (pages / "assets").mkdir(parents=True)
    (pages / "index.html").write_text(INDEX)
    raw = ("console.log('qode');" * 200).encode()
    (pages / "assets" / "app-9f8e7d.js").write_bytes(raw)
    (pages / "assets" / "app-9f8e7d.js.gz").write_bytes(gzip.compress(raw))
    (pages / "assets" / "app-9f8e7d.js.br").write_bytes(b"not really brotli, only its place")
    app = create_app({"QODE_DATA_DIR": str(tmp_path / "data"), "QODE_ADMIN_TOKEN": ADMIN_TOKEN,
                      "QODE_SCHEDULER": "off"})
    app.config["PAGES_DIR"] = str(pages)
    return app.test_client(), raw


@pytest.mark.parametrize(("accept", "encoding"), [
    ("gzip, deflate, br, zstd", "br"),  # what Chromium sends
    ("gzip", "gzip"),
    ("br;q=0, gzip", "gzip"),
    ("gzip;q=0, br;q=0", None),
    ("identity", None),
    (None, None),
])
def test_assets_go_out_as_the_precompressed_copy_the_browser_accepts(compressed, accept, encoding):
    import gzip

    client, raw = compressed
    headers = {"Accept-Encoding": accept} if accept is not None else {}
    with client.get("/assets/app-9f8e7d.js", headers=headers) as response:
        assert response.status_code == 200
        assert response.headers.get("Content-Encoding") == encoding
        assert response.mimetype == "text/javascript"  # the original's type, not the copy's
        assert "Accept-Encoding" in response.headers["Vary"]
        assert "immutable" in response.headers["Cache-Control"]
        body = response.get_data()
    if encoding == "gzip":
        assert gzip.decompress(body) == raw and len(body) < len(raw) / 10
    elif encoding == "br":
        assert body == b"not really brotli, only its place"
    else:
        assert body == raw


def test_an_asset_without_copies_goes_out_as_it_is(built):
    with built.get("/assets/app-1a2b3c.js", headers={"Accept-Encoding": "gzip, br"}) as response:
        assert response.status_code == 200 and "Content-Encoding" not in response.headers
        assert response.get_data() == b"console.log('qode')"


def test_the_built_pages_carry_compressed_copies_of_their_scripts():
    """`npm run build` (make pages) writes a .br and a .gz beside each script and style sheet."""
    from qode import pages

    assets = pages.DEFAULT_DIR / "assets"
    if not assets.is_dir():
        pytest.skip("the pages are not built here (make pages)")
    scripts = [p for p in assets.iterdir() if p.suffix in (".js", ".css") and p.stat().st_size >= 512]
    assert scripts
    for script in scripts:
        for suffix in (".br", ".gz"):
            copy = script.with_name(script.name + suffix)
            assert copy.is_file() and copy.stat().st_size < script.stat().st_size, copy


def test_a_real_server_sends_the_guest_pages_scripts_compressed(server):
    """Bytes on the wire from `qode serve`: the entry script and style sheet of the built pages."""
    import re

    import requests

    index = requests.get(f"{server.url}/t/8f0e6f5e-4a4b-4d8e-9c6e-0a1b2c3d4e5f", timeout=5).text
    assets = re.findall(r'(?:src|href)="(/assets/[^"]+\.(?:js|css))"', index)
    assert assets, index
    for path in assets:
        plain = requests.get(f"{server.url}{path}", headers={"Accept-Encoding": "identity"}, timeout=5)
        wire = requests.get(f"{server.url}{path}", headers={"Accept-Encoding": "gzip"}, timeout=5, stream=True)
        sent = wire.raw.read(decode_content=False)
        assert wire.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in wire.headers["Vary"]
        assert int(wire.headers["Content-Length"]) == len(sent) < len(plain.content) / 2, path
