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
import { Choice } from './StaffLinks.jsx'
import { withVoice } from '../screens/announcer.js'
import DisplayVoice from './DisplayVoice.jsx'

/**
 * Screens for several services: a TV link (`/display?services=…`) and a touch kiosk registered
 * with its services (`/kiosk#token=…`, shown once); and, with more than one service, the join
 * page where guests choose one. Each queue's card keeps its own one-service kiosk and display.
 */
export default function ServiceScreens({ api, services, origins, onRejected }) {
  const [which, setWhich] = useState('all')
  const [picked, setPicked] = useState([])
  const [name, setName] = useState('')
  const [busy, setBusy] = useState(false)
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

  function addDisplay() {
    setProblem(null)
    const ids = chosen()
    if (ids === undefined) return
    const url = absoluteUrl(withVoice(paths.displayServices(ids), voice), origins.staff)
    setMade((list) => [{ kind: 'display', name: name.trim() || t('setup.defaultDisplay'), url, key: `d${list.length}` }, ...list])
    setName('')
  }

  async function addKiosk() {
    setProblem(null)
    setFailure(null)
    const ids = chosen()
    if (ids === undefined) return
    const all = ids ?? services.map((s) => s.id)
    if (!all.length) return
    setBusy(true)
    try {
      const [home, ...rest] = all
      const device = await api.addDevice(home, { name: name.trim() || t('setup.defaultKiosk'), kind: 'kiosk', services: rest })
      const url = absoluteUrl(paths.kioskServices(device.token), origins.staff)
      setMade((list) => [{ kind: 'kiosk', name: device.name, url, key: device.id }, ...list])
      setName('')
    } catch (err) {
      if (!onRejected(err)) setFailure(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  const joinUrl = absoluteUrl(paths.joinServices(), origins.guest)
  return (
    <section aria-labelledby="screens-title" className="grid gap-4 rounded-2xl bg-white p-4 shadow-sm sm:p-5 ring-1 ring-stone-300">
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
          <Button onClick={addKiosk} disabled={busy} className="w-auto flex-auto">
            {busy ? t('setup.adding') : t('setup.addKiosk')}
          </Button>
          <Button onClick={addDisplay} disabled={busy} className="w-auto flex-auto">
            {t('setup.addDisplay')}
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
              <li key={entry.key} className="grid gap-2 rounded-xl bg-stone-100 p-3 sm:p-4">
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
