// /display/{queue_id}: the TV in the waiting room (Chromium in kiosk mode, 1920×1080), read
// from five metres away. Follows the public channel; chimes on every call; reloads itself
// when it has gone stale.
import { useEffect, useRef, useState } from 'react'
import { prepareChime, playChime } from '../components/screens/chime.js'
import { useStaleReload } from '../components/screens/useStaleReload.js'
import VenueHeader from '../components/venue/VenueHeader.jsx'
import { useNow } from '../hooks/useNow.js'
import { useScreenVenue } from '../hooks/useVenue.js'
import { useWebSocket } from '../hooks/useWebSocket.js'
import { getQueue } from '../lib/api.js'
import { paths } from '../lib/screensApi.js'
import { t } from '../lib/strings.js'
import '../lib/strings.screens.js'
import { minutesUp, remaining } from '../lib/time.js'
import { CALLS, clockText, mergeCalls } from '../components/screens/calls.js'

function numberPart(number) {
  const digits = /(\d+)$/.exec(String(number ?? ''))
  return digits ? Number(digits[1]) : null
}

const defaultReload = () => globalThis.location?.reload()

export default function DisplayView({ queueId, chime = playChime, reload = defaultReload, probe }) {
  const lastHeard = useRef(null) // when the last message came (ms); useStaleReload counts from its start before one
  const known = useRef({ calls: [], seq: null })
  const [calls, setCalls] = useState([])
  const chimeRef = useRef(chime)
  useEffect(() => {
    chimeRef.current = chime
  })

  const { state: queue, connection, updatedAt, error } = useWebSocket(`/ws/queues/${encodeURIComponent(queueId)}`, {
    fallback: () => getQueue(queueId),
    onMessage: (message) => {
      lastHeard.current = Date.now()
      if (message?.type === 'snapshot') {
        const list = mergeCalls([], [...(Array.isArray(message.recent) ? message.recent : [])].reverse())
        known.current = { calls: list, seq: Number.isInteger(message.seq) ? message.seq : null }
        setCalls(list)
      } else if (message?.type === 'update' && Array.isArray(message.events)) {
        // The hook may hand over a replayed or older update: only events after what we know count.
        const since = known.current.seq
        const fresh = message.events.filter((e) => since === null || (Number.isInteger(e?.seq) && e.seq > since))
        if (!fresh.length) return
        const list = mergeCalls(known.current.calls, fresh)
        const seq = Math.max(since ?? 0, ...fresh.map((e) => (Number.isInteger(e?.seq) ? e.seq : 0)))
        known.current = { calls: list, seq }
        setCalls(list)
        if (fresh.some((e) => CALLS.has(e?.type))) {
          try {
            chimeRef.current?.()
          } catch {
            // no sound today; the number still changes
          }
        }
      }
    },
  })

  useEffect(() => (chime === playChime ? prepareChime() : undefined), [chime])

  useStaleReload({
    lastHeardRef: lastHeard,
    reload,
    probe: probe ?? (() => getQueue(queueId)),
  })

  const now = useNow(1000)
  useScreenVenue(queue?.name) // issue 14: the venue's language and the tab's title

  if (error?.code === 'not_found') {
    return (
      <Screen>
        <div className="flex flex-1 flex-col items-center justify-center gap-[3vh] text-center">
          <h1 className="text-[7vh] font-black">{t('display.notFoundTitle')}</h1>
          <p className="text-[4vh]">{t('display.notFoundBody')}</p>
        </div>
      </Screen>
    )
  }

  const badge =
    connection === 'open' ? null : (
      <p role="status" className="rounded-2xl bg-red-700 px-[2vh] py-[0.8vh] text-[3.5vh] font-bold text-white ring-4 ring-white">
        {connection === 'connecting' ? t('display.connecting') : t('display.offline')}
      </p>
    )

  const clock = (
    <p className="text-[6vh] font-bold tabular-nums leading-none">
      <span className="sr-only">{t('display.time')} </span>
      <time>{clockText(now)}</time>
    </p>
  )

  if (!queue) {
    return (
      <Screen>
        <header className="flex items-center justify-end gap-[3vh]">
          {badge}
          {clock}
        </header>
        <p className="flex flex-1 items-center justify-center text-[6vh]">{t('app.loading')}</p>
      </Screen>
    )
  }

  // The newest call is what the room needs to see (a recall of an older number included). While
  // the socket is down, a REST refresh may know a newer number than our calls: show that instead.
  let current = queue.now_serving ? (calls[0] ?? null) : null
  if (queue.now_serving && (!current || (connection !== 'open' && !calls.some((c) => c.number === queue.now_serving)))) {
    current = { number: queue.now_serving, counter: null, seq: null }
  }
  const seen = new Set(current ? [current.number] : [])
  const previous = []
  if (current) {
    for (const call of calls) {
      if (seen.has(call.number)) continue
      // Yesterday's calls in the server's last five: numbers restart each day.
      const n = numberPart(call.number)
      if (n !== null && Number.isInteger(queue.last_number_issued) && n > queue.last_number_issued) continue
      seen.add(call.number)
      previous.push(call)
    }
  }

  return (
    <Screen>
      <header className="flex items-center justify-between gap-[3vh]">
        <h1 className="min-w-0 truncate text-[5vh] font-bold">{queue.name}</h1>
        <div className="flex shrink-0 items-center gap-[4vh]">
          {badge}
          <section aria-labelledby="waiting-label" className="flex items-baseline gap-[1.5vh] rounded-[2vh] bg-stone-800 px-[2.5vh] py-[0.5vh]">
            <h2 id="waiting-label" className="text-[4vh] font-semibold text-stone-200">
              {t('display.waiting')}
            </h2>
            <p className="text-[7vh] font-black leading-none tabular-nums">{queue.waiting_count}</p>
          </section>
          {clock}
        </div>
      </header>

      <LineStatus queue={queue} updatedAt={updatedAt} now={now} />

      <div className="grid min-h-0 flex-1 grid-cols-[2fr_1fr] gap-[2.5vh]">
        <section
          aria-labelledby="now-serving"
          className="flex min-w-0 flex-col items-center justify-center gap-[2vh] rounded-[3vh] bg-stone-900 p-[3vh] text-center ring-2 ring-stone-700"
        >
          <h2 id="now-serving" className="text-[5.5vh] font-semibold uppercase tracking-wide text-stone-200">
            {t('display.nowServing')}
          </h2>
          {current ? (
            <>
              <p
                key={current.seq ?? current.number}
                className="max-w-full break-all text-[24vh] font-black leading-[0.95] tabular-nums text-white"
              >
                {current.number}
              </p>
              {current.counter ? (
                <p className="rounded-[2vh] bg-emerald-300 px-[3vh] py-[1vh] text-[9vh] font-black leading-tight text-stone-950">
                  {t('display.counter', { counter: current.counter })}
                </p>
              ) : null}
            </>
          ) : (
            <>
              <p className="text-[20vh] font-black leading-none text-stone-400" aria-hidden="true">
                —
              </p>
              <p className="text-[4.5vh] text-stone-200">{t('display.nobodyYet')}</p>
            </>
          )}
        </section>

        <aside className="flex min-h-0 min-w-0 flex-col">
          <section className="flex min-h-0 flex-1 flex-col items-center justify-center gap-[1.5vh] rounded-[3vh] bg-white p-[2.5vh] text-center text-stone-950">
            <h2 className="shrink-0 text-[5vh] font-black leading-tight">{t('display.scanToJoin')}</h2>
            <img
              src={paths.joinQr(queueId)}
              alt={t('display.qrAlt')}
              className="min-h-0 w-full flex-1 object-contain"
            />
            <p className="shrink-0 text-[3.2vh] font-semibold">{t('display.scanHint')}</p>
          </section>
        </aside>
      </div>

      {previous.length ? (
        <section aria-labelledby="previous-calls" className="flex items-center gap-[3vh]">
          <h2 id="previous-calls" className="shrink-0 text-[3.5vh] font-semibold text-stone-200">
            {t('display.previous')}
          </h2>
          <ol className="flex min-w-0 flex-1 gap-[2vh] overflow-hidden">
            {previous.slice(0, 4).map((call) => (
              <li
                key={call.seq}
                className="flex min-w-0 flex-1 items-baseline justify-center gap-[1.5vh] rounded-[2vh] bg-stone-800 px-[2vh] py-[1vh]"
              >
                <span className="text-[6vh] font-black tabular-nums">{call.number}</span>
                {call.counter ? (
                  <span className="truncate text-[3.2vh] text-stone-200">{t('display.counter', { counter: call.counter })}</span>
                ) : null}
              </li>
            ))}
          </ol>
        </section>
      ) : null}

      <div aria-live="polite" aria-atomic="true" className="sr-only">
        {current
          ? current.counter
            ? t('display.announce', { number: current.number, counter: current.counter })
            : t('display.announceNoCounter', { number: current.number })
          : ''}
      </div>
    </Screen>
  )
}

function Screen({ children }) {
  return (
    <div className="flex h-dvh w-full cursor-none flex-col gap-[2.5vh] overflow-hidden bg-stone-950 p-[3vh] text-white">
      <VenueHeader tone="dark" size="screen" />
      {children}
    </div>
  )
}

/** Paused, closed or every counter closed, with "back in", big enough to read from the door. */
function LineStatus({ queue, updatedAt, now }) {
  const backIn = remaining(queue.back_in_seconds, updatedAt, now)
  const back = backIn !== null && backIn > 0 ? t('display.backIn', { minutes: minutesUp(backIn) }) : null
  const counters = Array.isArray(queue.counters) ? queue.counters : []
  const allClosed = counters.length > 0 && counters.every((c) => !c.is_open)

  let title = null
  let body = null
  let tone = 'bg-amber-300 text-stone-950'
  if (!queue.active) {
    title = t('display.closed')
    body = t('display.closedBody')
    tone = 'bg-stone-200 text-stone-950'
  } else if (queue.is_paused) {
    title = t('display.paused')
    body = back ?? t('display.pausedBody')
  } else if (allClosed) {
    title = t('display.countersClosed')
    body = back
  }

  const closedCounters =
    queue.active && !queue.is_paused && !allClosed ? counters.filter((c) => !c.is_open) : []

  if (!title && !closedCounters.length) return null
  return (
    <section role="status" className="grid gap-[1vh]">
      {title ? (
        <div className={`flex flex-wrap items-baseline gap-x-[3vh] rounded-[2vh] px-[3vh] py-[1.5vh] ${tone}`}>
          <p className="text-[7vh] font-black leading-tight">{title}</p>
          {body ? <p className="text-[4.5vh] font-bold">{body}</p> : null}
        </div>
      ) : null}
      {closedCounters.length ? (
        <ul className="flex flex-wrap gap-[1.5vh]">
          {closedCounters.map((c) => {
            const left = remaining(c.back_in_seconds, updatedAt, now)
            return (
              <li key={c.name} className="rounded-[1.5vh] bg-amber-300 px-[2.5vh] py-[0.6vh] text-[3.5vh] font-bold text-stone-950">
                {left !== null && left > 0
                  ? t('display.counterClosedBack', { counter: c.name, minutes: minutesUp(left) })
                  : t('display.counterClosed', { counter: c.name })}
              </li>
            )
          })}
        </ul>
      ) : null}
    </section>
  )
}
