import { act, render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import App from '../App.jsx'
import { FakeWebSocket } from '../test/fakeWebSocket.js'
import { queue, routeFetch, ticket } from '../test/fixtures.js'

let fetchMock

function renderJoin(routes) {
  fetchMock = vi.fn(routeFetch(routes))
  vi.stubGlobal('fetch', fetchMock)
  window.history.replaceState(null, '', '/join/q-1')
  return render(<App />)
}

const takeButton = () => screen.queryByRole('button', { name: 'Take a ticket' })

beforeEach(() => {
  FakeWebSocket.reset()
  vi.stubGlobal('WebSocket', FakeWebSocket)
})
afterEach(() => {
  vi.unstubAllGlobals()
  window.history.replaceState(null, '', '/')
})

describe('JoinView', () => {
  it('shows the line and joins with one tap, then shows the ticket', async () => {
    const join = vi.fn(() => ({ status: 201, body: ticket() }))
    renderJoin({
      'GET /api/queues/q-1': () => ({ body: queue() }),
      'POST /api/queues/q-1/tickets': join,
      'GET /api/tickets/t-1': () => ({ body: ticket() }),
    })
    expect(await screen.findByRole('heading', { name: 'Front desk' })).toBeInTheDocument()
    expect(screen.getByText('A9')).toBeInTheDocument()
    expect(screen.getByText('3 people waiting')).toBeInTheDocument()
    expect(screen.getByText('If you join now: about 14 min')).toBeInTheDocument()
    expect(FakeWebSocket.last().url).toMatch(/\/ws\/queues\/q-1$/)

    await userEvent.click(takeButton())
    expect(await screen.findByText('A12')).toBeInTheDocument()
    expect(window.location.pathname).toBe('/t/t-1')
    expect(screen.getByText('3 people ahead of you')).toBeInTheDocument()
    const body = JSON.parse(join.mock.calls[0][0].body)
    expect(body.device_token).toMatch(/^[A-Za-z0-9_-]{16,128}$/)
  })

  it('goes to the ticket this phone already holds (200) with the same device token', async () => {
    const join = vi.fn(() => ({ status: 200, body: ticket({ id: 't-7', display_number: 'A7' }) }))
    localStorage.setItem('qode.deviceToken', 'my-phone-0123456789')
    renderJoin({
      'GET /api/queues/q-1': () => ({ body: queue() }),
      'POST /api/queues/q-1/tickets': join,
      'GET /api/tickets/t-7': () => ({ body: ticket({ id: 't-7', display_number: 'A7' }) }),
    })
    await userEvent.click(await screen.findByRole('button', { name: 'Take a ticket' }))
    expect(await screen.findByText('A7')).toBeInTheDocument()
    expect(window.location.pathname).toBe('/t/t-7')
    expect(JSON.parse(join.mock.calls[0][0].body)).toEqual({ device_token: 'my-phone-0123456789' })
  })

  it('shows a paused line with its "back in" and no button', async () => {
    renderJoin({ 'GET /api/queues/q-1': () => ({ body: queue({ is_paused: true, back_in_seconds: 600 }) }) })
    expect(await screen.findByText('This line is paused for a moment.')).toBeInTheDocument()
    expect(screen.getByText('Back in about 10 min.')).toBeInTheDocument()
    expect(takeButton()).not.toBeInTheDocument()
  })

  it('shows a closed line and no button', async () => {
    renderJoin({ 'GET /api/queues/q-1': () => ({ body: queue({ active: false }) }) })
    expect(await screen.findByText('This line is closed right now.')).toBeInTheDocument()
    expect(takeButton()).not.toBeInTheDocument()
  })

  it('treats a 409 queue_paused answer like a paused line', async () => {
    renderJoin({
      'GET /api/queues/q-1': () => ({ body: queue() }),
      'POST /api/queues/q-1/tickets': () => ({ status: 409, body: { error: { code: 'queue_paused', message: 'Paused.' } } }),
    })
    await userEvent.click(await screen.findByRole('button', { name: 'Take a ticket' }))
    expect(await screen.findByText('This line is paused for a moment.')).toBeInTheDocument()
    expect(takeButton()).not.toBeInTheDocument()
  })

  it('treats a 409 queue_closed answer like a closed line', async () => {
    renderJoin({
      'GET /api/queues/q-1': () => ({ body: queue() }),
      'POST /api/queues/q-1/tickets': () => ({ status: 409, body: { error: { code: 'queue_closed', message: 'Closed.' } } }),
    })
    await userEvent.click(await screen.findByRole('button', { name: 'Take a ticket' }))
    expect(await screen.findByText('This line is closed right now.')).toBeInTheDocument()
    expect(takeButton()).not.toBeInTheDocument()
  })

  it('asks to wait a minute after 429', async () => {
    renderJoin({
      'GET /api/queues/q-1': () => ({ body: queue() }),
      'POST /api/queues/q-1/tickets': () => ({ status: 429, body: { error: { code: 'rate_limited', message: 'Too many.' } } }),
    })
    await userEvent.click(await screen.findByRole('button', { name: 'Take a ticket' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('Too many tries. Please wait a minute and try again.')
    expect(window.location.pathname).toBe('/join/q-1')
  })

  it('says when a cap refused the join: a full line, too many tickets from here', async () => {
    let answer = { status: 409, body: { error: { code: 'queue_full', message: 'Full.' } } }
    renderJoin({ 'GET /api/queues/q-1': () => ({ body: queue() }), 'POST /api/queues/q-1/tickets': () => answer })
    await userEvent.click(await screen.findByRole('button', { name: 'Take a ticket' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('This line is full right now. Please try again when it has moved on.')
    answer = { status: 429, body: { error: { code: 'too_many_tickets', message: 'Too many.' } } }
    await userEvent.click(screen.getByRole('button', { name: 'Take a ticket' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('already holds as many tickets for this line as one guest may')
    expect(window.location.pathname).toBe('/join/q-1')
  })

  it('says so when the line does not exist', async () => {
    renderJoin({
      'GET /api/queues/q-1': () => ({ status: 404, body: { error: { code: 'queue_not_found', message: 'No queue.' } } }),
    })
    expect(await screen.findByText("We can't find this line")).toBeInTheDocument()
  })

  it('counts the joiner ETA down between messages', () => {
    vi.useFakeTimers()
    try {
      renderJoin({ 'GET /api/queues/q-1': () => new Promise(() => {}) })
      const ws = FakeWebSocket.last()
      act(() => {
        ws.open()
        ws.receive({ type: 'snapshot', seq: 3, state: queue({ eta_seconds: 600 }), recent: [] })
      })
      expect(screen.getByText('If you join now: about 10 min')).toBeInTheDocument()
      // No message for two minutes (the server skips updates that only confirm the countdown).
      act(() => vi.advanceTimersByTime(120_000))
      expect(screen.getByText('If you join now: about 8 min')).toBeInTheDocument()
      // Counted down past zero it stays "about 1 min", not "no wait", while the server said some.
      act(() => vi.advanceTimersByTime(600_000))
      expect(screen.getByText('If you join now: about 1 min')).toBeInTheDocument()
    } finally {
      vi.useRealTimers()
    }
  })

  it('follows the live feed', async () => {
    renderJoin({ 'GET /api/queues/q-1': () => new Promise(() => {}) })
    const ws = FakeWebSocket.last()
    act(() => {
      ws.open()
      ws.receive({ type: 'snapshot', seq: 3, state: queue(), recent: [] })
    })
    expect(screen.getByText('3 people waiting')).toBeInTheDocument()
    act(() => ws.receive({ type: 'update', seq: 4, events: [{ seq: 4, type: 'queue_paused' }], state: queue({ is_paused: true }) }))
    expect(screen.getByText('This line is paused for a moment.')).toBeInTheDocument()
    expect(takeButton()).not.toBeInTheDocument()
  })
})

describe('App routes', () => {
  it('shows "page not found" for other paths', () => {
    window.history.replaceState(null, '', '/nowhere')
    render(<App />)
    expect(screen.getByRole('heading', { name: 'Page not found' })).toBeInTheDocument()
  })
})
