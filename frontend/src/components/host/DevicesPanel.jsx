import { useId, useState } from 'react'
import Button from '../Button.jsx'
import StatusRow from '../shared/StatusRow.jsx'
import { agoText } from '../../lib/ago.js'
import { t } from '../../lib/strings.js'
import Notice from './Notice.jsx'
import PrintBadge from './PrintBadge.jsx'

// A printer's report as the server sends it (`devices[].printer`), plus the states the page
// derives: "disconnected" (a kiosk that had a printer and whose socket is closed now) and
// "none" (never reported a printer: a touch screen without a printer daemon).
const PRINTER_STATES = new Set(['ready', 'paper_low', 'paper_out', 'offline', 'error', 'unchecked'])
const LEVEL = {
  ready: 'ok',
  unchecked: 'ok',
  none: 'ok',
  paper_low: 'warning',
  unknown: 'warning',
  paper_out: 'problem',
  offline: 'problem',
  error: 'problem',
  disconnected: 'problem',
  stopped: 'problem',
}
const REPORTED = { now: 'host.devices.reportedNow', minutes: 'host.devices.reportedMinutes', hours: 'host.devices.reportedHours' }
// Tickets a kiosk may still print: the guest is in the building and not done yet.
const PRINTABLE = new Set(['WAITING', 'CALLED', 'SERVING'])
// The ones the host may want on paper again (a guest lost theirs).
const REPRINTABLE = new Set(['WAITING', 'CALLED'])

/**
 * One kiosk's state for the host: "stopped" (it exited over a setting that cannot work, such as
 * its GPIO pin, and said why in `error`), a printer state, "disconnected", "none" or "unknown".
 */
export function kioskState(device) {
  if (device?.error) return 'stopped'
  const printer = device?.printer ?? null
  // No printer ever reported: nothing to lose when its socket is closed (a touch screen does
  // not keep one open), so "not connected" would only be a false alarm.
  if (printer === null) return 'none'
  if (device.connected === false) return 'disconnected'
  return PRINTER_STATES.has(printer) ? printer : 'unknown'
}

export const kioskLevel = (state) => LEVEL[state] ?? 'warning'

/** Is there a kiosk that has reported a printer (so a reprint has somewhere to go)? */
export const hasPrinter = (devices) =>
  Array.isArray(devices) && devices.some((device) => device.kind === 'kiosk' && device.printer !== null && device.printer !== undefined)

/** The main line for a kiosk state, in the host's words. */
export const kioskStateText = (state) => t(`host.printer.${state}`)

/**
 * What to say aloud after the kiosks changed from `seen` (Map id → state, null at first):
 * every kiosk that now needs attention, or no longer does. Returns {seen, text}.
 */
export function kioskAnnouncement(seen, kiosks) {
  const next = new Map()
  const lines = []
  for (const kiosk of kiosks) {
    const state = kioskState(kiosk)
    next.set(kiosk.id, state)
    const before = seen?.get(kiosk.id)
    if (before === state) continue
    const level = kioskLevel(state)
    const wasTrouble = before !== undefined && kioskLevel(before) !== 'ok'
    if (level !== 'ok' || wasTrouble) lines.push(t('host.devices.announce', { name: kiosk.name, status: kioskStateText(state) }))
  }
  return { seen: next, text: lines.join(' ') }
}

function KioskRow({ kiosk, now }) {
  const state = kioskState(kiosk)
  const level = kioskLevel(state)
  const details = []
  if (state === 'stopped') details.push(kiosk.error)
  if (state === 'disconnected' && PRINTER_STATES.has(kiosk.printer)) {
    details.push(t('host.devices.lastKnown', { status: kioskStateText(kiosk.printer) }))
  }
  if (kiosk.printer_detail && state !== 'stopped') details.push(kiosk.printer_detail)
  if (kiosk.printer !== null && kiosk.printer !== undefined) {
    const ago = agoText(kiosk.status_at, now, REPORTED)
    if (ago) details.push(ago)
  }
  return (
    <StatusRow as="li" tone={level} okLook="bg-white ring-1 ring-stone-300" data-testid={`kiosk-${kiosk.id}`} data-level={level}>
      <p className="text-lg font-bold break-words">{kiosk.name}</p>
      <p className={`text-lg ${level === 'ok' ? '' : 'font-bold'}`}>{kioskStateText(state)}</p>
      {details.length ? <p className={`text-base break-words ${level === 'problem' ? '' : 'text-stone-700'}`}>{details.join(' · ')}</p> : null}
    </StatusRow>
  )
}

/**
 * "Kiosks & printers": each kiosk's printer in plain words, the tickets that did not reach
 * paper (with Reprint), and a way to print any waiting or called ticket again.
 * `devices` undefined means the box said nothing about devices (an older box): nothing shown.
 * `onReprint(ticket)` resolves to {ok, message, tone, skipped}.
 */
export default function DevicesPanel({ devices, tickets, now, busy, onReprint }) {
  const id = useId()
  const kiosks = (devices ?? []).filter((device) => device.kind === 'kiosk')
  const live = tickets.filter((ticket) => PRINTABLE.has(ticket.status)).sort((a, b) => a.position_number - b.position_number)
  const failed = live.filter((ticket) => ticket.print_status === 'failed')
  const printing = live.filter((ticket) => ticket.print_status === 'pending')
  const reprintable = live.filter((ticket) => REPRINTABLE.has(ticket.status))
  const canReprint = hasPrinter(kiosks)

  const [outcome, setOutcome] = useState(null)
  const [picked, setPicked] = useState('')
  const chosen = reprintable.find((ticket) => ticket.id === picked) ?? null

  // Say a change aloud once: the live region's text changes only when a kiosk's state does
  // (worked out while rendering, React's pattern for state that follows a value).
  const signature = devices ? kiosks.map((kiosk) => `${kiosk.id}\u0000${kiosk.name}\u0000${kioskState(kiosk)}`).join('\u0001') : null
  const [spoken, setSpoken] = useState({ signature: null, seen: null, text: '' })
  if (signature !== null && signature !== spoken.signature) {
    const { seen, text } = kioskAnnouncement(spoken.seen, kiosks)
    setSpoken({ signature, seen, text: text || spoken.text })
  }
  const announcement = spoken.text

  async function reprint(ticket) {
    setOutcome(null)
    const answer = await onReprint(ticket)
    if (answer?.skipped) return
    setOutcome(
      answer?.ok
        ? { tone: 'success', text: t('host.done.reprint', { number: ticket.display_number }) }
        : { tone: answer?.tone ?? 'error', text: answer?.message ?? t('error.generic') },
    )
  }

  const shown = kiosks.length > 0 || failed.length > 0 || printing.length > 0
  return (
    <>
      <div className="sr-only" role="status" aria-live="polite" aria-atomic="true" data-testid="kiosk-announcer">
        {announcement}
      </div>
      {shown ? (
        <section aria-labelledby={`${id}-title`} className="grid gap-3 rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-300">
          <h2 id={`${id}-title`} className="text-2xl font-bold">
            {t('host.devices.title')}
          </h2>
          {kiosks.length ? (
            <ul className="grid gap-2" aria-label={t('host.devices.kiosks')}>
              {kiosks.map((kiosk) => (
                <KioskRow key={kiosk.id} kiosk={kiosk} now={now} />
              ))}
            </ul>
          ) : null}

          {failed.length ? (
            <div className="grid gap-2">
              <h3 className="text-lg font-bold">{t('host.print.notPrintedTitle')}</h3>
              <ul className="grid gap-2">
                {failed.map((ticket) => (
                  <li
                    key={ticket.id}
                    data-testid={`not-printed-${ticket.display_number}`}
                    className="flex flex-wrap items-center justify-between gap-2 rounded-xl bg-red-50 p-2 ring-1 ring-red-800"
                  >
                    <span className="flex flex-wrap items-center gap-2">
                      <span className="text-2xl font-black tabular-nums break-all">{ticket.display_number}</span>
                      <PrintBadge status="failed" />
                    </span>
                    <Button
                      kind="secondary"
                      className="w-auto!"
                      disabled={busy.has(`reprint:${ticket.id}`)}
                      aria-label={t('host.action.label', { action: t('host.action.reprint'), number: ticket.display_number })}
                      onClick={() => reprint(ticket)}
                    >
                      {t('host.action.reprint')}
                    </Button>
                  </li>
                ))}
              </ul>
            </div>
          ) : null}

          {printing.length ? (
            <p className="text-base text-stone-700" data-testid="printing">
              {printing.map((ticket) => ticket.display_number).join(', ')}: <PrintBadge status="pending" />
            </p>
          ) : null}

          {canReprint && reprintable.length ? (
            <div className="grid gap-2">
              <label htmlFor={`${id}-again`} className="text-lg font-semibold">
                {t('host.print.again')}
              </label>
              <div className="flex gap-2">
                <select
                  id={`${id}-again`}
                  value={chosen ? chosen.id : ''}
                  onChange={(event) => setPicked(event.target.value)}
                  className="min-h-12 min-w-0 flex-1 rounded-xl border-2 border-stone-700 bg-white px-3 text-lg text-stone-950"
                >
                  <option value="">{t('host.print.pick')}</option>
                  {reprintable.map((ticket) => (
                    <option key={ticket.id} value={ticket.id}>
                      {ticket.display_number}
                    </option>
                  ))}
                </select>
                <Button
                  kind="secondary"
                  className="w-auto!"
                  disabled={!chosen || busy.has(`reprint:${chosen.id}`)}
                  onClick={() => chosen && reprint(chosen)}
                >
                  {t('host.action.reprint')}
                </Button>
              </div>
            </div>
          ) : null}
          <Notice notice={outcome} />
        </section>
      ) : null}
    </>
  )
}
