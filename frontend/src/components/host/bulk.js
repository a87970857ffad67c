// What the host's bulk actions take: a time typed on the tablet, and the tickets a filter matches.

/** Today at `hhmm` (this tablet's time) in the box's stored format, or null when not HH:MM. */
export function todayAt(hhmm, now = new Date()) {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm ?? '')
  if (!match) return null
  const at = new Date(now)
  at.setHours(Number(match[1]), Number(match[2]), 0, 0)
  return at.toISOString()
}

/** The waiting tickets a filter ({source?, joined_after?}) takes, as the box decides it. */
export function matching(waiting, filter) {
  return waiting.filter(
    (ticket) => (filter.source == null || ticket.source === filter.source) && (filter.joined_after == null || ticket.created_at > filter.joined_after),
  )
}
