import { t } from '../../lib/strings.js'
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
  const bars = hourBars(waitsPerHour)
  const tallest = Math.max(1, ...bars.map((bar) => bar.averageWait ?? 0))
  return (
    <figure className="grid gap-2">
      <figcaption className="text-lg font-semibold">{t('hub.chart')}</figcaption>
      {bars.length === 0 ? (
        <p className="text-base text-stone-700">{t('hub.chartEmpty')}</p>
      ) : (
        <ul className="flex h-40 items-end gap-1 overflow-x-auto border-b-2 border-stone-700 pb-0" data-testid={testId}>
          {bars.map((bar) => {
            const minutes = waitMinutes(bar.averageWait)
            const label =
              bar.averageWait === null
                ? t('hub.barEmpty', { hour: bar.hour })
                : t('hub.bar', { hour: bar.hour, minutes, count: bar.count })
            return (
              <li key={bar.hour} title={label} className="flex h-full min-w-8 flex-1 flex-col items-center justify-end">
                <span className="sr-only">{label}</span>
                <span aria-hidden="true" className="text-sm font-semibold tabular-nums">
                  {minutes ?? ''}
                </span>
                <span
                  aria-hidden="true"
                  className="w-full rounded-t bg-blue-800"
                  style={{ height: bar.averageWait === null ? '0' : `${Math.max(2, Math.round((bar.averageWait / tallest) * 70))}%` }}
                />
                <span aria-hidden="true" className="pt-1 text-sm tabular-nums text-stone-800">
                  {bar.hour}
                </span>
              </li>
            )
          })}
        </ul>
      )}
    </figure>
  )
}
