// "3 min ago" for the staff's pages: the host's kiosks and hub sync, the hub's sites.
import { t } from './strings.js'

/** Whole minutes from `iso` to `now` (ms), never below 0; null without a time. */
export function minutesSince(iso, now) {
  const at = iso ? Date.parse(iso) : NaN
  if (!Number.isFinite(at)) return null
  return Math.max(0, Math.floor((now - at) / 60000))
}

/**
 * How long ago `iso` was, in a page's own words, or null without a time. `keys` names the
 * page's texts: {now, minutes ({minutes}), hours ({hours})}, and days ({count}) when more
 * than 47 hours should be said in days.
 */
export function agoText(iso, now, keys) {
  const minutes = minutesSince(iso, now)
  if (minutes === null) return null
  if (minutes < 1) return t(keys.now)
  if (minutes < 60) return t(keys.minutes, { minutes })
  const hours = Math.floor(minutes / 60)
  if (!keys.days || hours < 48) return t(keys.hours, { hours })
  return t(keys.days, { count: Math.floor(hours / 24) })
}
