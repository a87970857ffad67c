"""The issue-15 pages at the screen sizes venues use, in real headless Chromium (Debian's) against a
real `qode serve` with a realistic town hall: four services with 3- and 4-character prefixes
(PASS, REG, STAA, PAY), long names ("Registration and certificates", and in German the one word
"Staatsangehörigkeitsangelegenheiten"), counters with staff names, priority tickets.

- The several-services TV (/display?services=all) at 1920×1080, 1366×768, 1080×1920 and 768×1366
  with 1, 4 and 8 current calls, in English and German: every call's number, counter and service
  inside the viewport and its tile, nothing clipped, no word broken over two lines, the number at
  least NUMBER_VMIN % of the screen's shorter side (tests/test_display_e2e.py's LAYOUT on top).
- The host desk (/host) at 360×800, 800×1280 and 1280×800: the counter picker, the desk with its
  priority rows and the Transfer form: no sideways scroll, nothing clipped, "Call next" above the
  list at 360 px, and the same at 200 % text at 360 and 800 px.
- Setup's Counters, Staff links and Service screens at 800×1280 and 360×800, their forms open.
- /join and the touch kiosk of several services at 360×800, 1024×768, 1280×800 and 1080×1920:
  every service button reachable and whole; the kiosk's issued number in view without scrolling.

axe (WCAG 2.2 AA) finds nothing in each state. Screenshots go to test-artifacts/screenshots.
"""

from __future__ import annotations

import re

import pytest
import requests

from a11y import axe_violations, overflow_problems, text_at_200_percent
from test_display_e2e import LAYOUT, TILES, shots

from helpers import ADMIN_TOKEN, ServerProcess, admin, keep_local

pytestmark = [pytest.mark.server, pytest.mark.slow]

# (name, prefix): the longest names a town hall gives its services, in both languages.
SERVICES = [("Passports", "PASS"), ("Registration and certificates", "REG"),
            ("Staatsangehörigkeitsangelegenheiten", "STAA"), ("Payments", "PAY")]
# Eight counters, two per service, with the widest names ("12").
COUNTERS = [("1", 0, "Ana"), ("2", 1, "Bernd"), ("3", 2, "Chloé"), ("4", 3, "Dmytro"),
            ("5", 0, "Emine"), ("6", 1, "Franziska Müller-Lüdenscheidt"), ("7", 2, "Gosia"), ("12", 3, "Hamid")]

TV_SIZES = {"1920x1080": (1920, 1080), "1366x768": (1366, 768), "1080x1920": (1080, 1920),
            "768x1366": (768, 1366)}
# The called number, at least this % of the screen's shorter side: on a 55" TV (68 cm high at
# 1080 px) 8 % is 5.4 cm of type, capitals about 4 cm, which reads from 12 m by the usual
# rule of 1 cm per 3 m; 8 tiles at 1366×768 must still give it.
NUMBER_VMIN = 8.0
# The counter and service line: at least 3 % of the shorter side (the header's own labels are 3.5).
LABEL_VMIN = 3.0


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def make_town_hall(url: str) -> dict:
    """The four services, their eight counters (closed), and a box-wide staff token."""
    services = []
    for name, prefix in SERVICES:
        made = requests.post(f"{url}/api/queues", json={"name": name, "prefix": prefix}, headers=admin(),
                             timeout=5)
        assert made.status_code == 201, made.text
        services.append(made.json())
    counters = []
    for name, index, staff in COUNTERS:
        body = {"name": name, "services": [{"queue_id": services[index]["id"]}]}
        made = requests.post(f"{url}/api/counters", json=body, headers=admin(), timeout=5)
        assert made.status_code == 201, made.text
        counters.append({**made.json(), "staff": staff, "service": services[index]})
    token = requests.post(f"{url}/api/host-tokens", json={"name": "Desk", "role": "staff", "scope": "box"},
                          headers=admin(), timeout=5)
    assert token.status_code == 201, token.text
    return {"url": url, "services": services, "counters": counters, "staff": token.json()["token"]}


def join(hall: dict, service: dict, count: int, priority_every: int = 0) -> list[dict]:
    """`count` guests join `service` at the desk; every `priority_every`-th with priority."""
    out = []
    for i in range(count):
        priority = bool(priority_every) and i % priority_every == priority_every - 1
        answer = requests.post(f"{hall['url']}/api/queues/{service['id']}/tickets", json={"priority": priority},
                               headers=bearer(hall["staff"]), timeout=5)
        assert answer.status_code == 201, answer.text
        out.append(answer.json())
    return out


def waiting_in(hall: dict, *services: dict) -> int:
    """How many wait now in `services` (other tests on this module's box may have added guests)."""
    listed = requests.get(f"{hall['url']}/api/services", timeout=5).json()["services"]
    wanted = {s["id"] for s in services}
    return sum(s["waiting_count"] for s in listed if s["id"] in wanted)


def open_and_call(hall: dict, counter: dict) -> dict:
    """The counter's host opens it with their name and calls the next guest."""
    base = f"{hall['url']}/api/counters/{counter['id']}"
    opened = requests.post(f"{base}/open", json={"staff": counter["staff"]}, headers=bearer(hall["staff"]),
                           timeout=5)
    assert opened.status_code == 200, opened.text
    called = requests.post(f"{base}/call-next", json={}, headers=bearer(hall["staff"]), timeout=5)
    assert called.status_code == 200, called.text
    return called.json()


@pytest.fixture
def contexts(browser):
    """New pages in their own context at a viewport and language, closed after each test (a TV
    page left open keeps its sockets and reconnects to a stopped box); nothing may leave the box."""
    made = []

    def make(width: int, height: int, locale: str = "en-US"):
        context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
        made.append((context, keep_local(context)))
        return context.new_page()

    yield make
    strays = [url for context, refused in made for url in refused]
    for context, _ in made:
        context.close()
    assert strays == [], f"a page asked for something off the box: {strays}"


# --- the TV of several services ------------------------------------------------------------------

@pytest.fixture(scope="module", params=[1, 4, 8], ids=["1-call", "4-calls", "8-calls"])
def tv_hall(request, tmp_path_factory):
    """A town hall whose first `count` counters (of the eight) have each called a guest."""
    count = request.param
    proc = ServerProcess(tmp_path_factory.mktemp(f"tv{count}") / "served").start()
    hall = make_town_hall(proc.url)
    for service in hall["services"]:
        join(hall, service, 4, priority_every=3)
    hall["calls"] = [open_and_call(hall, counter) for counter in hall["counters"][:count]]
    hall["count"] = count
    yield hall
    proc.stop()
    assert "Traceback" not in proc.log.read_text()


# Per tile, beyond LAYOUT: every word of every text on one line (a word broken over lines, down
# to a letter a line, has more than one box), every text inside its tile, and the sizes in vmin.
TV_WORDS = """
() => {
  const problems = [];
  const vmin = Math.min(innerWidth, innerHeight) / 100;
  const sizes = [];
  for (const tile of document.querySelectorAll('li.tv-tile')) {
    const box = tile.getBoundingClientRect();
    const walker = document.createTreeWalker(tile, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('.sr-only')) continue;
      const text = node.textContent;
      for (const match of text.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const rects = [...range.getClientRects()].filter((r) => r.width > 0);
        if (rects.length > 1) problems.push(`"${match[0]}" broken over ${rects.length} lines`);
        for (const r of rects)
          if (r.left < box.left - 0.5 || r.right > box.right + 0.5
              || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)
            problems.push(`"${match[0]}" outside its tile`);
      }
      const el = node.parentElement;
      const style = getComputedStyle(el);
      if (style.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1)
        problems.push(`"${text}" clipped sideways`);
      if (style.overflowY !== 'visible' && el.scrollHeight > el.clientHeight + 1)
        problems.push(`"${text}" clipped below`);
    }
    for (const el of tile.querySelectorAll('.tv-service')) {
      const r = el.getBoundingClientRect();
      if (!(r.height < parseFloat(getComputedStyle(el).lineHeight) * 1.5))
        problems.push(`"${el.textContent}" wraps`);
    }
    const number = tile.querySelector('.tv-number');
    const label = tile.querySelector('.tv-counter');
    sizes.push({
      number: parseFloat(getComputedStyle(number).fontSize) / vmin,
      labels: [...tile.querySelectorAll('.tv-counter, .tv-service')].map(
        (el) => parseFloat(getComputedStyle(el).fontSize) / vmin),
      text: label.textContent,
    });
  }
  return { problems, sizes };
}
"""


@pytest.mark.parametrize("size", list(TV_SIZES))
def test_every_call_of_several_services_fits_and_reads_across_the_room(tv_hall, contexts, size):
    width, height = TV_SIZES[size]
    count = tv_hall["count"]
    called = sorted(call["display_number"] for call in tv_hall["calls"])
    failures: list[str] = []
    for locale, counter_word in (("en-US", "Counter"), ("de-DE", "Schalter")):
        page = contexts(width, height, locale)
        page.goto(f"{tv_hall['url']}/display?services=all")
        page.wait_for_function("(n) => document.querySelectorAll('li.tv-tile').length === n", arg=count,
                               timeout=15_000)
        page.wait_for_function("() => document.fonts.status === 'loaded'")
        tiles = page.evaluate(TILES)
        assert sorted(t["number"] for t in tiles) == called
        for tile in tiles:  # "PASS001 → Counter 5 · Passports": the counter and its service
            counter = next(c for c in tv_hall["counters"] if c["name"] == tile["counter"])
            assert counter_word in tile["label"] and counter["service"]["name"] in page.locator(
                f"li.tv-tile[data-counter='{tile['counter']}']").text_content()
        where = f"{size}, {count} calls, {locale}"
        page.screenshot(path=str(shots() / f"services-tv-{count}-calls-{size}-{locale[:2]}.png"))
        found = page.evaluate(TV_WORDS)
        print(where, "number, labels in vmin:",
              [(round(s["number"], 1), [round(x, 1) for x in s["labels"]]) for s in found["sizes"]])
        failures += [f"{where}: {p}" for p in page.evaluate(LAYOUT) + found["problems"]]
        failures += [f"{where}: {tile['text']!r} number {tile['number']:.1f} vmin" for tile in found["sizes"]
                     if tile["number"] < NUMBER_VMIN]
        failures += [f"{where}: {tile['text']!r} label {min(tile['labels']):.1f} vmin"
                     for tile in found["sizes"] if min(tile["labels"]) < LABEL_VMIN]
        failures += problems_here(page, where)  # the header's names too: wrapped, not cut off
    assert failures == [], "\n".join(failures)


# --- the host desk, setup, /join and the kiosk: one town hall ------------------------------------

@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    """The town hall before opening: five guests waiting per service, every third with priority,
    and a touch kiosk at the door covering all four services."""
    proc = ServerProcess(tmp_path_factory.mktemp("hall") / "served").start()
    hall = make_town_hall(proc.url)
    for service in hall["services"]:
        join(hall, service, 5, priority_every=3)
    kiosk = requests.post(f"{proc.url}/api/queues/{hall['services'][0]['id']}/devices",
                          json={"name": "Door", "kind": "kiosk",
                                "services": [s["id"] for s in hall["services"]]},
                          headers=admin(), timeout=5)
    assert kiosk.status_code == 201, kiosk.text
    hall["kiosk"] = kiosk.json()["token"]
    yield hall
    proc.stop()
    assert "Traceback" not in proc.log.read_text()


# Words broken over two lines inside the elements `selector` finds ("Staatsangehörigkeitsangeleg" /
# "enheiten"): each word's boxes must share one line. Screen-reader-only text aside.
BROKEN_WORDS = """(selector) => {
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('.sr-only')) continue;
      for (const match of node.textContent.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const boxes = [...range.getClientRects()].filter((r) => r.width > 0);
        const lines = new Set(boxes.map((r) => Math.round(r.top)));
        if (lines.size > 1) {
          const box = node.parentElement, style = getComputedStyle(box);
          let room = null;
          for (let up = box.parentElement; up && room === null; up = up.parentElement) {
            if (getComputedStyle(up).containerType !== 'normal') room = up.clientWidth;
          }
          const tag = `<${box.tagName.toLowerCase()} class="${box.className}">`;
          out.push(`"${match[0]}" broken over ${lines.size} lines (${tag}`
                   + ` font ${style.fontSize} ${style.fontWeight}, in a ${room} px container)`);
        }
      }
    }
  }
  return out;
}"""


def broken_words(page, selector: str, where: str) -> list[str]:
    return [f"{where}: {p}" for p in page.evaluate(BROKEN_WORDS, selector)]


def whole_and_in_view(page, locator, what: str) -> list[str]:
    """`locator` scrolled to (as a finger or Tab would), then wholly inside the window."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    view = page.viewport_size
    if box is None:
        return [f"{what}: not shown"]
    if box["x"] < -0.5 or box["y"] < -0.5 or box["x"] + box["width"] > view["width"] + 0.5 \
            or box["y"] + box["height"] > view["height"] + 0.5:
        return [f"{what}: {round(box['x'])},{round(box['y'])} {round(box['width'])}x{round(box['height'])} "
                f"outside {view['width']}x{view['height']}"]
    return []


def problems_here(page, where: str, axe: bool = True) -> list[str]:
    found = [f"{where}: {p}" for p in overflow_problems(page)]
    if axe:
        found += [f"{where}: axe {v}" for v in axe_violations(page)]
    return found


HOST_SIZES = {"360x800": (360, 800, "6"), "800x1280": (800, 1280, "2"), "1280x800": (1280, 800, "7")}


@pytest.mark.parametrize("size", list(HOST_SIZES))
def test_the_host_desk_fits_a_phone_a_tablet_and_a_laptop(hall, contexts, size):
    from playwright.sync_api import expect

    width, height, name = HOST_SIZES[size]
    counter = next(c for c in hall["counters"] if c["name"] == name)
    other = next(s for s in hall["services"] if s["id"] != counter["service"]["id"] and s["prefix"] == "STAA") \
        if counter["service"]["prefix"] != "STAA" else hall["services"][1]
    page = contexts(width, height)
    page.goto(f"{hall['url']}/host#token={hall['staff']}")
    failures: list[str] = []

    # The picker: eight counters, four services with long names, a name field.
    expect(page.get_by_role("heading", name="Open your counter")).to_be_visible(timeout=15_000)
    page.get_by_role("radio", name=f"Counter {name}").check()
    page.get_by_role("checkbox", name=f"{other['name']} ({other['prefix']})").check()
    page.get_by_label("Your name (optional)").fill(counter["staff"])
    page.screenshot(path=str(shots() / f"services-host-picker-{size}.png"), full_page=True)
    failures += problems_here(page, "picker") + broken_words(page, "form label", "picker")
    # Counters in the order people count: 1, 2, … 12.
    radios = page.get_by_role("radio").evaluate_all(
        "rs => rs.map(r => r.closest('label').innerText.split('\\n')[0])")
    if radios != [f"Counter {c}" for c, _, _ in COUNTERS]:
        failures.append(f"counters in the order {radios}")
    if width < 1280:  # the phone, and the tablet held upright (two columns there at 100 % text)
        with text_at_200_percent(page):
            page.screenshot(path=str(shots() / f"services-host-picker-{size}-text200.png"), full_page=True)
            failures += problems_here(page, "picker at 200 % text", axe=False)
    page.get_by_role("button", name=f"Open counter {name}").click()

    # The desk: the waiting guests of two services (ten, or more if the kiosk's test ran first), priority first.
    rows = page.get_by_role("region", name="Waiting, in call order").get_by_role("listitem")
    expect(rows).to_have_count(waiting_in(hall, counter["service"], other), timeout=15_000)
    expect(page.get_by_test_id("priority-mark").first).to_be_visible()
    call = page.locator("button[aria-keyshortcuts='N']")
    page.evaluate("() => window.scrollTo(0, 0)")
    failures += whole_and_in_view(page, call, "Call next, without scrolling")
    call_box = call.bounding_box()
    for i in range(rows.count()):
        row = rows.nth(i).bounding_box()
        bottom, right = call_box["y"] + call_box["height"], call_box["x"] + call_box["width"]
        overlap = min(bottom, row["y"] + row["height"]) - max(call_box["y"], row["y"])
        side = min(right, row["x"] + row["width"]) - max(call_box["x"], row["x"])
        if overlap > 0 and side > 0:
            failures.append(f"Call next covers waiting row {i}")
        if width < 768 and row["y"] < call_box["y"] + call_box["height"]:
            failures.append(f"waiting row {i} above Call next: the host scrolls past the list to call")
    page.screenshot(path=str(shots() / f"services-host-desk-{size}.png"), full_page=True)
    failures += problems_here(page, "desk") + broken_words(page, "[data-testid^=desk-waiting-]", "desk")
    if width < 1280:  # the phone, and the tablet held upright (two columns there at 100 % text)
        with text_at_200_percent(page):
            page.screenshot(path=str(shots() / f"services-host-desk-{size}-text200.png"), full_page=True)
            failures += problems_here(page, "desk at 200 % text", axe=False)
            failures += whole_and_in_view(page, call, "Call next at 200 % text")

    # The Transfer form of a priority row of the long-named service.
    first = rows.first.get_attribute("data-testid").removeprefix("desk-waiting-")
    page.get_by_role("button", name=f"Transfer: {first}").click()
    form = page.get_by_role("form", name=f"Send {first} to another service")
    expect(form).to_be_visible()
    failures += whole_and_in_view(page, form.get_by_role("button", name=re.compile("^Send to")), "Send to")
    page.screenshot(path=str(shots() / f"services-host-transfer-{size}.png"), full_page=True)
    failures += problems_here(page, "transfer form")
    if width < 1280:  # the phone, and the tablet held upright (two columns there at 100 % text)
        with text_at_200_percent(page):
            page.screenshot(path=str(shots() / f"services-host-transfer-{size}-text200.png"), full_page=True)
            failures += problems_here(page, "transfer form at 200 % text", axe=False)
    form.get_by_role("button", name="Not now").click()

    page.get_by_role("button", name=f"Close counter {name}").click()
    expect(page.get_by_role("heading", name="Open your counter")).to_be_visible()
    assert failures == [], "\n".join(failures)


SETUP_SIZES = {"800x1280": (800, 1280), "360x800": (360, 800)}


@pytest.mark.parametrize("size", list(SETUP_SIZES))
def test_setup_services_sections_fit_a_tablet_and_a_phone(hall, contexts, size):
    from playwright.sync_api import expect

    width, height = SETUP_SIZES[size]
    page = contexts(width, height)
    page.goto(f"{hall['url']}/setup#token={ADMIN_TOKEN}")
    counters = page.get_by_role("region", name="Counters")
    expect(counters.get_by_text("Staatsangehörigkeitsangelegenheiten").first).to_be_visible(timeout=15_000)
    failures = problems_here(page, "setup, folded")
    # Every form of the three sections open: a new counter, counter 12's edit, a staff link, screens.
    counters.get_by_role("button", name="Add counter").click()
    counters.get_by_role("button", name="Edit 12").click()
    staff = page.get_by_role("region", name="Staff links")
    staff.locator("summary", has_text="Make staff link").click()
    screens = page.get_by_role("region", name="Screens for several services")
    for summary in screens.locator("summary").all():
        summary.click()
    for region, what in ((counters, "Counters"), (staff, "Staff links"), (screens, "Screens")):
        for control in region.locator("input:visible, button:visible, select:visible").all():
            html = control.evaluate("e => e.outerHTML.slice(0, 80)")
            failures += whole_and_in_view(page, control, f"{what}: {html}")
    page.screenshot(path=str(shots() / f"services-setup-{size}.png"), full_page=True)
    failures += problems_here(page, "setup, forms open")
    # Buttons and the forms' labels keep their words whole ("Save counte" / "r" before).
    for region, what in ((counters, "Counters"), (staff, "Staff links"), (screens, "Screens")):
        for selector in ("button", "form label"):
            section = f"[aria-labelledby={region.get_attribute('aria-labelledby')}]"
            failures += broken_words(page, f"{section} {selector}", what)
    if width < 640:  # and at 200 % text on the phone: a checkbox's words go below its box, whole
        with text_at_200_percent(page):  # (inside the nested cards they broke every few letters)
            for region, what in ((counters, "Counters"), (staff, "Staff links"), (screens, "Screens")):
                section = f"[aria-labelledby={region.get_attribute('aria-labelledby')}]"
                failures += [p for p in broken_words(page, f"{section} form label", f"{what} at 200% text")
                             # a 35-letter name is fitted (FitWords) down to its floor, then broken
                             if "fit-words" not in p]
    listed = counters.locator("li > p:first-child").all_inner_texts()
    if [text.split(" · ")[0] for text in listed] != [c for c, _, _ in COUNTERS]:
        failures.append(f"Counters in the order {listed}")
    assert failures == [], "\n".join(failures)


GUEST_SIZES = {"360x800": (360, 800), "1024x768": (1024, 768), "1280x800": (1280, 800),
               "1080x1920": (1080, 1920)}


@pytest.mark.parametrize("size", list(GUEST_SIZES))
def test_join_offers_every_service_whole(hall, contexts, size):
    width, height = GUEST_SIZES[size]
    page = contexts(width, height)
    page.goto(f"{hall['url']}/join")
    page.get_by_role("heading", name="Choose a service").wait_for(timeout=15_000)
    failures = problems_here(page, "join") + broken_words(page, "[id^=service-]", "join")
    for service in hall["services"]:
        failures += whole_and_in_view(page, page.get_by_role("button", name=re.compile("^" + service["name"])),
                                      service["name"])
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(shots() / f"services-join-{size}.png"), full_page=True)
    # A guest joins the long-named service: their number in view on the ticket page at once.
    page.get_by_role("button", name=re.compile("^Staatsangehörigkeitsangelegenheiten")).click()
    page.wait_for_url(re.compile(r"/t/[0-9a-f-]+$"), timeout=15_000)
    number = page.get_by_text(re.compile(r"^STAA\d{3}$")).first
    number.wait_for(timeout=15_000)
    box = number.bounding_box()
    if page.evaluate("() => scrollY") != 0 or box["y"] + box["height"] > height:
        failures.append(f"ticket number off screen: {box}, scrolled {page.evaluate('() => scrollY')}")
    page.screenshot(path=str(shots() / f"services-join-ticket-{size}.png"))
    failures += problems_here(page, "ticket page")
    assert failures == [], "\n".join(failures)


KIOSK_SIZES = {**GUEST_SIZES, "800x1280": (800, 1280)}
# On a kiosk's own screen (not a phone) a guest sees every button at once: nothing says "scroll".
ALL_BUTTONS_IN_VIEW = """() => [...document.querySelectorAll('button')]
  .filter((b) => b.checkVisibility())
  .map((b) => [b.innerText.replace(/\\s+/g, ' ').slice(0, 30), b.getBoundingClientRect()])
  .filter(([, r]) => r.top < 0 || r.bottom > innerHeight || r.left < 0 || r.right > innerWidth)
  .map(([name, r]) => `"${name}" at ${Math.round(r.top)}-${Math.round(r.bottom)} of ${innerHeight}`)"""


@pytest.mark.parametrize("size", list(KIOSK_SIZES))
def test_the_kiosk_of_several_services_offers_all_and_shows_the_number_in_view(hall, contexts, size):
    width, height = KIOSK_SIZES[size]
    page = contexts(width, height)
    page.goto(f"{hall['url']}/kiosk#token={hall['kiosk']}")
    page.get_by_role("heading", name="Choose a service").wait_for(timeout=15_000)
    page.wait_for_function("() => document.fonts.status === 'loaded'")
    page.screenshot(path=str(shots() / f"services-kiosk-{size}.png"), full_page=True)
    failures = problems_here(page, "kiosk") + broken_words(page, "[id^=service-]", "kiosk")
    if width >= 640:  # four services, their priority buttons and the languages: no scrolling
        failures += [f"kiosk: {b} (scroll to reach)" for b in page.evaluate(ALL_BUTTONS_IN_VIEW)]
    for service in hall["services"]:
        failures += whole_and_in_view(page, page.get_by_role("button", name=re.compile("^" + service["name"])),
                                      service["name"])
        failures += whole_and_in_view(page, page.locator("li").filter(
            has=page.locator(f"[id='service-{service['id']}']")).get_by_role(
            "button", name="Priority: elderly, disabled, pregnant"), f"{service['name']} priority")
    # A priority ticket of the long-named service: the number in view, nothing scrolled.
    page.locator("li").filter(has=page.locator(f"[id='service-{hall['services'][2]['id']}']")).get_by_role(
        "button", name="Priority: elderly, disabled, pregnant").click()
    number = page.get_by_test_id("kiosk-number")
    number.wait_for(timeout=15_000)
    page.wait_for_function("() => document.fonts.status === 'loaded'")
    page.wait_for_function("() => { const qr = document.querySelector('[data-testid=kiosk-qr]');"
                           " return qr && qr.complete && qr.naturalWidth > 0 }", timeout=15_000)
    page.screenshot(path=str(shots() / f"services-kiosk-issued-{size}.png"))
    box = number.bounding_box()
    scrolled = page.evaluate("() => [scrollX, scrollY, document.documentElement.scrollHeight, innerHeight]")
    if box["y"] < 0 or box["y"] + box["height"] > height or box["x"] < 0 or box["x"] + box["width"] > width:
        failures.append(f"issued number outside the screen: {box}")
    if scrolled[:2] != [0, 0] or scrolled[2] > scrolled[3]:
        failures.append(f"issued screen scrolls: {scrolled}")
    failures += whole_and_in_view(page, page.get_by_test_id("kiosk-service"), "issued service")
    failures += broken_words(page, "[data-testid=kiosk-service]", "kiosk issued")
    failures += problems_here(page, "kiosk issued")
    page.get_by_role("button", name=re.compile("^Done")).click()
    page.get_by_role("heading", name="Choose a service").wait_for(timeout=15_000)
    assert failures == [], "\n".join(failures)


def test_the_host_desk_in_german_on_a_phone(hall, contexts):
    """German's longer words ("Ihren Schalter öffnen", "Weiterleiten") at 360 px, text 100 and 200 %."""
    from playwright.sync_api import expect

    counter = next(c for c in hall["counters"] if c["name"] == "3")  # Staatsangehörigkeitsangelegenheiten
    page = contexts(360, 800, "de-DE")
    page.goto(f"{hall['url']}/host#token={hall['staff']}")
    expect(page.get_by_role("heading", name="Ihren Schalter öffnen")).to_be_visible(timeout=15_000)
    page.get_by_role("radio", name="Schalter 3").check()
    failures = problems_here(page, "Auswahl") + broken_words(page, "form label", "Auswahl")
    page.get_by_role("button", name="Schalter 3 öffnen").click()
    rows = page.get_by_role("listitem").filter(has=page.get_by_role("button", name=re.compile("^Weiterleiten")))
    expect(rows).to_have_count(waiting_in(hall, counter["service"]), timeout=15_000)
    page.evaluate("() => window.scrollTo(0, 0)")
    failures += whole_and_in_view(page, page.locator("button[aria-keyshortcuts='N']"), "Nächste aufrufen")
    failures += problems_here(page, "Schalter") + broken_words(page, "[data-testid^=desk-waiting-]", "Schalter")
    page.screenshot(path=str(shots() / "services-host-desk-360x800-de.png"), full_page=True)
    with text_at_200_percent(page):
        failures += problems_here(page, "Schalter bei 200 % Text", axe=False)
    page.get_by_role("button", name=f"Schalter {counter['name']} schließen").click()
    expect(page.get_by_role("heading", name="Ihren Schalter öffnen")).to_be_visible()
    assert failures == [], "\n".join(failures)
