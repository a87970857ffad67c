import { useState } from 'react'
import Button from '../Button.jsx'
import CopyLink from '../screens/CopyLink.jsx'
import Field from '../shared/Field.jsx'
import { absoluteUrl, paths } from '../../lib/screensApi.js'
import { errorText, t } from '../../lib/strings.js'
import '../../lib/strings.screens.js'
import Fold from './Fold.jsx'
import LinkQr from './LinkQr.jsx'
import ServicePicker from './ServicePicker.jsx'
import { Choice } from '../shared/CheckRow.jsx'
import DisplayVoice from './DisplayVoice.jsx'

/**
 * Screens for several services: a TV and a touch kiosk, each registered with its services and
 * shown once with its token (`/display?services=…#token=…`, issue 16; `/kiosk#token=…`); and, with more than one service, the join
 * page where guests choose one. Each queue's card keeps its own one-service kiosk and display.
 */
export default function ServiceScreens({ api, services, origins, onRejected }) {
  const [which, setWhich] = useState('all')
  const [picked, setPicked] = useState([])
  const [name, setName] = useState('')
  const [busy, setBusy] = useState(null) // the kind being added
  const [failure, setFailure] = useState(null)
  const [problem, setProblem] = useState(null)
  const [made, setMade] = useState([]) // [{kind, name, url}]
  const [voice, setVoice] = useState(true) // issue 16: the TV link speaks the calls, or `voice=off`

  function chosen() {
    if (which === 'all') return null
    if (!picked.length) {
      setProblem(t('setup.screensPickOne'))
      return undefined
    }
    return picked
  }

  // A kiosk, or (issue 16) a display registered with its services: its link carries its token,
  // so the host can switch its voice and test it (its home service's devices list it).
  async function add(kind) {
    setProblem(null)
    setFailure(null)
    const ids = chosen()
    if (ids === undefined) return
    const all = ids ?? services.map((s) => s.id)
    if (!all.length) return
    setBusy(kind)
    try {
      const [home, ...rest] = all
      const fallback = kind === 'kiosk' ? t('setup.defaultKiosk') : t('setup.defaultDisplay')
      const device = await api.addDevice(home, { name: name.trim() || fallback, kind, services: rest })
      // "Speak the calls" unticked: the box keeps the TV quiet (the host's switch), and so does its link
      if (kind === 'display' && !voice) await api.setDeviceVoice(home, device.id, false)
      const path = kind === 'kiosk' ? paths.kioskServices(device.token) : paths.displayServices(ids, device.token, voice)
      setMade((list) => [{ kind, name: device.name, url: absoluteUrl(path, origins.staff), key: device.id }, ...list])
      setName('')
    } catch (err) {
      if (!onRejected(err)) setFailure(errorText(err))
    } finally {
      setBusy(null)
    }
  }

  const joinUrl = absoluteUrl(paths.joinServices(), origins.guest)
  return (
    <section aria-labelledby="screens-title" className="grid gap-4 rounded-2xl bg-white p-3 shadow-sm sm:p-5 ring-1 ring-stone-300">
      <h2 id="screens-title" className="text-2xl font-bold">
        {t('setup.screensTitle')}
      </h2>
      {services.length > 1 ? (
        <Fold title={t('setup.joinChooseTitle')}>
          <p className="text-base">{t('setup.joinChooseHelp')}</p>
          <CopyLink url={joinUrl} label={t('setup.joinChooseTitle')} open />
          <LinkQr api={api} url={joinUrl} alt={t('setup.joinChooseQrAlt')} />
        </Fold>
      ) : null}
      <Fold title={`${t('setup.addKiosk')} · ${t('setup.addDisplay')}`}>
        <p className="text-base text-stone-700">{t('setup.screensHelp')}</p>
        <Field
          id="screens-name"
          label={t('setup.deviceName')}
          hint={t('setup.screensNameHint')}
          value={name}
          maxLength={80}
          onChange={(event) => setName(event.target.value)}
        />
        <Choice
          name="screens-which"
          legend={t('setup.screensWhich')}
          value={which}
          onChange={setWhich}
          options={[
            ['all', t('setup.screensAll')],
            ['some', t('setup.screensSome')],
          ]}
        />
        {which === 'some' ? (
          <ServicePicker id="screens-services" legend={t('setup.staffServices')} services={services} picked={picked} onChange={setPicked} error={problem} />
        ) : null}
        <DisplayVoice api={api} on={voice} onChange={setVoice} showTest={false} />
        <div className="flex flex-wrap gap-3">
          <Button onClick={() => add('kiosk')} disabled={busy !== null} className="w-auto flex-auto">
            {busy === 'kiosk' ? t('setup.adding') : t('setup.addKiosk')}
          </Button>
          <Button onClick={() => add('display')} disabled={busy !== null} className="w-auto flex-auto">
            {busy === 'display' ? t('setup.adding') : t('setup.addDisplay')}
          </Button>
        </div>
      </Fold>
      {failure ? (
        <p role="alert" className="text-lg font-semibold text-red-800">
          {failure}
        </p>
      ) : null}
      {made.length ? (
        <ul className="grid gap-4">
          {made.map((entry) => {
            const kiosk = entry.kind === 'kiosk'
            const title = kiosk ? t('setup.kioskAdded', { name: entry.name }) : t('setup.displayAdded', { name: entry.name })
            return (
              <li key={entry.key} className="grid gap-2 rounded-xl bg-stone-100 p-2 sm:p-4">
                <p className="text-lg font-bold">{title}</p>
                <p className="text-base">{kiosk ? t('setup.kioskOnce') : t('setup.displayOnce')}</p>
                <CopyLink url={entry.url} label={title} />
                <LinkQr api={api} url={entry.url} alt={t('setup.screenQrAlt', { name: title })} />
              </li>
            )
          })}
        </ul>
      ) : null}
    </section>
  )
}
