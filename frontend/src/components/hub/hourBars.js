import { axisHours } from '../shared/hourAxis.js'

/**
 * The hub's `waits_per_hour` as the chart's hour axis: every hour from the first to the last
 * with a call (gaps included), at least 8 hours, each {hour, count (guests called),
 * averageWait (seconds, null for an hour without a call)}.
 */
export function hourBars(waitsPerHour) {
  const byHour = new Map()
  for (const entry of Array.isArray(waitsPerHour) ? waitsPerHour : []) {
    const hour = entry?.hour
    const seconds = entry?.avg_wait_seconds
    if (!Number.isInteger(hour) || hour < 0 || hour > 23) continue
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || !(entry.called > 0)) continue
    byHour.set(hour, { count: entry.called, averageWait: Math.max(0, seconds) })
  }
  if (!byHour.size) return []
  const hours = [...byHour.keys()]
  return axisHours(Math.min(...hours), Math.max(...hours)).map((hour) => ({
    hour,
    count: byHour.get(hour)?.count ?? 0,
    averageWait: byHour.get(hour)?.averageWait ?? null,
  }))
}
