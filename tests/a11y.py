"""Accessibility checks the browser tests share: axe (WCAG 2.2 AA), 200 % text, and the keyboard.

- `axe_violations(page)`: axe-core's violations (the one axe-playwright-python ships) under the
  WCAG 2.2 AA tags, as (rule id, first targets) pairs.
- `text_at_200_percent(page)`: the root font size doubled (`html { font-size: 200% }`), which scales
  every rem-sized text and space as Chromium's text-only zoom does (page zoom, or CDP's
  `Emulation.setPageScaleFactor`, scales the whole layout instead and so proves nothing about text).
- `overflow_problems(page)`: sideways scrolling of the page, text cut off by a box that hides its
  overflow (screen-reader-only text aside), and text pushed outside the window.
- `keyboard_problems(page)`: Tab from the top reaches every element one can focus (inside an open
  modal dialog: every element of the dialog), and each focused element shows an outline or a ring.
"""

from __future__ import annotations

from contextlib import contextmanager

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page, context: str | None = None) -> list[tuple[str, list]]:
    """axe-core's WCAG 2.2 AA violations on the page as it is now: (rule id, its first 3 targets)."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]}
    results = Axe().run(page, context=context, options=options)
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]]


@contextmanager
def text_at_200_percent(page, settle_ms: int = 250):
    """Inside the block the page's text is twice its size; back to normal afterwards."""
    page.evaluate("() => { document.documentElement.style.fontSize = '200%' }")
    page.wait_for_timeout(settle_ms)  # let resize observers and fitted sizes follow (nothing is timed)
    try:
        yield
    finally:
        page.evaluate("() => { document.documentElement.style.fontSize = '' }")


# Text cut off: a box that hides its overflow (or ends in an ellipsis) with text wider or taller
# than itself. Screen-reader-only text (1 px boxes) is hidden on purpose.
CLIPPED = """() => {
  const out = []
  for (const el of document.querySelectorAll('body *')) {
    if (!el.checkVisibility({ checkVisibilityCSS: true })) continue
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue
    if (el.clientWidth <= 2 || el.clientHeight <= 2) continue
    const style = getComputedStyle(el)
    const hidesX = ['hidden', 'clip'].includes(style.overflowX) || style.textOverflow === 'ellipsis'
    const hidesY = ['hidden', 'clip'].includes(style.overflowY)
    if ((hidesX && el.scrollWidth > el.clientWidth + 1) || (hidesY && el.scrollHeight > el.clientHeight + 1)) {
      out.push(`${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 60)}" ` +
               `${el.scrollWidth}x${el.scrollHeight} in ${el.clientWidth}x${el.clientHeight}`)
    }
  }
  return out
}"""

# The page scrolls sideways, or a text's box sticks out of the window (cut off by the window when
# the page hides its overflow). Boxes inside a scroller of their own are that scroller's business.
SIDEWAYS = """() => {
  const out = []
  const root = document.scrollingElement
  if (root.scrollWidth > root.clientWidth + 1)
    out.push(`page scrolls sideways: ${root.scrollWidth} > ${root.clientWidth}`)
  const scrolls = (el) => { for (let p = el.parentElement; p && p !== document.body; p = p.parentElement)
    if (['auto', 'scroll'].includes(getComputedStyle(p).overflowX)) return true; return false }
  // Inside a screen-reader-only box (1 px, hiding its overflow): hidden on purpose.
  const unseen = (el) => { for (let p = el; p && p !== document.body; p = p.parentElement) {
    const s = getComputedStyle(p)
    const hides = ['hidden', 'clip'].includes(s.overflowX) || s.clip !== 'auto'
    if (p.getBoundingClientRect().width <= 2 && hides) return true }
    return false }
  for (const el of document.querySelectorAll('body *')) {
    if (!el.checkVisibility({ checkVisibilityCSS: true })) continue
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue
    if (unseen(el)) continue
    const r = el.getBoundingClientRect()
    if (r.width <= 2 || r.height <= 2) continue
    if ((r.right > root.clientWidth + 1 || r.left < -1) && !scrolls(el))
      out.push(`${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 40)}" ` +
               `at ${Math.round(r.left)}..${Math.round(r.right)} of ${root.clientWidth}`)
  }
  if (out.length) {
    // Name the cause: the deepest boxes wider than their parent's content box.
    const wider = (el) => {
      const p = el.parentElement
      if (!p || p === document.documentElement || !el.checkVisibility()) return false
      if (['auto', 'scroll'].includes(getComputedStyle(p).overflowX)) return false
      const s = getComputedStyle(p), r = el.getBoundingClientRect(), q = p.getBoundingClientRect()
      const left = q.left + parseFloat(s.borderLeftWidth) + parseFloat(s.paddingLeft)
      const right = q.right - parseFloat(s.borderRightWidth) - parseFloat(s.paddingRight)
      return r.width > 2 && (r.right > right + 1 || r.left < left - 1)
    }
    const all = [...document.querySelectorAll('body *')].filter(wider)
    const causes = all.filter((el) => !all.some((other) => other !== el && el.contains(other)))
    for (const el of causes.slice(0, 4))
      out.unshift(`cause: ${el.tagName.toLowerCase()}.${String(el.className).slice(0, 90)} ` +
                  `"${el.textContent.trim().slice(0, 30)}" ` +
                  `${Math.round(el.getBoundingClientRect().width)} px wide in ${el.parentElement.clientWidth}`)
  }
  return out.slice(0, 12)
}"""


def overflow_problems(page) -> list[str]:
    """What scrolls sideways or is cut off on the page as it is now."""
    return page.evaluate(SIDEWAYS) + [f"clipped: {c}" for c in page.evaluate(CLIPPED)]


# Checkboxes and radio buttons whose tap target (the input, or the label wrapping it, or its
# own labels) is less than 44 CSS px tall: a 24 px box beside words one line tall misses fingers.
SMALL_TARGETS = """() => [...document.querySelectorAll('input[type=checkbox], input[type=radio]')]
  .filter((el) => el.checkVisibility({ checkVisibilityCSS: true }))
  .map((el) => {
    const areas = [el, el.closest('label'), ...el.labels].filter(Boolean)
    const height = Math.max(...areas.map((a) => a.getBoundingClientRect().height))
    const name = (el.labels[0]?.innerText || el.getAttribute('aria-label') || el.name || '').trim()
    return { height, name: `${el.type} "${name.slice(0, 40)}"` }
  })
  .filter((t) => t.height < 44)
  .map((t) => `${t.name} is ${Math.round(t.height)} px tall to tap`)"""


def small_targets(page) -> list[str]:
    """Checkboxes and radio buttons on the page whose tap target is under 44 px tall."""
    return page.evaluate(SMALL_TARGETS)


# Every element Tab should reach: visible, enabled, not inert, tabindex not negative; inside an
# open modal dialog only the dialog's. Kept on window for the Tab walk to find them by index.
FOCUSABLE = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, iframe, ' +
                   '[tabindex], [contenteditable=true]'
  const modal = [...document.querySelectorAll('[aria-modal=true], dialog[open]')]
    .find((d) => d.checkVisibility() && (d.getAttribute('aria-modal') === 'true' || d.matches(':modal')))
  const scope = modal ?? document
  const list = [...scope.querySelectorAll(selector)].filter((el) => {
    if (el.disabled || el.closest('[inert]') || el.tabIndex < 0) return false
    if (el.matches('details:not([open]) *') && !el.matches('details > summary:first-of-type')) return false
    return el.checkVisibility({ checkVisibilityCSS: true })
  })
  // Radio buttons of one group are one Tab stop: keep the checked one (or the first).
  const groups = new Map()
  const stops = list.filter((el) => {
    if (el.type !== 'radio' || !el.name) return true
    const key = (el.form ? 'f' : '') + el.name
    if (!groups.has(key)) groups.set(key, list.filter((r) => r.type === 'radio' && r.name === el.name))
    const group = groups.get(key)
    return el === (group.find((r) => r.checked) ?? group[0])
  })
  window.__a11yStops = stops
  return stops.map((el) => el.tagName.toLowerCase() + ' "' +
    (el.getAttribute('aria-label') || el.innerText || el.value || el.name || '').trim().slice(0, 40) + '"')
}"""

# The focused element: its index among the stops, and whether an outline or ring shows on it.
FOCUSED = """() => {
  const el = document.activeElement
  if (!el || el === document.body) return { index: -2, shows: true, name: 'body' }
  const s = getComputedStyle(el)
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0
  // A ring: a box shadow with a spread (Tailwind's ring-*), in a colour one can see.
  const ring = s.boxShadow.split(/,(?![^(]*\\))/).some((part) => {
    const lengths = (part.match(/-?[\\d.]+px/g) ?? []).map(parseFloat)
    const clear = /rgba\\([^)]*,\\s*0\\)|transparent/.test(part)
    return lengths.length >= 4 && lengths[3] > 0 && !clear
  })
  const text = (el.getAttribute('aria-label') || el.innerText || el.value || '').trim().slice(0, 40)
  const name = `${el.tagName.toLowerCase()} "${text}"`
  return { index: window.__a11yStops.indexOf(el), shows: outline || ring, name }
}"""

FROM_THE_TOP = """() => {
  if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur()
  window.scrollTo(0, 0)
  // Focus the body itself: Chromium's next Tab then starts from the top of the document.
  document.body.setAttribute('tabindex', '-1')
  document.body.focus()
  document.body.removeAttribute('tabindex')
}"""


def keyboard_problems(page) -> list[str]:
    """Tab from the top: every stop reached, and each shows its focus. Problems, in words."""
    stops = page.evaluate(FOCUSABLE)
    page.evaluate(FROM_THE_TOP)
    reached: set[int] = set()
    problems: list[str] = []
    first = None
    for _ in range(len(stops) + 4):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if first is None:
            first = focused["name"]
        elif focused["name"] == first and focused["index"] in reached:
            break  # round the page once
        if focused["index"] >= 0:
            reached.add(focused["index"])
        if not focused["shows"]:
            problems.append(f"focus not visible on {focused['name']}")
    missed = [stops[i] for i in range(len(stops)) if i not in reached]
    if missed:
        problems.append(f"Tab never reaches {missed}")
    return sorted(set(problems), key=problems.index)
