// The host channel sends the day's list once (the snapshot), then only what changed
// (docs/live.md): `tickets_changed` rows and `bulk` cancellations. These fold them into the list
// the page holds. Rows that did not change keep their identity, so their list items need no
// new render.

/** Does a bulk cancellation's filter ({up_to, source, joined_after}) take this ticket? */
export function bulkTakes(cleared, ticket) {
  if (ticket.status !== 'WAITING' || ticket.position_number > cleared.up_to) return false
  if (cleared.source != null && ticket.source !== cleared.source) return false
  // Both are the box's stored UTC format (…T10:00:00.000Z), so they compare as text.
  return cleared.joined_after == null || ticket.created_at > cleared.joined_after
}

/**
 * `tickets` (in number order) after one update: the tickets that left for another service
 * dropped, its bulk cancellations, then its changed rows (replacing rows by id, adding new ones).
 * Returns the same array when nothing changed.
 */
export function applyTicketDelta(tickets, { changed = [], bulk = [], left = [] } = {}) {
  if (!changed.length && !bulk.length && !left.length) return tickets
  let out = tickets
  // Transferred to another service (issue 15): the service it left sends the `transfer` event
  // but no row for it any more, so the row goes here (a row in `changed` brings it back).
  if (left.length) {
    const gone = new Set(left)
    out = out.filter((ticket) => !gone.has(ticket.id))
  }
  for (const cleared of bulk) {
    out = out.map((ticket) => (bulkTakes(cleared, ticket) ? { ...ticket, status: 'CANCELLED', reason: cleared.reason, completed_at: cleared.at } : ticket))
  }
  if (changed.length) {
    out = out === tickets ? tickets.slice() : out
    const at = new Map(out.map((ticket, index) => [ticket.id, index]))
    let added = false
    for (const row of changed) {
      const index = at.get(row.id)
      if (index === undefined) {
        at.set(row.id, out.length)
        out.push(row)
        added = true
      } else {
        out[index] = row
      }
    }
    // New numbers come last almost always; sort only when one did not.
    if (added && out.some((ticket, i) => i > 0 && out[i - 1].position_number > ticket.position_number)) {
      out.sort((a, b) => a.position_number - b.position_number)
    }
  }
  return out
}

/**
 * The host channel's payload: the queue state, the day's tickets (snapshot) or the delta
 * (update), the box's clock, the line's devices, the sync status, the refused joins and
 * whether the box can save (`storage`) and the running Qode's `version`.
 * A message without `devices` (an older box) leaves the ones known so far.
 */
export function hostPayload(message) {
  if (!message || (!message.state && !Array.isArray(message.tickets))) return null
  const out = {}
  if (message.state) out.queue = message.state
  if (Array.isArray(message.tickets)) out.tickets = message.tickets
  else if (Array.isArray(message.tickets_changed) || Array.isArray(message.bulk)) {
    out.delta = { changed: message.tickets_changed ?? [], bulk: message.bulk ?? [] }
    const left = (Array.isArray(message.events) ? message.events : []).filter((e) => e?.type === 'transfer' && e.ticket_id).map((e) => e.ticket_id)
    if (left.length) out.delta.left = left
  }
  if (message.clock) out.clock = message.clock
  if (Array.isArray(message.devices)) out.devices = message.devices
  if (message.sync && typeof message.sync === 'object') out.sync = message.sync
  if (message.refused && typeof message.refused === 'object') out.refused = message.refused
  if (message.storage && typeof message.storage === 'object') out.storage = message.storage
  if (message.sms && typeof message.sms === 'object') out.sms = message.sms // issue 16: the text modem's health
  if (typeof message.version === 'string') out.version = message.version
  // Devices taken away in setup (or by another host): said once in the devices panel.
  const revoked = (Array.isArray(message.events) ? message.events : []).filter((e) => e?.type === 'device_revoked' && e.data?.device_id)
  if (revoked.length) out.revoked = revoked.map((e) => ({ device_id: e.data.device_id, name: String(e.data.name ?? ''), kind: e.data.kind }))
  return out
}

/** Fold an update's payload (see hostPayload) into the page's state. */
export function mergeHost(state, payload) {
  const { delta, ...rest } = payload
  const next = { ...(state ?? {}), ...rest }
  if (rest.revoked) {
    const known = new Set((state?.revoked ?? []).map((d) => d.device_id))
    next.revoked = [...(state?.revoked ?? []), ...rest.revoked.filter((d) => !known.has(d.device_id))]
  }
  if (delta) next.tickets = applyTicketDelta(state?.tickets ?? [], delta)
  return next
}

/**
 * A waiting guest's ETA in seconds, from their place in the line (`index`, 0 = next): their
 * share of a new joiner's estimate, (index + 1) / (waiting + 1) of it. The host channel's rows
 * carry no per-guest ETA (it moves for everyone whenever one guest moves), and the guest's own
 * page has the exact one; this is the host's overview. Null when unknown.
 */
export function etaAt(queue, index) {
  if (!queue || queue.eta_seconds == null) return null
  const waiting = Math.max(queue.waiting_count ?? 0, index + 1)
  return Math.round((queue.eta_seconds * (index + 1)) / (waiting + 1))
}
