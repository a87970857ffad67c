"""Every page in every language at 360 px, in real headless Chromium against a real `qode serve`
(issue 14, must-show 6).

The languages are read from frontend/src/lib/strings.js, so a language added there is checked
here without a change. For each language a browser context with that locale opens every page
(guest waiting and called, join, host dashboard, setup, TV display, kiosk, not-found, and the
hub page on a hub) and checks:
  (a) no raw dictionary key shows ("ticket.peopleAhead");
  (b) no text of two or more words is the same as on the same page in English (the names of
      products and the venue's own data aside);
  (c) nothing scrolls sideways at 360 px and no text is cut off by a box that hides overflow;
  (d) right-to-left languages lay out right to left, with ticket numbers still reading A003.
Polish plural forms are checked on the real guest and join pages (1, 2, 5 ahead; 6 waiting).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from a11y import CLIPPED

from helpers import ADMIN_TOKEN as ADMIN
from helpers import ServerProcess, admin

# One worker runs them all under `--dist loadgroup`: one server, one hub, one browser for the module.
pytestmark = [pytest.mark.slow, pytest.mark.server, pytest.mark.xdist_group("languages")]

ROOT = Path(__file__).resolve().parents[1]
STRINGS = ROOT / "frontend" / "src" / "lib"
SHOTS = ROOT / "test-artifacts" / "screenshots"
NARROW = {"width": 360, "height": 740}
RIGHT_TO_LEFT = {"ar", "he", "fa", "ur"}
REGION = {"en": "en-US", "de": "de-DE", "pl": "pl-PL", "uk": "uk-UA", "ar": "ar-EG", "fr": "fr-FR",
          "es": "es-ES", "tr": "tr-TR"}
# Texts of two or more words that rightly read the same in every language: product names.
SAME_EVERYWHERE = {"iPad (iPadOS)", "Chromebook (ChromeOS)", "Caddy Local Authority"}
# …and in one language: Turkish writes "Kiosk" too (strings.languages.test.js allows the same).
SAME_IN = {"tr": {"Kiosk “Door”"}}


def _languages() -> list[str]:
    """The languages of the dictionary, in strings.js's order: `  xx: {` at the top of `base`."""
    source = (STRINGS / "strings.js").read_text()
    table = source[source.index("const base = {"):source.index("\n}\n")]
    return re.findall(r"^  ([a-z]{2,3}): \{$", table, flags=re.M)


def _keys() -> set[str]:
    """Every dictionary key of every page group, with and without its plural suffix."""
    keys = set()
    for path in STRINGS.glob("strings*.js"):
        if ".test." in path.name:
            continue
        for key in re.findall(r"^    '([A-Za-z0-9_.-]+)':", path.read_text(), flags=re.M):
            keys.add(key)
            keys.add(re.sub(r"_(zero|one|two|few|many|other)$", "", key))
    return keys


LANGUAGES = _languages()
KEYS = _keys()
KEYLIKE = re.compile(r"\b[a-z]+(?:\.[A-Za-z_-]+)+\b")
WORD = re.compile(r"[^\W\d_]{2,}")  # a word: two letters or more ("PM" counts, "A003" and "12:05" not)

# Every text node a person (or a screen reader) gets, with its aria-label/alt/placeholder texts.
VISIBLE_TEXTS = """() => {
  const texts = []
  const shown = (el) => el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.replace(/\\s+/g, ' ').trim()
    const el = node.parentElement
    if (!text || !el || el.closest('script, style, noscript, template, option') || !shown(el)) continue
    texts.push(text)
  }
  for (const el of document.querySelectorAll('[aria-label], img[alt], [placeholder]')) {
    if (!shown(el)) continue
    for (const name of ['aria-label', 'alt', 'placeholder']) {
      const text = (el.getAttribute(name) ?? '').replace(/\\s+/g, ' ').trim()
      if (text) texts.push(text)
    }
  }
  return texts
}"""

LAYOUT = """() => {
  const main = document.querySelector('main') ?? document.getElementById('root')?.firstElementChild
  return {
    lang: document.documentElement.lang,
    dir: getComputedStyle(document.documentElement).direction,
    mainDir: main ? getComputedStyle(main).direction : null,
    width: document.scrollingElement.scrollWidth,
  }
}"""

# The box (left, top, bottom) of each character of every element whose own text is exactly `number`.
NUMBER_ORDER = """(number) => {
  const found = []
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join('').trim()
    if (own !== number || !el.checkVisibility()) continue
    const node = [...el.childNodes].find((n) => n.nodeType === 3 && n.textContent.includes(number))
    const start = node.textContent.indexOf(number)
    const xs = []
    for (let i = 0; i < number.length; i++) {
      const range = document.createRange()
      range.setStart(node, start + i)
      range.setEnd(node, start + i + 1)
      const box = range.getBoundingClientRect()
      xs.push([box.left, box.top, box.bottom])
    }
    found.push(xs)
  }
  return found
}"""


@pytest.fixture(scope="module")
def venue(tmp_path_factory):
    """One box with one line: A001 called at counter 1, A002 to A007 waiting; a kiosk; and a hub
    with one registered site. Returns {page name: (url, a language-neutral text to wait for)}."""
    base = tmp_path_factory.mktemp("languages")
    box = ServerProcess(base / "box").start()
    hub_token = "hub-admin-token-0123456789abcdef"
    hub = ServerProcess(base / "hub", env={"QODE_ADMIN_TOKEN": hub_token})
    hub.extra_args = ["--hub"]
    try:
        hub.start()
        queue = requests.post(f"{box.url}/api/queues", json={"name": "Reception", "prefix": "A"},
                              headers=admin(), timeout=5).json()
        host = {"Authorization": f"Bearer {queue['host_token']}"}
        tickets = [requests.post(f"{box.url}/api/queues/{queue['id']}/tickets", timeout=5,
                                 json={"device_token": f"device-token-lang{i:04d}"}).json() for i in range(7)]
        requests.post(f"{box.url}/api/queues/{queue['id']}/call-next", json={"counter": "1"}, headers=host,
                      timeout=5).raise_for_status()
        kiosk = requests.post(f"{box.url}/api/queues/{queue['id']}/devices", headers=host, timeout=5,
                              json={"name": "Door", "kind": "kiosk"}).json()
        requests.post(f"{hub.url}/api/hub/sites", json={"device_id": "townhall", "name": "Townhall"},
                      headers=admin(hub_token), timeout=5).raise_for_status()
        numbers = [ticket["display_number"] for ticket in tickets]
        assert numbers == [f"A00{i}" for i in range(1, 8)], numbers
        # name: (address, what shows once it has loaded, a ticket number it shows)
        pages = {
            "guest-waiting": (f"{box.url}/t/{tickets[2]['id']}", "A003", "A003"),
            "guest-called": (f"{box.url}/t/{tickets[0]['id']}", "[role=alertdialog]", "A001"),  # "Your turn"
            "join": (f"{box.url}/join/{queue['id']}", "A001", "A001"),
            "host": (f"{box.url}/host/{queue['id']}#token={queue['host_token']}", "[data-testid=waiting-A002]",
                     "A001"),
            "setup": (f"{box.url}/setup#token={ADMIN}", "Reception", None),
            "display": (f"{box.url}/display/{queue['id']}", "A001", "A001"),
            "kiosk": (f"{box.url}/kiosk/{queue['id']}#token={kiosk['token']}", "Reception", None),
            "not-found": (f"{box.url}/", "h1:visible", None),  # the app at an address that leads nowhere
            "hub": (f"{hub.url}/hub#token={hub_token}", "Townhall", None),
        }
        yield {"pages": pages, "tickets": tickets, "box": box, "queue": queue}
    finally:
        box.stop()
        hub.stop()
    for proc in (box, hub):
        assert "Traceback" not in proc.log.read_text()


def _context(browser, lang: str):
    context = browser.new_context(viewport=NARROW, locale=REGION.get(lang, lang))

    def guard(route):  # every request stays on this machine
        if route.request.url.startswith("http://127.0.0.1:"):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", guard)
    return context


def _open(page, url: str, ready: str) -> None:
    page.goto(url)
    if ready.startswith("[") or ready.endswith(":visible"):  # a CSS selector
        page.locator(ready).first.wait_for(timeout=10_000)
    else:
        page.get_by_text(ready, exact=True).first.wait_for(timeout=10_000)
    if "#token" in url:
        page.wait_for_function("!location.hash.includes('token')", timeout=10_000)
    page.evaluate("document.fonts.ready")
    page.wait_for_timeout(300)  # let the live connection's first state land (nothing is timed)


def _texts_of_every_page(browser, venue, lang: str, shots: bool = False) -> dict[str, dict]:
    """Each page's visible texts, clipped boxes, layout facts and ticket numbers' glyph order."""
    context = _context(browser, lang)
    seen = {}
    try:
        page = context.new_page()
        for name, (url, ready, number) in venue["pages"].items():
            _open(page, url, ready)
            seen[name] = {
                "texts": page.evaluate(VISIBLE_TEXTS),
                "clipped": page.evaluate(CLIPPED),
                "layout": page.evaluate(LAYOUT),
                "numbers": page.evaluate(NUMBER_ORDER, number) if number else [],
                "number": number,
            }
            if shots:
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SHOTS / f"lang-{lang}-{name}-360.png"), full_page=True)
    finally:
        context.close()
    return seen


def _reads_left_to_right(boxes: list[list[float]]) -> bool:
    """Each character stands right of the one before on its line, or on a line below it."""
    for (left, top, bottom), (next_left, next_top, next_bottom) in zip(boxes, boxes[1:], strict=False):
        middle, next_middle = (top + bottom) / 2, (next_top + next_bottom) / 2
        same_line = abs(next_middle - middle) < (bottom - top) / 2
        if (same_line and next_left <= left) or (not same_line and next_middle <= middle):
            return False
    return True


@pytest.fixture(scope="module")
def english(browser, venue):
    return _texts_of_every_page(browser, venue, "en")


def test_the_dictionary_has_the_issues_languages():
    assert {"en", "de", "pl", "uk", "ar"} <= set(LANGUAGES), LANGUAGES
    assert "ticket.peopleAhead" in KEYS and "host.callNext" in KEYS and "hub.title" in KEYS


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_in_every_language_at_360_px(browser, venue, english, lang):
    seen = english if lang == "en" else _texts_of_every_page(browser, venue, lang, shots=lang in RIGHT_TO_LEFT)
    problems = []
    for name, facts in seen.items():
        layout = facts["layout"]
        if layout["lang"] != lang:
            problems.append(f"{name}: <html lang={layout['lang']!r}>")
        # (a) no raw key
        for text in facts["texts"]:
            raw = [word for word in KEYLIKE.findall(text) if word in KEYS]
            if raw:
                problems.append(f"{name}: raw key {raw} in {text!r}")
        # (b) no English left over
        if lang != "en":
            same = set(english[name]["texts"]) & set(facts["texts"])
            for text in sorted(same):
                if len(WORD.findall(text)) >= 2 and text not in SAME_EVERYWHERE | SAME_IN.get(lang, set()):
                    problems.append(f"{name}: English left over: {text!r}")
        # (c) no overflow
        if layout["width"] > NARROW["width"]:
            problems.append(f"{name}: {layout['width']} px wide at 360")
        problems += [f"{name}: text cut off: {box}" for box in facts["clipped"]]
        # (d) direction, and ticket numbers reading left to right
        wanted = "rtl" if lang in RIGHT_TO_LEFT else "ltr"
        if layout["dir"] != wanted or layout["mainDir"] != wanted:
            problems.append(f"{name}: direction {layout['dir']} (page), {layout['mainDir']} (content), "
                            f"not {wanted}")
        for boxes in facts["numbers"]:
            if not _reads_left_to_right(boxes):
                problems.append(f"{name}: the ticket number's characters stand at (x, top, bottom) {boxes}")
        if facts["number"] and not facts["numbers"]:
            problems.append(f"{name}: its ticket number {facts['number']} was not found on its own")
    assert problems == [], "\n".join(problems)


def test_the_guest_and_join_pages_count_in_polish(browser, venue):
    """Polish has three forms for whole numbers: 1 osoba, 2 osoby, 5 osób (and 22 osoby, 25 osób,
    which the Vitest test checks)."""
    if "pl" not in LANGUAGES:
        pytest.skip("the dictionary has no Polish")
    tickets = venue["tickets"]
    box, queue = venue["box"], venue["queue"]
    context = _context(browser, "pl")
    try:
        page = context.new_page()
        for ticket, text in [(tickets[2], "1 osoba przed Tobą"), (tickets[3], "2 osoby przed Tobą"),
                             (tickets[6], "5 osób przed Tobą")]:
            page.goto(f"{box.url}/t/{ticket['id']}")
            page.get_by_text(ticket["display_number"], exact=True).first.wait_for(timeout=10_000)
            page.get_by_text(text, exact=True).first.wait_for(timeout=10_000)
        page.goto(f"{box.url}/join/{queue['id']}")
        page.get_by_text("6 osób czeka", exact=True).first.wait_for(timeout=10_000)
        assert page.get_by_role("button", name="Pobierz bilet").is_visible()
    finally:
        context.close()
