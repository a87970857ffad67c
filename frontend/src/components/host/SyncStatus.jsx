import { agoText } from '../../lib/ago.js'
import { t } from '../../lib/strings.js'
import '../../lib/strings.host.js'

const SENT = { now: 'host.sync.sentNow', minutes: 'host.sync.sentMinutes', hours: 'host.sync.sentHours' }

/**
 * How far the hub has this box's events, as one calm line: information, not an alarm (the
 * box works without the hub). `sync` is the host message's `sync`; without it (an older box)
 * or with sync off, nothing is shown.
 */
export default function SyncStatus({ sync, now, className = '' }) {
  if (!sync || sync.enabled !== true) return null
  const pending = Number.isFinite(sync.pending) && sync.pending > 0 ? sync.pending : 0
  const headline = pending ? t('host.sync.pending', { count: pending }) : t('host.sync.upToDate')
  const error = typeof sync.last_error === 'string' && sync.last_error.trim() ? sync.last_error.trim() : null
  return (
    <div data-testid="sync-status" className={`grid gap-0.5 text-base text-stone-700 ${className}`}>
      <p>
        <span aria-hidden="true">{pending ? '↑ ' : '✓ '}</span>
        <span className="font-semibold">{headline}</span> · {agoText(sync.last_success, now, SENT) ?? t('host.sync.neverSent')}
      </p>
      {error ? (
        <p className="wrap-anywhere">
          {t('host.sync.error', { error })} {t('host.sync.calm')}
        </p>
      ) : null}
    </div>
  )
}
