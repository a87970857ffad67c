import { useId } from 'react'
import { t } from '../../lib/strings.js'
import { byCounterName } from '../../lib/counterOrder.js'
import '../../lib/strings.host.js'
import Notice from './Notice.jsx'
import { callLabel } from './callNext.js'
import { validCounter } from './counter.js'

/**
 * The host's counter, and the big "Call next" (the N key does the same). `held`: the tickets the
 * counter holds now, which the call ends first; the button says what happens to them.
 */
export default function CallPanel({ draft, onDraftChange, counters, waitingCount, busy, onCallNext, counterNote, notice, held = [], fixedCounter = false }) {
  const inputId = useId()
  const hintId = useId()
  const counter = validCounter(draft)
  const label = busy ? t('host.calling') : callLabel(held, waitingCount)
  const ends = !busy && held.length > 0 && waitingCount > 0 // a longer label: a size that fits
  return (
    <section aria-labelledby={`${inputId}-title`} className="grid gap-4 rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-300">
      <h2 id={`${inputId}-title`} className="sr-only">
        {t('host.callNext')}
      </h2>
      {/* A counter's desk (issue 15) has its counter already: no name to type. */}
      {fixedCounter ? null : <div className="grid gap-2">
        <label htmlFor={inputId} className="text-lg font-semibold">
          {t('host.counter.label')}
        </label>
        <input
          id={inputId}
          type="text"
          value={draft}
          maxLength={64}
          autoComplete="off"
          aria-describedby={hintId}
          aria-invalid={counter ? undefined : true}
          onChange={(event) => onDraftChange(event.target.value)}
          className="min-h-12 w-full rounded-xl border-2 border-stone-700 bg-white px-4 text-xl text-stone-950"
        />
        <p id={hintId} className={`text-base ${counter ? 'text-stone-700' : 'font-semibold text-red-800'}`}>
          {counter ? t('host.counter.hint') : t('host.counter.invalid')}
        </p>
        {counters.length ? (
          <div role="group" aria-label={t('host.counter.pick')} className="flex flex-wrap gap-2">
            {byCounterName(counters).map((c) => (
              <button
                key={c.name}
                type="button"
                aria-pressed={c.name === counter}
                onClick={() => onDraftChange(c.name)}
                className={`min-h-12 min-w-12 rounded-xl border-2 px-4 text-lg font-semibold ${
                  c.name === counter ? 'border-blue-800 bg-blue-800 text-white' : 'border-stone-700 bg-white text-stone-900 hover:bg-stone-100'
                }`}
              >
                {c.name}
                {c.is_open ? null : <span className="ms-2 text-sm font-normal">({t('host.line.closed')})</span>}
              </button>
            ))}
          </div>
        ) : null}
        {counterNote ? <p className="text-base font-semibold text-amber-900">{counterNote}</p> : null}
      </div>}

      <button
        type="button"
        onClick={onCallNext}
        disabled={busy || !counter}
        aria-keyshortcuts="N"
        title={t('host.callNext.shortcut')}
        className="inline-flex min-h-24 w-full flex-wrap items-center justify-center gap-x-4 gap-y-2 rounded-2xl bg-blue-800 px-3 py-2 text-4xl sm:px-6 font-black text-white hover:bg-blue-900 active:bg-blue-950 focus-visible:outline-4 focus-visible:outline-offset-4 focus-visible:outline-blue-700 disabled:cursor-not-allowed disabled:bg-stone-500"
      >
        <span data-testid="call-next-label" className={`min-w-0 leading-tight ${ends ? 'text-2xl wrap-anywhere sm:text-3xl' : ''}`}>
          {label}
        </span>
        <kbd aria-hidden="true" className="rounded-lg border-2 border-white/80 px-2 font-mono text-2xl font-bold">
          N
        </kbd>
      </button>
      <div>
        <p className="text-center text-lg font-semibold text-stone-800">{waitingCount > 0 ? t('host.waitingCount', { count: waitingCount }) : t('host.nobodyWaiting')}</p>
        <Notice notice={notice} />
      </div>
    </section>
  )
}
