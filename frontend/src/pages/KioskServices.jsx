// /kiosk#token=…: the touch kiosk of several services (issue 15). The start screen lists the
// services its device covers (GET /api/device's `services`), each a big button with its name,
// how many wait and the wait (GET /api/services), and a second button for a priority ticket
// (elderly, disabled, pregnant). A tap issues a ticket there with the kiosk's token, and the
// number, its service and its QR code fill the screen as on the one-service kiosk. A device
// with one service goes straight to that kiosk, /kiosk/{queue_id}.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react'
import FitWords from '../components/FitWords.jsx'
import KioskIssued from '../components/screens/KioskIssued.jsx'
import { KioskFrame, KioskNotice } from '../components/screens/KioskFrame.jsx'
import LanguageChoice from '../components/screens/LanguageChoice.jsx'
import ScanReturn from '../components/screens/ScanReturn.jsx'
import { useDevice } from '../components/screens/useDevice.js'
import { useFragmentToken } from '../components/screens/useFragmentToken.js'
import { useRetryKey } from '../components/screens/useRetryKey.js'
import { useKioskLanguage } from '../components/screens/useKioskLanguage.js'
import { useVenue } from '../components/screens/useVenue.js'
import { useNow } from '../hooks/useNow.js'
import { useServices } from '../hooks/useServices.js'
import { navigate } from '../lib/router.js'
import { kioskTokenKey, saveToken, screensApi } from '../lib/screensApi.js'
import { errorText, t } from '../lib/strings.js'
import '../lib/strings.screens.js'
import { minutesUp, remaining } from '../lib/time.js'
import { LANGUAGE_IDLE_MS, RESET_AFTER } from './KioskView.jsx'

/** The device's services, in its own order, with the box's public figures; inactive ones left out. */
function kioskServices(device, list) {
  if (!device || !list) return null
  const own = Array.isArray(device.services) && device.services.length
    ? device.services
    : device.queue_id ? [{ id: device.queue_id, name: device.queue_name }] : [] // a box from before issue 15
  const byId = new Map(list.map((s) => [s.id, s]))
  return own.filter((s) => byId.has(s?.id)).map((s) => ({ ...s, ...byId.get(s.id) }))
}

export default function KioskServices({ resetAfter = RESET_AFTER, refreshMs }) {
  // The token leaves the address at once (it would show in the history and on screen).
  const [token] = useFragmentToken(kioskTokenKey())
  const api = useMemo(() => screensApi(token), [token])
  const { device, error: deviceError } = useDevice(api, token)
  const { services: list, updatedAt, error: listError } = useServices({ refreshMs, enabled: Boolean(token) })
  const now = useNow(1000)
  const venue = useVenue(null)
  const [language, chooseLanguage, languageChosen] = useKioskLanguage(venue.language)


  const services = kioskServices(device, list)
  // A device of one service goes to that service's kiosk (KioskView comes back here when setup
  // gives it more): by what the device covers, not what is open now, so the two never bounce.
  const only = services?.length === 1 && !(device?.services?.length > 1) ? services[0] : null

  const [issued, setIssued] = useState(null)
  const [busy, setBusy] = useState(null) // `${id}:${priority}` while its request runs
  const [issueError, setIssueError] = useState(null) // {serviceId, error}
  useEffect(() => {
    if (!only || issued || busy) return // never while a guest's ticket is coming or shown
    // Today's one-service kiosk, with this kiosk's token under that page's key.
    saveToken(kioskTokenKey(only.id), token)
    navigate(`/kiosk/${encodeURIComponent(only.id)}`, { replace: true })
  }, [only, issued, busy, token])
  // A tap whose request got no answer is retried with the same key, as on the one-service kiosk.
  const retryKey = useRetryKey()
  // Back from a ticket, the focus returns to the button that was pressed (keyboard, switch access).
  const [lastTap, setLastTap] = useState(null)
  const buttons = useRef(null)
  const reset = useCallback(() => {
    retryKey.forget()
    setIssued(null)
    setIssueError(null)
    chooseLanguage(null) // the next guest starts in the venue's language
  }, [chooseLanguage, retryKey])

  useLayoutEffect(() => {
    if (issued || !lastTap || !buttons.current) return
    for (const button of buttons.current.querySelectorAll('button[data-tap]')) {
      if (button.dataset.tap === lastTap) button.focus()
    }
  }, [issued, lastTap])

  useEffect(() => {
    if (!languageChosen || issued) return undefined
    const timer = setTimeout(() => chooseLanguage(null), LANGUAGE_IDLE_MS)
    return () => clearTimeout(timer)
  }, [languageChosen, issued, language, chooseLanguage])

  async function take(service, priority) {
    if (busy) return
    const tap = `${service.id}:${priority}`
    setBusy(tap)
    setIssueError(null)
    const key = retryKey.next(tap)
    try {
      const ticket = await api.issueTicket(service.id, { priority, idempotencyKey: key })
      setLastTap(tap)
      setIssued(ticket)
    } catch (err) {
      retryKey.failed(err, key, tap)
      setIssueError({ serviceId: service.id, error: err })
    } finally {
      setBusy(null)
    }
  }

  const refusal = deviceError ?? issueError?.error
  if (!token) {
    return (
      <KioskFrame>
        <KioskNotice title={t('kiosk.notSetUpTitle')} body={t('kiosk.notSetUpBody')} />
      </KioskFrame>
    )
  }
  if (refusal?.code === 'https_required') {
    return (
      <KioskFrame>
        <KioskNotice title={t('kiosk.httpsTitle')} body={refusal.message} />
      </KioskFrame>
    )
  }
  if (refusal?.status === 401 || refusal?.status === 403) {
    return (
      <KioskFrame>
        <KioskNotice title={t('kiosk.invalidTitle')} body={t('kiosk.invalidBody')} />
      </KioskFrame>
    )
  }
  if (issued) {
    return <KioskIssued ticket={issued} api={api} resetAfter={resetAfter} onReset={reset} />
  }
  if (!services || only) {
    const trouble = deviceError ?? (list ? null : listError)
    return (
      <KioskFrame>
        {trouble ? (
          <p role="alert" className="text-2xl font-bold text-red-900">
            {errorText(trouble)}
          </p>
        ) : (
          <p className="text-3xl">{t('app.loading')}</p>
        )}
      </KioskFrame>
    )
  }

  // Wider than the one-service kiosk. One or two services: two big columns in landscape, one in
  // portrait. Three or four: one row each, its priority button beside it, so all of them (and the
  // language buttons) fit a 1280×800, 1024×768 or 800×1280 screen without scrolling; two columns
  // with the priority buttons below did not. More than four: two columns.
  const rows = services.length > 2 && services.length <= 4
  const columns = services.length > 4 ? 'sm:grid-cols-2' : rows ? '' : 'sm:landscape:grid-cols-2'
  return (
    <KioskFrame wide compact={rows}>
      <h1 className={`text-4xl font-black wrap-anywhere ${rows ? 'sm:text-5xl' : 'sm:text-6xl'}`}>{t('kiosk.servicesTitle')}</h1>
      {/* issue 16: a no-show's printed ticket read by the kiosk's scanner puts it back in line */}
      <ScanReturn api={api} enabled={!busy} />
      {services.length ? (
        <ul ref={buttons} className={`grid w-full gap-4 ${rows ? '' : 'sm:gap-6'} ${columns}`}>
          {services.map((service) => (
            <ServiceCard
              key={service.id}
              service={service}
              etaLeft={service.eta_seconds > 0 ? remaining(service.eta_seconds, updatedAt, now) : null}
              busy={busy}
              failure={issueError?.serviceId === service.id ? issueError.error : null}
              onTake={take}
              row={rows}
            />
          ))}
        </ul>
      ) : (
        <p role="status" className="text-3xl font-bold">
          {t('kiosk.noServices')}
        </p>
      )}
      <LanguageChoice current={language} onChoose={chooseLanguage} compact={rows} />
    </KioskFrame>
  )
}

const FOCUS = 'focus-visible:outline-8 focus-visible:outline-offset-4 focus-visible:outline-blue-700'

function ServiceCard({ service, etaLeft, busy, failure, onTake, row }) {
  const nameId = `service-${service.id}`
  const paused = service.is_paused || failure?.code === 'queue_paused'
  const closed = failure?.code === 'queue_closed'
  const waiting = service.waiting_count > 0 ? t('kiosk.waiting', { count: service.waiting_count }) : t('kiosk.nobodyWaiting')
  const wait = closed ? t('kiosk.closed') : paused ? t('kiosk.servicePaused') : etaLeft !== null ? t('kiosk.eta', { minutes: minutesUp(etaLeft) }) : t('kiosk.noWait')
  const other = failure && !paused && !closed ? errorText(failure) : null
  return (
    <li className={`grid min-w-0 content-start gap-3 ${row ? 'sm:grid-cols-[minmax(0,1fr)_minmax(12rem,32%)]' : ''}`}>
      <button
        type="button"
        onClick={() => onTake(service, false)}
        data-tap={`${service.id}:false`}
        disabled={Boolean(busy) || paused || closed}
        className={`grid w-full content-center gap-2 rounded-3xl [container-type:inline-size] bg-(--accent) px-4 py-4 text-(--accent-text) shadow-lg wrap-anywhere hover:brightness-90 active:brightness-75 disabled:bg-stone-500 disabled:text-white sm:px-6 ${row ? 'min-h-[14vh] sm:min-h-0 sm:py-3' : 'min-h-[22vh] portrait:min-h-[14vh]'} ${FOCUS}`}
      >
        <FitWords id={nameId} text={service.name} weight={900} className={`leading-tight font-black [--fit-max:2.25rem] ${row ? 'sm:[--fit-max:2.75rem] big-screen:[--fit-max:3.75rem]' : 'sm:[--fit-max:3.75rem]'}`} />
        <span className={row ? 'flex flex-wrap justify-center gap-x-6' : 'contents'}>
          <span className="text-xl font-semibold sm:text-2xl">{busy === `${service.id}:false` ? t('kiosk.taking') : waiting}</span>
          <span className="text-xl sm:text-2xl">{wait}</span>
        </span>
      </button>
      {paused || closed ? null : (
        <button
          type="button"
          onClick={() => onTake(service, true)}
          data-tap={`${service.id}:true`}
          disabled={Boolean(busy)}
          aria-describedby={nameId}
          className={`min-h-20 w-full rounded-3xl border-4 border-stone-800 bg-white px-4 py-2 text-2xl font-bold text-stone-950 wrap-anywhere hover:bg-stone-100 disabled:text-stone-500 ${row ? 'sm:py-2 sm:text-xl sm:leading-snug big-screen:text-2xl' : 'sm:text-3xl'} ${FOCUS}`}
        >
          {busy === `${service.id}:true` ? t('kiosk.taking') : t('kiosk.priority')}
        </button>
      )}
      {other ? (
        <p role="alert" className={`rounded-2xl bg-red-100 p-4 text-2xl font-bold text-red-900 ring-2 ring-red-800 ${row ? 'sm:col-span-full' : ''}`}>
          {other}
        </p>
      ) : null}
    </li>
  )
}
