import { act, render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import { FakeWebSocket, withFakeWebSocket } from '../test/fakeWebSocket.js'
import { queue, routeFetch, ticket } from '../test/fixtures.js'
import HostDashboard from './HostDashboard.jsx'
import HostDesk from './HostDesk.jsx'

const TOKEN = 'desk-token-0123456789abcdef'
const TRUSTED = { trusted: true, source: 'system', reason: null }
const PASS = { queue_id: 'pass', name: 'Passports', prefix: 'P', weight: 1 }
const PAY = { queue_id: 'pay', name: 'Payments', prefix: 'B', weight: 1 }
const SERVICES = [
  { id: 'pass', name: 'Passports', prefix: 'P', active: true, is_paused: false, waiting_count: 2, sort_order: 0 },
  { id: 'pay', name: 'Payments', prefix: 'B', active: true, is_paused: false, waiting_count: 1, sort_order: 1 },
  { id: 'rec', name: 'Reception', prefix: 'R', active: true, is_paused: false, waiting_count: 0, sort_order: 2 },
]
const counter = (over = {}) => ({ id: 'c-2', name: '2', rule: 'order', is_open: false, staff: null, services: [PASS], ...over })
const COUNTERS = () => [counter({ id: 'c-1', name: '1', services: [{ queue_id: 'rec', name: 'Reception', prefix: 'R', weight: 1 }] }), counter()]

const row = (id, queueId, over = {}) =>
  ticket({ id, queue_id: queueId, issued_queue_id: queueId, display_number: id, position_number: Number(id.slice(1)), status: 'WAITING', priority: false, line_seq: Number(id.slice(1)), created_at: '2026-11-26T10:00:00.000Z', ...over })
// Passports: P1 and P2 waiting; Payments: B7 with priority.
const passTickets = () => [row('P1', 'pass'), row('P2', 'pass')]
const payTickets = () => [row('B7', 'pay', { priority: true })]
const snapshot = (queueId, tickets) => ({ type: 'snapshot', seq: 5, state: queue({ id: queueId, name: queueId, transfer_placement: 'original' }), tickets, clock: TRUSTED })

let fetchMock

function calls(method, path) {
  return fetchMock.mock.calls
    .filter(([url, init = {}]) => (init.method ?? 'GET') === method && new URL(url, 'http://localhost').pathname === path)
    .map(([url, init]) => ({ url: new URL(url, 'http://localhost'), headers: init.headers, body: init.body ? JSON.parse(init.body) : undefined }))
}

function renderDesk({ routes = {}, stored = null, counters = COUNTERS(), page = HostDesk } = {}) {
  window.history.replaceState(null, '', stored ? '/host' : `/host#token=${TOKEN}`)
  if (stored) localStorage.setItem('qode.hostDesk.token', stored)
  const order = { pass: ['P2', 'P1'], pay: ['B7'] } // the box's call order: P2 went ahead (streak, say)
  fetchMock = vi.fn(
    routeFetch({
      'GET /api/counters': () => ({ body: { counters } }),
      'GET /api/services': () => ({ body: { services: SERVICES } }),
      'GET /api/queues/pass/tickets': (_init, url) => ({ body: { tickets: url.searchParams.get('order') === 'call' ? order.pass.map((id) => row(id, 'pass')) : passTickets() } }),
      'GET /api/queues/pay/tickets': () => ({ body: { tickets: payTickets() } }),
      'GET /api/queues/pass': () => ({ body: queue({ id: 'pass', name: 'Passports', transfer_placement: 'original' }) }),
      'GET /api/queues/pay': () => ({ body: queue({ id: 'pay', name: 'Payments', transfer_placement: 'end' }) }),
      'GET /api/queues/rec': () => ({ body: queue({ id: 'rec', name: 'Reception', transfer_placement: 'original' }) }),
      'GET /healthz': () => ({ body: { status: 'ok', clock: TRUSTED } }),
      'POST /api/counters/c-2/open': (init) => ({
        body: counter({ is_open: true, staff: JSON.parse(init.body).staff ?? null, services: JSON.parse(init.body).services.map((s) => (s.queue_id === 'pay' ? PAY : PASS)) }),
      }),
      ...routes,
    }),
  )
  vi.stubGlobal('fetch', fetchMock)
  const Page = page
  return render(<Page />)
}

/** The host channel of one service: opened, authenticated, and sent `messages`. */
function feed(queueId, ...messages) {
  const ws = FakeWebSocket.instances.filter((w) => new URL(w.url).pathname === `/ws/host/${queueId}`).at(-1)
  act(() => {
    if (ws.readyState !== FakeWebSocket.OPEN) ws.open()
    for (const m of messages) ws.receive(m)
  })
  return ws
}

const rows = () => within(screen.getByRole('region', { name: /^Waiting, in call order/ })).getAllByRole('listitem').map((li) => li.dataset.testid.replace('desk-waiting-', ''))

/** Open counter 2 on Passports and Payments as "Ana", and bring both services' snapshots. */
async function openDesk(user, options) {
  renderDesk(options)
  await user.click(await screen.findByRole('radio', { name: /Counter 2/ }))
  await user.click(screen.getByRole('checkbox', { name: /Payments/ }))
  await user.type(screen.getByLabelText('Your name (optional)'), 'Ana')
  await user.click(screen.getByRole('button', { name: 'Open counter 2' }))
  await screen.findByText(/Calls from: Passports, Payments/)
  feed('pass', snapshot('pass', passTickets()))
  feed('pay', snapshot('pay', payTickets()))
  await waitFor(() => expect(rows()).toEqual(['B7', 'P2', 'P1']))
}

withFakeWebSocket()

describe('HostDesk', () => {
  it('asks the token’s counters and services, opens the chosen counter on the ticked services with a staff name', async () => {
    const user = userEvent.setup()
    await openDesk(user)
    expect(calls('GET', '/api/counters')[0].headers.Authorization).toBe(`Bearer ${TOKEN}`)
    const [open] = calls('POST', '/api/counters/c-2/open')
    expect(open.body).toEqual({ services: [{ queue_id: 'pass', weight: 1 }, { queue_id: 'pay' }], staff: 'Ana' })
    expect(open.headers['Idempotency-Key']).toBeTruthy()
    // The token left the address and is kept once the box accepted it.
    expect(window.location.hash).toBe('')
    expect(localStorage.getItem('qode.hostDesk.token')).toBe(TOKEN)
    expect(localStorage.getItem('qode.hostDesk.counter')).toBe('c-2')
    // One host channel per service, each authenticated by its first message.
    const sockets = FakeWebSocket.instances.map((w) => new URL(w.url).pathname).sort()
    expect(sockets).toEqual(['/ws/host/pass', '/ws/host/pay'])
    for (const ws of FakeWebSocket.instances) expect(ws.sent[0]).toEqual({ type: 'auth', token: TOKEN })
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Counter 2')
    expect(screen.getByTestId('desk-services')).toHaveTextContent('staff: Ana')
  })

  it('shows one list in the counter’s call order, the box’s order within a service, priority in words and icon', async () => {
    const user = userEvent.setup()
    await openDesk(user)
    // B7 (priority, Payments) first; Passports in the box's call order, P2 before P1.
    expect(rows()).toEqual(['B7', 'P2', 'P1'])
    expect(calls('GET', '/api/queues/pass/tickets').some((c) => c.url.searchParams.get('order') === 'call')).toBe(true)
    const first = screen.getByTestId('desk-waiting-B7')
    expect(within(first).getByText('Payments')).toBeInTheDocument()
    const mark = within(first).getByTestId('priority-mark')
    expect(mark).toHaveTextContent('Priority')
    expect(mark.querySelector('svg')).not.toBeNull()
    expect(within(screen.getByTestId('desk-waiting-P1')).queryByTestId('priority-mark')).toBeNull()
    expect(within(screen.getByTestId('desk-waiting-P1')).getByText('Passports')).toBeInTheDocument()
    expect(screen.getByText('3 people waiting')).toBeInTheDocument()
  })

  it('calls the next guest by the counter’s rule and says why', async () => {
    const user = userEvent.setup()
    const callNext = vi.fn(() => ({ body: { ...row('B7', 'pay', { priority: true, status: 'CALLED', counter: '2', counter_id: 'c-2' }), reason: 'priority', ended: [] } }))
    await openDesk(user, { routes: { 'POST /api/counters/c-2/call-next': callNext } })
    await user.click(screen.getByRole('button', { name: /Call next/ }))
    await waitFor(() => expect(callNext).toHaveBeenCalledTimes(1))
    expect(calls('POST', '/api/counters/c-2/call-next')[0].body).toEqual({})
    expect(await screen.findByText('Called B7 to counter 2. Reason: Priority.')).toBeInTheDocument()
  })

  it('says a call by wait in plain words too, and what the call ended', async () => {
    const user = userEvent.setup()
    const answer = { ...row('P2', 'pass', { status: 'CALLED', counter: '2', counter_id: 'c-2' }), reason: 'weighted', ended: [{ id: 'x', display_number: 'P0', status: 'COMPLETED' }] }
    await openDesk(user, { routes: { 'POST /api/counters/c-2/call-next': () => ({ body: answer }) } })
    await user.click(screen.getByRole('button', { name: /Call next/ }))
    expect(await screen.findByText('Called P2 to counter 2. Reason: Waited longest. P0 is done.')).toBeInTheDocument()
  })

  it('says how to reopen a counter that was closed elsewhere', async () => {
    const user = userEvent.setup()
    const closed = () => ({ status: 409, body: { error: { code: 'counter_closed', message: 'closed' } } })
    await openDesk(user, { routes: { 'POST /api/counters/c-2/call-next': closed } })
    await user.click(screen.getByRole('button', { name: /Call next/ }))
    expect(await screen.findByText(/This counter was closed, perhaps on another tablet/)).toBeInTheDocument()
  })

  it('transfers a ticket with the target’s default placement chosen first, and the row moves live', async () => {
    const user = userEvent.setup()
    const transfer = vi.fn(() => ({ body: row('P1', 'pay', { transfers: 1 }) }))
    await openDesk(user, { routes: { 'POST /api/tickets/P1/transfer': transfer } })
    await user.click(within(screen.getByTestId('desk-waiting-P1')).getByRole('button', { name: 'Transfer: P1' }))
    const form = screen.getByRole('form', { name: 'Send P1 to another service' })
    const to = within(form).getByLabelText('To service')
    // Every other service, not its own.
    expect(within(to).getAllByRole('option').map((o) => o.textContent)).toEqual(['Payments', 'Reception'])
    expect(to).toHaveValue('pay')
    // Payments puts transfers at the end by default: chosen first, and said.
    await waitFor(() => expect(within(form).getByRole('radio', { name: /End of the line/ })).toBeChecked())
    expect(within(form).getByRole('radio', { name: /End of the line/ })).toHaveAccessibleName(/usual for this service/)
    // Reception keeps their place by default.
    await user.selectOptions(to, 'rec')
    await waitFor(() => expect(within(form).getByRole('radio', { name: /Keep their place/ })).toBeChecked())
    await user.selectOptions(to, 'pay')
    await waitFor(() => expect(within(form).getByRole('radio', { name: /End of the line/ })).toBeChecked())
    await user.click(within(form).getByRole('button', { name: 'Send to Payments' }))
    await waitFor(() => expect(transfer).toHaveBeenCalledTimes(1))
    expect(calls('POST', '/api/tickets/P1/transfer')[0].body).toEqual({ queue_id: 'pay', placement: 'end' })
    expect(await screen.findByText('P1 was sent to Payments, at the end of the line.')).toBeInTheDocument()
    expect(screen.queryByRole('form', { name: 'Send P1 to another service' })).toBeNull()

    // Live, as the box sends it: Passports' channel the `transfer` event (no row: the ticket is no
    // longer its own), Payments' channel the row. P1 is in Payments now, after B7.
    const moved = row('P1', 'pay', { transfers: 1, line_seq: 30 })
    const left = { seq: 6, type: 'transfer', ticket_id: 'P1', ticket_number: 1, data: { to: 'pay', to_name: 'Payments', placement: 'end' }, created_at: '2026-11-26T10:30:00.000Z' }
    feed('pass', { type: 'update', seq: 6, events: [left], state: queue({ id: 'pass', waiting_count: 1 }), tickets_changed: [] })
    feed('pay', { type: 'update', seq: 6, events: [], state: queue({ id: 'pay', waiting_count: 2 }), tickets_changed: [moved] })
    await waitFor(() => expect(within(screen.getByTestId('desk-waiting-P1')).getByText('Payments')).toBeInTheDocument())
    expect(rows()).toEqual(['B7', 'P2', 'P1']) // once: not left behind in Passports
    expect(within(screen.getByTestId('desk-waiting-P1')).queryByText('Passports')).toBeNull()
  })

  it('gives a waiting ticket priority, and takes it away', async () => {
    const user = userEvent.setup()
    const priority = vi.fn((init) => ({ body: row('P1', 'pass', { priority: JSON.parse(init.body).priority }) }))
    await openDesk(user, { routes: { 'POST /api/tickets/P1/priority': priority, 'POST /api/tickets/B7/priority': priority } })
    await user.click(screen.getByRole('button', { name: 'Give priority: P1' }))
    await waitFor(() => expect(priority).toHaveBeenCalledTimes(1))
    expect(calls('POST', '/api/tickets/P1/priority')[0].body).toEqual({ priority: true })
    expect(await screen.findByText('P1 now has priority.')).toBeInTheDocument()
    await user.click(screen.getByRole('button', { name: 'Remove priority: B7' }))
    await waitFor(() => expect(calls('POST', '/api/tickets/B7/priority')).toHaveLength(1))
    expect(calls('POST', '/api/tickets/B7/priority')[0].body).toEqual({ priority: false })
  })

  it('shows the counter’s called guest with its service, and closes the counter', async () => {
    const user = userEvent.setup()
    const close = vi.fn(() => ({ body: counter({ is_open: false }) }))
    await openDesk(user, { routes: { 'POST /api/counters/c-2/close': close } })
    feed('pay', { type: 'update', seq: 7, events: [], state: queue({ id: 'pay', waiting_count: 0 }), tickets_changed: [row('B7', 'pay', { priority: true, status: 'CALLED', counter: '2', counter_id: 'c-2' })] })
    const held = await screen.findByTestId('active-B7')
    expect(within(held).getByText('Payments')).toBeInTheDocument()
    expect(within(held).getByTestId('priority-mark')).toBeInTheDocument()
    expect(within(held).getByRole('button', { name: 'Transfer: B7' })).toBeInTheDocument()
    // The call button says what a press does to the guest the counter holds.
    expect(screen.getByTestId('call-next-label')).toHaveTextContent('No-show B7 & call next')
    await user.click(screen.getByRole('button', { name: 'Close counter 2' }))
    await waitFor(() => expect(close).toHaveBeenCalledTimes(1))
    expect(await screen.findByText('Counter 2 is closed.')).toBeInTheDocument()
    expect(screen.getByRole('heading', { name: 'Open your counter' })).toBeInTheDocument()
  })

  it('resumes the counter this tablet had open without asking the box to open it again', async () => {
    const user = userEvent.setup()
    localStorage.setItem('qode.hostDesk.counter', 'c-2')
    renderDesk({ stored: TOKEN, counters: [counter({ id: 'c-1', name: '1' }), counter({ is_open: true, staff: 'Ana', services: [PASS, PAY] })] })
    // The tablet's own counter is offered first.
    const radios = await screen.findAllByRole('radio')
    expect(radios[0]).toHaveAccessibleName(/Counter 2/)
    expect(radios[0]).toBeChecked()
    expect(screen.getByRole('checkbox', { name: /Payments/ })).toBeChecked()
    expect(screen.getByLabelText('Your name (optional)')).toHaveValue('Ana')
    await user.click(screen.getByRole('button', { name: 'Resume counter 2' }))
    expect(await screen.findByText(/Calls from: Passports, Payments/)).toBeInTheDocument()
    expect(calls('POST', '/api/counters/c-2/open')).toHaveLength(0)
  })

  it('asks for at least one service and refuses a staff name over 80 characters before asking the box', async () => {
    const user = userEvent.setup()
    renderDesk()
    await user.click(await screen.findByRole('radio', { name: /Counter 2/ }))
    await user.click(screen.getByRole('checkbox', { name: /Passports/ }))
    await user.click(screen.getByRole('button', { name: 'Open counter 2' }))
    expect(screen.getByText('Tick at least one service.')).toBeInTheDocument()
    await user.click(screen.getByRole('checkbox', { name: /Passports/ }))
    await user.type(screen.getByLabelText('Your name (optional)'), 'x'.repeat(81))
    expect(screen.getByLabelText('Your name (optional)')).toHaveAttribute('aria-invalid', 'true')
    await user.click(screen.getByRole('button', { name: 'Open counter 2' }))
    expect(calls('POST', '/api/counters/c-2/open')).toHaveLength(0)
  })

  it('says when the box refuses a service the token does not cover, and stays on the choice', async () => {
    const user = userEvent.setup()
    const refuse = () => ({ status: 403, body: { error: { code: 'service_not_in_scope', message: 'no' } } })
    renderDesk({ routes: { 'POST /api/counters/c-2/open': refuse } })
    await user.click(await screen.findByRole('radio', { name: /Counter 2/ }))
    await user.click(screen.getByRole('checkbox', { name: /Reception/ }))
    await user.click(screen.getByRole('button', { name: 'Open counter 2' }))
    expect(await screen.findByText('This host link does not cover that service.')).toBeInTheDocument()
    expect(screen.getByRole('heading', { name: 'Open your counter' })).toBeInTheDocument()
  })

  it('says when no counter is set up for the token', async () => {
    renderDesk({ counters: [] })
    expect(await screen.findByText(/No counter is set up for this host link yet/)).toBeInTheDocument()
  })

  it('says plainly that a refused token is not valid', async () => {
    renderDesk({ routes: { 'GET /api/counters': () => ({ status: 401, body: { error: { code: 'unauthorized', message: 'no' } } }) } })
    expect(await screen.findByText('This host link is not valid (any more)')).toBeInTheDocument()
    expect(localStorage.getItem('qode.hostDesk.token')).toBeNull()
  })

  it('keeps today’s figures folded below the list, and asks the box with the desk’s token only when opened', async () => {
    const user = userEvent.setup()
    const stats = vi.fn(() => ({
      body: {
        day: '2026-11-26',
        rows: [{ service_day: '2026-11-26', queue_id: 'pay', service: 'Payments', counter_id: 'c-2', counter: '2', staff: 'Ana', served: 3, no_shows: 1, waited_count: 3, waited_seconds: 540, served_time_count: 3, served_time_seconds: 360 }],
        services: [{ service_day: '2026-11-26', queue_id: 'pay', service: 'Payments', served: 3, priority_served: 1, no_shows: 1, transfers_out: 0, transfers_in: 2, waited_mean_seconds: 180, served_time_mean_seconds: 120 }],
      },
    }))
    await openDesk(user, { routes: { 'GET /api/stats': stats } })
    const toggle = screen.getByRole('button', { name: "Today's figures" })
    // After the waiting list in the page's order: Tab and screen readers meet the list first.
    const list = screen.getByRole('region', { name: /^Waiting, in call order/ })
    expect(list.compareDocumentPosition(toggle) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy()
    expect(stats).not.toHaveBeenCalled()
    // A live message does not ask again.
    feed('pay', snapshot('pay', payTickets()))
    expect(stats).not.toHaveBeenCalled()

    await user.click(toggle)
    const counter = await screen.findByTestId('figures-counter')
    expect(counter).toHaveTextContent('Counter 2 · Ana')
    expect(within(counter).getByText('3 min')).toBeInTheDocument()
    expect(calls('GET', '/api/stats')[0].headers.Authorization).toBe(`Bearer ${TOKEN}`)
    feed('pay', snapshot('pay', payTickets()))
    expect(stats).toHaveBeenCalledTimes(1)
  })

  it('is what /host shows (HostDashboard without a service)', async () => {
    renderDesk({ page: () => <HostDashboard queueId={null} /> })
    expect(await screen.findByRole('heading', { name: 'Open your counter' })).toBeInTheDocument()
  })

  it('issue 16: shows the services’ recent no-shows with a Back button that puts one back in line', async () => {
    const user = userEvent.setup()
    const soon = new Date(Date.now() + 5 * 60_000).toISOString()
    const missedP3 = row('P3', 'pass', { status: 'NO_SHOW', completed_at: new Date(Date.now() - 90_000).toISOString(), return_until: soon, returned_at: null, line_seq: null })
    const back = vi.fn(() => ({ body: { ...missedP3, status: 'WAITING', people_ahead: 0, returned_at: soon, return_until: null } }))
    await openDesk(user, { routes: { 'POST /api/tickets/P3/return': back } })
    feed('pass', { type: 'update', seq: 6, events: [], state: queue({ id: 'pass', name: 'pass' }), tickets_changed: [missedP3], clock: TRUSTED })
    const missed = await screen.findByRole('region', { name: 'Missed: may come back' })
    expect(within(missed).getByTestId('missed-P3')).toHaveTextContent('Passports')
    await user.click(within(missed).getByRole('button', { name: 'Back: P3' }))
    await waitFor(() => expect(back).toHaveBeenCalledTimes(1))
    expect(calls('POST', '/api/tickets/P3/return')[0].headers.Authorization).toBe(`Bearer ${TOKEN}`)
    expect(await screen.findByText('P3 is back in line and will be called next.')).toBeInTheDocument()
  })
})
