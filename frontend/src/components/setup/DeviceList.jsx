import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react'
import Button from '../Button.jsx'
import ServicePicker from './ServicePicker.jsx'
import DisplayVoiceControls from '../shared/DisplayVoiceControls.jsx'
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

const names = (services) => services.map((s) => s.name).join(', ')

/** The services a kiosk covers besides its home one, ticked in order; Save sends them (issue 15). */
function ChangeServices({ device, home, services, busy, onSave, onCancel }) {
  const others = services.filter((s) => s.id !== home.id)
  const [picked, setPicked] = useState(() => (device.services ?? []).map((s) => s.id).filter((id) => id !== home.id))
  const form = useRef(null)
  // The button that opened the form went away: the keyboard goes on at its first box.
  useLayoutEffect(() => {
    form.current?.querySelector('input')?.focus()
  }, [])
  return (
    <form
      ref={form}
      aria-label={t('setup.device.changeLabel', { name: device.name })}
      className="grid gap-2 rounded-xl border-2 border-stone-700 bg-white p-3"
      onSubmit={(event) => {
        event.preventDefault()
        onSave(device, picked)
      }}
    >
      <ServicePicker id={`device-${device.id}-services`} legend={t('setup.device.alsoLegend', { home: home.name })} services={others} picked={picked} onChange={setPicked} />
      <div className="flex flex-wrap gap-2">
        <Button type="submit" className="w-auto! flex-1" disabled={busy}>
          {busy ? t('setup.device.saving') : t('setup.device.save')}
        </Button>
        <Button kind="secondary" className="w-auto! flex-1" disabled={busy} onClick={onCancel}>
          {t('setup.cancel')}
        </Button>
      </div>
    </form>
  )
}

function DeviceRow({ device, now, busy, onRevoke, home, services, saving, onSave, onVoice, onVoiceTest }) {
  const [asking, setAsking] = useState(false)
  const [changing, setChanging] = useState(false)
  // Saved or cancelled: the focus goes back to "Change services", not to the page.
  const changeButton = useRef(null)
  const wasChanging = useRef(false)
  useLayoutEffect(() => {
    if (wasChanging.current && !changing) changeButton.current?.focus()
    wasChanging.current = changing
  }, [changing])
  const title = device.kind === 'kiosk' ? t('setup.kioskAdded', { name: device.name }) : t('setup.displayAdded', { name: device.name })
  // A box of several services: the kiosk's services are shown and can change (its link stays).
  const several = device.kind === 'kiosk' && services.length > 1
  return (
    <li className="grid gap-2 rounded-xl bg-stone-100 p-3" data-testid={`device-${device.id}`}>
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <p className="min-w-0 flex-1 basis-48">
          <span className="block text-lg font-bold wrap-anywhere">{title}</span>
          <span className="block text-base wrap-anywhere text-stone-800">{statusText(device, now)}</span>
          {several && device.services?.length ? (
            <span className="block text-base wrap-anywhere text-stone-800">{t('setup.device.services', { names: names(device.services) })}</span>
          ) : null}
        </p>
        {several && !changing && !asking ? (
          <Button ref={changeButton} kind="secondary" className="w-auto!" onClick={() => setChanging(true)} aria-label={t('setup.device.changeLabel', { name: device.name })}>
            {t('setup.device.change')}
          </Button>
        ) : null}
        {asking || changing ? null : (
          <Button kind="secondary" className="w-auto!" onClick={() => setAsking(true)} aria-label={t('setup.device.revokeLabel', { name: device.name })}>
            {t('setup.device.revoke')}
          </Button>
        )}
      </div>
      {device.kind === 'display' && !asking ? (
        <DisplayVoiceControls device={device} onSwitch={(on) => onVoice(device, on)} onTest={() => onVoiceTest(device)} />
      ) : null}
      {changing ? (
        <ChangeServices
          device={device}
          home={home}
          services={services}
          busy={saving}
          onCancel={() => setChanging(false)}
          onSave={async (d, picked) => {
            if (await onSave(d, picked)) setChanging(false)
          }}
        />
      ) : null}
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
export default function DeviceList({ queue, api, added, onRejected, services = [] }) {
  const [state, setState] = useState({ devices: null, failure: null })
  const [busy, setBusy] = useState(null) // id being revoked
  const [saving, setSaving] = useState(null) // id whose services are being saved
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

  async function saveServices(device, picked) {
    setSaving(device.id)
    try {
      const changed = await api.updateDevice(queue.id, device.id, { services: [queue.id, ...picked] })
      if (!alive.current) return false
      setState((s) => ({ ...s, devices: (s.devices ?? []).map((d) => (d.id === device.id ? { ...d, ...changed } : d)) }))
      setSaid(t('setup.device.saved', { name: device.name, names: names(changed?.services ?? []) }))
      return true
    } catch (err) {
      if (alive.current && !onRejected(err)) setSaid(errorText(err))
      return false
    } finally {
      if (alive.current) setSaving(null)
    }
  }

  // Issue 16: a display's voice switch and test; each answer is shown in the display's own row.
  async function switchVoice(device, on) {
    try {
      const changed = await api.setDeviceVoice(queue.id, device.id, on)
      if (alive.current) setState((s) => ({ ...s, devices: (s.devices ?? []).map((d) => (d.id === device.id ? { ...d, ...changed } : d)) }))
      return { ok: true }
    } catch (err) {
      return { ok: false, message: onRejected(err) ? null : errorText(err) }
    }
  }

  async function testVoice(device) {
    try {
      await api.testDeviceVoice(queue.id, device.id)
      return { ok: true }
    } catch (err) {
      return { ok: false, message: onRejected(err) ? null : errorText(err) }
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
            <DeviceRow
              key={device.id}
              device={device}
              now={now}
              busy={busy === device.id}
              onRevoke={revoke}
              home={queue}
              services={services}
              saving={saving === device.id}
              onSave={saveServices}
              onVoice={switchVoice}
              onVoiceTest={testVoice}
            />
          ))}
        </ul>
      ) : null}
      <p role="status" className="text-base font-semibold empty:hidden">
        {said}
      </p>
    </div>
  )
}
