"""`qode bench voice`: how long the box takes to make a call's announcement, per language (issue 16).

For each of the eight languages and three sample calls ("A042, counter 2", "B007, counter 12",
"P123, counter Desk 3"), a fresh `qode.voice.Voice` (empty cache, espeak-ng) makes the
announcement `--loads` times (default 5; each time a new cache, so every one is made, not read):
the time is the median of those, from the call to the WAV on disk, as the endpoint does on a
cache miss. Then a cached read (the second screen, or a recall within the cache's life).

Baselines measured in the same run, on the same machine:
- `espeak-ng --version`: starting the program at all (what any announcement pays);
- `sox -n … trim 0 D`: writing a WAV of silence as long as the announcement (the disk and a
  second process, no speech).

Each announcement is checked with sox (`sox FILE -n stat`): not silent (RMS amplitude above
0.01 of full scale) and its length within 1.5–8 s. The budget: at most 1.5 s per announcement
(one language) on this machine; the run fails (exit 1) when any language is over it or any
check fails. Then the same through a real `qode serve` (one gevent worker) on `--port`: per
language (the venue's, set with PATCH /api/venue) a call's audio the first time (made) and again
(cached), next to GET /healthz. Only local programs run and only 127.0.0.1 is contacted; the
server is stopped and temp folders are removed in a `finally`.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET_S = 1.5
SHORTEST, LONGEST = 1.5, 8.0  # a counter named in words ("Desk 3") makes it longer than the tests' 6 s
SILENT_RMS = 0.01
CALLS = [("A", 42, "2"), ("B", 7, "12"), ("P", 123, "Desk 3")]


def sox_stat(path: Path) -> dict[str, float]:
    out = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True, check=True,
                         timeout=30).stderr
    figures = {}
    for line in out.splitlines():
        name, _, value = line.partition(":")
        try:
            figures[re.sub(r"\s+", " ", name.strip())] = float(value.strip())
        except ValueError:
            continue
    return figures


def timed(fn, loads: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(loads):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _get(port: int, path: str, timeout: float = 15.0) -> tuple[int, bytes]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def through_a_server(folder: Path, port: int) -> list[str]:
    """The endpoint on a real `qode serve` (one gevent worker): per language, a call's audio the
    first time (made) and again (cached), against GET /healthz on the same connection kind."""
    import secrets

    from qode import voice
    from qode_bench.issue import BenchServer, _http

    token = secrets.token_urlsafe(24)
    server = BenchServer(folder / "served" / "data", port, token)
    failures = []
    print(f"\n  through a real qode serve on 127.0.0.1:{port} (GET /api/queues/{{id}}/calls/{{seq}}/voice):")
    print(f"  {'lang':4} {'healthz ms':>10} {'first ms':>9} {'cached ms':>9} {'bytes':>8}  verdict")
    try:
        server.start()
        admin = {"Authorization": f"Bearer {token}"}
        for language in voice.LANGUAGES:
            _http(port, "PATCH", "/api/venue", {"language": language}, admin)  # the venue's language
            _, queue = _http(port, "POST", "/api/queues", {"name": f"Bench {language}", "prefix": "A"}, admin)
            host = {"Authorization": f"Bearer {queue['host_token']}"}
            _http(port, "POST", f"/api/queues/{queue['id']}/tickets", {}, admin)
            _http(port, "POST", f"/api/queues/{queue['id']}/call-next", {"counter": "2"}, host)  # A001 → 2
            _, state = _http(port, "GET", f"/api/queues/{queue['id']}")
            seq = state["calls"][0]["seq"]
            t0 = time.perf_counter()
            _get(port, "/healthz")
            healthz = time.perf_counter() - t0
            t0 = time.perf_counter()
            status, body = _get(port, f"/api/queues/{queue['id']}/calls/{seq}/voice")
            first = time.perf_counter() - t0
            t0 = time.perf_counter()
            again, _ = _get(port, f"/api/queues/{queue['id']}/calls/{seq}/voice")
            cached = time.perf_counter() - t0
            ok = status == 200 and again == 200 and body[:4] == b"RIFF" and first <= BUDGET_S
            if not ok:
                failures.append(f"{language} through the server ({status})")
            print(f"  {language:4} {1000 * healthz:10.1f} {1000 * first:9.0f} {1000 * cached:9.1f} "
                  f"{len(body):8d}  {'ok' if ok else 'FAIL'}", flush=True)
    finally:
        server.stop()
    return failures


def main(args) -> int:
    from qode import __version__, voice

    loads = max(1, min(int(getattr(args, "loads", 5) or 5), 20))
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            print(f"qode bench voice: {tool} is not installed (Debian: apt install espeak-ng sox)",
                  file=sys.stderr)
            return 2
    version = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True,
                             timeout=10).stdout.strip()
    print(f"Qode {__version__} bench voice: each call's announcement made on the box, {loads} loads each")
    print(f"  {cpu_name()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}; "
          f"Python {sys.version.split()[0]}; {version.split('  Data')[0]}")
    folder = Path(tempfile.mkdtemp(prefix="qode-bench-voice-"))
    failures = []
    try:
        start_s, _ = timed(lambda: subprocess.run(["espeak-ng", "--version"], capture_output=True, check=True,
                                                  timeout=10), loads)
        print(f"  baseline: espeak-ng --version (program start) {1000 * start_s:.0f} ms")
        print(f"  budget: ≤ {BUDGET_S:.1f} s per announcement; length {SHORTEST}–{LONGEST} s; "
              f"RMS > {SILENT_RMS}")
        print()
        print(f"  {'lang':4} {'call':>18} {'made ms':>8} {'silence ms':>10} {'× start':>8} {'cached ms':>9} "
              f"{'length s':>8} {'RMS':>6}  verdict")
        worst = {}
        n = 0
        for language in voice.LANGUAGES:
            for prefix, number, counter in CALLS:
                call = voice.Call(prefix, number, counter)

                def make(call=call, language=language):
                    nonlocal n
                    n += 1
                    v = voice.Voice(folder / f"d{n}", {"VOICE_SECOND_LANGUAGE": None})
                    return v.announce(call, language)[1]

                made_s, path = timed(make, loads)
                v = voice.Voice(path.parents[2], {"VOICE_SECOND_LANGUAGE": None})
                cached_s, _ = timed(lambda v=v, call=call, language=language: v.announce(call, language)[1]
                                    .read_bytes(), loads)
                figures = sox_stat(path)
                length, rms = figures["Length (seconds)"], figures["RMS amplitude"]
                silence = folder / "silence.wav"
                silence_s, _ = timed(lambda length=length, silence=silence: subprocess.run(
                    ["sox", "-n", "-r", "22050", "-c", "1", "-b", "16", str(silence), "trim", "0",
                     f"{length:.3f}"],
                    check=True, timeout=30), loads)
                ok = made_s <= BUDGET_S and SHORTEST <= length <= LONGEST and rms > SILENT_RMS
                if not ok:
                    failures.append(f"{language} {call.display}/{counter}")
                worst[language] = max(worst.get(language, 0.0), made_s)
                print(f"  {language:4} {call.display + ' → ' + counter:>18} {1000 * made_s:8.0f} "
                      f"{1000 * silence_s:10.0f} {made_s / start_s:8.1f} {1000 * cached_s:9.2f} {length:8.2f} "
                      f"{rms:6.3f}  {'ok' if ok else 'FAIL'}", flush=True)
        # two languages (the venue's and a second one), as QODE_VOICE_SECOND_LANGUAGE makes them
        both = voice.Voice(folder / "both", {"VOICE_SECOND_LANGUAGE": "ar"})
        call = voice.Call(*voice.SAMPLE)

        def make_both():
            for p in both.cache.glob("*.wav"):
                p.unlink()
            return both.announce(call, "en")[1]

        both_s, path = timed(make_both, loads)
        print(f"\n  en + ar (second language) A042 → 2: {1000 * both_s:.0f} ms, "
              f"{sox_stat(path)['Length (seconds)']:.2f} s long")
        print("\n  slowest per language: " + ", ".join(f"{k} {1000 * s:.0f} ms" for k, s in worst.items()))
        failures += through_a_server(folder, getattr(args, "port", 8765) or 8765)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if failures:
        print(f"\nFAIL: {len(failures)} over budget or failing a check: {', '.join(failures)}")
        return 1
    print(f"\nOK: every language within {BUDGET_S} s per announcement, audible and of the expected length")
    return 0


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5)
    sys.exit(main(parser.parse_args()))
