// The box's figures of the day (GET /api/stats, the same rows as the hub's and the CSV): per
// service and per counter and staff name, with the rows as a CSV file. The desk (/host) shows
// them folded behind "Today's figures"; a service's dashboard (/host/{queue_id}) shows its
// counters and staff below its own figures, and nothing when the box does not answer.
import { useEffect, useId, useMemo, useState } from 'react'
import Button from '../Button.jsx'
import Notice from './Notice.jsx'
import { hostErrorText } from './hostErrorText.js'
import { figureGroups } from './dayFigures.js'
import { clockTime, durationText } from '../../lib/format.js'
import { saveBlob } from '../../lib/download.js'
import { createStatsApi } from '../../lib/hostApi.js'
import { t } from '../../lib/strings.js'
import '../../lib/strings.host.js'

/** Asked again at most this often while shown, never on a live message. */
export const REFRESH_MS = 60 * 1000

const count = (value) => (typeof value === 'number' && Number.isFinite(value) ? String(value) : t('host.stats.none'))
const duration = (seconds) => durationText(seconds, 'host') ?? t('host.stats.none')

const SERVICE_FIGURES = [
  ['served', 'host.stats.served', (s) => count(s.served)],
  ['priority-served', 'host.figures.priorityServed', (s) => count(s.priority_served)],
  ['avg-wait', 'host.stats.avgWait', (s) => duration(s.waited_mean_seconds)],
  ['avg-service', 'host.figures.avgService', (s) => duration(s.served_time_mean_seconds)],
  ['no-shows', 'host.stats.noShows', (s) => count(s.no_shows)],
  ['transfers-out', 'host.figures.transfersOut', (s) => count(s.transfers_out)],
  ['transfers-in', 'host.figures.transfersIn', (s) => count(s.transfers_in)],
]
const COUNTER_FIGURES = SERVICE_FIGURES.filter(([name]) => ['served', 'avg-wait', 'avg-service', 'no-shows'].includes(name))

// A refusal that asking again will not change: the token cannot see figures (401 would also count
// against the address's failed-credential allowance), or the box has no figures.
const FINAL = new Set([401, 403, 404])

/** The day's answer while `open`: asked when it opens, then every REFRESH_MS while the page is
 * seen; a final refusal stops the asking. */
function useDayFigures(api, open) {
  const [state, setState] = useState({ data: null, error: null, loadedAt: null })
  useEffect(() => {
    if (!open) return undefined
    let stop = false
    let busy = false
    let timer = null
    async function load() {
      if (busy) return
      busy = true
      try {
        const data = await api.figures()
        if (!stop) setState({ data, error: null, loadedAt: Date.now() })
      } catch (error) {
        if (FINAL.has(error?.status)) clearInterval(timer)
        if (!stop) setState((s) => ({ ...s, error }))
      } finally {
        busy = false
      }
    }
    timer = setInterval(() => {
      if (globalThis.document?.visibilityState !== 'hidden') load()
    }, REFRESH_MS)
    load()
    return () => {
      stop = true
      clearInterval(timer)
    }
  }, [api, open])
  return state
}

function FigureList({ figures, row }) {
  return (
    <dl className="flex flex-wrap gap-x-5 gap-y-1">
      {figures.map(([name, label, value]) => (
        <div key={name} className="flex items-baseline gap-2">
          <dt className="text-base text-stone-700">{t(label)}</dt>
          <dd data-figure={name} className="text-lg font-black tabular-nums">
            {value(row)}
          </dd>
        </div>
      ))}
    </dl>
  )
}

function Cards({ title, heading: Heading, items, figures, testId }) {
  const id = useId()
  if (!items.length) return null
  const list = (
    <ul className="grid gap-2">
      {items.map((item) => (
        <li key={item.key} data-testid={testId} data-name={item.name} className="grid gap-1 rounded-xl bg-stone-100 p-3">
          <span className="text-lg font-bold wrap-anywhere">{item.name}</span>
          <FigureList figures={figures} row={item.row} />
        </li>
      ))}
    </ul>
  )
  if (!title) return list
  return (
    <section aria-labelledby={id} className="grid gap-2">
      <Heading id={id} className="text-xl font-bold">
        {title}
      </Heading>
      {list}
    </section>
  )
}

/** The CSV of the day's rows, fetched with the token and saved as a file. */
function Download({ api, day }) {
  const [busy, setBusy] = useState(false)
  const [notice, setNotice] = useState(null)
  async function download() {
    setBusy(true)
    setNotice(null)
    try {
      const { blob, filename } = await api.csv()
      saveBlob(blob, filename ?? `qode-stats-${day}.csv`, { message: t('host.error.no_download') })
    } catch (err) {
      setNotice({ tone: 'error', text: hostErrorText(err) })
    } finally {
      setBusy(false)
    }
  }
  return (
    <div>
      <Button kind="secondary" className="w-auto!" disabled={busy} onClick={download}>
        {busy ? t('host.figures.downloading') : t('host.figures.download')}
      </Button>
      <Notice notice={notice} />
    </div>
  )
}

function Panel({ api, data, error, loadedAt, queueId, services, heading }) {
  const { serviceItems, counterItems } = useMemo(() => figureGroups(data, queueId), [data, queueId])
  const day = data?.day ?? new Date().toISOString().slice(0, 10)
  return (
    <>
      {data === null && !error ? <p className="text-lg">{t('app.loading')}</p> : null}
      {data !== null && !serviceItems.length && !counterItems.length ? (
        <p className="text-lg" data-testid="figures-empty">
          {t('host.figures.empty')}
        </p>
      ) : null}
      {services ? (
        <Cards title={t('host.figures.services')} heading={heading} items={serviceItems} figures={SERVICE_FIGURES} testId="figures-service" />
      ) : null}
      <Cards title={services ? t('host.figures.counters') : null} heading={heading} items={counterItems} figures={COUNTER_FIGURES} testId="figures-counter" />
      <div>
        {/* A failed refresh says why; the last figures stay, with the time they are from. */}
        <Notice notice={error ? { tone: 'error', text: hostErrorText(error) } : null} />
        <div className="flex flex-wrap items-center justify-between gap-3">
          {loadedAt ? <p className="text-base text-stone-700">{t('host.figures.asOf', { time: clockTime(loadedAt) })}</p> : null}
          <Download api={api} day={day} />
        </div>
      </div>
    </>
  )
}

/**
 * `folded`: behind a "Today's figures" button, asked only while open, with each service's
 * figures and each counter's (the desk). Else always open, only the counters of `queueId`, and
 * nothing at all until (unless) the box answers: a token that cannot read them, or an older box.
 */
export default function DayFigures({ token, queueId = null, folded = false }) {
  const api = useMemo(() => createStatsApi(token), [token])
  const [opened, setOpened] = useState(false)
  const open = folded ? opened : true
  const { data, error, loadedAt } = useDayFigures(api, open)
  const id = useId()

  if (!folded) {
    if (!data || FINAL.has(error?.status)) return null
    return (
      <section aria-labelledby={id} data-testid="day-figures" className="grid gap-4 rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-300">
        <h2 id={id} className="text-2xl font-bold">
          {t('host.figures.counters')}
        </h2>
        <Panel api={api} data={data} error={error} loadedAt={loadedAt} queueId={queueId} services={false} />
      </section>
    )
  }
  return (
    <section aria-labelledby={`${id}-title`} data-testid="day-figures" className="grid gap-4 rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-300">
      <h2 id={`${id}-title`} className="text-xl font-bold">
        <Button kind="secondary" aria-expanded={opened} aria-controls={`${id}-panel`} onClick={() => setOpened((o) => !o)}>
          <span aria-hidden="true" className="me-3 text-base">
            {opened ? '▲' : '▼'}
          </span>
          {t('host.figures.title')}
        </Button>
      </h2>
      <div id={`${id}-panel`} hidden={!opened} className="grid gap-4">
        {opened ? <Panel api={api} data={data} error={error} loadedAt={loadedAt} queueId={queueId} services heading="h3" /> : null}
      </div>
    </section>
  )
}
