// /display/{queue_id}: the TV in the waiting room (Chromium in kiosk mode, 1920×1080 or a
// portrait screen), read from five metres away. One tile per counter with its current call, the
// newest highlighted; follows the public channel; chimes on every call, then says it (issue 16:
// the box's voice, queued so that calls never overlap; `?voice=off` keeps the chime alone); reloads
// itself when it has gone stale.
import { useEffect, useRef } from 'react'
import { voiceUrl } from '../components/screens/announcer.js'
import { prepareChime, playChime } from '../components/screens/chime.js'
import NowServing from '../components/screens/NowServing.jsx'
import { useTvVoice } from '../components/screens/useDisplayControl.js'
import { useStaleReload } from '../components/screens/useStaleReload.js'
import VenueHeader from '../components/venue/VenueHeader.jsx'
import { useNow } from '../hooks/useNow.js'
import { useScreenVenue } from '../hooks/useVenue.js'
import { useWebSocket } from '../hooks/useWebSocket.js'
import { getQueue } from '../lib/api.js'
import { displayTokenKey, paths } from '../lib/screensApi.js'
import { t } from '../lib/strings.js'
import '../lib/strings.screens.js'
import { minutesUp, remaining } from '../lib/time.js'
import { CALLS, clockText, counterTiles, fitWidthEm, measureEm, tileGrid } from '../components/screens/calls.js'

const defaultReload = () => globalThis.location?.reload()

/**
 * `brand` (a node before the queue's name) and `footer` (a node under everything) are the seams
 * for the venue's own name, logo and footer line; the TV draws no branding of its own.
 */
export default function DisplayView({
  queueId,
  chime = playChime,
  reload = defaultReload,
  probe,
  brand = null,
  footer = null,
  measure = measureEm,
  search = globalThis.location?.search,
  makeAudio,
  makeApi,
}) {
  const { voice, announcerNow, chimeRef } = useTvVoice({ tokenKey: displayTokenKey(queueId), search, chime, makeAudio, makeApi })
  const lastHeard = useRef(null) // when the last message came (ms); useStaleReload counts from its start before one
  const known = useRef(null) // the feed's seq we have seen, so a replayed call does not chime again

  const { state: queue, connection, updatedAt, error } = useWebSocket(`/ws/queues/${encodeURIComponent(queueId)}`, {
    fallback: () => getQueue(queueId),
    onMessage: (message) => {
      lastHeard.current = Date.now()
      // What the TV shows comes with every message's state (`calls`); the events only chime.
      if (message?.type === 'snapshot') {
        known.current = Number.isInteger(message.seq) ? message.seq : null
      } else if (message?.type === 'update' && Array.isArray(message.events)) {
        // The hook may hand over a replayed or older update: only events after what we know count.
        const since = known.current
        const fresh = message.events.filter((e) => since === null || (Number.isInteger(e?.seq) && e.seq > since))
        if (!fresh.length) return
        known.current = Math.max(since ?? 0, ...fresh.map((e) => (Number.isInteger(e?.seq) ? e.seq : 0)))
        const calls = fresh.filter((e) => CALLS.has(e?.type))
        if (voice && calls.length) {
          // each call (and recall) said in turn: the chime, then its voice
          for (const e of calls) announcerNow().announce(Number.isInteger(e.seq) ? voiceUrl(queueId, e.seq) : null)
        } else if (calls.length) {
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
        <div className="flex flex-1 flex-col items-center justify-center gap-[3vmin] text-center">
          <h1 className="text-[7vmin] font-black">{t('display.notFoundTitle')}</h1>
          <p className="text-[4vmin]">{t('display.notFoundBody')}</p>
        </div>
      </Screen>
    )
  }

  const badge =
    connection === 'open' ? null : (
      <p role="status" className="rounded-2xl bg-red-700 px-[2vmin] py-[0.8vmin] text-[3.5vmin] font-bold text-white ring-4 ring-white">
        {connection === 'connecting' ? t('display.connecting') : t('display.offline')}
      </p>
    )

  const clock = (
    <p className="text-[6vmin] font-bold tabular-nums leading-none">
      <span className="sr-only">{t('display.time')} </span>
      <time>{clockText(now)}</time>
    </p>
  )

  if (!queue) {
    return (
      <Screen>
        <header className="flex items-center justify-end gap-[3vmin]">
          {badge}
          {clock}
        </header>
        <p className="flex flex-1 items-center justify-center text-[6vmin]">{t('app.loading')}</p>
      </Screen>
    )
  }

  const { tiles, newest } = counterTiles(queue)
  const grid = tileGrid(tiles.length)
  // Every tile's number (and label) at one size, the longest's: a row of even numbers reads calmer.
  // Widths as this browser draws them (measured), so the numbers are as big as the tile allows.
  const numberWidth = Math.max(1, ...tiles.map((tile) => fitWidthEm(tile.number, 900, measure))).toFixed(3)
  const labelWidth = Math.max(1, ...tiles.map((tile) => fitWidthEm(counterLabel(tile), 800, measure))).toFixed(3)

  return (
    <Screen footer={footer}>
      <header className="flex items-center justify-between gap-[3vmin]">
        <div className="flex min-w-0 items-center gap-[2vmin]">
          {brand}
          <h1 className="min-w-0 text-[5vmin] leading-tight font-bold break-words">{queue.name}</h1>
        </div>
        <div className="flex shrink-0 items-center gap-[3vmin]">
          {badge}
          <section aria-labelledby="waiting-label" className="flex items-baseline gap-[1.5vmin] rounded-[2vmin] bg-stone-800 px-[2.5vmin] py-[0.5vmin]">
            <h2 id="waiting-label" className="text-[3.5vmin] font-semibold text-stone-200">
              {t('display.waiting')}
            </h2>
            <p className="text-[6vmin] font-black leading-none tabular-nums">{queue.waiting_count}</p>
          </section>
          {clock}
        </div>
      </header>

      <LineStatus queue={queue} updatedAt={updatedAt} now={now} />

      <div className="tv-main">
        <NowServing grid={grid} empty={!tiles.length}>
          {tiles.map((tile) => (
            <CallTile
              key={`${tile.key}:${tile.seq}`}
              tile={tile}
              isNewest={tile === newest}
              numberWidth={numberWidth}
              labelWidth={labelWidth}
            />
          ))}
        </NowServing>

        <aside className="tv-join rounded-[3vmin] bg-white p-[2.5vmin] text-stone-950">
          <img src={paths.joinQr(queueId)} alt={t('display.qrAlt')} className="tv-join-qr" />
          <div className="tv-join-text">
            <h2 className="text-[4.5vmin] font-black leading-tight">{t('display.scanToJoin')}</h2>
            <p className="text-[3vmin] font-semibold">{t('display.scanHint')}</p>
          </div>
        </aside>
      </div>

      <div aria-live="polite" aria-atomic="true" className="sr-only">
        {newest
          ? newest.counter
            ? t('display.announce', { number: newest.number, counter: newest.counter })
            : t('display.announceNoCounter', { number: newest.number })
          : ''}
      </div>
    </Screen>
  )
}

/**
 * One counter's current call: its number and counter on one line each, sized from their length
 * to the tile (container query units, see index.css), never wrapped, clipped or shortened. The
 * newest call is highlighted, and flashes for a few seconds unless the TV asks for reduced motion.
 */
function CallTile({ tile, isNewest, numberWidth, labelWidth }) {
  const label = counterLabel(tile)
  return (
    <li
      className={isNewest ? 'tv-tile tv-tile-newest' : 'tv-tile'}
      data-newest={isNewest ? 'true' : undefined}
      data-counter={tile.counter ?? ''}
    >
      <div className={label === null ? 'tv-tile-body tv-tile-alone' : 'tv-tile-body'}>
        <span className="tv-number" dir="ltr" style={{ '--w': numberWidth }}>
          {tile.number}
        </span>
        {label === null ? null : (
          <span className="tv-counter" style={{ '--w': labelWidth }}>
            {label}
          </span>
        )}
      </div>
    </li>
  )
}

function counterLabel(tile) {
  return tile.counter === null ? null : t('display.counter', { counter: tile.counter })
}

function Screen({ children, footer = null }) {
  return (
    <div className="flex h-dvh w-full cursor-none flex-col gap-[2.5vmin] overflow-hidden bg-stone-950 p-[3vmin] text-white">
      <VenueHeader tone="dark" size="screen" />
      {children}
      {footer}
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
    <section role="status" className="grid gap-[1vmin]">
      {title ? (
        <div className={`flex flex-wrap items-baseline gap-x-[3vmin] rounded-[2vmin] px-[3vmin] py-[1.5vmin] ${tone}`}>
          <p className="text-[7vmin] font-black leading-tight">{title}</p>
          {body ? <p className="text-[4.5vmin] font-bold">{body}</p> : null}
        </div>
      ) : null}
      {closedCounters.length ? (
        <ul className="flex flex-wrap gap-[1.5vmin]">
          {closedCounters.map((c) => {
            const left = remaining(c.back_in_seconds, updatedAt, now)
            return (
              <li key={c.name} className="rounded-[1.5vmin] bg-amber-300 px-[2.5vmin] py-[0.6vmin] text-[3.5vmin] font-bold text-stone-950">
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
