import { t } from '../../lib/strings.js'
import '../../lib/strings.host.js'
import LiveStatus from './LiveStatus.jsx'
import SyncStatus from './SyncStatus.jsx'

const LINE_STYLE = {
  open: 'bg-blue-100 text-blue-950',
  paused: 'bg-amber-200 text-stone-950',
  closed: 'bg-stone-800 text-white',
}

/** The queue's name, whether the line is open, paused or closed, the live channel and the hub sync. */
export default function HostHeader({ queue, connection, sync, now }) {
  const lineStatus = !queue.active ? 'closed' : queue.is_paused ? 'paused' : 'open'
  return (
    <header className="border-b border-stone-300 bg-white">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-3 px-4 py-3">
        <h1 className="text-2xl font-bold wrap-anywhere">
          <span className="sr-only">{t('host.title')}: </span>
          {queue.name}
        </h1>
        <div className="flex flex-wrap items-center gap-2">
          <p data-testid="line-status" className={`rounded-full px-3 py-1 text-base font-bold ${LINE_STYLE[lineStatus]}`}>
            {t(`host.line.${lineStatus}`)}
          </p>
          <LiveStatus connection={connection} />
        </div>
      </div>
      <SyncStatus sync={sync} now={now} className="mx-auto max-w-6xl px-4 pb-3" />
    </header>
  )
}
