"""The live hub's fan-out: bounded queues, slow clients dropped, publish never waits."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from qode.live import Hub


def test_publish_reaches_every_client_in_order():
    hub = Hub(queue_limit=16)
    got: dict[int, list[str]] = {n: [] for n in range(3)}
    clients = [hub.join("q", got[n].append) for n in range(3)]
    for seq in range(10):
        assert hub.publish("q", {"type": "update", "seq": seq}) == 3
    deadline = time.monotonic() + 5
    while any(len(v) < 10 for v in got.values()) and time.monotonic() < deadline:
        time.sleep(0.01)
    for messages in got.values():
        assert messages == [f'{{"type":"update","seq":{seq}}}' for seq in range(10)]
    for client in clients:
        client.close()
    assert hub.count() == 0


def test_channels_are_separate():
    hub = Hub()
    seen: list[str] = []
    client = hub.join("a", seen.append)
    assert hub.publish("b", {"type": "x", "seq": 1}) == 0
    client.close()
    client.close()  # closing twice is harmless
    assert hub.count("a") == 0


SLOW_CLIENT_SCENARIO = """
from gevent import monkey
monkey.patch_all()
import json, threading, time
import gevent
from qode.live import Hub
import gc
# A full collection of everything the imports made (tens of ms) can land in any one broadcast, by
# how many objects the imports happened to allocate; it is not what this measures. Park them.
gc.collect()
gc.freeze()

hub = Hub(queue_limit=32)
stuck = threading.Event()
slow = hub.join("q", lambda text: stuck.wait(30))  # its first send never returns
counts = [0] * 50

def receiver(n):
    def send(text):
        counts[n] += 1
        gevent.sleep(0)  # a real socket send yields to the hub
    return send

healthy = [hub.join("q", receiver(n)) for n in range(50)]
slowest = 0.0
for seq in range(500):
    started = time.perf_counter()
    hub.publish("q", {"type": "update", "seq": seq})
    slowest = max(slowest, time.perf_counter() - started)
    if seq % 10 == 9:
        gevent.sleep(0.001)  # events arrive over time; the senders run in between
deadline = time.monotonic() + 10
while min(counts) < 500 and time.monotonic() < deadline:
    gevent.sleep(0.01)
print(json.dumps({"counts": counts, "slow_closed": slow.closed.is_set(),
                  "members": hub.count("q"), "slowest_ms": slowest * 1000}))
stuck.set()
"""


def test_slow_client_is_dropped_and_never_stalls_the_others():
    """One client that never reads, 50 healthy ones, 500 broadcasts, none waiting for the stuck one.

    Run under gevent in a child process, as in the server: there, publish never yields.
    """
    out = subprocess.run([sys.executable, "-c", SLOW_CLIENT_SCENARIO], capture_output=True,
                         text=True, timeout=60, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["counts"] == [500] * 50
    assert result["slow_closed"] and result["members"] == 50
    # A broadcast that waited on the stuck client would take until the end of the run (seconds);
    # the bound is loose because a busy 2-core CI machine can pause any process for milliseconds.
    assert result["slowest_ms"] < 100, f"a broadcast took {result['slowest_ms']:.1f} ms"


def test_shared_frame_is_what_a_server_connection_sends():
    """One broadcast's frame (framed once, sent to every socket) is byte for byte what a server
    connection that did a real handshake with a client sends, and the client reads it back whole."""
    from wsproto import ConnectionType, WSConnection
    from wsproto.events import AcceptConnection, Request, TextMessage

    from qode_common.websocket import frame_encoder

    client, server = WSConnection(ConnectionType.CLIENT), WSConnection(ConnectionType.SERVER)
    server.receive_data(client.send(Request(host="box", target="/ws/queues/x")))
    assert any(isinstance(event, Request) for event in server.events())
    client.receive_data(server.send(AcceptConnection()))
    assert any(isinstance(event, AcceptConnection) for event in client.events())
    frame = frame_encoder()
    for size in (0, 5, 125, 126, 65535, 65536, 70000):
        text = "é" * (size // 2) + "x" * (size % 2)
        data = frame(text)
        assert data == server.send(TextMessage(data=text))
        client.receive_data(data)
        received = "".join(event.data for event in client.events())
        assert received == text


FAST_PATH_SCENARIO = """
from gevent import monkey
monkey.patch_all()
import json, socket, time
import gevent
from wsproto.events import Ping
from qode.live import Hub
from qode_common.websocket import WebSocket, frame_encoder, open_server_connection

frame = frame_encoder()
hub = Hub(queue_limit=8, encode=frame)
pairs, wires, clients = [], [], []
for n in range(3):
    server, peer = socket.socketpair()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    wire = WebSocket(server, open_server_connection())
    pairs.append(peer)
    wires.append(wire)
    clients.append(hub.join("q", wire.send_frame, on_close=wire.abort, send_now=wire.send_now))

got = [bytearray(), bytearray()]
def read(n):  # peers 0 and 1 read; peer 2 never does
    while True:
        chunk = pairs[n].recv(65536)
        if not chunk:
            return
        got[n] += chunk
readers = [gevent.spawn(read, n) for n in range(2)]

big = "x" * 200_000  # far more than the kernel takes at once: a partial write
slowest = 0.0
sent = []
for seq in range(40):
    message = {"type": "update", "seq": seq, "pad": big if seq % 10 == 0 else ""}
    started = time.perf_counter()
    hub.publish("q", message)
    slowest = max(slowest, time.perf_counter() - started)
    sent.append(frame(json.dumps(message, separators=(",", ":"))))
    if seq == 5:
        wires[0].send_event(Ping())  # a ping mid-stream, as the server sends them
        sent.append(b"\\x89\\x00")
    gevent.sleep(0.001)
expected = b"".join(sent)
deadline = time.monotonic() + 10
while len(got[0]) < len(expected) and time.monotonic() < deadline:
    gevent.sleep(0.01)
print(json.dumps({
    "peer0_exact": bytes(got[0]) == expected,
    "peer1_exact": bytes(got[1]) == expected.replace(b"\\x89\\x00", b""),
    "silent_dropped": clients[2].closed.is_set(), "members": hub.count("q"),
    "slowest_ms": slowest * 1000,
}))
"""


def test_fast_path_keeps_frames_whole_and_in_order():
    """Real gevent sockets with small buffers: partial kernel writes, a ping in between, and a
    peer that never reads. Every frame arrives whole and in order; the silent peer is dropped."""
    out = subprocess.run([sys.executable, "-c", FAST_PATH_SCENARIO], capture_output=True,
                         text=True, timeout=60, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["peer0_exact"] and result["peer1_exact"], result
    assert result["silent_dropped"] and result["members"] == 2, result
    # A broadcast that waited on the stuck client would take until the end of the run (seconds);
    # the bound is loose because a busy 2-core CI machine can pause any process for milliseconds.
    assert result["slowest_ms"] < 100, f"a broadcast took {result['slowest_ms']:.1f} ms"
