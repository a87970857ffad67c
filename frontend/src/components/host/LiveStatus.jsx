import { t } from '../../lib/strings.js'
import '../../lib/strings.host.js'

const LOOK = {
  open: 'bg-emerald-100 text-emerald-900 ring-emerald-700',
  connecting: 'bg-amber-100 text-amber-950 ring-amber-700',
  reconnecting: 'bg-amber-100 text-amber-950 ring-amber-700',
  offline: 'bg-red-100 text-red-900 ring-red-800',
}

/** The connection state in words, always visible in the header. */
export default function LiveStatus({ connection }) {
  const text =
    connection === 'open'
      ? t('host.live')
      : connection === 'connecting'
        ? t('connection.connecting')
        : connection === 'offline'
          ? t('connection.offline')
          : t('connection.reconnecting')
  return (
    <p
      data-connection={connection}
      className={`inline-flex items-center gap-2 rounded-full px-3 py-1 text-base font-semibold ring-2 ${LOOK[connection] ?? LOOK.reconnecting}`}
    >
      <span aria-hidden="true" className={`size-3 rounded-full ${connection === 'open' ? 'bg-emerald-700' : 'bg-current'}`} />
      {text}
    </p>
  )
}
