"""Spoken calls on the TV (issue 16) in real headless Chromium against a real `qode serve`.

Chromium is started as the display unit starts it (`--autoplay-policy=no-user-gesture-required`).
What the page plays is watched from outside the product: every request it makes, and the media
elements' `playing` and `ended` events (an init script listens on every <audio> the page plays),
plus the TV's own `data-voice-played` count on <html>.
"""

from __future__ import annotations

import shutil
from urllib.parse import urlparse

import pytest
import requests

from a11y import ARGS, CHROMIUM

from helpers import ServerProcess, admin

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng (Debian) speaks the calls")

TV = {"width": 1920, "height": 1080}

WATCH = """
window.__voice = [];
const play = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function () {
  const src = this.src;
  if (!this.__watched) {
    this.__watched = true;
    this.addEventListener('playing', () => window.__voice.push({event: 'playing', src, t: performance.now()}));
    this.addEventListener('ended', () => window.__voice.push({event: 'ended', src, t: performance.now()}));
  }
  return play.call(this);
};
"""


@pytest.fixture
def served(tmp_path):
    proc = ServerProcess(tmp_path / "served").start()
    yield proc
    proc.stop()
    assert "Traceback" not in proc.log.read_text()


@pytest.fixture
def tv_browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      args=[*ARGS, "--autoplay-policy=no-user-gesture-required"])
        yield chromium
        chromium.close()


def open_tv(browser, url: str):
    context = browser.new_context(viewport=TV, locale="en-US")
    strays, requested = [], []

    def guard(route):
        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            strays.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    context.add_init_script(WATCH)
    page = context.new_page()
    page.on("request", lambda r: requested.append(urlparse(r.url).path))
    page.snapshots = []  # the live feed's snapshots the page got: after one, a call is news
    page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: page.snapshots.append(frame)
                                          if '"type":"snapshot"' in str(frame) else None))
    page.goto(url)
    return context, page, requested, strays


def wait_for_snapshot(page) -> None:
    for _ in range(150):  # at most 15 s
        if page.snapshots:
            return
        page.wait_for_timeout(100)
    raise AssertionError("the TV's live feed sent no snapshot")


def test_two_calls_are_each_said_once_one_after_the_other(served, tv_browser):
    queue = requests.post(f"{served.url}/api/queues", json={"name": "Front desk", "prefix": "A"},
                          headers=admin(), timeout=5).json()
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    for _ in range(2):
        requests.post(f"{served.url}/api/queues/{queue['id']}/tickets", json={}, headers=admin(),
                      timeout=5).raise_for_status()
    context, page, requested, strays = open_tv(tv_browser, f"{served.url}/display/{queue['id']}")
    try:
        page.get_by_text("Now serving").first.wait_for(timeout=15_000)
        assert page.evaluate("() => document.documentElement.dataset.voice") is None  # nothing said yet
        wait_for_snapshot(page)  # the socket's snapshot is in: the next calls are news
        # two calls in quick succession, at two counters
        first = requests.post(f"{served.url}/api/queues/{queue['id']}/call-next", json={"counter": "1"},
                              headers=host, timeout=5)
        second = requests.post(f"{served.url}/api/queues/{queue['id']}/call-next", json={"counter": "2"},
                               headers=host, timeout=5)
        assert first.status_code == second.status_code == 200
        calls = requests.get(f"{served.url}/api/queues/{queue['id']}", timeout=5).json()["calls"]
        seqs = sorted(c["seq"] for c in calls)
        assert len(seqs) == 2
        page.wait_for_function("() => document.documentElement.dataset.voicePlayed === '2'"
                               " && document.documentElement.dataset.voice === 'idle'", timeout=30000)
        log = page.evaluate("window.__voice")
        urls = [f"/api/queues/{queue['id']}/calls/{seq}/voice" for seq in seqs]
        # each call's audio was fetched once and played once, in the order of the calls
        assert [p for p in requested if p.endswith("/voice")] == urls
        assert [(e["event"], urlparse(e["src"]).path) for e in log] == [
            ("playing", urls[0]), ("ended", urls[0]), ("playing", urls[1]), ("ended", urls[1])]
        # queued, not overlapping: the second started after the first had ended
        assert log[2]["t"] >= log[1]["t"]
        # a recall is said again
        recalled = requests.post(f"{served.url}/api/tickets/{first.json()['id']}/recall", json={}, headers=host,
                                 timeout=5)
        assert recalled.status_code == 200
        page.wait_for_function("() => document.documentElement.dataset.voicePlayed === '3'", timeout=30000)
        assert len([p for p in requested if p.endswith("/voice")]) == 3
    finally:
        context.close()
    assert strays == []


def test_a_display_with_voice_off_only_chimes(served, tv_browser):
    queue = requests.post(f"{served.url}/api/queues", json={"name": "Front desk", "prefix": "A"},
                          headers=admin(), timeout=5).json()
    requests.post(f"{served.url}/api/queues/{queue['id']}/tickets", json={}, headers=admin(),
                  timeout=5).raise_for_status()
    context, page, requested, strays = open_tv(tv_browser, f"{served.url}/display/{queue['id']}?voice=off")
    try:
        page.get_by_text("Now serving").first.wait_for(timeout=15_000)
        wait_for_snapshot(page)
        requests.post(f"{served.url}/api/queues/{queue['id']}/call-next", json={"counter": "1"},
                      headers={"Authorization": f"Bearer {queue['host_token']}"}, timeout=5).raise_for_status()
        page.get_by_text("A001").first.wait_for(timeout=15_000)  # the call is on the screen
        page.wait_for_timeout(2500)  # as long as a voice would take to start after its chime
        assert [p for p in requested if p.endswith("/voice")] == []
        assert page.evaluate("window.__voice") == []
    finally:
        context.close()
    assert strays == []


def test_setup_tests_the_voice_and_builds_a_silent_display_link(served, tv_browser):
    from a11y import axe_violations, keyboard_problems, overflow_problems, text_at_200_percent

    from helpers import ADMIN_TOKEN

    queue = requests.post(f"{served.url}/api/queues", json={"name": "Front desk", "prefix": "A"},
                          headers=admin(), timeout=5).json()
    context, page, requested, strays = open_tv(tv_browser, f"{served.url}/setup#token={ADMIN_TOKEN}")
    try:
        page.set_viewport_size({"width": 390, "height": 844})
        page.get_by_role("heading", name="Front desk").first.wait_for(timeout=15_000)
        box = page.get_by_role("checkbox", name="Speak the calls on this TV")
        if not box.is_visible():
            page.get_by_role("heading", name="Front desk").first.click()  # open the queue's card
        box.wait_for(timeout=15_000)
        assert box.is_checked()
        link = f"/display/{queue['id']}"
        assert page.locator(f"input[value$='{link}'], a[href$='{link}']").count() >= 1
        box.uncheck()
        assert page.locator(f"input[value$='{link}?voice=off'], a[href$='{link}?voice=off']").count() >= 1
        page.get_by_role("button", name="Test the voice").click()
        # the sample is fetched with the admin token and played here (CSP: media-src blob:) to its end
        page.get_by_text("The sample has played.").wait_for(timeout=20000)
        assert "/api/voice/sample" in requested
        log = page.evaluate("window.__voice")
        assert [e["event"] for e in log] == ["playing", "ended"] and log[0]["src"].startswith("blob:")
        assert axe_violations(page) == []
        assert keyboard_problems(page) == []
        with text_at_200_percent(page):
            assert overflow_problems(page) == []
    finally:
        context.close()
    assert strays == []


def test_the_host_switches_and_tests_a_registered_tv_from_the_dashboard(served, tv_browser):
    """Issue 16: "the host can turn voice on or off per display, and test it". The TV opens its
    link with its display token; the host, on the dashboard, unticks and ticks its switch and
    presses "Test the voice"; the TV follows at once, over its own device channel."""
    from a11y import axe_violations

    queue = requests.post(f"{served.url}/api/queues", json={"name": "Front desk", "prefix": "A"},
                          headers=admin(), timeout=5).json()
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    tv = requests.post(f"{served.url}/api/queues/{queue['id']}/devices",
                       json={"name": "Hall TV", "kind": "display"}, headers=host, timeout=5).json()
    for _ in range(2):
        requests.post(f"{served.url}/api/queues/{queue['id']}/tickets", json={}, headers=admin(),
                      timeout=5).raise_for_status()
    tv_url = f"{served.url}/display/{queue['id']}#token={tv['token']}"
    context, page, requested, strays = open_tv(tv_browser, tv_url)
    desk = tv_browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-US")
    try:
        page.get_by_text("Now serving").first.wait_for(timeout=15_000)
        assert tv["token"] not in page.url  # the token left the address at once
        page.wait_for_function("() => document.documentElement.dataset.voiceControl === 'open'"
                               " && document.documentElement.dataset.voiceSwitch === 'on'", timeout=15_000)
        wait_for_snapshot(page)

        dashboard = desk.new_page()
        dashboard.goto(f"{served.url}/host/{queue['id']}#token={queue['host_token']}")
        tvs = dashboard.get_by_role("region", name="TVs")
        switch = tvs.get_by_role("checkbox", name="Speak the calls on Hall TV")
        switch.wait_for(timeout=15_000)
        tvs.get_by_text("Connected").wait_for(timeout=15_000)
        assert switch.is_checked()

        # off: the TV hears it, and a call is its chime alone
        switch.uncheck()
        tvs.get_by_text("Hall TV now only chimes.").wait_for(timeout=15_000)
        page.wait_for_function("() => document.documentElement.dataset.voiceSwitch === 'off'", timeout=15_000)
        requests.post(f"{served.url}/api/queues/{queue['id']}/call-next", json={"counter": "1"}, headers=host,
                      timeout=5).raise_for_status()
        page.get_by_text("A001").first.wait_for(timeout=15_000)
        page.wait_for_timeout(2500)  # as long as a voice would take to start after its chime
        assert [p for p in requested if p.endswith("/voice")] == []

        # on again: the next call is said
        switch.check()
        tvs.get_by_text("Hall TV now says each call after its chime.").wait_for(timeout=15_000)
        page.wait_for_function("() => document.documentElement.dataset.voiceSwitch === 'on'", timeout=15_000)
        requests.post(f"{served.url}/api/queues/{queue['id']}/call-next", json={"counter": "2"}, headers=host,
                      timeout=5).raise_for_status()
        page.wait_for_function("() => document.documentElement.dataset.voicePlayed === '1'", timeout=30000)
        calls = requests.get(f"{served.url}/api/queues/{queue['id']}", timeout=5).json()["calls"]
        said = f"/api/queues/{queue['id']}/calls/{max(c['seq'] for c in calls)}/voice"
        assert [p for p in requested if p.endswith("/voice")] == [said]

        # the test: the TV itself fetches the sample with its token and says it to its end
        tvs.get_by_role("button", name="Test the voice on Hall TV").click()
        tvs.get_by_text("Hall TV is saying the sample call “A042, counter 2”.").wait_for(timeout=15_000)
        page.wait_for_function("() => document.documentElement.dataset.voicePlayed === '2'"
                               " && document.documentElement.dataset.voice === 'idle'", timeout=30000)
        assert requested.count("/api/voice/sample") == 1
        log = page.evaluate("window.__voice")
        assert [e["event"] for e in log][-2:] == ["playing", "ended"] and log[-1]["src"].startswith("blob:")
        assert axe_violations(dashboard) == []

        # a TV that reloads (a power cut) keeps its token and its switch
        switch.uncheck()
        tvs.get_by_text("Hall TV now only chimes.").wait_for(timeout=15_000)
        page.reload()
        page.wait_for_function("() => document.documentElement.dataset.voiceControl === 'open'"
                               " && document.documentElement.dataset.voiceSwitch === 'off'", timeout=15_000)
    finally:
        desk.close()
        context.close()
    assert strays == []
