import { useEffect, useRef, useState } from 'react'
import Button from '../Button.jsx'
import { DEVICE_ID } from '../../lib/hubApi.js'
import { errorText, t } from '../../lib/strings.js'

// 1 to 80 characters, none of them a control character (the hub's rule for a site's name).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

export function nameProblem(name) {
  return name.length < 1 || name.length > 80 || CONTROL.test(name)
}

/** The three lines for /etc/qode/qode.env on the venue's box. */
export function envLines(hubUrl, site) {
  return `QODE_SYNC_URL=${hubUrl}\nQODE_DEVICE_ID=${site.device_id}\nQODE_SYNC_KEY=${site.key}`
}

/** A failed add as the admin should read it: the hub's own wording first, then the shared one. */
export function addErrorText(err, deviceId) {
  if (err?.code === 'site_exists' || err?.status === 409) return t('hub.error.site_exists', { id: deviceId })
  if (err?.status === 422) return t('hub.error.invalid_body', { reason: err.message || t('error.generic') })
  return errorText(err)
}

async function copyText(text, field) {
  // The clipboard API exists only in secure contexts; on plain http the old select-and-copy works.
  try {
    if (globalThis.isSecureContext && globalThis.navigator?.clipboard?.writeText) {
      await globalThis.navigator.clipboard.writeText(text)
      return true
    }
  } catch {
    // fall back below
  }
  try {
    field?.focus()
    field?.select()
    return document.execCommand?.('copy') === true
  } catch {
    return false
  }
}

function Field({ id, label, hint, error, ...props }) {
  return (
    <div className="grid gap-1">
      <label htmlFor={id} className="text-lg font-semibold">
        {label}
      </label>
      <input
        id={id}
        aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}
        aria-invalid={error ? true : undefined}
        className="min-h-12 rounded-lg border-2 border-stone-500 bg-white px-3 text-lg aria-[invalid=true]:border-red-800"
        {...props}
      />
      <p id={`${id}-hint`} className="text-base text-stone-700">
        {hint}
      </p>
      {error ? (
        <p id={`${id}-error`} className="text-base font-semibold text-red-800">
          {error}
        </p>
      ) : null}
    </div>
  )
}

/** The new site's key, once: the three settings lines to copy, until the admin says they are saved. */
function NewKey({ site, hubUrl, onDone }) {
  const field = useRef(null)
  const heading = useRef(null)
  const [result, setResult] = useState(null) // null | "copied" | "failed"
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
        rows={3}
        value={lines}
        aria-label={t('hub.envLabel', { name: site.name })}
        onFocus={(event) => event.target.select()}
        className="w-full rounded-lg border-2 border-stone-500 bg-white p-3 font-mono text-sm text-stone-900"
      />
      <div className="flex flex-wrap gap-3">
        <Button className="w-auto flex-1" onClick={async () => setResult((await copyText(lines, field.current)) ? 'copied' : 'failed')}>
          {t('hub.copy')}
        </Button>
        <Button kind="secondary" className="w-auto flex-1" onClick={onDone}>
          {t('hub.keyDone')}
        </Button>
      </div>
      <p aria-live="polite" className="min-h-5 text-sm font-semibold text-stone-800">
        {result === 'copied' ? t('hub.copied') : result === 'failed' ? t('hub.copyFailed') : ''}
      </p>
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
  const [problems, setProblems] = useState({})
  const [failure, setFailure] = useState(null)
  const [busy, setBusy] = useState(false)
  const [added, setAdded] = useState(null) // {device_id, name, key}: the only copy of the key

  async function submit(event) {
    event.preventDefault()
    const id = deviceId.trim()
    const label = name.trim()
    const found = {}
    if (!DEVICE_ID.test(id)) found.deviceId = t('hub.idInvalid')
    if (nameProblem(label)) found.name = t('hub.nameInvalid')
    setProblems(found)
    setFailure(null)
    if (Object.keys(found).length) return
    setBusy(true)
    setAdded(null)
    try {
      const site = await api.addSite({ deviceId: id, name: label })
      setDeviceId('')
      setName('')
      setAdded(site)
      onAdded({ device_id: site.device_id, name: site.name })
    } catch (err) {
      if (!onRejected(err)) setFailure(addErrorText(err, id))
    } finally {
      setBusy(false)
    }
  }

  return (
    <section aria-labelledby="hub-add-title" className="grid gap-4 rounded-2xl bg-white p-5 shadow-sm ring-1 ring-stone-300">
      <h2 id="hub-add-title" className="text-2xl font-bold">
        {t('hub.addTitle')}
      </h2>
      <p className="text-base text-stone-700">{t('hub.addHelp')}</p>
      {added ? <NewKey key={added.key} site={added} hubUrl={hubUrl} onDone={() => setAdded(null)} /> : null}
      <form className="grid gap-4" noValidate onSubmit={submit}>
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
        {failure ? (
          <p role="alert" className="text-lg font-semibold text-red-800">
            {failure}
          </p>
        ) : null}
        <Button type="submit" disabled={busy}>
          {busy ? t('hub.adding') : t('hub.add')}
        </Button>
      </form>
    </section>
  )
}
