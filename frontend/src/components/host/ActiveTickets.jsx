import { useState } from 'react'
import Button from '../Button.jsx'
import { t } from '../../lib/strings.js'
import '../../lib/strings.host.js'
import { minutesSince } from '../../lib/ago.js'
import PrintBadge from './PrintBadge.jsx'
import PriorityMark from './PriorityMark.jsx'
import { TicketButtons, TransferForm } from './TicketTools.jsx'

// What the host can do with a called ticket, and with one being served (README, "Lifecycle").
const ACTIONS = {
  CALLED: [
    ['serve', 'primary'],
    ['complete', 'secondary'],
    ['no-show', 'secondary'],
    ['recall', 'secondary'],
    ['requeue', 'secondary'],
  ],
  SERVING: [['complete', 'primary']],
}

/** A called guest may need their ticket on paper again: when a kiosk can print, or it never printed. */
function actionsFor(ticket, canReprint) {
  const actions = ACTIONS[ticket.status] ?? []
  if (ticket.status !== 'CALLED' || !(canReprint || ticket.print_status === 'failed')) return actions
  return [...actions, ['reprint', 'secondary']]
}

/** The called and serving tickets, the host's own counter first. */
export default function ActiveTickets({ tickets, counter, now, busy, onAction, canReprint = false, tools = null, serviceName = null }) {
  const [transferring, setTransferring] = useState(null)
  const mine = (ticket) => (ticket.counter === counter ? 0 : 1)
  const sorted = [...tickets].sort((a, b) => mine(a) - mine(b) || a.position_number - b.position_number)
  return (
    <section aria-labelledby="host-active-title" className="grid gap-3">
      <h2 id="host-active-title" className="text-2xl font-bold">
        {t('host.active.title')}
      </h2>
      {sorted.length === 0 ? (
        <p className="rounded-2xl bg-white p-4 text-lg text-stone-700 ring-1 ring-stone-300">{t('host.active.empty')}</p>
      ) : (
        <ul className="grid gap-3">
          {sorted.map((ticket) => {
            const since = minutesSince(ticket.status === 'SERVING' ? ticket.serving_at ?? ticket.called_at : ticket.called_at, now)
            return (
              <li
                key={ticket.id}
                data-testid={`active-${ticket.display_number}`}
                className={`grid gap-3 rounded-2xl bg-white p-4 shadow-sm ring-2 ${ticket.counter === counter ? 'ring-blue-800' : 'ring-stone-300'}`}
              >
                <div className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1">
                  <p dir="ltr" className="text-5xl font-black tabular-nums break-all">{ticket.display_number}</p>
                  <p className="text-lg">
                    <span className="font-bold">{t(`host.status.${ticket.status}`)}</span>
                    {ticket.counter ? <> · {t('host.atCounter', { counter: ticket.counter })}</> : null}
                    {ticket.counter === counter ? <span className="text-stone-700"> ({t('host.yourCounter')})</span> : null}
                    {since !== null ? <span className="text-stone-700"> · {t('host.sinceMinutes', { minutes: since })}</span> : null}
                    <PrintBadge status={ticket.print_status} className="ms-2" />
                  </p>
                  {serviceName || ticket.priority ? (
                    <p className="flex w-full flex-wrap items-center gap-2 text-lg">
                      {serviceName ? <span className="font-semibold wrap-anywhere">{serviceName(ticket)}</span> : null}
                      {ticket.priority ? <PriorityMark /> : null}
                    </p>
                  ) : null}
                </div>
                {/* By the card's own width (a narrow call column on a wide screen too): columns of at
                    least 10rem, so "Weiterleiten" or "الطابور" stays whole in its button. */}
                <div className="grid grid-cols-[repeat(auto-fit,minmax(min(100%,10rem),1fr))] gap-2">
                  {actionsFor(ticket, canReprint).map(([action, kind]) => (
                    <Button
                      key={action}
                      kind={kind}
                      disabled={busy.has(`${action}:${ticket.id}`)}
                      aria-label={t('host.action.label', { action: t(`host.action.${action}`), number: ticket.display_number })}
                      onClick={() => onAction(ticket, action)}
                    >
                      {t(`host.action.${action}`)}
                    </Button>
                  ))}
                  {tools ? <TicketButtons ticket={ticket} tools={tools} open={transferring === ticket.id} onOpen={setTransferring} /> : null}
                </div>
                {tools && transferring === ticket.id ? <TransferForm ticket={ticket} tools={tools} onDone={() => setTransferring(null)} /> : null}
              </li>
            )
          })}
        </ul>
      )}
    </section>
  )
}
