// Times and durations as the staff's pages say them: the host dashboard and the hub page use
// these, so both read "07:46" (or "7:46 AM" where the language uses a 12-hour clock), and
// "< 1 min", "12 min", "1 h 05 min". Words come from the page's own dictionary (`keys` is its
// prefix, "host" or "hub": its `.duration.under`, `.minutes` and `.duration.hours` texts).
import { getLanguage, t } from './strings.js'

/**
 * The locale for the page's language: the browser's own tag when it is of that language (so
 * en-GB keeps its 24-hour clock), else the bare language ("de" → 24 hours, "en" → 12).
 */
export function formatLocale(lang = getLanguage(), preferred) {
  let list = preferred
  if (list === undefined && typeof navigator !== 'undefined') {
    list = navigator.languages?.length ? navigator.languages : [navigator.language]
  }
  for (const tag of list ?? []) {
    const text = String(tag ?? '')
    if (text.toLowerCase().split(/[-_]/)[0] === lang) {
      try {
        return Intl.DateTimeFormat.supportedLocalesOf([text]).length ? text : lang
      } catch {
        return lang
      }
    }
  }
  return lang
}

const formats = new Map()

function formatter(locale, options) {
  const key = `${locale}|${JSON.stringify(options)}`
  if (!formats.has(key)) {
    try {
      formats.set(key, new Intl.DateTimeFormat(locale, options))
    } catch {
      formats.set(key, new Intl.DateTimeFormat('en', options))
    }
  }
  return formats.get(key)
}

function toDate(value) {
  const ms = typeof value === 'string' ? Date.parse(value) : value
  return typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms) : null
}

/** A wall-clock time (ms or ISO text) in the page's language: "07:46", "7:46 AM"; null without one. */
export function clockTime(value, locale = formatLocale()) {
  const date = toDate(value)
  if (!date) return null
  return formatter(locale, { hour: '2-digit', minute: '2-digit' }).format(date)
}

/** Whether the language reads times on a 24-hour clock. */
export function uses24Hours(locale = formatLocale()) {
  const cycle = formatter(locale, { hour: 'numeric' }).resolvedOptions().hourCycle
  return cycle === 'h23' || cycle === 'h24'
}

/** An hour of the day (0–23) as an axis label: "07" on a 24-hour clock, else "7 AM". */
export function hourLabel(hour, locale = formatLocale()) {
  if (uses24Hours(locale)) return String(hour).padStart(2, '0')
  return formatter(locale, { hour: 'numeric' }).format(new Date(2000, 0, 1, hour))
}

/**
 * A duration in seconds as words: "< 1 min" under a minute (0 too: nobody waited a whole
 * minute), "12 min", "1 h 05 min"; null when unknown.
 */
export function durationText(seconds, keys) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return null
  const minutes = Math.round(Math.max(0, seconds) / 60)
  if (seconds < 60 || minutes < 1) return t(`${keys}.duration.under`)
  if (minutes < 60) return t(`${keys}.minutes`, { minutes })
  return t(`${keys}.duration.hours`, { hours: Math.floor(minutes / 60), minutes: String(minutes % 60).padStart(2, '0') })
}

/** durationText for a duration in minutes (the host's figures are in minutes). */
export function minutesText(minutes, keys) {
  if (typeof minutes !== 'number' || !Number.isFinite(minutes)) return null
  return durationText(minutes * 60, keys)
}
