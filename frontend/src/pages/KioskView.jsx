// /kiosk/{queue_id}#token=…: the touch screen at the door. The start screen shows the venue, who
// is being served, the wait and a language choice; one giant button issues a ticket with the
// kiosk's token. The number and its QR code then fill the screen (the guest scans it to follow
// their turn on their phone, or remembers it), with what happens to the paper ticket, for a few
// seconds; then the kiosk is ready again, in the venue's language.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react'
import ConnectionBanner from '../components/ConnectionBanner.jsx'
import KioskIssued from '../components/screens/KioskIssued.jsx'
import { KioskFrame as Frame, KioskNotice as Notice } from '../components/screens/KioskFrame.jsx'
import { useKioskLanguage as useGuestLanguage } from '../components/screens/useKioskLanguage.js'
import LanguageChoice from '../components/screens/LanguageChoice.jsx'
import ScanReturn from '../components/screens/ScanReturn.jsx'
import { useDevice } from '../components/screens/useDevice.js'
import { useFragmentToken } from '../components/screens/useFragmentToken.js'
import { useRetryKey } from '../components/screens/useRetryKey.js'
import { useVenue } from '../components/screens/useVenue.js'
import { useNow } from '../hooks/useNow.js'
import { useWebSocket } from '../hooks/useWebSocket.js'
import { getQueue } from '../lib/api.js'
import { navigate } from '../lib/router.js'
import { kioskTokenKey, saveToken, screensApi } from '../lib/screensApi.js'
import { errorText, t } from '../lib/strings.js'
import '../lib/strings.screens.js'
import { minutesUp, remaining } from '../lib/time.js'

export const RESET_AFTER = 15 // seconds the issued ticket stays on screen

const BLOCKING = new Set(['queue_paused', 'queue_closed'])
export { RETRY_WINDOW_MS } from '../components/screens/useRetryKey.js'
// A guest who chose a language and walked away: the start screen goes back to the venue's language.
export const LANGUAGE_IDLE_MS = 60 * 1000

export default function KioskView({ queueId, resetAfter = RESET_AFTER }) {
  // The token leaves the address at once (it would show in the history and on screen).
  const [token] = useFragmentToken(kioskTokenKey(queueId))
  const api = useMemo(() => screensApi(token), [token])

  const { state: queue, connection, updatedAt, error } = useWebSocket(
    token ? `/ws/queues/${encodeURIComponent(queueId)}` : null,
    { fallback: () => getQueue(queueId) },
  )
  const now = useNow(1000)
  const venue = useVenue(queue)
  // Setup gave this kiosk more services: the kiosk of several services takes over (same token),
  // once the guest on screen is done.
  const { device } = useDevice(api, token)
  const several = device?.services?.length > 1
  const [language, chooseLanguage, languageChosen] = useGuestLanguage(venue.language)

  const [issued, setIssued] = useState(null)
  const [busy, setBusy] = useState(false)
  const [issueError, setIssueError] = useState(null)
  const retryKey = useRetryKey()
  const takeButton = useRef(null)
  const hadTicket = useRef(false)
  const reset = useCallback(() => {
    retryKey.forget()
    setIssued(null)
    chooseLanguage(null) // the next guest starts in the venue's language
  }, [chooseLanguage, retryKey])

  useEffect(() => {
    if (!languageChosen || issued) return undefined
    const timer = setTimeout(() => chooseLanguage(null), LANGUAGE_IDLE_MS)
    return () => clearTimeout(timer)
  }, [languageChosen, issued, language, chooseLanguage])

  // A new kiosk link opened in this tab: whatever the old token was refused, try again. And a
  // refusal because the line paused or closed holds until the next state says otherwise.
  // (Both set while rendering, React's pattern for state that follows a value.)
  const [seen, setSeen] = useState({ token, updatedAt })
  if (seen.token !== token || seen.updatedAt !== updatedAt) {
    setSeen({ token, updatedAt })
    if (seen.token !== token) setIssueError(null)
    else setIssueError((current) => (current && BLOCKING.has(current.code) ? null : current))
  }
  useEffect(() => {
    retryKey.forget() // a new token's taps start with fresh keys
  }, [token, retryKey])

  useEffect(() => {
    if (!several || issued || busy || !token) return // never while a guest's ticket is coming or shown
    saveToken(kioskTokenKey(), token)
    navigate('/kiosk', { replace: true })
  }, [several, issued, busy, token])

  // Back at the start after a ticket: the button has the focus again (keyboard, switch access),
  // in the same commit as the button, not a frame later.
  useLayoutEffect(() => {
    if (issued) hadTicket.current = true
    else if (hadTicket.current) takeButton.current?.focus()
  }, [issued])

  async function take() {
    if (busy) return
    setBusy(true)
    setIssueError(null)
    const key = retryKey.next()
    try {
      const ticket = await api.issueTicket(queueId, { idempotencyKey: key })
      setIssued(ticket)
    } catch (err) {
      retryKey.failed(err, key)
      setIssueError(err)
    } finally {
      setBusy(false)
    }
  }

  if (!token) {
    return (
      <Frame>
        <Notice title={t('kiosk.notSetUpTitle')} body={t('kiosk.notSetUpBody')} />
      </Frame>
    )
  }

  if (issueError?.code === 'https_required') {
    // The box refuses the kiosk token over plain http (QODE_STAFF_HTTPS): its message names the https address.
    return (
      <Frame>
        <Notice title={t('kiosk.httpsTitle')} body={issueError.message} />
      </Frame>
    )
  }

  if (issueError?.status === 401 || issueError?.status === 403) {
    return (
      <Frame>
        <Notice title={t('kiosk.invalidTitle')} body={t('kiosk.invalidBody')} />
      </Frame>
    )
  }

  const banner = <ConnectionBanner connection={connection} updatedAt={updatedAt} hasState={Boolean(queue)} />

  if (error?.code === 'not_found' || issueError?.status === 404) {
    return (
      <Frame>
        <Notice title={t('kiosk.notFoundTitle')} body={t('kiosk.notFoundBody')} />
      </Frame>
    )
  }

  if (issued) {
    return <KioskIssued ticket={issued} api={api} resetAfter={resetAfter} onReset={reset} />
  }

  if (!queue) {
    return (
      <Frame banner={banner}>
        <p className="text-3xl">{t('app.loading')}</p>
      </Frame>
    )
  }

  const closed = !queue.active || issueError?.code === 'queue_closed'
  const paused = !closed && (queue.is_paused || issueError?.code === 'queue_paused')
  const backIn = queue.is_paused ? remaining(queue.back_in_seconds, updatedAt, now) : null
  // The server sends no update that merely confirms the countdown (docs/live.md): count it down here.
  const etaLeft = queue.eta_seconds > 0 ? remaining(queue.eta_seconds, updatedAt, now) : null
  const otherError = issueError && !BLOCKING.has(issueError.code) ? errorText(issueError) : null

  return (
    <Frame banner={banner}>
      <h1 className="text-4xl font-black wrap-anywhere sm:text-6xl">{queue.name}</h1>
      {/* issue 16: a no-show's printed ticket read by the kiosk's scanner puts it back in line */}
      <ScanReturn api={api} enabled={!busy && !several} />

      {closed ? (
        <section role="status" className="grid w-full gap-3 rounded-3xl bg-stone-800 p-6 text-white sm:p-10">
          <p className="text-3xl font-black sm:text-5xl">{t('kiosk.closed')}</p>
          <p className="text-xl sm:text-3xl">{t('kiosk.closedBody')}</p>
        </section>
      ) : paused ? (
        <section role="status" className="grid w-full gap-3 rounded-3xl bg-amber-200 p-6 text-stone-950 ring-4 ring-amber-600 sm:p-10">
          <p className="text-3xl font-black sm:text-5xl">{t('kiosk.paused')}</p>
          <p className="text-xl sm:text-3xl">
            {backIn !== null && backIn > 0 ? t('kiosk.pausedBack', { minutes: minutesUp(backIn) }) : t('kiosk.pausedBody')}
          </p>
        </section>
      ) : (
        <>
          <div className="grid w-full gap-3 sm:grid-cols-2 sm:gap-6">
            <div className="grid min-w-0 content-center gap-1 rounded-3xl bg-white p-4 ring-2 ring-stone-300 [overflow-wrap:anywhere] sm:p-6">
              <p className="text-xl font-semibold text-stone-700 sm:text-2xl">{t('kiosk.nowServing')}</p>
              <p dir={queue.now_serving ? 'ltr' : undefined} className="text-4xl font-black tabular-nums sm:text-6xl">
                {queue.now_serving ?? t('kiosk.nobodyServed')}
              </p>
            </div>
            <div className="grid min-w-0 content-center gap-1 rounded-3xl bg-white p-4 ring-2 ring-stone-300 [overflow-wrap:anywhere] sm:p-6">
              <p className="text-2xl font-bold sm:text-3xl">
                {etaLeft !== null ? t('kiosk.eta', { minutes: minutesUp(etaLeft) }) : t('kiosk.noWait')}
              </p>
              <p className="text-lg sm:text-2xl">
                {queue.waiting_count > 0 ? t('kiosk.waiting', { count: queue.waiting_count }) : t('kiosk.nobodyWaiting')}
              </p>
            </div>
          </div>
          <button
            ref={takeButton}
            type="button"
            onClick={take}
            disabled={busy}
            className="min-h-[30vh] w-full rounded-3xl bg-(--accent) px-4 text-[clamp(2rem,12vw,3rem)] font-black text-(--accent-text) [overflow-wrap:anywhere] sm:px-6 shadow-lg hover:brightness-90 active:brightness-75 disabled:bg-stone-500 disabled:text-white sm:text-8xl focus-visible:outline-8 focus-visible:outline-offset-4 focus-visible:outline-blue-700"
          >
            {busy ? t('kiosk.taking') : t('kiosk.take')}
          </button>
        </>
      )}

      {otherError ? (
        <p role="alert" className="w-full rounded-2xl bg-red-100 p-4 text-2xl font-bold text-red-900 ring-2 ring-red-800">
          {otherError}
        </p>
      ) : null}

      <LanguageChoice current={language} onChoose={chooseLanguage} />
    </Frame>
  )
}
