// issue 16, grace: a USB HID barcode scanner at the kiosk "types" the printed ticket's QR (its
// guest page's address, e.g. http://box/t/<ticket id>) like a keyboard, fast, then Enter. The
// scanner is told from a person by speed and length: a burst of at least SCAN_MIN_LENGTH keys
// with no pause over SCAN_BREAK_MS, at SCAN_AVERAGE_MS or less a key on average (a scanner types
// a key every few ms; the fastest typist needs about 100 ms), then Enter. A busy kiosk may hold
// back a key now and then, so one slow key does not end a scan; the average still tells. What it
// read must be a ticket address (parseTicketUrl): anything else is refused without asking the box.

export const SCAN_AVERAGE_MS = 40 // the slowest average key interval of a scan
export const SCAN_BREAK_MS = 250 // a pause longer than this starts a new burst
export const SCAN_MIN_LENGTH = 20 // the shortest ticket address, http://h/t/ + a 36-character id, is longer
export const SCAN_MAX_LENGTH = 300 // a scan longer than this is not one of our tickets

const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}'
// http(s)://host[:port]/t/<uuid>, an optional trailing slash, nothing else (no query, no fragment).
const TICKET_URL = new RegExp(`^https?://(?:[A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?/t/(${UUID})/?$`)

/** The ticket id (lower case) of a scanned ticket address, or null for anything else. */
export function parseTicketUrl(text) {
  if (typeof text !== 'string' || text.length > SCAN_MAX_LENGTH) return null
  const match = TICKET_URL.exec(text.trim())
  return match ? match[1].toLowerCase() : null
}

/** Whether keys typed now go into a text field (a person typing there is never a scan). */
export function isTextField(element) {
  if (!element || element.nodeType !== 1) return false
  if (element.isContentEditable) return true
  const tag = element.tagName
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true
  if (tag !== 'INPUT') return false
  const type = (element.getAttribute('type') || 'text').toLowerCase()
  return !['button', 'submit', 'reset', 'checkbox', 'radio', 'image', 'range', 'color', 'file'].includes(type)
}

/**
 * A scan detector fed with keydown events ({key, ctrlKey, altKey, metaKey, timeStamp}): `feed`
 * returns true for the Enter that ends a scan (the caller then keeps that Enter from pressing the
 * focused button) after calling `onScan(text)`; false for every other key.
 */
export function createScanDetector(onScan, { averageMs = SCAN_AVERAGE_MS, breakMs = SCAN_BREAK_MS,
  minLength = SCAN_MIN_LENGTH } = {}) {
  let buffer = ''
  let first = 0 // when the burst's first key came
  let last = -Infinity
  return {
    feed(event) {
      const at = event.timeStamp
      const gap = at - last
      last = at
      if (event.ctrlKey || event.altKey || event.metaKey) {
        buffer = ''
        return false
      }
      if (event.key === 'Enter') {
        const text = buffer
        buffer = ''
        // the burst's keys and its Enter: `text.length` intervals since the first key
        if (gap <= breakMs && text.length >= minLength && (at - first) / text.length <= averageMs) {
          onScan(text)
          return true
        }
        return false
      }
      if (typeof event.key !== 'string' || event.key.length !== 1) {
        if (event.key !== 'Shift') buffer = '' // a scanner's capitals come with Shift: it stays
        return false
      }
      if (gap <= breakMs && buffer && buffer.length < SCAN_MAX_LENGTH) {
        buffer += event.key
      } else {
        buffer = event.key
        first = at
      }
      return false
    },
    reset() {
      buffer = ''
      last = -Infinity
    },
  }
}
