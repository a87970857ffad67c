"""`qode serve` as a real process: first start, demo queue, and gunicorn-level errors as JSON."""

from __future__ import annotations

import json
import os
import re
import socket
import stat

import pytest
import requests

from helpers import ServerProcess, admin, ws_client_class

pytestmark = pytest.mark.server


@pytest.mark.xdist_group("serial")  # restarts a server on its port: no other test may take it meanwhile
def test_first_start_prints_token_and_demo_links(tmp_path):
    env = {"QODE_ADMIN_TOKEN": "", "QODE_PUBLIC_URL": "http://127.0.0.1:1"}
    proc = ServerProcess(tmp_path / "d", env=env)
    proc.extra_args = ["--demo"]
    proc.start()
    try:
        out = proc.log.read_text()
        token_file = tmp_path / "d" / "admin_token"
        token = token_file.read_text().strip()
        assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
        assert f"Admin token (saved in {token_file}, mode 0600): {token}" in out
        assert f"Setup link: http://127.0.0.1:1/setup#token={token}" in out
        host = re.search(r"Host dashboard: \S+/host/([0-9a-f-]{36})#token=(\S+)", out)
        join = re.search(r"Guest join:\s+\S+/join/([0-9a-f-]{36})", out)
        assert host and join and host[1] == join[1]
        # The printed links work: the host token calls, the queue is "Front desk".
        queue = requests.get(f"{proc.url}/api/queues/{host[1]}", timeout=5).json()
        assert queue["name"] == "Front desk"
        # issue 14: brand. The demo's pages carry a venue name until setup gives the real one.
        assert requests.get(f"{proc.url}/api/venue", timeout=5).json()["name"] == "Qode demo"
        listing = requests.get(f"{proc.url}/api/queues/{host[1]}/tickets", timeout=5,
                               headers={"Authorization": f"Bearer {host[2]}"})
        assert listing.status_code == 200
        admin_call = requests.post(f"{proc.url}/api/queues", json={"name": "X"}, timeout=5,
                                   headers={"Authorization": f"Bearer {token}"})
        assert admin_call.status_code == 201
    finally:
        proc.stop()
    # A second start keeps the token and the demo queue, and says so.
    proc.log.write_text("")
    proc.start()
    try:
        out = proc.log.read_text()
        assert token not in out.split("Demo queue")[0]
        assert f"Host dashboard: http://127.0.0.1:1/host/{host[1]}#token={host[2]}" in out
    finally:
        proc.stop()


@pytest.mark.parametrize("staff_env, staff", [
    ({"QODE_STAFF_URL": "https://box.example:9443"}, "https://box.example:9443"),
    ({"QODE_TLS_CA_FILE": "CA"}, "https://192.168.1.20:8443"),  # Caddy set up: https on the public host
])
def test_first_start_prints_token_links_at_the_staff_https_address(tmp_path, staff_env, staff):
    """The setup link carries the admin token: it names the https address whenever the box has one,
    so opening it never sends the token over plain http (the demo's host and kiosk links likewise)."""
    if staff_env.get("QODE_TLS_CA_FILE") == "CA":
        ca = tmp_path / "ca.crt"
        ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
        staff_env = {"QODE_TLS_CA_FILE": str(ca)}
    env = {"QODE_ADMIN_TOKEN": "", "QODE_PUBLIC_URL": "http://192.168.1.20:8000", **staff_env}
    proc = ServerProcess(tmp_path / "d", env=env)
    proc.extra_args = ["--demo"]
    proc.start()
    try:
        out = proc.log.read_text()
        token = (tmp_path / "d" / "admin_token").read_text().strip()
        assert f"Setup link: {staff}/setup#token={token}" in out
        assert re.search(rf"Host dashboard: {re.escape(staff)}/host/[0-9a-f-]{{36}}#token=\S+", out), out
        assert re.search(rf"Touch kiosk:\s+{re.escape(staff)}/kiosk/[0-9a-f-]{{36}}#token=\S+", out), out
        assert "Guest join:     http://192.168.1.20:8000/join/" in out  # guests stay on plain http
        assert "http://192.168.1.20:8000/setup" not in out
    finally:
        proc.stop()


def test_the_demo_prints_touch_kiosk_tickets_as_png_files(tmp_path):
    """`make run`'s kiosk: a preview printer, so a ticket from the touch page comes out as a PNG
    whose QR code (read by zbar) is the ticket's status link."""
    decode = pytest.importorskip("pyzbar.pyzbar", reason="needs pip pyzbar and Debian libzbar0").decode
    from PIL import Image

    from helpers import wait_until

    proc = ServerProcess(tmp_path / "demo")
    proc.extra_args = ["--demo"]
    proc.start()
    try:
        out = proc.log.read_text()
        kiosk = re.search(r"Touch kiosk:\s+\S+/kiosk/([0-9a-f-]{36})#token=(\S+)", out)
        host = re.search(r"Host dashboard: \S+/host/([0-9a-f-]{36})#token=(\S+)", out)
        assert kiosk and host
        auth = {"Authorization": f"Bearer {host[2]}"}

        def demo_kiosk():
            devices = requests.get(f"{proc.url}/api/queues/{host[1]}/devices", headers=auth, timeout=5).json()
            return [d for d in devices["devices"] if d["connected"] and d["printer"] == "ready"]

        wait_until(demo_kiosk, timeout=20)
        ticket = requests.post(f"{proc.url}/api/queues/{kiosk[1]}/tickets", json={}, timeout=5,
                               headers={"Authorization": f"Bearer {kiosk[2]}"}).json()
        pngs = wait_until(lambda: sorted((tmp_path / "demo" / "kiosk" / "preview").glob("*.png")), timeout=10)
        (symbol,) = decode(Image.open(pngs[-1]))
        assert symbol.data.decode() == f"{proc.url}/t/{ticket['id']}"
    finally:
        proc.stop()
    assert "Traceback" not in proc.log.read_text()


def test_the_demo_prints_a_link_to_every_page(tmp_path):
    """`make run` names every page (pages.PAGE_ROUTES but the hub's and the bare "/", and the
    ticket's), the TV's display included, and every link it prints answers; the token links'
    tokens work."""
    from qode.pages import PAGE_ROUTES, TICKET_ROUTE

    proc = ServerProcess(tmp_path / "demo")
    proc.extra_args = ["--demo"]
    proc.start()
    try:
        demo = proc.log.read_text().split('Demo queue "Front desk":')[1].split("Listening on")[0]
        links = dict(re.findall(r"^ {4}([A-Z][^:]*):\s+(http\S+)", demo, re.M))
        pages = {route.split("/")[1] for route in [*PAGE_ROUTES, TICKET_ROUTE]} - {"", "hub"}
        assert pages == {"t", "join", "host", "display", "kiosk", "setup"}
        assert {url.split("#")[0].split("/")[3] for url in links.values()} >= pages, links
        assert "Display (TV)" in links, links
        queue_id = links["Guest join"].rsplit("/", 1)[1]
        ticket = requests.post(f"{proc.url}/api/queues/{queue_id}/tickets", timeout=5,
                               json={"device_token": "device-token-demo-links"}).json()
        for name, url in links.items():
            url = url.replace("<ticket", ticket["id"]) if "<ticket" in url else url
            page, _, fragment = url.partition("#")
            answer = requests.get(page, timeout=5)
            assert answer.status_code == 200, (name, url, answer.text[:300])
            if "/api/" not in page and not page.endswith("/healthz"):
                assert answer.headers["Content-Type"].startswith("text/html"), (name, url)
            if fragment:  # a staff link's token is accepted for what the page does
                token = {"Authorization": f"Bearer {fragment.removeprefix('token=')}"}
                check = {"Host dashboard": f"/api/queues/{queue_id}/tickets", "Setup (admin)": "/api/queues",
                         "Touch kiosk": "/api/device/status"}[name]
                if name == "Touch kiosk":
                    ok = requests.post(proc.url + check, json={"printer": "ready"}, headers=token, timeout=5)
                else:
                    ok = requests.get(proc.url + check, headers=token, timeout=5)
                assert ok.status_code in (200, 204), (name, ok.status_code, ok.text[:300])
    finally:
        proc.stop()
    assert "Traceback" not in proc.log.read_text()


def test_ctrl_c_stops_the_demo_cleanly(tmp_path):
    """Ctrl-C on `make run`: the terminal sends SIGINT to the whole process group (master, worker,
    demo kiosk). Everything ends, with status 0 and no traceback (gevent printed a SystemExit one)."""
    import signal
    import subprocess
    import time

    from helpers import QODE, free_port, wait_until

    port = free_port()
    out, err = tmp_path / "out", tmp_path / "err"
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        proc = subprocess.Popen([QODE, "serve", "--demo", "--host", "127.0.0.1", "--port", str(port),
                                 "--data-dir", str(tmp_path / "demo")], stdout=stdout, stderr=stderr,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"

        def up():
            try:
                return requests.get(url + "/healthz", timeout=1).status_code == 200
            except requests.RequestException:
                return False

        wait_until(up, timeout=30)
        wait_until(lambda: "is ready" in out.read_text(), timeout=30)  # the demo kiosk is connected
        display = ws_client_class().connect(  # a live socket open, as a TV would hold
            f"ws://127.0.0.1:{port}/ws/queues/" + re.search(r"/display/(\S+)", out.read_text())[1])
        assert json.loads(display.receive(timeout=10))["type"] == "snapshot"  # its handler is serving it
        os.killpg(proc.pid, signal.SIGINT)
        status = proc.wait(timeout=20)
        display.close() if display.connected else None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    said = err.read_text()
    assert status == 0, said[-3000:]
    assert "Traceback" not in said and "SystemExit" not in said, said[-3000:]
    assert "Handling signal: int" in said and "Shutting down: Master" in said, said[-3000:]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the worker and the demo kiosk went too: nothing left in the group
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("a process of `qode serve --demo` outlived Ctrl-C")


def raw(url: str, payload: bytes) -> tuple[str, bytes]:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(payload)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        assert data, "the server closed without an answer"
    head, _, body = data.partition(b"\r\n\r\n")
    return head.decode("latin-1"), body


def test_gunicorn_level_errors_are_json(server):
    for payload, status in [
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n", "431"),
        (b"NOT A REQUEST\r\n\r\n", "400"),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", "414"),
    ]:
        head, body = raw(server.url, payload)
        assert head.split()[1] == status, head
        assert "application/json" in head
        assert set(json.loads(body)["error"]) == {"code", "message"}


def test_app_level_header_limit_on_real_server(server):
    headers = {f"X-Pad-{n}": "p" * 1000 for n in range(9)}  # each field fine, 9 KB in all
    response = requests.get(server.url + "/healthz", headers=headers, timeout=5)
    assert response.status_code == 431
    assert response.json()["error"]["code"] == "headers_too_large"


def test_unusable_admin_token_setting_is_refused(tmp_path):
    import subprocess

    from helpers import QODE

    env = {**os.environ, "QODE_ADMIN_TOKEN": "s3cret+/="}
    done = subprocess.run([QODE, "serve", "--data-dir", str(tmp_path), "--port", "1"],
                          env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "QODE_ADMIN_TOKEN" in done.stderr


def test_empty_admin_token_file_is_replaced(tmp_path):
    from qode.auth import ensure_admin_token

    (tmp_path / "admin_token").write_text("")
    token, generated = ensure_admin_token(tmp_path, None)
    assert generated and len(token) >= 40
    assert (tmp_path / "admin_token").read_text().strip() == token


@pytest.mark.parametrize("args", [
    ["serve", "--port", "eighty"],
    ["serve", "--bogus"],
    ["bench", "nothing"],
    ["bench", "issue", "--seconds", "0"],
    ["bench", "issue", "--seconds", "abc"],
    ["bench", "issue", "--concurrency", "1,x"],
    ["bench", "issue", "--concurrency", "5000"],
])
def test_bad_cli_arguments_exit_2_with_a_message(args):
    import subprocess

    from helpers import QODE

    done = subprocess.run([QODE, *args], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2, (args, done.stdout, done.stderr)
    assert done.stderr.strip(), "a refusal must say why"
    assert "Traceback" not in done.stderr


def test_links_use_the_public_url_not_the_request_host(tmp_path):
    """Without QODE_PUBLIC_URL, serve fixes the box's own address for every link and QR code:
    a request's Host header (a TV at localhost, or anyone) cannot change it."""
    proc = ServerProcess(tmp_path / "links").start()
    try:
        made = requests.post(f"{proc.url}/api/queues", json={"name": "Desk"},
                             headers={**admin(), "Host": "evil.example"}, timeout=5).json()
        assert made["host_url"].startswith(f"http://127.0.0.1:{proc.port}/host/")
        host = {"Authorization": f"Bearer {made['host_token']}", "Host": "evil.example"}
        off_box = requests.post(f"{proc.url}/api/qr", json={"url": "http://evil.example/join/x"}, headers=host,
                                timeout=5)
        assert off_box.status_code == 422
        on_box = requests.post(f"{proc.url}/api/qr", json={"url": made["host_url"]}, headers=host, timeout=5)
        assert on_box.status_code == 200 and on_box.json()["svg"].startswith("<?xml")
    finally:
        proc.stop()



@pytest.mark.server
@pytest.mark.parametrize("how", ["script", "module"])
def test_qode_serve_runs_on_glibc_malloc_however_it_is_started(tmp_path, how):
    """`qode serve` re-executes itself once on glibc's malloc (its memory returns after a socket
    flood); started as `python -m qode.cli serve`, as the benchmarks do, it must come up too."""
    import sys

    proc = ServerProcess(tmp_path / how)
    if how == "module":
        proc.command = [sys.executable, "-m", "qode.cli"]
    proc.start()
    try:
        with open(f"/proc/{proc.proc.pid}/task/{proc.proc.pid}/children") as file:
            children = [int(child) for child in file.read().split()]
        for pid in (proc.proc.pid, *children):
            with open(f"/proc/{pid}/environ", "rb") as file:
                assert b"PYTHONMALLOC=malloc" in file.read().split(b"\0")
        assert requests.get(f"{proc.url}/healthz", timeout=5).status_code == 200
    finally:
        proc.stop()
    assert "Traceback" not in proc.log.read_text()
