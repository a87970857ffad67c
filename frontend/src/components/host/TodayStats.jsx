import { useMemo } from 'react'
import { t } from '../../lib/strings.js'
import '../../lib/strings.host.js'
import HourBars from '../shared/HourBars.jsx'
import { durationText, minutesText } from '../../lib/format.js'
import { computeStats, localHourStart } from './stats.js'

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

const hostDuration = (seconds) => durationText(seconds, 'host')

/** Today's served, no-shows and average wait, and the guests called each hour on an hour axis. */
export default function TodayStats({ tickets, now }) {
  // The axis runs up to the current hour: recomputed when the hour turns, not every tick.
  const hour = Number.isFinite(now) ? localHourStart(now) : undefined
  const stats = useMemo(() => computeStats(tickets, hour), [tickets, hour])
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
          value={minutesText(stats.averageWait, 'host') ?? t('host.stats.none')}
          testId="stat-avg-wait"
        />
      </dl>
      <HourBars bars={stats.byHour} duration={hostDuration} keys="host.stats" testId="wait-chart" />
    </section>
  )
}
