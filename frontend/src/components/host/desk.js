// A counter's desk over several services (issue 15): each service's waiting tickets in its call
// order, and the one list the host reads, in the order this counter will call them.
import { t } from '../../lib/strings.js'
import '../../lib/strings.host.js'

const ACTIVE = new Set(['CALLED', 'SERVING'])

/** Is `ticket` in `queueId` now? A transferred ticket's row reaches both services' feeds. */
export const inService = (ticket, queueId) => !ticket.queue_id || ticket.queue_id === queueId

/** Local order while the box's is not known yet: priority first, then by place in the line. */
function localOrder(a, b) {
  return Number(Boolean(b.priority)) - Number(Boolean(a.priority)) || lineKey(a) - lineKey(b)
}

// issue 16: a ticket that moved back ("I'm running late") shares the line_seq of the one it stands
// behind, after it by `line_rank` (the box's RANK_SCALE).
const RANK_SCALE = 2 ** 20

/** A ticket's place in its line: its line_seq (or number, for older rows), then its rank. */
export function lineKey(ticket) {
  return (ticket.line_seq ?? ticket.position_number) + (ticket.line_rank ?? 0) / RANK_SCALE
}

/**
 * One service's WAITING tickets in its call order. `tickets`: the live rows (the host channel's,
 * in number order); `order`: the ids the box gave in call order (`?order=call`), or null. Rows
 * the box has not ordered yet (joined a moment ago) come after the ordered ones, priority first.
 */
export function serviceLine(tickets, queueId, order) {
  const waiting = new Map()
  for (const ticket of tickets ?? []) {
    if (ticket.status === 'WAITING' && inService(ticket, queueId)) waiting.set(ticket.id, ticket)
  }
  const out = []
  for (const id of order ?? []) {
    const ticket = waiting.get(id)
    if (ticket) {
      out.push(ticket)
      waiting.delete(id)
    }
  }
  return out.concat([...waiting.values()].sort(localOrder))
}

/**
 * The host's forecast of this counter's calls: its services' lines (each in its own call order,
 * `lines`: queue_id → tickets) merged as the counter picks (docs/services.md, section 3): a
 * priority ticket at the head of a service before normal heads; then, by the counter's `rule`,
 * the first service in its order ("order") or the longest wait × the service's weight
 * ("weighted"). The box's overdue step needs its clock and is left to it: the answer to "Call
 * next" says which rule picked, and the list follows the live channel at once.
 */
export function deskOrder(lines, counter, now = Date.now()) {
  const services = (counter?.services ?? []).map((s, index) => ({ id: s.queue_id, weight: s.weight ?? 1, index }))
  const at = new Map(services.map((s) => [s.id, 0]))
  const waited = (ticket) => Math.max(0, now - Date.parse(ticket.created_at ?? '')) || 0
  const out = []
  const total = services.reduce((n, s) => n + (lines[s.id]?.length ?? 0), 0)
  while (out.length < total) {
    const heads = []
    for (const s of services) {
      const ticket = lines[s.id]?.[at.get(s.id)]
      if (ticket) heads.push({ s, ticket })
    }
    const priority = heads.filter((h) => h.ticket.priority)
    const pool = priority.length ? priority : heads
    let best = pool[0]
    if (counter?.rule === 'weighted') {
      for (const h of pool) if (waited(h.ticket) * h.s.weight > waited(best.ticket) * best.s.weight) best = h
    }
    out.push(best.ticket)
    at.set(best.s.id, at.get(best.s.id) + 1)
  }
  return out
}

/** The called and serving tickets of the desk's services, each once (the service it is in now wins). */
export function deskActive(feeds, serviceIds) {
  const out = new Map()
  for (const id of serviceIds) {
    for (const ticket of feeds[id]?.state?.tickets ?? []) {
      if (ACTIVE.has(ticket.status) && inService(ticket, id)) out.set(ticket.id, ticket)
    }
  }
  return [...out.values()].sort((a, b) => a.position_number - b.position_number)
}

/** issue 16, grace: the services' NO_SHOW tickets that may come back (MissedTickets picks by time). */
export function deskMissed(feeds, serviceIds) {
  const out = new Map()
  for (const id of serviceIds) {
    for (const ticket of feeds[id]?.state?.tickets ?? []) {
      if (ticket.status === 'NO_SHOW' && ticket.return_until && inService(ticket, id)) out.set(ticket.id, ticket)
    }
  }
  return [...out.values()]
}

/** Is this ticket held by the counter (by id when the box says, else by name)? */
export const heldBy = (ticket, counter) =>
  ACTIVE.has(ticket.status) && (ticket.counter_id ? ticket.counter_id === counter.id : ticket.counter === counter.name)

/** Why the box called this ticket, in plain words; null for a reason it did not give. */
export function reasonText(reason) {
  if (!reason) return null
  const key = `host.reason.${reason}`
  const text = t(key)
  return text === key ? null : text
}

/** The worst of the feeds' connections: the desk is live only when every service is. */
export function worstConnection(connections) {
  const rank = ['offline', 'reconnecting', 'connecting', 'open']
  let worst = 'open'
  for (const c of connections) if (rank.indexOf(c ?? 'connecting') < rank.indexOf(worst)) worst = c ?? 'connecting'
  return worst
}
