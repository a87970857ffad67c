import { t } from '../../lib/strings.js'
import { minutesSince } from './format.js'

function sentAgo(iso, now) {
  const minutes = minutesSince(iso, now)
  if (minutes === null) return t('host.sync.neverSent')
  if (minutes < 1) return t('host.sync.sentNow')
  if (minutes < 60) return t('host.sync.sentMinutes', { minutes })
  return t('host.sync.sentHours', { hours: Math.floor(minutes / 60) })
}

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
        <span className="font-semibold">{headline}</span> · {sentAgo(sync.last_success, now)}
      </p>
      {error ? (
        <p className="break-words">
          {t('host.sync.error', { error })} {t('host.sync.calm')}
        </p>
      ) : null}
    </div>
  )
}
