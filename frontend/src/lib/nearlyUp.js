// Issue 16 (nearly): "you're nearly up" on the guest's phone. Pure rules, so Vitest can check them:
// when the ticket is nearly up (its service's `nearly_up`: N or fewer ahead; 0 = only when called),
// which update is a crossing that alerts (once per crossing, never on every update), what the tab's
// title and favicon say.
import { t } from './strings.js'

/** The service's setting, as the ticket carries it (a box before issue 16 sends none: 3). */
export function nearlyAt(ticket) {
  const n = ticket?.nearly_up
  return Number.isInteger(n) && n >= 0 ? n : 3
}

/** Waiting with N or fewer ahead (never when N is 0). */
export function isNearly(ticket) {
  if (ticket?.status !== 'WAITING') return false
  const n = nearlyAt(ticket)
  return n > 0 && Number.isInteger(ticket.people_ahead) && ticket.people_ahead <= n
}

/** A call's identity: a recall (a new called_at or counter) is a new call. */
export function calledKey(ticket) {
  return ticket?.status === 'CALLED' ? `${ticket.called_at ?? ''}|${ticket.counter ?? ''}` : null
}

/**
 * What the page knew before any update: the state it started from (the box's first state, or the
 * cache). With none, the first ticket the page sees is where it starts "nearly up" from (a guest who
 * just opened the page is looking at it), while a call is still news. `spent`: this spell of waiting
 * has had its "nearly up" (a page opened inside N counts: the guest is looking at it).
 */
export function startAlerts(ticket) {
  const nearly = ticket ? isNearly(ticket) : null
  return { nearly, called: calledKey(ticket), spent: nearly === true, status: ticket?.status ?? null }
}

/**
 * The next alert state after `ticket`, and which alert fires now: 'called' for a new call (a recall
 * too); 'nearly' when the ticket crosses into "N or fewer ahead", at most once per spell of waiting,
 * else null. A spell ends when the ticket leaves the line (called, no-show, done): being pushed back
 * out of N and in again (a priority guest, a transfer in, a no-show put back at the front) is the
 * same spell and does not beep twice. Back in line after a no-show, the guest is at the desk: that
 * spell starts spent.
 */
export function nextAlert(known, ticket) {
  const status = ticket?.status ?? null
  const nearly = isNearly(ticket)
  const called = calledKey(ticket)
  let spent = status && status !== 'WAITING' ? false : Boolean(known.spent)
  if (status === 'WAITING' && known.status === 'NO_SHOW') spent = true
  let fire = null
  if (called && called !== known.called) fire = 'called'
  else if (nearly && known.nearly === false && !spent) {
    fire = 'nearly'
    spent = true
  }
  return { known: { nearly, called, spent, status: status ?? known.status }, fire }
}

/**
 * The guest tab's title parts (the venue's name follows): "▶ Your turn · A007" when called; the
 * people ahead first when nearly up ("2 ahead · A007"); else "A007 · 5 ahead" or the number and
 * its state.
 */
export function guestTitleParts(ticket) {
  if (!ticket?.display_number) return []
  if (ticket.status === 'CALLED') return [t('title.yourTurn'), ticket.display_number]
  if (ticket.status === 'WAITING') {
    const ahead = ticket.people_ahead > 0 ? t('title.ahead', { count: ticket.people_ahead }) : t('title.nobodyAhead')
    return isNearly(ticket) ? [ahead, ticket.display_number] : [ticket.display_number, ahead]
  }
  return [ticket.display_number, t(`ticket.status.${ticket.status}`)]
}

export const NO_ICON = 'data:,' // index.html's: the box serves no icon

/** What the favicon shows: '▶' when called, the number ahead when nearly up, else nothing. */
export function faviconMark(ticket) {
  if (ticket?.status === 'CALLED') return '▶'
  if (isNearly(ticket)) return String(ticket.people_ahead)
  return null
}

/** The favicon as an SVG data URL: a dark disc with the mark in white (no font or file needed). */
export function faviconHref(mark) {
  if (!mark) return NO_ICON
  const text = mark === '▶'
    ? '<path d="M24 16v32l26-16z" fill="#fff"/>'
    : `<text x="32" y="44" font-family="sans-serif" font-size="${mark.length > 1 ? 32 : 40}" font-weight="700" text-anchor="middle" fill="#fff">${mark}</text>`
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="32" fill="#065f46"/>${text}</svg>`
  return `data:image/svg+xml,${encodeURIComponent(svg)}`
}

export const NEARLY_UP_MAX = 20 // server/qode/schemas.py NEARLY_UP_MAX

/** Setup's field: the whole number typed, or null when it is not one from 0 to 20. */
export function parseNearlyUp(text) {
  const value = String(text ?? '').trim()
  if (!/^\d{1,2}$/.test(value)) return null
  const n = Number(value)
  return n <= NEARLY_UP_MAX ? n : null
}
