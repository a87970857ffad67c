import { useState } from 'react'
import Button from '../Button.jsx'
import CopyLink from '../screens/CopyLink.jsx'
import DeviceList from './DeviceList.jsx'
import { absoluteUrl, paths } from '../../lib/screensApi.js'
import { errorText, t } from '../../lib/strings.js'
import '../../lib/strings.screens.js'

/** Add a kiosk or a display to a queue; the links of those added in this session (shown once);
 * the queue's devices with their status and Revoke. */
export default function Devices({ queue, api, origin, devices, onDevice, onRejected, services }) {
  const [name, setName] = useState('')
  const [busy, setBusy] = useState(null) // the kind being added
  const [failure, setFailure] = useState(null)
  const inputId = `device-name-${queue.id}`

  async function add(kind) {
    setBusy(kind)
    setFailure(null)
    const fallback = kind === 'kiosk' ? t('setup.defaultKiosk') : t('setup.defaultDisplay')
    try {
      const device = await api.addDevice(queue.id, { name: name.trim() || fallback, kind })
      setName('')
      onDevice(device)
    } catch (err) {
      if (!onRejected(err)) setFailure(errorText(err))
    } finally {
      setBusy(null)
    }
  }

  return (
    <section className="grid gap-3">
      <h4 className="text-xl font-bold">{t('setup.devicesTitle')}</h4>
      <p className="text-base text-stone-700">{t('setup.devicesHelp')}</p>
      <div className="grid gap-1">
        <label htmlFor={inputId} className="text-lg font-semibold">
          {t('setup.deviceName')}
        </label>
        <input
          id={inputId}
          value={name}
          maxLength={80}
          onChange={(event) => setName(event.target.value)}
          className="min-h-12 w-full min-w-0 rounded-lg border-2 border-stone-500 bg-white px-3 text-lg"
        />
      </div>
      <div className="flex flex-wrap gap-3">
        <Button onClick={() => add('kiosk')} disabled={busy !== null} className="w-auto flex-1">
          {busy === 'kiosk' ? t('setup.adding') : t('setup.addKiosk')}
        </Button>
        <Button onClick={() => add('display')} disabled={busy !== null} className="w-auto flex-1">
          {busy === 'display' ? t('setup.adding') : t('setup.addDisplay')}
        </Button>
      </div>
      {failure ? (
        <p role="alert" className="text-lg font-semibold text-red-800">
          {failure}
        </p>
      ) : null}
      {devices.length ? (
        <ul className="grid gap-4">
          {devices.map((device) => {
            const kiosk = device.kind === 'kiosk'
            const title = kiosk ? t('setup.kioskAdded', { name: device.name }) : t('setup.displayAdded', { name: device.name })
            return (
              <li key={device.id} className="grid gap-2 rounded-xl bg-stone-100 p-4">
                <p className="text-lg font-bold">{title}</p>
                <p className="text-base">{kiosk ? t('setup.kioskOnce') : t('setup.displayOnce')}</p>
                <CopyLink
                  url={absoluteUrl(kiosk ? paths.kiosk(queue.id, device.token) : paths.display(queue.id, device.token), origin)}
                  label={title}
                />
                {kiosk ? (
                  <>
                    <p className="text-base">{t('setup.kioskPrinter')}</p>
                    <pre dir="ltr" className="overflow-x-auto rounded-lg bg-white p-3 text-sm">
                      {`QODE_KIOSK_QUEUE=${queue.id}\nQODE_KIOSK_TOKEN=${device.token}`}
                    </pre>
                  </>
                ) : null}
              </li>
            )
          })}
        </ul>
      ) : null}
      <DeviceList queue={queue} api={api} added={devices.length} onRejected={onRejected} services={services} />
    </section>
  )
}
