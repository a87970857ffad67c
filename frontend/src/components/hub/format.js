// How the hub page reads a site's numbers and times.
import { agoText } from '../../lib/ago.js'
import { durationText } from '../../lib/format.js'
import { t } from '../../lib/strings.js'

/** No news from a box for longer than this: the site is out of contact. */
export const STALE_MS = 10 * 60 * 1000

/** "ok", "stale" (nothing for over 10 minutes) or "never" (no contact yet). */
export function contactLevel(lastSeen, now) {
  const at = lastSeen ? Date.parse(lastSeen) : NaN
  if (!Number.isFinite(at)) return 'never'
  return now - at > STALE_MS ? 'stale' : 'ok'
}

const SEEN = { now: 'hub.seenNow', minutes: 'hub.seenMinutes', hours: 'hub.seenHours', days: 'hub.seenDays' }

/** "Last seen 3 min ago", or null without a time. */
export const seenText = (lastSeen, now) => agoText(lastSeen, now, SEEN)

/** A wait in seconds as the page says it (lib/format.js, as the host says it): "< 1 min",
 * "7 min", "1 h 05 min", or a dash when nobody was called. */
export function waitText(seconds) {
  return durationText(seconds, 'hub') ?? t('hub.none')
}

/** A count for a figure: the number, or a dash when the hub sent none. */
export function countText(value) {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : t('hub.none')
}
