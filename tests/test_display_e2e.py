"""The TV in real headless Chromium against a real `qode serve` (issue 14, must-show 2).

At 1920×1080, 1366×768 and 1080×1920, for queues with 0- to 4-character prefixes, three real
host API calls at three counters: every current call is on screen, inside the viewport and its
tile, on one line, not clipped; tiles do not overlap; the newest is highlighted (and flashes,
except with reduced motion); a guest who leaves, a completed and a no-show call leave the screen.
axe (WCAG 2.2 AA) finds nothing in those states. One server and one browser for the whole matrix.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
import requests

from a11y import axe_violations, text_at_200_percent

from helpers import ServerProcess, admin

pytestmark = [pytest.mark.server, pytest.mark.slow]

SIZES = {"1920x1080": {"width": 1920, "height": 1080}, "1366x768": {"width": 1366, "height": 768},
         "1080x1920": {"width": 1080, "height": 1920}}
# 0 to 4 characters, the widest letters (M, W) included: "WWMM001" is the hardest to fit.
PREFIXES = ["", "B", "MW", "ABC", "MELD", "WWMM"]
COUNTERS = ["1", "2", "3"]
MANY = ["1", "2", "3", "4", "5", "6", "7", "12"]  # a busy venue: 8 counters

# Every problem of the TV's layout, as text (empty when all is well): per tile, the number and
# the counter label inside the viewport and inside their tile, on one line (height under 1.5 of
# the line height), nothing scrolled or clipped (scrollWidth <= clientWidth); no two tiles overlap.
LAYOUT = """
() => {
  const problems = [];
  const vw = innerWidth, vh = innerHeight;
  const inside = (r, box) => r.left >= box.left - 0.5 && r.top >= box.top - 0.5
    && r.right <= box.right + 0.5 && r.bottom <= box.bottom + 0.5;
  const view = { left: 0, top: 0, right: vw, bottom: vh };
  const tiles = [...document.querySelectorAll('li.tv-tile')];
  const rects = tiles.map((t) => t.getBoundingClientRect());
  tiles.forEach((tile, i) => {
    const box = rects[i];
    if (!inside(box, view)) problems.push(`tile ${i} outside the viewport ${JSON.stringify(box)}`);
    for (const el of tile.querySelectorAll('.tv-number, .tv-counter')) {
      const r = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      const line = parseFloat(style.lineHeight);
      const what = `${el.className} "${el.textContent}"`;
      if (!inside(r, box)) problems.push(`${what} outside its tile`);
      if (!inside(r, view)) problems.push(`${what} outside the viewport`);
      if (!(r.height < line * 1.5)) problems.push(`${what} wraps: ${r.height} px high, line ${line}`);
      if (el.scrollWidth > el.clientWidth && el.clientWidth > 0) problems.push(`${what} scrolls`);
      if (el.scrollWidth > Math.ceil(r.width) + 1) problems.push(`${what} clipped`);
      if (style.textOverflow === 'ellipsis') problems.push(`${what} ellipsis`);
      if (parseFloat(style.fontSize) < 24) problems.push(`${what} too small: ${style.fontSize}`);
    }
  });
  for (let i = 0; i < rects.length; i++)
    for (let j = i + 1; j < rects.length; j++) {
      const a = rects[i], b = rects[j];
      if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5)
        problems.push(`tiles ${i} and ${j} overlap`);
    }
  if (document.documentElement.scrollWidth > vw || document.documentElement.scrollHeight > vh)
    problems.push('the page scrolls');
  return problems;
}
"""

# Per tile: its counter, number, whether it is the newest, its colour and its running animations.
TILES = """
() => [...document.querySelectorAll('li.tv-tile')].map((t) => ({
  counter: t.dataset.counter,
  number: t.querySelector('.tv-number').textContent,
  label: t.querySelector('.tv-counter')?.textContent ?? null,
  newest: t.dataset.newest === 'true',
  background: getComputedStyle(t).backgroundColor,
  animation: getComputedStyle(t).animationName,
  running: t.getAnimations().filter((a) => a.playState === 'running').length,
}))
"""


def calling_line(proc, prefix: str, counters: list[str], name: str) -> dict:
    """A new queue with a guest called at each of `counters`, in that order (real host API calls)."""
    queue = requests.post(f"{proc.url}/api/queues", json={"name": name, "prefix": prefix}, headers=admin(),
                          timeout=5).json()
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    tickets = [requests.post(f"{proc.url}/api/queues/{queue['id']}/tickets",
                             json={"device_token": f"device-token-{queue['id'][:8]}{i:04d}"}, timeout=5).json()
               for i in range(len(counters) + 3)]
    for counter in counters:
        answer = requests.post(f"{proc.url}/api/queues/{queue['id']}/call-next", json={"counter": counter},
                               headers=host, timeout=5)
        assert answer.status_code == 200, answer.text
    return {"queue": queue, "host": host, "tickets": tickets, "counters": counters}


@pytest.fixture(scope="module")
def venue(tmp_path_factory):
    """One box, a queue per prefix with its three counters calling, and a queue with eight."""
    proc = ServerProcess(tmp_path_factory.mktemp("tv") / "served").start()
    lines = {prefix: calling_line(proc, prefix, COUNTERS, f"Line {prefix or 'none'}") for prefix in PREFIXES}
    lines["many"] = calling_line(proc, "MELD", MANY, "Line many")
    yield proc, lines
    proc.stop()
    assert "Traceback" not in proc.log.read_text()


@pytest.fixture(scope="module")
def tv(browser, venue):
    """A page per (viewport, reduced motion), reused across queues; every request stays on the box."""
    proc, _ = venue
    strays: list[str] = []
    contexts: dict = {}

    def guard(route):
        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            strays.append(route.request.url)
            route.abort()

    def page_for(size: str, reduced: bool = False):
        key = (size, reduced)
        if key not in contexts:
            context = browser.new_context(viewport=SIZES[size], locale="en-US",
                                          reduced_motion="reduce" if reduced else "no-preference")
            context.route("**/*", guard)
            contexts[key] = (context, context.new_page())
        return contexts[key][1]

    yield page_for
    for context, _ in contexts.values():
        context.close()
    assert strays == [], f"the TV asked for something off the box: {strays}"


def number(prefix: str, n: int) -> str:
    return f"{prefix}{n:03d}"


def show(page, proc, queue_id: str, count: int):
    page.goto(f"{proc.url}/display/{queue_id}")
    tiles_shown(page, count)
    page.wait_for_function("() => document.fonts.status === 'loaded'")
    page.wait_for_function("() => { const qr = document.querySelector('aside img');"
                           " return qr.complete && qr.naturalWidth > 0 }")


def tiles_shown(page, count: int) -> None:
    # Functions, not expressions: the page's CSP forbids eval, and so Playwright's string predicates.
    page.wait_for_function("(n) => document.querySelectorAll('li.tv-tile').length === n", arg=count,
                           timeout=15_000)


@pytest.mark.parametrize("size", list(SIZES))
def test_every_current_call_fits_at_every_prefix(venue, tv, size):
    proc, lines = venue
    page = tv(size)
    for prefix in PREFIXES:
        line = lines[prefix]
        show(page, proc, line["queue"]["id"], 3)
        problems = page.evaluate(LAYOUT)
        assert problems == [], f"{size}, prefix {prefix!r}: {problems}"
        tiles = page.evaluate(TILES)
        assert [(t["counter"], t["number"], t["label"]) for t in tiles] == [
            ("1", number(prefix, 1), "Counter 1"), ("2", number(prefix, 2), "Counter 2"),
            ("3", number(prefix, 3), "Counter 3")]
        # The newest call (counter 3's) is the one highlighted, in a colour of its own.
        assert [t["newest"] for t in tiles] == [False, False, True]
        assert tiles[2]["background"] != tiles[0]["background"] == tiles[1]["background"]
        if prefix == "WWMM":
            page.screenshot(path=str(shots() / f"display-3-counters-{size}.png"))
            assert axe_violations(page) == []
            # 200 % text: the TV's sizes follow the screen and the tile, so still nothing clips.
            with text_at_200_percent(page, settle_ms=0):
                assert page.evaluate(LAYOUT) == [], f"{size} at 200 % text"

    # Eight counters, 4-character prefix: still one line each, nothing outside, no overlap.
    many = lines["many"]
    show(page, proc, many["queue"]["id"], len(MANY))
    assert page.evaluate(LAYOUT) == [], size
    assert sorted(t["number"] for t in page.evaluate(TILES)) == [number("MELD", n) for n in range(1, 9)]
    page.screenshot(path=str(shots() / f"display-8-counters-{size}.png"))


def shots():
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("reduced", [False, True], ids=["motion", "reduced-motion"])
def test_the_newest_call_is_highlighted_and_flashes_unless_motion_is_reduced(venue, tv, reduced):
    proc, _ = venue
    line = calling_line(proc, "ABC", COUNTERS, f"Highlight {reduced}")
    page = tv("1920x1080", reduced)
    show(page, proc, line["queue"]["id"], 3)
    assert [t["newest"] for t in page.evaluate(TILES)] == [False, False, True]
    # Every animation that starts from here on, whenever the test gets to look (a loaded machine
    # may look after the 4.5 s flash is over).
    page.evaluate("() => { window.flashes = []; document.addEventListener('animationstart',"
                  " e => window.flashes.push([e.target.dataset.counter, e.animationName]), true) }")
    # A live call at counter 1: its tile shows the new number and becomes the newest.
    answer = requests.post(f"{proc.url}/api/queues/{line['queue']['id']}/call-next", json={"counter": "1"},
                           headers=line["host"], timeout=5)
    assert answer.status_code == 200, answer.text
    called = answer.json()["display_number"]
    page.wait_for_function("() => document.querySelector('li.tv-tile[data-newest=\"true\"]')?.dataset.counter"
                           " === '1'", timeout=15_000)
    tiles = page.evaluate(TILES)
    first = tiles[0]
    assert first["counter"] == "1" and first["newest"] and first["number"] == called
    assert first["background"] != tiles[1]["background"]  # highlighted either way
    assert not tiles[2]["newest"] and tiles[2]["animation"] == "none"
    if reduced:
        assert first["animation"] == "none" and first["running"] == 0  # no movement
        assert [name for _, name in page.evaluate("window.flashes")].count("tv-call-in") == 0
    else:
        assert first["animation"] == "tv-call-in"  # it flashes...
        flashed = [counter for counter, name in page.evaluate("window.flashes") if name == "tv-call-in"]
        assert flashed and set(flashed) == {"1"}, flashed  # only the called counter's tile
        page.wait_for_function(  # ...for a few seconds, then stays highlighted
            "() => document.querySelector('li.tv-tile[data-newest=\"true\"]').getAnimations().length === 0",
            timeout=15_000)
        settled = page.evaluate(TILES)
        assert settled[0]["newest"] and settled[0]["background"] != settled[1]["background"]
    assert page.evaluate(LAYOUT) == []
    assert axe_violations(page) == []
    page.screenshot(path=str(shots() / f"display-newest-{'reduced' if reduced else 'motion'}.png"))


@pytest.mark.parametrize("size", list(SIZES))
def test_a_guest_who_leaves_and_ended_calls_leave_the_screen(venue, tv, size):
    proc, lines = venue
    # A queue of its own per size: the calls are used up.
    queue = requests.post(f"{proc.url}/api/queues", json={"name": f"Leavers {size}", "prefix": "MELD"},
                          headers=admin(), timeout=5).json()
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    base = f"{proc.url}/api/queues/{queue['id']}"
    tickets = [requests.post(f"{base}/tickets", json={"device_token": f"device-token-leave{size}{i}"},
                             timeout=5).json() for i in range(3)]
    page = tv(size)
    page.goto(f"{proc.url}/display/{queue['id']}")
    page.get_by_text("Nobody has been called yet").wait_for(timeout=15_000)
    for counter in COUNTERS:
        assert requests.post(f"{base}/call-next", json={"counter": counter}, headers=host, timeout=5).ok
    tiles_shown(page, 3)
    assert page.evaluate(LAYOUT) == []

    def numbers():
        return [t["number"] for t in page.evaluate(TILES)]

    # The guest called to counter 2 cancels on their phone: gone from the TV, the others stay.
    assert requests.post(f"{proc.url}/api/tickets/{tickets[1]['id']}/cancel", timeout=5).ok
    tiles_shown(page, 2)
    assert numbers() == ["MELD001", "MELD003"]
    assert page.get_by_text("MELD002").count() == 0
    assert page.evaluate(LAYOUT) == []
    assert axe_violations(page) == []
    # Counter 1 is done, counter 3's guest did not come: the screen says nobody is being called.
    assert requests.post(f"{proc.url}/api/tickets/{tickets[0]['id']}/complete", headers=host, timeout=5).ok
    tiles_shown(page, 1)
    assert numbers() == ["MELD003"]
    assert requests.post(f"{proc.url}/api/tickets/{tickets[2]['id']}/no-show", headers=host, timeout=5).ok
    page.get_by_text("Nobody has been called yet").wait_for(timeout=15_000)
    assert page.locator("li.tv-tile").count() == 0
    assert page.get_by_text(re.compile("MELD00[123]")).count() == 0
    assert axe_violations(page) == []


@pytest.mark.parametrize("size", list(SIZES))
def test_six_counters_fit_under_a_paused_banner_and_a_closed_counter(venue, tv, size):
    """The line's status takes room from the tiles, never the calls' legibility or their place."""
    proc, _ = venue
    line = calling_line(proc, "ABCD", ["1", "2", "3", "4", "5", "6"], f"Paused {size}")
    base = f"{proc.url}/api/queues/{line['queue']['id']}"
    assert requests.patch(base, json={"is_paused": True, "back_in_minutes": 10}, headers=line["host"],
                          timeout=5).ok
    assert requests.post(f"{base}/counters", json={"counter": "9", "open": False, "back_in_minutes": 5},
                         headers=line["host"], timeout=5).ok
    page = tv(size)
    show(page, proc, line["queue"]["id"], 6)
    page.get_by_text("Paused", exact=True).wait_for(timeout=15_000)
    assert page.evaluate(LAYOUT) == [], size
    assert [t["number"] for t in page.evaluate(TILES)] == [number("ABCD", n) for n in range(1, 7)]
    assert axe_violations(page) == []
    # Resumed, with counter 9 on a break: its line instead of the banner.
    assert requests.patch(base, json={"is_paused": False}, headers=line["host"], timeout=5).ok
    page.get_by_text("Counter 9 is closed", exact=False).wait_for(timeout=15_000)
    assert page.evaluate(LAYOUT) == [], size
    page.screenshot(path=str(shots() / f"display-6-counters-closed-counter-{size}.png"))
    assert axe_violations(page) == []
