"""qode_common: the shared patterns, and the one HTTP client with its retry policy, against a
real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from qode_common import http, patterns

# ---- patterns -------------------------------------------------------------------------------


def test_the_two_token_contracts_stay_distinct():
    """A bearer token is 16-256 characters; a guest phone's device_token on a join is 16-128."""
    assert patterns.is_token("a" * 16) and patterns.is_token("A-_9" * 64)  # 256
    assert not patterns.is_token("a" * 15) and not patterns.is_token("a" * 257)
    assert not patterns.is_token("a" * 20 + "\n")  # `$` would let a trailing newline through
    assert not patterns.is_token("a" * 20 + "!") and not patterns.is_token(None)
    from pydantic import TypeAdapter, ValidationError

    from qode import schemas

    guest = TypeAdapter(schemas.DeviceToken)
    assert guest.validate_python("g" * 128) == "g" * 128
    with pytest.raises(ValidationError):
        guest.validate_python("g" * 129)  # a valid bearer token, but not a guest's device token


def test_the_server_and_the_kiosk_check_tokens_with_the_same_pattern():
    from qode import auth
    from qode import config as server_config
    from qode_kiosk import config as kiosk_config

    assert auth.TOKEN_RE is patterns.TOKEN_RE
    assert kiosk_config.Setting is server_config.Setting is patterns.Setting
    token = "k" * 256
    assert kiosk_config.load(env={"QODE_KIOSK_TOKEN": token}).token == token
    with pytest.raises(kiosk_config.KioskSettingError, match="16-256 letters"):
        kiosk_config.load(env={"QODE_KIOSK_TOKEN": token + "k"})
    with pytest.raises(server_config.SettingError, match="16-256 characters"):
        server_config.load(env={"QODE_ADMIN_TOKEN": token + "k"})


def test_ids_and_the_off_word():
    assert patterns.is_device_id("townhall-1") and not patterns.is_device_id("x" * 65)
    assert not patterns.is_device_id("")
    assert patterns.is_uuid("0123abcd-0123-4567-89AB-0123456789ab") and not patterns.is_uuid("0123abcd")
    assert patterns.is_off(" OFF ") and not patterns.is_off("of") and not patterns.is_off("")


# ---- the HTTP client ------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    """Answers by path: /ok echoes the JSON body and the headers; /status/N answers N with an
    error body; /redirect answers 302; /html answers 200 with a page that is not JSON."""

    def log_message(self, *args):
        pass

    def _answer(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen.append((self.path, dict(self.headers), body))
        if self.path == "/ok":
            echo = {"got": json.loads(body), "auth": self.headers["Authorization"]}
            self._answer(200, json.dumps(echo).encode())
        elif self.path.startswith("/status/"):
            status = int(self.path.rsplit("/", 1)[1])
            error = {"error": {"code": "nope", "message": f"answered {status}", "staff_url": "https://box:8443"}}
            self._answer(status, json.dumps(error).encode())
        elif self.path == "/redirect":
            self._answer(302, b"", {"Location": "/elsewhere"})
        else:
            self._answer(200, b"<html>a proxy's page</html>")


@pytest.fixture
def served():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_call_sends_json_with_its_headers_and_reads_json(served):
    server, url = served
    client = http.Client(url, timeout=5)
    status, answer = client.call("POST", "/ok", {"n": 1}, {"Authorization": "Bearer abc"})
    assert status == 200 and answer == {"got": {"n": 1}, "auth": "Bearer abc"}
    assert server.seen[0][1]["Content-Type"] == "application/json"


@pytest.mark.parametrize("status,retryable", [(400, False), (403, False), (409, False), (429, True),
                                              (500, True), (503, True)])
def test_an_error_status_carries_the_contract_error_and_says_whether_to_retry(served, status, retryable):
    _, url = served
    with pytest.raises(http.HttpError) as caught:
        http.Client(url, timeout=5).call("POST", f"/status/{status}", {})
    err = caught.value
    assert err.status == status and err.retryable is retryable
    assert err.error == {"code": "nope", "message": f"answered {status}", "staff_url": "https://box:8443"}


def test_a_redirect_is_refused_when_asked_and_says_where_it_pointed(served):
    server, url = served
    with pytest.raises(http.HttpError) as caught:
        http.Client(url, timeout=5, follow_redirects=False).call("POST", "/redirect", {"key": "secret"})
    assert caught.value.status == 302 and caught.value.location == f"{url}/elsewhere"
    assert [path for path, _, _ in server.seen] == ["/redirect"]  # nothing went to /elsewhere


def test_no_usable_answer_is_unreachable(served):
    _, url = served
    with pytest.raises(http.Unreachable) as caught:
        http.Client(url, timeout=5).call("POST", "/html", {})
    assert caught.value.kind == "JSONDecodeError"
    closed = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = closed.server_address[1]
    closed.server_close()  # nothing listens there now
    with pytest.raises(http.Unreachable) as caught:
        http.Client(f"http://127.0.0.1:{port}", timeout=5).call("GET", "/")
    assert caught.value.kind == "URLError" and "refused" in str(caught.value)


# ---- the retry policy -----------------------------------------------------------------------


def test_backoff_doubles_to_its_cap_within_its_jitter_and_resets():
    plain = http.Backoff(0.25, 5.0)
    assert [plain.next() for _ in range(7)] == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    plain.reset()
    assert plain.next() == 0.25
    jittered = http.Backoff(5.0, 300.0, jitter=(0.8, 1.2))
    for base in (5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 300.0, 300.0):
        assert base * 0.8 <= jittered.next() <= base * 1.2


def failing(times: int, then="ok", error=None):
    """An attempt that fails `times` times (Unreachable, or `error`), then returns `then`."""
    calls = []

    def attempt():
        calls.append(time.monotonic())
        if len(calls) <= times:
            raise error or http.Unreachable("down", "URLError")
        return then

    return attempt, calls


def test_retry_tries_again_until_it_works_and_waits_as_the_backoff_says():
    attempt, calls = failing(3)
    waits = []
    seen = []
    assert http.retry(attempt, http.Backoff(1.0, 4.0), wait=lambda s: waits.append(s) or False,
                      on_failure=seen.append) == "ok"
    assert len(calls) == 4 and waits == [1.0, 2.0, 4.0] and len(seen) == 3


def test_retry_gives_up_after_its_tries_and_raises_the_last_failure():
    attempt, calls = failing(10)
    waits = []
    with pytest.raises(http.Unreachable):
        http.retry(attempt, http.Backoff(1.0, 4.0), tries=3, wait=lambda s: waits.append(s) or False)
    assert len(calls) == 3 and waits == [1.0, 2.0]  # no wait after the last try


def test_retry_never_waits_past_its_deadline_and_tries_once_more_at_it(monkeypatch):
    now = [100.0]  # a clock that only the waits move: the test does not depend on the machine's speed
    monkeypatch.setattr(http.time, "monotonic", lambda: now[0])
    attempt, calls = failing(10)
    waits = []

    def wait(seconds):
        waits.append(seconds)
        now[0] += seconds
        return False

    with pytest.raises(http.Unreachable):
        http.retry(attempt, http.Backoff(0.4, 4.0), deadline=101.0, wait=wait)
    assert waits == pytest.approx([0.4, 0.6])  # 0.4, then 0.8 cut to the 0.6 left
    assert len(calls) == 3  # the third try at the deadline; none after it


def test_retry_stops_when_the_caller_stops_and_never_retries_a_final_answer():
    attempt, calls = failing(10)
    stopping = threading.Event()
    stopping.set()
    with pytest.raises(http.Unreachable):
        http.retry(attempt, http.Backoff(30.0, 60.0), wait=stopping.wait)
    assert len(calls) == 1  # a stop never sits out a 30 s wait
    refused, calls = failing(10, error=http.HttpError(403, "Forbidden", {}))
    with pytest.raises(http.HttpError):
        http.retry(refused, http.Backoff(0.01, 0.01))
    assert len(calls) == 1
