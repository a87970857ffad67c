// How the hub page reads a site's numbers and times.
import { agoText } from '../../lib/ago.js'
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

/** Seconds as whole minutes for a figure ("< 1" below one), or null. */
export function waitMinutes(seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return null
  const minutes = seconds / 60
  return minutes > 0 && minutes < 1 ? '< 1' : String(Math.round(minutes))
}

/** A wait in seconds as the page says it: "7 min", or a dash when nobody was called. */
export function waitText(seconds) {
  const minutes = waitMinutes(seconds)
  return minutes === null ? t('hub.none') : t('hub.minutes', { minutes })
}

/** A count for a figure: the number, or a dash when the hub sent none. */
export function countText(value) {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : t('hub.none')
}
