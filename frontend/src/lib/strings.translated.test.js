import { afterEach, describe, expect, it } from 'vitest'
import './strings.host.js'
import './strings.hub.js'
import './strings.screens.js'
import './strings.voice.js'
import { setLanguage, t } from './strings.js'

afterEach(() => setLanguage('en'))

// strings.languages.test.js checks that no text is left in English; this file checks the
// plural forms of Polish, Ukrainian and Arabic.
describe('translations', () => {
  it('says 1, 2, 5, 22 and 25 in Polish with the right plural forms', () => {
    setLanguage('pl')
    const ahead = [1, 2, 5, 22, 25].map((count) => t('ticket.peopleAhead', { count }))
    expect(ahead).toEqual([
      '1 osoba przed Tobą',
      '2 osoby przed Tobą',
      '5 osób przed Tobą',
      '22 osoby przed Tobą',
      '25 osób przed Tobą',
    ])
    const waiting = [1, 2, 5, 22, 25].map((count) => t('join.waiting', { count }))
    expect(waiting).toEqual(['1 osoba czeka', '2 osoby czekają', '5 osób czeka', '22 osoby czekają', '25 osób czeka'])
    expect([1, 2, 5, 22, 25].map((count) => t('kiosk.resetIn', { count }))).toEqual([
      'Powrót do początku za 1 sekundę',
      'Powrót do początku za 2 sekundy',
      'Powrót do początku za 5 sekund',
      'Powrót do początku za 22 sekundy',
      'Powrót do początku za 25 sekund',
    ])
    expect(t('host.waitingCount', { count: 12 })).toBe('12 osób czeka') // 12 is "many", unlike 22
    expect([1, 3, 12].map((count) => t('title.ahead', { count }))).toEqual([
      '1 osoba przed Tobą',
      '3 osoby przed Tobą',
      '12 osób przed Tobą',
    ])
  })

  it('uses the Ukrainian and Arabic plural forms', () => {
    setLanguage('uk')
    expect([1, 3, 5, 21].map((count) => t('ticket.peopleAhead', { count }))).toEqual([
      '1 людина перед Вами',
      '3 людини перед Вами',
      '5 людей перед Вами',
      '21 людина перед Вами',
    ])
    setLanguage('ar')
    expect([0, 1, 2, 3, 11, 100].map((count) => t('ticket.peopleAhead', { count }))).toEqual([
      'لا أحد أمامك',
      'شخص واحد أمامك',
      'شخصان أمامك',
      '3 أشخاص أمامك',
      '11 شخصًا أمامك',
      '100 شخص أمامك',
    ])
    expect([2, 5, 11].map((count) => t('title.ahead', { count }))).toEqual(['شخصان أمامك', '5 أشخاص أمامك', '11 شخصًا أمامك'])
  })
})
