import { afterEach, describe, expect, it } from 'vitest'
import './strings.host.js'
import './strings.hub.js'
import './strings.screens.js'
import './strings.voice.js'
import { errorText, getDirection, pickLanguage, pluralCategory, setLanguage, strings, t } from './strings.js'

const PLURAL = /_(zero|one|two|few|many|other)$/

/** The keys `lang` must have: English's, with each plural key in `lang`'s own CLDR categories. */
function expectedKeys(lang) {
  const keys = new Set()
  for (const key of Object.keys(strings.en)) {
    if (!PLURAL.test(key)) keys.add(key)
    else {
      const base = key.replace(PLURAL, '')
      for (const category of new Intl.PluralRules(lang).resolvedOptions().pluralCategories) {
        keys.add(`${base}_${category}`)
      }
    }
  }
  return [...keys].sort()
}

afterEach(() => setLanguage('en'))

describe('strings', () => {
  it('has every page’s keys in every language, plurals in that language’s own forms', () => {
    for (const [lang, table] of Object.entries(strings)) {
      expect(Object.keys(table).sort(), lang).toEqual(expectedKeys(lang))
    }
  })

  it('has no empty string and keeps every {parameter} of the English text', () => {
    for (const [lang, table] of Object.entries(strings)) {
      for (const [key, text] of Object.entries(table)) {
        expect(text.trim(), `${lang} ${key}`).not.toBe('')
        const base = key.replace(PLURAL, '')
        const english = strings.en[key] ?? strings.en[`${base}_other`]
        // {count} may be left out of a singular form ("une personne"), nothing else may.
        const needed = new Set(english.match(/\{\w+\}/g) ?? [])
        if (PLURAL.test(key) && !key.endsWith('_other')) needed.delete('{count}')
        for (const param of needed) expect(text, `${lang} ${key}`).toContain(param)
      }
    }
  })

  it('chooses plural forms by the language’s own rules', () => {
    expect(pluralCategory('en', 1)).toBe('one')
    expect(pluralCategory('en', 2)).toBe('other')
    const polish = [1, 2, 5, 12, 22, 25].map((count) => pluralCategory('pl', count))
    expect(polish).toEqual(['one', 'few', 'many', 'many', 'few', 'many'])
  })

  it('lays out right-to-left languages right to left', () => {
    expect(getDirection('ar')).toBe('rtl')
    expect(getDirection('de')).toBe('ltr')
  })

  it('picks the first supported browser language, else English', () => {
    expect(pickLanguage(['de-DE', 'en'])).toBe('de')
    expect(pickLanguage(['ja-JP', 'de'])).toBe('de')
    expect(pickLanguage(['fr-CA', 'de'])).toBe('fr')
    expect(pickLanguage(['es-MX'])).toBe('es')
    expect(pickLanguage(['tr-TR'])).toBe('tr')
    expect(pickLanguage(['ja', 'zh'])).toBe('en')
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
