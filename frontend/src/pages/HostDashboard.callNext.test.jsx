// Issue 14: the dashboard's call button says what a press does to the counter's current ticket,
// follows the live state, and the notice says what the call ended (the answer's `ended`).
import { act, render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeWebSocket, live } from '../test/fakeWebSocket.js'
import { queue, routeFetch, ticket } from '../test/fixtures.js'
import HostDashboard from './HostDashboard.jsx'

const TOKEN = 'host-token-0123456789abcdef'
const TRUSTED = { trusted: true, source: 'system', reason: null }

const row = (n, status, counter, extra = {}) =>
  ticket({ id: `t-${n}`, position_number: n, display_number: `A${n}`, status, counter, people_ahead: 0, eta_seconds: status === 'WAITING' ? 60 : 0, ...extra })

const day = () => [row(1, 'COMPLETED', '1'), row(3, 'SERVING', '1'), row(4, 'CALLED', '2'), row(7, 'WAITING', null), row(8, 'WAITING', null)]

function renderHost(routes) {
  window.history.replaceState(null, '', '/host/q-1')
  localStorage.setItem('qode.host.q-1.token', TOKEN)
  vi.stubGlobal('fetch', vi.fn(routeFetch({
    'GET /api/queues/q-1/tickets': () => new Promise(() => {}),
    'GET /healthz': () => ({ body: { status: 'ok', version: '0.1.0', db: 'ok', clock: TRUSTED } }),
    ...routes,
  })))
  return render(<HostDashboard queueId="q-1" />)
}

const callButton = () => screen.getByRole('button', { name: /call next$/i })
const SLOW = 30_000 // typing a counter name key by key, on a busy machine

beforeEach(() => {
  FakeWebSocket.reset()
  vi.stubGlobal('WebSocket', FakeWebSocket)
  localStorage.clear()
})
afterEach(() => {
  vi.unstubAllGlobals()
  window.history.replaceState(null, '', '/')
})

describe('HostDashboard: one active ticket per counter', () => {
  it('names what the call does to the counter’s ticket, for the counter chosen', async () => {
    renderHost({})
    live({ type: 'snapshot', seq: 10, state: queue({ waiting_count: 2 }), tickets: day(), clock: TRUSTED })
    expect(callButton()).toHaveAccessibleName('Complete A3 & call next') // counter 1 serves A3
    expect(callButton()).toHaveAttribute('aria-keyshortcuts', 'N')
    const input = screen.getByLabelText('Your counter')
    await userEvent.clear(input)
    await userEvent.type(input, '2')
    expect(callButton()).toHaveAccessibleName('No-show A4 & call next') // counter 2 has called A4
    await userEvent.clear(input)
    await userEvent.type(input, 'Desk B')
    expect(callButton()).toHaveAccessibleName('Call next') // a free counter
    // Live: A4 is served meanwhile at counter 2 (from another tablet): the words follow.
    await userEvent.clear(input)
    await userEvent.type(input, '2')
    const served = day().map((x) => (x.id === 't-4' ? { ...x, status: 'SERVING' } : x))
    live({ type: 'update', seq: 11, events: [], state: queue({ waiting_count: 2 }), tickets: served, clock: TRUSTED })
    expect(callButton()).toHaveAccessibleName('Complete A4 & call next')
    // Nobody waiting: a press ends nothing, so the button says only "Call next".
    const empty = served.map((x) => (x.status === 'WAITING' ? { ...x, status: 'CANCELLED' } : x))
    live({ type: 'update', seq: 12, events: [], state: queue({ waiting_count: 0 }), tickets: empty, clock: TRUSTED })
    expect(callButton()).toHaveAccessibleName('Call next')
  }, SLOW)

  it('says after the call what it ended, and then what the next press would end', async () => {
    const callNext = vi.fn(() => ({
      body: { ...row(7, 'CALLED', '2'), ended: [{ id: 't-4', position_number: 4, display_number: 'A4', status: 'NO_SHOW' }] },
    }))
    renderHost({ 'POST /api/queues/q-1/call-next': callNext })
    live({ type: 'snapshot', seq: 10, state: queue({ waiting_count: 2 }), tickets: day(), clock: TRUSTED })
    const input = screen.getByLabelText('Your counter')
    await userEvent.clear(input)
    await userEvent.type(input, '2')
    await userEvent.click(callButton())
    const notice = await screen.findByText('Called A7 to counter 2. A4 was marked as a no-show.')
    expect(notice.closest('[role="status"]')).toHaveAttribute('aria-live', 'polite') // announced
    const after = day().map((x) => {
      if (x.id === 't-4') return { ...x, status: 'NO_SHOW' }
      if (x.id === 't-7') return { ...x, status: 'CALLED', counter: '2' }
      return x
    })
    act(() => live({ type: 'update', seq: 13, events: [], state: queue({ waiting_count: 1 }), tickets: after, clock: TRUSTED }))
    expect(callButton()).toHaveAccessibleName('No-show A7 & call next')
  }, SLOW)

  it('says what serving ended when the counter still held another guest', async () => {
    const serve = vi.fn(() => ({
      body: { ...row(4, 'SERVING', '2'), ended: [{ id: 't-9', position_number: 9, display_number: 'A9', status: 'COMPLETED' }] },
    }))
    renderHost({ 'POST /api/tickets/t-4/serve': serve })
    live({ type: 'snapshot', seq: 10, state: queue({ waiting_count: 2 }), tickets: day(), clock: TRUSTED })
    await userEvent.click(screen.getByRole('button', { name: 'Serve: A4' }))
    expect(await screen.findByText('A4 is being served. A9 is done.')).toBeInTheDocument()
  })
})
