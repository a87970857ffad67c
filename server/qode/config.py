"""Settings as data: every `QODE_*` variable with its default and help text.

The README's settings table is checked against `SETTINGS` by a test, so a
setting cannot exist without being documented.
"""

from __future__ import annotations

import os
import re
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from qode_common.patterns import Setting, is_device_id, is_off, is_token

SETTINGS: list[Setting] = [
    Setting("QODE_DATA_DIR", "./instance", "Folder holding the database, the admin token file and backups."),
    Setting(
        "QODE_ADMIN_TOKEN",
        "(generated)",
        "Admin token. When unset, one is generated on first start into "
        "`<data-dir>/admin_token` (mode 0600).",
    ),
    Setting(
        "QODE_PUBLIC_URL",
        "(auto)",
        "Base URL printed in links and QR codes, e.g. `http://192.168.1.20:8000`. "
        "Defaults to the box's LAN address and port.",
    ),
    Setting(
        "QODE_TIMEZONE",
        "(system)",
        "IANA time zone of the venue, e.g. `Europe/Berlin`; decides the service day.",
    ),
    Setting(
        "QODE_DAY_STARTS_AT",
        "04:00",
        "Local time (HH:MM) at which a new service day starts and numbers restart at 1.",
    ),
    Setting(
        "QODE_DEFAULT_CYCLE",
        "300",
        "Seconds per guest at one counter assumed by a new queue before it has learned its pace.",
    ),
    Setting(
        "QODE_JOIN_RATE_LIMIT",
        "5/minute",
        "Ticket creations allowed per device token and per IP address (kiosks with a token "
        "are exempt; a device getting back the ticket it holds is never counted). "
        "`off` disables it.",
    ),
    Setting(
        "QODE_AUTH_RATE_LIMIT",
        "20/minute",
        "Failed credentials (401: a token that names nothing) allowed per IP before further "
        "authenticated requests get 429; a real token refused for its role or services (403) "
        "is not counted. `off` disables it.",
    ),
    Setting("QODE_MAX_BODY", "16384", "Largest request body in bytes (413 above it). `off` disables it."),
    Setting(
        "QODE_MAX_HEADERS",
        "8192",
        "Largest total size of request headers in bytes (431 above it).",
    ),
    Setting("QODE_BUSY_TIMEOUT", "5000", "Milliseconds a database write waits for the lock."),
    Setting("QODE_COMMIT_OFF_HUB", "auto", "Where each commit's fsync runs: `on` in a real thread, so the "
            "server keeps answering (and gathers the next writes into one commit) while a slow SD card syncs; "
            "`off` in the worker itself (as fast only when the disk is memory); `auto` in a thread while "
            "commits take 0.5 ms or more on average (issue 17; docs/benchmarks.md)."),
    Setting(
        "QODE_MAX_CLIENTS",
        "2000",
        "Open live sockets (phones, displays, hosts) allowed at once; more are refused with "
        "close code 1013 while plain HTTP keeps working.",
    ),
    Setting(
        "QODE_LIVE_WINDOW_MS",
        "100",
        "Live updates are merged into at most one message per queue and channel per this many ms.",
    ),
    Setting(
        "QODE_WS_MAX_MESSAGE", "65536", "Largest inbound WebSocket message in bytes (closed with 1009 above)."
    ),
    Setting(
        "QODE_BACKUP_KEEP",
        "7",
        "How many nightly backups to keep in `<data-dir>/backups` (1 to 365); `qode backup` "
        "deletes older ones.",
    ),
    Setting(
        "QODE_SCHEDULER",
        "on",
        "`on` runs the housekeeping jobs (ETA refresh, automatic no-shows, day rollover, "
        "retention purge, WAL checkpoint, nightly backup) in the server; `off` is for tests.",
    ),
    Setting(
        "QODE_ETA_REFRESH_SECONDS",
        "30",
        "How often ETAs are recomputed and pushed to guests whose estimate moved (1 to 3600).",
    ),
    Setting(
        "QODE_RETENTION_DAYS",
        "90",
        "Ended tickets and events older than this many service days are deleted nightly "
        "(with a hub set, events only once the hub has acknowledged them).",
    ),
    Setting("QODE_SYNC_URL", "(off)", "The hub this box sends its event log to, e.g. "
            "`https://hub.example.org`. Unset: no sync. The box never waits for the hub."),
    Setting("QODE_DEVICE_ID", "(none)",
            "This box's id at the hub (`[A-Za-z0-9_-]`, 1-64), as registered there."),
    Setting("QODE_SYNC_KEY", "(none)",
            "This box's key at the hub, shown once when the hub registers the box."),
    Setting("QODE_SYNC_CA_FILE", "(system)", "A CA certificate file (PEM) the hub's https certificate must "
            "chain to, instead of the system's; for a hub with its own CA. Certificates are always verified."),
    Setting("QODE_SYNC_BATCH", "500", "Events per sync request (1 to 1000)."),
    Setting("QODE_SYNC_SECONDS", "5", "How often the box sends what is new; after a failure it waits longer "
            "(doubling, up to 5 minutes, with jitter)."),
    Setting("QODE_SYNC_TIMEOUT", "30", "Longest one sync request may take, answer included (1 to 600 "
            "seconds); a hub that answers slower counts as a failure, and the next batch is half as large (as "
            "after a 413)."),
    Setting("QODE_HUB", "off", "`on` makes `qode serve` the hub (`qode serve --hub` sets it): it receives "
            "boxes' event logs and shows every site at `/hub`."),
    Setting("QODE_HUB_MAX_BATCH", "1000", "Hub: the most events one sync request may carry (413 above it)."),
    Setting("QODE_HUB_MAX_BODY", "4194304", "Hub: the largest sync request body in bytes (413 above it), read "
            "only once the box's key is checked; every other request to the hub is held to `QODE_MAX_BODY`."),
    Setting(
        "QODE_PRINT_JOB_MAX_AGE",
        "120",
        "Seconds a kiosk print job stays printable. An older one is never printed (no stale tickets "
        "when paper is refilled); its ticket is flagged \"not printed\" for the host to reprint.",
    ),
    # issue 11: budgets
    Setting("QODE_HEADER_TIMEOUT", "10", "Seconds a new connection has to send its request line and headers "
            "(on a kept-alive connection the next request's must come within the keep-alive wait, 5 s). A "
            "stalled connection is closed, with 408 if part of a request came. `off` disables it."),
    Setting("QODE_BODY_TIMEOUT", "30", "Seconds a request's body has to arrive in full once its headers are "
            "in; a stalled one gets 408 and its connection is closed. Live sockets are not affected (their "
            "idle limit is the 25 s ping). `off` disables it."),
    Setting("QODE_RESPONSE_TIMEOUT", "60", "Seconds a client has to take an answer (static files, CSV exports, "
            "API answers) once the server writes it; a client that stops reading is cut off, so it cannot "
            "hold a connection. Live sockets are not affected. `off` disables it."),
    Setting("QODE_HTTP_CONNECTIONS", "512", "Connections kept for plain HTTP on top of `QODE_MAX_CLIENTS`: "
            "live sockets never take them (the worker holds `QODE_MAX_CLIENTS` plus this many). A size, "
            "not a limit to switch off: 16 to 65536."),
    Setting("QODE_MAX_REQUESTS_PER_ADDRESS", "12", "Open HTTP connections (requests in flight and kept-alive "
            "ones; live sockets not included) one address may hold; more are refused with 429 as they "
            "open, before anything is read. 127.0.0.1 and ::1 (the box's own services and TLS proxy) are "
            "not counted. `off` disables it."),
    Setting("QODE_MAX_SOCKETS_PER_ADDRESS", "4", "Anonymous live sockets (tickets, public queue feeds) one "
            "address may hold; more are closed with 4429. Host and device sockets (valid token) are not "
            "counted, and the last 1/20 of `QODE_MAX_CLIENTS` (at most 50) is kept for them. 127.0.0.1 and "
            "::1 are not counted. `off` disables it."),
    # issue 11: flood
    Setting("QODE_QUEUE_MAX_ACTIVE", "500",
            "Active tickets (waiting, called, being served) one line may hold; a join past it gets 409 "
            "`queue_full`. Applies to every join, kiosks' and hosts' too. `off` disables it."),
    Setting("QODE_MAX_ACTIVE_PER_ADDRESS", "4",
            "Active tickets the guests of one IP address may hold in one line (a family sharing a phone, "
            "each in a private tab); past it a web join gets 429 `too_many_tickets`. Kiosks and hosts "
            "are exempt. Guests who reach the box through NAT (a guest network routed to the box's "
            "LAN) all share the router's address: set it `off` there. 127.0.0.1 and ::1 (the box itself) "
            "are not counted. `off` disables it."),
    Setting("QODE_MAX_ACTIVE_PER_DEVICE", "3",
            "Active tickets one device token may hold across all lines of the box (in one line it "
            "always holds at most one: joining again gives it back); past it a web join gets 429 "
            "`too_many_tickets`. `off` disables it."),
    # issue 11: tls
    Setting(
        "QODE_STAFF_HTTPS",
        "remote",
        "Staff tokens (admin, host, kiosk, display; in headers and in a socket's auth message) over "
        "plain http: `remote` refuses them from every address but the box's own (`QODE_TRUSTED_PROXIES`), "
        "with 403 `https_required` (sockets: close 4426); `all` refuses them over plain http from "
        "anywhere; `off` accepts them (the token crosses the Wi-Fi in clear).",
    ),
    Setting(
        "QODE_STAFF_URL",
        "(auto)",
        "The https address staff devices use (links and QR codes for host, kiosk, display, setup), "
        "e.g. `https://192.168.1.20:8443`. Default: `https://<host of QODE_PUBLIC_URL>:8443` once the "
        "box's CA certificate exists (Caddy is set up), else QODE_PUBLIC_URL.",
    ),
    Setting(
        "QODE_TLS_CA_FILE",
        "/etc/qode/ca.crt",
        "The box's CA certificate (PEM), offered at `/ca.crt` for staff devices to install; "
        "install.sh copies Caddy's root there. `off`: none is offered.",
    ),
    Setting(
        "QODE_TRUSTED_PROXIES",
        "127.0.0.0/8,::1",
        "Peers that are the box itself (comma-separated addresses or networks): their "
        "X-Forwarded-For/-Proto (from Caddy) are believed, and `QODE_STAFF_HTTPS=remote` lets them use "
        "staff tokens over plain http. `off`: no peer is trusted.",
    ),
    # issue 12: prod
    Setting(
        "QODE_UPDATE_HEALTH_TIMEOUT",
        "90",
        "Seconds `qode update` waits for the new version to answer `/healthz` before it switches back "
        "to the previous version and database copy by itself. `off`: wait until systemd gives up "
        "on the new server (its start limit).",
    ),
    # issue 14: brand
    Setting("QODE_MAX_LOGO_BYTES", "524288", "Largest venue logo upload in bytes (413 above it; setup shows "
            "why). `off` disables it (QODE_MAX_BODY still applies to everything else)."),
    Setting("QODE_MAX_LOGO_SIDE", "2048", "Largest width or height of a venue logo in pixels (422 above it): "
            "a small file cannot unpack into a huge picture. `off` disables it."),
    # issue 15: model
    Setting("QODE_MAX_COUNTER_SERVICES", "8", "Services one counter may serve (422 `too_many_services` above "
            "it); bounds the work of each call at a counter. `off` disables it."),
    # issue 15: calls
    Setting("QODE_MAX_WAIT", "900", "Seconds after which a waiting ticket goes before anything not overdue "
            "(priority included) at every counter serving its service: nobody starves. `off`: no time bound."),
    Setting("QODE_PRIORITY_STREAK", "3", "Priority calls in a row that may overtake a waiting normal ticket in "
            "one service; then the oldest normal ticket goes next. `off`: no limit."),
    # issue 16: voice
    Setting("QODE_VOICE", "on", "Spoken calls on the TV (docs/voice.md): `on` makes each call's announcement "
            "on the box (recorded clips, else espeak-ng); `off` turns voice off for every display."),
    Setting("QODE_VOICE_SECOND_LANGUAGE", "off", "A second language each announcement is repeated in, after "
            "the venue's (one of en de fr es tr pl uk ar), or `off`."),
    Setting("QODE_VOICE_COMMAND", "espeak-ng", "The espeak-ng program that speaks (a name on PATH or an "
            "absolute path)."),
    Setting("QODE_VOICE_TIMEOUT", "10", "Seconds each step of making an announcement may take: waiting for "
            "the same call already being made, waiting for a free slot, and each language's espeak-ng run "
            "(which is then killed). Past it: 503 `voice_timeout` or `voice_busy`, and the TV shows the call "
            "with its chime only. A request for an uncached call with a second language can so take a few "
            "times this long. `off`: no limit."),
    Setting("QODE_VOICE_CONCURRENCY", "2", "Announcements made at once at most; more wait for a slot (as long "
            "as `QODE_VOICE_TIMEOUT`), then 503 `voice_busy`. `off`: no limit."),
    Setting("QODE_VOICE_RATE_LIMIT", "60/minute", "Call audio one address may fetch (429 past it); a TV "
            "fetches one per call. `off` disables it."),
    Setting("QODE_VOICE_TEST_RATE_LIMIT", "10/minute", "Voice tests the host may send one display, and sample "
            "announcements a display may fetch (429 past it). `off` disables it."),
    Setting("QODE_VOICE_CACHE_BYTES", "33554432", "Bytes of announcements kept in `<data-dir>/voice/cache` "
            "(the oldest go first). `off`: no size limit."),
    Setting("QODE_VOICE_CACHE_AGE", "604800", "Seconds an announcement stays in the cache. "
            "`off`: no age limit."),
    # issue 16: grace
    Setting("QODE_GRACE_MINUTES", "10", "Minutes after a no-show in which the host (one tap) or a kiosk's "
            "scanner (the printed ticket's QR) may put the guest back in line, once per ticket. `off`: "
            "no-shows never come back. Not the line's `grace_period` (how long a called guest has to come)."),
    Setting("QODE_GRACE_PLACE", "front", "Where a returning no-show goes: `front` (first in its service's "
            "line order, before the current head; priority and overdue tickets still go first) or `end`."),
    # issue 16: sms
    Setting("QODE_SMS_DEVICE", "off", "Serial device of a USB GSM modem for text messages, e.g. `/dev/ttyUSB0` "
            "(better `/dev/serial/by-id/...`), driven by Debian's `gammu`. Guests are offered a text only "
            "while this device exists. `off`: no texts, no phone field."),
    Setting("QODE_SMS_GAMMU", "gammu", "The gammu command the box runs for texts (a path, or a name on PATH)."),
    Setting("QODE_SMS_PER_TICKET", "2", "Texts at most per ticket (\"nearly up\" and \"called\" are two); more "
            "are not sent. `off`: no cap."),
    Setting("QODE_SMS_PER_DAY", "300", "Texts the box sends at most per service day (a SIM's allowance, a "
            "flood of opt-ins); past it none are planned and the host sees how many were capped. "
            "`off`: no cap."),
    Setting("QODE_SMS_PHONE_RATE_LIMIT", "6/hour", "Phone numbers a guest may leave, change or remove, per IP "
            "address and per ticket (429 above it; the box's own touch kiosk is counted per ticket only). "
            "`off` disables it."),
    Setting("QODE_SMS_HEALTH_SECONDS", "300", "Seconds between checks of the modem's SIM and signal for the "
            "host dashboard (each takes the modem a few seconds; a failed send shows at once)."),
    Setting("QODE_SMS_TIMEOUT", "60", "Seconds one gammu command may take before it counts as a modem "
            "failure."),
    # issue 16: late
    Setting("QODE_LATE_PLACES", "3", "Places a waiting guest moves back with \"I'm running late\" (behind the "
            "ticket that many places behind them in the call order, or to the end; docs/services.md "
            "section 15). "
            "`off` turns the button off."),
    Setting("QODE_LATE_USES", "1", "Times one ticket may move back with \"I'm running late\" (at most 10)."),
    Setting("QODE_LATE_RATE_LIMIT", "10/minute", "\"I'm running late\" presses allowed per IP address "
            "(429 above it). `off` disables it."),
    Setting("QODE_LATE_QUEUE_RATE_LIMIT", "60/minute", "\"I'm running late\" presses allowed per service, "
            "whatever the address (429 above it). `off` disables it."),
]

DEFAULTS = {s.name: s.default for s in SETTINGS}

_LIMIT_RE = re.compile(r"^\s*\d+\s*(/|per)\s*\d*\s*(second|minute|hour|day)s?\s*$", re.I)


class SettingError(ValueError):
    """A setting has a value Qode cannot use."""


def _parse_limit(name: str, value: str) -> str | None:
    if is_off(value):
        return None
    if not _LIMIT_RE.match(value):
        raise SettingError(f"{name}={value!r}: expected e.g. '30/minute' or 'off'")
    return value.strip()


def _parse_int(name: str, value: str, *, allow_off: bool = False, maximum: int | None = None) -> int | None:
    if allow_off and is_off(value):
        return None
    try:
        number = int(value)
    except ValueError:
        raise SettingError(f"{name}={value!r}: expected a whole number") from None
    if number <= 0:
        raise SettingError(f"{name}={value!r}: must be positive")
    if maximum is not None and number > maximum:
        raise SettingError(f"{name}={value!r}: must be at most {maximum}")
    return number


def _parse_off_hub(value: str) -> bool | str:
    word = value.strip().lower()
    if word == "auto":
        return "auto"
    return _parse_switch("QODE_COMMIT_OFF_HUB", value)


def _parse_switch(name: str, value: str) -> bool:
    word = value.strip().lower()
    if word not in ("on", "off"):
        raise SettingError(f"{name}={value!r}: expected 'on' or 'off'")
    return word == "on"


def _system_timezone() -> str:
    """The IANA name of the system zone, or UTC when it cannot be told."""
    try:
        name = Path("/etc/timezone").read_text().strip()
        if name:
            return name
    except OSError:
        pass
    try:
        target = os.readlink("/etc/localtime")
    except OSError:
        return "UTC"
    marker = "zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else "UTC"


def _parse_timezone(value: str) -> str:
    name = _system_timezone() if value in ("", "(system)") else value
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingError(f"QODE_TIMEZONE={name!r}: not a known IANA time zone") from None
    return name


def _parse_day_start(value: str) -> time:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise SettingError(f"QODE_DAY_STARTS_AT={value!r}: expected HH:MM")
    return time(int(match[1]), int(match[2]))


def _parse_admin_token(value: str, auto: set[str]) -> str | None:
    if value in auto:
        return None
    if not is_token(value):
        raise SettingError(
            "QODE_ADMIN_TOKEN: use 16-256 characters of letters, digits, '-' and '_' "
            "(it is sent as a bearer token), or leave it unset to have one generated"
        )
    return value


def _sync_settings(raw: dict[str, str]) -> dict:
    url = raw["QODE_SYNC_URL"].strip()
    url = None if url in ("", "(off)", "off") else url.rstrip("/")
    if url is not None and not re.fullmatch(r"https?://[^\s/?#@]+(/[^\s?#@]*)?", url):
        raise SettingError(f"QODE_SYNC_URL={url!r}: expected http(s)://HOST[:PORT][/path], with no user or "
                           "password in it (the box's key is QODE_SYNC_KEY)")
    device_id = raw["QODE_DEVICE_ID"].strip()
    device_id = None if device_id in ("", "(none)") else device_id
    key = raw["QODE_SYNC_KEY"].strip()
    key = None if key in ("", "(none)") else key
    if url and not (device_id and is_device_id(device_id)):
        raise SettingError("QODE_DEVICE_ID: set it (1-64 of A-Z a-z 0-9 _ -) to the id the hub registered")
    if url and not (key and is_token(key)):
        raise SettingError("QODE_SYNC_KEY: set it to the key the hub showed when it registered this box")
    ca = raw["QODE_SYNC_CA_FILE"].strip()
    ca = None if ca in ("", "(system)") else ca
    if ca:
        import ssl

        try:
            ssl.create_default_context(cafile=ca)
        except (OSError, ssl.SSLError) as err:
            raise SettingError(f"QODE_SYNC_CA_FILE={ca!r}: not a readable PEM certificate file ({err})") \
                from None
    return {
        "SYNC_URL": url, "DEVICE_ID": device_id, "SYNC_KEY": key, "SYNC_CA_FILE": ca,
        "SYNC_BATCH": _parse_int("QODE_SYNC_BATCH", raw["QODE_SYNC_BATCH"], maximum=1000),
        "SYNC_SECONDS": _parse_int("QODE_SYNC_SECONDS", raw["QODE_SYNC_SECONDS"], maximum=3600),
        "SYNC_TIMEOUT": _parse_int("QODE_SYNC_TIMEOUT", raw["QODE_SYNC_TIMEOUT"], maximum=600),
        "HUB": _parse_switch("QODE_HUB", raw["QODE_HUB"]),
        "HUB_MAX_BATCH": _parse_int("QODE_HUB_MAX_BATCH", raw["QODE_HUB_MAX_BATCH"], maximum=100000),
        "HUB_MAX_BODY": _parse_int("QODE_HUB_MAX_BODY", raw["QODE_HUB_MAX_BODY"], maximum=256 * 1024 * 1024),
    }


def load(env: dict[str, str] | None = None, overrides: dict | None = None) -> dict:
    """Read `QODE_*` settings from `env` (default: os.environ) into a config dict."""
    env = dict(os.environ if env is None else env)
    raw = {name: env.get(name, default) for name, default in DEFAULTS.items()}
    raw.update({k: str(v) for k, v in (overrides or {}).items() if k in DEFAULTS})
    auto = {"(generated)", "(auto)", ""}
    return {
        "DATA_DIR": Path(raw["QODE_DATA_DIR"]),
        "ADMIN_TOKEN": _parse_admin_token(raw["QODE_ADMIN_TOKEN"], auto),
        "PUBLIC_URL": None if raw["QODE_PUBLIC_URL"] in auto else raw["QODE_PUBLIC_URL"].rstrip("/"),
        "TIMEZONE": _parse_timezone(raw["QODE_TIMEZONE"]),
        "DAY_STARTS_AT": _parse_day_start(raw["QODE_DAY_STARTS_AT"]),
        "DEFAULT_CYCLE": _parse_int("QODE_DEFAULT_CYCLE", raw["QODE_DEFAULT_CYCLE"]),
        "JOIN_RATE_LIMIT": _parse_limit("QODE_JOIN_RATE_LIMIT", raw["QODE_JOIN_RATE_LIMIT"]),
        "AUTH_RATE_LIMIT": _parse_limit("QODE_AUTH_RATE_LIMIT", raw["QODE_AUTH_RATE_LIMIT"]),
        "MAX_BODY": _parse_int("QODE_MAX_BODY", raw["QODE_MAX_BODY"], allow_off=True),
        "MAX_HEADERS": _parse_int("QODE_MAX_HEADERS", raw["QODE_MAX_HEADERS"]),
        "BUSY_TIMEOUT": _parse_int("QODE_BUSY_TIMEOUT", raw["QODE_BUSY_TIMEOUT"]),
        "COMMIT_OFF_HUB": _parse_off_hub(raw["QODE_COMMIT_OFF_HUB"]),
        "MAX_CLIENTS": _parse_int("QODE_MAX_CLIENTS", raw["QODE_MAX_CLIENTS"]),
        "LIVE_WINDOW_MS": _parse_int("QODE_LIVE_WINDOW_MS", raw["QODE_LIVE_WINDOW_MS"]),
        "WS_MAX_MESSAGE": _parse_int("QODE_WS_MAX_MESSAGE", raw["QODE_WS_MAX_MESSAGE"]),
        "BACKUP_KEEP": _parse_int("QODE_BACKUP_KEEP", raw["QODE_BACKUP_KEEP"], maximum=365),
        "SCHEDULER": _parse_switch("QODE_SCHEDULER", raw["QODE_SCHEDULER"]),
        "ETA_REFRESH_SECONDS": _parse_int("QODE_ETA_REFRESH_SECONDS", raw["QODE_ETA_REFRESH_SECONDS"],
                                          maximum=3600),
        "RETENTION_DAYS": _parse_int("QODE_RETENTION_DAYS", raw["QODE_RETENTION_DAYS"], maximum=36500),
        "PRINT_JOB_MAX_AGE": _parse_int("QODE_PRINT_JOB_MAX_AGE", raw["QODE_PRINT_JOB_MAX_AGE"],
                                        maximum=3600),
        **_sync_settings(raw),
        # issue 11: budgets
        "HEADER_TIMEOUT": _parse_int("QODE_HEADER_TIMEOUT", raw["QODE_HEADER_TIMEOUT"], allow_off=True,
                                     maximum=3600),
        "BODY_TIMEOUT": _parse_int("QODE_BODY_TIMEOUT", raw["QODE_BODY_TIMEOUT"], allow_off=True, maximum=3600),
        "RESPONSE_TIMEOUT": _parse_int("QODE_RESPONSE_TIMEOUT", raw["QODE_RESPONSE_TIMEOUT"], allow_off=True,
                                       maximum=3600),
        "HTTP_CONNECTIONS": _parse_http_connections(raw["QODE_HTTP_CONNECTIONS"]),
        "MAX_REQUESTS_PER_ADDRESS": _parse_int("QODE_MAX_REQUESTS_PER_ADDRESS",
                                               raw["QODE_MAX_REQUESTS_PER_ADDRESS"], allow_off=True),
        "MAX_SOCKETS_PER_ADDRESS": _parse_int("QODE_MAX_SOCKETS_PER_ADDRESS",
                                              raw["QODE_MAX_SOCKETS_PER_ADDRESS"], allow_off=True),
        # issue 11: flood
        "QUEUE_MAX_ACTIVE": _parse_int("QODE_QUEUE_MAX_ACTIVE", raw["QODE_QUEUE_MAX_ACTIVE"], allow_off=True),
        "MAX_ACTIVE_PER_ADDRESS": _parse_int("QODE_MAX_ACTIVE_PER_ADDRESS", raw["QODE_MAX_ACTIVE_PER_ADDRESS"],
                                             allow_off=True),
        "MAX_ACTIVE_PER_DEVICE": _parse_int("QODE_MAX_ACTIVE_PER_DEVICE", raw["QODE_MAX_ACTIVE_PER_DEVICE"],
                                            allow_off=True),
        # issue 11: tls
        **_tls_settings(raw),
        # issue 12: prod
        "UPDATE_HEALTH_TIMEOUT": _parse_int("QODE_UPDATE_HEALTH_TIMEOUT", raw["QODE_UPDATE_HEALTH_TIMEOUT"],
                                            allow_off=True, maximum=3600),
        # issue 14: brand
        "MAX_LOGO_BYTES": _parse_int("QODE_MAX_LOGO_BYTES", raw["QODE_MAX_LOGO_BYTES"], allow_off=True,
                                     maximum=64 * 1024 * 1024),
        "MAX_LOGO_SIDE": _parse_int("QODE_MAX_LOGO_SIDE", raw["QODE_MAX_LOGO_SIDE"], allow_off=True,
                                    maximum=65535),
        # issue 15: model
        "MAX_COUNTER_SERVICES": _parse_int("QODE_MAX_COUNTER_SERVICES", raw["QODE_MAX_COUNTER_SERVICES"],
                                           allow_off=True, maximum=256),
        # issue 15: calls
        "MAX_WAIT": _parse_int("QODE_MAX_WAIT", raw["QODE_MAX_WAIT"], allow_off=True, maximum=24 * 3600),
        "PRIORITY_STREAK": _parse_int("QODE_PRIORITY_STREAK", raw["QODE_PRIORITY_STREAK"], allow_off=True,
                                      maximum=1000),
        # issue 16: voice
        "VOICE": _parse_switch("QODE_VOICE", raw["QODE_VOICE"]),
        "VOICE_SECOND_LANGUAGE": _parse_voice_language(raw["QODE_VOICE_SECOND_LANGUAGE"]),
        "VOICE_COMMAND": _parse_voice_command(raw["QODE_VOICE_COMMAND"]),
        "VOICE_TIMEOUT": _parse_int("QODE_VOICE_TIMEOUT", raw["QODE_VOICE_TIMEOUT"], allow_off=True,
                                    maximum=600),
        "VOICE_CONCURRENCY": _parse_int("QODE_VOICE_CONCURRENCY", raw["QODE_VOICE_CONCURRENCY"], allow_off=True,
                                        maximum=64),
        "VOICE_RATE_LIMIT": _parse_limit("QODE_VOICE_RATE_LIMIT", raw["QODE_VOICE_RATE_LIMIT"]),
        "VOICE_TEST_RATE_LIMIT": _parse_limit("QODE_VOICE_TEST_RATE_LIMIT", raw["QODE_VOICE_TEST_RATE_LIMIT"]),
        "VOICE_CACHE_BYTES": _parse_int("QODE_VOICE_CACHE_BYTES", raw["QODE_VOICE_CACHE_BYTES"],
                                        allow_off=True),
        "VOICE_CACHE_AGE": _parse_int("QODE_VOICE_CACHE_AGE", raw["QODE_VOICE_CACHE_AGE"], allow_off=True),
        # issue 16: grace
        "GRACE_MINUTES": _parse_int("QODE_GRACE_MINUTES", raw["QODE_GRACE_MINUTES"], allow_off=True,
                                    maximum=24 * 60),
        "GRACE_PLACE": _parse_choice("QODE_GRACE_PLACE", raw["QODE_GRACE_PLACE"], ("front", "end")),
        # issue 16: sms
        "SMS_DEVICE": _parse_sms_device(raw["QODE_SMS_DEVICE"]),
        "SMS_GAMMU": raw["QODE_SMS_GAMMU"].strip() or "gammu",
        "SMS_PER_TICKET": _parse_int("QODE_SMS_PER_TICKET", raw["QODE_SMS_PER_TICKET"], allow_off=True,
                                     maximum=100),
        "SMS_PER_DAY": _parse_int("QODE_SMS_PER_DAY", raw["QODE_SMS_PER_DAY"], allow_off=True, maximum=1000000),
        "SMS_PHONE_RATE_LIMIT": _parse_limit("QODE_SMS_PHONE_RATE_LIMIT", raw["QODE_SMS_PHONE_RATE_LIMIT"]),
        "SMS_HEALTH_SECONDS": _parse_int("QODE_SMS_HEALTH_SECONDS", raw["QODE_SMS_HEALTH_SECONDS"],
                                         maximum=86400),
        "SMS_TIMEOUT": _parse_int("QODE_SMS_TIMEOUT", raw["QODE_SMS_TIMEOUT"], maximum=600),
        # issue 16: late
        "LATE_PLACES": _parse_int("QODE_LATE_PLACES", raw["QODE_LATE_PLACES"], allow_off=True, maximum=50),
        "LATE_USES": _parse_int("QODE_LATE_USES", raw["QODE_LATE_USES"], maximum=10),
        "LATE_RATE_LIMIT": _parse_limit("QODE_LATE_RATE_LIMIT", raw["QODE_LATE_RATE_LIMIT"]),
        "LATE_QUEUE_RATE_LIMIT": _parse_limit("QODE_LATE_QUEUE_RATE_LIMIT", raw["QODE_LATE_QUEUE_RATE_LIMIT"]),
    }


# issue 16: voice
VOICE_LANGUAGES = ("en", "de", "fr", "es", "tr", "pl", "uk", "ar")


def _parse_voice_language(value: str) -> str | None:
    if is_off(value):
        return None
    word = value.strip().lower()
    if word not in VOICE_LANGUAGES:
        raise SettingError(f"QODE_VOICE_SECOND_LANGUAGE={value!r}: expected one of {' '.join(VOICE_LANGUAGES)} "
                           "or 'off'")
    return word


def _parse_voice_command(value: str) -> str:
    command = value.strip()
    if not command or any(c.isspace() for c in command):
        raise SettingError(f"QODE_VOICE_COMMAND={value!r}: expected one program, e.g. espeak-ng or "
                           "/usr/bin/espeak-ng")
    return command


def _parse_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    word = value.strip().lower()
    if word not in choices:
        raise SettingError(f"{name}={value!r}: expected {' or '.join(repr(c) for c in choices)}")
    return word


def _parse_sms_device(value: str) -> str | None:
    """issue 16: sms. The modem's device path, or None (off)."""
    value = value.strip()
    if not value or is_off(value):
        return None
    if not value.startswith("/") or "\n" in value or "=" in value:
        raise SettingError(f"QODE_SMS_DEVICE={value!r}: give the modem's device path, e.g. /dev/ttyUSB0, "
                           "or 'off'")
    return value


def _parse_http_connections(value: str) -> int:
    number = _parse_int("QODE_HTTP_CONNECTIONS", value, maximum=65536)
    if number < 16:
        raise SettingError(f"QODE_HTTP_CONNECTIONS={value!r}: must be at least 16")
    return number


def _tls_settings(raw: dict[str, str]) -> dict:
    import ipaddress

    mode = raw["QODE_STAFF_HTTPS"].strip().lower()
    if mode not in ("remote", "all", "off"):
        raise SettingError(f"QODE_STAFF_HTTPS={raw['QODE_STAFF_HTTPS']!r}: expected 'remote', 'all' or 'off'")
    staff = raw["QODE_STAFF_URL"].strip()
    staff = None if staff in ("", "(auto)") else staff.rstrip("/")
    if staff is not None and not re.fullmatch(r"https://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?", staff):
        raise SettingError(f"QODE_STAFF_URL={staff!r}: expected https://HOST[:PORT], e.g. "
                           "https://192.168.1.20:8443 (no path; staff use https)")
    ca = raw["QODE_TLS_CA_FILE"].strip()
    ca = None if ca.lower() in ("", "off") else ca
    if ca is not None and not ca.startswith("/"):
        raise SettingError(f"QODE_TLS_CA_FILE={ca!r}: give an absolute path, e.g. /etc/qode/ca.crt, or 'off'")
    proxies = raw["QODE_TRUSTED_PROXIES"].strip()
    networks = []
    if proxies.lower() != "off":
        for part in proxies.split(","):
            try:
                networks.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise SettingError(f"QODE_TRUSTED_PROXIES={proxies!r}: {part.strip()!r} is not an address "
                                   "or network (e.g. 127.0.0.0/8,::1), or use 'off'") from None
    return {"STAFF_HTTPS": mode, "STAFF_URL": staff, "TLS_CA_FILE": ca, "TRUSTED_PROXIES": tuple(networks)}
