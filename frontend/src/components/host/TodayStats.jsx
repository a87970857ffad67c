import { useMemo } from 'react'
import { t } from '../../lib/strings.js'
import { computeStats, roundMinutes } from './stats.js'

function Figure({ label, value, testId }) {
  return (
    <div className="grid gap-1 rounded-xl bg-stone-100 p-3">
      <dt className="text-base font-semibold text-stone-700">{label}</dt>
      <dd data-testid={testId} className="text-3xl font-black tabular-nums">
        {value}
      </dd>
    </div>
  )
}

/** Today's served, no-shows and average wait, and the average wait per hour as bars. */
export default function TodayStats({ tickets }) {
  const stats = useMemo(() => computeStats(tickets), [tickets])
  const average = roundMinutes(stats.averageWait)
  const tallest = Math.max(1, ...stats.byHour.map((b) => b.averageWait ?? 0))
  return (
    <section aria-labelledby="host-stats-title" className="grid gap-4 rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-300">
      <h2 id="host-stats-title" className="text-2xl font-bold">
        {t('host.stats.title')}
      </h2>
      <dl className="grid grid-cols-3 gap-2">
        <Figure label={t('host.stats.served')} value={stats.served} testId="stat-served" />
        <Figure label={t('host.stats.noShows')} value={stats.noShows} testId="stat-no-shows" />
        <Figure
          label={t('host.stats.avgWait')}
          value={average === null ? t('host.stats.none') : t('host.minutes', { minutes: average })}
          testId="stat-avg-wait"
        />
      </dl>
      <figure className="grid gap-2">
        <figcaption className="text-lg font-semibold">{t('host.stats.chart')}</figcaption>
        {stats.byHour.length === 0 ? (
          <p className="text-base text-stone-700">{t('host.stats.chartEmpty')}</p>
        ) : (
          <ul className="flex h-40 items-end gap-1 overflow-x-auto border-b-2 border-stone-700 pb-0" data-testid="wait-chart">
            {stats.byHour.map((bar) => {
              const minutes = roundMinutes(bar.averageWait)
              const label =
                bar.averageWait === null
                  ? t('host.stats.barEmpty', { hour: bar.hour })
                  : t('host.stats.bar', { hour: bar.hour, minutes, count: bar.count })
              return (
                <li key={bar.start} title={label} className="flex h-full min-w-8 flex-1 flex-col items-center justify-end">
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
    </section>
  )
}
