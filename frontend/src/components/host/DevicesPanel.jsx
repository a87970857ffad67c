import { useId, useState } from 'react'
import Button from '../Button.jsx'
import DisplayVoiceControls from '../shared/DisplayVoiceControls.jsx'
import StatusRow from '../shared/StatusRow.jsx'
import { agoText } from '../../lib/ago.js'
import { t } from '../../lib/strings.js'
import '../../lib/strings.host.js'
import Notice from './Notice.jsx'
import PrintBadge from './PrintBadge.jsx'
import { hasPrinter, kioskAnnouncement, kioskLevel, kioskState, kioskStateText, PRINTER_STATES } from './kiosks.js'

const REPORTED = { now: 'host.devices.reportedNow', minutes: 'host.devices.reportedMinutes', hours: 'host.devices.reportedHours' }
// Tickets a kiosk may still print: the guest is in the building and not done yet.
const PRINTABLE = new Set(['WAITING', 'CALLED', 'SERVING'])
// The ones the host may want on paper again (a guest lost theirs).
const REPRINTABLE = new Set(['WAITING', 'CALLED'])

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
      <p className="text-lg font-bold wrap-anywhere">{kiosk.name}</p>
      <p className={`text-lg ${level === 'ok' ? '' : 'font-bold'}`}>{kioskStateText(state)}</p>
      {details.length ? <p className={`text-base wrap-anywhere ${level === 'problem' ? '' : 'text-stone-700'}`}>{details.join(' · ')}</p> : null}
    </StatusRow>
  )
}

/** Issue 16: a TV of this line, with its voice switch and test (the TV follows them at once). */
function DisplayRow({ display, onVoice, onVoiceTest }) {
  return (
    <li className="grid gap-1 rounded-xl bg-white p-3 ring-1 ring-stone-300" data-testid={`display-${display.id}`}>
      <p className="text-lg font-bold wrap-anywhere">{display.name}</p>
      <p className="text-base text-stone-700">{t(display.connected ? 'voice.online' : 'voice.offline')}</p>
      <DisplayVoiceControls device={display} onSwitch={(on) => onVoice(display, on)} onTest={() => onVoiceTest(display)} />
    </li>
  )
}

/**
 * "Kiosks & printers": each kiosk's printer in plain words, the tickets that did not reach
 * paper (with Reprint), and a way to print any waiting or called ticket again.
 * `devices` undefined means the box said nothing about devices (an older box): nothing shown.
 * `onReprint(ticket)` resolves to {ok, message, tone, skipped}.
 */
export default function DevicesPanel({ devices, revoked = [], tickets, now, busy, onReprint, onVoice, onVoiceTest }) {
  const id = useId()
  const kiosks = (devices ?? []).filter((device) => device.kind === 'kiosk')
  const displays = onVoice ? (devices ?? []).filter((device) => device.kind === 'display') : []
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

  const shown = kiosks.length > 0 || failed.length > 0 || printing.length > 0 || revoked.length > 0
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
          {revoked.length ? (
            <ul className="grid gap-1" data-testid="revoked-devices">
              {revoked.map((device) => (
                <li key={device.device_id} className="rounded-xl bg-stone-100 p-2 text-base text-stone-800">
                  {t(device.kind === 'display' ? 'host.devices.revokedDisplay' : 'host.devices.revokedKiosk', { name: device.name })}
                </li>
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
                      <span dir="ltr" className="text-2xl font-black tabular-nums break-all">{ticket.display_number}</span>
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
                  className="min-h-12 w-full min-w-0 flex-1 rounded-xl border-2 border-stone-700 bg-white px-3 text-lg text-stone-950"
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
      {displays.length ? (
        <section aria-labelledby={`${id}-tvs`} className="grid gap-3 rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-300">
          <h2 id={`${id}-tvs`} className="text-2xl font-bold">
            {t('voice.displays')}
          </h2>
          <ul className="grid gap-2">
            {displays.map((display) => (
              <DisplayRow key={display.id} display={display} onVoice={onVoice} onVoiceTest={onVoiceTest} />
            ))}
          </ul>
        </section>
      ) : null}
    </>
  )
}
