// The ticket's first state, which the box writes into /t/{id}'s HTML (server/qode/pages.py) with
// the number already in plain markup: the page starts from it instead of waiting for a fetch.
export const FIRST_STATE_ID = 'qode-first'

/** Is there a first state in this page's HTML (the /t/{id} of a ticket that exists)? */
export function hasFirstState(doc = globalThis.document) {
  return Boolean(doc?.getElementById(FIRST_STATE_ID))
}

/**
 * {ticket, savedAt} from the HTML when it is `ticketId`'s, else null. `savedAt` is when the
 * box answered (ms), the moment the ETA counts down from.
 */
export function readFirstTicket(ticketId, doc = globalThis.document, perf = globalThis.performance) {
  try {
    const ticket = JSON.parse(doc?.getElementById(FIRST_STATE_ID)?.textContent ?? 'null')?.ticket
    if (!ticket || ticket.id !== ticketId) return null
    const answered = perf?.getEntriesByType?.('navigation')?.[0]?.responseStart
    const savedAt = perf?.timeOrigin && answered ? Math.round(perf.timeOrigin + answered) : Date.now()
    return { ticket, savedAt }
  } catch {
    return null
  }
}

/** The venue's look (GET /api/venue's answer) the box put in the page, or null. */
export function readFirstVenue(doc = globalThis.document) {
  try {
    const venue = JSON.parse(doc?.getElementById(FIRST_STATE_ID)?.textContent ?? 'null')?.venue
    return venue && typeof venue === 'object' ? venue : null
  } catch {
    return null
  }
}
