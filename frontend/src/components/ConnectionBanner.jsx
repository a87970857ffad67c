import { t } from '../lib/strings.js'
import { clockTime } from '../lib/time.js'

/** Says plainly when the page is not live; shows nothing while it is. */
export default function ConnectionBanner({ connection, updatedAt = null, hasState = false }) {
  if (connection === 'open') return null
  const text =
    connection === 'connecting'
      ? t('connection.connecting')
      : connection === 'offline'
        ? t('connection.offline')
        : t('connection.reconnecting')
  return (
    <div role="status" className="sticky top-0 z-40 bg-amber-300 px-4 py-3 text-center text-lg font-semibold text-stone-950">
      <p>{text}</p>
      {hasState && updatedAt && connection !== 'connecting' ? (
        <p className="text-base font-normal">{t('connection.lastUpdate', { time: clockTime(updatedAt) })}</p>
      ) : null}
    </div>
  )
}
