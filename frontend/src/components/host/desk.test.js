import { describe, expect, it } from 'vitest'
import { ticket } from '../../test/fixtures.js'
import { deskActive, deskOrder, heldBy, reasonText, serviceLine, worstConnection } from './desk.js'

const NOW = Date.parse('2026-11-26T11:00:00.000Z')
const at = (minutesAgo) => new Date(NOW - minutesAgo * 60000).toISOString()
const row = (id, queueId, over = {}) => ticket({ id, queue_id: queueId, display_number: id, status: 'WAITING', priority: false, ...over })

describe('serviceLine', () => {
  it('keeps the box’s call order, drops rows no longer waiting or moved away, and puts new rows after, priority first', () => {
    const rows = [
      row('P1', 'pass', { position_number: 1, line_seq: 10 }),
      row('P2', 'pass', { position_number: 2, line_seq: 11 }),
      row('P3', 'pass', { position_number: 3, line_seq: 12, priority: true }),
      row('P4', 'pay', { position_number: 4, line_seq: 13 }), // transferred to Payments
      row('P5', 'pass', { position_number: 5, line_seq: 14, status: 'CALLED' }),
      row('P6', 'pass', { position_number: 6, line_seq: 15 }), // not ordered by the box yet
      row('P7', 'pass', { position_number: 7, line_seq: 16, priority: true }), // nor this one
    ]
    const line = serviceLine(rows, 'pass', ['P3', 'P1', 'P4', 'P5', 'P2'])
    expect(line.map((x) => x.id)).toEqual(['P3', 'P1', 'P2', 'P7', 'P6'])
    // Without the box's order yet: priority first, then by place in the line.
    expect(serviceLine(rows, 'pass', null).map((x) => x.id)).toEqual(['P3', 'P7', 'P1', 'P2', 'P6'])
  })
})

describe('deskOrder', () => {
  const lines = {
    pass: [row('P1', 'pass', { created_at: at(5) }), row('P2', 'pass', { created_at: at(2) })],
    pay: [row('B1', 'pay', { created_at: at(20) }), row('B2', 'pay', { created_at: at(1) })],
  }

  it('calls by the counter’s order: its first service while it has someone, the second after', () => {
    const counter = { rule: 'order', services: [{ queue_id: 'pass' }, { queue_id: 'pay' }] }
    expect(deskOrder(lines, counter, NOW).map((x) => x.id)).toEqual(['P1', 'P2', 'B1', 'B2'])
    const reversed = { rule: 'order', services: [{ queue_id: 'pay' }, { queue_id: 'pass' }] }
    expect(deskOrder(lines, reversed, NOW).map((x) => x.id)).toEqual(['B1', 'B2', 'P1', 'P2'])
  })

  it('puts a priority head before normal heads of the other services', () => {
    const counter = { rule: 'order', services: [{ queue_id: 'pass' }, { queue_id: 'pay' }] }
    const withPriority = { ...lines, pay: [row('B3', 'pay', { priority: true, created_at: at(1) }), ...lines.pay] }
    expect(deskOrder(withPriority, counter, NOW).map((x) => x.id)).toEqual(['B3', 'P1', 'P2', 'B1', 'B2'])
  })

  it('by the weighted rule, takes the longest wait × weight among the heads', () => {
    const counter = { rule: 'weighted', services: [{ queue_id: 'pass', weight: 1 }, { queue_id: 'pay', weight: 1 }] }
    // B1 waited 20 min, P1 5: B1; then P1 (5) over B2 (1); then P2 (2) over B2 (1).
    expect(deskOrder(lines, counter, NOW).map((x) => x.id)).toEqual(['B1', 'P1', 'P2', 'B2'])
    const heavy = { rule: 'weighted', services: [{ queue_id: 'pass', weight: 5 }, { queue_id: 'pay', weight: 1 }] }
    // P1: 5 × 5 = 25 > B1's 20; then B1's 20 > P2's 2 × 5 = 10; then P2 over B2.
    expect(deskOrder(lines, heavy, NOW).map((x) => x.id)).toEqual(['P1', 'B1', 'P2', 'B2'])
  })

  it('leaves out services the counter does not serve', () => {
    const counter = { rule: 'order', services: [{ queue_id: 'pay' }] }
    expect(deskOrder(lines, counter, NOW).map((x) => x.id)).toEqual(['B1', 'B2'])
  })
})

describe('the desk’s other pieces', () => {
  it('lists the called and served tickets of its services once, in the service they are in now', () => {
    const moved = row('P4', 'pay', { status: 'CALLED', position_number: 4 })
    const feeds = {
      pass: { state: { tickets: [row('P1', 'pass', { status: 'SERVING', position_number: 1 }), moved, row('P2', 'pass')] } },
      pay: { state: { tickets: [moved, row('B1', 'pay', { status: 'COMPLETED' })] } },
    }
    expect(deskActive(feeds, ['pass', 'pay']).map((x) => x.id)).toEqual(['P1', 'P4'])
  })

  it('knows the counter’s own tickets by id, or by name from an older box', () => {
    const counter = { id: 'c-2', name: '2' }
    expect(heldBy(row('A', 'pass', { status: 'CALLED', counter_id: 'c-2', counter: '2' }), counter)).toBe(true)
    expect(heldBy(row('B', 'pass', { status: 'CALLED', counter_id: 'c-9', counter: '2' }), counter)).toBe(false)
    expect(heldBy(row('C', 'pass', { status: 'SERVING', counter: '2' }), counter)).toBe(true)
    expect(heldBy(row('D', 'pass', { status: 'WAITING', counter: '2' }), counter)).toBe(false)
  })

  it('says why the box called a ticket in plain words, and nothing for a reason it does not know', () => {
    expect(reasonText('priority')).toBe('Priority')
    expect(reasonText('weighted')).toBe('Waited longest')
    expect(reasonText('overdue')).toBe('Waited past the time limit')
    expect(reasonText('something_new')).toBeNull()
    expect(reasonText(undefined)).toBeNull()
  })

  it('is live only when every service’s channel is', () => {
    expect(worstConnection(['open', 'open'])).toBe('open')
    expect(worstConnection(['open', 'reconnecting'])).toBe('reconnecting')
    expect(worstConnection(['open', undefined])).toBe('connecting')
    expect(worstConnection(['connecting', 'offline'])).toBe('offline')
  })
})
