import { useState } from 'react'
import Button from '../Button.jsx'
import { t } from '../../lib/strings.js'
import { minutesSince } from '../../lib/ago.js'
import { etaMinutes } from './format.js'
import PrintBadge from './PrintBadge.jsx'

/**
 * The waiting guests in number order: how long they have waited, their ETA, and cancel; a
 * ticket the kiosk could not print says so, with Reprint (any other one can be printed again
 * from the printers panel, which keeps these rows short on a tablet).
 */
export default function WaitingList({ tickets, now, receivedAt, busy, onAction }) {
  const [confirming, setConfirming] = useState(null)
  return (
    <section aria-labelledby="host-waiting-title" className="grid gap-3">
      <h2 id="host-waiting-title" className="text-2xl font-bold">
        {t('host.waiting.title')} <span className="tabular-nums">({tickets.length})</span>
      </h2>
      {tickets.length === 0 ? (
        <p className="rounded-2xl bg-white p-4 text-lg text-stone-700 ring-1 ring-stone-300">{t('host.waiting.empty')}</p>
      ) : (
        <ol className="divide-y divide-stone-300 rounded-2xl bg-white shadow-sm ring-1 ring-stone-300">
          {tickets.map((ticket) => {
            const waited = minutesSince(ticket.created_at, now)
            const eta = etaMinutes(ticket, receivedAt, now)
            const asking = confirming === ticket.id
            return (
              <li key={ticket.id} data-testid={`waiting-${ticket.display_number}`} className="grid gap-3 p-3">
                <div className="flex flex-wrap items-center justify-between gap-3">
                  <div className="flex flex-wrap items-baseline gap-x-4 gap-y-1">
                    <p className="min-w-20 text-3xl font-black tabular-nums break-all">
                      <span className="sr-only">{t('host.waiting.number')} </span>
                      {ticket.display_number}
                    </p>
                    <PrintBadge status={ticket.print_status} />
                    <p className="text-lg">
                      <span className="text-stone-700">{t('host.waiting.waited')}: </span>
                      <span className="font-semibold tabular-nums">{waited === null ? t('host.stats.none') : t('host.minutes', { minutes: waited })}</span>
                    </p>
                    <p className="text-lg">
                      <span className="text-stone-700">{t('host.waiting.eta')}: </span>
                      <span className="font-semibold tabular-nums">
                        {eta === null ? t('host.stats.none') : eta.next ? t('host.etaNext') : t('host.etaMinutes', { minutes: eta.minutes })}
                      </span>
                    </p>
                  </div>
                  {asking ? null : (
                    <div className="flex flex-wrap gap-2">
                      {ticket.print_status === 'failed' ? (
                        <Button
                          kind="secondary"
                          className="w-auto!"
                          disabled={busy.has(`reprint:${ticket.id}`)}
                          aria-label={t('host.action.label', { action: t('host.action.reprint'), number: ticket.display_number })}
                          onClick={() => onAction(ticket, 'reprint')}
                        >
                          {t('host.action.reprint')}
                        </Button>
                      ) : null}
                      <Button
                        kind="secondary"
                        className="w-auto!"
                        disabled={busy.has(`recall:${ticket.id}`)}
                        aria-label={t('host.action.label', { action: t('host.action.callNow'), number: ticket.display_number })}
                        onClick={() => onAction(ticket, 'recall')}
                      >
                        {t('host.action.callNow')}
                      </Button>
                      <Button
                        kind="secondary"
                        className="w-auto!"
                        aria-label={t('host.action.label', { action: t('host.action.cancel'), number: ticket.display_number })}
                        onClick={() => setConfirming(ticket.id)}
                      >
                        {t('host.action.cancel')}
                      </Button>
                    </div>
                  )}
                </div>
                {asking ? (
                  <div className="grid gap-2 rounded-xl border-2 border-red-800 p-3" role="group" aria-label={t('host.cancelConfirm', { number: ticket.display_number })}>
                    <p className="text-lg font-semibold">{t('host.cancelConfirm', { number: ticket.display_number })}</p>
                    <div className="grid grid-cols-2 gap-2">
                      <Button
                        kind="danger"
                        autoFocus
                        disabled={busy.has(`cancel:${ticket.id}`)}
                        onClick={async () => {
                          await onAction(ticket, 'cancel')
                          setConfirming(null)
                        }}
                      >
                        {t('host.cancelYes', { number: ticket.display_number })}
                      </Button>
                      <Button kind="secondary" onClick={() => setConfirming(null)}>
                        {t('host.cancelNo')}
                      </Button>
                    </div>
                  </div>
                ) : null}
              </li>
            )
          })}
        </ol>
      )}
    </section>
  )
}
