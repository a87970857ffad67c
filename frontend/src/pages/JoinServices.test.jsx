import { render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import App from '../App.jsx'
import { FakeWebSocket } from '../test/fakeWebSocket.js'
import { queue, routeFetch, ticket } from '../test/fixtures.js'

// GET /api/services as docs/services.md section 5 gives it.
function service(overrides = {}) {
  return {
    id: 'q-p', name: 'Passports', prefix: 'P', active: true, is_paused: false, waiting_count: 3,
    eta_seconds: 840, sort_order: 0, priority_on_join: false, ...overrides,
  }
}
const PAYMENTS = { id: 'q-m', name: 'Payments', prefix: 'M', waiting_count: 0, eta_seconds: 0, sort_order: 1 }

let fetchMock

function renderJoin(routes) {
  fetchMock = vi.fn(routeFetch(routes))
  vi.stubGlobal('fetch', fetchMock)
  window.history.replaceState(null, '', '/join')
  return render(<App />)
}

const choice = (name) => screen.getByText(name, { selector: 'span' }).closest('li')

beforeEach(() => {
  FakeWebSocket.reset()
  vi.stubGlobal('WebSocket', FakeWebSocket)
})
afterEach(() => {
  vi.unstubAllGlobals()
  window.history.replaceState(null, '', '/')
})

describe('JoinServices (/join)', () => {
  it('lists the services with their waiting count and wait, and one tap takes a ticket there', async () => {
    const join = vi.fn(() => ({ status: 201, body: ticket({ id: 't-p', queue_id: 'q-p', display_number: 'P001', service: { id: 'q-p', name: 'Passports', prefix: 'P' } }) }))
    renderJoin({
      'GET /api/services': () => ({ body: { services: [service(), service(PAYMENTS)] } }),
      'POST /api/queues/q-p/tickets': join,
      'GET /api/tickets/t-p': () => ({ body: ticket({ id: 't-p', display_number: 'P001', service: { id: 'q-p', name: 'Passports', prefix: 'P' } }) }),
    })
    expect(await screen.findByRole('heading', { name: 'Choose a service' })).toBeInTheDocument()
    const passports = within(choice('Passports'))
    expect(passports.getByText('3 people waiting')).toBeInTheDocument()
    expect(passports.getByText('If you join now: about 14 min')).toBeInTheDocument()
    const payments = within(choice('Payments'))
    expect(payments.getByText('Nobody is waiting')).toBeInTheDocument()
    expect(payments.getByText('If you join now: no wait expected')).toBeInTheDocument()
    // No service here offers priority on the join page.
    expect(screen.queryByRole('button', { name: /Priority/ })).not.toBeInTheDocument()

    await userEvent.click(screen.getByRole('button', { name: /^Passports/ }))
    expect(await screen.findByText('P001')).toBeInTheDocument()
    expect(window.location.pathname).toBe('/t/t-p')
    expect(screen.getByTestId('ticket-service')).toHaveTextContent('Passports')
    expect(join).toHaveBeenCalledTimes(1)
    expect(Object.keys(JSON.parse(join.mock.calls[0][0].body))).toEqual(['device_token'])
  })

  it('offers a priority ticket only where the service allows it on the join page, and posts priority', async () => {
    const join = vi.fn(() => ({ status: 201, body: ticket({ id: 't-m', queue_id: 'q-m', display_number: 'M001', priority: true }) }))
    renderJoin({
      'GET /api/services': () => ({ body: { services: [service(), service({ ...PAYMENTS, priority_on_join: true })] } }),
      'POST /api/queues/q-m/tickets': join,
      'GET /api/tickets/t-m': () => ({ body: ticket({ id: 't-m', display_number: 'M001', priority: true }) }),
    })
    await screen.findByRole('heading', { name: 'Choose a service' })
    expect(within(choice('Passports')).queryByRole('button', { name: /Priority/ })).not.toBeInTheDocument()
    const priority = within(choice('Payments')).getByRole('button', { name: 'Priority: elderly, disabled, pregnant' })
    expect(priority).toHaveAccessibleDescription('Payments')

    await userEvent.click(priority)
    expect(await screen.findByText('M001')).toBeInTheDocument()
    expect(screen.getByText('Priority ticket')).toBeInTheDocument()
    const body = JSON.parse(join.mock.calls[0][0].body)
    expect(body.priority).toBe(true)
    expect(body.device_token).toMatch(/^[A-Za-z0-9_-]{16,128}$/)
  })

  it('goes straight to the one service’s own join page when the box has one', async () => {
    renderJoin({
      'GET /api/services': () => ({ body: { services: [service({ id: 'q-1', name: 'Front desk' })] } }),
      'GET /api/queues/q-1': () => ({ body: queue() }),
    })
    expect(await screen.findByRole('heading', { name: 'Front desk' })).toBeInTheDocument()
    expect(window.location.pathname).toBe('/join/q-1')
    expect(screen.getByRole('button', { name: 'Take a ticket' })).toBeInTheDocument()
  })

  it('shows a paused service without letting anyone take a ticket there', async () => {
    renderJoin({ 'GET /api/services': () => ({ body: { services: [service({ is_paused: true }), service(PAYMENTS)] } }) })
    await screen.findByRole('heading', { name: 'Choose a service' })
    const passports = within(choice('Passports'))
    expect(passports.getByText('This line is paused for a moment.')).toBeInTheDocument()
    expect(screen.getByRole('button', { name: /^Passports/ })).toBeDisabled()
    expect(screen.getByRole('button', { name: /^Payments/ })).toBeEnabled()
  })

  it('says so when no service takes tickets', async () => {
    renderJoin({ 'GET /api/services': () => ({ body: { services: [] } }) })
    expect(await screen.findByText('No service is taking tickets right now.')).toBeInTheDocument()
  })

  it('shows an error at the service whose join failed, and keeps the others', async () => {
    renderJoin({
      'GET /api/services': () => ({ body: { services: [service(), service(PAYMENTS)] } }),
      'POST /api/queues/q-p/tickets': () => ({ status: 429, body: { error: { code: 'rate_limited', message: 'Slow down.' } } }),
    })
    await userEvent.click(await screen.findByRole('button', { name: /^Passports/ }))
    const alert = await within(choice('Passports')).findByRole('alert')
    expect(alert.textContent).toMatch(/wait a minute/)
    expect(window.location.pathname).toBe('/join')
    await waitFor(() => expect(screen.getByRole('button', { name: /^Payments/ })).toBeEnabled())
  })
})

describe('JoinView (/join/{id}) with priority on the join page', () => {
  it('offers the priority button only when the service allows it, and posts priority', async () => {
    const join = vi.fn(() => ({ status: 201, body: ticket({ priority: true }) }))
    fetchMock = vi.fn(routeFetch({
      'GET /api/queues/q-1': () => ({ body: queue({ priority_on_join: true }) }),
      'POST /api/queues/q-1/tickets': join,
      'GET /api/tickets/t-1': () => ({ body: ticket({ priority: true }) }),
    }))
    vi.stubGlobal('fetch', fetchMock)
    window.history.replaceState(null, '', '/join/q-1')
    render(<App />)
    await userEvent.click(await screen.findByRole('button', { name: 'Priority: elderly, disabled, pregnant' }))
    expect(await screen.findByText('A12')).toBeInTheDocument()
    expect(JSON.parse(join.mock.calls[0][0].body).priority).toBe(true)
  })
})
