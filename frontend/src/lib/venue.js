// The venue's look (GET /api/venue): its name, accent colour, footer, default language and
// logo. Fetched once per page load and shared by every component that shows it; setup puts a
// saved answer here, so its own page follows at once. The accent colours become CSS custom
// properties on <html> (--accent, --accent-text, --accent-ink), which buttons and highlights use.
import { request } from './api.js'

let venue = null
let loading = null
const listeners = new Set()

/** The venue as last fetched or saved, or null before the first answer. */
export function getVenue() {
  return venue
}

/** Call `listener` on every change; returns the unsubscribe function (useSyncExternalStore's shape). */
export function subscribeVenue(listener) {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

/** Keep `next` (an answer of GET/PATCH /api/venue or the logo's PUT/DELETE) and show it everywhere. */
export function setVenue(next) {
  if (!next || typeof next !== 'object') return
  venue = next
  applyAccent(next)
  for (const listener of [...listeners]) listener()
}

/** Fetch the venue once (again with `force`); a box that does not answer leaves the defaults. */
export function loadVenue({ force = false, fetcher = request } = {}) {
  if (loading && !force) return loading
  if (venue && !force) return Promise.resolve(venue) // the page brought it (a ticket's /t/{id})
  loading = fetcher('GET', '/api/venue')
    .then((answer) => {
      setVenue(answer)
      return answer
    })
    .catch(() => {
      loading = null // the next page or refresh asks again
      return null
    })
  return loading
}

const COLOUR = /^#[0-9a-f]{6}$/i

/** Set the accent's custom properties on <html> (only well-formed colours; index.css has the defaults). */
export function applyAccent(v, root = globalThis.document?.documentElement) {
  if (!root) return
  for (const [prop, key] of [['--accent', 'accent'], ['--accent-text', 'accent_text'], ['--accent-ink', 'accent_ink']]) {
    if (COLOUR.test(v?.[key] ?? '')) root.style.setProperty(prop, v[key])
  }
}

/** Forget everything (tests). */
export function resetVenue() {
  venue = null
  loading = null
  listeners.clear()
}

// ---- contrast (WCAG 2), as the box computes it: setup shows it live while a colour is picked ----

function channel(value) {
  const c = value / 255
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
}

export function luminance(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16))
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}

export function contrast(a, b) {
  const [high, low] = [luminance(a), luminance(b)].sort((x, y) => y - x)
  return (high + 0.05) / (low + 0.05)
}

export const PAGE_BACKGROUND = '#fafaf9'

/** White or black, whichever reads on `accent` at 4.5:1 (venue.text_on on the box). */
export function textOn(accent) {
  return contrast(accent, '#ffffff') >= 4.5 ? '#ffffff' : '#000000'
}

/** `accent` as a text colour on the page: darkened just until it passes 4.5:1 (venue.ink on the box). */
export function inkOf(accent, background = PAGE_BACKGROUND) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(accent.slice(i, i + 2), 16))
  for (let step = 0; step <= 100; step += 1) {
    const keep = 1 - step / 100
    const colour = `#${[r, g, b].map((c) => Math.round(c * keep).toString(16).padStart(2, '0')).join('')}`
    if (contrast(colour, background) >= 4.5) return colour
  }
  return '#000000'
}
