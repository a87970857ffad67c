import { useEffect, useRef, useState } from 'react'
import Button from '../Button.jsx'
import CopyStatus from '../shared/CopyStatus.jsx'
import Field from '../shared/Field.jsx'
import FormCard from '../shared/FormCard.jsx'
import { useCopy } from '../shared/useCopy.js'
import { useSend } from '../shared/useSend.js'
import { DEVICE_ID } from '../../lib/hubApi.js'
import { errorText, t } from '../../lib/strings.js'

// 1 to 80 characters, none of them a control character (the hub's rule for a site's name).
const CONTROL = /\p{Cc}/u // U+0000–U+001F and U+007F–U+009F

function nameProblem(name) {
  return name.length < 1 || name.length > 80 || CONTROL.test(name)
}

/** The three lines for /etc/qode/qode.env on the venue's box. */
function envLines(hubUrl, site) {
  return `QODE_SYNC_URL=${hubUrl}\nQODE_DEVICE_ID=${site.device_id}\nQODE_SYNC_KEY=${site.key}`
}

/** A failed add as the admin should read it: the hub's own wording first, then the shared one. */
function addErrorText(err, deviceId) {
  if (err?.code === 'site_exists' || err?.status === 409) return t('hub.error.site_exists', { id: deviceId })
  if (err?.status === 422) return t('hub.error.invalid_body', { reason: err.message || t('error.generic') })
  return errorText(err)
}

/** The new site's key, once: the three settings lines to copy, until the admin says they are saved. */
function NewKey({ site, hubUrl, onDone }) {
  const field = useRef(null)
  const heading = useRef(null)
  const [result, copy] = useCopy() // null | "copied" | "failed"
  const lines = envLines(hubUrl, site)

  useEffect(() => {
    heading.current?.focus()
  }, [])

  return (
    <div className="grid gap-3 rounded-xl bg-amber-100 p-4 text-stone-950 ring-2 ring-amber-600" data-testid="new-key">
      <p ref={heading} tabIndex={-1} className="text-lg font-bold">
        {t('hub.added', { name: site.name })}
      </p>
      <p className="text-base font-semibold">{t('hub.keyOnce')}</p>
      <p className="text-base">{t('hub.keyHow')}</p>
      <textarea
        ref={field}
        readOnly
        dir="ltr"
        rows={3}
        value={lines}
        aria-label={t('hub.envLabel', { name: site.name })}
        onFocus={(event) => event.target.select()}
        className="w-full rounded-lg border-2 border-stone-500 bg-white p-3 font-mono text-sm text-stone-900"
      />
      <div className="flex flex-wrap gap-3">
        <Button className="w-auto flex-1" onClick={() => copy(lines, field.current)}>
          {t('hub.copy')}
        </Button>
        <Button kind="secondary" className="w-auto flex-1" onClick={onDone}>
          {t('hub.keyDone')}
        </Button>
      </div>
      <CopyStatus result={result} keys="hub" />
    </div>
  )
}

/**
 * "Add a site": device id and name, then the new key with the venue's settings lines, shown
 * once. `onAdded(site)` is told (without the key); `onRejected(err)` is true for a bad token.
 */
export default function AddSite({ api, hubUrl, onAdded, onRejected }) {
  const [deviceId, setDeviceId] = useState('')
  const [name, setName] = useState('')
  const [added, setAdded] = useState(null) // {device_id, name, key}: the only copy of the key
  const { busy, problems, failure, send } = useSend(onRejected)

  function submit(event) {
    event.preventDefault()
    const id = deviceId.trim()
    const label = name.trim()
    const found = {}
    if (!DEVICE_ID.test(id)) found.deviceId = t('hub.idInvalid')
    if (nameProblem(label)) found.name = t('hub.nameInvalid')
    const add = async () => {
      setAdded(null)
      const site = await api.addSite({ deviceId: id, name: label })
      setDeviceId('')
      setName('')
      setAdded(site)
      onAdded({ device_id: site.device_id, name: site.name })
    }
    send(found, add, (err) => addErrorText(err, id))
  }

  return (
    <FormCard
      titleId="hub-add-title"
      title={t('hub.addTitle')}
      intro={
        <>
          <p className="text-base text-stone-700">{t('hub.addHelp')}</p>
          {added ? <NewKey key={added.key} site={added} hubUrl={hubUrl} onDone={() => setAdded(null)} /> : null}
        </>
      }
      failure={failure}
      busy={busy}
      submitText={busy ? t('hub.adding') : t('hub.add')}
      onSubmit={submit}
    >
      <Field
        id="hub-device-id"
        label={t('hub.idLabel')}
        hint={t('hub.idHint')}
        error={problems.deviceId}
        value={deviceId}
        maxLength={64}
        autoCapitalize="none"
        autoComplete="off"
        spellCheck={false}
        onChange={(event) => setDeviceId(event.target.value)}
      />
      <Field
        id="hub-site-name"
        label={t('hub.nameLabel')}
        hint={t('hub.nameHint')}
        error={problems.name}
        value={name}
        maxLength={80}
        onChange={(event) => setName(event.target.value)}
      />
    </FormCard>
  )
}
