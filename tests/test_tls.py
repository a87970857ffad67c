"""Staff on TLS (issue 11, must show 5): a real Caddy in front of a real `qode serve`.

The stack is the box's: Debian's `caddy run` with the shipped systemd/Caddyfile (its data
folder, and so the box's CA, in a scratch folder), proxying https to `qode serve` on
127.0.0.1; the CA's certificate copied by the shipped systemd/qode-publish-ca to the file
Qode offers at /ca.crt. Clients are real: requests and ssl with the downloaded CA file, and
qode_common.websocket's client over TLS for the host socket.

"Another machine on the Wi-Fi" is 127.0.0.2 here: the stack runs with
QODE_TRUSTED_PROXIES=127.0.0.1, so Qode treats only 127.0.0.1 (where Caddy, the kiosk
daemon and the TV browser connect from) as the box itself, and a client bound to 127.0.0.2
exactly as it treats a phone or tablet on the LAN. Traffic stays on loopback.

What crosses the wire is captured twice: by a TCP relay the test controls (client -> relay
-> Caddy or Qode), which keeps every byte both ways, and by a real packet capture on the
loopback interface (Debian's tcpdump). Both are searched for the staff tokens; the same
capture of plain http shows them, so the search can fail.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import ipaddress
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from qode import create_app
from qode.config import SettingError, load

from helpers import (
    ADMIN_TOKEN,
    KioskProcess,
    ServerProcess,
    admin,
    free_port,
    privileged,
    require_root,
    signal_group,
    system_tool,
    wait_until,
    ws_client_class,
)

ROOT = Path(__file__).resolve().parents[1]
CADDYFILE = ROOT / "systemd" / "Caddyfile"
PUBLISH_CA = ROOT / "systemd" / "qode-publish-ca"
CADDY = shutil.which("caddy")
TCPDUMP = system_tool("tcpdump")  # /usr/sbin on some systems, outside a user's PATH
WsClient = ws_client_class()
# Short Caddy read deadlines for the test stack (the box's are 10 s and 30 s), so the
# deadline test is quick; every other test finishes its requests well within them.
READ_HEADER, READ_BODY = 3, 3

needs_caddy = pytest.mark.skipif(CADDY is None, reason="caddy is not installed (make test runs "
                                                        "`apt-get install caddy`, the Makefile's caddy target)")


# --- the stack ----------------------------------------------------------------------------


class PortTaken(RuntimeError):
    pass


def start_stack(workdir: Path, env: dict, tries: int = 3,
                caddy_env: dict | None = None) -> tuple[ServerProcess, CaddyProcess]:
    """`qode serve` and Caddy in front of it, on fresh ports (again if one was taken meanwhile)."""
    for attempt in range(tries):
        https_port = free_port()
        qode = ServerProcess(workdir / f"qode{attempt}", env={
            **env, "QODE_STAFF_URL": f"https://127.0.0.1:{https_port}"}).start()
        try:
            return qode, CaddyProcess(workdir / f"caddy{attempt}", qode.port, https_port, caddy_env).start()
        except PortTaken:
            qode.stop()
        except BaseException:
            qode.stop()
            raise
    raise RuntimeError(f"no free port for caddy in {tries} tries")


class CaddyProcess:
    """`caddy run` with the shipped Caddyfile, its data (the CA) under `workdir`, stopped by PID."""

    def __init__(self, workdir: Path, upstream_port: int, https_port: int, env: dict | None = None):
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.https_port = https_port
        self.data = workdir / "caddy-data"
        self.root_crt = self.data / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        self.log = workdir / "caddy.log"
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(workdir),
            "XDG_DATA_HOME": str(self.data),
            "XDG_CONFIG_HOME": str(workdir / "caddy-config"),
            "QODE_HTTPS_PORT": str(https_port),
            "QODE_CADDY_HTTP_PORT": str(free_port()),
            "QODE_UPSTREAM": f"127.0.0.1:{upstream_port}",
            # On 127.0.0.1 alone: listening on every address (the box's default), the port could be
            # taken on 127.0.0.1 by another program meanwhile, which would then get our connections.
            "QODE_CADDY_BIND": "127.0.0.1",
            "QODE_CADDY_READ_HEADER": f"{READ_HEADER}s",
            "QODE_CADDY_READ_BODY": f"{READ_BODY}s",
            **(env or {}),
        }
        self.proc: subprocess.Popen | None = None

    def start(self) -> CaddyProcess:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([CADDY, "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
                                         env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True, cwd=self.workdir)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                said = self.log.read_text()
                if "address already in use" in said:
                    raise PortTaken(said[-500:])  # another program took the port meanwhile: pick again
                raise RuntimeError(f"caddy exited: {said[-3000:]}")
            if self.root_crt.exists() and self._answers():
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"caddy did not serve https in 30 s: {self.log.read_text()[-3000:]}")

    def _answers(self) -> bool:
        try:
            context = ssl.create_default_context(cafile=str(self.root_crt))
            with socket.create_connection(("127.0.0.1", self.https_port), timeout=2) as raw:
                with context.wrap_socket(raw, server_hostname="127.0.0.1"):
                    return True
        except (OSError, ssl.SSLError):
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def publish_ca(source: Path, dest: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "QODE_PUBLISH_CA_FROM": str(source), "QODE_PUBLISH_CA_TO": str(dest)}
    return subprocess.run([str(PUBLISH_CA)], env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if CADDY is None:
        pytest.skip("caddy is not installed (make test runs `apt-get install caddy`)")
    work = tmp_path_factory.mktemp("tls")
    ca_file = work / "etc" / "ca.crt"
    qode, caddy = start_stack(work, {
        "QODE_TLS_CA_FILE": str(ca_file),
        "QODE_TRUSTED_PROXIES": "127.0.0.1",  # 127.0.0.2 plays a tablet on the Wi-Fi
        "QODE_SCHEDULER": "off",
    })
    try:
        published = publish_ca(caddy.root_crt, ca_file)
        assert published.returncode == 0, published.stderr
        queue = requests.post(f"{qode.url}/api/queues", json={"name": "Desk", "prefix": "D"},
                              headers=admin(), timeout=5).json()
        # The CA as a staff device gets it: downloaded from the guest (http) address.
        download = requests.get(f"{qode.url}/ca.crt", timeout=5)
        assert download.status_code == 200, download.text
        downloaded = work / "downloaded-ca.crt"
        downloaded.write_bytes(download.content)
        yield SimpleNamespace(qode=qode, caddy=caddy, queue=queue, ca=str(downloaded), work=work,
                              https=f"https://127.0.0.1:{caddy.https_port}", http=qode.url,
                              host_headers={"Authorization": f"Bearer {queue['host_token']}"})
    finally:
        caddy.stop()
        qode.stop()
    assert "Traceback" not in qode.log.read_text(), qode.log.read_text()[-3000:]


class Relay:
    """A TCP relay on 127.0.0.1 to `target_port` that keeps every byte crossing it, both ways.

    It stands for the Wi-Fi between a staff device and the box: what it holds is what
    anyone with the Wi-Fi password could capture.
    """

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.captured = bytearray()
        self.lock = threading.Lock()
        self.ended = threading.Condition(self.lock)
        self.pumping = 0  # directions still open; each ends once its sender has closed
        self.sockets: list[socket.socket] = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
            self.sockets += [client, upstream]
            with self.lock:
                self.pumping += 2
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                with self.lock:
                    self.captured += chunk
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            try:
                sink.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            with self.ended:
                self.pumping -= 1
                self.ended.notify_all()

    def finish(self, timeout: float = 15.0) -> None:
        """Cut every connection and wait for every pump to end: `captured` is then final. Whatever the
        client got an answer for crossed the relay, and was captured, before that answer did."""
        for sock in self.sockets[1:]:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes a pump blocked in recv
        with self.ended:
            assert self.ended.wait_for(lambda: self.pumping == 0, timeout), f"{self.pumping} still pumping"

    def close(self) -> None:
        for sock in self.sockets:
            try:
                sock.close()
            except OSError:
                pass

    def __enter__(self) -> Relay:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def host_socket(url: str, token: str, context: ssl.SSLContext | None = None):
    ws = WsClient.connect(url, ssl_context=context)
    ws.send(json.dumps({"type": "auth", "token": token}))
    return ws


def close_ws(ws) -> None:
    """Close a client socket and wait for its reader thread. That thread reads through OpenSSL,
    which holds the raw file descriptor: left running, it could read from the next socket the
    test opens under the same number (it once took the first bytes of a later TLS handshake)."""
    ws.close()
    ws.thread.join(timeout=10)
    assert not ws.thread.is_alive(), "the socket's reader thread did not end"


def receive(ws, timeout: float = 10.0) -> dict:
    message = ws.receive(timeout=timeout)
    assert message is not None, "no message in time"
    return json.loads(message)


def plain_request(port: int, method: str, path: str, headers: dict, body: bytes | None = None,
                  source: str = "127.0.0.2") -> tuple[int, dict]:
    """An HTTP request to 127.0.0.1:`port` from the address `source` (a device on the Wi-Fi)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


# --- must show 5 ----------------------------------------------------------------------------


@pytest.mark.server
@pytest.mark.slow
def test_host_page_and_host_socket_work_over_https(stack):
    """A host tablet on the Wi-Fi (127.0.0.2, not the box) over https: page, API and live socket."""
    queue_id = stack.queue["id"]
    context = ssl.create_default_context(cafile=stack.ca)
    status, page, headers = https_request(stack, "GET", f"/host/{queue_id}", {}, context)
    assert status == 200 and headers["Content-Type"].startswith("text/html") and b"<div id=" in page
    assert headers["X-Frame-Options"] == "DENY"  # Qode's own answer, through Caddy
    # The token is accepted from that address because it came over https: Qode believed
    # Caddy's X-Forwarded-Proto (the same request over plain http gets 403, below).
    status, body, _ = https_request(stack, "GET", f"/api/queues/{queue_id}/tickets", stack.host_headers,
                                    context)
    assert status == 200 and "tickets" in json.loads(body)

    with bound_to("127.0.0.2"):
        ws = host_socket(f"wss://127.0.0.1:{stack.caddy.https_port}/ws/host/{queue_id}",
                         stack.queue["host_token"], context)
    try:
        assert receive(ws)["type"] == "snapshot"
        # Live past Caddy's read deadlines (3 s here): an upgraded socket is not cut by them.
        time.sleep(READ_BODY + READ_HEADER)
        joined = requests.post(f"{stack.http}/api/queues/{queue_id}/tickets",  # a guest, plain http
                               json={"device_token": "device-token-tls-0001"}, timeout=5)
        assert joined.status_code == 201, joined.text
        deadline = time.monotonic() + 10
        while (update := receive(ws))["type"] != "update":
            assert time.monotonic() < deadline, "no update in time"
        assert joined.json()["id"] in json.dumps(update)
    finally:
        close_ws(ws)


def https_request(stack, method: str, path: str, headers: dict, context: ssl.SSLContext,
                  source: str = "127.0.0.2") -> tuple[int, bytes, http.client.HTTPMessage]:
    """An https request to Caddy from the address `source` (a staff device on the Wi-Fi)."""
    conn = http.client.HTTPSConnection("127.0.0.1", stack.caddy.https_port, timeout=10,
                                       source_address=(source, 0), context=context)
    try:
        conn.request(method, path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read(), response.headers
    finally:
        conn.close()


@contextlib.contextmanager
def bound_to(source: str):
    """New sockets made meanwhile connect from `source` (the WebSocket client has no such option)."""
    original = socket.socket

    class Bound(original):
        def connect(self, address):
            if self.family == socket.AF_INET:
                self.bind((source, 0))
            return super().connect(address)

    socket.socket = Bound
    try:
        yield
    finally:
        socket.socket = original


@pytest.mark.server
@pytest.mark.slow
def test_the_certificate_chains_to_the_box_ca_and_only_to_it(stack):
    served = Path(stack.ca).read_bytes()
    assert served == stack.caddy.root_crt.read_bytes()  # /ca.crt is Caddy's root, as made on first start
    assert b"PRIVATE KEY" not in served
    key = stack.caddy.root_crt.with_name("root.key")
    assert key.exists() and key.read_bytes() not in served  # the key stays in Caddy's folder

    context = ssl.create_default_context(cafile=stack.ca)  # verifies the chain and the IP address
    with socket.create_connection(("127.0.0.1", stack.caddy.https_port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            cert = tls.getpeercert()
    assert ("IP Address", "127.0.0.1") in cert["subjectAltName"]
    issuer = dict(item[0] for item in cert["issuer"])
    assert "Caddy Local Authority" in issuer["commonName"]

    # Without the box's CA (the system's CAs only), the same server is not trusted.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{stack.https}/host/{stack.queue['id']}", verify=True, timeout=10)
    with socket.create_connection(("127.0.0.1", stack.caddy.https_port), timeout=10) as raw:
        with pytest.raises(ssl.SSLCertVerificationError):
            ssl.create_default_context().wrap_socket(raw, server_hostname="127.0.0.1")


@pytest.mark.server
@pytest.mark.slow
def test_a_staff_token_on_plain_http_from_the_wifi_gets_the_documented_answer(stack):
    queue_id = stack.queue["id"]
    path = f"/api/queues/{queue_id}/tickets"
    status, body = plain_request(stack.qode.port, "GET", path, stack.host_headers)
    assert status == 403 and body["error"]["code"] == "https_required"
    assert stack.https in body["error"]["message"] and body["error"]["staff_url"] == stack.https
    assert f"{stack.http}/ca.crt" in body["error"]["message"]
    # A header claiming https does not help from there: only the box's own proxy is believed.
    status, body = plain_request(stack.qode.port, "GET", path,
                                 {**stack.host_headers, "X-Forwarded-Proto": "https"})
    assert status == 403 and body["error"]["code"] == "https_required"
    # The admin token too, and a kiosk-style issuance; a guest's join stays fine on plain http.
    status, body = plain_request(stack.qode.port, "GET", "/api/queues", admin())
    assert status == 403 and body["error"]["code"] == "https_required"
    status, body = plain_request(stack.qode.port, "POST", f"/api/queues/{queue_id}/tickets",
                                 {"Content-Type": "application/json"},
                                 json.dumps({"device_token": "device-token-tls-guest"}).encode())
    assert status == 201, body
    # The box itself (127.0.0.1: kiosk daemon, TV browser) keeps working on plain http.
    status, _ = plain_request(stack.qode.port, "GET", path, stack.host_headers, source="127.0.0.1")
    assert status == 200
    # Over https (through Caddy) from the same "Wi-Fi" address: accepted.
    context = ssl.create_default_context(cafile=stack.ca)
    status, _, _ = https_request(stack, "GET", path, stack.host_headers, context)
    assert status == 200

    # The host socket over plain http from the Wi-Fi: closed with 4426 before the auth message
    # is read (raw handshake, to bind the client to 127.0.0.2).
    code, reason = _raw_ws_close(stack.qode.port, f"/ws/host/{queue_id}", source="127.0.0.2")
    assert code == 4426 and stack.https in reason


def _raw_ws_close(port: int, path: str, source: str) -> tuple[int, str]:
    """Open a WebSocket from `source`, send nothing, and return the server's close code and reason."""
    with socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0)) as sock:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data or len(data) < data.index(b"\r\n\r\n") + 6:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    head, _, frame = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    assert frame[0] == 0x88, frame  # a close frame, unmasked, payload length < 126
    length = frame[1] & 0x7F
    payload = frame[2:2 + length]
    return int.from_bytes(payload[:2], "big"), payload[2:].decode()


@pytest.mark.server
@pytest.mark.slow
def test_strict_mode_refuses_staff_tokens_on_plain_http_even_from_the_box(tmp_path):
    """QODE_STAFF_HTTPS=all: plain http is refused from 127.0.0.1 too (kiosks must use https)."""
    proc = ServerProcess(tmp_path / "strict", env={"QODE_STAFF_HTTPS": "all"}).start()
    try:
        answer = requests.get(f"{proc.url}/api/queues", headers=admin(), timeout=5)
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "https_required"
        # Without Caddy set up (no CA file), the answer says so rather than naming a dead address.
        assert "no https address yet" in answer.json()["error"]["message"]
        queue = requests.post(f"{proc.url}/api/queues", json={"name": "Strict"}, timeout=5,
                              headers={**admin(), "X-Forwarded-Proto": "https"}).json()  # 127.0.0.1: believed
        code, reason = _raw_ws_close(proc.port, f"/ws/host/{queue['id']}", source="127.0.0.1")
        assert code == 4426 and reason.startswith("staff use https")
        guest = requests.post(f"{proc.url}/api/queues/{queue['id']}/tickets",
                              json={"device_token": "device-token-strict-01"}, timeout=5)
        assert guest.status_code == 201  # guests are untouched
    finally:
        proc.stop()
    assert "Traceback" not in proc.log.read_text()


@pytest.mark.server
@pytest.mark.slow
def test_a_capture_on_the_wire_shows_no_staff_token_when_staff_use_https(stack):
    queue_id = stack.queue["id"]
    host_token = stack.queue["host_token"]
    context = ssl.create_default_context(cafile=stack.ca)
    with Relay(stack.caddy.https_port) as wire:
        https = f"https://127.0.0.1:{wire.port}"
        listed = requests.get(f"{https}/api/queues/{queue_id}/tickets", headers=stack.host_headers,
                              verify=stack.ca, timeout=10)
        assert listed.status_code == 200
        created = requests.post(f"{https}/api/queues", json={"name": "Second", "prefix": "S"},
                                headers=admin(), verify=stack.ca, timeout=10)
        assert created.status_code == 201
        new_token = created.json()["host_token"]  # a secret in an answer, too
        assert created.json()["host_url"].startswith(stack.https + "/host/")
        ws = host_socket(f"wss://127.0.0.1:{wire.port}/ws/host/{queue_id}", host_token, context)
        try:
            assert receive(ws)["type"] == "snapshot"
        finally:
            close_ws(ws)
        wire.finish()
        with wire.lock:
            captured = bytes(wire.captured)
    assert len(captured) > 5000  # the whole exchange went through the relay, encrypted
    for secret in (host_token, ADMIN_TOKEN, new_token):
        assert secret.encode() not in captured
    assert b"Bearer" not in captured and b'"auth"' not in captured

    # The same capture in front of plain http shows the token: the search above can fail.
    with Relay(stack.qode.port) as wire:
        plain = requests.get(f"http://127.0.0.1:{wire.port}/api/queues/{queue_id}/tickets",
                             headers=stack.host_headers, timeout=10)
        assert plain.status_code == 200  # the relay connects from 127.0.0.1: the box itself
        wire.finish()
        with wire.lock:
            assert host_token.encode() in bytes(wire.captured)


class Tcpdump:
    """`tcpdump -i lo` on one TCP port, written to a pcap file, stopped by PID (SIGINT: it flushes)."""

    def __init__(self, port: int, path: Path):
        self.path = path
        self.port = port
        # --immediate-mode: each packet is handed over at once (else a buffered block can be lost on stop).
        command = [TCPDUMP, "-i", "lo", "--immediate-mode", "-U", "-Z", "root", "-w", str(path),
                   f"tcp port {port}"]
        require_root()  # capturing needs root: through `sudo -n` when the tests do not run as root
        self.proc = subprocess.Popen(privileged(command), stdin=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     start_new_session=True)
        said = self.proc.stderr.readline().decode()  # "listening on lo, ..." once it captures
        if "listening on" not in said:
            self.stop()
            pytest.skip(f"tcpdump cannot capture on lo here: {said.strip()}")

    def flush(self) -> None:
        """Until everything sent so far is in the file: a last packet with a marker of its own goes to
        the port (plain bytes, whatever listens there), and the capture keeps packets in order."""
        marker = f"qode-capture-marker-{os.urandom(8).hex()}".encode()
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(marker)
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_WR)
                sock.settimeout(10)
                while sock.recv(4096):  # the other end answers (an error) and closes
                    pass
        wait_until(lambda: self.path.exists() and marker in self.path.read_bytes(), timeout=15)

    def stop(self) -> bytes:
        if self.proc.poll() is None:
            signal_group(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                signal_group(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.proc.stderr.close()
        return self.path.read_bytes() if self.path.exists() else b""


@pytest.mark.server
@pytest.mark.slow
@pytest.mark.xdist_group("serial")  # a capture on lo: other tests' traffic stays off the wire meanwhile
def test_a_tcpdump_capture_on_loopback_shows_no_staff_token_over_https(stack):
    """The same as above with a real packet capture (Debian's tcpdump, installed by make test)."""
    if TCPDUMP is None:
        pytest.skip("tcpdump is not installed (make test runs `apt-get install tcpdump`)")
    queue_id = stack.queue["id"]
    host_token = stack.queue["host_token"]
    capture = Tcpdump(stack.caddy.https_port, stack.work / "https.pcap")
    try:
        listed = requests.get(f"{stack.https}/api/queues/{queue_id}/tickets", headers=stack.host_headers,
                              verify=stack.ca, timeout=10)
        assert listed.status_code == 200
        ws = host_socket(f"wss://127.0.0.1:{stack.caddy.https_port}/ws/host/{queue_id}", host_token,
                         ssl.create_default_context(cafile=stack.ca))
        try:
            assert receive(ws)["type"] == "snapshot"
        finally:
            close_ws(ws)
        capture.flush()
    finally:
        packets = capture.stop()
    assert len(packets) > 5000  # the exchange was captured, encrypted
    assert host_token.encode() not in packets and b"Bearer" not in packets

    capture = Tcpdump(stack.qode.port, stack.work / "http.pcap")
    try:
        plain = requests.get(f"{stack.http}/api/queues/{queue_id}/tickets", headers=stack.host_headers,
                             timeout=10)
        assert plain.status_code == 200  # from 127.0.0.1, the box itself
        capture.flush()
    finally:
        packets = capture.stop()
    assert host_token.encode() in packets  # the same capture of plain http shows it


@pytest.mark.server
@pytest.mark.slow
def test_a_kiosk_daemon_on_another_box_works_over_https_with_the_ca_file(stack):
    """docs/install-pi.md: a --kiosk-only box uses https://<box>:8443 with SSL_CERT_FILE=ca.crt."""
    queue_id = stack.queue["id"]
    device = requests.post(f"{stack.https}/api/queues/{queue_id}/devices", json={"name": "Door"},
                           headers=stack.host_headers, verify=stack.ca, timeout=10).json()

    def connected() -> bool:
        devices = requests.get(f"{stack.https}/api/queues/{queue_id}/devices", headers=stack.host_headers,
                               verify=stack.ca, timeout=10).json()["devices"]
        return next(d for d in devices if d["id"] == device["id"])["connected"]

    # Without the box's CA the kiosk cannot trust the https address, and says so.
    blind = KioskProcess(stack.work / "kiosk-blind", stack.https, device["token"], "preview").start()
    try:
        assert blind.wait_for_output("CERTIFICATE_VERIFY_FAILED", timeout=20), blind.output()[-2000:]
        assert not connected()
    finally:
        blind.stop()

    kiosk = KioskProcess(stack.work / "kiosk", stack.https, device["token"], "preview",
                         env={"SSL_CERT_FILE": stack.ca}).start()
    try:
        deadline = time.monotonic() + 20
        while not connected():  # its device socket is up, over wss through Caddy
            assert time.monotonic() < deadline, kiosk.output()[-2000:]
            time.sleep(0.2)
        kiosk.press()
        deadline = time.monotonic() + 20
        while not any(t["source"] == "kiosk" for t in requests.get(
                f"{stack.https}/api/queues/{queue_id}/tickets", headers=stack.host_headers, verify=stack.ca,
                timeout=10).json()["tickets"]):
            assert time.monotonic() < deadline, kiosk.output()[-2000:]
            time.sleep(0.2)
    finally:
        kiosk.stop()
    assert "Traceback" not in kiosk.output(), kiosk.output()[-3000:]


# --- forwarded addresses --------------------------------------------------------------------


@pytest.mark.server
@pytest.mark.slow
def test_a_spoofed_forwarded_for_is_ignored_and_limits_see_the_real_address(tmp_path):
    if CADDY is None:
        pytest.skip("caddy is not installed (make test runs `apt-get install caddy`)")
    proc, caddy = start_stack(tmp_path, {
        "QODE_JOIN_RATE_LIMIT": "2/minute", "QODE_TRUSTED_PROXIES": "127.0.0.1", "QODE_SCHEDULER": "off",
    })
    try:
        queue = requests.post(f"{proc.url}/api/queues", json={"name": "Limits"}, headers=admin(),
                              timeout=5).json()
        path = f"/api/queues/{queue['id']}/tickets"

        def join(n: int, spoof: str, source: str = "127.0.0.2") -> int:
            token = f"device-token-spoof-{source.replace('.', '-')}-{n:04d}"
            status, _ = plain_request(proc.port, "POST", path, {
                "Content-Type": "application/json", "X-Forwarded-For": spoof},
                json.dumps({"device_token": token}).encode(), source=source)
            return status

        # From a device on the Wi-Fi (127.0.0.2), a new X-Forwarded-For each time changes nothing:
        # the limit counts the real address, and the third join is refused.
        assert [join(n, f"10.0.0.{n}") for n in range(3)] == [201, 201, 429]
        # From the box's own proxy (127.0.0.1) the header is believed: each client is its own,
        # so the same loop passes. (This is what makes the check above able to fail.)
        assert [join(n, f"10.0.1.{n}", source="127.0.0.1") for n in range(3)] == [201, 201, 201]

        # Through Caddy, a client's own X-Forwarded-For is replaced by its real address (127.0.0.1
        # here, which has no joins counted yet as a client address): again two, then 429.
        statuses = [requests.post(f"https://127.0.0.1:{caddy.https_port}{path}", verify=str(caddy.root_crt),
                                  json={"device_token": f"device-token-caddy-{n:04d}"}, timeout=10,
                                  headers={"X-Forwarded-For": f"10.0.2.{n}"}).status_code
                    for n in range(3)]
        assert statuses == [201, 201, 429]
    finally:
        caddy.stop()
        proc.stop()
    assert "Traceback" not in proc.log.read_text()


def test_forwarded_headers_from_an_untrusted_peer_leave_address_and_scheme_alone(tmp_path):
    app = create_app({"QODE_DATA_DIR": str(tmp_path / "d"), "QODE_ADMIN_TOKEN": ADMIN_TOKEN,
                      "QODE_SCHEDULER": "off", "QODE_TLS_CA_FILE": "off"})
    seen = {}

    @app.get("/__who")
    def who():
        from flask import request

        seen.update(addr=request.remote_addr, scheme=request.scheme)
        return "ok"

    client = app.test_client()
    spoof = {"X-Forwarded-For": "10.1.2.3", "X-Forwarded-Proto": "https"}
    client.get("/__who", headers=spoof, environ_base={"REMOTE_ADDR": "192.168.1.50"})
    assert seen == {"addr": "192.168.1.50", "scheme": "http"}
    client.get("/__who", headers={**spoof, "X-Forwarded-For": "6.6.6.6, 10.1.2.3"},
               environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert seen == {"addr": "10.1.2.3", "scheme": "https"}  # the proxy's own entry: the last one
    client.get("/__who", headers={"X-Forwarded-For": "not an address"},
               environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert seen == {"addr": "127.0.0.1", "scheme": "http"}


# --- settings and bad input ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "value", "words"), [
    ("QODE_STAFF_HTTPS", "yes", "expected 'remote', 'all' or 'off'"),
    ("QODE_STAFF_HTTPS", "", "expected 'remote', 'all' or 'off'"),
    ("QODE_STAFF_URL", "http://192.168.1.20:8443", "expected https://HOST[:PORT]"),
    ("QODE_STAFF_URL", "https://box:8443/setup", "expected https://HOST[:PORT]"),
    ("QODE_STAFF_URL", "https://user@box", "expected https://HOST[:PORT]"),
    ("QODE_TLS_CA_FILE", "ca.crt", "absolute path"),
    ("QODE_TRUSTED_PROXIES", "127.0.0.1,localhost", "'localhost' is not an address"),
    ("QODE_TRUSTED_PROXIES", "", "is not an address"),
])
def test_bad_settings_are_refused_clearly(name, value, words):
    with pytest.raises(SettingError) as err:
        load({name: value})
    assert name in str(err.value) and words in str(err.value)


def test_settings_accept_their_documented_values():
    got = load({"QODE_STAFF_HTTPS": "ALL", "QODE_STAFF_URL": "https://[fd00::5]:8443/",
                "QODE_TLS_CA_FILE": "off", "QODE_TRUSTED_PROXIES": "off"})
    assert got["STAFF_HTTPS"] == "all" and got["STAFF_URL"] == "https://[fd00::5]:8443"
    assert got["TLS_CA_FILE"] is None and got["TRUSTED_PROXIES"] == ()
    default = load({})
    assert default["STAFF_HTTPS"] == "remote" and default["STAFF_URL"] is None
    assert default["TLS_CA_FILE"] == "/etc/qode/ca.crt"


@pytest.mark.server
def test_qode_serve_refuses_a_bad_setting_with_a_clear_message(tmp_path):
    from helpers import QODE

    done = subprocess.run([QODE, "serve", "--host", "127.0.0.1", "--port", str(free_port()),
                           "--data-dir", str(tmp_path / "d")], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "QODE_STAFF_HTTPS": "sometimes"})
    assert done.returncode == 2 and "QODE_STAFF_HTTPS='sometimes'" in done.stderr


def _app(tmp_path, **settings):
    return create_app({"QODE_DATA_DIR": str(tmp_path / "d"), "QODE_ADMIN_TOKEN": ADMIN_TOKEN,
                       "QODE_SCHEDULER": "off", **settings})


def test_ca_crt_without_a_ca_is_a_json_404(tmp_path):
    client = _app(tmp_path, QODE_TLS_CA_FILE=str(tmp_path / "none.crt")).test_client()
    answer = client.get("/ca.crt")
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "no_ca"
    assert client.get("/api/tls").get_json()["ca_url"] is None
    off = _app(tmp_path, QODE_TLS_CA_FILE="off").test_client().get("/ca.crt")
    assert off.status_code == 404 and off.get_json()["error"]["code"] == "no_ca"


def test_ca_crt_never_serves_a_key(tmp_path):
    bundle = tmp_path / "mistake.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
                      "-----BEGIN EC PRIVATE KEY-----\nBBBB\n-----END EC PRIVATE KEY-----\n")
    answer = _app(tmp_path, QODE_TLS_CA_FILE=str(bundle)).test_client().get("/ca.crt")
    assert answer.status_code == 404 and b"PRIVATE" not in answer.data


def test_staff_url_is_https_on_the_public_host_once_a_ca_exists(tmp_path):
    ca = tmp_path / "ca.crt"
    app = _app(tmp_path, QODE_TLS_CA_FILE=str(ca), QODE_PUBLIC_URL="http://192.168.1.20:8000")
    client = app.test_client()
    info = client.get("/api/tls").get_json()
    assert info["staff_url"] == "http://192.168.1.20:8000" and info["ca_url"] is None  # no Caddy yet
    ca.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    info = client.get("/api/tls").get_json()
    assert info == {"staff_url": "https://192.168.1.20:8443", "public_url": "http://192.168.1.20:8000",
                    "ca_url": "/ca.crt", "staff_https": "remote"}
    created = client.post("/api/queues", json={"name": "Desk"}, headers=admin()).get_json()
    assert created["host_url"].startswith("https://192.168.1.20:8443/host/")
    qr = client.post("/api/qr", json={"url": created["host_url"]}, headers=admin())
    assert qr.status_code == 200  # a staff link's QR code is drawn
    join_qr = client.get(f"/api/queues/{created['id']}/join-qr.svg")
    assert join_qr.status_code == 200  # guests' QR codes keep the plain-http address (not checked here)


def test_caddy_may_only_certify_the_box_own_names(tmp_path, monkeypatch):
    from qode import tls

    # The box's interfaces, as the kernel would list them (the real listing: the next test).
    monkeypatch.setattr(tls, "interface_addresses", lambda: {
        ipaddress.ip_address("192.168.1.20"), ipaddress.ip_address("fd00::1"),
        ipaddress.ip_address("fe80::1")})
    client = _app(tmp_path, QODE_PUBLIC_URL="http://qode.example:8000",
                  QODE_STAFF_URL="https://10.9.8.7:8443").test_client()
    for domain in ("192.168.1.20", "[fd00::1]", "fd00::1", "FE80::1", "::ffff:192.168.1.20",
                   "127.0.0.1", "[::1]", "10.9.8.7", "localhost", "qode.example", socket.gethostname()):
        assert client.get("/api/tls/ask", query_string={"domain": domain}).status_code == 200, domain
    # Any other address is someone else's, whatever a client sends as the name it wants.
    for domain in ("192.168.1.21", "8.8.8.8", "[fd00::2]", "0.0.0.0", "::", "10.9.8.6",
                   "bank.example", "", "x" * 300):
        answer = client.get("/api/tls/ask", query_string={"domain": domain})
        assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "unknown_name", domain
    stranger = client.get("/api/tls/ask", query_string={"domain": "192.168.1.20"},
                          environ_base={"REMOTE_ADDR": "192.168.1.77"})
    assert stranger.status_code == 403  # only the box's own Caddy asks


def test_the_box_own_addresses_are_read_from_its_interfaces(tmp_path):
    """The real listing, checked against `ip -o addr` (iproute2) where it is installed."""
    from qode import tls

    found = tls.interface_addresses()
    assert ipaddress.ip_address("127.0.0.1") in found
    if Path("/proc/net/if_inet6").exists() and "lo" in Path("/proc/net/if_inet6").read_text():
        assert ipaddress.ip_address("::1") in found
    ip_tool = shutil.which("ip")
    if ip_tool:
        listed = subprocess.run([ip_tool, "-o", "addr", "show"], capture_output=True, text=True,
                                timeout=10).stdout.splitlines()
        # The first IPv4 address of each interface, and every IPv6 one.
        expected, seen = set(), set()
        for line in listed:
            fields = line.split()
            family, address, name = fields[2], fields[3].split("/")[0], fields[1]
            if family == "inet6" or name not in seen:
                expected.add(ipaddress.ip_address(address))
            if family == "inet":
                seen.add(name)
        assert expected <= found, expected - found
    # With a real interface address, the decision follows it (and a made-up one is refused).
    client = _app(tmp_path, QODE_PUBLIC_URL="http://qode.example:8000").test_client()
    for ip in found:
        domain = f"[{ip}]" if ip.version == 6 else str(ip)
        assert client.get("/api/tls/ask", query_string={"domain": domain}).status_code == 200, domain
    assert client.get("/api/tls/ask", query_string={"domain": "203.0.113.250"}).status_code == 404


# --- Caddy's own deadlines and the CA hand-over -----------------------------------------------


@pytest.mark.server
@pytest.mark.slow
def test_caddy_drops_stalled_headers_and_bodies_within_its_deadlines(stack):
    context = ssl.create_default_context(cafile=stack.ca)

    def held_for(payload: bytes) -> float:
        with socket.create_connection(("127.0.0.1", stack.caddy.https_port), timeout=30) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                started = time.monotonic()
                tls.sendall(payload)
                try:
                    while tls.recv(4096):
                        pass
                except (OSError, ssl.SSLError):
                    pass
                return time.monotonic() - started

    head = f"POST /api/queues/{stack.queue['id']}/tickets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    assert held_for(head.encode()) < READ_HEADER + 10  # headers never finished
    body = head + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
    assert held_for(body.encode()) < READ_HEADER + READ_BODY + 10  # body never finished
    assert requests.get(f"{stack.https}/healthz", verify=stack.ca, timeout=10).status_code == 200



# --- what Caddy holds for Qode ---------------------------------------------------------------
# Every connection Caddy makes to Qode comes from 127.0.0.1, which Qode never counts against an
# address (it carries every staff device): the Caddyfile itself keeps one client from holding
# Qode's connections through it.


def worker_pid(qode: ServerProcess) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        children = Path(f"/proc/{qode.proc.pid}/task/{qode.proc.pid}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise AssertionError("no gunicorn worker")


TCP_ESTABLISHED, TCP_TIME_WAIT = "01", "06"


def tcp_entries(port: int) -> list[tuple[int, int, str]]:
    """(local port, remote port, state) of the IPv4 TCP sockets with `port` at either end."""
    entries = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = (int(fields[i].split(":")[1], 16) for i in (1, 2))
        if port in (local, remote):
            entries.append((local, remote, fields[3]))
    return entries


@pytest.mark.server
@pytest.mark.slow
def test_stalled_bodies_through_caddy_hold_no_qode_connection(tmp_path):
    """300 POSTs from one address that stall mid-body, through Caddy, take nothing from Qode.

    Qode's slots are made fewer than 300 here (100 live sockets + 150 HTTP connections), and
    Caddy's body deadline is the box's 30 s: were the stalled bodies passed on as they came,
    they would hold every one of Qode's connections (each from 127.0.0.1, uncounted) and
    /healthz on plain http would not answer.
    """
    if CADDY is None:
        pytest.skip("caddy is not installed (make test runs `apt-get install caddy`)")
    qode, caddy = start_stack(tmp_path, {
        "QODE_TRUSTED_PROXIES": "127.0.0.1", "QODE_SCHEDULER": "off",
        "QODE_MAX_CLIENTS": "100", "QODE_HTTP_CONNECTIONS": "150",
    }, caddy_env={"QODE_CADDY_READ_BODY": "30s"})
    stalled: list[ssl.SSLSocket] = []
    try:
        queue = requests.post(f"{qode.url}/api/queues", json={"name": "Stall"}, headers=admin(),
                              timeout=5).json()
        host = {"Authorization": f"Bearer {queue['host_token']}"}
        context = ssl.create_default_context(cafile=str(caddy.root_crt))
        worker = worker_pid(qode)
        fds_before = len(os.listdir(f"/proc/{worker}/fd"))
        head = (f"POST /api/queues/{queue['id']}/tickets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{").encode()
        for _ in range(300):
            raw = socket.create_connection(("127.0.0.1", caddy.https_port), timeout=10,
                                           source_address=("127.0.0.2", 0))
            tls = context.wrap_socket(raw, server_hostname="127.0.0.1")
            stalled.append(tls)
            tls.sendall(head)
        time.sleep(1.5)  # time to pass them on to Qode, had Caddy done so

        held = [e for e in tcp_entries(qode.port) if e[0] == qode.port and e[2] == TCP_ESTABLISHED]
        fds = len(os.listdir(f"/proc/{worker}/fd")) - fds_before
        assert len(held) <= 8 and fds <= 8, (len(held), fds)

        # Another device on the Wi-Fi (127.0.0.3) meanwhile: the host over https, reading and
        # posting (its body is buffered too), and /healthz on plain http, all answer at once.
        status, body, _ = https_request(SimpleNamespace(caddy=caddy), "GET",
                                        f"/api/queues/{queue['id']}/tickets", host, context,
                                        source="127.0.0.3")
        assert status == 200, body
        conn = http.client.HTTPSConnection("127.0.0.1", caddy.https_port, timeout=10,
                                           source_address=("127.0.0.3", 0), context=context)
        try:
            conn.request("POST", f"/api/queues/{queue['id']}/tickets", body=b"{}",
                         headers={**host, "Content-Type": "application/json"})
            answer = conn.getresponse()
            assert answer.status == 201, answer.read()
        finally:
            conn.close()
        status, _ = plain_request(qode.port, "GET", "/healthz", {}, source="127.0.0.3")
        assert status == 200

        # The 300 are still open and unanswered all along: Caddy holds them, waiting for bodies.
        # (The sockets are readable: TLS 1.3 session tickets. No answer and no close follow them.)
        for tls in stalled:
            tls.setblocking(False)
            with pytest.raises(ssl.SSLWantReadError):
                tls.recv(4096)
    finally:
        for tls in stalled:
            tls.close()
        caddy.stop()
        qode.stop()
    assert "Traceback" not in qode.log.read_text()


@pytest.mark.server
@pytest.mark.slow
def test_caddy_closes_idle_connections_to_qode_before_qode_does(tmp_path):
    """Host POSTs spaced just past Qode's 5 s keep-alive get no 502.

    A POST that Caddy sends on a kept-alive connection at the moment Qode closes it fails
    (502: Caddy cannot send a body again). So Caddy closes an idle connection to Qode after
    3 s: at 4 s after the last request it is gone from Qode's side, closed by Caddy (the end
    that closes first holds TIME_WAIT), where Caddy's default (2 minutes) would keep it.
    """
    if CADDY is None:
        pytest.skip("caddy is not installed (make test runs `apt-get install caddy`)")
    qode, caddy = start_stack(tmp_path, {"QODE_TRUSTED_PROXIES": "127.0.0.1", "QODE_SCHEDULER": "off"})
    try:
        queue = requests.post(f"{qode.url}/api/queues", json={"name": "Keep"}, headers=admin(),
                              timeout=5).json()
        context = ssl.create_default_context(cafile=str(caddy.root_crt))
        conn = http.client.HTTPSConnection("127.0.0.1", caddy.https_port, timeout=10,
                                           source_address=("127.0.0.2", 0), context=context)
        statuses = []
        try:
            for gap in (0, 4.98, 5.0, 5.02, 5.05):
                time.sleep(gap)
                conn.request("POST", f"/api/queues/{queue['id']}/tickets", body=b"{}", headers={
                    "Authorization": f"Bearer {queue['host_token']}", "Content-Type": "application/json"})
                answer = conn.getresponse()
                answer.read()
                statuses.append(answer.status)
            upstream = {e[0] for e in tcp_entries(qode.port)
                        if e[1] == qode.port and e[2] == TCP_ESTABLISHED}  # Caddy's end
            assert upstream  # the last POST's connection to Qode, kept alive for now
            time.sleep(4)
        finally:
            conn.close()
        assert statuses == [201] * 5  # one kept-alive client connection throughout, no 502
        entries = tcp_entries(qode.port)
        assert not [e for e in entries if e[0] == qode.port and e[2] == TCP_ESTABLISHED]
        for port in upstream:
            assert (port, qode.port, TCP_TIME_WAIT) in entries  # Caddy closed it
            assert (qode.port, port, TCP_TIME_WAIT) not in entries  # not Qode
    finally:
        caddy.stop()
        qode.stop()
    assert "Traceback" not in qode.log.read_text()



@pytest.mark.server
@pytest.mark.slow
def test_live_sockets_through_caddy_do_not_use_up_its_connections_to_qode(tmp_path, monkeypatch):
    """Caddy's cap on connections to Qode (128) counts HTTP requests only: upgraded live sockets
    leave it. Shown with the shipped Caddyfile's cap made 2: five host sockets, then a request."""
    if CADDY is None:
        pytest.skip("caddy is not installed (make test runs `apt-get install caddy`)")
    shipped = CADDYFILE.read_text()
    assert shipped.count("max_conns_per_host 128") == 1
    small = tmp_path / "Caddyfile"
    small.write_text(shipped.replace("max_conns_per_host 128", "max_conns_per_host 2"))
    monkeypatch.setitem(globals(), "CADDYFILE", small)  # what CaddyProcess.start reads
    qode, caddy = start_stack(tmp_path, {"QODE_TRUSTED_PROXIES": "127.0.0.1", "QODE_SCHEDULER": "off"})
    sockets = []
    try:
        queue = requests.post(f"{qode.url}/api/queues", json={"name": "Live"}, headers=admin(),
                              timeout=5).json()
        context = ssl.create_default_context(cafile=str(caddy.root_crt))
        for _ in range(5):
            sockets.append(host_socket(f"wss://127.0.0.1:{caddy.https_port}/ws/host/{queue['id']}",
                                       queue["host_token"], context))
            assert receive(sockets[-1])["type"] == "snapshot"
        answer = requests.get(f"https://127.0.0.1:{caddy.https_port}/api/queues/{queue['id']}/tickets",
                              headers={"Authorization": f"Bearer {queue['host_token']}"},
                              verify=str(caddy.root_crt), timeout=5)
        assert answer.status_code == 200
    finally:
        for ws in sockets:
            close_ws(ws)
        caddy.stop()
        qode.stop()


def test_publish_ca_copies_the_certificate_alone(tmp_path):
    source = tmp_path / "root.crt"
    source.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    dest = tmp_path / "etc" / "qode" / "ca.crt"
    done = publish_ca(source, dest)
    assert done.returncode == 0, done.stderr
    assert dest.read_bytes() == source.read_bytes() and (dest.stat().st_mode & 0o777) == 0o644
    assert publish_ca(source, dest).stdout == ""  # unchanged: nothing to do
    key = "-----BEGIN EC PRIVATE KEY-----\nBBBB\n-----END EC PRIVATE KEY-----\n"
    source.write_text(source.read_text() + key)
    refused = publish_ca(source, dest)
    assert refused.returncode == 1 and "not a certificate alone" in refused.stderr
    assert b"PRIVATE" not in dest.read_bytes()
