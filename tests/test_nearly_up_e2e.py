"""Issue 16, must-show 4: "you're nearly up" in real headless Chromium against a real `qode serve`.

A guest's page is open; the host calls the others until the guest is at the service's N ahead
(set to 2 by a manager): the tab's title and favicon change and the page alerts once (a buzz and a
beep); later updates inside N do not alert again; when the guest is called the title says
"▶ Your turn" and the page alerts a second time. The "turn on sound" step comes after the first
tap and says when the sound is on. axe finds nothing, and at 360 px with 200 % text nothing
scrolls sideways or is cut off.

What is observed: `document.title`, the `link[rel=icon]` href, the page's own alert counter
(`<html data-qode-alerts>`), and the browser's own APIs wrapped by an init script (every
`navigator.vibrate` call, every oscillator started): the wrapping is of the browser, not of Qode.
"""

from __future__ import annotations

from urllib.parse import unquote

import pytest
import requests

from a11y import axe_violations, keyboard_problems, overflow_problems, text_at_200_percent

from helpers import ServerProcess, admin, keep_local

pytestmark = [pytest.mark.slow, pytest.mark.server]

PHONE = {"width": 360, "height": 740}

# The browser's vibrate and oscillators, recorded (and still passed on to the real ones).
RECORD = """
(() => {
  window.__vibrations = []
  const real = Navigator.prototype.vibrate
  Object.defineProperty(Navigator.prototype, 'vibrate', {
    configurable: true, writable: true,
    value: function (pattern) {
      window.__vibrations.push(pattern)
      return real ? real.call(this, pattern) : true
    },
  })
  window.__tones = 0
  const start = OscillatorNode.prototype.start
  OscillatorNode.prototype.start = function (...args) { window.__tones += 1; return start.apply(this, args) }
})()
"""


@pytest.fixture
def box(tmp_path):
    proc = ServerProcess(tmp_path / "served").start()
    queue = requests.post(f"{proc.url}/api/queues", json={"name": "Front desk", "prefix": "A"}, headers=admin(),
                          timeout=5).json()
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    yield proc, queue, host
    proc.stop()
    assert "Traceback" not in proc.log.read_text()


def state(page) -> dict:
    return page.evaluate("""() => ({
        title: document.title,
        icon: document.querySelector('link[rel="icon"]')?.getAttribute('href') ?? '',
        alerts: Number(document.documentElement.dataset.qodeAlerts ?? 0),
        kind: document.documentElement.dataset.qodeAlert ?? null,
        vibrations: window.__vibrations.length,
        tones: window.__tones,
    })""")


def call_next(proc, queue, host) -> dict:
    answer = requests.post(f"{proc.url}/api/queues/{queue['id']}/call-next", json={"counter": "1"},
                           headers=host, timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_page_alerts_at_n_ahead_and_when_called(box, browser):
    proc, queue, host = box
    set_n = requests.patch(f"{proc.url}/api/queues/{queue['id']}", json={"nearly_up": 2}, headers=host,
                           timeout=5)
    assert set_n.status_code == 200 and set_n.json()["nearly_up"] == 2
    tickets = [requests.post(f"{proc.url}/api/queues/{queue['id']}/tickets",
                             json={"device_token": f"device-token-nearly-e2e{n:02d}"}, timeout=5).json()
               for n in range(5)]
    guest = tickets[-1]
    assert guest["display_number"] == "A005" and guest["people_ahead"] == 4 and guest["nearly_up"] == 2

    context = browser.new_context(viewport=PHONE, locale="en-US", has_touch=True)
    strays = keep_local(context)
    context.add_init_script(RECORD)
    page = context.new_page()
    try:
        page.goto(f"{proc.url}/t/{guest['id']}")
        page.wait_for_function("() => document.title === 'A005 · 4 ahead'")
        assert state(page)["icon"] == "data:,"  # no icon until nearly up
        assert page.get_by_test_id("stay-open").is_visible()  # "keep this page open", or the screen kept on

        # The "turn on sound" step comes after the first tap, and says when the sound is on.
        assert page.get_by_role("button", name="Turn on sound").count() == 0
        page.get_by_text("Your ticket").tap()
        sound = page.get_by_role("button", name="Turn on sound")
        sound.wait_for()
        assert axe_violations(page) == []
        assert keyboard_problems(page) == []
        sound.click()
        page.get_by_test_id("sound-on").wait_for()
        assert page.get_by_test_id("sound-on").inner_text() == "Sound is on"
        tones_before = state(page)["tones"]
        assert tones_before >= 1  # the silent unlock and the test beep went through the real Web Audio

        # 3 ahead: above N, nothing yet.
        call_next(proc, queue, host)
        page.wait_for_function("() => document.title === 'A005 · 3 ahead'")
        seen = state(page)
        assert (seen["alerts"], seen["vibrations"], seen["icon"]) == (0, 0, "data:,")

        # 2 ahead: the crossing. Title, favicon, one alert (a buzz and a beep).
        call_next(proc, queue, host)
        page.wait_for_function("() => document.title === '2 ahead · A005'")
        page.wait_for_function("() => document.documentElement.dataset.qodeAlerts === '1'")
        seen = state(page)
        assert seen["kind"] == "nearly" and seen["vibrations"] == 1
        assert seen["tones"] >= tones_before + 2  # the beep's two tones
        icon = unquote(seen["icon"])
        assert icon.startswith("data:image/svg+xml,<svg") and ">2</text>" in icon
        assert page.get_by_test_id("nearly-up").inner_text().startswith("You’re nearly up")
        assert axe_violations(page) == []
        with text_at_200_percent(page):
            assert overflow_problems(page) == []

        # 1 ahead, then nobody: inside N, no second alert; the favicon follows the number.
        call_next(proc, queue, host)
        page.wait_for_function("() => document.title === '1 ahead · A005'")
        page.wait_for_function("() => decodeURIComponent(document.querySelector('link[rel=icon]').href)"
                               ".includes('>1</text>')")
        call_next(proc, queue, host)
        page.wait_for_function("() => document.title === 'nobody ahead · A005'")
        seen = state(page)
        assert (seen["alerts"], seen["vibrations"]) == (1, 1)

        # Called: "▶ Your turn", a play mark as the favicon, the second alert.
        called = call_next(proc, queue, host)
        assert called["id"] == guest["id"]
        page.wait_for_function("() => document.title === '▶ Your turn · A005'")
        page.wait_for_function("() => document.documentElement.dataset.qodeAlerts === '2'")
        seen = state(page)
        assert seen["kind"] == "called" and seen["vibrations"] == 2
        assert "<path" in unquote(seen["icon"])
        assert page.get_by_role("alertdialog", name="Your turn").is_visible()
        assert axe_violations(page) == []
        with text_at_200_percent(page):
            assert overflow_problems(page) == []
        page.get_by_role("button", name="OK, on my way").click()
        assert axe_violations(page) == []
        seen = state(page)
        assert (seen["alerts"], seen["vibrations"]) == (2, 2)  # dismissing is not a new call
    finally:
        context.close()
    assert strays == []


@pytest.mark.parametrize("n", [2, 0])
def test_a_page_opened_inside_n_does_not_alert_until_called(box, browser, n):
    """The state the page starts from is not a crossing: a guest who opens the page at 1 ahead with
    N = 2 is looking at it, so neither 1 nor 0 ahead alerts; only the call does. With N = 0 there is
    no "nearly up" at all (title and icon stay plain), only the call."""
    proc, queue, host = box
    assert requests.patch(f"{proc.url}/api/queues/{queue['id']}", json={"nearly_up": n}, headers=host,
                          timeout=5).status_code == 200
    first, second = (requests.post(f"{proc.url}/api/queues/{queue['id']}/tickets",
                                   json={"device_token": f"device-token-nearly-in{n}x{i}"}, timeout=5).json()
                     for i in range(2))
    context = browser.new_context(viewport=PHONE, locale="pl-PL")
    strays = keep_local(context)
    context.add_init_script(RECORD)
    page = context.new_page()
    one, nobody = "1 osoba przed Tobą", "nikogo przed Tobą"
    titles = ([f"{one} · A002", f"{nobody} · A002"] if n else [f"A002 · {one}", f"A002 · {nobody}"])
    try:
        page.goto(f"{proc.url}/t/{second['id']}")
        page.wait_for_function(f"() => document.title === {titles[0]!r}")
        assert (state(page)["icon"] != "data:,") == bool(n)  # inside N the icon shows the number ahead
        call_next(proc, queue, host)
        page.wait_for_function(f"() => document.title === {titles[1]!r}")
        seen = state(page)
        assert (seen["alerts"], seen["vibrations"]) == (0, 0)
        call_next(proc, queue, host)
        page.wait_for_function("() => document.title === '▶ Twoja kolej · A002'")
        page.wait_for_function("() => document.documentElement.dataset.qodeAlerts === '1'")
        assert state(page)["vibrations"] == 1
    finally:
        context.close()
    assert strays == [] and first["display_number"] == "A001"


def test_setup_sets_n_for_a_service(box, browser):
    """Setup's service card: the admin changes "nearly up at N ahead"; the box's own answer and a
    ticket of that service say the new N. A number out of range is refused with a clear line, and
    nothing is sent. axe finds nothing, at 360 px with 200 % text nothing scrolls sideways."""
    from playwright.sync_api import expect

    from helpers import ADMIN_TOKEN

    proc, queue, _ = box
    ticket = requests.post(f"{proc.url}/api/queues/{queue['id']}/tickets",
                           json={"device_token": "device-token-nearly-setup1"}, timeout=5).json()
    context = browser.new_context(viewport=PHONE, locale="en-US")
    strays = keep_local(context)
    patches: list[str] = []
    context.on("request", lambda r: patches.append(r.post_data or "") if r.method == "PATCH" else None)
    page = context.new_page()
    try:
        page.goto(f"{proc.url}/setup#token={ADMIN_TOKEN}")
        setting = page.get_by_test_id("nearly-up-setting")
        field = setting.get_by_label("Phones say “nearly up” at this many ahead")
        expect(field).to_have_value("3", timeout=10_000)
        field.fill("25")
        setting.get_by_role("button", name="Save").click()
        expect(setting.get_by_role("status")).to_have_text("Enter a whole number from 0 to 20.")
        assert patches == []
        field.fill("5")
        setting.get_by_role("button", name="Save").click()
        expect(setting.get_by_role("status")).to_have_text("Saved.")
        assert [p.replace(" ", "") for p in patches] == ['{"nearly_up":5}']
        assert requests.get(f"{proc.url}/api/queues/{queue['id']}", timeout=5).json()["nearly_up"] == 5
        assert requests.get(f"{proc.url}/api/tickets/{ticket['id']}", timeout=5).json()["nearly_up"] == 5
        assert axe_violations(page) == []
        with text_at_200_percent(page):
            assert overflow_problems(page) == []
    finally:
        context.close()
    assert strays == []


def test_plain_http_says_keep_this_page_open(box, browser):
    """A guest on the venue's plain-http address has no secure context, so no Screen Wake Lock: the
    page says "Keep this page open". (127.0.0.1 counts as secure, so the browser reaches the box
    by a LAN-like name, mapped to 127.0.0.1 inside Chromium: nothing leaves the machine.)"""
    from a11y import ARGS, CHROMIUM

    proc, queue, _ = box
    ticket = requests.post(f"{proc.url}/api/queues/{queue['id']}/tickets",
                           json={"device_token": "device-token-nearly-http1"}, timeout=5).json()
    strays: list[str] = []

    def guard(route):
        if route.request.url.startswith(("http://qode-box.test:", "ws://qode-box.test:")):
            route.continue_()
        else:
            strays.append(route.request.url)
            route.abort()

    # A second Chromium from the module's Playwright (one per thread), with the name mapped.
    mapped = browser.browser_type.launch(executable_path=CHROMIUM, headless=True,
                                         args=[*ARGS, "--host-resolver-rules=MAP qode-box.test 127.0.0.1"])
    try:
        context = mapped.new_context(viewport=PHONE, locale="en-US")
        context.route("**/*", guard)
        page = context.new_page()
        page.goto(f"http://qode-box.test:{proc.port}/t/{ticket['id']}")
        page.wait_for_function("() => document.title === 'nobody ahead · A001'")  # the app has taken over
        assert page.evaluate("() => [window.isSecureContext, 'wakeLock' in navigator]") == [False, False]
        stay = page.get_by_test_id("stay-open")
        stay.wait_for()
        assert stay.inner_text() == "Keep this page open. It updates by itself."
    finally:
        mapped.close()
    assert strays == []
