import { t } from '../../lib/strings.js'

/**
 * The average wait of the guests called each hour, as bars: the host's today and the hub's
 * sites. `bars` are {hour, count, averageWait (null for an hour without a call), start (an
 * optional key)}; `minutes(averageWait)` says a bar's wait in whole minutes. `keys` is the
 * page's dictionary prefix ("host.stats", "hub"): its chart, chartEmpty, bar and barEmpty texts.
 */
export default function HourBars({ bars, minutes: toMinutes, keys, testId }) {
  const tallest = Math.max(1, ...bars.map((bar) => bar.averageWait ?? 0))
  return (
    <figure className="grid gap-2">
      <figcaption className="text-lg font-semibold">{t(`${keys}.chart`)}</figcaption>
      {bars.length === 0 ? (
        <p className="text-base text-stone-700">{t(`${keys}.chartEmpty`)}</p>
      ) : (
        <ul className="flex h-40 items-end gap-1 overflow-x-auto border-b-2 border-stone-700 pb-0" data-testid={testId}>
          {bars.map((bar) => {
            const minutes = toMinutes(bar.averageWait)
            const label =
              bar.averageWait === null
                ? t(`${keys}.barEmpty`, { hour: bar.hour })
                : t(`${keys}.bar`, { hour: bar.hour, minutes, count: bar.count })
            return (
              <li key={bar.start ?? bar.hour} title={label} className="flex h-full min-w-8 flex-1 flex-col items-center justify-end">
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
