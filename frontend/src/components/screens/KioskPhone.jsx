// issue 16: sms. On the touch kiosk, a guest may leave a phone number for a text when nearly up
// and when called. A touch screen under cage has no system keyboard: the digits come from a
// keypad of big buttons. The number is sent once, and shown back masked.
import { useState } from 'react'
import { errorText, t } from '../../lib/strings.js'
import '../../lib/strings.screens.js'

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '+', '0']
const MAX = 16 // a + and 15 digits (E.164)
const KEY =
  'min-h-16 rounded-2xl border-4 border-stone-800 bg-white text-4xl font-black tabular-nums text-stone-950 hover:bg-stone-100 active:bg-stone-200 focus-visible:outline-8 focus-visible:outline-offset-2 focus-visible:outline-blue-700 disabled:text-stone-400'

/** The keypad dialog: `send(ticketId, number)` leaves the number; `onClose()` goes back to the issued screen. */
export default function KioskPhone({ ticketId, onClose, send }) {
  const [digits, setDigits] = useState('')
  const [busy, setBusy] = useState(false)
  const [failure, setFailure] = useState(null)
  const [saved, setSaved] = useState(null)

  function press(key) {
    setFailure(null)
    setDigits((now) => {
      if (now.length >= MAX) return now
      if (key === '+') return now ? now : '+' // a + only in front
      return now + key
    })
  }

  async function submit() {
    if (!digits || busy) return
    setBusy(true)
    setFailure(null)
    try {
      const answer = await send(ticketId, digits)
      setSaved(answer?.phone ?? null)
    } catch (err) {
      setFailure(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <div
      role="dialog"
      aria-modal="true"
      aria-labelledby="kiosk-phone-title"
      data-testid="kiosk-phone"
      className="fixed inset-0 z-40 flex flex-col items-center gap-3 overflow-y-auto bg-stone-50 p-4 text-center text-stone-900 select-none sm:gap-4 sm:p-6"
    >
      <h2 id="kiosk-phone-title" className="text-3xl font-black sm:text-4xl">
        {t('phone.title')}
      </h2>
      <p className="max-w-3xl text-xl sm:text-2xl">{t('phone.note')}</p>
      {saved ? (
        <>
          <p role="status" data-testid="kiosk-phone-saved" className="text-3xl font-bold">
            {t('phone.saved', { phone: '\u2066' + saved + '\u2069' })}
          </p>
          <button type="button" autoFocus onClick={onClose} className={`${KEY} w-full max-w-md px-6`}>
            {t('kiosk.done')}
          </button>
        </>
      ) : (
        <div className="grid w-full max-w-md gap-3">
          <p className="text-xl font-semibold" id="kiosk-phone-label">
            {t('phone.label')}
          </p>
          <output
            dir="ltr"
            aria-labelledby="kiosk-phone-label"
            data-testid="kiosk-phone-digits"
            className="min-h-16 rounded-2xl bg-white px-4 py-2 text-4xl font-black tabular-nums ring-4 ring-stone-400 wrap-anywhere"
          >
            {digits}
          </output>
          {failure ? (
            <p role="alert" className="text-xl font-semibold text-red-800">
              {failure}
            </p>
          ) : null}
          <div className="grid grid-cols-3 gap-2" dir="ltr">
            {KEYS.map((key, n) => (
              <button key={key} type="button" autoFocus={n === 0} className={KEY} disabled={busy} onClick={() => press(key)}>
                {key}
              </button>
            ))}
            <button
              type="button"
              className={KEY}
              disabled={busy || !digits}
              aria-label={t('kiosk.phone.erase')}
              onClick={() => setDigits((now) => now.slice(0, -1))}
            >
              ⌫
            </button>
          </div>
          <button
            type="button"
            onClick={submit}
            disabled={busy || !digits}
            className="min-h-16 rounded-2xl bg-(--accent) px-6 text-3xl font-black text-(--accent-text) focus-visible:outline-8 focus-visible:outline-offset-2 focus-visible:outline-blue-700 disabled:bg-stone-400 disabled:text-white"
          >
            {busy ? t('phone.saving') : t('phone.save')}
          </button>
          <button type="button" onClick={onClose} className={`${KEY} px-6 text-2xl`}>
            {t('kiosk.phone.back')}
          </button>
        </div>
      )}
    </div>
  )
}
