"""The pages in real headless Chromium (Debian's) against a real `qode serve`.

No browser is downloaded: Playwright drives /usr/bin/chromium (`make test` installs it).
Every request a page makes must stay on the box. Every screenshot is checked (as wide as its
viewport, not blank) and left in test-artifacts/screenshots for people to look at; no test trusts
what that folder held before.

The speed figures (a call on the guest's screen within 1.5 s; the 2,100-waiting host page's click
and longest task) are the `perf` variants of their tests: `make perf`, not `make test`.
"""

from __future__ import annotations

import io
import re
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests

from a11y import ARGS, CHROMIUM

from helpers import ADMIN_TOKEN as ADMIN
from helpers import ServerProcess, admin

SHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
TV = {"width": 1920, "height": 1080}


@pytest.fixture
def box(tmp_path):
    proc = ServerProcess(tmp_path / "served").start()
    queue = requests.post(f"{proc.url}/api/queues", json={"name": "Front desk", "prefix": "A"}, headers=admin(),
                          timeout=5).json()
    yield proc, queue
    proc.stop()
    assert "Traceback" not in proc.log.read_text()


@pytest.fixture
def open_page(browser, box):
    """New pages in their own context, every request checked to stay on this box."""
    proc, _ = box
    strays: list[str] = []
    contexts = []

    def guard(route):
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            strays.append(route.request.url)
            route.abort()

    def make(path: str, viewport=PHONE):
        context = browser.new_context(viewport=viewport, locale="en-US")
        context.route("**/*", guard)
        contexts.append(context)
        page = context.new_page()
        page.goto(proc.url + path)
        return page

    yield make
    for context in contexts:
        context.close()
    assert strays == [], f"pages asked for something off the box: {strays}"


def shot(page, name: str) -> bytes:
    """A full-page screenshot of `page`, checked: as wide as the viewport, at least as tall, and
    not blank (text on a background). Written to test-artifacts/screenshots; returned."""
    from PIL import Image

    png = page.screenshot(full_page=True)
    viewport = page.viewport_size
    with Image.open(io.BytesIO(png)) as picture:
        assert picture.width == viewport["width"] and picture.height >= viewport["height"], \
            (name, picture.size, viewport)
        darkest, lightest = picture.convert("L").getextrema()
    assert lightest - darkest > 64, f"{name}: a blank page ({darkest}..{lightest})"
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / f"{name}.png").write_bytes(png)
    return png


LIVE = [False, pytest.param(True, marks=pytest.mark.perf, id="perf")]  # the perf variant times it too


@pytest.mark.parametrize("figures", LIVE)
def test_a_guest_joins_and_is_called_live(box, open_page, figures):
    proc, queue = box
    page = open_page(f"/join/{queue['id']}")
    page.get_by_role("button", name="Take a ticket").click()
    page.wait_for_url(re.compile(r"/t/[0-9a-f-]{36}$"), timeout=15_000)
    page.get_by_text("A001").first.wait_for(timeout=15_000)
    page.get_by_text(re.compile(r"You're next|about \d+ min")).first.wait_for(timeout=15_000)
    shot(page, "guest-waiting-phone")

    page.evaluate("window.__sameDocument = true")  # gone if the page reloads or navigates
    started = time.monotonic()
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    url = f"{proc.url}/api/queues/{queue['id']}/call-next"
    assert requests.post(url, json={"counter": "2"}, headers=host, timeout=5).status_code == 200
    turn = page.get_by_role("alertdialog")  # the full-screen "Your turn", with no reload
    turn.get_by_text("Counter 2").wait_for(timeout=15_000)
    took = time.monotonic() - started
    assert page.evaluate("window.__sameDocument === true")  # told live, on the page it was on
    assert turn.get_by_text("Your turn").first.is_visible()
    if figures:
        assert took < 1.5, f"the call took {took:.2f} s to reach the guest's screen"
    shot(page, "guest-called-phone")


@pytest.mark.xdist_group("serial")  # restarts a server on its port: no other test may take it meanwhile
def test_the_guest_page_survives_a_server_restart(box, open_page):
    proc, queue = box
    ticket = requests.post(f"{proc.url}/api/queues/{queue['id']}/tickets",
                           json={"device_token": "device-token-restart01"}, timeout=5).json()
    page = open_page(f"/t/{ticket['id']}")
    page.get_by_text("A001").first.wait_for(timeout=15_000)
    proc.kill()  # like a power cut
    page.get_by_text(re.compile("Reconnecting|No network")).first.wait_for(timeout=90_000)
    assert page.get_by_text("A001").first.is_visible()  # the last known state stays on screen
    shot(page, "guest-reconnecting-phone")
    proc.start()
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    url = f"{proc.url}/api/queues/{queue['id']}/call-next"
    assert requests.post(url, json={"counter": "3"}, headers=host, timeout=5).status_code == 200
    page.get_by_role("alertdialog").get_by_text("Counter 3").wait_for(timeout=60_000)  # back by itself
    assert page.get_by_text(re.compile("Reconnecting|No network")).count() == 0


def test_join_page_of_a_paused_line_says_so(box, open_page):
    proc, queue = box
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    requests.patch(f"{proc.url}/api/queues/{queue['id']}", json={"is_paused": True, "back_in_minutes": 10},
                   headers=host, timeout=5).raise_for_status()
    page = open_page(f"/join/{queue['id']}")
    page.get_by_text("This line is paused for a moment.").wait_for(timeout=15_000)
    assert page.get_by_role("button", name="Take a ticket").count() == 0
    shot(page, "join-paused-phone")
    wide = open_page(f"/join/{queue['id']}", viewport=TV)
    wide.get_by_text("This line is paused for a moment.").wait_for(timeout=15_000)
    shot(wide, "join-paused-tv")


def test_host_display_and_kiosk_work_together(box, open_page):
    """A kiosk issues a ticket, the host calls it from the dashboard, the TV shows it."""
    proc, queue = box
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    devices = f"{proc.url}/api/queues/{queue['id']}/devices"
    kiosk = requests.post(devices, json={"name": "Entrance", "kind": "kiosk"}, headers=host, timeout=5).json()
    display = open_page(f"/display/{queue['id']}", viewport=TV)
    display.get_by_text("Now serving").first.wait_for(timeout=15_000)
    machine = open_page(f"/kiosk/{queue['id']}#token={kiosk['token']}", viewport=TV)
    machine.get_by_role("button", name="Take a ticket").click()
    machine.get_by_text("A001").first.wait_for(timeout=15_000)
    assert "#token" not in machine.url  # the token moved to the kiosk's storage
    shot(machine, "kiosk-issued-tv")
    assert requests.get(f"{proc.url}/api/queues/{queue['id']}", timeout=5).json()["waiting_count"] == 1

    dashboard = open_page(f"/host/{queue['id']}#token={queue['host_token']}", viewport=TV)
    dashboard.get_by_role("button", name=re.compile("Call next")).wait_for(timeout=15_000)
    assert "#token" not in dashboard.url
    dashboard.keyboard.press("n")  # the keyboard shortcut
    display.get_by_text("A001").first.wait_for(timeout=15_000)  # the TV shows the call
    shot(dashboard, "host-called-tv")
    shot(display, "display-serving-tv")
    state = requests.get(f"{proc.url}/api/queues/{queue['id']}", timeout=5).json()
    assert state["now_serving"] == "A001" and state["waiting_count"] == 0


def test_the_host_sees_the_printer_and_reprints_what_did_not_print(box, open_page, tmp_path):
    """A real kiosk daemon and a fake ESC/POS printer behind the dashboard: a ticket lost in a
    dropped connection shows "Not printed", its Reprint button prints it, and an empty paper
    roll shows on the dashboard while it lasts."""
    from qode_bench.fakeprinter import FakePrinter

    from helpers import KioskProcess, wait_until

    proc, queue = box
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    kiosk = requests.post(f"{proc.url}/api/queues/{queue['id']}/devices", json={"name": "Door"},
                          headers=host, timeout=5).json()
    printer = FakePrinter(mode="drop").start()
    daemon = KioskProcess(tmp_path / "kiosk", proc.url, kiosk["token"],
                          f"network:127.0.0.1:{printer.port}").start()
    try:
        dashboard = open_page(f"/host/{queue['id']}#token={queue['host_token']}", viewport=TV)
        dashboard.get_by_text("Printer ready").first.wait_for(timeout=15000)
        daemon.press()  # the printer drops the connection mid-ticket
        dashboard.get_by_text("Not printed").first.wait_for(timeout=15_000)
        shot(dashboard, "host-not-printed-tv")
        printer.mode = "ok"
        # The kiosk's next status check shows the printer ready, and with it the "print again"
        # picker, which moves the list: click once that has happened, and this ticket's own
        # button (under load, a click during the move once landed beside it: no reprint).
        dashboard.get_by_label("Print a ticket again").wait_for(timeout=15000)
        dashboard.get_by_test_id("not-printed-A001").get_by_role("button", name=re.compile("Reprint")).click()
        # The box took the job (the click landed on this ticket's button); the kiosk then prints it.
        dashboard.get_by_text("Sent A001 to the printer.").wait_for(timeout=15000)
        assert printer.wait_for_tickets(1, timeout=20), daemon.output()[-3000:]
        assert printer.tickets[0].qr[0].startswith(f"{proc.url}/t/")
        wait_until(lambda: dashboard.get_by_text("Not printed").count() == 0, timeout=15)
        printer.mode = "paper_out"
        dashboard.get_by_text("Out of paper — refill the printer").first.wait_for(timeout=15_000)
        shot(dashboard, "host-printer-out-of-paper-tv")
    finally:
        daemon.stop()
        printer.stop()


def test_the_hub_page_shows_a_synced_venue(browser, tmp_path):
    """A real box syncing to a real hub; the hub page (hub admin token) shows the venue's line."""
    from helpers import wait_until

    hub_token = "hub-admin-token-0123456789abcdef"
    hub = ServerProcess(tmp_path / "hub", env={"QODE_ADMIN_TOKEN": hub_token})
    hub.extra_args = ["--hub"]
    hub.start()
    venue = None
    try:
        site = requests.post(f"{hub.url}/api/hub/sites", json={"device_id": "townhall", "name": "Town hall"},
                             headers=admin(hub_token), timeout=5).json()
        sync = {"QODE_SYNC_URL": hub.url, "QODE_DEVICE_ID": "townhall", "QODE_SYNC_KEY": site["key"],
                "QODE_SYNC_SECONDS": "1"}
        venue = ServerProcess(tmp_path / "venue", env=sync).start()
        queue = requests.post(f"{venue.url}/api/queues", json={"name": "Passports", "prefix": "P"},
                              headers=admin(), timeout=5).json()
        for i in range(3):
            requests.post(f"{venue.url}/api/queues/{queue['id']}/tickets",
                          json={"device_token": f"device-token-hubpage{i}"}, timeout=5).raise_for_status()
        requests.post(f"{venue.url}/api/queues/{queue['id']}/call-next", timeout=5,
                      headers={"Authorization": f"Bearer {queue['host_token']}"}).raise_for_status()
        wait_until(lambda: requests.get(f"{venue.url}/healthz", timeout=5).json()["sync"]["pending"] == 0, 30)

        context = browser.new_context(viewport=TV, locale="en-US")
        try:
            page = context.new_page()
            page.goto(f"{hub.url}/hub#token={hub_token}")
            page.get_by_text("Town hall").first.wait_for(timeout=15_000)
            page.get_by_text("Passports").first.wait_for(timeout=15_000)
            page.get_by_text("Now serving P001").first.wait_for(timeout=15_000)
            assert "#token" not in page.url
            shot(page, "hub-sites-tv")
        finally:
            context.close()
    finally:
        if venue is not None:
            venue.stop()
        hub.stop()
    assert "Traceback" not in hub.log.read_text()


def test_host_dashboard_rejects_a_wrong_token_clearly(box, open_page):
    proc, queue = box
    page = open_page(f"/host/{queue['id']}#token=wrong-token-0123456789abcdef")
    page.get_by_text("not valid").first.wait_for(timeout=15_000)
    assert page.get_by_role("button", name=re.compile("Call next")).count() == 0
    shot(page, "host-wrong-token-phone")


@pytest.mark.parametrize("size", ["phone", "tv"])
def test_screenshots_of_every_page(box, open_page, size):
    proc, queue = box
    viewport = PHONE if size == "phone" else TV
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    join = f"{proc.url}/api/queues/{queue['id']}/tickets"
    tickets = [requests.post(join, json={"device_token": f"device-token-shot{i:04d}"}, timeout=5).json()
               for i in range(4)]
    call = f"{proc.url}/api/queues/{queue['id']}/call-next"
    assert requests.post(call, json={"counter": "1"}, headers=host, timeout=5).status_code == 200
    devices = f"{proc.url}/api/queues/{queue['id']}/devices"
    kiosk = requests.post(devices, json={"name": "Door", "kind": "kiosk"}, headers=host, timeout=5).json()
    pages = {
        "guest": (f"/t/{tickets[2]['id']}", "A003"),
        "join": (f"/join/{queue['id']}", "Take a ticket"),
        "host": (f"/host/{queue['id']}#token={queue['host_token']}", "Call next"),
        "display": (f"/display/{queue['id']}", "A001"),
        "kiosk": (f"/kiosk/{queue['id']}#token={kiosk['token']}", "Take a ticket"),
        "setup": (f"/setup#token={ADMIN}", "Front desk"),
    }
    taken = {}
    for name, (path, text) in pages.items():
        page = open_page(path, viewport=viewport)
        page.get_by_text(text).first.wait_for(timeout=15_000)
        taken[name] = shot(page, f"{name}-{size}")  # checked: the viewport's width, not blank
    assert len(set(taken.values())) == len(pages)  # six different pictures, one per page


def test_every_phone_page_fits_360_px(box, open_page):
    """No sideways scrolling on a small phone: each page's content is at most 360 px wide."""
    proc, queue = box
    ticket = requests.post(f"{proc.url}/api/queues/{queue['id']}/tickets",
                           json={"device_token": "device-token-narrow01"}, timeout=5).json()
    devices = f"{proc.url}/api/queues/{queue['id']}/devices"
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    kiosk = requests.post(devices, json={"name": "Door", "kind": "kiosk"}, headers=host, timeout=5).json()
    narrow = {"width": 360, "height": 740}
    for path, text in [(f"/t/{ticket['id']}", "A001"), (f"/join/{queue['id']}", "Take a ticket"),
                       (f"/host/{queue['id']}#token={queue['host_token']}", "Call next"),
                       (f"/kiosk/{queue['id']}#token={kiosk['token']}", "Take a ticket"),
                       (f"/setup#token={ADMIN}", "Front desk")]:
        page = open_page(path, viewport=narrow)
        page.get_by_text(text).first.wait_for(timeout=15_000)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path.split('#')[0]} is {width} px wide at 360"


ONE_LINE = """(el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
  return { height: r.height, line: parseFloat(s.lineHeight) || parseFloat(s.fontSize),
           right: r.right, left: r.left, font: parseFloat(s.fontSize) } }"""


def test_a_long_ticket_number_stays_on_one_line_and_the_call_is_reachable_at_200_percent(tmp_path, browser):
    """Found by a layout sweep: "MELD011" split over three lines on a 360 px phone (first paint and
    app alike), and the "It's your turn" screen, at 200 % text, cut off its own "OK, on my way"."""
    proc = ServerProcess(tmp_path / "served").start()
    try:
        queue = requests.post(f"{proc.url}/api/queues", json={"name": "Meldewesen", "prefix": "MELD"},
                              headers=admin(), timeout=5).json()
        for i in range(11):
            ticket = requests.post(f"{proc.url}/api/queues/{queue['id']}/tickets",
                                   json={"device_token": f"device-token-meld{i:04d}"}, timeout=5).json()
        assert ticket["display_number"] == "MELD011"
        context = browser.new_context(viewport={"width": 360, "height": 800}, locale="de-DE")
        page = context.new_page()
        page.route("**/assets/**", lambda route: route.abort())  # the first paint alone: the box's markup
        page.goto(f"{proc.url}/t/{ticket['id']}")
        first = page.locator("#qode-number").evaluate(ONE_LINE)
        assert first["height"] <= first["line"] * 1.2 and first["left"] >= 0 and first["right"] <= 360, first
        page.unroute("**/assets/**")
        page.goto(f"{proc.url}/t/{ticket['id']}")
        number = page.get_by_test_id("ticket-number")
        number.wait_for(timeout=15_000)
        page.evaluate("document.fonts.ready")
        app = number.evaluate(ONE_LINE)
        assert app["height"] <= app["line"] * 1.2 and app["right"] <= 360, app
        assert app["font"] >= 40  # still large: it is what the guest shows at the desk

        host = {"Authorization": f"Bearer {queue['host_token']}"}
        for _ in range(11):
            called = requests.post(f"{proc.url}/api/queues/{queue['id']}/call-next", json={"counter": "12"},
                                   headers=host, timeout=5)
            assert called.status_code == 200
        page.evaluate("() => { document.documentElement.style.fontSize = '200%' }")
        dialog = page.get_by_role("alertdialog")
        dialog.wait_for(timeout=15_000)
        ok = dialog.get_by_role("button")
        ok.scroll_into_view_if_needed()
        box = ok.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 800, box
        title = page.locator("#called-title").evaluate("(el) => el.scrollWidth <= el.clientWidth + 1")
        assert title  # no word wider than the screen
        ok.click()
        dialog.wait_for(state="hidden", timeout=5_000)
        context.close()
    finally:
        proc.stop()
    assert "Traceback" not in proc.log.read_text()


TABLET = {"width": 820, "height": 1180}  # a host tablet (iPad Air, portrait)
LONG_TASKS = """
window.__longTasks = [];
new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); })
  .observe({ type: 'longtask', buffered: true });
"""


@pytest.mark.parametrize("figures", LIVE)
def test_host_page_with_2000_waiting_stays_responsive(box, browser, figures):
    """Issue 11: 2,000 waiting, more joining while the host works; the page draws 50 rows, merges
    deltas, answers a click quickly and clears the line with one confirmed action."""
    proc, queue = box
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    join = f"{proc.url}/api/queues/{queue['id']}/tickets"
    with requests.Session() as session:
        for _ in range(2000):
            assert session.post(join, json={}, headers=host, timeout=10).status_code == 201
    context = browser.new_context(viewport=TABLET, locale="en-US")
    try:
        context.add_init_script(LONG_TASKS)
        page = context.new_page()
        page.goto(f"{proc.url}/host/{queue['id']}#token={queue['host_token']}")
        waiting = page.get_by_role("region", name=re.compile("^Waiting"))
        waiting.get_by_role("heading").filter(has_text="(2000)").wait_for(timeout=15_000)
        assert waiting.get_by_role("listitem").count() == 50
        nodes = page.evaluate("document.getElementsByTagName('*').length")
        assert nodes < 3000, nodes  # the issue saw 140,000
        shot(page, "host-2000-waiting-tablet")

        # Guests keep joining while the host works: each join is a small delta, merged in place.
        with requests.Session() as session:
            for n in range(100):
                session.post(join, json={"device_token": f"device-token-e2e-{n:05d}"}, timeout=10)
        waiting.get_by_role("heading").filter(has_text="(2100)").wait_for(timeout=15_000)
        started = time.monotonic()
        page.get_by_role("button", name="Call next").click()
        page.get_by_text("Called A001 to counter 1.").wait_for(timeout=15_000)
        click_seconds = time.monotonic() - started
        page.get_by_role("button", name=re.compile(r"^Show 50 more")).click()
        assert waiting.get_by_role("listitem").count() == 100
        longest = page.evaluate("Math.max(0, ...window.__longTasks)")
        print(f"host page, 2,100 waiting: {nodes} DOM nodes, call next shown after {click_seconds:.2f}s, "
              f"longest task {longest:.0f} ms")
        if figures:
            assert click_seconds < 2.0  # generous: the issue saw the main thread blocked for 1.1 s per join
            assert longest < 1000

        page.get_by_role("button", name="Cancel 2099 waiting…").click()
        page.get_by_text("Cancel 2099 waiting tickets? The guests lose their places.").wait_for(timeout=15_000)
        shot(page, "host-bulk-confirm-tablet")
        page.get_by_role("button", name="Yes, cancel them").click()
        page.get_by_text("Nobody is waiting.").wait_for(timeout=15_000)
        page.get_by_text("2099 waiting tickets cancelled.").wait_for(timeout=15_000)
        shot(page, "host-cleared-tablet")
        assert requests.get(f"{proc.url}/api/queues/{queue['id']}", timeout=5).json()["waiting_count"] == 0
    finally:
        context.close()


def test_join_page_says_a_full_line_in_the_guests_language(browser, tmp_path):
    proc = ServerProcess(tmp_path / "full", env={"QODE_QUEUE_MAX_ACTIVE": "1"}).start()
    try:
        queue = requests.post(f"{proc.url}/api/queues", json={"name": "Kasse", "prefix": "A"}, headers=admin(),
                              timeout=5).json()
        requests.post(f"{proc.url}/api/queues/{queue['id']}/tickets",
                      json={"device_token": "device-token-first001"}, timeout=5).raise_for_status()
        context = browser.new_context(viewport=PHONE, locale="de-DE")
        try:
            page = context.new_page()
            page.goto(f"{proc.url}/join/{queue['id']}")
            page.get_by_role("button", name="Ticket ziehen").click()
            full = page.get_by_role("alert").filter(has_text="Diese Warteschlange ist gerade voll.")
            full.wait_for(timeout=15_000)
            shot(page, "join-full-de-phone")
        finally:
            context.close()
        # The guest whose ticket the host cleared at closing time is told why.
        host = {"Authorization": f"Bearer {queue['host_token']}"}
        ticket = requests.get(f"{proc.url}/api/queues/{queue['id']}/tickets", headers=host,
                              timeout=5).json()["tickets"][0]
        requests.post(f"{proc.url}/api/queues/{queue['id']}/close-and-clear", json={}, headers=host,
                      timeout=5).raise_for_status()
        context = browser.new_context(viewport=PHONE, locale="en-US")
        try:
            page = context.new_page()
            page.goto(f"{proc.url}/t/{ticket['id']}")
            closed = page.get_by_text("The line was closed for today, and this ticket was cancelled.")
            closed.wait_for(timeout=15_000)
            shot(page, "guest-line-closed-phone")
        finally:
            context.close()
    finally:
        proc.stop()
    assert "Traceback" not in proc.log.read_text()



SECURE_PAGE = "<!doctype html><title>secure</title><p>secure</p>"


def _open_over_plain_http(chromium, start: str, staff: str, plain: str) -> tuple[str, list[str], list[str]]:
    """Open `start`; the https address answers with a stand-in page. Returns the final address,
    the paths asked over plain http, and the sockets opened."""
    context = chromium.new_context(viewport=PHONE, locale="en-US")
    over_http: list[str] = []
    sockets: list[str] = []
    try:
        context.route(f"{staff}/**", lambda route: route.fulfill(status=200, content_type="text/html",
                                                                 body=SECURE_PAGE))
        # The answer comes late, as on a slow Wi-Fi: whatever the page would send meanwhile, it would send.
        context.route(f"{plain}/api/tls", lambda route: (time.sleep(1.0), route.continue_()))
        page = context.new_page()
        page.on("request", lambda r: r.url.startswith(plain) and over_http.append(urlparse(r.url).path))
        page.on("websocket", lambda ws: sockets.append(ws.url))
        page.goto(start)
        page.wait_for_url(f"{staff}/**", timeout=15_000)
        return page.url, over_http, sockets
    finally:
        context.close()


def test_staff_pages_on_plain_http_move_to_https_before_sending_a_token(browser, tmp_path):
    """A tablet opens a host or setup link at the box's plain-http address (a LAN name here,
    `qode-box.test`, resolved to 127.0.0.1 by Chromium alone) on a box that wants https: the page
    asks /api/tls without the token and moves to the https address with the token in the fragment.
    Over http it made no API call but /api/tls and opened no socket: the token never crossed in clear."""
    from helpers import free_port

    staff = f"https://qode-box.test:{free_port()}"  # Caddy's stand-in: answered by the route above
    proc = ServerProcess(tmp_path / "served", env={"QODE_STAFF_HTTPS": "all", "QODE_STAFF_URL": staff}).start()
    try:
        https = {**admin(), "X-Forwarded-Proto": "https"}  # 127.0.0.1 is the box's proxy: believed
        queue = requests.post(f"{proc.url}/api/queues", json={"name": "Front desk"}, headers=https,
                              timeout=5).json()
        plain = f"http://qode-box.test:{proc.port}"
        lan_name = "--host-resolver-rules=MAP qode-box.test 127.0.0.1"
        chromium = browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=[*ARGS, lan_name])
        try:
            for path, token in ((f"/host/{queue['id']}", queue["host_token"]), ("/setup", ADMIN)):
                url, over_http, sockets = _open_over_plain_http(chromium, f"{plain}{path}#token={token}",
                                                                staff, plain)
                assert url == f"{staff}{path}#token={token}"
                assert [p for p in over_http if p.startswith(("/api", "/ws"))] == ["/api/tls"], over_http
                assert sockets == []
        finally:
            chromium.close()
    finally:
        proc.stop()
    assert "Traceback" not in proc.log.read_text()
