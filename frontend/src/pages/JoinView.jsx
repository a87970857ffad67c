// /join/{queue_id}: the poster's QR leads here. One tap takes a ticket.
import { useState } from 'react'
import Button from '../components/Button.jsx'
import ConnectionBanner from '../components/ConnectionBanner.jsx'
import LanguageSwitch from '../components/LanguageSwitch.jsx'
import Page from '../components/Page.jsx'
import { useGuestLanguage } from '../hooks/useGuestLanguage.js'
import { useNow } from '../hooks/useNow.js'
import { useVenueTitle } from '../hooks/useVenue.js'
import { useWebSocket } from '../hooks/useWebSocket.js'
import { getQueue, joinQueue } from '../lib/api.js'
import { getDeviceToken } from '../lib/deviceToken.js'
import { carryJoinLanguage, joinScope } from '../lib/guestLanguage.js'
import { navigate } from '../lib/router.js'
import { errorText, t } from '../lib/strings.js'
import { writeCachedTicket } from '../lib/ticketCache.js'
import { minutesUp, remaining } from '../lib/time.js'

const BLOCKING = new Set(['queue_paused', 'queue_closed'])

export default function JoinView({ queueId }) {
  const [language, chooseLanguage] = useGuestLanguage(joinScope(queueId))
  const { state: queue, connection, updatedAt, error } = useWebSocket(`/ws/queues/${encodeURIComponent(queueId)}`, {
    fallback: () => getQueue(queueId),
  })
  const now = useNow(1000)
  useVenueTitle(queue?.name)
  const [joining, setJoining] = useState(false)
  const [joinError, setJoinError] = useState(null)

  // A refusal because the line paused or closed holds until the next state says otherwise
  // (set while rendering, React's pattern for state that follows a value).
  const [stateAt, setStateAt] = useState(updatedAt)
  if (stateAt !== updatedAt) {
    setStateAt(updatedAt)
    setJoinError((current) => (current && BLOCKING.has(current.code) ? null : current))
  }

  async function join(priority) {
    setJoining(true)
    setJoinError(null)
    try {
      const ticket = await joinQueue(queueId, getDeviceToken(), { priority })
      // 201 new or 200 the ticket this phone already holds: either way, show it.
      writeCachedTicket(ticket.id, ticket, Date.now())
      carryJoinLanguage(queueId, ticket.id)
      navigate(`/t/${encodeURIComponent(ticket.id)}`)
    } catch (err) {
      setJoinError(err)
      setJoining(false)
    }
  }

  const banner = <ConnectionBanner connection={connection} updatedAt={updatedAt} hasState={Boolean(queue)} />

  if (error?.code === 'not_found' || joinError?.status === 404) {
    return (
      <Page>
        <h1 className="text-3xl font-bold">{t('join.notFoundTitle')}</h1>
        <p className="text-xl">{t('join.notFoundBody')}</p>
      </Page>
    )
  }

  if (!queue) {
    return (
      <Page banner={banner}>
        <p className="text-2xl">{t('app.loading')}</p>
      </Page>
    )
  }

  const closed = !queue.active || joinError?.code === 'queue_closed'
  const paused = !closed && (queue.is_paused || joinError?.code === 'queue_paused')
  const backIn = queue.is_paused ? remaining(queue.back_in_seconds, updatedAt, now) : null
  // The server sends no update that merely confirms the countdown (docs/live.md): count it down here.
  const etaLeft = queue.eta_seconds > 0 ? remaining(queue.eta_seconds, updatedAt, now) : null
  const otherError = joinError && !BLOCKING.has(joinError.code) ? errorText(joinError) : null

  return (
    <Page banner={banner}>
      <LanguageSwitch value={language} onChange={chooseLanguage} />
      <header className="grid gap-1">
        <p className="text-lg font-semibold uppercase tracking-wide text-stone-700">{t('join.title')}</p>
        <h1 className="text-4xl font-black wrap-anywhere">{queue.name}</h1>
      </header>

      <section className="grid gap-3 rounded-2xl bg-white p-5 shadow-sm ring-1 ring-stone-300">
        <p className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1 text-xl">
          <span>{t('join.nowServing')}</span>
          {queue.now_serving ? (
            <span dir="ltr" className="text-4xl font-bold tabular-nums">{queue.now_serving}</span>
          ) : (
            <span className="text-2xl font-semibold">{t('ticket.nobodyServed')}</span>
          )}
        </p>
        <p className="text-xl">{queue.waiting_count > 0 ? t('join.waiting', { count: queue.waiting_count }) : t('join.nobodyWaiting')}</p>
        {!closed && !paused ? (
          <p className="text-2xl font-semibold text-(--accent-ink)">
            {etaLeft !== null ? t('join.eta', { minutes: minutesUp(etaLeft) }) : t('join.etaNone')}
          </p>
        ) : null}
      </section>

      {closed ? (
        <section role="status" className="grid gap-2 rounded-2xl bg-stone-800 p-5 text-white">
          <p className="text-2xl font-bold">{t('join.closed')}</p>
          <p className="text-lg">{t('join.closedBody')}</p>
        </section>
      ) : paused ? (
        <section role="status" className="grid gap-2 rounded-2xl bg-amber-200 p-5 text-stone-950 ring-2 ring-amber-600">
          <p className="text-2xl font-bold">{t('join.paused')}</p>
          {backIn !== null && backIn > 0 ? <p className="text-xl">{t('join.pausedBack', { minutes: minutesUp(backIn) })}</p> : null}
        </section>
      ) : (
        <>
          <Button big onClick={() => join(false)} disabled={joining}>
            {joining ? t('join.taking') : t('join.take')}
          </Button>
          {/* issue 15: a service may offer a priority ticket on its join page */}
          {queue.priority_on_join ? (
            <Button kind="secondary" onClick={() => join(true)} disabled={joining} className="wrap-anywhere">
              {t('join.priority')}
            </Button>
          ) : null}
        </>
      )}

      {otherError ? (
        <p role="alert" className="text-xl font-semibold text-red-800">
          {otherError}
        </p>
      ) : null}
    </Page>
  )
}
