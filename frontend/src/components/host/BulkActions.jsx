import { useId, useState } from 'react'
import Button from '../Button.jsx'
import { CheckRow } from '../shared/CheckRow.jsx'
import { t } from '../../lib/strings.js'
import '../../lib/strings.host.js'
import { matching, todayAt } from './bulk.js'

/**
 * The host's tools against a flood and for the end of the day: cancel everyone waiting (or
 * only web joins after a time), or close the line and clear it; each asks once and is one
 * request. Also how many joins a cap refused today.
 */
export default function BulkActions({ waiting, refused, lineOpen, busy, onClear }) {
  const [scope, setScope] = useState('all')
  const [after, setAfter] = useState('')
  const [asking, setAsking] = useState(null) // 'cancel' | 'close' | null
  const timeId = useId()
  const since = scope === 'web' ? todayAt(after) : null
  const filter = scope === 'web' ? { source: 'web', ...(since ? { joined_after: since } : {}) } : {}
  const count = scope === 'web' ? matching(waiting, filter).length : waiting.length
  const timeMissing = scope === 'web' && !since

  async function confirm() {
    // Asked once: whatever the answer (an error shows as the dashboard's notice), the question closes.
    await onClear(asking, asking === 'close' ? null : filter)
    setAsking(null)
  }

  return (
    <section aria-labelledby="host-bulk-title" className="grid content-start gap-4 rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-300">
      <h2 id="host-bulk-title" className="text-2xl font-bold">
        {t('host.bulk.title')}
      </h2>
      <p className="text-lg">
        <span className="text-stone-700">{t('host.refused.label')}: </span>
        <span data-testid="refused-count" className="font-bold tabular-nums">
          {refused?.total ?? 0}
        </span>
        {refused?.total ? (
          <span className="block text-base text-stone-700">
            {t('host.refused.detail', { full: refused.queue_full ?? 0, many: refused.too_many_tickets ?? 0, fast: refused.rate_limited ?? 0 })}
          </span>
        ) : null}
      </p>

      {asking ? (
        <div className="grid gap-2 rounded-xl border-2 border-red-800 p-3" role="group" aria-label={t(`host.bulk.confirm.${asking}`, { count })}>
          <p className="text-lg font-semibold">{t(`host.bulk.confirm.${asking}`, { count: asking === 'close' ? waiting.length : count })}</p>
          <p className="text-base text-stone-700">{t(`host.bulk.guests.${asking}`)}</p>
          <div className="grid grid-cols-2 gap-2">
            <Button kind="danger" autoFocus disabled={busy} onClick={confirm}>
              {t(`host.bulk.yes.${asking}`)}
            </Button>
            <Button kind="secondary" onClick={() => setAsking(null)}>
              {t('host.bulk.no')}
            </Button>
          </div>
        </div>
      ) : (
        <>
          <fieldset className="grid gap-2">
            <legend className="text-lg font-semibold">{t('host.bulk.which')}</legend>
            <CheckRow type="radio" name="bulk-scope" checked={scope === 'all'} onChange={() => setScope('all')}>
              {t('host.bulk.all', { count: waiting.length })}
            </CheckRow>
            <CheckRow type="radio" name="bulk-scope" checked={scope === 'web'} onChange={() => setScope('web')}>
              {t('host.bulk.web')}
            </CheckRow>
            {scope === 'web' ? (
              <div className="grid min-w-0 gap-1 sm:ps-9">
                <label htmlFor={timeId} className="text-base font-semibold">
                  {t('host.bulk.after')}
                </label>
                <input
                  id={timeId}
                  type="time"
                  value={after}
                  onChange={(event) => setAfter(event.target.value)}
                  className="min-h-12 w-full max-w-40 min-w-0 rounded-xl border-2 border-stone-700 bg-white px-3 text-xl focus-within:outline-4 focus-within:outline-offset-2 focus-within:outline-blue-700"
                />
              </div>
            ) : null}
          </fieldset>
          <div className="grid gap-2 sm:grid-cols-2">
            <Button kind="secondary" disabled={busy || timeMissing || count === 0} onClick={() => setAsking('cancel')}>
              {t('host.bulk.cancel', { count })}
            </Button>
            <Button kind="secondary" disabled={busy || (!lineOpen && waiting.length === 0)} onClick={() => setAsking('close')}>
              {t('host.bulk.close')}
            </Button>
          </div>
        </>
      )}
    </section>
  )
}
