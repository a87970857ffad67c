// issue 16, grace: the day's no-shows that may still come back (QODE_GRACE_MINUTES after their
// no-show, once per ticket; the box says until when in `return_until`). One tap on "Back" puts
// the guest back in line with the same ticket (POST /api/tickets/{id}/return); where it goes is
// the box's setting (QODE_GRACE_PLACE). The outcome is said in the call panel's notice.
import Button from '../Button.jsx'
import { t } from '../../lib/strings.js'
import '../../lib/strings.host.js'
import { minutesSince } from '../../lib/ago.js'
import PriorityMark from './PriorityMark.jsx'
import { returnable } from './missed.js'

export default function MissedTickets({ tickets, now, busy, onAction, serviceName = null }) {
  const shown = returnable(tickets, now)
  if (!shown.length) return null
  return (
    <section aria-labelledby="host-missed-title" className="grid gap-3" data-testid="missed">
      <div className="grid gap-1">
        <h2 id="host-missed-title" className="text-2xl font-bold">
          {t('host.missed.title')}
        </h2>
        <p className="text-lg text-stone-700">{t('host.missed.hint')}</p>
      </div>
      <ul className="grid gap-3">
        {shown.map((ticket) => {
          const ago = minutesSince(ticket.completed_at, now)
          const left = Math.max(1, Math.ceil((Date.parse(ticket.return_until) - now) / 60000))
          return (
            <li key={ticket.id} data-testid={`missed-${ticket.display_number}`}
              className="grid grid-cols-[minmax(0,1fr)] gap-3 rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-300 sm:grid-cols-[minmax(0,1fr)_auto] sm:items-center">
              <div className="grid min-w-0 gap-1">
                <p dir="ltr" className="text-3xl font-black tabular-nums break-all">{ticket.display_number}</p>
                <p className="text-lg wrap-anywhere">
                  {ago !== null ? t('host.missed.ago', { minutes: ago }) : null}
                  {' · '}
                  {t('host.missed.left', { minutes: left })}
                  {ticket.priority ? <PriorityMark className="ms-2" /> : null}
                </p>
                {serviceName ? <p className="text-lg font-semibold wrap-anywhere">{serviceName(ticket)}</p> : null}
              </div>
              <Button
                className="sm:w-auto"
                disabled={busy.has(`return:${ticket.id}`)}
                aria-label={t('host.action.label', { action: t('host.action.return'), number: ticket.display_number })}
                onClick={() => onAction(ticket, 'return')}
              >
                {t('host.action.return')}
              </Button>
            </li>
          )
        })}
      </ul>
    </section>
  )
}
