"""Qode: the queue-ticket appliance server."""

from __future__ import annotations

import threading

from flask import Flask, request

__version__ = "0.1.0"

SECURITY_HEADERS = {
    # Ticket URLs are bearer capabilities: never leak them in a Referer, never frame the pages.
    "Content-Security-Policy": (
        # media-src blob: (issue 16): setup plays the voice sample it fetched with the admin token
        "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; connect-src 'self'; "
        "object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def create_app(test_config: dict | None = None) -> Flask:
    """The app factory. `test_config` may override any `QODE_*` setting by name."""
    from . import api, config, errors, estimates, live, pages, sockets
    from .auth import ensure_admin_token, hash_token
    from .clock import Clock
    from .db import Database
    from .migrations import migrate

    app = Flask(__name__, static_folder=None)  # pages.py serves the built app
    settings = config.load(overrides=test_config)
    app.config.update(settings)
    app.config["VERSION"] = __version__
    app.config["MAX_CONTENT_LENGTH"] = settings["MAX_BODY"]
    app.json.sort_keys = False

    data_dir = settings["DATA_DIR"]
    data_dir.mkdir(parents=True, exist_ok=True)
    token, _ = ensure_admin_token(data_dir, settings["ADMIN_TOKEN"])
    app.config["ADMIN_TOKEN_HASH"] = hash_token(token)
    from .budgets import Budgets

    app.extensions["qode_budgets"] = Budgets(settings["MAX_REQUESTS_PER_ADDRESS"],
                                             settings["MAX_SOCKETS_PER_ADDRESS"], settings["MAX_CLIENTS"])
    if settings["HUB"]:
        return _hub_app(app, settings)

    db = Database(
        data_dir / "qode.db",
        settings["BUSY_TIMEOUT"],
        Clock(settings["TIMEZONE"], settings["DAY_STARTS_AT"]),
        commit_off_hub=settings["COMMIT_OFF_HUB"],
    )
    migrate(db)
    _restore_clock_fix(db)
    from .rules import Policy

    # issue 15: the call rule's anti-starvation bounds (tickets.policy; the ETA walks the same)
    db.call_policy = Policy(max_wait=settings["MAX_WAIT"], streak=settings["PRIORITY_STREAK"])
    from .tickets import Returns

    db.returns = Returns(settings["GRACE_MINUTES"], settings["GRACE_PLACE"])  # issue 16: grace
    from .tickets import Late

    # issue 16: "I'm running late" (tickets.running_late)
    db.late = Late(places=settings["LATE_PLACES"], uses=settings["LATE_USES"])
    app.extensions["qode_db"] = db
    app.extensions["qode_estimates"] = estimates.attach(db, settings)  # the ETA cache (estimates.Estimates)

    errors.init_app(app)
    api.init_limits(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)

    # Live sockets (qode_common.websocket): pinged every 25 s, inbound messages capped at
    # QODE_WS_MAX_MESSAGE; each broadcast is framed once for all its sockets.
    app.register_blueprint(sockets.bp)
    from qode_common.websocket import frame_encoder

    feed = live.Feed(db, live.Hub(encode=frame_encoder()), settings["LIVE_WINDOW_MS"] / 1000)
    feed.print_max_age = settings["PRINT_JOB_MAX_AGE"]
    from . import sync

    feed.sync = sync.of(app)
    feed.sync.on_change = feed.nudge_hosts  # a hub lost or found shows on the dashboards at once
    # A disk that fills or turns read-only shows on the dashboards at once (never from inside the
    # failed write: the nudge reads the database and sends on sockets).
    db.on_fault.append(lambda: threading.Thread(target=feed.nudge_hosts, daemon=True).start())
    if settings["PUBLIC_URL"]:
        feed.public_url = settings["PUBLIC_URL"]
    feed.version = __version__
    app.extensions["qode_live"] = feed
    if settings["SMS_DEVICE"]:
        # issue 16: sms. Texts through a USB modem; the sender runs where the scheduler runs.
        from . import sms

        sender = sms.Sender(db, settings)
        sender.on_change = feed.nudge_hosts  # a modem fault shows on the dashboards at once
        feed.sms = sender
        app.extensions["qode_sms"] = sender
    if settings["SCHEDULER"]:
        from . import jobs

        jobs.start(app)  # only one process per data folder wins its lock

    app.before_request(_limit_headers)
    app.wsgi_app = _behind_proxy(app, _with_security_headers(app.wsgi_app))
    return app


def _limit_headers():
    """431 for a request whose headers are over QODE_MAX_HEADERS bytes (the box's and the hub's)."""
    from flask import current_app

    size = sum(len(k) + len(v) for k, v in request.environ.items() if k.startswith("HTTP_"))
    if size > current_app.config["MAX_HEADERS"]:
        from werkzeug.exceptions import RequestHeaderFieldsTooLarge

        raise RequestHeaderFieldsTooLarge()


def _hub_app(app: Flask, settings: dict) -> Flask:
    """`qode serve --hub`: the receiver of the boxes' event logs and the sites page, nothing else."""
    from . import api, errors, hub, pages
    from .clock import Clock
    from .db import Database

    # Every request is held to QODE_MAX_BODY, unread past it; a box's batch (up to QODE_HUB_MAX_BODY)
    # is read by its view once the box's key is checked (serving.AUTH_FIRST, hub.receive_batch).
    db = Database(settings["DATA_DIR"] / "hub.db", settings["BUSY_TIMEOUT"],
                  Clock(settings["TIMEZONE"], settings["DAY_STARTS_AT"]))
    hub.migrate_hub(db)
    app.extensions["qode_db"] = db
    errors.init_app(app)
    api.init_limits(app)
    app.register_blueprint(hub.bp)
    app.register_blueprint(pages.bp)
    app.before_request(_limit_headers)
    app.wsgi_app = _behind_proxy(app, _with_security_headers(app.wsgi_app))
    return app


def _restore_clock_fix(db) -> None:
    """A host's time given earlier in this boot still holds after a restart of the server."""
    from datetime import datetime

    with db.read() as conn:
        row = conn.execute("SELECT boot_id, mono, wall FROM clock_fix WHERE id = 1").fetchone()
    if row is not None and row["boot_id"] == db.clock.boot_id:
        db.clock.fix = (row["boot_id"], row["mono"], datetime.fromisoformat(row["wall"]))


def _with_security_headers(wsgi_app):
    """Add SECURITY_HEADERS (and no-store on the API) to every answer, at the WSGI level."""
    from .pages import CRITICAL_CSS_HASH

    # issue 14: perf: the guest page's inlined critical CSS is the one inline style allowed.
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": (
        SECURITY_HEADERS["Content-Security-Policy"] + f"; style-src 'self' '{CRITICAL_CSS_HASH}'")}
    extra = list(headers.items())

    def app(environ, start_response):
        def start(status, headers, exc_info=None):
            present = {name.lower() for name, _ in headers}
            headers.extend(pair for pair in extra if pair[0].lower() not in present)
            if environ.get("PATH_INFO", "").startswith("/api/") and "cache-control" not in present:
                headers.append(("Cache-Control", "no-store"))
            return start_response(status, headers, exc_info)

        return wsgi_app(environ, start)

    return app


def _behind_proxy(app: Flask, wsgi_app):
    """issue 11: tls. Believe X-Forwarded-For/-Proto from the box's own proxy only (qode.proxy)."""
    from .proxy import trust_local_proxy

    return trust_local_proxy(wsgi_app, app.config["TRUSTED_PROXIES"])
