"""Text messages from the box itself (issue 16): a USB GSM modem driven by Debian's gammu.

A guest may leave a phone number for an active ticket (`sms_phones`, its own table: never
in an event, never synced, never logged, shown masked). A trigger deletes it the moment the
ticket ends, and an ended ticket's outbox rows with it. The `Sender` (one thread, a greenlet
under gevent) wakes on every commit, plans what is due into the outbox (`sms_outbox`, one
row per ticket and kind, so each text exists once whatever is recomputed or recalled), then
sends the pending rows one by one with `gammu sendsms` in a subprocess: no serial I/O ever
happens inside a transaction or on a request. Between sends it checks the modem's SIM and
signal (`gammu getsecuritystatus`, `gammu monitor 1`) for the host dashboard.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import threading
import time
from pathlib import Path

from .clock import iso
from .db import Database, StorageFault
from .errors import Conflict, Invalid, NotFound, QodeError

log = logging.getLogger(__name__)

ACTIVE = ("WAITING", "CALLED", "SERVING")
KINDS = ("nearly", "called")
MAX_ATTEMPTS = 3  # a text the modem refused this often is given up (and counted as a failure)
RETRY_SECONDS = 20.0
ROUND_PAUSE_SECONDS = 0.5  # a burst of commits makes one planning round per pause, not one each
ERASE_CHECKPOINT_SECONDS = 5.0  # ended numbers are wiped from the WAL at most this often
PHONE_DIGITS = (6, 15)  # E.164 allows at most 15 digits; below 6 no real number exists
_SEPARATORS = re.compile(r"[\s().\-/]")

GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
           "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€")

# The texts, in the venue's language (venue.LANGUAGES). Short: UCS-2 texts (uk, ar, tr, pl)
# hold 70 characters in one message.
TEXTS = {
    "en": {"nearly": "Ticket {number}: {n} ahead of you. Please come back now.",
           "next": "Ticket {number}: you are next. Please come back now.",
           "called": "Ticket {number}: it's your turn. Please go to counter {counter}."},
    "de": {"nearly": "Nummer {number}: noch {n} vor Ihnen. Bitte kommen Sie zurück.",
           "next": "Nummer {number}: Sie sind als Nächste dran. Bitte kommen Sie zurück.",
           "called": "Nummer {number}: Sie sind dran. Bitte zu Schalter {counter}."},
    "fr": {"nearly": "Ticket {number}\u00a0: encore {n} avant vous. Revenez maintenant.",
           "next": "Ticket {number}\u00a0: vous êtes le prochain. Revenez maintenant.",
           "called": "Ticket {number}\u00a0: c'est votre tour. Allez au guichet {counter}."},
    "es": {"nearly": "Turno {number}: {n} por delante. Vuelva ahora, por favor.",
           "next": "Turno {number}: es el siguiente. Vuelva ahora, por favor.",
           "called": "Turno {number}: es su turno. Acuda al mostrador {counter}."},
    "tr": {"nearly": "Sıra {number}: önünüzde {n} kişi var. Lütfen dönün.",
           "next": "Sıra {number}: sıradaki sizsiniz. Lütfen dönün.",
           "called": "Sıra {number}: sıra sizde. Lütfen {counter} numaralı gişeye gidin."},
    "pl": {"nearly": "Numer {number}: przed Tobą {n} os. Proszę wrócić.",
           "next": "Numer {number}: jesteś następny. Proszę wrócić.",
           "called": "Numer {number}: Twoja kolej. Stanowisko {counter}."},
    "uk": {"nearly": "Талон {number}: перед вами {n}. Поверніться, будь ласка.",
           "next": "Талон {number}: ви наступні. Поверніться, будь ласка.",
           "called": "Талон {number}: ваша черга. Віконце {counter}."},
    "ar": {"nearly": "التذكرة {number}: أمامك {n}. يرجى العودة الآن.",
           "next": "التذكرة {number}: أنت التالي. يرجى العودة الآن.",
           "called": "التذكرة {number}: حان دورك. توجه إلى الشباك {counter}."},
}


# ---- the number --------------------------------------------------------------------------------

def normalize_phone(raw: object) -> str:
    """A phone number as digits with an optional leading +; 422 `invalid_phone` otherwise.

    Spaces, dots, dashes, slashes and brackets are allowed and dropped. The message never
    repeats what was sent (it could be a number: nothing about it goes to a log).
    """
    if not isinstance(raw, str):
        raise Invalid("phone: send the number as a string, e.g. \"+44 7700 900123\".", "invalid_phone")
    text = _SEPARATORS.sub("", raw.strip())
    plus = text.startswith("+")
    digits = text[1:] if plus else text
    if not digits:
        raise Invalid("phone: the number is empty.", "invalid_phone")
    if not digits.isascii() or not digits.isdigit():
        raise Invalid("phone: use digits only, with an optional + in front.", "invalid_phone")
    low, high = PHONE_DIGITS
    if not low <= len(digits) <= high:
        raise Invalid(f"phone: a number has {low} to {high} digits.", "invalid_phone")
    return ("+" if plus else "") + digits


def mask(phone: str | None) -> str | None:
    """What the host and the guest are shown: the last four digits only."""
    if not phone:
        return None
    return "•••• " + phone[-4:]


def scrub(text: str, phones: list[str]) -> str:
    """`text` (a tool's output) with every number in `phones` and any long digit run blanked."""
    for phone in phones:
        if phone:
            text = text.replace(phone, "•••").replace(phone.lstrip("+"), "•••")
    return re.sub(r"\+?\d{6,}", "•••", text)


# ---- the guest's opt-in (rules: called by the routes) --------------------------------------------

def _active_ticket(conn, ticket_id: str) -> dict:
    row = conn.execute("SELECT id, status, queue_id FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
    if row is None:
        raise NotFound("No ticket with that id.", "ticket_not_found")
    if row["status"] not in ACTIVE:
        raise Conflict("This ticket has ended: no text can be sent for it.", "ticket_ended")
    return dict(row)


def view(db: Database, ticket_id: str, available: bool) -> dict:
    """The guest's (and host's) view of a ticket's opt-in: the masked number or None."""
    with db.read() as conn:
        if conn.execute("SELECT 1 FROM tickets WHERE id = ?", (ticket_id,)).fetchone() is None:
            raise NotFound("No ticket with that id.", "ticket_not_found")
        row = conn.execute("SELECT phone FROM sms_phones WHERE ticket_id = ?", (ticket_id,)).fetchone()
    return {"available": available, "phone": mask(row["phone"]) if row else None}


def set_phone(db: Database, ticket_id: str, phone: str, available: bool) -> dict:
    """Keep `phone` for the active ticket (replacing an earlier one); texts follow from it."""
    with db.write() as conn:
        ticket = _active_ticket(conn, ticket_id)
        conn.execute(
            "INSERT INTO sms_phones (ticket_id, phone, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (ticket_id) DO UPDATE SET phone = excluded.phone",
            (ticket["id"], phone, iso(db.clock.now())),
        )
        # A text already planned for the old number goes to the new one (the row holds no number).
    return view(db, ticket_id, available)


def clear_phone(db: Database, ticket_id: str, available: bool) -> dict:
    """Forget the ticket's number (the guest changed their mind): nothing more is sent."""
    with db.write() as conn:
        if conn.execute("SELECT 1 FROM tickets WHERE id = ?", (ticket_id,)).fetchone() is None:
            raise NotFound("No ticket with that id.", "ticket_not_found")
        conn.execute("DELETE FROM sms_phones WHERE ticket_id = ?", (ticket_id,))
        conn.execute("DELETE FROM sms_outbox WHERE ticket_id = ? AND status = 'pending'", (ticket_id,))
    return view(db, ticket_id, available)


# ---- planning: what is due, written once per ticket and kind --------------------------------------

def text_for(kind: str, language: str | None, number: str, ahead: int = 0, counter: str | None = None) -> str:
    texts = TEXTS.get(language or "en", TEXTS["en"])
    if kind == "nearly" and ahead == 0:
        kind = "next"
    return texts[kind].format(number=number, n=ahead, counter=counter or "1")


def plan(db: Database, per_ticket: int | None, per_day: int | None) -> dict:
    """Write the texts now due into the outbox; returns {"planned": n, "capped": n}.

    "nearly" when a waiting ticket has the queue's `nearly_up` or fewer ahead; "called" when it
    is called (or serving: the call was quicker than this loop). One row per ticket and kind
    (UNIQUE), so a recall, a requeue or a recomputation never makes a second text. The caps
    count rows: per ticket (both kinds) and per service day (the box's sends).
    """
    from . import tickets, venue

    with db.read() as conn:
        rows = conn.execute(
            "SELECT p.ticket_id, t.status, q.* FROM sms_phones p JOIN tickets t ON t.id = p.ticket_id"
            " JOIN queues q ON q.id = t.queue_id WHERE t.status IN ('WAITING','CALLED','SERVING')"
        ).fetchall()
        done = {(r["ticket_id"], r["kind"]) for r in conn.execute("SELECT ticket_id, kind FROM sms_outbox")}
    if not rows:
        return {"planned": 0, "capped": 0}
    language = venue.public(db).get("language") or "en"
    due = []
    for row in rows:
        queue = dict(row)
        # issue 16 "nearly": the per-service N; 0 means "only when called", so no "nearly" text
        nearly_up = queue["nearly_up"] if queue.get("nearly_up") is not None else 3
        if (row["ticket_id"], "called") in done:
            continue
        if row["status"] == "WAITING" and (row["ticket_id"], "nearly") in done:
            continue  # nothing more is due until it is called: no need to read its place
        try:
            ticket = tickets.get(db, row["ticket_id"])
        except QodeError:
            continue  # gone meanwhile
        if ticket["status"] in ("CALLED", "SERVING"):
            due.append((ticket, "called", text_for("called", language, ticket["display_number"],
                                                   counter=ticket["counter"])))
        elif (ticket["status"] == "WAITING" and nearly_up > 0 and ticket["people_ahead"] <= nearly_up
              and (row["ticket_id"], "nearly") not in done):
            due.append((ticket, "nearly", text_for("nearly", language, ticket["display_number"],
                                                   ahead=ticket["people_ahead"])))
    planned = capped = 0
    if not due:
        return {"planned": 0, "capped": 0}
    day = db.clock.service_day()
    now = iso(db.clock.now())
    with db.write() as conn:
        for ticket, kind, body in due:
            if conn.execute("SELECT 1 FROM sms_phones p JOIN tickets t ON t.id = p.ticket_id"
                            " WHERE p.ticket_id = ? AND t.status IN ('WAITING','CALLED','SERVING')",
                            (ticket["id"],)).fetchone() is None:
                continue  # ended or opted out since the read
            status = "pending"
            mine = conn.execute("SELECT COUNT(*) FROM sms_outbox WHERE ticket_id = ? AND status != 'capped'",
                                (ticket["id"],)).fetchone()[0]
            # the day's sends so far, and what is waiting to go (sent rows are counted in sms_days)
            today = conn.execute("SELECT COUNT(*) FROM sms_outbox WHERE service_day = ? AND status = 'pending'",
                                 (day,)).fetchone()[0]
            today += conn.execute("SELECT COALESCE(SUM(sent), 0) FROM sms_days WHERE service_day = ?",
                                  (day,)).fetchone()[0]
            if (per_ticket is not None and mine >= per_ticket) or (per_day is not None and today >= per_day):
                status = "capped"
            cursor = conn.execute(
                "INSERT OR IGNORE INTO sms_outbox (ticket_id, kind, body, status, attempts, service_day,"
                " created_at) VALUES (?, ?, ?, ?, 0, ?, ?)",
                (ticket["id"], kind, body, status, day, now),
            )
            if cursor.rowcount:
                planned += status == "pending"
                capped += status == "capped"
    return {"planned": planned, "capped": capped}


# ---- the modem -----------------------------------------------------------------------------------

class ModemError(Exception):
    """gammu could not do it; the message is safe to show (numbers scrubbed)."""


class Modem:
    """gammu, one command at a time, with a gammurc naming the device (`connection = at`)."""

    def __init__(self, device: str, rc_dir: Path, gammu: str = "gammu", timeout: float = 60.0):
        self.device = device
        self.gammu = gammu
        self.timeout = timeout
        rc_dir.mkdir(parents=True, exist_ok=True)
        self.rc = rc_dir / "gammurc"
        # No log file: gammu's debug log would hold the numbers.
        self.rc.write_text(f"[gammu]\ndevice = {device}\nconnection = at\n", encoding="utf-8")

    def present(self) -> bool:
        return os.path.exists(self.device)

    def run(self, *args: str, secret: str | None = None, check: bool = True) -> str:
        try:
            done = subprocess.run([self.gammu, "-c", str(self.rc), *args], capture_output=True,
                                  timeout=self.timeout, check=False, stdin=subprocess.DEVNULL)
        except FileNotFoundError:
            raise ModemError(f"{self.gammu} is not installed (apt install gammu)") from None
        except subprocess.TimeoutExpired:
            raise ModemError(f"gammu gave no answer within {self.timeout:.0f} s") from None
        out = (done.stdout + done.stderr).decode("utf-8", "replace")
        if done.returncode != 0 and check:
            lines = [line.strip() for line in out.splitlines()
                     if line.strip() and "Ctrl+C" not in line and "Press" not in line]
            raise ModemError(scrub("; ".join(lines[-2:]) or f"gammu exited with {done.returncode}",
                                   [secret] if secret else []))
        return out

    def send(self, phone: str, text: str) -> None:
        args = ["sendsms", "TEXT", phone, "-textutf8", text]
        if not set(text) <= GSM7:
            args.append("-unicode")  # UCS-2: Cyrillic, Arabic, Turkish and Polish letters
        self.run(*args, secret=phone)

    def health(self) -> dict:
        """SIM state and signal level, as the modem reports them."""
        out = self.run("getsecuritystatus")
        sim = "ready" if "Nothing to enter" in out else ("pin" if "PIN" in out or "PUK" in out else "unknown")
        signal = None
        # gammu 1.42 ends `monitor` non-zero on many modems (unsupported extras): read what it said
        monitor = self.run("monitor", "1", check=False)
        found = re.search(r"Network level\s*:\s*(\d+)\s*percent", monitor)
        if found:
            signal = int(found.group(1))
        return {"sim": sim, "signal": signal}


# ---- the sender ---------------------------------------------------------------------------------

class Sender:
    """Plans and sends, one text at a time, on its own thread; `status()` is the host's view."""

    def __init__(self, db: Database, settings: dict):
        self.db = db
        self.device = settings["SMS_DEVICE"]
        self.per_ticket = settings["SMS_PER_TICKET"]
        self.per_day = settings["SMS_PER_DAY"]
        self.health_seconds = settings["SMS_HEALTH_SECONDS"]
        self.modem = Modem(self.device, Path(settings["DATA_DIR"]) / "sms", settings["SMS_GAMMU"],
                           float(settings["SMS_TIMEOUT"]))
        self.on_change = None  # the app's host nudge: a change of health shows at once
        self._wake = threading.Event()
        db.on_commit.append(self._wake.set)
        self._lock = threading.Lock()
        self._started = False
        self._stop = threading.Event()
        self._health: dict = {"sim": None, "signal": None}
        self._checked_at: float | None = None
        self._checked_iso: str | None = None
        self._last_error: str | None = None
        self._last_error_at: str | None = None
        self._last_sent_at: str | None = None
        self._erased_at = 0.0
        self._phones_seen = 0

    @property
    def available(self) -> bool:
        """Guests are offered texts only while the modem's device exists."""
        return self.modem.present()

    def start(self) -> Sender:
        with self._lock:
            if not self._started:
                self._started = True
                self._wake.set()  # a first round at once: the modem's health, texts left from before
                threading.Thread(target=self._run, name="qode-sms", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def status(self) -> dict:
        """For the host dashboard: modem present, SIM, signal, texts sent and failed today."""
        # The state first, the counts after: the sender saves a count before it shows the state
        # it brings, so a read racing the sender never shows a state ahead of its count.
        last_error, last_error_at, last_sent_at = self._last_error, self._last_error_at, self._last_sent_at
        health, checked_at, checked_iso = self._health, self._checked_at, self._checked_iso
        present = self.modem.present()
        day = self.db.clock.service_day()
        with self.db.read() as conn:
            row = conn.execute("SELECT sent, failed FROM sms_days WHERE service_day = ?", (day,)).fetchone()
            pending = conn.execute("SELECT COUNT(*) FROM sms_outbox WHERE status = 'pending'").fetchone()[0]
            capped = conn.execute("SELECT COUNT(*) FROM sms_outbox WHERE status = 'capped' AND service_day = ?",
                                  (day,)).fetchone()[0]
        sim, signal = health.get("sim"), health.get("signal")
        if not present:
            state = "missing"
        elif last_error is not None:
            state = "error"
        elif sim not in (None, "ready"):
            state = "sim"
        elif signal is not None and signal == 0:
            state = "no_signal"
        elif checked_at is None:
            state = "unknown"
        else:
            state = "ok"
        return {"enabled": True, "state": state, "present": present, "sim": sim, "signal": signal,
                "sent_today": row["sent"] if row else 0, "failed_today": row["failed"] if row else 0,
                "pending": pending, "capped_today": capped, "last_error": last_error,
                "last_error_at": last_error_at, "last_sent_at": last_sent_at,
                "checked_at": checked_iso, "per_day": self.per_day}

    # ---- the loop ----
    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=RETRY_SECONDS)
            self._wake.clear()
            try:
                self.step()
            except StorageFault as err:
                log.warning("sms: the box cannot save (%s); trying again later", err.reason)
            except Exception:  # noqa: BLE001 - the sender must outlive any one bad round
                log.exception("sms: round failed")
            time.sleep(ROUND_PAUSE_SECONDS)

    def step(self) -> int:
        """One round: plan, erase ended numbers from the files, check health when due, send."""
        before = self.status()["state"]
        plan(self.db, self.per_ticket, self.per_day)
        self._erase_ended()
        if self.modem.present() and (self._checked_at is None
                                     or time.monotonic() - self._checked_at >= self.health_seconds):
            self.check_health()
        sent = self.send_pending()
        if self.status()["state"] != before and self.on_change is not None:
            self.on_change()
        return sent

    def check_health(self) -> dict:
        try:
            self._health = self.modem.health()
        except ModemError as err:
            self._health = {"sim": None, "signal": None}
            self._error(str(err))
        self._checked_at = time.monotonic()
        self._checked_iso = iso(self.db.clock.now())
        return self._health

    def _error(self, message: str) -> None:
        self._last_error = message
        self._last_error_at = iso(self.db.clock.now())
        log.warning("sms: modem: %s", message)

    def send_pending(self) -> int:
        sent = 0
        while not self._stop.is_set():
            with self.db.read() as conn:
                row = conn.execute(
                    "SELECT o.id, o.body, o.attempts, o.service_day, p.phone FROM sms_outbox o"
                    " JOIN sms_phones p ON p.ticket_id = o.ticket_id"
                    " WHERE o.status = 'pending' AND (o.retry_at IS NULL OR o.retry_at <= ?)"
                    " ORDER BY o.id LIMIT 1", (time.time(),)).fetchone()
            if row is None or not self.modem.present():
                return sent
            try:
                self.modem.send(row["phone"], row["body"])  # outside any transaction
            except ModemError as err:
                attempts = row["attempts"] + 1
                try:
                    with self.db.write() as conn:
                        if attempts >= MAX_ATTEMPTS:
                            conn.execute("UPDATE sms_outbox SET status = 'failed', attempts = ?, error = ?"
                                         " WHERE id = ?", (attempts, str(err)[:200], row["id"]))
                        else:
                            conn.execute("UPDATE sms_outbox SET attempts = ?, error = ?, retry_at = ?"
                                         " WHERE id = ?",
                                         (attempts, str(err)[:200], time.time() + RETRY_SECONDS, row["id"]))
                        self._count(conn, row["service_day"], "failed")
                finally:  # shown once counted: the dashboard never reads "error" with 0 failed
                    self._error(str(err))
                if self.on_change is not None:
                    self.on_change()
                return sent
            sent_at = iso(self.db.clock.now())
            with self.db.write() as conn:
                conn.execute("UPDATE sms_outbox SET status = 'sent', attempts = attempts + 1, error = NULL,"
                             " sent_at = ? WHERE id = ?", (sent_at, row["id"]))
                self._count(conn, row["service_day"], "sent")
            self._last_error, self._last_sent_at = None, sent_at  # as above: shown once counted
            sent += 1
        return sent

    @staticmethod
    def _count(conn, day: str, column: str) -> None:
        conn.execute(f"INSERT INTO sms_days (service_day, {column}) VALUES (?, 1) ON CONFLICT (service_day)"
                     f" DO UPDATE SET {column} = {column} + 1", (day,))

    def _erase_ended(self) -> None:
        """After numbers were deleted (tickets ended), wipe them from the WAL file too.

        secure_delete zeroes a deleted row in its page; the older copies of that page in the
        WAL go when the WAL is checkpointed and truncated. At most every few seconds.
        """
        with self.db.read() as conn:
            erased = conn.execute("SELECT erased FROM sms_erased WHERE id = 1").fetchone()[0]
        if erased == self._phones_seen or time.monotonic() - self._erased_at < ERASE_CHECKPOINT_SECONDS:
            return
        self._erased_at = time.monotonic()
        if self.db.checkpoint("TRUNCATE")[0] == 0:  # 1: a reader was in the way; the next round retries
            self._phones_seen = erased


def of(app) -> Sender | None:
    """The app's sender, or None when no modem is configured (the feature is off)."""
    return app.extensions.get("qode_sms")
