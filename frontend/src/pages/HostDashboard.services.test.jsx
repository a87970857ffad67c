import { render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import { live, withFakeWebSocket } from '../test/fakeWebSocket.js'
import { queue, routeFetch, ticket } from '../test/fixtures.js'
import HostDashboard from './HostDashboard.jsx'

// /host/{queue_id} on a box with several services (issue 15): the same dashboard, with the
// priority mark, and transfer and priority controls once there is another service.
const TOKEN = 'host-token-0123456789abcdef'
const TRUSTED = { trusted: true, source: 'system', reason: null }
const SERVICES = [
  { id: 'q-1', name: 'Front desk', prefix: 'A', active: true },
  { id: 'q-2', name: 'Payments', prefix: 'B', active: true },
]
const tickets = () => [
  ticket({ id: 't-7', position_number: 7, display_number: 'A7', status: 'WAITING', priority: true }),
  ticket({ id: 't-8', position_number: 8, display_number: 'A8', status: 'WAITING', priority: false }),
  ticket({ id: 't-5', position_number: 5, display_number: 'A5', status: 'CALLED', counter: '1', called_at: '2026-11-26T10:05:00.000Z' }),
]
const snapshot = (rows = tickets()) => ({ type: 'snapshot', seq: 3, state: queue({ waiting_count: 2 }), tickets: rows, clock: TRUSTED })

let fetchMock
function renderHost(routes = {}) {
  window.history.replaceState(null, '', '/host/q-1')
  localStorage.setItem('qode.host.q-1.token', TOKEN)
  fetchMock = vi.fn(
    routeFetch({
      'GET /api/queues/q-1/tickets': () => ({ body: { tickets: tickets() } }),
      'GET /api/queues/q-1': () => ({ body: queue() }),
      'GET /api/queues/q-2': () => ({ body: queue({ id: 'q-2', name: 'Payments', transfer_placement: 'end' }) }),
      'GET /healthz': () => ({ body: { status: 'ok', clock: TRUSTED } }),
      'GET /api/services': () => ({ body: { services: SERVICES } }),
      ...routes,
    }),
  )
  vi.stubGlobal('fetch', fetchMock)
  return render(<HostDashboard queueId="q-1" />)
}
const posted = (path) =>
  fetchMock.mock.calls.filter(([url, init = {}]) => init.method === 'POST' && new URL(url, 'http://localhost').pathname === path).map(([, init]) => JSON.parse(init.body))

withFakeWebSocket()

describe('HostDashboard on a box with several services', () => {
  it('marks priority with the word and an icon, and offers transfer and priority per ticket', async () => {
    const user = userEvent.setup()
    const transfer = vi.fn(() => ({ body: ticket({ id: 't-8', queue_id: 'q-2', display_number: 'A8' }) }))
    const priority = vi.fn(() => ({ body: ticket({ id: 't-8', display_number: 'A8', priority: true }) }))
    renderHost({ 'POST /api/tickets/t-8/transfer': transfer, 'POST /api/tickets/t-8/priority': priority })
    live(snapshot())
    const a7 = screen.getByTestId('waiting-A7')
    expect(within(a7).getByTestId('priority-mark')).toHaveTextContent('Priority')
    expect(within(screen.getByTestId('waiting-A8')).queryByTestId('priority-mark')).toBeNull()
    // The services list says there is somewhere to send guests: the controls appear.
    const a8 = screen.getByTestId('waiting-A8')
    await waitFor(() => expect(within(a8).getByRole('button', { name: 'Transfer: A8' })).toBeInTheDocument())
    expect(within(a7).getByRole('button', { name: 'Remove priority: A7' })).toBeInTheDocument()
    // A called ticket can be transferred too, but its priority is no longer the host's to change.
    expect(within(screen.getByTestId('active-A5')).getByRole('button', { name: 'Transfer: A5' })).toBeInTheDocument()
    expect(within(screen.getByTestId('active-A5')).queryByRole('button', { name: /priority/ })).toBeNull()

    await user.click(within(a8).getByRole('button', { name: 'Give priority: A8' }))
    await waitFor(() => expect(priority).toHaveBeenCalledTimes(1))
    expect(posted('/api/tickets/t-8/priority')).toEqual([{ priority: true }])
    expect(await screen.findByText('A8 now has priority.')).toBeInTheDocument()

    await user.click(within(a8).getByRole('button', { name: 'Transfer: A8' }))
    const form = screen.getByRole('form', { name: 'Send A8 to another service' })
    await waitFor(() => expect(within(form).getByRole('radio', { name: /End of the line/ })).toBeChecked())
    await user.click(within(form).getByRole('radio', { name: /Keep their place/ }))
    await user.click(within(form).getByRole('button', { name: 'Send to Payments' }))
    await waitFor(() => expect(transfer).toHaveBeenCalledTimes(1))
    expect(posted('/api/tickets/t-8/transfer')).toEqual([{ queue_id: 'q-2', placement: 'original' }])
    expect(await screen.findByText('A8 was sent to Payments and keeps their place.')).toBeInTheDocument()

    // The channel says the ticket left (the `transfer` event, no row): it leaves this list.
    live({ type: 'update', seq: 4, events: [{ seq: 4, type: 'transfer', ticket_id: 't-8', data: { to: 'q-2' } }], state: queue({ waiting_count: 1 }), tickets_changed: [] })
    expect(screen.queryByTestId('waiting-A8')).toBeNull()
    expect(screen.getByTestId('waiting-A7')).toBeInTheDocument()
    // A row that says it is in another service is not shown here either.
    live({ type: 'update', seq: 5, events: [], state: queue({ waiting_count: 0 }), tickets_changed: [ticket({ id: 't-7', queue_id: 'q-2', position_number: 7, display_number: 'A7', status: 'WAITING' })] })
    expect(screen.queryByTestId('waiting-A7')).toBeNull()
  })

  it('offers no transfer or priority controls on a box with one service, as before', async () => {
    renderHost({ 'GET /api/services': () => ({ body: { services: [SERVICES[0]] } }) })
    live(snapshot())
    await waitFor(() => expect(fetchMock.mock.calls.some(([url]) => String(url).includes('/api/services'))).toBe(true))
    // Let the answer land, then nothing was added.
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(screen.queryByRole('button', { name: /^Transfer/ })).toBeNull()
    expect(screen.queryByRole('button', { name: /priority/ })).toBeNull()
    expect(screen.getByRole('button', { name: 'Call now: A8' })).toBeInTheDocument()
  })

  it('says why only when the call overtook the next in line', async () => {
    const user = userEvent.setup()
    const callNext = () => ({ body: { ...ticket({ id: 't-7', display_number: 'A7', status: 'CALLED', counter: '1' }), reason: 'order', ended: [] } })
    renderHost({ 'POST /api/queues/q-1/call-next': callNext })
    live(snapshot(tickets().filter((x) => x.status === 'WAITING')))
    await user.click(screen.getByRole('button', { name: /Call next/ }))
    expect(await screen.findByText('Called A7 to counter 1.')).toBeInTheDocument()
  })

  it('shows the reason the box gives for a priority call', async () => {
    const user = userEvent.setup()
    const callNext = () => ({ body: { ...ticket({ id: 't-7', display_number: 'A7', status: 'CALLED', counter: '1' }), reason: 'priority', ended: [] } })
    renderHost({ 'POST /api/queues/q-1/call-next': callNext })
    live(snapshot(tickets().filter((x) => x.status === 'WAITING')))
    await user.click(screen.getByRole('button', { name: /Call next/ }))
    expect(await screen.findByText('Called A7 to counter 1. Reason: Priority.')).toBeInTheDocument()
  })
})
