// The calls the TV shows, and its clock.

export const CALLS = new Set(['call', 'recall'])
const KEEP = 8 // calls kept (the server sends the last 5; a few more help after duplicates)

/** `recent` (newest first) with the new `events` (oldest first) applied; a new day starts empty. */
export function mergeCalls(recent, events) {
  let list = recent
  for (const event of events) {
    if (event?.type === 'day_started') list = []
    else if (CALLS.has(event?.type) && event.number && !list.some((c) => c.seq === event.seq)) list = [event, ...list]
  }
  return [...list].sort((a, b) => b.seq - a.seq).slice(0, KEEP)
}

/** HH:MM on this TV's own clock. */
export function clockText(ms) {
  const d = new Date(ms)
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
}
