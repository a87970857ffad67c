import { useCallback, useEffect, useRef, useState } from 'react'
import Button from '../Button.jsx'
import { agoText } from '../../lib/ago.js'
import { errorText, t } from '../../lib/strings.js'
import '../../lib/strings.screens.js'

const SEEN = { now: 'setup.device.seenNow', minutes: 'setup.device.seenMinutes', hours: 'setup.device.seenHours', days: 'setup.device.seenDays' }
const PRINTERS = new Set(['ready', 'paper_low', 'paper_out', 'offline', 'error', 'unchecked'])

/** One line of what the box knows about a device: online or last seen, and its printer. */
function statusText(device, now) {
  const parts = [device.connected ? t('setup.device.online') : (agoText(device.last_seen, now, SEEN) ?? t('setup.device.neverSeen'))]
  if (device.kind === 'kiosk') {
    parts.push(PRINTERS.has(device.printer) ? t(`setup.device.printer.${device.printer}`) : t('setup.device.noPrinter'))
  }
  if (device.error) parts.push(device.error)
  return parts.join(' · ')
}

function DeviceRow({ device, now, busy, onRevoke }) {
  const [asking, setAsking] = useState(false)
  const title = device.kind === 'kiosk' ? t('setup.kioskAdded', { name: device.name }) : t('setup.displayAdded', { name: device.name })
  return (
    <li className="grid gap-2 rounded-xl bg-stone-100 p-3" data-testid={`device-${device.id}`}>
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <p className="min-w-0 flex-1 basis-48">
          <span className="block text-lg font-bold wrap-anywhere">{title}</span>
          <span className="block text-base wrap-anywhere text-stone-800">{statusText(device, now)}</span>
        </p>
        {asking ? null : (
          <Button kind="secondary" className="w-auto!" onClick={() => setAsking(true)} aria-label={t('setup.device.revokeLabel', { name: device.name })}>
            {t('setup.device.revoke')}
          </Button>
        )}
      </div>
      {asking ? (
        <div role="group" aria-label={t('setup.device.revokeLabel', { name: device.name })} className="grid gap-2 rounded-xl border-2 border-red-800 bg-white p-3">
          <p className="text-base font-semibold">{t('setup.device.revokeWarn', { name: device.name })}</p>
          <div className="flex flex-wrap gap-2">
            <Button kind="danger" className="w-auto! flex-1" disabled={busy} autoFocus onClick={() => onRevoke(device)}>
              {busy ? t('setup.device.revoking') : t('setup.device.revokeConfirm')}
            </Button>
            <Button kind="secondary" className="w-auto! flex-1" disabled={busy} onClick={() => setAsking(false)}>
              {t('setup.cancel')}
            </Button>
          </div>
        </div>
      ) : null}
    </li>
  )
}

/**
 * The queue's registered kiosks and displays as the box sees them (online or last seen, the
 * printer), each with Revoke. `added` changes when this page registers one, to load again.
 */
export default function DeviceList({ queue, api, added, onRejected }) {
  const [state, setState] = useState({ devices: null, failure: null })
  const [busy, setBusy] = useState(null) // id being revoked
  const [said, setSaid] = useState('')
  const [now, setNow] = useState(() => Date.now())
  const heading = useRef(null) // focus lands here when the focused row is removed
  const alive = useRef(true) // no state is set after the list has left the page
  useEffect(() => {
    alive.current = true
    return () => {
      alive.current = false
    }
  }, [])

  const load = useCallback(async () => {
    try {
      const answer = await api.listDevices(queue.id)
      if (!alive.current) return
      setState({ devices: Array.isArray(answer?.devices) ? answer.devices : [], failure: null })
      setNow(Date.now())
    } catch (err) {
      if (alive.current && !onRejected(err)) setState((s) => ({ ...s, failure: errorText(err) }))
    }
  }, [api, queue.id, onRejected])

  useEffect(() => {
    load()
    const timer = setInterval(load, 30000)
    return () => clearInterval(timer)
  }, [load, added])

  async function revoke(device) {
    setBusy(device.id)
    try {
      await api.revokeDevice(queue.id, device.id)
      if (!alive.current) return
      setSaid(t('setup.device.revoked', { name: device.name }))
      setState((s) => ({ ...s, devices: (s.devices ?? []).filter((d) => d.id !== device.id) }))
      heading.current?.focus() // the focused "Remove" went with its row: keep the keyboard's place
    } catch (err) {
      if (alive.current && !onRejected(err)) setSaid(errorText(err))
    } finally {
      if (alive.current) setBusy(null)
    }
  }

  const devices = state.devices
  return (
    <div className="grid gap-2">
      <h5 ref={heading} tabIndex={-1} className="text-lg font-bold">
        {t('setup.device.listTitle')}
      </h5>
      {devices === null && !state.failure ? <p className="text-base">{t('setup.device.loading')}</p> : null}
      {state.failure ? <p className="text-base font-semibold text-red-800">{state.failure}</p> : null}
      {devices && !devices.length ? <p className="text-base text-stone-700">{t('setup.device.none')}</p> : null}
      {devices && devices.length ? (
        <ul className="grid gap-2" aria-label={t('setup.device.listOf', { name: queue.name })}>
          {devices.map((device) => (
            <DeviceRow key={device.id} device={device} now={now} busy={busy === device.id} onRevoke={revoke} />
          ))}
        </ul>
      ) : null}
      <p role="status" className="text-base font-semibold empty:hidden">
        {said}
      </p>
    </div>
  )
}
