import { afterEach, describe, expect, it } from 'vitest'
import { hostStrings } from './strings.host.js'
import { hubStrings } from './strings.hub.js'
import { screenStrings } from './strings.screens.js'
import { setLanguage, strings, t } from './strings.js'

afterEach(() => setLanguage('en'))

describe('the hub page strings', () => {
  it('has a table for every language the app has (strings.test.js checks their keys)', () => {
    expect(Object.keys(hubStrings).sort()).toEqual(Object.keys(strings).sort())
  })

  it('overrides no other page’s string when it joins the dictionary', () => {
    for (const key of Object.keys(hubStrings.en)) {
      expect(key.startsWith('hub.'), key).toBe(true)
      expect(hostStrings.en, key).not.toHaveProperty(key)
      expect(screenStrings.en, key).not.toHaveProperty(key)
    }
  })

  it('is there for t() once the hub page has loaded it', () => {
    expect(t('hub.summary', { count: 2 })).toBe('2 sites')
    setLanguage('de')
    expect(t('hub.summary', { count: 1 })).toBe('1 Standort')
  })
})
