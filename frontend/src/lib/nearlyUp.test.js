import { afterEach, describe, expect, it } from 'vitest'
import { ticket } from '../test/fixtures.js'
import { faviconHref, faviconMark, guestTitleParts, isNearly, nearlyAt, nextAlert, NO_ICON, startAlerts } from './nearlyUp.js'
import { setLanguage } from './strings.js'

afterEach(() => setLanguage('en'))

/** Feed `tickets` one by one from `start`; the alerts that fired, in order. */
function alertsOver(start, tickets) {
  let known = startAlerts(start)
  const fired = []
  for (const t of tickets) {
    const step = nextAlert(known, t)
    known = step.known
    if (step.fire) fired.push(step.fire)
  }
  return fired
}

const waiting = (ahead, more = {}) => ticket({ people_ahead: ahead, nearly_up: 3, ...more })
const called = (at = '2026-11-26T10:20:00Z', counter = '2') =>
  ticket({ status: 'CALLED', people_ahead: 0, counter, called_at: at, nearly_up: 3 })

describe('nearly up', () => {
  it('is N or fewer ahead while waiting, never at N = 0, and 3 from a box that sends no setting', () => {
    expect([5, 4, 3, 2, 1, 0].map((n) => isNearly(waiting(n)))).toEqual([false, false, true, true, true, true])
    expect(isNearly(waiting(0, { nearly_up: 0 }))).toBe(false)
    expect(isNearly(waiting(1, { nearly_up: 1 }))).toBe(true)
    expect(isNearly(called())).toBe(false)
    expect(nearlyAt({ people_ahead: 2 })).toBe(3)
    expect(nearlyAt(waiting(2, { nearly_up: 20 }))).toBe(20)
  })

  it('alerts once per crossing, not on every update, and once per call (a recall is a new call)', () => {
    const line = [waiting(6), waiting(5), waiting(4), waiting(3), waiting(3), waiting(2), waiting(1), waiting(0),
      called(), called(), ticket({ status: 'SERVING', counter: '2', people_ahead: 0 })]
    expect(alertsOver(waiting(7), line)).toEqual(['nearly', 'called'])
    // moved back out (a priority ticket went ahead, a no-show put back at the front) and in again:
    // the same spell of waiting, so no second beep
    expect(alertsOver(waiting(7), [waiting(3), waiting(4), waiting(3), waiting(2)])).toEqual(['nearly'])
    expect(alertsOver(waiting(5), [waiting(4), waiting(3), waiting(4), waiting(3), waiting(4), waiting(3)]))
      .toEqual(['nearly'])
    // a new spell (called, missed, then requeued behind others) may be nearly up again
    expect(alertsOver(waiting(4), [waiting(3), called(), ticket({ status: 'WAITING', people_ahead: 5, nearly_up: 3 }),
      waiting(3)])).toEqual(['nearly', 'called', 'nearly'])
    // back in line after a no-show (the host's Back, a scan at the kiosk): the guest is at the desk
    const missed = ticket({ status: 'NO_SHOW', people_ahead: 0, nearly_up: 3 })
    expect(alertsOver(waiting(4), [waiting(3), called(), missed, waiting(0), called('t9')]))
      .toEqual(['nearly', 'called', 'called'])
    // a page opened inside N: that spell is spent
    expect(alertsOver(waiting(2), [waiting(4), waiting(3)])).toEqual([])
    // a recall at another counter is a new call
    expect(alertsOver(waiting(2), [called('t1', '2'), called('t1', '2'), called('t2', '3')])).toEqual(['called', 'called'])
  })

  it('does not alert for the state the page started from', () => {
    expect(alertsOver(waiting(2), [waiting(2), waiting(1)])).toEqual([])
    expect(alertsOver(called(), [called()])).toEqual([])
    // with no first state, the first ticket seen is the start for "nearly", but a call is news
    expect(alertsOver(null, [waiting(2), waiting(1)])).toEqual([])
    expect(alertsOver(null, [called()])).toEqual(['called'])
  })

  it('at N = 0 the only alert is the call', () => {
    const zero = (n) => waiting(n, { nearly_up: 0 })
    expect(alertsOver(zero(4), [zero(2), zero(0), called()])).toEqual(['called'])
  })

  it('titles the tab "▶ Your turn" and puts "2 ahead" first once nearly up', () => {
    expect(guestTitleParts(waiting(5, { display_number: 'A7' }))).toEqual(['A7', '5 ahead'])
    expect(guestTitleParts(waiting(2, { display_number: 'A7' }))).toEqual(['2 ahead', 'A7'])
    expect(guestTitleParts(waiting(1, { display_number: 'A7' }))).toEqual(['1 ahead', 'A7'])
    expect(guestTitleParts(waiting(0, { display_number: 'A7' }))).toEqual(['nobody ahead', 'A7'])
    expect(guestTitleParts(called())).toEqual(['▶ Your turn', 'A12'])
    expect(guestTitleParts(ticket({ status: 'COMPLETED', people_ahead: 0 }))).toEqual(['A12', 'Done'])
    expect(guestTitleParts(null)).toEqual([])
  })

  it('says "2 ahead" with each language\'s plural forms', () => {
    const ahead = (lang, n) => {
      setLanguage(lang)
      return guestTitleParts(waiting(n, { nearly_up: 20 }))[0]
    }
    expect([1, 2, 4, 5, 12, 20].map((n) => ahead('pl', n))).toEqual([
      '1 osoba przed Tobą', '2 osoby przed Tobą', '4 osoby przed Tobą', '5 osób przed Tobą', '12 osób przed Tobą',
      '20 osób przed Tobą',
    ])
    expect([1, 2, 5].map((n) => ahead('uk', n))).toEqual(['1 людина перед Вами', '2 людини перед Вами', '5 людей перед Вами'])
    expect([1, 2, 3, 11].map((n) => ahead('ar', n))).toEqual(['شخص واحد أمامك', 'شخصان أمامك', '3 أشخاص أمامك', '11 شخصًا أمامك'])
    expect(ahead('de', 2)).toBe('2 vor Ihnen')
    setLanguage('fr')
    expect(guestTitleParts(called())[0]).toBe('▶ C’est votre tour')
  })

  it('draws the favicon: the number ahead when nearly up, a play mark when called, else none', () => {
    expect(faviconMark(waiting(5))).toBeNull()
    expect(faviconMark(waiting(2))).toBe('2')
    expect(faviconMark(waiting(0))).toBe('0')
    expect(faviconMark(called())).toBe('▶')
    expect(faviconHref(null)).toBe(NO_ICON)
    const two = decodeURIComponent(faviconHref('2'))
    expect(two.startsWith('data:image/svg+xml,<svg')).toBe(true)
    expect(two).toContain('>2</text>')
    const play = decodeURIComponent(faviconHref('▶'))
    expect(play).toContain('<path') // a drawn triangle, no font needed
    expect(faviconHref('12')).not.toBe(faviconHref('2'))
  })
})
