"""Issue 16, must-show 6: a no-show guest's printed QR, read by a HID barcode scanner at the touch
kiosk, puts the ticket back in line as QODE_GRACE_PLACE says, once; past QODE_GRACE_MINUTES it is
refused. Real `qode serve`, Debian's headless Chromium; the scanner is emulated as it works: it
types the ticket's address (http://box/t/<id>) key by key, fast, then Enter, while the "Take a
ticket" button has the focus. The keys go in through Chromium's input layer (CDP) with the times a
scanner's USB reports would carry, so a loaded test machine cannot make a scan look like a
person typing (the kiosk, like a real one, reads each key's time from the event, not the clock). The host's
"Back" button on /host/{queue_id} at 360 px and at 200 % text, with axe on every new state.
"""

from __future__ import annotations

import time
from urllib.parse import urlparse

import pytest
import requests

from a11y import axe_violations, overflow_problems, text_at_200_percent

from helpers import ServerProcess, admin

pytestmark = [pytest.mark.server, pytest.mark.slow]

SCAN_DELAY_MS = 8  # between the scanner's keys (real ones: a few ms)
WINDOW_MINUTES = 1  # the shortest window, so "too late" is a real minute away, not a faked clock


def make_box(tmp_path, place: str):
    server = ServerProcess(tmp_path / f"box-{place}", env={"QODE_GRACE_MINUTES": str(WINDOW_MINUTES),
                                                          "QODE_GRACE_PLACE": place}).start()
    url = server.url
    queue = requests.post(f"{url}/api/queues", json={"name": "Town hall", "prefix": "A"}, headers=admin(),
                          timeout=5).json()
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    kiosk = requests.post(f"{url}/api/queues/{queue['id']}/devices", json={"name": "Door"}, headers=host,
                          timeout=5).json()
    return server, queue, host, kiosk


def issue(url, queue, kiosk) -> dict:
    made = requests.post(f"{url}/api/queues/{queue['id']}/tickets", json={},
                         headers={"Authorization": f"Bearer {kiosk['token']}"}, timeout=5)
    assert made.status_code == 201, made.text
    return made.json()


def no_show_next(url, queue, host) -> dict:
    called = requests.post(f"{url}/api/queues/{queue['id']}/call-next", json={"counter": "1"}, headers=host,
                           timeout=5)
    assert called.status_code == 200, called.text
    gone = requests.post(f"{url}/api/tickets/{called.json()['id']}/no-show", json={}, headers=host, timeout=5)
    assert gone.status_code == 200 and gone.json()["status"] == "NO_SHOW", gone.text
    return gone.json()


def call_order(url, queue, host) -> list[str]:
    listed = requests.get(f"{url}/api/queues/{queue['id']}/tickets?order=call", headers=host, timeout=5)
    return [t["display_number"] for t in listed.json()["tickets"]]


def all_tickets(url, queue, host) -> list[dict]:
    return requests.get(f"{url}/api/queues/{queue['id']}/tickets", headers=host, timeout=5).json()["tickets"]


def local_context(browser, width, height):
    strays: list[str] = []

    def guard(route):
        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            strays.append(route.request.url)
            route.abort()

    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
    context.route("**/*", guard)
    return context, strays


def open_kiosk(context, url, queue, kiosk):
    page = context.new_page()
    page.goto(f"{url}/kiosk/{queue['id']}#token={kiosk['token']}")
    take = page.get_by_role("button", name="Take a ticket")
    take.wait_for(timeout=15_000)
    return page


def type_like_a_scanner(page, text: str) -> None:
    """`text` then Enter as trusted key events (an Enter that leaks presses the focused button), each
    stamped SCAN_DELAY_MS after the previous one, however long the harness takes to send them.
    (Playwright's keyboard.type is stamped when it arrives: on a loaded machine one 250 ms stall
    between two keys made the kiosk take a scan for a person typing, once in CI.)"""
    cdp = page.context.new_cdp_session(page)
    try:
        start = time.time()
        keys = [{"key": ch, "text": ch} for ch in text]
        keys.append({"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "text": "\r"})
        for index, key in enumerate(keys):
            at = start + index * SCAN_DELAY_MS / 1000
            cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", "timestamp": at, **key})
            up = {name: value for name, value in key.items() if name != "text"}
            cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", "timestamp": at + 0.002, **up})
    finally:
        cdp.detach()


def scan(page, text: str, kind: str):
    """The HID scanner: the address typed key by key, then Enter, with "Take a ticket" focused (so a
    leaked Enter would take a ticket). Waits until the kiosk shows an outcome of `kind`; its words."""
    page.get_by_role("button", name="Take a ticket").focus()
    type_like_a_scanner(page, text)
    outcome = page.locator(f"[data-testid=scan-outcome][data-kind={kind}]")
    try:
        outcome.wait_for(timeout=10_000)
    except Exception as err:
        shown = page.evaluate("() => { const e = document.querySelector('[data-testid=scan-outcome]'); "
                              "return e && [e.dataset.kind, e.textContent, document.activeElement?.tagName] }")
        raise AssertionError(f"the kiosk did not say {kind!r}; it shows {shown}") from err
    return outcome.inner_text()


def no_violations(page, where: str) -> None:
    found = axe_violations(page)
    assert found == [], f"{where}: {found}"


def test_a_scanned_no_show_goes_back_to_the_front_once_and_too_late_is_refused(tmp_path, browser):
    server, queue, host, kiosk = make_box(tmp_path, "front")
    url = server.url
    try:
        tickets = [issue(url, queue, kiosk) for _ in range(4)]  # A001..A004, printed at the kiosk
        late = no_show_next(url, queue, host)  # A001: missed first; its window closes first
        late_at = time.monotonic()
        missed = no_show_next(url, queue, host)  # A002: the guest who comes back
        assert [late["display_number"], missed["display_number"]] == ["A001", "A002"]
        assert call_order(url, queue, host) == ["A003", "A004"]
        # Another service's no-show, which this kiosk does not serve.
        other = requests.post(f"{url}/api/queues", json={"name": "Library", "prefix": "L"}, headers=admin(),
                              timeout=5).json()
        other_host = {"Authorization": f"Bearer {other['host_token']}"}
        requests.post(f"{url}/api/queues/{other['id']}/tickets", json={}, headers=other_host, timeout=5)
        foreign = no_show_next(url, other, other_host)

        context, strays = local_context(browser, 1024, 768)
        try:
            page = open_kiosk(context, url, queue, kiosk)
            said = scan(page, f"{url}/t/{missed['id']}", "back")
            assert "Welcome back! Ticket A002 is back in line." in said and "You are next." in said
            # As the setting says: at the front of its service, next to be called; the same ticket.
            back = requests.get(f"{url}/api/tickets/{missed['id']}", timeout=5).json()
            assert (back["status"], back["people_ahead"], back["display_number"]) == ("WAITING", 0, "A002")
            assert call_order(url, queue, host) == ["A002", "A003", "A004"]
            assert len(all_tickets(url, queue, host)) == 4  # the scan's Enter took no ticket
            no_violations(page, "the kiosk saying the guest is back")

            # A second scan of the same ticket: refused in words, nothing changes.
            said = scan(page, f"{url}/t/{missed['id']}", "used")
            assert "This ticket cannot go back in line" in said and "already used once" in said
            assert call_order(url, queue, host) == ["A002", "A003", "A004"]
            assert len(all_tickets(url, queue, host)) == 4
            no_violations(page, "the kiosk refusing a second return")

            # Not this kiosk's ticket, and a code that is no ticket address (never sent to the box).
            said = scan(page, f"{url}/t/{foreign['id']}", "notHere")
            assert "not a ticket of this kiosk" in said
            assert requests.get(f"{url}/api/tickets/{foreign['id']}", timeout=5).json()["status"] == "NO_SHOW"
            said = scan(page, f"{url}/join/{queue['id']}", "unknown")
            assert "not a ticket from here" in said

            # Past the window (a real minute after A001's no-show): too late, and it stays missed.
            # (Waited through Playwright, so the kiosk's own requests pass the route guard meanwhile.)
            page.wait_for_timeout(1000 * max(0.0, WINDOW_MINUTES * 60 + 2 - (time.monotonic() - late_at)))
            said = scan(page, f"{url}/t/{late['id']}", "late")
            assert "too late" in said.lower()
            assert requests.get(f"{url}/api/tickets/{late['id']}", timeout=5).json()["status"] == "NO_SHOW"
            no_violations(page, "the kiosk refusing a late return")

            # The kiosk still takes tickets by keyboard: Enter on the focused button is a person's.
            page.get_by_role("button", name="Take a ticket").focus()
            page.keyboard.press("Enter")
            page.get_by_test_id("kiosk-number").wait_for(timeout=10_000)
            assert len(all_tickets(url, queue, host)) == 5
        finally:
            context.close()
        assert strays == []
        # Only A002 came back, once; the kiosk's outcomes in a row each had its own kind.
        assert [t["display_number"] for t in all_tickets(url, queue, host) if t["returned_at"]] == ["A002"]
        assert tickets[1]["id"] == missed["id"]
    finally:
        server.stop()
    assert "Traceback" not in server.log.read_text()


def test_with_place_end_a_scanned_no_show_goes_behind_everyone(tmp_path, browser):
    server, queue, host, kiosk = make_box(tmp_path, "end")
    url = server.url
    try:
        for _ in range(4):
            issue(url, queue, kiosk)
        missed = no_show_next(url, queue, host)  # A001
        context, strays = local_context(browser, 1280, 800)
        try:
            page = open_kiosk(context, url, queue, kiosk)
            said = scan(page, f"{url}/t/{missed['id']}", "back")
            assert "Ticket A001 is back in line." in said and "3 people ahead of you." in said
        finally:
            context.close()
        assert strays == []
        assert requests.get(f"{url}/api/tickets/{missed['id']}", timeout=5).json()["people_ahead"] == 3
        assert call_order(url, queue, host) == ["A002", "A003", "A004", "A001"]
    finally:
        server.stop()
    assert "Traceback" not in server.log.read_text()


def test_the_hosts_back_button_at_360_px_and_200_percent_text(tmp_path, browser):
    from playwright.sync_api import expect

    server, queue, host, kiosk = make_box(tmp_path, "front")
    url = server.url
    try:
        for _ in range(3):
            issue(url, queue, kiosk)
        missed = no_show_next(url, queue, host)  # A001
        context, strays = local_context(browser, 360, 800)
        try:
            page = context.new_page()
            page.goto(f"{url}/host/{queue['id']}#token={queue['host_token']}")
            section = page.get_by_role("region", name="Missed: may come back")
            expect(section).to_be_visible(timeout=15_000)
            button = section.get_by_role("button", name="Back: A001")
            expect(button).to_be_visible()
            no_violations(page, "the host page with a no-show that may come back, 360 px")
            with text_at_200_percent(page):
                assert overflow_problems(page) == []
                box = button.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= 360
            button.click()
            said = page.get_by_text("A001 is back in line and will be called next.")
            expect(said).to_be_visible(timeout=10_000)
            expect(section).to_be_hidden(timeout=10_000)  # the live channel moved it to the waiting list
            no_violations(page, "the host page after Back, 360 px")
        finally:
            context.close()
        assert strays == []
        assert call_order(url, queue, host) == ["A001", "A002", "A003"]
        assert requests.get(f"{url}/api/tickets/{missed['id']}", timeout=5).json()["people_ahead"] == 0
    finally:
        server.stop()
    assert "Traceback" not in server.log.read_text()
