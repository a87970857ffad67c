import { describe, expect, it } from 'vitest'
import { applyMessage } from '../../hooks/useWebSocket.js'
import { applyTicketDelta, bulkTakes, etaAt, hostPayload, mergeHost } from './hostDelta.js'

const row = (n, overrides = {}) => ({
  id: `t-${n}`,
  position_number: n,
  display_number: `A${String(n).padStart(3, '0')}`,
  status: 'WAITING',
  source: 'web',
  reason: null,
  created_at: `2026-12-06T10:${String(n).padStart(2, '0')}:00.000Z`,
  completed_at: null,
  ...overrides,
})

/** Feed messages through the same path the page uses (useWebSocket's applyMessage). */
function feed(messages) {
  let state = null
  let seq = null
  for (const message of messages) {
    const out = applyMessage(state, seq, message, hostPayload, mergeHost)
    state = out.state
    seq = out.seq
  }
  return state
}

describe('host deltas', () => {
  it('a snapshot gives the list, updates change only the rows they carry', () => {
    const snapshot = { type: 'snapshot', seq: 10, state: { id: 'q', waiting_count: 3 }, tickets: [row(1), row(2), row(3)] }
    const called = row(1, { status: 'CALLED', counter: '2' })
    const state = feed([
      snapshot,
      { type: 'update', seq: 11, state: { id: 'q', waiting_count: 2 }, events: [{}], tickets_changed: [called], refused: { total: 4 } },
      { type: 'update', seq: 12, state: { id: 'q', waiting_count: 3 }, events: [{}], tickets_changed: [row(4)] },
    ])
    expect(state.tickets.map((t) => [t.id, t.status])).toEqual([
      ['t-1', 'CALLED'],
      ['t-2', 'WAITING'],
      ['t-3', 'WAITING'],
      ['t-4', 'WAITING'],
    ])
    expect(state.queue.waiting_count).toBe(3)
    expect(state.refused).toEqual({ total: 4 })
    // Rows that did not change are the same objects (their list items need no new render).
    expect(state.tickets[1]).toBe(snapshot.tickets[1])
  })

  it('an update older than what the page has is ignored, and one without rows keeps the list', () => {
    const tickets = [row(1)]
    const state = feed([
      { type: 'snapshot', seq: 10, state: { id: 'q' }, tickets },
      { type: 'update', seq: 9, state: { id: 'q' }, tickets_changed: [row(1, { status: 'CANCELLED' })] },
      { type: 'update', seq: 11, state: { id: 'q', name: 'New' }, events: [], devices: [] },
    ])
    expect(state.tickets).toBe(tickets)
    expect(state.queue.name).toBe('New')
  })

  it('a bulk cancellation applies its filter, then the changed rows win', () => {
    const tickets = [row(1), row(2, { source: 'kiosk' }), row(3), row(4, { status: 'CALLED' }), row(5)]
    const cleared = { count: 2, reason: 'cancelled_by_host', source: 'web', joined_after: '2026-12-06T10:02:30.000Z', up_to: 5, at: '2026-12-06T11:00:00.000Z' }
    const out = applyTicketDelta(tickets, { bulk: [cleared], changed: [row(6)] })
    expect(out.map((t) => [t.id, t.status, t.reason])).toEqual([
      ['t-1', 'WAITING', null], // joined before the time
      ['t-2', 'WAITING', null], // a kiosk ticket
      ['t-3', 'CANCELLED', 'cancelled_by_host'],
      ['t-4', 'CALLED', null], // not waiting
      ['t-5', 'CANCELLED', 'cancelled_by_host'],
      ['t-6', 'WAITING', null], // joined after the action (numbered past up_to in the next update)
    ])
    expect(out[2].completed_at).toBe(cleared.at)
    expect(bulkTakes({ ...cleared, up_to: 4 }, row(5))).toBe(false)
    expect(bulkTakes({ reason: 'line_closed', source: null, joined_after: null, up_to: 9 }, row(2, { source: 'kiosk' }))).toBe(true)
  })

  it('keeps number order when a row arrives out of it, and leaves the list alone for an empty delta', () => {
    const tickets = [row(1), row(3)]
    expect(applyTicketDelta(tickets, { changed: [row(2)] }).map((t) => t.position_number)).toEqual([1, 2, 3])
    expect(applyTicketDelta(tickets, { changed: [], bulk: [] })).toBe(tickets)
  })

  it('merges 2,000 waiting and a delta quickly, without copying rows', () => {
    const tickets = Array.from({ length: 2000 }, (_, i) => row(i + 1))
    const out = mergeHost({ tickets, queue: {} }, hostPayload({ type: 'update', state: {}, tickets_changed: [row(1, { status: 'CALLED' })] }))
    expect(out.tickets).toHaveLength(2000)
    expect(out.tickets[1999]).toBe(tickets[1999])
    expect(out.tickets[0].status).toBe('CALLED')
  })

  it('a waiting guest ETA comes from their place in line', () => {
    const queue = { eta_seconds: 1100, avg_wait_time: 100, waiting_count: 10 }
    expect(etaAt(queue, 9)).toBe(1000) // the last one waiting: one guest less than a new joiner
    expect(etaAt(queue, 0)).toBe(100) // the next one: one guest's share
    expect(etaAt({ ...queue, eta_seconds: null }, 3)).toBeNull()
  })

  it('drops a ticket that a transfer event says left this service, unless its row comes back in the same update', () => {
    const tickets = [row(1), row(2), row(3)]
    const transfer = (n) => ({ seq: 20 + n, type: 'transfer', ticket_id: `t-${n}`, data: { to: 'q-2' } })
    const moved = mergeHost({ tickets }, hostPayload({ type: 'update', seq: 21, state: {}, events: [transfer(2)], tickets_changed: [] }))
    expect(moved.tickets.map((t) => t.id)).toEqual(['t-1', 't-3'])
    // Sent away and back within one update: its row is in `changed`, so it stays.
    const back = mergeHost({ tickets }, hostPayload({ type: 'update', seq: 22, state: {}, events: [transfer(3)], tickets_changed: [row(3, { line_seq: 40 })] }))
    expect(back.tickets.map((t) => t.id)).toEqual(['t-1', 't-2', 't-3'])
    expect(back.tickets[2].line_seq).toBe(40)
    // Other events change nothing.
    const same = hostPayload({ type: 'update', seq: 23, state: {}, events: [{ seq: 23, type: 'call', ticket_id: 't-1', data: {} }], tickets_changed: [] })
    expect(mergeHost({ tickets }, same).tickets).toBe(tickets)
  })
})
