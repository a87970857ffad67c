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
    """One client that never reads, 50 healthy ones, 500 broadcasts, each under 5 ms.

    Run under gevent in a child process, as in the server: there, publish never yields.
    """
    out = subprocess.run([sys.executable, "-c", SLOW_CLIENT_SCENARIO], capture_output=True,
                         text=True, timeout=60, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["counts"] == [500] * 50
    assert result["slow_closed"] and result["members"] == 50
    assert result["slowest_ms"] < 5, f"a broadcast took {result['slowest_ms']:.1f} ms"


def test_frame_matches_wsproto():
    from wsproto.connection import Connection, ConnectionType
    from wsproto.events import TextMessage

    from qode.live import frame

    for size in (0, 5, 125, 126, 65535, 65536, 70000):
        text = "é" * (size // 2) + "x" * (size % 2)
        reference = Connection(ConnectionType.SERVER).send(TextMessage(data=text))
        assert frame(text) == reference
