// Today's numbers, computed from the day's ticket list (the server has no stats endpoint).
import { widen } from '../shared/hourAxis.js'

function time(iso) {
  if (!iso) return null
  const ms = Date.parse(iso)
  return Number.isFinite(ms) ? ms : null
}

/** Minutes between a ticket's creation and its (last) call, or null when not called. */
export function waitMinutes(ticket) {
  const created = time(ticket.created_at)
  const called = time(ticket.called_at)
  if (created === null || called === null) return null
  return Math.max(0, called - created) / 60000
}

/** The start (ms) of the local hour that `ms` falls in. */
export function localHourStart(ms) {
  const d = new Date(ms)
  d.setMinutes(0, 0, 0)
  return d.getTime()
}

/**
 * {served, noShows, called, averageWait (minutes, null when nobody was called), byHour}.
 * `byHour` is the chart's hour axis: every hour from the first ticket of the day to the last
 * call (or `now`, when given), at least 8 hours (the rest of today first, then earlier ones),
 * gaps included, each {start (ms), hour (0-23, this tablet's local time), count (guests
 * called), averageWait (seconds, null for an hour without a call)}.
 */
export function computeStats(tickets, now) {
  let served = 0
  let noShows = 0
  let total = 0
  let called = 0
  let first = null
  let last = null
  const hours = new Map()
  for (const ticket of tickets ?? []) {
    if (ticket.status === 'COMPLETED') served += 1
    if (ticket.status === 'NO_SHOW') noShows += 1
    const created = time(ticket.created_at)
    if (created !== null) first = first === null ? created : Math.min(first, created)
    const wait = waitMinutes(ticket)
    if (wait === null) continue
    called += 1
    total += wait
    const at = time(ticket.called_at)
    first = first === null ? at : Math.min(first, at)
    last = last === null ? at : Math.max(last, at)
    const start = localHourStart(at)
    const bucket = hours.get(start) ?? { count: 0, sum: 0 }
    bucket.count += 1
    bucket.sum += wait
    hours.set(start, bucket)
  }
  const byHour = []
  if (first !== null) {
    // Up to now, if now is later the same day; a wild timestamp must not draw thousands of hours.
    let end = localHourStart(Math.max(last ?? first, Number.isFinite(now) && now - first < DAY ? now : first))
    let begin = localHourStart(first)
    const span = Math.min(24, Math.round((end - begin) / HOUR) + 1)
    const { after, before } = widen(span, new Date(end).getHours(), MIN_HOURS)
    end += after * HOUR
    begin -= before * HOUR
    for (let start = localHourStart(begin), n = 0; n < 24 && start <= end; n++) {
      const bucket = hours.get(start)
      byHour.push({
        start,
        hour: new Date(start).getHours(),
        count: bucket?.count ?? 0,
        averageWait: bucket ? (bucket.sum / bucket.count) * 60 : null,
      })
      start = localHourStart(start + 90 * 60000) // the next hour, safe across DST changes
    }
  }
  return { served, noShows, called, averageWait: called ? total / called : null, byHour }
}

const HOUR = 3600 * 1000
const DAY = 24 * HOUR
const MIN_HOURS = 8
