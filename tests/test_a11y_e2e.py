"""Must-show 7 of issue 14: every page in every state stays accessible, in real headless Chromium
(Debian's) against a real `qode serve` (and a `qode serve --hub` for the hub page).

For each page and state (guest: waiting, called, served, done, cancelled, not found; join: open,
paused, closed; host: waiting guests, a called ticket, a bad token; setup: no token, first run, with
queues and a device, every section open (the venue's too); TV: calls at 3 counters, paused, nobody
called; kiosk: start screen and issued; hub), in English, Arabic (right to left) and German (long
words), at the sizes the page is used at (phone 360x740, tablet 1280x800, TV 1920x1080 and
1080x1920; the host also on a tablet held upright, 800x1280, where its two columns once left the
waiting list no room at 200 % text):
  - axe (WCAG 2.2 AA) finds no violation: in every language at the page's main size, and in English
    at its other sizes;
  - at 200 % text (the root font size doubled, see tests/a11y.py) nothing scrolls sideways and no
    text is cut off, at every size in every language;
  - by keyboard (English, the main size): Tab from the top reaches every element one can focus, and
    each shows its focus;
and the main actions work by keyboard alone: take a ticket with Enter on join, leave the line on the
guest page, call next on the host.
One server, one hub, one browser for the module; one browser context per page and language.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
import requests

from a11y import axe_violations, keyboard_problems, overflow_problems, small_targets, text_at_200_percent

from helpers import ADMIN_TOKEN as ADMIN
from helpers import ServerProcess, admin, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.server, pytest.mark.xdist_group("a11y")]

PHONE = {"width": 360, "height": 740}
TABLET = {"width": 1280, "height": 800}
TV = {"width": 1920, "height": 1080}
PORTRAIT = {"width": 1080, "height": 1920}
TABLET_PORTRAIT = {"width": 800, "height": 1280}  # the host's tablet held upright
SIZES = {  # the sizes each page is used at, its main one first
    "guest": [PHONE],
    "join": [PHONE, TABLET],
    "host": [TABLET, PHONE, TABLET_PORTRAIT],
    "setup": [TABLET, PHONE],
    "display": [TV, PORTRAIT],
    "kiosk": [TABLET, PORTRAIT],
    "hub": [TABLET, PHONE],
}
LANGUAGES = {"en": "en-US", "ar": "ar-EG", "de": "de-DE"}
HUB_TOKEN = "hub-admin-token-0123456789abcdef"


def size_name(size: dict) -> str:
    return f"{size['width']}x{size['height']}"


def post(proc, path: str, body=None, headers=None) -> dict:
    answer = requests.post(f"{proc.url}{path}", json=body or {}, headers=headers, timeout=5)
    answer.raise_for_status()
    return answer.json()


def make_queue(proc, name: str, prefix: str, guests: int) -> dict:
    queue = post(proc, "/api/queues", {"name": name, "prefix": prefix}, admin())
    queue["headers"] = {"Authorization": f"Bearer {queue['host_token']}"}
    queue["tickets"] = [post(proc, f"/api/queues/{queue['id']}/tickets",
                             {"device_token": f"device-token-{prefix}{i:04d}"}) for i in range(guests)]
    return queue


def call(proc, queue: dict, counter: str) -> dict:
    return post(proc, f"/api/queues/{queue['id']}/call-next", {"counter": counter}, queue["headers"])


def push_log(box, hub, site: dict) -> None:
    """The box's event log to the hub as the box's sync pushes it (its pseudonyms, one batch)."""
    import json
    import sqlite3

    from qode.sync import FIELDS, pseudonym

    conn = sqlite3.connect(f"file:{box.data_dir / 'qode.db'}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        secret = conn.execute("SELECT secret FROM sync_state").fetchone()[0]
        events = [{**dict(r), "ticket_id": pseudonym(secret, r["ticket_id"]), "data": json.loads(r["data"])}
                  for r in conn.execute(f"SELECT {FIELDS} FROM events ORDER BY seq")]
    finally:
        conn.close()
    post(hub, "/api/sync/batches", {"device_id": site["device_id"], "after": 0, "events": events},
         {"Authorization": f"Bearer {site['key']}"})


def patch(proc, queue: dict, body: dict) -> None:
    requests.patch(f"{proc.url}/api/queues/{queue['id']}", json=body, headers=queue["headers"],
                   timeout=5).raise_for_status()


@pytest.fixture(scope="module")
def venue(tmp_path_factory):
    """A box with a line in every state, an empty box (setup's first run), and a hub with a site.
    Returns {page: [(state, address, what shows once loaded: text or CSS selector)]}."""
    base = tmp_path_factory.mktemp("a11y")
    # issue 16: grace. A no-show's "Back" stays offered through the whole sweep.
    box = ServerProcess(base / "box", env={"QODE_GRACE_MINUTES": "240"}).start()
    empty = ServerProcess(base / "empty")
    hub = ServerProcess(base / "hub", env={"QODE_ADMIN_TOKEN": HUB_TOKEN})
    hub.extra_args = ["--hub"]
    try:
        empty.start()
        hub.start()
        # Reception: called at counters 1, 2 and 3, three more waiting (the TV, the join page).
        reception = make_queue(box, "Reception", "A", 6)
        for counter in ("1", "2", "3"):
            call(box, reception, counter)
        kiosk = post(box, f"/api/queues/{reception['id']}/devices", {"name": "Door", "kind": "kiosk"},
                     reception["headers"])
        # Desk: B001 served, B002 done, B003 left, B004 called, B005 and B006 waiting (guest, host).
        desk = make_queue(box, "Bürgerservice Anmeldeangelegenheiten", "B", 6)
        b = desk["tickets"]
        call(box, desk, "1")
        post(box, f"/api/tickets/{b[0]['id']}/serve", {}, desk["headers"])
        call(box, desk, "2")
        post(box, f"/api/tickets/{b[1]['id']}/complete", {}, desk["headers"])
        post(box, f"/api/tickets/{b[2]['id']}/cancel")
        call(box, desk, "3")
        # Paused: P001 called, paused for 10 minutes. Nobody: three waiting, nobody called. Closed.
        paused = make_queue(box, "Paused line", "P", 3)
        call(box, paused, "1")
        patch(box, paused, {"is_paused": True, "back_in_minutes": 10})
        nobody = make_queue(box, "Nobody called", "N", 3)
        closed = make_queue(box, "Closed line", "C", 0)
        # issue 16: grace. Missed: M001 marked a no-show (it may come back), M002 and M003 waiting.
        missed = make_queue(box, "Missed line", "M", 3)
        post(box, f"/api/tickets/{call(box, missed, '1')['id']}/no-show", {}, missed["headers"])
        patch(box, closed, {"active": False})
        site = post(hub, "/api/hub/sites", {"device_id": "townhall", "name": "Townhall"}, admin(HUB_TOKEN))
        push_log(box, hub, site)  # issue 15: the hub page's per-service figures show too
        numbers = [t["display_number"] for t in b]
        assert numbers == [f"B00{i}" for i in range(1, 7)], numbers

        def host(queue, token=None):
            return f"{box.url}/host/{queue['id']}#token={token or queue['host_token']}"

        pages = {
            "guest": [
                ("waiting", f"{box.url}/t/{b[5]['id']}", "B006"),
                ("called", f"{box.url}/t/{b[3]['id']}", "[role=alertdialog]"),
                ("served", f"{box.url}/t/{b[0]['id']}", "B001"),
                ("done", f"{box.url}/t/{b[1]['id']}", "B002"),
                ("cancelled", f"{box.url}/t/{b[2]['id']}", "B003"),
                ("not-found", f"{box.url}/t/{'0' * 26}", "h1:visible"),
            ],
            "join": [
                ("open", f"{box.url}/join/{reception['id']}", "Reception"),
                ("paused", f"{box.url}/join/{paused['id']}", "[role=status]"),
                ("closed", f"{box.url}/join/{closed['id']}", "[role=status]"),
            ],
            "host": [
                ("waiting", host(nobody), "[data-testid=waiting-N001]"),
                ("called", host(desk), "[data-testid=waiting-B005]"),
                ("bad-token", host(desk, "wrong-token-0123456789abcdef"), "[role=alert]"),
                ("missed", host(missed), "[data-testid=missed-M001]"),  # issue 16: grace
                ("bulk-web", host(desk), "[data-testid=waiting-B005]"),  # "Clear the line", by a time
            ],
            "setup": [
                ("no-token", f"{box.url}/setup", "input:visible"),
                ("first-run", f"{empty.url}/setup#token={ADMIN}", "[data-testid=first-run]"),
                ("queues", f"{box.url}/setup#token={ADMIN}", "Reception"),
                ("all-open", f"{box.url}/setup#token={ADMIN}", "Reception"),  # every <details> opened
            ],
            "display": [
                ("three-counters", f"{box.url}/display/{reception['id']}", "A003"),
                ("paused", f"{box.url}/display/{paused['id']}", "P001"),
                ("nobody-called", f"{box.url}/display/{nobody['id']}", "h1:visible"),
            ],
            "kiosk": [
                ("start", f"{box.url}/kiosk/{reception['id']}#token={kiosk['token']}", "Reception"),
                ("issued", f"{box.url}/kiosk/{reception['id']}#token={kiosk['token']}", "Reception"),
            ],
            "hub": [("sites", f"{hub.url}/hub#token={HUB_TOKEN}", "[data-testid=service-figures]")],
        }
        yield {"pages": pages, "box": box}
    finally:
        for proc in (box, empty, hub):
            proc.stop()
    for proc in (box, empty, hub):
        assert "Traceback" not in proc.log.read_text()


@pytest.fixture
def context_for(browser):
    """Browser contexts in a language and size; every request must stay on this machine."""
    strays: list[str] = []
    contexts = []

    def guard(route):
        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            strays.append(route.request.url)
            route.abort()

    def make(lang: str, viewport: dict):
        context = browser.new_context(viewport=viewport, locale=LANGUAGES[lang])
        context.route("**/*", guard)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert strays == [], f"pages asked for something off the box: {strays}"


# The pages that follow a live channel (docs/live.md): guest, join, TV, kiosk and host. Setup and
# the hub have none.
LIVE_PAGES = ("/t/", "/join/", "/display/", "/kiosk/", "/host/")


def watched(page):
    """`page`, recording the sockets it opens: each is done once its first message (the channel's
    snapshot: the page then counts as live) has come, or once it closed (a bad token, no such ticket)."""
    page.sockets = []

    def opened(ws):
        entry = {"url": ws.url, "done": False}
        page.sockets.append(entry)
        ws.on("framereceived", lambda _frame: entry.update(done=True))
        ws.on("close", lambda _ws: entry.update(done=True))
        ws.on("socketerror", lambda _error: entry.update(done=True))

    page.on("websocket", opened)
    return page


def live_state_landed(page, url: str) -> None:
    """On a live page, wait (15 s at most) until the page has opened its channel and every socket it
    opened has brought its first message or closed; on the host's desk, until it says it is live."""
    if not any(kind in urlparse(url).path for kind in LIVE_PAGES):
        return
    wait_until(lambda: page.sockets and all(s["done"] for s in page.sockets), timeout=15, page=page)
    if page.locator("[data-connection]").count():  # the desk's header (not there for a bad token)
        page.locator("[data-connection=open]").first.wait_for(timeout=15_000)


def settle(page, url: str, ready: str) -> None:
    if ready.startswith("[") or ready.endswith(":visible"):  # a CSS selector
        page.locator(ready).first.wait_for(timeout=15_000)
    else:
        page.get_by_text(ready, exact=True).first.wait_for(timeout=15_000)
    if "#token" in url:
        page.wait_for_function("() => !location.hash.includes('token')", timeout=15_000)
    page.evaluate("() => document.fonts.ready")
    live_state_landed(page, url)
    page.wait_for_timeout(250)  # and let the page draw that first state (nothing is timed)


def open_state(page, state: str, url: str, ready: str) -> None:
    page.goto("about:blank")  # the same address again (setup's two states) loads afresh
    page.sockets = []  # the last state's sockets are gone with it
    page.goto(url)
    settle(page, url, ready)
    if state == "all-open":
        page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true })")
        page.wait_for_timeout(250)
    elif state == "bulk-web":  # its time field once made a phone at 200 % text scroll sideways
        page.locator("section[aria-labelledby=host-bulk-title] input[type=radio]").nth(1).check()
        page.wait_for_timeout(250)
    elif state == "issued":
        page.get_by_role("button", name="Take a ticket").click()  # (the issued state is English only)
        page.wait_for_function("() => /A00[7-9]|A01\\d/.test(document.body.innerText)", timeout=15_000)
        page.wait_for_timeout(250)


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("name", list(SIZES))
def test_every_state_passes_axe_fits_200_percent_text_and_works_by_keyboard(venue, context_for, name, lang):
    problems: list[str] = []
    for i, size in enumerate(SIZES[name]):
        page = watched(context_for(lang, size).new_page())
        for state, url, ready in venue["pages"][name]:
            where = f"{name}/{state} {lang} {size_name(size)}"
            if state == "issued" and (lang != "en" or i):
                continue  # each press takes a ticket: once is enough
            open_state(page, state, url, ready)
            if i == 0 or lang == "en":
                problems += [f"{where}: axe {rule} at {targets}" for rule, targets in axe_violations(page)]
            with text_at_200_percent(page):
                problems += [f"{where} at 200% text: {p}" for p in overflow_problems(page)]
            if i == 0 and lang == "en":
                problems += [f"{where}: keyboard: {p}" for p in keyboard_problems(page)]
                problems += [f"{where}: {p}" for p in small_targets(page)]
        page.close()
    assert problems == [], "\n".join(problems)


def status(proc, ticket_id: str) -> str:
    return requests.get(f"{proc.url}/api/tickets/{ticket_id}", timeout=5).json()["status"]


def tab_to(page, name: str, presses: int = 60) -> None:
    """Tab from the top until the focused element's accessible text contains `name`."""
    page.evaluate("() => { document.body.setAttribute('tabindex', '-1'); document.body.focus();"
                  " document.body.removeAttribute('tabindex') }")
    for _ in range(presses):
        page.keyboard.press("Tab")
        text = page.evaluate("() => { const e = document.activeElement;"
                             " return (e.getAttribute('aria-label') || e.innerText || '').trim() }")
        if name in text:
            return
    raise AssertionError(f"Tab never reaches {name!r}")


def test_the_main_actions_work_by_keyboard_alone(venue, context_for):
    """Join with Enter, leave the line from the keyboard, and call next from the host's keyboard."""
    box = venue["box"]
    line = make_queue(box, "Keyboard line", "K", 1)  # K001 waits already
    page = watched(context_for("en", PHONE).new_page())
    page.goto(f"{box.url}/join/{line['id']}")
    settle(page, page.url, "Take a ticket")
    tab_to(page, "Take a ticket")
    page.keyboard.press("Enter")
    page.wait_for_url("**/t/*", timeout=15_000)
    page.get_by_text("K002", exact=True).first.wait_for(timeout=15_000)
    ticket_id = urlparse(page.url).path.rsplit("/", 1)[-1]

    # The page has moved to the ticket in the browser: let its live connection land first, as a
    # guest would see the page settle, so no update redraws the buttons between Tab and Enter.
    page.wait_for_function("() => !document.body.innerText.includes('Connecting')", timeout=20_000)
    page.get_by_role("button", name="Leave the line", exact=True).wait_for(timeout=15_000)
    tab_to(page, "Leave the line")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Yes, leave the line").wait_for(timeout=15_000)
    tab_to(page, "Yes, leave the line")
    page.keyboard.press("Enter")
    page.get_by_text("This ticket is cancelled.").wait_for(timeout=20_000)
    wait_until(lambda: status(box, ticket_id) == "CANCELLED", page=page)
    page.close()

    host = watched(context_for("en", TABLET).new_page())
    host.goto(f"{box.url}/host/{line['id']}#token={line['host_token']}")
    settle(host, host.url, "[data-testid=waiting-K001]")
    # As for the guest above: let the desk's live connection land before tabbing, so its first
    # snapshot does not redraw the desk between Tab and Enter (a host sees the page settle too).
    host.locator("[data-connection=open]").first.wait_for(timeout=30_000)  # not "Reconnecting…" either
    button = host.locator("button[aria-keyshortcuts='N']")
    label = button.inner_text()
    tab_to(host, label.split("\n")[0].strip(), presses=80)
    assert host.evaluate("() => document.activeElement.getAttribute('aria-keyshortcuts')") == "N"
    host.keyboard.press("Enter")
    first = line["tickets"][0]["id"]
    try:
        # Waited through Playwright: the context's route guard runs in this process, and only while
        # a Playwright call is in progress. A plain wait here held the desk's POST in the guard until
        # the page's own 15 s timeout gave it up ("No connection to the box"): CI's failure, seen
        # again here under load and on the wire (the call never left the browser).
        wait_until(lambda: status(box, first) == "CALLED", timeout=20, page=host)
    except AssertionError:
        # What the desk showed and what the box logged: a failure here must say which side lost it.
        desk = host.evaluate("() => document.body.innerText")[:1500]
        said = box.log.read_text()[-3000:]
        raise AssertionError(f"K001 was not called. The desk: {desk!r}\nThe box's log: {said}") from None
    host.close()


def test_the_checks_catch_what_they_look_for(browser):
    """The sweep's checks are not vacuous: on a page made to fail, each one names the fault."""
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.set_content("""<!doctype html><html lang="en"><head><title>Faults</title>
            <style>#bare:focus, #ringed { outline: none }
              .cut { width: 5rem; overflow: hidden; white-space: nowrap }</style>
            </head><body><main>
            <a href="#one">one</a>
            <button id="bare">no ring</button>
            <button id="ringed" onfocus="this.style.boxShadow='0 0 0 3px #1d4ed8'">ring</button>
            <div tabindex="0" style="position: absolute; top: -999px">off the tab order? no: reachable</div>
            <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="20" height="20">
            <p class="cut">A sentence far too long for its five rem box</p>
            <p style="width: 40rem">wide</p>
            <input type="checkbox" id="tiny"><label for="tiny">tiny</label>
            <label style="display: flex; min-height: 48px"><input type="radio" name="r">roomy</label>
            </main></body></html>""")
        small = small_targets(page)
        assert len(small) == 1 and small[0].startswith('checkbox "tiny" is '), small  # not the roomy radio
        rules = [rule for rule, _ in axe_violations(page)]
        assert "image-alt" in rules, rules
        keys = keyboard_problems(page)
        assert keys == ['focus not visible on button "no ring"'], keys
        page.evaluate("() => document.getElementById('bare').setAttribute('tabindex', '-1')")
        page.evaluate("() => { const b = document.createElement('button'); b.textContent = 'late';"
                      " b.style.display = 'none'; document.body.append(b) }")
        assert keyboard_problems(page) == [], "a button out of the tab order or hidden is not a stop"
        # A trap on the first stop: Tab never gets further.
        page.evaluate("() => document.querySelector('a').onkeydown = (e) => e.preventDefault()")
        trapped = keyboard_problems(page)
        assert len(trapped) == 1 and trapped[0].startswith("Tab never reaches"), trapped
        assert 'button "ring"' in trapped[0], trapped
        with text_at_200_percent(page):
            found = overflow_problems(page)
        assert any(f.startswith("page scrolls sideways") for f in found), found
        assert any(f.startswith('clipped: p "A sentence') for f in found), found
    finally:
        context.close()
