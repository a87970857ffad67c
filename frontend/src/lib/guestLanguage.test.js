import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  applyLanguage,
  carryJoinLanguage,
  enterLanguage,
  joinScope,
  nativeName,
  rememberLanguage,
  resetPageLanguage,
  storedLanguage,
  ticketScope,
} from './guestLanguage.js'
import { getLanguage, setLanguage, strings, t } from './strings.js'

const DAY = 24 * 60 * 60 * 1000

afterEach(() => {
  resetPageLanguage()
  setLanguage('en')
  vi.restoreAllMocks()
})

describe('the guest’s language choice', () => {
  it('is remembered per ticket: one ticket’s choice is not another’s', () => {
    rememberLanguage(ticketScope('t-1'), 'fr')
    expect(storedLanguage(ticketScope('t-1'))).toBe('fr')
    expect(storedLanguage(ticketScope('t-2'))).toBeNull()
    rememberLanguage(ticketScope('t-2'), 'tr')
    expect(storedLanguage(ticketScope('t-1'))).toBe('fr')
    expect(storedLanguage(ticketScope('t-2'))).toBe('tr')
  })

  it('ignores a language the app does not have, and junk in the storage', () => {
    rememberLanguage(ticketScope('t-1'), 'xx')
    expect(storedLanguage(ticketScope('t-1'))).toBeNull()
    localStorage.setItem(ticketScope('t-2'), '{not json')
    expect(storedLanguage(ticketScope('t-2'))).toBeNull()
    localStorage.setItem(ticketScope('t-3'), JSON.stringify({ lang: 'klingon', savedAt: Date.now() }))
    expect(storedLanguage(ticketScope('t-3'))).toBeNull()
  })

  it('moves from the join page to the ticket taken there, and only then', () => {
    rememberLanguage(joinScope('q-1'), 'es')
    carryJoinLanguage('q-2', 't-9') // another line's page: nothing chosen there
    expect(storedLanguage(ticketScope('t-9'))).toBeNull()

    carryJoinLanguage('q-1', 't-1')
    expect(storedLanguage(ticketScope('t-1'))).toBe('es')
    expect(storedLanguage(joinScope('q-1'))).toBeNull()
  })

  it('keeps a ticket’s own earlier choice when nothing was chosen on the join page', () => {
    rememberLanguage(ticketScope('t-1'), 'de')
    carryJoinLanguage('q-1', 't-1')
    expect(storedLanguage(ticketScope('t-1'))).toBe('de')
  })

  it('forgets choices from earlier days when it writes, so the storage does not grow', () => {
    const now = Date.parse('2026-11-26T10:00:00Z')
    rememberLanguage(ticketScope('old'), 'fr', now - 3 * DAY)
    rememberLanguage(ticketScope('yesterday'), 'fr', now - DAY)
    localStorage.setItem('qode.ticket.other', 'kept: not ours')
    rememberLanguage(ticketScope('today'), 'es', now)
    expect(storedLanguage(ticketScope('old'))).toBeNull()
    expect(storedLanguage(ticketScope('yesterday'))).toBe('fr')
    expect(storedLanguage(ticketScope('today'))).toBe('es')
    expect(localStorage.getItem('qode.ticket.other')).toBe('kept: not ours')
  })

  it('still switches when the storage refuses to write', () => {
    vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw new DOMException('full', 'QuotaExceededError')
    })
    expect(() => rememberLanguage(ticketScope('t-1'), 'fr')).not.toThrow()
    expect(applyLanguage('fr')).toBe('fr')
    expect(t('ticket.title')).toBe('Votre ticket')
  })

  it('sets t(), <html lang> and dir', () => {
    expect(applyLanguage('tr')).toBe('tr')
    expect(document.documentElement.lang).toBe('tr')
    expect(document.documentElement.dir).toBe('ltr')
    expect(t('ticket.status.CALLED')).toBe('Sıra sizde')
    expect(applyLanguage('nope')).toBe('en')
    expect(document.documentElement.lang).toBe('en')
  })

  it('lays a right-to-left language out right to left', () => {
    const added = !strings.ar
    if (added) strings.ar = { ...strings.en } // lang2 brings Arabic; the direction is what counts here
    try {
      applyLanguage('ar')
      expect(document.documentElement.dir).toBe('rtl')
      applyLanguage('fr')
      expect(document.documentElement.dir).toBe('ltr')
    } finally {
      if (added) delete strings.ar
    }
  })

  it('opens a page in its stored choice, else in the page’s own language, never the last ticket’s', () => {
    setLanguage('de') // the phone's language
    rememberLanguage(ticketScope('t-1'), 'fr')
    expect(enterLanguage(ticketScope('t-1'))).toBe('fr')
    expect(enterLanguage(ticketScope('t-2'))).toBe('de')
    applyLanguage('es') // the guest switches on t-2 (not remembered here)
    expect(enterLanguage(joinScope('q-1'))).toBe('de')
    expect(getLanguage()).toBe('de')
  })
})

describe('language names', () => {
  it('names each language in itself, capitalised as a menu item', () => {
    expect(nativeName('de')).toBe('Deutsch')
    expect(nativeName('fr')).toBe('Français')
    expect(nativeName('es')).toBe('Español')
    expect(nativeName('tr')).toBe('Türkçe')
    expect(nativeName('ar')).toBe('العربية')
    expect(nativeName('uk')).toBe('Українська')
  })
})
