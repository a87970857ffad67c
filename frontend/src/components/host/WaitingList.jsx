import { memo, useState } from 'react'
import Button from '../Button.jsx'
import { t } from '../../lib/strings.js'
import '../../lib/strings.host.js'
import { minutesSince } from '../../lib/ago.js'
import { durationText } from '../../lib/format.js'
import { minutesUp, remaining } from '../../lib/time.js'
import { etaAt } from './hostDelta.js'
import PrintBadge from './PrintBadge.jsx'
import LateMark from './LateMark.jsx'
import PriorityMark from './PriorityMark.jsx'
import { TicketButtons, TransferForm } from './TicketTools.jsx'

// Rows shown at first, and added per "Show more": a line of thousands (a flood) must not put
// thousands of rows in the page; the first ones are those the host acts on.
export const PAGE = 50

// Row buttons: 44 px tall (WCAG 2.2 target size, and Apple's 44 pt), so a row stays near 46 px.
const ROW_BUTTON = 'min-h-11! w-auto! px-3! text-base!'

/**
 * The waiting guests in number order, one line each: number, how long they have waited, their
 * ETA, where they joined, Call now and Cancel; a
 * ticket the kiosk could not print says so, with Reprint (any other one can be printed again
 * from the printers panel, which keeps these rows short on a tablet). Only the first rows are
 * drawn, with "Show more" for the rest.
 */
export default function WaitingList({ tickets, queue, now, receivedAt, busy, onAction, tools = null }) {
  const [confirming, setConfirming] = useState(null)
  const [transferring, setTransferring] = useState(null)
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
              tools={tools}
              transferOpen={transferring === ticket.id}
              onTransferOpen={setTransferring}
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
  function WaitingRow({ ticket, waited, eta, asking, recallBusy, cancelBusy, reprintBusy, onAction, onConfirm, tools, transferOpen, onTransferOpen }) {
    return (
      <li data-testid={`waiting-${ticket.display_number}`} className="px-3 py-0.5">
        {/* One line per guest (wrapping only when the text is zoomed or the screen is narrow). */}
        <div className="flex flex-wrap items-center gap-x-3 gap-y-0.5">
          <p dir="ltr" className="min-w-16 text-2xl leading-tight font-black tabular-nums break-all">
            <span className="sr-only">{t('host.waiting.number')} </span>
            {ticket.display_number}
          </p>
          <p className="min-w-20 text-base">
            <span className="sr-only">{t('host.waiting.waited')}: </span>
            <span className="font-semibold tabular-nums" title={t('host.waiting.waited')}>
              {waited === null ? t('host.stats.none') : durationText(waited * 60, 'host')}
            </span>
          </p>
          <p className="min-w-24 text-base text-stone-800">
            <span className="sr-only">{t('host.waiting.eta')}: </span>
            <span className="tabular-nums" title={t('host.waiting.eta')}>
              {eta === null ? t('host.stats.none') : eta.next ? t('host.etaNext') : t('host.etaMinutes', { minutes: eta.minutes })}
            </span>
          </p>
          {ticket.source ? (
            <p className="text-base text-stone-700">
              <span className="sr-only">{t('host.waiting.source')}: </span>
              {t(`host.source.${ticket.source}`)}
            </p>
          ) : null}
          {ticket.priority ? <PriorityMark /> : null}
          <LateMark count={ticket.late_uses} />
          <PrintBadge status={ticket.print_status} />
          {ticket.phone ? (
            <p className="text-base text-stone-700" data-testid="ticket-phone">
              {t('host.sms.row', { phone: '\u2066' + ticket.phone + '\u2069' })}
            </p>
          ) : null}
          {asking ? null : (
            <div className="ms-auto flex flex-wrap gap-2">
              {tools ? <TicketButtons ticket={ticket} tools={tools} open={transferOpen} onOpen={onTransferOpen} /> : null}
              {ticket.print_status === 'failed' ? (
                <Button
                  kind="secondary"
                  className={ROW_BUTTON}
                  disabled={reprintBusy}
                  aria-label={t('host.action.label', { action: t('host.action.reprint'), number: ticket.display_number })}
                  onClick={() => onAction(ticket, 'reprint')}
                >
                  {t('host.action.reprint')}
                </Button>
              ) : null}
              <Button
                kind="secondary"
                className={ROW_BUTTON}
                disabled={recallBusy}
                aria-label={t('host.action.label', { action: t('host.action.callNow'), number: ticket.display_number })}
                onClick={() => onAction(ticket, 'recall')}
              >
                {t('host.action.callNow')}
              </Button>
              <Button
                kind="secondary"
                className={ROW_BUTTON}
                aria-label={t('host.action.label', { action: t('host.action.cancel'), number: ticket.display_number })}
                onClick={() => onConfirm(ticket.id)}
              >
                {t('host.action.cancel')}
              </Button>
            </div>
          )}
        </div>
        {tools && transferOpen && !asking ? <TransferForm ticket={ticket} tools={tools} onDone={() => onTransferOpen(null)} /> : null}
        {asking ? (
          <div className="my-1 grid gap-2 rounded-xl border-2 border-red-800 p-3" role="group" aria-label={t('host.cancelConfirm', { number: ticket.display_number })}>
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
    a.onAction === b.onAction &&
    a.tools === b.tools &&
    a.transferOpen === b.transferOpen,
)
