import { memo, useState } from 'react'
import FitWords from '../FitWords.jsx'
import Button from '../Button.jsx'
import { t } from '../../lib/strings.js'
import '../../lib/strings.host.js'
import { minutesSince } from '../../lib/ago.js'
import { durationText } from '../../lib/format.js'
import LateMark from './LateMark.jsx'
import PriorityMark from './PriorityMark.jsx'
import { TicketButtons, TransferForm } from './TicketTools.jsx'
import { PAGE } from './WaitingList.jsx'

/**
 * The desk's waiting guests in ONE list, in the order this counter will call them (desk.js,
 * deskOrder): a busy host reads the top row and knows who "Call next" brings, whatever the
 * service, where tabs would make them compare the heads of several lists. Each row: place,
 * number, service, "Priority" (icon and word), how long they have waited, and the priority and
 * transfer controls.
 */
export default function DeskWaitingList({ tickets, serviceName, now, tools }) {
  const [transferring, setTransferring] = useState(null)
  const [shown, setShown] = useState(PAGE)
  const visible = tickets.length > shown ? tickets.slice(0, shown) : tickets
  const more = tickets.length - visible.length
  return (
    <section aria-labelledby="desk-waiting-title" className="grid gap-3">
      <div>
        <h2 id="desk-waiting-title" className="text-2xl font-bold">
          {t('host.desk.waitingTitle')} <span className="tabular-nums">({tickets.length})</span>
        </h2>
        <p className="text-base text-stone-700">{t('host.desk.forecast')}</p>
      </div>
      {tickets.length === 0 ? (
        <p className="rounded-2xl bg-white p-4 text-lg text-stone-700 ring-1 ring-stone-300">{t('host.waiting.empty')}</p>
      ) : (
        <ol className="divide-y divide-stone-300 rounded-2xl bg-white shadow-sm ring-1 ring-stone-300">
          {visible.map((ticket, index) => (
            <DeskRow
              key={ticket.id}
              ticket={ticket}
              place={index + 1}
              service={serviceName(ticket)}
              waited={minutesSince(ticket.created_at, now)}
              tools={tools}
              open={transferring === ticket.id}
              onOpen={setTransferring}
            />
          ))}
        </ol>
      )}
      {more > 0 ? (
        <Button kind="secondary" onClick={() => setShown((n) => n + PAGE)}>
          {t('host.waiting.more', { count: Math.min(PAGE, more), rest: more })}
        </Button>
      ) : null}
    </section>
  )
}

const DeskRow = memo(function DeskRow({ ticket, place, service, waited, tools, open, onOpen }) {
  return (
    <li data-testid={`desk-waiting-${ticket.display_number}`} className="px-3 py-1 [container-type:inline-size]">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <p className="min-w-8 text-lg text-stone-700 tabular-nums">
          <span className="sr-only">{t('host.desk.place')} </span>
          {place}
        </p>
        <p dir="ltr" className="min-w-16 text-2xl leading-tight font-black tabular-nums break-all">
          <span className="sr-only">{t('host.waiting.number')} </span>
          {ticket.display_number}
        </p>
        <p className="min-w-24 leading-snug font-semibold">
          <span className="sr-only">{t('host.service')}: </span>
          <FitWords text={service} weight={600} className="[--fit-max:1.125rem]" />
        </p>
        {ticket.priority ? <PriorityMark /> : null}
        <LateMark count={ticket.late_uses} />
        <p className="min-w-20 text-base">
          <span className="sr-only">{t('host.waiting.waited')}: </span>
          <span className="tabular-nums" title={t('host.waiting.waited')}>
            {waited === null ? t('host.stats.none') : durationText(waited * 60, 'host')}
          </span>
        </p>
        <div className="ms-auto flex flex-wrap gap-2">
          <TicketButtons ticket={ticket} tools={tools} open={open} onOpen={onOpen} />
        </div>
      </div>
      {open ? <TransferForm ticket={ticket} tools={tools} onDone={() => onOpen(null)} /> : null}
    </li>
  )
})
