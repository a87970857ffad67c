import { t } from '../../lib/strings.js'
import '../../lib/strings.host.js'

/**
 * A printed ticket's trouble, in words: "Not printed" (the kiosk could not print it, or the
 * job expired) or "Printing…" (sent, not confirmed yet). Nothing for a printed ticket or one
 * that was never meant for paper.
 */
export default function PrintBadge({ status, className = '' }) {
  if (status === 'failed') {
    return (
      <span
        data-print-status="failed"
        className={`inline-flex items-center gap-1 rounded-full bg-red-100 px-2 py-0.5 text-base font-bold text-red-900 ring-1 ring-red-800 ${className}`}
      >
        <span aria-hidden="true">⚠</span>
        {t('host.print.failed')}
      </span>
    )
  }
  if (status === 'pending') {
    return (
      <span data-print-status="pending" className={`text-base text-stone-700 italic ${className}`}>
        {t('host.print.pending')}
      </span>
    )
  }
  return null
}
