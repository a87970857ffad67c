"""Issue 15, "Statistics and the hub" (the host's part) in Chromium: the day's figures on /host.

Real `qode serve`, Debian's /usr/bin/chromium, axe (WCAG 2.2 AA). A box with two services and two
counters with staff names (Ana at counter 1 on both, Ben at counter 2 on Payments) serves, completes,
marks no-shows and transfers through the real API. The host opens counter 3 on /host, unfolds
"Today's figures" and reads per service and per counter and staff name the numbers that GET
/api/stats gives for the same day; "Download CSV" saves (Playwright's download event) a file whose
rows are GET /api/stats?format=csv's. The panel is axe-clean at 1280×800 and 360×800, sits below the
waiting list and "Call next", is reached by Tab, and at 200 % text nothing scrolls sideways or
is cut off. A service's own page (/host/{queue_id}) shows that service's counters and staff from
the same answer. Nothing leaves the box.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import requests

from a11y import axe_violations, keyboard_problems, overflow_problems, text_at_200_percent

from helpers import ServerProcess, admin, keep_local

TABLET = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 800}


@pytest.fixture
def day(tmp_path):
    """A box with a day's work on it: {proc, token, services, counters, staff}."""
    proc = ServerProcess(tmp_path / "served").start()
    try:
        services = {}
        for name, prefix in (("Passports", "P"), ("Payments", "B")):
            made = requests.post(f"{proc.url}/api/queues", json={"name": name, "prefix": prefix},
                                 headers=admin(), timeout=5)
            assert made.status_code == 201, made.text
            services[name] = made.json()["id"]
        passports, payments = services["Passports"], services["Payments"]
        made = requests.post(f"{proc.url}/api/host-tokens", headers=admin(), timeout=5,
                             json={"name": "Desk tablet", "role": "staff", "scope": "box"})
        assert made.status_code == 201, made.text
        token = made.json()["token"]
        staff = {"Authorization": f"Bearer {token}"}

        def post(path: str, body: dict | None = None) -> dict:
            answer = requests.post(f"{proc.url}{path}", json=body or {}, headers=staff, timeout=5)
            assert answer.status_code in (200, 201), (path, answer.text)
            return answer.json()

        counters = {}
        for name, serves in (("1", [passports, payments]), ("2", [payments]), ("3", [passports])):
            made = requests.post(f"{proc.url}/api/counters", headers=admin(), timeout=5,
                                 json={"name": name, "services": [{"queue_id": q} for q in serves]})
            assert made.status_code == 201, made.text
            counters[name] = made.json()["id"]
        post(f"/api/counters/{counters['1']}/open",
             {"services": [{"queue_id": passports}, {"queue_id": payments}], "staff": "Ana"})
        post(f"/api/counters/{counters['2']}/open", {"services": [{"queue_id": payments}], "staff": "Ben"})

        # P001-P004 and B001-B004 (B002 with priority); P004 goes to Payments while waiting.
        joined = {}
        for queue_id in (passports, payments):
            for i in range(4):
                priority = (queue_id, i) == (payments, 1)
                ticket = post(f"/api/queues/{queue_id}/tickets", {"priority": True} if priority else {})
                joined[ticket["display_number"]] = ticket["id"]
        post(f"/api/tickets/{joined['P004']}/transfer", {"queue_id": payments, "placement": "end"})

        def call(counter: str) -> str:
            return post(f"/api/counters/{counters[counter]}/call-next")["id"]

        # Ana: served, a no-show, served; Ben: served twice, a no-show.
        work = (("1", ["complete", "no-show", "complete"]), ("2", ["complete", "complete", "no-show"]))
        for counter, moves in work:
            for move in moves:
                ticket_id = call(counter)
                if move == "complete":  # a no-show is a guest called who never came to be served
                    post(f"/api/tickets/{ticket_id}/serve")
                post(f"/api/tickets/{ticket_id}/{move}")
        yield {"proc": proc, "token": token, "staff": staff, "services": services, "counters": counters}
    finally:
        proc.stop()
    assert "Traceback" not in proc.log.read_text()


def no_violations(page, state: str) -> None:
    found = axe_violations(page)
    assert found == [], f"{state}: {found}"


def figures_of(items) -> dict[str, dict[str, str]]:
    """{card name: {figure: text}} of the cards `items` (a locator of <li>s)."""
    return {li["name"]: li["figures"] for li in items.evaluate_all(
        "lis => lis.map(li => ({name: li.dataset.name, figures: Object.fromEntries("
        "[...li.querySelectorAll('dd')].map(dd => [dd.dataset.figure, dd.textContent]))}))")}


def local_context(browser, viewport):
    context = browser.new_context(viewport=viewport, locale="en-US", accept_downloads=True)
    return context, keep_local(context)


def test_the_desk_shows_the_days_figures_of_get_api_stats_and_downloads_its_csv(day, browser, tmp_path):
    from playwright.sync_api import expect

    proc, staff = day["proc"], day["staff"]
    stats = requests.get(f"{proc.url}/api/stats", headers=staff, timeout=5)
    assert stats.status_code == 200, stats.text
    answer = stats.json()
    rows, services = answer["rows"], {s["service"]: s for s in answer["services"]}
    # The day as the API has it (what the page must show): served per service and per staff name.
    assert sorted(services) == ["Passports", "Payments"]
    assert sum(s["served"] for s in services.values()) == 4
    assert sum(s["no_shows"] for s in services.values()) == 2
    per_staff = {}
    for row in rows:
        if row["staff"]:
            mine = per_staff.setdefault(row["staff"], {"served": 0, "no_shows": 0})
            mine["served"] += row["served"]
            mine["no_shows"] += row["no_shows"]
    assert per_staff == {"Ana": {"served": 2, "no_shows": 1}, "Ben": {"served": 2, "no_shows": 1}}
    assert services["Payments"]["transfers_in"] == 1 and services["Passports"]["transfers_out"] == 1

    context, strays = local_context(browser, TABLET)
    try:
        page = context.new_page()
        page.goto(f"{proc.url}/host#token={day['token']}")
        expect(page.get_by_role("heading", name="Open your counter")).to_be_visible(timeout=10_000)
        page.get_by_role("radio", name="Counter 3").check()
        page.get_by_role("button", name="Open counter 3").click()
        expect(page.get_by_test_id("desk-services")).to_have_text("Calls from: Passports")

        toggle = page.get_by_role("button", name="Today's figures")
        expect(toggle).to_have_attribute("aria-expanded", "false")
        # Folded below the waiting list; reached by the keyboard.
        waiting = page.get_by_role("region", name="Waiting, in call order")
        for viewport in (TABLET, PHONE):
            page.set_viewport_size(viewport)
            call_next = page.locator("button[aria-keyshortcuts='N']").bounding_box()
            figures_box = page.get_by_test_id("day-figures").bounding_box()
            assert figures_box["y"] > waiting.bounding_box()["y"], viewport
            assert figures_box["y"] > call_next["y"], viewport
        page.set_viewport_size(TABLET)
        toggle.focus()
        page.keyboard.press("Enter")
        expect(toggle).to_have_attribute("aria-expanded", "true")

        shown_services = page.get_by_test_id("figures-service")
        expect(shown_services).to_have_count(2)
        on_screen = figures_of(shown_services)
        for name, service in services.items():
            assert on_screen[name]["served"] == str(service["served"]), name
            assert on_screen[name]["priority-served"] == str(service["priority_served"]), name
            assert on_screen[name]["no-shows"] == str(service["no_shows"]), name
            assert on_screen[name]["transfers-out"] == str(service["transfers_out"]), name
            assert on_screen[name]["transfers-in"] == str(service["transfers_in"]), name
            assert on_screen[name]["avg-wait"] != "–" and on_screen[name]["avg-service"] != "–", name
        shown_counters = figures_of(page.get_by_test_id("figures-counter"))
        assert sorted(shown_counters) == ["Counter 1 · Ana", "Counter 2 · Ben"]
        for name, counter in (("Ana", "1"), ("Ben", "2")):
            card = shown_counters[f"Counter {counter} · {name}"]
            assert (card["served"], card["no-shows"]) == (str(per_staff[name]["served"]),
                                                          str(per_staff[name]["no_shows"])), name
        no_violations(page, "the figures open at 1280x800")

        # Download CSV: the token goes in the header (a fetch), the file is the API's CSV.
        with page.expect_download() as saving:
            page.get_by_role("button", name="Download CSV").click()
        download = saving.value
        assert download.suggested_filename == f"qode-stats-{answer['day']}.csv"
        saved = Path(tmp_path / "saved.csv")
        download.save_as(saved)
        expected = requests.get(f"{proc.url}/api/stats?format=csv", headers=staff, timeout=5)
        assert expected.status_code == 200
        got_rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8"))))
        assert got_rows == list(csv.reader(io.StringIO(expected.text)))
        assert len(got_rows) == 1 + len(rows)

        page.set_viewport_size(PHONE)
        expect(page.get_by_test_id("figures-service")).to_have_count(2)
        no_violations(page, "the figures open at 360x800")
        assert keyboard_problems(page) == []  # the toggle, every card's page and Download CSV by Tab
        with text_at_200_percent(page):
            assert overflow_problems(page) == []
    finally:
        context.close()
    assert strays == []


def test_a_services_page_shows_its_counters_and_staff_from_get_api_stats(day, browser):
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect

    proc, staff = day["proc"], day["staff"]
    payments = day["services"]["Payments"]
    rows = [r for r in requests.get(f"{proc.url}/api/stats", headers=staff, timeout=5).json()["rows"]
            if r["queue_id"] == payments and r["staff"]]
    expected = {}
    for row in rows:
        expected[row["staff"]] = expected.get(row["staff"], 0) + row["served"]
    assert expected["Ben"] == 2  # Ben works only Payments: both his guests served

    context, strays = local_context(browser, PHONE)
    try:
        page = context.new_page()
        page.goto(f"{proc.url}/host/{payments}#token={day['token']}")
        # The guard holds: a page that would load from elsewhere is refused here, and listed.
        elsewhere = context.new_page()
        with pytest.raises(PlaywrightError):
            elsewhere.goto("https://example.com/x")
        elsewhere.close()
        assert strays == ["https://example.com/x"]
        strays.clear()
        section = page.get_by_role("region", name="By counter and staff")
        expect(section).to_be_visible(timeout=10_000)
        shown = figures_of(section.get_by_test_id("figures-counter"))
        counter_of = {"Ana": "1", "Ben": "2"}
        assert {name: card["served"] for name, card in shown.items()} == {
            f"Counter {counter_of[name]} · {name}": str(served) for name, served in expected.items()}
        expect(section.get_by_role("button", name="Download CSV")).to_be_visible()
        no_violations(page, "a service's page at 360x800")
        with text_at_200_percent(page):
            assert overflow_problems(page) == []
    finally:
        context.close()
    assert strays == []
