"""The WebSocket transport (qode_common.websocket) against a real `qode serve`: what a browser or
a kiosk may send that the channel tests do not (fragments, a close handshake, plain HTTP), and the
same routes without gunicorn."""

from __future__ import annotations

import json
import re
import socket

import pytest
import requests
from werkzeug.test import EnvironBuilder
from wsproto.events import TextMessage

from qode_common.websocket import SOCKET_TAKEN, Client, ConnectionClosed, server_handshake

from helpers import admin, wait_until


def closed_with(ws, seconds: float = 6.0) -> int | None:
    try:
        for _ in range(int(seconds / 0.2)):
            ws.receive(timeout=0.2)
    except ConnectionClosed as closed:
        return closed.reason
    return None


@pytest.fixture
def feed(server):
    queue = requests.post(f"{server.url}/api/queues", json={"name": "Frames"}, headers=admin(),
                          timeout=5).json()
    return server.url.replace("http://", "ws://") + f"/ws/queues/{queue['id']}"


def test_a_fragmented_message_is_read_whole(feed):
    ws = Client.connect(feed)
    try:
        assert json.loads(ws.receive(timeout=5))["type"] == "snapshot"
        text = json.dumps({"type": "ping"})
        for n in range(0, len(text), 4):  # a continuation frame every 4 characters
            ws.send_event(TextMessage(data=text[n:n + 4], message_finished=n + 4 >= len(text)))
        assert json.loads(ws.receive(timeout=5))["type"] == "pong"
    finally:
        ws.close()


def test_fragments_count_together_against_the_message_size_limit(feed):
    ws = Client.connect(feed)
    ws.receive(timeout=5)
    for n in range(5):  # 5 x 20,000 characters: each fragment is small, the message is not
        ws.send_event(TextMessage(data="x" * 20_000, message_finished=n == 4))
    assert closed_with(ws) == 1009


def test_the_message_size_limit_counts_bytes_not_characters(feed):
    ws = Client.connect(feed)
    ws.receive(timeout=5)
    for n in range(5):  # 25,000 characters, but 75,000 bytes of UTF-8: over the 64 KiB default
        ws.send_event(TextMessage(data="\u20ac" * 5_000, message_finished=n == 4))
    assert closed_with(ws) == 1009


def test_a_client_close_gets_the_servers_close_back(feed):
    ws = Client.connect(feed)
    ws.receive(timeout=5)
    ws.close(1000, "bye")
    assert ws.close_received == 1000  # the server answered with its close frame
    assert not ws.thread.is_alive() and ws.ended
    with pytest.raises(ConnectionClosed):
        ws.send("{}")


def test_a_server_close_is_a_close_handshake(server):
    ws = Client.connect(server.url.replace("http://", "ws://") + "/ws/queues/nope")
    assert closed_with(ws) == 4404
    assert ws.close_message == "no queue with that id"
    ws.thread.join(timeout=5)
    assert not ws.thread.is_alive()


def test_plain_http_on_a_socket_path_is_a_json_400(server, feed):
    answer = requests.get(feed.replace("ws://", "http://"), timeout=5)
    assert answer.status_code == 400 and "error" in answer.json()
    # an upgrade wsproto cannot accept (no key): 400 from our route, never a 500
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
        path = feed.split(str(server.port), 1)[1]
        raw.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\n"
                    "Sec-WebSocket-Version: 13\r\n\r\n".encode())
        # Read the whole answer by its Content-Length. Not until the server closes: gunicorn keeps
        # the connection alive ("Connection: Upgrade, close" is not "close" to it) until its idle
        # timeout, 5 s, which raced this read's own 5 s under load.
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer.partition(b"\r\n\r\n")[2]) < int(
                re.search(rb"(?im)^content-length: *(\d+)", answer.partition(b"\r\n\r\n")[0]).group(1)):
            chunk = raw.recv(65536)
            assert chunk, answer  # the server closed before its whole answer
            answer += chunk
    text = answer.decode("latin-1")
    assert text.startswith("HTTP/1.1 400"), text
    assert '"websocket_required"' in text


def test_without_gunicorn_a_socket_route_answers_501(client, queue):
    headers = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    answer = client.get(f"/ws/queues/{queue['id']}", headers=headers)
    assert answer.status_code == 501
    assert answer.get_json()["error"]["code"] == "live_sockets_unavailable"


def test_the_handshake_is_rebuilt_from_the_environ():
    conn, request = server_handshake({
        "REQUEST_METHOD": "GET", "RAW_URI": "/ws/queues/q?since=5", "HTTP_HOST": "box:8000",
        "HTTP_UPGRADE": "websocket", "HTTP_CONNECTION": "keep-alive, Upgrade",
        "HTTP_SEC_WEBSOCKET_KEY": "dGhlIHNhbXBsZSBub25jZQ==", "HTTP_SEC_WEBSOCKET_VERSION": "13",
        "HTTP_SEC_WEBSOCKET_EXTENSIONS": "permessage-deflate; client_max_window_bits"})
    assert request.target == "/ws/queues/q?since=5" and request.host == "box:8000"
    assert conn is not None


def answer_pings(peer: socket.socket, answering, seen: bytearray) -> None:
    """A client that answers each ping with a (masked) pong at once while `answering` is set;
    `seen` gets every byte the server sent. Ends when the server's side closes."""
    peer.settimeout(0.05)
    while True:
        try:
            chunk = peer.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            return
        if not chunk:
            return
        seen.extend(chunk)
        if answering.is_set():
            try:
                peer.sendall(b"\x8a\x80\x00\x00\x00\x00" * chunk.count(b"\x89\x00"))
            except OSError:  # the server's side closed it
                return


def test_pings_keep_an_answering_peer_and_close_a_silent_one():
    """The server side pings every `ping_interval`; a peer that answers stays, one whose pong has
    not come back by the next ping is closed with 1008 (here 1 s instead of 25 s)."""
    import threading
    import time

    from qode_common.websocket import WebSocket, open_server_connection

    ours, peer = socket.socketpair()
    # Paced by the pings, not a clock: at 0.2 s a loaded machine that stalled either side for 200 ms
    # (the peer's answer, or this side reading it before its next ping) closed a healthy peer.
    ws = WebSocket(ours, open_server_connection(), ping_interval=1.0)
    answering = threading.Event()
    answering.set()
    seen = bytearray()
    thread = threading.Thread(target=answer_pings, args=(peer, answering, seen), daemon=True)
    thread.start()
    try:
        # Until 3 pings went out and the last one's pong came back: each answered, still open.
        deadline = time.monotonic() + 30
        while (seen.count(b"\x89\x00") < 3 or ws.pong_due) and time.monotonic() < deadline:
            assert ws.receive(timeout=0.1) is None
        assert ws.connected and seen.count(b"\x89\x00") >= 3 and not ws.pong_due
        answering.clear()
        with pytest.raises(ConnectionClosed) as closed:
            ws.receive(timeout=10)
        assert closed.value.reason == 1008 and closed.value.message == "Ping/Pong timeout"
        wait_until(lambda: b"\x88\x13\x03\xf0Ping/Pong timeout" in seen)  # the close frame reached the peer
    finally:
        ours.close()  # the peer reads the end and returns
        thread.join(timeout=5)
        peer.close()


def test_a_pong_waiting_unread_keeps_the_peer_after_the_reader_was_away():
    """The reader was away longer than a ping interval (a long send, a stalled worker) while the
    peer's pong sat unread in the socket: the next ping reads it first and keeps the peer, and a
    peer that really did not answer is still closed."""
    import threading
    import time

    from qode_common.websocket import WebSocket, open_server_connection

    def run(answer: bool) -> WebSocket:
        ours, peer = socket.socketpair()
        ws = WebSocket(ours, open_server_connection(), ping_interval=1.0)
        answering = threading.Event()
        if answer:
            answering.set()
        thread = threading.Thread(target=answer_pings, args=(peer, answering, bytearray()), daemon=True)
        thread.start()
        try:
            ws.ping()  # the first ping goes out; then this side is away, not reading, until the
            assert ws.pong_due  # next ping is due (the pong, if any, waits in the socket)
            time.sleep(max(0.0, ws.next_ping - time.monotonic()) + 0.3)
            try:
                ws.receive(timeout=0.2)
            except ConnectionClosed:
                pass
            return ws
        finally:
            ours.close()
            thread.join(timeout=5)
            peer.close()

    kept = run(answer=True)
    assert kept.connected and kept.close_message is None  # the waiting pong was read: still open
    silent = run(answer=False)
    assert silent.close_reason == 1008 and silent.close_message == "Ping/Pong timeout"


def test_a_view_that_fails_after_the_handshake_closes_the_socket_with_1011(app, queue, monkeypatch):
    """Past the 101 no HTTP answer may follow: a fault in a view (here the snapshot fails) ends
    the socket with 1011 and its reason, not with an HTTP 500 written onto the socket."""
    ours, peer = socket.socketpair()
    peer.settimeout(5)

    def broken(*args, **kwargs):
        raise RuntimeError("the snapshot failed")

    monkeypatch.setattr(app.extensions["qode_live"], "snapshot", broken)
    headers = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    environ = EnvironBuilder(path=f"/ws/queues/{queue['id']}", headers=headers).get_environ()
    environ["gunicorn.socket"] = ours
    try:
        with app.app_context():
            body = app.wsgi_app(environ, lambda *args: pytest.fail(f"an HTTP answer was started: {args}"))
        assert body is SOCKET_TAKEN  # the worker closes the connection and writes nothing more
        ours.close()
        seen = b""
        while chunk := peer.recv(65536):
            seen += chunk
    finally:
        ours.close()
        peer.close()
    assert seen.startswith(b"HTTP/1.1 101"), seen[:200]
    assert b"\x88" + bytes([2 + len(b"the server met an error; try again shortly")]) + b"\x03\xf3" in seen
    assert b"HTTP/1.1 500" not in seen and b"Internal Server Error" not in seen
