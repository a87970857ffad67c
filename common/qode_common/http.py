"""Qode's one HTTP client: JSON over HTTP(S) with the contract's error shape, and one retry policy.

Two parts of Qode call out over HTTP: the box pushing its event log to the hub
(`qode.sync`) and the kiosk daemon calling its server (`qode_kiosk.daemon`). Both use this
module: `Client` makes one call and sorts every outcome into an answer, an `HttpError`
(the server answered with an error status) or `Unreachable` (no usable answer); `Backoff`
and `retry` are the one place where waiting between attempts is decided.

Why a small shared helper on the standard library, and not urllib3's `Retry` or httpx:

- The waits between attempts belong to the caller, not to the library. The kiosk waits on
  its stop event (SIGTERM must not sit out a sleeping retry), keeps sending acks for a few
  seconds after a stop, tells the guest "One moment…" before the first wait, and gives a
  press a deadline (QODE_KIOSK_RETRY_SECONDS). The sync never waits at all: a failed push
  returns at once and the next scheduler run tries again after the back-off, so nothing on
  the box ever waits for the hub. urllib3's `Retry` sleeps inside `urlopen`, on a plain
  `time.sleep`, with no deadline and no hook between attempts; every one of these
  behaviours would be a subclass overriding its internals.
- Stdlib `urllib` keeps the kiosk's and the box's dependencies as they are, verifies TLS
  the same way (the system's CAs, `SSL_CERT_FILE`, or a given CA file), and runs
  unchanged under gevent's monkey-patching.

What retries: `Unreachable` (refused, reset, timed out, DNS, TLS, a body that is not JSON)
and an `HttpError` that is `retryable` (5xx and 429: the server is restarting, overloaded,
or cannot save right now); the kiosk turns those into `Unreachable` too, while the sync
retries every failure on its next run. Any other error status is the server's final word.
Neither caller honours Retry-After (neither did before): the kiosk's waits are capped at a
few seconds (a guest stands at the button) and the sync's back-off starts at 5 s and grows
to five minutes.
"""

from __future__ import annotations

import json
import random
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urljoin

T = TypeVar("T")

class Unreachable(Exception):
    """No usable answer: the server is down, restarting, too slow, or the network is out.

    `str()` is the reason (as urllib gives it); `kind` names what failed (`URLError`,
    `TimeoutError`, `JSONDecodeError`, ...)."""

    def __init__(self, reason: str, kind: str = "Unreachable"):
        super().__init__(reason)
        self.kind = kind


class HttpError(Exception):
    """The server answered with an error status. `payload` is its JSON body ({} when it had
    none, or not JSON: a proxy's error page); `error` its contract error object, if any."""

    def __init__(self, status: int, reason: str, payload: dict, location: str | None = None):
        super().__init__(f"HTTP Error {status}: {reason}")
        self.status = status
        self.reason = reason
        self.payload = payload
        self.location = location  # a redirect's target, made absolute (with follow_redirects=False)

    @property
    def error(self) -> dict:
        error = self.payload.get("error")
        return error if isinstance(error, dict) else {}

    @property
    def retryable(self) -> bool:
        """A "not now" (5xx, 429): worth another try later."""
        return self.status >= 500 or self.status == 429


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises the 3xx as an HTTPError, with its Location header


class Client:
    """Calls to one server: `base_url` + path, JSON bodies both ways.

    `cafile`: the CA to verify https against (None: the system's, which honours
    `SSL_CERT_FILE`). `follow_redirects=False` turns a redirect into an `HttpError` (a
    redirect would carry the credential elsewhere). `max_answer`: bytes of an answer read at
    most (None: all)."""

    def __init__(self, base_url: str, *, timeout: float, cafile: str | None = None,
                 follow_redirects: bool = True, max_answer: int | None = None):
        self.base_url = base_url
        self.timeout = timeout
        self.max_answer = max_answer
        context = ssl.create_default_context(cafile=cafile)
        handlers = [urllib.request.HTTPSHandler(context=context)]
        if not follow_redirects:
            handlers.append(_NoRedirect())
        self._opener = urllib.request.build_opener(*handlers)

    def call(self, method: str, path: str, body: dict | None = None, headers: dict | None = None,
             timeout: float | None = None) -> tuple[int, dict]:
        """One request; returns (status, JSON answer). Raises `HttpError` or `Unreachable`."""
        headers = {"Accept": "application/json", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        url = self.base_url + path
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with self._opener.open(request, timeout=self.timeout if timeout is None else timeout) as response:
                return response.status, json.loads(response.read(self.max_answer) or b"{}")
        except urllib.error.HTTPError as err:
            location = err.headers.get("Location") if err.headers is not None else None
            raise HttpError(err.code, str(err.reason), self._payload(err),
                            urljoin(url, location) if location else None) from None
        except Exception as err:  # noqa: BLE001 - whatever broke on the way is "no answer", never a crash
            reason = getattr(err, "reason", None) or err
            raise Unreachable(str(reason), type(err).__name__) from None

    def get_bytes(self, path: str, max_bytes: int, headers: dict | None = None,
                  timeout: float | None = None) -> tuple[str, bytes]:
        """GET `path` as bytes (a picture): (content type, body). A body longer than `max_bytes`
        is no answer (`Unreachable`); errors as `call`'s."""
        request = urllib.request.Request(self.base_url + path, headers=headers or {}, method="GET")
        try:
            with self._opener.open(request, timeout=self.timeout if timeout is None else timeout) as response:
                body = response.read(max_bytes + 1)
                kind = response.headers.get_content_type()
        except urllib.error.HTTPError as err:
            raise HttpError(err.code, str(err.reason), self._payload(err)) from None
        except Exception as err:  # noqa: BLE001 - whatever broke on the way is "no answer", never a crash
            reason = getattr(err, "reason", None) or err
            raise Unreachable(str(reason), type(err).__name__) from None
        if len(body) > max_bytes:
            raise Unreachable(f"the answer is larger than {max_bytes} bytes", "TooLarge")
        return kind, body

    def _payload(self, err: urllib.error.HTTPError) -> dict:
        try:
            payload = json.loads(err.read(self.max_answer) or b"{}")
        except Exception:  # noqa: BLE001 - a proxy's HTML page, a cut body, a timeout while reading
            payload = {}
        finally:
            err.close()
        return payload if isinstance(payload, dict) else {}


class Backoff:
    """Waits that double from `first` up to `cap`, each multiplied by a random factor drawn
    from `jitter` (low, high), so many clients that failed together do not retry together."""

    def __init__(self, first: float, cap: float, jitter: tuple[float, float] = (1.0, 1.0)):
        self.first, self.cap, self.jitter = first, cap, jitter
        self._base = 0.0

    def next(self) -> float:
        """The next wait, in seconds."""
        self._base = min(max(self._base * 2, self.first), self.cap)
        return self._base * random.uniform(*self.jitter)

    def reset(self) -> None:
        """After a success: the next failure waits `first` again."""
        self._base = 0.0


def _sleep(seconds: float) -> bool:
    time.sleep(seconds)
    return False


def retry(attempt: Callable[[], T], backoff: Backoff, *, tries: int | None = None,
          deadline: float | None = None, wait: Callable[[float], bool] = _sleep,
          retry_on: tuple[type[BaseException], ...] = (Unreachable,),
          on_failure: Callable[[BaseException], None] | None = None) -> T:
    """`attempt()` until it returns; an exception in `retry_on` is tried again after the next
    `backoff` wait, any other propagates at once.

    It gives up, raising the last failure, after `tries` attempts, or once `deadline`
    (`time.monotonic()`) has passed (the last wait is cut short to make one more attempt at
    the deadline), or when `wait(seconds)` returns True (the caller is stopping: pass
    `threading.Event.wait`). `on_failure` sees every failure."""
    count = 0
    while True:
        try:
            return attempt()
        except retry_on as err:
            count += 1
            if on_failure is not None:
                on_failure(err)
            if tries is not None and count >= tries:
                raise
            seconds = backoff.next()
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise
                seconds = min(seconds, left)
            if wait(seconds):
                raise
