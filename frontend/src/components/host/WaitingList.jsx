import { memo, useState } from 'react'
import Button from '../Button.jsx'
import { t } from '../../lib/strings.js'
import '../../lib/strings.host.js'
import { minutesSince } from '../../lib/ago.js'
import { minutesUp, remaining } from '../../lib/time.js'
import { etaAt } from './hostDelta.js'
import PrintBadge from './PrintBadge.jsx'

// Rows shown at first, and added per "Show more": a line of thousands (a flood) must not put
// thousands of rows in the page; the first ones are those the host acts on.
export const PAGE = 50

/**
 * The waiting guests in number order: how long they have waited, their ETA, and cancel; a
 * ticket the kiosk could not print says so, with Reprint (any other one can be printed again
 * from the printers panel, which keeps these rows short on a tablet). Only the first rows are
 * drawn, with "Show more" for the rest.
 */
export default function WaitingList({ tickets, queue, now, receivedAt, busy, onAction }) {
  const [confirming, setConfirming] = useState(null)
  const [shown, setShown] = useState(PAGE)
  const visible = tickets.length > shown ? tickets.slice(0, shown) : tickets
  const more = tickets.length - visible.length
  return (
    <section aria-labelledby="host-waiting-title" className="grid gap-3">
      <h2 id="host-waiting-title" className="text-2xl font-bold">
        {t('host.waiting.title')} <span className="tabular-nums">({tickets.length})</span>
      </h2>
      {tickets.length === 0 ? (
        <p className="rounded-2xl bg-white p-4 text-lg text-stone-700 ring-1 ring-stone-300">{t('host.waiting.empty')}</p>
      ) : (
        <ol className="divide-y divide-stone-300 rounded-2xl bg-white shadow-sm ring-1 ring-stone-300">
          {visible.map((ticket, index) => (
            <WaitingRow
              key={ticket.id}
              ticket={ticket}
              waited={minutesSince(ticket.created_at, now)}
              eta={rowEta(queue, index, receivedAt, now)}
              asking={confirming === ticket.id}
              recallBusy={busy.has(`recall:${ticket.id}`)}
              cancelBusy={busy.has(`cancel:${ticket.id}`)}
              reprintBusy={busy.has(`reprint:${ticket.id}`)}
              onAction={onAction}
              onConfirm={setConfirming}
            />
          ))}
        </ol>
      )}
      {more > 0 ? (
        <Button kind="secondary" data-testid="waiting-more" onClick={() => setShown((n) => n + PAGE)}>
          {t('host.waiting.more', { count: Math.min(PAGE, more), rest: more })}
        </Button>
      ) : null}
    </section>
  )
}

/** {next, minutes} for the guest at `index`, counted down since the state came; null when unknown. */
function rowEta(queue, index, receivedAt, now) {
  const left = remaining(etaAt(queue, index), receivedAt, now)
  if (left === null) return null
  return { next: index === 0 && left < 60, minutes: minutesUp(left) }
}

const sameEta = (a, b) => a === b || (a !== null && b !== null && a.next === b.next && a.minutes === b.minutes)

// A row draws again only when what it shows changed: a delta for one guest redraws one row.
const WaitingRow = memo(
  function WaitingRow({ ticket, waited, eta, asking, recallBusy, cancelBusy, reprintBusy, onAction, onConfirm }) {
    return (
      <li data-testid={`waiting-${ticket.display_number}`} className="grid gap-3 p-3">
        <div className="flex flex-wrap items-center justify-between gap-3">
          <div className="flex flex-wrap items-baseline gap-x-4 gap-y-1">
            <p dir="ltr" className="min-w-20 text-3xl font-black tabular-nums break-all">
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
                  disabled={reprintBusy}
                  aria-label={t('host.action.label', { action: t('host.action.reprint'), number: ticket.display_number })}
                  onClick={() => onAction(ticket, 'reprint')}
                >
                  {t('host.action.reprint')}
                </Button>
              ) : null}
              <Button
                kind="secondary"
                className="w-auto!"
                disabled={recallBusy}
                aria-label={t('host.action.label', { action: t('host.action.callNow'), number: ticket.display_number })}
                onClick={() => onAction(ticket, 'recall')}
              >
                {t('host.action.callNow')}
              </Button>
              <Button
                kind="secondary"
                className="w-auto!"
                aria-label={t('host.action.label', { action: t('host.action.cancel'), number: ticket.display_number })}
                onClick={() => onConfirm(ticket.id)}
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
                disabled={cancelBusy}
                onClick={async () => {
                  await onAction(ticket, 'cancel')
                  onConfirm(null)
                }}
              >
                {t('host.cancelYes', { number: ticket.display_number })}
              </Button>
              <Button kind="secondary" onClick={() => onConfirm(null)}>
                {t('host.cancelNo')}
              </Button>
            </div>
          </div>
        ) : null}
      </li>
    )
  },
  (a, b) =>
    a.ticket === b.ticket &&
    a.waited === b.waited &&
    sameEta(a.eta, b.eta) &&
    a.asking === b.asking &&
    a.recallBusy === b.recallBusy &&
    a.cancelBusy === b.cancelBusy &&
    a.reprintBusy === b.reprintBusy &&
    a.onAction === b.onAction,
)
