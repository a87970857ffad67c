import { act, render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { computeStats } from '../components/host/stats.js'
import { FakeWebSocket, live } from '../test/fakeWebSocket.js'
import { queue, routeFetch, ticket } from '../test/fixtures.js'
import { setLanguage } from '../lib/strings.js'
import HostDashboard from './HostDashboard.jsx'

const TOKEN = 'host-token-0123456789abcdef'
// The call button: "Call next", or what it first does with the counter's ticket ("Complete A5 & call next").
const CALL_NEXT = /call next$/i
const TRUSTED = { trusted: true, source: 'system', reason: null }
const UNTRUSTED = { trusted: false, source: 'system', reason: "the box's clock says 1970; it has not been set" }

// One service day: waits (called_at − created_at) of 4, 10, 36, 8 and 4 minutes.
const day = () => [
  ticket({ id: 't-1', position_number: 1, display_number: 'A1', status: 'COMPLETED', counter: '1', people_ahead: 0, eta_seconds: null,
    created_at: '2026-11-26T09:00:00.000Z', called_at: '2026-11-26T09:04:00.000Z', completed_at: '2026-11-26T09:09:00.000Z' }),
  ticket({ id: 't-2', position_number: 2, display_number: 'A2', status: 'NO_SHOW', counter: '1', people_ahead: 0, eta_seconds: null,
    created_at: '2026-11-26T09:10:00.000Z', called_at: '2026-11-26T09:20:00.000Z', completed_at: '2026-11-26T09:25:00.000Z' }),
  ticket({ id: 't-3', position_number: 3, display_number: 'A3', status: 'COMPLETED', counter: '2', people_ahead: 0, eta_seconds: null,
    created_at: '2026-11-26T09:30:00.000Z', called_at: '2026-11-26T10:06:00.000Z', completed_at: '2026-11-26T10:10:00.000Z' }),
  ticket({ id: 't-4', position_number: 4, display_number: 'A4', status: 'CALLED', counter: '2', people_ahead: 0, eta_seconds: 0,
    created_at: '2026-11-26T10:00:00.000Z', called_at: '2026-11-26T10:08:00.000Z' }),
  ticket({ id: 't-5', position_number: 5, display_number: 'A5', status: 'SERVING', counter: '1', people_ahead: 0, eta_seconds: 0,
    created_at: '2026-11-26T10:01:00.000Z', called_at: '2026-11-26T10:05:00.000Z', serving_at: '2026-11-26T10:06:00.000Z' }),
  ticket({ id: 't-6', position_number: 6, display_number: 'A6', status: 'CANCELLED', people_ahead: 0, eta_seconds: null,
    created_at: '2026-11-26T10:02:00.000Z', reason: 'cancelled_by_guest' }),
  ticket({ id: 't-7', position_number: 7, display_number: 'A7', status: 'WAITING', people_ahead: 0, eta_seconds: 30,
    created_at: '2026-11-26T10:03:00.000Z' }),
  ticket({ id: 't-8', position_number: 8, display_number: 'A8', status: 'WAITING', people_ahead: 1, eta_seconds: 700,
    created_at: '2026-11-26T10:04:00.000Z' }),
]

const snapshot = (overrides = {}) => ({
  type: 'snapshot',
  seq: 10,
  state: queue({ waiting_count: 2 }),
  tickets: day(),
  clock: TRUSTED,
  ...overrides,
})

let fetchMock

function defaultRoutes() {
  return {
    'GET /api/queues/q-1/tickets': () => ({ body: { tickets: day() } }),
    'GET /api/queues/q-1': () => ({ body: queue({ waiting_count: 2 }) }),
    'GET /healthz': () => ({ body: { status: 'ok', version: '0.1.0', db: 'ok', clock: TRUSTED } }),
  }
}

function renderHost({ routes = {}, hash = '', stored = TOKEN } = {}) {
  window.history.replaceState(null, '', `/host/q-1${hash}`)
  if (stored) localStorage.setItem('qode.host.q-1.token', stored)
  fetchMock = vi.fn(routeFetch({ ...defaultRoutes(), ...routes }))
  vi.stubGlobal('fetch', fetchMock)
  return render(<HostDashboard queueId="q-1" />)
}


/** The calls fetch got for "METHOD /path", with parsed bodies. */
function calls(method, path) {
  return fetchMock.mock.calls
    .filter(([url, init = {}]) => (init.method ?? 'GET') === method && new URL(url, 'http://localhost').pathname === path)
    .map(([, init]) => ({ headers: init.headers, body: init.body ? JSON.parse(init.body) : undefined }))
}

const pending = () => new Promise(() => {})

beforeEach(() => {
  FakeWebSocket.reset()
  vi.stubGlobal('WebSocket', FakeWebSocket)
})
afterEach(() => {
  vi.unstubAllGlobals()
  window.history.replaceState(null, '', '/')
})

describe('HostDashboard', () => {
  it('authenticates with its first message and renders the called and waiting lists from the snapshot', async () => {
    renderHost({ routes: { 'GET /api/queues/q-1/tickets': pending } })
    const ws = FakeWebSocket.last()
    expect(new URL(ws.url).pathname).toBe('/ws/host/q-1')
    expect(ws.url).not.toContain(TOKEN)
    live(snapshot())
    expect(ws.sent[0]).toEqual({ type: 'auth', token: TOKEN })

    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Front desk')
    expect(screen.getByText('Live')).toBeInTheDocument()
    const active = screen.getByRole('region', { name: 'Called and being served' })
    expect(within(active).getByText('A4')).toBeInTheDocument()
    expect(within(active).getByText('A5')).toBeInTheDocument()
    expect(within(active).queryByText('A1')).not.toBeInTheDocument()
    expect(within(screen.getByTestId('active-A4')).getByText('Called')).toBeInTheDocument()
    expect(within(screen.getByTestId('active-A5')).getByText('Being served')).toBeInTheDocument()
    // Only "Done" for a ticket being served; the full set for a called one.
    expect(within(screen.getByTestId('active-A5')).getAllByRole('button')).toHaveLength(1)
    expect(within(screen.getByTestId('active-A4')).getByRole('button', { name: 'Serve: A4' })).toBeInTheDocument()
    expect(within(screen.getByTestId('active-A4')).getByRole('button', { name: 'No-show: A4' })).toBeInTheDocument()
    expect(within(screen.getByTestId('active-A4')).getByRole('button', { name: 'Call again: A4' })).toBeInTheDocument()
    expect(within(screen.getByTestId('active-A4')).getByRole('button', { name: 'Back in line: A4' })).toBeInTheDocument()

    const waiting = screen.getByRole('region', { name: /^Waiting/ })
    const rows = within(waiting).getAllByRole('listitem')
    expect(rows.map((row) => row.dataset.testid)).toEqual(['waiting-A7', 'waiting-A8'])
    // ETAs from the place in line (host rows carry none): 1/3 and 2/3 of a joiner's 840 s.
    expect(within(screen.getByTestId('waiting-A7')).getByText('about 5 min')).toBeInTheDocument()
    expect(within(screen.getByTestId('waiting-A8')).getByText('about 10 min')).toBeInTheDocument()
    expect(within(screen.getByTestId('waiting-A8')).getByText(/^(\d+ min|\d+ h \d\d min|< 1 min)$/)).toBeInTheDocument()
    // One line per guest: the source is said, and the row's buttons are in the same line.
    expect(within(screen.getByTestId('waiting-A8')).getByText(/^(Phone|Kiosk|Desk)$/)).toBeInTheDocument()
    expect(screen.getByText('2 people waiting')).toBeInTheDocument()

    // An update replaces the lists: A7 called to counter 1.
    const next = day().map((x) => (x.id === 't-7' ? { ...x, status: 'CALLED', counter: '1', called_at: '2026-11-26T10:20:00.000Z', eta_seconds: 0 } : x))
    live({ type: 'update', seq: 11, events: [], state: queue({ waiting_count: 1 }), tickets: next, clock: TRUSTED })
    expect(within(active).getByText('A7')).toBeInTheDocument()
    expect(within(waiting).queryByText('A7')).not.toBeInTheDocument()
    expect(screen.getByText('1 person waiting')).toBeInTheDocument()
  })

  it('falls back to REST while the socket is down, and says so', async () => {
    renderHost()
    expect(await screen.findByText('A8')).toBeInTheDocument()
    expect(screen.getAllByText('Connecting…').length).toBeGreaterThan(0)
    expect(calls('GET', '/api/queues/q-1/tickets')[0].headers.Authorization).toBe(`Bearer ${TOKEN}`)
    act(() => FakeWebSocket.last().drop())
    expect(screen.getAllByText('Reconnecting…').length).toBeGreaterThan(0)
    expect(screen.getByText('A8')).toBeInTheDocument()
  })

  it('calls the next guest to the chosen counter, by button and by the N key', async () => {
    const callNext = vi.fn((init) => ({ body: ticket({ id: 't-7', display_number: 'A7', status: 'CALLED', counter: JSON.parse(init.body).counter }) }))
    renderHost({ routes: { 'POST /api/queues/q-1/call-next': callNext } })
    live(snapshot())
    const input = screen.getByLabelText('Your counter')
    expect(input).toHaveValue('1')
    await userEvent.clear(input)
    await userEvent.type(input, '3')
    // Typing "n" in a field is typing, not a shortcut.
    await userEvent.type(input, 'n')
    expect(callNext).not.toHaveBeenCalled()
    await userEvent.type(input, '{Backspace}')
    expect(localStorage.getItem('qode.host.q-1.counter')).toBe('3')

    const button = screen.getByRole('button', { name: CALL_NEXT })
    expect(button).toHaveAttribute('aria-keyshortcuts', 'N')
    expect(within(button).getByText('N')).toBeInTheDocument()
    await userEvent.click(button)
    expect(await screen.findByText('Called A7 to counter 3.')).toBeInTheDocument()
    const [first] = calls('POST', '/api/queues/q-1/call-next')
    expect(first.body).toEqual({ counter: '3' })
    expect(first.headers.Authorization).toBe(`Bearer ${TOKEN}`)
    expect(first.headers['Idempotency-Key']).toBeTruthy()

    act(() => document.activeElement.blur())
    await userEvent.keyboard('n')
    await waitFor(() => expect(callNext).toHaveBeenCalledTimes(2))
    const second = calls('POST', '/api/queues/q-1/call-next')[1]
    expect(second.body).toEqual({ counter: '3' })
    expect(second.headers['Idempotency-Key']).not.toBe(first.headers['Idempotency-Key'])
  })

  it('retries a call whose answer was lost with the same Idempotency-Key', async () => {
    let fail = true
    const callNext = vi.fn(() => {
      if (fail) throw new TypeError('Failed to fetch')
      return { body: ticket({ id: 't-7', display_number: 'A7', status: 'CALLED', counter: '1' }) }
    })
    renderHost({ routes: { 'POST /api/queues/q-1/call-next': callNext } })
    live(snapshot())
    await userEvent.click(screen.getByRole('button', { name: CALL_NEXT }))
    expect(await screen.findByText('No connection to the box. Check the Wi-Fi and try again.')).toBeInTheDocument()
    fail = false
    await userEvent.click(screen.getByRole('button', { name: CALL_NEXT }))
    expect(await screen.findByText('Called A7 to counter 1.')).toBeInTheDocument()
    const [first, second] = calls('POST', '/api/queues/q-1/call-next')
    expect(second.headers['Idempotency-Key']).toBe(first.headers['Idempotency-Key'])
  })

  it('calls somebody new once the lost call has shown up live', async () => {
    let fail = true
    const callNext = vi.fn(() => {
      if (fail) throw new TypeError('Failed to fetch')
      return { body: ticket({ id: 't-8', display_number: 'A8', status: 'CALLED', counter: '1' }) }
    })
    renderHost({ routes: { 'POST /api/queues/q-1/call-next': callNext } })
    live(snapshot())
    await userEvent.click(screen.getByRole('button', { name: CALL_NEXT }))
    expect(await screen.findByText('No connection to the box. Check the Wi-Fi and try again.')).toBeInTheDocument()
    // The call did arrive: the host sees A7 called, then asks for the next guest.
    const next = day().map((x) => (x.id === 't-7' ? { ...x, status: 'CALLED', counter: '1', eta_seconds: 0 } : x))
    live({ type: 'update', seq: 11, events: [], state: queue({ waiting_count: 1 }), tickets: next, clock: TRUSTED })
    fail = false
    await userEvent.click(screen.getByRole('button', { name: CALL_NEXT }))
    expect(await screen.findByText('Called A8 to counter 1.')).toBeInTheDocument()
    const [first, second] = calls('POST', '/api/queues/q-1/call-next')
    expect(second.headers['Idempotency-Key']).not.toBe(first.headers['Idempotency-Key'])
  })

  it('uses a fresh key after a REST refresh following the lost call', async () => {
    vi.useFakeTimers()
    try {
      const callNext = vi.fn(() => {
        throw new TypeError('Failed to fetch')
      })
      renderHost({ routes: { 'POST /api/queues/q-1/call-next': callNext } })
      await act(() => vi.advanceTimersByTimeAsync(0)) // the socket never opens: REST only
      expect(screen.getByText('A8')).toBeInTheDocument()
      act(() => screen.getByRole('button', { name: CALL_NEXT }).click())
      await act(() => vi.advanceTimersByTimeAsync(0))
      expect(callNext).toHaveBeenCalledTimes(1)
      await act(() => vi.advanceTimersByTimeAsync(10_000)) // the fallback refresh
      expect(calls('GET', '/api/queues/q-1/tickets').length).toBeGreaterThan(1)
      act(() => screen.getByRole('button', { name: CALL_NEXT }).click())
      await act(() => vi.advanceTimersByTimeAsync(0))
      const [first, second] = calls('POST', '/api/queues/q-1/call-next')
      expect(second.headers['Idempotency-Key']).not.toBe(first.headers['Idempotency-Key'])
    } finally {
      vi.useRealTimers()
    }
  })

  it('retries a lost call only by the very next press at the same counter', async () => {
    let count = 0
    const callNext = vi.fn((init) => {
      count += 1
      if (count === 1) throw new TypeError('Failed to fetch')
      return { body: ticket({ id: `t-${count}`, display_number: `A${count}`, status: 'CALLED', counter: JSON.parse(init.body).counter }) }
    })
    const serve = vi.fn(() => ({ body: ticket({ id: 't-4', display_number: 'A4', status: 'SERVING', counter: '2' }) }))
    renderHost({ routes: { 'POST /api/queues/q-1/call-next': callNext, 'POST /api/tickets/t-4/serve': serve } })
    live(snapshot())
    const input = screen.getByLabelText('Your counter')

    await userEvent.click(screen.getByRole('button', { name: CALL_NEXT }))
    expect(await screen.findByText('No connection to the box. Check the Wi-Fi and try again.')).toBeInTheDocument()
    // Another counter is another request: a key of its own.
    await userEvent.clear(input)
    await userEvent.type(input, '2')
    await userEvent.click(screen.getByRole('button', { name: CALL_NEXT }))
    expect(await screen.findByText('Called A2 to counter 2.')).toBeInTheDocument()
    // Back at counter 1, the old key does not come back to replay the lost call.
    await userEvent.clear(input)
    await userEvent.type(input, '1')
    await userEvent.click(screen.getByRole('button', { name: CALL_NEXT }))
    expect(await screen.findByText('Called A3 to counter 1.')).toBeInTheDocument()

    const keys = calls('POST', '/api/queues/q-1/call-next').map((c) => c.headers['Idempotency-Key'])
    expect(calls('POST', '/api/queues/q-1/call-next').map((c) => c.body.counter)).toEqual(['1', '2', '1'])
    expect(new Set(keys).size).toBe(3)

    // Any other press in between ends the retry too.
    count = 0
    await userEvent.click(screen.getByRole('button', { name: CALL_NEXT }))
    expect(await screen.findByText('No connection to the box. Check the Wi-Fi and try again.')).toBeInTheDocument()
    await userEvent.click(screen.getByRole('button', { name: 'Serve: A4' }))
    expect(await screen.findByText('A4 is being served.')).toBeInTheDocument()
    await userEvent.click(screen.getByRole('button', { name: CALL_NEXT }))
    expect(await screen.findByText('Called A2 to counter 1.')).toBeInTheDocument()
    const [lost, after] = calls('POST', '/api/queues/q-1/call-next').slice(3).map((c) => c.headers['Idempotency-Key'])
    expect(after).not.toBe(lost)
  })

  it('picks a counter from the queue and remembers it', async () => {
    renderHost()
    live(snapshot({ state: queue({ counters: [{ name: '1', is_open: true, back_in_seconds: null }, { name: 'Desk B', is_open: false, back_in_seconds: null }] }) }))
    await userEvent.click(screen.getByRole('button', { name: /Desk B/ }))
    expect(screen.getByLabelText('Your counter')).toHaveValue('Desk B')
    expect(localStorage.getItem('qode.host.q-1.counter')).toBe('Desk B')
    expect(screen.getByText('Counter Desk B is closed: open it below before calling guests.')).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Open counter Desk B' })).toBeInTheDocument()
  })

  it('refuses an empty counter', async () => {
    renderHost()
    live(snapshot())
    await userEvent.clear(screen.getByLabelText('Your counter'))
    expect(screen.getByText('Enter a counter name of 1 to 32 characters.')).toBeInTheDocument()
    expect(screen.getByRole('button', { name: CALL_NEXT })).toBeDisabled()
  })

  it('says kindly that nobody is waiting (409)', async () => {
    renderHost({
      routes: {
        'POST /api/queues/q-1/call-next': () => ({ status: 409, body: { error: { code: 'nobody_waiting', message: 'Nobody is waiting.' } } }),
      },
    })
    live(snapshot())
    await userEvent.click(screen.getByRole('button', { name: CALL_NEXT }))
    expect(await screen.findByText('Nobody is waiting right now. Enjoy the quiet moment!')).toBeInTheDocument()
  })

  it('explains an illegal transition (409) and refreshes the list', async () => {
    const serve = vi.fn(() => ({
      status: 409,
      body: { error: { code: 'illegal_transition', message: 'Ticket 4 is completed; it cannot serve now.' } },
    }))
    renderHost({ routes: { 'POST /api/tickets/t-4/serve': serve } })
    live(snapshot())
    await waitFor(() => expect(calls('GET', '/api/queues/q-1/tickets')).toHaveLength(1))
    await userEvent.click(screen.getByRole('button', { name: 'Serve: A4' }))
    expect(await screen.findByText(/That ticket has already moved on/)).toBeInTheDocument()
    await waitFor(() => expect(calls('GET', '/api/queues/q-1/tickets')).toHaveLength(2))
    expect(serve.mock.calls[0][0].headers.Authorization).toBe(`Bearer ${TOKEN}`)
  })

  it('moves a called ticket: serve, no-show, call again, back in line', async () => {
    const routes = {}
    for (const action of ['serve', 'no-show', 'recall', 'requeue']) {
      routes[`POST /api/tickets/t-4/${action}`] = vi.fn(() => ({ body: ticket({ id: 't-4', display_number: 'A4', status: 'CALLED', counter: '2' }) }))
    }
    renderHost({ routes })
    live(snapshot())
    const card = screen.getByTestId('active-A4')
    await userEvent.click(within(card).getByRole('button', { name: 'Serve: A4' }))
    expect(await screen.findByText('A4 is being served.')).toBeInTheDocument()
    await userEvent.click(within(card).getByRole('button', { name: 'No-show: A4' }))
    expect(await screen.findByText('A4 was marked as a no-show.')).toBeInTheDocument()
    await userEvent.click(within(card).getByRole('button', { name: 'Call again: A4' }))
    expect(await screen.findByText('Called A4 to counter 2.')).toBeInTheDocument()
    await userEvent.click(within(card).getByRole('button', { name: 'Back in line: A4' }))
    expect(await screen.findByText('A4 is back in line.')).toBeInTheDocument()
    for (const action of ['serve', 'no-show', 'requeue']) expect(calls('POST', `/api/tickets/t-4/${action}`)[0].body).toEqual({})
    // Called again: to the counter it was called to (the server keeps it without one).
    expect(calls('POST', '/api/tickets/t-4/recall')[0].body).toEqual({})
  })

  it('cancels a waiting ticket only after confirmation', async () => {
    const cancel = vi.fn(() => ({ body: ticket({ id: 't-8', display_number: 'A8', status: 'CANCELLED' }) }))
    renderHost({ routes: { 'POST /api/tickets/t-8/cancel': cancel } })
    live(snapshot())
    await userEvent.click(screen.getByRole('button', { name: 'Cancel: A8' }))
    expect(screen.getByText('Cancel ticket A8? The guest loses their place.')).toBeInTheDocument()
    await userEvent.click(screen.getByRole('button', { name: 'Keep it' }))
    expect(cancel).not.toHaveBeenCalled()
    await userEvent.click(screen.getByRole('button', { name: 'Cancel: A8' }))
    await userEvent.click(screen.getByRole('button', { name: 'Yes, cancel A8' }))
    expect(await screen.findByText('A8 was cancelled.')).toBeInTheDocument()
    expect(cancel).toHaveBeenCalledTimes(1)
    expect(calls('POST', '/api/tickets/t-8/cancel')[0].headers.Authorization).toBe(`Bearer ${TOKEN}`)
  })

  it('says the host link is not valid when the server answers 401', async () => {
    renderHost({
      stored: 'wrong-token-0000000000',
      routes: {
        'GET /api/queues/q-1/tickets': () => ({ status: 401, body: { error: { code: 'unauthorized', message: 'That token matches nothing.' } } }),
      },
    })
    expect(await screen.findByText('This host link is not valid (any more)')).toBeInTheDocument()
    expect(screen.getByText(/not valid/)).toBeVisible()
    // The live channel is given up too: no retries with a token that cannot work.
    expect(FakeWebSocket.last().closedByClient).toBe(true)
  })

  it('says the host link is not valid when the socket closes with 4403', async () => {
    renderHost({ routes: { 'GET /api/queues/q-1/tickets': pending } })
    act(() => {
      FakeWebSocket.last().open()
      FakeWebSocket.last().drop(4403)
    })
    expect(screen.getByText('This host link is not valid (any more)')).toBeInTheDocument()
  })

  it('moves the token from the fragment to localStorage once accepted, and clears the fragment', async () => {
    const replaceState = vi.spyOn(window.history, 'replaceState')
    renderHost({ hash: '#token=fresh-token-abcdef0123456789', stored: null, routes: { 'GET /api/queues/q-1/tickets': pending } })
    expect(window.location.hash).toBe('')
    expect(window.location.href).not.toContain('fresh-token')
    expect(window.location.pathname).toBe('/host/q-1')
    expect(replaceState).toHaveBeenCalled()
    expect(localStorage.getItem('qode.host.q-1.token')).toBeNull() // not before the box accepts it
    live(snapshot())
    expect(localStorage.getItem('qode.host.q-1.token')).toBe('fresh-token-abcdef0123456789')
    expect(FakeWebSocket.last().sent[0]).toEqual({ type: 'auth', token: 'fresh-token-abcdef0123456789' })
    await waitFor(() => expect(calls('GET', '/api/queues/q-1/tickets').length).toBeGreaterThan(0))
    expect(calls('GET', '/api/queues/q-1/tickets')[0].headers.Authorization).toBe('Bearer fresh-token-abcdef0123456789')
  })

  it('takes a host link opened in the same tab (only the fragment changes)', async () => {
    renderHost({ routes: { 'GET /api/queues/q-1/tickets': pending } })
    live(snapshot())
    const before = FakeWebSocket.instances.length
    window.location.hash = '#token=next-token-abcdef0123456789'
    await waitFor(() => expect(FakeWebSocket.instances.length).toBe(before + 1))
    expect(window.location.hash).toBe('')
    expect(window.location.href).not.toContain('next-token')
    expect(FakeWebSocket.instances[before - 1].closedByClient).toBe(true)
    // Kept aside until the box says yes.
    expect(localStorage.getItem('qode.host.q-1.token')).toBe(TOKEN)
    live(snapshot())
    expect(FakeWebSocket.last().sent[0]).toEqual({ type: 'auth', token: 'next-token-abcdef0123456789' })
    expect(localStorage.getItem('qode.host.q-1.token')).toBe('next-token-abcdef0123456789')
  })

  it('keeps the saved token when an old link is refused', async () => {
    const tickets = vi.fn((init) => {
      if (init.headers.Authorization === `Bearer ${TOKEN}`) return { body: { tickets: day() } }
      if (init.headers.Authorization === 'Bearer old-token-0000000000') {
        return { status: 401, body: { error: { code: 'unauthorized', message: 'That token matches nothing.' } } }
      }
      return pending() // the later link: the socket answers first
    })
    renderHost({ hash: '#token=old-token-0000000000', routes: { 'GET /api/queues/q-1/tickets': tickets } })
    expect(window.location.hash).toBe('')
    expect(await screen.findByText('This host link is not valid (any more)')).toBeInTheDocument()
    expect(localStorage.getItem('qode.host.q-1.token')).toBe(TOKEN)

    // The same refusal from the socket, for a link opened later in this tab.
    window.location.hash = '#token=another-old-token-000000'
    await waitFor(() => expect(screen.queryByText('This host link is not valid (any more)')).not.toBeInTheDocument())
    act(() => {
      FakeWebSocket.last().open()
      FakeWebSocket.last().drop(4401)
    })
    expect(screen.getByText('This host link is not valid (any more)')).toBeInTheDocument()
    expect(FakeWebSocket.last().sent[0]).toEqual({ type: 'auth', token: 'another-old-token-000000' })
    expect(localStorage.getItem('qode.host.q-1.token')).toBe(TOKEN)
  })

  it('says "wait a minute" when the box refuses more attempts from this address (4429)', () => {
    renderHost()
    act(() => {
      FakeWebSocket.last().open()
      FakeWebSocket.last().drop(4429)
    })
    expect(screen.getByText('Too many tries. Please wait a minute and try again.')).toBeInTheDocument()
    expect(screen.queryByText('This host link is not valid (any more)')).not.toBeInTheDocument()
  })

  it('asks for the host link when there is no token', () => {
    renderHost({ stored: null })
    expect(screen.getByText('This page needs the host link')).toBeInTheDocument()
    expect(FakeWebSocket.instances).toHaveLength(0)
    // Only the venue's public look (its name and logo on the page); nothing about the line.
    expect(fetchMock.mock.calls.filter(([url]) => url !== '/api/venue')).toHaveLength(0)
  })

  it('shows a paused line with Resume, and pauses with "back in N min"', async () => {
    const patch = vi.fn((init) => ({ body: queue({ is_paused: JSON.parse(init.body).is_paused }) }))
    renderHost({ routes: { 'PATCH /api/queues/q-1': patch } })
    live(snapshot({ state: queue({ is_paused: true, back_in_seconds: 600 }) }))
    expect(screen.getByTestId('line-status')).toHaveTextContent('Paused')
    expect(screen.getByText(/back in about 10 min/)).toBeInTheDocument()
    await userEvent.click(screen.getByRole('button', { name: 'Resume the line' }))
    expect(calls('PATCH', '/api/queues/q-1')[0].body).toEqual({ is_paused: false })
    // The answer is shown at once.
    expect(await screen.findByRole('button', { name: 'Pause the line' })).toBeInTheDocument()
    expect(screen.getByTestId('line-status')).toHaveTextContent('Open')

    await userEvent.type(screen.getByLabelText('Back in (minutes, optional)'), '15')
    await userEvent.click(screen.getByRole('button', { name: 'Pause the line' }))
    await waitFor(() => expect(calls('PATCH', '/api/queues/q-1')).toHaveLength(2))
    expect(calls('PATCH', '/api/queues/q-1')[1].body).toEqual({ is_paused: true, back_in_minutes: 15 })
  })

  it('opens and closes the line and this counter', async () => {
    const patch = vi.fn((init) => ({ body: queue(JSON.parse(init.body)) }))
    const counters = vi.fn((init) => {
      const body = JSON.parse(init.body)
      return { body: queue({ counters: [{ name: body.counter, is_open: body.open, back_in_seconds: body.back_in_minutes ? body.back_in_minutes * 60 : null }] }) }
    })
    renderHost({ routes: { 'PATCH /api/queues/q-1': patch, 'POST /api/queues/q-1/counters': counters } })
    live(snapshot())
    await userEvent.click(screen.getByRole('button', { name: 'Close the line' }))
    expect(await screen.findByRole('button', { name: 'Open the line' })).toBeInTheDocument()
    expect(screen.getByTestId('line-status')).toHaveTextContent('Closed')
    expect(calls('PATCH', '/api/queues/q-1')[0].body).toEqual({ active: false })

    expect(screen.getByText('Counter 1 is open.')).toBeInTheDocument()
    await userEvent.type(screen.getByLabelText('Back in (minutes, optional)'), '5')
    await userEvent.click(screen.getByRole('button', { name: 'Close counter 1' }))
    expect(await screen.findByText('Counter 1 is closed, back in about 5 min.')).toBeInTheDocument()
    expect(calls('POST', '/api/queues/q-1/counters')[0].body).toEqual({ counter: '1', open: false, back_in_minutes: 5 })
    await userEvent.click(screen.getByRole('button', { name: 'Open counter 1' }))
    await waitFor(() => expect(calls('POST', '/api/queues/q-1/counters')).toHaveLength(2))
    expect(calls('POST', '/api/queues/q-1/counters')[1].body).toEqual({ counter: '1', open: true })
  })

  it('refuses a "back in" that is not 1 to 480 minutes', async () => {
    renderHost()
    live(snapshot())
    await userEvent.type(screen.getByLabelText('Back in (minutes, optional)'), '999')
    expect(screen.getByText('Enter 1 to 480 minutes, or leave it empty.')).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Pause the line' })).toBeDisabled()
  })

  it("computes today's stats from the ticket list", () => {
    const stats = computeStats(day())
    expect(stats.served).toBe(2)
    expect(stats.noShows).toBe(1)
    expect(stats.called).toBe(5)
    expect(stats.averageWait).toBeCloseTo(62 / 5)
    const hourOf = (iso) => new Date(iso).getHours()
    const first = hourOf('2026-11-26T09:04:00.000Z')
    // An hour axis of at least 8 hours from the first ticket: counts called and average waits (s).
    expect(stats.byHour.map((b) => [b.hour, b.count, b.averageWait])).toEqual([
      [first, 2, 420],
      [hourOf('2026-11-26T10:05:00.000Z'), 3, 960],
      ...[2, 3, 4, 5, 6, 7].map((n) => [(first + n) % 24, 0, null]),
    ])
    // Up to the current hour when that is later the same day.
    const late = computeStats(day(), Date.parse('2026-11-26T19:30:00.000Z'))
    expect(late.byHour.at(-1).hour).toBe(hourOf('2026-11-26T19:30:00.000Z'))
    expect(late.byHour).toHaveLength(11)
    expect(computeStats([]).averageWait).toBeNull()
  })

  it("shows today's stats and the waits per hour", () => {
    renderHost()
    live(snapshot())
    expect(screen.getByTestId('stat-served')).toHaveTextContent('2')
    expect(screen.getByTestId('stat-no-shows')).toHaveTextContent('1')
    expect(screen.getByTestId('stat-avg-wait')).toHaveTextContent('12 min')
    const chart = screen.getByTestId('wait-chart')
    const hour = new Date('2026-11-26T09:04:00.000Z').getHours()
    const label = (h) => new Intl.DateTimeFormat('en-US', { hour: 'numeric' }).format(new Date(2000, 0, 1, h))
    // Hour labels on the axis, the counts on the bars, the same in a table for screen readers.
    const hours = within(screen.getByTestId('wait-chart-hours')).getAllByRole('listitem', { hidden: true }).map((li) => li.textContent)
    expect(hours.slice(0, 2)).toEqual([label(hour), label((hour + 1) % 24)])
    expect(hours.length).toBeGreaterThanOrEqual(8)
    const bars = within(chart).getAllByRole('listitem', { hidden: true }).filter((li) => li.dataset.hour)
    expect(bars.slice(0, 2).map((li) => li.textContent)).toEqual(['2', '3'])
    const table = screen.getByRole('table', { name: 'Guests called each hour' })
    expect(within(table).getByRole('row', { name: `${label(hour)} 2 7 min` })).toBeInTheDocument()
  })

  it("offers the tablet's time when the box's clock is not set", async () => {
    const setClock = vi.fn((init) => ({
      body: { applied: true, now: JSON.parse(init.body).now, service_day: '2026-11-26', clock: { trusted: true, source: 'host', reason: null } },
    }))
    renderHost({ routes: { 'POST /api/clock': setClock } })
    live(snapshot({ clock: UNTRUSTED }))
    expect(screen.getByText("The box's clock is not set")).toBeInTheDocument()
    const before = Date.now()
    await userEvent.click(screen.getByRole('button', { name: "Use this tablet's time" }))
    expect(await screen.findByText(/Done: the box now uses this tablet's time/)).toBeInTheDocument()
    const [sent] = calls('POST', '/api/clock')
    expect(sent.headers.Authorization).toBe(`Bearer ${TOKEN}`)
    expect(sent.headers['Idempotency-Key']).toBeTruthy()
    expect(sent.body.now).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(Date.parse(sent.body.now)).toBeGreaterThanOrEqual(before - 1000)
    expect(screen.queryByText("The box's clock is not set")).not.toBeInTheDocument()
  })

  it('shows no clock banner while the clock is trusted', () => {
    renderHost()
    live(snapshot())
    expect(screen.queryByText("The box's clock is not set")).not.toBeInTheDocument()
  })

  it('shows the refused time kindly', async () => {
    renderHost({
      routes: {
        'POST /api/clock': () => ({ status: 422, body: { error: { code: 'implausible_time', message: 'That time is before…' } } }),
      },
    })
    live(snapshot({ clock: UNTRUSTED }))
    await userEvent.click(screen.getByRole('button', { name: "Use this tablet's time" }))
    expect(await screen.findByText("The box did not accept this time. Check this tablet's date and time.")).toBeInTheDocument()
    expect(screen.getByText("The box's clock is not set")).toBeInTheDocument()
  })

  it('speaks German to a German browser', () => {
    setLanguage('de')
    try {
      renderHost()
      live(snapshot())
      // Counter 1 serves A5: the call completes it first.
      expect(screen.getByRole('button', { name: 'A5 abschließen und Nächsten aufrufen' })).toBeInTheDocument()
      expect(screen.getByText('2 Personen warten')).toBeInTheDocument()
    } finally {
      setLanguage('en')
    }
  })
})

describe('HostDashboard: kiosks and printers', () => {
  // Half a minute more, so the page's clock (read a moment earlier) sees whole minutes.
  const minutesAgo = (minutes) => new Date(Date.now() - minutes * 60000 - 30000).toISOString()
  const kiosk = (overrides = {}) => ({
    id: 'k-1',
    kind: 'kiosk',
    name: 'Door kiosk',
    printer: 'ready',
    printer_detail: null,
    status_at: minutesAgo(3),
    connected: true,
    ...overrides,
  })
  const display = { id: 'd-1', kind: 'display', name: 'Hall TV', printer: null, printer_detail: null, status_at: null, connected: true }
  // A7 (waiting) did not reach paper; A8 (waiting) is on its way to the printer.
  const printedDay = () =>
    day().map((x) => (x.id === 't-7' ? { ...x, print_status: 'failed' } : x.id === 't-8' ? { ...x, print_status: 'pending' } : { ...x, print_status: null }))
  const panel = () => screen.queryByRole('region', { name: 'Kiosks & printers' })
  const announcer = () => screen.getByTestId('kiosk-announcer')

  it('shows no panel while the line has no kiosk', () => {
    renderHost()
    live(snapshot()) // an older box: no devices at all
    expect(panel()).not.toBeInTheDocument()
    live({ type: 'update', seq: 11, events: [], state: queue({ waiting_count: 2 }), tickets: day(), clock: TRUSTED, devices: [] })
    expect(panel()).not.toBeInTheDocument()
    live({ type: 'update', seq: 12, events: [], state: queue({ waiting_count: 2 }), tickets: day(), clock: TRUSTED, devices: [display] })
    expect(panel()).not.toBeInTheDocument()
    // issue 16: a display has its own "TVs" section, with its voice switch and test
    const tvs = screen.getByRole('region', { name: 'TVs' })
    expect(within(tvs).getByText('Hall TV')).toBeInTheDocument()
    expect(within(tvs).getByRole('checkbox', { name: 'Speak the calls on Hall TV' })).toBeChecked()
    expect(within(tvs).getByRole('button', { name: 'Test the voice on Hall TV' })).toBeInTheDocument()
    expect(screen.queryByRole('button', { name: /^Reprint/ })).not.toBeInTheDocument()
  })

  it("says each kiosk's printer in plain words", () => {
    renderHost()
    const devices = [
      kiosk({ id: 'k-ready', name: 'Door kiosk' }),
      kiosk({ id: 'k-low', name: 'Side door', printer: 'paper_low', printer_detail: 'paper near end sensor' }),
      kiosk({ id: 'k-out', name: 'Lobby', printer: 'paper_out', printer_detail: 'paper end sensor', status_at: minutesAgo(0) }),
      kiosk({ id: 'k-offline', name: 'Back door', printer: 'offline', status_at: minutesAgo(125) }),
      kiosk({ id: 'k-error', name: 'Upstairs', printer: 'error', printer_detail: 'cutter jammed' }),
      kiosk({ id: 'k-unchecked', name: 'Garden', printer: 'unchecked' }),
      kiosk({ id: 'k-none', name: 'Touch screen', printer: null, status_at: null, connected: false }),
      kiosk({ id: 'k-gone', name: 'Basement', printer: 'ready', status_at: minutesAgo(12), connected: false }),
      display,
    ]
    live(snapshot({ devices }))
    const region = panel()
    expect(region).toBeInTheDocument()
    const row = (id) => within(screen.getByTestId(`kiosk-${id}`))

    expect(row('k-ready').getByText('Door kiosk')).toBeInTheDocument()
    expect(row('k-ready').getByText('Printer ready')).toBeInTheDocument()
    expect(row('k-ready').getByText('reported 3 min ago')).toBeInTheDocument()
    expect(row('k-low').getByText('Paper running low')).toBeInTheDocument()
    expect(row('k-low').getByText('paper near end sensor · reported 3 min ago')).toBeInTheDocument()
    expect(row('k-out').getByText('Out of paper — refill the printer')).toBeInTheDocument()
    expect(row('k-out').getByText('paper end sensor · reported just now')).toBeInTheDocument()
    expect(row('k-offline').getByText('Printer offline — check cable and power')).toBeInTheDocument()
    expect(row('k-offline').getByText('reported 2 h ago')).toBeInTheDocument()
    expect(row('k-error').getByText('Printer error')).toBeInTheDocument()
    expect(row('k-error').getByText(/cutter jammed/)).toBeInTheDocument()
    expect(row('k-unchecked').getByText('Printer connected (cannot report paper)')).toBeInTheDocument()
    // A touch screen never reported a printer: not an alarm, even without a socket.
    expect(row('k-none').getByText('No printer')).toBeInTheDocument()
    expect(row('k-none').queryByText(/reported/)).not.toBeInTheDocument()
    expect(row('k-gone').getByText('Kiosk not connected')).toBeInTheDocument()
    expect(row('k-gone').getByText('Last report: Printer ready · reported 12 min ago')).toBeInTheDocument()
    // One row per kiosk; displays are not listed.
    expect(within(region).getAllByRole('listitem')).toHaveLength(8)
    expect(within(region).queryByText('Hall TV')).not.toBeInTheDocument()

    // Problems stand out, and not by colour alone: they carry an icon and bold words.
    const levels = Object.fromEntries(devices.filter((d) => d.kind === 'kiosk').map((d) => [d.id, screen.getByTestId(`kiosk-${d.id}`).dataset.level]))
    expect(levels).toEqual({
      'k-ready': 'ok', 'k-low': 'warning', 'k-out': 'problem', 'k-offline': 'problem',
      'k-error': 'problem', 'k-unchecked': 'ok', 'k-none': 'ok', 'k-gone': 'problem',
    })
    expect(within(screen.getByTestId('kiosk-k-out')).getByText('⚠\uFE0E')).toHaveAttribute('aria-hidden', 'true')
    // The problems are said aloud, politely.
    expect(announcer()).toHaveAttribute('aria-live', 'polite')
    expect(announcer().textContent).toBe(
      'Side door: Paper running low. Lobby: Out of paper — refill the printer. Back door: Printer offline — check cable and power. ' +
        'Upstairs: Printer error. Basement: Kiosk not connected.',
    )
  })

  it("shows the one line a kiosk stopped with (a GPIO setting that cannot work) on its card", () => {
    renderHost()
    const line = 'QODE_KIOSK_BUTTON=gpio:17: GPIO 17 is in use by another program (GPIO busy); free it or pick another pin'
    // It exited, so its socket is closed too: the reason it gave comes first, not "not connected".
    live(snapshot({ devices: [kiosk({ printer: 'ready', printer_detail: 'dummy printer', error: line, connected: false })] }))
    const card = screen.getByTestId('kiosk-k-1')
    expect(within(card).getByText('Kiosk stopped — fix its settings, then restart it')).toBeInTheDocument()
    expect(within(card).getByText(`${line} · reported 3 min ago`)).toBeInTheDocument()
    expect(within(card).queryByText(/dummy printer/)).not.toBeInTheDocument()
    expect(card.dataset.level).toBe('problem')
    expect(announcer().textContent).toBe('Door kiosk: Kiosk stopped — fix its settings, then restart it.')
    // Restarted with a pin that works: its next report has no error, and the card is a printer's again.
    live({ type: 'update', seq: 11, events: [], state: queue({ waiting_count: 2 }), tickets: day(), clock: TRUSTED, devices: [kiosk({ error: null })] })
    expect(within(screen.getByTestId('kiosk-k-1')).getByText('Printer ready')).toBeInTheDocument()
    expect(screen.queryByText(line, { exact: false })).not.toBeInTheDocument()
  })

  it('follows the kiosks live, and announces each change once', async () => {
    renderHost()
    live(snapshot({ devices: [kiosk()] }))
    expect(within(panel()).getByText('Printer ready')).toBeInTheDocument()
    expect(announcer().textContent).toBe('') // nothing wrong: nothing to say

    const changes = []
    const observer = new MutationObserver((records) => changes.push(...records))
    observer.observe(announcer(), { childList: true, subtree: true, characterData: true })
    const update = (seq, devices) => ({ type: 'update', seq, events: [], state: queue({ waiting_count: 2 }), tickets: day(), clock: TRUSTED, devices })

    live(update(11, [kiosk({ printer: 'paper_out', printer_detail: 'paper end sensor' })]))
    expect(within(panel()).getByText('Out of paper — refill the printer')).toBeInTheDocument()
    expect(within(panel()).queryByText('Printer ready')).not.toBeInTheDocument()
    expect(announcer().textContent).toBe('Door kiosk: Out of paper — refill the printer.')
    await Promise.resolve() // let the observer report
    const once = changes.length
    expect(once).toBeGreaterThan(0)

    // The same state again (another update, a newer report time): nothing new to say.
    live(update(12, [kiosk({ printer: 'paper_out', printer_detail: 'paper end sensor', status_at: minutesAgo(1) })]))
    // An older box's update without devices keeps what is known.
    live({ type: 'update', seq: 13, events: [], state: queue({ waiting_count: 2 }), tickets: day(), clock: TRUSTED })
    expect(within(panel()).getByText('Out of paper — refill the printer')).toBeInTheDocument()
    await Promise.resolve()
    expect(changes.length).toBe(once)

    live(update(14, [kiosk({ printer: 'ready' })]))
    expect(within(panel()).getByText('Printer ready')).toBeInTheDocument()
    expect(announcer().textContent).toBe('Door kiosk: Printer ready.')
    live(update(15, [kiosk({ printer: 'ready', connected: false })]))
    expect(within(panel()).getByText('Kiosk not connected')).toBeInTheDocument()
    expect(announcer().textContent).toBe('Door kiosk: Kiosk not connected.')
    observer.disconnect()
  })

  it('gets the kiosks over REST while the socket is down', async () => {
    const list = vi.fn(() => ({ body: { devices: [kiosk({ printer: 'offline' })] } }))
    renderHost({ routes: { 'GET /api/queues/q-1/devices': list } })
    expect(await screen.findByText('Printer offline — check cable and power')).toBeInTheDocument()
    expect(calls('GET', '/api/queues/q-1/devices')[0].headers.Authorization).toBe(`Bearer ${TOKEN}`)
  })

  it('keeps working with a box that has no device list', async () => {
    renderHost() // GET …/devices answers 404
    expect(await screen.findByText('A8')).toBeInTheDocument()
    await waitFor(() => expect(calls('GET', '/api/queues/q-1/devices')).toHaveLength(1))
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Front desk')
    expect(panel()).not.toBeInTheDocument()
  })

  it('shows a ticket that was not printed, and reprints it', async () => {
    const reprint = vi.fn(() => ({
      status: 201,
      body: { id: 'job-1', ticket_id: 't-7', device_id: 'k-1', status: 'pending', reason: 'reprint', created_at: '2026-11-26T10:30:00Z' },
    }))
    renderHost({ routes: { 'POST /api/tickets/t-7/reprint': reprint } })
    live(snapshot({ tickets: printedDay(), devices: [kiosk()] }))
    const failed = screen.getByTestId('not-printed-A7')
    expect(within(failed).getByText('Not printed')).toBeInTheDocument()
    expect(within(panel()).getByText('Tickets not printed')).toBeInTheDocument()
    expect(within(panel()).getByText('Printing…')).toBeInTheDocument()
    expect(screen.getByTestId('printing')).toHaveTextContent('A8: Printing…')
    // Printed tickets and tickets that were never printed get nothing extra.
    expect(screen.queryByTestId('not-printed-A8')).not.toBeInTheDocument()
    expect(screen.queryByTestId('not-printed-A4')).not.toBeInTheDocument()

    await userEvent.click(within(failed).getByRole('button', { name: 'Reprint: A7' }))
    expect(await within(panel()).findByText('Sent A7 to the printer.')).toBeInTheDocument()
    const [sent] = calls('POST', '/api/tickets/t-7/reprint')
    expect(sent.body).toEqual({})
    expect(sent.headers.Authorization).toBe(`Bearer ${TOKEN}`)
    expect(sent.headers['Idempotency-Key']).toBeTruthy()

    // The box marks it pending again: the badge and the button go.
    const next = printedDay().map((x) => (x.id === 't-7' ? { ...x, print_status: 'pending' } : x))
    live({ type: 'update', seq: 11, events: [], state: queue({ waiting_count: 2 }), tickets: next, clock: TRUSTED, devices: [kiosk()] })
    expect(screen.queryByTestId('not-printed-A7')).not.toBeInTheDocument()
    expect(screen.getByTestId('printing')).toHaveTextContent('A7, A8: Printing…')
  })

  it('says kindly when there is no printer to send it to (409 no_printer)', async () => {
    const reprint = vi.fn(() => ({
      status: 409,
      body: { error: { code: 'no_printer', message: 'No kiosk with a printer is registered for this line.' } },
    }))
    renderHost({ routes: { 'POST /api/tickets/t-7/reprint': reprint } })
    live(snapshot({ tickets: printedDay(), devices: [kiosk({ printer: null })] }))
    await userEvent.click(within(panel()).getByRole('button', { name: 'Reprint: A7' }))
    const message = await within(panel()).findByText('No kiosk with a printer is registered for this line.')
    expect(message).toHaveAttribute('data-tone', 'info')
    expect(reprint).toHaveBeenCalledTimes(1)
  })

  it('explains a ticket that has ended (409 ticket_ended)', async () => {
    renderHost({
      routes: {
        'POST /api/tickets/t-7/reprint': () => ({ status: 409, body: { error: { code: 'ticket_ended', message: 'Ticket A7 has ended.' } } }),
      },
    })
    live(snapshot({ tickets: printedDay(), devices: [kiosk()] }))
    await userEvent.click(within(panel()).getByRole('button', { name: 'Reprint: A7' }))
    expect(await within(panel()).findByText('That ticket has ended, so it is not printed again.')).toBeInTheDocument()
  })

  it('prints any waiting or called ticket again (a guest lost the paper)', async () => {
    const reprint = vi.fn(() => ({ status: 201, body: { id: 'job-2', ticket_id: 't-8', device_id: 'k-1', status: 'pending', reason: 'reprint', created_at: '2026-11-26T10:30:00Z' } }))
    renderHost({ routes: { 'POST /api/tickets/t-8/reprint': reprint } })
    live(snapshot({ devices: [kiosk()] }))
    const picker = screen.getByLabelText('Print a ticket again')
    // Waiting and called tickets only, in number order.
    expect(within(picker).getAllByRole('option').map((o) => o.textContent)).toEqual(['Choose a ticket', 'A4', 'A7', 'A8'])
    const button = within(panel()).getByRole('button', { name: 'Reprint' })
    expect(button).toBeDisabled()
    await userEvent.selectOptions(picker, 'A8')
    await userEvent.click(button)
    expect(await within(panel()).findByText('Sent A8 to the printer.')).toBeInTheDocument()
    expect(calls('POST', '/api/tickets/t-8/reprint')[0].headers['Idempotency-Key']).toBeTruthy()
  })

  it('offers no "print again" without a kiosk that has a printer', () => {
    renderHost()
    live(snapshot({ devices: [kiosk({ printer: null })] }))
    expect(within(panel()).getByText('No printer')).toBeInTheDocument()
    expect(screen.queryByLabelText('Print a ticket again')).not.toBeInTheDocument()
  })

  it('speaks German about kiosks and printers', () => {
    setLanguage('de')
    try {
      renderHost()
      live(snapshot({ tickets: printedDay(), devices: [kiosk({ printer: 'paper_out' }), kiosk({ id: 'k-2', name: 'Tür 2', connected: false })] }))
      const region = screen.getByRole('region', { name: 'Kioske und Drucker' })
      expect(within(region).getByText('Papier leer — bitte Drucker nachfüllen')).toBeInTheDocument()
      expect(within(region).getByText('Kiosk nicht verbunden')).toBeInTheDocument()
      expect(within(region).getByText('Nicht gedruckt')).toBeInTheDocument()
      expect(within(region).getByRole('button', { name: 'Neu drucken: A7' })).toBeInTheDocument()
      expect(within(region).getByText('Wird gedruckt…')).toBeInTheDocument()
    } finally {
      setLanguage('en')
    }
  })

  it('marks a ticket that was not printed in its row, with Reprint there too', async () => {
    const reprint = vi.fn(() => ({ status: 201, body: { id: 'job-3', ticket_id: 't-7', device_id: 'k-1', status: 'pending', reason: 'reprint', created_at: '2026-11-26T10:30:00Z' } }))
    renderHost({ routes: { 'POST /api/tickets/t-7/reprint': reprint } })
    live(snapshot({ tickets: printedDay(), devices: [kiosk()] }))
    const row = within(screen.getByTestId('waiting-A7'))
    expect(row.getByText('Not printed')).toBeInTheDocument()
    expect(within(screen.getByTestId('waiting-A8')).getByText('Printing…')).toBeInTheDocument()
    // A waiting ticket that printed keeps its short row.
    expect(within(screen.getByTestId('waiting-A8')).queryByRole('button', { name: 'Reprint: A8' })).not.toBeInTheDocument()
    await userEvent.click(row.getByRole('button', { name: 'Reprint: A7' }))
    expect(await screen.findByText('Sent A7 to the printer.')).toBeInTheDocument()
    const [sent] = calls('POST', '/api/tickets/t-7/reprint')
    expect(sent.headers.Authorization).toBe(`Bearer ${TOKEN}`)
    expect(sent.headers['Idempotency-Key']).toBeTruthy()
  })

  it('offers Reprint on a called ticket when a kiosk can print', async () => {
    const reprint = vi.fn(() => ({ status: 409, body: { error: { code: 'no_printer', message: 'No kiosk with a printer is registered for this line.' } } }))
    renderHost({ routes: { 'POST /api/tickets/t-4/reprint': reprint } })
    live(snapshot())
    expect(within(screen.getByTestId('active-A4')).queryByRole('button', { name: 'Reprint: A4' })).not.toBeInTheDocument()
    live({ type: 'update', seq: 11, events: [], state: queue({ waiting_count: 2 }), tickets: day(), clock: TRUSTED, devices: [kiosk()] })
    const card = within(screen.getByTestId('active-A4'))
    await userEvent.click(card.getByRole('button', { name: 'Reprint: A4' }))
    expect(await screen.findByText('No kiosk with a printer is registered for this line.')).toBeInTheDocument()
    // Being served: the guest is at the desk, nothing to print.
    expect(within(screen.getByTestId('active-A5')).getAllByRole('button')).toHaveLength(1)
  })

  it('merges host deltas: only the changed tickets come, the rest of the list stays', async () => {
    renderHost({ routes: { 'GET /api/queues/q-1/tickets': pending } })
    live(snapshot())
    const called = { ...day()[6], status: 'CALLED', counter: '1', called_at: '2026-11-26T10:20:00.000Z' }
    const joined = ticket({ id: 't-9', position_number: 9, display_number: 'A9', created_at: '2026-11-26T10:21:00.000Z' })
    live({ type: 'update', seq: 11, events: [{}, {}], state: queue({ waiting_count: 2 }), tickets_changed: [called, joined], clock: TRUSTED,
      refused: { total: 3, queue_full: 3, too_many_tickets: 0, rate_limited: 0 } })
    expect(within(screen.getByRole('region', { name: 'Called and being served' })).getByText('A7')).toBeInTheDocument()
    const rows = within(screen.getByRole('region', { name: /^Waiting/ })).getAllByRole('listitem')
    expect(rows.map((row) => row.dataset.testid)).toEqual(['waiting-A8', 'waiting-A9'])
    expect(screen.getByTestId('refused-count')).toHaveTextContent('3')
    // A bulk cancellation comes as its filter, not as a row per ticket.
    live({ type: 'update', seq: 12, events: [{}], state: queue({ waiting_count: 0 }), tickets_changed: [], clock: TRUSTED,
      bulk: [{ count: 2, reason: 'cancelled_by_host', source: null, joined_after: null, up_to: 9, at: '2026-11-26T10:30:00.000Z' }] })
    expect(screen.getByText('Nobody is waiting.')).toBeInTheDocument()
    expect(within(screen.getByRole('region', { name: 'Called and being served' })).getByText('A7')).toBeInTheDocument()
  })

  it('draws the first 50 waiting guests of a long line, with "Show more"', async () => {
    renderHost({ routes: { 'GET /api/queues/q-1/tickets': pending } })
    const many = Array.from({ length: 2000 }, (_, i) =>
      ticket({ id: `w-${i}`, position_number: 100 + i, display_number: `A${100 + i}`, created_at: '2026-11-26T10:00:00.000Z' }))
    live(snapshot({ state: queue({ waiting_count: 2000 }), tickets: [...day(), ...many] }))
    const waiting = screen.getByRole('region', { name: /^Waiting/ })
    expect(within(waiting).getByRole('heading')).toHaveTextContent('(2002)')
    expect(within(waiting).getAllByRole('listitem')).toHaveLength(50)
    await userEvent.click(screen.getByRole('button', { name: 'Show 50 more (1952 not shown)' }))
    expect(within(waiting).getAllByRole('listitem')).toHaveLength(100)
  })

  it('cancels everyone waiting with one confirmation and one request', async () => {
    const cancelWaiting = vi.fn(() => ({ body: { cancelled: 2, queue: queue({ waiting_count: 0 }) } }))
    renderHost({ routes: { 'POST /api/queues/q-1/cancel-waiting': cancelWaiting } })
    live(snapshot())
    await userEvent.click(screen.getByRole('button', { name: 'Cancel 2 waiting…' }))
    expect(cancelWaiting).not.toHaveBeenCalled()
    await userEvent.click(screen.getByRole('button', { name: 'Yes, cancel them' }))
    expect(await screen.findByText('2 waiting tickets cancelled.')).toBeInTheDocument()
    const sent = calls('POST', '/api/queues/q-1/cancel-waiting')
    expect(sent).toHaveLength(1)
    expect(sent[0].body).toEqual({})
    expect(sent[0].headers['Idempotency-Key']).toBeTruthy()
  })
})

describe('HostDashboard: the running version', () => {
  it('shows the version the box runs, small, and follows an update', () => {
    renderHost()
    live(snapshot()) // an older box says no version: nothing shown
    expect(screen.queryByTestId('version')).not.toBeInTheDocument()
    live({ type: 'update', seq: 11, events: [], state: queue({ waiting_count: 2 }), tickets: day(), clock: TRUSTED, version: '0.1.0' })
    expect(screen.getByTestId('version')).toHaveTextContent('Qode 0.1.0')
    // After `qode update` the box restarts; the host's next message carries the new version.
    live({ type: 'update', seq: 12, events: [], state: queue({ waiting_count: 2 }), tickets: day(), clock: TRUSTED, version: '0.2.0' })
    expect(screen.getByTestId('version')).toHaveTextContent('Qode 0.2.0')
  })
})
