import { t } from '../../lib/strings.js'
import '../../lib/strings.host.js'

/**
 * issue 16: "late ×N" on a waiting ticket that moved back with "I'm running late" (N times), in
 * words with a clock, never colour alone: the host sees why it stands behind later numbers.
 */
export default function LateMark({ count }) {
  if (!count) return null
  return (
    <span
      data-testid="late-mark"
      title={t('host.lateTitle', { count })}
      className="inline-flex items-center gap-1 rounded-full border-2 border-amber-800 bg-amber-50 px-2 text-base font-bold text-amber-950"
    >
      <svg aria-hidden="true" viewBox="0 0 20 20" className="size-4 fill-none stroke-current stroke-2">
        <circle cx="10" cy="10" r="8" />
        <path d="M10 5v5l3 2" />
      </svg>
      <span aria-hidden="true">{t('host.late', { count })}</span>
      <span className="sr-only">{t('host.lateTitle', { count })}</span>
    </span>
  )
}
