import { useId, useState } from 'react'
import Button from '../Button.jsx'
import { t } from '../../lib/strings.js'
import '../../lib/strings.host.js'
import { minutesUp, remaining } from '../../lib/time.js'

/** The optional "back in N min": null when empty, NaN when not 1–480 whole minutes. */
function parseBackIn(text) {
  const value = String(text ?? '').trim()
  if (!value) return null
  if (!/^\d+$/.test(value)) return NaN
  const minutes = Number(value)
  return minutes >= 1 && minutes <= 480 ? minutes : NaN
}

/** Pause and resume, open and close the line, open and close this counter. */
export default function LineControls({ queue, counter, counterState, now, receivedAt, busy, onQueueChange, onCounterChange }) {
  const [backInText, setBackInText] = useState('')
  const inputId = useId()
  const hintId = useId()
  const backIn = parseBackIn(backInText)
  const backInBad = Number.isNaN(backIn)
  const left = (seconds) => {
    const s = remaining(seconds, receivedAt, now)
    return s === null ? null : minutesUp(s)
  }
  const queueBack = queue.is_paused ? left(queue.back_in_seconds) : null
  const counterBack = counterState && !counterState.is_open ? left(counterState.back_in_seconds) : null

  let counterText = null
  if (counter) {
    if (!counterState) counterText = t('host.counterNew', { counter })
    else if (counterState.is_open) counterText = t('host.counterOpen', { counter })
    else counterText = counterBack ? t('host.counterClosedBack', { counter, minutes: counterBack }) : t('host.counterClosed', { counter })
  }

  return (
    <section aria-labelledby="host-controls-title" className="grid gap-4 rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-300">
      <h2 id="host-controls-title" className="text-2xl font-bold">
        {t('host.controls.title')}
      </h2>

      {!queue.active ? <p className="rounded-xl bg-stone-200 p-3 text-lg font-semibold">{t('host.closedNote')}</p> : null}
      {queue.is_paused ? (
        <p className="rounded-xl bg-amber-100 p-3 text-lg font-semibold text-stone-950">
          {queueBack ? t('host.pausedBack', { minutes: queueBack }) : t('host.pausedNote')}
        </p>
      ) : null}

      <div className="grid gap-1">
        <label htmlFor={inputId} className="text-lg font-semibold">
          {t('host.backIn')}
        </label>
        <input
          id={inputId}
          type="text"
          inputMode="numeric"
          pattern="[0-9]*"
          value={backInText}
          onChange={(event) => setBackInText(event.target.value)}
          aria-describedby={hintId}
          aria-invalid={backInBad || undefined}
          className="min-h-12 w-full max-w-40 rounded-xl border-2 border-stone-700 bg-white px-4 text-xl text-stone-950"
        />
        <p id={hintId} className={`text-base ${backInBad ? 'font-semibold text-red-800' : 'text-stone-700'}`}>
          {backInBad ? t('host.backInInvalid') : t('host.backInHint')}
        </p>
      </div>

      <div className="grid gap-2 sm:grid-cols-2">
        {queue.is_paused ? (
          <Button disabled={busy.has('queue')} onClick={() => onQueueChange({ is_paused: false })}>
            {t('host.resume')}
          </Button>
        ) : (
          <Button
            kind="secondary"
            disabled={busy.has('queue') || backInBad}
            onClick={() => onQueueChange(backIn ? { is_paused: true, back_in_minutes: backIn } : { is_paused: true })}
          >
            {t('host.pause')}
          </Button>
        )}
        {queue.active ? (
          <Button kind="secondary" disabled={busy.has('queue')} onClick={() => onQueueChange({ active: false })}>
            {t('host.closeLine')}
          </Button>
        ) : (
          <Button disabled={busy.has('queue')} onClick={() => onQueueChange({ active: true })}>
            {t('host.openLine')}
          </Button>
        )}
      </div>

      {counter ? (
        <div className="grid gap-2 border-t border-stone-300 pt-4">
          <p className="text-lg font-semibold">{counterText}</p>
          {counterState?.is_open ? (
            <Button kind="secondary" disabled={busy.has('counter') || backInBad} onClick={() => onCounterChange(false, backIn)}>
              {t('host.closeCounter', { counter })}
            </Button>
          ) : (
            <Button kind="secondary" disabled={busy.has('counter')} onClick={() => onCounterChange(true, null)}>
              {t('host.openCounter', { counter })}
            </Button>
          )}
        </div>
      ) : null}
    </section>
  )
}
