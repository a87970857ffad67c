"""The pages: the built React app (frontend/ → server/qode/static) served by Flask.

Page routes answer `index.html` (the app routes on the path), never cached, so a
new build is picked up at once. A guest's ticket page (/t/{id}) carries the ticket's first state:
its number in plain markup, styled by a few inlined rules, and the state as JSON the app starts
from, so a phone shows the number before any script has loaded (issue 14: perf).
Vite's hashed files under `/assets/` never change under their name, so they are cached for a year,
and go out as the Brotli or gzip copy the build made beside them (frontend/scripts/compress.mjs)
when the browser accepts it.
Everything is served from the box itself: a venue may have no internet at all.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import mimetypes
import re
import sqlite3
from pathlib import Path

from flask import Blueprint, Response, current_app, request, send_from_directory

from . import queues, tickets, venue
from .errors import NotFound, QodeError

bp = Blueprint("pages", __name__)

DEFAULT_DIR = Path(__file__).parent / "static"
YEAR = 365 * 24 * 3600
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))  # the precompressed copies, best first

# The app's pages, with the brief's names: guest, join, host, display, kiosk, setup. The guest's
# ticket page has its own view (ticket_page) below. /join, /kiosk and /display without an id are
# the several-services pages (issue 15: the service choice, and the TV's ?services=).
PAGE_ROUTES = ["/", "/join/<queue_id>", "/host/<queue_id>", "/display/<queue_id>",
               "/kiosk/<queue_id>", "/setup", "/hub", "/join", "/kiosk", "/display"]
PAGE_ROUTES += ["/host"]  # issue 15: a counter's desk for a host token over several services
TICKET_ROUTE = "/t/<ticket_id>"  # the guest's page: the app, with the ticket's first state in it


class PagesNotBuilt(QodeError):
    status = 503

    def __init__(self):
        super().__init__("The pages are not built on this box. Run `make run` (or `npm run build` in "
                         "frontend/) and reload.", "pages_not_built")


def _dir() -> Path:
    return Path(current_app.config.get("PAGES_DIR") or DEFAULT_DIR)


def _index() -> str:
    try:
        return (_dir() / "index.html").read_text()  # a few hundred bytes: read whole, nothing left open
    except OSError:
        raise PagesNotBuilt() from None


def page(**_ids):
    return Response(_index(), mimetype="text/html", headers={"Cache-Control": "no-cache"})


for _rule in PAGE_ROUTES:
    bp.add_url_rule(_rule, view_func=page, methods=["GET"], endpoint=f"page{PAGE_ROUTES.index(_rule)}")


def _is_file(path: Path) -> bool:
    """`path.is_file()`, False for a name the file system refuses (too long: pathlib raises
    ENAMETOOLONG where it answers False for a missing file)."""
    try:
        return path.is_file()
    except OSError:
        return False


@bp.get("/assets/<path:name>")
def asset(name: str):
    folder = _dir() / "assets"
    if not _is_file(folder / name):  # send_from_directory also refuses paths outside the folder
        raise NotFound("No such file.", "not_found")
    for encoding, suffix in ENCODINGS:
        if request.accept_encodings.quality(encoding) > 0 and _is_file(folder / (name + suffix)):
            mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
            response = send_from_directory(folder, name + suffix, max_age=YEAR, mimetype=mimetype)
            response.headers["Content-Encoding"] = encoding
            break
    else:
        response = send_from_directory(folder, name, max_age=YEAR)
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    response.vary.add("Accept-Encoding")  # a cache keeps each encoding apart
    return response


# ---- issue 14: perf: the ticket's first state in /t/{id}'s HTML ------------------------------

NUMBER_LENGTHS = 12  # the longest display number the first state sizes (a prefix of 4 and 8 digits)
# The rules for the server's markup only (class names `qf…`, which the app never uses), close to
# the app's own ticket card, so nothing jumps much when the app takes over. The font stack is
# Tailwind's: the box ships no web fonts.
CRITICAL_CSS = (
    "body{margin:0}"
    ".qf{box-sizing:border-box;min-height:100dvh;padding:1.5rem 1rem;background:#fafaf9;color:#1c1917;"
    "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,'Helvetica Neue','Noto Sans',Arial,"
    "sans-serif;-webkit-font-smoothing:antialiased}"
    ".qf-card{box-sizing:border-box;max-width:28rem;margin:0 auto;padding:3.25rem 1.5rem 1.5rem;"
    "border-radius:1rem;background:#fff;text-align:center;box-shadow:0 0 0 1px #d6d3d1;"
    "container-type:inline-size}"
    ".qf-number{margin:0;font-size:6rem;line-height:1;font-weight:900;font-variant-numeric:tabular-nums;"
    "word-break:break-all}"
    # As the app's (FitWords): as large as fits the card on one line, at most 6rem, by its length
    # (about 0.75 em a character in this weight), so "MELD011" is not split on a 360 px phone.
    + "".join(f".qf-len{n}{{font-size:min(6rem,calc(100cqw / {0.75 * n:.2f}))}}"
              for n in range(5, NUMBER_LENGTHS + 1))
)
# The one inline style the pages have, allowed by its hash in the Content-Security-Policy
# (qode._with_security_headers), so `style-src` still allows no other inline style.
CRITICAL_CSS_HASH = "sha256-" + base64.b64encode(hashlib.sha256(CRITICAL_CSS.encode()).digest()).decode()
STYLESHEET = re.compile(r'[ \t]*<link rel="stylesheet"[^>]*>\n?')  # as Vite writes them into index.html
FIRST_STATE_ID = "qode-first"  # the JSON's element id; frontend/src/lib/firstState.js reads it


def venue_of(db, queue: dict) -> dict:
    """The venue as GET /api/venue answers it, with the name the guest's tab title ends with:
    the venue's own, else the queue's."""
    found = venue.public(db, current_app.config["DATA_DIR"])
    return {**found, "title_name": found.get("name") or queue["name"]}


def _json_in_html(value) -> str:
    """JSON that cannot end its <script> element or open a comment: <, > and & as \\u escapes."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def first_state_html(index: str, ticket: dict, place: dict) -> str:
    """index.html with the ticket's title, its number in plain markup, and its state and the
    venue's look as JSON (so the page asks the box for neither before it shows them)."""
    number = html.escape(ticket["display_number"])
    name = place["title_name"]
    if ticket["status"] == "WAITING":
        # English until the app takes over and titles the tab in the guest's language.
        title = f"{ticket['display_number']} · {ticket['people_ahead']} ahead · {name}"
    else:
        title = f"{ticket['display_number']} · {name}"
    look = {key: value for key, value in place.items() if key != "title_name"}
    length = min(len(ticket["display_number"]), NUMBER_LENGTHS)
    sized = f" qf-len{length}" if length >= 5 else ""
    markup = (f'<main class="qf"><div class="qf-card"><p class="qf-number{sized}" id="qode-number">{number}</p>'
              f'</div></main>')
    state = _json_in_html({"ticket": ticket, "venue": look})
    data = f'<script type="application/json" id="{FIRST_STATE_ID}">{state}</script>'
    out = index.replace("<title>Qode</title>", f"<title>{html.escape(title)}</title>", 1)
    # The app's stylesheet moves below the number: Chromium paints what comes before a stylesheet
    # in the body without waiting for it, and the app's script still waits for it (a parser-made
    # stylesheet blocks scripts), so the app never shows unstyled.
    sheets = STYLESHEET.findall(out)
    for sheet in sheets:
        out = out.replace(sheet, "", 1)
    out = out.replace("</head>", f"<style>{CRITICAL_CSS}</style></head>", 1)
    moved = "".join(sheet.strip() for sheet in sheets)
    return out.replace('<div id="root"></div>', f'<div id="root">{markup}</div>{data}{moved}', 1)


def _fault(exc: Exception) -> str:
    return f"{type(exc).__name__}: {getattr(exc, 'code', None) or exc}"


@bp.get(TICKET_ROUTE)
def ticket_page(ticket_id: str):
    """The guest's page, with the ticket's first state when the id names a ticket. Never cached:
    the state is this moment's, and the address is the ticket's capability."""
    index = _index()
    if current_app.config.get("HUB"):  # the hub keeps no tickets: the app says "no such ticket"
        return Response(index, mimetype="text/html", headers={"Cache-Control": "no-cache"})
    db = current_app.extensions["qode_db"]
    try:
        ticket = tickets.get(db, queues.parse_id(ticket_id, "ticket"))
        with db.read() as conn:
            queue = queues.load(conn, ticket["queue_id"])
    except NotFound:
        ticket = None  # the app says "no such ticket", as it always did
    except (QodeError, sqlite3.Error) as exc:
        # The page must still load: the app shows what it can (its cache, "reconnecting"). The log
        # names the fault, not the ticket: its id is the guest's capability.
        current_app.logger.warning("guest page: could not read the ticket: %s", _fault(exc))
        ticket = None
    if ticket is None:
        return Response(index, mimetype="text/html", headers={"Cache-Control": "no-cache"})
    return Response(first_state_html(index, ticket, venue_of(db, queue)), mimetype="text/html",
                    headers={"Cache-Control": "no-store"})
