import { describe, expect, it, vi } from 'vitest'
import { createScanDetector, isTextField, parseTicketUrl, SCAN_AVERAGE_MS, SCAN_BREAK_MS } from './ticketScan.js'

const ID = '3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e'

function typeInto(detector, text, { gap = 5, start = 1000, enter = true } = {}) {
  let at = start
  const handled = []
  for (const key of text) {
    at += gap
    handled.push(detector.feed({ key, timeStamp: at }))
  }
  if (enter) {
    at += gap
    handled.push(detector.feed({ key: 'Enter', timeStamp: at }))
  }
  return handled
}

describe('parseTicketUrl', () => {
  it('takes the id out of a ticket address, in lower case', () => {
    expect(parseTicketUrl(`http://box/t/${ID}`)).toBe(ID)
    expect(parseTicketUrl(`https://192.168.1.20:8443/t/${ID.toUpperCase()}/`)).toBe(ID)
    expect(parseTicketUrl(`http://[fe80::1]:8000/t/${ID}`)).toBe(ID)
    expect(parseTicketUrl(`  http://qode.local/t/${ID}\n`)).toBe(ID)
  })

  it('refuses anything else', () => {
    for (const text of [
      ID, `box/t/${ID}`, `ftp://box/t/${ID}`, `http://box/t/${ID}?x=1`, `http://box/t/${ID}#a`,
      `http://box/x/t/${ID}`, `http://box/join/${ID}`, `http://box/t/${ID.slice(1)}`, `http://box/t/${ID}0`,
      `http://box/t/${ID.replace('3', 'g')}`, `http://b ox/t/${ID}`, `javascript:alert(1)//t/${ID}`,
      `http://box/t/${ID}/../x`, `http://user@box/t/${ID}`, '', null, 42, `http://${'a'.repeat(300)}/t/${ID}`,
    ]) expect(parseTicketUrl(text), String(text)).toBeNull()
  })
})

describe('createScanDetector', () => {
  it('takes fast keys ending in Enter as a scan, and says to keep that Enter', () => {
    const onScan = vi.fn()
    const handled = typeInto(createScanDetector(onScan), `http://box/t/${ID}`)
    expect(onScan).toHaveBeenCalledWith(`http://box/t/${ID}`)
    expect(handled.at(-1)).toBe(true)
    expect(handled.slice(0, -1).every((h) => h === false)).toBe(true)
  })

  it('tolerates a slow key now and then, as a busy kiosk delivers them', () => {
    const onScan = vi.fn()
    const detector = createScanDetector(onScan)
    let at = 0
    const text = `http://box/t/${ID}`
    for (const [i, key] of [...text].entries()) detector.feed({ key, timeStamp: (at += i % 10 === 0 ? 120 : 5) })
    expect(detector.feed({ key: 'Enter', timeStamp: at + 5 })).toBe(true)
    expect(onScan).toHaveBeenCalledWith(text)
  })

  it('leaves a person typing alone: slow keys, a short burst, a pause, or Enter on its own', () => {
    const onScan = vi.fn()
    const detector = createScanDetector(onScan)
    expect(typeInto(detector, `http://box/t/${ID}`, { gap: SCAN_AVERAGE_MS + 20 }).at(-1)).toBe(false)
    expect(typeInto(detector, `http://box/t/${ID}`, { gap: 100, start: 20_000 }).at(-1)).toBe(false) // a fast typist
    typeInto(detector, `http://box/t/${ID}`, { start: 30_000, enter: false })
    expect(detector.feed({ key: 'Enter', timeStamp: 30_000 + 62 * 5 + SCAN_BREAK_MS + 1 })).toBe(false) // Enter after a pause
    expect(typeInto(detector, 'hello', { start: 50_000 }).at(-1)).toBe(false)
    expect(detector.feed({ key: 'Enter', timeStamp: 90_000 })).toBe(false)
    expect(onScan).not.toHaveBeenCalled()
  })

  it('starts afresh after a pause, so earlier keys never join a scan', () => {
    const onScan = vi.fn()
    const detector = createScanDetector(onScan)
    typeInto(detector, 'xyz', { enter: false })
    typeInto(detector, `http://box/t/${ID}`, { start: 5000 })
    expect(onScan).toHaveBeenCalledWith(`http://box/t/${ID}`)
  })

  it('keeps Shift (capitals) and drops the buffer on other special keys', () => {
    const onScan = vi.fn()
    const detector = createScanDetector(onScan)
    let at = 0
    for (const key of ['H', 'Shift', ...'TTP://BOX/T/', 'Tab', ...ID]) detector.feed({ key, timeStamp: (at += 3) })
    detector.feed({ key: 'Enter', timeStamp: at + 3 })
    expect(onScan).toHaveBeenCalledWith(ID) // what came before the Tab is gone
  })
})

describe('isTextField', () => {
  it('knows where a person types', () => {
    const input = document.createElement('input')
    const tel = document.createElement('input')
    tel.type = 'tel'
    const box = document.createElement('input')
    box.type = 'checkbox'
    expect(isTextField(input)).toBe(true)
    expect(isTextField(tel)).toBe(true)
    expect(isTextField(document.createElement('textarea'))).toBe(true)
    expect(isTextField(box)).toBe(false)
    expect(isTextField(document.createElement('button'))).toBe(false)
    expect(isTextField(null)).toBe(false)
  })
})
