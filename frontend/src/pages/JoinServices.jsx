// /join: the box's services as big buttons, each with its name, how many wait and the wait; one
// tap takes a ticket in that service (issue 15). A service that allows it on the join page
// (priority_on_join) has a second button for a priority ticket. A box with one service goes
// straight to that service's own join page, /join/{queue_id}.
import { useEffect, useState } from 'react'
import FitWords from '../components/FitWords.jsx'
import Button from '../components/Button.jsx'
import LanguageSwitch from '../components/LanguageSwitch.jsx'
import Page from '../components/Page.jsx'
import { useGuestLanguage } from '../hooks/useGuestLanguage.js'
import { useNow } from '../hooks/useNow.js'
import { useServices } from '../hooks/useServices.js'
import { useVenueTitle } from '../hooks/useVenue.js'
import { joinQueue } from '../lib/api.js'
import { getDeviceToken } from '../lib/deviceToken.js'
import { carryJoinLanguage, joinScope } from '../lib/guestLanguage.js'
import { navigate } from '../lib/router.js'
import { errorText, t } from '../lib/strings.js'
import { writeCachedTicket } from '../lib/ticketCache.js'
import { minutesUp, remaining } from '../lib/time.js'

// The language chosen here is this page's (no service yet); it moves to the ticket once taken.
const SCOPE = 'all'

export default function JoinServices({ refreshMs }) {
  const [language, chooseLanguage] = useGuestLanguage(joinScope(SCOPE))
  const { services, updatedAt, error } = useServices({ refreshMs })
  const now = useNow(1000)
  useVenueTitle(t('join.servicesTitle'))
  const [joining, setJoining] = useState(null) // `${id}:${priority}` while its request runs
  const [joinError, setJoinError] = useState(null) // {serviceId, error}

  const only = services?.length === 1 ? services[0] : null
  useEffect(() => {
    if (only) navigate(`/join/${encodeURIComponent(only.id)}`, { replace: true })
  }, [only])

  async function join(service, priority) {
    setJoining(`${service.id}:${priority}`)
    setJoinError(null)
    try {
      const ticket = await joinQueue(service.id, getDeviceToken(), { priority })
      // 201 new or 200 the ticket this phone already holds there: either way, show it.
      writeCachedTicket(ticket.id, ticket, Date.now())
      carryJoinLanguage(SCOPE, ticket.id)
      navigate(`/t/${encodeURIComponent(ticket.id)}`)
    } catch (err) {
      setJoinError({ serviceId: service.id, error: err })
      setJoining(null)
    }
  }

  if (!services || only) {
    return (
      <Page>
        {error && !services ? (
          <p role="alert" className="text-xl font-semibold text-red-800">
            {errorText(error)}
          </p>
        ) : (
          <p className="text-2xl">{t('app.loading')}</p>
        )}
      </Page>
    )
  }

  return (
    <Page>
      <LanguageSwitch value={language} onChange={chooseLanguage} />
      <header className="grid gap-1">
        <h1 className="text-4xl font-black wrap-anywhere">{t('join.servicesTitle')}</h1>
        {services.length ? <p className="text-lg text-stone-700">{t('join.servicesHint')}</p> : null}
      </header>

      {error ? (
        <p role="status" className="rounded-xl bg-amber-200 p-3 text-lg font-semibold text-stone-950">
          {errorText(error)}
        </p>
      ) : null}

      {services.length ? (
        <ul className="grid gap-4">
          {services.map((service) => (
            <ServiceChoice
              key={service.id}
              service={service}
              etaLeft={service.eta_seconds > 0 ? remaining(service.eta_seconds, updatedAt, now) : null}
              busy={joining !== null}
              joining={joining}
              failure={joinError?.serviceId === service.id ? joinError.error : null}
              onJoin={join}
            />
          ))}
        </ul>
      ) : (
        <p role="status" className="text-2xl font-semibold">
          {t('join.noServices')}
        </p>
      )}
    </Page>
  )
}

function ServiceChoice({ service, etaLeft, busy, joining, failure, onJoin }) {
  const nameId = `service-${service.id}`
  const paused = service.is_paused || failure?.code === 'queue_paused'
  const waiting = service.waiting_count > 0 ? t('join.waiting', { count: service.waiting_count }) : t('join.nobodyWaiting')
  const wait = paused ? t('join.paused') : etaLeft !== null ? t('join.eta', { minutes: minutesUp(etaLeft) }) : t('join.etaNone')
  return (
    <li className="grid gap-2 rounded-2xl bg-white p-3 shadow-sm ring-1 ring-stone-300">
      <button
        type="button"
        onClick={() => onJoin(service, false)}
        disabled={busy || paused}
        aria-describedby={failure ? `${nameId}-error` : undefined}
        className="grid w-full min-h-24 gap-1 rounded-xl [container-type:inline-size] bg-(--accent) px-4 py-3 text-start text-(--accent-text) hover:brightness-90 active:brightness-75 disabled:cursor-not-allowed disabled:bg-stone-500 disabled:text-white focus-visible:outline-4 focus-visible:outline-offset-2 focus-visible:outline-blue-700"
      >
        <FitWords id={nameId} text={service.name} weight={900} className="leading-tight font-black [--fit-max:1.875rem]" />
        <span className="text-lg font-semibold">{joining === `${service.id}:false` ? t('join.taking') : waiting}</span>
        <span className="text-lg">{wait}</span>
      </button>
      {service.priority_on_join && !paused ? (
        <Button kind="secondary" onClick={() => onJoin(service, true)} disabled={busy} aria-describedby={nameId} className="wrap-anywhere">
          {joining === `${service.id}:true` ? t('join.taking') : t('join.priority')}
        </Button>
      ) : null}
      {failure && failure.code !== 'queue_paused' ? (
        <p id={`${nameId}-error`} role="alert" className="text-lg font-semibold text-red-800">
          {errorText(failure)}
        </p>
      ) : null}
    </li>
  )
}
