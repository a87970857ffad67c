import { t } from '../../lib/strings.js'

/**
 * What a Copy button did (`result` from useCopy), said politely: the page's `copied` or
 * `copyFailed` text under its dictionary prefix `keys` ("screens", "hub"), or nothing.
 */
export default function CopyStatus({ result, keys }) {
  return (
    <p aria-live="polite" className="min-h-5 text-sm font-semibold text-stone-800">
      {result === 'copied' ? t(`${keys}.copied`) : result === 'failed' ? t(`${keys}.copyFailed`) : ''}
    </p>
  )
}
