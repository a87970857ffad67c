"""Spoken calls for the TV (issue 16): "Ticket A, 42, please go to counter 2", made on the box.

An announcement is made from the call alone (the ticket's prefix and number, the counter), in the
venue's language and optionally a second one (`QODE_VOICE_SECOND_LANGUAGE`), by one of two
sources per language:

- **recorded clips** a venue drops in `<data-dir>/voice/clips/<lang>/` (docs/voice.md): the box
  stitches `ticket.wav`, `letter_a.wav`…, the digits and `counter.wav` together. Every clip must
  have the same sample format; a missing or odd clip is a `ClipError` naming it, logged, and that
  language falls back to espeak-ng;
- **espeak-ng** (Debian; voices for all eight languages): SSML, the prefix spelled letter by letter
  (`say-as characters`), the number as a number.

espeak-ng runs as a subprocess, with a time limit, at most `QODE_VOICE_CONCURRENCY` at once, and
under gevent through `gevent.subprocess`, so the worker keeps answering while it runs. Every
announcement is cached as a WAV under `<data-dir>/voice/cache/`, named by a hash of everything it
is made from, and the cache is kept under `QODE_VOICE_CACHE_BYTES` and `QODE_VOICE_CACHE_AGE`.
Only a current call can be spoken (the route looks the call up by its seq): nobody can make the
box say arbitrary text.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import sqlite3
import tempfile
import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from .errors import NotFound, QodeError

log = logging.getLogger(__name__)

LANGUAGES = ("en", "de", "fr", "es", "tr", "pl", "uk", "ar")  # as venue.LANGUAGES
ENGINE_VERSION = "1"  # part of every cache key: bump when the wording or the stitching changes
PAUSE_BETWEEN_LANGUAGES = 0.5  # seconds of silence between the first and the second language

# The words around the number and the counter, per language. `{counter}` is the counter's name as
# the host typed it ("2", "Desk B"); the number comes between the first part and the second.
PHRASES: dict[str, tuple[str, str]] = {
    "en": ("Ticket", "please go to counter {counter}."),
    "de": ("Nummer", "bitte zu Schalter {counter}."),
    "fr": ("Numéro", "veuillez vous présenter au guichet {counter}."),
    "es": ("Número", "por favor, acuda al mostrador {counter}."),
    "tr": ("Numara", "lütfen gişe {counter}."),
    "pl": ("Numer", "proszę podejść do stanowiska {counter}."),
    "uk": ("Номер", "підійдіть, будь ласка, до віконця {counter}."),
    "ar": ("الرقم", "يرجى التوجه إلى الشباك {counter}."),
}
NO_COUNTER = {  # a call at no counter: the number alone, then this
    "en": "please come forward.", "de": "bitte kommen Sie.", "fr": "veuillez vous présenter.",
    "es": "por favor, acérquese.", "tr": "lütfen gelin.", "pl": "proszę podejść.",
    "uk": "підійдіть, будь ласка.", "ar": "يرجى التقدم.",
}
SAMPLE = ("A", 42, "2")  # the call "test the voice" says
# espeak-ng's voice per language: its American English is clearer than its default (British) one,
# and it is what an offline recognizer's English model hears best (tests/test_voice.py).
VOICES = {"en": "en-us"}


class VoiceError(QodeError):
    status = 503
    code = "voice_failed"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message, code, headers={"Retry-After": "5"})


class ClipError(ValueError):
    """A venue's recorded clips cannot make this call: which clip is missing or does not match."""


@dataclass(frozen=True)
class Call:
    """What is spoken: the prefix ("A", may be empty or hold digits), the number, the counter."""
    prefix: str
    number: int
    counter: str | None

    @property
    def display(self) -> str:
        return f"{self.prefix}{self.number:03d}"


# ---- which call ------------------------------------------------------------------------------

def current_call(conn: sqlite3.Connection, queue: dict, seq: int) -> Call:
    """The call the public state lists with this `seq` (a CALLED or SERVING ticket of today whose
    latest call or recall is that event), or 404: nothing else can be spoken."""
    row = conn.execute(
        "SELECT t.position_number, t.counter, issuer.prefix FROM events e JOIN tickets t ON t.id = e.ticket_id"
        " LEFT JOIN queues issuer ON issuer.id = t.issued_queue_id"
        " WHERE e.seq = ? AND e.type IN ('call', 'recall') AND t.queue_id = ? AND t.service_day = ?"
        " AND t.status IN ('CALLED', 'SERVING')"
        " AND e.seq = (SELECT MAX(x.seq) FROM events x WHERE x.ticket_id = t.id"
        " AND x.type IN ('call', 'recall'))",
        (seq, queue["id"], queue["service_day"]),
    ).fetchone()
    if row is None:
        raise NotFound("That is not a current call of this queue (it may have ended).", "call_not_found")
    prefix = queue["prefix"] if row[2] is None else row[2]
    return Call(prefix, int(row[0]), row[1])


# ---- the words -------------------------------------------------------------------------------

def ssml(call: Call, language: str) -> str:
    """The announcement as SSML for espeak-ng: the prefix spelled, the number said as a number."""
    ticket, then = PHRASES[language]
    parts = [escape(ticket)]
    if call.prefix:
        parts.append(f'<say-as interpret-as="characters">{escape(call.prefix)}</say-as>,')
    parts.append(f"{call.number},")
    if call.counter:
        parts.append(escape(then.format(counter=call.counter)))
    else:
        parts.append(escape(NO_COUNTER[language]))
    return f'<speak xml:lang="{language}">{" ".join(parts)}</speak>'


def clip_names(call: Call) -> list[str]:
    """The clips that say `call`, in order (docs/voice.md): ticket, each prefix character, the
    number's digits, counter, each character of the counter's name (or `forward` with no counter)."""
    names = ["ticket", *(_char_clip(c) for c in call.prefix), *str(call.number)]
    if call.counter:
        names.append("counter")
        names += [_char_clip(c) for c in call.counter if not c.isspace()]
    else:
        names.append("forward")
    return names


def _char_clip(char: str) -> str:
    if char.isdigit() and char.isascii():
        return char
    if char.isascii() and char.isalpha():
        return f"letter_{char.lower()}"
    raise ClipError(f"no clip can say {char!r} (clips cover the digits 0-9 and the letters a-z)")


# ---- making the audio ------------------------------------------------------------------------

def _subprocess():
    """gevent's subprocess under the gevent worker (the worker keeps serving while it waits),
    the standard one elsewhere (tests, the CLI)."""
    from .db import under_gevent

    if under_gevent():
        import gevent.subprocess

        return gevent.subprocess
    import subprocess

    return subprocess


def espeak(text: str, language: str, command: str = "espeak-ng", timeout: float | None = 10.0) -> bytes:
    """`text` (SSML) spoken by espeak-ng in `language`: a WAV file's bytes. VoiceError when it
    fails or takes longer than `timeout` seconds (the process is killed)."""
    sp = _subprocess()
    try:
        scratch = tempfile.TemporaryDirectory(prefix="qode-voice-")
    except OSError as err:  # a full or read-only /tmp: a clear 503, never a 500
        raise VoiceError(f"The box has no room to make an announcement ({err.strerror}).") from None
    with scratch as folder:
        out = Path(folder) / "say.wav"
        try:
            done = sp.run([command, "-m", "-v", VOICES.get(language, language), "-w", str(out), "--stdin"],
                          input=text.encode(),
                          stdout=sp.DEVNULL, stderr=sp.PIPE, timeout=timeout, check=False)
        except sp.TimeoutExpired:
            raise VoiceError(f"espeak-ng took longer than {timeout:g} s.", "voice_timeout") from None
        except OSError as err:
            raise VoiceError(f"espeak-ng could not be started ({err.strerror}).") from None
        if done.returncode != 0 or not out.is_file():
            detail = done.stderr.decode(errors="replace").strip()[:200]
            raise VoiceError(f"espeak-ng failed ({done.returncode}): {detail or 'no output'}")
        return out.read_bytes()


@dataclass(frozen=True)
class Audio:
    """Samples and their format, as `wave` reads them."""
    channels: int
    width: int
    rate: int
    frames: bytes

    @classmethod
    def read(cls, data: bytes | Path, name: str = "audio") -> Audio:
        try:
            with wave.open(str(data) if isinstance(data, Path) else io.BytesIO(data), "rb") as w:
                return cls(w.getnchannels(), w.getsampwidth(), w.getframerate(), w.readframes(w.getnframes()))
        except (wave.Error, EOFError, OSError) as err:
            raise ClipError(f"{name} is not a PCM WAV file ({err})") from None

    @property
    def format(self) -> tuple[int, int, int]:
        return self.channels, self.width, self.rate

    def silence(self, seconds: float) -> bytes:
        return b"\0" * (int(self.rate * seconds) * self.channels * self.width)

    def wav(self) -> bytes:
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(self.channels)
            w.setsampwidth(self.width)
            w.setframerate(self.rate)
            w.writeframes(self.frames)
        return buf.getvalue()


def stitch(folder: Path, names: list[str]) -> Audio:
    """The clips `names` (`<name>.wav` in `folder`) one after the other, or ClipError naming the
    first missing clip or the first whose sample format differs from the first clip's."""
    missing = [f"{n}.wav" for n in names if not (folder / f"{n}.wav").is_file()]
    if missing:
        raise ClipError(f"{folder} has no {', '.join(dict.fromkeys(missing))}")
    first: Audio | None = None
    frames = []
    for name in names:
        clip = Audio.read(folder / f"{name}.wav", f"{folder / name}.wav")
        if first is None:
            first = clip
        elif clip.format != first.format:
            raise ClipError(f"{folder / name}.wav is {_fmt(clip.format)}, but {names[0]}.wav is "
                            f"{_fmt(first.format)}: every clip must have the same sample format")
        frames.append(clip.frames)
    assert first is not None
    return Audio(first.channels, first.width, first.rate, b"".join(frames))


def _fmt(f: tuple[int, int, int]) -> str:
    return f"{f[0]} channel(s), {8 * f[1]}-bit, {f[2]} Hz"


def join(parts: list[Audio]) -> Audio:
    """Languages one after the other with a pause; a part in another format is made to match the
    first (espeak-ng's voices share one, 22050 Hz mono 16-bit; a venue's clips may not)."""
    first = parts[0]
    frames = [first.frames]
    for part in parts[1:]:
        frames += [first.silence(PAUSE_BETWEEN_LANGUAGES), convert(part, first).frames]
    return Audio(first.channels, first.width, first.rate, b"".join(frames))


def convert(part: Audio, like: Audio) -> Audio:
    """`part` in `like`'s format, with sox (only when the formats differ)."""
    if part.format == like.format:
        return part
    sp = _subprocess()
    try:
        done = sp.run(["sox", "-t", "wav", "-", "-c", str(like.channels), "-b", str(8 * like.width),
                       "-r", str(like.rate), "-t", "wav", "-"], input=part.wav(), stdout=sp.PIPE,
                      stderr=sp.PIPE, timeout=10, check=False)
    except (OSError, sp.TimeoutExpired):
        raise VoiceError("sox could not convert a clip to the first language's sample format.") from None
    if done.returncode != 0:
        raise VoiceError("sox could not convert a clip to the first language's sample format.")
    out = Audio.read(done.stdout)
    return Audio(like.channels, like.width, like.rate, out.frames)


# ---- the voice of one box --------------------------------------------------------------------

class Voice:
    """Announcements for one app: its settings, its clip folder, its cache and its synth slots."""

    def __init__(self, data_dir: Path, settings: dict):
        self.root = Path(data_dir) / "voice"
        self.clips = self.root / "clips"
        self.cache = self.root / "cache"
        self.enabled = settings.get("VOICE", True)
        self.second = settings.get("VOICE_SECOND_LANGUAGE")
        self.command = settings.get("VOICE_COMMAND", "espeak-ng")
        self.timeout = settings.get("VOICE_TIMEOUT", 10)
        self.concurrency = settings.get("VOICE_CONCURRENCY", 2)
        self.cache_bytes = settings.get("VOICE_CACHE_BYTES", 32 * 1024 * 1024)
        self.cache_age = settings.get("VOICE_CACHE_AGE", 7 * 86400)
        self._slots = None
        self._making: dict[str, object] = {}  # cache key -> an Event: one synth per key at a time

    def slots(self):
        # Made on first use, after gevent patched threading: a gevent semaphore in the worker.
        if self._slots is None and self.concurrency is not None:
            self._slots = threading.BoundedSemaphore(self.concurrency)
        return self._slots

    def languages(self, venue_language: str | None) -> list[str]:
        first = venue_language if venue_language in LANGUAGES else "en"
        return [first] + ([self.second] if self.second and self.second != first else [])

    def _clip_signature(self, language: str) -> str:
        folder = self.clips / language
        try:
            if not folder.is_dir():
                return "-"
            return ";".join(f"{p.name}:{s.st_size}:{s.st_mtime_ns}" for p in sorted(folder.glob("*.wav"))
                            if (s := p.stat()))
        except OSError:  # clips being copied in or removed right now: this call is not cached
            return f"changing-{time.monotonic_ns()}"

    def key(self, call: Call, languages: list[str]) -> str:
        text = "|".join([ENGINE_VERSION, self.command, call.prefix, str(call.number), call.counter or "",
                         *(f"{lang}={self._clip_signature(lang)}" for lang in languages)])
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def announce(self, call: Call, venue_language: str | None) -> tuple[str, Path]:
        """The announcement of `call`: (its cache key, the WAV file), made when not cached."""
        languages = self.languages(venue_language)
        key = self.key(call, languages)
        path = self.cache / f"{key}.wav"
        if path.is_file():
            return key, path
        pending = self._making.get(key)
        if pending is not None:  # the same call is being made now (two screens): wait for it
            pending.wait(self.timeout)
            if path.is_file():
                return key, path
        done = threading.Event()
        self._making[key] = done
        try:
            slots = self.slots()
            if slots is not None and not slots.acquire(timeout=self.timeout):
                raise VoiceError("The box is busy making other announcements. Try again in a moment.",
                                 "voice_busy")
            try:
                started = time.monotonic()
                audio = join([self.make(call, lang) for lang in languages])
                log.info("voice: %s at %s in %s, %.2f s", call.display, call.counter, "+".join(languages),
                         time.monotonic() - started)
            finally:
                if slots is not None:
                    slots.release()
            try:
                self._store(path, audio.wav())
            except OSError as err:  # a full or read-only card: the TV chimes instead; a 503, not a 500
                log.warning("voice: could not keep the announcement in %s (%s)", self.cache, err.strerror)
                raise VoiceError(f"The box could not keep the announcement ({err.strerror}).") from None
        finally:
            self._making.pop(key, None)
            done.set()
        return key, path

    def make(self, call: Call, language: str) -> Audio:
        """One language's announcement: the venue's clips when it has a folder for it and they
        say this call, else espeak-ng."""
        folder = self.clips / language
        if folder.is_dir():
            try:
                return stitch(folder, clip_names(call))
            except ClipError as err:
                log.warning("voice clips for %s cannot say %s (%s); espeak-ng speaks instead",
                            language, call.display, err)
        try:
            return Audio.read(espeak(ssml(call, language), language, self.command, self.timeout), "espeak-ng")
        except ClipError:
            raise VoiceError("espeak-ng did not write a WAV file.") from None

    def _store(self, path: Path, data: bytes) -> None:
        self.cache.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.cache, prefix=".part-", suffix=".wav")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        self.prune(keep=path)

    def prune(self, keep: Path | None = None, now: float | None = None) -> int:
        """Delete cached announcements older than the age limit, then the oldest until the cache
        is under its byte limit (never `keep`, the one just made). Returns how many it deleted."""
        now = time.time() if now is None else now
        files = []
        for p in self.cache.glob("*.wav"):
            try:
                st = p.stat()
            except FileNotFoundError:
                continue
            files.append((st.st_mtime, st.st_size, p))
        files.sort()
        total, deleted = sum(f[1] for f in files), 0
        for mtime, size, p in files:
            old = self.cache_age is not None and now - mtime > self.cache_age
            big = self.cache_bytes is not None and total > self.cache_bytes
            if p == keep or not (old or big):
                continue
            try:
                p.unlink()
            except FileNotFoundError:
                pass
            total -= size
            deleted += 1
        return deleted


SEQ = re.compile(r"^[0-9]{1,15}$")


def parse_seq(raw: str) -> int:
    """A call's seq from the path: digits only, or 404 (like an unknown one)."""
    if not SEQ.match(raw):
        raise NotFound("That is not a current call of this queue.", "call_not_found")
    return int(raw)
