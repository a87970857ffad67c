"""Issue 16, must-show 5's end-to-end half: "I'm running late" in real headless Chromium (Debian's)
against a real `qode serve`.

A guest joins Reception on the phone page (R001, first in line), four more guests join behind
(R002–R005). The guest taps "I'm running late": the question says "Move back 3 places?" and that
it is the only move; after "Yes", the page shows 3 people ahead, live. The host's dashboard, open
all along, marks R001 "late ×1" and lists the line as R002, R003, R004, R001, R005; the TV shows
the calls in that order (R001 fourth, nothing out of order) and the guest gets "Your turn" at its
call. axe (WCAG 2.2 AA) finds nothing on the guest page with the question open, after the move,
and on the host dashboard; every request stays on the box.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
import requests

from a11y import axe_violations, keyboard_problems, overflow_problems, text_at_200_percent

from helpers import ServerProcess, admin, wait_until

pytestmark = [pytest.mark.server, pytest.mark.slow]

PHONE = {"width": 360, "height": 740}
TV = {"width": 1920, "height": 1080}
DESK = {"width": 1280, "height": 900}


@pytest.fixture
def box(tmp_path):
    server = ServerProcess(tmp_path / "server").start()
    made = requests.post(f"{server.url}/api/queues", json={"name": "Reception", "prefix": "R"}, headers=admin(),
                         timeout=5)
    assert made.status_code == 201, made.text
    yield server, made.json()
    server.stop()
    assert "Traceback" not in server.log.read_text()


@pytest.fixture
def open_page(browser, box):
    server, _ = box
    strays: list[str] = []
    contexts = []

    def guard(route):
        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            strays.append(route.request.url)
            route.abort()

    def make(path: str, viewport=PHONE):
        context = browser.new_context(viewport=viewport, locale="en-US")
        context.route("**/*", guard)
        contexts.append(context)
        page = context.new_page()
        page.goto(server.url + path)
        return page

    yield make
    for context in contexts:
        context.close()
    assert strays == []


def waiting_rows(page) -> list[str]:
    return [t.removeprefix("waiting-") for t in page.eval_on_selector_all(
        "li[data-testid^='waiting-']", "(rows) => rows.map((row) => row.dataset.testid)")]


def newest_call(tv) -> str | None:
    return tv.evaluate("() => document.querySelector('li.tv-tile[data-newest=\"true\"]')?.textContent ?? null")


def test_a_guest_running_late_moves_back_and_the_host_and_tv_stay_truthful(box, open_page):
    server, queue = box
    host_headers = {"Authorization": f"Bearer {queue['host_token']}"}
    tv = open_page(f"/display/{queue['id']}", viewport=TV)
    host = open_page(f"/host/{queue['id']}#token={queue['host_token']}", viewport=DESK)
    host.get_by_role("button", name=re.compile("Call next")).wait_for(timeout=15_000)

    guest = open_page(f"/join/{queue['id']}")
    guest.get_by_role("button", name="Take a ticket").click()
    guest.wait_for_url(re.compile(r"/t/[0-9a-f-]+$"), timeout=15_000)
    ticket_id = guest.url.rsplit("/", 1)[1]
    guest.get_by_text("R001", exact=True).wait_for(timeout=15_000)
    for n in range(4):  # R002-R005 join behind
        joined = requests.post(f"{server.url}/api/queues/{queue['id']}/tickets",
                               json={"device_token": f"device-token-behind-{n:04d}"}, timeout=5)
        assert joined.status_code == 201, joined.text
    wait_until(lambda: waiting_rows(host) == ["R001", "R002", "R003", "R004", "R005"], timeout=15)
    assert host.get_by_test_id("late-mark").count() == 0

    # The guest asks to move back: the question says how many places and that it is the only move.
    guest.get_by_role("button", name="I'm running late").click()
    question = guest.get_by_role("region", name=re.compile("Move back 3 places"))
    question.wait_for(timeout=15_000)
    assert "The guests behind you go first." in question.text_content()
    assert "After this you cannot move back again." in question.text_content()
    assert axe_violations(guest) == []
    guest.get_by_role("button", name="Yes, move me back").click()

    # The guest page: the new place, and no second move offered.
    guest.get_by_test_id("late-moved").wait_for(timeout=15_000)
    assert guest.get_by_test_id("late-moved").text_content() == "Done: you moved back 3 places."
    guest.get_by_text("3 people ahead of you", exact=True).wait_for(timeout=15_000)
    assert guest.get_by_text("You have used every move back this ticket has.").count() == 1
    assert guest.get_by_role("button", name="I'm running late").count() == 0
    assert guest.get_by_text("R001", exact=True).count() == 1  # same ticket, same number
    assert guest.evaluate("() => performance.getEntriesByType('navigation').length") == 1  # never reloaded
    assert axe_violations(guest) == []
    assert keyboard_problems(guest) == []
    with text_at_200_percent(guest):
        assert overflow_problems(guest) == []

    # The box: R001 is fourth in the call order, the others kept theirs.
    listed = requests.get(f"{server.url}/api/queues/{queue['id']}/tickets?order=call", headers=host_headers,
                          timeout=5).json()["tickets"]
    assert [(t["display_number"], t["people_ahead"], t["late_uses"]) for t in listed] == [
        ("R002", 0, 0), ("R003", 1, 0), ("R004", 2, 0), ("R001", 3, 1), ("R005", 4, 0)]
    again = requests.post(f"{server.url}/api/tickets/{ticket_id}/late", json={"use": 2}, timeout=5)
    assert again.status_code == 409 and again.json()["error"]["code"] == "no_uses_left"

    # The host, live: the mark on R001 and the line in its new order.
    wait_until(lambda: waiting_rows(host) == ["R002", "R003", "R004", "R001", "R005"], timeout=15)
    mark = host.get_by_test_id("waiting-R001").get_by_test_id("late-mark")
    assert mark.count() == 1 and "late ×1" in mark.text_content()
    assert host.get_by_test_id("late-mark").count() == 1
    assert axe_violations(host) == []
    with text_at_200_percent(host):
        assert overflow_problems(host) == []

    # The TV shows each call in the new order; the guest is called fourth.
    for expected in ("R002", "R003", "R004", "R001"):
        called = requests.post(f"{server.url}/api/queues/{queue['id']}/call-next", json={"counter": "1"},
                               headers=host_headers, timeout=5)
        assert called.status_code == 200 and called.json()["display_number"] == expected, called.text
        wait_until(lambda expected=expected: expected in (newest_call(tv) or ""), timeout=15)
        if expected != "R001":
            assert guest.get_by_role("alertdialog").count() == 0
    guest.get_by_role("alertdialog", name="Your turn").wait_for(timeout=15_000)
    assert tv.locator("li.tv-tile", has_text="R005").count() == 0  # never called, never shown
    wait_until(lambda: waiting_rows(host) == ["R005"], timeout=15)
