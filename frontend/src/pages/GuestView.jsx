// /t/{ticket_id}: the guest's own ticket, live. The id in the URL is the capability.
import { Suspense, lazy, useEffect, useRef, useState } from 'react'
import Button from '../components/Button.jsx'
import FitWords from '../components/FitWords.jsx'
import ConnectionBanner from '../components/ConnectionBanner.jsx'
import LanguageSwitch from '../components/LanguageSwitch.jsx'
import Page from '../components/Page.jsx'
import { useFavicon, useGuestAlerts, useSoundStep, useWakeLock } from '../hooks/useGuestAlerts.js'
import { useGuestLanguage } from '../hooks/useGuestLanguage.js'
import { guestTitleParts } from '../components/venue/titles.js'
import { useNow } from '../hooks/useNow.js'
import { useVenueTitle } from '../hooks/useVenue.js'
import { useWebSocket } from '../hooks/useWebSocket.js'
import { cancelTicket, deletePhone, getPhone, getTicket, putPhone, runningLate } from '../lib/api.js'
import { ticketScope } from '../lib/guestLanguage.js'
import { readFirstTicket } from '../lib/firstState.js'
import { clockTime } from '../lib/format.js'
import { calledKey, isNearly } from '../lib/nearlyUp.js'
import { errorText, t } from '../lib/strings.js'
import { forgetCachedTicket, readCachedTicket, writeCachedTicket } from '../lib/ticketCache.js'
import { minutesUp, remaining } from '../lib/time.js'

const CANCELLABLE = new Set(['WAITING', 'CALLED'])
const ENDED = new Set(['COMPLETED', 'NO_SHOW', 'CANCELLED'])
const NEXT_BELOW = 60 // seconds: "you're next" instead of "about 1 min"

/** What the ETA line says, or null when there is nothing to estimate. */
function etaText(ticket, secondsLeft) {
  if (ticket?.status !== 'WAITING' || secondsLeft === null) return null
  if (ticket.people_ahead === 0 && secondsLeft < NEXT_BELOW) return t('ticket.next')
  return t('ticket.eta', { minutes: minutesUp(secondsLeft) })
}

/**
 * The ticket channel's payload: the ticket, with the update's `transferred: {from_name, to_name}`
 * kept on it when the guest was just sent on to another service (issue 15).
 */
function selectTicket(message) {
  const payload = message?.ticket ?? message?.state
  return payload && message?.transferred ? { ...payload, transferred: message.transferred } : payload
}

/** Where a guest sent on to another service goes now: {to, from} while they wait there, else null. */
function transferNotice(ticket, moved) {
  if (ticket?.status !== 'WAITING') return null
  const to = ticket.service?.name ?? ticket.transferred?.to_name ?? moved?.to
  if (!to || !(ticket.transfers > 0 || ticket.transferred || moved)) return null
  return { to, from: ticket.transferred?.from_name ?? moved?.from ?? null }
}

function announcement(ticket) {
  const number = ticket.display_number
  const status = t(`ticket.status.${ticket.status}`)
  if (ticket.status === 'CALLED') {
    return ticket.counter
      ? t('ticket.announceCalled', { number, counter: ticket.counter })
      : t('ticket.announce', { number, status })
  }
  if (ticket.status === 'WAITING') {
    if (ticket.people_ahead > 0) {
      return t('ticket.announceAhead', { number, status, ahead: t('ticket.peopleAhead', { count: ticket.people_ahead }) })
    }
    return t('ticket.announceNobodyAhead', { number, status })
  }
  return t('ticket.announce', { number, status })
}

// issue 16: sms. The phone form loads only where the box can text (a modem): the page stays light.
const PhoneOptIn = lazy(() => import('../components/PhoneOptIn.jsx'))
const PHONE_API = { putPhone, deletePhone }

/** `{available, phone}` of the ticket's text opt-in while it is active; null until known or off. */
function usePhoneView(ticketId, active) {
  const [view, setView] = useState(null)
  useEffect(() => {
    if (!active || view) return undefined
    let live = true
    getPhone(ticketId)
      .then((answer) => {
        if (live && answer && typeof answer.available === 'boolean') setView(answer)
      })
      .catch(() => {}) // an older box, or offline: simply no phone field
    return () => {
      live = false
    }
  }, [ticketId, active, view])
  return view
}

export default function GuestView({ ticketId }) {
  const [language, chooseLanguage] = useGuestLanguage(ticketScope(ticketId))
  // The state the box put in the page, else the last one this phone saw.
  const [cached] = useState(() => readFirstTicket(ticketId) ?? readCachedTicket(ticketId))
  const { state: ticket, connection, updatedAt, error, replace } = useWebSocket(
    `/ws/tickets/${encodeURIComponent(ticketId)}`,
    {
      fallback: () => getTicket(ticketId),
      initialState: cached?.ticket ?? null,
      initialUpdatedAt: cached?.savedAt ?? null,
      select: selectTicket,
    },
  )
  const now = useNow(1000)
  const phoneView = usePhoneView(ticketId, CANCELLABLE.has(ticket?.status))
  useVenueTitle(...guestTitleParts(ticket))
  const notFound = error?.code === 'not_found'

  useEffect(() => {
    if (ticket && updatedAt && !notFound) writeCachedTicket(ticketId, ticket, updatedAt)
  }, [ticketId, ticket, updatedAt, notFound])

  useEffect(() => {
    if (notFound) forgetCachedTicket(ticketId)
  }, [ticketId, notFound])

  // Buzz and beep once per call (a recall is a new call) and once per crossing into "nearly up"
  // (issue 16); not for a state the page started from. The favicon and the title follow.
  useGuestAlerts(ticket, cached?.ticket ?? null)
  useFavicon(ticket)
  const [sound, turnOnSound] = useSoundStep()
  const live = ticket?.status === 'WAITING' || ticket?.status === 'CALLED'
  const screen = useWakeLock(live)
  const called = calledKey(ticket)
  const [dismissed, setDismissed] = useState(null)

  // The ticket moving to another service while this page is open (a transfer, issue 15): its
  // old and new names, even from a box whose update says no more than the ticket's new service.
  // (Set while rendering, React's pattern for state that follows a value.)
  const service = ticket?.service?.id ? ticket.service : null
  const [seenService, setSeenService] = useState(service)
  const [moved, setMoved] = useState(null)
  if (service && service.id !== seenService?.id) {
    if (seenService) setMoved({ from: seenService.name, to: service.name })
    setSeenService(service)
  }

  const banner = <ConnectionBanner connection={connection} updatedAt={updatedAt} hasState={Boolean(ticket)} />

  if (notFound) {
    return (
      <Page>
        <h1 className="text-3xl font-bold">{t('ticket.notFoundTitle')}</h1>
        <p className="text-xl">{t('ticket.notFoundBody')}</p>
      </Page>
    )
  }

  if (!ticket) {
    return (
      <Page banner={banner}>
        <p className="text-2xl">{t('app.loading')}</p>
      </Page>
    )
  }

  const secondsLeft = remaining(ticket.eta_seconds, updatedAt, now)
  const eta = etaText(ticket, secondsLeft)
  const showCalled = called && dismissed !== called
  const sentOn = transferNotice(ticket, moved)
  const nearly = isNearly(ticket)

  return (
    <Page banner={banner}>
      <LanguageSwitch value={language} onChange={chooseLanguage} />
      {/* Always there, so that a screen reader hears the notice when a transfer brings it. */}
      <div role="status" aria-atomic="true">
        {sentOn ? (
          <section data-testid="transfer-notice" className="grid gap-1 rounded-2xl bg-sky-100 p-5 text-stone-950 ring-2 ring-sky-800">
            <p className="text-2xl font-bold wrap-anywhere">{t('ticket.transferred', { service: sentOn.to })}</p>
            {sentOn.from ? <p className="text-lg wrap-anywhere">{t('ticket.transferredFrom', { from: sentOn.from })}</p> : null}
          </section>
        ) : null}
        {nearly ? (
          <section data-testid="nearly-up" className="grid gap-1 rounded-2xl bg-amber-100 p-5 text-stone-950 ring-2 ring-amber-800">
            <p className="text-2xl font-bold">{t('ticket.nearlyTitle')}</p>
            <p className="text-lg">{t('ticket.nearlyBody')}</p>
          </section>
        ) : null}
      </div>
      <section aria-labelledby="ticket-title" className="flex flex-col items-center gap-2 rounded-2xl bg-white p-6 text-center shadow-sm ring-1 ring-stone-300 [container-type:inline-size]">
        <h1 id="ticket-title" className="text-lg font-semibold uppercase tracking-wide text-stone-700">
          {t('ticket.title')}
        </h1>
        {/* As large as fits the card on one line ("MELD011" on a 360 px phone), at most 6rem: never split. */}
        <FitWords
          as="p"
          dir="ltr"
          weight={900}
          text={ticket.display_number}
          data-testid="ticket-number"
          className="font-black leading-none tabular-nums [--fit-max:6rem]"
          aria-label={`${t('ticket.number')} ${ticket.display_number}`}
        />
        {ticket.service?.name ? (
          <p data-testid="ticket-service" className="text-2xl font-bold wrap-anywhere">
            {ticket.service.name}
          </p>
        ) : null}
        {ticket.priority ? <p className="text-lg font-semibold text-stone-700">{t('ticket.priority')}</p> : null}
        <p className="text-3xl font-bold">{t(`ticket.status.${ticket.status}`)}</p>
      </section>

      {ticket.status === 'WAITING' ? (
        <section className="grid gap-3 text-center">
          <p className="text-2xl font-semibold">
            {ticket.people_ahead > 0 ? t('ticket.peopleAhead', { count: ticket.people_ahead }) : t('ticket.nobodyAhead')}
          </p>
          {eta ? (
            <p className="text-4xl font-bold text-(--accent-ink)">
              <span className="sr-only">{t('ticket.etaLabel')}: </span>
              {eta}
            </p>
          ) : null}
        </section>
      ) : null}

      {live ? <StayReachable sound={sound} onTurnOnSound={turnOnSound} screen={screen} /> : null}

      {ticket.status === 'CALLED' ? (
        <p className="text-center text-3xl font-bold text-emerald-900">
          {ticket.counter ? t('ticket.calledCounter', { counter: ticket.counter }) : t('ticket.calledAnyCounter')}
        </p>
      ) : null}

      {ticket.status === 'SERVING' ? (
        <p className="text-center text-2xl font-semibold">
          {ticket.counter ? t('ticket.serving', { counter: ticket.counter }) : t('ticket.servingAnyCounter')}
        </p>
      ) : null}

      {ENDED.has(ticket.status) ? <Ended ticket={ticket} /> : null}

      {ticket.status === 'WAITING' || ticket.status === 'CALLED' ? (
        <p className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1 border-t border-stone-300 pt-4 text-xl">
          <span>{t('ticket.nowServing')}</span>
          {ticket.now_serving ? (
            <span dir="ltr" className="text-3xl font-bold tabular-nums">{ticket.now_serving}</span>
          ) : (
            <span className="text-2xl font-semibold">{t('ticket.nobodyServed')}</span>
          )}
        </p>
      ) : null}

      {ticket.status === 'WAITING' && ticket.late && (ticket.late.places > 0 || ticket.late_uses > 0) ? (
        <RunningLate ticket={ticket} onMoved={replace} />
      ) : null}

      {CANCELLABLE.has(ticket.status) && phoneView?.available ? (
        <Suspense fallback={null}>
          <PhoneOptIn ticketId={ticketId} initial={phoneView} api={PHONE_API} />
        </Suspense>
      ) : null}

      {CANCELLABLE.has(ticket.status) ? <Cancel ticketId={ticketId} onCancelled={replace} /> : null}

      <div aria-live="polite" aria-atomic="true" className="sr-only">
        {announcement(ticket)}
      </div>

      {showCalled ? (
        <div
          role="alertdialog"
          aria-modal="true"
          aria-labelledby="called-title"
          className="fixed inset-0 z-30 flex flex-col items-center justify-center-safe gap-6 overflow-y-auto bg-emerald-800 p-6 text-center text-white [container-type:inline-size]"
        >
          {/* Large text (200 %) on a phone: the words shrink to fit whole, and what is taller than
              the screen scrolls, its top first, so "OK, on my way" is always reachable. */}
          <FitWords as="h2" id="called-title" weight={900} className="font-black [--fit-max:3.75rem]" text={t('ticket.calledTitle')} />
          <FitWords
            as="p"
            weight={700}
            className="font-bold [--fit-max:3rem]"
            text={ticket.counter ? t('ticket.calledCounter', { counter: ticket.counter }) : t('ticket.calledAnyCounter')}
          />
          <p dir="ltr" className="text-4xl font-semibold tabular-nums">{ticket.display_number}</p>
          <button
            type="button"
            autoFocus
            onClick={() => setDismissed(called)}
            className="min-h-14 w-full max-w-xs rounded-xl bg-white px-6 text-2xl font-bold text-emerald-900 focus-visible:outline-4 focus-visible:outline-offset-4 focus-visible:outline-white"
          >
            {t('ticket.calledDismiss')}
          </button>
        </div>
      ) : null}
    </Page>
  )
}

/**
 * Issue 16: how the guest stays reachable. "Keep this page open" (or, where the screen is kept on,
 * that it is), and after the first tap the "turn on sound" step.
 */
function StayReachable({ sound, onTurnOnSound, screen }) {
  // The button goes once pressed: its answer takes the keyboard's focus, so nobody is left on nothing.
  const answer = useRef(null)
  const answered = sound === 'on' || sound === 'unavailable'
  useEffect(() => {
    if (answered && (!document.activeElement || document.activeElement === document.body)) answer.current?.focus()
  }, [answered])
  const focusable = 'rounded-lg focus-visible:outline-4 focus-visible:outline-offset-2 focus-visible:outline-blue-700'
  return (
    <section className="grid gap-3 text-center">
      <p data-testid="stay-open" className="text-lg text-stone-700">
        {screen === 'held' ? t('ticket.screenOn') : t('ticket.keepOpen')}
      </p>
      {sound === 'off' ? (
        <div data-testid="sound-step" className="grid gap-2">
          <Button kind="secondary" onClick={onTurnOnSound}>
            {t('sound.turnOn')}
          </Button>
          <p className="text-base text-stone-700">{t('sound.help')}</p>
        </div>
      ) : null}
      <div role="status" aria-atomic="true">
        {sound === 'on' ? (
          <p ref={answer} tabIndex={-1} data-testid="sound-on" className={`text-lg font-semibold text-emerald-900 ${focusable}`}>
            {t('sound.on')}
          </p>
        ) : sound === 'unavailable' ? (
          <p ref={answer} tabIndex={-1} data-testid="sound-unavailable" className={`text-lg ${focusable}`}>
            {t('sound.unavailable')}
          </p>
        ) : null}
      </div>
    </section>
  )
}

/** issue 16, grace: a missed guest may still come back to the desk until `return_until`. */
function ComeBack({ until }) {
  const now = useNow(15_000)
  const end = Date.parse(until)
  if (!Number.isFinite(end) || now >= end) return null
  return (
    <p data-testid="come-back" className="text-lg">
      {t('ticket.comeBackBy', { time: clockTime(end) })}
    </p>
  )
}

function Ended({ ticket }) {
  let text = t('ticket.cancelled')
  if (ticket.status === 'COMPLETED') text = t('ticket.completed')
  else if (ticket.status === 'NO_SHOW') text = t('ticket.noShow')
  else if (ticket.reason === 'day_ended') text = t('ticket.dayEnded')
  else if (ticket.reason === 'line_closed') text = t('ticket.lineClosed')
  else if (ticket.reason === 'cancelled_by_host') text = t('ticket.cancelledByHost')
  return (
    <section className="grid gap-4 text-center">
      <p className="text-2xl font-semibold">{text}</p>
      {ticket.status === 'NO_SHOW' && ticket.return_until ? <ComeBack until={ticket.return_until} /> : null}
      {ticket.status !== 'COMPLETED' && ticket.queue_id ? (
        <a
          href={`/join/${encodeURIComponent(ticket.queue_id)}`}
          className="inline-flex min-h-12 items-center justify-center rounded-xl border-2 border-stone-700 bg-white px-5 text-lg font-semibold text-stone-900 focus-visible:outline-4 focus-visible:outline-offset-2 focus-visible:outline-blue-700"
        >
          {t('ticket.newTicket')}
        </a>
      ) : null}
    </section>
  )
}

function Cancel({ ticketId, onCancelled }) {
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)
  const [failure, setFailure] = useState(null)

  async function confirm() {
    setBusy(true)
    setFailure(null)
    try {
      onCancelled(await cancelTicket(ticketId))
    } catch (err) {
      setFailure(errorText(err))
      setBusy(false)
    }
  }

  if (!confirming) {
    return (
      <Button kind="secondary" onClick={() => setConfirming(true)}>
        {t('ticket.cancel')}
      </Button>
    )
  }
  return (
    <section className="grid gap-3 rounded-2xl border-2 border-red-800 bg-white p-4" aria-labelledby="cancel-question">
      <p id="cancel-question" className="text-xl font-semibold">
        {t('ticket.cancelConfirm')}
      </p>
      {failure ? (
        <p role="alert" className="text-lg font-semibold text-red-800">
          {failure}
        </p>
      ) : null}
      <Button kind="danger" onClick={confirm} disabled={busy}>
        {busy ? t('ticket.cancelling') : t('ticket.cancelYes')}
      </Button>
      <Button kind="secondary" onClick={() => setConfirming(false)} disabled={busy}>
        {t('ticket.cancelNo')}
      </Button>
    </section>
  )
}

/**
 * issue 16: "I'm running late": a waiting guest lets the next few guests go first (the box moves
 * them back behind the guest that many places back, or to the end). The question says how many
 * places and how many moves are left after this one; the answer shows the new place.
 */
function RunningLate({ ticket, onMoved }) {
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)
  const [failure, setFailure] = useState(null)
  const [moved, setMoved] = useState(null)
  const { places, uses_left: usesLeft } = ticket.late
  const used = ticket.late_uses ?? 0

  async function confirm() {
    setBusy(true)
    setFailure(null)
    const before = ticket.people_ahead
    try {
      const after = await runningLate(ticket.id, used + 1)
      setMoved(Math.max(after.people_ahead - before, 0))
      setConfirming(false)
      onMoved(after)
    } catch (err) {
      setFailure(errorText(err))
    }
    setBusy(false)
  }

  const done = moved !== null ? (
    <p role="status" data-testid="late-moved" className="text-lg font-semibold">
      {moved > 0 ? t('ticket.lateMoved', { count: moved }) : t('ticket.lateMovedNone')}
    </p>
  ) : null
  if (usesLeft <= 0) {
    return (
      <section className="grid gap-2 text-center">
        {done}
        <p className="text-lg text-stone-700">{t('ticket.lateUsed')}</p>
      </section>
    )
  }
  if (places <= 0) return done
  if (!confirming) {
    return (
      <section className="grid gap-2">
        {done}
        <Button kind="secondary" onClick={() => { setMoved(null); setConfirming(true) }}>
          {t('ticket.late')}
        </Button>
      </section>
    )
  }
  const left = usesLeft - 1
  return (
    <section className="grid gap-3 rounded-2xl border-2 border-stone-700 bg-white p-4" aria-labelledby="late-question">
      <p id="late-question" className="text-xl font-semibold">
        {t('ticket.lateConfirm', { count: places })}
      </p>
      <p className="text-lg">{left > 0 ? t('ticket.lateLeft', { count: left }) : t('ticket.lateLast')}</p>
      {failure ? (
        <p role="alert" className="text-lg font-semibold text-red-800">
          {failure}
        </p>
      ) : null}
      <Button onClick={confirm} disabled={busy}>
        {busy ? t('ticket.lateMoving') : t('ticket.lateYes')}
      </Button>
      <Button kind="secondary" onClick={() => setConfirming(false)} disabled={busy}>
        {t('ticket.lateNo')}
      </Button>
    </section>
  )
}
