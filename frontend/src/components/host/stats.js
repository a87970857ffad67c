// Today's numbers, computed from the day's ticket list (the server has no stats endpoint).

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
 * `byHour` lists every hour from the first to the last call of the day (gaps included,
 * across midnight too) as {start (ms), hour (0-23, this tablet's local time), count,
 * averageWait}.
 */
export function computeStats(tickets) {
  let served = 0
  let noShows = 0
  let total = 0
  let called = 0
  const hours = new Map()
  for (const ticket of tickets ?? []) {
    if (ticket.status === 'COMPLETED') served += 1
    if (ticket.status === 'NO_SHOW') noShows += 1
    const wait = waitMinutes(ticket)
    if (wait === null) continue
    called += 1
    total += wait
    const start = localHourStart(time(ticket.called_at))
    const bucket = hours.get(start) ?? { count: 0, sum: 0 }
    bucket.count += 1
    bucket.sum += wait
    hours.set(start, bucket)
  }
  const byHour = []
  if (hours.size) {
    const keys = [...hours.keys()]
    const last = Math.max(...keys)
    // A day has at most 25 local hours; the guard keeps a wild timestamp from drawing thousands.
    for (let start = Math.min(...keys), n = 0; start <= last && n < 48; n++) {
      const bucket = hours.get(start)
      byHour.push({
        start,
        hour: new Date(start).getHours(),
        count: bucket?.count ?? 0,
        averageWait: bucket ? bucket.sum / bucket.count : null,
      })
      start = localHourStart(start + 90 * 60000) // the next hour, safe across DST changes
    }
  }
  return { served, noShows, called, averageWait: called ? total / called : null, byHour }
}

/** A duration in minutes as the host reads it: whole minutes, "< 1" below one. */
export function roundMinutes(minutes) {
  if (minutes === null || minutes === undefined) return null
  return minutes > 0 && minutes < 1 ? '< 1' : String(Math.round(minutes))
}
