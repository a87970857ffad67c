import { act, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { setLanguage } from '../../lib/strings.js'
import ScanReturn from './ScanReturn.jsx'

const ID = '3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e'

/** A HID scanner: the keys, one after the other at once, then Enter (on the focused element). */
function scan(text, target = document.body) {
  let pressed
  act(() => {
    for (const key of text) target.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }))
    pressed = target.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }))
  })
  return pressed // false: the Enter was kept from the page
}

afterEach(() => setLanguage('en'))

describe('ScanReturn', () => {
  it('puts the scanned ticket back and says so, then clears', async () => {
    vi.useFakeTimers()
    try {
      const api = { returnTicket: vi.fn(async () => ({ display_number: 'A001', people_ahead: 0 })) }
      render(<ScanReturn api={api} shownMs={4000} />)
      expect(scan(`http://box/t/${ID}`)).toBe(false)
      expect(api.returnTicket).toHaveBeenCalledWith(ID, { idempotencyKey: expect.any(String) })
      await act(async () => {})
      expect(screen.getByRole('status')).toHaveTextContent('Welcome back! Ticket A001 is back in line.You are next.')
      act(() => vi.advanceTimersByTime(4001))
      expect(screen.getByRole('status')).toHaveTextContent('')
    } finally {
      vi.useRealTimers()
    }
  })

  it.each([
    [{ status: 409, code: 'window_passed' }, 'too late'],
    [{ status: 409, code: 'already_returned' }, 'already used once'],
    [{ status: 403, code: 'service_not_in_scope' }, 'not a ticket of this kiosk'],
    [{ status: 404, code: 'ticket_not_found' }, 'not a ticket of this kiosk'],
    [{ status: 409, code: 'not_no_show' }, 'not missed'],
  ])('says why a ticket is refused (%o)', async (error, words) => {
    const api = { returnTicket: vi.fn(async () => { throw Object.assign(new Error('no'), error) }) }
    render(<ScanReturn api={api} />)
    scan(`http://box/t/${ID}`)
    await act(async () => {})
    expect(screen.getByRole('status')).toHaveTextContent('This ticket cannot go back in line')
    expect(screen.getByRole('status').textContent.toLowerCase()).toContain(words)
  })

  it('asks nothing for a code that is not a ticket address, and counts people ahead', async () => {
    const api = { returnTicket: vi.fn(async () => ({ display_number: 'B007', people_ahead: 3 })) }
    render(<ScanReturn api={api} />)
    scan('http://box/join/not-a-ticket-at-all')
    expect(api.returnTicket).not.toHaveBeenCalled()
    expect(screen.getByRole('status')).toHaveTextContent('That code is not a ticket from here.')
    scan(`http://box/t/${ID}`)
    await act(async () => {})
    expect(screen.getByRole('status')).toHaveTextContent('3 people ahead of you.')
  })

  it('leaves keys typed into a text field alone', () => {
    const api = { returnTicket: vi.fn() }
    render(<><input aria-label="phone" /><ScanReturn api={api} /></>)
    const input = screen.getByLabelText('phone')
    input.focus()
    expect(scan(`http://box/t/${ID}`, input)).toBe(true)
    expect(api.returnTicket).not.toHaveBeenCalled()
  })

  it('does not listen while disabled', () => {
    const api = { returnTicket: vi.fn() }
    render(<ScanReturn api={api} enabled={false} />)
    expect(scan(`http://box/t/${ID}`)).toBe(true)
    expect(api.returnTicket).not.toHaveBeenCalled()
  })

  it('scanning again after a lost answer reuses its Idempotency-Key; after an answer, a fresh one', async () => {
    const keys = []
    let fail = true
    const api = {
      returnTicket: vi.fn(async (_id, { idempotencyKey }) => {
        keys.push(idempotencyKey)
        if (fail) throw Object.assign(new Error('offline'), { code: 'offline' })
        return { display_number: 'A001', people_ahead: 0 }
      }),
    }
    render(<ScanReturn api={api} />)
    scan(`http://box/t/${ID}`)
    await act(async () => {})
    fail = false
    scan(`http://box/t/${ID}`)
    await act(async () => {})
    scan(`http://box/t/${ID}`)
    await act(async () => {})
    expect(keys[0]).toBe(keys[1])
    expect(keys[2]).not.toBe(keys[1])
  })
})
