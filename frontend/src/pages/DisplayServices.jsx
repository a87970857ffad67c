// /display?services=ID,ID or /display?services=all: the TV of several services (issue 15). One
// public socket per service (the same /ws/queues/{id} as /display/{queue_id}; no new server
// path), their calls merged by the box's event order: one tile per counter with its newest call,
// each reading "P001 → Counter 2 · Passports". Chimes on every call, then says it (issue 16: the
// box's voice, queued; `&voice=off` keeps the chime alone), reloads itself when stale.
import { useCallback, useEffect, useRef, useState } from 'react'
import { voiceUrl } from '../components/screens/announcer.js'
import { prepareChime, playChime } from '../components/screens/chime.js'
import NowServing from '../components/screens/NowServing.jsx'
import { useTvVoice } from '../components/screens/useDisplayControl.js'
import { CALLS, clockText, fitWidthEm, measureEm, serviceTiles, servicesParam, sharedWidths, tileGrid } from '../components/screens/calls.js'
import { useStaleReload } from '../components/screens/useStaleReload.js'
import VenueHeader from '../components/venue/VenueHeader.jsx'
import { useNow } from '../hooks/useNow.js'
import { useServices } from '../hooks/useServices.js'
import { useScreenVenue } from '../hooks/useVenue.js'
import { useWebSocket } from '../hooks/useWebSocket.js'
import { getQueue, listServices } from '../lib/api.js'
import { displayTokenKey } from '../lib/screensApi.js'
import { t } from '../lib/strings.js'
import '../lib/strings.screens.js'

const defaultReload = () => globalThis.location?.reload()
const SERVICES_REFRESH_MS = 5 * 60 * 1000 // ?services=all: a service added in setup appears

export default function DisplayServices({
  search = globalThis.location?.search,
  chime = playChime,
  reload = defaultReload,
  probe,
  brand = null,
  footer = null,
  measure = measureEm,
  makeAudio,
  makeApi,
}) {
  const { voice, announcerNow, chimeRef } = useTvVoice({ tokenKey: displayTokenKey(), search, chime, makeAudio, makeApi })
  const [wanted] = useState(() => servicesParam(search))
  const all = wanted === 'all' || wanted === null // no list: every service, as ?services=all
  const { services: list } = useServices({ refreshMs: SERVICES_REFRESH_MS, enabled: all })
  const ids = all ? (list ?? []).map((s) => s.id) : wanted

  const [feeds, setFeeds] = useState({}) // id -> {state, connection, error}
  const onFeed = useCallback((id, feed) => setFeeds((current) => ({ ...current, [id]: feed })), [])

  const lastHeard = useRef(null)
  const known = useRef(new Map()) // per service: the feed's seq we have seen, so a replayed call does not chime again
  const onMessage = useCallback((id, message) => {
    lastHeard.current = Date.now()
    if (message?.type === 'snapshot') {
      known.current.set(id, Number.isInteger(message.seq) ? message.seq : null)
    } else if (message?.type === 'update' && Array.isArray(message.events)) {
      const since = known.current.get(id) ?? null
      const fresh = message.events.filter((e) => since === null || (Number.isInteger(e?.seq) && e.seq > since))
      if (!fresh.length) return
      known.current.set(id, Math.max(since ?? 0, ...fresh.map((e) => (Number.isInteger(e?.seq) ? e.seq : 0))))
      const calls = fresh.filter((e) => CALLS.has(e?.type))
      if (voice && calls.length) {
        // each call (and recall) said in turn, whichever service: the chime, then its voice
        for (const e of calls) announcerNow().announce(Number.isInteger(e.seq) ? voiceUrl(id, e.seq) : null)
      } else if (calls.length) {
        try {
          chimeRef.current?.()
        } catch {
          // no sound today; the number still changes
        }
      }
    }
  }, [voice, announcerNow, chimeRef])

  useEffect(() => (chime === playChime ? prepareChime() : undefined), [chime])
  useStaleReload({ lastHeardRef: lastHeard, reload, probe: probe ?? (() => listServices()) })

  const now = useNow(1000)
  const shown = ids.map((id) => ({ id, ...feeds[id] })).filter((feed) => feed.error?.code !== 'not_found')
  const names = shown.map((feed) => feed.state?.name).filter(Boolean)
  useScreenVenue(names.join(' · ') || null)

  const sockets = ids.map((id) => <ServiceFeed key={id} id={id} onFeed={onFeed} onMessage={onMessage} />)
  const everyFeedKnown = ids.length > 0 && ids.every((id) => feeds[id])
  if ((all && list && !list.length) || (everyFeedKnown && !shown.length)) {
    return (
      <Screen>
        {sockets}
        <div className="flex flex-1 flex-col items-center justify-center gap-[3vmin] text-center">
          <h1 className="text-[7vmin] font-black">{t('display.notFoundTitle')}</h1>
          <p className="text-[4vmin]">{t('display.notFoundBody')}</p>
        </div>
      </Screen>
    )
  }

  const live = shown.filter((feed) => feed.state)
  const allOpen = shown.length > 0 && shown.every((feed) => feed.connection === 'open')
  const badge = allOpen ? null : (
    <p role="status" className="rounded-2xl bg-red-700 px-[2vmin] py-[0.8vmin] text-[3.5vmin] font-bold text-white ring-4 ring-white">
      {live.length < shown.length || !shown.length ? t('display.connecting') : t('display.offline')}
    </p>
  )
  const clock = (
    <p className="text-[6vmin] font-bold tabular-nums leading-none">
      <span className="sr-only">{t('display.time')} </span>
      <time>{clockText(now)}</time>
    </p>
  )

  if (!live.length) {
    return (
      <Screen>
        {sockets}
        <header className="flex items-center justify-end gap-[3vmin]">
          {badge}
          {clock}
        </header>
        <p className="flex flex-1 items-center justify-center text-[6vmin]">{t('app.loading')}</p>
      </Screen>
    )
  }

  const { tiles, newest } = serviceTiles(live.map((feed) => ({ id: feed.id, state: feed.state })))
  const grid = tileGrid(tiles.length)
  const numberWidth = Math.max(1, ...tiles.map((tile) => fitWidthEm(tile.number, 900, measure))).toFixed(3)
  // The counter and the service on lines of their own, each sized evenly across the tiles by the
  // widest usual text; a much longer one is sized in its own tile only (sharedWidths).
  const counterWidths = sharedWidths(tiles.map((tile) => fitWidthEm(counterLabel(tile), 800, measure)))
  const serviceWidths = sharedWidths(tiles.map((tile) => fitWidthEm(tile.service.name, 700, measure)))
  const waiting = live.reduce((sum, feed) => sum + (Number(feed.state.waiting_count) || 0), 0)
  const stopped = live.filter((feed) => !feed.state.active || feed.state.is_paused)

  return (
    <Screen footer={footer}>
      {sockets}
      <header className="flex flex-wrap items-center justify-between gap-x-[3vmin] gap-y-[1vmin]">
        <div className="flex min-w-0 flex-[1_1_60vmin] items-center gap-[2vmin]">
          {brand}
          <h1 className="min-w-0 text-[4vmin] leading-tight font-bold text-balance wrap-break-word">{names.join('\u00a0· ')}</h1>
        </div>
        <div className="flex shrink-0 items-center gap-[3vmin]">
          {badge}
          <section aria-labelledby="waiting-label" className="flex items-baseline gap-[1.5vmin] rounded-[2vmin] bg-stone-800 px-[2.5vmin] py-[0.5vmin]">
            <h2 id="waiting-label" className="text-[3.5vmin] font-semibold text-stone-200">
              {t('display.waiting')}
            </h2>
            <p className="text-[6vmin] font-black leading-none tabular-nums">{waiting}</p>
          </section>
          {clock}
        </div>
      </header>

      {stopped.length ? (
        <ul role="status" className="flex flex-wrap gap-[1.5vmin]">
          {stopped.map((feed) => (
            <li key={feed.id} className="rounded-[1.5vmin] bg-amber-300 px-[2.5vmin] py-[0.6vmin] text-[3.5vmin] font-bold text-stone-950">
              {t('display.serviceState', { service: feed.state.name, state: feed.state.active ? t('display.paused') : t('display.closed') })}
            </li>
          ))}
        </ul>
      ) : null}

      <div className="tv-main tv-main-wide">
        <NowServing grid={grid} empty={!tiles.length}>
          {tiles.map((tile, i) => (
            <li
              key={`${tile.key}:${tile.seq}`}
              className={tile === newest ? 'tv-tile tv-tile-newest' : 'tv-tile'}
              data-newest={tile === newest ? 'true' : undefined}
              data-counter={tile.counter ?? ''}
              data-service={tile.service.id}
            >
              <div className="tv-tile-body tv-tile-services">
                <span className="tv-number" dir="ltr" style={{ '--w': numberWidth }}>
                  {tile.number}
                </span>
                {tile.counter === null ? null : (
                  <span className="tv-counter" style={{ '--w': counterWidths[i].toFixed(3) }}>
                    {counterLabel(tile)}
                  </span>
                )}
                <span className="tv-service" style={{ '--w': serviceWidths[i].toFixed(3) }}>
                  <span className="sr-only">{tile.counter === null ? '' : ' · '}</span>
                  {tile.service.name}
                </span>
              </div>
            </li>
          ))}
        </NowServing>
      </div>

      <div aria-live="polite" aria-atomic="true" className="sr-only">
        {newest
          ? newest.counter
            ? t('display.announceService', { number: newest.number, counter: newest.counter, service: newest.service.name })
            : t('display.announceServiceNoCounter', { number: newest.number, service: newest.service.name })
          : ''}
      </div>
    </Screen>
  )
}

/** "Counter 2" (the service's name is a line of its own), or null for a call at no counter. */
function counterLabel(tile) {
  return tile.counter === null ? null : t('display.counter', { counter: tile.counter })
}

/** One service's public channel; draws nothing, hands its state up. */
function ServiceFeed({ id, onFeed, onMessage }) {
  const { state, connection, error } = useWebSocket(`/ws/queues/${encodeURIComponent(id)}`, {
    fallback: () => getQueue(id),
    onMessage: (message) => onMessage(id, message),
  })
  useEffect(() => {
    onFeed(id, { state, connection, error })
  }, [id, state, connection, error, onFeed])
  return null
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
