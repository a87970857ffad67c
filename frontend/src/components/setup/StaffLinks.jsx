import { useState } from 'react'
import Button from '../Button.jsx'
import FitWords from '../FitWords.jsx'
import CopyLink from '../screens/CopyLink.jsx'
import { Choice } from '../shared/CheckRow.jsx'
import Field from '../shared/Field.jsx'
import { useSend } from '../shared/useSend.js'
import { errorText, t } from '../../lib/strings.js'
import '../../lib/strings.screens.js'
import Fold from './Fold.jsx'
import LinkQr from './LinkQr.jsx'
import ServicePicker from './ServicePicker.jsx'
import { useBoxList } from './useBoxList.js'

/** Host links for several services or the whole box, with a role: make one (shown once), list, revoke. */
export default function StaffLinks({ api, services, onRejected }) {
  const [tokens, setTokenList] = useBoxList(api.listHostTokens, 'tokens', onRejected)
  const [made, setMade] = useState(null) // the HostTokenCreated of this visit: its link is shown once
  const [name, setName] = useState('')
  const [role, setRole] = useState('staff')
  const [scope, setScope] = useState('services')
  const [picked, setPicked] = useState([])
  const [revoking, setRevoking] = useState(null)
  const [confirming, setConfirming] = useState(null) // the id of the link whose Revoke was pressed
  const [revokeFailure, setRevokeFailure] = useState(null)
  const { busy, problems, failure, send } = useSend(onRejected)
  const names = Object.fromEntries(services.map((s) => [s.id, s.name]))

  function submit(event) {
    event.preventDefault()
    const found = {}
    if (!name.trim()) found.name = t('setup.staffNameRequired')
    if (scope === 'services' && !picked.length) found.services = t('setup.staffServicesRequired')
    send(found, async () => {
      const body = { name: name.trim(), role, scope }
      if (scope === 'services') body.services = picked
      const answer = await api.createHostToken(body)
      const { token: _secret, host_url: _url, ...listed } = answer
      setMade(answer)
      setTokenList((list) => [listed, ...list.filter((x) => x.id !== answer.id)])
      setName('')
      setPicked([])
    })
  }

  async function revoke(entry) {
    setRevoking(entry.id)
    setRevokeFailure(null)
    try {
      const answer = await api.revokeHostToken(entry.id)
      setTokenList((list) => list.map((x) => (x.id === entry.id ? { ...x, ...answer, revoked_at: answer?.revoked_at ?? 'now' } : x)))
      if (made?.id === entry.id) setMade(null)
      setConfirming(null)
    } catch (err) {
      if (!onRejected(err)) setRevokeFailure(errorText(err))
    } finally {
      setRevoking(null)
    }
  }

  const live = tokens.list.filter((x) => !x.revoked_at)
  const scopeText = (entry) =>
    entry.scope === 'box' ? t('setup.staffWholeBox') : entry.services.map((id) => names[id] ?? id).join(', ')

  return (
    <section aria-labelledby="staff-title" className="grid gap-4 rounded-2xl bg-white p-3 shadow-sm sm:p-5 ring-1 ring-stone-300">
      <h2 id="staff-title" className="text-2xl font-bold">
        {t('setup.staffTitle')}
      </h2>
      <p className="text-base text-stone-700">{t('setup.staffHelp')}</p>
      {made ? (
        <div className="grid gap-2 rounded-xl bg-stone-100 p-2 sm:p-4">
          <p className="rounded-lg bg-amber-100 p-3 text-base font-semibold text-stone-950 ring-2 ring-amber-600">{t('setup.hostOnce')}</p>
          <CopyLink url={made.host_url} label={t('setup.linkOf', { what: t('setup.staffLink'), name: made.name })} open />
          <LinkQr api={api} url={made.host_url} alt={t('setup.staffQrAlt', { name: made.name })} />
        </div>
      ) : null}
      <Fold title={t('setup.staffMake')}>
        <form aria-label={t('setup.staffMake')} className="grid gap-4" noValidate onSubmit={submit}>
          <Field
            id="staff-name"
            label={t('setup.staffName')}
            hint={t('setup.staffNameHint')}
            error={problems.name}
            value={name}
            maxLength={80}
            onChange={(event) => setName(event.target.value)}
          />
          <Choice
            name="staff-role"
            legend={t('setup.staffRole')}
            value={role}
            onChange={setRole}
            options={[
              ['staff', t('setup.roleStaff')],
              ['manager', t('setup.roleManager')],
            ]}
          />
          <Choice
            name="staff-scope"
            legend={t('setup.staffScope')}
            value={scope}
            onChange={setScope}
            options={[
              ['services', t('setup.staffSomeServices')],
              ['box', t('setup.staffWholeBox')],
            ]}
          />
          {scope === 'services' ? (
            <ServicePicker
              id="staff-services"
              legend={t('setup.staffServices')}
              services={services}
              picked={picked}
              onChange={setPicked}
              error={problems.services}
            />
          ) : null}
          {failure ? (
            <p role="alert" className="text-lg font-semibold text-red-800">
              {failure}
            </p>
          ) : null}
          <Button type="submit" disabled={busy}>
            {busy ? t('setup.creating') : t('setup.staffMake')}
          </Button>
        </form>
      </Fold>
      {tokens.status === 'error' ? (
        <p role="alert" className="text-lg font-semibold text-red-800">
          {errorText(tokens.error)}
        </p>
      ) : null}
      {revokeFailure ? (
        <p role="alert" className="text-lg font-semibold text-red-800">
          {revokeFailure}
        </p>
      ) : null}
      <h3 className="text-xl font-bold">{t('setup.staffListTitle')}</h3>
      {tokens.status === 'ready' && !live.length ? <p className="text-lg">{t('setup.staffNone')}</p> : null}
      {live.length ? (
        <ul className="grid gap-3">
          {live.map((entry) => (
            <li key={entry.id} className="flex flex-wrap items-center gap-3 rounded-xl bg-stone-100 p-3 [container-type:inline-size] sm:p-4">
              <p className="min-w-0 flex-1 basis-56 text-lg">
                <span className="font-bold">{entry.name}</span> ·{' '}
                {entry.role === 'manager' ? t('setup.roleManagerShort') : t('setup.roleStaffShort')} · {scopeText(entry)}
              </p>
              {confirming === entry.id ? (
                <div className="grid w-full gap-3 rounded-xl border-2 border-red-800 bg-white p-3">
                  <p className="text-lg font-semibold">{t('setup.staffRevokeWarn', { name: entry.name })}</p>
                  <div className="flex flex-wrap gap-3">
                    <Button kind="danger" className="w-auto flex-auto" disabled={revoking !== null} onClick={() => revoke(entry)}>
                      <FitWords
                        weight={600}
                        className="[--fit-inset:4.5rem] [--fit-max:1.125rem]"
                        text={revoking === entry.id ? t('setup.revoking') : t('setup.staffRevokeConfirm', { name: entry.name })}
                      />
                    </Button>
                    <Button kind="secondary" className="w-auto flex-auto" disabled={revoking !== null} onClick={() => setConfirming(null)}>
                      {t('setup.cancel')}
                    </Button>
                  </div>
                </div>
              ) : (
                <Button kind="secondary" className="w-auto" onClick={() => setConfirming(entry.id)}>
                  <FitWords weight={600} className="[--fit-inset:2.75rem] [--fit-max:1.125rem]" text={t('setup.staffRevoke', { name: entry.name })} />
                </Button>
              )}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  )
}
