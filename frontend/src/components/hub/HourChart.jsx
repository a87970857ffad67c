import HourBars from '../shared/HourBars.jsx'
import { waitMinutes } from './format.js'

/**
 * The hub's `waits_per_hour` as bars: every hour from the first to the last with a call
 * (gaps included), each {hour, count, averageWait (seconds or null)}.
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
  const bars = []
  for (let hour = Math.min(...hours); hour <= Math.max(...hours); hour++) {
    bars.push({ hour, count: byHour.get(hour)?.count ?? 0, averageWait: byHour.get(hour)?.averageWait ?? null })
  }
  return bars
}

/** Today's average wait per hour at one site: the host dashboard's chart, fed by the hub's figures. */
export default function HourChart({ waitsPerHour, testId }) {
  return <HourBars bars={hourBars(waitsPerHour)} minutes={waitMinutes} keys="hub" testId={testId} />
}
