// The calls the TV shows, their sizes, and its clock.
import { compareNames } from '../../lib/counterOrder.js'

export const CALLS = new Set(['call', 'recall'])
export const MOST_TILES = 8 // counters shown at once at most (the newest calls); 1 to 8 fit every layout

/**
 * The tiles of the TV: per counter its newest active call, from the public state's `calls`
 * (today's CALLED and SERVING numbers with the seq of their latest call or recall). A guest who
 * left, a completed or no-show ticket is not in `calls`, so it is not on the screen. Old data may
 * hold several active calls at one counter: the newest stands for it.
 *
 * Returns {tiles, newest}: tiles in counter order (so a tile never jumps when another counter
 * calls), at most MOST_TILES of the newest; newest is the tile of the latest call (or null).
 * Without `calls` (a state from before they existed) `now_serving` is one tile with no counter.
 */
export function counterTiles(state) {
  if (!state) return { tiles: [], newest: null }
  let calls = state.calls
  if (!Array.isArray(calls)) calls = state.now_serving ? [{ number: state.now_serving, counter: null, seq: 0 }] : []
  const byCounter = new Map()
  for (const call of calls) {
    if (!call || typeof call.number !== 'string' || !call.number) continue
    const key = call.counter ?? ''
    const seq = Number.isInteger(call.seq) ? call.seq : 0
    const held = byCounter.get(key)
    if (!held || seq > held.seq) byCounter.set(key, { number: call.number, counter: call.counter ?? null, seq, key })
  }
  const newestFirst = [...byCounter.values()].sort((a, b) => b.seq - a.seq).slice(0, MOST_TILES)
  const newest = newestFirst[0] ?? null
  const tiles = [...newestFirst].sort((a, b) => compareNames(a.key, b.key))
  return { tiles, newest }
}


// How wide a text is (em): moved to lib/textWidth.js, so a page that only fits words (the guest's
// ticket number) does not load the TV's calls; exported here as before.
import { fitWidthEm, longestWordEm, measureEm, textWidthEm } from '../../lib/textWidth.js'
export { fitWidthEm, longestWordEm, measureEm, textWidthEm }

/**
 * The width (em) each tile sizes one of its labels by, from each tile's own `widths`: the tiles
 * share the size of the widest usual label (at most 1.3 × the median), so the screen reads
 * evenly, and a label much wider than the rest ("Counter Window B" among "Counter 1"…"Counter 8",
 * a 50-letter service) is sized by itself, in its own tile only, instead of shrinking them all.
 */
export function sharedWidths(widths) {
  if (!widths.length) return []
  const sorted = [...widths].sort((a, b) => a - b)
  const median = sorted[Math.floor((sorted.length - 1) / 2)]
  const shared = Math.max(...widths.filter((w) => w <= median * 1.3))
  return widths.map((w) => Math.max(w, shared))
}

/** How the tiles sit: columns in landscape and in portrait for `count` tiles. */
export function tileGrid(count) {
  const n = Math.max(1, count)
  const landscape = n <= 4 ? 1 : 2
  return { count: n, landscape: { cols: landscape, rows: Math.ceil(n / landscape) }, portrait: { cols: 1, rows: n } }
}

/** HH:MM on this TV's own clock. */
export function clockText(ms) {
  const d = new Date(ms)
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
}

/**
 * The tiles of a TV showing several services (issue 15, /display?services=…): each feed is
 * `{id, name, state}`, one service's public state from its own socket. Per counter of a service
 * (by `counter_id` where the call has one, so a counter shared by two services is one tile) its
 * newest active call; the newest MOST_TILES across services, merged by `seq` (the box's one
 * event log, so the order across services is the order of the calls). Each tile carries its
 * `service: {id, name}` for "Counter 2 · Passports". Returns {tiles, newest} as counterTiles does.
 */
export function serviceTiles(feeds) {
  const byCounter = new Map()
  for (const feed of feeds ?? []) {
    const calls = Array.isArray(feed?.state?.calls) ? feed.state.calls : []
    for (const call of calls) {
      if (!call || typeof call.number !== 'string' || !call.number) continue
      const service = { id: call.service?.id ?? feed.id, name: call.service?.name ?? feed.state?.name ?? feed.name ?? '' }
      const counter = call.counter ?? null
      const key = call.counter_id ? `id:${call.counter_id}` : `${service.id}\u0000${counter ?? ''}`
      const seq = Number.isInteger(call.seq) ? call.seq : 0
      const held = byCounter.get(key)
      if (!held || seq > held.seq) byCounter.set(key, { number: call.number, counter, service, seq, key })
    }
  }
  const newestFirst = [...byCounter.values()].sort((a, b) => b.seq - a.seq).slice(0, MOST_TILES)
  const newest = newestFirst[0] ?? null
  const order = (tile) => `${tile.counter ?? ''}\u0000${tile.service.name}`
  const tiles = [...newestFirst].sort((a, b) => compareNames(order(a), order(b)))
  return { tiles, newest }
}

/** Which services a TV shows, from its address's `?services=`: 'all', a list of ids, or null (none asked). */
export function servicesParam(search) {
  const raw = new URLSearchParams(String(search ?? '')).get('services')
  if (raw === null) return null
  if (raw.trim().toLowerCase() === 'all') return 'all'
  const ids = [...new Set(raw.split(',').map((id) => id.trim()).filter(Boolean))]
  return ids.length ? ids : null
}
