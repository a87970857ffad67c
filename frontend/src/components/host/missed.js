// issue 16, grace: which no-shows the host may still put back (MissedTickets.jsx shows them).

export const MISSED_SHOWN = 10 // the most recent ones: an older no-show is rarely back

/** NO_SHOW tickets that never came back and whose window is still open at `now` (ms), newest first. */
export function returnable(tickets, now) {
  return tickets
    .filter((ticket) => ticket.status === 'NO_SHOW' && !ticket.returned_at && ticket.return_until
      && Date.parse(ticket.return_until) > now)
    .sort((a, b) => (b.completed_at ?? '').localeCompare(a.completed_at ?? ''))
    .slice(0, MISSED_SHOWN)
}
