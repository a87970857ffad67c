"""`qode bench pages`: the guest page's budgets, measured in headless Chromium.

1. Weight: the JS and CSS the guest page loads (index.html's entry script, its static
   imports and its stylesheet; the staff's lazy chunks are not loaded), gzipped.
   Budget: 100 KB.
2. Time to first useful content: from navigation start until the ticket's number is on
   screen, on a real `qode serve` on 127.0.0.1, in Debian's Chromium. Budget: 1 s. Cold
   (a new browser profile, nothing cached) and warm (reloaded), over several runs.

The figures are printed against their budgets; nothing here is a test assertion.
"""

from __future__ import annotations

import gzip
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import qode

from .issue import BenchServer, _http

STATIC = Path(qode.__file__).parent / "static"  # the pages the server under test serves
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
WEIGHT_BUDGET = 100 * 1024
TIME_BUDGET_MS = 1000.0
RUNS = 7


def guest_assets(static: Path = STATIC) -> list[Path]:
    """The files the guest page loads: what index.html names, plus the JS they import statically."""
    index = (static / "index.html").read_text()
    names = re.findall(r'(?:src|href)="/(assets/[^"]+\.(?:js|css))"', index)
    seen: list[Path] = []
    queue = [static / name for name in names]
    while queue:
        path = queue.pop()
        if path in seen or not path.is_file():
            continue
        seen.append(path)
        if path.suffix == ".js":
            # static imports only (`import ... from "./x.js"` / `import "./x.js"`), not import()
            for dep in re.findall(r'(?<![\w.])import\s*(?:[\w*{}\s,$]+from\s*)?["\'](\./[^"\']+\.js)["\']',
                                  path.read_text(errors="replace")):
                queue.append((path.parent / dep).resolve())
    return sorted(seen)


def weight(paths: list[Path]) -> list[tuple[str, int, int]]:
    return [(p.name, p.stat().st_size, len(gzip.compress(p.read_bytes(), 9))) for p in paths]


def measure_time(url: str, text: str, runs: int) -> dict:
    from playwright.sync_api import sync_playwright

    cold, warm = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            for _ in range(runs):
                context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
                page = context.new_page()
                for bucket in (cold, warm):
                    started = time.perf_counter()
                    if bucket is cold:
                        page.goto(url, wait_until="commit")
                    else:
                        page.reload(wait_until="commit")
                    page.get_by_text(text).first.wait_for(timeout=10_000)
                    # navigation start to now, as the page itself sees it
                    elapsed = page.evaluate("performance.now()")
                    bucket.append(min(elapsed, (time.perf_counter() - started) * 1000))
                context.close()
        finally:
            browser.close()
    return {"cold": cold, "warm": warm}


def main(args) -> int:
    if not (STATIC / "index.html").is_file():
        print("qode bench pages: the pages are not built; run `make pages` first", file=sys.stderr)
        return 2
    if not Path(CHROMIUM).exists():
        print(f"qode bench pages: {CHROMIUM} is missing; `apt-get install chromium`", file=sys.stderr)
        return 2
    rows = weight(guest_assets())
    total = sum(gz for _, _, gz in rows)
    print("guest page weight (what /t/{id} loads)        bytes     gzipped")
    for name, raw, gz in rows:
        print(f"  {name:<42} {raw:>8} {gz:>10}")
    verdict = "PASS" if total <= WEIGHT_BUDGET else "SHORT"
    print(f"  {'total JS + CSS':<42} {'':>8} {total:>10}   budget {WEIGHT_BUDGET} ({verdict})")

    port = getattr(args, "port", 8765)
    admin = "bench-admin-" + secrets.token_urlsafe(24)
    base = Path(tempfile.mkdtemp(prefix="qode-bench-pages-"))
    server = BenchServer(base / "pages", port, admin)
    try:
        server.start()
        _, queue = _http(port, "POST", "/api/queues", {"name": "Bench", "prefix": "A"},
                         {"Authorization": f"Bearer {admin}"})
        _, ticket = _http(port, "POST", f"/api/queues/{queue['id']}/tickets",
                          {"device_token": "bench-pages-device"})
        times = measure_time(f"http://127.0.0.1:{port}/t/{ticket['id']}", ticket["display_number"], RUNS)
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
    print()
    print(f"guest page: navigation start -> ticket number on screen, {RUNS} runs, headless Chromium")
    for kind, values in times.items():
        p50 = statistics.median(values)
        verdict = "PASS" if max(values) <= TIME_BUDGET_MS else "SHORT"
        print(f"  {kind:<5} p50 {p50:7.1f} ms   max {max(values):7.1f} ms"
              f"   budget {TIME_BUDGET_MS:.0f} ms ({verdict})")
    return 0
