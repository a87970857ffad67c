import { t } from '../../lib/strings.js'
import '../../lib/strings.host.js'

/** "Priority" in words with a star, never colour alone: the host sees who goes first by right. */
export default function PriorityMark({ className = '' }) {
  return (
    <span
      data-testid="priority-mark"
      className={`inline-flex items-center gap-1 rounded-full border-2 border-violet-800 bg-violet-50 px-2 text-base font-bold text-violet-950 ${className}`}
    >
      <svg aria-hidden="true" viewBox="0 0 20 20" className="size-4 fill-current">
        <path d="M10 1.5l2.6 5.3 5.9.9-4.3 4.1 1 5.8L10 14.9l-5.2 2.7 1-5.8L1.5 7.7l5.9-.9z" />
      </svg>
      {t('host.priority')}
    </span>
  )
}
