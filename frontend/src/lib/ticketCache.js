// The last known state of each ticket, so a reload with no network still shows it.
const PREFIX = 'qode.ticket.'
const KEEP_MS = 2 * 24 * 60 * 60 * 1000

function store() {
  try {
    return globalThis.localStorage ?? null
  } catch {
    return null
  }
}

/** {ticket, savedAt} for `ticketId`, or null. `savedAt` is when the ticket was received (ms). */
export function readCachedTicket(ticketId) {
  try {
    const raw = store()?.getItem(PREFIX + ticketId)
    if (!raw) return null
    const entry = JSON.parse(raw)
    if (!entry?.ticket || entry.ticket.id !== ticketId) return null
    return { ticket: entry.ticket, savedAt: Number(entry.savedAt) || null }
  } catch {
    return null
  }
}

export function writeCachedTicket(ticketId, ticket, savedAt = Date.now()) {
  const s = store()
  if (!s || !ticket) return
  try {
    s.setItem(PREFIX + ticketId, JSON.stringify({ ticket, savedAt }))
    prune(s, savedAt)
  } catch {
    // Storage full or blocked: the page still works, it just cannot survive a reload offline.
  }
}

export function forgetCachedTicket(ticketId) {
  try {
    store()?.removeItem(PREFIX + ticketId)
  } catch {
    // nothing to forget
  }
}

/** Drop tickets from earlier days so the storage does not grow visit after visit. */
function prune(s, now) {
  for (let i = s.length - 1; i >= 0; i--) {
    const key = s.key(i)
    if (!key?.startsWith(PREFIX)) continue
    try {
      const savedAt = Number(JSON.parse(s.getItem(key))?.savedAt)
      if (!savedAt || now - savedAt > KEEP_MS) s.removeItem(key)
    } catch {
      s.removeItem(key)
    }
  }
}
