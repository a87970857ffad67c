"""`qode kiosk`: the button, the printer and the server, for one kiosk.

It talks to the server only through the public contract: HTTP with the kiosk's device
token, and `/ws/devices/{id}` for the print jobs of the touch page and host reprints. It
may therefore run on a second box by the door.

A press:
  1. asks the printer whether it can print (DLE EOT, where the link answers). If not, no
     ticket is issued: the guest is told, and the server hears the printer's state;
  2. issues a ticket with an Idempotency-Key, retrying an unreachable server with backoff
     ("one moment") for at most QODE_KIOSK_RETRY_SECONDS: a retry never makes two tickets;
  3. prints the job that came with the ticket and acks it `done` or `failed`. A failed
     print leaves the ticket valid, and the host sees "not printed: reprint?".

A job is printed at most once per kiosk run, and never after the moment the server said it
expires (two minutes): no stale tickets come out when paper is refilled.

Printer and GPIO I/O block, so this runs in plain threads, never inside the gevent server.
"""

from __future__ import annotations

import collections
import json
import logging
import math
import queue as queues
import random
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from qode_common import http
from qode_common.patterns import is_uuid

from . import gpio, layout, printers
from .config import KioskConfig, KioskSettingError, ServiceButton

log = logging.getLogger("qode.kiosk")

HTTP_TIMEOUT = 5.0
SEEN_JOBS = 1000  # job ids remembered, so a job that arrives twice prints once
ACK_TRIES = 30  # an ack is retried with backoff for about two minutes, then dropped (and logged)
PING_SECONDS = 25
HTTPS_RETRY_SECONDS = 60.0  # a box that wants https: asked again this slowly (never with the token)
UNREACHABLE = "Sorry, the ticket system cannot be reached. No ticket was issued: please ask at the desk."


class ServerError(Exception):
    """The server answered with an error the kiosk cannot fix by retrying."""

    def __init__(self, status: int, code: str, message: str, staff_url: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.staff_url = staff_url  # with 403 https_required: the box's https address


Unreachable = http.Unreachable  # no answer from the server (down, restarting, or the network is out)


class Api:
    """The few HTTP calls the kiosk makes, with its device token."""

    def __init__(self, server: str, token: str | None):
        self.server = server
        self.token = token
        self._client = http.Client(server, timeout=HTTP_TIMEOUT)  # https: the system's CAs or SSL_CERT_FILE

    def call(self, method: str, path: str, body: dict | None = None,
             key: str | None = None, anonymous: bool = False) -> tuple[int, dict]:
        """Raises `Unreachable` for no answer and for a "not now" (5xx, 429): worth retrying;
        `ServerError` for any other refusal."""
        headers = {}
        if self.token and not anonymous:
            headers["Authorization"] = f"Bearer {self.token}"
        if key:
            headers["Idempotency-Key"] = key
        try:
            return self._client.call(method, path, body, headers)
        except http.HttpError as err:
            if err.retryable:
                raise Unreachable(f"the server answered {err.status}", "HttpError") from None
            error = err.error
            staff = error.get("staff_url")
            raise ServerError(err.status, error.get("code", "error"), error.get("message", str(err)),
                              staff if isinstance(staff, str) else None) from None


class Venue:
    """The venue's name, footer line, language and logo for the printed ticket (issue 14: brand).

    Fetched from GET /api/venue in the background and kept: printing reads what is cached and
    never waits for the server. The logo is fetched again only when its address (its version)
    changes; a logo that cannot be read, or an SVG (no renderer on the kiosk), is left off."""

    REFRESH_SECONDS = 300.0
    LOGO_MAX_BYTES = 8 * 1024 * 1024

    def __init__(self, api: Api, paper_mm: int):
        self.api, self.paper_mm = api, paper_mm
        self._lock = threading.Lock()
        self._data: dict = {}
        self._logo = None
        self._logo_url: str | None = None

    def refresh(self) -> bool:
        """Ask the server once; False when it did not answer (what is cached stays)."""
        try:
            data = self.api.call("GET", "/api/venue", anonymous=True)[1]
        except (ServerError, Unreachable):
            return False
        if not isinstance(data, dict):
            return False
        url = data.get("logo_url") if isinstance(data.get("logo_url"), str) else None
        logo, known = self._logo, self._logo_url
        if url != known:
            logo = None
            if url and data.get("logo_type") in ("image/png", "image/jpeg", "image/webp"):
                try:
                    _, body = self.api._client.get_bytes(url, self.LOGO_MAX_BYTES)
                    logo = layout.logo_raster(body, self.paper_mm)
                except (http.HttpError, Unreachable) as err:
                    log.info("venue logo not fetched: %s", err)
                    url = known  # try again at the next refresh
                    logo = self._logo
        with self._lock:
            self._data, self._logo, self._logo_url = data, logo, url
        return True

    def loop(self, stopping: threading.Event) -> None:
        while not stopping.wait(self.REFRESH_SECONDS):
            self.refresh()

    def for_ticket(self) -> dict:
        """The Ticket fields the venue gives: venue_name, footer, logo, language (None when unknown)."""
        with self._lock:
            data, logo = self._data, self._logo

        def text(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) and value.strip() else None

        return {"venue_name": text("name"), "footer": text("footer"), "logo": logo,
                "language": text("language")}


class Led:
    """An optional LED: on while printing, blinking while the printer needs attention, and
    blinking quickly while a priority press is armed (issue 15), which shows over a problem:
    the guest at the kiosk needs to know the priority press counted."""

    PROBLEM = (0.3, 0.3)  # on, off seconds
    ARMED = (0.1, 0.1)

    def __init__(self, pin: int | None, device=None):
        self._led = device  # an LED opened (and checked) already, see open_pins
        if pin is not None and device is None:
            from gpiozero import LED

            self._led = LED(pin)
        self._lock = threading.Lock()
        self._printing = self._problem = self._armed = False
        self._shown: object = None

    def _show(self) -> None:
        if not self._led:
            return
        with self._lock:
            if self._printing:
                want: object = "on"
            elif self._armed:
                want = self.ARMED
            elif self._problem:
                want = self.PROBLEM
            else:
                want = "off"
            if want == self._shown:
                return  # a blink already running is not restarted (the status loop says idle often)
            self._shown = want
            if want == "on":
                self._led.on()
            elif want == "off":
                self._led.off()
            else:
                self._led.blink(on_time=want[0], off_time=want[1])

    def printing(self) -> None:
        self._printing = True
        self._show()

    def problem(self) -> None:
        self._printing, self._problem = False, True
        self._show()

    def idle(self) -> None:
        self._printing = self._problem = False
        self._show()

    def armed(self, on: bool) -> None:
        self._armed = on
        self._show()

    def close(self) -> None:
        if self._led:
            self._led.close()


class Priority:
    """The priority button (issue 15): a press arms priority for the next service press, which
    takes it; unused, it is forgotten after `seconds` (None: it waits for the next service press).
    The LED blinks quickly while it is armed."""

    def __init__(self, seconds: float | None, led: Led, clock: Callable[[], float] = time.monotonic):
        self.seconds, self.led, self.clock = seconds, led, clock
        self._lock = threading.Lock()
        self._until: float | None = None  # armed until this clock reading; None: not armed
        self._timer: threading.Timer | None = None

    def arm(self) -> None:
        with self._lock:
            self._until = math.inf if self.seconds is None else self.clock() + self.seconds
            self._cancel_timer()
            if self.seconds is not None:  # only to stop the LED blinking; take() reads the clock itself
                self._timer = threading.Timer(self.seconds, self._expire)
                self._timer.daemon = True
                self._timer.start()
        self.led.armed(True)

    def is_armed(self) -> bool:
        with self._lock:
            return self._until is not None and self.clock() < self._until

    def take(self) -> bool:
        """Whether priority was armed (and not yet forgotten); it is not armed afterwards."""
        with self._lock:
            armed = self._until is not None and self.clock() < self._until
            was_set, self._until = self._until is not None, None
            self._cancel_timer()
        if was_set:
            self.led.armed(False)
        return armed

    def _expire(self) -> None:
        with self._lock:
            if self._until is None or self.clock() < self._until:
                return  # taken meanwhile, or armed again
            self._until = None
        log.info("priority press forgotten: no service press within %s s", self.seconds)
        self.led.armed(False)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def close(self) -> None:
        with self._lock:
            self._cancel_timer()


class Kiosk:
    def __init__(self, config: KioskConfig, say: Callable[[str], None] | None = None,
                 printer: printers.Printer | None = None, led: Led | None = None):
        self.config = config
        self.api = Api(config.server, config.token)
        self.printer = printer or printers.Printer(config.printer, config.paper_mm, config.data_dir)
        self.say = say or (lambda text: print(f"» {text}", flush=True))
        self.led = led if led is not None else Led(config.led_pin)
        self.stopping = threading.Event()
        self.device: dict | None = None
        # issue 15: the services this kiosk may issue for (GET /api/device), and which service each
        # service button (QODE_KIOSK_BUTTONS) issues for, by pin; both known after start().
        self.services: list[dict] = []
        self.buttons: dict[int, dict] = {}
        self.priority = Priority(config.priority_seconds, self.led)
        self.public_url: str | None = None
        self.staff_url: str | None = None  # the box's https address for staff, when it has one
        self._press_lock = threading.Lock()  # held by a press only: background work never blocks a guest
        self._withdrawing = 0  # presses given up on whose ticket may still turn up
        self._withdrawing_lock = threading.Lock()
        self._print_lock = threading.Lock()
        self._seen_lock = threading.Lock()
        self._seen: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._claimed_file = Path(config.data_dir) / "claimed-jobs.txt"
        self._inherited: set[str] = set()  # claimed by an earlier run that may have died mid-print
        self._jobs: queues.Queue = queues.Queue()
        self._outbox: queues.Queue = queues.Queue()
        self._reported: tuple[str, str | None] | None = None  # the state the server last accepted
        self._queued: tuple[str, str] | None = None  # the state last sent or queued, and when
        self._queued_at = 0.0
        self._drain_until = 0.0
        self._threads: list[threading.Thread] = []
        self._socket = None
        self.venue = Venue(self.api, config.paper_mm)  # issue 14: brand

    # ---- start and stop -------------------------------------------------------------

    def start(self) -> None:
        """Find out who we are (waiting for the server as long as it takes), then run the helpers."""
        health = self._wait_for(lambda: self.api.call("GET", "/healthz", anonymous=True)[1], "the server")
        if health is None:
            return
        # The address phones can open; the kiosk's own --server may be 127.0.0.1.
        self.public_url = health.get("public_url") or self.config.server
        tls = self._tls()
        if not self.config.configured:
            self.print_setup(health)
            return
        self.device = self._device(tls)
        if self.device is None:
            return
        if self.device["kind"] != "kiosk":
            raise ServerError(403, "forbidden", "That token is a display's; a kiosk needs a kiosk token.")
        if self.config.queue and self.config.queue != self.device["queue_id"]:
            raise ServerError(403, "forbidden", f"That token belongs to queue {self.device['queue_id']}, "
                                                f"not {self.config.queue}.")
        self.services = device_services(self.device)
        self.buttons = resolve_buttons(self.config.buttons, self.services)  # KioskSettingError: exit 78
        self._load_claimed()
        # Once before the first press (bounded by the HTTP timeout; the server just answered), then
        # in the background: a ticket never waits for it.
        self.venue.refresh()
        if self.buttons:
            mapping = ", ".join(f"gpio:{pin} {service.get('prefix') or ''} {service['name']}".replace("  ", " ")
                                for pin, service in self.buttons.items())
            self.say(f"Kiosk '{self.device['name']}' is ready: {mapping}.")
        else:
            self.say(f"Kiosk '{self.device['name']}' for '{self.device['queue_name']}' is ready.")
        self.report(*self.printer.check(), now=True)
        for target, name in ((self._socket_loop, "socket"), (self._job_loop, "jobs"),
                             (self._outbox_loop, "outbox"), (self._status_loop, "status"),
                             (lambda: self.venue.loop(self.stopping), "venue")):
            thread = threading.Thread(target=target, name=f"kiosk-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, drain_seconds: float = 5.0) -> None:
        """Stop, first sending what is still queued for the server (acks) for up to `drain_seconds`."""
        self._drain_until = time.monotonic() + drain_seconds
        self.stopping.set()
        self._close_socket()
        self._jobs.put(None)
        self._outbox.put(None)
        for thread in self._threads:
            thread.join(timeout=drain_seconds + 1)
        self.priority.close()
        self.led.close()

    def _wait_for(self, fetch: Callable[[], dict], what: str) -> dict | None:
        """`fetch()` until the server answers, as long as it takes (None once stopping)."""
        told = []

        def waiting(err: Exception) -> None:
            if not told:
                self.say(f"Waiting for {what} ({err})…")
                told.append(err)

        if self.stopping.is_set():
            return None
        try:
            return http.retry(fetch, http.Backoff(0.5, 10.0, jitter=(1.0, 1.5)), wait=self.stopping.wait,
                              on_failure=waiting)
        except Unreachable:
            return None

    # ---- staff on https ---------------------------------------------------------------

    def _tls(self) -> dict:
        """GET /api/tls without the token: the box's staff (https) address and QODE_STAFF_HTTPS.
        Learns `staff_url`; {} from an older box or one that does not answer."""
        try:
            info = self.api.call("GET", "/api/tls", anonymous=True)[1]
        except (ServerError, Unreachable):
            return {}
        if not isinstance(info, dict):
            return {}
        staff = info.get("staff_url")
        if isinstance(staff, str) and staff.startswith("https://"):
            self.staff_url = staff.rstrip("/")
        return info

    def _refused_here(self, tls: dict) -> bool:
        """Would the box refuse this kiosk's token at --server? Decided before the token is sent."""
        if not self.config.server.lower().startswith("http://"):
            return False
        mode = tls.get("staff_https")
        if mode == "all":
            return True
        return mode == "remote" and not _loopback(urlsplit(self.config.server).hostname or "")

    def _device(self, tls: dict) -> dict | None:
        """GET /api/device, unless the box refuses staff tokens over this plain-http address: then
        say what to do and ask again slowly, without the token, instead of exiting (systemd would
        only start the kiosk again, sending the token over plain http each time)."""
        refused = False
        while not self.stopping.is_set():
            if self._refused_here(tls) or (refused and tls.get("staff_https") != "off"):
                self._tell_https()
                if self.stopping.wait(HTTPS_RETRY_SECONDS):
                    return None
                tls = self._tls()
                continue
            try:
                return self._wait_for(lambda: self.api.call("GET", "/api/device")[1], "the server")
            except ServerError as err:
                if err.code != "https_required":
                    raise
                # Refused although it looked allowed (e.g. QODE_TRUSTED_PROXIES): the token is not sent
                # again over plain http until the box says it accepts it there (QODE_STAFF_HTTPS=off).
                refused = True
                if err.staff_url and err.staff_url.startswith("https://"):
                    self.staff_url = err.staff_url.rstrip("/")
        return None

    def _tell_https(self) -> None:
        if self.staff_url:
            where = (f"Set QODE_KIOSK_SERVER={self.staff_url} and SSL_CERT_FILE to the box's CA certificate "
                     f"(e.g. SSL_CERT_FILE=/etc/qode/ca.crt, downloaded from {self.public_url}/ca.crt: "
                     "docs/install-pi.md, step 7).")
        else:
            where = ("The box has no https address yet: run its install.sh (it sets up Caddy), or set "
                     "QODE_STAFF_HTTPS=off on the box.")
        text = (f"The box refuses this kiosk's token over plain http ({self.config.server}: 403 "
                f"https_required), where the network could overhear it. {where} "
                f"Asking again every {HTTPS_RETRY_SECONDS:.0f} s.")
        log.error("%s", text)
        if getattr(self, "_told_https", None) != text:  # on the console once; the log has every retry
            self._told_https = text
            self.say(text)

    # ---- first boot -----------------------------------------------------------------

    def setup_url(self, first_boot: bool) -> str:
        """The setup page; with the admin token only while the box has no queue at all (its first
        setup), so a kiosk added later to a box in service never prints the admin credential.
        At the box's https address when it has one: the admin token never goes over plain http."""
        url = f"{self.staff_url or self.public_url}/setup"
        if not first_boot:
            return url
        try:
            token = self.config.admin_token_file.read_text().strip()
        except OSError:
            return url
        return f"{url}#token={token}" if token and token.replace("-", "").replace("_", "").isalnum() else url

    def print_setup(self, health: dict | None = None) -> None:
        if health is None:
            try:
                health = self.api.call("GET", "/healthz", anonymous=True)[1]
            except (Unreachable, ServerError):
                health = {}
        try:
            self.printer.print_setup(self.setup_url(bool(health.get("first_boot"))))
            self.say("Not set up yet: printed a setup ticket. Scan its QR code to set up Qode.")
        except printers.PrintError as err:
            self.say(f"Not set up yet, and the setup ticket did not print: {err.detail}.")

    # ---- a press --------------------------------------------------------------------

    def home_service(self) -> dict:
        """The service a press without a choice issues for: the kiosk's line (devices.queue_id)."""
        device = self.device or {}
        return {"id": device.get("queue_id"), "name": device.get("queue_name", ""),
                "prefix": None}

    def single_service(self) -> dict | None:
        """The one service this kiosk's presses issue for, or None when its buttons offer several."""
        if not self.buttons:
            return self.home_service()
        ids = {service["id"] for service in self.buttons.values()}
        return next(iter(self.buttons.values())) if len(ids) == 1 else None

    def press(self, service: dict | None = None, priority: bool = False) -> dict | None:
        """One guest's press (for `service`, default the kiosk's line); returns the ticket issued
        (None when none was). A priority press armed before it makes it a priority ticket."""
        if not self.config.configured:
            self.print_setup()
            return None
        if not self._press_lock.acquire(blocking=False):
            log.info("press ignored: the last one is still being served")
            return None
        try:
            priority = self.priority.take() or priority  # taken even when this press issues nothing
            return self._press(service or self.home_service(), priority)
        finally:
            self._press_lock.release()

    def press_pin(self, pin: int) -> dict | None:
        """A service button's press (QODE_KIOSK_BUTTONS)."""
        service = self.buttons.get(pin)
        if service is None:
            log.info("press on gpio:%s ignored: the kiosk is not ready yet", pin)
            return None
        return self.press(service)

    def priority_press(self) -> dict | None:
        """The priority button: with one service, a priority ticket at once; with several, priority
        for the next service press (QODE_KIOSK_PRIORITY_SECONDS)."""
        if self.device is None:
            log.info("priority press ignored: the kiosk is not ready yet")
            return None
        single = self.single_service()
        if single is not None:
            return self.press(single, priority=True)
        self.priority.arm()
        self.say("Priority: now press the button of your service.")
        return None

    def _press(self, service: dict | None = None, priority: bool = False) -> dict | None:
        service = service or self.home_service()
        pressed = time.monotonic()
        self.led.printing()
        with self._print_lock:
            state, detail = self.printer.check()
        # Before the first ticket the server must know of the printer, or it issues no print job
        # and the host would never hear of a ticket that did not print.
        if not self.report(state, detail, now=self._reported is None):
            self.say(UNREACHABLE)
            self.led.idle()
            return None
        if state not in printers.PRINTABLE:
            self.led.problem()
            self.say(f"Sorry, the printer cannot print right now ({_words(state)}). No ticket was issued: "
                     "please ask at the desk.")
            return None
        key = f"kiosk-{uuid.uuid4()}"  # the same for every retry of this press
        ticket = self._issue(key, service["id"], priority)
        if ticket is None:
            self.led.idle()
            return None
        job = ticket.get("print_job")
        if job is None:  # the server did not take the printer's report: print, with nothing to ack
            log.warning("ticket %s came without a print job", ticket.get("display_number"))
            with self._print_lock:
                self._print(_ticket_from(ticket, self, job=None, service=service))
        else:
            if "priority" not in job:  # a box from before issue 15's print jobs: the ticket says it
                job = {**job, "priority": bool(ticket.get("priority"))}
            self._print_job(job, pressed)  # its life counts from the press, not from a late answer
        return ticket

    def _issue(self, key: str, queue_id: str, priority: bool = False) -> dict | None:
        told = []

        def wait(seconds: float) -> bool:
            if not told:
                self.say("One moment…")
                told.append(True)
            return self.stopping.wait(seconds)

        try:
            return http.retry(lambda: self._post_ticket(key, queue_id, priority),
                              http.Backoff(0.25, 4.0, jitter=(1.0, 1.5)),
                              deadline=time.monotonic() + self.config.retry_seconds, wait=wait,
                              on_failure=lambda err: log.warning("issuing: %s", err))
        except ServerError as err:
            self.say(f"No ticket: {err.message}")
            return None
        except Unreachable:
            pass
        self.say(UNREACHABLE)
        with self._withdrawing_lock:
            self._withdrawing += 1
        threading.Thread(target=self._withdraw, args=(key, queue_id, priority), name="kiosk-withdraw",
                         daemon=True).start()
        return None

    def _post_ticket(self, key: str, queue_id: str | None = None, priority: bool = False) -> dict:
        # `priority` only when asked: a normal press sends what every box understands (issue 15).
        body = {"priority": True} if priority else {}
        return self.api.call("POST", f"/api/queues/{queue_id or self.device['queue_id']}/tickets", body,
                             key=key)[1]

    def _withdraw(self, key: str, queue_id: str | None = None, priority: bool = False,
                  seconds: float = 600.0) -> None:
        """The guest was told "no ticket", but one of the attempts may have made one (its answer
        lost). Keep asking with the same key (the server keeps the answer for 24 h); when it comes,
        mark its job so it never prints and cancel the ticket, so no one waits for a guest who left."""
        try:
            self._withdraw_ticket(key, seconds, queue_id, priority)
        finally:
            with self._withdrawing_lock:
                self._withdrawing -= 1

    def _withdraw_ticket(self, key: str, seconds: float, queue_id: str | None = None,
                         priority: bool = False) -> None:
        try:
            ticket = http.retry(lambda: self._post_ticket(key, queue_id, priority), http.Backoff(2.0, 30.0),
                                deadline=time.monotonic() + seconds, wait=self.stopping.wait)
        except (ServerError, Unreachable):
            return  # refused (closed, paused): nothing was made; or no answer for `seconds`
        job = ticket.get("print_job")
        if job is not None:
            self._claim(job["id"])
            self._ack(job["id"], "failed", "the guest was told no ticket: the server did not answer")
        try:
            # The ticket id is its holder's capability: a cancel without credentials, as a guest's.
            self.api.call("POST", f"/api/tickets/{ticket['id']}/cancel", {}, anonymous=True)
            log.info("withdrew %s: its guest was told there was no ticket", ticket.get("display_number"))
        except (ServerError, Unreachable) as err:
            log.warning("could not withdraw %s: %s", ticket.get("display_number"), err)

    # ---- printing jobs --------------------------------------------------------------

    def _load_claimed(self) -> None:
        try:
            ids = self._claimed_file.read_text().split()
        except OSError:
            return
        for job_id in ids[-SEEN_JOBS:]:
            self._seen[job_id] = None
            self._inherited.add(job_id)

    def _claim(self, job_id: str) -> bool:
        """Take a job for printing, once; remembered on disk, so a restart does not print it again."""
        with self._seen_lock:
            if job_id in self._seen:
                return False
            self._seen[job_id] = None
            while len(self._seen) > SEEN_JOBS:
                self._seen.popitem(last=False)
            try:
                self._claimed_file.parent.mkdir(parents=True, exist_ok=True)
                temp = self._claimed_file.with_suffix(".tmp")
                temp.write_text("\n".join(list(self._seen)[-200:]) + "\n")
                temp.replace(self._claimed_file)
            except OSError as err:
                log.warning("cannot remember job %s: %s", job_id, err)
            return True

    def _print_job(self, job: dict, received: float) -> None:
        """Print a job once, unless it expired, and ack the outcome."""
        if not self._claim(job["id"]):
            if job["id"] in self._inherited:
                # An earlier run took it and stopped before saying how it went: it may or may not
                # be on paper. Say "failed", so the host can ask the guest and reprint.
                self._inherited.discard(job["id"])
                self._ack(job["id"], "failed", "the kiosk restarted while printing it")
            return
        with self._print_lock:
            if time.monotonic() >= received + job["expires_in_ms"] / 1000:
                log.info("job %s not printed: it expired", job["id"])
                error = "not printed in time; never printed late"
            else:
                error = self._print(_ticket_from(job, self, job=job))
        self._ack(job["id"], "done" if error is None else "failed", error)

    def _print(self, ticket: layout.Ticket) -> str | None:
        """Print (holding the print lock); None when the printer confirmed the ticket, else what went wrong."""
        try:
            self.printer.print_ticket(ticket)
        except Exception as err:  # noqa: BLE001 - whatever it was, the ticket did not print
            state, detail = (err.state, err.detail) if isinstance(err, printers.PrintError) else (
                printers.ERROR, f"{type(err).__name__}: {err}")
            if not isinstance(err, printers.PrintError):
                log.exception("printing %s", ticket.display_number)
            self.led.problem()
            self.report(state, detail)
            self.say(f"Sorry, your ticket {ticket.display_number} did not print ({_words(state)}). "
                     "Please ask at the desk: they can print it again.")
            return f"{state}: {detail}"[:200]
        self.led.idle()
        self.say(f"Printed {ticket.display_number}.")
        return None

    def _job_loop(self) -> None:
        while True:
            item = self._jobs.get()
            if item is None or self.stopping.is_set():
                return
            job, received = item
            try:
                # A press in progress may be about to print this very job from its own answer, and a
                # press given up on may be about to withdraw it: let them decide first. They are
                # waited for, not locked out: a guest's next press is never refused for this.
                deadline = received + job["expires_in_ms"] / 1000
                while ((self._press_lock.locked() or self._withdrawing) and time.monotonic() < deadline
                       and not self.stopping.is_set()):
                    time.sleep(0.02)
                self._print_job(job, received)
            except Exception:  # noqa: BLE001 - one bad job must not stop the printing
                log.exception("printing job %s", job.get("id"))

    # ---- talking back ---------------------------------------------------------------

    def _ack(self, job_id: str, result: str, error: str | None) -> None:
        body = {"result": result, **({"error": _clean(error)} if error else {})}
        self._outbox.put((f"/api/device/jobs/{job_id}", body))

    def report(self, state: str, detail: str, now: bool = False) -> bool:
        """Tell the server the printer's state when it changed (and every 5 minutes regardless).

        `now` sends it at once and returns whether the server took it; otherwise it is queued
        behind the acks.
        """
        state_now = (state, detail)
        if not now and self._queued == state_now and time.monotonic() - self._queued_at < 300:
            return True
        body = {"printer": state, **({"detail": _clean(detail)} if _clean(detail) else {})}
        if not now and self._threads:
            self._queued, self._queued_at = state_now, time.monotonic()
            self._outbox.put(("/api/device/status", body))
            return True
        if not self._send("/api/device/status", body, tries=1):
            return False
        self._queued, self._queued_at = state_now, time.monotonic()
        return True

    def _send(self, path: str, body: dict, tries: int = ACK_TRIES) -> bool:
        """POST, retried with backoff while the server is away; True once it was accepted."""
        try:
            http.retry(lambda: self.api.call("POST", path, body), http.Backoff(0.25, 5.0), tries=tries,
                       wait=self._drain_wait, on_failure=lambda err: log.info("%s: %s", path, err))
        except ServerError as err:
            log.warning("%s refused: %s", path, err.message)
            return False
        except Unreachable:
            log.warning("gave up sending %s", path)
            if path == "/api/device/status":
                self._queued = None  # say it again next time
            return False
        if path == "/api/device/status":
            self._reported = (body["printer"], body.get("detail"))
        return True

    def _drain_wait(self, seconds: float) -> bool:
        """A wait between tries of an ack or a report. A stop cuts it short, yet what is queued
        still goes out until the drain deadline (`stop`); True once that has passed."""
        if self.stopping.is_set():
            left = self._drain_until - time.monotonic()
            if left <= 0:
                return True
            time.sleep(min(seconds, left))
        else:
            self.stopping.wait(seconds)
        return False

    def _outbox_loop(self) -> None:
        """Acks and status reports, in order; at stop, what is queued still goes out for a moment."""
        while True:
            item = self._outbox.get()
            if item is None:
                return
            if self.stopping.is_set() and time.monotonic() > self._drain_until:
                return
            self._send(*item)

    def _status_loop(self) -> None:
        while not self.stopping.wait(self.config.status_seconds):
            if self._press_lock.locked():
                continue  # a press checks the printer itself
            with self._print_lock:  # between tickets, never during one; a press only waits a moment
                state, detail = self.printer.check()
            self.report(state, detail)
            if state in printers.PRINTABLE:
                self.led.idle()

    # ---- the device channel ---------------------------------------------------------

    def _socket_loop(self) -> None:
        """Receive print jobs (touch page, reprints) over /ws/devices/{id}; reconnect with backoff.

        Pings every 25 s: a socket whose pong does not come back (a Wi-Fi access point that
        rebooted) is closed and opened again, so no job waits on a dead connection.
        """
        from qode_common.websocket import Client, ConnectionClosed

        delay = 1.0
        url = self.config.server.replace("http", "ws", 1) + f"/ws/devices/{self.device['id']}"
        while not self.stopping.is_set():
            opened = time.monotonic()
            try:
                self._socket = ws = Client.connect(url, ping_interval=PING_SECONDS)
                ws.send(json.dumps({"type": "auth", "token": self.config.token}))
                while not self.stopping.is_set():
                    message = ws.receive(timeout=PING_SECONDS * 2)
                    if message is not None:
                        self._on_message(json.loads(message))
            except ConnectionClosed as closed:
                if closed.reason in (4401, 4403, 4404):
                    log.error("the server refused this kiosk's socket (%s): check its token", closed.reason)
                elif closed.reason == 4426:
                    log.error("the server refused this kiosk's socket over plain http (4426): use its "
                              "https address %s with SSL_CERT_FILE (docs/install-pi.md, step 7)",
                              self.staff_url or "")
            except Exception as err:  # noqa: BLE001 - any socket trouble: reconnect
                log.info("device channel: %s", err)
            finally:
                self._close_socket()
            if time.monotonic() - opened > 30:
                delay = 1.0
            if self.stopping.wait(delay + random.uniform(0, delay / 2)):
                return
            delay = min(delay * 2, 30.0)

    def _close_socket(self) -> None:
        sock, self._socket = self._socket, None
        if sock is not None:
            try:
                sock.close()
            except Exception:  # noqa: BLE001 - already closed
                pass

    def _on_message(self, message: dict) -> None:
        received = time.monotonic()
        if message.get("type") == "snapshot":
            jobs = message.get("jobs") or []
        elif message.get("type") == "print":
            jobs = [message.get("job")]
        else:
            return
        for job in jobs:
            if isinstance(job, dict) and isinstance(job.get("id"), str):
                self._jobs.put((job, received))


def _loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: the box itself."""
    import ipaddress

    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _clean(text: str | None) -> str:
    return layout.clean(text or "", 200)


def _words(state: str) -> str:
    return {
        printers.PAPER_OUT: "out of paper",
        printers.OFFLINE: "printer offline",
        printers.ERROR: "printer error",
    }.get(state, state.replace("_", " "))


def device_services(device: dict) -> list[dict]:
    """The services a kiosk may issue for, from GET /api/device (`services`, issue 15); a box from
    before lists none, and the kiosk's one line (its id and name, no prefix) is its only service."""
    listed = device.get("services")
    if isinstance(listed, list) and listed:
        return [{"id": str(s["id"]).lower(), "name": str(s.get("name") or ""), "prefix": s.get("prefix")}
                for s in listed if isinstance(s, dict) and isinstance(s.get("id"), str)]
    return [{"id": str(device.get("queue_id", "")).lower(), "name": device.get("queue_name", ""),
             "prefix": None}]


def resolve_buttons(buttons: tuple[ServiceButton, ...], services: list[dict]) -> dict[int, dict]:
    """pin -> service for QODE_KIOSK_BUTTONS, each SERVICE found by id or by prefix (letter case
    aside) among the kiosk's services. Raises KioskSettingError (the kiosk stops, exit 78): a
    service that is not the kiosk's, or a prefix that names more than one."""
    def named(service: dict) -> str:
        return f"{service.get('prefix') or '(no prefix)'} {service['name']}"

    found = {}
    for button in buttons:
        if is_uuid(button.service):
            matches = [s for s in services if s["id"] == button.service.lower()]
        else:
            matches = [s for s in services if (s.get("prefix") or "").lower() == button.service.lower()]
        setting = f"QODE_KIOSK_BUTTONS: gpio:{button.pin}={button.service}"
        if not matches:
            kind = "id" if is_uuid(button.service) else "prefix"
            known = ", ".join(named(s) for s in services)
            said = f"{setting}: no service with that {kind} among this kiosk's ({known})"
            raise KioskSettingError(said[:200], pins=True)
        if len(matches) > 1:
            raise KioskSettingError(f"{setting}: that prefix names {len(matches)} of this kiosk's services; "
                                    "give the service's id", pins=True)
        found[button.pin] = matches[0]
    return found


def _ticket_from(data: dict, kiosk: Kiosk, job: dict | None, service: dict | None = None) -> layout.Ticket:
    """The printed ticket from a job (or, without one, from the issuing answer for `service`)."""
    source = job or data
    now_in = data.get("service") if isinstance(data.get("service"), dict) else {}
    url = source.get("url") or f"{kiosk.config.server}/t/{data['id']}"
    wifi = None
    if kiosk.config.wifi_ssid:
        wifi = layout.wifi_qr(kiosk.config.wifi_ssid, kiosk.config.wifi_password,
                              "WPA" if kiosk.config.wifi_password else "nopass")
    return layout.Ticket(
        # the service's name (the service the ticket is in now); the job names it, the answer too
        queue_name=(source.get("queue_name") or now_in.get("name") or (service or {}).get("name")
                    or (kiosk.device or {}).get("queue_name", "")),
        display_number=source["display_number"],
        status_url=url,
        people_ahead=source.get("people_ahead") or 0,
        eta_seconds=source.get("eta_seconds"),
        printed_at=source.get("printed_at"),
        wifi=wifi,
        priority=bool(source.get("priority", data.get("priority", False))),
        **kiosk.venue.for_ticket(),
    )


# ---- buttons --------------------------------------------------------------------------

def run_stdin(kiosk: Kiosk) -> None:
    """Each line on standard input is a press; end of input (or `q`) stops the kiosk."""
    for line in sys.stdin:
        if kiosk.stopping.is_set() or line.strip().lower() == "q":
            return
        kiosk.press()


def run_key(kiosk: Kiosk) -> None:
    """Any key in a terminal is a press; `q` stops the kiosk."""
    import termios
    import tty

    if not sys.stdin.isatty():
        raise SystemExit("qode kiosk: --button key needs a terminal; use --button stdin for piped input")
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        print("Press any key for a ticket, q to stop.", flush=True)
        while not kiosk.stopping.is_set():
            key = sys.stdin.read(1)
            if key in ("", "q", "Q"):
                return
            kiosk.press()
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _make_button(pin: int, pin_factory=None):
    from gpiozero import Button

    return Button(pin, pull_up=True, bounce_time=0.05, pin_factory=pin_factory)


def attach_button(kiosk: Kiosk, button):
    """Presses of `button` press the kiosk; a press while one is served is ignored."""
    button.when_pressed = lambda: threading.Thread(target=kiosk.press, name="kiosk-press", daemon=True).start()
    return button


def gpio_button(kiosk: Kiosk, pin: int, pin_factory=None):
    """A push button between `pin` and ground, debounced; a press while one is served is ignored."""
    return attach_button(kiosk, _make_button(pin, pin_factory))


def attach_service_button(kiosk: Kiosk, pin: int, button):
    """Presses of a service button (QODE_KIOSK_BUTTONS) issue for its service."""
    button.when_pressed = lambda: threading.Thread(target=kiosk.press_pin, args=(pin,), name="kiosk-press",
                                                   daemon=True).start()
    return button


def attach_priority_button(kiosk: Kiosk, button):
    """Presses of the priority button (QODE_KIOSK_PRIORITY_BUTTON): see Kiosk.priority_press."""
    button.when_pressed = lambda: threading.Thread(target=kiosk.priority_press, name="kiosk-priority",
                                                   daemon=True).start()
    return button


@dataclass
class Pins:
    """The gpiozero devices of the GPIO settings, None (or empty) where not set."""

    button: object = None
    led: object = None
    services: dict = field(default_factory=dict)  # pin -> Button (QODE_KIOSK_BUTTONS)
    priority: object = None

    def close(self) -> None:
        for device in (self.button, self.priority, *self.services.values()):
            if device is not None:
                device.close()


def open_pins(config: KioskConfig) -> Pins:
    """The gpiozero devices for the gpio settings, opened before anything else runs, so a pin that
    cannot work stops the kiosk at once. Raises gpio.GpioProblem."""
    wanted = []
    if config.button == "gpio":
        wanted.append((f"QODE_KIOSK_BUTTON=gpio:{config.button_pin}", config.button_pin, _make_button))
    for button in config.buttons:  # issue 15
        wanted.append((f"QODE_KIOSK_BUTTONS=gpio:{button.pin}", button.pin, _make_button))
    if config.priority_pin is not None:
        wanted.append((f"QODE_KIOSK_PRIORITY_BUTTON=gpio:{config.priority_pin}", config.priority_pin,
                       _make_button))
    if config.led_pin is not None:
        from_led = f"QODE_KIOSK_LED=gpio:{config.led_pin}"
        if config.button == "gpio" and config.led_pin == config.button_pin:
            raise gpio.GpioProblem(f"{from_led}: the button uses GPIO {config.led_pin} already; "
                                   "give the LED another pin")
        wanted.append((from_led, config.led_pin, None))
    if not wanted:
        return Pins()
    factory = gpio.pin_factory(wanted[0][0])
    opened = []
    try:
        for setting, pin, make in wanted:
            if make is None:
                from gpiozero import LED as make  # noqa: N811
            opened.append(gpio.open_device(setting, pin, make, factory))
    except gpio.GpioProblem:
        for device in opened:
            device.close()
        if factory is not None:
            factory.close()
        raise
    by_pin = {pin: device for (_, pin, _), device in zip(wanted, opened, strict=True)}
    return Pins(button=by_pin[config.button_pin] if config.button == "gpio" else None,
                led=by_pin[config.led_pin] if config.led_pin is not None else None,
                services={button.pin: by_pin[button.pin] for button in config.buttons},
                priority=by_pin[config.priority_pin] if config.priority_pin is not None else None)


def report_stop(config: KioskConfig, message: str, seconds: float = 30.0,
                stopping: threading.Event | None = None) -> bool:
    """Tell the server why this kiosk stops (the host's kiosk card shows it), trying for at most
    `seconds` while the server is away. Silent: the caller says it once, in one line."""
    if not config.configured:
        return False  # no token: the server cannot know which kiosk this is
    api = Api(config.server, config.token)
    try:
        state, detail = printers.Printer(config.printer, config.paper_mm, config.data_dir).check()
    except Exception:  # the printer's word is a courtesy here; the error is what matters
        state, detail = printers.ERROR, "not checked: the kiosk stopped"
    body = {"printer": state, "error": _clean(message)}
    if _clean(detail):
        body["detail"] = _clean(detail)
    stopping = stopping or threading.Event()
    try:
        http.retry(lambda: api.call("POST", "/api/device/status", body), http.Backoff(0.5, 5.0),
                   deadline=time.monotonic() + seconds, wait=stopping.wait)
        return True
    except ServerError:
        return False  # a wrong token, an https-only box: nothing more to try
    except Unreachable:
        return False


def stop_for_setting(config: KioskConfig, message: str, stopping: threading.Event | None = None) -> int:
    """One line for the journal, the same for the host's dashboard, and EX_CONFIG (no restart)."""
    print(f"qode kiosk: {message}", file=sys.stderr, flush=True)
    report_stop(config, message, stopping=stopping)
    return gpio.EX_CONFIG


def run(config: KioskConfig) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        pins = open_pins(config)
    except gpio.GpioProblem as err:
        return stop_for_setting(config, str(err), stopping)
    kiosk = Kiosk(config, led=Led(config.led_pin, pins.led) if pins.led is not None else None)
    kiosk.stopping = stopping
    try:
        kiosk.start()
        if kiosk.stopping.is_set():
            return 0  # stopped while waiting for the server
        for pin, button in pins.services.items():
            attach_service_button(kiosk, pin, button)
        if pins.priority is not None:
            attach_priority_button(kiosk, pins.priority)
        if config.button == "stdin" and not config.buttons:
            run_stdin(kiosk)
        elif config.button == "key":
            run_key(kiosk)
        else:
            if pins.button is not None:
                attach_button(kiosk, pins.button)
            while not kiosk.stopping.wait(1.0):
                pass
    except ServerError as err:
        print(f"qode kiosk: {err.message}", file=sys.stderr)
        return 2
    except KioskSettingError as err:  # a service button for a service that is not this kiosk's
        return stop_for_setting(config, str(err), stopping)
    except KeyboardInterrupt:
        pass
    finally:
        pins.close()
        kiosk.stop()
    return 0

