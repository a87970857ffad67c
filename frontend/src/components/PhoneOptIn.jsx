import { useId, useState } from 'react'
import Button from './Button.jsx'
import { deletePhone, putPhone } from '../lib/api.js'
import { errorText, t } from '../lib/strings.js'

/**
 * issue 16: sms. A guest may leave a phone number for a text when nearly up and when called.
 * Shown only where the box has a modem (`available`); the number comes back masked ("•••• 0123").
 * `api` is { putPhone, deletePhone }: the guest page's same-origin client unless given.
 */
const SAME_ORIGIN = { putPhone, deletePhone }

export default function PhoneOptIn({ ticketId, initial, api = SAME_ORIGIN, big = false }) {
  const [phone, setPhone] = useState(initial?.phone ?? null)
  const [value, setValue] = useState('')
  const [busy, setBusy] = useState(false)
  const [failure, setFailure] = useState(null)
  const id = useId()

  async function run(action) {
    setBusy(true)
    setFailure(null)
    try {
      const answer = await action()
      setPhone(answer?.phone ?? null)
      setValue('')
    } catch (err) {
      setFailure(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  function submit(event) {
    event.preventDefault()
    if (!value.trim() || busy) return
    run(() => api.putPhone(ticketId, value.trim()))
  }

  const text = big ? 'text-2xl' : 'text-lg'
  return (
    <section aria-labelledby={`${id}-title`} data-testid="phone-opt-in" className="grid gap-3 rounded-2xl bg-white p-4 ring-1 ring-stone-300">
      <h2 id={`${id}-title`} className={`${big ? 'text-3xl' : 'text-xl'} font-bold`}>
        {t('phone.title')}
      </h2>
      <p className={`${text} text-stone-700`}>{t('phone.note')}</p>
      {phone ? (
        <>
          <p className={`${text} font-semibold`} data-testid="phone-saved">
            {t('phone.saved', { phone: '\u2066' + phone + '\u2069' })}
          </p>
          <Button kind="secondary" big={big} disabled={busy} onClick={() => run(() => api.deletePhone(ticketId))}>
            {t('phone.remove')}
          </Button>
        </>
      ) : (
        <form className="grid gap-2" onSubmit={submit} noValidate>
          <label htmlFor={`${id}-input`} className={`${text} font-semibold`}>
            {t('phone.label')}
          </label>
          <input
            id={`${id}-input`}
            type="tel"
            inputMode="tel"
            autoComplete="tel"
            dir="ltr"
            maxLength={40}
            value={value}
            onChange={(event) => setValue(event.currentTarget.value)}
            aria-describedby={`${id}-hint${failure ? ` ${id}-error` : ''}`}
            aria-invalid={failure ? 'true' : undefined}
            className={`min-h-12 w-full min-w-0 rounded-xl border-2 border-stone-700 bg-white px-3 ${big ? 'text-3xl' : 'text-xl'} tabular-nums focus-visible:outline-4 focus-visible:outline-offset-2 focus-visible:outline-blue-700`}
          />
          <p id={`${id}-hint`} className="text-base text-stone-700">
            {t('phone.hint')}
          </p>
          {failure ? (
            <p id={`${id}-error`} role="alert" className={`${text} font-semibold text-red-800`}>
              {failure}
            </p>
          ) : null}
          <Button type="submit" big={big} disabled={busy || !value.trim()}>
            {busy ? t('phone.saving') : t('phone.save')}
          </Button>
        </form>
      )}
    </section>
  )
}
