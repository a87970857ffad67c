import { render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import App from '../App.jsx'
import { setLanguage } from '../lib/strings.js'
import { resetVenue } from '../lib/venue.js'
import { FakeWebSocket } from '../test/fakeWebSocket.js'
import { queue, routeFetch, ticket } from '../test/fixtures.js'
import KioskServices from './KioskServices.jsx'

const TOKEN = 'kiosk-token-0123456789abcdef'
const PASSPORTS = { id: 'q-p', name: 'Passports', prefix: 'P' }
const PAYMENTS = { id: 'q-m', name: 'Payments', prefix: 'M' }
const REGISTRY = { id: 'q-r', name: 'Registry', prefix: 'R' }

const publicService = (s, overrides = {}) => ({
  ...s, active: true, is_paused: false, waiting_count: 0, eta_seconds: 0, sort_order: 0, priority_on_join: false, ...overrides,
})
const device = (services) => ({ id: 'd-1', kind: 'kiosk', name: 'Door', queue_id: services[0]?.id, queue_name: services[0]?.name, services })
const issuedTicket = (overrides = {}) => ticket({
  id: 't-p1', queue_id: 'q-p', display_number: 'P001', source: 'kiosk', people_ahead: 0, service: PASSPORTS, priority: false, ...overrides,
})

let fetchMock

function renderKiosk(routes, { token = TOKEN, app = false } = {}) {
  fetchMock = vi.fn(routeFetch({
    'GET /api/device': () => ({ body: device([PASSPORTS, PAYMENTS]) }),
    // Registry is on the box but not this kiosk's: it must not show.
    'GET /api/services': () => ({ body: { services: [publicService(PASSPORTS, { waiting_count: 2, eta_seconds: 600 }), publicService(PAYMENTS), publicService(REGISTRY)] } }),
    ...routes,
  }))
  vi.stubGlobal('fetch', fetchMock)
  window.history.replaceState(null, '', token ? `/kiosk#token=${token}` : '/kiosk')
  return render(app ? <App /> : <KioskServices />)
}

const card = (name) => screen.getByText(name, { selector: 'span' }).closest('li')
const requestsTo = (path) => fetchMock.mock.calls.filter(([url]) => new URL(url, 'http://localhost').pathname === path)

beforeEach(() => {
  FakeWebSocket.reset()
  vi.stubGlobal('WebSocket', FakeWebSocket)
})
afterEach(() => {
  resetVenue()
  setLanguage('en')
  vi.unstubAllGlobals()
  window.history.replaceState(null, '', '/')
})

describe('KioskServices (/kiosk)', () => {
  it('offers the device’s services with their waits, each with a priority button; a tap issues there and shows the service', async () => {
    const issue = vi.fn(() => ({ status: 201, body: issuedTicket() }))
    renderKiosk({ 'POST /api/queues/q-p/tickets': issue })
    expect(await screen.findByRole('heading', { name: 'Choose a service' })).toBeInTheDocument()
    // The token left the address and is kept for the next start.
    expect(window.location.hash).toBe('')
    expect(localStorage.getItem('qode.kioskToken')).toBe(TOKEN)
    expect(within(card('Passports')).getByText('2 people waiting')).toBeInTheDocument()
    expect(within(card('Passports')).getByText('Waiting time about 10 min')).toBeInTheDocument()
    expect(within(card('Payments')).getByText('No waiting time right now')).toBeInTheDocument()
    expect(screen.queryByText('Registry')).not.toBeInTheDocument()
    const priority = screen.getAllByRole('button', { name: 'Priority: elderly, disabled, pregnant' })
    expect(priority.map((b) => b.getAttribute('aria-describedby'))).toEqual(['service-q-p', 'service-q-m'])
    expect(requestsTo('/api/device')[0][1].headers.Authorization).toBe(`Bearer ${TOKEN}`)

    await userEvent.click(screen.getByRole('button', { name: /^Passports/ }))
    expect(await screen.findByTestId('kiosk-number')).toHaveTextContent('P001')
    expect(screen.getByTestId('kiosk-service')).toHaveTextContent('Passports')
    expect(screen.queryByText('Priority ticket')).not.toBeInTheDocument()
    const init = issue.mock.calls[0][0]
    expect(JSON.parse(init.body)).toEqual({})
    expect(init.headers.Authorization).toBe(`Bearer ${TOKEN}`)

    expect(screen.getByRole('button', { name: /^Done/ })).toHaveFocus()

    // Done: back to the choice of services, the focus on the button that was pressed.
    await userEvent.click(screen.getByRole('button', { name: /^Done/ }))
    expect(await screen.findByRole('heading', { name: 'Choose a service' })).toBeInTheDocument()
    expect(screen.getByRole('button', { name: /^Passports/ })).toHaveFocus()
  })

  it('issues a priority ticket from the second button, and the screen says so', async () => {
    const issue = vi.fn(() => ({ status: 201, body: issuedTicket({ id: 't-m1', queue_id: 'q-m', display_number: 'M001', service: PAYMENTS, priority: true }) }))
    renderKiosk({ 'POST /api/queues/q-m/tickets': issue })
    await screen.findByRole('heading', { name: 'Choose a service' })
    await userEvent.click(within(card('Payments')).getByRole('button', { name: 'Priority: elderly, disabled, pregnant' }))
    expect(await screen.findByTestId('kiosk-number')).toHaveTextContent('M001')
    expect(screen.getByTestId('kiosk-service')).toHaveTextContent('Payments')
    expect(screen.getByText('Priority ticket')).toBeInTheDocument()
    expect(JSON.parse(issue.mock.calls[0][0].body)).toEqual({ priority: true })
    await userEvent.click(screen.getByRole('button', { name: /^Done/ }))
    expect(within(card('Payments')).getByRole('button', { name: 'Priority: elderly, disabled, pregnant' })).toHaveFocus()
  })

  it('goes straight to today’s one-service kiosk when the device covers one service, with its token', async () => {
    renderKiosk(
      {
        'GET /api/device': () => ({ body: device([{ id: 'q-1', name: 'Front desk', prefix: 'A' }]) }),
        'GET /api/services': () => ({ body: { services: [publicService({ id: 'q-1', name: 'Front desk', prefix: 'A' }), publicService(PAYMENTS)] } }),
        'GET /api/queues/q-1': () => ({ body: queue() }),
      },
      { app: true },
    )
    await waitFor(() => expect(window.location.pathname).toBe('/kiosk/q-1'))
    expect(localStorage.getItem('qode.kioskToken.q-1')).toBe(TOKEN)
    expect(await screen.findByRole('button', { name: 'Take a ticket' })).toBeInTheDocument()
  })

  it('stays on the choice when the device covers two services and one is closed today (no bouncing)', async () => {
    renderKiosk({ 'GET /api/services': () => ({ body: { services: [publicService(PASSPORTS)] } }) })
    expect(await screen.findByRole('heading', { name: 'Choose a service' })).toBeInTheDocument()
    expect(screen.getByRole('button', { name: /^Passports/ })).toBeInTheDocument()
    expect(screen.queryByText('Payments')).not.toBeInTheDocument()
    expect(window.location.pathname).toBe('/kiosk')
  })

  it('works with a box from before several services: the device’s one line', async () => {
    renderKiosk(
      {
        'GET /api/device': () => ({ body: { id: 'd-1', kind: 'kiosk', queue_id: 'q-1', queue_name: 'Front desk' } }),
        'GET /api/services': () => ({ body: { services: [publicService({ id: 'q-1', name: 'Front desk', prefix: 'A' })] } }),
        'GET /api/queues/q-1': () => ({ body: queue() }),
      },
      { app: true },
    )
    await waitFor(() => expect(window.location.pathname).toBe('/kiosk/q-1'))
  })

  it('says the kiosk is not set up without a token, and asks the box nothing about a device', async () => {
    renderKiosk({}, { token: null })
    expect(screen.getByRole('heading', { name: 'This kiosk is not set up' })).toBeInTheDocument()
    expect(requestsTo('/api/device')).toEqual([])
  })

  it('says the link is not valid when the box refuses the token', async () => {
    renderKiosk({ 'GET /api/device': () => ({ status: 401, body: { error: { code: 'unauthorized', message: 'No.' } } }) })
    expect(await screen.findByRole('heading', { name: 'This kiosk’s link is not valid' })).toBeInTheDocument()
  })

  it('keeps a paused service on screen without its buttons working, and shows a refusal at its service', async () => {
    renderKiosk({
      'GET /api/services': () => ({ body: { services: [publicService(PASSPORTS, { is_paused: true }), publicService(PAYMENTS)] } }),
      'POST /api/queues/q-m/tickets': () => ({ status: 409, body: { error: { code: 'queue_closed', message: 'Closed.' } } }),
    })
    await screen.findByRole('heading', { name: 'Choose a service' })
    expect(within(card('Passports')).getByText('Paused for a moment')).toBeInTheDocument()
    expect(screen.getByRole('button', { name: /^Passports/ })).toBeDisabled()
    expect(within(card('Passports')).queryByRole('button', { name: /Priority/ })).not.toBeInTheDocument()

    await userEvent.click(screen.getByRole('button', { name: /^Payments/ }))
    expect(await within(card('Payments')).findByText('This line is closed right now.')).toBeInTheDocument()
    expect(screen.getByRole('button', { name: /^Payments/ })).toBeDisabled()
  })
})
