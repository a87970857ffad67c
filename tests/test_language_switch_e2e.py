"""The guest's language switch in real headless Chromium (Debian's) against a real `qode serve`.

A guest picks a language on their ticket's page: it sticks for that ticket across a reload, and
not for another ticket opened on the same phone. A choice on the join page goes with the ticket
taken there. The switch is labelled, reached by keyboard, fits a 360 px phone and is axe-clean.
"""

from __future__ import annotations

import pytest
import requests

from test_pages_e2e import shot

from helpers import ServerProcess, admin

NARROW = {"width": 360, "height": 740}


@pytest.fixture
def box(tmp_path):
    proc = ServerProcess(tmp_path / "served").start()
    queue = requests.post(f"{proc.url}/api/queues", json={"name": "Front desk", "prefix": "A"}, headers=admin(),
                          timeout=5).json()
    yield proc, queue
    proc.stop()
    assert "Traceback" not in proc.log.read_text()


@pytest.fixture
def phone(browser, box):
    """One phone: a browser context (its own localStorage) whose requests all stay on the box."""
    strays: list[str] = []

    def guard(route):
        if route.request.url.startswith(box[0].url):
            route.continue_()
        else:
            strays.append(route.request.url)
            route.abort()

    context = browser.new_context(viewport=NARROW, locale="en-US")
    context.route("**/*", guard)
    yield context
    context.close()
    assert strays == [], f"pages asked for something off the box: {strays}"


def take_ticket(proc, queue, device: str) -> dict:
    answer = requests.post(f"{proc.url}/api/queues/{queue['id']}/tickets", json={"device_token": device},
                           timeout=5)
    answer.raise_for_status()
    return answer.json()


def no_axe_violations(page, name: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": [
        "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}})
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"
    checked = {rule["id"] for rule in results.response["passes"]}
    assert {"select-name", "html-has-lang", "html-lang-valid"} <= checked, (name, sorted(checked))


def fits_the_phone(page, name: str) -> None:
    """No sideways scrolling, and the whole switch on screen with a touch-sized height."""
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"], name
    box = page.get_by_test_id("language-switch").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= NARROW["width"], (name, box)
    assert box["height"] >= 44, (name, box)


def html_lang(page) -> tuple[str, str]:
    return page.evaluate("[document.documentElement.lang, document.documentElement.dir]")


def test_the_guests_language_sticks_to_their_ticket_and_not_another(box, phone):
    proc, queue = box
    mine = take_ticket(proc, queue, "device-token-lang-mine1")
    other = take_ticket(proc, queue, "device-token-lang-other")
    page = phone.new_page()
    page.goto(f"{proc.url}/t/{mine['id']}")
    page.get_by_role("heading", name="Your ticket").wait_for(timeout=15_000)
    switch = page.get_by_role("combobox", name="Language")
    assert switch.input_value() == "en"
    names = switch.locator("option").all_text_contents()
    assert {"English", "Deutsch", "Français", "Español", "Türkçe"} <= set(names), names
    no_axe_violations(page, "guest, English")

    # By keyboard alone: the first Tab reaches the switch, the arrow keys change the language.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.testid") == "language-switch"
    page.keyboard.press("ArrowDown")  # English → Deutsch, the next in the list
    page.get_by_role("heading", name="Ihr Ticket").wait_for(timeout=15_000)
    assert html_lang(page) == ["de", "ltr"]

    switch = page.get_by_role("combobox", name="Sprache")
    switch.select_option("fr")
    page.get_by_role("heading", name="Votre ticket").wait_for(timeout=15_000)
    page.get_by_text("Personne avant vous", exact=True).wait_for(timeout=15_000)  # the first ticket of the day
    assert html_lang(page) == ["fr", "ltr"]
    fits_the_phone(page, "guest, French")
    no_axe_violations(page, "guest, French")
    shot(page, "guest-language-switch-fr-360")

    page.reload()  # the same ticket: still French, before and after it hears from the box
    page.get_by_role("heading", name="Votre ticket").wait_for(timeout=15_000)
    assert page.get_by_role("combobox", name="Langue").input_value() == "fr"
    assert html_lang(page) == ["fr", "ltr"]
    page.get_by_text(mine["display_number"]).first.wait_for(timeout=15_000)

    page.goto(f"{proc.url}/t/{other['id']}")  # another ticket on the same phone: its own language
    page.get_by_role("heading", name="Your ticket").wait_for(timeout=15_000)
    page.get_by_text(other["display_number"]).first.wait_for(timeout=15_000)
    assert page.get_by_role("combobox", name="Language").input_value() == "en"
    assert html_lang(page) == ["en", "ltr"]

    page.goto(f"{proc.url}/t/{mine['id']}")  # and the first one kept its choice
    page.get_by_role("heading", name="Votre ticket").wait_for(timeout=15_000)


def test_a_choice_on_the_join_page_goes_with_the_ticket_taken_there(box, phone):
    proc, queue = box
    page = phone.new_page()
    page.goto(f"{proc.url}/join/{queue['id']}")
    page.get_by_role("button", name="Take a ticket").wait_for(timeout=15_000)
    page.get_by_text("Nobody is waiting").wait_for(timeout=15_000)  # not "0 people waiting"
    page.get_by_role("combobox", name="Language").select_option("es")
    page.get_by_text("No hay nadie esperando").wait_for(timeout=15_000)
    assert html_lang(page) == ["es", "ltr"]
    fits_the_phone(page, "join, Spanish")
    no_axe_violations(page, "join, Spanish")

    page.reload()  # the join page keeps it until a ticket is taken
    page.get_by_role("button", name="Sacar turno").click()
    page.get_by_role("heading", name="Su turno").wait_for(timeout=15_000)
    page.get_by_text("A001").first.wait_for(timeout=15_000)
    ticket_url = page.url
    assert "/t/" in ticket_url
    page.reload()
    page.get_by_role("heading", name="Su turno").wait_for(timeout=15_000)
    assert page.get_by_role("combobox", name="Idioma").input_value() == "es"
    no_axe_violations(page, "guest, Spanish")

    # Taken: the join page is back in the phone's own language, the ticket keeps Spanish.
    page.goto(f"{proc.url}/join/{queue['id']}")
    page.get_by_role("button", name="Take a ticket").wait_for(timeout=15_000)
    page.goto(ticket_url)
    page.get_by_role("heading", name="Su turno").wait_for(timeout=15_000)
