"""The pages: the built React app (frontend/ → server/qode/static) served by Flask.

Page routes answer `index.html` (the app routes on the path), never cached, so a
new build is picked up at once. Vite's hashed files under `/assets/` never change
under their name, so they are cached for a year, and go out as the Brotli or gzip copy the
build made beside them (frontend/scripts/compress.mjs) when the browser accepts it.
Everything is served from the box itself: a venue may have no internet at all.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from flask import Blueprint, Response, current_app, request, send_from_directory

from .errors import NotFound, QodeError

bp = Blueprint("pages", __name__)

DEFAULT_DIR = Path(__file__).parent / "static"
YEAR = 365 * 24 * 3600
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))  # the precompressed copies, best first

# The app's pages, with the brief's names: guest, join, host, display, kiosk, setup.
PAGE_ROUTES = ["/", "/t/<ticket_id>", "/join/<queue_id>", "/host/<queue_id>", "/display/<queue_id>",
               "/kiosk/<queue_id>", "/setup", "/hub"]


class PagesNotBuilt(QodeError):
    status = 503

    def __init__(self):
        super().__init__("The pages are not built on this box. Run `make run` (or `npm run build` in "
                         "frontend/) and reload.", "pages_not_built")


def _dir() -> Path:
    return Path(current_app.config.get("PAGES_DIR") or DEFAULT_DIR)


def page(**_ids):
    index = _dir() / "index.html"
    try:
        body = index.read_bytes()  # a few hundred bytes: read whole, nothing left open
    except OSError:
        raise PagesNotBuilt() from None
    return Response(body, mimetype="text/html", headers={"Cache-Control": "no-cache"})


for _rule in PAGE_ROUTES:
    bp.add_url_rule(_rule, view_func=page, methods=["GET"], endpoint=f"page{PAGE_ROUTES.index(_rule)}")


@bp.get("/assets/<path:name>")
def asset(name: str):
    folder = _dir() / "assets"
    if not (folder / name).is_file():  # send_from_directory also refuses paths outside the folder
        raise NotFound("No such file.", "not_found")
    for encoding, suffix in ENCODINGS:
        if request.accept_encodings.quality(encoding) > 0 and (folder / (name + suffix)).is_file():
            mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
            response = send_from_directory(folder, name + suffix, max_age=YEAR, mimetype=mimetype)
            response.headers["Content-Encoding"] = encoding
            break
    else:
        response = send_from_directory(folder, name, max_age=YEAR)
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    response.vary.add("Accept-Encoding")  # a cache keeps each encoding apart
    return response
