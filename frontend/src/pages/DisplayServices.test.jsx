import { act, render, screen, waitFor, within } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import App from '../App.jsx'
import { serviceTiles, servicesParam } from '../components/screens/calls.js'
import { FakeWebSocket } from '../test/fakeWebSocket.js'
import { queue, routeFetch } from '../test/fixtures.js'
import DisplayServices from './DisplayServices.jsx'

const PASSPORTS = { id: 'q-p', name: 'Passports', prefix: 'P' }
const PAYMENTS = { id: 'q-m', name: 'Payments', prefix: 'M' }
const listed = (s) => ({ ...s, active: true, is_paused: false, waiting_count: 0, eta_seconds: 0, sort_order: 0, priority_on_join: false })

const state = (s, calls, overrides = {}) => queue({ id: s.id, name: s.name, prefix: s.prefix, calls, ...overrides })
const active = (seq, number, counter, s, extra = {}) => ({ seq, number, counter, service: { id: s.id, name: s.name, prefix: s.prefix }, ...extra })

function renderTv(search, routes = {}) {
  const fetchMock = vi.fn(routeFetch({
    'GET /api/services': () => ({ body: { services: [listed(PASSPORTS), listed(PAYMENTS)] } }),
    'GET /api/queues/q-p': () => new Promise(() => {}),
    'GET /api/queues/q-m': () => new Promise(() => {}),
    ...routes,
  }))
  vi.stubGlobal('fetch', fetchMock)
  const chime = vi.fn()
  // voice off: these tests are about the chime and the tiles (the voice: announcer.test.js)
  const view = render(<DisplayServices search={`${search ?? ''}&voice=off`} chime={chime} reload={vi.fn()} />)
  return { ...view, chime, fetchMock }
}

const socketFor = (id) => FakeWebSocket.instances.find((ws) => new URL(ws.url).pathname === `/ws/queues/${id}`)

function snapshot(id, st, seq) {
  const ws = socketFor(id)
  act(() => {
    if (ws.readyState !== FakeWebSocket.OPEN) ws.open()
    ws.receive({ type: 'snapshot', seq, state: st, recent: [] })
  })
}

/** The tiles as [number, label, newest] in screen order; the label as read: "Counter 2 · Passports". */
const tiles = () =>
  within(screen.getByRole('region', { name: 'Now serving' }))
    .queryAllByRole('listitem')
    .map((li) => [li.querySelector('.tv-number').textContent, (li.querySelector('.tv-counter')?.textContent ?? '') + li.querySelector('.tv-service').textContent, li.dataset.newest === 'true'])

beforeEach(() => {
  FakeWebSocket.reset()
  vi.stubGlobal('WebSocket', FakeWebSocket)
})
afterEach(() => {
  vi.unstubAllGlobals()
  window.history.replaceState(null, '', '/')
})

describe('DisplayServices (/display?services=…)', () => {
  it('?services=all: one public socket per service, the calls merged, each with its counter and service', async () => {
    renderTv('?services=all')
    await waitFor(() => expect(FakeWebSocket.instances.map((ws) => new URL(ws.url).pathname).sort()).toEqual(['/ws/queues/q-m', '/ws/queues/q-p']))
    snapshot('q-p', state(PASSPORTS, [active(11, 'P001', '2', PASSPORTS)], { waiting_count: 2 }), 11)
    snapshot('q-m', state(PAYMENTS, [active(14, 'M004', '1', PAYMENTS)], { waiting_count: 3 }), 14)

    expect(tiles()).toEqual([
      ['M004', 'Counter 1 · Payments', true],
      ['P001', 'Counter 2 · Passports', false],
    ])
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Passports · Payments')
    expect(within(screen.getByRole('region', { name: 'Waiting' })).getByText('5')).toBeInTheDocument()
    expect(document.querySelector('[aria-live="polite"]')).toHaveTextContent('Now serving M004 at counter 1, Payments.')
    // The TV of several services shows no one service's join QR.
    expect(screen.queryByRole('img', { name: 'QR code to join the line' })).not.toBeInTheDocument()
  })

  it('chimes on a call in any service and moves the highlight there; a transferred ticket keeps its number', async () => {
    const { chime } = renderTv('?services=q-p,q-m')
    expect(FakeWebSocket.instances).toHaveLength(2) // the ids are in the address: no list asked for
    snapshot('q-p', state(PASSPORTS, [active(11, 'P001', '2', PASSPORTS)]), 11)
    snapshot('q-m', state(PAYMENTS, []), 11)
    expect(tiles()).toEqual([['P001', 'Counter 2 · Passports', true]])
    expect(chime).not.toHaveBeenCalled()

    // Reception sent R007 on to Payments; counter 3 calls it there: its number is the one it had.
    act(() => {
      socketFor('q-m').receive({
        type: 'update', seq: 20,
        state: state(PAYMENTS, [active(20, 'R007', '3', PAYMENTS)]),
        events: [{ seq: 20, type: 'call', number: 'R007', counter: '3' }],
      })
    })
    expect(tiles()).toEqual([
      ['P001', 'Counter 2 · Passports', false],
      ['R007', 'Counter 3 · Payments', true],
    ])
    expect(chime).toHaveBeenCalledTimes(1)
  })

  it('shows a paused service by name, and leaves out a service that does not exist', async () => {
    renderTv('?services=q-p,q-x', { 'GET /api/queues/q-x': () => ({ status: 404, body: { error: { code: 'not_found', message: 'No.' } } }) })
    snapshot('q-p', state(PASSPORTS, [], { is_paused: true }), 3)
    act(() => socketFor('q-x').drop(4404))
    await waitFor(() => expect(screen.getByText('Passports: Paused')).toBeInTheDocument())
    expect(screen.getByText('Nobody has been called yet')).toBeInTheDocument()
  })

  it('says the line does not exist when none of its services does', async () => {
    renderTv('?services=q-x')
    act(() => socketFor('q-x').drop(4404))
    expect(await screen.findByRole('heading', { name: 'This line does not exist' })).toBeInTheDocument()
  })

  it('is what /display without an id shows, and /display/{id} stays the one-service TV', async () => {
    vi.stubGlobal('fetch', vi.fn(routeFetch({ 'GET /api/services': () => ({ body: { services: [listed(PASSPORTS)] } }) })))
    window.history.replaceState(null, '', '/display?services=all')
    render(<App />)
    await waitFor(() => expect(socketFor('q-p')).toBeTruthy())
  })
})

describe('serviceTiles', () => {
  it('keeps one tile per counter of a service, the newest call of each, merged by seq across services', () => {
    const { tiles: got, newest } = serviceTiles([
      { id: 'q-p', state: { name: 'Passports', calls: [active(3, 'P001', '1', PASSPORTS), active(8, 'P002', '1', PASSPORTS)] } },
      // Counter "1" of Payments is another desk than Passports' counter "1".
      { id: 'q-m', state: { name: 'Payments', calls: [active(5, 'M001', '1', PAYMENTS)] } },
    ])
    expect(got.map((t) => [t.number, t.counter, t.service.name])).toEqual([['P002', '1', 'Passports'], ['M001', '1', 'Payments']])
    expect(newest.number).toBe('P002')
  })

  it('makes one tile of a counter shared by two services (same counter_id): its newest call', () => {
    const { tiles: got } = serviceTiles([
      { id: 'q-p', state: { name: 'Passports', calls: [active(3, 'P001', '2', PASSPORTS, { counter_id: 'c-2' })] } },
      { id: 'q-m', state: { name: 'Payments', calls: [active(6, 'M001', '2', PAYMENTS, { counter_id: 'c-2' })] } },
    ])
    expect(got.map((t) => t.number)).toEqual(['M001'])
  })

  it('names the feed’s service when a call from an older box has none', () => {
    const { tiles: got } = serviceTiles([{ id: 'q-p', state: { name: 'Passports', calls: [{ seq: 1, number: 'P001', counter: '1' }] } }])
    expect(got[0].service).toEqual({ id: 'q-p', name: 'Passports' })
  })
})

describe('servicesParam', () => {
  it('reads all, a list of ids (trimmed, no repeats), or nothing', () => {
    expect(servicesParam('?services=all')).toBe('all')
    expect(servicesParam('?services=a,%20b,,a')).toEqual(['a', 'b'])
    expect(servicesParam('')).toBeNull()
    expect(servicesParam('?services=')).toBeNull()
  })
})
