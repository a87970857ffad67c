import { afterEach, describe, expect, it } from 'vitest'
import { clockTime, durationText, formatLocale, hourLabel, minutesText, uses24Hours } from './format.js'
import { setLanguage } from './strings.js'
import './strings.host.js'
import './strings.hub.js'
import { waitText } from '../components/hub/format.js'
import { axisHours } from '../components/shared/hourAxis.js'

const AT = new Date(2026, 10, 26, 7, 46).getTime() // 07:46 this machine's local time

afterEach(() => setLanguage('en'))

describe('times', () => {
  it('reads a wall-clock time in the page language: 24 hours in German, 12 in US English', () => {
    expect(clockTime(AT, 'de')).toBe('07:46')
    expect(clockTime(AT, 'en-GB')).toBe('07:46')
    expect(clockTime(AT, 'en-US')).toMatch(/^07:46\s?AM$/)
    expect(clockTime(new Date(AT).toISOString(), 'de')).toBe('07:46')
    expect(clockTime(null, 'de')).toBeNull()
    expect(clockTime('not a time', 'de')).toBeNull()
  })

  it("takes the browser's own tag when it is of the page's language, else the bare language", () => {
    expect(formatLocale('en', ['en-GB', 'de-DE'])).toBe('en-GB')
    expect(formatLocale('de', ['en-GB', 'de-AT'])).toBe('de-AT')
    expect(formatLocale('de', ['en-US'])).toBe('de')
    expect(formatLocale('en', [])).toBe('en')
  })

  it('labels the hours of an axis: "07" on a 24-hour clock, "7 AM" on a 12-hour one', () => {
    expect(uses24Hours('de')).toBe(true)
    expect(uses24Hours('en-US')).toBe(false)
    expect(hourLabel(7, 'de')).toBe('07')
    expect(hourLabel(17, 'de')).toBe('17')
    expect(hourLabel(7, 'en-US')).toMatch(/^7\sAM$/)
    expect(hourLabel(0, 'en-US')).toMatch(/^12\sAM$/)
  })
})

describe('durations', () => {
  it('says "< 1 min", "12 min" and "1 h 05 min", the host and the hub alike', () => {
    for (const keys of ['host', 'hub']) {
      expect(durationText(0, keys)).toBe('< 1 min')
      expect(durationText(20, keys)).toBe('< 1 min')
      expect(durationText(59, keys)).toBe('< 1 min')
      expect(durationText(60, keys)).toBe('1 min')
      expect(durationText(12 * 60 + 10, keys)).toBe('12 min')
      expect(durationText(65 * 60, keys)).toBe('1 h 05 min')
      expect(durationText(3 * 3600 + 30 * 60, keys)).toBe('3 h 30 min')
      expect(durationText(null, keys)).toBeNull()
      expect(durationText(Number.NaN, keys)).toBeNull()
    }
    expect(minutesText(0.4, 'host')).toBe('< 1 min')
    expect(minutesText(62 / 5, 'host')).toBe('12 min')
  })

  it('speaks German', () => {
    setLanguage('de')
    expect(durationText(0, 'host')).toBe('< 1 Min.')
    expect(durationText(12 * 60, 'hub')).toBe('12 Min.')
    expect(durationText(65 * 60, 'host')).toBe('1 Std. 05 Min.')
  })

  it('the hub no longer says "0 min" where the host says "< 1 min"', () => {
    expect(waitText(0)).toBe('< 1 min')
    expect(waitText(20)).toBe(minutesText(20 / 60, 'host'))
    expect(waitText(null)).toBe('–')
  })
})

describe('the hour axis', () => {
  it('runs from the first to the last hour, at least 8, the rest of the day first', () => {
    expect(axisHours(9, 11)).toEqual([9, 10, 11, 12, 13, 14, 15, 16])
    expect(axisHours(20, 21)).toEqual([16, 17, 18, 19, 20, 21, 22, 23])
    expect(axisHours(7, 19)).toHaveLength(13)
    expect(axisHours(22, 1)).toEqual([22, 23, 0, 1, 2, 3, 4, 5]) // a night already past midnight wraps on
  })
})
