import { useState } from 'react'
import Button from '../Button.jsx'
import { t } from '../../lib/strings.js'
import '../../lib/strings.host.js'
import { clockTime } from '../../lib/time.js'

/**
 * While the box's clock is not trusted: say so, and offer to send this tablet's time.
 * `onUseTabletTime()` resolves to {ok, result, message}; the outcome stays visible.
 */
export default function ClockBanner({ clock, onUseTabletTime }) {
  const [busy, setBusy] = useState(false)
  const [outcome, setOutcome] = useState(null)
  const untrusted = clock?.trusted === false
  if (!untrusted && !outcome) return null

  async function send() {
    setBusy(true)
    const answer = await onUseTabletTime()
    setBusy(false)
    if (answer.ok) {
      const { result } = answer
      const time = clockTime(Date.parse(result.now))
      setOutcome({ ok: true, text: result.applied ? t('host.clock.applied', { time, day: result.service_day }) : t('host.clock.kept') })
    } else {
      setOutcome({ ok: false, text: answer.message })
    }
  }

  return (
    <section
      aria-labelledby={untrusted ? 'host-clock-title' : undefined}
      className={`grid gap-3 rounded-2xl border-s-8 p-4 ${untrusted ? 'border-amber-600 bg-amber-100 text-stone-950' : 'border-emerald-700 bg-emerald-50 text-emerald-950'}`}
    >
      {untrusted ? (
        <>
          <h2 id="host-clock-title" className="text-2xl font-bold">
            {t('host.clock.banner')}
          </h2>
          <p className="text-lg">{t('host.clock.body')}</p>
          <Button className="sm:w-auto!" disabled={busy} onClick={send}>
            {busy ? t('host.clock.setting') : t('host.clock.use')}
          </Button>
        </>
      ) : null}
      <div role="status" aria-live="polite">
        {outcome ? <p className={`text-lg font-semibold ${outcome.ok ? '' : 'text-red-900'}`}>{outcome.text}</p> : null}
      </div>
    </section>
  )
}
