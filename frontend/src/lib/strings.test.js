import { afterEach, describe, expect, it } from 'vitest'
import { errorText, pickLanguage, setLanguage, strings, t } from './strings.js'

afterEach(() => setLanguage('en'))

describe('strings', () => {
  it('has the same keys in every language', () => {
    const english = Object.keys(strings.en).sort()
    for (const [lang, table] of Object.entries(strings)) {
      expect(Object.keys(table).sort(), lang).toEqual(english)
    }
  })

  it('picks the first supported browser language, else English', () => {
    expect(pickLanguage(['de-DE', 'en'])).toBe('de')
    expect(pickLanguage(['fr-FR', 'de'])).toBe('de')
    expect(pickLanguage(['fr', 'es'])).toBe('en')
    expect(pickLanguage([])).toBe('en')
  })

  it('fills in parameters and plurals', () => {
    expect(t('ticket.eta', { minutes: 12 })).toBe('about 12 min')
    expect(t('ticket.peopleAhead', { count: 1 })).toBe('1 person ahead of you')
    expect(t('ticket.peopleAhead', { count: 4 })).toBe('4 people ahead of you')
    setLanguage('de')
    expect(t('ticket.peopleAhead', { count: 4 })).toBe('4 Personen vor Ihnen')
  })

  it('explains known error codes and falls back to the server text', () => {
    expect(errorText({ code: 'rate_limited', message: 'x' })).toMatch(/wait a minute/)
    expect(errorText({ code: 'something_new', message: 'Server says so.' })).toBe('Server says so.')
  })
})
