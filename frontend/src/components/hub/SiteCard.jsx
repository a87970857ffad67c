import { useId, useState } from 'react'
import Button from '../Button.jsx'
import StatusRow from '../shared/StatusRow.jsx'
import { t } from '../../lib/strings.js'
import { contactLevel, countText, seenText, waitText } from './format.js'
import HourChart from './HourChart.jsx'
import ServiceFigures from './ServiceFigures.jsx'

// How the contact row looks: out of contact is a problem, not in contact yet a warning.
const TONE = { ok: 'ok', never: 'warning', stale: 'problem' }

function Contact({ site, now }) {
  const level = contactLevel(site.last_seen, now)
  const seen = seenText(site.last_seen, now)
  return (
    <StatusRow tone={TONE[level]} okLook="bg-emerald-50 text-emerald-950" data-testid="contact" data-level={level}>
      {level === 'never' ? (
        <>
          <p className="text-lg font-bold">{t('hub.neverSeen')}</p>
          <p className="text-base">{t('hub.neverSeenBody')}</p>
        </>
      ) : (
        <>
          <p className={`text-lg ${level === 'stale' ? 'font-bold' : 'font-semibold'}`}>{seen}</p>
          {level === 'stale' ? <p className="text-base font-semibold">{t('hub.stale')}</p> : null}
        </>
      )}
    </StatusRow>
  )
}

function Queues({ queues }) {
  const list = Array.isArray(queues) ? queues : []
  if (!list.length) return <p className="text-base text-stone-700">{t('hub.noQueues')}</p>
  return (
    <ul className="grid gap-2" aria-label={t('hub.queuesTitle')}>
      {list.map((queue) => (
        <li key={queue.queue_id ?? queue.name} className="flex flex-wrap items-baseline justify-between gap-2 rounded-xl bg-stone-100 p-3">
          <span className="text-lg font-bold wrap-anywhere">{queue.name}</span>
          <span className="text-lg">
            {`${queue.now_serving ? t('hub.nowServing', { number: queue.now_serving }) : t('hub.nobodyServed')} · ${Number.isFinite(queue.waiting) && queue.waiting > 0 ? t('hub.waiting', { count: queue.waiting }) : t('hub.nobodyWaiting')}`}
          </span>
        </li>
      ))}
    </ul>
  )
}

function Figures({ today, yesterday }) {
  const rows = [
    ['hub.served', (day) => countText(day?.served)],
    ['hub.avgWait', (day) => waitText(day?.avg_wait_seconds)],
    ['hub.noShows', (day) => countText(day?.no_shows)],
  ]
  return (
    <table className="w-full text-start">
      <caption className="sr-only">{t('hub.statsTitle')}</caption>
      <thead>
        <tr>
          <td />
          <th scope="col" className="p-2 text-base font-semibold text-stone-700">
            {t('hub.today')}
          </th>
          <th scope="col" className="p-2 text-base font-semibold text-stone-700">
            {t('hub.yesterday')}
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([key, value]) => (
          <tr key={key} className="border-t border-stone-300">
            <th scope="row" className="p-2 text-base font-semibold text-stone-700">
              {t(key)}
            </th>
            <td className="p-2 text-2xl font-black tabular-nums">{value(today)}</td>
            <td className="p-2 text-2xl font-black tabular-nums">{value(yesterday)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function Downloads({ site, onDownload }) {
  const [busy, setBusy] = useState(null) // "today" | "yesterday"
  const [failure, setFailure] = useState(null)

  async function download(which, kind) {
    const day = site[which]?.day
    if (!day || busy) return
    setBusy(`${kind}:${which}`)
    setFailure(null)
    const answer = await onDownload(site, day, kind)
    setBusy(null)
    if (!answer?.ok && answer?.message) setFailure(answer.message)
  }

  return (
    <div className="grid gap-2">
      <div className="flex flex-wrap gap-3">
        {[
          ['today', 'tickets', 'hub.csvToday'],
          ['yesterday', 'tickets', 'hub.csvYesterday'],
          ['today', 'figures', 'hub.figuresCsvToday'],
          ['yesterday', 'figures', 'hub.figuresCsvYesterday'],
        ].map(([which, kind, key]) => (
          <Button
            key={`${kind}:${which}`}
            kind="secondary"
            className="sm:w-auto!"
            disabled={!site[which]?.day || busy !== null}
            aria-label={t('hub.csvLabel', { action: t(key), day: site[which]?.day ?? '', name: site.name })}
            onClick={() => download(which, kind)}
          >
            {busy === `${kind}:${which}` ? t('hub.downloading') : t(key)}
          </Button>
        ))}
      </div>
      <div role="status" aria-live="polite">
        {failure ? <p className="text-lg font-semibold text-red-800">{t('hub.csvFailed', { reason: failure })}</p> : null}
      </div>
    </div>
  )
}

/** One venue: contact, queues, today's and yesterday's figures (and per service), today's chart and CSV downloads. */
export default function SiteCard({ site, now, onDownload }) {
  const id = useId()
  const events = Number.isFinite(site.events) ? site.events : null
  return (
    <article aria-labelledby={`${id}-name`} className="grid content-start gap-4 rounded-2xl bg-white p-5 shadow-sm ring-1 ring-stone-300">
      <header className="grid gap-1">
        <h3 id={`${id}-name`} className="text-2xl font-black wrap-anywhere">
          {site.name}
        </h3>
        <p className="text-base text-stone-700 wrap-anywhere">
          {t('hub.deviceId', { id: site.device_id })}
          {events === null ? null : ` · ${events > 0 ? t('hub.events', { count: events }) : t('hub.eventsNone')}`}
        </p>
      </header>
      <Contact site={site} now={now} />
      <section className="grid gap-2">
        <h4 className="text-xl font-bold">{t('hub.queuesTitle')}</h4>
        <Queues queues={site.queues} />
      </section>
      <section className="grid gap-2">
        <h4 className="text-xl font-bold">{t('hub.statsTitle')}</h4>
        <Figures today={site.today} yesterday={site.yesterday} />
      </section>
      <ServiceFigures services={site.today?.services} />
      <HourChart waitsPerHour={site.today?.waits_per_hour} testId={`chart-${site.device_id}`} />
      <Downloads site={site} onDownload={onDownload} />
    </article>
  )
}
