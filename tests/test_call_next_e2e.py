"""Issue 14, must-show 4 in Chromium: the host's call button says what a press does to the
counter's current ticket, follows the live state (another tablet's call too), and the notice says
what the call ended. Real `qode serve`, Debian's /usr/bin/chromium, axe (WCAG 2.2 AA) at each state,
and 200% text with nothing clipped or scrolling sideways."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
import requests

from a11y import ARGS, CHROMIUM, axe_violations, text_at_200_percent

from helpers import ServerProcess, admin

TABLET = {"width": 1280, "height": 800}
CALL = re.compile(r"call next$", re.IGNORECASE)


@pytest.fixture
def box(tmp_path):
    proc = ServerProcess(tmp_path / "served").start()
    queue = requests.post(f"{proc.url}/api/queues", json={"name": "Front desk", "prefix": "A"}, headers=admin(),
                          timeout=5).json()
    yield proc, queue
    proc.stop()
    assert "Traceback" not in proc.log.read_text()


def no_violations(page, state: str) -> None:
    found = axe_violations(page)
    assert found == [], f"{state}: {found}"


def fits_at_200_percent_text(page, state: str) -> None:
    """Text twice the size (the root font size: Tailwind's sizes are rem): the button's words wrap
    inside it, nothing is cut off and the page does not scroll sideways."""
    with text_at_200_percent(page, settle_ms=0):
        button = page.get_by_role("button", name=CALL)
        label = button.get_by_test_id("call-next-label")
        sizes = label.evaluate("e => [e.scrollWidth, e.clientWidth, e.scrollHeight, e.clientHeight]")
        assert sizes[0] <= sizes[1] and sizes[2] <= sizes[3], (state, sizes)
        inner, outer = label.bounding_box(), button.bounding_box()
        right, limit = inner["x"] + inner["width"], outer["x"] + outer["width"]
        assert outer["x"] <= inner["x"] and right <= limit + 0.5, state
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), state


def test_the_call_button_says_what_happens_to_the_counters_ticket(box):
    from playwright.sync_api import expect, sync_playwright

    proc, queue = box
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    with requests.Session() as session:
        for _ in range(4):
            assert session.post(f"{proc.url}/api/queues/{queue['id']}/tickets", json={}, headers=host,
                                timeout=5).status_code == 201
    strays: list[str] = []

    def guard(route):
        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            strays.append(route.request.url)
            route.abort()

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            context = chromium.new_context(viewport=TABLET, locale="en-US")
            context.route("**/*", guard)
            page = context.new_page()
            page.goto(f"{proc.url}/host/{queue['id']}#token={queue['host_token']}")
            button = page.get_by_role("button", name=CALL)
            notice = page.get_by_role("status").filter(has_text="Called")

            # A free counter.
            expect(button).to_have_accessible_name("Call next", timeout=10_000)
            no_violations(page, "free counter")
            button.click()
            expect(notice).to_have_text("Called A001 to counter 1.")
            # Counter 1 holds A001, called: the next press makes it a no-show.
            expect(button).to_have_accessible_name("No-show A001 & call next")
            no_violations(page, "a called ticket at the counter")
            fits_at_200_percent_text(page, "a called ticket at the counter")

            # A001 came: Serve. The next press completes it.
            page.get_by_role("button", name="Serve: A001").click()
            expect(button).to_have_accessible_name("Complete A001 & call next")
            page.keyboard.press("n")  # the shortcut does what the button says
            expect(notice).to_have_text("Called A002 to counter 1. A001 is done.")
            expect(button).to_have_accessible_name("No-show A002 & call next")

            # Another tablet at the same counter calls next: A002 ends there, and this tablet's
            # button follows the live state.
            other = requests.post(f"{proc.url}/api/queues/{queue['id']}/call-next", json={"counter": "1"},
                                  headers=host, timeout=5).json()
            assert [(e["display_number"], e["status"]) for e in other["ended"]] == [("A002", "NO_SHOW")]
            expect(button).to_have_accessible_name("No-show A003 & call next")
            active = page.get_by_role("region", name="Called and being served")
            expect(active.get_by_text("A002")).to_have_count(0)  # no longer active anywhere

            # Another counter is free.
            counter = page.get_by_label("Your counter")
            counter.fill("Desk 2")
            expect(button).to_have_accessible_name("Call next")
            counter.fill("1")
            expect(button).to_have_accessible_name("No-show A003 & call next")
            button.click()
            expect(notice).to_have_text("Called A004 to counter 1. A003 was marked as a no-show.")
            # Nobody is waiting: a press would call nobody and end nothing.
            expect(button).to_have_accessible_name("Call next")
            no_violations(page, "after the calls")
            fits_at_200_percent_text(page, "nobody waiting")

            tickets = requests.get(f"{proc.url}/api/queues/{queue['id']}/tickets", headers=host,
                                   timeout=5).json()["tickets"]
            assert [(t["display_number"], t["status"]) for t in tickets] == [
                ("A001", "COMPLETED"), ("A002", "NO_SHOW"), ("A003", "NO_SHOW"), ("A004", "CALLED")]
            context.close()
        finally:
            chromium.close()
    assert strays == []
