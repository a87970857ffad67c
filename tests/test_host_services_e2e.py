"""Issue 15, must-show 2 (the host's part) in Chromium: a host desk on a box with two services.

Real `qode serve`, Debian's /usr/bin/chromium, axe (WCAG 2.2 AA) at 1280×800. A box-wide staff
token opens /host; the host picks counter 2 (set up on Passports), ticks Payments too and gives a
staff name. The desk then lists both services' waiting guests in one list in the counter's call
order: a priority ticket of Payments first (the rule's priority step), then Passports (the counter's
first service), then Payments. A transfer from Passports to Payments "at the end of the line" moves
the row live (it comes only from the host channels), and "Call next" calls by the rule across both,
each time saying why. Nothing leaves the box."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
import requests

from a11y import axe_violations, text_at_200_percent

from helpers import ServerProcess, admin

TABLET = {"width": 1280, "height": 800}


@pytest.fixture
def box(tmp_path):
    proc = ServerProcess(tmp_path / "served").start()
    services = {}
    for name, prefix in (("Passports", "P"), ("Payments", "B")):
        answer = requests.post(f"{proc.url}/api/queues", json={"name": name, "prefix": prefix}, headers=admin(),
                               timeout=5)
        assert answer.status_code == 201, answer.text
        services[name] = answer.json()
    yield proc, services
    proc.stop()
    assert "Traceback" not in proc.log.read_text()


def no_violations(page, state: str) -> None:
    found = axe_violations(page)
    assert found == [], f"{state}: {found}"


def test_a_counter_on_two_services_calls_by_its_rule_priority_first_and_a_transfer_moves_live(box, browser):
    from playwright.sync_api import expect

    proc, services = box
    passports, payments = services["Passports"]["id"], services["Payments"]["id"]
    # Counter 2 is set up on Passports only; the host adds Payments for this session.
    made = requests.post(f"{proc.url}/api/counters", json={"name": "2", "services": [{"queue_id": passports}]},
                         headers=admin(), timeout=5)
    assert made.status_code == 201, made.text
    counter = made.json()
    token = requests.post(f"{proc.url}/api/host-tokens", headers=admin(), timeout=5,
                          json={"name": "Desk tablet", "role": "staff", "scope": "box"})
    assert token.status_code == 201, token.text
    staff = {"Authorization": f"Bearer {token.json()['token']}"}

    def join(queue_id: str, **body) -> dict:
        answer = requests.post(f"{proc.url}/api/queues/{queue_id}/tickets", json=body, headers=staff, timeout=5)
        assert answer.status_code == 201, answer.text
        return answer.json()

    # In this order: P001, P002 (Passports), B001, then B002 with priority (Payments).
    joined = [join(passports), join(passports), join(payments), join(payments, priority=True)]
    assert [t["display_number"] for t in joined] == ["P001", "P002", "B001", "B002"]
    assert [t["priority"] for t in joined] == [False, False, False, True]

    strays: list[str] = []

    def guard(route):
        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            strays.append(route.request.url)
            route.abort()

    context = browser.new_context(viewport=TABLET, locale="en-US")
    context.route("**/*", guard)
    try:
        page = context.new_page()
        page.goto(f"{proc.url}/host#token={token.json()['token']}")

        # The token's scope: its counters and services. Counter 2, both services, a name.
        expect(page.get_by_role("heading", name="Open your counter")).to_be_visible(timeout=10_000)
        no_violations(page, "choosing a counter")
        page.get_by_role("radio", name="Counter 2").check()
        expect(page.get_by_role("checkbox", name="Passports (P)")).to_be_checked()
        page.get_by_role("checkbox", name="Payments (B)").check()
        page.get_by_label("Your name (optional)").fill("Ana")
        page.get_by_role("button", name="Open counter 2").click()

        expect(page.get_by_test_id("desk-services")).to_have_text(
            "Calls from: Passports, Payments · staff: Ana")
        opened = requests.get(f"{proc.url}/api/counters", headers=staff, timeout=5).json()["counters"]
        mine = next(c for c in opened if c["id"] == counter["id"])
        assert mine["is_open"] and mine["staff"] == "Ana"
        assert [s["queue_id"] for s in mine["services"]] == [passports, payments]

        waiting = page.get_by_role("region", name="Waiting, in call order")
        rows = waiting.get_by_role("listitem")

        def order() -> list[str]:
            ids = rows.evaluate_all("rs => rs.map(r => r.dataset.testid)")
            return [r.removeprefix("desk-waiting-") for r in ids]

        # Priority first (B002, Payments), then the counter's first service, then its second.
        expect(rows).to_have_count(4)
        expect(rows.first).to_have_attribute("data-testid", "desk-waiting-B002")
        assert order() == ["B002", "P001", "P002", "B001"]
        b002 = page.get_by_test_id("desk-waiting-B002")
        expect(b002.get_by_test_id("priority-mark")).to_have_text("Priority")
        expect(page.get_by_test_id("desk-waiting-P001").get_by_test_id("priority-mark")).to_have_count(0)
        no_violations(page, "the desk with four waiting")

        # Transfer P002 to Payments, at the end of its line: after B001 now.
        page.get_by_role("button", name="Transfer: P002").click()
        form = page.get_by_role("form", name="Send P002 to another service")
        expect(form.get_by_label("To service")).to_have_value(payments)
        keep = form.get_by_role("radio", name="Keep their place (by join time) (usual for this service)")
        expect(keep).to_be_checked()  # Payments' default, chosen first
        no_violations(page, "the transfer form")
        form.get_by_role("radio", name="End of the line").check()
        form.get_by_role("button", name="Send to Payments").click()
        expect(page.get_by_role("status").filter(has_text="sent to")).to_have_text(
            "P002 was sent to Payments, at the end of the line.")
        p002 = page.get_by_test_id("desk-waiting-P002")
        expect(p002).to_contain_text("Payments")  # its service, live from the host channels
        expect(p002).not_to_contain_text("Passports")
        expect(page.get_by_test_id("desk-waiting-P002")).to_have_count(1)  # not left behind in Passports
        expect(rows.last).to_have_attribute("data-testid", "desk-waiting-P002")
        assert order() == ["B002", "P001", "B001", "P002"]
        moved = requests.get(f"{proc.url}/api/tickets/{joined[1]['id']}", timeout=5).json()
        assert moved["id"] == joined[1]["id"] and moved["display_number"] == "P002"
        assert moved["service"]["id"] == payments

        # Call next, by the rule across both services, saying why each time (and what the
        # press ended: the counter's previous guest, called and not served, is a no-show).
        button = page.locator("button[aria-keyshortcuts='N']")
        notice = page.get_by_role("status").filter(has_text="Called")
        expected = [
            ("B002", "Called B002 to counter 2. Reason: Priority."),
            ("P001", "Called P001 to counter 2. Reason: First service in this counter’s order. "
                     "B002 was marked as a no-show."),
            ("B001", "Called B001 to counter 2. Reason: Only service with guests waiting. "
                     "P001 was marked as a no-show."),
            ("P002", "Called P002 to counter 2. Reason: Only service with guests waiting. "
                     "B001 was marked as a no-show."),
        ]
        for number, said in expected:
            button.click()
            expect(notice).to_have_text(said)
            expect(page.get_by_test_id(f"active-{number}")).to_be_visible()
            expect(page.get_by_test_id(f"desk-waiting-{number}")).to_have_count(0)
        expect(rows).to_have_count(0)
        expect(button).to_have_accessible_name("Call next")
        no_violations(page, "after the calls")
        with text_at_200_percent(page, settle_ms=0):
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        # Close counter 2: back to the choice; the box has it closed, with no staff name.
        page.get_by_role("button", name="Close counter 2").click()
        expect(page.get_by_role("heading", name="Open your counter")).to_be_visible()
        closed = requests.get(f"{proc.url}/api/counters", headers=staff, timeout=5).json()["counters"]
        mine = next(c for c in closed if c["id"] == counter["id"])
        assert not mine["is_open"] and mine["staff"] is None
    finally:
        context.close()
    assert strays == []
