import { t } from '../../lib/strings.js'

/** The guest tab's title parts: "A007 · 3 ahead" while waiting, else the number and its state
 * ("A007 · Your turn"); useVenueTitle adds the venue's name. */
export function guestTitleParts(ticket) {
  if (!ticket?.display_number) return []
  if (ticket.status === 'WAITING') {
    const ahead = ticket.people_ahead > 0 ? t('title.ahead', { count: ticket.people_ahead }) : t('title.nobodyAhead')
    return [ticket.display_number, ahead]
  }
  return [ticket.display_number, t(`ticket.status.${ticket.status}`)]
}
