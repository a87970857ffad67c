// Small formatting helpers for the host's lists.
import { minutesUp, remaining } from '../../lib/time.js'

/** A waiting ticket's ETA in minutes, counted down since it arrived; null when unknown. */
export function etaMinutes(ticket, receivedAt, now) {
  const left = remaining(ticket.eta_seconds, receivedAt, now)
  if (left === null) return null
  return { next: ticket.people_ahead === 0 && left < 60, minutes: minutesUp(left) }
}
