"""Issue 15, setup's part in Chromium: a venue with no IT staff sets up several services from /setup.

Real `qode serve`, Debian's /usr/bin/chromium, axe (WCAG 2.2 AA) at 1280×800 and 360 px. The admin
makes counter 2 on Passports and Payments (Payments first: the order the boxes were ticked) and a
staff link for both services in the page; the link, shown once with its QR, opens /host, whose
desk offers counter 2 with both services ticked, and opening it serves both. The box's own
answers (GET /api/counters, GET /api/host-tokens) say the page sent what it showed. A multi-service
display link and the join page's link are offered too. Nothing leaves the box."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
import requests

from a11y import axe_violations, overflow_problems, text_at_200_percent

from helpers import ADMIN_TOKEN, ServerProcess, admin, keep_local

pytestmark = [pytest.mark.server, pytest.mark.slow]

DESK = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 800}


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


def no_sideways_scroll(page, state: str) -> None:
    width, room = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert width <= room, (state, width, room)


def test_the_admin_sets_up_a_counter_and_a_staff_link_that_opens_its_desk(box, browser):
    from playwright.sync_api import expect

    proc, services = box
    passports, payments = services["Passports"]["id"], services["Payments"]["id"]
    strays: list[str] = []

    def guard(route):
        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            strays.append(route.request.url)
            route.abort()

    context = browser.new_context(viewport=DESK, locale="en-US")
    context.route("**/*", guard)
    try:
        page = context.new_page()
        page.goto(f"{proc.url}/setup#token={ADMIN_TOKEN}")
        counters = page.get_by_role("region", name="Counters")
        expect(counters.get_by_text("No counter yet.")).to_be_visible(timeout=10_000)
        page.locator("summary", has_text="Guests choose a service").click()  # folded until asked for
        join = page.get_by_role("textbox", name="Guests choose a service")
        expect(join).to_have_value(f"{proc.url}/join")
        join_qr = page.get_by_role("img", name="QR code of the join page where guests choose a service")
        expect(join_qr).to_be_visible()

        # Counter 2: Payments ticked first, then Passports; the weighted rule with Passports ×2.
        counters.get_by_role("button", name="Add counter").click()
        form = counters.get_by_role("form", name="New counter")
        form.get_by_label("Counter name").fill("2")
        form.get_by_role("checkbox", name="Payments").check()
        form.get_by_role("checkbox", name="Passports").check()
        form.get_by_role("radio", name="Longest wait: the wait times the service’s weight").check()
        form.get_by_role("textbox", name="Passports").fill("2")
        no_violations(page, "the counter form")
        form.get_by_role("button", name="Create counter").click()
        expect(counters.get_by_text("Counter “2” saved.")).to_be_visible()
        expect(counters.get_by_text("2 · Closed")).to_be_visible()
        expect(counters.get_by_text("1. Payments ×1 · 2. Passports ×2")).to_be_visible()
        made = requests.get(f"{proc.url}/api/counters", headers=admin(), timeout=5).json()["counters"]
        shape = [(c["name"], c["rule"], [(s["queue_id"], s["weight"]) for s in c["services"]]) for c in made]
        assert shape == [("2", "weighted", [(payments, 1.0), (passports, 2.0)])]

        # Back to "in order", Passports first: an edit (PATCH) of the closed counter.
        counters.get_by_role("button", name="Edit 2").click()
        edit = counters.get_by_role("form", name="Edit counter 2")
        edit.get_by_role("checkbox", name="Payments #1").uncheck()
        edit.get_by_role("checkbox", name="Payments").check()
        edit.get_by_role("radio", name="In order: the first service with someone waiting").check()
        edit.get_by_role("button", name="Save counter").click()
        expect(counters.get_by_text("1. Passports · 2. Payments")).to_be_visible()
        made = requests.get(f"{proc.url}/api/counters", headers=admin(), timeout=5).json()["counters"]
        assert [(c["rule"], [s["queue_id"] for s in c["services"]]) for c in made] == [
            ("order", [passports, payments])]

        # A staff link for both services: shown once, with its QR.
        staff = page.get_by_role("region", name="Staff links")
        staff.locator("summary", has_text="Make staff link").click()  # folded until asked for
        link_form = staff.get_by_role("form", name="Make staff link")
        link_form.get_by_label("Link name").fill("Desk 2 tablet")
        link_form.get_by_role("checkbox", name="Passports").check()
        link_form.get_by_role("checkbox", name="Payments").check()
        link_form.get_by_role("button", name="Make staff link").click()
        link = staff.get_by_role("textbox", name="Staff link: Desk 2 tablet")
        expect(link).to_be_visible(timeout=10_000)
        host_url = link.input_value()
        assert host_url.startswith(f"{proc.url}/host#token="), host_url
        expect(staff.get_by_text("Save this link now: it is shown only this once.")).to_be_visible()
        expect(staff.get_by_role("img", name="QR code of the staff link for Desk 2 tablet")).to_be_visible()
        listed = requests.get(f"{proc.url}/api/host-tokens", headers=admin(), timeout=5).json()["tokens"]
        mine = [t for t in listed if t["name"] == "Desk 2 tablet"]
        assert [(t["role"], t["scope"], sorted(t["services"]), t["revoked_at"]) for t in mine] == [
            ("staff", "services", sorted([passports, payments]), None)]
        assert "token" not in mine[0]

        # A TV for both services, registered (issue 16): its link carries its token, shown once,
        # so the host can switch its voice; the box lists it under its home service.
        screens = page.get_by_role("region", name="Screens for several services")
        screens.locator("summary", has_text="Add display").click()
        screens.get_by_role("button", name="Add display").click()
        expect(screens.get_by_role("textbox", name="Display “Display”")).to_have_value(
            re.compile(rf"^{re.escape(proc.url)}/display\?services=all#token=[A-Za-z0-9_-]{{16,}}$"))

        no_violations(page, "setup with a counter, a staff link and a display link at 1280×800")
        page.set_viewport_size(PHONE)
        expect(counters).to_be_visible()
        no_violations(page, "setup at 360 px")
        no_sideways_scroll(page, "setup at 360 px")
        with text_at_200_percent(page):
            assert overflow_problems(page) == [], "setup at 360 px, 200% text"

        # The link opens the counter's desk: counter 2, both services.
        desk = context.new_page()
        desk.goto(host_url)
        expect(desk.get_by_role("heading", name="Open your counter")).to_be_visible(timeout=10_000)
        desk.get_by_role("radio", name="Counter 2").check()
        expect(desk.get_by_role("checkbox", name="Passports (P)")).to_be_checked()
        expect(desk.get_by_role("checkbox", name="Payments (B)")).to_be_checked()
        desk.get_by_role("button", name="Open counter 2").click()
        expect(desk.get_by_test_id("desk-services")).to_have_text("Calls from: Passports, Payments")
        opened = requests.get(f"{proc.url}/api/counters", headers=admin(), timeout=5).json()["counters"]
        assert [(c["name"], c["is_open"]) for c in opened] == [("2", True)]

        # Revoked in the page: the link stops working at once.
        staff.get_by_role("button", name="Revoke Desk 2 tablet").click()
        staff.get_by_role("button", name="Yes, revoke Desk 2 tablet").click()
        expect(staff.get_by_role("button", name="Revoke Desk 2 tablet")).to_have_count(0)
        # Each service's own host link is listed too (a manager of that one service).
        expect(staff.get_by_role("button", name="Revoke Passports")).to_be_visible()
        token = host_url.split("#token=", 1)[1]
        refused = requests.get(f"{proc.url}/api/counters", headers={"Authorization": f"Bearer {token}"},
                               timeout=5)
        assert refused.status_code == 401, refused.text
    finally:
        context.close()
    assert strays == []


def test_the_admin_adds_a_service_to_a_registered_kiosk_and_the_kiosk_follows(box, browser):
    """A venue that adds Payments to its door kiosk keeps the kiosk's link: setup changes the
    kiosk's services, and the tablet on the one-service kiosk moves to the choice of services."""
    from playwright.sync_api import expect

    proc, services = box
    passports, payments = services["Passports"]["id"], services["Payments"]["id"]
    kiosk = requests.post(f"{proc.url}/api/queues/{passports}/devices", json={"name": "Door"}, headers=admin(),
                          timeout=5).json()
    context = browser.new_context(viewport=DESK, locale="en-US")
    strays = keep_local(context)
    try:
        tablet = context.new_page()
        tablet.goto(f"{proc.url}/kiosk/{passports}#token={kiosk['token']}")
        expect(tablet.get_by_role("button", name="Take a ticket")).to_be_visible(timeout=10_000)

        page = context.new_page()
        page.goto(f"{proc.url}/setup#token={ADMIN_TOKEN}")
        card = page.get_by_role("article", name="Passports")
        card.locator("summary").first.click()
        row = card.get_by_test_id(f"device-{kiosk['id']}")
        expect(row).to_contain_text("Services: Passports", timeout=10_000)
        row.get_by_role("button", name="Change services of Door").click()
        form = row.get_by_role("form", name="Change services of Door")
        form.get_by_label("Payments").check()
        no_violations(page, "changing a kiosk's services")
        form.get_by_role("button", name="Save services").click()
        expect(page.get_by_text("“Door” now covers: Passports, Payments.", exact=False)).to_be_visible()
        expect(row).to_contain_text("Services: Passports, Payments")
        # The box says so, and the token is the same one.
        me = requests.get(f"{proc.url}/api/device", headers={"Authorization": f"Bearer {kiosk['token']}"},
                          timeout=5).json()
        assert [s["id"] for s in me["services"]] == [passports, payments]

        # The tablet learns it on its next look at the box (a minute; a reload here), same token.
        tablet.reload()
        expect(tablet.get_by_role("heading", name="Choose a service")).to_be_visible(timeout=10_000)
        assert urlparse(tablet.url).path == "/kiosk"
        tablet.get_by_role("button", name="Payments").first.click()
        expect(tablet.get_by_test_id("kiosk-number")).to_have_text("B001", timeout=10_000)
    finally:
        context.close()
    assert strays == [], f"a page asked for something off the box: {strays}"
