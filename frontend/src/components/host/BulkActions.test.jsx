import { fireEvent, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import BulkActions from './BulkActions.jsx'
import { matching, todayAt } from './bulk.js'

const waiting = [
  { id: 'a', source: 'web', created_at: '2026-12-06T08:00:00.000Z' },
  { id: 'b', source: 'kiosk', created_at: '2026-12-06T09:30:00.000Z' },
  { id: 'c', source: 'web', created_at: '2026-12-06T09:45:00.000Z' },
]

describe('BulkActions', () => {
  it('cancels everyone waiting only after one confirmation, in one call', async () => {
    const onClear = vi.fn(async () => ({ ok: true }))
    render(<BulkActions waiting={waiting} refused={{ total: 0 }} lineOpen busy={false} onClear={onClear} />)
    fireEvent.click(screen.getByRole('button', { name: 'Cancel 3 waiting…' }))
    expect(onClear).not.toHaveBeenCalled()
    expect(screen.getByText('Cancel 3 waiting tickets? The guests lose their places.')).toBeInTheDocument()
    fireEvent.click(screen.getByRole('button', { name: 'Yes, cancel them' }))
    expect(onClear).toHaveBeenCalledTimes(1)
    expect(onClear).toHaveBeenCalledWith('cancel', {})
    expect(await screen.findByRole('button', { name: 'Cancel 3 waiting…' })).toBeInTheDocument()
  })

  it('keeping them sends nothing', () => {
    const onClear = vi.fn()
    render(<BulkActions waiting={waiting} refused={null} lineOpen busy={false} onClear={onClear} />)
    fireEvent.click(screen.getByRole('button', { name: 'Close and clear for today…' }))
    expect(screen.getByText('Close the line and cancel all 3 waiting tickets?')).toBeInTheDocument()
    fireEvent.click(screen.getByRole('button', { name: 'Keep them' }))
    expect(onClear).not.toHaveBeenCalled()
  })

  afterEach(() => {
    vi.useRealTimers()
  })

  it('only web joins after a time: the count and the filter match what the box cancels', () => {
    // "Today" is the day of the tickets above (the page reads the time of day against the clock's day).
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-12-06T12:00:00') })
    const onClear = vi.fn(async () => ({ ok: true }))
    render(<BulkActions waiting={waiting} refused={null} lineOpen busy={false} onClear={onClear} />)
    fireEvent.click(screen.getByLabelText('Only guests who joined on their phone after a time'))
    // No time yet: nothing to confirm.
    expect(screen.getByRole('button', { name: 'Cancel 2 waiting…' })).toBeDisabled()
    const after = todayAt('09:00', new Date('2026-12-06T12:00:00'))
    const expected = matching(waiting, { source: 'web', joined_after: after }).length
    expect(expected).toBeGreaterThan(0) // the filter has something to find on that day
    // A time field fires `input` as its value changes (onChange listens to it, in React and Preact).
    fireEvent.input(screen.getByLabelText('Joined after (today)'), { target: { value: '09:00' } })
    const button = screen.getByRole('button', { name: `Cancel ${expected} waiting…` })
    fireEvent.click(button)
    fireEvent.click(screen.getByRole('button', { name: 'Yes, cancel them' }))
    expect(onClear).toHaveBeenCalledTimes(1)
    const [kind, filter] = onClear.mock.calls[0]
    expect(kind).toBe('cancel')
    expect(filter.source).toBe('web')
    expect(filter.joined_after).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$/)
  })

  it('shows the joins refused today', () => {
    render(<BulkActions waiting={[]} refused={{ total: 7, queue_full: 5, too_many_tickets: 2, rate_limited: 0 }} lineOpen busy={false} onClear={() => {}} />)
    expect(screen.getByTestId('refused-count')).toHaveTextContent('7')
    expect(screen.getByText('Line full: 5 · Too many per guest: 2 · Too fast: 0')).toBeInTheDocument()
  })

  it('reads a time of day, and nothing else', () => {
    expect(todayAt('24:00')).toBeNull()
    expect(todayAt('')).toBeNull()
    expect(todayAt('7:5')).toBeNull()
  })
})
