import { afterEach, describe, expect, it } from 'vitest'
import './strings.host.js'
import './strings.hub.js'
import './strings.screens.js'
import './strings.voice.js'
import { pluralCategory, setLanguage, strings, t } from './strings.js'

afterEach(() => setLanguage('en'))

// Words every language writes as English does: product names and the unit "min".
const NEUTRAL = /\b(Qode|iPad|iPadOS|Android|Chromebook|ChromeOS|min)\b/gu

/** True when nothing in `text` is left to translate once its {parameters} and names are gone. */
function neutral(text) {
  return !/\p{L}/u.test(text.replace(/\{\w+\}/g, '').replace(NEUTRAL, ''))
}

// Texts that really are the same words as the English, checked one by one. Keep this short.
const SAME_AS_ENGLISH = {
  de: ['ticket.announce', 'ticket.announceAhead', 'setup.nameLabel', 'hub.nameLabel', 'setup.defaultKiosk', 'host.source.kiosk', 'venue.logo'],
  fr: ['host.waiting.actions', 'hub.sitesTitle', 'hub.summary_one', 'hub.summary_other', 'venue.logo'],
  es: ['host.duration.hours', 'hub.duration.hours'], // "1 h 05 min": Spanish writes the same symbols
  tr: ['setup.defaultKiosk', 'setup.kioskAdded', 'venue.logo', 'host.source.kiosk'],
  pl: ['setup.defaultKiosk', 'venue.logo', 'host.source.kiosk'],
}

describe('the translations', () => {
  it('leave no English behind: no text equals the English one unless it is the same words', () => {
    const leftovers = []
    for (const [lang, table] of Object.entries(strings)) {
      if (lang === 'en') continue
      const allowed = new Set(SAME_AS_ENGLISH[lang] ?? [])
      for (const [key, text] of Object.entries(table)) {
        if (text === strings.en[key] && !neutral(text) && !allowed.has(key)) leftovers.push(`${lang} ${key}: ${text}`)
      }
    }
    expect(leftovers).toEqual([])
  })

  it('allow only texts that really are the same as the English (the allow-list is not stale)', () => {
    for (const [lang, keys] of Object.entries(SAME_AS_ENGLISH)) {
      for (const key of keys) expect(strings[lang][key], `${lang} ${key}`).toBe(strings.en[key])
    }
  })

  it('use the language’s own plural forms: French and Spanish one/many/other, Turkish one/other', () => {
    expect([0, 1, 2, 1000000].map((n) => pluralCategory('fr', n))).toEqual(['one', 'one', 'other', 'many'])
    expect([1, 2, 1000000].map((n) => pluralCategory('es', n))).toEqual(['one', 'other', 'many'])
    expect([1, 2].map((n) => pluralCategory('tr', n))).toEqual(['one', 'other'])

    setLanguage('fr')
    expect(t('ticket.peopleAhead', { count: 1 })).toBe('1 personne avant vous')
    expect(t('ticket.peopleAhead', { count: 5 })).toBe('5 personnes avant vous')
    expect(t('ticket.peopleAhead', { count: 1000000 })).toBe('1000000 de personnes avant vous')
    expect(t('kiosk.resetIn', { count: 1 })).toBe('Retour à l’accueil dans 1 seconde')
    expect(t('kiosk.resetIn', { count: 10 })).toBe('Retour à l’accueil dans 10 secondes')

    setLanguage('es')
    expect(t('join.waiting', { count: 1 })).toBe('1 persona esperando')
    expect(t('join.waiting', { count: 22 })).toBe('22 personas esperando')
    expect(t('join.waiting', { count: 1000000 })).toBe('1000000 de personas esperando')
    expect(t('host.bulk.done', { count: 1 })).toBe('1 turno en espera cancelado.')
    expect(t('host.bulk.done', { count: 3 })).toBe('3 turnos en espera cancelados.')

    setLanguage('tr')
    // Turkish keeps the noun singular after a number: "5 kişi", never "5 kişiler".
    expect(t('ticket.peopleAhead', { count: 1 })).toBe('Önünüzde 1 kişi var')
    expect(t('ticket.peopleAhead', { count: 5 })).toBe('Önünüzde 5 kişi var')
    expect(t('hub.seenDays', { count: 2 })).toBe('Son bağlantı: 2 gün önce')
  })

  it('say "1 … ticket" in English too, where the text has a count', () => {
    expect(t('host.bulk.done', { count: 1 })).toBe('1 waiting ticket cancelled.')
    expect(t('host.bulk.done', { count: 2 })).toBe('2 waiting tickets cancelled.')
    expect(t('host.bulk.confirm.cancel', { count: 1 })).toMatch(/^Cancel 1 waiting ticket\?/)
  })

  it('write French with its spaces: no break before : ? ! and inside « »', () => {
    for (const [key, text] of Object.entries(strings.fr)) {
      expect(text, key).not.toMatch(/ [:?!;»]|« /)
      expect(text, key).not.toMatch(/\S[?!;]/u) // a (narrow) no-break space, never glued to the word
    }
    expect(strings.fr['ticket.cancelConfirm']).toBe('Quitter la file\u202f? Vous perdrez votre place.')
  })
})

describe('the German', () => {
  it('has none of the leftovers and mistakes the issue listed', () => {
    const german = Object.entries(strings.de)
    const found = (pattern) => german.filter(([, text]) => pattern.test(text)).map(([key]) => key)
    expect(found(/\bLive\b/)).toEqual([])
    expect(found(/Host-/)).toEqual([])
    expect(found(/\bHubs?\b/)).toEqual([]) // "qode serve --hub" is a command and stays
    expect(found(/Nächste aufrufen/)).toEqual([])
    expect(found(/(?<!dieses )\bKiosks\b/)).toEqual([]) // one plural, Kioske ("dieses Kiosks" is the genitive)
    expect(found(/ & /)).toEqual([])
    expect(found(/Admin-Token|Dashboard|Wartend\b/)).toEqual([])
    setLanguage('de')
    expect(t('host.callNext')).toBe('Nächsten aufrufen')
    expect(t('host.devices.title')).toBe('Kioske und Drucker')
    expect(t('setup.devicesTitle')).toBe('Kioske und Anzeigen')
    expect(t('display.waiting')).toBe('Wartende')
  })

  it('has a wording for nobody waiting, in every language, where English needs one too', () => {
    for (const key of ['join.nobodyWaiting', 'host.nobodyWaiting', 'kiosk.nobodyWaiting', 'setup.nobodyWaiting', 'hub.nobodyWaiting']) {
      for (const [lang, table] of Object.entries(strings)) expect(table[key], `${lang} ${key}`).toBeTruthy()
      expect(strings.en[key]).not.toMatch(/\d/)
    }
    setLanguage('de')
    expect(t('join.nobodyWaiting')).toBe('Niemand wartet')
  })
})
