// Issue 16, grace: a recent no-show shows a "Back" button; one tap puts the guest back in line
// and the notice says where; a refusal is said in the host's words; a passed window hides it.
import { act, render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeWebSocket, live } from '../test/fakeWebSocket.js'
import { queue, routeFetch, ticket } from '../test/fixtures.js'
import HostDashboard from './HostDashboard.jsx'

const TOKEN = 'host-token-0123456789abcdef'
const TRUSTED = { trusted: true, source: 'system', reason: null }
const minutes = (n) => new Date(Date.now() + n * 60_000).toISOString()

const missed = (n, extra = {}) => ticket({
  id: `t-${n}`, position_number: n, display_number: `A${n}`, status: 'NO_SHOW', counter: '1', people_ahead: 0,
  eta_seconds: null, completed_at: minutes(-2.5), return_until: minutes(7.5), returned_at: null, ...extra,
})

function renderHost(routes) {
  window.history.replaceState(null, '', '/host/q-1')
  localStorage.setItem('qode.host.q-1.token', TOKEN)
  const fetchMock = vi.fn(routeFetch({
    'GET /api/queues/q-1/tickets': () => new Promise(() => {}),
    'GET /healthz': () => ({ body: { status: 'ok', version: '0.1.0', db: 'ok', clock: TRUSTED } }),
    ...routes,
  }))
  vi.stubGlobal('fetch', fetchMock)
  render(<HostDashboard queueId="q-1" />)
  return fetchMock
}

beforeEach(() => {
  FakeWebSocket.reset()
  vi.stubGlobal('WebSocket', FakeWebSocket)
  localStorage.clear()
})
afterEach(() => {
  vi.unstubAllGlobals()
  window.history.replaceState(null, '', '/')
})

describe('HostDashboard: no-shows back within the window', () => {
  it('lists only no-shows that may still come back, and puts one back in one tap', async () => {
    const back = vi.fn(() => ({ body: { ...missed(5), status: 'WAITING', people_ahead: 0, returned_at: minutes(0), return_until: null } }))
    renderHost({ 'POST /api/tickets/t-5/return': back })
    live({
      type: 'snapshot', seq: 10, state: queue({ waiting_count: 1 }), clock: TRUSTED, tickets: [
        missed(5),
        missed(6, { return_until: minutes(-1) }), // the window has passed
        missed(7, { returned_at: minutes(-1) }), // came back once already
        ticket({ id: 't-8', position_number: 8, display_number: 'A8', status: 'WAITING' }),
      ],
    })
    const list = screen.getByRole('region', { name: 'Missed: may come back' })
    expect(within(list).getAllByRole('listitem')).toHaveLength(1)
    expect(within(list).getByRole('listitem')).toHaveTextContent('A5missed 2 min ago · 8 min left to come back')
    await userEvent.click(within(list).getByRole('button', { name: 'Back: A5' }))
    expect(back).toHaveBeenCalledTimes(1)
    expect(await screen.findByText('A5 is back in line and will be called next.')).toBeInTheDocument()
  })

  it('says how many are ahead when the box puts it at the end', async () => {
    renderHost({ 'POST /api/tickets/t-5/return': () => ({ body: { ...missed(5), status: 'WAITING', people_ahead: 3, return_until: null } }) })
    live({ type: 'snapshot', seq: 10, state: queue(), clock: TRUSTED, tickets: [missed(5)] })
    await userEvent.click(screen.getByRole('button', { name: 'Back: A5' }))
    expect(await screen.findByText('A5 is back in line, 3 people ahead.')).toBeInTheDocument()
  })

  it('says a refusal in words', async () => {
    renderHost({
      'POST /api/tickets/t-5/return': () => ({ status: 409, body: { error: { code: 'window_passed', message: 'Ticket A5 was missed 11 minutes ago.' } } }),
      'GET /api/queues/q-1/tickets': () => ({ body: { tickets: [missed(5)] } }),
      'GET /api/queues/q-1': () => ({ body: queue() }),
    })
    live({ type: 'snapshot', seq: 10, state: queue(), clock: TRUSTED, tickets: [missed(5)] })
    await userEvent.click(screen.getByRole('button', { name: 'Back: A5' }))
    expect(await screen.findByText('Too late: this guest was missed too long ago. They can take a new ticket.')).toBeInTheDocument()
  })

  it('shows nothing when no no-show may come back', () => {
    renderHost({})
    act(() => live({ type: 'snapshot', seq: 10, state: queue(), clock: TRUSTED, tickets: [missed(5, { return_until: null })] }))
    expect(screen.queryByRole('region', { name: 'Missed: may come back' })).toBeNull()
  })
})
