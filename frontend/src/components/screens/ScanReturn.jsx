// issue 16, grace: a guest marked as a no-show comes back and scans their printed ticket at the
// kiosk's scanner. The kiosk asks the box to put the ticket back in line (POST
// /api/tickets/{id}/return with the kiosk's token) and says the outcome in words for a few
// seconds: back in line (and how many are ahead), too late, already used once, not this kiosk's.
import { useCallback, useEffect, useRef, useState } from 'react'
import { uuid } from '../../lib/random.js'
import { errorText, t } from '../../lib/strings.js'
import '../../lib/strings.screens.js'
import { parseTicketUrl } from './ticketScan.js'
import { RETRY_WINDOW_MS } from './useRetryKey.js'
import { useTicketScanner } from './useTicketScanner.js'

export const SCAN_SHOWN_MS = 8000 // how long an outcome stays on screen

const REFUSALS = {
  window_passed: 'late',
  already_returned: 'used',
  not_no_show: 'notMissed',
  returns_off: 'off',
  service_not_in_scope: 'notHere',
  ticket_not_found: 'notHere',
}

function outcomeOf(error) {
  const kind = REFUSALS[error?.code]
  if (kind) return { kind }
  if (error?.status === 404) return { kind: 'notHere' }
  return { kind: 'error', text: errorText(error) }
}

function Outcome({ outcome }) {
  if (outcome.kind === 'checking') return <p className="text-3xl font-bold sm:text-4xl">{t('kiosk.scan.checking')}</p>
  if (outcome.kind === 'back') {
    return (
      <>
        <p className="text-3xl font-black sm:text-5xl">{t('kiosk.scan.back', { number: outcome.number })}</p>
        <p className="text-2xl sm:text-3xl">
          {outcome.ahead > 0 ? t('kiosk.scan.ahead', { count: outcome.ahead }) : t('kiosk.scan.next')}
        </p>
      </>
    )
  }
  const text = outcome.kind === 'error' ? outcome.text : t(`kiosk.scan.${outcome.kind}`)
  return (
    <>
      <p className="text-3xl font-black sm:text-5xl">{t('kiosk.scan.refusedTitle')}</p>
      <p className="text-2xl sm:text-3xl">{text}</p>
    </>
  )
}

export default function ScanReturn({ api, enabled = true, shownMs = SCAN_SHOWN_MS }) {
  const [outcome, setOutcome] = useState(null)
  const running = useRef(false)
  // A scan whose answer was lost (offline) may have put the ticket back: the guest's next scan of
  // it within a minute reuses its Idempotency-Key, so the box answers "back in line" again rather
  // than "already used".
  const lost = useRef(null)
  const onScan = useCallback(async (text) => {
    if (running.current) return // one scan at a time: a second read of the same code waits its turn
    const ticketId = parseTicketUrl(text)
    if (!ticketId) {
      setOutcome({ kind: 'unknown' })
      return
    }
    running.current = true
    setOutcome({ kind: 'checking' })
    const retry = lost.current
    const idempotencyKey = retry && retry.ticketId === ticketId && Date.now() - retry.at < RETRY_WINDOW_MS ? retry.key : uuid()
    lost.current = null
    try {
      const ticket = await api.returnTicket(ticketId, { idempotencyKey })
      setOutcome({ kind: 'back', number: ticket.display_number, ahead: ticket.people_ahead ?? 0 })
    } catch (err) {
      if (err?.code === 'offline') lost.current = { ticketId, key: idempotencyKey, at: Date.now() }
      setOutcome(outcomeOf(err))
    } finally {
      running.current = false
    }
  }, [api])
  useTicketScanner(enabled, onScan)

  useEffect(() => {
    if (!outcome || outcome.kind === 'checking') return undefined
    const timer = setTimeout(() => setOutcome(null), shownMs)
    return () => clearTimeout(timer)
  }, [outcome, shownMs])

  const tone = !outcome || outcome.kind === 'checking'
    ? 'bg-white text-stone-950 ring-stone-400'
    : outcome.kind === 'back'
      ? 'bg-green-100 text-green-950 ring-green-800'
      : 'bg-amber-100 text-stone-950 ring-amber-700'
  // The live region is always there (a screen reader hears what appears in it); empty, it takes no room.
  return (
    <div role="status" data-testid="scan-outcome" data-kind={outcome?.kind ?? ''}
      className={outcome ? `grid w-full gap-3 rounded-3xl p-6 ring-4 wrap-anywhere sm:p-8 ${tone}` : 'contents'}>
      {outcome ? <Outcome outcome={outcome} /> : null}
    </div>
  )
}
