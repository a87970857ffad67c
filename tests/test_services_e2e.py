"""Several services on one box (issue 15), the guest side, in real headless Chromium (Debian's)
against a real `qode serve`: must-show 2's guest and TV half.

- A guest chooses "Passports" on the touch kiosk (/kiosk, a device covering Passports and
  Payments) and gets P001 with the service on the screen; the priority button gives P002 marked
  "Priority ticket", and Passports' "Call next" calls P002 before P001 (priority goes first).
- A phone joins Reception on /join; reception calls it, then transfers it to Payments (the REST
  call a host makes): the open guest page shows Payments live, with "Go to Payments: you are now
  in its line", keeping its number R001.
- The TV at /display?services=all shows Payments' call of R001 with its counter and service.
- axe (WCAG 2.2 AA) finds nothing on the kiosk's choice, the join page's choice, the guest page
  after the transfer and the TV, at 360 px and 1920×1080; every request stays on the box.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
import requests

from a11y import axe_violations, keyboard_problems, overflow_problems, text_at_200_percent

from helpers import ServerProcess, admin, wait_until

pytestmark = [pytest.mark.server, pytest.mark.slow]

NARROW = {"width": 360, "height": 740}
TV = {"width": 1920, "height": 1080}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def venue(tmp_path):
    """A town hall: Reception, Passports (P) and Payments (M), and a touch kiosk at the door that
    issues for Passports and Payments."""
    server = ServerProcess(tmp_path / "server").start()
    url = server.url

    def service(name, prefix):
        made = requests.post(f"{url}/api/queues", json={"name": name, "prefix": prefix}, headers=admin(),
                             timeout=5)
        assert made.status_code == 201, made.text
        return made.json()

    reception, passports = service("Reception", "R"), service("Passports", "P")
    payments = service("Payments", "M")
    kiosk = make_kiosk(url, passports, payments)
    yield {"server": server, "url": url, "reception": reception, "passports": passports, "payments": payments,
           "kiosk": kiosk}
    server.stop()
    assert "Traceback" not in server.log.read_text()


def make_kiosk(url: str, *services: dict) -> dict:
    """A kiosk device covering `services` (the first is its home service). The admin registers
    it: a service's own host token covers that service only."""
    home = services[0]
    made = requests.post(f"{url}/api/queues/{home['id']}/devices",
                         json={"name": "Door", "kind": "kiosk", "services": [s["id"] for s in services]},
                         headers=admin(), timeout=5)
    assert made.status_code == 201, made.text
    return made.json()


@pytest.fixture
def open_page(browser, venue):
    """New pages in their own context; every request must stay on the box."""
    strays: list[str] = []
    contexts = []

    def guard(route):
        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            strays.append(route.request.url)
            route.abort()

    def make(path: str, viewport=NARROW):
        context = browser.new_context(viewport=viewport, locale="en-US")
        context.route("**/*", guard)
        contexts.append(context)
        page = context.new_page()
        page.goto(venue["url"] + path)
        return page

    yield make
    for context in contexts:
        context.close()
    assert strays == []


def call_next(venue, service: dict, counter: str) -> dict:
    answer = requests.post(f"{venue['url']}/api/queues/{service['id']}/call-next", json={"counter": counter},
                           headers=bearer(service["host_token"]), timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_touch_kiosk_offers_the_services_and_priority_goes_first(venue, open_page):
    page = open_page(f"/kiosk#token={venue['kiosk']['token']}", viewport={"width": 1280, "height": 800})
    page.get_by_role("heading", name="Choose a service").wait_for(timeout=15_000)
    assert page.evaluate("() => location.hash") == ""  # the token left the address
    # The kiosk's two services, not Reception, which it does not cover.
    names = page.locator("li [id^=service-]").all_text_contents()
    assert names == ["Passports", "Payments"]

    page.get_by_role("button", name=re.compile("^Passports")).click()
    page.get_by_test_id("kiosk-number").wait_for(timeout=15_000)
    assert page.get_by_test_id("kiosk-number").text_content() == "P001"
    assert page.get_by_test_id("kiosk-service").text_content() == "Passports"
    assert page.get_by_text("Priority ticket").count() == 0

    page.get_by_role("button", name=re.compile("^Done")).click()
    page.get_by_role("heading", name="Choose a service").wait_for(timeout=15_000)
    page.locator("li").filter(has=page.locator("#service-" + venue["passports"]["id"])).get_by_role(
        "button", name="Priority: elderly, disabled, pregnant").click()
    page.get_by_test_id("kiosk-number").wait_for(timeout=15_000)
    assert page.get_by_test_id("kiosk-number").text_content() == "P002"
    assert page.get_by_test_id("kiosk-service").text_content() == "Passports"
    assert page.get_by_text("Priority ticket").count() == 1

    # The box's own word: P002 is a priority ticket in Passports, and it is called first.
    first = call_next(venue, venue["passports"], "1")
    assert (first["display_number"], first["priority"], first["reason"]) == ("P002", True, "priority")
    assert first["service"]["name"] == "Passports"
    second = call_next(venue, venue["passports"], "1")
    assert (second["display_number"], second["priority"]) == ("P001", False)


def test_a_transfer_shows_live_on_the_guest_page_and_the_tv_shows_the_call(venue, open_page):
    tv = open_page("/display?services=all", viewport=TV)
    tv.get_by_role("heading", name="Now serving").wait_for(timeout=15_000)
    # The names are joined by a no-break space and "·" (a wrapped line never starts with the dot).
    wait_until(lambda: tv.get_by_role("heading", level=1).text_content().replace("\u00a0", " ")
               == "Reception · Passports · Payments", timeout=15)

    guest = open_page("/join")
    guest.get_by_role("heading", name="Choose a service").wait_for(timeout=15_000)
    guest.get_by_role("button", name=re.compile("^Reception")).click()
    guest.wait_for_url(re.compile(r"/t/[0-9a-f-]+$"), timeout=15_000)
    ticket_id = guest.url.rsplit("/", 1)[1]
    guest.get_by_test_id("ticket-service").wait_for(timeout=15_000)
    assert guest.get_by_text("R001", exact=True).count() == 1
    assert guest.get_by_test_id("ticket-service").text_content() == "Reception"

    # Reception calls R001 at its counter 1, then sends the guest on to Payments.
    assert call_next(venue, venue["reception"], "1")["id"] == ticket_id
    guest.get_by_role("alertdialog", name="Your turn").wait_for(timeout=15_000)
    guest.get_by_role("button", name="OK, on my way").click()
    moved = requests.post(f"{venue['url']}/api/tickets/{ticket_id}/transfer",
                          json={"queue_id": venue["payments"]["id"]},
                          headers=bearer(venue["reception"]["host_token"]), timeout=5)
    assert moved.status_code == 200, moved.text
    sent = moved.json()
    assert (sent["id"], sent["display_number"], sent["status"]) == (ticket_id, "R001", "WAITING")

    # Live, without a reload: the same ticket and number, now in Payments' line.
    notice = guest.get_by_test_id("transfer-notice")
    notice.wait_for(timeout=15_000)
    assert "Go to Payments: you are now in its line." in notice.text_content()
    assert "Sent on from Reception." in notice.text_content()
    assert notice.evaluate("(el) => el.parentElement.getAttribute('role')") == "status"
    assert guest.get_by_test_id("ticket-service").text_content() == "Payments"
    assert guest.get_by_text("R001", exact=True).count() == 1
    assert guest.evaluate("() => performance.getEntriesByType('navigation').length") == 1  # never reloaded
    assert axe_violations(guest) == []
    assert keyboard_problems(guest) == []
    with text_at_200_percent(guest):
        assert overflow_problems(guest) == []

    # Payments' counter 2 calls it: the TV shows R001 → Counter 2 · Payments.
    called = call_next(venue, venue["payments"], "2")
    assert called["id"] == ticket_id
    tile = tv.locator("li.tv-tile", has_text="R001")
    tile.wait_for(timeout=15_000)
    # "Counter 2" and the service on a line of its own, read as one: "Counter 2 · Payments".
    assert tile.locator(".tv-counter").text_content() + tile.locator(".tv-service").text_content() == \
        "Counter 2 · Payments"
    assert tile.get_attribute("data-newest") == "true"
    assert axe_violations(tv) == []
    guest.get_by_role("alertdialog", name="Your turn").wait_for(timeout=15_000)
    assert "Counter 2" in guest.get_by_role("alertdialog").text_content()


@pytest.mark.parametrize("viewport", [NARROW, TV], ids=["360px", "1920x1080"])
def test_the_service_choices_and_the_tv_pass_axe(venue, open_page, viewport):
    kiosk = open_page(f"/kiosk#token={venue['kiosk']['token']}", viewport=viewport)
    kiosk.get_by_role("heading", name="Choose a service").wait_for(timeout=15_000)
    assert axe_violations(kiosk) == []
    assert keyboard_problems(kiosk) == []
    with text_at_200_percent(kiosk):
        assert overflow_problems(kiosk) == []

    join = open_page("/join", viewport=viewport)
    join.get_by_role("heading", name="Choose a service").wait_for(timeout=15_000)
    assert join.locator("li [id^=service-]").all_text_contents() == ["Reception", "Passports", "Payments"]
    assert axe_violations(join) == []
    assert keyboard_problems(join) == []
    with text_at_200_percent(join):
        assert overflow_problems(join) == []

    call_next_after_join(venue)
    tv = open_page("/display?services=all", viewport=viewport)
    tv.locator("li.tv-tile").first.wait_for(timeout=15_000)
    assert axe_violations(tv) == []


def call_next_after_join(venue) -> None:
    """One call on the TV: a Passports ticket joined and called at counter 1."""
    joined = requests.post(f"{venue['url']}/api/queues/{venue['passports']['id']}/tickets", json={},
                           headers=bearer(venue["passports"]["host_token"]), timeout=5)
    assert joined.status_code == 201, joined.text
    call_next(venue, venue["passports"], "1")
